"""The reports in the browser: a manager opens the delay report from the index, narrows it
with a filter (the address carries it), drills down from a bar, exports the workbook and
reads it back; the page prints without menu, filters or buttons, and fits a phone."""

import io
import re

import openpyxl
import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.helpers import open_menu_entry, sign_in, zh
from tests.insights.conftest import build_world
from tests.insights.test_reports import HEADER_ROW, shape

pytestmark = pytest.mark.browser


@pytest.fixture
def world(personas):
    return shape(build_world(personas))


def test_manager_filters_drills_down_and_exports(page, world):
    sign_in(page, world.personas.manager_a)
    with translation.override("zh-hans"):
        menu_entry = translation.pgettext("insights", "Reports")
    open_menu_entry(page, menu_entry)
    expect(page).to_have_url(re.compile(r"/insights/reports/$"))
    page.get_by_test_id("report-delays").click()
    expect(page).to_have_url(re.compile(r"/insights/reports/delays/"))

    # The last two weeks, as a range typed into the filters: the address carries it.
    page.locator("#id_period").select_option("range")
    page.locator("#id_start").fill(world.day(-13).isoformat())
    page.locator("#id_end").fill(world.day(0).isoformat())
    page.locator("#id_salesperson").select_option(str(world.personas.sales_a.pk))
    page.get_by_test_id("apply-filters").click()
    expect(page).to_have_url(re.compile(rf"start={world.day(-13).isoformat()}"))
    expect(page).to_have_url(re.compile(rf"salesperson={world.personas.sales_a.pk}"))
    expect(page.get_by_test_id("delay-total")).to_have_text("3")
    expect(page.get_by_test_id("delay-teams")).to_contain_text("华东一部")
    expect(page.get_by_test_id("delay-teams")).not_to_contain_text("华北一部")
    expect(page.locator("#chart-delays svg")).to_be_visible()

    # Another team's salesperson is not even offered.
    offered = page.locator("#id_salesperson option").all_inner_texts()
    assert world.personas.sales_b.name not in offered

    with page.expect_download() as caught:
        page.get_by_test_id("export-xlsx").click()
    with open(caught.value.path(), "rb") as downloaded:
        book = openpyxl.load_workbook(io.BytesIO(downloaded.read()))
    teams = list(book[zh("By team")].iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    assert [(row[0], row[1], row[2]) for row in teams] == [("华东一部", 3, 8)]

    # A bar opens the nodes behind it, with the same filters.
    page.locator("#chart-delays svg path[fill='#0072B2']").first.click()
    expect(page).to_have_url(re.compile(r"/insights/reports/nodes/\?.*set=delayed"))
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("list-table")).not_to_contain_text("唐山钢厂改造")


def test_report_prints_without_menu_filters_or_buttons(page, world):
    sign_in(page, world.personas.manager_a)
    page.goto("/insights/reports/node-completion/?period=quarter")
    expect(page.get_by_test_id("completion-people")).to_be_visible()
    expect(page.get_by_test_id("print-header")).to_be_hidden()
    page.emulate_media(media="print")
    expect(page.get_by_test_id("print-header")).to_be_visible()
    expect(page.get_by_test_id("print-header")).to_contain_text(zh("Node completion report"))
    for hidden in ("dashboard-filters", "export-xlsx", "print"):
        expect(page.get_by_test_id(hidden)).to_be_hidden()
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("completion-row").first).to_be_visible()


def test_report_on_a_phone(phone_page, world):
    sign_in(phone_page, world.personas.manager_a)
    phone_page.goto("/insights/reports/followups/?period=quarter")
    expect(phone_page.get_by_test_id("followup-log")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
