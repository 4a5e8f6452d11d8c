"""The team dashboard in the browser: charts drawn by the static script under the CSP, a
chart element and a KPI tile that drill down to their records, a salesperson sent to their
own score, and a phone-width page without horizontal scrolling."""

import re

import pytest
from playwright.sync_api import expect

from tests.crm import factories
from tests.e2e.helpers import sign_in
from tests.insights.conftest import build_world

pytestmark = pytest.mark.browser

PROJECTS_URL = re.compile(r"/insights/projects/\?")
NODES_URL = re.compile(r"/insights/nodes/\?")


@pytest.fixture
def world(personas):
    return build_world(personas)


def csp_errors(page) -> list:
    errors = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )
    return errors


def test_manager_reads_the_charts_and_drills_down(page, world):
    errors = csp_errors(page)
    sign_in(page, world.personas.manager_a)
    page.goto("/insights/")
    for key in ("nodes", "cycle", "funnel", "heatmap", "types"):
        expect(page.locator(f"#chart-{key} svg")).to_be_visible()
    expect(page.get_by_test_id("kpi-active-value")).to_have_text("2")
    # Another team's project is in no chart, table or tile.
    expect(page.get_by_text("唐山钢厂改造")).to_have_count(0)
    # The bar of projects at 首次拜访 (P2, an industrial customer) opens that project.
    page.locator("#chart-nodes svg path[fill='#E69F00']").first.click()
    expect(page).to_have_url(PROJECTS_URL)
    expect(page.get_by_test_id("list-table")).to_contain_text("苏州钢厂配电")
    expect(page.get_by_test_id("list-table").locator("tbody tr")).to_have_count(1)
    page.get_by_test_id("back-to-dashboard").click()
    page.get_by_test_id("kpi-overdue").click()
    expect(page).to_have_url(NODES_URL)
    expect(page.get_by_test_id("list-table")).to_contain_text("苏州钢厂配电")
    assert not errors, errors


def test_stalled_table_links_to_the_project(page, world):
    sign_in(page, world.personas.manager_a)
    page.goto("/insights/")
    expect(page.get_by_test_id("stalled-row")).to_have_count(1)
    page.get_by_test_id("stalled-link").click()
    expect(page).to_have_url(re.compile(rf"/projects/{world.p2.pk}/$"))


def test_executive_sees_the_company_and_bad_dates_are_refused(page, world):
    sign_in(page, world.personas.executive)
    page.goto("/insights/")
    expect(page.locator("#chart-heatmap svg")).to_be_visible()
    expect(page.get_by_test_id("kpi-active-value")).to_have_text("3")
    # The company-wide figures are stored: they say when they were computed, and a project
    # opened since shows once they are updated.
    expect(page.get_by_test_id("figures-at")).to_contain_text("全公司数据截至")
    sales_b = world.personas.sales_b
    factories.project(sales_b, factories.customer(sales_b, name="邯郸钢厂"), name="邯郸变电站")
    page.reload()
    expect(page.get_by_test_id("kpi-active-value")).to_have_text("3")
    page.get_by_test_id("figures-refresh").click()
    expect(page.get_by_test_id("kpi-active-value")).to_have_text("4")
    page.goto("/insights/?period=range&start=2026-05-10&end=2026-05-01")
    expect(page.get_by_test_id("filter-problems")).to_be_visible()
    expect(page.get_by_test_id("kpis")).to_have_count(0)
    expect(page.locator("#id_start")).to_have_value("2026-05-10")


def test_salesperson_is_sent_to_their_score(page, world):
    sign_in(page, world.personas.sales_a)
    page.goto("/insights/")
    expect(page).not_to_have_url(re.compile(r"/insights/"))


def test_dashboard_on_a_phone(phone_page, world):
    sign_in(phone_page, world.personas.manager_a)
    phone_page.goto("/insights/")
    expect(phone_page.locator("#chart-funnel svg")).to_be_visible()
    expect(phone_page.locator("#chart-types svg")).to_be_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
