"""The language switch in the user menu: immediate, and saved on the account."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import choose_language, sign_in, sign_out

pytestmark = pytest.mark.browser


def sign_in_afresh(page, user):
    """Sign in again with no cookie left over, so only the account can carry the language."""
    sign_out(page)
    page.context.clear_cookies()
    sign_in(page, user)


def test_manager_switches_to_english_and_back(page, personas):
    html = page.locator("html")
    sign_in(page, personas.manager_a)
    expect(html).to_have_attribute("lang", "zh-CN")

    choose_language(page, "English")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url("/")
    expect(page.get_by_test_id("home-greeting")).to_have_text("Hello, 李经理")

    sign_in_afresh(page, personas.manager_a)
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("home-greeting")).to_have_text("Hello, 李经理")

    choose_language(page, "简体中文")
    expect(html).to_have_attribute("lang", "zh-CN")

    sign_in_afresh(page, personas.manager_a)
    expect(html).to_have_attribute("lang", "zh-CN")
