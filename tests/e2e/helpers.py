"""What the browser tests do again and again: sign in, open the user menu, read the UI text.

Texts are never hard-coded in one language: :func:`zh` renders a message the way the
server renders it for the company default (zh-hans), so the assertions hold before the
Chinese catalogue is compiled (English shows) and after (Chinese shows).
"""

from __future__ import annotations

import re

from django.utils import translation
from playwright.sync_api import Page, expect

from pathscore.core.testing.personas import PASSWORD

LOGIN_PATH = "/accounts/login/"
LOGIN_URL = re.compile(r"/accounts/login/")


def zh(message) -> str:
    """``message`` (a msgid or a lazy translation) as a zh-hans page shows it."""
    with translation.override("zh-hans"):
        return translation.gettext(str(message)) if isinstance(message, str) else str(message)


def exactly(text: str) -> re.Pattern:
    """A pattern matching ``text`` and nothing else (surrounding white space allowed)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def submit_login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Open the login page, type the credentials, press the sign-in button."""
    page.goto(LOGIN_PATH)
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_test_id("login-submit").click()


def sign_in(page: Page, user, password: str = PASSWORD) -> None:
    """Sign ``user`` (a persona or a user name) in and wait for the home page greeting."""
    username = user if isinstance(user, str) else user.username
    submit_login(page, username, password)
    expect(page.get_by_test_id("home-greeting")).to_be_visible()


def open_user_menu(page: Page) -> None:
    page.get_by_test_id("user-menu").click()
    expect(page.get_by_test_id("logout")).to_be_visible()


def sign_out(page: Page) -> None:
    open_user_menu(page)
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(LOGIN_URL)


def choose_language(page: Page, label: str) -> None:
    """Pick a language by its label (``English``, ``简体中文``) in the user menu."""
    open_user_menu(page)
    page.get_by_test_id("language-select").select_option(label=label)


def open_menu_entry(page: Page, label: str) -> None:
    """Follow a main-menu entry: on a phone the menu is behind the toggler, and an entry
    may sit in a drop-down group, which is opened first."""
    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#main-nav")
    if toggler.is_visible():
        toggler.click()
        # The menu slides open; a click on a group while it is still moving can be lost.
        expect(menu).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    entry = menu.get_by_role("link", name=label, exact=True)
    for group in menu.locator("li.dropdown").all():
        items = [text.strip() for text in group.locator(".dropdown-item").all_text_contents()]
        if label in items:
            toggle = group.get_by_test_id("nav-group")
            # Open the group; on a loaded machine the first click can land before the
            # page's scripts listen, so it is tried again while the group stays shut.
            for _attempt in range(3):
                if toggle.get_attribute("aria-expanded") != "true":
                    toggle.click()
                try:
                    expect(entry).to_be_visible(timeout=3000)
                    break
                except AssertionError:
                    continue
            break
    expect(entry).to_be_visible()
    entry.click()
