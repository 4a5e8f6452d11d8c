"""Configuration records keep a field-level history like business records: every create,
update and delete through the real routes leaves exactly one history row, credited to the
person acting, with the changed field before → after; secrets stay out of it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pathscore.core.history import acting_as, start_history
from pathscore.core.models import Option
from pathscore.notify.models import Webhook
from pathscore.org.models import DepartmentRobot
from pathscore.process import services as process_services
from pathscore.process.choices import VersionStatus
from pathscore.process.models import DelayCategory, NodeDefinition, ProcessTemplate, TemplateVersion
from pathscore.scoring.models import (
    Attendance,
    Scorecard,
    ScorecardDimension,
    ScorecardItem,
    TrainingCourse,
    TrainingSession,
)
from tests.process.test_template_editor import node_data
from tests.scoring.test_scorecards import DIMENSIONS, ITEMS

pytestmark = pytest.mark.django_db

ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd1234"
OTHER_ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=efgh5678"


def rows(model, pk) -> list:
    return list(model.history.filter(id=pk).order_by("history_date", "history_id"))


def count(model, pk) -> int:
    return model.history.filter(id=pk).count()


def last_change(model, pk, *, expected_type, user):
    """The newest row of record ``pk``: its kind and author checked, and its changes
    against the row before as ``{field: (old, new)}``."""
    history = rows(model, pk)
    newest = history[-1]
    assert (newest.history_type, newest.history_user) == (expected_type, user)
    if len(history) < 2 or expected_type == "-":
        return {}
    return {c.field: (c.old, c.new) for c in newest.diff_against(history[-2]).changes}


def api(client, method, url, data=None):
    return getattr(client, method)(url, data or {}, content_type="application/json")


# --- Webhooks (pages) ------------------------------------------------------------------------


def webhook_form(**overrides):
    data = {
        "name": "ERP",
        "url": "http://127.0.0.1:9/hook",
        "events": ["project.won"],
        "is_active": "on",
        "allow_private": "on",
    }
    return data | overrides


def test_a_webhook_created_changed_rotated_and_deactivated_on_the_pages(personas, login):
    admin = personas.sysadmin
    client = login(admin)
    response = client.post(reverse("webhooks:create"), webhook_form())
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert [(r.history_type, r.history_user) for r in rows(Webhook, hook.pk)] == [("+", admin)]

    response = client.post(reverse("webhooks:update", args=[hook.pk]), webhook_form(name="ERP2"))
    assert response.status_code == 302
    assert count(Webhook, hook.pk) == 2
    assert last_change(Webhook, hook.pk, expected_type="~", user=admin)["name"] == ("ERP", "ERP2")

    client.post(reverse("webhooks:rotate", args=[hook.pk]))
    history = rows(Webhook, hook.pk)
    assert len(history) == 3
    assert (history[-1].history_type, history[-1].history_user) == ("~", admin)
    assert history[-1].history_change_reason  # says the secret was rotated …
    hook.refresh_from_db()
    assert not hasattr(history[-1], "secret")  # … without keeping it
    assert hook.secret not in str(history[-1].__dict__)

    client.post(reverse("webhooks:deactivate", args=[hook.pk]))
    assert count(Webhook, hook.pk) == 4
    changes = last_change(Webhook, hook.pk, expected_type="~", user=admin)
    assert changes["is_active"] == (True, False)


# --- Group robots (pages) --------------------------------------------------------------------


def test_a_group_robot_created_and_changed_on_the_pages(personas, login):
    admin = personas.sysadmin
    client = login(admin)
    form = {"department": personas.team_a.pk, "provider": "wecom", "url": ROBOT_URL}
    response = client.post("/org/robots/new/", form | {"is_active": "on"})
    assert response.status_code == 302
    robot = DepartmentRobot.objects.get()
    assert [(r.history_type, r.history_user) for r in rows(DepartmentRobot, robot.pk)] == [
        ("+", admin)
    ]

    response = client.post(f"/org/robots/{robot.pk}/edit/", form)  # switched off
    assert response.status_code == 302
    assert count(DepartmentRobot, robot.pk) == 2
    changes = last_change(DepartmentRobot, robot.pk, expected_type="~", user=admin)
    assert changes == {"is_active": (True, False)}

    response = client.post(f"/org/robots/{robot.pk}/edit/", form | {"url": OTHER_ROBOT_URL})
    assert response.status_code == 302
    history = rows(DepartmentRobot, robot.pk)
    assert len(history) == 3
    assert (history[-1].history_type, history[-1].history_user) == ("~", admin)
    assert history[-1].history_change_reason  # the URL changed; its key is not kept
    for row in history:
        assert "abcd1234" not in str(row.__dict__) and "efgh5678" not in str(row.__dict__)


# --- Delay categories (API) ------------------------------------------------------------------


def test_a_delay_category_created_and_changed_through_the_api(personas, login):
    admin = personas.sysadmin
    client = login(admin)
    created = api(
        client,
        "post",
        "/api/v1/delay-categories/",
        {"name": "客户停产检修", "name_en": "Customer plant shutdown", "attribution": "customer"},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [(r.history_type, r.history_user) for r in rows(DelayCategory, pk)] == [("+", admin)]
    changed = api(client, "patch", f"/api/v1/delay-categories/{pk}/", {"attribution": "external"})
    assert changed.status_code == 200, changed.content
    assert count(DelayCategory, pk) == 2
    changes = last_change(DelayCategory, pk, expected_type="~", user=admin)
    assert changes == {"attribution": ("customer", "external")}


# --- Template versions and node definitions (pages) ------------------------------------------


def test_the_template_editor_leaves_one_row_per_version_and_node_changed(personas, login):
    admin = personas.sysadmin
    client = login(admin)
    template = ProcessTemplate.objects.get(code="power-service")
    published = template.versions.get(status=VersionStatus.PUBLISHED)

    # A new draft: the version and each copied node get one "+" row, credited.
    response = client.post(f"/process/templates/{template.pk}/new-draft/")
    assert response.status_code == 302
    draft = template.versions.get(status=VersionStatus.DRAFT)
    assert [(r.history_type, r.history_user) for r in rows(TemplateVersion, draft.pk)] == [
        ("+", admin)
    ]
    nodes = list(draft.nodes.order_by("order"))
    assert nodes
    for node in nodes:
        assert [(r.history_type, r.history_user) for r in rows(NodeDefinition, node.pk)] == [
            ("+", admin)
        ]

    # Editing a node: one row for it, the changed field before → after.
    first = nodes[0]
    data = node_data(
        code=first.code,
        name="首次拜访（改）",
        fields=[
            {"name": f["name"], "label": f["label"], "type": f["type"], "required": "on"}
            for f in first.fields
        ],
        checklist=[{"item": item} for item in first.checklist],
    )
    response = client.post(f"/process/definitions/{first.pk}/edit/", data)
    assert response.status_code == 302
    assert count(NodeDefinition, first.pk) == 2
    changes = last_change(NodeDefinition, first.pk, expected_type="~", user=admin)
    assert changes["name"] == (first.name, "首次拜访（改）")
    for node in nodes[1:]:
        assert count(NodeDefinition, node.pk) == 1

    # Adding a node before the second: it is created, each node after it moves once.
    response = client.post(
        f"/process/versions/{draft.pk}/nodes/new/", node_data(position=str(nodes[1].pk))
    )
    assert response.status_code == 302
    added = draft.nodes.get(code="tech-briefing")
    assert [(r.history_type, r.history_user) for r in rows(NodeDefinition, added.pk)] == [
        ("+", admin)
    ]
    for node in nodes[1:]:
        assert count(NodeDefinition, node.pk) == 2
        changes = last_change(NodeDefinition, node.pk, expected_type="~", user=admin)
        assert changes == {"order": (node.order, node.order + 1)}
    assert count(NodeDefinition, first.pk) == 2  # untouched by the insertion

    # Moving the new node down: it and the one it swapped with, one row each.
    swapped = nodes[1]
    before = {n.pk: count(NodeDefinition, n.pk) for n in draft.nodes.all()}
    client.post(f"/process/definitions/{added.pk}/move/", {"direction": "down"})
    after = {n.pk: count(NodeDefinition, n.pk) for n in draft.nodes.all()}
    assert {pk for pk in after if after[pk] != before[pk]} == {added.pk, swapped.pk}
    assert all(after[pk] - before[pk] == 1 for pk in (added.pk, swapped.pk))
    assert last_change(NodeDefinition, added.pk, expected_type="~", user=admin) == {"order": (2, 3)}

    # Removing it: one "-" row for it, one "~" row for each node after it.
    before = {n.pk: (n.order, count(NodeDefinition, n.pk)) for n in draft.nodes.all()}
    response = client.post(f"/process/definitions/{added.pk}/remove/")
    assert response.status_code == 302
    assert rows(NodeDefinition, added.pk)[-1].history_type == "-"
    assert rows(NodeDefinition, added.pk)[-1].history_user == admin
    for pk, (order, seen) in before.items():
        if pk == added.pk:
            continue
        expected = seen + (1 if order > 3 else 0)
        assert count(NodeDefinition, pk) == expected, order

    # Publishing: the draft and the version it retires get one row each.
    response = client.post(f"/process/versions/{draft.pk}/publish/", {"note": "加入技术交底"})
    assert response.status_code == 302
    assert last_change(TemplateVersion, draft.pk, expected_type="~", user=admin)["status"] == (
        "draft",
        "published",
    )
    retired = last_change(TemplateVersion, published.pk, expected_type="~", user=admin)
    assert retired["status"] == ("published", "retired")


def test_discarding_a_draft_leaves_a_deleted_row_for_it_and_each_node(personas, login):
    admin = personas.sysadmin
    client = login(admin)
    template = ProcessTemplate.objects.get(code="power-service")
    client.post(f"/process/templates/{template.pk}/new-draft/")
    draft = template.versions.get(status=VersionStatus.DRAFT)
    node_pks = list(draft.nodes.values_list("pk", flat=True))
    response = client.post(f"/process/versions/{draft.pk}/discard/")
    assert response.status_code == 302
    assert [(r.history_type, r.history_user) for r in rows(TemplateVersion, draft.pk)] == [
        ("+", admin),
        ("-", admin),
    ]
    for pk in node_pks:
        assert [r.history_type for r in rows(NodeDefinition, pk)] == ["+", "-"]


def test_a_new_draft_outside_a_request_credits_the_acting_user(personas):
    with acting_as(personas.hr):
        draft = process_services.version_new_draft(
            template=ProcessTemplate.objects.get(code="power-service")
        )
    for node in draft.nodes.all():
        assert [(r.history_type, r.history_user) for r in rows(NodeDefinition, node.pk)] == [
            ("+", personas.hr)
        ]


# --- Scorecard dimensions and items (API) ----------------------------------------------------


def test_scorecard_lines_keep_their_own_history_through_the_api(personas, login):
    hr = personas.hr
    client = login(hr)
    created = api(
        client,
        "post",
        "/api/v1/scorecards/",
        {"code": "api-card", "name": "API", "department": personas.team_b.pk},
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    url = f"/api/v1/scorecards/{pk}"
    assert api(client, "post", f"{url}/dimensions/", {"dimensions": DIMENSIONS}).status_code == 200
    dimensions = {d.dimension: d for d in ScorecardDimension.objects.filter(scorecard_id=pk)}
    for dimension in dimensions.values():
        assert [
            (r.history_type, r.history_user) for r in rows(ScorecardDimension, dimension.pk)
        ] == [("+", hr)]

    # Changing one weight: that dimension alone gets a row, with 60 → 70.
    changed = {"process": "70", "ability": "30"}
    assert api(client, "post", f"{url}/dimensions/", {"dimensions": changed}).status_code == 200
    for code, dimension in dimensions.items():
        assert ScorecardDimension.objects.get(pk=dimension.pk).weight == int(changed[code])
        assert count(ScorecardDimension, dimension.pk) == 2
        old, new = last_change(ScorecardDimension, dimension.pk, expected_type="~", user=hr)[
            "weight"
        ]
        assert (old, new) == (int(DIMENSIONS[code]), int(changed[code]))
    same = api(client, "post", f"{url}/dimensions/", {"dimensions": changed})
    assert same.status_code == 200
    assert all(count(ScorecardDimension, d.pk) == 2 for d in dimensions.values())

    assert api(client, "post", f"{url}/items/", {"items": ITEMS}).status_code == 200
    items = {i.indicator: i for i in ScorecardItem.objects.filter(scorecard_id=pk)}
    assert {count(ScorecardItem, i.pk) for i in items.values()} == {1}
    assert api(client, "post", f"{url}/items/", {"items": ITEMS}).status_code == 200
    assert {count(ScorecardItem, i.pk) for i in items.values()} == {1}  # nothing changed

    # One weight changed, one indicator dropped: one "~" and one "-".
    edited = [dict(ITEMS[0], weight="100"), ITEMS[2]]
    assert api(client, "post", f"{url}/items/", {"items": edited}).status_code == 200
    kept, dropped, other = (
        items[code] for code in ("followup_count", "proposal_revision_count", "quality_score")
    )
    assert last_change(ScorecardItem, kept.pk, expected_type="~", user=hr)["weight"] == (70, 100)
    assert [(r.history_type, r.history_user) for r in rows(ScorecardItem, dropped.pk)][-1] == (
        "-",
        hr,
    )
    # The third moved up a place (the list order is the display order): that alone.
    assert count(ScorecardItem, other.pk) == 2
    assert last_change(ScorecardItem, other.pk, expected_type="~", user=hr) == {"order": (2, 1)}
    assert not ScorecardItem.objects.filter(pk=dropped.pk).exists()


def test_a_new_scorecard_draft_copies_its_lines_with_one_row_each_and_publishing_retires(
    personas, login
):
    hr = personas.hr
    client = login(hr)
    card = Scorecard.objects.get(status="published", code="power-service-salesperson")
    response = api(client, "post", f"/api/v1/scorecards/{card.pk}/new-draft/")
    assert response.status_code in (200, 201), response.content
    draft = Scorecard.objects.get(code=card.code, status="draft")
    lines = list(draft.dimensions.all()) + list(draft.items.all())
    assert lines
    for line in lines:
        assert [(r.history_type, r.history_user) for r in rows(type(line), line.pk)] == [("+", hr)]
    before = count(Scorecard, card.pk)
    response = api(client, "post", f"/api/v1/scorecards/{draft.pk}/publish/", {"note": "v2"})
    assert response.status_code == 200, response.content
    # The retired version's row is written by the claim that retires it (an UPDATE).
    assert count(Scorecard, card.pk) == before + 1
    newest = rows(Scorecard, card.pk)[-1]
    assert (newest.history_type, newest.history_user, newest.status) == ("~", hr, "retired")


# --- Training courses, sessions and attendance (API) -----------------------------------------


def test_training_records_keep_their_history_through_the_api(personas, login):
    hr = personas.hr
    client = login(hr)
    created = api(
        client,
        "post",
        "/api/v1/training-courses/",
        {"code": "tech-basics", "name": "电力技术基础", "indicators": []},
    )
    assert created.status_code == 201, created.content
    course_pk = created.json()["id"]
    assert [(r.history_type, r.history_user) for r in rows(TrainingCourse, course_pk)] == [
        ("+", hr)
    ]
    response = api(
        client, "patch", f"/api/v1/training-courses/{course_pk}/", {"name": "电力技术基础（二）"}
    )
    assert response.status_code == 200, response.content
    assert count(TrainingCourse, course_pk) == 2
    assert last_change(TrainingCourse, course_pk, expected_type="~", user=hr)["name"] == (
        "电力技术基础",
        "电力技术基础（二）",
    )

    response = api(
        client,
        "post",
        "/api/v1/training-sessions/",
        {
            "course": course_pk,
            "held_on": timezone.localdate().isoformat(),
            "required": [personas.sales_a.pk, personas.sales_b.pk],
        },
    )
    assert response.status_code == 201, response.content
    session_pk = response.json()["id"]
    assert [(r.history_type, r.history_user) for r in rows(TrainingSession, session_pk)] == [
        ("+", hr)
    ]
    attendances = {a.person_id: a for a in Attendance.objects.filter(session_id=session_pk)}
    assert len(attendances) == 2
    for attendance in attendances.values():
        assert [(r.history_type, r.history_user) for r in rows(Attendance, attendance.pk)] == [
            ("+", hr)
        ]

    url = f"/api/v1/training-sessions/{session_pk}/attendance/"
    response = api(client, "post", url, {"attended": [personas.sales_a.pk]})
    assert response.status_code == 200, response.content
    ticked = attendances[personas.sales_a.pk]
    assert count(Attendance, ticked.pk) == 2
    assert last_change(Attendance, ticked.pk, expected_type="~", user=hr) == {
        "attended": (False, True)
    }
    assert count(Attendance, attendances[personas.sales_b.pk].pk) == 1  # unchanged: no row
    api(client, "post", url, {"attended": [personas.sales_a.pk]})  # the same again
    assert count(Attendance, ticked.pk) == 2


# --- Option lists and the migration's first rows ---------------------------------------------


def test_an_option_change_leaves_one_row(personas):
    option = Option.objects.filter(kind="customer_type").first()
    before = count(Option, option.pk)
    with acting_as(personas.sysadmin):
        option.name = "电网公司（改）"
        option.save()
    assert count(Option, option.pk) == before + 1
    assert rows(Option, option.pk)[-1].history_user == personas.sysadmin


def test_existing_rows_get_a_first_row_when_their_history_starts(personas):
    """What the migrations adding a history do: one "+" row per existing record, by nobody."""
    DelayCategory.history.all().delete()
    start_history(django_apps, SimpleNamespace(connection=connection), "process.DelayCategory")
    categories = list(DelayCategory.objects.all())
    assert categories
    for category in categories:
        history = rows(DelayCategory, category.pk)
        assert [(r.history_type, r.history_user, r.name) for r in history] == [
            ("+", None, category.name)
        ]
