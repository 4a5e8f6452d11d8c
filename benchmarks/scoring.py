"""Scoring rows: one person's live score, closing a quarter for everyone, and the
evaluation report of that quarter exported to .xlsx.

All three run inside one transaction that is rolled back at the end, so the database is
left as it was: the quarter is the open quarter period covering today, opened inside the
transaction when there is none.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils import timezone

from benchmarks.common import Row, Timing, at_most, timed
from benchmarks.dashboard import _get, client_for
from pathscore.scoring import engine, services
from pathscore.scoring.choices import PeriodKind, PeriodState
from pathscore.scoring.models import Period, Result


class _RollBack(Exception):
    pass


def _quarter(hr) -> Period:
    today = timezone.localdate()
    period = (
        Period.objects.filter(
            kind=PeriodKind.QUARTER,
            state=PeriodState.OPEN,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .order_by("-starts_on")
        .first()
    )
    if period is not None:
        return period
    starts_on, ends_on = services.period_bounds(PeriodKind.QUARTER, today)
    return services.period_create(actor=hr, kind=PeriodKind.QUARTER, starts_on=starts_on)


def scoring_rows(cast, options) -> list[Row]:
    found: dict = {}
    person = cast.team[0]
    try:
        with transaction.atomic():
            period = _quarter(cast.hr)
            found["period"] = f"{period.name} ({period.starts_on} – {period.ends_on})"
            found["live"] = timed(
                lambda: engine.evaluate([person.pk], period, use_cache=False), options.runs
            )
            closes = []
            for run in range(options.slow_runs):
                sid = transaction.savepoint()
                if run:
                    period.refresh_from_db()
                started = time.perf_counter()
                services.period_close(period=period, actor=cast.hr)
                closes.append((time.perf_counter() - started) * 1000)
                found["results"] = Result.objects.filter(period=period).count()
                if run < options.slow_runs - 1:
                    transaction.savepoint_rollback(sid)
                else:
                    transaction.savepoint_commit(sid)
            found["close"] = Timing(closes)
            client = client_for(cast.hr)
            url = f"/scoring/periods/{period.pk}/report.xlsx"
            found["export_bytes"] = len(_get(client, url))
            found["export"] = timed(lambda: _get(client, url), options.slow_runs, warmup=0)
            raise _RollBack
    except _RollBack:
        pass
    live, close, export = found["live"], found["close"], found["export"]
    close_s = close.p95 / 1000
    export_s = export.p95 / 1000
    return [
        Row(
            key="live_score",
            what=f"one person's live score ({found['period']})",
            target="<= 50 ms",
            value=live.p95,
            unit="ms",
            passed=at_most(live.p95, 50.0),
            details=live.as_dict(),
            note=f"p95; p50 {live.p50:.1f} ms; the person's whole team is computed",
        ),
        Row(
            key="close_quarter",
            what=f"close a quarter: scorecards for {found['results']} people",
            target="<= 5 s",
            value=close_s,
            unit="s",
            passed=at_most(close_s, 5.0),
            details=close.as_dict(),
            note=f"worst of {len(close.samples)} runs, rolled back",
        ),
        Row(
            key="report_export",
            what=f"evaluation report export, {found['results']} people (.xlsx)",
            target="<= 3 s",
            value=export_s,
            unit="s",
            passed=at_most(export_s, 3.0),
            details={**export.as_dict(), "bytes": found["export_bytes"]},
            note=f"worst of {len(export.samples)} runs, HR viewer",
        ),
    ]
