"""The people the benchmark acts as, found in whatever company the database holds.

The team manager heads the department whose subtree holds the number of active
salespeople closest to ten (a manager of ten, as in the Performance table); the executive
and the HR admin are the first active holders of those roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from pathscore.core.choices import Role
from pathscore.org.models import Department, User

TEAM_SIZE = 10


@dataclass
class Cast:
    manager: User
    executive: User
    hr: User
    #: The manager's active salespeople.
    team: list[User]
    #: Every active salesperson.
    everyone: list[User]


class NobodyToActAs(Exception):
    pass


def _first(role: str) -> User:
    person = User.objects.filter(is_active=True, role_grants__role=role).order_by("pk").first()
    if person is None:
        raise NobodyToActAs(f"no active user holds the role {role!r}")
    return person


def salespeople():
    return User.objects.filter(is_active=True, role_grants__role=Role.SALESPERSON).distinct()


def find_cast() -> Cast:
    everyone = list(salespeople().select_related("department").order_by("pk"))
    if not everyone:
        raise NobodyToActAs("the database holds no active salesperson: seed a company first")
    best = None
    for department in Department.objects.filter(is_active=True, head__is_active=True):
        size = sum(
            1
            for person in everyone
            if person.department and person.department.path.startswith(department.path)
        )
        if size and (best is None or abs(size - TEAM_SIZE) < abs(best[0] - TEAM_SIZE)):
            best = (size, department)
    if best is None:
        raise NobodyToActAs("no department with salespeople has an active head")
    department = best[1]
    team = [p for p in everyone if p.department and p.department.path.startswith(department.path)]
    return Cast(
        manager=department.head,
        executive=_first(Role.EXECUTIVE),
        hr=_first(Role.HR_ADMIN),
        team=team,
        everyone=everyone,
    )


def counts() -> dict[str, int]:
    """The size of the company measured, for the record."""
    from pathscore.crm.models import Customer, FollowUp, Project
    from pathscore.process.models import NodeInstance

    teams = Department.objects.annotate(
        n=Count("members", filter=Q(members__is_active=True))
    ).filter(n__gt=0)
    return {
        "salespeople": salespeople().count(),
        "departments_with_people": teams.count(),
        "customers": Customer.objects.count(),
        "projects": Project.objects.count(),
        "followups": FollowUp.objects.count(),
        "node_instances": NodeInstance.objects.count(),
    }
