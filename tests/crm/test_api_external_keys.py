"""Other systems key their records by their own codes: a project's external code (the
ERP's contract or opportunity number) and a follow-up's external ID can be written, found
and are unique, so a sync can look a record up before deciding to create or update it."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.crm import factories

pytestmark = pytest.mark.django_db


def test_a_project_is_found_by_its_external_code_and_the_code_is_unique(personas, login):
    project = factories.project(personas.sales_a, name="南京配网运维项目")
    other = factories.project(personas.sales_a, name="苏州储能项目")
    client = login(personas.sales_a)
    url = f"/api/v1/projects/{project.pk}/"
    response = client.patch(url, {"external_code": "ERP-2026-0042"}, "application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["external_code"] == "ERP-2026-0042"

    found = client.get("/api/v1/projects/?external_code=ERP-2026-0042").json()
    assert [row["id"] for row in found["results"]] == [project.pk]

    clash = client.patch(
        f"/api/v1/projects/{other.pk}/", {"external_code": "ERP-2026-0042"}, "application/json"
    )
    assert clash.status_code == 400
    assert "external_code" in clash.json()["errors"]
    other.refresh_from_db()
    assert other.external_code == ""


def test_a_foreign_projects_code_is_not_found(personas, login):
    foreign = factories.project(personas.sales_b, name="华北光伏项目")
    foreign.external_code = "ERP-B-7"
    foreign.save()
    client = login(personas.sales_a)
    assert client.get("/api/v1/projects/?external_code=ERP-B-7").json()["count"] == 0


def test_a_follow_up_keeps_its_external_id(personas, login):
    project = factories.project(personas.sales_a, name="南京配网运维项目")
    client = login(personas.sales_a)
    payload = {
        "project": project.pk,
        "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "mode": "phone",
        "content": "OA 同步的拜访记录",
        "external_id": "OA-VISIT-881",
    }
    created = client.post("/api/v1/followups/", payload, content_type="application/json")
    assert created.status_code == 201, created.json()
    assert created.json()["external_id"] == "OA-VISIT-881"
    again = client.post("/api/v1/followups/", payload, content_type="application/json")
    assert again.status_code == 400
    assert "external_id" in again.json()["errors"]
