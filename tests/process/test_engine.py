"""The process engine: start, submit against the standard, review, advance, score."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind
from pathscore.process import services
from pathscore.process.choices import NodeState
from pathscore.process.models import DelayCategory, NodeInstance, ProjectProcess, TemplateVersion
from tests.process.conftest import current

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def first_visit_data():
    return {"key_contact": "周建国 副总经理", "visit_date": timezone.localdate().isoformat()}


def test_start_creates_the_standard_path(project, process):
    assert process.version.template.code == "power-service"
    nodes = list(NodeInstance.objects.filter(project=project).order_by("order"))
    assert [n.definition.name for n in nodes] == [
        "首次拜访",
        "需求分析报告提交",
        "方案演示",
        "客户反馈处理",
        "合同谈判",
        "合同签订",
    ]
    assert nodes[0].state == NodeState.IN_PROGRESS
    assert nodes[0].planned_due == project.started_on + dt.timedelta(days=14)
    assert {n.state for n in nodes[1:]} == {NodeState.NOT_STARTED}
    assert services.process_start(project=project) == process  # idempotent


def test_new_energy_projects_get_the_variant(personas):
    from tests.crm import factories

    customer = factories.customer(personas.sales_a, name="光伏客户", type_code="new-energy")
    from pathscore.core.models import Option
    from pathscore.crm import services as crm

    project = crm.project_create(
        actor=personas.sales_a,
        customer=customer,
        name="屋顶光伏",
        category=Option.objects.get(kind="project_category", code="new-energy"),
    )
    process = services.process_start(project=project)
    names = list(process.version.nodes.values_list("name", flat=True))
    assert "现场勘查" in names and "光伏电站装机容量分析" in names and "储能系统需求评估" in names


def test_incomplete_submission_names_every_missing_item(personas, project, process):
    node = current(project)
    with pytest.raises(ValidationError) as error:
        services.node_submit(node=node, user=personas.sales_a, data={}, checklist=[])
    messages = " ".join(error.value.messages)
    assert "关键联系人" in messages and "拜访日期" in messages
    assert "已确认客户决策链" in messages and "已记录跟进记录" in messages
    node.refresh_from_db()
    assert node.state == NodeState.IN_PROGRESS
    assert not node.submissions.exists()


def test_requirement_report_needs_its_three_fields_and_the_document(personas, project, process):
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("80"))
    report = current(project)
    assert report.definition.code == "requirement-report"
    with pytest.raises(ValidationError) as error:
        services.node_submit(
            node=report,
            user=personas.sales_a,
            data={"power_load": "12MW"},
            checklist=report.definition.checklist,
        )
    messages = " ".join(error.value.messages)
    assert "现有设备情况" in messages and "未来3年需求预测" in messages
    assert str(DocumentKind.REQUIREMENT_REPORT.label) in messages
    version = crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind="requirement_report",
        title="需求分析报告",
        file=ContentFile(PDF, name="report.pdf"),
    )
    submission = services.node_submit(
        node=report,
        user=personas.sales_a,
        data={"power_load": "12MW", "existing_equipment": "2台主变", "demand_forecast": "年增8%"},
        checklist=report.definition.checklist,
        documents=[version],
    )
    assert submission.data["power_load"] == "12MW"


def test_approval_scores_and_advances(personas, project, process):
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    services.review_approve(
        node=node, reviewer=personas.manager_a, quality_score=Decimal("90"), comment="好"
    )
    node.refresh_from_db()
    assert node.state == NodeState.APPROVED
    assert node.score == Decimal("9.00")  # base 10 × 0.9, on time
    assert node.score_explanation["result"]["points"] == "9.00"
    following = current(project)
    assert following.definition.code == "requirement-report"
    assert following.started_on == timezone.localdate()
    assert following.planned_due == timezone.localdate() + dt.timedelta(days=14)
    assert ProjectProcess.objects.get(project=project).current_node == following


def test_nobody_reviews_their_own_and_only_reviewers_review(personas, project, process):
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    with pytest.raises(ValidationError) as own:
        services.review_approve(node=node, reviewer=personas.sales_a, quality_score=Decimal("90"))
    assert own.value.code == "own_submission"
    with pytest.raises(ValidationError):
        services.review_approve(node=node, reviewer=personas.manager_b, quality_score=Decimal("90"))
    services.review_approve(node=node, reviewer=personas.regional_head, quality_score=None)


def test_wrong_state_is_a_conflict_naming_the_state(personas, project, process):
    node = current(project)
    with pytest.raises(services.Conflict) as error:
        services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("90"))
    assert error.value.current_state == NodeState.IN_PROGRESS
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    with pytest.raises(services.Conflict):
        services.node_submit(
            node=node,
            user=personas.sales_a,
            data=first_visit_data(),
            checklist=node.definition.checklist,
        )


def test_return_then_resubmit(personas, project, process):
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    with pytest.raises(ValidationError):
        services.review_return(node=node, reviewer=personas.manager_a, comment="")
    services.review_return(node=node, reviewer=personas.manager_a, comment="请补充决策链信息")
    node.refresh_from_db()
    assert node.state == NodeState.RETURNED
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    assert node.submissions.count() == 2
    assert node.submissions.get(number=1).comment == "请补充决策链信息"


def test_late_node_with_accepted_customer_reason(personas, project, process):
    node = current(project)
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=4)
    )
    node.refresh_from_db()
    customer_data = DelayCategory.objects.get(code="customer-data")
    reason = services.delay_reason_give(
        node=node, user=personas.sales_a, category=customer_data, text="客户未提供完整的用电数据"
    )
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("100"))
    node.refresh_from_db()
    assert node.days_late == 4
    assert node.score == Decimal("6.00")  # 10 − 4 × 1
    services.delay_reason_decide(
        reason=reason,
        manager=personas.manager_a,
        accept=True,
        waived_share=Decimal("1"),
        note="客户原因",
    )
    node.refresh_from_db()
    assert node.score == Decimal("10.00")
    with pytest.raises(ValidationError):
        services.delay_reason_decide(reason=reason, manager=personas.manager_a, accept=False)


def test_salesperson_reasons_cannot_be_waived(personas, project, process):
    node = current(project)
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=2)
    )
    node.refresh_from_db()
    own = DelayCategory.objects.get(code="sales-workload")
    reason = services.delay_reason_give(node=node, user=personas.sales_a, category=own, text="出差")
    with pytest.raises(ValidationError):
        services.delay_reason_decide(
            reason=reason, manager=personas.manager_a, accept=True, waived_share=Decimal("0.5")
        )


def test_reason_only_when_overdue(personas, project, process):
    node = current(project)
    with pytest.raises(ValidationError) as refused:
        services.delay_reason_give(
            node=node,
            user=personas.sales_a,
            category=DelayCategory.objects.first(),
            text="提前说明",
        )
    assert refused.value.code == "not_overdue"


def test_skip_needs_manager_and_reason(personas, project, process):
    node = current(project)
    with pytest.raises(ValidationError):
        services.node_skip(node=node, manager=personas.sales_a, reason="不适用")
    with pytest.raises(ValidationError):
        services.node_skip(node=node, manager=personas.manager_a, reason="")
    services.node_skip(node=node, manager=personas.manager_a, reason="客户已熟悉我司，无需首次拜访")
    assert current(project).definition.code == "requirement-report"


def test_template_versions_leave_running_projects_alone(personas, project, process):
    template = process.version.template
    draft = services.version_new_draft(template=template)
    services.node_add(version=draft, code="tech-briefing", name="技术交底", order=2)
    services.version_publish(version=draft, actor=personas.sysadmin)
    assert TemplateVersion.objects.get(pk=process.version_id).status == "retired"
    process.refresh_from_db()
    assert process.version.number == 1
    assert NodeInstance.objects.filter(project=project).count() == 6
    with pytest.raises(ValidationError):
        services.node_add(version=draft, code="late", name="已发布后不能改")


def test_template_editor_validates_fields():
    draft = services.template_create(code="custom", name="自定义流程")
    with pytest.raises(ValidationError):
        services.node_add(
            version=draft, code="x", name="X", fields=[{"name": "a b", "type": "text"}]
        )
    with pytest.raises(ValidationError):
        services.node_add(
            version=draft, code="y", name="Y", fields=[{"name": "c", "type": "choice"}]
        )
    first = services.node_add(version=draft, code="a", name="A")
    second = services.node_add(version=draft, code="b", name="B")
    services.node_move(definition=second, direction=-1)
    assert list(draft.nodes.order_by("order").values_list("code", flat=True)) == ["b", "a"]
    services.node_remove(definition=first)
    assert list(draft.nodes.values_list("order", flat=True)) == [1]


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_exactly_one_wins(personas):
    from tests.crm import factories

    project = factories.project(personas.sales_a, name="并发评审项目")
    services.process_start(project=project)
    node = current(project)
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=first_visit_data(),
        checklist=node.definition.checklist,
    )
    results = []
    barrier = threading.Barrier(2)

    def review(reviewer):
        from django.db import connections

        mine = NodeInstance.objects.select_related("definition", "project__owner__department").get(
            pk=node.pk
        )
        barrier.wait()
        try:
            services.review_approve(node=mine, reviewer=reviewer, quality_score=Decimal("90"))
            results.append("won")
        except ValidationError as error:
            results.append(error.code or "refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=review, args=(r,))
        for r in (personas.manager_a, personas.regional_head)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict", "won"]
    assert NodeInstance.objects.get(pk=node.pk).state == NodeState.APPROVED


def test_technical_support_sees_projects_behind_their_tasks(personas, project):
    from pathscore.core.models import Option
    from pathscore.crm.models import Customer, Project

    assert not Project.objects.visible_to(personas.tech).filter(pk=project.pk).exists()
    services.task_create(
        project=project,
        kind=Option.objects.get(kind="task_kind", code="proposal-design"),
        title="方案设计",
        assignee_department=personas.tech_dept,
        due_date=timezone.localdate() + dt.timedelta(days=5),
    )
    assert Project.objects.visible_to(personas.tech).filter(pk=project.pk).exists()
    assert Customer.objects.visible_to(personas.tech).filter(pk=project.customer_id).exists()
    assert not Project.objects.visible_to(personas.sales_b).filter(pk=project.pk).exists()
