"""The demo company's process history: loaded once with the whole demo (every part, as
``pathscore demo`` does), with the events of its history delivered at commit."""

import pytest
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from pathscore.crm.models import Project
from pathscore.demo.loader import load_demo
from pathscore.notify.models import Notification
from pathscore.process.choices import OPEN_STATES, DelayDecision, NodeState, TaskState
from pathscore.process.models import (
    AutomationRule,
    DelayReason,
    HandoffTask,
    NodeInstance,
    ProjectProcess,
    Submission,
)

pytestmark = pytest.mark.django_db


def test_every_demo_project_has_a_realistic_process_history(django_capture_on_commit_callbacks):
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        ctx = load_demo()
    today = ctx.today
    projects = Project.objects.all()
    assert projects.count() == len(ctx.shared["projects"]) > 0

    # Every project follows a process; won ones went the whole way to the signing.
    assert ProjectProcess.objects.count() == projects.count()
    for process in ProjectProcess.objects.filter(project__status="won"):
        assert process.completed_on is not None and process.current_node is None
        assert (
            NodeInstance.objects.filter(project=process.project)
            .exclude(state__in=[NodeState.APPROVED, NodeState.SKIPPED])
            .count()
            == 0
        )
    for process in ProjectProcess.objects.filter(project__status__in=["lost", "paused"]):
        assert process.completed_on is None  # stopped midway

    # Approved nodes carry their score and its explanation; history is in the past.
    approved = NodeInstance.objects.filter(state=NodeState.APPROVED)
    assert approved.count() > 50
    assert not approved.filter(Q(score__isnull=True) | Q(completed_on__isnull=True)).exists()
    assert all(node.score_explanation.get("result") for node in approved[:20])
    assert approved.filter(completed_on__lt=today).count() > approved.count() * 0.8
    assert approved.filter(days_late__gt=0).exists()
    assert Submission.objects.filter(state="returned").exists()
    for node in approved.filter(started_on__isnull=False):
        assert node.started_on <= node.completed_on

    # Some nodes are overdue today, with and without a reason; some projects stalled.
    overdue = NodeInstance.objects.filter(state__in=OPEN_STATES, planned_due__lt=today)
    assert overdue.count() >= 3
    assert overdue.filter(delay_reasons__isnull=True).exists()
    stalled = [
        process
        for process in ProjectProcess.objects.filter(
            project__status="active", current_node__isnull=False
        ).select_related("current_node__definition")
        if (today - process.current_since).days > process.current_node.definition.stall_days
    ]
    assert len(stalled) >= 3

    # Delay reasons of several categories; some accepted with a waiver, some pending.
    reasons = DelayReason.objects.all()
    assert reasons.values("category").distinct().count() >= 4
    assert reasons.filter(decision=DelayDecision.ACCEPTED, waived_share__gt=0).exists()
    assert reasons.filter(decision=DelayDecision.PENDING).exists()
    assert reasons.filter(decision=DelayDecision.REJECTED).exists()
    assert not reasons.filter(created_at__date__gt=today).exists()

    # Hand-off tasks: done ones with real response times, open and overdue ones.
    tasks = HandoffTask.objects.all()
    states = dict(tasks.values_list("state").annotate(n=Count("pk")))
    assert states.get(TaskState.OPEN, 0) >= 2
    assert states.get(TaskState.ACKNOWLEDGED, 0) >= 2
    assert states.get(TaskState.DONE, 0) >= 20
    assert tasks.exclude(state=TaskState.DONE).filter(due_date__lt=today).exists()
    for task in tasks.filter(state=TaskState.DONE)[:30]:
        assert task.created_at < task.acknowledged_at <= task.done_at <= timezone.now()
    assert tasks.filter(feedback_at__isnull=False, created_by__isnull=False).exists()
    assert set(tasks.values_list("kind__code", flat=True)) >= {
        "proposal-design",
        "proposal-revision",
        "tech-question",
    }
    team = ctx.shared["engineers"][0].department
    assert not tasks.exclude(assignee_department=team).exists()

    # The bundled rules are on, and delivering the history's events at commit made no
    # second, today-dated copy of any task.
    rules = AutomationRule.objects.all()
    assert rules.count() == 3 and all(rule.is_active for rule in rules)
    assert not tasks.filter(created_at__gte=started).exists()
    # Messages about long-finished nodes are filed as read; those still to act on are not.
    finished = [
        reverse("process:node-detail", args=[pk])
        for pk in NodeInstance.objects.filter(state=NodeState.APPROVED).values_list("pk", flat=True)
    ]
    assert not Notification.objects.filter(read_at__isnull=True, url__in=finished).exists()
