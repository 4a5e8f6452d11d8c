"""Reads of the five reports: every figure aggregated in SQL, every queryset scoped.

Each function takes a :class:`~pathscore.insights.filters.Slice` and starts from
``visible_to(slice.viewer)``, so a manager never counts another team's records. Each runs
a fixed number of queries whatever the number of people or records; Python only reshapes
the aggregated rows (one per person, node, category or team) and works out the rates.

Nodes are credited to their doer — who submitted them, or the project's owner while
nobody has — exactly as the indicators of ``scoring/catalogue.py`` are, so the report and
the score never disagree about whose node it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)

from pathscore.core.localtime import DaysSince
from pathscore.insights import selectors as dashboard
from pathscore.insights.filters import Slice
from pathscore.org.models import Department, User
from pathscore.process import selectors as process_selectors
from pathscore.process.choices import OPEN_STATES, NodeState
from pathscore.process.models import DelayCategory, DelayReason, HandoffTask
from pathscore.scoring import catalogue
from pathscore.scoring.choices import PeriodState
from pathscore.scoring.models import Period

#: The delay-reason "category" of a delayed node nobody has explained yet.
NO_REASON = "none"

rate = dashboard._rate


def _average(total, count) -> Decimal | None:
    if not count or total is None:
        return None
    return (Decimal(total) / Decimal(count)).quantize(dashboard.ONE_PLACE)


# --- Nodes of a slice, credited to the doer ---------------------------------------------------


def _doer_path():
    """The department path of a node's doer (the stored credited person: the
    submitter, else the owner)."""
    return F("credited_to__department__path")


def node_q(s: Slice) -> Q:
    """The slice on nodes annotated with ``doer`` and ``doer_path``: the department and
    salesperson are the doer's, the rest the project's."""
    return s.person_q("doer", path="doer_path") & s.record_q("project__")


def due_nodes(s: Slice) -> QuerySet:
    """Nodes due in the period (the base of the indicator "node completion rate"), in
    the slice, each with its ``doer``."""
    return (
        catalogue.nodes_due(s.start, s.end)
        .visible_to(s.viewer)
        .annotate(doer_path=_doer_path())
        .filter(node_q(s))
    )


def _completion_measures(today: dt.date) -> dict:
    approved = Q(state=NodeState.APPROVED)
    late = approved & Q(days_late__gt=0)
    return {
        "due": Count("pk"),
        "completed": Count("pk", filter=approved),
        "on_time": Count("pk", filter=approved & Q(days_late=0)),
        "late": Count("pk", filter=late),
        "overdue_open": Count("pk", filter=Q(state__in=OPEN_STATES, planned_due__lt=today)),
        "days_late": Sum("days_late", filter=late),
    }


@dataclass
class CompletionRow:
    """One line of the node completion report: a person, a node kind or the total."""

    label: str
    due: int
    completed: int
    on_time: int
    late: int
    overdue_open: int
    days_late: int
    person: User | None = None
    code: str = ""

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.completed, self.due)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.completed)

    @property
    def average_days_late(self) -> Decimal | None:
        return _average(self.days_late, self.late)


def _path(person: User) -> str:
    return person.department.path if person.department else ""


def _completion_row(label: str, row: dict, **extra) -> CompletionRow:
    return CompletionRow(
        label=label,
        due=row["due"] or 0,
        completed=row["completed"] or 0,
        on_time=row["on_time"] or 0,
        late=row["late"] or 0,
        overdue_open=row["overdue_open"] or 0,
        days_late=row["days_late"] or 0,
        **extra,
    )


@dataclass
class NodeCompletion:
    people: list[CompletionRow]
    total: CompletionRow
    kinds: list[CompletionRow]


def node_completion(s: Slice) -> NodeCompletion:
    """Per doer, for the team and per node kind: nodes due in the period, completed (approved),
    on time, late, still open past their due date, and the days late. Four queries."""
    measures = _completion_measures(s.today)
    nodes = due_nodes(s).order_by()
    by_doer = list(nodes.values("doer").annotate(**measures))
    names = {
        person.pk: person
        for person in User.objects.filter(pk__in=[row["doer"] for row in by_doer]).select_related(
            "department"
        )
    }
    people = [
        _completion_row(names[row["doer"]].name, row, person=names[row["doer"]])
        for row in by_doer
        if row["doer"] in names
    ]
    people.sort(key=lambda row: (_path(row.person), row.person.name, row.person.pk))
    total = _completion_row("", nodes.aggregate(**measures))
    kinds = [
        _completion_row(row["name"], row, code=row["code"])
        for row in nodes.values(code=F("definition__code"))
        .annotate(name=Min("definition__name"), position=Min("order"), **measures)
        .order_by("position", "code")
    ]
    return NodeCompletion(people=people, total=total, kinds=kinds)


# --- Delays ---------------------------------------------------------------------------------


def _latest_reason_category():
    return Subquery(
        DelayReason.objects.filter(node=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("category")[:1],
        output_field=IntegerField(),
    )


def delayed_nodes(s: Slice) -> QuerySet:
    """Nodes due in the period that were approved late or are still open past their due
    date, each with ``delay_days`` (days late, or overdue so far), ``reason_category`` (the
    category of the latest reason given, None when none was) and ``team`` (the doer's
    department)."""
    late = Q(state=NodeState.APPROVED, days_late__gt=0)
    overdue = Q(state__in=OPEN_STATES, planned_due__lt=s.today)
    return (
        due_nodes(s)
        .filter(late | overdue)
        .annotate(
            delay_days=Case(
                When(state=NodeState.APPROVED, then=F("days_late")),
                default=DaysSince(s.today, "planned_due"),
                output_field=IntegerField(),
            ),
            reason_category=_latest_reason_category(),
            team=F("credited_to__department"),
        )
    )


@dataclass
class DelayRow:
    """Delayed nodes of one reason category or one team."""

    label: str
    count: int
    days: int
    share: Decimal | None
    key: str = ""
    attribution: str = ""

    @property
    def average_days(self) -> Decimal | None:
        return _average(self.days, self.count)


@dataclass
class Delays:
    total: int
    days: int
    categories: list[DelayRow] = field(default_factory=list)
    teams: list[DelayRow] = field(default_factory=list)


def delays(s: Slice, *, no_reason_label: str, no_team_label: str) -> Delays:
    """Delayed nodes by the category of their reason and by the doer's team: how many,
    the days late in all, and the share of all delayed nodes. Four queries."""
    nodes = delayed_nodes(s).order_by()
    totals = nodes.aggregate(n=Count("pk"), days=Sum("delay_days"))
    total, days = totals["n"] or 0, totals["days"] or 0
    result = Delays(total=total, days=days)
    by_category = {
        row["reason_category"]: row
        for row in nodes.values("reason_category").annotate(n=Count("pk"), days=Sum("delay_days"))
    }
    for category in DelayCategory.objects.filter(pk__in=[k for k in by_category if k]):
        row = by_category.pop(category.pk)
        result.categories.append(
            DelayRow(
                label=str(category),
                count=row["n"],
                days=row["days"] or 0,
                share=rate(row["n"], total),
                key=str(category.pk),
                attribution=category.get_attribution_display(),
            )
        )
    result.categories.sort(key=lambda row: (-row.count, row.label))
    if None in by_category:  # nobody has given a reason yet
        row = by_category[None]
        result.categories.append(
            DelayRow(
                label=no_reason_label,
                count=row["n"],
                days=row["days"] or 0,
                share=rate(row["n"], total),
                key=NO_REASON,
            )
        )
    by_team = list(nodes.values("team").annotate(n=Count("pk"), days=Sum("delay_days")))
    teams = Department.objects.in_bulk([row["team"] for row in by_team if row["team"]])
    for row in by_team:
        team = teams.get(row["team"])
        result.teams.append(
            DelayRow(
                label=team.name if team else no_team_label,
                count=row["n"],
                days=row["days"] or 0,
                share=rate(row["n"], total),
                key=str(row["team"] or ""),
            )
        )
    result.teams.sort(key=lambda row: (-row.count, row.label))
    return result


def delayed_in(s: Slice, *, category: str | None = None, team: Department | None = None):
    """The delayed nodes behind one bar or row: a reason category (``NO_REASON`` for
    none given) or a team."""
    nodes = delayed_nodes(s)
    if category == NO_REASON:
        nodes = nodes.filter(reason_category__isnull=True)
    elif category:
        nodes = nodes.filter(reason_category=category)
    if team is not None:
        nodes = nodes.filter(team=team.pk)
    return nodes


# --- Follow-up log --------------------------------------------------------------------------


def followup_log(s: Slice) -> QuerySet:
    """Follow-ups in the period, newest first, with what each row shows loaded."""
    return (
        dashboard.followups_between(s, s.start, s.end)
        .select_related("author", "customer", "project", "mode")
        .order_by("-occurred_at", "-pk")
    )


# --- Collaboration ----------------------------------------------------------------------------


def handoff_tasks(s: Slice) -> QuerySet:
    """Hand-off tasks created in the period on the slice's projects (the department and
    salesperson are the project owner's: whose customers the tasks serve)."""
    return (
        HandoffTask.objects.visible_to(s.viewer)
        .filter(catalogue.between("created_at", s.start, s.end))
        .filter(s.project_q("project__"))
    )


def collaboration(s: Slice) -> list[dict]:
    """The response clock per assigned team and task kind (``process.selectors``), with
    the longest times beside the averages. Two queries."""
    return process_selectors.response_times(handoff_tasks(s), today=s.today)


# --- Evaluation ----------------------------------------------------------------------------


def default_appraisal_period() -> Period | None:
    """The latest closed or published period, else the latest open one."""
    periods = Period.objects.order_by("-ends_on", "-pk")
    return (
        periods.exclude(state=PeriodState.OPEN).first()
        or periods.filter(state=PeriodState.OPEN).first()
    )
