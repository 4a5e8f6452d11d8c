"""Customers and contacts: the services, the pages, and who may see what."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.text import capfirst

from pathscore.crm import services
from pathscore.crm.choices import DecisionRole
from pathscore.crm.models import Contact, Customer
from pathscore.crm.validators import credit_code_check_character
from tests.crm import factories

pytestmark = pytest.mark.django_db

VALID_CODE = "91350100M000100Y43"


def code_from(seed: int) -> str:
    """A valid credit code, different for every seed."""
    first17 = f"91320100{seed:09d}"
    return first17 + credit_code_check_character(first17)


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def label(model, field) -> str:
    """A field's label as a zh-hans page shows it."""
    return zh(capfirst(model._meta.get_field(field).verbose_name))


def new_customer(actor, name="测试电网公司", **fields):
    return services.customer_create(
        actor=actor,
        name=name,
        customer_type=factories.option("customer_type", "grid"),
        **fields,
    )


def form_data(**overrides):
    data = {
        "name": "南京新源光伏有限公司",
        "customer_type": factories.option("customer_type", "new-energy").pk,
        "credit_code": "",
        "region": "江苏南京",
        "address": "江宁区天元路 1 号",
        "latitude": "",
        "longitude": "",
        "notes": "",
    }
    data.update(overrides)
    return data


# --- Services ------------------------------------------------------------------------------


def test_a_salesperson_owns_the_customers_they_create(personas):
    customer = factories.customer(personas.sales_a, credit_code=f" {VALID_CODE.lower()} ")
    assert customer.owner == personas.sales_a
    assert customer.credit_code == VALID_CODE


def test_a_credit_code_with_a_typo_is_refused_on_its_field(personas):
    with pytest.raises(ValidationError) as caught:
        factories.customer(personas.sales_a, credit_code=VALID_CODE[:17] + "4")
    assert "credit_code" in caught.value.message_dict
    assert not Customer.objects.exists()


def test_a_visible_duplicate_names_the_customer_already_on_file(personas):
    first = factories.customer(personas.sales_a, name="国网某供电公司", credit_code=VALID_CODE)
    with pytest.raises(services.DuplicateCustomerError) as caught:
        factories.customer(personas.manager_a, name="重复录入", credit_code=VALID_CODE)
    assert caught.value.existing == first
    assert caught.value.visible is True
    assert "国网某供电公司" in caught.value.message_dict["credit_code"][0]


def test_an_invisible_duplicate_names_only_the_department_holding_it(personas):
    factories.customer(personas.sales_b, name="华北秘密客户", credit_code=VALID_CODE)
    with pytest.raises(services.DuplicateCustomerError) as caught:
        factories.customer(personas.sales_a, name="重复录入", credit_code=VALID_CODE)
    assert caught.value.visible is False
    message = caught.value.message_dict["credit_code"][0]
    assert personas.team_b.name in message
    assert "华北秘密客户" not in message
    assert Customer.objects.count() == 1


def test_a_salesperson_cannot_give_a_customer_to_someone_else(personas):
    with pytest.raises(ValidationError) as caught:
        new_customer(personas.sales_a, owner=personas.sales_b)
    assert "owner" in caught.value.message_dict


def test_a_manager_assigns_customers_within_their_subtree_only(personas):
    customer = new_customer(personas.manager_a, owner=personas.sales_a)
    assert customer.owner == personas.sales_a
    regional = new_customer(personas.regional_head, name="区域客户", owner=personas.sales_a)
    assert regional.owner == personas.sales_a
    with pytest.raises(ValidationError):
        new_customer(personas.manager_a, name="越权", owner=personas.sales_b)


def test_a_contact_needs_a_customer_the_actor_can_see(personas):
    theirs = factories.customer(personas.sales_b)
    with pytest.raises(ValidationError) as caught:
        services.contact_create(actor=personas.sales_a, customer=theirs, name="张工")
    assert "customer" in caught.value.message_dict


# --- Scoping -------------------------------------------------------------------------------


@pytest.fixture
def two_teams(personas):
    mine = factories.customer(personas.sales_a, name="华东电网客户", credit_code=VALID_CODE)
    theirs = factories.customer(personas.sales_b, name="华北工业客户")
    my_contact = services.contact_create(
        actor=personas.sales_a, customer=mine, name="张主任", mobile="13800138000"
    )
    their_contact = services.contact_create(
        actor=personas.sales_b, customer=theirs, name="李总工", mobile="13900139000"
    )
    return mine, theirs, my_contact, their_contact


@pytest.mark.parametrize(
    "url",
    [
        "/customers/{customer}/",
        "/customers/{customer}/edit/",
        "/contacts/{contact}/",
        "/contacts/{contact}/edit/",
    ],
)
def test_another_teams_customer_and_contacts_are_not_found(personas, login, two_teams, url):
    _mine, theirs, _my_contact, their_contact = two_teams
    client = login(personas.sales_a)
    address = url.format(customer=theirs.pk, contact=their_contact.pk)
    assert client.get(address).status_code == 404
    if address.endswith("/edit/"):
        assert client.post(address, {"name": "改名"}).status_code == 404
    theirs.refresh_from_db()
    their_contact.refresh_from_db()
    assert (theirs.name, their_contact.name) == ("华北工业客户", "李总工")


def test_a_guessed_customer_number_is_not_found_either(personas, login, two_teams):
    client = login(personas.sales_a)
    assert client.get("/customers/999999/").status_code == 404


def test_lists_and_exports_hold_only_visible_rows(personas, login, two_teams):
    client = login(personas.sales_a)
    page = client.get("/customers/").content.decode()
    assert "华东电网客户" in page and "华北工业客户" not in page
    exported = client.get("/customers/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["华东电网客户"]
    contacts = client.get("/contacts/", {"export": "csv"})
    text = b"".join(contacts.streaming_content).decode("utf-8-sig")
    assert "张主任" in text and "李总工" not in text
    xlsx = client.get("/contacts/", {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment")


def test_filtering_by_a_foreign_customer_shows_nothing_of_it(personas, login, two_teams):
    _mine, theirs, _my_contact, _their_contact = two_teams
    client = login(personas.sales_a)
    page = client.get("/contacts/", {"customer": theirs.pk}).content.decode()
    assert "李总工" not in page


def test_managers_see_their_subtree(personas, login, two_teams):
    for name, expected in (
        ("manager_a", {"华东电网客户"}),
        ("regional_head", {"华东电网客户"}),
        ("manager_b", {"华北工业客户"}),
        ("hr", {"华东电网客户", "华北工业客户"}),
        ("executive", {"华东电网客户", "华北工业客户"}),
    ):
        visible = set(
            Customer.objects.visible_to(personas.get(name)).values_list("name", flat=True)
        )
        assert visible == expected, name
    client = login(personas.manager_a)
    mine, *_ = two_teams
    assert client.get(f"/customers/{mine.pk}/").status_code == 200


def test_contact_create_does_not_preselect_or_accept_a_foreign_customer(personas, login, two_teams):
    _mine, theirs, _my_contact, _their_contact = two_teams
    client = login(personas.sales_a)
    page = client.get("/contacts/new/", {"customer": theirs.pk}).content.decode()
    assert "华北工业客户" not in page
    response = client.post(
        "/contacts/new/",
        {"customer": theirs.pk, "name": "混入", "decision_role": DecisionRole.FINANCE},
    )
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert not Contact.objects.filter(name="混入").exists()


def test_project_counts_count_only_projects_the_viewer_may_see(personas, login):
    shared = factories.customer(personas.sales_a, name="共享客户")
    factories.project(personas.sales_a, shared, name="我的项目")
    # sales_b may open a project on sales_a's customer only by owning it: they see the
    # customer through their project, but not sales_a's project.
    services.customer_update(customer=shared, actor=personas.hr, owner=personas.sales_b)
    factories.project(personas.sales_b, shared, name="他的项目")
    services.customer_update(customer=shared, actor=personas.hr, owner=personas.sales_a)
    rows = {
        c.name: c.project_count
        for c in login(personas.sales_b).get("/customers/").context["object_list"]
    }
    assert rows == {"共享客户": 1}
    rows = {
        c.name: c.project_count
        for c in login(personas.hr).get("/customers/").context["object_list"]
    }
    assert rows == {"共享客户": 2}


# --- Pages ---------------------------------------------------------------------------------


def test_create_a_customer_from_the_form(personas, login):
    client = login(personas.sales_a)
    form = client.get("/customers/new/")
    assert form.status_code == 200
    assert "owner" not in form.context["form"].fields
    response = client.post(
        "/customers/new/",
        form_data(credit_code=VALID_CODE.lower(), latitude="32.041544", longitude="118.767413"),
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    assert customer.owner == personas.sales_a
    assert customer.credit_code == VALID_CODE
    assert str(customer.latitude) == "32.041544"
    page = client.get(response["Location"]).content.decode()
    assert "南京新源光伏有限公司" in page and VALID_CODE in page


def test_a_salesperson_posting_another_owner_still_owns_the_customer(personas, login):
    client = login(personas.sales_a)
    client.post("/customers/new/", form_data(owner=personas.sales_b.pk))
    assert Customer.objects.get().owner == personas.sales_a


def test_a_manager_picks_the_owner_among_the_people_they_manage(personas, login):
    client = login(personas.manager_a)
    owners = client.get("/customers/new/").context["form"].fields["owner"].queryset
    assert set(owners.values_list("username", flat=True)) == {"manager_a", "sales_a"}
    response = client.post("/customers/new/", form_data(owner=personas.sales_b.pk))
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    client.post("/customers/new/", form_data(owner=personas.sales_a.pk))
    assert Customer.objects.get().owner == personas.sales_a


@pytest.mark.parametrize("name", ["tech", "executive", "auditor"])
def test_read_only_roles_cannot_create_customers(personas, login, name):
    client = login(personas.get(name))
    assert client.get("/customers/new/").status_code == 403
    assert client.post("/customers/new/", form_data()).status_code == 403
    assert not Customer.objects.exists()


def test_a_bad_credit_code_keeps_everything_typed_and_names_the_field(personas, login):
    client = login(personas.sales_a)
    typo = VALID_CODE[:17] + "4"
    response = client.post("/customers/new/", form_data(credit_code=typo, notes="重点客户"))
    assert response.status_code == 200
    assert not Customer.objects.exists()
    form = response.context["form"]
    assert list(form.errors) == ["credit_code"]
    page = response.content.decode()
    assert 'data-testid="error-summary"' in page
    assert label(Customer, "credit_code") in page
    assert 'data-testid="error-credit_code"' in page
    for kept in (typo, "南京新源光伏有限公司", "江苏南京", "江宁区天元路 1 号", "重点客户"):
        assert kept in page


def test_half_a_coordinate_is_refused_on_the_missing_half(personas, login):
    client = login(personas.sales_a)
    response = client.post("/customers/new/", form_data(latitude="32.04"))
    assert list(response.context["form"].errors) == ["longitude"]
    response = client.post("/customers/new/", form_data(latitude="95", longitude="118"))
    assert "latitude" in response.context["form"].errors


def test_a_visible_duplicate_links_to_the_customer_on_file(personas, login):
    existing = factories.customer(personas.sales_a, name="国网某供电公司", credit_code=VALID_CODE)
    response = login(personas.manager_a).post(
        "/customers/new/", form_data(credit_code=VALID_CODE, owner=personas.manager_a.pk)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="duplicate-link"' in page
    assert f'href="/customers/{existing.pk}/"' in page
    assert "credit_code" in response.context["form"].errors


def test_an_invisible_duplicate_names_the_department_without_a_link(personas, login):
    theirs = factories.customer(personas.sales_b, name="华北秘密客户", credit_code=VALID_CODE)
    response = login(personas.sales_a).post("/customers/new/", form_data(credit_code=VALID_CODE))
    page = response.content.decode()
    assert personas.team_b.name in page
    assert "华北秘密客户" not in page
    assert f"/customers/{theirs.pk}/" not in page
    assert 'data-testid="duplicate-link"' not in page


def test_editing_a_customer_keeps_history(personas, login):
    customer = factories.customer(personas.sales_a, name="华东电网客户", region="上海")
    client = login(personas.sales_a)
    response = client.post(
        f"/customers/{customer.pk}/edit/",
        form_data(name="华东电网客户", region="江苏苏州", customer_type=customer.customer_type_id),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.region == "江苏苏州"
    page = client.get(f"/customers/{customer.pk}/", {"tab": "history"}).content.decode()
    assert "上海 → 江苏苏州" in page
    assert personas.sales_a.name in page


def test_editing_keeps_the_duplicate_check(personas, login):
    factories.customer(personas.sales_b, name="华北客户", credit_code=VALID_CODE)
    mine = factories.customer(personas.sales_a, name="华东客户")
    response = login(personas.sales_a).post(
        f"/customers/{mine.pk}/edit/",
        form_data(name="华东客户", credit_code=VALID_CODE, customer_type=mine.customer_type_id),
    )
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    mine.refresh_from_db()
    assert mine.credit_code is None


def test_customer_page_shows_contacts_projects_and_timeline(personas, login):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    services.contact_create(
        actor=personas.sales_a,
        customer=customer,
        name="张主任",
        decision_role=DecisionRole.DECISION_MAKER,
    )
    project = factories.project(personas.sales_a, customer, name="配网运维二期")
    factories.followup(personas.sales_a, project, content="与张主任讨论运维范围。")
    page = login(personas.sales_a).get(f"/customers/{customer.pk}/").content.decode()
    assert "张主任" in page
    assert zh(DecisionRole.DECISION_MAKER.label) in page
    assert "配网运维二期" in page
    assert "与张主任讨论运维范围。" in page
    assert 'data-testid="tab-history"' in page


def test_add_a_contact_from_the_customer_page(personas, login):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    client = login(personas.sales_a)
    form = client.get("/contacts/new/", {"customer": customer.pk})
    assert form.context["form"].initial["customer"] == customer.pk
    response = client.post(
        "/contacts/new/",
        {
            "customer": customer.pk,
            "name": "王工",
            "title": "技术科长",
            "decision_role": DecisionRole.TECHNICAL_EVALUATOR,
            "mobile": "138 0013 8000",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/"
    contact = Contact.objects.get()
    assert contact.decision_role == DecisionRole.TECHNICAL_EVALUATOR
    assert client.get(f"/contacts/{contact.pk}/").status_code == 200


def test_a_contact_with_a_bad_phone_keeps_what_was_typed(personas, login):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    response = login(personas.sales_a).post(
        "/contacts/new/",
        {
            "customer": customer.pk,
            "name": "王工",
            "decision_role": DecisionRole.PROCUREMENT,
            "mobile": "call me",
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["mobile"]
    page = response.content.decode()
    assert "王工" in page and "call me" in page
    assert label(Contact, "mobile") in page


def test_edit_a_contact(personas, login):
    customer = factories.customer(personas.sales_a, name="华东电网客户")
    contact = services.contact_create(actor=personas.sales_a, customer=customer, name="王工")
    client = login(personas.sales_a)
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        {
            "customer": customer.pk,
            "name": "王工",
            "decision_role": DecisionRole.FINANCE,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.decision_role == DecisionRole.FINANCE
    page = client.get(f"/contacts/{contact.pk}/", {"tab": "history"}).content.decode()
    assert zh(DecisionRole.FINANCE.label) in page


# --- Query counts --------------------------------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        response.content  # noqa: B018  (render everything)
    return len(captured)


@pytest.mark.parametrize("viewer", ["sales_a", "manager_a", "hr"])
def test_customer_list_queries_do_not_grow_with_rows(
    personas, login, viewer, django_assert_max_num_queries
):
    def add(count, start):
        for number in range(start, start + count):
            customer = factories.customer(
                personas.sales_a, name=f"客户{number:03d}", credit_code=code_from(number)
            )
            factories.project(personas.sales_a, customer, name=f"项目{number:03d}")

    client = login(personas.get(viewer))
    add(3, 0)
    few = queries_for(client, "/customers/")
    add(9, 100)
    with django_assert_max_num_queries(few):
        assert len(client.get("/customers/").context["object_list"]) == 12


@pytest.mark.parametrize("viewer", ["sales_a", "hr"])
def test_contact_list_queries_do_not_grow_with_rows(
    personas, login, viewer, django_assert_max_num_queries
):
    def add(count, start):
        for number in range(start, start + count):
            customer = factories.customer(personas.sales_a, name=f"客户{number:03d}")
            services.contact_create(
                actor=personas.sales_a, customer=customer, name=f"联系人{number}"
            )

    client = login(personas.get(viewer))
    add(3, 0)
    few = queries_for(client, "/contacts/")
    add(9, 100)
    with django_assert_max_num_queries(few):
        assert len(client.get("/contacts/").context["object_list"]) == 12
