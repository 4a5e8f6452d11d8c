"""The stored credited person of nodes and signer of projects (process.credit, crm.signer):
every writer keeps them equal to the rule, and the daily check finds and repairs drift."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pathscore.core.choices import Role
from pathscore.crm import services as crm_services
from pathscore.crm.choices import MilestoneKind
from pathscore.crm.models import Project
from pathscore.org import services as org_services
from pathscore.process import credit, migration, services, tasks
from pathscore.process.models import NodeInstance
from tests.crm import factories
from tests.process.conftest import current

pytestmark = pytest.mark.django_db


def first_visit_data():
    return {"key_contact": "周建国 副总经理", "visit_date": timezone.localdate().isoformat()}


@pytest.fixture
def sales_a2(personas):
    return org_services.user_create(
        username="sales_a2",
        name="孙新人",
        password=None,
        roles=[Role.SALESPERSON],
        department=personas.team_a,
    )


def credited(project) -> dict[str, int | None]:
    return dict(
        NodeInstance.objects.filter(project=project).values_list("definition__code", "credited_to")
    )


def assert_consistent():
    found = credit.credit_check()
    assert not found, found


def submit(node, user):
    services.node_submit(
        node=node, user=user, data=first_visit_data(), checklist=node.definition.checklist
    )


def test_a_started_process_credits_every_node_to_the_owner(personas, project, process):
    assert set(credited(project).values()) == {personas.sales_a.pk}
    assert Project.objects.get(pk=project.pk).signed_by == personas.sales_a
    assert_consistent()


def test_submit_return_resubmit_approve_and_skip_keep_the_credit(personas, project, process):
    node = current(project)
    submit(node, personas.sales_a)
    assert_consistent()
    services.review_return(node=current(project), reviewer=personas.manager_a, comment="补充")
    assert_consistent()
    submit(current(project), personas.sales_a)
    services.review_approve(
        node=current(project), reviewer=personas.manager_a, quality_score=Decimal("80")
    )
    assert_consistent()
    services.node_skip(node=current(project), manager=personas.manager_a, reason="不适用")
    assert_consistent()


def test_a_hand_over_moves_only_the_unsubmitted_nodes(personas, sales_a2, project, process):
    submit(current(project), personas.sales_a)
    crm_services.project_hand_over(
        project=project, actor=personas.manager_a, new_owner=sales_a2, reason="调岗"
    )
    nodes = credited(project)
    # The submitted first visit stays the doer's; everything else follows the new owner.
    assert nodes.pop("first-visit") == personas.sales_a.pk
    assert set(nodes.values()) == {sales_a2.pk}
    assert Project.objects.get(pk=project.pk).signed_by == sales_a2
    assert_consistent()


def test_a_hand_over_through_the_api_keeps_the_credit(personas, sales_a2, login, project, process):
    response = login(personas.manager_a).post(
        f"/api/v1/projects/{project.pk}/handover/",
        {"to_owner": sales_a2.pk, "reason": "原负责人调岗"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert set(credited(project).values()) == {sales_a2.pk}
    assert_consistent()


def test_the_signed_milestone_credits_whoever_recorded_it(personas, sales_a2, project):
    crm_services.project_hand_over(
        project=project, actor=personas.manager_a, new_owner=sales_a2, reason="调岗"
    )
    crm_services.milestone_record(
        actor=personas.manager_a,
        project=project,
        kind=MilestoneKind.SIGNED,
        reached_on=timezone.localdate() - dt.timedelta(days=1),
        signed_amount=Decimal("500000"),
    )
    assert Project.objects.get(pk=project.pk).signed_by == personas.manager_a
    assert_consistent()
    # A later hand-over does not take the signing away from who recorded it.
    crm_services.project_hand_over(
        project=project, actor=personas.manager_a, new_owner=personas.sales_a, reason="回归"
    )
    assert Project.objects.get(pk=project.pk).signed_by == personas.manager_a
    assert_consistent()


def test_migrating_to_a_new_version_credits_the_added_node(personas, project, process):
    draft = services.version_new_draft(template=process.version.template)
    services.node_add(version=draft, code="tech-briefing", name="技术交底", order=2)
    services.version_publish(version=draft, actor=personas.sysadmin)
    migration.apply_migration(from_version=process.version, to_version=draft, projects=[project])
    assert "tech-briefing" in credited(project)
    assert_consistent()


def test_a_corrupted_row_is_found_and_repaired_once(personas, sales_a2, project, process):
    other = factories.project(personas.sales_b, name="另一个项目")
    services.process_start(project=other)
    node = NodeInstance.objects.filter(project=project).order_by("order").first()
    NodeInstance.objects.filter(pk=node.pk).update(credited_to=sales_a2)
    NodeInstance.objects.filter(project=other).update(credited_to=None)
    Project.objects.filter(pk=other.pk).update(signed_by=personas.sales_a)

    found = credit.credit_check()
    assert found.nodes == sorted([node.pk, *other.nodes.values_list("pk", flat=True)])
    assert found.projects == [other.pk]

    changed = tasks.credit_repair.call_local()
    assert changed == {"nodes": 1 + other.nodes.count(), "projects": 1}
    assert not credit.credit_check()
    assert credited(project)[node.definition.code] == personas.sales_a.pk
    assert Project.objects.get(pk=other.pk).signed_by == personas.sales_b
    # Idempotent: a second run finds nothing to change.
    assert credit.credit_repair() == {"nodes": 0, "projects": 0}
