"""The rollup of active projects (owner × current node × customer type × category): after
every kind of write it equals the count recomputed from the raw rows, the nightly job
repairs a corrupted table, and the dashboard shows the same columns either way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from pathscore.crm import services as crm_services
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import Project
from pathscore.insights import selectors, tasks
from pathscore.insights.models import ActiveProjectCount
from pathscore.insights.rollups import counted_rows, rollup_rebuild
from pathscore.process import services as process_services
from pathscore.process.models import NodeInstance, ProjectProcess
from tests.crm import factories
from tests.insights import test_follow_up_days as follow_up_days
from tests.transfer.conftest import run_import  # noqa: F401  (fixture)
from tests.transfer.test_records import grid  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def stored() -> set[tuple]:
    return set(
        ActiveProjectCount.objects.values_list(
            "owner", "definition", "node_order", "customer_type", "category", "count"
        )
    )


def recounted() -> set[tuple]:
    return {tuple(row.values()) for row in counted_rows()}


def assert_exact():
    assert stored() == recounted()


def started(owner, name="配网运维项目", type_code="grid"):
    customer = factories.customer(owner, name=f"{name}客户", type_code=type_code)
    project = factories.project(owner, customer, name=name)
    process_services.process_start(project=project)
    return project


def current(project) -> NodeInstance:
    return ProjectProcess.objects.get(project=project).current_node


def test_a_new_project_counts_without_a_node_then_at_its_first_node(personas):
    project = factories.project(personas.sales_a, name="新项目")
    assert_exact()
    assert stored() == {
        (personas.sales_a.pk, None, None, project.customer.customer_type_id,
         project.category_id, 1)
    }  # fmt: skip
    process_services.process_start(project=project)
    assert_exact()
    ((_owner, definition, order, *_rest),) = stored()
    assert definition == current(project).definition_id and order == current(project).order


@pytest.mark.parametrize("status", [ProjectStatus.LOST, ProjectStatus.WON, ProjectStatus.PAUSED])
def test_a_closed_or_paused_project_leaves_the_rollup(personas, status):
    project = started(personas.sales_a)
    other = started(personas.sales_a, name="另一个项目")
    fields = {"reason": "客户取消"}
    if status == ProjectStatus.WON:
        fields = {"signed_amount": Decimal("100"), "signed_on": project.started_on}
    crm_services.project_set_status(
        project=project, actor=personas.sales_a, status=status, **fields
    )
    assert_exact()
    assert sum(row[-1] for row in stored()) == 1
    crm_services.project_set_status(
        project=project, actor=personas.sales_a, status=ProjectStatus.ACTIVE
    )
    assert_exact()
    assert sum(row[-1] for row in stored()) == 2
    assert other.pk


def test_a_hand_over_moves_the_count_to_the_new_owner(personas):
    project = started(personas.sales_a)
    crm_services.project_hand_over(
        project=project, actor=personas.hr, new_owner=personas.sales_b, reason="调岗"
    )
    assert_exact()
    assert {row[0] for row in stored()} == {personas.sales_b.pk}


def test_a_category_or_customer_change_moves_the_project(personas):
    project = started(personas.sales_a)
    crm_services.project_update(
        project=project,
        actor=personas.sales_a,
        category=_other_category(project),
    )
    assert_exact()
    elsewhere = factories.customer(personas.sales_a, name="工业客户", type_code="industrial")
    crm_services.project_update(project=project, actor=personas.sales_a, customer=elsewhere)
    assert_exact()
    assert {row[3] for row in stored()} == {elsewhere.customer_type_id}


def _other_category(project):
    from pathscore.core.models import Option

    return Option.objects.filter(kind="project_category").exclude(pk=project.category_id).first()


def test_a_customer_type_change_moves_every_owner_s_projects(personas):
    customer = factories.customer(personas.sales_a, name="共同客户", type_code="grid")
    factories.project(personas.sales_a, customer, name="甲")
    second = factories.project(personas.sales_a, customer, name="乙")
    crm_services.project_hand_over(
        project=second, actor=personas.hr, new_owner=personas.sales_b, reason="调岗"
    )
    industrial = factories.option("customer_type", "industrial")
    crm_services.customer_update(
        customer=customer, actor=personas.sales_a, customer_type=industrial
    )
    assert_exact()
    assert {row[3] for row in stored()} == {industrial.pk}
    assert {row[0] for row in stored()} == {personas.sales_a.pk, personas.sales_b.pk}


def test_skipping_the_current_node_advances_the_count(personas):
    project = started(personas.sales_a)
    first = current(project)
    process_services.node_skip(node=first, manager=personas.manager_a, reason="不适用")
    assert_exact()
    ((_owner, definition, order, *_rest),) = stored()
    assert order > first.order and definition == current(project).definition_id


def test_approving_the_current_node_advances_the_count(personas):
    from tests.process.test_migration import approve_first_visit

    project = started(personas.sales_a)
    first = current(project)
    approve_first_visit(personas, project)
    assert_exact()
    ((_owner, definition, order, *_rest),) = stored()
    assert order > first.order and definition == current(project).definition_id


def test_a_template_migration_moves_the_count_to_the_new_place(personas):
    from pathscore.process import migration
    from tests.process.test_migration import approve_first_visit, publish_v2, version

    project = started(personas.sales_a)
    approve_first_visit(personas, project)
    before = current(project)
    v2 = publish_v2()
    migration.apply_migration(from_version=version(1), to_version=v2, projects=[project])
    assert_exact()
    ((_owner, definition, order, *_rest),) = stored()
    after = current(project)
    # v2 inserts a site check before the current node: same code, a later place, v2's definition.
    assert after.definition.code == before.definition.code
    assert (
        (definition, order)
        == (after.definition_id, after.order)
        != (
            before.definition_id,
            before.order,
        )
    )


def test_a_deleted_project_leaves_the_rollup(personas):
    project = started(personas.sales_a)
    started(personas.sales_a, name="留下的项目")
    Project.objects.filter(pk=project.pk).first().delete()
    assert_exact()
    assert sum(row[-1] for row in stored()) == 1


def test_the_nightly_job_repairs_a_corrupted_rollup(personas):
    started(personas.sales_a)
    started(personas.sales_b, name="乙项目", type_code="industrial")
    truth = stored()
    ActiveProjectCount.objects.filter(owner=personas.sales_a).update(count=99)
    ActiveProjectCount.objects.filter(owner=personas.sales_b).delete()
    assert stored() != truth
    tasks.rebuild_rollups.call_local()
    assert stored() == truth
    call_command("rebuild_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored() == truth


def test_the_scale_generator_builds_the_rollup(django_db_blocker):
    from pathscore.demo.scale.generator import generate
    from tests.conftest import ensure_bundled_defaults

    with transaction.atomic():
        ensure_bundled_defaults()
        generate(scale="XS", seed=7, as_of=dt.date(2026, 11, 26), run_hooks=False)
        assert ActiveProjectCount.objects.exists()
        assert_exact()
        # The follow-ups per day too (tests/insights/test_follow_up_days.py).
        assert follow_up_days.stored() and follow_up_days.stored() == follow_up_days.recounted()
        transaction.set_rollback(True)


def _columns(s):
    return [(c.code, c.name, c.by_type) for c in selectors.projects_by_node(s)]


def test_the_dashboard_reads_the_same_with_the_rollup_and_the_raw_rows(world, monkeypatch):
    p = world.personas
    slices = [
        world.slice(p.manager_a),
        world.slice(p.executive),
        world.slice(p.hr),
        world.slice(p.regional_head),
        world.slice(p.sales_a),
        world.slice(p.executive, department=p.team_a),
        world.slice(p.executive, salesperson=p.sales_b),
        world.slice(p.executive, customer_type=world.p1.customer.customer_type),
        world.slice(p.executive, category=world.p1.category),
        world.slice(p.executive, node="first-visit"),
    ]
    with_rollup = [(_columns(s), selectors.active_by_customer_type(s)) for s in slices]
    monkeypatch.setattr(selectors, "USE_ROLLUPS", False)
    raw = [(_columns(s), selectors.active_by_customer_type(s)) for s in slices]
    assert with_rollup == raw
    assert with_rollup[1][0], "the company has projects at nodes"
    rollup_rebuild()
    assert_exact()


def test_imported_projects_are_counted(personas, run_import, grid):  # noqa: F811  (fixtures)
    from pathscore.transfer.choices import ImportStatus
    from tests.transfer.conftest import problems, xlsx
    from tests.transfer.test_records import PROJECT_HEADERS, project_rows

    batch = run_import(
        personas.sales_a, "projects", xlsx(PROJECT_HEADERS, project_rows(), sheet="项目")
    )
    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert_exact()
    assert sum(row[-1] for row in stored()) == 2
    # The imported projects start their process (after the commit): counted at a node.
    assert all(row[1] is not None for row in stored())
