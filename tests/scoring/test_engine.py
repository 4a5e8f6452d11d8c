"""The scoring engine against a hand-computed scenario: values, team averages,
percentiles, points, dimension scores and totals, exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pathscore.core.choices import Role
from pathscore.org import services as org_services
from pathscore.scoring import engine
from pathscore.scoring.bundled import DEFAULT_CODE, DIMENSIONS, ITEMS
from pathscore.scoring.models import Period, Scorecard
from pathscore.scoring.rules import check_weights
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)

pytestmark = pytest.mark.django_db

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


def add_salesperson(username, department):
    return org_services.user_create(
        username=username,
        name=username,
        password="x-pass-2026",
        roles=[Role.SALESPERSON],
        department=department,
        validate_password_strength=False,
    )


@pytest.fixture
def scenario(personas, values):
    """Team A scored by a department scorecard: sales_a, sales_c and manager_a (the
    deactivated salesperson is not compared)."""
    card = make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    values.set(personas.deactivated, visits=100, revisions=0, quality=100)
    return personas, sales_c, card


def test_hand_computed_scenario(scenario, values):
    personas, sales_c, card = scenario
    scores = engine.evaluate([personas.sales_a, sales_c, personas.manager_a], (START, END))
    a, c, m = scores[personas.sales_a.pk], scores[sales_c.pk], scores[personas.manager_a.pk]

    # Visits: team average (15 + 9 + 6) / 3 = 10, full marks at 15.
    visits = a.item("t_visits")
    assert visits["value"] == D(15)
    assert visits["team_average"] == D("10.0000")
    assert visits["points"] == D("100.00")
    assert visits["percentile"] == D("83.33")  # (2 below + ½ tie with itself) / 3
    assert visits["rule_kind"] == "team_relative"
    assert visits["params"] == {"full_at": "1.5"}
    assert visits["rules_version"] == 1
    assert visits["weight"] == D(50)
    assert c.item("t_visits")["points"] == D("60.00")
    assert m.item("t_visits")["points"] == D("40.00")
    # Revisions: lower is better, 100 at ≤ 2, 0 at ≥ 6.
    assert [s.item("t_revisions")["points"] for s in (a, c, m)] == [
        D("100.00"),
        D("50.00"),
        D("0.00"),
    ]
    assert a.item("t_revisions")["percentile"] == D("83.33")  # fewest revisions is best
    # Quality by percentile: 80 is above 70, below 90.
    assert [s.item("t_quality")["points"] for s in (a, c, m)] == [
        D("50.00"),
        D("83.33"),
        D("16.67"),
    ]
    assert a.dimensions == {"process": D("100.00"), "ability": D("50.00")}
    assert c.dimensions == {"process": D("55.00"), "ability": D("83.33")}
    assert m.dimensions == {"process": D("20.00"), "ability": D("16.67")}
    # 0.6 × 100 + 0.4 × 50; 0.6 × 55 + 0.4 × 83.33; 0.6 × 20 + 0.4 × 16.67
    assert (a.total, c.total, m.total) == (D("80.00"), D("66.33"), D("18.67"))
    assert a.team_dimensions == {"process": D("58.33"), "ability": D("50.00")}
    assert a.team_size == 3
    assert (a.scorecard_id, a.scorecard_version) == (card.pk, 1)


def test_one_compute_call_per_indicator_and_constant_queries(
    scenario, values, django_assert_max_num_queries
):
    personas, sales_c, _card = scenario
    engine.evaluate([personas.sales_a], (START, END))
    assert sorted(code for code, _ids in values.calls) == ["t_quality", "t_revisions", "t_visits"]
    # The team is computed together, whoever was asked about.
    assert all(
        set(ids) == {personas.sales_a.pk, sales_c.pk, personas.manager_a.pk}
        for _code, ids in values.calls
    )
    with django_assert_max_num_queries(4) as few:
        engine.evaluate([personas.sales_a, sales_c], (START, END))
    for number in range(6):
        add_salesperson(f"extra{number}", personas.team_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        engine.evaluate([personas.sales_a, sales_c], (START, END))


def test_who_is_scored_and_who_is_compared(personas, values):
    """An inactive person asked about is scored against the active team and themselves; a
    teammate is an active member of the same department (not of the region above it), and
    an unknown id is ignored."""
    make_scorecard(department=personas.east)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    values.set(personas.deactivated, visits=100, revisions=0, quality=100)
    # The region's head has the region's scorecard but works in the region, not team A.
    values.set(personas.regional_head, visits=1000, revisions=0, quality=0)

    scores = engine.evaluate([personas.sales_a.pk, personas.deactivated.pk, 10**9], (START, END))
    assert set(scores) == {personas.sales_a.pk, personas.deactivated.pk}
    mine = scores[personas.sales_a.pk]
    assert mine.team_size == 3
    assert mine.item("t_visits")["team_average"] == D("10.0000")
    assert mine.item("t_quality")["percentile"] == D("50.00")
    gone = scores[personas.deactivated.pk]
    assert gone.team_size == 4
    assert gone.item("t_visits")["team_average"] == D("32.5000")  # (15 + 9 + 6 + 100) / 4
    assert gone.item("t_quality")["percentile"] == D("87.50")

    head = engine.evaluate([personas.regional_head], (START, END))[personas.regional_head.pk]
    assert head.team_size == 1
    assert head.item("t_visits")["team_average"] == D("1000.0000")


def test_a_scorecard_by_department_needs_no_role_and_one_by_role_any_of_them(personas, values):
    Scorecard.objects.filter(code=DEFAULT_CODE).update(status="retired")
    make_scorecard(department=personas.team_a, code="team-card")
    make_scorecard(code="role-card")
    no_role = org_services.user_create(
        username="no_role",
        name="no_role",
        password="x-pass-2026",
        roles=[],
        department=personas.team_a,
        validate_password_strength=False,
    )
    two_roles = org_services.user_create(
        username="two_roles",
        name="two_roles",
        password="x-pass-2026",
        roles=[Role.HR_ADMIN, Role.SALESPERSON],
        department=personas.hr.department,
        validate_password_strength=False,
    )
    scores = engine.evaluate([no_role, two_roles, personas.hr], (START, END))
    assert {pk: score.scorecard_code for pk, score in scores.items()} == {
        no_role.pk: "team-card",
        two_roles.pk: "role-card",
    }
    # Team A's active members, the one without a role among them.
    assert scores[no_role.pk].team_size == 3


def test_a_cached_score_still_counts_in_a_teammates_team(scenario, values):
    personas, sales_c, _card = scenario
    period = Period.objects.create(name="Q3", kind="quarter", starts_on=START, ends_on=END)
    alone = engine.evaluate([personas.sales_a, sales_c], (START, END))
    engine.evaluate([personas.sales_a], period)
    both = engine.evaluate([personas.sales_a, sales_c], period)
    assert both[sales_c.pk].team_size == 3
    assert both[sales_c.pk].items == alone[sales_c.pk].items
    assert both[sales_c.pk].team_dimensions == alone[sales_c.pk].team_dimensions


def test_scorecard_department_before_role(personas, values):
    role_card = make_scorecard(code="role-card")
    assert engine.scorecard_for(personas.sales_b).code == DEFAULT_CODE
    Scorecard.objects.filter(code=DEFAULT_CODE).update(status="retired")
    assert engine.scorecard_for(personas.sales_b) == role_card
    assert engine.scorecard_for(personas.hr) is None
    region_card = make_scorecard(department=personas.east, code="east-card")
    # The nearest department up the tree wins over a role, and over departments above.
    assert engine.scorecard_for(personas.sales_a) == region_card
    assert engine.scorecard_for(personas.manager_a) == region_card
    team_card = make_scorecard(department=personas.team_a, code="team-card")
    assert engine.scorecard_for(personas.sales_a) == team_card
    assert engine.scorecard_for(personas.sales_b) == role_card
    # Drafts apply to nobody.
    Scorecard.objects.filter(pk=team_card.pk).update(status="draft")
    assert engine.scorecard_for(personas.sales_a) == region_card


def test_people_without_scorecard_are_left_out(personas, values):
    Scorecard.objects.filter(code=DEFAULT_CODE).update(status="retired")
    make_scorecard(department=personas.team_a)
    scores = engine.evaluate([personas.sales_a, personas.hr, personas.sales_b], (START, END))
    assert set(scores) == {personas.sales_a.pk}


def test_unknown_indicator_is_a_clear_error(personas, values):
    card = make_scorecard(department=personas.team_a)
    card.items.filter(indicator="t_quality").update(indicator="no_such_indicator")
    with pytest.raises(ValidationError, match="no_such_indicator"):
        engine.evaluate([personas.sales_a], (START, END))


def test_live_scores_are_cached_until_invalidated(scenario, values, personas):
    period = Period.objects.create(name="Q3", kind="quarter", starts_on=START, ends_on=END)
    first = engine.evaluate([personas.sales_a], period)
    calls = len(values.calls)
    again = engine.evaluate([personas.sales_a], period)
    assert len(values.calls) == calls
    assert again[personas.sales_a.pk].total == first[personas.sales_a.pk].total
    values.set(personas.sales_a, quality=95)
    engine.invalidate_live(period)
    fresh = engine.evaluate([personas.sales_a], period)
    assert len(values.calls) > calls
    assert fresh[personas.sales_a.pk].item("t_quality")["points"] == D("83.33")
    # Plain date ranges are never cached.
    engine.evaluate([personas.sales_a], (START, END))
    engine.evaluate([personas.sales_a], (START, END))
    assert len(values.calls) == calls + 9


def test_bundled_default_scorecard_is_valid():
    card = Scorecard.objects.get(code=DEFAULT_CODE, status="published")
    assert card.role == Role.SALESPERSON
    dimensions = {d.dimension: d.weight for d in card.dimensions.all()}
    assert dimensions == {code: D(weight) for code, weight in DIMENSIONS}
    items: dict[str, list[D]] = {}
    for item in card.items.all():
        items.setdefault(item.dimension, []).append(item.weight)
    assert check_weights(dimensions, items) == []
    assert card.items.count() == len(ITEMS) == 17
    from pathscore.scoring import indicators

    engine.load_catalogue()
    catalogued = {indicator.code for indicator in indicators.catalogue()}
    for item in card.items.all():
        assert item.indicator in catalogued
        indicator = indicators.get(item.indicator)
        assert indicator.dimension == item.dimension
        assert indicator.direction == item.direction


def test_default_scorecard_scores_real_records(personas):
    """With no activity at all everyone scores within bounds under the bundled card."""
    scores = engine.evaluate([personas.sales_a, personas.sales_b], (START, END))
    assert set(scores) == {personas.sales_a.pk, personas.sales_b.pk}
    for score in scores.values():
        assert D(0) <= score.total <= D(100)
        assert len(score.items) == 17
