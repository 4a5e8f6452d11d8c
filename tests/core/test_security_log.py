"""The security log: every refusal, export and settings change is in it, once; it cannot be
changed; the auditor reads it (filters, export) and nobody else does."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org import services as org
from tests.crm import factories

pytestmark = pytest.mark.django_db

DENIED = SecurityEventKind.PERMISSION_DENIED
SETTINGS = SecurityEventKind.SETTINGS_CHANGED


def denials(person) -> list[dict]:
    return [
        event.detail
        for event in SecurityEvent.objects.filter(kind=DENIED, actor=person).order_by("id")
    ]


# --- Every refusal, once ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method", "path", "body"),
    [
        # A page's permission mixin, which logs the refusal itself.
        ("sales_a", "get", "/org/people/new/", None),
        # A view raising PermissionDenied on its own.
        ("sales_a", "post", "/process/templates/{template}/migrate/", {}),
        # The API's role check, before the body is read.
        ("executive", "post", "/api/v1/customers/", {"name": "越权客户", "customer_type": "grid"}),
        # A service's refusal surfacing through the API.
        (
            "sales_a",
            "post",
            "/api/v1/projects/{project}/handover/",
            {"to_owner": "{manager}", "reason": "调岗"},
        ),
    ],
)
def test_every_refusal_is_logged_once(personas, login, name, method, path, body):
    from pathscore.process.models import ProcessTemplate

    project = factories.project(personas.sales_a)
    path = path.format(template=ProcessTemplate.objects.first().pk, project=project.pk)
    if body and body.get("to_owner"):
        body = {**body, "to_owner": personas.manager_a.pk}
    person = getattr(personas, name)
    client = login(person)
    if path.startswith("/api/"):
        response = getattr(client, method)(path, body, content_type="application/json")
    else:
        response = getattr(client, method)(path, *([body] if body is not None else []))
    assert response.status_code == 403
    assert [d["path"] for d in denials(person)] == [path]


def test_a_refusal_through_an_api_token_names_the_tokens_owner(personas):
    _token, secret = org.token_create(
        user=personas.executive, name="报表脚本", scope="write", expires_in_days=30
    )
    scripted = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = scripted.post(
        "/api/v1/customers/",
        {"name": "x", "customer_type": "grid"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert [d["method"] for d in denials(personas.executive)] == ["POST"]


def test_a_not_found_is_not_a_refusal(personas, login):
    """Another team's record is simply not there: nothing to log, nothing to learn."""
    other = factories.customer(personas.sales_b, name="别队客户")
    assert login(personas.sales_a).get(f"/customers/{other.pk}/").status_code == 404
    assert denials(personas.sales_a) == []


# --- Settings changes --------------------------------------------------------------------------


def test_settings_changes_are_logged_with_who_and_what(personas):
    from pathscore.notify import services as notify
    from pathscore.process import services as process

    hook, _secret = notify.webhook_create(
        actor=personas.sysadmin,
        name="ERP",
        url="http://127.0.0.1:9/hook",
        events=["project.created"],
        allow_private=True,
    )
    notify.webhook_rotate_secret(webhook=hook, actor=personas.sysadmin)
    category = process.delay_category_create(
        actor=personas.hr, name="电网调度计划调整", name_en="Grid dispatch", attribution="external"
    )
    rule = process.rule_create(
        actor=personas.hr, name="审批后通知", event="node_approved", action="notify"
    )
    process.rule_set_active(rule=rule, actor=personas.hr, active=False)
    logged = [
        (e.actor, e.detail["setting"], e.detail["action"])
        for e in SecurityEvent.objects.filter(kind=SETTINGS).order_by("id")
    ]
    assert logged == [
        (personas.sysadmin, "webhook", "created"),
        (personas.sysadmin, "webhook", "secret_rotated"),
        (personas.hr, "delay_category", "created"),
        (personas.hr, "automation_rule", "created"),
        (personas.hr, "automation_rule", "deactivated"),
    ]
    event = SecurityEvent.objects.filter(kind=SETTINGS, detail__setting="delay_category").get()
    assert event.detail["category"] == category.code
    assert event.detail["attribution"] == "external"


# --- The log itself ----------------------------------------------------------------------------


def test_the_log_is_append_only(personas):
    event = SecurityEvent.objects.first()
    event.username = "改写"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    assert SecurityEvent.objects.get(pk=event.pk).username != "改写"


@pytest.fixture
def story(personas, login):
    """A day's events: sales_a exports, is refused once; an old login of sales_b."""
    client = login(personas.sales_a)
    factories.customer(personas.sales_a)
    assert client.get("/customers/", {"export": "csv"}).status_code == 200
    assert client.get("/org/people/new/").status_code == 403
    old = SecurityEvent.objects.create(kind=SecurityEventKind.LOGIN, username="sales_b")
    SecurityEvent.objects.filter(pk=old.pk).update(
        occurred_at=timezone.now() - dt.timedelta(days=40)
    )
    return personas


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_the_auditor_filters_the_log_by_kind_person_and_date(story, login):
    client = login(story.auditor)
    page = client.get("/security-log/", {"kind": "export"})
    assert page.status_code == 200
    assert [e.kind for e in page.context["object_list"]] == [SecurityEventKind.EXPORT]
    # By the person who acted, by user name or by name: their sign-ins, their export and
    # their refusal, nobody else's events.
    for who in ("sales_a", "王销售"):
        events = client.get("/security-log/", {"username": who}).context["object_list"]
        assert {e.kind for e in events} >= {SecurityEventKind.EXPORT, DENIED}
        assert all(story.sales_a in (e.actor, e.subject) for e in events)
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    recent = client.get("/security-log/", {"username": "sales_b", "since": since})
    assert list(recent.context["object_list"]) == []
    older = client.get("/security-log/", {"username": "sales_b"})
    assert [e.kind for e in older.context["object_list"]] == [SecurityEventKind.LOGIN]


def test_the_auditor_exports_what_the_filter_shows_and_the_export_is_logged(story, login):
    client = login(story.auditor)
    rows = rows_of(client.get("/security-log/", {"export": "csv", "kind": DENIED}))
    assert len(rows) == 2  # the header and sales_a's refusal
    assert "/org/people/new/" in rows[1][-1]
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT, actor=story.auditor).exists()


@pytest.mark.parametrize("name", ["sysadmin", "hr", "executive", "manager_a"])
def test_nobody_else_reads_the_log(story, login, name):
    client = login(getattr(story, name))
    assert list(client.get("/security-log/").context["object_list"]) == []
    assert rows_of(client.get("/security-log/", {"export": "csv"}))[1:] == []


def test_the_auditor_changes_nothing(story, login):
    """Every write route refusing the auditor is the write matrix's subject
    (tests/core/test_write_matrix.py); here: the log has no write route at all, and the
    admin is closed to the auditor."""
    client = login(story.auditor)
    count = SecurityEvent.objects.count()
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/security-log/").status_code == 405
    assert client.get("/admin/").status_code == 302
    # The 405s and the admin redirect are not refusals of a right: nothing new but them.
    assert SecurityEvent.objects.count() == count
