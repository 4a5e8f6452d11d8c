"""The one scoping rule: what a user may see, computed once per request.

Every queryset a person can reach is narrowed by ``Model.objects.visible_to(user)``.
The rule is expressed against a :class:`Scope`, a small immutable summary of the user's
roles and the department subtrees they head, so querysets never re-query roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from pathscore.core.choices import COMPANY_WIDE_ROLES, ORG_ADMIN_ROLES, Role


@dataclass(frozen=True)
class Scope:
    """The facts about a user that decide visibility."""

    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    #: Materialised paths of every department the user heads (each covers its subtree).
    managed_paths: tuple[str, ...] = ()
    #: Path of the user's own department, if any.
    team_path: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    @property
    def sees_all_records(self) -> bool:
        return bool(self.roles & COMPANY_WIDE_ROLES)

    @property
    def manages_org(self) -> bool:
        return bool(self.roles & ORG_ADMIN_ROLES)

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_paths)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_auditor_only(self) -> bool:
        return self.roles == frozenset({Role.AUDITOR})


NOBODY = Scope(user_id=None)


def scope_for(user) -> Scope:
    """Return the user's scope, or the empty scope for anonymous and inactive users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOBODY
    return user.scope


def subtree_q(lookup: str, paths: tuple[str, ...]) -> Q:
    """Rows whose department path (``lookup``) lies in any of the given subtrees."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__startswith": path})
    return q


def person_in_subtrees_q(person: str, paths: tuple[str, ...]) -> Q:
    """Rows whose person (the foreign key ``person``: ``owner``, ``author``) belongs to a
    department in any of the given subtrees.

    The same rows as ``subtree_q(f"{person}__department__path", paths)``, asked as
    ``person IN (the subtrees' people)``: the database then finds them through the
    person's index instead of joining every row to its person and department.
    """
    from django.contrib.auth import get_user_model

    if not paths:
        return Q(pk__in=[])
    people = get_user_model().objects.filter(subtree_q("department__path", paths)).values("pk")
    return Q(**{f"{person}__in": people})


#: Where an object loaded through ``visible_to(user)`` keeps that user's id.
_LOADED_VISIBLE_TO = "_pathscore_loaded_visible_to"


def vouch_visible(obj, user) -> None:
    """Note on ``obj`` that it was just loaded through ``visible_to(user)``.

    An API field that resolves a related id through the caller's scope calls this, so the
    service it hands the object to need not ask the database the same question again
    within the request (see :func:`loaded_visible_to`).
    """
    if obj is not None and user is not None and user.pk is not None:
        setattr(obj, _LOADED_VISIBLE_TO, user.pk)


def loaded_visible_to(obj, user) -> bool:
    """True if ``obj`` was loaded through ``visible_to(user)`` (:func:`vouch_visible`)."""
    return user is not None and getattr(obj, _LOADED_VISIBLE_TO, None) == user.pk


#: Extra visibility contributed by higher apps, keyed by model label ("crm.project").
#: Layering forbids crm from knowing about hand-off tasks, yet technical support must see
#: the projects behind their tasks: process registers that rule here instead.
_extensions: dict[str, list] = {}


def register_scope_extension(model_label: str, rule) -> None:
    """Add ``rule(scope) -> Q | None`` as another way to see rows of ``model_label``."""
    rules = _extensions.setdefault(model_label.lower(), [])
    if rule not in rules:
        rules.append(rule)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a user may see.

    The default rule covers records owned by a user: the owner sees them, so do the
    people named in ``scope_author_fields`` (credit follows the doer), managers see their
    subtree through the owner's department, HR and executives see everything. Models with
    another shape override :meth:`scope_filter`.
    """

    scope_owner_field = "owner"
    scope_author_fields: tuple[str, ...] = ()

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        q = Q(**{self.scope_owner_field: scope.user_id})
        for name in self.scope_author_fields:
            q |= Q(**{name: scope.user_id})
        if scope.managed_paths:
            q |= person_in_subtrees_q(self.scope_owner_field, scope.managed_paths)
        return q

    def visible_to(self, user) -> ScopedQuerySet:
        return self.visible_in(scope_for(user))

    def visible_in(self, scope: Scope) -> ScopedQuerySet:
        """Rows visible in ``scope``; related models' rules build on this (``x_id__in=``)."""
        if scope.is_anonymous:
            return self.none()
        condition = self.scope_filter(scope)
        if condition:  # an empty Q means "everything"; extensions cannot widen it
            for rule in _extensions.get(self.model._meta.label_lower, ()):
                extra = rule(scope)
                if extra is not None:
                    condition |= extra
        # Rules join only along foreign keys or use subqueries, so rows are never duplicated.
        return self.filter(condition)

    def visible_ids(self, user):
        """A subquery of the primary keys ``user`` may see, for ``field__in=`` filters."""
        return self.visible_to(user).values("pk")


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
