"""Whom a project's signed contract counts for (``Project.signed_by``).

The rule: whoever recorded the project's "signed" milestone, or else the project's current
owner (credit follows the doer). The value is stored on the project so the indicators
"contracts signed" and "signed amount" read it through the ``(signed_by, signed_on)``
index instead of a subquery per won project. The services that record a milestone or hand
a project over keep it equal to the rule; :func:`signer_mismatches` finds rows that drifted
and :func:`signer_repair` sets them right (``process.credit`` runs both daily).
"""

from __future__ import annotations

from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from pathscore.crm.choices import MilestoneKind
from pathscore.crm.models import ContractMilestone, Project


def expected_signer():
    """The signer computed from the raw rows, as an expression over ``Project``."""
    # The first "signed" milestone by id, as ``signer_of`` reads it: the stored value and
    # the check must pick the same row should a project ever hold two.
    recorder = (
        ContractMilestone.objects.filter(project=OuterRef("pk"), kind=MilestoneKind.SIGNED)
        .order_by("pk")
        .values("recorded_by")[:1]
    )
    return Coalesce(Subquery(recorder), F("owner"), output_field=IntegerField())


def signer_of(project: Project) -> int:
    """The signer's id for one project (one query)."""
    recorder = (
        ContractMilestone.objects.filter(project=project, kind=MilestoneKind.SIGNED)
        .order_by("pk")
        .values_list("recorded_by", flat=True)
        .first()
    )
    return recorder or project.owner_id


def signer_mismatches(projects: QuerySet | None = None) -> QuerySet:
    """Projects whose stored signer differs from the rule (or is missing)."""
    projects = Project.objects.all() if projects is None else projects
    return (
        projects.annotate(expected_signer=expected_signer())
        .filter(Q(signed_by__isnull=True) | ~Q(signed_by=F("expected_signer")))
        .order_by()
    )


def signer_repair(projects: QuerySet | None = None) -> int:
    """Set the stored signer of every drifted project from the rule, in one UPDATE per
    call (idempotent: a second run changes nothing). Returns the rows changed."""
    drifted = signer_mismatches(projects).values("pk")
    return Project.objects.filter(pk__in=drifted).update(signed_by=expected_signer())
