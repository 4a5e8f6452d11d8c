"""Recording a follow-up: the 2-tap quick entry on a phone, and the full form at a desk.

How taps are counted on the phone (390×844, touch):

* **Opening the form** — from any page a salesperson is on, tapping the floating "+" is
  tap 1, and it lands on the follow-up form. The promise is "at most 2 taps to open"; the
  floating button needs 1 (tap 2 would be spare, e.g. for closing a keyboard).
* **Filling** — typing the content and tapping a mode button are the user's input, not
  navigation; the project is already picked (the one of their last follow-up).
* **Saving** — tapping Save is exactly 1 tap; the next page is the project's timeline
  with the new entry on it.

Each ``tap()`` below goes through :func:`tap`, which counts it.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pathscore.core.options import seed_options
from pathscore.crm import services
from pathscore.crm.models import FollowUp
from tests.crm import factories
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

FORM_URL = re.compile(r"/followups/new/(\?.*)?$")


@pytest.fixture(autouse=True)
def _option_lists(transactional_db):
    # Live-server tests flush the database after each test, migration data included.
    seed_options()


class Taps:
    """Counts the taps a person makes."""

    def __init__(self):
        self.count = 0

    def tap(self, locator):
        expect(locator).to_be_visible()
        locator.tap()
        self.count += 1


@pytest.fixture
def field_work(personas):
    """sales_a works two projects; their last follow-up was on the substation project."""
    substation = factories.project(personas.sales_a, name="城东110kV变电站运维项目")
    solar_customer = factories.customer(personas.sales_a, name="金桥汽车零部件有限公司")
    solar = factories.project(personas.sales_a, solar_customer, name="金桥屋顶分布式光伏项目")
    services.contact_create(
        actor=personas.sales_a, customer=substation.customer, name="张主任", title="运维部主任"
    )
    services.contact_create(
        actor=personas.sales_a,
        customer=solar_customer,
        name="周科长",
        title="设备科科长",
        decision_role="technical_evaluator",
    )
    factories.followup(personas.sales_a, substation, content="首次拜访运维部。", days_ago=2)
    return substation, solar


def test_two_taps_open_the_form_and_one_tap_saves(phone_page: Page, personas, field_work):
    page = phone_page
    substation, solar = field_work
    sign_in(page, personas.sales_a)

    # From any page: the "+" is there and opens the form in one tap.
    for path in ("/followups/", f"/projects/{solar.pk}/", f"/customers/{solar.customer_id}/"):
        page.goto(path)
        taps = Taps()
        taps.tap(page.get_by_test_id("fab-followup"))
        expect(page).to_have_url(FORM_URL)
        assert taps.count <= 2
    # The form itself has no "+".
    expect(page.get_by_test_id("fab-followup")).to_have_count(0)

    # The story: on the home page, one tap opens the form.
    page.goto("/")
    opening = Taps()
    opening.tap(page.get_by_test_id("fab-followup"))
    expect(page).to_have_url(FORM_URL)
    assert opening.count <= 2

    # The project of the last follow-up is already picked.
    expect(page.locator("input[name=target]:checked")).to_have_value(f"project:{substation.pk}")
    page.locator("#id_content").fill("电话确认下周三现场勘查，客户将提供近三年负荷数据。")
    choosing = Taps()
    choosing.tap(page.get_by_test_id("mode-option").nth(1))

    saving = Taps()
    saving.tap(page.get_by_test_id("save"))

    expect(page).to_have_url(re.compile(rf"/projects/{substation.pk}/\?tab=followups$"))
    timeline = page.get_by_test_id("followup-timeline")
    expect(timeline).to_be_visible()
    expect(timeline.get_by_test_id("timeline-item").first).to_contain_text("电话确认下周三现场勘查")
    assert (opening.count, saving.count) == (1, 1)
    assert FollowUp.objects.filter(author=personas.sales_a).count() == 2


def test_an_error_keeps_everything_typed_on_the_phone(phone_page: Page, personas, field_work):
    page = phone_page
    _substation, solar = field_work
    sign_in(page, personas.sales_a)
    page.get_by_test_id("fab-followup").tap()
    expect(page).to_have_url(FORM_URL)

    # Search as you type, then pick the solar project: its customer's contacts appear.
    page.get_by_test_id("target-search").fill("光伏")
    option = page.locator(f"label[for=target-project-{solar.pk}]")
    expect(option).to_be_visible()
    option.tap()
    contact = page.get_by_test_id("contact-option").filter(has_text="周科长")
    expect(contact).to_be_visible()
    expect(page.get_by_test_id("contact-option").filter(has_text="张主任")).to_have_count(0)
    contact.tap()
    page.get_by_test_id("participant-option").filter(has_text="林工").tap()
    page.get_by_test_id("mode-option").first.tap()
    page.locator("#id_needs").fill("二期装机容量测算\n储能配置建议")
    page.locator("#id_next_action").fill("提交光伏方案V1")
    planned = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    page.locator("#id_next_action_date").fill(planned)
    # The content is forgotten.
    page.get_by_test_id("save").tap()

    expect(page.get_by_test_id("error-content")).to_be_visible()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page).to_have_url(FORM_URL)
    assert not FollowUp.objects.filter(project=solar).exists()
    expect(page.locator("input[name=target]:checked")).to_have_value(f"project:{solar.pk}")
    expect(page.locator("input[name=contacts]:checked")).to_have_count(1)
    expect(page.locator("input[name=participants]:checked")).to_have_value(str(personas.tech.pk))
    expect(page.locator("input[name=mode]:checked")).to_have_count(1)
    expect(page.locator("#id_needs")).to_have_value("二期装机容量测算\n储能配置建议")
    expect(page.locator("#id_next_action")).to_have_value("提交光伏方案V1")
    expect(page.locator("#id_next_action_date")).to_have_value(planned)

    page.locator("#id_content").fill("与周科长沟通屋顶光伏二期扩容需求。")
    page.get_by_test_id("save").tap()
    expect(page).to_have_url(re.compile(rf"/projects/{solar.pk}/\?tab=followups$"))
    followup = FollowUp.objects.get(project=solar)
    assert [n.text for n in followup.needs.order_by("pk")] == ["二期装机容量测算", "储能配置建议"]
    assert [c.name for c in followup.contacts.all()] == ["周科长"]
    assert list(followup.participants.all()) == [personas.tech]


def test_the_full_form_at_a_desk(browser, browser_context_args, personas, field_work):
    substation, _solar = field_work
    # The browser shares a location, as a phone at the substation would when allowed.
    context = browser.new_context(
        **browser_context_args,
        geolocation={"latitude": 30.274085, "longitude": 120.15507, "accuracy": 25},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        sign_in(page, personas.sales_a)
        page.goto(f"/projects/{substation.pk}/?tab=followups")
        page.get_by_test_id("timeline-record").click()
        expect(page).to_have_url(FORM_URL)
        expect(page.locator("input[name=target]:checked")).to_have_value(f"project:{substation.pk}")
        # Permission was given before, so the location is filled without a question.
        expect(page.locator("input[name=latitude]")).to_have_value("30.274085")

        page.get_by_test_id("mode-option").filter(has_text="技术交流").click()
        page.locator("#id_content").fill("与运维部技术交流巡检外包方案，客户关注响应时间。")
        when = timezone.localtime() - dt.timedelta(hours=3)
        page.locator("#id_occurred_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_test_id("participant-option").filter(has_text="林工").click()
        page.get_by_test_id("participant-option").filter(has_text="李经理").click()
        page.get_by_test_id("contact-option").filter(has_text="张主任").click()
        page.locator("#id_needs").fill("巡检响应时间承诺\n备品备件清单")
        page.locator("#id_next_action").fill("提交运维服务方案")
        page.locator("#id_next_action_date").fill(
            (timezone.localdate() + dt.timedelta(days=2)).isoformat()
        )
        page.get_by_test_id("save").click()

        expect(page).to_have_url(re.compile(rf"/projects/{substation.pk}/\?tab=followups$"))
        followup = FollowUp.objects.get(next_action="提交运维服务方案")
        assert followup.occurred_at.strftime("%H:%M") == when.astimezone(dt.UTC).strftime("%H:%M")
        assert str(followup.latitude) == "30.274085"
        assert followup.location_accuracy == 25

        page.goto(followup.get_absolute_url())
        expect(page.get_by_test_id("participants")).to_contain_text("林工")
        expect(page.get_by_test_id("participants")).to_contain_text("李经理")
        expect(page.get_by_test_id("contacts")).to_contain_text("张主任")
        expect(page.get_by_test_id("location")).to_contain_text("30.274085")
        needs = page.get_by_test_id("need")
        expect(needs).to_have_count(2)
        needs.first.get_by_test_id("need-handle").click()
        expect(needs.first).to_have_attribute("data-handled", "1")

        # The next action waits on the home page, due soon, until it is done.
        page.goto("/")
        item = page.get_by_test_id("next-action").filter(has_text="提交运维服务方案")
        expect(item).to_have_attribute("data-urgency", "soon")
        item.get_by_test_id("next-action-done").click()
        expect(page.get_by_test_id("next-action")).to_have_count(0)
        expect(page.get_by_test_id("next-actions-empty")).to_be_visible()
    finally:
        context.close()
