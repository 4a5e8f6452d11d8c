"""Running an appraisal period from the browser: HR opens, closes, publishes and versions a
period; the person acknowledges or appeals; the manager adjusts and resolves. Each action
is tried on its happy path and its refusals, and who may do what (403 for an action on
something the user sees, 404 for anything outside their scope)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core.models import SecurityEvent
from pathscore.org.models import User
from pathscore.scoring import services
from pathscore.scoring.models import Adjustment, Appeal, Period, Result
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _english(personas):
    """Pages are asserted in English: every persona reads the UI in English."""
    User.objects.update(language="en")
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Team A (sales_a, sales_c, manager_a) scored by a test scorecard: sales_a 73.33,
    sales_c 56.67 … (see tests/scoring/test_periods.py)."""
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    User.objects.filter(pk=sales_c.pk).update(language="en")
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


def result_of(period, person):
    period.refresh_from_db()
    return Result.objects.get(period=period, person=person, version=period.version)


def url(name, *args):
    return reverse(f"scoring:{name}", args=args)


def text(response) -> str:
    return response.content.decode()


# --- Creating and editing a period -------------------------------------------------------------


def test_hr_opens_a_quarter_from_any_day_in_it(personas, login):
    client = login(personas.hr)
    assert client.get(url("period-create")).status_code == 200
    response = client.post(
        url("period-create"),
        {
            "kind": "quarter",
            "starts_on": "2026-08-15",
            "name": "",
            "adjustment_bound": "8",
            "appeal_days": "5",
        },
    )
    period = Period.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("period-detail", period.pk)
    assert (period.starts_on, period.ends_on) == (START, END)
    assert period.name == "2026 Q3"  # the default name
    assert (period.adjustment_bound, period.appeal_days) == (D("8"), 5)


def test_a_custom_range_needs_its_last_day_and_the_form_keeps_the_input(personas, login):
    client = login(personas.hr)
    response = client.post(
        url("period-create"),
        {
            "kind": "custom",
            "starts_on": "2026-07-15",
            "ends_on": "",
            "name": "试用期考核",
            "adjustment_bound": "10",
            "appeal_days": "7",
        },
    )
    assert response.status_code == 200
    assert 'data-testid="error-ends_on"' in text(response)
    assert "Give the last day of the period." in text(response)
    assert 'value="试用期考核"' in text(response)
    assert not Period.objects.exists()


def test_overlapping_and_out_of_bound_periods_are_refused_naming_the_field(personas, login, period):
    client = login(personas.hr)
    data = {"kind": "quarter", "starts_on": "2026-09-01", "adjustment_bound": "10"}
    response = client.post(url("period-create"), {**data, "appeal_days": "7"})
    assert 'data-testid="error-starts_on"' in text(response)
    assert "already covers" in text(response)
    response = client.post(
        url("period-create"),
        {**data, "starts_on": "2026-10-01", "adjustment_bound": "150", "appeal_days": "7"},
    )
    assert 'data-testid="error-adjustment_bound"' in text(response)
    assert Period.objects.count() == 1


def test_hr_edits_an_open_period_but_not_a_closed_one(personas, login, team, period):
    client = login(personas.hr)
    response = client.post(
        url("period-edit", period.pk),
        {"name": "三季度考核", "adjustment_bound": "6", "appeal_days": "10"},
    )
    assert response.status_code == 302
    period.refresh_from_db()
    assert (period.name, period.adjustment_bound, period.appeal_days) == ("三季度考核", 6, 10)
    assert period.ends_on == END  # a quarter keeps its last day
    services.period_close(period=period, actor=personas.hr)
    response = client.get(url("period-edit", period.pk), follow=True)
    assert "is closed: only adjustments" in text(response)


@pytest.mark.parametrize("persona", ["sales_a", "manager_a", "executive"])
def test_only_hr_opens_closes_publishes_and_versions(personas, login, team, period, persona):
    client = login(getattr(personas, persona))
    assert client.get(url("period-create")).status_code == 403
    assert client.post(url("period-create"), {"kind": "month"}).status_code == 403
    assert client.post(url("period-edit", period.pk), {"name": "x"}).status_code == 403
    assert client.post(url("period-close", period.pk)).status_code == 403
    period.refresh_from_db()
    assert period.state == "open"
    services.period_close(period=period, actor=personas.hr)
    assert client.post(url("period-publish", period.pk)).status_code == 403
    services.period_publish(period=period, actor=personas.hr)
    response = client.post(url("period-new-version", period.pk), {"reason": "更正"})
    assert response.status_code == 403
    period.refresh_from_db()
    assert (period.state, period.version) == ("published", 1)
    assert SecurityEvent.objects.filter(kind="permission_denied", actor=getattr(personas, persona))


# --- The period page ---------------------------------------------------------------------------


def test_open_period_page_shows_live_scores_of_the_people_the_viewer_sees(
    personas, login, team, period
):
    sales_c = team
    client = login(personas.hr)
    response = client.get(url("period-detail", period.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = text(response)
    assert 'data-testid="live-note"' in page
    # Team A's scorecard scores three people, the bundled salesperson scorecard sales_b.
    assert page.count('data-testid="result-row"') == 4
    assert page.index(personas.sales_a.name) < page.index(sales_c.name)  # highest first
    assert 'data-testid="close-period"' in page
    team_a = url("period-detail", period.pk) + f"?department={personas.team_a.pk}"
    assert text(client.get(team_a)).count('data-testid="result-row"') == 3
    ascending = text(client.get(team_a + "&sort=total"))
    assert ascending.index(sales_c.name) < ascending.index(personas.sales_a.name)
    team_b = text(client.get(url("period-detail", period.pk) + f"?department={personas.team_b.pk}"))
    assert team_b.count('data-testid="result-row"') == 1
    assert personas.sales_b.name in team_b and personas.sales_a.name not in team_b


def test_a_manager_sees_their_team_only_and_a_salesperson_only_their_own_score(
    personas, login, team, period
):
    page = text(login(personas.manager_a).get(url("period-detail", period.pk)))
    assert page.count('data-testid="result-row"') == 3
    assert 'data-testid="close-period"' not in page
    page = text(login(personas.manager_b).get(url("period-detail", period.pk)))
    assert page.count('data-testid="result-row"') == 1
    assert personas.sales_b.name in page and personas.sales_a.name not in page
    response = login(personas.sales_a).get(url("period-detail", period.pk))
    assert response.status_code == 302
    assert response["Location"] == url("person-score", period.pk, personas.sales_a.pk)


def test_closed_period_page_counts_and_lists_open_appeals(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    services.appeal_submit(result=result, person=personas.sales_a, reason="拜访次数漏算")
    services.result_acknowledge(
        result=Result.objects.get(period=closed, person=personas.manager_a),
        person=personas.manager_a,
    )
    page = text(login(personas.hr).get(url("period-detail", closed.pk)))
    assert 'data-testid="count-results">4<' in page
    assert 'data-testid="count-acknowledged">1<' in page
    assert 'data-testid="count-open-appeals">1<' in page
    assert 'data-testid="open-appeals"' in page and "拜访次数漏算" in page
    assert 'data-testid="publish-period"' in page
    assert 'data-testid="live-note"' not in page


def test_period_page_queries_do_not_grow_with_people(
    personas, login, team, period, django_assert_max_num_queries
):
    client = login(personas.hr)
    page = url("period-detail", period.pk)
    client.get(page)
    with django_assert_max_num_queries(40) as live:
        client.get(page)
    for n in range(6):
        add_salesperson(f"extra_{n}", personas.team_a)
    with django_assert_max_num_queries(len(live.captured_queries)):
        response = client.get(page)
    assert text(response).count('data-testid="result-row"') == 10
    services.period_close(period=period, actor=personas.hr)
    for person in User.objects.filter(username__startswith="extra_")[:3]:
        result = result_of(period, person)
        services.appeal_submit(result=result, person=person, reason="复核")
    with django_assert_max_num_queries(30) as frozen:
        client.get(page)
    add_salesperson("late_joiner", personas.team_a)  # no result: changes nothing
    for person in User.objects.filter(username__startswith="extra_")[3:]:
        services.result_acknowledge(result=result_of(period, person), person=person)
    with django_assert_max_num_queries(len(frozen.captured_queries)):
        client.get(page)


# --- Closing, publishing, new versions ---------------------------------------------------------


def test_hr_closes_a_period_after_confirming_and_is_told_how_many_results_froze(
    personas, login, team, period
):
    client = login(personas.hr)
    confirm = client.get(url("period-close", period.pk))
    assert 'data-testid="confirm-close"' in text(confirm)
    assert "Closing freezes every score" in text(confirm)
    period.refresh_from_db()
    assert period.state == "open"  # asking is not acting
    response = client.post(url("period-close", period.pk), follow=True)
    period.refresh_from_db()
    assert period.state == "closed"
    assert "2026 Q3 is closed: 4 results frozen." in text(response)
    assert Result.objects.filter(period=period).count() == 4
    again = client.post(url("period-close", period.pk))
    assert again.status_code == 200
    assert 'data-testid="form-errors"' in text(again)
    assert "is closed: only adjustments" in text(again)


def test_publishing_is_refused_while_an_appeal_is_open(personas, login, closed):
    services.appeal_submit(
        result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="漏算"
    )
    client = login(personas.hr)
    confirm = text(client.get(url("period-publish", closed.pk)))
    assert 'data-testid="open-appeals"' in confirm and "漏算" in confirm
    response = client.post(url("period-publish", closed.pk))
    assert "Resolve the 1 open appeal(s) before publishing." in text(response)
    closed.refresh_from_db()
    assert closed.state == "closed"


def test_hr_publishes_and_nothing_changes_afterwards(personas, login, closed):
    client = login(personas.hr)
    response = client.post(url("period-publish", closed.pk), follow=True)
    assert "2026 Q3 is published." in text(response)
    closed.refresh_from_db()
    assert closed.state == "published"
    result = result_of(closed, personas.sales_a)
    refused = client.post(
        url("result-adjust", result.pk), {"target": "total", "points": "2", "reason": "补录"}
    )
    assert "is published: nothing in it changes" in text(refused)
    refused = login(personas.sales_a).post(url("result-appeal", result.pk), {"reason": "不服"})
    assert "is published: nothing in it changes" in text(refused)
    refused = login(personas.sales_a).post(url("result-acknowledge", result.pk))
    assert "is published: nothing in it changes" in text(refused)
    result.refresh_from_db()
    assert (result.total, result.acknowledged_at) == (result.computed_total, None)
    assert not Appeal.objects.exists() and not Adjustment.objects.exists()


def test_a_new_version_needs_a_reason_and_its_changes_are_listed(personas, login, closed):
    services.period_publish(period=closed, actor=personas.hr)
    client = login(personas.hr)
    response = client.post(url("period-new-version", closed.pk), {"reason": ""})
    assert "Give a reason for the new version." in text(response)
    closed.refresh_from_db()
    assert closed.version == 1
    response = client.post(
        url("period-new-version", closed.pk), {"reason": "客户评价补录"}, follow=True
    )
    closed.refresh_from_db()
    assert (closed.state, closed.version) == ("closed", 2)
    assert "Version 2 of 2026 Q3 is open" in text(response)
    result = result_of(closed, personas.sales_a)
    before = result.total
    services.result_adjust(result=result, actor=personas.manager_a, points="2", reason="补录评价")
    changes = client.get(url("period-changes", closed.pk))
    page = text(changes)
    assert "客户评价补录" in page
    assert page.count('data-testid="change-row"') == 1
    assert f"{before}" in page and f"{before + 2}" in page and "补录评价" in page
    # A manager sees the changes of their own people only.
    page = text(login(personas.manager_b).get(url("period-changes", closed.pk)))
    assert 'data-testid="change-row"' not in page
    assert (
        login(personas.hr).get(url("period-changes", closed.pk) + "?version=3").status_code == 404
    )


# --- Acknowledge and appeal (the person) -------------------------------------------------------


def test_the_person_acknowledges_once(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    client = login(personas.sales_a)
    score = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="acknowledge"' in score and 'data-testid="appeal"' in score
    assert 'data-testid="adjust"' not in score
    assert 'data-testid="confirm-acknowledge"' in text(
        client.get(url("result-acknowledge", result.pk))
    )
    response = client.post(url("result-acknowledge", result.pk), follow=True)
    assert "You have acknowledged your result." in text(response)
    result.refresh_from_db()
    assert result.acknowledged_at is not None
    again = client.post(url("result-acknowledge", result.pk))
    assert "You have acknowledged this result already." in text(again)
    score = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="acknowledged"' in score and 'data-testid="appeal"' not in score


def test_only_the_person_acknowledges_or_appeals(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    manager = login(personas.manager_a)
    assert manager.post(url("result-acknowledge", result.pk)).status_code == 403
    assert manager.post(url("result-appeal", result.pk), {"reason": "x"}).status_code == 403
    other = login(personas.sales_b)
    assert other.post(url("result-acknowledge", result.pk)).status_code == 404
    assert other.post(url("result-appeal", result.pk), {"reason": "x"}).status_code == 404
    result.refresh_from_db()
    assert result.acknowledged_at is None and not Appeal.objects.exists()


def test_the_person_appeals_with_a_reason_before_the_deadline(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    client = login(personas.sales_a)
    page = text(client.get(url("result-appeal", result.pk)))
    assert 'data-testid="summary-deadline"' in page
    response = client.post(url("result-appeal", result.pk), {"reason": "  "})
    assert 'data-testid="error-reason"' in text(response)
    assert "Say why you appeal." in text(response)
    response = client.post(
        url("result-appeal", result.pk), {"reason": "拜访记录漏算了两次"}, follow=True
    )
    assert "Your appeal is submitted" in text(response)
    appeal = Appeal.objects.get()
    assert (appeal.result, appeal.state, appeal.reason) == (result, "open", "拜访记录漏算了两次")
    page = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="appeal-waiting"' in page and "拜访记录漏算了两次" in page
    assert 'data-testid="acknowledge"' not in page


def test_an_appeal_after_the_deadline_is_refused(personas, login, closed):
    Period.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - dt.timedelta(days=8))
    result = result_of(closed, personas.sales_a)
    client = login(personas.sales_a)
    page = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert "Appeals closed on" in page and 'data-testid="appeal"' not in page
    assert 'data-testid="acknowledge"' in page  # acknowledging is still possible
    response = client.post(url("result-appeal", result.pk), {"reason": "晚了"})
    assert "The deadline for appeals passed on" in text(response)
    assert 'value="晚了"' in text(response) or "晚了</textarea>" in text(response)
    assert not Appeal.objects.exists()


# --- Adjust and resolve (the manager or HR) ----------------------------------------------------


def test_the_manager_adjusts_within_the_bound_with_a_reason(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    client = login(personas.manager_a)
    score = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="adjust"' in score and 'data-testid="acknowledge"' not in score
    assert 'data-testid="summary-bound"' in text(client.get(url("result-adjust", result.pk)))
    response = client.post(
        url("result-adjust", result.pk), {"target": "total", "points": "3", "reason": "协助投标"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("person-score", closed.pk, personas.sales_a.pk)
    result.refresh_from_db()
    assert result.total == result.computed_total + 3
    assert Adjustment.objects.get().reason == "协助投标"
    score = text(login(personas.sales_a).get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert "协助投标" in score  # the person sees why


def test_adjustments_beyond_the_bound_or_without_a_reason_are_refused(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    client = login(personas.manager_a)
    response = client.post(
        url("result-adjust", result.pk), {"target": "total", "points": "12", "reason": "表现好"}
    )
    assert 'data-testid="error-points"' in text(response)
    assert "at most 10.00 points in all" in text(response)
    assert 'value="12"' in text(response) and "表现好" in text(response)
    response = client.post(
        url("result-adjust", result.pk), {"target": "total", "points": "2", "reason": ""}
    )
    assert 'data-testid="error-reason"' in text(response)
    assert "Give a reason for the adjustment." in text(response)
    response = client.post(
        url("result-adjust", result.pk), {"target": "indicator", "points": "90", "reason": "x"}
    )
    assert 'data-testid="error-indicator"' in text(response)
    result.refresh_from_db()
    assert result.total == result.computed_total and not Adjustment.objects.exists()


def test_the_manager_overrides_one_indicator(personas, login, closed, team):
    result = result_of(closed, team)
    client = login(personas.hr)
    page = text(client.get(url("result-adjust", result.pk)))
    assert 'value="t_quality"' in page
    response = client.post(
        url("result-adjust", result.pk),
        {
            "target": "indicator",
            "indicator": "t_revisions",
            "points": "75",
            "reason": "返工由客户造成",
        },
    )
    assert response.status_code == 302
    result.refresh_from_db()
    item = next(item for item in result.items if item["indicator"] == "t_revisions")
    assert D(item["points"]) == D(75)
    assert Adjustment.objects.get().indicator == "t_revisions"


def test_who_may_adjust(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    data = {"target": "total", "points": "2", "reason": "自评"}
    assert login(personas.sales_a).post(url("result-adjust", result.pk), data).status_code == 403
    assert login(personas.manager_b).post(url("result-adjust", result.pk), data).status_code == 404
    assert login(personas.manager_b).get(url("result-adjust", result.pk)).status_code == 404
    assert login(personas.executive).post(url("result-adjust", result.pk), data).status_code == 403
    mine = result_of(closed, personas.manager_a)  # nobody adjusts their own result
    assert login(personas.manager_a).post(url("result-adjust", mine.pk), data).status_code == 403
    assert not Adjustment.objects.exists()


def test_the_manager_upholds_an_appeal_with_an_adjustment(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    appeal = services.appeal_submit(result=result, person=personas.sales_a, reason="漏算拜访")
    client = login(personas.manager_a)
    score = text(client.get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="resolve"' in score
    page = text(client.get(url("appeal-resolve", appeal.pk)))
    assert 'data-testid="appeal-reason"' in page and "漏算拜访" in page
    response = client.post(
        url("appeal-resolve", appeal.pk),
        {"decision": "uphold", "points": "2.5", "resolution": "核实后补两次拜访"},
        follow=True,
    )
    assert "The appeal is upheld" in text(response)
    appeal.refresh_from_db()
    result.refresh_from_db()
    assert (appeal.state, appeal.resolution) == ("upheld", "核实后补两次拜访")
    assert result.total == result.computed_total + D("2.5")
    page = text(login(personas.sales_a).get(url("person-score", closed.pk, personas.sales_a.pk)))
    assert 'data-testid="appeal-resolution"' in page and "核实后补两次拜访" in page
    client = login(personas.manager_a)
    again = client.get(url("appeal-resolve", appeal.pk), follow=True)
    assert "This appeal has been resolved already." in text(again)


def test_resolution_refusals(personas, login, closed):
    result = result_of(closed, personas.sales_a)
    appeal = services.appeal_submit(result=result, person=personas.sales_a, reason="不服")
    client = login(personas.manager_a)
    response = client.post(
        url("appeal-resolve", appeal.pk), {"decision": "reject", "points": "", "resolution": ""}
    )
    assert "Say how the appeal was resolved." in text(response)
    response = client.post(
        url("appeal-resolve", appeal.pk),
        {"decision": "reject", "points": "3", "resolution": "证据不足"},
    )
    assert 'data-testid="error-points"' in text(response)
    assert "A rejected appeal changes no points." in text(response)
    response = client.post(
        url("appeal-resolve", appeal.pk),
        {"decision": "uphold", "points": "30", "resolution": "补分"},
    )
    assert "at most 10.00 points in all" in text(response)
    appeal.refresh_from_db()
    assert appeal.state == "open"
    data = {"decision": "reject", "resolution": "驳回"}
    assert login(personas.manager_b).post(url("appeal-resolve", appeal.pk), data).status_code == 404
    assert login(personas.sales_a).post(url("appeal-resolve", appeal.pk), data).status_code == 403
    appeal.refresh_from_db()
    assert appeal.state == "open"
    response = login(personas.hr).post(url("appeal-resolve", appeal.pk), data)
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.state, appeal.resolved_by) == ("rejected", personas.hr)


# --- The appeals list and the home panel -------------------------------------------------------


def test_appeals_list_shows_open_appeals_in_scope_first(personas, login, closed, team):
    sales_c = team
    first = services.appeal_submit(
        result=result_of(closed, sales_c), person=sales_c, reason="第一份申诉"
    )
    services.appeal_resolve(appeal=first, actor=personas.hr, upheld=False, resolution="驳回")
    services.appeal_submit(
        result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="第二份申诉"
    )
    page = text(login(personas.manager_a).get(url("appeal-list")))
    assert page.count('data-testid="appeal-row"') == 2
    assert page.index("第二份申诉") < page.index("第一份申诉")  # the open one first
    assert page.count('data-testid="resolve-link"') == 1
    only_open = text(login(personas.manager_a).get(url("appeal-list") + "?state=open"))
    assert "第一份申诉" not in only_open
    assert 'data-testid="appeal-row"' not in text(login(personas.manager_b).get(url("appeal-list")))
    own = text(login(personas.sales_a).get(url("appeal-list")))
    assert "第二份申诉" in own and "第一份申诉" not in own and "resolve-link" not in own


def test_appeals_list_queries_are_constant(
    personas, login, closed, team, django_assert_max_num_queries
):
    sales_c = team
    services.appeal_submit(
        result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="一"
    )
    client = login(personas.hr)
    with django_assert_max_num_queries(20) as few:
        client.get(url("appeal-list"))
    services.appeal_submit(result=result_of(closed, sales_c), person=sales_c, reason="二")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("appeal-list"))
    assert text(response).count('data-testid="appeal-row"') == 2


def test_the_home_page_tells_managers_about_appeals_waiting(personas, login, closed):
    assert 'data-testid="panel-appeals"' not in text(login(personas.manager_a).get("/"))
    services.appeal_submit(
        result=result_of(closed, personas.sales_a), person=personas.sales_a, reason="申诉"
    )
    page = text(login(personas.manager_a).get("/"))
    assert 'data-testid="panel-appeals"' in page
    assert 'data-testid="appeals-total">1<' in page
    assert 'data-testid="panel-appeals"' not in text(login(personas.manager_b).get("/"))
    assert 'data-testid="panel-appeals"' not in text(login(personas.sales_a).get("/"))


def test_the_menu_offers_periods_and_appeals_to_managers_and_hr(personas, login):
    page = text(login(personas.manager_a).get(url("period-list")))
    assert url("appeal-list") in page
    page = text(login(personas.hr).get(url("period-list")))
    assert url("appeal-list") in page and 'data-testid="new-period"' in page
    page = text(login(personas.sales_a).get(url("period-list")))
    assert url("appeal-list") not in page and 'data-testid="new-period"' not in page
