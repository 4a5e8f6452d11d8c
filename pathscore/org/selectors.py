"""Reads of the organisation."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from pathscore.core.choices import Role
from pathscore.org.models import Department, RoleGrant, User


def users_for_list(viewer):
    """Users the viewer may see, with department and roles loaded in two queries."""
    return (
        User.objects.visible_to(viewer)
        .select_related("department")
        .prefetch_related(Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role")))
    )


def departments_for_tree(viewer):
    """Departments in tree order with head and member counts, in one query."""
    return (
        Department.objects.visible_to(viewer)
        .select_related("head", "parent")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("path")
    )


def team_members(manager: User):
    """Active people in every department the manager heads, their subtree included."""
    paths = manager.scope.managed_paths
    if not paths:
        return User.objects.none()
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(department__path__startswith=path)
    return (
        User.objects.filter(condition, is_active=True)
        .exclude(pk=manager.pk)
        .select_related("department")
        .order_by("department__path", "name")
    )


def org_summary():
    """Head counts for the admin home panel, in one query."""
    return User.objects.aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
        salespeople=Count(
            "pk", filter=Q(is_active=True, role_grants__role=Role.SALESPERSON), distinct=True
        ),
    )


def department_choices(viewer):
    return Department.objects.visible_to(viewer).filter(is_active=True).order_by("path")


def manager_of(user: User) -> User | None:
    """The person a user reports to: the head of their department, or of the nearest
    department above it with a head other than themselves."""
    if not user.department_id:
        return None
    ancestors = {
        d.pk: d
        for d in Department.objects.filter(pk__in=user.department.ancestor_ids()).select_related(
            "head"
        )
    }
    for department_id in reversed(user.department.ancestor_ids()):
        department = ancestors.get(department_id)
        if (
            department
            and department.head_id
            and department.head_id != user.pk
            and department.head.is_active
        ):
            return department.head
    return None


def api_tokens_of(user):
    """A person's own API tokens, newest first, for their profile."""
    from pathscore.org.models import ApiToken

    return ApiToken.objects.visible_to(user).filter(user=user).order_by("-created_at", "-pk")
