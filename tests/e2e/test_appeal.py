"""An appeal in the browser: a salesperson opens 我的得分 for a closed period, looks at the
records behind an indicator, goes back and appeals with a reason; their manager finds the
appeal waiting, upholds it with an adjustment; the salesperson reads the resolution and
the new total."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pathscore.scoring import services
from pathscore.scoring.models import Result
from tests.crm import factories
from tests.e2e.helpers import open_menu_entry, sign_in, sign_out, zh

pytestmark = pytest.mark.browser

SCORE_URL = re.compile(r"/scoring/periods/\d+/people/\d+/$")
EVIDENCE_URL = re.compile(r"/evidence/followup_count/$")
APPEAL_URL = re.compile(r"/scoring/results/\d+/appeal/$")
RESOLVE_URL = re.compile(r"/scoring/appeals/\d+/resolve/$")


@pytest.fixture
def closed_period(personas):
    """A closed period in which sales_a recorded three follow-ups (the bundled scorecard
    scores salespeople)."""
    today = timezone.localdate()
    period = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today - dt.timedelta(days=1),
        name="六月考核",
    )
    project = factories.project(personas.sales_a, name="苏州储能项目")
    for days in (2, 3, 4):
        factories.followup(personas.sales_a, project, days_ago=days)
    services.period_close(period=period, actor=personas.hr)
    return period


def test_a_salesperson_appeals_and_the_manager_resolves_it(page, personas, closed_period):
    result = Result.objects.get(period=closed_period, person=personas.sales_a)
    before = result.total

    sign_in(page, personas.sales_a)
    open_menu_entry(page, zh("My score"))
    expect(page).to_have_url(SCORE_URL)
    expect(page.get_by_test_id("response-panel")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text(str(before))

    page.get_by_test_id("evidence-followup_count").click()
    expect(page).to_have_url(EVIDENCE_URL)
    expect(page.get_by_test_id("evidence-row")).to_have_count(3)
    page.go_back()
    expect(page).to_have_url(SCORE_URL)

    page.get_by_test_id("appeal").click()
    expect(page).to_have_url(APPEAL_URL)
    expect(page.get_by_test_id("summary-deadline")).to_be_visible()
    page.locator("[name=reason]").fill("7月的两次现场勘查没有计入跟进次数")
    page.get_by_test_id("submit-appeal").click()
    expect(page).to_have_url(SCORE_URL)
    expect(page.get_by_test_id("appeal-waiting")).to_be_visible()
    sign_out(page)

    sign_in(page, personas.manager_a)
    expect(page.get_by_test_id("panel-appeals")).to_contain_text(personas.sales_a.name)
    open_menu_entry(page, zh("Appeals"))
    row = page.get_by_test_id("appeal-row").filter(has_text=personas.sales_a.name)
    expect(row).to_contain_text("7月的两次现场勘查没有计入跟进次数")
    row.get_by_test_id("resolve-link").click()
    expect(page).to_have_url(RESOLVE_URL)
    expect(page.get_by_test_id("appeal-reason")).to_contain_text("现场勘查")
    page.locator("[name=decision]").select_option("uphold")
    page.locator("[name=points]").fill("3")
    page.locator("[name=resolution]").fill("核实勘查记录后加3分")
    page.get_by_test_id("resolve-appeal").click()
    expect(page).to_have_url(SCORE_URL)
    after = before + Decimal(3)
    expect(page.get_by_test_id("total")).to_have_text(str(after))
    sign_out(page)

    sign_in(page, personas.sales_a)
    page.goto("/scoring/me/")
    expect(page.get_by_test_id("appeal-resolution")).to_contain_text("核实勘查记录后加3分")
    expect(page.get_by_test_id("total")).to_have_text(str(after))
    expect(page.get_by_test_id("adjustments")).to_contain_text("核实勘查记录后加3分")
