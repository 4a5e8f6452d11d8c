"""The personal score page in the browser: a salesperson opens 我的得分 from the menu,
sees the radar drawn by the static script (no CSP errors), and follows an indicator to
the records behind its value; on a phone the indicators are a readable list."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pathscore.scoring import services
from tests.crm import factories
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

SCORE_URL = re.compile(r"/scoring/periods/\d+/people/\d+/$")
EVIDENCE_URL = re.compile(r"/evidence/followup_count/$")


@pytest.fixture
def scored(personas):
    today = timezone.localdate()
    services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
        name="测试期",
    )
    project = factories.project(personas.sales_a, name="苏州储能项目")
    for days in (1, 2, 3):
        factories.followup(personas.sales_a, project, days_ago=days)
    return personas


def test_salesperson_reads_their_score_and_its_evidence(page, scored):
    errors = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    sign_in(page, scored.sales_a)
    page.goto("/scoring/me/")
    expect(page).to_have_url(SCORE_URL)
    expect(page.get_by_test_id("total")).to_be_visible()
    expect(page.locator("#score-radar svg")).to_be_visible()
    expect(page.get_by_test_id("value-followup_count")).to_contain_text("3")
    page.get_by_test_id("evidence-followup_count").click()
    expect(page).to_have_url(EVIDENCE_URL)
    expect(page.get_by_test_id("evidence-row")).to_have_count(3)
    assert not errors, errors  # the radar's script and data obey the CSP


def test_score_page_on_a_phone(phone_page, scored):
    sign_in(phone_page, scored.sales_a)
    phone_page.goto("/scoring/me/")
    expect(phone_page.get_by_test_id("indicator-list-process")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
