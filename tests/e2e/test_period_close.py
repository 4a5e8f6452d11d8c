"""Running a quarter in the browser: HR opens the current quarter from the periods list,
sees the live scores, closes it after confirming, sees the frozen results, and publishes."""

import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from pathscore.scoring import services
from pathscore.scoring.choices import PeriodKind
from pathscore.scoring.models import Period, Result
from tests.crm import factories
from tests.e2e.helpers import open_menu_entry, sign_in, zh

pytestmark = pytest.mark.browser

DETAIL_URL = re.compile(r"/scoring/periods/\d+/$")


def zh_state(state: str) -> str:
    """A period state's badge as a zh-hans page shows it (a context of its own)."""
    with translation.override("zh-hans"):
        return translation.pgettext("appraisal period state", state)


@pytest.fixture
def activity(personas):
    """Two salespeople with follow-ups this quarter (the bundled scorecard scores them)."""
    project = factories.project(personas.sales_a, name="苏州储能项目")
    for days in (1, 2, 3):
        factories.followup(personas.sales_a, project, days_ago=days)
    other = factories.project(personas.sales_b, name="唐山运维项目")
    factories.followup(personas.sales_b, other, days_ago=1)
    return personas


def test_hr_runs_a_quarter_from_the_ui(page, activity):
    personas = activity
    today = timezone.localdate()
    starts_on, ends_on = services.period_bounds(PeriodKind.QUARTER, today)

    sign_in(page, personas.hr)
    open_menu_entry(page, zh("Appraisal periods"))
    page.get_by_test_id("new-period").click()
    form = page.get_by_test_id("period-form")
    expect(form.locator("[name=ends_on]")).to_be_hidden()  # only for a custom range
    form.locator("[name=kind]").select_option("quarter")
    form.locator("[name=starts_on]").fill(today.isoformat())
    form.locator("[name=adjustment_bound]").fill("8")
    form.get_by_test_id("save").click()

    expect(page).to_have_url(DETAIL_URL)
    period = Period.objects.get()
    assert (period.starts_on, period.ends_on, period.adjustment_bound) == (starts_on, ends_on, 8)
    expect(page.get_by_test_id("period-state")).to_have_text(zh_state("Open"))
    expect(page.get_by_test_id("live-note")).to_be_visible()
    expect(page.get_by_test_id("result-row")).to_have_count(2)

    page.get_by_test_id("close-period").click()
    expect(page.get_by_test_id("confirm-explanation")).to_be_visible()
    page.get_by_test_id("confirm-close").click()
    expect(page).to_have_url(DETAIL_URL)
    expect(page.get_by_test_id("period-state")).to_have_text(zh_state("Closed"))
    frozen = Result.objects.filter(period=period).count()
    assert frozen == 2
    expect(page.get_by_test_id("count-results")).to_have_text(str(frozen))
    expect(page.get_by_test_id("live-note")).to_have_count(0)
    rows = page.get_by_test_id("result-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=personas.sales_a.name)).to_have_count(1)
    expect(rows.filter(has_text=personas.sales_b.name)).to_have_count(1)
    expect(page.get_by_test_id("deadline")).not_to_be_empty()

    page.get_by_test_id("publish-period").click()
    page.get_by_test_id("confirm-publish").click()
    expect(page).to_have_url(DETAIL_URL)
    expect(page.get_by_test_id("period-state")).to_have_text(zh_state("Published"))
    expect(page.get_by_test_id("new-version")).to_be_visible()
    period.refresh_from_db()
    assert period.state == "published" and period.published_by == personas.hr
