"""Connecting other systems, in the browser: a personal API token from the profile (shown
once, used, revoked) and a webhook an admin registers, tests and reads the log of."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser


def call_api(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_token_is_shown_once_works_and_stops_when_revoked(page, personas, live_server):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, personas.sales_a)
    page.goto("/accounts/profile/")
    expect(page.get_by_test_id("no-tokens")).to_be_visible()
    form = page.get_by_test_id("token-form")
    form.locator("#id_name").fill("ERP 同步")
    form.locator("#id_scope").select_option("read")
    form.locator("#id_expires_in_days").select_option("30")
    page.get_by_test_id("create-token").click()

    expect(page.get_by_test_id("secret-warning")).to_be_visible()
    secret = page.get_by_test_id("token-secret").input_value()
    assert secret.startswith("ps_")
    status, me = call_api(live_server.url, "/api/v1/me/", secret)
    assert (status, me["username"]) == (200, personas.sales_a.username)

    page.get_by_test_id("back-to-profile").click()
    row = page.get_by_test_id("token-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("ERP 同步")
    expect(row).to_contain_text(secret.split("_")[1])  # the prefix, never the secret
    expect(row).not_to_contain_text(secret)
    expect(row).to_contain_text("127.0.0.1")  # last use recorded, with its address

    row.get_by_test_id("revoke-token").click()
    expect(page.get_by_test_id("revoke-token")).to_have_count(0)
    status, body = call_api(live_server.url, "/api/v1/me/", secret)
    assert status == 401 and body["detail"]


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/pathscore", _Receiver.received
    server.shutdown()


def test_an_admin_registers_a_webhook_and_its_test_event_arrives_signed(page, personas, receiver):
    url, received = receiver
    sign_in(page, personas.sysadmin)
    page.goto("/notify/webhooks/")
    page.get_by_test_id("create").click()
    form = page.get_by_test_id("webhook-form")
    form.locator("#id_name").fill("ERP 订单接口")
    form.locator("#id_url").fill(url)
    form.locator("input[name=events][value='project.won']").check()
    page.get_by_test_id("webhook-save").click()

    # A loopback receiver is refused until the admin allow-lists it; what was typed stays.
    expect(page.locator(".invalid-feedback")).to_be_visible()
    expect(form.locator("#id_url")).to_have_value(url)
    expect(form.locator("input[name=events][value='project.won']")).to_be_checked()
    form.locator("#id_allow_private").check()
    page.get_by_test_id("webhook-save").click()

    secret = page.get_by_test_id("webhook-secret").locator("code").inner_text().strip()
    assert len(secret) >= 32
    page.get_by_test_id("webhook-test").click()

    row = page.get_by_test_id("delivery-row").first
    expect(row).to_contain_text("ping")
    expect(row).to_contain_text("204")
    assert len(received) == 1
    headers, body = received[0]
    signed = headers["X-Pathscore-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Pathscore-Signature"], expected)
    assert json.loads(body)["event"] == "ping"
