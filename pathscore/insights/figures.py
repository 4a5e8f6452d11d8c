"""The dashboard's figures for one slice — and, for the company-wide view, their store.

A manager's team is a few hundred projects: its figures are read live on every visit
(about 100 ms at scale L). The whole company is a hundred thousand projects and two
million follow-ups: the same dozen aggregates take seconds however they are written, and
an executive does not need them to the second. For a viewer who sees the whole company the
figures are therefore computed together, stored as one :class:`FiguresSnapshot` row per
slice and day, served from it with the time they were computed ("as of 14:05"), and
recomputed every ``REFRESH_MINUTES`` by a job for every slice someone read in the last
day. A page that finds no row, or one older than ``STALE_AFTER`` (no worker running), or
is asked to refresh, computes them itself and stores them.

Every figure a company-wide viewer sees is the same whoever looks (their scope is the
whole company), so one row serves every executive and HR member. The ranking is not part
of the figures: it has its own store (``scoring.LiveScore``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from pathscore.core.scoping import scope_for
from pathscore.insights import selectors
from pathscore.insights.filters import Slice
from pathscore.insights.models import FiguresSnapshot
from pathscore.process import stalls
from pathscore.process.models import ProjectProcess

log = logging.getLogger(__name__)

#: How often the job recomputes the stored figures.
REFRESH_MINUTES = 10
#: Older than this, stored figures are computed again by the page that reads them: the job
#: missed two runs (no worker), and a page should not show figures of an unknown age.
STALE_AFTER = dt.timedelta(minutes=REFRESH_MINUTES * 5 // 2)
#: The job keeps the slices read within this long up to date…
KEEP_WARM_FOR = dt.timedelta(days=1)
#: …at most this many of them, the most recently read first.
KEEP_WARM_AT_MOST = 20
#: Reading a row records when at most this often (a write per visit would queue SQLite's
#: writers behind the dashboard).
READ_MARK_EVERY = dt.timedelta(hours=1)
#: Query strings longer than this are not stored (no preset or filter needs as much).
MAX_QUERY = 500
#: Parameters of the dashboard's URL that are not part of the slice.
NOT_SLICE = frozenset({"refresh"})


@dataclass
class Figures:
    """Everything the dashboard draws, except the ranking and the list of people."""

    kpis: selectors.Kpis
    nodes: list[selectors.NodeColumn]
    cycle: dict[dt.date, Decimal]
    funnel: selectors.Funnel
    heatmap: dict[tuple[int, dt.date], int]
    types: dict[int, int]
    project_cycle: dict[str, int]
    revisions: dict[int, int]
    adjustment: selectors.AdjustmentCycle
    stalled_ids: list[int]
    stalled_total: int
    #: When stored figures were computed; None for figures computed for this page.
    computed_at: dt.datetime | None = None
    #: The stalled table's rows when computed for this page (not stored).
    stalled: list | None = None


def compute(s: Slice, people_ids: list[int]) -> Figures:
    """Every figure of the slice, from the selectors (a fixed number of queries)."""
    stalled, stalled_total = selectors.stalled_rows(s)
    return Figures(
        kpis=selectors.kpis(s),
        nodes=selectors.projects_by_node(s),
        cycle=selectors.followup_cycle_by_week(s),
        funnel=selectors.funnel(s, people_ids),
        heatmap=selectors.followups_by_author_week(s, people_ids),
        types=selectors.active_by_customer_type(s),
        project_cycle=selectors.cycle_distribution(s),
        revisions=selectors.revision_distribution(s),
        adjustment=selectors.adjustment_cycle(s),
        stalled_ids=[row.pk for row in stalled],
        stalled_total=stalled_total,
        stalled=stalled,
    )


def stalled_rows(s: Slice, figures: Figures) -> list:
    """The stalled table's rows, read again by id with today's days at the node (one
    query). A project that moved on since the figures were computed drops out."""
    if figures.stalled is not None:
        return figures.stalled
    if not figures.stalled_ids:
        return []
    chosen = ProjectProcess.objects.filter(pk__in=figures.stalled_ids)
    return list(stalls.stalled_projects(s.viewer, s.today, processes=chosen))


# --- Stored form ---------------------------------------------------------------------------
#
# JSON keys are strings and JSON has no decimals or dates: each structure is written and
# read back explicitly, so a stored row gives exactly the objects a live computation does.


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _int_keys(mapping: dict, convert=lambda value: value) -> dict:
    return {int(key): convert(value) for key, value in mapping.items()}


def dump(f: Figures) -> dict:
    """The figures as JSON-ready data."""
    k = f.kpis
    funnel, adjustment = f.funnel, f.adjustment
    return {
        "kpis": {
            **{name: getattr(k, name) for name in _KPI_COUNTS},
            **{name: _dec(getattr(k, name)) for name in _KPI_RATES},
        },
        "nodes": [[c.code, c.name, {str(t): n for t, n in c.by_type.items()}] for c in f.nodes],
        "cycle": {week.isoformat(): _dec(value) for week, value in f.cycle.items()},
        "funnel": {
            "stages": [[stage.code, stage.name] for stage in funnel.stages],
            "projects": funnel.projects,
            "shares": {owner: [_dec(v) for v in values] for owner, values in funnel.shares.items()},
            "team": [_dec(value) for value in funnel.team],
            "reached": funnel.reached,
        },
        "heatmap": [[author, week.isoformat(), n] for (author, week), n in f.heatmap.items()],
        "types": f.types,
        "project_cycle": f.project_cycle,
        "revisions": f.revisions,
        "adjustment": {
            "by_owner": {owner: _dec(v) for owner, v in adjustment.by_owner.items()},
            "revisions": adjustment.revisions,
            "names": adjustment.names,
            "average": _dec(adjustment.average),
            "seconds": {owner: _dec(v) for owner, v in adjustment.seconds.items()},
            "departments": {owner: list(v) for owner, v in adjustment.departments.items()},
        },
        "stalled_ids": f.stalled_ids,
        "stalled_total": f.stalled_total,
    }


_KPI_COUNTS = ("active_projects", "due_soon", "overdue", "approved_nodes", "followups")
_KPI_COUNTS += ("followups_before",)
_KPI_RATES = ("on_time_rate", "on_time_rate_before")


def load(data: dict, computed_at: dt.datetime | None = None) -> Figures:
    """The figures written by :func:`dump`."""
    funnel, adjustment = data["funnel"], data["adjustment"]
    return Figures(
        kpis=selectors.Kpis(
            **{name: data["kpis"][name] for name in _KPI_COUNTS},
            **{name: _undec(data["kpis"][name]) for name in _KPI_RATES},
        ),
        nodes=[
            selectors.NodeColumn(code=code, name=name, by_type=_int_keys(by_type))
            for code, name, by_type in data["nodes"]
        ],
        cycle={dt.date.fromisoformat(week): _undec(v) for week, v in data["cycle"].items()},
        funnel=selectors.Funnel(
            stages=[selectors.Stage(code=code, name=name) for code, name in funnel["stages"]],
            projects=_int_keys(funnel["projects"]),
            shares=_int_keys(funnel["shares"], lambda values: [_undec(v) for v in values]),
            team=[_undec(value) for value in funnel["team"]],
            reached=_int_keys(funnel["reached"]),
        ),
        heatmap={(author, dt.date.fromisoformat(week)): n for author, week, n in data["heatmap"]},
        types=_int_keys(data["types"]),
        project_cycle=dict(data["project_cycle"]),
        revisions=_int_keys(data["revisions"]),
        adjustment=selectors.AdjustmentCycle(
            by_owner=_int_keys(adjustment["by_owner"], _undec),
            revisions=_int_keys(adjustment["revisions"]),
            names=_int_keys(adjustment["names"]),
            average=_undec(adjustment["average"]),
            seconds=_int_keys(adjustment["seconds"], _undec),
            departments=_int_keys(adjustment["departments"], tuple),
        ),
        stalled_ids=list(data["stalled_ids"]),
        stalled_total=data["stalled_total"],
        computed_at=computed_at,
    )


# --- Which slices are stored ----------------------------------------------------------------


def is_stored(s: Slice) -> bool:
    """Figures of viewers who see the whole company are stored; a team's are read live."""
    scope = scope_for(s.viewer)
    return not scope.is_anonymous and scope.sees_all_records


def snapshot_key(s: Slice) -> str:
    """The slice (dates and filters, resolved) and the day it is seen on: "due soon" and
    "stalled" count from today, so a new day is a new row."""
    text = f"{s.today.isoformat()}|{s.query()}"
    return hashlib.sha256(text.encode()).hexdigest()


def request_query(params: QueryDict) -> str:
    """The dashboard's parameters as asked, in a fixed order, without the page's own."""
    pairs = sorted(
        (key, value) for key, values in params.lists() if key not in NOT_SLICE for value in values
    )
    return urlencode(pairs)


def _store(
    s: Slice,
    query: str,
    figures: Figures,
    seconds: float,
    now: dt.datetime,
    read_at: dt.datetime | None = None,
) -> None:
    values = {
        "request_query": query,
        "today": s.today,
        "figures": dump(figures),
        "computed_at": now,
        "seconds": round(seconds, 3),
        "viewer": s.viewer,
        "read_at": read_at or now,
    }
    key = snapshot_key(s)
    try:
        with transaction.atomic():
            FiguresSnapshot.objects.update_or_create(key=key, defaults=values)
    except IntegrityError:
        # Two pages computed the same slice at once: the other one's row is as good.
        FiguresSnapshot.objects.filter(key=key).update(**values)


def _computed_and_stored(s: Slice, people_ids: list[int], query: str) -> Figures:
    started = time.monotonic()
    figures = compute(s, people_ids)
    now = timezone.now()
    _store(s, query, figures, time.monotonic() - started, now)
    figures.computed_at = now
    return figures


def for_dashboard(
    s: Slice, people_ids: list[int], query: str = "", refresh: bool = False
) -> Figures:
    """The slice's figures: stored ones when the viewer sees the whole company and they
    are recent enough, else computed now (and stored when the slice is a stored kind)."""
    if not is_stored(s) or len(query) > MAX_QUERY:
        return compute(s, people_ids)
    now = timezone.now()
    row = (
        None
        if refresh
        else FiguresSnapshot.objects.filter(key=snapshot_key(s))
        .values("pk", "figures", "computed_at", "read_at")
        .first()
    )
    if row is None or row["computed_at"] < now - STALE_AFTER:
        return _computed_and_stored(s, people_ids, query)
    if row["read_at"] < now - READ_MARK_EVERY:
        FiguresSnapshot.objects.filter(pk=row["pk"]).update(read_at=now, viewer=s.viewer)
    return load(row["figures"], computed_at=row["computed_at"])


# --- The job --------------------------------------------------------------------------------


def figures_refresh(now: dt.datetime | None = None) -> int:
    """Compute again the figures of every slice read within ``KEEP_WARM_FOR`` (at most
    ``KEEP_WARM_AT_MOST``, the latest read first), for today — a preset such as "this
    month" follows the calendar —, then drop the rows of earlier days and of slices nobody
    read. Idempotent: a second run rewrites the same rows. Returns the slices computed."""
    from pathscore.insights.filters import DashboardFilterForm

    now = now or timezone.now()
    today = timezone.localdate(now)
    recent = (
        FiguresSnapshot.objects.filter(read_at__gte=now - KEEP_WARM_FOR)
        .select_related("viewer")
        .order_by("-read_at", "-pk")
    )
    done: set[str] = set()
    computed = 0
    for row in recent:
        if row.request_query in done or len(done) >= KEEP_WARM_AT_MOST:
            continue
        done.add(row.request_query)
        viewer = row.viewer
        form = DashboardFilterForm(QueryDict(row.request_query), viewer=viewer, today=today)
        if not form.is_valid():
            continue  # a filter value deleted since: the page will say so
        s = form.to_slice()
        if not is_stored(s):
            continue  # the last reader lost the company-wide role
        people_ids = list(selectors.salespeople(s).values_list("pk", flat=True))
        started = time.monotonic()
        figures = compute(s, people_ids)
        # The new row keeps the slice's last reading, so it stays warm as long as that lasts.
        seconds = time.monotonic() - started
        _store(s, row.request_query, figures, seconds, timezone.now(), read_at=row.read_at)
        computed += 1
    FiguresSnapshot.objects.filter(today__lt=today).delete()
    FiguresSnapshot.objects.filter(read_at__lt=now - KEEP_WARM_FOR).delete()
    log.info("dashboard figures: %s slices computed", computed)
    return computed
