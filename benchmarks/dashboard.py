"""The dashboard rows: server time of the real view, and the weight of what it links.

Server time is measured in-process with Django's test client against ``/insights/`` —
URL routing, middleware, the view, every query and the template, no network — signed in
as the manager of about ten salespeople, then as an executive (the whole company).
"""

from __future__ import annotations

import gzip
import re

from django.conf import settings
from django.db import connection
from django.test import Client

from benchmarks.common import Row, at_most, timed

DASHBOARD = "/insights/"
#: The default view is this month; the quarter is measured too, for the record.
PERIODS = {"month": "month", "quarter": "quarter"}
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+rel="stylesheet"[^>]+href)="([^"]+)"')


class QueryCounter:
    """An execute wrapper that counts the queries run through it."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def client_for(user) -> Client:
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    client.force_login(user)
    return client


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def stored_scores_ready() -> dict:
    """The ranking reads the live scores the scheduled job stores: store them first when
    they are missing or stale (as the job would have), and say how long that took."""
    import time

    from django.utils import timezone

    from pathscore.scoring import services
    from pathscore.scoring.models import LiveScore

    period = services.current_open_period(timezone.localdate())
    if period is None:
        return {"live_scores": "no open period"}
    fresh = LiveScore.objects.filter(
        period=period, computed_at__gte=timezone.now() - services.LIVE_STALE_AFTER
    ).exists()
    if fresh:
        return {"live_scores": "fresh"}
    started = time.perf_counter()
    rows = services.live_scores_refresh(period)
    return {"live_scores": rows, "live_refresh_s": round(time.perf_counter() - started, 1)}


def viewer_sees_company(viewer) -> bool:
    """Whether the dashboard stores this viewer's figures (``insights.figures``)."""
    from pathscore.core.scoping import scope_for

    return scope_for(viewer).sees_all_records


def dashboard_rows(cast, options) -> list[Row]:
    rows = []
    refreshed = stored_scores_ready()
    viewers = [
        (
            "dashboard_team",
            "team dashboard (manager of %d salespeople), server time",
            cast.manager,
            len(cast.team),
            150.0,
        ),
        (
            "dashboard_company",
            "company dashboard (executive, %d salespeople), server time",
            cast.executive,
            len(cast.everyone),
            300.0,
        ),
    ]
    for key, what, viewer, people, limit in viewers:
        client = client_for(viewer)
        details = {"viewer": viewer.username, "salespeople": people, **refreshed}
        for label, period in PERIODS.items():
            url = f"{DASHBOARD}?period={period}"
            queries = QueryCounter()
            # Django empties its own query log when a request starts: count by a wrapper.
            with connection.execute_wrapper(queries):
                _get(client, url)
            timing = timed(lambda url=url, client=client: _get(client, url), options.runs)
            details[label] = {**timing.as_dict(), "queries": queries.count}
            if viewer_sees_company(viewer):
                # The timed runs read the stored figures, as the page does between the
                # job's runs; computing them (the job, or "update now") is timed apart.
                fresh = f"{url}&refresh=1"
                computing = timed(lambda u=fresh, c=client: _get(c, u), options.slow_runs, warmup=0)
                details[label]["compute_p50_ms"] = computing.as_dict()["p50_ms"]
        p95 = details["month"]["p95_ms"]
        note = f"this month; quarter p95 {details['quarter']['p95_ms']:.1f} ms"
        if "compute_p50_ms" in details["month"]:
            note += (
                f"; stored figures (computing them: {details['month']['compute_p50_ms']:.0f} / "
                f"{details['quarter']['compute_p50_ms']:.0f} ms)"
            )
        rows.append(
            Row(
                key=key,
                what=what % people,
                target=f"p95 <= {limit:.0f} ms",
                value=p95,
                unit="ms",
                passed=at_most(p95, limit),
                details=details,
                note=note,
            )
        )
    return rows


def page_weight_row(cast, options) -> Row:
    """The JS and CSS the dashboard page links, each gzipped (level 6) and summed."""
    client = client_for(cast.manager)
    page = _get(client, DASHBOARD).decode()
    assets = {}
    for url in dict.fromkeys(ASSET.findall(page)):
        body = _get(client, url.split("?")[0])
        assets[url] = len(gzip.compress(body, compresslevel=6))
    kilobytes = sum(assets.values()) / 1024
    return Row(
        key="page_weight",
        what="page weight of the dashboard (JS + CSS, gzip)",
        target="<= 600 KB",
        value=kilobytes,
        unit="KB",
        passed=at_most(kilobytes, 600.0),
        details={"assets_gzip_bytes": assets},
        note=f"{len(assets)} files",
    )
