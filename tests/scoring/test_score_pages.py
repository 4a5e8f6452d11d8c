"""The personal score page, its evidence pages and the list of periods: who sees what,
live and frozen values, and bounded queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.scoring import services
from pathscore.scoring.models import ScorecardItem
from tests.crm import factories
from tests.scoring.scorecards import build_scorecard
from tests.scoring.test_engine import add_salesperson
from tests.scoring.test_indicators import node_scenario, sales_a2  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    """Live scores are cached by period and person ids, which repeat between tests."""
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def card(personas):
    """Team A: process 60 (follow-ups: full marks at 10; node on-time rate: full marks at
    100 %), ability 40 (quality score: percentile)."""
    return build_scorecard(
        code="sales-a",
        name="销售考核",
        department=personas.team_a,
        dimensions={"process": 60, "ability": 40},
        items=[
            ("followup_count", "process", 50, "target", "higher", {"target": "10"}),
            ("node_on_time_rate", "process", 50, "target", "higher", {"target": "100"}),
            ("quality_score", "ability", 100, "percentile", "higher", {}),
        ],
    )


@pytest.fixture
def period(personas):
    today = timezone.localdate()
    return services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
        name="测试期",
    )


@pytest.fixture
def records(personas, card, period):
    """sales_a records four follow-ups in the period and one before it."""
    project = factories.project(personas.sales_a, name="苏州储能项目")
    made = [factories.followup(personas.sales_a, project, days_ago=n) for n in (1, 2, 3, 4)]
    factories.followup(personas.sales_a, project, days_ago=40, content="很早以前的拜访")
    return project, made


def score_url(period, person):
    return reverse("scoring:person-score", args=[period.pk, person.pk])


def evidence_url(period, person, code):
    return reverse("scoring:score-evidence", args=[period.pk, person.pk, code])


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("sales_a", 200),
        ("manager_a", 200),
        ("regional_head", 200),
        ("hr", 200),
        ("executive", 200),
        ("sales_b", 404),
        ("manager_b", 404),
        ("tech", 404),
    ],
)
def test_score_page_access(personas, login, records, period, viewer, status):
    client = login(getattr(personas, viewer))
    response = client.get(score_url(period, personas.sales_a))
    assert response.status_code == status
    evidence = client.get(evidence_url(period, personas.sales_a, "followup_count"))
    assert evidence.status_code == status


def test_a_salesperson_never_sees_a_teammate(personas, login, records, period):
    teammate = add_salesperson("sales_c", personas.team_a)
    client = login(personas.sales_a)
    assert client.get(score_url(period, teammate)).status_code == 404
    assert client.get(score_url(period, personas.sales_a)).status_code == 200


def test_score_and_evidence_pages_are_never_cached(personas, login, records, period):
    client = login(personas.sales_a)
    for url in (
        score_url(period, personas.sales_a),
        evidence_url(period, personas.sales_a, "followup_count"),
        reverse("scoring:my-score"),
    ):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url


# --- Content -----------------------------------------------------------------------------


def test_live_score_shows_indicators_values_and_rules(personas, login, records, period):
    response = login(personas.sales_a).get(score_url(period, personas.sales_a))
    body = response.content.decode()
    assert 'data-testid="indicator-followup_count"' in body
    assert 'data-testid="indicator-node_on_time_rate"' in body
    assert 'data-testid="indicator-quality_score"' in body
    # Four follow-ups in the period (the one 40 days ago is outside it).
    value = response.context["score"]["items"][0]
    assert value["indicator"] == "followup_count"
    assert value["value"] == D(4)
    assert value["points"] == D("40.00")
    row = response.context["score"]["dimension_rows"][0]["items"][0]
    assert row["code"] == "followup_count"
    assert row["rule"] and row["rule"].split(" ")[0] in body
    assert row["rules_version"] == 1
    assert 'id="score-radar-data"' in body
    assert "score-radar.js" in body
    assert response.context["score"]["live"] is True
    assert response.context["score"]["rank"] is not None


def test_evidence_lists_the_records_behind_the_value(personas, login, records, period):
    _project, made = records
    response = login(personas.sales_a).get(evidence_url(period, personas.sales_a, "followup_count"))
    body = response.content.decode()
    assert body.count('data-testid="evidence-row"') == 4
    for followup in made:
        assert followup.get_absolute_url() in body
    assert "很早以前的拜访" not in body


@pytest.mark.usefixtures("node_scenario")
def test_on_time_evidence_marks_the_late_node(personas, login, card, period):
    response = login(personas.sales_a).get(
        evidence_url(period, personas.sales_a, "node_on_time_rate")
    )
    body = response.content.decode()
    assert body.count('data-testid="evidence-row"') == 2
    assert body.count('data-testid="flag-late"') == 1
    assert body.count('data-testid="flag-ok"') == 1
    assert reverse("process:node-detail", args=[1]).rsplit("/", 2)[0] in body


def test_evidence_of_an_indicator_not_on_the_card_is_404(personas, login, records, period):
    client = login(personas.sales_a)
    response = client.get(evidence_url(period, personas.sales_a, "signed_amount"))
    assert response.status_code == 404


def test_closed_period_shows_the_frozen_result(personas, login, records, period):
    services.period_close(period=period, actor=personas.hr)
    response = login(personas.manager_a).get(score_url(period, personas.sales_a))
    score = response.context["score"]
    assert score["live"] is False
    assert score["result"].person == personas.sales_a
    assert score["items"][0]["value"] == "4"
    assert "live-note" not in response.content.decode()


def test_no_scorecard_says_so(personas, login, period):
    response = login(personas.tech).get(score_url(period, personas.tech))
    assert response.status_code == 200
    assert 'data-testid="no-score"' in response.content.decode()


def test_my_score_redirects_to_the_current_period(personas, login, period):
    response = login(personas.sales_a).get(reverse("scoring:my-score"))
    assert response.status_code == 302
    assert response["Location"] == score_url(period, personas.sales_a)


def test_my_score_without_periods_goes_to_the_list(personas, login):
    response = login(personas.sales_a).get(reverse("scoring:my-score"))
    assert response["Location"] == reverse("scoring:period-list")


def test_period_list_for_everyone_signed_in(personas, login, period, client):
    response = login(personas.tech).get(reverse("scoring:period-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "测试期" in body
    assert score_url(period, personas.tech) in body
    client.logout()
    assert client.get(reverse("scoring:period-list")).status_code == 302


def test_menu_shows_my_score_to_salespeople(personas, login):
    body = login(personas.sales_a).get("/").content.decode()
    assert reverse("scoring:my-score") in body


# --- Queries -----------------------------------------------------------------------------


def test_score_page_queries_do_not_grow_with_records(
    personas, login, records, period, django_assert_max_num_queries
):
    client = login(personas.manager_a)
    url = score_url(period, personas.sales_a)
    client.get(url)
    cache.clear()
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    project, _made = records
    for n in range(6):
        factories.followup(personas.sales_a, project, days_ago=5 + n)
    for name in ("sales_c", "sales_d", "sales_e"):
        add_salesperson(name, personas.team_a)
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_evidence_page_queries_do_not_grow_with_records(
    personas, login, records, period, django_assert_max_num_queries
):
    client = login(personas.sales_a)
    url = evidence_url(period, personas.sales_a, "followup_count")
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    project, _made = records
    for n in range(8):
        factories.followup(personas.sales_a, project, days_ago=5 + n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_period_list_queries_are_constant(personas, login, django_assert_max_num_queries):
    client = login(personas.sales_a)
    services.period_create(actor=personas.hr, kind="month", starts_on=dt.date(2026, 1, 1))
    client.get(reverse("scoring:period-list"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("scoring:period-list"))
    for month in (2, 3, 4, 5):
        services.period_create(actor=personas.hr, kind="month", starts_on=dt.date(2026, month, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("scoring:period-list"))


def test_an_indicator_with_nothing_to_measure_is_shown_as_not_applicable(
    personas, login, card, records, period
):
    """No feedback relayed: the relay time does not apply, earns no free full marks, and
    the page says why and where its weight went."""
    ScorecardItem.objects.filter(scorecard=card, indicator="node_on_time_rate").update(
        indicator="feedback_relay_time",
        direction="lower",
        params={"target": "4", "zero_at": "48"},
    )
    response = login(personas.sales_a).get(score_url(period, personas.sales_a))
    body = response.content.decode()
    assert 'data-testid="not-applicable-feedback_relay_time"' in body
    assert 'data-testid="why-not-applicable-feedback_relay_time"' in body
    # No value, so no unit after the dash.
    assert 'data-testid="value-feedback_relay_time">—</td>' in body
    score = response.context["score"]
    relay = next(i for i in score["items"] if i["indicator"] == "feedback_relay_time")
    assert relay["points"] is None and relay["value"] is None
    # Process is the follow-ups' 40 points alone (4 of 10), not (40 + 100) / 2.
    assert score["dimensions"]["process"] == D("40.00")


def test_dimensions_show_in_the_usual_order_whatever_the_stored_order():
    """jsonb on PostgreSQL sorts keys; the pages and the API sort them back."""
    from pathscore.scoring.choices import in_dimension_order

    stored = {"results": 1, "ability": 2, "mystery": 0, "process": 3}
    assert [code for code, _value in in_dimension_order(stored)] == [
        "process",
        "ability",
        "results",
        "mystery",
    ]
