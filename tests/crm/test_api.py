"""The records' REST API: scoped reads, writes through the services, one error format."""

import datetime as dt
import io
import uuid

import pytest
from django.utils import timezone

from pathscore.crm.models import Customer, FollowUp, Project
from tests.crm import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def records(personas):
    project_a = factories.project(personas.sales_a, name="华东配网项目")
    project_b = factories.project(personas.sales_b, name="华北光伏项目")
    return project_a, project_b


def test_lists_are_scoped(personas, login, records):
    project_a, project_b = records
    client = login(personas.sales_a)
    names = {row["name"] for row in client.get("/api/v1/projects/").json()["results"]}
    assert names == {"华东配网项目"}
    assert client.get(f"/api/v1/projects/{project_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/customers/{project_b.customer_id}/").status_code == 404
    manager = login(personas.manager_b)
    assert {row["name"] for row in manager.get("/api/v1/projects/").json()["results"]} == {
        "华北光伏项目"
    }


def test_filters_are_shared_with_the_ui(personas, login, records):
    client = login(personas.hr)
    response = client.get("/api/v1/projects/", {"q": "光伏"})
    assert [row["name"] for row in response.json()["results"]] == ["华北光伏项目"]
    response = client.get("/api/v1/projects/", {"department": personas.team_a.pk})
    assert [row["name"] for row in response.json()["results"]] == ["华东配网项目"]


def test_create_customer_and_duplicate_credit_code(personas, login):
    client = login(personas.sales_a)
    payload = {
        "name": "南京新源光伏有限公司",
        "customer_type": "new-energy",
        "credit_code": "91350100M000100Y43",
    }
    created = client.post("/api/v1/customers/", payload, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == personas.sales_a.pk
    again = login(personas.sales_b).post(
        "/api/v1/customers/", {**payload, "name": "另一家"}, content_type="application/json"
    )
    assert again.status_code == 400
    body = again.json()
    assert "credit_code" in body["errors"]
    assert personas.team_a.name in body["errors"]["credit_code"][0]


def test_bad_credit_code_names_the_field(personas, login):
    client = login(personas.sales_a)
    response = client.post(
        "/api/v1/customers/",
        {"name": "错误代码公司", "customer_type": "grid", "credit_code": "91350100M000100Y44"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["credit_code"]


def test_salesperson_cannot_assign_another_owner(personas, login):
    client = login(personas.sales_a)
    response = client.post(
        "/api/v1/customers/",
        {"name": "越权客户", "customer_type": "grid", "owner": personas.manager_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]
    assert not Customer.objects.filter(name="越权客户").exists()


def test_cannot_attach_records_to_a_foreign_project(personas, login, records):
    _project_a, project_b = records
    client = login(personas.sales_a)
    response = client.post(
        "/api/v1/followups/",
        {
            "project": project_b.pk,
            "occurred_at": timezone.now().isoformat(),
            "mode": "visit",
            "content": "试图写入别人的项目",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "project" in response.json()["errors"]
    assert not FollowUp.objects.exists()


def test_create_followup_with_needs_and_client_key(personas, login, records):
    project_a, _ = records
    client = login(personas.sales_a)
    payload = {
        "project": project_a.pk,
        "occurred_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "mode": "phone",
        "content": "电话沟通需求分析报告",
        "needs": ["提供同类项目案例", "补充投资回收期测算"],
        "next_action": "提交需求分析报告",
        "next_action_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "client_key": "7d8f3c2e-1a4b-4c5d-9e6f-0a1b2c3d4e5f",
    }
    first = client.post("/api/v1/followups/", payload, content_type="application/json")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["author"] == personas.sales_a.pk
    assert body["customer"] == project_a.customer_id
    assert [need["text"] for need in body["customer_needs"]] == [
        "提供同类项目案例",
        "补充投资回收期测算",
    ]
    second = client.post("/api/v1/followups/", payload, content_type="application/json")
    assert second.status_code == 201
    assert second.json()["id"] == body["id"]
    assert FollowUp.objects.count() == 1


def test_project_status_needs_its_fields(personas, login, records):
    project_a, _ = records
    client = login(personas.sales_a)
    url = f"/api/v1/projects/{project_a.pk}/status/"
    refused = client.post(url, {"status": "won"}, content_type="application/json")
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"signed_amount", "signed_on"}
    won = client.post(
        url,
        {
            "status": "won",
            "signed_amount": "1150000.00",
            "signed_on": timezone.localdate().isoformat(),
        },
        content_type="application/json",
    )
    assert won.status_code == 200
    project_a.refresh_from_db()
    assert project_a.status == "won"


def test_owner_cannot_be_changed_by_update(personas, login, records):
    project_a, _ = records
    client = login(personas.sales_a)
    response = client.patch(
        f"/api/v1/projects/{project_a.pk}/",
        {"owner": personas.manager_a.pk, "name": "改名后的项目"},
        content_type="application/json",
    )
    assert response.status_code == 200
    project_a.refresh_from_db()
    assert project_a.owner == personas.sales_a
    assert project_a.name == "改名后的项目"


def test_handover_by_manager(personas, login, records):
    project_a, _ = records
    from pathscore.core.choices import Role
    from pathscore.org import services as org_services

    colleague = org_services.user_create(
        username="sales_a2",
        name="新同事",
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )
    refused = login(personas.sales_a).post(
        f"/api/v1/projects/{project_a.pk}/handover/",
        {"to_owner": colleague.pk, "reason": "调岗"},
        content_type="application/json",
    )
    assert refused.status_code == 403  # a salesperson's role does not hand projects over
    done = login(personas.manager_a).post(
        f"/api/v1/projects/{project_a.pk}/handover/",
        {"to_owner": colleague.pk, "reason": "原负责人调岗"},
        content_type="application/json",
    )
    assert done.status_code == 201, done.json()
    assert Project.objects.get(pk=project_a.pk).owner == colleague


def test_document_upload_versions_and_feedback(personas, login, records):
    project_a, _ = records
    client = login(personas.sales_a)
    created = client.post(
        "/api/v1/documents/",
        {
            "project": project_a.pk,
            "kind": "proposal",
            "title": "技术方案",
            "file": io.BytesIO(PDF),
            "change_note": "首版",
        },
    )
    assert created.status_code == 201, created.json()
    document = created.json()
    assert document["version_count"] == 1
    upload = io.BytesIO(PDF)
    upload.name = "v2.pdf"
    second = client.post(
        f"/api/v1/documents/{document['id']}/versions/", {"file": upload, "change_note": "降低造价"}
    )
    assert second.status_code == 201, second.json()
    assert second.json()["number"] == 2
    feedback = client.post(
        f"/api/v1/document-versions/{second.json()['id']}/feedback/",
        {"feedback": "客户反馈：成本过高"},
        content_type="application/json",
    )
    assert feedback.status_code == 200
    assert feedback.json()["customer_feedback"] == "客户反馈：成本过高"
    exe = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
    exe.name = "setup.pdf"
    refused = client.post(
        f"/api/v1/documents/{document['id']}/versions/", {"file": exe, "change_note": "x"}
    )
    assert refused.status_code == 400
    assert "file" in refused.json()["errors"]
    assert login(personas.sales_b).get(f"/api/v1/documents/{document['id']}/").status_code == 404


def test_contract_terms_and_milestones(personas, login, records):
    project_a, _ = records
    client = login(personas.sales_a)
    term = client.post(
        "/api/v1/contract-terms/",
        {
            "project": project_a.pk,
            "topic": "payment",
            "description": "预付30%",
            "state": "disputed",
        },
        content_type="application/json",
    )
    assert term.status_code == 201, term.json()
    agreed = client.patch(
        f"/api/v1/contract-terms/{term.json()['id']}/",
        {"state": "agreed"},
        content_type="application/json",
    )
    assert agreed.json()["state"] == "agreed"
    today = timezone.localdate()
    review = client.post(
        "/api/v1/contract-milestones/",
        {"project": project_a.pk, "kind": "customer_legal_review", "reached_on": today.isoformat()},
        content_type="application/json",
    )
    assert review.status_code == 201, review.json()
    out_of_order = client.post(
        "/api/v1/contract-milestones/",
        {
            "project": project_a.pk,
            "kind": "awaiting_signature",
            "reached_on": (today - dt.timedelta(days=3)).isoformat(),
        },
        content_type="application/json",
    )
    assert out_of_order.status_code == 400
    assert "reached_on" in out_of_order.json()["errors"]


def test_api_requires_authentication(db):
    from django.test import Client

    response = Client().get("/api/v1/projects/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_page_size_is_bounded(personas, login, monkeypatch):
    from pathscore.api.pagination import BoundedPageNumberPagination

    monkeypatch.setattr(BoundedPageNumberPagination, "max_page_size", 2)
    for index in range(3):
        factories.customer(personas.sales_a, name=f"客户{index}")
    client = login(personas.sales_a)
    body = client.get("/api/v1/customers/", {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert len(client.get("/api/v1/customers/", {"page_size": 1}).json()["results"]) == 1
    # Beyond the bound (or not a whole number) is refused by name, never silently cut.
    for refused in ("3", "100000", "0", "-1", "2.5", "abc", ""):
        response = client.get("/api/v1/customers/", {"page_size": refused})
        assert response.status_code == 400, refused
        assert list(response.json()["errors"]) == ["page_size"]


def test_schema_is_served(personas, login):
    response = login(personas.sales_a).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/followups/" in response.content


def test_creating_a_followup_by_token_takes_a_fixed_number_of_queries(
    personas, records, django_assert_num_queries
):
    """The API's busiest write: token, scope, the project and customer through the
    caller's scope, the mode, then the row and its history row. Nothing is read twice."""
    from django.test import Client

    from pathscore.org import services as org_services

    project_a, _ = records
    _token, secret = org_services.token_create(
        user=personas.sales_a, name="sync", scope="write", expires_in_days=30
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def post(**extra):
        payload = {
            "project": project_a.pk,
            "customer": project_a.customer_id,
            "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "mode": "phone",
            "content": "电话确认设备交付周期",
            "client_key": str(uuid.uuid4()),
            **extra,
        }
        return client.post("/api/v1/followups/", payload, content_type="application/json")

    assert post().status_code == 201  # the token's last use is written once a minute
    # token and user, roles with headed departments (one statement), project, customer,
    # mode; a savepoint and its release around the service and around the insert; the
    # row, its history row; the previous follow-up's time on it and the next one
    # (crm.chain, one UPDATE); the author's count of that day recounted
    # (insights.rollups, one INSERT … SELECT upsert).
    with django_assert_num_queries(13):
        response = post()
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["participants"], body["contacts"], body["customer_needs"]) == ([], [], [])
    created = FollowUp.objects.get(pk=body["id"])
    assert created.history.get().history_user == personas.sales_a
    assert created.customer_id == project_a.customer_id


def test_two_callers_in_a_row_each_meet_their_own_scope(personas, records):
    """The follow-up serializer's fields are built once per class: each request must still
    resolve the project and customer through its own caller's scope, never the last one's."""
    from django.test import Client

    from pathscore.org import services as org_services

    project_a, project_b = records

    def client_of(user):
        _token, secret = org_services.token_create(
            user=user, name="sync", scope="write", expires_in_days=30
        )
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    clients = {"a": client_of(personas.sales_a), "b": client_of(personas.sales_b)}

    def post(who, **target):
        body = {
            "occurred_at": timezone.now().isoformat(),
            "mode": "phone",
            "content": "电话沟通交付计划",
            **target,
        }
        return clients[who].post("/api/v1/followups/", body, content_type="application/json")

    for _round in range(2):
        for who, mine, theirs in (("a", project_a, project_b), ("b", project_b, project_a)):
            refused = post(who, project=theirs.pk)
            assert refused.status_code == 400
            assert "project" in refused.json()["errors"]
            refused = post(who, customer=theirs.customer_id)
            assert refused.status_code == 400
            assert "customer" in refused.json()["errors"]
            created = post(who, project=mine.pk)
            assert created.status_code == 201, created.json()
            assert created.json()["project"] == mine.pk
    assert FollowUp.objects.filter(author=personas.sales_a, project=project_a).count() == 2
    assert FollowUp.objects.filter(author=personas.sales_b, project=project_b).count() == 2
    assert not FollowUp.objects.filter(author=personas.sales_a, project=project_b).exists()


def test_serializers_share_no_field_between_instances(personas, records):
    from pathscore.crm.api.serializers import FollowUpSerializer

    first, second = FollowUpSerializer(), FollowUpSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other, name
        assert field.parent is first and other.parent is second, name
    # The templates the copies come from are bound to no serializer.
    assert all(
        getattr(field, "parent", None) is None
        for field in FollowUpSerializer._field_templates.values()
    )


def test_a_token_cannot_attach_a_followup_to_a_foreign_project_or_customer(personas, records):
    from django.test import Client

    from pathscore.org import services as org_services

    _project_a, project_b = records
    _token, secret = org_services.token_create(
        user=personas.sales_a, name="sync", scope="write", expires_in_days=30
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    base = {
        "occurred_at": timezone.now().isoformat(),
        "mode": "visit",
        "content": "试图写入别人的项目",
    }
    for extra, field in (
        ({"project": project_b.pk}, "project"),
        ({"customer": project_b.customer_id}, "customer"),
    ):
        response = client.post(
            "/api/v1/followups/", {**base, **extra}, content_type="application/json"
        )
        assert response.status_code == 400
        assert field in response.json()["errors"]
    assert not FollowUp.objects.exists()
