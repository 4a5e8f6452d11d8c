"""Automation rules: the records' and the nodes' events create hand-off tasks (or notify),
exactly once per rule and source, with the customer-feedback relay time recorded."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from pathscore.core.events import deliver
from pathscore.core.models import Option
from pathscore.crm import events as crm_events
from pathscore.crm import services as crm_services
from pathscore.notify.models import Notification
from pathscore.process import selectors, services
from pathscore.process.choices import RuleAction, TriggerEvent
from pathscore.process.models import AutomationRule, HandoffTask
from tests.crm import factories
from tests.process.conftest import current

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


def task_kind(code):
    return Option.objects.get(kind="task_kind", code=code)


def rule(personas, event, kind_code, **fields):
    return services.rule_create(
        actor=personas.sysadmin,
        name=fields.pop("name", f"{event} → {kind_code}"),
        event=event,
        task_kind=task_kind(kind_code) if kind_code else None,
        assignee_department=fields.pop("team", personas.tech_dept),
        **fields,
    )


def upload(personas, project, kind="proposal"):
    return crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind=kind,
        title="配网改造技术方案",
        file=ContentFile(PDF, name="proposal.pdf"),
    )


def test_customer_feedback_on_a_proposal_creates_one_revision_task(
    personas, project, django_capture_on_commit_callbacks
):
    revision = rule(
        personas,
        TriggerEvent.DOCUMENT_FEEDBACK,
        "proposal-revision",
        document_kind="proposal",
        due_days=5,
    )
    version = upload(personas, project)
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.version_record_feedback(
            actor=personas.sales_a, version=version, feedback="客户反馈：成本过高"
        )
    task = HandoffTask.objects.get()
    assert (task.rule, task.kind, task.assignee_department) == (
        revision,
        task_kind("proposal-revision"),
        personas.tech_dept,
    )
    assert task.source_ref == f"version:{version.pk}"
    assert task.due_date == timezone.localdate() + dt.timedelta(days=5)
    assert task.created_by == personas.sales_a  # who relayed the customer's words
    assert task.feedback_at is not None and task.feedback_at <= task.created_at
    assert timezone.localdate(task.feedback_at) == timezone.localdate()
    # Correcting the feedback, or the event arriving twice, changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.version_record_feedback(
            actor=personas.sales_a, version=version, feedback="客户反馈：成本过高，工期偏紧"
        )
    deliver(
        crm_events.DOCUMENT_FEEDBACK_RECORDED,
        version_id=version.pk,
        kind="proposal",
        project_id=project.pk,
    )
    assert HandoffTask.objects.count() == 1


def test_feedback_relay_time_counts_from_the_day_the_customer_said_it(
    personas, project, django_capture_on_commit_callbacks
):
    rule(personas, TriggerEvent.DOCUMENT_FEEDBACK, "proposal-revision", document_kind="proposal")
    version = upload(personas, project)
    two_days_ago = timezone.localdate() - dt.timedelta(days=2)
    type(version).objects.filter(pk=version.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(days=5)
    )
    version.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.version_record_feedback(
            actor=personas.sales_a,
            version=version,
            feedback="储能容量配置偏大",
            feedback_on=two_days_ago,
        )
    task = HandoffTask.objects.get()
    assert task.feedback_at == timezone.make_aware(dt.datetime.combine(two_days_ago, dt.time(9)))
    [row] = selectors.relay_times(HandoffTask.objects.all())
    assert row["person"] == personas.sales_a
    assert row["avg_relay"] == task.created_at - task.feedback_at > dt.timedelta(days=1)


def test_feedback_on_other_document_kinds_does_not_trigger_a_proposal_rule(
    personas, project, django_capture_on_commit_callbacks
):
    rule(personas, TriggerEvent.DOCUMENT_FEEDBACK, "proposal-revision", document_kind="proposal")
    report = upload(personas, project, kind="requirement_report")
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.version_record_feedback(
            actor=personas.sales_a, version=report, feedback="需补充"
        )
    assert not HandoffTask.objects.exists()


def test_a_customer_need_creates_one_question_task_per_follow_up(
    personas, project, django_capture_on_commit_callbacks
):
    question = rule(personas, TriggerEvent.CUSTOMER_NEED, "tech-question", due_days=3)
    with django_capture_on_commit_callbacks(execute=True):
        with_needs = factories.followup(
            personas.sales_a, project, needs=["提供同类项目案例", "出具初步报价"], days_ago=1
        )
        factories.followup(personas.sales_a, project, content="电话回访，客户无新需求。")
    task = HandoffTask.objects.get()
    assert (task.rule, task.source_ref) == (question, f"followup:{with_needs.pk}")
    assert task.feedback_at == with_needs.occurred_at
    assert task.created_by == personas.sales_a
    deliver(crm_events.CUSTOMER_NEED_RAISED, followup_id=with_needs.pk, project_id=project.pk)
    assert HandoffTask.objects.count() == 1


def test_a_customer_need_without_a_project_creates_nothing(
    personas, django_capture_on_commit_callbacks
):
    rule(personas, TriggerEvent.CUSTOMER_NEED, "tech-question")
    customer = factories.customer(personas.sales_a, name="独立客户")
    with django_capture_on_commit_callbacks(execute=True):
        crm_services.followup_create(
            actor=personas.sales_a,
            customer=customer,
            occurred_at=timezone.now() - dt.timedelta(hours=2),
            mode=Option.objects.get(kind="followup_mode", code="visit"),
            content="拜访客户",
            needs=["提供案例"],
        )
    assert not HandoffTask.objects.exists()


def approve(personas, project, node, data, checklist=None, documents=()):
    services.node_submit(
        node=node,
        user=personas.sales_a,
        data=data,
        checklist=checklist if checklist is not None else node.definition.checklist,
        documents=documents,
    )
    services.review_approve(node=node, reviewer=personas.manager_a, quality_score=Decimal("85"))


def test_an_approved_requirement_report_hands_proposal_design_over(
    personas, project, process, django_capture_on_commit_callbacks
):
    design = rule(
        personas, TriggerEvent.NODE_APPROVED, "proposal-design", node_code="requirement-report"
    )
    with django_capture_on_commit_callbacks(execute=True):
        approve(
            personas,
            project,
            current(project),
            {"key_contact": "周建国", "visit_date": timezone.localdate().isoformat()},
        )
    assert not HandoffTask.objects.exists()  # the first visit is not the report
    report = current(project)
    version = upload(personas, project, kind="requirement_report")
    with django_capture_on_commit_callbacks(execute=True):
        approve(
            personas,
            project,
            report,
            {"power_load": "12MW", "existing_equipment": "2台主变", "demand_forecast": "年增8%"},
            documents=[version],
        )
    task = HandoffTask.objects.get()
    report.refresh_from_db()
    assert task.rule == design and task.source_ref == f"node:{report.pk}:{report.revision}"
    assert task.created_by is None  # created by the rule, for the team
    assert project.name in task.title


def test_each_return_is_a_new_occasion(
    personas, project, process, django_capture_on_commit_callbacks
):
    rule(personas, TriggerEvent.NODE_RETURNED, "tech-question")
    node = current(project)
    data = {"key_contact": "周建国", "visit_date": timezone.localdate().isoformat()}
    for attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.node_submit(
                node=node, user=personas.sales_a, data=data, checklist=node.definition.checklist
            )
            services.review_return(
                node=node, reviewer=personas.manager_a, comment=f"补充 {attempt}"
            )
    assert HandoffTask.objects.count() == 2


def test_switched_off_rules_do_nothing(personas, project, django_capture_on_commit_callbacks):
    question = rule(personas, TriggerEvent.CUSTOMER_NEED, "tech-question")
    services.rule_set_active(rule=question, actor=personas.hr, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        factories.followup(personas.sales_a, project, needs=["安排技术人员现场答疑"])
    assert not HandoffTask.objects.exists()


def test_a_notify_rule_tells_the_owner_and_their_manager(
    personas, project, django_capture_on_commit_callbacks
):
    rule(
        personas,
        TriggerEvent.CUSTOMER_NEED,
        "",
        action=RuleAction.NOTIFY,
        team=None,
        notify_owner_manager=True,
        name="客户提出新需求时提醒",
    )
    with django_capture_on_commit_callbacks(execute=True):
        factories.followup(personas.sales_a, project, needs=["补充投资回收期测算"])
    assert not HandoffTask.objects.exists()
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"sales_a", "manager_a"}


def test_rule_services_check_the_actor_and_the_shape(personas):
    from django.core.exceptions import ValidationError

    for outsider in (personas.manager_a, personas.tech, personas.executive):
        with pytest.raises(ValidationError):
            services.rule_create(
                actor=outsider, name="x", event=TriggerEvent.CUSTOMER_NEED, action="notify"
            )
    with pytest.raises(ValidationError) as error:
        services.rule_create(
            actor=personas.sysadmin,
            name="缺少团队",
            event=TriggerEvent.CUSTOMER_NEED,
            task_kind=task_kind("tech-question"),
        )
    assert "assignee_department" in error.value.message_dict
    assert not AutomationRule.objects.exists()
