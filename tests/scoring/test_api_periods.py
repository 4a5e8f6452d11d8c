"""The evaluation API: periods (HR's lifecycle), results with their explanation, and
appeals — scoped like the pages, refusals with the field named, 403 for a role, 409 for a
state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.utils import timezone

from pathscore.scoring import services
from pathscore.scoring.models import Appeal, Period, Result
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

START = dt.date(2026, 7, 1)
PERIODS, RESULTS, APPEALS = "/api/v1/periods/", "/api/v1/results/", "/api/v1/appeals/"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Team A under the test scorecard: sales_a 80, sales_c 66.33, manager_a 18.67 (see
    test_report); sales_b is scored by the bundled salesperson scorecard."""
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    return sales_c


@pytest.fixture
def period(personas):
    return services.period_create(actor=personas.hr, kind="quarter", starts_on=START)


@pytest.fixture
def closed(personas, team, period):
    return services.period_close(period=period, actor=personas.hr)


@pytest.fixture
def api(client):
    """``api(user).get(url)`` / ``.post(url, data)`` as JSON, signed in as ``user``."""

    class Api:
        def __init__(self, user):
            client.logout()
            if user is not None:
                client.force_login(user)

        def get(self, url, **query):
            return client.get(url, query)

        def post(self, url, data=None):
            return client.post(url, data or {}, content_type="application/json")

        def patch(self, url, data):
            return client.patch(url, data, content_type="application/json")

    return Api


def result_of(period, person) -> Result:
    return Result.objects.get(period=period, person=person, version=period.version)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Periods ------------------------------------------------------------------------------


def test_everyone_signed_in_reads_periods(personas, api, period):
    for viewer in ("sales_a", "tech", "executive"):
        assert ids(api(personas.get(viewer)).get(PERIODS)) == {period.pk}
    row = api(personas.sales_a).get(f"{PERIODS}{period.pk}/").json()
    assert (row["state"], row["version"], row["starts_on"]) == ("open", 1, "2026-07-01")
    assert row["appeal_deadline"] is None
    assert api(None).get(PERIODS).status_code == 401  # no credentials: Bearer challenge
    assert api(personas.hr).get(f"{PERIODS}424242/").status_code == 404


def test_hr_opens_a_period_and_others_may_not(personas, api):
    response = api(personas.hr).post(
        PERIODS, {"kind": "month", "starts_on": "2026-02-01", "adjustment_bound": "5"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ends_on"], body["state"], body["adjustment_bound"]) == (
        "2026-02-28",
        "open",
        "5.00",
    )
    for viewer in ("sales_a", "manager_a", "executive"):
        response = api(personas.get(viewer)).post(
            PERIODS, {"kind": "month", "starts_on": "2026-03-01"}
        )
        assert response.status_code == 403
    assert Period.objects.count() == 1


def test_period_refusals_name_the_field(personas, api):
    client = api(personas.hr)
    response = client.post(PERIODS, {"kind": "year", "starts_on": "2026-01-01"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind"}
    response = client.post(PERIODS, {"kind": "quarter", "starts_on": "2026-07-02"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"starts_on"}
    response = client.post(
        PERIODS, {"kind": "custom", "starts_on": "2026-07-10", "ends_on": "2026-07-01"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"ends_on"}
    response = client.post(PERIODS, {"kind": "month", "starts_on": "2026-07-01", "appeal_days": -1})
    assert set(response.json()["errors"]) == {"appeal_days"}


def test_update_while_open_then_409_once_closed(personas, api, team, period):
    url = f"{PERIODS}{period.pk}/"
    response = api(personas.hr).patch(url, {"name": "三季度", "appeal_days": 3})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["appeal_days"]) == ("三季度", 3)
    assert api(personas.manager_a).patch(url, {"name": "x"}).status_code == 403
    services.period_close(period=period, actor=personas.hr)
    response = api(personas.hr).patch(url, {"name": "改名"})
    assert response.status_code == 409
    assert response.json()["current_state"] == "closed"
    assert Period.objects.get(pk=period.pk).name == "三季度"


def test_close_publish_and_new_version(personas, api, team, period):
    client = api(personas.hr)
    url = f"{PERIODS}{period.pk}/"
    response = client.post(f"{url}publish/")
    assert response.status_code == 409 and response.json()["current_state"] == "open"
    for viewer in ("sales_a", "manager_a"):
        assert api(personas.get(viewer)).post(f"{url}close/").status_code == 403
    client = api(personas.hr)
    response = client.post(f"{url}close/")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert response.json()["appeal_deadline"] is not None
    assert Result.objects.filter(period=period).count() == 4
    response = client.post(f"{url}close/")
    assert response.status_code == 409 and response.json()["current_state"] == "closed"
    response = client.post(f"{url}new-version/", {"reason": "复核"})
    assert response.status_code == 409
    assert client.post(f"{url}publish/").json()["state"] == "published"
    response = client.post(f"{url}new-version/", {"reason": " "})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert api(personas.manager_a).post(f"{url}new-version/", {"reason": "x"}).status_code == 403
    client = api(personas.hr)
    response = client.post(f"{url}new-version/", {"reason": "更正质量评分"})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("closed", 2)
    assert Result.objects.filter(period=period, version=2).count() == 4


def test_publish_waits_for_open_appeals(personas, api, closed, team):
    services.appeal_submit(result=result_of(closed, team), person=team, reason="不服")
    response = api(personas.hr).post(f"{PERIODS}{closed.pk}/publish/")
    assert response.status_code == 409
    assert response.json()["current_state"] == "closed"
    assert response.json()["detail"]


# --- Results ------------------------------------------------------------------------------


def test_results_are_scoped(personas, api, closed, team):
    mine = result_of(closed, personas.sales_a)
    team_a = {mine.pk, result_of(closed, team).pk, result_of(closed, personas.manager_a).pk}
    theirs = result_of(closed, personas.sales_b)
    assert ids(api(personas.sales_a).get(RESULTS)) == {mine.pk}
    assert ids(api(personas.manager_a).get(RESULTS)) == team_a
    assert ids(api(personas.regional_head).get(RESULTS)) == team_a
    assert ids(api(personas.manager_b).get(RESULTS)) == {theirs.pk}
    assert ids(api(personas.hr).get(RESULTS)) == team_a | {theirs.pk}
    assert ids(api(personas.tech).get(RESULTS)) == set()
    client = api(personas.sales_a)
    assert client.get(f"{RESULTS}{theirs.pk}/").status_code == 404
    assert client.get(f"{RESULTS}{result_of(closed, team).pk}/").status_code == 404
    assert api(personas.manager_b).get(f"{RESULTS}{mine.pk}/").status_code == 404


def test_result_filters(personas, api, closed, team):
    client = api(personas.hr)
    a = result_of(closed, personas.sales_a)
    assert ids(client.get(RESULTS, person=personas.sales_a.pk)) == {a.pk}
    assert len(ids(client.get(RESULTS, department=personas.east.pk))) == 3
    assert len(ids(client.get(RESULTS, period=closed.pk, current="true"))) == 4
    assert ids(client.get(RESULTS, current="false")) == set()
    # A manager cannot filter by a department outside their scope.
    response = api(personas.manager_b).get(RESULTS, department=personas.team_a.pk)
    assert response.status_code == 400 and "department" in response.json()["errors"]


def test_result_detail_explains_every_indicator(personas, api, closed, team):
    a = result_of(closed, personas.sales_a)
    body = api(personas.sales_a).get(f"{RESULTS}{a.pk}/").json()
    assert (body["total"], body["computed_total"], body["rank"], body["team_size"]) == (
        "80.00",
        "80.00",
        1,
        3,
    )
    assert body["dimension_scores"] == {"process": "100.00", "ability": "50.00"}
    assert [d["dimension"] for d in body["dimensions"]] == ["process", "ability"]
    assert body["dimensions"][0]["weight"] == "60.00"
    visits = next(item for item in body["items"] if item["indicator"] == "t_visits")
    assert visits["value"] == "15.0000"
    assert visits["team_average"] == "10.0000"
    assert visits["percentile"] == "83.33"
    assert visits["points"] == "100.00"
    assert visits["rule_kind"] == "team_relative"
    assert visits["rules_version"] == 1
    assert "1.5" in visits["rule"]
    assert visits["overridden"] is False
    assert body["adjustments"] == [] and body["appeals"] == []


def test_adjust_by_the_manager_within_the_bound(personas, api, closed, team):
    c = result_of(closed, team)
    url = f"{RESULTS}{c.pk}/adjust/"
    response = api(personas.manager_a).post(url, {"points": "2", "reason": "大客户攻关"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["adjustment"]) == ("68.33", "2.00")
    assert [a["reason"] for a in body["adjustments"]] == ["大客户攻关"]
    response = api(personas.manager_a).post(
        url, {"points": "120", "reason": "质量", "indicator": "t_quality"}
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"points"}
    response = api(personas.manager_a).post(url, {"points": "20", "reason": "太多"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"points"}
    response = api(personas.manager_a).post(url, {"points": "1"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"reason"}
    assert result_of(closed, team).total == D("68.33")


def test_a_salesperson_cannot_adjust_or_close(personas, api, closed, team):
    mine = result_of(closed, personas.sales_a)
    client = api(personas.sales_a)
    response = client.post(f"{RESULTS}{mine.pk}/adjust/", {"points": "5", "reason": "我觉得"})
    assert response.status_code == 403
    assert client.post(f"{PERIODS}{closed.pk}/close/").status_code == 403
    assert client.post(f"{PERIODS}{closed.pk}/publish/").status_code == 403
    # Another team's manager does not even find the result.
    other = api(personas.manager_b).post(
        f"{RESULTS}{mine.pk}/adjust/", {"points": "5", "reason": "x"}
    )
    assert other.status_code == 404
    assert result_of(closed, personas.sales_a).total == D("80.00")


def test_adjusting_a_published_period_is_a_conflict(personas, api, closed, team):
    services.period_publish(period=closed, actor=personas.hr)
    c = result_of(closed, team)
    response = api(personas.hr).post(f"{RESULTS}{c.pk}/adjust/", {"points": "1", "reason": "x"})
    assert response.status_code == 409
    assert response.json()["current_state"] == "published"


def test_acknowledge(personas, api, closed, team):
    mine = result_of(closed, personas.sales_a)
    url = f"{RESULTS}{mine.pk}/acknowledge/"
    assert api(personas.manager_a).post(url).status_code == 403
    response = api(personas.sales_a).post(url)
    assert response.status_code == 200 and response.json()["acknowledged_at"]
    assert api(personas.sales_a).post(url).status_code == 409


def test_appeal_and_resolve(personas, api, closed, team):
    c = result_of(closed, team)
    url = f"{RESULTS}{c.pk}/appeal/"
    assert api(personas.manager_a).post(url, {"reason": "代申诉"}).status_code == 403
    assert api(personas.sales_a).post(url, {"reason": "代申诉"}).status_code == 404
    response = api(team).post(url, {"reason": ""})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"reason"}
    response = api(team).post(url, {"reason": "方案修改是客户要求的"})
    assert response.status_code == 201, response.content
    appeal = response.json()
    assert (appeal["state"], appeal["person"], appeal["period"]) == ("open", team.pk, closed.pk)
    assert api(team).post(url, {"reason": "再次"}).status_code == 409

    resolve = f"{APPEALS}{appeal['id']}/resolve/"
    assert ids(api(team).get(APPEALS)) == {appeal["id"]}
    assert ids(api(personas.sales_a).get(APPEALS)) == set()
    assert ids(api(personas.manager_a).get(APPEALS)) == {appeal["id"]}
    assert api(personas.manager_b).get(f"{APPEALS}{appeal['id']}/").status_code == 404
    assert api(personas.manager_b).post(resolve, {}).status_code == 404
    response = api(team).post(resolve, {"decision": "uphold", "resolution": "自己批"})
    assert response.status_code == 403
    response = api(personas.manager_a).post(
        resolve, {"decision": "reject", "resolution": "不予支持", "points": "2"}
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"points"}
    response = api(personas.manager_a).post(resolve, {"decision": "maybe", "resolution": "x"})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"decision"}
    response = api(personas.manager_a).post(
        resolve, {"decision": "uphold", "resolution": "客户要求属实", "points": "3"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "upheld"
    assert result_of(closed, team).total == D("69.33")
    response = api(personas.hr).post(resolve, {"decision": "reject", "resolution": "再议"})
    assert response.status_code == 409
    assert (response.json()["appeal_state"], response.json()["current_state"]) == (
        "upheld",
        "closed",
    )


def test_appeal_after_the_deadline_is_a_conflict(personas, api, closed, team):
    Period.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=closed.appeal_days + 1)
    )
    c = result_of(closed, team)
    response = api(team).post(f"{RESULTS}{c.pk}/appeal/", {"reason": "晚了"})
    assert response.status_code == 409
    assert not Appeal.objects.exists()


# --- Queries ------------------------------------------------------------------------------


def test_lists_take_a_fixed_number_of_queries(
    personas, api, closed, team, values, django_assert_max_num_queries
):
    services.appeal_submit(result=result_of(closed, team), person=team, reason="不服")
    client = api(personas.hr)
    client.get(RESULTS)  # the session's first request writes its timestamps
    with django_assert_max_num_queries(8):
        assert len(ids(client.get(RESULTS))) == 4
    with django_assert_max_num_queries(8):
        assert len(ids(client.get(APPEALS))) == 1
    url = f"{RESULTS}{result_of(closed, team).pk}/"
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
