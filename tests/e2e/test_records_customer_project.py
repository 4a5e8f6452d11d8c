"""A salesperson records a new customer and opens a project for it, at a desk and on a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

from pathscore.core.options import seed_options
from tests.crm import factories
from tests.e2e.helpers import open_menu_entry, sign_in, zh

pytestmark = pytest.mark.browser

CUSTOMER_URL = re.compile(r"/customers/\d+/$")
PROJECT_URL = re.compile(r"/projects/\d+/$")
VALID_CODE = "91350100M000100Y43"
TYPO_CODE = "91350100M000100Y44"


@pytest.fixture(autouse=True)
def _option_lists(transactional_db):
    # Live-server tests flush the database after each test, migration data included.
    seed_options()


@pytest.fixture(params=["desktop", "phone"])
def screen(request) -> Page:
    """The same story on the desktop page (1366×900) and the phone page (390×844)."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone_page")


def test_salesperson_creates_a_customer_then_a_project(screen, personas):
    page = screen
    sign_in(page, personas.sales_a)

    open_menu_entry(page, zh("Customers"))
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_test_id("create").click()

    # A typo in the credit code: refused on its field, everything typed is kept.
    form = page.get_by_test_id("customer-form")
    form.locator("#id_name").fill("南京新源光伏有限公司")
    form.locator("#id_customer_type").select_option(label="新能源企业")
    form.locator("#id_credit_code").fill(TYPO_CODE)
    form.locator("#id_region").fill("江苏南京")
    form.locator("#id_address").fill("江宁区天元路 1 号")
    form.locator("#id_latitude").fill("31.953418")
    form.locator("#id_longitude").fill("118.839884")
    expect(form.locator("#id_owner")).to_have_count(0)
    page.get_by_test_id("save").click()

    expect(form.get_by_test_id("error-credit_code")).to_be_visible()
    expect(form.locator("[data-testid^=error-]")).to_have_count(1)
    expect(page.get_by_test_id("error-summary")).to_be_visible()
    expect(form.locator("#id_name")).to_have_value("南京新源光伏有限公司")
    expect(form.locator("#id_customer_type option:checked")).to_have_text("新能源企业")
    expect(form.locator("#id_address")).to_have_value("江宁区天元路 1 号")
    expect(form.locator("#id_latitude")).to_have_value("31.953418")

    form.locator("#id_credit_code").fill(VALID_CODE)
    page.get_by_test_id("save").click()

    expect(page).to_have_url(CUSTOMER_URL)
    expect(page.get_by_test_id("customer-name")).to_have_text("南京新源光伏有限公司")
    expect(page.get_by_test_id("credit-code")).to_have_text(VALID_CODE)
    expect(page.get_by_test_id("coordinates")).to_contain_text("31.953418")
    customer_url = page.url

    # One tap from the customer to a project form with the customer already chosen.
    page.get_by_test_id("new-project").click()
    form = page.get_by_test_id("project-form")
    expect(form.locator("#id_customer option:checked")).to_have_text("南京新源光伏有限公司")
    form.locator("#id_name").fill("20MW 分布式光伏并网项目")
    form.locator("#id_category").select_option(label="新能源项目")
    form.locator("#id_estimated_amount").fill("2350000")
    form.locator("#id_expected_sign_date").fill("2031-06-30")
    form.locator("#id_description").fill("屋顶光伏加储能，客户关注投资回收期。")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(PROJECT_URL)
    expect(page.get_by_test_id("project-name")).to_have_text("20MW 分布式光伏并网项目")
    expect(page.get_by_test_id("project-customer")).to_have_text("南京新源光伏有限公司")
    expect(page.get_by_test_id("project-owner")).to_contain_text(personas.sales_a.name)
    expect(page.get_by_test_id("estimated-amount")).to_have_text("¥2,350,000.00")
    expect(page.get_by_test_id("expected-sign-date")).to_have_text("2031-06-30")
    expect(page.get_by_test_id("status-badge")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("project-description")).to_contain_text("投资回收期")
    project_url = page.url

    # The tabs work without a reload, and the address remembers the open tab.
    page.get_by_test_id("tab-history").click()
    expect(page.get_by_test_id("pane-history")).to_be_visible()
    expect(page.get_by_test_id("pane-overview")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"\?tab=history$"))

    # Both show up in their lists and on the customer's page.
    open_menu_entry(page, zh("Projects"))
    table = page.get_by_test_id("list-table")
    expect(table.get_by_role("link", name="20MW 分布式光伏并网项目")).to_be_visible()
    expect(table).to_contain_text("¥2,350,000.00")
    table.get_by_role("link", name="20MW 分布式光伏并网项目").click()
    expect(page).to_have_url(project_url)

    open_menu_entry(page, zh("Customers"))
    row = page.get_by_test_id("list-table").locator("tr", has_text="南京新源光伏有限公司")
    expect(row).to_contain_text("新能源企业")
    expect(row.locator("td").last).to_have_text("1")
    row.get_by_role("link", name="南京新源光伏有限公司").click()
    expect(page).to_have_url(customer_url)
    expect(page.get_by_test_id("customer-projects")).to_contain_text("20MW 分布式光伏并网项目")


def test_a_project_page_opens_on_the_tab_a_link_names(page, personas):
    project = factories.project(personas.sales_a, name="配网运维项目")
    sign_in(page, personas.sales_a)

    page.goto(f"/projects/{project.pk}/#history")
    expect(page.get_by_test_id("pane-history")).to_be_visible()
    page.goto(f"/projects/{project.pk}/?tab=followups")
    expect(page.get_by_test_id("pane-followups")).to_be_visible()
    expect(page.get_by_test_id("pane-overview")).to_be_hidden()
