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
