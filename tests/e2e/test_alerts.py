"""Alerts in the browser: a manager finds a stalled project's alert on the home page,
opens it, is refused an intervention without a note, records one with a look-again date,
and resolves the alert; a salesperson's home, with the score radar, fits a phone."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pathscore.insights import services
from pathscore.insights.models import Alert
from pathscore.process.models import ProjectProcess
from pathscore.scoring import services as scoring_services
from tests.crm import factories
from tests.e2e.helpers import sign_in, zh

pytestmark = pytest.mark.browser

ALERT_URL = re.compile(r"/insights/alerts/\d+/$")


@pytest.fixture
def stalled_alert(personas):
    project = factories.project(personas.sales_a, name="苏州钢厂配电改造")
    ProjectProcess.objects.filter(project=project).update(
        current_since=timezone.localdate() - dt.timedelta(days=40)
    )
    services.alerts_detect()
    return Alert.objects.get()


def test_a_manager_records_an_intervention_and_resolves_the_alert(page, personas, stalled_alert):
    today = timezone.localdate()
    sign_in(page, personas.manager_a)
    panel = page.get_by_test_id("panel-alerts")
    expect(panel.get_by_test_id("panel-alert")).to_have_count(1)
    panel.get_by_test_id("panel-alert").get_by_role("link").click()
    expect(page).to_have_url(ALERT_URL)
    expect(page.get_by_test_id("alert-measured")).to_contain_text("40")
    expect(page.get_by_test_id("alert-threshold")).to_contain_text("21")
    expect(page.get_by_test_id("interventions-empty")).to_be_visible()

    form = page.get_by_test_id("intervention-form")
    form.locator("#id_kind").select_option(label="辅导")
    look_again = (today + dt.timedelta(days=3)).isoformat()
    form.locator("#id_look_again_on").fill(look_again)
    page.get_by_test_id("record-intervention").click()
    expect(page.get_by_test_id("error-note")).to_be_visible()
    # What was typed is still there.
    expect(page.get_by_test_id("intervention-form").locator("#id_look_again_on")).to_have_value(
        look_again
    )

    page.get_by_test_id("intervention-form").locator("#id_note").fill(
        "与王销售一起复盘，约客户下周现场勘查。"
    )
    page.get_by_test_id("record-intervention").click()
    expect(page).to_have_url(ALERT_URL)
    expect(page.get_by_test_id("intervention")).to_have_count(1)
    expect(page.get_by_test_id("intervention")).to_contain_text("约客户下周现场勘查")
    expect(page.get_by_test_id("intervention-look-again")).to_have_text(look_again)
    expect(page.get_by_test_id("alert-look-again")).to_contain_text(look_again)

    page.get_by_test_id("resolve-form").locator("#id_resolution_note").fill(
        "客户已确认勘查时间，项目恢复推进。"
    )
    page.get_by_test_id("resolve").click()
    expect(page.get_by_test_id("alert-state")).to_have_attribute("data-state", "resolved")
    expect(page.get_by_test_id("alert-resolution")).to_contain_text("项目恢复推进")
    expect(page.get_by_test_id("intervention")).to_have_count(1)
    expect(page.get_by_test_id("intervention-form")).to_have_count(0)

    page.goto("/insights/interventions/")
    expect(page.get_by_test_id("list-table")).to_contain_text("约客户下周现场勘查")


def test_the_salesperson_home_on_a_phone(phone_page, personas, stalled_alert):
    today = timezone.localdate()
    scoring_services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
        name="本季度",
    )
    sign_in(phone_page, personas.sales_a)
    for testid in ("panel-my-nodes", "panel-next-actions", "panel-my-handoffs", "panel-my-alerts"):
        expect(phone_page.get_by_test_id(testid)).to_be_visible()
    expect(phone_page.get_by_test_id("my-handoffs-empty")).to_be_visible()
    score = phone_page.get_by_test_id("panel-my-score")
    score.scroll_into_view_if_needed()
    expect(score.locator("#score-radar svg")).to_be_visible()
    expect(score.get_by_test_id("my-score-dimensions")).to_contain_text(zh("Team average"))
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone_page.get_by_test_id("my-alert").get_by_role("link").click()
    expect(phone_page).to_have_url(ALERT_URL)
    expect(phone_page.get_by_test_id("intervention-form")).to_have_count(0)
