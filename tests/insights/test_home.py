"""The home page: a salesperson's nodes, next actions, open hand-offs, alerts and score
with its radar, in that order and with empty states; a manager's alerts to look at; and
query counts that do not grow with the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.core.models import Option
from pathscore.insights import services
from pathscore.insights.choices import AlertKind
from pathscore.insights.models import Alert
from pathscore.process import services as process_services
from pathscore.process.models import NodeInstance, ProjectProcess
from pathscore.scoring import services as scoring_services
from tests.crm import factories

pytestmark = pytest.mark.django_db

HOME = "/"


def panel_keys(response) -> list[str]:
    return [panel["template"].rsplit("/", 1)[-1] for panel in response.context["panels"]]


def panel(response, template_name: str) -> dict:
    return next(
        item["context"]
        for item in response.context["panels"]
        if item["template"].endswith(template_name)
    )


def open_period(personas):
    today = timezone.localdate()
    return scoring_services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
        name="本季度",
    )


def busy_salesperson(personas, projects: int = 1):
    """Projects with a node due soon, a follow-up with a next action due tomorrow and a
    hand-off task the salesperson asked for."""
    today = timezone.localdate()
    for index in range(projects):
        project = factories.project(personas.sales_a, name=f"南京配网{index}")
        process_services.process_start(project=project)
        NodeInstance.objects.filter(project=project, order=1).update(
            planned_due=today + dt.timedelta(days=2)
        )
        ProjectProcess.objects.filter(project=project).update(current_since=today)
        factories.followup(
            personas.sales_a,
            project,
            next_action="提交需求分析报告",
            next_action_date=today + dt.timedelta(days=1),
        )
        process_services.task_create(
            project=project,
            kind=factories.option("task_kind", "proposal-design"),
            title=f"方案设计 {index}",
            assignee_department=personas.tech_dept,
            due_date=today + dt.timedelta(days=5),
            created_by=personas.sales_a,
        )


def test_the_salesperson_home_shows_their_work_in_order(personas, login):
    open_period(personas)
    busy_salesperson(personas)
    response = login(personas.sales_a).get(HOME)
    assert response.status_code == 200
    keys = panel_keys(response)
    order = ["my_nodes.html", "next_actions.html", "my_handoffs.html", "my_score.html"]
    assert [key for key in keys if key in order] == order
    assert [node.definition.code for node in panel(response, "my_nodes.html")["nodes"]] == [
        "first-visit"
    ]
    assert panel(response, "next_actions.html")["total"] == 1
    handoffs = panel(response, "my_handoffs.html")
    assert [task.title for task in handoffs["tasks"]] == ["方案设计 0"]
    score = panel(response, "my_score.html")["score"]
    assert score["live"] is True
    assert [axis["max"] for axis in score["radar"]["indicators"]] == [100, 100, 100, 100]
    assert len(score["radar"]["mine"]) == len(score["radar"]["team"]) == 4
    html = response.content.decode()
    assert 'id="score-radar-data"' in html and "score-radar.js" in html
    assert "no-store" in response["Cache-Control"]


def test_tasks_done_or_asked_by_others_are_not_my_open_hand_offs(personas, login):
    busy_salesperson(personas)
    task = process_services.HandoffTask.objects.get()
    process_services.task_acknowledge(task=task, user=personas.tech)
    process_services.task_complete(task=task, user=personas.tech, result="方案已上传")
    other = factories.project(personas.sales_b, name="唐山钢厂")
    process_services.task_create(
        project=other,
        kind=factories.option("task_kind", "proposal-design"),
        title="别人的任务",
        assignee_department=personas.tech_dept,
        due_date=timezone.localdate() + dt.timedelta(days=5),
        created_by=personas.sales_b,
    )
    response = login(personas.sales_a).get(HOME)
    assert panel(response, "my_handoffs.html")["total"] == 0
    assert b'data-testid="my-handoffs-empty"' in response.content


def test_an_empty_home_says_what_is_missing(personas, login):
    response = login(personas.sales_a).get(HOME)
    html = response.content.decode()
    for empty in ("my-nodes-empty", "next-actions-empty", "my-handoffs-empty", "my-score-empty"):
        assert f'data-testid="{empty}"' in html, empty
    assert panel(response, "my_score.html") == {"period": None, "score": None}
    assert "my_alerts.html" not in panel_keys(response)
    assert "score-radar.js" not in html


def test_the_salesperson_sees_their_own_open_alerts(personas, login):
    project = factories.project(personas.sales_a, name="苏州钢厂配电")
    process_services.process_start(project=project)
    ProjectProcess.objects.filter(project=project).update(
        current_since=timezone.localdate() - dt.timedelta(days=40)
    )
    services.alerts_detect()
    response = login(personas.sales_a).get(HOME)
    alerts = panel(response, "my_alerts.html")["alerts"]
    assert [alert.kind for alert in alerts] == [AlertKind.STALL]
    assert "my_alerts.html" not in panel_keys(login(personas.sales_b).get(HOME))


def test_the_manager_sees_alerts_that_want_them_today(personas, login):
    project = factories.project(personas.sales_a, name="苏州钢厂配电")
    process_services.process_start(project=project)
    ProjectProcess.objects.filter(project=project).update(
        current_since=timezone.localdate() - dt.timedelta(days=40)
    )
    services.alerts_detect()
    alert = Alert.objects.get()
    client = login(personas.manager_a)
    assert [a.pk for a in panel(client.get(HOME), "alerts_to_look_at.html")["alerts"]] == [alert.pk]
    today = timezone.localdate()
    coached = Option.objects.get(kind="intervention_kind", code="coached")
    services.intervention_record(
        alert=alert,
        actor=personas.manager_a,
        kind=coached,
        note="下周陪同拜访",
        done_on=today,
        look_again_on=today + dt.timedelta(days=7),
    )
    assert panel(client.get(HOME), "alerts_to_look_at.html")["total"] == 0
    Alert.objects.filter(pk=alert.pk).update(look_again_on=today)
    rows = panel(client.get(HOME), "alerts_to_look_at.html")["alerts"]
    assert [a.pk for a in rows] == [alert.pk] and rows[0].look_again_due
    assert panel(login(personas.manager_b).get(HOME), "alerts_to_look_at.html")["total"] == 0


def test_the_salesperson_home_query_count_does_not_grow(personas, login):
    open_period(personas)
    busy_salesperson(personas, projects=1)
    client = login(personas.sales_a)
    client.get(HOME)  # warm the session and the catalogue
    with CaptureQueriesContext(connection) as few:
        client.get(HOME)
    busy_salesperson_more(personas)
    with CaptureQueriesContext(connection) as many:
        response = client.get(HOME)
    assert panel(response, "my_handoffs.html")["total"] == 5
    assert len(many) == len(few)
    assert len(few) <= 42, [q["sql"] for q in few.captured_queries]


def busy_salesperson_more(personas):
    today = timezone.localdate()
    for index in range(1, 5):
        project = factories.project(personas.sales_a, name=f"扬州光伏{index}")
        process_services.process_start(project=project)
        factories.followup(
            personas.sales_a,
            project,
            next_action="回访客户",
            next_action_date=today - dt.timedelta(days=1),
        )
        process_services.task_create(
            project=project,
            kind=factories.option("task_kind", "quotation"),
            title=f"报价测算 {index}",
            assignee_department=personas.tech_dept,
            due_date=today + dt.timedelta(days=2),
            created_by=personas.sales_a,
        )
