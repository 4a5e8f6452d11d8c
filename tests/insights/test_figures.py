"""The company-wide dashboard's stored figures (``insights.figures``): what is stored reads
back as computed, who gets stored figures and who live ones, when they are computed
again, and the job that keeps the slices people read up to date."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.insights import figures, selectors
from pathscore.insights.models import FiguresSnapshot
from tests.insights.conftest import build_world, followup

pytestmark = pytest.mark.django_db

DASHBOARD = "/insights/"


def period_of(world) -> dict:
    return world.slice(None).params()


def get(client, params: dict, **extra):
    response = client.get(DASHBOARD, {**params, **extra})
    assert response.status_code == 200
    return response


def without_page_rows(f: figures.Figures) -> figures.Figures:
    f.stalled = None
    f.computed_at = None
    return f


def test_stored_figures_read_back_exactly_as_computed(personas):
    world = build_world(personas)
    s = world.slice(personas.executive)
    people_ids = list(selectors.salespeople(s).values_list("pk", flat=True))
    computed = figures.compute(s, people_ids)
    # Through JSON text, as the database keeps it: string keys, no decimals, no dates.
    stored = json.loads(json.dumps(figures.dump(computed)))
    assert figures.load(stored) == without_page_rows(computed)
    # The hand-built company has something in every figure, so the comparison means much.
    assert computed.kpis.followups == 6
    assert computed.cycle and computed.heatmap and computed.funnel.shares
    assert computed.adjustment.by_owner and computed.stalled_ids


def test_an_executive_reads_stored_figures_until_they_are_updated(world, login):
    client = login(world.personas.executive)
    params = period_of(world)
    with CaptureQueriesContext(connection) as computing:
        first = get(client, params)
    assert first.context["figures_at"] is not None
    assert FiguresSnapshot.objects.count() == 1
    assert first.context["kpis"].followups == 6
    assert b'data-testid="figures-at"' in first.content

    # A follow-up recorded after the figures were computed…
    followup(world.personas.sales_a, world.p1, world.today)
    with CaptureQueriesContext(connection) as reading:
        second = get(client, params)
    # …is not in the stored figures, which say when they were computed;
    assert second.context["kpis"].followups == 6
    assert second.context["figures_at"] == first.context["figures_at"]
    # reading them costs far fewer queries than computing them;
    assert len(reading) < len(computing) - 8
    # the stalled table is read again with today's days at the node.
    assert [row.pk for row in second.context["stalled"]] == [
        row.pk for row in first.context["stalled"]
    ]
    assert second.context["stalled_total"] == first.context["stalled_total"] == 1

    # "Update now" computes them again.
    refreshed = get(client, params, refresh="1")
    assert refreshed.context["kpis"].followups == 7
    assert refreshed.context["figures_at"] > first.context["figures_at"]
    assert FiguresSnapshot.objects.count() == 1
    assert get(client, params).context["kpis"].followups == 7


def test_hr_and_executives_share_one_stored_row(world, login):
    params = period_of(world)
    by_executive = get(login(world.personas.executive), params)
    by_hr = get(login(world.personas.hr), params)
    assert by_hr.context["figures_at"] == by_executive.context["figures_at"]
    assert FiguresSnapshot.objects.count() == 1
    assert FiguresSnapshot.objects.get().viewer == world.personas.executive


def test_a_managers_team_figures_are_live_and_never_stored(world, login):
    client = login(world.personas.manager_a)
    params = period_of(world)
    first = get(client, params)
    assert first.context["figures_at"] is None
    assert b'data-testid="figures-at"' not in first.content
    followup(world.personas.sales_a, world.p1, world.today)
    assert get(client, params).context["kpis"].followups == first.context["kpis"].followups + 1
    assert not FiguresSnapshot.objects.exists()


def test_stale_figures_are_computed_again_by_the_page(world, login):
    client = login(world.personas.executive)
    params = period_of(world)
    get(client, params)
    followup(world.personas.sales_a, world.p1, world.today)
    old = timezone.now() - figures.STALE_AFTER - dt.timedelta(minutes=1)
    FiguresSnapshot.objects.update(computed_at=old)
    response = get(client, params)
    assert response.context["kpis"].followups == 7
    assert response.context["figures_at"] > old


def test_each_filter_is_its_own_slice(world, login):
    client = login(world.personas.executive)
    params = period_of(world)
    everyone = get(client, params)
    one = get(client, params, salesperson=str(world.personas.sales_b.pk))
    assert one.context["kpis"].followups == 2
    assert everyone.context["kpis"].followups == 6
    assert FiguresSnapshot.objects.count() == 2


def test_the_job_recomputes_what_was_read_and_drops_the_rest(world, login):
    client = login(world.personas.executive)
    params = period_of(world)
    get(client, params)
    get(client, {"period": "month"})
    # A slice last read two days ago, and a row of an earlier day.
    forgotten = FiguresSnapshot.objects.get(request_query="period=month")
    FiguresSnapshot.objects.filter(pk=forgotten.pk).update(
        read_at=timezone.now() - dt.timedelta(days=2)
    )
    kept = FiguresSnapshot.objects.exclude(pk=forgotten.pk).get()
    followup(world.personas.sales_a, world.p1, world.today)

    assert figures.figures_refresh() == 1
    row = FiguresSnapshot.objects.get()
    assert row.key == kept.key
    assert row.computed_at > kept.computed_at
    assert row.read_at == kept.read_at  # the job is not a reader
    assert row.figures["kpis"]["followups"] == 7
    # Idempotent: a second run rewrites the same row with the same figures.
    assert figures.figures_refresh() == 1
    again = FiguresSnapshot.objects.get()
    assert (again.key, again.figures) == (row.key, row.figures)
    # The page now reads the job's figures.
    assert get(client, params).context["kpis"].followups == 7


def test_the_job_follows_the_calendar_for_a_preset(world, login):
    client = login(world.personas.executive)
    get(client, {"period": "month"})
    before = FiguresSnapshot.objects.get()
    # A minute after the coming local midnight: a new day, and the reading still recent.
    midnight = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time())
    tomorrow = timezone.make_aware(midnight) + dt.timedelta(minutes=1)
    assert figures.figures_refresh(now=tomorrow) == 1
    row = FiguresSnapshot.objects.get()
    assert row.today == timezone.localdate(tomorrow)
    assert row.key != before.key
    assert row.request_query == "period=month"


def test_the_job_skips_a_reader_who_lost_the_company_view(world, login):
    client = login(world.personas.executive)
    get(client, period_of(world))
    FiguresSnapshot.objects.update(viewer=world.personas.manager_a)
    assert figures.figures_refresh() == 0
    # The row stays until nobody reads it for a day; the next executive's visit recomputes.
    assert FiguresSnapshot.objects.count() == 1


def test_computing_the_company_figures_does_not_grow_with_the_company(
    personas, login, django_assert_max_num_queries
):
    from tests.insights.test_views import add_salespeople

    world = build_world(personas)
    add_salespeople(personas, 2)
    client = login(personas.executive)
    params = period_of(world)
    get(client, params)  # warm per-process caches

    def counted() -> int:
        with CaptureQueriesContext(connection) as captured:
            get(client, params, refresh="1")
        return len(captured)

    small = counted()
    add_salespeople(personas, 4, start=2)
    assert counted() == small
    with CaptureQueriesContext(connection) as captured:
        get(client, params)
    assert len(captured) <= small - 10
