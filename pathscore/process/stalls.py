"""Stall detection: thresholds set per node, and thresholds learned from history.

A project is stalled when its current node has lasted longer than

* the node's own threshold (``NodeDefinition.stall_days``), or
* where there is enough history, the 75th percentile of how long past projects of the same
  customer type stayed at a node with the same code (a ``StallThreshold`` row).

"How long a project stayed at a node" is the number of days from the node's start to its
approval (``NodeInstance.started_on`` → ``completed_on``), counted on approved nodes only:
skipped nodes say nothing about how long the work takes. The percentile is interpolated
linearly between the two nearest samples (PostgreSQL's ``percentile_cont``), and computed
only where at least :data:`MIN_SAMPLES` nodes were approved. Nodes are matched by code, so
the history of a node survives new template versions.

The percentile is computed in the database with window functions (a row number and a
count per node code and customer type), so only the one or two rows around the 75th
percentile of each group come back, however many nodes there are.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from pathscore.core.localtime import DaysSince
from pathscore.crm.choices import ProjectStatus
from pathscore.process.choices import NodeState
from pathscore.process.models import NodeInstance, ProjectProcess, StallThreshold

#: Fewer approved nodes than this and a group has no learned threshold.
MIN_SAMPLES = 5
#: The share of past projects that finished the node faster than a stalled one.
PERCENTILE = 0.75


def percentile(values: Sequence[float], share: float = PERCENTILE) -> float:
    """The ``share`` percentile of ``values``, interpolated linearly (``percentile_cont``).

    ``percentile([2, 4, 6, 8, 30])`` is 8: the position is 0.75 × (5 − 1) = 3.
    """
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class LearnedThreshold:
    node_code: str
    customer_type_id: int
    #: The percentile itself (may have a fraction).
    percentile: float
    samples: int

    @property
    def days(self) -> int:
        """Whole days: a node is older than the percentile exactly when its age in whole
        days exceeds this number."""
        return math.floor(self.percentile)


def _approved_durations() -> QuerySet:
    return NodeInstance.objects.filter(
        state=NodeState.APPROVED,
        started_on__isnull=False,
        completed_on__isnull=False,
        completed_on__gte=F("started_on"),
    ).annotate(
        duration=ExpressionWrapper(
            F("completed_on") - F("started_on"), output_field=DurationField()
        )
    )


def compute_thresholds() -> list[LearnedThreshold]:
    """The 75th percentile per node code and customer type, where there are enough samples."""
    partition = [F("definition__code"), F("project__customer__customer_type_id")]
    rows = (
        _approved_durations()
        .annotate(
            position=Window(
                RowNumber(), partition_by=partition, order_by=[F("duration").asc(), F("pk").asc()]
            ),
            samples=Window(Count("pk"), partition_by=partition),
        )
        # The rows next to position 0.75 × (n − 1) (zero-based): with integers only,
        # 4 × row_number lies strictly between 3n − 3 and 3n + 5.
        .alias(four_positions=F("position") * 4, three_samples=F("samples") * 3)
        .filter(
            samples__gte=MIN_SAMPLES,
            four_positions__gt=F("three_samples") - 3,
            four_positions__lt=F("three_samples") + 5,
        )
        .values_list(
            "definition__code",
            "project__customer__customer_type_id",
            "duration",
            "position",
            "samples",
        )
    )
    groups: dict[tuple[str, int], dict] = {}
    for code, type_id, duration, position, samples in rows:
        group = groups.setdefault((code, type_id), {"samples": samples, "at": {}})
        group["at"][position - 1] = duration.days
    thresholds = []
    for (code, type_id), group in sorted(groups.items()):
        exact = PERCENTILE * (group["samples"] - 1)
        low, high = math.floor(exact), math.ceil(exact)
        low_value = group["at"][low]
        high_value = group["at"].get(high, low_value)
        value = low_value + (high_value - low_value) * (exact - low)
        thresholds.append(
            LearnedThreshold(
                node_code=code,
                customer_type_id=type_id,
                percentile=value,
                samples=group["samples"],
            )
        )
    return thresholds


@transaction.atomic
def refresh_thresholds(*, now: dt.datetime | None = None) -> dict:
    """Recompute every learned threshold (the daily job). Idempotent: running it twice, or
    on two workers at once, leaves the same rows (an upsert on the unique key)."""
    now = now or timezone.now()
    learned = compute_thresholds()
    StallThreshold.objects.bulk_create(
        [
            StallThreshold(
                node_code=item.node_code,
                customer_type_id=item.customer_type_id,
                days=item.days,
                samples=item.samples,
                computed_at=now,
            )
            for item in learned
        ],
        update_conflicts=True,
        unique_fields=["node_code", "customer_type"],
        update_fields=["days", "samples", "computed_at"],
    )
    keys = {(item.node_code, item.customer_type_id) for item in learned}
    stale = [
        pk
        for pk, code, type_id in StallThreshold.objects.values_list(
            "pk", "node_code", "customer_type_id"
        )
        if (code, type_id) not in keys
    ]
    if stale:
        StallThreshold.objects.filter(pk__in=stale).delete()
    return {"thresholds": len(learned), "removed": len(stale)}


# --- Stalled projects ------------------------------------------------------------------------

#: Which threshold a stalled project passed.
NODE_THRESHOLD = "node"
LEARNED_THRESHOLD = "learned"
BOTH_THRESHOLDS = "both"


def stalled_processes(processes: QuerySet, today: dt.date) -> QuerySet:
    """Narrow ``processes`` (ProjectProcess rows) to active projects whose current node is
    older than its node's threshold or the learned one. One query, whatever the thresholds.

    Each row is annotated with ``stall_age`` (days at the current node),
    ``node_stall_days``, ``learned_days``, ``learned_samples`` and ``stall_reason``
    (:data:`NODE_THRESHOLD`, :data:`LEARNED_THRESHOLD` or :data:`BOTH_THRESHOLDS`).
    """
    learned = StallThreshold.objects.filter(
        node_code=OuterRef("current_node__definition__code"),
        customer_type_id=OuterRef("project__customer__customer_type_id"),
    )
    over_node = Q(stall_age__gt=F("node_stall_days"))
    over_learned = Q(learned_days__isnull=False, stall_age__gt=F("learned_days"))
    return (
        processes.filter(
            current_node__isnull=False,
            current_since__isnull=False,
            project__status=ProjectStatus.ACTIVE,
        )
        .annotate(
            stall_age=DaysSince(today, "current_since"),
            node_stall_days=F("current_node__definition__stall_days"),
            learned_days=Subquery(learned.values("days")[:1]),
            learned_samples=Subquery(learned.values("samples")[:1]),
        )
        .filter(over_node | over_learned)
        .annotate(
            stall_reason=Case(
                When(over_node & over_learned, then=Value(BOTH_THRESHOLDS)),
                When(over_node, then=Value(NODE_THRESHOLD)),
                default=Value(LEARNED_THRESHOLD),
            ),
        )
    )


def stalled_projects(
    viewer, today: dt.date | None = None, processes: QuerySet | None = None
) -> QuerySet:
    """Stalled projects ``viewer`` may see (ProjectProcess rows, oldest current node first),
    with the threshold each one passed; see :func:`stalled_processes`. ``processes``, when
    given, is the viewer's processes already narrowed (the dashboard's slice)."""
    today = today or timezone.localdate()
    if processes is None:
        processes = ProjectProcess.objects.visible_to(viewer)
    return (
        stalled_processes(processes, today)
        .select_related(
            "project__customer__customer_type",
            "project__owner__department",
            "current_node__definition",
        )
        .order_by("current_since", "pk")
    )
