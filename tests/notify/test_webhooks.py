"""Outbound webhooks: signed deliveries to a local receiver, retries with back-off, the
delivery log, the refusal of private addresses, idempotent claims and the admin pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from pathscore.core.events import subscribe, unsubscribe
from pathscore.notify import services, url_safety, webhook_delivery
from pathscore.notify.models import Webhook, WebhookDelivery
from pathscore.notify.tasks import webhook_retry_due
from pathscore.process import events as process_events
from pathscore.process.models import NodeInstance
from pathscore.process.reminders import run_reminders
from tests.crm import factories
from tests.process.conftest import current, process, project  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP endpoint that records every request and answers the queued codes."""

    def __init__(self):
        self.requests: list[dict] = []
        self.codes: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pathscore"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def webhook(personas, receiver):
    hook, secret = services.webhook_create(
        actor=personas.sysadmin,
        name="ERP",
        url=receiver.url,
        events=["project.created", "project.won"],
        allow_private=True,  # the receiver is on 127.0.0.1: allow-listed
    )
    hook.plain_secret = secret
    return hook


def verify(secret: str, request: dict) -> bool:
    """What a receiver does: recompute the signature over "<timestamp>.<raw body>"."""
    timestamp = request["headers"]["X-Pathscore-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(request["headers"]["X-Pathscore-Signature"], f"sha256={expected}")


def _delivery(webhook, event="project.created"):
    return WebhookDelivery.objects.create(
        webhook=webhook,
        event=event,
        payload={"event": event, "data": {}},
        next_attempt_at=timezone.now(),
    )


def _make_due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )


def test_project_created_reaches_the_receiver_signed(
    personas, webhook, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        the_project = factories.project(personas.sales_a, name="储能电站项目")

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(webhook.plain_secret, request)
    assert not verify("another-secret", request)
    body = json.loads(request["body"])
    delivery = WebhookDelivery.objects.get()
    assert request["headers"]["X-Pathscore-Event"] == "project.created"
    assert request["headers"]["X-Pathscore-Delivery"] == str(delivery.uuid) == body["id"]
    assert body["event"] == "project.created"
    assert body["data"]["project"]["id"] == the_project.pk
    assert body["data"]["project"]["name"] == "储能电站项目"
    assert body["data"]["project"]["url"].endswith(the_project.get_absolute_url())
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    assert delivery.delivered_at is not None


def test_only_subscribed_events_and_active_webhooks_are_sent(
    personas, webhook, receiver, django_capture_on_commit_callbacks
):
    the_project = factories.project(personas.sales_a)
    from pathscore.crm.services import project_set_status

    with django_capture_on_commit_callbacks(execute=True):
        project_set_status(
            project=the_project, actor=personas.sales_a, status="lost", reason="价格"
        )
    assert receiver.requests == []  # lost is not among the webhook's events
    services.webhook_deactivate(webhook=webhook, actor=personas.sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        factories.project(personas.sales_a, name="另一个项目")
    assert receiver.requests == []


def test_a_500_is_retried_with_back_off_and_the_log_keeps_the_codes(webhook, receiver):
    receiver.codes = [500, 502, 200]
    delivery = _delivery(webhook)

    assert webhook_delivery.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(minutes=1)
    # Not due yet: the periodic job leaves it alone.
    assert webhook_retry_due.call_local() == 0
    assert len(receiver.requests) == 1

    _make_due(delivery)
    assert webhook_retry_due.call_local() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_status_code == 502
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(minutes=4) < wait <= dt.timedelta(minutes=5)

    _make_due(delivery)
    webhook_retry_due.call_local()
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.next_attempt_at is None
    assert [r["status_code"] for r in delivery.responses] == [500, 502, 200]
    assert len(receiver.requests) == 3
    # Every attempt is signed afresh, with its own timestamp.
    assert all(verify(webhook.plain_secret, request) for request in receiver.requests)


def test_the_sixth_failure_is_final(webhook, receiver):
    receiver.codes = [500]
    delivery = _delivery(webhook)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=webhook_delivery.MAX_ATTEMPTS - 1
    )
    webhook_delivery.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert delivery.attempts == 6


def test_delivery_is_claimed_once(webhook, receiver):
    delivery = _delivery(webhook)
    assert webhook_delivery.deliver(delivery.pk) is True
    assert webhook_delivery.deliver(delivery.pk) is None
    assert len(receiver.requests) == 1

    # A worker holding the claim (the lease) keeps a second one out even while failing.
    receiver.codes = [500]
    other = _delivery(webhook)
    assert webhook_delivery.deliver(other.pk) is False
    assert webhook_delivery.deliver(other.pk) is None
    assert len(receiver.requests) == 2


@pytest.fixture
def fake_dns(monkeypatch):
    """Resolve test host names to chosen addresses, without the network."""
    table = {"hooks.example.com": "93.184.216.34", "sneaky.example.com": "127.0.0.1"}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            family = socket.AF_INET6 if ":" in table[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (table[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(url_safety.socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hook",
        "https://192.168.1.10/hook",
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/hook",
        "https://0.0.0.0/hook",
        "https://sneaky.example.com/hook",  # a public-looking name resolving to loopback
        "http://hooks.example.com/hook",  # plain http
        "https://user:pw@hooks.example.com/hook",
    ],
)
def test_private_and_loopback_urls_are_refused(url, fake_dns, personas):
    with pytest.raises(ValidationError) as refused:
        url_safety.check_url(url)
    assert "url" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(
            actor=personas.sysadmin, name="x", url=url, events=["project.created"]
        )
    assert "url" in refused.value.message_dict
    assert not Webhook.objects.exists()


def test_a_public_url_passes_and_the_allow_list_admits_a_private_one(fake_dns):
    target = url_safety.check_url("https://hooks.example.com/in?x=1")
    assert (target.ip, target.port, target.path) == ("93.184.216.34", 443, "/in?x=1")
    assert url_safety.check_url("http://127.0.0.1:8080/", allow_private=True).ip == "127.0.0.1"


def test_delivery_checks_the_address_again(personas, fake_dns, monkeypatch):
    """A name that resolved to a public address when saved and to loopback when sent (DNS
    rebinding) is refused at delivery, and nothing is sent."""
    hook, _secret = services.webhook_create(
        actor=personas.sysadmin,
        name="OA",
        url="https://hooks.example.com/in",
        events=["project.created"],
    )
    fake_dns["hooks.example.com"] = "127.0.0.1"
    posted = []
    monkeypatch.setattr(webhook_delivery, "post", lambda *args: posted.append(args) or 200)
    delivery = _delivery(hook)
    assert webhook_delivery.deliver(delivery.pk) is False
    delivery.refresh_from_db()
    assert posted == []
    assert delivery.last_status_code is None and delivery.last_error
    assert delivery.status == "pending"  # retried later, checked again then

    fake_dns["hooks.example.com"] = "93.184.216.34"
    _make_due(delivery)
    assert webhook_delivery.deliver(delivery.pk) is True
    assert posted[0][0].ip == "93.184.216.34"  # the connection goes to the checked address


def test_only_system_admins_manage_webhooks(personas, receiver):
    with pytest.raises(PermissionDenied):
        services.webhook_create(
            actor=personas.hr, name="x", url=receiver.url, events=["project.created"]
        )
    with pytest.raises(ValidationError) as refused:
        services.webhook_create(actor=personas.sysadmin, name="", url=receiver.url, events=[])
    assert {"name", "events", "url"} <= set(refused.value.message_dict)


@pytest.mark.parametrize("persona", ["sales_a", "manager_a", "hr", "executive", "auditor"])
def test_non_admins_are_refused_the_pages(persona, personas, client, webhook):
    delivery = _delivery(webhook)
    client.force_login(getattr(personas, persona))
    for url in (
        reverse("webhooks:list"),
        reverse("webhooks:create"),
        reverse("webhooks:detail", args=[webhook.pk]),
        reverse("webhooks:update", args=[webhook.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url
    for url in (
        reverse("webhooks:rotate", args=[webhook.pk]),
        reverse("webhooks:test", args=[webhook.pk]),
        reverse("webhooks:redeliver", args=[delivery.pk]),
    ):
        assert client.post(url).status_code in (403, 404), url
    webhook.refresh_from_db()
    assert webhook.secret == webhook.plain_secret


def test_admin_creates_a_webhook_and_sees_the_secret_once(personas, client, receiver):
    client.force_login(personas.sysadmin)
    response = client.post(
        reverse("webhooks:create"),
        {
            "name": "ERP",
            "url": receiver.url,
            "events": ["project.won"],
            "is_active": "on",
            "allow_private": "on",
        },
    )
    hook = Webhook.objects.get()
    assert response.status_code == 302 and response.url == hook.get_absolute_url()
    page = client.get(hook.get_absolute_url()).content.decode()
    assert hook.secret in page
    assert hook.secret not in client.get(hook.get_absolute_url()).content.decode()
    assert hook.created_by == personas.sysadmin


def test_a_refused_url_keeps_the_form_as_typed(personas, client):
    client.force_login(personas.sysadmin)
    response = client.post(
        reverse("webhooks:create"),
        {"name": "内网系统", "url": "https://127.0.0.1/hook", "events": ["project.won"]},
    )
    assert response.status_code == 200
    assert "内网系统" in response.content.decode()
    assert response.context["form"].errors["url"]
    assert not Webhook.objects.exists()


def test_test_event_rotation_and_redelivery_from_the_page(
    personas, client, webhook, receiver, django_capture_on_commit_callbacks
):
    client.force_login(personas.sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:test", args=[webhook.pk]))
    assert json.loads(receiver.requests[0]["body"])["event"] == "ping"
    assert verify(webhook.plain_secret, receiver.requests[0])

    client.post(reverse("webhooks:rotate", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert webhook.secret != webhook.plain_secret
    assert webhook.secret in client.get(webhook.get_absolute_url()).content.decode()

    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhooks:redeliver", args=[delivery.pk]))
    assert len(receiver.requests) == 2
    assert receiver.requests[1]["headers"]["X-Pathscore-Delivery"] == str(delivery.uuid)
    assert verify(webhook.secret, receiver.requests[1])  # signed with the new secret


def test_pages_use_a_bounded_number_of_queries(
    personas, client, webhook, django_assert_max_num_queries
):
    for _ in range(15):
        _delivery(webhook)
    services.webhook_create(
        actor=personas.sysadmin,
        name="OA",
        url=webhook.url,
        events=["project.won"],
        allow_private=True,
    )
    client.force_login(personas.sysadmin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("webhooks:list")).status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(webhook.get_absolute_url())
    assert response.content.decode().count('data-testid="delivery-row"') == 15


def test_an_overdue_node_is_published_once(
    personas,
    project,  # noqa: F811
    process,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    seen = []

    def handler(**payload):
        seen.append(payload)

    subscribe(process_events.NODE_OVERDUE, handler)
    try:
        node = current(project)
        NodeInstance.objects.filter(pk=node.pk).update(
            planned_due=timezone.localdate() - dt.timedelta(days=2)
        )
        with django_capture_on_commit_callbacks(execute=True):
            run_reminders()
            run_reminders()
    finally:
        unsubscribe(process_events.NODE_OVERDUE, handler)
    assert [item["node_id"] for item in seen] == [node.pk]
