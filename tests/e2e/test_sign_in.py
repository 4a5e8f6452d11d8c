"""Signing in and out, as the people who do it see it."""

import pytest
from playwright.sync_api import expect

from pathscore.core.choices import Role
from pathscore.org.forms import LoginForm
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import LOGIN_URL, exactly, sign_in, submit_login, zh

pytestmark = pytest.mark.browser

WRONG_CREDENTIALS = LoginForm.error_messages["invalid_login"]


def test_salesperson_signs_in_on_a_phone_and_sees_their_home_page(phone_page, personas):
    page = phone_page
    sign_in(page, personas.sales_a)

    expect(page.get_by_test_id("home-greeting")).to_contain_text("王销售")
    profile = page.get_by_test_id("panel-profile")
    expect(profile).to_contain_text("王销售")
    expect(profile.get_by_test_id("role-badge")).to_have_text(exactly(zh(Role.SALESPERSON.label)))
    # The menu folds behind the hamburger; the bell and the user menu stay in reach.
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(page.get_by_test_id("bell")).to_be_visible()
    expect(page.get_by_test_id("user-menu")).to_be_visible()

    widths = page.evaluate(
        "() => ({page: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
        " viewport: window.innerWidth})"
    )
    assert widths["viewport"] == PHONE["width"]
    assert widths["page"] <= widths["viewport"], "the home page scrolls sideways on a phone"


def test_wrong_password_and_unknown_user_get_the_same_message(page, personas):
    submit_login(page, "sales_a", "not-the-password")
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(exactly(zh(WRONG_CREDENTIALS)))
    expect(page).to_have_url(LOGIN_URL)
    expect(page.locator("#id_username")).to_have_value("sales_a")
    seen_for_wrong_password = error.inner_text()

    submit_login(page, "nobody_by_this_name", "not-the-password")
    expect(error).to_be_visible()
    expect(error).to_have_text(seen_for_wrong_password)
    expect(page.locator("#id_username")).to_have_value("nobody_by_this_name")
    expect(page.get_by_test_id("home-greeting")).to_have_count(0)


def test_deactivated_person_cannot_sign_in(page, personas):
    submit_login(page, personas.deactivated.username)  # the right password

    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(exactly(zh(WRONG_CREDENTIALS)))
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_test_id("home-greeting")).to_have_count(0)
