"""The period lifecycle: open → closed (frozen) → adjustments, acknowledgements and
appeals → published → a new version; every refusal has a clear message."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from pathscore.scoring import engine, services
from pathscore.scoring.models import Adjustment, Appeal, Period, Result
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    return personas, sales_c


@pytest.fixture
def period(personas):
    return services.period_create(actor=personas.hr, kind="quarter", starts_on=START)


@pytest.fixture
def closed(team, period):
    personas, _sales_c = team
    return services.period_close(period=period, actor=personas.hr)


def result_of(period, person, version=None):
    return Result.objects.get(period=period, person=person, version=version or period.version)


def message(error) -> str:
    return " ".join(error.value.messages)


# --- Creating periods -------------------------------------------------------------------


@pytest.mark.django_db
def test_period_create_month_quarter_custom(personas):
    quarter = services.period_create(actor=personas.hr, kind="quarter", starts_on=START)
    assert (quarter.starts_on, quarter.ends_on, quarter.state) == (START, END, "open")
    assert quarter.name == "2026 Q3"
    month = services.period_create(actor=personas.hr, kind="month", starts_on=dt.date(2026, 2, 1))
    assert month.ends_on == dt.date(2026, 2, 28)
    custom = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=dt.date(2026, 7, 15),
        ends_on=dt.date(2026, 8, 14),
        name="试用期",
    )
    assert custom.name == "试用期"


@pytest.mark.django_db
def test_period_create_refusals(personas):
    with pytest.raises(ValidationError, match="Only HR"):
        services.period_create(actor=personas.manager_a, kind="quarter", starts_on=START)
    with pytest.raises(ValidationError) as error:
        services.period_create(actor=personas.hr, kind="quarter", starts_on=dt.date(2026, 7, 2))
    assert "first to its last day" in message(error)
    with pytest.raises(ValidationError) as error:
        services.period_create(
            actor=personas.hr, kind="custom", starts_on=END, ends_on=dt.date(2026, 9, 1)
        )
    assert "end on or after" in message(error)
    services.period_create(actor=personas.hr, kind="quarter", starts_on=START)
    with pytest.raises(ValidationError) as error:
        services.period_create(actor=personas.hr, kind="quarter", starts_on=START)
    assert "already covers" in message(error)
    # Another kind may overlap (a month inside the open quarter).
    services.period_create(actor=personas.hr, kind="month", starts_on=dt.date(2026, 8, 1))
    with pytest.raises(ValidationError):
        services.period_create(
            actor=personas.hr, kind="month", starts_on=START, adjustment_bound=D(101)
        )


# --- Closing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_close_freezes_results_with_rules_and_ranks(closed, team):
    personas, sales_c = team
    period = closed
    assert period.state == "closed" and period.closed_by == personas.hr
    results = {r.person_id: r for r in Result.objects.filter(period=period)}
    # Team A's department scorecard, plus sales_b under the bundled role scorecard.
    assert set(results) == {
        personas.sales_a.pk,
        sales_c.pk,
        personas.manager_a.pk,
        personas.sales_b.pk,
    }
    a = results[personas.sales_a.pk]
    assert (a.computed_total, a.total, a.adjustment, a.rank) == (
        D("80.00"),
        D("80.00"),
        D("0.00"),
        1,
    )
    assert a.department == personas.team_a
    assert a.dimensions["scores"] == {"process": "100.00", "ability": "50.00"}
    assert a.dimensions["weights"] == {"process": "60.00", "ability": "40.00"}
    visits = next(item for item in a.items if item["indicator"] == "t_visits")
    assert visits == {
        "indicator": "t_visits",
        "dimension": "process",
        "weight": "50.00",
        "value": "15",
        "team_average": "10.0000",
        "percentile": "83.33",
        "points": "100.00",
        "auto_points": "100.00",
        "rule_kind": "team_relative",
        "direction": "higher",
        "params": {"full_at": "1.5"},
        "rules_version": 1,
        "explanation": visits["explanation"],
    }
    assert results[sales_c.pk].rank == 2 and results[personas.manager_a.pk].rank == 3
    assert results[personas.sales_b.pk].rank == 1  # alone in team B


@pytest.mark.django_db
def test_close_refusals_and_frozen_inputs(team, period, values):
    personas, _sales_c = team
    with pytest.raises(ValidationError, match="Only HR"):
        services.period_close(period=period, actor=personas.manager_a)
    services.period_close(period=period, actor=personas.hr)
    with pytest.raises(ValidationError) as error:
        services.period_close(period=period, actor=personas.hr)
    assert "closed" in message(error)
    stale = Period.objects.get(pk=period.pk)
    stale.state = "open"  # a second tab that still shows the period open
    with pytest.raises(ValidationError, match="closed already"):
        services.period_close(period=stale, actor=personas.hr)
    with pytest.raises(ValidationError) as error:
        services.period_update(period=period, actor=personas.hr, name="renamed")
    assert "only adjustments, acknowledgements and appeals" in message(error)
    with pytest.raises(ValidationError):
        services.ensure_day_open(dt.date(2026, 8, 15))
    services.ensure_day_open(dt.date(2026, 10, 1))
    # New activity does not move a frozen result.
    values.set(personas.sales_a, quality=100)
    assert result_of(period, personas.sales_a).total == D("80.00")
    assert Result.objects.filter(period=period).count() == 4


@pytest.mark.django_db
def test_open_period_can_be_edited_and_not_adjusted(team, period):
    personas, _sales_c = team
    services.period_update(
        period=period, actor=personas.hr, name="三季度", adjustment_bound=D(5), appeal_days=3
    )
    period.refresh_from_db()
    assert (period.name, period.adjustment_bound, period.appeal_days) == ("三季度", D(5), 3)
    assert period.history.count() >= 2


# --- Adjustments -----------------------------------------------------------------------


@pytest.mark.django_db
def test_adjustment_within_bound_with_reason(closed, team):
    personas, sales_c = team
    a = result_of(closed, personas.sales_a)
    services.result_adjust(result=a, actor=personas.manager_a, points=D(5), reason="大客户攻关")
    assert (a.total, a.adjustment, a.computed_total) == (D("85.00"), D("5.00"), D("80.00"))
    services.result_adjust(result=a, actor=personas.hr, points=D(-2), reason="复核")
    assert a.total == D("83.00")
    assert list(Adjustment.objects.filter(result=a).values_list("points", "made_by")) == [
        (D("5.00"), personas.manager_a.pk),
        (D("-2.00"), personas.hr.pk),
    ]
    # The regional head manages team A through the east region.
    services.result_adjust(result=a, actor=personas.regional_head, points=D(1), reason="区域")
    assert a.total == D("84.00")


@pytest.mark.django_db
def test_adjustment_refusals(closed, team):
    personas, sales_c = team
    a = result_of(closed, personas.sales_a)
    with pytest.raises(ValidationError) as error:
        services.result_adjust(result=a, actor=personas.manager_a, points=D(5), reason="  ")
    assert "reason" in message(error)
    with pytest.raises(ValidationError) as error:
        services.result_adjust(result=a, actor=personas.manager_a, points=D(11), reason="x")
    assert "at most 10.00 points" in message(error)
    services.result_adjust(result=a, actor=personas.manager_a, points=D(8), reason="x")
    with pytest.raises(ValidationError, match="at most"):
        services.result_adjust(result=a, actor=personas.manager_a, points=D(3), reason="y")
    for stranger in (personas.manager_b, personas.sales_a, personas.tech):
        with pytest.raises(ValidationError, match="manager or HR"):
            services.result_adjust(result=a, actor=stranger, points=D(1), reason="z")
    assert result_of(closed, personas.sales_a).total == D("88.00")


@pytest.mark.django_db
def test_open_period_results_cannot_be_adjusted(team, period):
    personas, _sales_c = team
    # A result row of an open period can only exist by mistake; it is still refused.
    result = Result.objects.create(
        period=period, person=personas.sales_a, computed_total=D(50), total=D(50)
    )
    with pytest.raises(ValidationError, match="open period"):
        services.result_adjust(result=result, actor=personas.hr, points=D(1), reason="x")


@pytest.mark.django_db
def test_indicator_override_recombines_within_bound(closed, team):
    personas, sales_c = team
    c = result_of(closed, sales_c)
    assert c.total == D("66.33")
    services.result_adjust(
        result=c,
        actor=personas.manager_a,
        points=D(100),
        reason="质量评分遗漏",
        indicator="t_quality",
    )
    # Ability 83.33 → 100: total 0.6 × 55 + 0.4 × 100 = 73.
    assert (c.total, c.adjustment) == (D("73.00"), D("6.67"))
    quality = next(item for item in c.items if item["indicator"] == "t_quality")
    assert (quality["points"], quality["auto_points"], quality["override"]) == (
        "100.00",
        "83.33",
        "100.00",
    )
    assert c.dimensions["scores"]["ability"] == "100.00"
    with pytest.raises(ValidationError, match="at most"):
        services.result_adjust(result=c, actor=personas.manager_a, points=D(4), reason="多加")
    services.result_adjust(result=c, actor=personas.manager_a, points=D(3), reason="再加")
    assert c.total == D("76.00")
    with pytest.raises(ValidationError, match="no indicator"):
        services.result_adjust(
            result=c, actor=personas.manager_a, points=D(1), reason="x", indicator="nope"
        )
    with pytest.raises(ValidationError, match="between 0 and 100"):
        services.result_adjust(
            result=c, actor=personas.manager_a, points=D(120), reason="x", indicator="t_visits"
        )


@pytest.mark.django_db
def test_adjustment_reranks_the_team(closed, team):
    personas, sales_c = team
    c = result_of(closed, sales_c)
    a = result_of(closed, personas.sales_a)
    services.result_adjust(result=a, actor=personas.hr, points=D(-10), reason="违规")
    services.result_adjust(result=c, actor=personas.hr, points=D(10), reason="突出")
    a.refresh_from_db()
    c.refresh_from_db()
    assert (a.total, c.total, a.rank, c.rank) == (D("70.00"), D("76.33"), 2, 1)


# --- Acknowledgements and appeals -----------------------------------------------------------


@pytest.mark.django_db
def test_acknowledge(closed, team):
    personas, _sales_c = team
    a = result_of(closed, personas.sales_a)
    with pytest.raises(ValidationError, match="Only the person"):
        services.result_acknowledge(result=a, person=personas.manager_a)
    services.result_acknowledge(result=a, person=personas.sales_a)
    assert a.acknowledged_at is not None
    with pytest.raises(ValidationError, match="already"):
        services.result_acknowledge(result=a, person=personas.sales_a)
    with pytest.raises(ValidationError, match="acknowledged"):
        services.appeal_submit(result=a, person=personas.sales_a, reason="不服")


@pytest.mark.django_db
def test_appeal_and_resolution(closed, team):
    personas, sales_c = team
    c = result_of(closed, sales_c)
    with pytest.raises(ValidationError, match="Only the person"):
        services.appeal_submit(result=c, person=personas.sales_a, reason="代申诉")
    with pytest.raises(ValidationError, match="why"):
        services.appeal_submit(result=c, person=sales_c, reason=" ")
    appeal = services.appeal_submit(result=c, person=sales_c, reason="方案修改是客户要求的")
    with pytest.raises(ValidationError, match="already open"):
        services.appeal_submit(result=c, person=sales_c, reason="再次")
    with pytest.raises(ValidationError, match="still open"):
        services.result_acknowledge(result=c, person=sales_c)
    with pytest.raises(ValidationError, match="open appeal"):
        services.period_publish(period=closed, actor=personas.hr)
    with pytest.raises(ValidationError, match="manager or HR"):
        services.appeal_resolve(appeal=appeal, actor=sales_c, upheld=True, resolution="自己批")
    with pytest.raises(ValidationError, match="resolved"):
        services.appeal_resolve(appeal=appeal, actor=personas.manager_a, upheld=True, resolution="")
    with pytest.raises(ValidationError, match="no points"):
        services.appeal_resolve(
            appeal=appeal, actor=personas.manager_a, upheld=False, resolution="不予支持", points=2
        )
    with pytest.raises(ValidationError, match="at most"):
        services.appeal_resolve(
            appeal=appeal, actor=personas.manager_a, upheld=True, resolution="属实", points=20
        )
    assert Appeal.objects.get(pk=appeal.pk).state == "open"  # nothing half-saved
    services.appeal_resolve(
        appeal=appeal,
        actor=personas.manager_a,
        upheld=True,
        resolution="修改系客户要求，改判修改次数得分",
        points=D(80),
        indicator="t_revisions",
    )
    assert (appeal.state, appeal.resolved_by) == ("upheld", personas.manager_a)
    c.refresh_from_db()
    # Process 0.5 × 60 + 0.5 × 80 = 70; total 0.6 × 70 + 0.4 × 83.33 = 75.33.
    assert (c.total, c.adjustment) == (D("75.33"), D("9.00"))
    assert Adjustment.objects.get(result=c).reason == "修改系客户要求，改判修改次数得分"
    with pytest.raises(ValidationError, match="resolved already"):
        services.appeal_resolve(appeal=appeal, actor=personas.hr, upheld=False, resolution="再议")
    services.result_acknowledge(result=c, person=sales_c)


@pytest.mark.django_db
def test_appeal_after_the_deadline_is_refused(closed, team):
    personas, sales_c = team
    Period.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=7, minutes=1)
    )
    c = result_of(closed, sales_c)
    with pytest.raises(ValidationError) as error:
        services.appeal_submit(result=c, person=sales_c, reason="晚了")
    assert "deadline for appeals passed" in message(error)
    Period.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=6, hours=23)
    )
    services.appeal_submit(result=c, person=sales_c, reason="还来得及")


# --- Publication and new versions -----------------------------------------------------------


@pytest.mark.django_db
def test_publish_then_nothing_changes(closed, team):
    personas, sales_c = team
    with pytest.raises(ValidationError, match="Only HR"):
        services.period_publish(period=closed, actor=personas.manager_a)
    services.period_publish(period=closed, actor=personas.hr)
    assert closed.state == "published" and closed.published_by == personas.hr
    a = result_of(closed, personas.sales_a)
    refusals = [
        lambda: services.result_adjust(result=a, actor=personas.hr, points=1, reason="x"),
        lambda: services.result_acknowledge(result=a, person=personas.sales_a),
        lambda: services.appeal_submit(result=a, person=personas.sales_a, reason="x"),
        lambda: services.period_close(period=closed, actor=personas.hr),
        lambda: services.period_publish(period=closed, actor=personas.hr),
        lambda: services.period_update(period=closed, actor=personas.hr, name="x"),
    ]
    for refused in refusals:
        with pytest.raises(ValidationError) as error:
            refused()
        assert "published" in message(error)
    assert result_of(closed, personas.sales_a).total == D("80.00")


@pytest.mark.django_db
def test_publish_needs_a_closed_period(team, period):
    personas, _sales_c = team
    with pytest.raises(ValidationError, match="Close the period"):
        services.period_publish(period=period, actor=personas.hr)


@pytest.mark.django_db
def test_new_version_keeps_the_previous_one_readable(closed, team):
    personas, sales_c = team
    with pytest.raises(ValidationError, match="Only a published period"):
        services.period_new_version(period=closed, actor=personas.hr, reason="x")
    services.period_publish(period=closed, actor=personas.hr)
    with pytest.raises(ValidationError, match="reason"):
        services.period_new_version(period=closed, actor=personas.hr, reason="")
    with pytest.raises(ValidationError, match="Only HR"):
        services.period_new_version(period=closed, actor=personas.manager_a, reason="x")
    services.period_new_version(period=closed, actor=personas.hr, reason="客户评价补录")
    assert (closed.version, closed.state) == (2, "closed")
    old = result_of(closed, personas.sales_a, version=1)
    new = result_of(closed, personas.sales_a, version=2)
    assert new.change_reason == "客户评价补录"
    assert (new.total, new.items, new.rank) == (old.total, old.items, old.rank)
    with pytest.raises(ValidationError, match="earlier version"):
        services.result_adjust(result=old, actor=personas.hr, points=3, reason="旧版本")
    services.result_adjust(result=new, actor=personas.hr, points=3, reason="补录客户评价")
    assert result_of(closed, personas.sales_a, version=1).total == D("80.00")
    assert result_of(closed, personas.sales_a, version=2).total == D("83.00")
    services.period_publish(period=closed, actor=personas.hr)
    assert closed.state == "published" and closed.version == 2
    assert Result.objects.filter(period=closed).count() == 8


@pytest.mark.django_db
def test_closing_invalidates_live_scores(team, period, values, django_capture_on_commit_callbacks):
    personas, _sales_c = team
    engine.evaluate([personas.sales_a], period)
    calls = len(values.calls)
    with django_capture_on_commit_callbacks(execute=True):
        services.period_close(period=period, actor=personas.hr)
    assert len(values.calls) > calls  # closing recomputes, never trusts the cache
    version = engine._live_version(period)
    assert version >= 2


# --- Concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_closes_at_once_exactly_one_wins(team):
    personas, _sales_c = team
    period = services.period_create(actor=personas.hr, kind="quarter", starts_on=START)
    outcomes = []
    barrier = threading.Barrier(2)

    def close():
        from django.db import connections

        mine = Period.objects.get(pk=period.pk)
        barrier.wait()
        try:
            services.period_close(period=mine, actor=personas.hr)
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append(error.code or "refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "won"]
    assert Result.objects.filter(period=period).count() == 4


@pytest.mark.django_db(transaction=True)
def test_fifty_appeals_at_once_make_one(team):
    """The same appeal sent 50 times in parallel (a double-click storm, a script): exactly
    one is saved; every other attempt is refused with a message, none fails."""
    personas, _sales_c = team
    period = services.period_create(actor=personas.hr, kind="quarter", starts_on=START)
    services.period_close(period=period, actor=personas.hr)
    result = Result.objects.get(period=period, person=personas.sales_a)
    outcomes = []
    barrier = threading.Barrier(50)

    def appeal():
        from django.db import connections

        mine = Result.objects.get(pk=result.pk)
        barrier.wait()
        try:
            services.appeal_submit(result=mine, person=personas.sales_a, reason="请复核")
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append(error.code or "refused")
        except Exception as error:  # noqa: BLE001 — any other failure is the bug
            outcomes.append(f"error: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=appeal) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1
    assert sorted(set(outcomes) - {"won"}) == ["appeal_open"]
    assert Appeal.objects.filter(result=result).count() == 1


@pytest.mark.django_db
def test_closing_takes_the_same_queries_for_more_people(team, django_assert_max_num_queries):
    personas, _sales_c = team
    first = services.period_create(actor=personas.hr, kind="month", starts_on=START)
    with django_assert_max_num_queries(60) as baseline:
        services.period_close(period=first, actor=personas.hr)
    for number in range(5):
        add_salesperson(f"more{number}", personas.team_a)
        add_salesperson(f"other{number}", personas.team_b)
    second = services.period_create(actor=personas.hr, kind="month", starts_on=END.replace(day=1))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        services.period_close(period=second, actor=personas.hr)
    assert second.results.count() == first.results.count() + 10
