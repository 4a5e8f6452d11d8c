"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

* The browser is ``/usr/bin/chromium`` (``make system-deps`` installs it); Playwright's own
  browser download is never used, and a missing Chromium fails the run instead of skipping.
* Every context gets the live server as ``base_url``, so ``page.goto("/inbox/")`` works.
  ``page`` is a desktop (1366×900); ``phone_page`` is a phone (390×844, touch, mobile).
* Tests that use ``live_server`` (``page``, ``phone_page`` and ``live_url`` all do) get a
  transactional database (pytest-django), and the live server thread shares the test's
  in-memory SQLite connection, so the ``personas`` a test builds are the people the
  browser signs in as. That sharing needs the server to start after the test database
  exists: see ``live_server`` below. Under ``pytest -n`` each worker has its own
  database, live server and Chromium.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Nothing in this suite may fetch a browser: the network is closed here, and the
# executable below is the one Debian installs.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

# A loaded CI machine running two workers is slower than a laptop; auto-waiting is still
# bounded, just less tightly than Playwright's 5 s default.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (Debian's chromium package)")
    return {
        "headless": True,  # --headed still wins: the plugin's own args come after
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    The server thread shares the test's in-memory SQLite connection only if that
    connection already points at the test database when the server starts. Session
    fixtures such as ``base_url`` would otherwise start it first: the thread then opens
    a second connection, and the two lock each other out ("database table is locked").
    """
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        assert live_server.thread.connections_override, "live server has its own connection"
    return live_server


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """pytest-playwright gives every context this ``base_url``: the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": DESKTOP,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture
def live_url(live_server) -> str:
    """The live server's root URL, e.g. ``http://localhost:40123``."""
    return live_server.url


@pytest.fixture
def phone_page(browser, browser_context_args):
    """A page in a fresh phone-sized context (390×844, touch, mobile viewport rules)."""
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    yield context.new_page()
    context.close()
