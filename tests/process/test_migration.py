"""Moving running projects to a newer template version: the plan, node by node, and
applying it atomically; the page a manager uses to choose, preview and apply."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.process import migration, services
from pathscore.process.choices import NodeState
from pathscore.process.migration import Action
from pathscore.process.models import NodeInstance, ProcessTemplate, ProjectProcess
from tests.crm import factories

pytestmark = pytest.mark.django_db

V1 = [
    "first-visit",
    "requirement-report",
    "proposal-demo",
    "feedback-handling",
    "contract-negotiation",
    "contract-signing",
]
V2 = [
    "first-visit",
    "site-check",
    "requirement-report",
    "proposal-demo",
    "tech-briefing",
    "contract-negotiation",
    "contract-signing",
]


def standard():
    return ProcessTemplate.objects.get(code="power-service")


def version(number):
    return standard().versions.get(number=number)


def publish_v2():
    """v2: a site check after the first visit, a technical briefing before the negotiation,
    and no separate feedback handling."""
    draft = services.version_new_draft(template=standard())
    services.node_remove(definition=draft.nodes.get(code="feedback-handling"))
    negotiation = draft.nodes.get(code="contract-negotiation")
    services.node_add(
        version=draft,
        order=negotiation.order,
        code="tech-briefing",
        name="技术交底",
        fields=[{"name": "briefing_date", "label": "交底日期", "type": "date", "required": True}],
        checklist=["交底纪要已签字"],
    )
    services.node_add(version=draft, order=2, code="site-check", name="现场踏勘")
    services.version_publish(version=draft, note="加入现场踏勘和技术交底")
    assert list(draft.nodes.order_by("order").values_list("code", flat=True)) == V2
    return draft


def started(personas, name, **fields):
    project = factories.project(personas.sales_a, name=name, **fields)
    services.process_start(project=project)
    return project


def put_at(project, code):
    """Approve every node before ``code`` (keeping any already approved), make ``code``
    current, leave the rest not started; ``code=None`` finishes the path."""
    today = timezone.localdate()
    nodes = list(
        NodeInstance.objects.filter(project=project).select_related("definition").order_by("order")
    )
    codes = [n.definition.code for n in nodes]
    here = codes.index(code) if code else len(nodes)
    for index, node in enumerate(nodes):
        if index < here and node.state != NodeState.APPROVED:
            NodeInstance.objects.filter(pk=node.pk).update(
                state=NodeState.APPROVED,
                started_on=today - dt.timedelta(days=40 - index),
                completed_on=today - dt.timedelta(days=39 - index),
                score=Decimal("8"),
            )
        elif index == here:
            NodeInstance.objects.filter(pk=node.pk).update(
                state=NodeState.IN_PROGRESS,
                started_on=today - dt.timedelta(days=3),
                planned_due=today + dt.timedelta(days=11),
            )
        elif index > here:
            NodeInstance.objects.filter(pk=node.pk).update(state=NodeState.NOT_STARTED)
    current = nodes[here] if code else None
    ProjectProcess.objects.filter(project=project).update(
        current_node=current,
        current_since=today - dt.timedelta(days=3) if current else None,
        completed_on=None if current else today,
    )


def approve_first_visit(personas, project):
    node = NodeInstance.objects.get(project=project, definition__code="first-visit")
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data={"key_contact": "周建国", "visit_date": timezone.localdate().isoformat()},
        checklist=["已确认客户决策链", "已记录跟进记录"],
    )
    node.refresh_from_db()
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("90"))


def path_of(project):
    return [
        (n.order, n.definition.code, n.state, n.definition.version.number)
        for n in NodeInstance.objects.filter(project=project)
        .select_related("definition__version")
        .order_by("order")
    ]


def steps(plan, project):
    project_plan = next(p for p in plan.projects if p.project.pk == project.pk)
    return [(s.order_after, s.code, s.action, s.state_after) for s in project_plan.steps]


@pytest.fixture
def scenario(personas):
    at_report = started(personas, "需求阶段项目")
    approve_first_visit(personas, at_report)
    at_negotiation = started(personas, "谈判阶段项目")
    put_at(at_negotiation, "contract-negotiation")
    at_removed = started(personas, "反馈处理项目")
    put_at(at_removed, "feedback-handling")
    finished = started(personas, "已完成项目")
    put_at(finished, None)
    v2 = publish_v2()
    on_v2 = started(personas, "新版本项目")
    return {
        "at_report": at_report,
        "at_negotiation": at_negotiation,
        "at_removed": at_removed,
        "finished": finished,
        "on_v2": on_v2,
        "v2": v2,
    }


def plan_for(scenario, *names):
    return migration.plan_migration(
        from_version=version(1),
        to_version=scenario["v2"],
        projects=[scenario[name] for name in names],
    )


def test_plan_for_a_project_at_an_early_node(scenario):
    plan = plan_for(scenario, "at_report")
    assert steps(plan, scenario["at_report"]) == [
        (1, "first-visit", Action.KEEP, NodeState.APPROVED),
        (2, "site-check", Action.ADD_SKIPPED, NodeState.SKIPPED),
        (3, "requirement-report", Action.KEEP, NodeState.IN_PROGRESS),
        (4, "proposal-demo", Action.KEEP, NodeState.NOT_STARTED),
        (5, "feedback-handling", Action.SKIP_REMOVED, NodeState.SKIPPED),
        (6, "tech-briefing", Action.ADD, NodeState.NOT_STARTED),
        (7, "contract-negotiation", Action.KEEP, NodeState.NOT_STARTED),
        (8, "contract-signing", Action.KEEP, NodeState.NOT_STARTED),
    ]
    current = [s for s in plan.projects[0].steps if s.is_current]
    assert [s.code for s in current] == ["requirement-report"]


def test_plan_for_a_project_past_the_new_nodes(scenario):
    plan = plan_for(scenario, "at_negotiation")
    assert steps(plan, scenario["at_negotiation"]) == [
        (1, "first-visit", Action.KEEP, NodeState.APPROVED),
        (2, "site-check", Action.ADD_SKIPPED, NodeState.SKIPPED),
        (3, "requirement-report", Action.KEEP, NodeState.APPROVED),
        (4, "proposal-demo", Action.KEEP, NodeState.APPROVED),
        (5, "feedback-handling", Action.DETACH, NodeState.APPROVED),
        (6, "tech-briefing", Action.ADD_SKIPPED, NodeState.SKIPPED),
        (7, "contract-negotiation", Action.KEEP, NodeState.IN_PROGRESS),
        (8, "contract-signing", Action.KEEP, NodeState.NOT_STARTED),
    ]


def test_plan_for_a_finished_project_skips_every_new_node(scenario):
    actions = {
        code: action
        for _o, code, action, _s in steps(plan_for(scenario, "finished"), scenario["finished"])
    }
    assert actions["site-check"] == actions["tech-briefing"] == Action.ADD_SKIPPED
    assert actions["feedback-handling"] == Action.DETACH


def test_plan_blocks_a_project_whose_current_node_is_gone(scenario):
    plan = plan_for(scenario, "at_removed", "on_v2", "at_report")
    blocked = {p.project.name: p.blocked_reason for p in plan.blocked}
    assert set(blocked) == {"反馈处理项目", "新版本项目"}
    assert "客户反馈处理" in blocked["反馈处理项目"]
    assert [p.project.name for p in plan.ready] == ["需求阶段项目"]


def test_apply_keeps_work_and_renumbers(personas, scenario):
    project = scenario["at_report"]
    first = NodeInstance.objects.get(project=project, definition__code="first-visit")
    submissions = list(first.submissions.values_list("pk", flat=True))
    score = first.score
    result = migration.apply_migration(
        from_version=version(1),
        to_version=scenario["v2"],
        projects=[project, scenario["at_removed"]],
        actor=personas.manager_a,
    )
    assert [p.name for p in result.migrated] == ["需求阶段项目"]
    assert [p.project.name for p in result.blocked] == ["反馈处理项目"]
    process = ProjectProcess.objects.get(project=project)
    assert process.version == scenario["v2"]
    assert path_of(project) == [
        (1, "first-visit", NodeState.APPROVED, 2),
        (2, "site-check", NodeState.SKIPPED, 2),
        (3, "requirement-report", NodeState.IN_PROGRESS, 2),
        (4, "proposal-demo", NodeState.NOT_STARTED, 2),
        (5, "feedback-handling", NodeState.SKIPPED, 1),
        (6, "tech-briefing", NodeState.NOT_STARTED, 2),
        (7, "contract-negotiation", NodeState.NOT_STARTED, 2),
        (8, "contract-signing", NodeState.NOT_STARTED, 2),
    ]
    first.refresh_from_db()
    assert list(first.submissions.values_list("pk", flat=True)) == submissions
    assert first.score == score and first.quality_score == Decimal("90")
    assert process.current_node.definition.code == "requirement-report"
    assert process.current_node.definition.version == scenario["v2"]
    site = NodeInstance.objects.get(project=project, definition__code="site-check")
    assert "v2" in site.skip_reason
    assert "v1 → v2" in first.history.first().history_change_reason
    # The blocked project was not touched.
    blocked = ProjectProcess.objects.get(project=scenario["at_removed"])
    assert blocked.version.number == 1

    # The path carries on in the new order: skipping two nodes lands on the new one, past
    # the removed node kept as history.
    for code in ("requirement-report", "proposal-demo"):
        node = NodeInstance.objects.get(project=project, definition__code=code)
        services.node_skip(node=node, manager=personas.manager_a, reason="测试")
    process.refresh_from_db()
    assert process.current_node.definition.code == "tech-briefing"


def test_apply_keeps_history_nodes_of_a_later_project(personas, scenario):
    project = scenario["at_negotiation"]
    migration.apply_migration(
        from_version=version(1), to_version=scenario["v2"], projects=[project.pk]
    )
    assert path_of(project) == [
        (1, "first-visit", NodeState.APPROVED, 2),
        (2, "site-check", NodeState.SKIPPED, 2),
        (3, "requirement-report", NodeState.APPROVED, 2),
        (4, "proposal-demo", NodeState.APPROVED, 2),
        (5, "feedback-handling", NodeState.APPROVED, 1),
        (6, "tech-briefing", NodeState.SKIPPED, 2),
        (7, "contract-negotiation", NodeState.IN_PROGRESS, 2),
        (8, "contract-signing", NodeState.NOT_STARTED, 2),
    ]
    detached = NodeInstance.objects.get(project=project, definition__code="feedback-handling")
    assert detached.score == Decimal("8")


def test_a_node_moved_before_the_current_one_is_skipped(personas):
    project = started(personas, "顺序调整项目")
    put_at(project, "requirement-report")
    draft = services.version_new_draft(template=standard())
    services.node_move(definition=draft.nodes.get(code="proposal-demo"), direction=-1)
    services.version_publish(version=draft, note="先演示再报告")
    plan = migration.plan_migration(from_version=version(1), to_version=draft, projects=[project])
    assert steps(plan, project)[:3] == [
        (1, "first-visit", Action.KEEP, NodeState.APPROVED),
        (2, "proposal-demo", Action.SKIP_MOVED, NodeState.SKIPPED),
        (3, "requirement-report", Action.KEEP, NodeState.IN_PROGRESS),
    ]
    migration.apply_migration(from_version=version(1), to_version=draft, projects=[project])
    demo = NodeInstance.objects.get(project=project, definition__code="proposal-demo")
    assert demo.state == NodeState.SKIPPED and demo.skip_reason


def test_apply_refuses_a_plan_that_changed_since_the_preview(personas, scenario):
    project = scenario["at_report"]
    preview = plan_for(scenario, "at_report")
    node = NodeInstance.objects.get(project=project, definition__code="requirement-report")
    services.node_skip(node=node, manager=personas.manager_a, reason="客户已提供报告")
    with pytest.raises(ValidationError) as error:
        migration.apply_migration(
            from_version=version(1),
            to_version=scenario["v2"],
            projects=[project],
            expected_digest=preview.digest,
        )
    assert error.value.code == "stale"
    assert ProjectProcess.objects.get(project=project).version.number == 1


def test_a_node_changing_during_the_apply_rolls_everything_back(scenario):
    plan = plan_for(scenario, "at_report", "at_negotiation")
    # Someone acts on the second project's node after the plan was made.
    late = plan.projects[1].steps[0].instance
    NodeInstance.objects.filter(pk=late.pk).update(revision=late.revision + 5)
    from django.db import transaction

    with pytest.raises(ValidationError) as error, transaction.atomic():
        for project_plan in plan.ready:
            migration._apply_project(
                project_plan, from_version=version(1), to_version=scenario["v2"], why="test"
            )
    assert error.value.code == "conflict"
    assert ProjectProcess.objects.filter(version__number=1).count() == 4
    assert path_of(scenario["at_report"])[1][1] == "requirement-report"


def test_versions_are_checked(personas, scenario):
    other = ProcessTemplate.objects.get(code="new-energy").versions.get()
    with pytest.raises(ValidationError):
        migration.plan_migration(from_version=other, to_version=scenario["v2"], projects=[])
    with pytest.raises(ValidationError):
        migration.plan_migration(from_version=scenario["v2"], to_version=version(1), projects=[])
    draft = services.version_new_draft(template=standard())
    with pytest.raises(ValidationError):
        migration.plan_migration(from_version=version(1), to_version=draft, projects=[])


def test_only_managers_and_admins_migrate_what_they_see(personas, scenario):
    with pytest.raises(ValidationError):
        migration.apply_migration(
            from_version=version(1),
            to_version=scenario["v2"],
            projects=[scenario["at_report"]],
            actor=personas.sales_a,
        )
    result = migration.apply_migration(
        from_version=version(1),
        to_version=scenario["v2"],
        projects=[scenario["at_report"]],
        actor=personas.manager_b,
    )
    assert result.migrated == []
    assert ProjectProcess.objects.get(project=scenario["at_report"]).version.number == 1


# --- The page -----------------------------------------------------------------------------------


def migrate_url():
    return f"/process/templates/{standard().pk}/migrate/"


def process_of(project):
    return ProjectProcess.objects.get(project=project)


@pytest.mark.parametrize("name", ["sales_a", "tech", "executive", "auditor"])
def test_the_migration_page_refuses_others(personas, login, scenario, name):
    client = login(personas.get(name))
    assert client.get(migrate_url()).status_code == 403
    response = client.post(
        migrate_url(),
        {
            "from_version": version(1).pk,
            "projects": [process_of(scenario["at_report"]).pk],
            "action": "apply",
        },
    )
    assert response.status_code == 403
    assert process_of(scenario["at_report"]).version.number == 1


def test_a_manager_previews_then_applies(personas, login, scenario):
    client = login(personas.manager_a)
    page = client.get(migrate_url())
    assert page.status_code == 200
    names = {p.project.name for p in page.context["candidates"]}
    assert names == {"需求阶段项目", "谈判阶段项目", "反馈处理项目"}  # not the finished one

    chosen = [process_of(scenario[k]).pk for k in ("at_report", "at_removed")]
    preview = client.post(
        migrate_url(),
        {"from_version": version(1).pk, "projects": chosen, "action": "preview"},
    )
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert [p.project.name for p in plan.ready] == ["需求阶段项目"]
    body = preview.content.decode()
    assert 'data-testid="plan-blocked"' in body
    assert 'data-action="add_skipped" data-code="site-check"' in body
    assert process_of(scenario["at_report"]).version.number == 1  # a preview changes nothing

    applied = client.post(
        migrate_url(),
        {
            "from_version": version(1).pk,
            "projects": chosen,
            "digest": plan.digest,
            "action": "apply",
        },
    )
    assert applied.status_code == 302
    assert process_of(scenario["at_report"]).version.number == 2
    assert process_of(scenario["at_removed"]).version.number == 1


def test_the_page_shows_only_projects_the_viewer_may_see(personas, login, scenario):
    theirs = factories.project(personas.sales_b, name="华北项目")
    services.process_start(project=theirs, version=version(1))
    client = login(personas.manager_b)
    page = client.get(migrate_url())
    assert [p.project.name for p in page.context["candidates"]] == ["华北项目"]
    response = client.post(
        migrate_url(),
        {
            "from_version": version(1).pk,
            "projects": [process_of(scenario["at_report"]).pk],
            "action": "apply",
        },
    )
    assert response.status_code == 400
    assert process_of(scenario["at_report"]).version.number == 1


def test_choosing_nothing_is_refused(personas, login, scenario):
    client = login(personas.hr)
    response = client.post(migrate_url(), {"from_version": version(1).pk, "action": "preview"})
    assert response.status_code == 400
    assert response.context["form"].errors["projects"]


def test_migration_page_queries_do_not_grow(
    personas, login, scenario, django_assert_max_num_queries
):
    client = login(personas.manager_a)

    def measure(request):
        with CaptureQueriesContext(connection) as captured:
            response = request()
            assert response.status_code == 200
        return len(captured)

    def preview():
        processes = ProjectProcess.objects.filter(
            version__number=1, completed_on__isnull=True
        ).values_list("pk", flat=True)
        return client.post(
            migrate_url(),
            {"from_version": version(1).pk, "projects": list(processes), "action": "preview"},
        )

    few_list = measure(lambda: client.get(migrate_url()))
    few_preview = measure(preview)
    for number in range(6):
        project = factories.project(personas.sales_a, name=f"批量项目{number}")
        services.process_start(project=project, version=version(1))
        put_at(project, "proposal-demo")
    with django_assert_max_num_queries(few_list):
        assert len(client.get(migrate_url()).context["candidates"]) == 9
    with django_assert_max_num_queries(few_preview):
        assert len(preview().context["plan"].projects) == 9
