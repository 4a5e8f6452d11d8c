"""The audit trail: every create, update and delete of business data leaves exactly one
history row naming who did it, whether it came through a page, the API or the admin."""

from __future__ import annotations

import pytest

from pathscore.crm.models import Contact, Customer, FollowUp, Project
from pathscore.org.models import Department
from tests.crm import factories
from tests.crm.test_customers import form_data

pytestmark = pytest.mark.django_db


def rows(instance) -> list:
    return list(instance.history.order_by("history_date", "history_id"))


def test_a_customer_created_and_edited_on_the_pages(personas, login):
    client = login(personas.sales_a)
    client.post("/customers/new/", form_data(name="审计测试客户"))
    customer = Customer.objects.get(name="审计测试客户")
    assert [(r.history_type, r.history_user) for r in rows(customer)] == [("+", personas.sales_a)]
    client.post(
        f"/customers/{customer.pk}/edit/",
        form_data(name="审计测试客户", region="江苏苏州"),
    )
    history = rows(customer)
    assert [(r.history_type, r.history_user) for r in history] == [
        ("+", personas.sales_a),
        ("~", personas.sales_a),
    ]
    changes = history[1].diff_against(history[0]).changes
    assert [(c.field, c.old, c.new) for c in changes] == [("region", "江苏南京", "江苏苏州")]
    # Saving the form unchanged writes nothing.
    client.post(
        f"/customers/{customer.pk}/edit/",
        form_data(name="审计测试客户", region="江苏苏州"),
    )
    assert len(rows(customer)) == 2


def test_records_created_and_changed_through_the_api(personas, login):
    client = login(personas.sales_a)
    created = client.post(
        "/api/v1/customers/",
        {"name": "接口审计客户", "customer_type": "grid"},
        content_type="application/json",
    ).json()
    customer = Customer.objects.get(pk=created["id"])
    client.patch(
        f"/api/v1/customers/{customer.pk}/",
        {"region": "浙江杭州"},
        content_type="application/json",
    )
    assert [(r.history_type, r.history_user) for r in rows(customer)] == [
        ("+", personas.sales_a),
        ("~", personas.sales_a),
    ]
    contact = client.post(
        "/api/v1/contacts/",
        {"customer": customer.pk, "name": "审计联系人"},
        content_type="application/json",
    ).json()
    assert [r.history_type for r in rows(Contact.objects.get(pk=contact["id"]))] == ["+"]


def test_a_project_and_its_follow_up_created_on_the_pages(personas, login):
    client = login(personas.sales_a)
    customer = factories.customer(personas.sales_a, name="审计项目客户")
    client.post(
        "/projects/new/",
        {
            "customer": customer.pk,
            "name": "审计项目",
            "category": factories.option("project_category", "grid-om").pk,
            "estimated_amount": "120",
            "expected_sign_date": "",
            "started_on": "",
            "description": "",
        },
    )
    project = Project.objects.get(name="审计项目")
    assert [(r.history_type, r.history_user) for r in rows(project)] == [("+", personas.sales_a)]
    followup = factories.followup(personas.sales_a, project)
    assert [r.history_type for r in rows(FollowUp.objects.get(pk=followup.pk))] == ["+"]


def test_a_deletion_leaves_its_row(personas):
    customer = factories.customer(personas.sales_a, name="将删除的客户")
    pk = customer.pk
    customer.delete()
    history = list(Customer.history.filter(id=pk).order_by("history_date"))
    assert [r.history_type for r in history] == ["+", "-"]


def test_the_admin_leaves_one_row_with_the_admin_as_author(personas, client):
    client.force_login(personas.sysadmin)
    department = personas.team_a
    before = len(rows(department))
    response = client.get(f"/admin/org/department/{department.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {
        name: (value.pk if hasattr(value, "pk") else value)
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data["name"] = "华东一部（改名）"
    response = client.post(f"/admin/org/department/{department.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    history = rows(Department.objects.get(pk=department.pk))
    assert len(history) == before + 1
    assert (history[-1].history_type, history[-1].history_user) == ("~", personas.sysadmin)


def test_a_change_outside_a_request_is_credited_to_the_acting_user(personas):
    from pathscore.core.history import acting_as
    from pathscore.crm import services

    customer = factories.customer(personas.sales_a, name="后台任务客户")
    with acting_as(personas.manager_a):
        services.customer_update(
            customer=customer, actor=personas.manager_a, name="后台任务客户（改）"
        )
    services.customer_update(customer=customer, actor=personas.sales_a, name="后台任务客户（再改）")
    history = rows(customer)
    assert [(r.history_type, r.history_user) for r in history[-2:]] == [
        ("~", personas.manager_a),
        ("~", None),
    ]


# --- Changes made by claims (conditional UPDATEs) -------------------------------------------
#
# Submitting, reviewing, skipping, deciding and answering tasks change their rows with a
# conditional UPDATE so that exactly one of two racing people wins; the winner still leaves
# exactly one history row, credited to them.


def trail(instance) -> list[tuple[str, object]]:
    return [(r.history_type, r.history_user) for r in rows(instance)]


def api(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def started(personas, login):
    """Team A's project with its process started by its owner on the page."""
    from pathscore.process.models import NodeInstance
    from pathscore.process.selectors import startable_versions

    project = factories.project(personas.sales_a, name="留痕项目")
    client = login(personas.sales_a)
    version = startable_versions().filter(template__code="power-service").get()
    response = client.post(f"/process/projects/{project.pk}/start/", {"version": version.pk})
    assert response.status_code == 302
    nodes = list(NodeInstance.objects.filter(project=project).order_by("order"))
    return project, nodes


def test_starting_a_process_leaves_one_created_row_per_node(personas, started):
    _project, nodes = started
    assert nodes
    for node in nodes:
        assert trail(node) == [("+", personas.sales_a)]
    assert rows(nodes[0])[0].state == "in_progress"  # the first node starts in its one row


def test_submit_review_and_skip_each_leave_one_row(personas, login, started):
    from pathscore.process.models import NodeInstance

    _project, nodes = started
    first, second, third = nodes[0], nodes[1], nodes[2]
    submit = {
        "data": {"key_contact": "周建国 副总经理", "visit_date": "2026-01-05"},
        "checklist": ["已确认客户决策链", "已记录跟进记录"],
    }
    owner, manager = login(personas.sales_a), None
    assert api(owner, f"/api/v1/nodes/{first.pk}/submit/", submit).status_code == 201
    assert trail(first)[-1] == ("~", personas.sales_a)
    assert len(trail(first)) == 2
    manager = login(personas.manager_a)
    response = api(manager, f"/api/v1/nodes/{first.pk}/approve/", {"quality_score": 90})
    assert response.status_code == 200
    # The approval (with its score) is one row on the node; starting the next node is
    # that node's own row.
    assert trail(first) == [
        ("+", personas.sales_a),
        ("~", personas.sales_a),
        ("~", personas.manager_a),
    ]
    stored = NodeInstance.objects.get(pk=first.pk)
    approved = rows(stored)[-1]
    assert (approved.state, approved.score, approved.score_explanation) == (
        "approved",
        stored.score,
        stored.score_explanation,
    )
    assert stored.score is not None
    assert trail(second) == [("+", personas.sales_a), ("~", personas.manager_a)]
    # A second approval is refused and leaves nothing.
    assert (
        api(manager, f"/api/v1/nodes/{first.pk}/approve/", {"quality_score": 50}).status_code == 409
    )
    assert len(trail(first)) == 3
    response = api(manager, f"/api/v1/nodes/{third.pk}/skip/", {"reason": "客户已有方案"})
    assert response.status_code == 200
    assert trail(third) == [("+", personas.sales_a), ("~", personas.manager_a)]


def test_a_returned_submission_leaves_one_row(personas, login, started):
    from pathscore.process import services

    _project, nodes = started
    node = nodes[0]
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data={"key_contact": "周建国", "visit_date": "2026-01-05"},
        checklist=["已确认客户决策链", "已记录跟进记录"],
    )
    before = len(trail(node))
    response = api(
        login(personas.manager_a), f"/api/v1/nodes/{node.pk}/return/", {"comment": "补充"}
    )
    assert response.status_code == 200
    assert trail(node)[before:] == [("~", personas.manager_a)]


def test_a_delay_decision_and_a_task_answer_leave_one_row_each(personas, login, started):
    import datetime as dt

    from django.utils import timezone

    from pathscore.core.models import Option
    from pathscore.process import services
    from pathscore.process.models import DelayCategory, NodeInstance

    project, nodes = started
    node = nodes[0]
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=3)
    )
    node.refresh_from_db()
    reason = services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    before = len(trail(reason))
    response = api(
        login(personas.manager_a),
        f"/api/v1/delay-reasons/{reason.pk}/decide/",
        {"decision": "reject"},
    )
    assert response.status_code == 200
    assert trail(reason)[before:] == [("~", personas.manager_a)]

    task = services.task_create(
        project=project,
        kind=Option.objects.filter(kind="task_kind").first(),
        title="方案设计",
        assignee_department=personas.tech_dept,
        due_date=timezone.localdate() + dt.timedelta(days=5),
        created_by=personas.sales_a,
    )
    tech = login(personas.tech)
    assert api(tech, f"/api/v1/tasks/{task.pk}/acknowledge/").status_code == 200
    assert (
        api(tech, f"/api/v1/tasks/{task.pk}/complete/", {"result": "已出方案"}).status_code == 200
    )
    assert trail(task) == [("+", None), ("~", personas.tech), ("~", personas.tech)]


def test_ticking_off_a_next_action_leaves_one_row_once(personas, login):
    import datetime as dt

    project = factories.project(personas.sales_a)
    followup = factories.followup(
        personas.sales_a,
        project,
        next_action="寄送方案",
        next_action_date=dt.date.today() + dt.timedelta(days=3),
        needs=["增容改造"],
    )
    from pathscore.crm.models import CustomerNeed

    need = CustomerNeed.objects.get(followup=followup)
    assert [r.history_type for r in rows(need)] == ["+"]
    client = login(personas.sales_a)
    for _ in range(2):  # the second tick finds it done: nothing more is written
        api(client, f"/api/v1/followups/{followup.pk}/complete-next-action/")
    assert trail(FollowUp.objects.get(pk=followup.pk))[1:] == [("~", personas.sales_a)]


# --- Who "system" is --------------------------------------------------------------------------


def test_a_change_nobody_made_is_shown_as_the_system(personas, login):
    from django.utils import translation

    from pathscore.crm import services

    customer = factories.customer(personas.sales_a, name="系统改动客户")
    # Outside a request and outside acting_as: a job, the shell, a migration.
    services.customer_update(customer=customer, actor=personas.sales_a, region="江苏无锡")
    assert trail(customer)[-1] == ("~", None)
    client = login(personas.sales_a)
    page = client.get(f"/customers/{customer.pk}/", {"tab": "history"})
    with translation.override("zh-hans"):
        assert "系统" in page.content.decode()


def test_background_jobs_credit_no_person(personas, started):
    """The periodic jobs (reminders, stall thresholds, alert detection, webhook retries)
    act as the system: whatever history they leave names nobody."""
    from django.apps import apps

    from pathscore.insights.services import alerts_detect
    from pathscore.notify.webhook_delivery import due_ids
    from pathscore.process.reminders import run_reminders
    from pathscore.process.stalls import refresh_thresholds

    def credited():
        return {
            model._meta.label: set(model.objects.values_list("history_user_id", flat=True))
            for model in apps.get_models()
            if hasattr(model, "history_user_id")
        }

    before = credited()
    dict(run_reminders())
    refresh_thresholds()
    alerts_detect()
    due_ids()
    after = credited()
    for label, users in after.items():
        assert users - before.get(label, set()) <= {None}, label
