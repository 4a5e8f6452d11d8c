"""Hand-off tasks: the services, the response clock, the pages, the project's Tasks tab,
the response-time selectors, the API, and the admin pages for rules, delay categories and
group robots."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.core.models import Option
from pathscore.org.models import DepartmentRobot
from pathscore.process import selectors, services
from pathscore.process.choices import TaskState
from pathscore.process.models import AutomationRule, DelayCategory, HandoffTask
from pathscore.process.tables import format_duration
from tests.crm import factories

pytestmark = pytest.mark.django_db


def kind(code="proposal-design"):
    return Option.objects.get(kind="task_kind", code=code)


def make_task(personas, project, *, code="proposal-design", due_in=5, by=None, **fields):
    return services.task_create(
        project=project,
        kind=kind(code),
        title=fields.pop("title", f"{kind(code)}：{project.name}"),
        assignee_department=fields.pop("team", personas.tech_dept),
        due_date=timezone.localdate() + dt.timedelta(days=due_in),
        created_by=by or project.owner,
        **fields,
    )


def at(task, **moments):
    """Move a task's clock to known moments (the services stamp "now")."""
    HandoffTask.objects.filter(pk=task.pk).update(**moments)
    task.refresh_from_db()
    return task


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        response.content  # noqa: B018  (render everything)
    return len(captured)


@pytest.fixture
def other_project(personas):
    return factories.project(personas.sales_b, name="北京配网改造项目")


# --- Services ------------------------------------------------------------------------------


def test_owner_and_manager_hand_work_off_others_do_not(personas, project):
    assert make_task(personas, project, by=personas.sales_a).created_by == personas.sales_a
    assert make_task(personas, project, by=personas.manager_a).state == TaskState.OPEN
    assert make_task(personas, project, by=personas.regional_head) is not None
    for outsider in (personas.sales_b, personas.manager_b, personas.tech, personas.executive):
        with pytest.raises(ValidationError):
            make_task(personas, project, by=outsider)
    assert HandoffTask.objects.count() == 3


def test_bad_task_input_names_the_field(personas, project):
    with pytest.raises(ValidationError) as error:
        make_task(personas, project, due_in=-1)
    assert "due_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_task(personas, project, assignee=personas.sales_a)
    assert "assignee" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.task_create(
            project=project,
            kind=Option.objects.get(kind="customer_type", code="grid"),
            title="x",
            assignee_department=personas.tech_dept,
            due_date=timezone.localdate(),
            created_by=personas.sales_a,
        )
    assert "kind" in error.value.message_dict
    assert not HandoffTask.objects.exists()


def test_only_the_assigned_team_answers_and_the_clock_runs(personas, project):
    task = make_task(personas, project)
    for outsider in (personas.sales_a, personas.manager_a, personas.hr):
        with pytest.raises(ValidationError) as error:
            services.task_acknowledge(task=task, user=outsider)
        assert error.value.code != "conflict"
    task = services.task_acknowledge(task=task, user=personas.tech)
    assert task.state == TaskState.ACKNOWLEDGED
    assert task.assignee == personas.tech  # the first to take it becomes the assignee
    assert task.created_at <= task.acknowledged_at
    with pytest.raises(ValidationError) as error:
        services.task_acknowledge(task=task, user=personas.tech)
    assert error.value.code == "conflict"
    assert str(TaskState.ACKNOWLEDGED.label) in error.value.messages[0]
    task = services.task_complete(task=task, user=personas.tech, result="方案V1已上传")
    assert task.state == TaskState.DONE and task.result == "方案V1已上传"
    assert task.acknowledged_at <= task.done_at
    with pytest.raises(ValidationError) as error:
        services.task_complete(task=task, user=personas.tech)
    assert error.value.code == "conflict"


def test_a_stale_acknowledgement_names_the_state_it_found(personas, project):
    task = make_task(personas, project)
    stale = HandoffTask.objects.get(pk=task.pk)
    services.task_complete(task=task, user=personas.tech)
    with pytest.raises(ValidationError) as error:
        services.task_acknowledge(task=stale, user=personas.tech)
    assert str(TaskState.DONE.label) in error.value.messages[0]


def test_completing_without_acknowledging_stops_both_clocks(personas, project):
    task = services.task_complete(task=make_task(personas, project), user=personas.tech)
    assert task.acknowledged_at == task.done_at
    assert task.acknowledged_by == personas.tech == task.assignee


@pytest.mark.django_db(transaction=True)
def test_two_engineers_acknowledging_at_once_exactly_one_wins(personas):
    project = factories.project(personas.sales_a, name="并发响应项目")
    task = make_task(personas, project)
    from pathscore.org import services as org_services

    second = org_services.user_create(
        username="tech2",
        name="宋工",
        password="persona-pass-2026",
        roles=["technical_support"],
        department=personas.tech_dept,
        validate_password_strength=False,
    )
    results, barrier = [], threading.Barrier(2)

    def take(engineer):
        from django.db import connections

        mine = HandoffTask.objects.get(pk=task.pk)
        barrier.wait()
        try:
            services.task_acknowledge(task=mine, user=engineer)
            results.append("won")
        except ValidationError as error:
            results.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(e,)) for e in (personas.tech, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "won"]


def test_format_duration_reads_like_people_say_it():
    from django.utils import translation

    with translation.override("en"):
        assert format_duration(dt.timedelta(minutes=45, seconds=59)) == "45 min"
        assert format_duration(dt.timedelta(hours=3, minutes=20)) == "3 h 20 min"
        assert format_duration(dt.timedelta(days=2, hours=4, minutes=5)) == "2 d 4 h"
    assert format_duration(None) == "—"


# --- Selectors -----------------------------------------------------------------------------


def test_response_times_per_team_and_kind_match_hand_computed_values(personas, project):
    t0 = timezone.now() - dt.timedelta(days=10)
    design_a = make_task(personas, project)
    design_b = make_task(personas, project)
    question = make_task(personas, project, code="tech-question")
    at(
        design_a,
        created_at=t0,
        acknowledged_at=t0 + dt.timedelta(hours=2),
        done_at=t0 + dt.timedelta(hours=30),
        state=TaskState.DONE,
    )
    at(
        design_b,
        created_at=t0,
        acknowledged_at=t0 + dt.timedelta(hours=4),
        state=TaskState.ACKNOWLEDGED,
        due_date=timezone.localdate() - dt.timedelta(days=1),
    )
    at(question, created_at=t0, acknowledged_at=t0 + dt.timedelta(hours=9))
    teams = selectors.response_times(HandoffTask.objects.all(), today=timezone.localdate())
    assert len(teams) == 1
    team = teams[0]
    assert team["assignee_department__name"] == personas.tech_dept.name
    assert (team["total"], team["acknowledged"], team["done"]) == (3, 3, 1)
    assert (team["open"], team["overdue"]) == (2, 1)
    assert team["avg_to_acknowledge"] == dt.timedelta(hours=5)  # (2 + 4 + 9) / 3
    assert team["avg_to_done"] == dt.timedelta(hours=30)
    by_code = {row["kind"]: row for row in team["kinds"]}
    design = by_code[kind().pk]
    assert design["total"] == 2
    assert design["avg_to_acknowledge"] == dt.timedelta(hours=3)
    assert by_code[kind("tech-question").pk]["avg_to_done"] is None


def test_relay_time_per_salesperson_in_sql(personas, project, other_project):
    now = timezone.now()
    first = make_task(personas, project, feedback_at=now - dt.timedelta(hours=30))
    second = make_task(personas, project, feedback_at=now - dt.timedelta(hours=10))
    theirs = make_task(personas, other_project, feedback_at=now - dt.timedelta(hours=50))
    make_task(personas, project)  # no customer feedback behind it: not counted
    at(first, created_at=now - dt.timedelta(hours=24))  # relayed in 6 h
    at(second, created_at=now)  # relayed in 10 h
    at(theirs, created_at=now)  # relayed in 50 h
    rows = {row["person"]: row for row in selectors.relay_times(HandoffTask.objects.all())}
    assert rows[personas.sales_a]["count"] == 2
    assert rows[personas.sales_a]["avg_relay"] == dt.timedelta(hours=8)
    assert rows[personas.sales_a]["max_relay"] == dt.timedelta(hours=10)
    assert rows[personas.sales_b]["avg_relay"] == dt.timedelta(hours=50)
    assert list(rows)[0] == personas.sales_a  # the quickest first


def test_selectors_see_only_what_the_viewer_may(personas, project, other_project):
    make_task(personas, project)
    make_task(personas, other_project)
    assert selectors.tasks_for_list(personas.sales_a).count() == 1
    assert selectors.tasks_for_list(personas.manager_b).count() == 1
    assert selectors.tasks_for_list(personas.tech).count() == 2
    assert selectors.tasks_for_list(personas.hr).count() == 2
    assert selectors.tasks_for_list(personas.auditor).count() == 0
    assert selectors.team_open_tasks(personas.tech).count() == 2


# --- The task list -------------------------------------------------------------------------


def test_technical_support_see_their_team_first_with_overdue_marked(
    personas, login, project, other_project
):
    from pathscore.org import services as org_services

    quotations = org_services.department_create(
        name="报价组", code="t-quote", kind="team", parent=personas.company
    )
    elsewhere = factories.project(personas.sales_a, name="苏州储能项目")
    theirs = make_task(personas, elsewhere, team=quotations, code="quotation", due_in=0)
    late = make_task(personas, other_project, due_in=3)
    at(late, due_date=timezone.localdate() - dt.timedelta(days=2))
    done = make_task(personas, project)
    services.task_complete(task=done, user=personas.tech)
    client = login(personas.tech)
    response = client.get("/process/tasks/")
    rows = list(response.context["object_list"])
    assert rows[0] == late  # mine, open, the soonest due
    assert rows[1] == done  # mine but done
    assert theirs not in rows  # another team's task on a project tech cannot see
    page = response.content.decode()
    assert page.count('data-testid="overdue"') == 1
    hr_rows = list(login(personas.hr).get("/process/tasks/").context["object_list"])
    assert set(hr_rows) == {theirs, late, done}


def test_task_list_filters_and_exports(personas, login, project):
    open_task = make_task(personas, project)
    done = make_task(personas, project, code="tech-question")
    services.task_complete(task=done, user=personas.tech)
    client = login(personas.manager_a)
    assert list(client.get("/process/tasks/?state=done").context["object_list"]) == [done]
    assert list(client.get("/process/tasks/?state=unfinished").context["object_list"]) == [
        open_task
    ]
    code_pk = kind("tech-question").pk
    assert list(client.get(f"/process/tasks/?kind={code_pk}").context["object_list"]) == [done]
    assert list(client.get("/process/tasks/?overdue=true").context["object_list"]) == []
    assert client.get(f"/process/tasks/?project={project.pk}").context["for_project"] == project
    export = client.get("/process/tasks/?export=csv")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert project.name in text
    assert client.get("/process/tasks/?export=xlsx").status_code == 200


@pytest.mark.parametrize("viewer", ["tech", "manager_a", "hr"])
def test_task_list_queries_do_not_grow_with_rows(
    personas, login, project, viewer, django_assert_max_num_queries
):
    client = login(personas.get(viewer))
    for _ in range(2):
        services.task_acknowledge(task=make_task(personas, project), user=personas.tech)
    few = queries_for(client, "/process/tasks/")
    for number in range(12):
        task = make_task(personas, project, code="tech-question", assignee=personas.tech)
        if number % 2:
            services.task_complete(task=task, user=personas.tech)
    with django_assert_max_num_queries(few):
        assert len(client.get("/process/tasks/").context["object_list"]) == 14


# --- A task's page and its actions ---------------------------------------------------------


def test_task_page_shows_the_clock_and_the_buttons_to_the_team_only(personas, login, project):
    task = make_task(personas, project, description="请设计10kV配网改造方案")
    t0 = timezone.now() - dt.timedelta(days=1, hours=3)
    at(task, created_at=t0)
    page = login(personas.tech).get(f"/process/tasks/{task.pk}/").content.decode()
    assert 'data-testid="acknowledge"' in page and 'data-testid="complete"' in page
    assert 'data-testid="clock-acknowledged-waiting"' in page
    assert "请设计10kV配网改造方案" in page
    owner_page = login(personas.sales_a).get(f"/process/tasks/{task.pk}/").content.decode()
    assert 'data-testid="acknowledge"' not in owner_page
    assert 'data-testid="complete"' not in owner_page


@pytest.mark.parametrize("name", ["sales_b", "manager_b", "auditor", "sysadmin"])
def test_foreign_task_is_not_found(personas, login, project, name):
    task = make_task(personas, project)
    client = login(personas.get(name))
    assert client.get(f"/process/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/process/tasks/{task.pk}/acknowledge/").status_code == 404
    assert client.post(f"/process/tasks/{task.pk}/complete/").status_code == 404


@pytest.mark.parametrize("name", ["sales_a", "manager_a", "hr", "executive"])
def test_those_who_see_a_task_but_are_not_its_team_cannot_answer_it(personas, login, project, name):
    task = make_task(personas, project)
    client = login(personas.get(name))
    assert client.post(f"/process/tasks/{task.pk}/acknowledge/").status_code == 403
    assert client.post(f"/process/tasks/{task.pk}/complete/").status_code == 403
    assert HandoffTask.objects.get(pk=task.pk).state == TaskState.OPEN


def test_acknowledge_then_complete_through_the_page(personas, login, project):
    task = make_task(personas, project)
    client = login(personas.tech)
    response = client.post(f"/process/tasks/{task.pk}/acknowledge/")
    assert response.status_code == 302
    again = client.post(f"/process/tasks/{task.pk}/acknowledge/")
    assert again.status_code == 409
    assert 'data-testid="task-conflict"' in again.content.decode()
    response = client.post(f"/process/tasks/{task.pk}/complete/", {"result": "方案已上传"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.result == "方案已上传"
    page = login(personas.sales_a).get(f"/process/tasks/{task.pk}/").content.decode()
    assert 'data-testid="clock-done-elapsed"' in page
    assert "方案已上传" in page
    assert login(personas.tech).post(f"/process/tasks/{task.pk}/complete/").status_code == 409


def test_complete_form_keeps_what_was_typed_when_too_long(personas, login, project):
    task = make_task(personas, project)
    response = login(personas.tech).post(
        f"/process/tasks/{task.pk}/complete/", {"result": "长" * 4001}
    )
    assert response.status_code == 400
    assert "长" * 100 in response.content.decode()
    assert HandoffTask.objects.get(pk=task.pk).state == TaskState.OPEN


def test_home_panel_lists_the_teams_open_tasks(personas, login, project):
    task = make_task(personas, project)
    done = make_task(personas, project)
    services.task_complete(task=done, user=personas.tech)
    response = login(personas.tech).get("/")
    page = response.content.decode()
    assert 'data-testid="panel-team-tasks"' in page
    assert page.count('data-testid="team-task"') == 1
    assert task.title in page
    assert 'data-testid="panel-team-tasks"' not in login(personas.sales_a).get("/").content.decode()


def test_menu_shows_tasks_to_the_roles_that_follow_them(personas, login):
    for name in ("tech", "manager_a", "hr", "executive"):
        assert 'href="/process/tasks/"' in login(personas.get(name)).get("/").content.decode()
    for name in ("sales_a", "auditor"):
        assert 'href="/process/tasks/"' not in login(personas.get(name)).get("/").content.decode()


# --- The project's Tasks tab and handing work off ------------------------------------------


def task_form(personas, **changes):
    data = {
        "kind": kind().pk,
        "assignee_department": personas.tech_dept.pk,
        "assignee": "",
        "due_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "title": "",
        "description": "请按客户负荷数据设计方案",
    }
    return {**data, **changes}


def test_owner_hands_work_off_from_the_project(personas, login, project):
    client = login(personas.sales_a)
    page = client.get(f"/projects/{project.pk}/?tab=tasks").content.decode()
    assert 'data-testid="task-form"' in page
    response = client.post(
        f"/process/projects/{project.pk}/tasks/new/",
        task_form(personas, assignee=personas.tech.pk),
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=tasks")
    task = HandoffTask.objects.get()
    assert (task.created_by, task.assignee, task.assignee_department) == (
        personas.sales_a,
        personas.tech,
        personas.tech_dept,
    )
    assert task.title == f"{kind()}：{project.name}"
    page = client.get(f"/projects/{project.pk}/?tab=tasks").content.decode()
    assert page.count('data-testid="task-row"') == 1


def test_bad_hand_off_keeps_what_was_typed_and_says_why(personas, login, project):
    client = login(personas.sales_a)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"/process/projects/{project.pk}/tasks/new/",
        task_form(personas, due_date=yesterday, title="请尽快出方案"),
    )
    assert response.status_code == 200
    assert "due_date" in response.context["form"].errors
    page = response.content.decode()
    assert "请尽快出方案" in page and "请按客户负荷数据设计方案" in page
    response = client.post(
        f"/process/projects/{project.pk}/tasks/new/",
        task_form(personas, assignee=personas.sales_a.pk),
    )
    assert "assignee" in response.context["form"].errors
    assert not HandoffTask.objects.exists()


def test_hand_off_permissions(personas, login, project):
    url = f"/process/projects/{project.pk}/tasks/new/"
    assert login(personas.sales_b).post(url, task_form(personas)).status_code == 404
    assert login(personas.executive).post(url, task_form(personas)).status_code == 403
    make_task(personas, project)  # tech now sees the project behind the task
    assert login(personas.tech).post(url, task_form(personas)).status_code == 403
    assert login(personas.manager_a).post(url, task_form(personas)).status_code == 302
    page = login(personas.tech).get(f"/projects/{project.pk}/?tab=tasks").content.decode()
    assert 'data-testid="task-form"' not in page
    assert page.count('data-testid="task-row"') == 2


def test_people_menu_lists_the_chosen_teams_members(personas, login):
    client = login(personas.sales_a)
    options = client.get(f"/process/tasks/people/?assignee_department={personas.tech_dept.pk}")
    assert personas.tech.name in options.content.decode()
    assert personas.sales_a.name not in options.content.decode()
    assert login(personas.auditor).get("/process/tasks/people/").status_code == 403


def test_project_tasks_tab_queries_do_not_grow_with_tasks(
    personas, login, project, django_assert_max_num_queries
):
    client = login(personas.sales_a)
    services.task_acknowledge(task=make_task(personas, project), user=personas.tech)
    url = f"/projects/{project.pk}/?tab=tasks"
    few = queries_for(client, url)
    for number in range(10):
        task = make_task(personas, project, code="tech-question", assignee=personas.tech)
        if number % 2:
            services.task_complete(task=task, user=personas.tech)
    with django_assert_max_num_queries(few):
        assert client.get(url).content.decode().count('data-testid="task-row"') == 11


def test_response_times_page(personas, login, project):
    task = make_task(personas, project, feedback_at=timezone.now() - dt.timedelta(hours=3))
    services.task_complete(task=task, user=personas.tech)
    page = login(personas.manager_a).get("/process/tasks/response-times/").content.decode()
    assert page.count('data-testid="team-row"') == 1
    assert page.count('data-testid="relay-row"') == 1
    assert personas.sales_a.name in page


# --- The API -------------------------------------------------------------------------------


def test_api_lists_creates_and_answers_tasks(personas, login, project):
    client = login(personas.sales_a)
    response = client.post(
        "/api/v1/tasks/",
        {
            "project": project.pk,
            "kind": "proposal-design",
            "assignee_department": personas.tech_dept.pk,
            "due_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["state"] == "open" and created["kind"] == "proposal-design"
    assert created["title"].endswith(project.name)
    url = f"/api/v1/tasks/{created['id']}/"
    assert client.post(f"{url}acknowledge/").status_code == 403
    tech = login(personas.tech)
    assert tech.get("/api/v1/tasks/").json()["count"] == 1
    answered = tech.post(f"{url}acknowledge/")
    assert answered.status_code == 200 and answered.json()["state"] == "acknowledged"
    again = tech.post(f"{url}acknowledge/")
    assert again.status_code == 409
    assert again.json()["current_state"] == "acknowledged"
    finished = tech.post(f"{url}complete/", {"result": "已完成"}, content_type="application/json")
    assert finished.json()["state"] == "done"
    assert finished.json()["hours_to_done"] is not None
    assert tech.post(f"{url}complete/", content_type="application/json").status_code == 409
    assert login(personas.sales_b).get(url).status_code == 404


def test_api_refuses_bad_or_foreign_task_input(personas, login, project, other_project):
    client = login(personas.sales_a)
    payload = {
        "project": project.pk,
        "kind": "proposal-design",
        "assignee_department": personas.tech_dept.pk,
        "due_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    response = client.post("/api/v1/tasks/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "due_date" in response.json()["errors"]
    foreign = {**payload, "project": other_project.pk, "due_date": timezone.localdate()}
    response = client.post("/api/v1/tasks/", foreign, content_type="application/json")
    assert response.status_code == 400
    assert "project" in response.json()["errors"]
    make_task(personas, project)
    mine = {**payload, "due_date": timezone.localdate().isoformat()}
    tech = login(personas.tech)
    assert tech.post("/api/v1/tasks/", mine, content_type="application/json").status_code == 403


def test_api_settings_are_read_by_all_and_written_by_admins(personas, login):
    rule = {
        "name": "需求报告通过后安排方案设计",
        "event": "node_approved",
        "node_code": "requirement-report",
        "action": "create_task",
        "task_kind": "proposal-design",
        "assignee_department": personas.tech_dept.pk,
        "due_days": 5,
    }
    sales = login(personas.sales_a)
    assert sales.get("/api/v1/delay-categories/").json()["count"] >= 8
    assert (
        sales.post("/api/v1/automation-rules/", rule, content_type="application/json").status_code
        == 403
    )
    admin = login(personas.sysadmin)
    created = admin.post("/api/v1/automation-rules/", rule, content_type="application/json")
    assert created.status_code == 201, created.json()
    bad = admin.post(
        "/api/v1/automation-rules/",
        {**rule, "event": "customer_need"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "node_code" in bad.json()["errors"]
    category = admin.post(
        "/api/v1/delay-categories/",
        {"name": "客户停产检修", "name_en": "Customer plant shutdown", "attribution": "customer"},
        content_type="application/json",
    )
    assert category.status_code == 201 and category.json()["code"] == "customer-plant-shutdown"
    off = admin.patch(
        f"/api/v1/delay-categories/{category.json()['id']}/",
        {"is_active": False},
        content_type="application/json",
    )
    assert off.json()["is_active"] is False
    assert admin.delete(f"/api/v1/delay-categories/{category.json()['id']}/").status_code == 405


# --- Administration: automation rules, delay categories, group robots ----------------------

ADMIN_PAGES = [
    "/process/rules/",
    "/process/rules/new/",
    "/process/delay-categories/",
    "/process/delay-categories/new/",
    "/org/robots/",
    "/org/robots/new/",
]


@pytest.mark.parametrize(
    "name", ["sales_a", "manager_a", "regional_head", "tech", "executive", "auditor"]
)
def test_admin_pages_are_refused_to_everyone_else(personas, login, name):
    client = login(personas.get(name))
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("name", ["sysadmin", "hr"])
def test_admins_reach_the_automation_pages(personas, login, name):
    client = login(personas.get(name))
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    assert 'href="/process/rules/"' in client.get("/").content.decode()


def rule_form(personas, **changes):
    data = {
        "name": "客户对方案有反馈时安排方案调整",
        "event": "document_feedback",
        "node_code": "",
        "document_kind": "proposal",
        "action": "create_task",
        "task_kind": kind("proposal-revision").pk,
        "assignee_department": personas.tech_dept.pk,
        "assignee": "",
        "due_days": "5",
    }
    return {**data, **changes}


def test_admin_creates_edits_and_switches_off_a_rule(personas, login):
    client = login(personas.sysadmin)
    response = client.post("/process/rules/new/", rule_form(personas))
    assert response.status_code == 302
    rule = AutomationRule.objects.get()
    assert rule.document_kind == "proposal" and rule.is_active
    client.post(
        "/process/rules/new/",
        rule_form(
            personas,
            name="需求报告通过后安排方案设计",
            event="node_approved",
            node_code="requirement-report",
            document_kind="",
            task_kind=kind().pk,
        ),
    )
    page = client.get("/process/rules/").content.decode()
    assert "客户对方案有反馈时安排方案调整" in page and "需求分析报告提交" in page
    assert AutomationRule.objects.count() == 2
    rule = AutomationRule.objects.get(document_kind="proposal")
    response = client.post(
        f"/process/rules/{rule.pk}/edit/",
        rule_form(personas, due_days="3", assignee=personas.tech.pk),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.due_days == 3 and rule.assignee == personas.tech
    assert client.post(f"/process/rules/{rule.pk}/active/", {"active": "0"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    assert "rule-activate" in client.get(f"/process/rules/{rule.pk}/edit/").content.decode()
    assert rule.history.count() == 3


def test_rule_form_names_what_is_wrong_and_keeps_the_input(personas, login):
    client = login(personas.hr)
    response = client.post(
        "/process/rules/new/",
        rule_form(personas, name="方案设计规则", event="customer_need", task_kind=""),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "document_kind" in errors and "task_kind" in errors
    assert "方案设计规则" in response.content.decode()
    response = client.post(
        "/process/rules/new/",
        rule_form(personas, event="node_approved", document_kind="", node_code="no-such-node"),
    )
    assert "node_code" in response.context["form"].errors
    response = client.post(
        "/process/rules/new/",
        rule_form(personas, assignee=personas.sales_a.pk),
    )
    assert "assignee" in response.context["form"].errors
    assert not AutomationRule.objects.exists()


def test_admin_adds_and_edits_delay_categories(personas, login):
    client = login(personas.hr)
    response = client.post(
        "/process/delay-categories/new/",
        {
            "name": "客户停产检修",
            "name_en": "Customer plant shutdown",
            "attribution": "customer",
            "sort_order": "5",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    category = DelayCategory.objects.get(name="客户停产检修")
    assert category.code == "customer-plant-shutdown" and category.is_active
    duplicate = client.post(
        "/process/delay-categories/new/",
        {"name": "客户停产检修", "name_en": "", "attribution": "customer", "sort_order": "1"},
    )
    assert "name" in duplicate.context["form"].errors
    response = client.post(
        f"/process/delay-categories/{category.pk}/edit/",
        {
            "name": "客户停产检修",
            "name_en": "Plant shutdown",
            "attribution": "external",
            "sort_order": "5",
        },
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.attribution == "external" and not category.is_active
    page = client.get("/process/delay-categories/").content.decode()
    assert "客户停产检修" in page and "客户未提供完整资料" in page


ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcd1234"


def test_robot_url_is_validated_in_the_form(personas, login):
    from pathscore.notify.robots import validate_robot_url

    client = login(personas.sysadmin)
    for url in (
        "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "https://evil.example.com/hook",
        "https://qyapi.weixin.qq.com:8443/hook",
        "https://oapi.dingtalk.com/robot/send?access_token=x",  # DingTalk's, not WeCom's
    ):
        with pytest.raises(ValidationError) as expected:
            validate_robot_url("wecom", url)
        response = client.post(
            "/org/robots/new/",
            {"department": personas.team_a.pk, "provider": "wecom", "url": url, "is_active": "on"},
        )
        assert response.status_code == 200
        assert "url" in response.context["form"].errors, url
        assert response.context["form"].errors["url"] == expected.value.messages
        assert url.replace("&", "&amp;") in response.content.decode()
    assert not DepartmentRobot.objects.exists()


def test_admin_connects_a_robot_and_its_key_is_not_shown_in_the_list(personas, login):
    client = login(personas.sysadmin)
    response = client.post(
        "/org/robots/new/",
        {
            "department": personas.team_a.pk,
            "provider": "wecom",
            "url": ROBOT_URL,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    robot = DepartmentRobot.objects.get()
    assert robot.url == ROBOT_URL and robot.is_active
    page = client.get("/org/robots/").content.decode()
    assert "abcd1234" not in page and "qyapi.weixin.qq.com/…1234" in page
    second = client.post(
        "/org/robots/new/",
        {
            "department": personas.team_a.pk,
            "provider": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "is_active": "on",
        },
    )
    assert "department" in second.context["form"].errors
    response = client.post(
        f"/org/robots/{robot.pk}/edit/",
        {"department": personas.team_a.pk, "provider": "wecom", "url": ROBOT_URL},
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert not robot.is_active
