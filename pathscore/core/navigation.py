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
    #: The key of the :class:`NavGroup` (a drop-down menu) holding the item; empty for an
    #: item of the bar itself.
    group: str = ""

    def shown_to(self, scope: Scope) -> bool:
        if self.roles and not (self.roles & scope.roles):
            return False
        return self.when(scope) if self.when else True


@dataclass(frozen=True)
class NavGroup:
    """A drop-down menu of the bar, placed by ``order`` among the bar's items. A group
    with a single item shown to the user is drawn as that item alone."""

    key: str
    label: str
    icon: str
    order: int = 100


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
_groups: dict[str, NavGroup] = {}
_panels: dict[str, HomePanel] = {}


def register_nav(*items: NavItem) -> None:
    for item in items:
        _nav[item.key] = item


def register_nav_group(*groups: NavGroup) -> None:
    for group in groups:
        _groups[group.key] = group


def register_panel(*panels: HomePanel) -> None:
    for panel in panels:
        _panels[panel.key] = panel


def nav_for(scope: Scope) -> list[NavItem]:
    return sorted((i for i in _nav.values() if i.shown_to(scope)), key=lambda i: i.order)


@dataclass
class MenuEntry:
    """One place on the bar: an item, or a group with its items (``children``)."""

    label: str
    icon: str
    order: int
    item: NavItem | None = None
    children: list[NavItem] = field(default_factory=list)


def menu_for(scope: Scope) -> list[MenuEntry]:
    """The bar for ``scope``: ungrouped items and groups, in order; a group shown with
    one item becomes that item."""
    entries: list[MenuEntry] = []
    grouped: dict[str, list[NavItem]] = {}
    for item in nav_for(scope):
        if item.group and item.group in _groups:
            grouped.setdefault(item.group, []).append(item)
        else:
            entries.append(MenuEntry(item.label, item.icon, item.order, item=item))
    for key, items in grouped.items():
        if len(items) == 1:
            only = items[0]
            entries.append(MenuEntry(only.label, only.icon, only.order, item=only))
        else:
            group = _groups[key]
            entries.append(MenuEntry(group.label, group.icon, group.order, children=items))
    return sorted(entries, key=lambda entry: entry.order)


def panels_for(scope: Scope) -> list[HomePanel]:
    return sorted((p for p in _panels.values() if p.shown_to(scope)), key=lambda p: p.order)


def roles(*names: Iterable[str]) -> frozenset[str]:
    return frozenset(names)
