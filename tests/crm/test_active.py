"""The stored "project is active" flag of a follow-up (crm.active): every writer keeps it
equal to the project's status, and the daily check finds and repairs drift."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pathscore.crm import active, services, tasks
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import FollowUp
from tests.crm import factories

pytestmark = pytest.mark.django_db


def recomputed() -> dict[int, bool]:
    return {
        pk: status == ProjectStatus.ACTIVE
        for pk, status in FollowUp.objects.values_list("pk", "project__status")
    }


def stored() -> dict[int, bool]:
    return dict(FollowUp.objects.values_list("pk", "project_active"))


def assert_exact():
    assert stored() == recomputed()
    assert active.active_mismatches() == []


def test_follow_ups_follow_their_projects_status(personas):
    project = factories.project(personas.sales_a)
    other = factories.project(personas.sales_a, project.customer, name="另一个项目")
    rows = [factories.followup(personas.sales_a, project, days_ago=days) for days in (9, 5)]
    moving = factories.followup(personas.sales_a, other, days_ago=3)
    customer_only = services.followup_create(
        actor=personas.sales_a,
        customer=project.customer,
        occurred_at=timezone.now(),
        mode=factories.option("followup_mode", "visit"),
        content="电话回访。",
    )
    assert [stored()[f.pk] for f in (*rows, moving, customer_only)] == [True, True, True, False]
    services.project_set_status(
        project=project, actor=personas.sales_a, status=ProjectStatus.PAUSED, reason="客户预算冻结"
    )
    assert_exact()
    assert [stored()[f.pk] for f in rows] == [False, False]
    # A follow-up moved onto the paused project leaves the active one's count.
    services.followup_update(followup=moving, actor=personas.sales_a, project=project)
    assert stored()[moving.pk] is False
    services.project_set_status(project=project, actor=personas.sales_a, status="active")
    assert_exact()
    assert set(stored().values()) == {True, False}  # the customer-only one stays out


def test_a_bulk_import_marks_the_rows_on_active_projects(personas):
    project = factories.project(personas.sales_a)
    lost = factories.project(personas.sales_a, project.customer, name="已丢单项目")
    services.project_set_status(
        project=lost, actor=personas.sales_a, status=ProjectStatus.LOST, reason="客户选了别家"
    )
    visit = factories.option("followup_mode", "visit")
    services.followup_create_many(
        entries=[
            {
                "actor": personas.sales_a,
                "project": where,
                "occurred_at": timezone.now(),
                "mode": visit,
                "content": "导入的历史记录。",
            }
            for where in (project, lost)
        ],
        recorded_by=personas.sales_a,
    )
    assert sorted(stored().values()) == [False, True]
    assert_exact()


def test_drift_is_found_and_repaired_once(personas):
    project = factories.project(personas.sales_a)
    rows = [factories.followup(personas.sales_a, project, days_ago=days) for days in (4, 2)]
    # A status written by hand, past the services.
    type(project).objects.filter(pk=project.pk).update(status=ProjectStatus.WON)
    assert active.active_mismatches() == sorted(f.pk for f in rows)
    assert tasks.followup_chain_repair.call_local() == {"followups": 0, "joint": 0, "active": 2}
    assert_exact()
    assert active.active_repair() == {"followups": 0}


def test_the_bulk_backfill_equals_the_recomputation(personas):
    project = factories.project(personas.sales_a)
    paused = factories.project(personas.sales_a, project.customer, name="暂停项目")
    for where in (project, project, paused):
        factories.followup(personas.sales_a, where, days_ago=2)
    services.project_set_status(
        project=paused, actor=personas.sales_a, status=ProjectStatus.PAUSED, reason="等待立项"
    )
    FollowUp.objects.update(project_active=False)
    assert active.backfill_active() == 2
    assert_exact()
