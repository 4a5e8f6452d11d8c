"""Reads of the team dashboard and its drill-downs: every figure aggregated in SQL.

Each function takes a :class:`~pathscore.insights.filters.Slice` (who is looking, which
dates, which part of the company) and starts from ``visible_to(slice.viewer)``, so a
manager never counts another team's records. Each runs a fixed number of queries
whatever the number of people or records; Python only reshapes the aggregated rows.

The figures reuse the evaluation's definitions where they exist (the on-time rate and
the follow-up cycle are the indicators of ``scoring/catalogue.py``, proposal revisions
are ``crm.selectors.proposal_revisions``), so a tile and a score never disagree.
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
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.core.localtime import (
    DaysBetween,
    MillisecondsBetween,
    SecondsSum,
    WeekOf,
    company_days,
    local_week,
)
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for
from pathscore.crm import options
from pathscore.crm import selectors as crm_selectors
from pathscore.crm.choices import PROPOSAL_KINDS, ProjectStatus
from pathscore.crm.models import Document, DocumentVersion, FollowUp, Project
from pathscore.insights import onetrip
from pathscore.insights.filters import Slice
from pathscore.insights.models import ActiveProjectCount, FollowUpDayCount
from pathscore.org.models import User
from pathscore.process import stalls
from pathscore.process.choices import OPEN_STATES, NodeState, VersionStatus
from pathscore.process.models import NodeDefinition, NodeInstance, ProjectProcess, TemplateVersion
from pathscore.scoring import catalogue
from pathscore.scoring.choices import PeriodState
from pathscore.scoring.models import LiveScore, Period, Result
from pathscore.scoring.services import LIVE_STALE_AFTER, current_open_period

#: "Due soon" on the tile: planned due today or within this many days.
DUE_SOON_DAYS = 7
#: Rows of the stalled-projects table on the dashboard (the full list is one click away).
STALLED_ROWS = 10
#: Frozen periods drawn in each salesperson's sparkline.
SPARKLINE_PERIODS = 6
#: Read the dashboard's counts from the rollups (``insights.rollups``); False reads the raw
#: rows, which must give the same numbers (the tests compare both).
USE_ROLLUPS = True
HUNDRED = Decimal(100)
ONE_PLACE = Decimal("0.1")
SECONDS_PER_DAY = 86400

#: Buckets of the project cycle (days from the project's start to signing).
CYCLE_BUCKETS = (
    ("0-90", 0, 90),
    ("91-180", 91, 180),
    ("181-270", 181, 270),
    ("271-365", 271, 365),
    ("366-545", 366, 545),
    ("546+", 546, None),
)
#: Proposal documents by number of versions; the last bucket holds this many or more.
MOST_VERSIONS = 5


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_PLACE, ROUND_HALF_UP)


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal; None when there is no whole."""
    return _rate(part, whole)


def mean(values) -> Decimal | None:
    """The mean of the values that are not None, one decimal; None when there are none."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return (sum(present, Decimal(0)) / len(present)).quantize(ONE_PLACE, ROUND_HALF_UP)


def days(seconds, count: int) -> Decimal | None:
    """Average days of ``count`` gaps summing to ``seconds``, one decimal."""
    return _days(seconds, count)


def _days(seconds: float | None, count: int) -> Decimal | None:
    if not count or seconds is None:
        return None
    return (Decimal(seconds) / SECONDS_PER_DAY / count).quantize(ONE_PLACE, ROUND_HALF_UP)


def _week_of(value) -> dt.date:
    """The Monday a truncated week starts on, as a local date."""
    if isinstance(value, str):  # SQLite's own date(): 'YYYY-MM-DD'
        return dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def weeks_of(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of every week the period touches."""
    monday = start - dt.timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


# --- The records of a slice ---------------------------------------------------------------
#
# A manager's scope is an OR (their team's records, or a project or customer they may see
# through other work, or their own); no index serves an OR, so the database would read
# company-sized sets to answer a team's question. The dashboard is about the team's work,
# so for a manager each reader first takes the records of the team's people — follow-ups
# they wrote, projects (and their nodes) they own, the people being the manager and
# everyone in the subtrees they head — through the person's index, and keeps
# ``visible_to`` on top so nothing outside the scope can ever be counted. HR and
# executives see the company: nothing is narrowed for them. Every tile and its drill-down
# list read through these same functions, so they always count the same records.


def _team_q(s: Slice, person: str) -> Q:
    """The slice's records of the viewer's team (``Slice.team_ids``), through ``person``."""
    if s.team_ids is None:
        return Q()
    return Q(**{f"{person}__in": s.team_ids})


def projects(s: Slice) -> QuerySet:
    return Project.objects.visible_to(s.viewer).filter(_team_q(s, "owner")).filter(s.project_q())


def _team_projects(s: Slice) -> QuerySet:
    """The team's projects the viewer may see: the scope rule over a few hundred rows (the
    owner's index). Records reached through a project start from these (see ``nodes``)."""
    return Project.objects.visible_to(s.viewer).filter(owner__in=s.team_ids)


def processes(s: Slice) -> QuerySet:
    if s.team_ids is None:
        return ProjectProcess.objects.visible_to(s.viewer).filter(s.project_q("project__"))
    # The owner condition again on the joined project: it lets the planner start from the
    # team's projects when the query joins them anyway (the stalled table does).
    return (
        ProjectProcess.objects.filter(project__in=_team_projects(s).values("pk"))
        .filter(project__owner__in=s.team_ids)
        .filter(s.project_q("project__"))
    )


def nodes(s: Slice) -> QuerySet:
    if s.team_ids is None:
        return NodeInstance.objects.visible_to(s.viewer).filter(s.project_q("project__"))
    # The nodes of the team's projects that the viewer may see: the scope rule applied to
    # the team's few hundred projects (the owner's index), their nodes through the project's
    # index. A node is visible when its project is, so nothing outside the scope comes in;
    # starting from the node's own rule instead made PostgreSQL read every open node.
    return NodeInstance.objects.filter(project__in=_team_projects(s).values("pk")).filter(
        s.project_q("project__")
    )


def open_nodes(s: Slice) -> QuerySet:
    """Open nodes of the slice's active projects (the tiles "due soon" and "overdue").

    For a manager the active condition goes into the team's projects, so the database
    starts from the team's active projects (the owner-and-status index) rather than
    checking the status of every node's project one by one."""
    if s.team_ids is None:
        return nodes(s).filter(project__status=ProjectStatus.ACTIVE, state__in=OPEN_STATES)
    active = _team_projects(s).filter(status=ProjectStatus.ACTIVE)
    return NodeInstance.objects.filter(
        project__in=active.values("pk"), state__in=OPEN_STATES
    ).filter(s.project_q("project__"))


def approved_submitted(s: Slice, start: dt.date, end: dt.date) -> QuerySet:
    """The slice's approved nodes whose submission falls within ``start``..``end``: the
    catalogue's definition (indicator "node on-time rate") and the slice's nodes, as one
    set of conditions. (As ``pk__in`` the slice's nodes, the database first listed every
    node of the team's projects, then looked each up again.)"""
    return catalogue.approved_submitted(start, end) & nodes(s)


def followup_q(s: Slice) -> Q:
    """The slice on follow-ups: the department and salesperson are the author's (credit
    follows the doer); the customer type is the follow-up's customer's."""
    q = s.person_q("author") & _team_q(s, "author")
    if s.customer_type is not None:
        q &= Q(customer__customer_type=s.customer_type)
    if s.category is not None:
        q &= Q(project__category=s.category)
    if s.node:
        q &= Q(project__process__current_node__definition__code=s.node)
    return q


def followups(s: Slice) -> QuerySet:
    return FollowUp.objects.visible_to(s.viewer).filter(followup_q(s))


def followups_between(s: Slice, start: dt.date, end: dt.date) -> QuerySet:
    # The catalogue's own window: local days, both included.
    return followups(s).filter(catalogue.between("occurred_at", start, end))


#: The fields of a salesperson that the dashboard shows (name, team, the team's place).
SHOWN_PERSON_FIELDS = ("name", "department__name", "department__path", "department__parent")


def salespeople(s: Slice) -> QuerySet:
    """Active salespeople the viewer may see (their subtree; everyone for HR and
    executives), narrowed to the chosen department, in department then name order."""
    people = User.objects.visible_to(s.viewer).filter(
        is_active=True, role_grants__role=Role.SALESPERSON
    )
    people = people.filter(s.person_q("pk", path="department__path"))
    return people.select_related("department").order_by("department__path", "name", "pk")


def customer_type_names() -> dict[int, str]:
    """Every customer type by id, in the viewer's language (one query)."""
    return {
        option.pk: str(option)
        for option in Option.objects.filter(kind=options.CUSTOMER_TYPE).order_by("sort_order", "pk")
    }


# --- KPI tiles -----------------------------------------------------------------------------


@dataclass
class Kpis:
    active_projects: int
    due_soon: int
    overdue: int
    on_time_rate: Decimal | None
    on_time_rate_before: Decimal | None
    approved_nodes: int
    followups: int
    followups_before: int


def _only_aggregates(queryset: QuerySet, **aggregates) -> QuerySet:
    """``queryset.aggregate(**aggregates)`` as a queryset still to run: grouped by a
    constant, which the ORM leaves out, so it answers one row (see ``onetrip.one_row``)."""
    return (
        queryset.order_by()
        .annotate(_all=Value(1, output_field=IntegerField()))
        .values("_all")
        .annotate(**aggregates)
        .values(*aggregates)
    )


def kpis(s: Slice) -> Kpis:
    """The tiles: four counts over projects, open nodes, approved nodes and follow-ups,
    read in one query whatever the team's size."""
    before = s.previous
    active = _only_aggregates(projects(s).filter(status=ProjectStatus.ACTIVE), active=Count("pk"))
    due = _only_aggregates(
        open_nodes(s),
        due_soon=Count(
            "pk",
            filter=Q(
                planned_due__gte=s.today,
                planned_due__lte=s.today + dt.timedelta(days=DUE_SOON_DAYS),
            ),
        ),
        overdue=Count("pk", filter=Q(planned_due__lt=s.today)),
    )
    # The indicator "node on-time rate": approved nodes whose submission falls in the period.
    approved = _only_aggregates(
        approved_submitted(s, before.start, s.end),
        approved_now=Count("pk", filter=catalogue.between("submitted_at", s.start, s.end)),
        approved_now_on_time=Count(
            "pk", filter=catalogue.between("submitted_at", s.start, s.end) & Q(days_late=0)
        ),
        approved_before=Count(
            "pk", filter=catalogue.between("submitted_at", before.start, before.end)
        ),
        approved_before_on_time=Count(
            "pk",
            filter=catalogue.between("submitted_at", before.start, before.end) & Q(days_late=0),
        ),
    )
    counted = _only_aggregates(
        followups_between(s, before.start, s.end),
        followups_now=Count("pk", filter=catalogue.between("occurred_at", s.start, s.end)),
        followups_before=Count(
            "pk", filter=catalogue.between("occurred_at", before.start, before.end)
        ),
    )
    row = onetrip.one_row(active, due, approved, counted)
    return Kpis(
        active_projects=row["active"],
        due_soon=row["due_soon"],
        overdue=row["overdue"],
        on_time_rate=_rate(row["approved_now_on_time"], row["approved_now"]),
        on_time_rate_before=_rate(row["approved_before_on_time"], row["approved_before"]),
        approved_nodes=row["approved_now"],
        followups=row["followups_now"],
        followups_before=row["followups_before"],
    )


def due_soon_nodes(s: Slice) -> QuerySet:
    return open_nodes(s).filter(
        planned_due__gte=s.today,
        planned_due__lte=s.today + dt.timedelta(days=DUE_SOON_DAYS),
    )


def overdue_nodes(s: Slice) -> QuerySet:
    return open_nodes(s).filter(planned_due__lt=s.today)


def approved_nodes(s: Slice) -> QuerySet:
    """The nodes behind the on-time rate, each with ``on_time``."""
    return approved_submitted(s, s.start, s.end).annotate(
        on_time=Case(When(days_late=0, then=Value(True)), default=Value(False))
    )


# --- Projects by current node × customer type --------------------------------------------


@dataclass
class NodeColumn:
    code: str
    name: str
    #: Projects at this node by customer type id.
    by_type: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


@dataclass
class Stage:
    code: str
    name: str


@dataclass
class PublishedNodes:
    """The node codes of the published process templates, from one query."""

    #: Each code's earliest place in a published process (a variant template may insert
    #: nodes, so the same code sits at different places).
    positions: dict[str, int]
    #: The codes every published template has, in process order (see :func:`key_stages`).
    stages: list[Stage]


def published_nodes() -> PublishedNodes:
    """Every node code of the published templates with its earliest place, its name and
    the number of published templates having it, beside the number of published
    templates (a scalar subquery): the node chart's order and the funnel's key stages in
    one query."""
    published = (
        TemplateVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .order_by()
        .annotate(_all=Value(1, output_field=IntegerField()))
        .values("_all")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        NodeDefinition.objects.filter(version__status=VersionStatus.PUBLISHED)
        .order_by()
        .values("code")
        .annotate(
            versions=Count("version", distinct=True),
            position=Min("order"),
            name=Min("name"),
            published=Subquery(published, output_field=IntegerField()),
        )
        .order_by("position", "code")
    )
    return PublishedNodes(
        positions={row["code"]: row["position"] for row in rows},
        stages=[
            Stage(code=row["code"], name=row["name"])
            for row in rows
            if row["versions"] == row["published"]
        ],
    )


def _per_request(s: Slice, key: str, read):
    """``read()`` once per slice: a slice is made for one request, so two selectors of the
    same page asking the same thing share one query, and nothing outlives the request."""
    kept = s.__dict__.setdefault("_per_request", {})
    if key not in kept:
        kept[key] = read()
    return kept[key]


def node_positions() -> dict[str, int]:
    """Each node code's earliest place in a published process. One query."""
    return published_nodes().positions


def _rollup(s: Slice) -> QuerySet | None:
    """The slice's rows of the rollup ``ActiveProjectCount``, or None when the slice asks
    something the rollup cannot answer (then the raw rows are read).

    The rollup is per owner, so it counts exactly what :func:`projects` counts: for a
    manager the team's projects (``visible_to`` holds every project a team member owns),
    for HR and executives every project; department and salesperson are the owner's,
    customer type, category and current node are columns of its key."""
    scope = scope_for(s.viewer)
    if scope.is_anonymous:
        return ActiveProjectCount.objects.none()
    rows = ActiveProjectCount.objects.filter(_team_q(s, "owner")).filter(s.person_q("owner"))
    if s.customer_type is not None:
        rows = rows.filter(customer_type=s.customer_type)
    if s.category is not None:
        rows = rows.filter(category=s.category)
    if s.node:
        rows = rows.filter(definition__code=s.node)
    return rows


def _rollup_rows(s: Slice) -> list[dict] | None:
    """The slice's active projects from the rollup by current node code (None: no current
    node) and customer type, with the node's earliest place and name; None when the
    rollup cannot answer. Read once per request: the node chart and the customer type
    chart both sum these rows."""

    def read():
        rollup = _rollup(s)
        if rollup is None:
            return None
        return list(
            rollup.order_by()
            .values(code=F("definition__code"))
            .annotate(
                type_id=F("customer_type"),
                n=Sum("count"),
                position=Min("node_order"),
                name=Min("definition__name"),
            )
        )

    return _per_request(s, "rollup_rows", read)


def _node_rows(s: Slice):
    """(code, customer type, projects, earliest place, name) of the active projects at a
    current node: from the rollup when it can answer, else joined from the raw rows."""
    rollup = _rollup_rows(s) if USE_ROLLUPS else None
    if rollup is not None:
        return [row for row in rollup if row["code"] is not None]
    return (
        processes(s)
        .filter(project__status=ProjectStatus.ACTIVE, current_node__isnull=False)
        .order_by()
        .values(code=F("current_node__definition__code"))
        .annotate(
            type_id=F("project__customer__customer_type"),
            n=Count("pk"),
            position=Min("current_node__order"),
            name=Min("current_node__definition__name"),
        )
    )


def projects_by_node(s: Slice) -> list[NodeColumn]:
    """Active projects by their current node (matched by code, in process order), each
    split by customer type. One query (the rollup's rows are shared with the customer type
    chart), and the published nodes' order, shared with the funnel."""
    columns: dict[str, NodeColumn] = {}
    positions = dict(_per_request(s, "published_nodes", published_nodes).positions)
    for row in _node_rows(s):
        column = columns.setdefault(row["code"], NodeColumn(code=row["code"], name=row["name"]))
        column.by_type[row["type_id"]] = column.by_type.get(row["type_id"], 0) + row["n"]
        # A node of a retired version only: its place in the project's own process.
        positions.setdefault(row["code"], row["position"])
    return sorted(columns.values(), key=lambda column: (positions[column.code], column.code))


def at_node_projects(s: Slice, code: str) -> QuerySet:
    return projects(s).filter(
        status=ProjectStatus.ACTIVE, process__current_node__definition__code=code
    )


# --- Customer type share -------------------------------------------------------------------


def active_by_customer_type(s: Slice) -> dict[int, int]:
    """Active projects by customer type (with or without a current node). One query."""
    rollup = _rollup_rows(s) if USE_ROLLUPS else None
    if rollup is not None:
        by_type: dict[int, int] = defaultdict(int)
        for row in rollup:
            by_type[row["type_id"]] += row["n"]
        return dict(by_type)
    rows = (
        projects(s)
        .filter(status=ProjectStatus.ACTIVE)
        .order_by()
        .values("customer__customer_type")
        .annotate(n=Count("pk"))
        .values_list("customer__customer_type", "n")
    )
    return dict(rows)


# --- Follow-up cycle by week -------------------------------------------------------------


def followup_cycle_by_week(s: Slice) -> dict[dt.date, Decimal]:
    """The average gap in days between a follow-up and the same author's previous one on
    the same active project, both within the period (the indicator "follow-up cycle"),
    by the week of the later follow-up.

    One grouped query: each follow-up stores the previous one's time in its chain (ties
    taken in id order; ``previous_at``, crm.chain), so the gaps of the period are the
    period's follow-ups whose previous one falls in it too — the chain whose gaps the
    indicator averages as (last − first) / (n − 1), so over the whole period the chart and
    the indicator agree. A chain is one author on one project, so the viewer sees all of
    it or none of it."""
    rows = (
        followups_between(s, s.start, s.end)
        .filter(
            # The project is active: stored on the follow-up (crm.active).
            project_active=True,
            previous_at__gte=timezone.make_aware(dt.datetime.combine(s.start, dt.time.min)),
        )
        .annotate(week=local_week("occurred_at", s.start, s.end))
        .order_by()
        .values("week")
        .annotate(total=SecondsSum("occurred_at", "previous_at"), n=Count("*"))
        .values_list("week", "total", "n")
    )
    return {_week_of(week): _days(total, n) for week, total, n in rows if total is not None}


# --- Follow-ups per salesperson per week -----------------------------------------------------


def followups_by_author_week(s: Slice, people_ids: list[int]) -> dict[tuple[int, dt.date], int]:
    """Follow-ups of ``people_ids`` by author and local week (its Monday), within the
    period. One query: from the rollup of follow-ups per day when it can answer (see
    :func:`_followup_days`), else counted from the raw rows."""
    days = _followup_days(s) if USE_ROLLUPS else None
    if days is not None:
        rows = (
            days.filter(author__in=people_ids)
            .annotate(week=WeekOf("day"))
            .order_by()
            .values("author", "week")
            .annotate(n=Sum("count"))
            .values_list("author", "week", "n")
        )
    else:
        rows = (
            followups_between(s, s.start, s.end)
            .filter(author__in=people_ids)
            .annotate(week=local_week("occurred_at", s.start, s.end))
            .order_by()
            .values("author", "week")
            # Rows, not keys, counted: PostgreSQL reads the author index alone.
            .annotate(n=Count("*"))
            .values_list("author", "week", "n")
        )
    # A thousand people × thirteen weeks for the company: tuples, not dicts.
    counts: dict[tuple[int, dt.date], int] = defaultdict(int)
    for author, week, n in rows:
        counts[(author, _week_of(week))] += n
    return dict(counts)


def _followup_days(s: Slice) -> QuerySet | None:
    """The slice's rows of the rollup ``FollowUpDayCount`` within the period, or None when
    the slice asks something the rollup cannot answer (then the raw rows are read).

    The rollup is per author and local day, so it answers when the slice filters nothing
    about the follow-up's project or customer (customer type, category, current node) and
    the viewer's local days are the company's. It counts exactly what :func:`followups`
    counts: whoever is signed in sees every follow-up they wrote, a manager every one
    their team wrote (the scope's author rule) and HR and executives all, so the team's
    and the person's conditions on the author are the whole scope."""
    if s.record_q() or not company_days(s.start, s.end):
        return None
    if scope_for(s.viewer).is_anonymous:
        return FollowUpDayCount.objects.none()
    return (
        FollowUpDayCount.objects.filter(day__gte=s.start, day__lte=s.end)
        .filter(_team_q(s, "author"))
        .filter(s.person_q("author"))
    )


def week_followups(s: Slice, week: dt.date) -> QuerySet:
    """Follow-ups of one week, clipped to the period."""
    start = max(week, s.start)
    end = min(week + dt.timedelta(days=6), s.end)
    return followups_between(s, start, end)


# --- Stage conversion funnel --------------------------------------------------------------


def key_stages() -> list[Stage]:
    """The nodes every published process template has (matched by code), in process
    order: the common path along which salespeople can be compared. One query."""
    return published_nodes().stages


def _reached(code: str, end: dt.date):
    return Exists(
        NodeInstance.objects.filter(
            project=OuterRef("pk"),
            definition__code=code,
            state=NodeState.APPROVED,
            completed_on__lte=end,
        )
    )


def funnel_projects(s: Slice) -> QuerySet:
    """The funnel's projects: those started by the end of the period that follow a
    process, whatever their status (a lost project also passed the early nodes)."""
    return projects(s).filter(started_on__lte=s.end, process__isnull=False)


def reached_projects(s: Slice, code: str) -> QuerySet:
    return funnel_projects(s).filter(_reached(code, s.end))


@dataclass
class Funnel:
    stages: list[Stage]
    #: Per owner id: projects in the funnel and the share (%) reaching each stage.
    projects: dict[int, int]
    shares: dict[int, list[Decimal | None]]
    #: The mean of the salespeople's shares at each stage.
    team: list[Decimal | None]
    #: Per owner id: how many of their projects reached each stage (for teams' shares).
    reached: dict[int, list[int]] = field(default_factory=dict)


def funnel(s: Slice, people_ids: list[int]) -> Funnel:
    """The share of each salesperson's projects that reached each key node by the end of
    the period, against the team's average share. Two queries: the key stages (shared with
    the node chart) and the projects with the stages they reached.

    The reached stages are counted from each project's approved nodes, joined and counted
    per owner, rather than by one ``Exists`` per stage per project: at 100,000 projects
    the correlated subqueries cost seconds, the grouped join a fraction of that."""
    stages = _per_request(s, "published_nodes", published_nodes).stages
    if not stages:
        return Funnel(stages=[], projects={}, shares={}, team=[])
    in_funnel = funnel_projects(s).filter(owner__in=people_ids)
    # Per owner: their projects, and those that reached each stage (a project may pass
    # the same node twice, sent back or a variant's repeat: counted once). Each project's
    # nodes are read once, through the project's index, beside the project itself.
    reached_by_stage = {
        f"reached_{i}": Count(
            "pk",
            distinct=True,
            filter=Q(
                nodes__definition__code=stage.code,
                nodes__state=NodeState.APPROVED,
                nodes__completed_on__lte=s.end,
            ),
        )
        for i, stage in enumerate(stages)
    }
    rows = (
        in_funnel.order_by()
        .values("owner")
        .annotate(n=Count("pk", distinct=True), **reached_by_stage)
    )
    totals: dict[int, int] = {}
    counts: dict[int, list[int]] = {}
    for row in rows:
        totals[row["owner"]] = row["n"]
        counts[row["owner"]] = [row[name] for name in reached_by_stage]
    shares: dict[int, list[Decimal | None]] = {
        owner: [_rate(n, totals[owner]) for n in counts[owner]] for owner in totals
    }
    team = []
    for i in range(len(stages)):
        values = [person[i] for person in shares.values() if person[i] is not None]
        team.append(
            (sum(values, Decimal(0)) / len(values)).quantize(ONE_PLACE, ROUND_HALF_UP)
            if values
            else None
        )
    return Funnel(stages=stages, projects=totals, shares=shares, team=team, reached=counts)


# --- Stalled projects ----------------------------------------------------------------------


def stalled(s: Slice) -> QuerySet:
    """Stalled projects in the slice, with days at the node and the thresholds
    (``process/stalls.py``), oldest current node first."""
    return stalls.stalled_projects(s.viewer, s.today, processes=processes(s))


#: What the dashboard's stalled table shows of each row, besides the stall's own figures.
STALLED_SHOWN = ("project__owner", "current_node__definition")
STALL_FIGURES = ("stall_age", "node_stall_days", "learned_days", "learned_samples", "stall_reason")


def stalled_rows(s: Slice, limit: int = STALLED_ROWS) -> tuple[list, int]:
    """The first ``limit`` stalled projects of :func:`stalled` and how many there are.

    Two queries: the rows' ids, stall figures and the total from the stall conditions
    alone, then those few rows with the project, owner and node they show. Joined into
    one, the related tables made PostgreSQL's plan of the stall conditions cost more than
    both queries together."""
    first = list(
        stalls.stalled_processes(processes(s), s.today)
        .order_by("current_since", "pk")
        .annotate(total=Window(Count("pk")))
        .values("pk", "total", *STALL_FIGURES)[:limit]
    )
    if not first:
        return [], 0
    shown = ProjectProcess.objects.select_related(*STALLED_SHOWN).in_bulk(
        [row["pk"] for row in first]
    )
    rows = []
    for figures in first:
        row = shown.get(figures["pk"])
        if row is None:  # deleted between the two queries
            continue
        for name in STALL_FIGURES:
            setattr(row, name, figures[name])
        rows.append(row)
    return rows, first[0]["total"]


# --- Ranking by current score --------------------------------------------------------------


def open_period(today: dt.date) -> Period | None:
    """The open appraisal period covering today, else the latest open one."""
    return current_open_period(today)


@dataclass
class Ranked:
    person: User
    total: Decimal
    rank: int
    #: Frozen totals of the last closed periods, oldest first: (period name, total); filled
    #: in by ``with_history`` for the rows shown.
    history: list[tuple[str, Decimal]] = field(default_factory=list)


@dataclass
class Ranking:
    period: Period | None
    rows: list[Ranked] = field(default_factory=list)
    #: When the stored scores shown (the oldest of them) were computed; ``None`` when the
    #: period has no stored scores yet.
    computed_at: dt.datetime | None = None
    #: No stored scores yet, or older than the scheduled refresh allows: the page says so
    #: and the view queues a refresh.
    stale: bool = False


def ranking(s: Slice, people: list[User]) -> Ranking:
    """Salespeople by their live score in the open period, best first (their frozen
    totals of the last periods come from ``with_history``, for the rows shown).

    The scores are those stored by the scheduled refresh (``scoring.services.
    live_scores_refresh``): one query, ordered in SQL, whatever the number of people.
    Competition ranking: equal totals share a rank (1, 2, 2, 4), then by name."""
    period = open_period(s.today)
    if period is None or not people:
        return Ranking(period=period)
    by_id = {person.pk: person for person in people}
    stored = list(
        LiveScore.objects.visible_to(s.viewer)
        .filter(period=period, person__in=list(by_id))
        .order_by("-total", "person_id")
        .values_list("person_id", "total", "computed_at")
    )
    # Equal totals by name, compared in Python as the ranking always has: the same order
    # on every database, whatever its collation.
    stored.sort(key=lambda row: (-row[1], by_id[row[0]].name))
    if stored:
        computed_at = min(row[2] for row in stored)
    else:
        # Nobody shown has a stored score: none computed yet, or none of these people
        # has a scorecard (then the period's other rows say when the refresh ran).
        computed_at = (
            LiveScore.objects.filter(period=period)
            .order_by("computed_at")
            .values_list("computed_at", flat=True)
            .first()
        )
    stale = computed_at is None or computed_at < timezone.now() - LIVE_STALE_AFTER
    ranked: list[Ranked] = []
    for position, (person_id, total, _at) in enumerate(stored, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].total == total else position
        ranked.append(
            Ranked(
                person=by_id[person_id],
                total=total,
                rank=rank,
            )
        )
    return Ranking(period=period, rows=ranked, computed_at=computed_at, stale=stale)


def with_history(s: Slice, rows: list[Ranked]) -> list[Ranked]:
    """Fill in the frozen totals of each row's person over their last closed periods,
    oldest first (one query). Only for the rows a page shows: the company's ranking lists
    a thousand people and shows thirty."""
    if not rows:
        return rows
    frozen_periods = Period.objects.exclude(state=PeriodState.OPEN).order_by("-starts_on", "-pk")
    by_person = {row.person.pk: row for row in rows}
    for row in rows:
        row.history = []
    results = (
        Result.objects.visible_to(s.viewer)
        .filter(
            person__in=list(by_person),
            period__in=frozen_periods.values("pk")[:SPARKLINE_PERIODS],
            version=F("period__version"),
        )
        .order_by("period__starts_on", "period_id")
        .values_list("person", "period__name", "total")
    )
    for person_id, period_name, total in results:
        by_person[person_id].history.append((period_name, total))
    return rows


# --- Project cycle distribution ---------------------------------------------------------


def _cycle_bucket() -> Case:
    """The bucket of ``cycle`` (an annotation: days from the start date to signing)."""
    whens = [
        When(cycle__lte=high, then=Value(key))
        for key, _low, high in CYCLE_BUCKETS
        if high is not None
    ]
    return Case(*whens, default=Value(CYCLE_BUCKETS[-1][0]), output_field=CharField())


def won_projects(s: Slice) -> QuerySet:
    """Projects won with a signing date in the period, each with ``cycle`` (days from
    start to signing) and its ``cycle_bucket``."""
    return (
        projects(s)
        .filter(status=ProjectStatus.WON, signed_on__gte=s.start, signed_on__lte=s.end)
        .annotate(cycle=DaysBetween("signed_on", "started_on"))
        .annotate(cycle_bucket=_cycle_bucket())
    )


def cycle_distribution(s: Slice) -> dict[str, int]:
    rows = won_projects(s).order_by().values("cycle_bucket").annotate(n=Count("pk"))
    found = {row["cycle_bucket"]: row["n"] for row in rows}
    return {key: found.get(key, 0) for key, _low, _high in CYCLE_BUCKETS}


# --- Proposal revisions and adjustment cycle ---------------------------------------------


def proposal_documents(s: Slice) -> QuerySet:
    """Proposals (and technical proposals) of the slice's projects that had a version
    uploaded in the period."""
    uploaded = DocumentVersion.objects.filter(document=OuterRef("pk")).filter(
        catalogue.between("uploaded_at", s.start, s.end)
    )
    if s.team_ids is None:
        documents = Document.objects.visible_to(s.viewer)
    else:
        # A document is visible when its project is: start from the team's projects.
        documents = Document.objects.filter(project__in=_team_projects(s).values("pk"))
    return (
        documents.filter(kind__in=PROPOSAL_KINDS)
        .filter(s.project_q("project__"))
        .filter(Exists(uploaded))
    )


def documents_with_versions(s: Slice, versions: int) -> QuerySet:
    documents = proposal_documents(s)
    if versions >= MOST_VERSIONS:
        return documents.filter(version_count__gte=MOST_VERSIONS)
    return documents.filter(version_count=versions)


def revision_distribution(s: Slice) -> dict[int, int]:
    """Proposal documents by their number of versions (1, 2, … ``MOST_VERSIONS``+)."""
    rows = (
        proposal_documents(s)
        .order_by()
        .values("version_count")
        .annotate(n=Count("pk"))
        .values_list("version_count", "n")
    )
    counts = dict.fromkeys(range(1, MOST_VERSIONS + 1), 0)
    for versions, n in rows:
        if versions:
            counts[min(versions, MOST_VERSIONS)] += n
    return counts


def proposal_revisions(s: Slice) -> QuerySet:
    """Revisions (versions after V1) of proposals uploaded in the period, on the slice's
    projects, each with ``gap``: the milliseconds since the previous version."""
    previous = DocumentVersion.objects.filter(
        document=OuterRef("document"), number=OuterRef("number") - 1
    ).values("uploaded_at")[:1]
    in_period = catalogue.between("uploaded_at", s.start, s.end)
    revisions = crm_selectors.proposal_revisions()
    if s.team_ids is None:
        # The scope's subquery bounded by the period too: the database then builds its
        # list of ids from the period's versions, not from every version the viewer sees.
        visible = DocumentVersion.objects.visible_to(s.viewer).filter(in_period)
        revisions = revisions.filter(pk__in=visible.values("pk"))
    else:
        # A version is visible when its document's project is: start from the team's.
        revisions = revisions.filter(document__project__in=_team_projects(s).values("pk"))
    return (
        revisions.filter(s.project_q("document__project__"))
        .filter(in_period)
        .annotate(previous_at=Subquery(previous))
        .filter(previous_at__isnull=False)
        .annotate(gap=MillisecondsBetween("uploaded_at", "previous_at"))
    )


@dataclass
class AdjustmentCycle:
    #: Average days between proposal versions, per project owner.
    by_owner: dict[int, Decimal]
    revisions: dict[int, int]
    names: dict[int, str]
    average: Decimal | None
    #: Per owner: the summed seconds between versions, and their department (id, name),
    #: for the per-team chart of a large slice.
    seconds: dict[int, Decimal] = field(default_factory=dict)
    departments: dict[int, tuple[int | None, str]] = field(default_factory=dict)


def adjustment_cycle(s: Slice) -> AdjustmentCycle:
    """The proposal adjustment cycle: average days from one proposal version to the next,
    by the project's owner and for everyone in the slice. One query."""
    rows = (
        proposal_revisions(s)
        .order_by()
        .values(
            owner=F("document__project__owner"),
            name=F("document__project__owner__name"),
            department=F("document__project__owner__department"),
            department_name=F("document__project__owner__department__name"),
        )
        .annotate(total=Sum("gap"), n=Count("pk"))
    )
    by_owner, revisions, names, per_owner, departments = {}, {}, {}, {}, {}
    seconds, count = Decimal(0), 0
    for row in rows:
        if row["total"] is None:
            continue
        total = Decimal(row["total"]) / 1000  # whole milliseconds: exact
        by_owner[row["owner"]] = _days(total, row["n"])
        revisions[row["owner"]] = row["n"]
        names[row["owner"]] = row["name"]
        per_owner[row["owner"]] = total
        departments[row["owner"]] = (row["department"], row["department_name"] or "")
        seconds += total
        count += row["n"]
    return AdjustmentCycle(
        by_owner=by_owner,
        revisions=revisions,
        names=names,
        average=_days(seconds, count),
        seconds=per_owner,
        departments=departments,
    )


def revised_projects(s: Slice) -> QuerySet:
    return projects(s).filter(pk__in=proposal_revisions(s).values("document__project"))
