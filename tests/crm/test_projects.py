"""Projects: the services, the project page and its actions, and who may see what."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core.choices import Role
from pathscore.core.testing.personas import PASSWORD
from pathscore.crm import services
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import FollowUp, Project, ProjectHandover
from pathscore.crm.views import projects as project_views
from pathscore.org import services as org_services
from tests.crm import factories

pytestmark = pytest.mark.django_db


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


@pytest.fixture
def colleague(personas):
    """A second salesperson in team A, to hand projects to."""
    return org_services.user_create(
        username="sales_a2",
        name="孙销售",
        password=PASSWORD,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
        validate_password_strength=False,
    )


def project_data(customer, **overrides):
    data = {
        "customer": customer.pk,
        "name": "光伏电站并网项目",
        "category": factories.option("project_category", "new-energy").pk,
        "estimated_amount": "2350000.50",
        "expected_sign_date": (timezone.localdate() + dt.timedelta(days=120)).isoformat(),
        "started_on": "",
        "description": "20MW 分布式光伏，含储能。",
    }
    data.update(overrides)
    return data


# --- Services ------------------------------------------------------------------------------


def test_a_salesperson_owns_the_projects_they_open(personas):
    project = factories.project(personas.sales_a)
    assert project.owner == personas.sales_a
    assert project.status == ProjectStatus.ACTIVE


def test_a_project_needs_a_customer_the_actor_can_see(personas):
    theirs = factories.customer(personas.sales_b, name="华北客户")
    with pytest.raises(ValidationError) as caught:
        factories.project(personas.sales_a, theirs)
    assert "customer" in caught.value.message_dict
    assert not Project.objects.exists()


def test_signing_cannot_be_expected_before_the_start(personas):
    with pytest.raises(ValidationError) as caught:
        factories.project(
            personas.sales_a,
            started_on=timezone.localdate(),
            expected_sign_date=timezone.localdate() - dt.timedelta(days=1),
        )
    assert "expected_sign_date" in caught.value.message_dict


def test_update_changes_descriptive_fields_only(personas):
    project = factories.project(personas.sales_a)
    services.project_update(project=project, actor=personas.sales_a, name="配网运维三期")
    assert Project.objects.get().name == "配网运维三期"
    with pytest.raises(ValidationError):
        services.project_update(project=project, actor=personas.sales_a, owner=personas.sales_b)


def test_won_needs_the_signed_amount_and_date(personas):
    project = factories.project(personas.sales_a)
    with pytest.raises(ValidationError) as caught:
        services.project_set_status(project=project, actor=personas.sales_a, status="won")
    assert set(caught.value.message_dict) == {"signed_amount", "signed_on"}
    services.project_set_status(
        project=project,
        actor=personas.sales_a,
        status="won",
        signed_amount=Decimal("1180000"),
        signed_on=timezone.localdate(),
    )
    project.refresh_from_db()
    assert (project.status, project.signed_amount) == ("won", Decimal("1180000"))


@pytest.mark.parametrize("status", ["lost", "paused"])
def test_lost_and_paused_need_a_reason(personas, status):
    project = factories.project(personas.sales_a)
    with pytest.raises(ValidationError) as caught:
        services.project_set_status(project=project, actor=personas.sales_a, status=status)
    assert "reason" in caught.value.message_dict
    services.project_set_status(
        project=project, actor=personas.sales_a, status=status, reason="客户预算冻结"
    )
    assert Project.objects.get().status_reason == "客户预算冻结"


def test_only_a_manager_hands_over_and_only_to_people_they_manage(personas, colleague):
    project = factories.project(personas.sales_a)
    for role_without_it in (personas.sales_a, personas.executive):
        with pytest.raises(PermissionDenied):
            services.project_hand_over(
                project=project, actor=role_without_it, new_owner=colleague, reason="休假"
            )
    with pytest.raises(ValidationError) as caught:
        services.project_hand_over(
            project=project, actor=personas.manager_a, new_owner=personas.sales_b, reason="调整"
        )
    assert "new_owner" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.project_hand_over(
            project=project, actor=personas.manager_a, new_owner=colleague, reason=" "
        )
    assert "reason" in caught.value.message_dict
    assert Project.objects.get().owner == personas.sales_a


def test_credit_follows_the_doer_after_a_hand_over(personas, colleague, login):
    project = factories.project(personas.sales_a, name="储能项目")
    followup = factories.followup(personas.sales_a, project, content="现场勘查储能站址。")
    services.project_hand_over(
        project=project, actor=personas.manager_a, new_owner=colleague, reason="区域调整"
    )
    project.refresh_from_db()
    assert project.owner == colleague

    before = login(personas.sales_a)
    # The previous owner no longer sees the project…
    assert before.get(f"/projects/{project.pk}/").status_code == 404
    assert not Project.objects.visible_to(personas.sales_a).exists()
    # …but still sees the follow-up they wrote, and it still counts as theirs.
    assert list(FollowUp.objects.visible_to(personas.sales_a)) == [followup]
    assert FollowUp.objects.get().author == personas.sales_a
    detail = reverse("crm:followup-detail", args=[followup.pk])
    assert before.get(detail).status_code == 200

    # The new owner sees the project with its timeline; the history keeps the hand-over.
    page = login(colleague).get(f"/projects/{project.pk}/", {"tab": "history"}).content.decode()
    assert "现场勘查储能站址。" in page
    assert "区域调整" in page
    assert f"{personas.sales_a.name} → {colleague.name}" in page
    assert ProjectHandover.objects.get().handed_over_by == personas.manager_a


# --- Scoping -------------------------------------------------------------------------------


@pytest.fixture
def two_projects(personas):
    mine = factories.project(personas.sales_a, name="华东配网项目")
    theirs = factories.project(personas.sales_b, name="华北光伏项目")
    return mine, theirs


@pytest.mark.parametrize(
    "url",
    [
        "/projects/{pk}/",
        "/projects/{pk}/edit/",
        "/projects/{pk}/status/?to=won",
        "/projects/{pk}/handover/",
    ],
)
@pytest.mark.parametrize("viewer", ["sales_a", "manager_a", "regional_head"])
def test_another_teams_project_is_not_found(personas, login, two_projects, url, viewer):
    _mine, theirs = two_projects
    client = login(personas.get(viewer))
    assert client.get(url.format(pk=theirs.pk)).status_code == 404
    if url != "/projects/{pk}/":
        response = client.post(
            url.format(pk=theirs.pk),
            {"status": "lost", "reason": "抢单", "name": "改名", "new_owner": personas.sales_a.pk},
        )
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status, theirs.owner) == (
        "华北光伏项目",
        ProjectStatus.ACTIVE,
        personas.sales_b,
    )


def test_a_guessed_project_number_is_not_found(personas, login, two_projects):
    assert login(personas.sales_a).get("/projects/999999/").status_code == 404


def test_project_lists_and_exports_hold_only_visible_rows(personas, login, two_projects):
    client = login(personas.sales_a)
    page = client.get("/projects/").content.decode()
    assert "华东配网项目" in page and "华北光伏项目" not in page
    assert "¥1,200,000.00" in page
    exported = client.get("/projects/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["华东配网项目"]
    assert rows[1][4] == "1200000.00"
    assert client.get("/projects/", {"export": "xlsx"}).status_code == 200
    # Filtering by the other team's customer or owner cannot widen the list.
    _mine, theirs = two_projects
    for query in ({"customer": theirs.customer_id}, {"owner": personas.sales_b.pk}):
        assert "华北光伏项目" not in client.get("/projects/", query).content.decode()


def test_managers_see_the_projects_of_their_subtree(personas, login, two_projects):
    for name, expected in (
        ("manager_a", {"华东配网项目"}),
        ("regional_head", {"华东配网项目"}),
        ("manager_b", {"华北光伏项目"}),
        ("hr", {"华东配网项目", "华北光伏项目"}),
    ):
        rows = login(personas.get(name)).get("/projects/").context["object_list"]
        assert {p.name for p in rows} == expected, name


def test_the_list_filters_by_status(personas, login, two_projects):
    mine, _theirs = two_projects
    services.project_set_status(
        project=mine, actor=personas.sales_a, status="paused", reason="客户预算冻结"
    )
    client = login(personas.hr)
    rows = client.get("/projects/", {"status": "paused"}).context["object_list"]
    assert [p.name for p in rows] == ["华东配网项目"]


# --- Pages ---------------------------------------------------------------------------------


def test_create_a_project_for_a_customer(personas, login):
    customer = factories.customer(personas.sales_a, name="南京新源光伏有限公司")
    client = login(personas.sales_a)
    form = client.get("/projects/new/", {"customer": customer.pk}).context["form"]
    assert form.initial["customer"] == customer.pk
    assert "owner" not in form.fields
    response = client.post("/projects/new/", project_data(customer, owner=personas.sales_b.pk))
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.owner == personas.sales_a
    assert project.estimated_amount == Decimal("2350000.50")
    assert project.started_on == timezone.localdate()
    page = client.get(response["Location"]).content.decode()
    assert "光伏电站并网项目" in page
    assert "¥2,350,000.50" in page
    assert "南京新源光伏有限公司" in page


def test_a_manager_opens_a_project_for_someone_they_manage(personas, login):
    customer = factories.customer(personas.sales_a, name="华东客户")
    client = login(personas.manager_a)
    owners = client.get("/projects/new/").context["form"].fields["owner"].queryset
    assert set(owners.values_list("username", flat=True)) == {"manager_a", "sales_a"}
    client.post("/projects/new/", project_data(customer, owner=personas.sales_a.pk))
    assert Project.objects.get().owner == personas.sales_a


def test_a_bad_project_form_keeps_what_was_typed_and_names_the_field(personas, login):
    customer = factories.customer(personas.sales_a, name="华东客户")
    client = login(personas.sales_a)
    response = client.post(
        "/projects/new/",
        project_data(
            customer,
            started_on=timezone.localdate().isoformat(),
            expected_sign_date=(timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["expected_sign_date"]
    page = response.content.decode()
    assert zh(Project._meta.get_field("expected_sign_date").verbose_name).lower() in page.lower()
    for kept in ("光伏电站并网项目", "2350000.50", "20MW 分布式光伏，含储能。"):
        assert kept in page
    assert not Project.objects.exists()


@pytest.mark.parametrize("name", ["tech", "executive"])
def test_read_only_roles_cannot_open_or_change_projects(personas, login, two_projects, name):
    mine, _theirs = two_projects
    client = login(personas.get(name))
    assert client.get("/projects/new/").status_code == 403
    assert client.get(f"/projects/{mine.pk}/edit/").status_code in (403, 404)


def test_edit_a_project_and_see_the_change_in_history(personas, login):
    project = factories.project(personas.sales_a, name="配网运维项目")
    client = login(personas.sales_a)
    response = client.post(
        f"/projects/{project.pk}/edit/",
        project_data(project.customer, name="配网运维项目", estimated_amount="1500000"),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.estimated_amount == Decimal("1500000")
    page = client.get(f"/projects/{project.pk}/", {"tab": "history"}).content.decode()
    assert "1200000.00 → 1500000.00" in page


def test_mark_a_project_won_from_its_page(personas, login):
    project = factories.project(personas.sales_a)
    client = login(personas.sales_a)
    form = client.get(f"/projects/{project.pk}/status/", {"to": "won"})
    assert set(form.context["form"].fields) == {"status", "signed_amount", "signed_on"}
    missing = client.post(f"/projects/{project.pk}/status/", {"status": "won", "signed_on": ""})
    assert missing.status_code == 200
    assert set(missing.context["form"].errors) == {"signed_amount", "signed_on"}
    today = timezone.localdate().isoformat()
    done = client.post(
        f"/projects/{project.pk}/status/",
        {"status": "won", "signed_amount": "1180000", "signed_on": today},
    )
    assert done.status_code == 302
    project.refresh_from_db()
    assert (project.status, project.signed_amount) == ("won", Decimal("1180000"))
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "¥1,180,000.00" in page
    # Saving "won" again changes nothing and lands back on the project.
    again = client.post(
        f"/projects/{project.pk}/status/",
        {"status": "won", "signed_amount": "1", "signed_on": today},
    )
    assert again.status_code == 302
    project.refresh_from_db()
    assert project.signed_amount == Decimal("1180000")


def test_a_future_signing_date_is_refused_on_its_field(personas, login):
    project = factories.project(personas.sales_a)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = login(personas.sales_a).post(
        f"/projects/{project.pk}/status/",
        {"status": "won", "signed_amount": "100", "signed_on": tomorrow},
    )
    assert list(response.context["form"].errors) == ["signed_on"]
    assert tomorrow in response.content.decode()


def test_mark_lost_needs_a_reason_then_shows_it(personas, login):
    project = factories.project(personas.sales_a)
    client = login(personas.sales_a)
    response = client.post(f"/projects/{project.pk}/status/", {"status": "lost", "reason": ""})
    assert list(response.context["form"].errors) == ["reason"]
    client.post(f"/projects/{project.pk}/status/", {"status": "lost", "reason": "价格高于竞争对手"})
    project.refresh_from_db()
    assert project.status == "lost"
    assert "价格高于竞争对手" in client.get(f"/projects/{project.pk}/").content.decode()


def test_an_unknown_status_is_not_found(personas, login):
    project = factories.project(personas.sales_a)
    client = login(personas.sales_a)
    assert client.get(f"/projects/{project.pk}/status/", {"to": "won-big"}).status_code == 404


def test_hand_over_from_the_project_page(personas, login, colleague):
    project = factories.project(personas.sales_a)
    assert login(personas.sales_a).get(f"/projects/{project.pk}/handover/").status_code == 403
    client = login(personas.manager_a)
    form = client.get(f"/projects/{project.pk}/handover/").context["form"]
    choices = set(form.fields["new_owner"].queryset.values_list("username", flat=True))
    assert choices == {"manager_a", "sales_a2"}
    refused = client.post(
        f"/projects/{project.pk}/handover/",
        {"new_owner": personas.sales_b.pk, "reason": "调整"},
    )
    assert list(refused.context["form"].errors) == ["new_owner"]
    response = client.post(
        f"/projects/{project.pk}/handover/", {"new_owner": colleague.pk, "reason": "区域调整"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.owner == colleague
    handovers = client.get(f"/projects/{project.pk}/handover/").content.decode()
    assert "区域调整" in handovers


def test_the_project_page_shows_registered_sections(personas, login, monkeypatch):
    project = factories.project(personas.sales_a)
    calls = []

    def extra(*, project, request):
        calls.append((project.pk, request.user.pk))
        return {"badge": 7}

    monkeypatch.setattr(project_views, "PROJECT_SECTIONS", list(project_views.PROJECT_SECTIONS))
    project_views.register_project_section(
        "extra", "额外", "crm/projects/_status_badge.html", extra, 60
    )
    page = login(personas.sales_a).get(f"/projects/{project.pk}/", {"tab": "extra"})
    html = page.content.decode()
    assert calls == [(project.pk, personas.sales_a.pk)]
    assert 'data-testid="tab-extra"' in html
    assert 'id="pane-extra"' in html
    keys = [s.key for s in page.context["sections"]]
    assert keys[0] == "overview" and keys[-1] == "history"
    assert [s.key for s in page.context["sections"] if s.active] == ["extra"]


def test_a_section_can_hide_itself(personas, login, monkeypatch):
    project = factories.project(personas.sales_a)
    monkeypatch.setattr(project_views, "PROJECT_SECTIONS", list(project_views.PROJECT_SECTIONS))
    project_views.register_project_section(
        "hidden", "隐藏", "crm/projects/_status_badge.html", lambda **kw: None, 60
    )
    html = login(personas.sales_a).get(f"/projects/{project.pk}/").content.decode()
    assert 'data-testid="tab-hidden"' not in html


def test_the_tab_bar_renders_without_inline_script():
    html = render_to_string("crm/projects/_tabs.html", {"sections": []})
    assert "<script" not in html and "hx-on" not in html


# --- Query counts --------------------------------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        response.content  # noqa: B018  (render everything)
    return len(captured)


@pytest.mark.parametrize("viewer", ["sales_a", "manager_a", "hr"])
def test_project_list_queries_do_not_grow_with_rows(
    personas, login, viewer, django_assert_max_num_queries
):
    customer = factories.customer(personas.sales_a, name="华东客户")

    def add(count, start):
        for number in range(start, start + count):
            factories.project(personas.sales_a, customer, name=f"项目{number:03d}")

    client = login(personas.get(viewer))
    add(3, 0)
    few = queries_for(client, "/projects/")
    add(9, 100)
    with django_assert_max_num_queries(few):
        assert len(client.get("/projects/").context["object_list"]) == 12


def test_project_page_queries_do_not_grow_with_followups(
    personas, login, django_assert_max_num_queries
):
    project = factories.project(personas.sales_a)
    client = login(personas.sales_a)
    factories.followup(personas.sales_a, project)
    few = queries_for(client, f"/projects/{project.pk}/")
    for days in range(2, 10):
        factories.followup(personas.sales_a, project, days_ago=days)
    with django_assert_max_num_queries(few):
        client.get(f"/projects/{project.pk}/").content  # noqa: B018
