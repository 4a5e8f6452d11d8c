"""A system administrator manages people; what that looks like in the browser."""

import re

import pytest
from playwright.sync_api import expect

from pathscore.core.choices import Role
from tests.e2e.helpers import LOGIN_URL, exactly, sign_in, zh

pytestmark = pytest.mark.browser

NEW_PERSON_URL = re.compile(r"/org/people/new/$")
PERSON_URL = re.compile(r"/org/people/\d+/$")
NEW_PASSWORD = "Spring-Harvest-2026"


def fill_person_form(page, *, username, employee_no):
    form = page.get_by_test_id("user-form")
    form.locator("#id_username").fill(username)
    form.locator("#id_name").fill("孙新人")
    form.locator("#id_employee_no").fill(employee_no)
    form.locator("#id_department").select_option(label="华东一部")
    form.locator("#id_title").fill("客户经理")
    form.locator("#id_mobile").fill("13800138000")
    form.locator("#id_email").fill("sun@example.com")
    form.locator("#id_hire_date").fill("2026-03-02")
    form.locator("#id_language").select_option("zh-hans")
    form.locator("input[name=roles][value=salesperson]").check()
    form.locator("#id_password").fill(NEW_PASSWORD)


def test_sysadmin_creates_a_salesperson(page, new_context, personas):
    sign_in(page, personas.sysadmin)
    page.goto("/org/people/")
    expect(page.get_by_test_id("list-table")).to_be_visible()
    page.get_by_test_id("create").click()
    expect(page).to_have_url(NEW_PERSON_URL)

    fill_person_form(page, username="sun_xin", employee_no="E-0301")
    page.get_by_test_id("save").click()

    expect(page).to_have_url(PERSON_URL)
    expect(page.get_by_test_id("person-name")).to_have_text("孙新人")
    expect(page.locator("main")).to_contain_text("华东一部")
    expect(page.locator("main")).to_contain_text(zh(Role.SALESPERSON.label))

    # The account works: the newcomer signs in with the password the admin gave.
    newcomer = new_context().new_page()
    sign_in(newcomer, "sun_xin", NEW_PASSWORD)
    expect(newcomer.get_by_test_id("home-greeting")).to_contain_text("孙新人")
    expect(newcomer.get_by_test_id("role-badge")).to_have_text(exactly(zh(Role.SALESPERSON.label)))

    # The same form again with the user name just taken: one error, everything kept.
    page.goto("/org/people/new/")
    fill_person_form(page, username="sun_xin", employee_no="E-0302")
    page.get_by_test_id("save").click()

    form = page.get_by_test_id("user-form")
    expect(form.get_by_test_id("error-username")).to_be_visible()
    expect(form.locator("[data-testid^=error-]")).to_have_count(1)
    expect(page).to_have_url(NEW_PERSON_URL)
    expect(form.locator("#id_username")).to_have_value("sun_xin")
    expect(form.locator("#id_name")).to_have_value("孙新人")
    expect(form.locator("#id_employee_no")).to_have_value("E-0302")
    expect(form.locator("#id_department option:checked")).to_have_text("华东一部")
    expect(form.locator("#id_title")).to_have_value("客户经理")
    expect(form.locator("#id_mobile")).to_have_value("13800138000")
    expect(form.locator("#id_email")).to_have_value("sun@example.com")
    expect(form.locator("#id_hire_date")).to_have_value("2026-03-02")
    expect(form.locator("input[name=roles][value=salesperson]")).to_be_checked()


def test_deactivating_a_person_ends_their_open_session(page, new_context, personas):
    # sales_a is working in their own browser.
    their_page = new_context().new_page()
    sign_in(their_page, personas.sales_a)

    sign_in(page, personas.sysadmin)
    page.goto(f"/org/people/{personas.sales_a.pk}/")
    expect(page.get_by_test_id("person-name")).to_have_text("王销售")
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_test_id("deactivate").click()

    expect(page.get_by_test_id("inactive-badge")).to_be_visible()
    expect(page).to_have_url(PERSON_URL)
    assert len(questions) == 1 and questions[0]

    # Their very next page load is the login page.
    their_page.reload()
    expect(their_page).to_have_url(LOGIN_URL)
    expect(their_page.get_by_test_id("login-submit")).to_be_visible()
    expect(their_page.get_by_test_id("home-greeting")).to_have_count(0)
