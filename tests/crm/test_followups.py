"""Follow-ups: the services' rules, scoping, the quick entry form, next actions, needs,
timelines and the typeahead."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.core import events as core_events
from pathscore.crm import events, selectors, services
from pathscore.crm.models import CustomerNeed, FollowUp
from tests.crm import factories

pytestmark = pytest.mark.django_db

LIST_URL = "/followups/"
NEW_URL = "/followups/new/"


def visit():
    return factories.option("followup_mode", "visit")


def phone():
    return factories.option("followup_mode", "phone")


def contact(the_customer, actor, name="张主任", **fields):
    return services.contact_create(actor=actor, customer=the_customer, name=name, **fields)


def local_input(value: dt.datetime) -> str:
    """A datetime as a ``datetime-local`` input sends it, in the user's zone."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def records(personas):
    """sales_a's project (east) and sales_b's project (north), each with a contact."""
    project_a = factories.project(personas.sales_a, name="华东配网运维项目")
    project_b = factories.project(personas.sales_b, name="华北光伏电站项目")
    contact_a = contact(project_a.customer, personas.sales_a, name="张主任")
    contact_b = contact(project_b.customer, personas.sales_b, name="刘工")
    return project_a, project_b, contact_a, contact_b


# --- Services ------------------------------------------------------------------------------


def test_a_followup_keeps_participants_contacts_and_needs(personas, records):
    project_a, _project_b, contact_a, _contact_b = records
    followup = factories.followup(
        personas.sales_a,
        project_a,
        participants=[personas.tech, personas.sales_a],
        contacts=[contact_a],
        needs=["用电负荷预测", "  ", "现有设备清单"],
        next_action="提交需求分析报告",
        next_action_date=timezone.localdate() + dt.timedelta(days=5),
    )
    assert followup.customer == project_a.customer
    assert followup.author == personas.sales_a
    # The author is implied; they are not listed among the participants.
    assert list(followup.participants.all()) == [personas.tech]
    assert list(followup.contacts.all()) == [contact_a]
    assert [need.text for need in followup.needs.order_by("pk")] == ["用电负荷预测", "现有设备清单"]


def test_the_project_must_belong_to_the_customer(personas, records):
    project_a, _project_b, _contact_a, _contact_b = records
    other_customer = factories.customer(personas.sales_a, name="另一家工业企业")
    with pytest.raises(ValidationError) as error:
        factories.followup(personas.sales_a, project_a, customer=other_customer)
    assert "customer" in error.value.error_dict
    assert not FollowUp.objects.exists()


def test_contacts_of_another_customer_are_refused(personas, records):
    project_a, _project_b, _contact_a, _contact_b = records
    stranger = contact(
        factories.customer(personas.sales_a, name="别家公司"), personas.sales_a, name="陌生人"
    )
    with pytest.raises(ValidationError) as error:
        factories.followup(personas.sales_a, project_a, contacts=[stranger])
    assert "contacts" in error.value.error_dict


def test_a_followup_cannot_happen_in_the_future(personas, records):
    project_a = records[0]
    with pytest.raises(ValidationError) as error:
        factories.followup(personas.sales_a, project_a, days_ago=-1)
    assert "occurred_at" in error.value.error_dict
    # A few minutes of clock drift are tolerated.
    services.followup_create(
        actor=personas.sales_a,
        project=project_a,
        occurred_at=timezone.now() + dt.timedelta(minutes=5),
        mode=visit(),
        content="电话确认勘查时间。",
    )


@pytest.mark.parametrize(
    ("action", "planned_in_days", "field"),
    [
        ("提交方案", None, "next_action_date"),
        ("", 3, "next_action"),
        ("提交方案", -5, "next_action_date"),
    ],
    ids=["action-without-date", "date-without-action", "planned-before-the-follow-up"],
)
def test_next_action_and_its_date_go_together(personas, records, action, planned_in_days, field):
    project_a = records[0]
    planned = None
    if planned_in_days is not None:
        planned = timezone.localdate() + dt.timedelta(days=planned_in_days)
    with pytest.raises(ValidationError) as error:
        factories.followup(
            personas.sales_a, project_a, days_ago=1, next_action=action, next_action_date=planned
        )
    assert field in error.value.error_dict


def test_the_same_client_key_saves_once(personas, records):
    project_a = records[0]
    key = uuid.uuid4()
    first = factories.followup(personas.sales_a, project_a, client_key=key, needs=["报价"])
    second = factories.followup(personas.sales_a, project_a, client_key=key, needs=["报价"])
    assert first.pk == second.pk
    assert FollowUp.objects.count() == 1
    assert CustomerNeed.objects.count() == 1
    # Someone else cannot reuse (or learn about) another person's key.
    with pytest.raises(ValidationError):
        factories.followup(personas.manager_a, project_a, client_key=key)


def test_only_the_author_changes_a_followup(personas, records):
    project_a = records[0]
    followup = factories.followup(personas.sales_a, project_a)
    with pytest.raises(ValidationError):
        services.followup_update(followup=followup, actor=personas.manager_a, content="改写")
    services.followup_update(
        followup=followup, actor=personas.sales_a, content="补充：客户要求两周内报价。"
    )
    followup.refresh_from_db()
    assert followup.content == "补充：客户要求两周内报价。"


def test_needs_are_marked_handled_and_reopened(personas, records):
    project_a = records[0]
    followup = factories.followup(personas.sales_a, project_a, needs=["储能系统需求评估"])
    need = followup.needs.get()
    services.need_mark_handled(need=need, actor=personas.sales_a)
    need.refresh_from_db()
    assert need.handled_at is not None
    assert need.handled_by == personas.sales_a
    services.need_mark_handled(need=need, actor=personas.sales_a, handled=False)
    need.refresh_from_db()
    assert need.handled_at is None
    assert need.handled_by is None
    with pytest.raises(ValidationError):
        services.need_mark_handled(need=need, actor=personas.sales_b)


def test_events_go_out_after_commit(personas, records, django_capture_on_commit_callbacks):
    project_a = records[0]
    received = []

    def handler(**payload):
        received.append(payload)

    core_events.subscribe(events.FOLLOWUP_RECORDED, handler)
    core_events.subscribe(events.CUSTOMER_NEED_RAISED, handler)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            followup = factories.followup(personas.sales_a, project_a, needs=["降低造价"])
        # Nothing is delivered while the transaction is open: recorded, need raised, and
        # the follow-ups' days (crm.followups_dated) wait for the commit.
        assert received == []
        assert len(callbacks) == 3
        with django_capture_on_commit_callbacks(execute=True):
            factories.followup(personas.sales_a, project_a, content="第二次拜访。")
        for callback in callbacks:
            callback()
        # A refused follow-up publishes nothing.
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            factories.followup(personas.sales_a, project_a, content="")
    finally:
        core_events.unsubscribe(events.FOLLOWUP_RECORDED, handler)
        core_events.unsubscribe(events.CUSTOMER_NEED_RAISED, handler)
    recorded = [p for p in received if "needs" in p]
    raised = [p for p in received if "raised_at" in p]
    assert len(recorded) == 2
    assert {p["followup_id"] for p in raised} == {followup.pk}
    assert recorded[-1] == {
        "followup_id": followup.pk,
        "project_id": project_a.pk,
        "actor_id": personas.sales_a.pk,
        "needs": 1,
    }


def test_completing_a_next_action_is_idempotent_and_personal(personas, records):
    project_a = records[0]
    followup = factories.followup(
        personas.manager_a,
        project_a,
        next_action="安排技术交流",
        next_action_date=timezone.localdate() + dt.timedelta(days=2),
    )
    # sales_a owns the project, so the action is theirs too; sales_b never sees it.
    with pytest.raises(ValidationError):
        services.followup_complete_next_action(followup=followup, actor=personas.sales_b)
    assert services.followup_complete_next_action(followup=followup, actor=personas.sales_a)
    assert not services.followup_complete_next_action(followup=followup, actor=personas.sales_a)


# --- Scoping -------------------------------------------------------------------------------


@pytest.fixture
def both_teams(personas, records):
    project_a, project_b, _contact_a, _contact_b = records
    mine = factories.followup(personas.sales_a, project_a, content="华东：拜访运维部主任")
    theirs = factories.followup(
        personas.sales_b, project_b, content="华北：光伏电站现场勘查", needs=["并网方案"]
    )
    return mine, theirs


def test_a_salesperson_sees_only_their_teams_followups(personas, login, both_teams):
    mine, theirs = both_teams
    client = login(personas.sales_a)
    page = client.get(LIST_URL).content.decode()
    assert "华东" in page
    assert "华北：光伏电站现场勘查" not in page
    assert client.get(f"/followups/{mine.pk}/").status_code == 200
    for url in (
        f"/followups/{theirs.pk}/",
        f"/followups/{theirs.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/followups/{theirs.pk}/done/").status_code == 404
    need = theirs.needs.get()
    assert client.post(f"/needs/{need.pk}/handled/").status_code == 404
    exported = b"".join(client.get(LIST_URL, {"export": "csv"}).streaming_content).decode()
    assert "华东：拜访运维部主任" in exported
    assert "华北" not in exported


def test_managers_see_their_subtree_and_hr_sees_all(personas, login, both_teams):
    mine, theirs = both_teams
    assert set(FollowUp.objects.visible_to(personas.manager_a)) == {mine}
    assert set(FollowUp.objects.visible_to(personas.regional_head)) == {mine}
    assert set(FollowUp.objects.visible_to(personas.hr)) == {mine, theirs}
    assert not FollowUp.objects.visible_to(personas.auditor).exists()
    assert login(personas.manager_b).get(f"/followups/{mine.pk}/").status_code == 404


def test_the_author_keeps_their_followup_after_a_hand_over(personas, login, records):
    project_a = records[0]
    before = factories.followup(personas.sales_a, project_a, content="交接前的拜访记录")
    services.project_hand_over(
        project=project_a, actor=personas.hr, new_owner=personas.sales_b, reason="区域调整"
    )
    after = factories.followup(personas.sales_b, project_a, content="交接后的新负责人拜访")

    client = login(personas.sales_a)
    assert client.get(f"/followups/{before.pk}/").status_code == 200
    assert client.get(f"/followups/{after.pk}/").status_code == 404
    page = client.get(LIST_URL).content.decode()
    assert "交接前的拜访记录" in page
    assert "交接后的新负责人拜访" not in page
    # The new owner sees the project's whole timeline.
    timeline = selectors.followups_for_project(project_a, personas.sales_b)
    assert set(timeline) == {before, after}


def test_the_typeahead_offers_only_visible_projects_and_customers(personas, login, records):
    client = login(personas.sales_a)
    page = client.get("/followups/targets/", {"q": "项目"}).content.decode()
    assert "华东配网运维项目" in page
    assert "华北光伏电站项目" not in page
    assert "华北光伏电站项目客户" not in page
    response = client.get("/followups/targets/", {"q": "华北"})
    assert response.context["projects"] == []
    assert response.context["customers"] == []
    assert 'data-testid="target-none"' in response.content.decode()
    # A guessed foreign pick is not echoed back.
    project_b = records[1]
    page = client.get("/followups/targets/", {"target": f"project:{project_b.pk}"}).content.decode()
    assert f"project:{project_b.pk}" not in page


def test_contact_choices_follow_the_pick_and_the_scope(personas, login, records):
    project_a, project_b, contact_a, contact_b = records
    client = login(personas.sales_a)
    page = client.get(
        "/followups/contacts/", {"target": f"project:{project_a.pk}", "contacts": [contact_a.pk]}
    ).content.decode()
    assert "张主任" in page
    assert "checked" in page
    page = client.get(
        "/followups/contacts/", {"target": f"project:{project_b.pk}"}
    ).content.decode()
    assert "刘工" not in page


# --- The form ------------------------------------------------------------------------------


def form_data(target, **overrides):
    data = {
        "target": target,
        "mode": str(visit().pk),
        "content": "拜访设备部，沟通变电站运维外包需求。",
        "occurred_at": local_input(timezone.now() - dt.timedelta(hours=2)),
        "next_action": "",
        "next_action_date": "",
        "needs": "",
        "client_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_the_form_preselects_the_last_used_project(personas, login, records):
    project_a = records[0]
    client = login(personas.sales_a)
    # Nothing recorded yet: nothing picked, the user's projects offered.
    response = client.get(NEW_URL)
    assert response.context["target_value"] == ""
    assert f'value="project:{project_a.pk}" autocomplete' in response.content.decode()
    factories.followup(personas.sales_a, project_a)
    response = client.get(NEW_URL)
    assert response.context["target_value"] == f"project:{project_a.pk}"
    assert f'value="project:{project_a.pk}" checked' in response.content.decode()
    # A default time in the user's zone and a fresh client key on every render.
    initial = response.context["form"].initial
    assert initial["occurred_at"].utcoffset() == dt.timedelta(hours=8)
    assert initial["client_key"] != client.get(NEW_URL).context["form"].initial["client_key"]


def test_a_link_preselects_its_project_or_customer_but_not_a_foreign_one(personas, login, records):
    project_a, project_b, _contact_a, _contact_b = records
    client = login(personas.sales_a)
    assert (
        client.get(NEW_URL, {"customer": project_a.customer_id}).context["target_value"]
        == f"customer:{project_a.customer_id}"
    )
    assert (
        client.get(NEW_URL, {"project": project_a.pk}).context["target_value"]
        == f"project:{project_a.pk}"
    )
    assert client.get(NEW_URL, {"project": project_b.pk}).context["target_value"] == ""


def test_saving_records_everything_and_opens_the_project(personas, login, records):
    project_a, _project_b, contact_a, _contact_b = records
    client = login(personas.sales_a)
    data = form_data(
        f"project:{project_a.pk}",
        occurred_at="2026-03-02T10:30",
        participants=[personas.tech.pk],
        contacts=[contact_a.pk],
        needs="用电负荷预测\n\n光伏装机容量分析\n",
        next_action="提交需求分析报告",
        next_action_date=(timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        latitude="31.230416123",
        longitude="121.473701",
        location_accuracy="18.5",
    )
    response = client.post(NEW_URL, data)
    assert response.status_code == 302
    followup = FollowUp.objects.get()
    assert response.url == reverse("crm:project-detail", args=[project_a.pk]) + "?tab=followups"
    assert followup.author == personas.sales_a
    # 10:30 in Shanghai is 02:30 UTC.
    assert followup.occurred_at == dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)
    assert list(followup.participants.all()) == [personas.tech]
    assert list(followup.contacts.all()) == [contact_a]
    assert [n.text for n in followup.needs.order_by("pk")] == ["用电负荷预测", "光伏装机容量分析"]
    assert str(followup.latitude) == "31.230416"
    assert followup.location_accuracy == 18.5
    # A second tap on the same form changes nothing.
    assert client.post(NEW_URL, data).status_code == 302
    assert FollowUp.objects.count() == 1


def test_a_bad_location_never_blocks_saving(personas, login, records):
    project_a = records[0]
    client = login(personas.sales_a)
    data = form_data(f"project:{project_a.pk}", latitude="999", longitude="abc")
    assert client.post(NEW_URL, data).status_code == 302
    assert FollowUp.objects.get().latitude is None


def test_an_error_keeps_everything_typed_and_names_the_field(personas, login, records):
    project_a, _project_b, contact_a, _contact_b = records
    client = login(personas.sales_a)
    data = form_data(
        f"project:{project_a.pk}",
        content="   ",
        participants=[personas.tech.pk],
        contacts=[contact_a.pk],
        needs="需要报价单",
        next_action="约技术交流",
        next_action_date=(timezone.localdate() + dt.timedelta(days=3)).isoformat(),
    )
    response = client.post(NEW_URL, data)
    assert response.status_code == 200
    assert not FollowUp.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {"content"}
    page = response.content.decode()
    assert 'data-testid="error-content"' in page
    assert f'value="project:{project_a.pk}" checked' in page
    assert f'value="{personas.tech.pk}" checked' in page
    assert f'value="{contact_a.pk}" checked' in page
    assert "需要报价单" in page
    assert 'value="约技术交流"' in page
    assert f'value="{visit().pk}" checked' in page
    assert data["client_key"] in page


def test_every_problem_is_named_in_one_round(personas, login, records):
    project_a = records[0]
    client = login(personas.sales_a)
    response = client.post(
        NEW_URL,
        form_data(f"project:{project_a.pk}", mode="", content="", next_action="提交方案"),
    )
    assert set(response.context["form"].errors) == {"mode", "content", "next_action_date"}
    summary = response.content.decode().split('data-testid="form-errors"')[1].split("</ul>")[0]
    form = response.context["form"]
    with translation.override("zh-hans"):
        for name in ("mode", "content", "next_action_date"):
            assert f"{form.fields[name].label}</a>: {form.errors[name][0]}" in summary


def test_service_errors_land_on_the_picker_and_the_fields(personas, login, records):
    project_a = records[0]
    client = login(personas.sales_a)
    response = client.post(NEW_URL, form_data(""))
    assert set(response.context["form"].errors) == {"target"}
    response = client.post(
        NEW_URL,
        form_data(
            f"project:{project_a.pk}",
            occurred_at=local_input(timezone.now() + dt.timedelta(days=2)),
            next_action="回访",
        ),
    )
    assert set(response.context["form"].errors) == {"occurred_at", "next_action_date"}


def test_a_guessed_project_is_not_found(personas, login, records):
    project_b = records[1]
    client = login(personas.sales_a)
    response = client.post(NEW_URL, form_data(f"project:{project_b.pk}"))
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    assert not FollowUp.objects.exists()


def test_only_the_author_may_open_the_edit_form(personas, login, records):
    project_a = records[0]
    followup = factories.followup(personas.sales_a, project_a)
    manager = login(personas.manager_a)
    assert manager.get(f"/followups/{followup.pk}/").status_code == 200
    assert manager.get(f"/followups/{followup.pk}/edit/").status_code == 403
    response = manager.post(
        f"/followups/{followup.pk}/edit/", form_data(f"project:{project_a.pk}", content="改")
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    followup.refresh_from_db()
    assert followup.content != "改"

    author = login(personas.sales_a)
    page = author.get(f"/followups/{followup.pk}/edit/").content.decode()
    assert followup.content in page
    data = form_data(f"customer:{project_a.customer_id}", content="更正：本次为电话沟通。")
    data["mode"] = str(phone().pk)
    response = author.post(f"/followups/{followup.pk}/edit/", data)
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.mode == phone()
    assert followup.project is None
    history = author.get(f"/followups/{followup.pk}/").content.decode()
    assert "更正：本次为电话沟通。" in history


def test_the_detail_page_shows_everything(personas, login, records):
    project_a, _project_b, contact_a, _contact_b = records
    followup = factories.followup(
        personas.sales_a,
        project_a,
        participants=[personas.tech],
        contacts=[contact_a],
        needs=["储能系统需求评估"],
        latitude="31.230416",
        longitude="121.473701",
        location_accuracy=20.0,
    )
    page = login(personas.sales_a).get(f"/followups/{followup.pk}/").content.decode()
    for text in (
        "林工",
        "张主任",
        "储能系统需求评估",
        "31.230416",
        "121.473701",
        "华东配网运维项目",
    ):
        assert text in page
    assert 'data-testid="history"' in page


def test_needs_are_toggled_from_the_detail_page(personas, login, records):
    project_a = records[0]
    followup = factories.followup(personas.sales_a, project_a, needs=["提供典型设计"])
    need = followup.needs.get()
    client = login(personas.sales_a)
    response = client.post(f"/needs/{need.pk}/handled/", {"handled": "1"})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.handled_by == personas.sales_a
    response = client.post(f"/needs/{need.pk}/handled/", {"handled": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-handled="0"' in response.content.decode()
    need.refresh_from_db()
    assert need.handled_at is None


def test_the_floating_button_is_for_sales_staff_and_not_on_the_form(personas, login):
    for name in ("sales_a", "manager_a"):
        client = login(personas.get(name))
        assert 'data-testid="fab-followup"' in client.get("/").content.decode()
        assert 'data-testid="fab-followup"' in client.get(LIST_URL).content.decode()
        assert 'data-testid="fab-followup"' not in client.get(NEW_URL).content.decode()
    for name in ("hr", "executive", "auditor", "tech"):
        assert (
            'data-testid="fab-followup"' not in login(personas.get(name)).get("/").content.decode()
        )


def test_read_only_roles_cannot_open_the_form(personas, login):
    assert login(personas.executive).get(NEW_URL).status_code == 403
    assert login(personas.auditor).get(NEW_URL).status_code == 403
    assert login(personas.sales_a).get(NEW_URL).status_code == 200


def test_the_menu_lists_follow_ups_for_the_right_roles(personas, login):
    for name in ("sales_a", "manager_a", "hr", "executive"):
        assert 'href="/followups/"' in login(personas.get(name)).get("/").content.decode(), name
    for name in ("tech", "auditor", "sysadmin"):
        assert 'href="/followups/"' not in login(personas.get(name)).get("/").content.decode()


# --- Next actions --------------------------------------------------------------------------


@pytest.fixture
def actions(personas, records):
    project_a, project_b, _contact_a, _contact_b = records
    today = timezone.localdate()

    def plan(author, project, text, in_days, days_ago=6):
        return factories.followup(
            author,
            project,
            days_ago=days_ago,
            next_action=text,
            next_action_date=today + dt.timedelta(days=in_days),
        )

    return {
        "later": plan(personas.sales_a, project_a, "准备合同草案", 10),
        "overdue": plan(personas.sales_a, project_a, "提交需求分析报告", -2),
        "soon": plan(personas.manager_a, project_a, "安排方案演示", 3),
        "today": plan(personas.sales_a, project_a, "电话确认勘查时间", 0),
        "done": plan(personas.sales_a, project_a, "已完成的事项", 1),
        "theirs": plan(personas.sales_b, project_b, "华北的事项", 1),
    }


def test_next_actions_are_the_users_own_soonest_first(personas, actions):
    services.followup_complete_next_action(followup=actions["done"], actor=personas.sales_a)
    rows = list(selectors.next_actions_for(personas.sales_a))
    assert [row.next_action for row in rows] == [
        "提交需求分析报告",
        "电话确认勘查时间",
        "安排方案演示",
        "准备合同草案",
    ]
    assert [row.urgency for row in rows] == ["overdue", "soon", "soon", "later"]
    # The manager wrote one on sales_a's project: it is theirs as well.
    assert [row.next_action for row in selectors.next_actions_for(personas.manager_a)] == [
        "安排方案演示"
    ]


def test_the_home_panel_highlights_and_completes(personas, login, actions):
    client = login(personas.sales_a)
    page = client.get("/").content.decode()
    assert 'data-testid="panel-next-actions"' in page
    overdue_at = page.index("提交需求分析报告")
    assert 'data-urgency="overdue"' in page[overdue_at - 700 : overdue_at]
    assert "bg-danger-subtle" in page[overdue_at - 700 : overdue_at]
    soon_at = page.index("安排方案演示")
    assert "bg-warning-subtle" in page[soon_at - 700 : soon_at]
    assert "华北的事项" not in page

    response = client.post(
        f"/followups/{actions['overdue'].pk}/done/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="x"
    )
    assert response.status_code == 200
    assert "提交需求分析报告" not in response.content.decode()
    assert 'data-testid="panel-next-actions"' in response.content.decode()
    response = client.post(f"/followups/{actions['later'].pk}/done/", {"next": "/"})
    assert response.status_code == 302
    assert response.url == "/"
    page = client.get("/").content.decode()
    panel = page[page.index('data-testid="panel-next-actions"') :]
    assert "准备合同草案" not in panel
    assert panel.count('data-testid="next-action"') == 3
    # Not someone else's to tick off.
    assert login(personas.sales_b).post(f"/followups/{actions['today'].pk}/done/").status_code == (
        404
    )


def test_the_panel_has_an_empty_state(personas, login):
    page = login(personas.sales_a).get("/").content.decode()
    assert 'data-testid="next-actions-empty"' in page
    assert 'data-testid="panel-next-actions"' not in login(personas.hr).get("/").content.decode()


# --- Query counts --------------------------------------------------------------------------


def _add_followups(personas, project, contacts, count, start):
    today = timezone.localdate()
    for index in range(start, start + count):
        factories.followup(
            personas.sales_a,
            project,
            content=f"第{index}次拜访",
            days_ago=index + 1,
            participants=[personas.tech, personas.manager_a],
            contacts=contacts,
            needs=[f"需求{index}", f"需求{index}b"],
            next_action=f"行动{index}",
            next_action_date=today + dt.timedelta(days=index % 5),
        )


def test_the_list_takes_a_fixed_number_of_queries(
    personas, login, records, django_assert_max_num_queries, django_assert_num_queries
):
    project_a, _project_b, contact_a, _contact_b = records
    other = contact(project_a.customer, personas.sales_a, name="王工")
    client = login(personas.sales_a)
    _add_followups(personas, project_a, [contact_a, other], 2, 0)
    client.get(LIST_URL)  # warm the session and the caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST_URL).status_code == 200
    _add_followups(personas, project_a, [contact_a, other], 12, 2)
    with django_assert_num_queries(len(few)):
        response = client.get(LIST_URL)
    assert response.content.decode().count("次拜访") >= 14
    with django_assert_max_num_queries(len(few) + 2):
        b"".join(client.get(LIST_URL, {"export": "csv"}).streaming_content)


def test_the_home_page_takes_a_fixed_number_of_queries(
    personas, login, records, django_assert_num_queries
):
    project_a, _project_b, contact_a, _contact_b = records
    client = login(personas.sales_a)
    _add_followups(personas, project_a, [contact_a], 2, 0)
    client.get("/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/")
    _add_followups(personas, project_a, [contact_a], 25, 2)
    with django_assert_num_queries(len(few)):
        page = client.get("/").content.decode()
    assert page.count('data-testid="next-action"') == 20


def test_timelines_take_a_fixed_number_of_queries(personas, records, django_assert_num_queries):
    project_a, _project_b, contact_a, _contact_b = records
    _add_followups(personas, project_a, [contact_a], 6, 0)
    with django_assert_num_queries(4):
        rows = list(selectors.followups_for_project(project_a, personas.sales_a))
        for row in rows:
            list(row.participants.all()), list(row.contacts.all()), list(row.needs.all())
            str(row.mode), row.author.name
    with django_assert_num_queries(4):
        assert (
            len(list(selectors.followups_for_customer(project_a.customer, personas.sales_a))) == 6
        )


def test_the_history_names_participants_who_were_added(personas, login, records):
    project_a, _project_b, contact_a, _contact_b = records
    followup = factories.followup(personas.sales_a, project_a)
    services.followup_update(
        followup=followup,
        actor=personas.sales_a,
        participants=[personas.tech],
        contacts=[contact_a],
        content="补充技术交流内容。",
    )
    page = login(personas.sales_a).get(f"/followups/{followup.pk}/").content.decode()
    history = page.split('data-testid="history"')[1]
    assert "林工" in history
    assert "张主任" in history
    assert "{'followup'" not in history


def test_a_new_followups_empty_lists_fill_once_something_is_added(personas, records):
    """The service answers a new follow-up's empty lists without queries; adding to one
    must show the addition, not the remembered emptiness."""
    project_a, _project_b, contact_a, _contact_b = records
    followup = factories.followup(personas.sales_a, project_a)
    assert list(followup.participants.all()) == []
    followup.participants.add(personas.tech)
    followup.contacts.add(contact_a)
    assert list(followup.participants.all()) == [personas.tech]
    assert list(followup.contacts.all()) == [contact_a]


def test_a_followup_created_with_participants_has_them_in_its_history(personas, records):
    """The creation's history row lists no participants (there are none at that moment);
    the row their addition writes lists them, credited to the author."""
    project_a, _project_b, contact_a, _contact_b = records
    followup = factories.followup(
        personas.sales_a, project_a, participants=[personas.tech], contacts=[contact_a]
    )
    rows = list(followup.history.order_by("history_id"))
    assert rows[0].history_type == "+"
    assert list(rows[0].participants.all()) == [] and list(rows[0].contacts.all()) == []
    latest = rows[-1]
    assert [row.user_id for row in latest.participants.all()] == [personas.tech.pk]
    assert [row.contact_id for row in latest.contacts.all()] == [contact_a.pk]
