"""Optimistic concurrency on the records: a save against a record someone else changed
in the meantime is refused — a 409 with everything typed kept in the forms, a 412 for a
stale If-Match on the API — and of two saves at the same moment exactly one wins."""

import threading

import pytest
from django.db import connections
from django.test import Client

from pathscore.core.concurrency import StaleRevision
from pathscore.crm import services
from pathscore.crm.choices import TermState, TermTopic
from pathscore.crm.models import Contact, ContractTerm, Customer, FollowUp, Project
from tests.crm import factories

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def typed(response, **changes) -> dict:
    """What a browser would post back from the form on ``response``, with ``changes``."""
    data = {}
    for field in response.context["form"]:
        value = field.value()
        if value is None or value is False or value == []:
            continue
        if value is True:
            data[field.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[field.html_name] = [str(getattr(item, "pk", item)) for item in value]
        else:
            formatted = field.field.widget.format_value(value)
            data[field.html_name] = formatted if formatted is not None else str(value)
    data.update(changes)
    return data


def _customer(personas):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    return customer, f"/customers/{customer.pk}/edit/", "name"


def _contact(personas):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    contact = services.contact_create(actor=personas.sales_a, customer=customer, name="王工")
    return contact, f"/contacts/{contact.pk}/edit/", "name"


def _project(personas):
    project = factories.project(personas.sales_a, name="配网运维项目")
    return project, f"/projects/{project.pk}/edit/", "name"


def _followup(personas):
    followup = factories.followup(personas.sales_a, factories.project(personas.sales_a))
    return followup, f"/followups/{followup.pk}/edit/", "content"


def _term(personas):
    term = services.term_create(
        actor=personas.sales_a,
        project=factories.project(personas.sales_a),
        topic=TermTopic.WARRANTY,
        description="质保期两年",
    )
    return term, f"/terms/{term.pk}/edit/", "description"


RECORDS = {
    "customer": _customer,
    "contact": _contact,
    "project": _project,
    "followup": _followup,
    "term": _term,
}


@pytest.mark.parametrize("kind", RECORDS)
def test_the_second_of_two_browsers_gets_a_conflict_and_keeps_its_input(personas, kind):
    record, url, field = RECORDS[kind](personas)
    # A follow-up is corrected by its author only: two tabs of the same person.
    second_user = personas.sales_a if kind == "followup" else personas.manager_a
    first, second = browser(personas.sales_a), browser(second_user)
    first_form, second_form = first.get(url), second.get(url)
    assert 'name="revision" value="1"' in second_form.content.decode()

    assert first.post(url, typed(first_form, **{field: "第一位的修改"})).status_code == 302
    response = second.post(url, typed(second_form, **{field: "第二位的修改"}))

    assert response.status_code == 409
    page = response.content.decode()
    assert "第二位的修改" in page  # everything typed is kept
    errors = " ".join(response.context["form"].non_field_errors())
    if kind == "followup":
        assert "在另一个窗口" in errors or "in another window" in errors
    else:
        assert personas.sales_a.name in errors
    record.refresh_from_db()
    assert getattr(record, field) == "第一位的修改"  # nothing of the second save
    assert record.revision == 2
    # The form now carries the new revision: saving again is a deliberate choice.
    assert response.context["form"]["revision"].value() == "2"
    again = second.post(url, typed(response))
    assert again.status_code == 302
    record.refresh_from_db()
    assert getattr(record, field) == "第二位的修改"
    assert record.revision == 3


def test_a_form_without_a_revision_still_saves(personas):
    """A page loaded before revisions existed posts none: the save goes through."""
    customer, url, _field = _customer(personas)
    client = browser(personas.sales_a)
    data = typed(client.get(url), name="新名称")
    del data["revision"]
    assert client.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.revision) == ("新名称", 2)


def test_status_changes_and_hand_overs_move_the_revision_on(personas):
    project = factories.project(personas.sales_a)
    client = browser(personas.sales_a)
    stale = client.get(f"/projects/{project.pk}/edit/")
    services.project_set_status(
        project=Project.objects.get(pk=project.pk),
        actor=personas.sales_a,
        status="paused",
        reason="客户预算冻结",
    )
    response = client.post(f"/projects/{project.pk}/edit/", typed(stale, name="改名"))
    assert response.status_code == 409
    assert Project.objects.get(pk=project.pk).name == "配网运维项目"


def test_the_service_refuses_a_stale_revision(personas):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    services.customer_update(
        customer=Customer.objects.get(pk=customer.pk), actor=personas.manager_a, region="上海"
    )
    with pytest.raises(StaleRevision) as refused:
        services.customer_update(
            customer=Customer.objects.get(pk=customer.pk),
            actor=personas.sales_a,
            expected_revision=1,
            region="杭州",
        )
    assert refused.value.code == "conflict"
    assert refused.value.current_revision == 2
    assert Customer.objects.get(pk=customer.pk).region == "上海"


# --- API -----------------------------------------------------------------------------------

API_RECORDS = {
    "customers": (_customer, {"region": "江苏"}),
    "contacts": (_contact, {"title": "科长"}),
    "projects": (_project, {"description": "二期扩容"}),
    "followups": (_followup, {"next_action": ""}),
    "contract-terms": (_term, {"note": "再议"}),
}


@pytest.mark.parametrize("resource", API_RECORDS)
def test_api_etag_and_if_match(personas, login, resource):
    build, change = API_RECORDS[resource]
    record, _url, _field = build(personas)
    url = f"/api/v1/{resource}/{record.pk}/"
    client = login(personas.sales_a)

    read = client.get(url)
    assert read["ETag"] == 'W/"1"' and read.json()["revision"] == 1

    # A matching tag saves and answers with the next one.
    saved = client.patch(url, change, content_type="application/json", HTTP_IF_MATCH='W/"1"')
    assert saved.status_code == 200, saved.json()
    assert saved["ETag"] == 'W/"2"' and saved.json()["revision"] == 2

    # A stale tag is refused before anything is validated or saved.
    stale = client.patch(
        url, {"revision": 99, **change}, content_type="application/json", HTTP_IF_MATCH='W/"1"'
    )
    assert stale.status_code == 412
    assert stale.json()["errors"] == {} and "2" in stale.json()["detail"]
    assert type(record).objects.get(pk=record.pk).revision == 2

    # Without If-Match the API works as before; a strong tag of the revision matches too.
    assert client.patch(url, change, content_type="application/json").status_code == 200
    assert (
        client.patch(url, change, content_type="application/json", HTTP_IF_MATCH='"3"')
    ).status_code == 200
    assert type(record).objects.get(pk=record.pk).revision == 4


def test_api_create_carries_an_etag(personas, login):
    response = login(personas.sales_a).post(
        "/api/v1/customers/",
        {"name": "新客户", "customer_type": "grid"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response["ETag"] == 'W/"1"'


def test_api_lost_race_is_a_412(personas, login, monkeypatch):
    """The tag matched when the request arrived, but another save slipped in before ours."""
    customer, _url, _field = _customer(personas)
    original = services.customer_update

    def racing(**kwargs):
        Customer.objects.filter(pk=customer.pk).update(revision=5)
        return original(**kwargs)

    monkeypatch.setattr(services, "customer_update", racing)
    response = login(personas.sales_a).patch(
        f"/api/v1/customers/{customer.pk}/",
        {"region": "浙江"},
        content_type="application/json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert response.status_code == 412
    assert Customer.objects.get(pk=customer.pk).region == ""


# --- Two saves at the same moment ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [Customer, Contact, Project, FollowUp, ContractTerm])
def test_two_saves_at_once_exactly_one_wins(personas, model):
    kind = {
        Customer: "customer",
        Contact: "contact",
        Project: "project",
        FollowUp: "followup",
        ContractTerm: "term",
    }[model]
    record, url, field = RECORDS[kind](personas)
    forms = {}
    clients = [browser(personas.sales_a), browser(personas.sales_a)]
    for number, client in enumerate(clients):
        forms[number] = client.get(url)
    barrier = threading.Barrier(2)
    results = []

    def save(number):
        try:
            data = typed(forms[number], **{field: f"并发修改{number}"})
            barrier.wait()
            results.append(clients[number].post(url, data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(number,)) for number in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [302, 409]
    record.refresh_from_db()
    assert record.revision == 2
    assert getattr(record, field) in ("并发修改0", "并发修改1")
    if model is ContractTerm:
        assert record.state == TermState.OPEN
