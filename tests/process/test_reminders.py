"""Reminders go out once per node, kind, channel and recipient, however often they run."""

import datetime as dt
import threading

import pytest
from django.utils import timezone

from pathscore.notify.models import Notification
from pathscore.org.models import DepartmentRobot
from pathscore.process import services
from pathscore.process.choices import ReminderKind
from pathscore.process.models import DelayCategory, NodeInstance, ReminderLog
from pathscore.process.reminders import run_reminders
from tests.crm import factories
from tests.process.conftest import current


def _due_in(node, days):
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() + dt.timedelta(days=days)
    )


@pytest.mark.django_db
def test_due_soon_three_and_one_days_before(personas, project, process):
    node = current(project)
    _due_in(node, 3)
    run_reminders()
    run_reminders()
    notes = Notification.objects.filter(recipient=personas.sales_a)
    assert notes.count() == 1
    assert node.definition.name in notes.get().title
    _due_in(node, 2)
    assert sum(run_reminders().values()) == 0  # 2 days is not a reminder day
    _due_in(node, 1)
    run_reminders()
    assert notes.count() == 2


@pytest.mark.django_db
def test_overdue_asks_for_a_reason_and_escalates(personas, project, process, settings):
    settings.PATHSCORE_EMAIL_NOTIFICATIONS = True
    personas.sales_a.email = "sales_a@example.com"
    personas.sales_a.save()
    node = current(project)
    _due_in(node, -1)
    counts = run_reminders()
    assert counts[f"{ReminderKind.OVERDUE}:inbox"] == 1
    assert counts[f"{ReminderKind.OVERDUE}:email"] == 1
    from django.core import mail

    assert mail.outbox[0].to == ["sales_a@example.com"]
    assert not Notification.objects.filter(recipient=personas.manager_a).exists()
    _due_in(node, -3)
    run_reminders()
    escalation = Notification.objects.get(recipient=personas.manager_a)
    assert personas.sales_a.name in escalation.title
    assert escalation.kind == ReminderKind.ESCALATION
    node.refresh_from_db()
    services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    run_reminders()  # same due date: nothing new for anyone
    assert Notification.objects.filter(recipient=personas.manager_a).count() == 1


@pytest.mark.django_db
def test_stalled_project_alerts_owner_and_manager(personas, project, process):
    process.current_since = timezone.localdate() - dt.timedelta(days=40)
    process.save()
    _due_in(current(project), 30)
    run_reminders()
    assert (
        Notification.objects.filter(kind=ReminderKind.STALLED, recipient=personas.sales_a).count()
        == 1
    )
    assert (
        Notification.objects.filter(kind=ReminderKind.STALLED, recipient=personas.manager_a).count()
        == 1
    )


@pytest.mark.django_db
def test_task_deadlines_reach_the_team(personas, project):
    from pathscore.core.models import Option

    task = services.task_create(
        project=project,
        kind=Option.objects.get(kind="task_kind", code="proposal-design"),
        title="方案设计",
        assignee_department=personas.tech_dept,
        due_date=timezone.localdate() + dt.timedelta(days=1),
        created_by=personas.sales_a,
    )
    run_reminders()
    assert (
        Notification.objects.filter(recipient=personas.tech, kind=ReminderKind.TASK_DUE).count()
        == 1
    )
    services.task_complete(task=task, user=personas.tech, result="已完成")
    ReminderLog.objects.all().delete()
    run_reminders()
    assert Notification.objects.filter(recipient=personas.tech).count() == 1


@pytest.mark.django_db
def test_a_failing_robot_never_breaks_the_job(personas, project, process, monkeypatch):
    DepartmentRobot.objects.create(
        department=personas.team_a,
        provider="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
    )
    calls = []

    def broken(request, timeout):
        calls.append(request.full_url)
        raise OSError("network unreachable")

    monkeypatch.setattr("urllib.request.urlopen", broken)
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    _due_in(current(project), -1)
    counts = run_reminders()
    assert counts[f"{ReminderKind.OVERDUE}:inbox"] == 1
    assert len(calls) == 3  # three attempts with back-off, then given up
    assert Notification.objects.filter(recipient=personas.sales_a).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(personas):
    project = factories.project(
        personas.sales_a,
        name="两个工作进程",
        started_on=timezone.localdate() - dt.timedelta(days=10),
    )
    services.process_start(project=project)
    node = current(project)
    _due_in(node, -5)
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            run_reminders()
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert (
        Notification.objects.filter(recipient=personas.sales_a, kind=ReminderKind.OVERDUE).count()
        == 1
    )
    assert Notification.objects.filter(recipient=personas.manager_a).count() == 1
    assert ReminderLog.objects.filter(channel="inbox").count() == 2
