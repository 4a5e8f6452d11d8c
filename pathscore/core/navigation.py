"""Role-aware navigation and home-page panels, contributed by each app.

Apps register what they offer in ``AppConfig.ready``; core renders it. This keeps core
ignorant of the apps above it while every page shows one consistent menu.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pathscore.core.scoping import Scope


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    icon: str
    order: int = 100
    #: Roles that see the item; empty means every signed-in user.
    roles: frozenset[str] = field(default_factory=frozenset)
    #: Extra test on the scope (e.g. "heads a department").
    when: Callable[[Scope], bool] | None = None

    def shown_to(self, scope: Scope) -> bool:
        if self.roles and not (self.roles & scope.roles):
            return False
        return self.when(scope) if self.when else True


@dataclass(frozen=True)
class HomePanel:
    """A block on the home page: a template and a function building its context."""

    key: str
    template: str
    context: Callable[..., dict]
    order: int = 100
    roles: frozenset[str] = field(default_factory=frozenset)
    when: Callable[[Scope], bool] | None = None

    def shown_to(self, scope: Scope) -> bool:
        if self.roles and not (self.roles & scope.roles):
            return False
        return self.when(scope) if self.when else True


_nav: dict[str, NavItem] = {}
_panels: dict[str, HomePanel] = {}


def register_nav(*items: NavItem) -> None:
    for item in items:
        _nav[item.key] = item


def register_panel(*panels: HomePanel) -> None:
    for panel in panels:
        _panels[panel.key] = panel


def nav_for(scope: Scope) -> list[NavItem]:
    return sorted((i for i in _nav.values() if i.shown_to(scope)), key=lambda i: i.order)


def panels_for(scope: Scope) -> list[HomePanel]:
    return sorted((p for p in _panels.values() if p.shown_to(scope)), key=lambda p: p.order)


def roles(*names: Iterable[str]) -> frozenset[str]:
    return frozenset(names)
