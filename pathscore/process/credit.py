"""Whom a node counts for (``NodeInstance.credited_to``), and its daily check and repair.

The rule (credit follows the doer): the person who submitted the node, or — never
submitted — the project's current owner. The value is stored on the node so the
indicators that credit nodes ("node completion rate", "stage conversion rate") and the
node reports filter it through an index instead of reading every node of a period to
evaluate an expression over two tables.

Writers keep it equal to the rule: process instantiation and migration set it on the
nodes they create, a submission sets it to the submitter, and a project's hand-over
re-credits the project's unsubmitted nodes in the same transaction
(:func:`on_project_handed_over`). Bulk writers (the scale generator) write it with each
row. :func:`credit_mismatches` finds rows that drifted all the same (a user deleted, a
row written by hand) and :func:`credit_repair` sets them right; the daily job runs it,
together with the signer of contracts (``crm.signer``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from pathscore.crm import signer
from pathscore.crm.models import Project
from pathscore.process.models import NodeInstance


def expected_credit():
    """The credited person computed from the raw rows, as an expression over nodes that
    also works in an UPDATE (no join: the owner comes from a subquery on the key)."""
    owner = Project.objects.filter(pk=OuterRef("project_id")).values("owner")[:1]
    return Coalesce(F("submitted_by"), Subquery(owner), output_field=IntegerField())


def credit_mismatches(nodes: QuerySet | None = None) -> QuerySet:
    """Nodes whose stored credited person differs from the rule (or is missing)."""
    nodes = NodeInstance.objects.all() if nodes is None else nodes
    return (
        nodes.annotate(expected_credit=Coalesce("submitted_by", "project__owner"))
        .filter(Q(credited_to__isnull=True) | ~Q(credited_to=F("expected_credit")))
        .order_by()
    )


@dataclass(frozen=True)
class CreditCheck:
    """What the check found: node and project ids whose stored credit is wrong."""

    nodes: list[int]
    projects: list[int]

    def __bool__(self) -> bool:
        return bool(self.nodes or self.projects)


def credit_check(*, limit: int = 1000) -> CreditCheck:
    """The ids (at most ``limit`` of each) of nodes and projects whose stored credited
    person or signer differs from the recomputation from the raw rows."""
    return CreditCheck(
        nodes=list(credit_mismatches().order_by("pk").values_list("pk", flat=True)[:limit]),
        projects=list(
            signer.signer_mismatches().order_by("pk").values_list("pk", flat=True)[:limit]
        ),
    )


@transaction.atomic
def credit_repair() -> dict[str, int]:
    """Set every drifted node's credited person and project's signer from the rule, one
    UPDATE each. Idempotent: a second run changes nothing. Returns the rows changed."""
    drifted = credit_mismatches().values("pk")
    nodes = NodeInstance.objects.filter(pk__in=drifted).update(credited_to=expected_credit())
    return {"nodes": nodes, "projects": signer.signer_repair()}


def on_project_handed_over(*, project_id: int, to_owner_id: int, **_payload) -> None:
    """The project's unsubmitted nodes now count for the new owner (in the hand-over's
    transaction, so scores never see the old owner credited after it)."""
    NodeInstance.objects.filter(project_id=project_id, submitted_by__isnull=True).exclude(
        credited_to=to_owner_id
    ).update(credited_to=to_owner_id)


def connect() -> None:
    from pathscore.core.events import subscribe_in_transaction
    from pathscore.crm import events as crm_events

    subscribe_in_transaction(crm_events.PROJECT_HANDED_OVER, on_project_handed_over)
