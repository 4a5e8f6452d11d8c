"""What each kind of deviation alert measures: four reads over the whole company.

Each detector returns the :class:`Finding` s that hold today, aggregated in SQL (a fixed
number of queries whatever the company's size). ``services.alerts_detect`` turns them
into alerts: it opens the new ones, updates the figures of those still open and clears
those whose condition went away.

* **Stage conversion** — for each pair of consecutive key nodes (the nodes every
  published template has, as on the dashboard's funnel), a salesperson's from-nodes
  approved in the window, and the share of those projects whose next node is approved
  too, against the pooled share of the salesperson's team (their own department). Credit
  follows the doer: a node counts for whoever submitted it.
* **Proposal adjustment** — a proposal on an active project whose latest version carries
  the customer's feedback, and no new version has followed for longer than the threshold.
* **Stall** — the process engine's own rule (``process/stalls.py``): the current node is
  older than its node's threshold or the threshold learned from history.
* **Feedback relay** — a follow-up on an active project recorded customer needs that are
  still open, and no hand-off task has been created on the project since (by hand, or by
  the rule answering that follow-up) within the threshold's hours.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat

from pathscore.core.choices import Role
from pathscore.core.localtime import DaysSince
from pathscore.crm.choices import PROPOSAL_KINDS, ProjectStatus
from pathscore.crm.models import CustomerNeed, Document, DocumentVersion, FollowUp
from pathscore.insights.alerts import thresholds
from pathscore.insights.choices import AlertKind, AlertUnit
from pathscore.insights.selectors import key_stages
from pathscore.org.models import User
from pathscore.process import stalls
from pathscore.process.choices import NodeState
from pathscore.process.models import HandoffTask, NodeInstance, ProjectProcess

HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")


def _one_place(value) -> Decimal:
    return Decimal(value).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass
class Finding:
    """A condition that holds today, ready to become (or refresh) an alert."""

    kind: str
    subject_key: str
    person_id: int
    measured: Decimal
    threshold: Decimal
    unit: str
    detail: dict = field(default_factory=dict)
    project_id: int | None = None
    document_id: int | None = None
    followup_id: int | None = None
    node_id: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.subject_key)


# --- Stage conversion ------------------------------------------------------------------------


def conversion_window(today: dt.date, values: dict) -> tuple[dt.date, dt.date]:
    days = int(values[thresholds.CONVERSION_WINDOW_DAYS])
    return today - dt.timedelta(days=days - 1), today


def conversion_nodes(start: dt.date, end: dt.date, pairs: list[tuple[str, str]]) -> QuerySet:
    """From-nodes approved in ``start``..``end``, each with its ``doer``, the ``next_code``
    of its pair and ``converted``: the project's next key node approved by ``end``."""
    next_code = Case(
        *[When(definition__code=first, then=Value(second)) for first, second in pairs],
        output_field=CharField(),
    )
    reached = NodeInstance.objects.filter(
        project=OuterRef("project"),
        definition__code=OuterRef("next_code"),
        state=NodeState.APPROVED,
        completed_on__lte=end,
    )
    return (
        NodeInstance.objects.filter(
            definition__code__in=[first for first, _second in pairs],
            state=NodeState.APPROVED,
            completed_on__gte=start,
            completed_on__lte=end,
        )
        # The stored credited person: the submitter, else the owner (process/credit.py).
        .annotate(doer=F("credited_to"), next_code=next_code)
        .annotate(converted=Exists(reached))
    )


def conversion_findings(today: dt.date, values: dict) -> list[Finding]:
    """Salespeople whose conversion between two key nodes is below the threshold's share
    of their team's. Three queries."""
    stages = key_stages()
    pairs = [(first.code, second.code) for first, second in zip(stages, stages[1:], strict=False)]
    if not pairs:
        return []
    names = {stage.code: stage.name for stage in stages}
    start, end = conversion_window(today, values)
    share = values[thresholds.CONVERSION_SHARE]
    minimum = int(values[thresholds.CONVERSION_MIN_PROJECTS])
    teams = dict(
        User.objects.filter(
            is_active=True, department__isnull=False, role_grants__role=Role.SALESPERSON
        ).values_list("pk", "department_id")
    )
    rows = (
        conversion_nodes(start, end, pairs)
        .filter(doer__in=list(teams))
        .order_by()
        .values("doer", "definition__code")
        .annotate(total=Count("pk"), converted_n=Count("pk", filter=Q(converted=True)))
    )
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    team_counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (row["doer"], row["definition__code"])
        counts[key] = (row["total"], row["converted_n"])
        pooled = team_counts[(teams[row["doer"]], row["definition__code"])]
        pooled[0] += row["total"]
        pooled[1] += row["converted_n"]
    next_of = dict(pairs)
    findings = []
    for (person_id, code), (total, converted) in sorted(counts.items()):
        team_total, team_converted = team_counts[(teams[person_id], code)]
        if total < minimum or not team_converted:
            continue
        rate = Decimal(converted) * HUNDRED / Decimal(total)
        team_rate = Decimal(team_converted) * HUNDRED / Decimal(team_total)
        cut = team_rate * share / HUNDRED
        if rate >= cut:
            continue
        to_code = next_of[code]
        findings.append(
            Finding(
                kind=AlertKind.CONVERSION,
                subject_key=f"conversion:{person_id}:{code}:{to_code}",
                person_id=person_id,
                measured=_one_place(rate),
                threshold=_one_place(cut),
                unit=AlertUnit.PERCENT,
                detail={
                    "from": code,
                    "to": to_code,
                    "from_name": names[code],
                    "to_name": names[to_code],
                    "projects": total,
                    "converted": converted,
                    "team_rate": str(_one_place(team_rate)),
                    "team_projects": team_total,
                    "share": str(share),
                    "since": start.isoformat(),
                    "until": end.isoformat(),
                },
            )
        )
    return findings


# --- Proposal adjustment -----------------------------------------------------------------------


def waiting_proposals(today: dt.date, days: int) -> QuerySet:
    """Proposals on active projects whose latest version has the customer's feedback and
    no newer version, for more than ``days`` days; with ``latest_number``,
    ``feedback_on`` and ``waiting`` (days since the feedback). One query."""
    latest = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
    return (
        Document.objects.filter(
            kind__in=PROPOSAL_KINDS,
            project__status=ProjectStatus.ACTIVE,
            version_count__gte=1,
        )
        .annotate(
            latest_number=Subquery(latest.values("number")[:1]),
            feedback_on=Subquery(latest.values("feedback_on")[:1]),
        )
        .filter(feedback_on__isnull=False)
        .annotate(waiting=DaysSince(today, "feedback_on"))
        .filter(waiting__gt=days)
    )


def adjustment_findings(today: dt.date, values: dict) -> list[Finding]:
    days = int(values[thresholds.ADJUSTMENT_DAYS])
    rows = waiting_proposals(today, days).values(
        "pk", "title", "project_id", "project__owner_id", "latest_number", "feedback_on", "waiting"
    )
    return [
        Finding(
            kind=AlertKind.ADJUSTMENT,
            # A new version with new feedback is a new wait, so the version is in the key.
            subject_key=f"adjustment:{row['pk']}:{row['latest_number']}",
            person_id=row["project__owner_id"],
            measured=_one_place(row["waiting"]),
            threshold=_one_place(days),
            unit=AlertUnit.DAYS,
            project_id=row["project_id"],
            document_id=row["pk"],
            detail={
                "title": row["title"],
                "version": row["latest_number"],
                "feedback_on": row["feedback_on"].isoformat(),
            },
        )
        for row in rows
    ]


# --- Stalls ------------------------------------------------------------------------------------


def stall_findings(today: dt.date, values: dict) -> list[Finding]:
    rows = stalls.stalled_processes(ProjectProcess.objects.all(), today).values(
        "project_id",
        "project__owner_id",
        "current_node_id",
        "current_node__definition__code",
        "current_node__definition__name",
        "current_since",
        "stall_age",
        "node_stall_days",
        "learned_days",
        "stall_reason",
    )
    findings = []
    for row in rows:
        limits = [row["node_stall_days"]]
        if row["learned_days"] is not None:
            limits.append(row["learned_days"])
        findings.append(
            Finding(
                kind=AlertKind.STALL,
                subject_key=f"stall:{row['project_id']}:{row['current_node_id']}",
                person_id=row["project__owner_id"],
                measured=_one_place(row["stall_age"]),
                # The threshold the project passed first: the lower of the two.
                threshold=_one_place(min(limits)),
                unit=AlertUnit.DAYS,
                project_id=row["project_id"],
                node_id=row["current_node_id"],
                detail={
                    "node_code": row["current_node__definition__code"],
                    "node_name": row["current_node__definition__name"],
                    "since": row["current_since"].isoformat(),
                    "node_days": row["node_stall_days"],
                    "learned_days": row["learned_days"],
                    "reason": row["stall_reason"],
                },
            )
        )
    return findings


# --- Feedback relay ----------------------------------------------------------------------------


def relay_tasks_for(followup_ref: str = "pk") -> QuerySet:
    """Hand-off tasks that pass on a follow-up's feedback: on its project, created after
    it, by hand or by the rule answering that very follow-up."""
    source_ref = Concat(Value("followup:"), Cast(OuterRef(followup_ref), output_field=CharField()))
    return HandoffTask.objects.filter(
        project=OuterRef("project"), created_at__gte=OuterRef("occurred_at")
    ).filter(Q(rule__isnull=True) | Q(source_ref=source_ref))


#: Feedback older than this is history for the reports, not an alert to act on now.
RELAY_LOOKBACK_DAYS = 30


def unrelayed_followups(since: dt.datetime) -> QuerySet:
    """Follow-ups on active projects, recorded before ``since`` (and within the
    look-back), with customer needs still open and nothing handed to another team since.
    One query."""
    open_needs = CustomerNeed.objects.filter(followup=OuterRef("pk"), handled_at__isnull=True)
    return (
        FollowUp.objects.filter(
            project__isnull=False,
            project__status=ProjectStatus.ACTIVE,
            occurred_at__lte=since,
            occurred_at__gte=since - dt.timedelta(days=RELAY_LOOKBACK_DAYS),
        )
        .filter(Exists(open_needs))
        .exclude(Exists(relay_tasks_for()))
    )


def relay_findings(now: dt.datetime, values: dict) -> list[Finding]:
    hours = values[thresholds.RELAY_HOURS]
    rows = unrelayed_followups(now - dt.timedelta(hours=float(hours))).values(
        "pk", "project_id", "author_id", "occurred_at"
    )
    return [
        Finding(
            kind=AlertKind.RELAY,
            subject_key=f"relay:{row['pk']}",
            person_id=row["author_id"],
            measured=_one_place((now - row["occurred_at"]).total_seconds() / 3600),
            threshold=_one_place(hours),
            unit=AlertUnit.HOURS,
            project_id=row["project_id"],
            followup_id=row["pk"],
            detail={"occurred_at": row["occurred_at"].isoformat()},
        )
        for row in rows
    ]


def findings(*, today: dt.date, now: dt.datetime, values: dict | None = None) -> list[Finding]:
    """Every condition that holds now, of every kind."""
    values = values or thresholds.current()
    return [
        *conversion_findings(today, values),
        *adjustment_findings(today, values),
        *stall_findings(today, values),
        *relay_findings(now, values),
    ]
