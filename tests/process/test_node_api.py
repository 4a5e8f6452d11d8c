"""The node API: scoped reads, every action through the services, 409 on the wrong state,
400 naming each missing item, 403 beyond one's role, 404 for other teams."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from pathscore.crm import services as crm_services
from pathscore.process import services
from pathscore.process.choices import DelayDecision, NodeState
from pathscore.process.models import DelayCategory, DelayReason, NodeInstance
from tests.crm import factories
from tests.process.conftest import current

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
NODES = "/api/v1/nodes/"
REASONS = "/api/v1/delay-reasons/"


def first_visit():
    return {
        "data": {"key_contact": "周建国 副总经理", "visit_date": timezone.localdate().isoformat()},
        "checklist": ["已确认客户决策链", "已记录跟进记录"],
        "note": "首次拜访顺利",
    }


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def make_overdue(node, days=3):
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=days)
    )
    node.refresh_from_db()
    return node


# --- Reads -----------------------------------------------------------------------------------


def test_list_is_scoped_through_visible_projects(personas, login, project, process):
    other = factories.project(personas.sales_b, name="华北项目")
    services.process_start(project=other)
    ids = lambda client: {row["project"] for row in client.get(NODES).json()["results"]}  # noqa: E731
    assert ids(login(personas.sales_a)) == {project.pk}
    assert ids(login(personas.manager_a)) == {project.pk}
    assert ids(login(personas.manager_b)) == {other.pk}
    assert ids(login(personas.hr)) == {project.pk, other.pk}
    assert ids(login(personas.tech)) == set()
    assert ids(login(personas.auditor)) == set()


def test_detail_has_the_standard_and_submissions(personas, login, project, process):
    node = current(project)
    client = login(personas.sales_a)
    assert post(client, f"{NODES}{node.pk}/submit/", first_visit()).status_code == 201
    body = client.get(f"{NODES}{node.pk}/").json()
    assert body["code"] == "first-visit" and body["state"] == NodeState.SUBMITTED
    assert [f["name"] for f in body["standard"]["fields"]] == ["key_contact", "visit_date"]
    assert body["standard"]["checklist"] == ["已确认客户决策链", "已记录跟进记录"]
    assert body["submissions"][0]["data"]["key_contact"] == "周建国 副总经理"
    assert login(personas.sales_b).get(f"{NODES}{node.pk}/").status_code == 404


def test_filters_by_project_state_and_overdue(personas, login, project, process):
    other = factories.project(personas.sales_a, name="第二个项目")
    services.process_start(project=other)
    make_overdue(current(other))
    client = login(personas.sales_a)
    rows = client.get(NODES, {"project": project.pk}).json()["results"]
    assert {row["project"] for row in rows} == {project.pk} and len(rows) == 6
    rows = client.get(NODES, {"state": "in_progress"}).json()["results"]
    assert {row["project"] for row in rows} == {project.pk, other.pk} and len(rows) == 2
    rows = client.get(NODES, {"overdue": "true"}).json()["results"]
    assert [(row["project"], row["overdue"], row["days_overdue"]) for row in rows] == [
        (other.pk, True, 3)
    ]


def test_the_list_is_read_only(personas, login, project, process):
    client = login(personas.hr)
    node = current(project)
    assert post(client, NODES, {"project": project.pk}).status_code == 405
    assert (
        client.patch(f"{NODES}{node.pk}/", {}, content_type="application/json").status_code == 405
    )
    assert client.delete(f"{NODES}{node.pk}/").status_code == 405


def test_anonymous_is_refused(client, personas, project, process):
    assert client.get(NODES).status_code in (401, 403)


def test_list_queries_do_not_grow(personas, login, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count, start):
        for number in range(start, start + count):
            services.process_start(project=factories.project(personas.sales_a, name=f"P{number}"))

    add(1, 0)
    client = login(personas.manager_a)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(NODES).status_code == 200
    add(5, 10)
    with django_assert_max_num_queries(len(captured)):
        assert client.get(NODES).json()["count"] == 36


# --- Submit ---------------------------------------------------------------------------------


def test_submit_creates_a_submission(personas, login, project, process):
    node = current(project)
    response = post(login(personas.sales_a), f"{NODES}{node.pk}/submit/", first_visit())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1 and body["state"] == "pending"
    node.refresh_from_db()
    assert node.state == NodeState.SUBMITTED


def test_an_incomplete_submission_is_a_400_naming_each_item(personas, login, project, process):
    node = current(project)
    response = post(
        login(personas.sales_a),
        f"{NODES}{node.pk}/submit/",
        {"data": {"key_contact": "周建国", "visit_date": "昨天"}, "checklist": ["已记录跟进记录"]},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"data.visit_date", "checklist"}
    assert "拜访日期" in errors["data.visit_date"][0]
    assert len(errors["checklist"]) == 1 and "已确认客户决策链" in errors["checklist"][0]
    assert not node.submissions.exists()


def test_a_required_document_is_named(personas, login, project, process):
    node = current(project)
    client = login(personas.sales_a)
    post(client, f"{NODES}{node.pk}/submit/", first_visit())
    node.refresh_from_db()
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("90"))
    report = current(project)
    data = {
        "data": {
            "power_load": "12MW",
            "existing_equipment": "2台主变",
            "demand_forecast": "年增8%",
        },
        "checklist": report.definition.checklist,
    }
    response = post(client, f"{NODES}{report.pk}/submit/", data)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"documents"}
    version = crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind="requirement_report",
        title="需求分析报告",
        file=ContentFile(PDF, name="report.pdf"),
    )
    response = post(client, f"{NODES}{report.pk}/submit/", {**data, "documents": [version.pk]})
    assert response.status_code == 201
    assert response.json()["documents"] == [version.pk]


def test_a_document_of_another_team_is_not_found(personas, login, project, process):
    node = current(project)
    other = factories.project(personas.sales_b, name="华北项目")
    foreign = crm_services.document_create(
        actor=personas.sales_b,
        project=other,
        kind="other",
        title="别人的文件",
        file=ContentFile(PDF, name="x.pdf"),
    )
    response = post(
        login(personas.sales_a),
        f"{NODES}{node.pk}/submit/",
        {**first_visit(), "documents": [foreign.pk]},
    )
    assert response.status_code == 400
    assert "documents" in response.json()["errors"]


def test_only_the_owner_submits(personas, login, project, process):
    node = current(project)
    assert (
        post(login(personas.manager_a), f"{NODES}{node.pk}/submit/", first_visit()).status_code
        == 403
    )
    assert (
        post(login(personas.sales_b), f"{NODES}{node.pk}/submit/", first_visit()).status_code == 404
    )


def test_submitting_a_submitted_node_is_a_409(personas, login, project, process):
    node = current(project)
    client = login(personas.sales_a)
    assert post(client, f"{NODES}{node.pk}/submit/", first_visit()).status_code == 201
    response = post(client, f"{NODES}{node.pk}/submit/", first_visit())
    assert response.status_code == 409
    body = response.json()
    assert body["current_state"] == NodeState.SUBMITTED
    assert body["detail"]


# --- Review ---------------------------------------------------------------------------------


def submitted(personas, project):
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit()["data"],
        checklist=first_visit()["checklist"],
    )
    return node


def test_approve_scores_the_node(personas, login, project, process):
    node = submitted(personas, project)
    response = post(
        login(personas.manager_a),
        f"{NODES}{node.pk}/approve/",
        {"quality_score": "85", "comment": "好"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == NodeState.APPROVED
    assert body["score"] == "8.50" and body["quality_score"] == "85.00"
    assert body["score_explanation"]["result"]["points"] == "8.50"
    assert current(project).definition.code == "requirement-report"


def test_approve_validates_the_score(personas, login, project, process):
    node = submitted(personas, project)
    client = login(personas.manager_a)
    response = post(client, f"{NODES}{node.pk}/approve/", {"quality_score": "101"})
    assert response.status_code == 400 and "quality_score" in response.json()["errors"]
    response = post(client, f"{NODES}{node.pk}/approve/", {})
    assert response.status_code == 400 and "quality_score" in response.json()["errors"]


def test_approving_twice_is_a_409_naming_the_state(personas, login, project, process):
    node = submitted(personas, project)
    assert (
        post(
            login(personas.regional_head), f"{NODES}{node.pk}/approve/", {"quality_score": 80}
        ).status_code
        == 200
    )
    response = post(login(personas.manager_a), f"{NODES}{node.pk}/approve/", {"quality_score": 95})
    assert response.status_code == 409
    assert response.json()["current_state"] == NodeState.APPROVED


def test_approving_an_unsubmitted_node_is_a_409(personas, login, project, process):
    node = current(project)
    response = post(login(personas.manager_a), f"{NODES}{node.pk}/approve/", {"quality_score": 95})
    assert response.status_code == 409
    assert response.json()["current_state"] == NodeState.IN_PROGRESS


def test_only_reviewers_review(personas, login, project, process):
    node = submitted(personas, project)
    assert (
        post(
            login(personas.sales_a), f"{NODES}{node.pk}/approve/", {"quality_score": 90}
        ).status_code
        == 403
    )
    assert (
        post(login(personas.hr), f"{NODES}{node.pk}/return/", {"comment": "x"}).status_code == 403
    )
    assert (
        post(
            login(personas.manager_b), f"{NODES}{node.pk}/approve/", {"quality_score": 90}
        ).status_code
        == 404
    )


def test_return_needs_a_comment(personas, login, project, process):
    node = submitted(personas, project)
    client = login(personas.manager_a)
    response = post(client, f"{NODES}{node.pk}/return/", {"comment": ""})
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    response = post(client, f"{NODES}{node.pk}/return/", {"comment": "请补充决策链"})
    assert response.status_code == 200
    assert response.json()["state"] == NodeState.RETURNED
    response = post(client, f"{NODES}{node.pk}/return/", {"comment": "再退一次"})
    assert response.status_code == 409
    assert response.json()["current_state"] == NodeState.RETURNED


# --- Skip -----------------------------------------------------------------------------------


def test_skip_needs_the_manager_and_a_reason(personas, login, project, process):
    node = current(project)
    assert (
        post(login(personas.sales_a), f"{NODES}{node.pk}/skip/", {"reason": "x"}).status_code == 403
    )
    client = login(personas.manager_a)
    response = post(client, f"{NODES}{node.pk}/skip/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = post(client, f"{NODES}{node.pk}/skip/", {"reason": "客户已熟悉我司"})
    assert response.status_code == 200
    assert response.json()["state"] == NodeState.SKIPPED
    response = post(client, f"{NODES}{node.pk}/skip/", {"reason": "again"})
    assert response.status_code == 409
    assert response.json()["current_state"] == NodeState.SKIPPED


# --- Delay reasons --------------------------------------------------------------------------


def test_give_and_decide_a_delay_reason(personas, login, project, process):
    node = make_overdue(current(project), days=4)
    category = DelayCategory.objects.get(code="customer-data")
    owner = login(personas.sales_a)
    response = post(
        owner,
        REASONS,
        {"node": node.pk, "category": category.pk, "text": "客户未提供完整的用电数据"},
    )
    assert response.status_code == 201, response.json()
    reason_id = response.json()["id"]
    assert response.json()["decision"] == DelayDecision.PENDING
    assert response.json()["attribution"] == "customer"

    assert login(personas.manager_b).get(REASONS).json()["count"] == 0
    manager = login(personas.manager_a)
    assert [r["id"] for r in manager.get(REASONS, {"decision": "pending"}).json()["results"]] == [
        reason_id
    ]
    response = post(
        manager,
        f"{REASONS}{reason_id}/decide/",
        {"decision": "accept", "waived_share": "0.5", "note": "属实"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decision"] == DelayDecision.ACCEPTED
    assert response.json()["waived_share"] == "0.50"
    response = post(manager, f"{REASONS}{reason_id}/decide/", {"decision": "reject"})
    assert response.status_code == 409
    assert response.json()["current_state"] == DelayDecision.ACCEPTED


def test_a_reason_needs_an_overdue_node_and_the_owner(personas, login, project, process):
    node = current(project)
    category = DelayCategory.objects.get(code="customer-data")
    data = {"node": node.pk, "category": category.pk, "text": "提前说明"}
    response = post(login(personas.sales_a), REASONS, data)
    assert response.status_code == 400
    make_overdue(node)
    assert post(login(personas.manager_a), REASONS, data).status_code == 403
    response = post(login(personas.sales_b), REASONS, data)
    assert response.status_code == 400 and "node" in response.json()["errors"]
    assert not DelayReason.objects.exists()


def test_a_salesperson_reason_cannot_waive(personas, login, project, process):
    node = make_overdue(current(project))
    reason = services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="sales-workload"),
        text="出差",
    )
    client = login(personas.manager_a)
    url = f"{REASONS}{reason.pk}/decide/"
    response = post(client, url, {"decision": "accept", "waived_share": "1"})
    assert response.status_code == 400 and "waived_share" in response.json()["errors"]
    assert post(login(personas.sales_a), url, {"decision": "accept"}).status_code == 403
    response = post(login(personas.manager_a), url, {"decision": "accept"})
    assert response.status_code == 200
    assert response.json()["waived_share"] == "0.00"


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_through_the_api(personas):
    """Two clients approve one submission at the same moment: one wins, one gets a 409."""
    import threading

    from django.db import connections
    from django.test import Client

    project = factories.project(personas.sales_a, name="并发评审项目")
    services.process_start(project=project)
    node = submitted(personas, project)
    barrier = threading.Barrier(2)
    results = []

    def approve(reviewer, score):
        client = Client()
        client.force_login(reviewer)
        barrier.wait()
        try:
            response = post(client, f"{NODES}{node.pk}/approve/", {"quality_score": score})
            results.append((response.status_code, response.json().get("current_state")))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=(personas.manager_a, 90)),
        threading.Thread(target=approve, args=(personas.regional_head, 70)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _state in results) == [200, 409]
    assert [state for status, state in results if status == 409] == [NodeState.APPROVED]
    node.refresh_from_db()
    assert node.state == NodeState.APPROVED
    assert node.submissions.get().reviewed_by in (personas.manager_a, personas.regional_head)
