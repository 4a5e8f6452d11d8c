"""Reactions to domain events: start a project's process, run automation rules.

The records app publishes events after its transactions commit; these handlers run then,
each in its own transaction, and every one is idempotent (a rule answers a source once).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.events import subscribe
from pathscore.crm import events as crm_events
from pathscore.crm.models import DocumentVersion, FollowUp, Project
from pathscore.notify.services import notify_inbox
from pathscore.org.selectors import manager_of
from pathscore.process import events, services
from pathscore.process.choices import RuleAction, TriggerEvent
from pathscore.process.models import AutomationRule, NodeInstance

logger = logging.getLogger(__name__)


def _rules(event: str, *, node_code: str = "", document_kind: str = ""):
    rules = AutomationRule.objects.filter(is_active=True, event=event).select_related(
        "task_kind", "assignee_department", "assignee"
    )
    for rule in rules:
        if rule.node_code and rule.node_code != node_code:
            continue
        if rule.document_kind and rule.document_kind != document_kind:
            continue
        yield rule


def _apply(
    rule: AutomationRule,
    *,
    project: Project,
    source_ref: str,
    title: str,
    feedback_at=None,
    relayed_by=None,
    detail: str = "",
) -> None:
    if rule.action == RuleAction.CREATE_TASK and rule.task_kind and rule.assignee_department:
        services.task_create(
            project=project,
            # Whoever passed the customer's words on: their relay time is measured.
            created_by=relayed_by,
            kind=rule.task_kind,
            title=title,
            assignee_department=rule.assignee_department,
            assignee=rule.assignee,
            due_date=timezone.localdate() + dt.timedelta(days=rule.due_days),
            rule=rule,
            source_event=rule.event,
            source_ref=source_ref,
            feedback_at=feedback_at,
            # What the customer said travels with the task: the team starts from it.
            description="\n".join(
                part
                for part in (detail, _("Created by the rule “%(rule)s”.") % {"rule": rule.name})
                if part
            ),
        )
    if rule.action == RuleAction.NOTIFY or rule.notify_owner_manager:
        recipients = [manager_of(project.owner)] if rule.notify_owner_manager else []
        if rule.action == RuleAction.NOTIFY:
            recipients += [rule.assignee or project.owner]
        for recipient in {r for r in recipients if r is not None}:
            notify_inbox(
                recipient=recipient, title=title, url=project.get_absolute_url(), kind="automation"
            )


@transaction.atomic
def on_project_created(*, project_id, **_payload):
    project = Project.objects.select_related("customer", "owner").get(pk=project_id)
    services.process_start(project=project)


def _on_node_event(event: str):
    @transaction.atomic
    def handler(*, node_id, **_payload):
        node = NodeInstance.objects.select_related("definition", "project__owner__department").get(
            pk=node_id
        )
        for rule in _rules(event, node_code=node.definition.code):
            _apply(
                rule,
                project=node.project,
                source_ref=f"node:{node.pk}:{node.revision}",
                title=f"{rule.task_kind or rule.name}：{node.project.name}",
            )

    return handler


@transaction.atomic
def on_document_feedback(*, version_id, kind, **_payload):
    version = DocumentVersion.objects.select_related(
        "document__project__owner__department", "feedback_recorded_by"
    ).get(pk=version_id)
    feedback_at = (
        # The feedback date has no time: count from the start of that working day, but
        # never from later than now (feedback recorded early on the day it was given).
        min(
            timezone.make_aware(dt.datetime.combine(version.feedback_on, dt.time(9))),
            timezone.now(),
        )
        if version.feedback_on
        else None
    )
    for rule in _rules(TriggerEvent.DOCUMENT_FEEDBACK, document_kind=kind):
        _apply(
            rule,
            project=version.document.project,
            source_ref=f"version:{version.pk}",
            title=f"{rule.task_kind or rule.name}：{version.document.title} {version.label}",
            feedback_at=feedback_at,
            relayed_by=version.feedback_recorded_by,
            detail=_("Customer feedback on %(version)s: %(feedback)s")
            % {"version": version.label, "feedback": version.customer_feedback},
        )


@transaction.atomic
def on_customer_need(*, followup_id, project_id, **_payload):
    if project_id is None:
        return
    followup = FollowUp.objects.select_related("project__owner__department", "author").get(
        pk=followup_id
    )
    for rule in _rules(TriggerEvent.CUSTOMER_NEED):
        _apply(
            rule,
            project=followup.project,
            source_ref=f"followup:{followup.pk}",
            title=f"{rule.task_kind or rule.name}：{followup.project.name}",
            feedback_at=followup.occurred_at,
            relayed_by=followup.author,
            detail=_("Customer needs: %(needs)s")
            % {"needs": "；".join(need.text for need in followup.needs.all())},
        )


def connect() -> None:
    subscribe(crm_events.PROJECT_CREATED, on_project_created)
    subscribe(events.NODE_SUBMITTED, _node_submitted)
    subscribe(events.NODE_APPROVED, _node_approved)
    subscribe(events.NODE_RETURNED, _node_returned)
    subscribe(crm_events.DOCUMENT_FEEDBACK_RECORDED, on_document_feedback)
    subscribe(crm_events.CUSTOMER_NEED_RAISED, on_customer_need)


_node_submitted = _on_node_event(TriggerEvent.NODE_SUBMITTED)
_node_approved = _on_node_event(TriggerEvent.NODE_APPROVED)
_node_returned = _on_node_event(TriggerEvent.NODE_RETURNED)
