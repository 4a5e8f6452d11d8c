"""Stored live scores: what the dashboard ranks by. They equal the engine's live scores,
the scheduled job refreshes them idempotently and after data changes, in chunks of whole
departments, and closing the period drops them (the frozen results take over)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from pathscore.org.models import User
from pathscore.scoring import engine, services, tasks
from pathscore.scoring.models import LiveScore, Period
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

START = dt.date(2026, 7, 1)


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Team A on the test scorecard (values chosen here); everyone else on the bundled
    salesperson scorecard (the real indicators, over an empty company)."""
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    values.set(personas.deactivated, visits=100, revisions=0, quality=100)
    return personas, sales_c


@pytest.fixture
def period(personas):
    return services.period_create(actor=personas.hr, kind="quarter", starts_on=START)


def stored(period) -> dict[int, LiveScore]:
    return {row.person_id: row for row in LiveScore.objects.filter(period=period)}


def live(period) -> dict:
    active = User.objects.filter(is_active=True).values_list("pk", flat=True)
    return engine.evaluate(list(active), period, use_cache=False)


def test_stored_scores_equal_the_engines(team, period):
    personas, sales_c = team
    written = services.live_scores_refresh(period)
    rows, scores = stored(period), live(period)
    assert written == len(scores) == len(rows)
    assert set(rows) == set(scores)
    assert {personas.sales_a.pk, sales_c.pk, personas.manager_a.pk, personas.sales_b.pk} <= set(
        rows
    )
    # An inactive person is not ranked (the period's close leaves them out too).
    assert personas.deactivated.pk not in rows
    for person_id, score in scores.items():
        row = rows[person_id]
        assert row.total == score.total
        assert row.dimensions == engine.to_json(score.dimensions)
        assert (row.scorecard_id, row.scorecard_version) == (
            score.scorecard_id,
            score.scorecard_version,
        )
    # What the person's own score page shows (the engine, cached) agrees with the row.
    mine = engine.evaluate([personas.sales_a], period)[personas.sales_a.pk]
    assert rows[personas.sales_a.pk].total == mine.total
    assert str(rows[sales_c.pk].total) == "66.33"  # by hand: tests/scoring/test_engine.py


def test_chunks_of_departments_give_the_same_scores(team, period, monkeypatch):
    services.live_scores_refresh(period)
    whole = {pk: row.total for pk, row in stored(period).items()}
    monkeypatch.setattr(services, "LIVE_CHUNK", 1)
    calls = []
    evaluate = engine.evaluate

    def counting(people, *args, **kwargs):
        calls.append(list(people))
        return evaluate(people, *args, **kwargs)

    monkeypatch.setattr(engine, "evaluate", counting)
    services.live_scores_refresh(period)
    assert {pk: row.total for pk, row in stored(period).items()} == whole
    # One evaluation per department: a team is never split between two chunks.
    departments = [
        set(User.objects.filter(pk__in=chunk).values_list("department_id", flat=True))
        for chunk in calls
    ]
    assert len(calls) > 1 and all(len(found) == 1 for found in departments)


def test_live_chunks_keep_departments_whole_and_bounded():
    people = [(1, 10), (2, 10), (3, 20), (4, 20), (5, 20), (6, None), (7, 30)]
    assert list(services.live_chunks(people, size=3)) == [[1, 2], [3, 4, 5], [7, 6]]
    assert list(services.live_chunks(people, size=100)) == [[1, 2, 3, 4, 5, 7, 6]]
    assert list(services.live_chunks([], size=3)) == []


def test_refresh_is_idempotent_and_follows_changes(team, period, values):
    personas, sales_c = team
    services.live_scores_refresh(period)
    first = stored(period)
    services.live_scores_refresh(period)
    again = stored(period)
    # The same rows (an upsert), the same totals, newer times.
    assert {pk: (row.pk, row.total) for pk, row in again.items()} == {
        pk: (row.pk, row.total) for pk, row in first.items()
    }
    assert all(again[pk].computed_at >= first[pk].computed_at for pk in first)

    values.set(sales_c, visits=30, revisions=0, quality=95)
    services.live_scores_refresh(period)
    changed = stored(period)
    assert changed[sales_c.pk].total != first[sales_c.pk].total
    assert {pk: row.total for pk, row in changed.items()} == {
        pk: score.total for pk, score in live(period).items()
    }

    # Someone who left is no longer ranked.
    User.objects.filter(pk=sales_c.pk).update(is_active=False)
    services.live_scores_refresh(period)
    assert sales_c.pk not in stored(period)


def test_closing_drops_the_live_rows_and_a_late_refresh_writes_none(team, period):
    personas, _sales_c = team
    services.live_scores_refresh(period)
    assert stored(period)
    services.period_close(period=period, actor=personas.hr)
    assert not stored(period)
    stale = Period.objects.get(pk=period.pk)
    stale.state = "open"  # a refresh that read the period just before it closed
    assert services.live_scores_refresh(stale) == 0
    assert not stored(period)


def test_the_scheduled_job_keeps_the_current_period_only(team, period):
    """The dashboard ranks the open period covering today: the job refreshes that one
    and drops the rows of every other period (closed, or an older one left open)."""
    personas, _sales_c = team
    today = timezone.localdate()
    current = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=5),
        name="本期",
    )
    Period.objects.filter(pk=period.pk).update(
        starts_on=today - dt.timedelta(days=60), ends_on=today - dt.timedelta(days=30)
    )
    closed = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=29),
        ends_on=today - dt.timedelta(days=20),
        name="已结束",
    )
    for old in (period, closed):
        LiveScore.objects.create(
            period=old,
            person=personas.sales_a,
            scorecard_id=stored_card(personas),
            scorecard_version=1,
            total=1,
            computed_at=timezone.now(),
        )
    Period.objects.filter(pk=closed.pk).update(state="closed")  # closed by hand, rows left
    assert services.current_open_period(today) == current
    written = tasks.refresh_live_scores.call_local()
    assert set(written) == {current.pk}
    assert written[current.pk] == len(stored(current)) == len(live(current)) > 0
    assert not stored(period) and not stored(closed)
    # Every ten minutes.
    schedule = tasks.refresh_live_scores.task_class().validate_datetime
    assert schedule(dt.datetime(2026, 11, 27, 10, 10))
    assert not schedule(dt.datetime(2026, 11, 27, 10, 5))


def stored_card(personas) -> int:
    from pathscore.scoring.models import Scorecard

    return Scorecard.objects.get(department=personas.team_a).pk


def test_the_queued_task_refreshes_one_open_period_only(team, period):
    personas, _sales_c = team
    assert tasks.refresh_period_live_scores.call_local(period.pk) == len(live(period))
    services.period_close(period=period, actor=personas.hr)
    assert tasks.refresh_period_live_scores.call_local(period.pk) == 0
    assert not stored(period)


def test_a_refresh_is_queued_once_per_interval(period, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "refresh_period_live_scores", queued.append)
    cache.delete(f"scoring:live-refresh-queued:{period.pk}")
    assert services.live_scores_request_refresh(period) is True
    assert services.live_scores_request_refresh(period) is False
    assert queued == [period.pk]


def test_the_command_refreshes_and_refuses_an_unknown_period(team, period):
    out = io.StringIO()
    call_command("refresh_live_scores", stdout=out)  # the latest open period: this one
    assert f"period {period.pk}: {len(stored(period))} scores stored" in out.getvalue()
    LiveScore.objects.all().delete()
    call_command("refresh_live_scores", "--period", str(period.pk), stdout=io.StringIO())
    assert len(stored(period)) == len(live(period))
    with pytest.raises(CommandError):
        call_command("refresh_live_scores", "--period", "999999", stdout=io.StringIO())
