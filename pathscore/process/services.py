"""Writes of the process engine: templates, starting a project's process, submitting and
reviewing nodes, skipping, delays and their reasons, hand-off tasks.

State changes claim their row with a conditional UPDATE on (state, revision): when two
reviewers act on one submission at once, exactly one UPDATE changes a row and the other
gets a clear conflict, on SQLite (where ``select_for_update`` does nothing) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from pathscore.core.choices import Role
from pathscore.core.events import publish
from pathscore.core.history import acting_user, record_change
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for
from pathscore.core.security import record_settings_change
from pathscore.crm.models import DocumentVersion, Project
from pathscore.org.models import User
from pathscore.process import events, rules
from pathscore.process.bundled import TASK_KIND
from pathscore.process.choices import (
    WAIVABLE,
    DeductionKind,
    DelayDecision,
    DueRule,
    NodeState,
    ReviewerRole,
    RuleAction,
    SubmissionState,
    TaskState,
    TriggerEvent,
    VersionStatus,
)
from pathscore.process.models import (
    AutomationRule,
    DelayCategory,
    DelayReason,
    HandoffTask,
    NodeDefinition,
    NodeInstance,
    ProcessTemplate,
    ProjectProcess,
    Submission,
    TemplateVersion,
)
from pathscore.process.standards import check_standard, validate_schema


class Conflict(ValidationError):
    """The node is not in the state the action needs (HTTP 409 on the API)."""

    def __init__(self, node: NodeInstance, action: str):
        node.refresh_from_db(fields=["state", "revision"])
        super().__init__(
            _("Cannot %(action)s: the node is now “%(state)s”.")
            % {"action": action, "state": node.get_state_display()},
            code="conflict",
        )
        self.current_state = node.state


def _today() -> dt.date:
    return timezone.localdate()


# --- Templates -----------------------------------------------------------------------------

NODE_FIELDS = (
    "code",
    "name",
    "guidance",
    "fields",
    "checklist",
    "required_document_kinds",
    "deliverable_templates",
    "due_rule",
    "due_days",
    "due_date",
    "base_score",
    "reviewer_role",
    "deduction_kind",
    "deduction_per_day",
    "deduction_cap",
    "deduction_bands",
    "stall_days",
    "reminder_days",
    "escalate_after_days",
)


def _node_problems(node: dict) -> list[str]:
    problems = validate_schema(node.get("fields") or [])
    if node.get("due_rule") == DueRule.FIXED_DATE and not node.get("due_date"):
        problems.append(
            _("Node %(name)s: a fixed due rule needs a date.") % {"name": node.get("name")}
        )
    if node.get("deduction_kind") == DeductionKind.BANDS:
        try:
            _delay_rule_from(node)
        except (ValueError, TypeError, KeyError):
            problems.append(
                _("Node %(name)s: the deduction bands are not valid.") % {"name": node.get("name")}
            )
    return problems


@transaction.atomic
def template_create(
    *,
    code: str,
    name: str,
    description: str = "",
    nodes: Iterable[dict] = (),
    publish_now=False,
    actor=None,
) -> TemplateVersion:
    """Create a template with a first version holding ``nodes`` (dicts of NODE_FIELDS)."""
    template = ProcessTemplate(code=code, name=name, description=description)
    template.full_clean()
    template.save()
    version = TemplateVersion.objects.create(template=template, number=1)
    for order, node in enumerate(nodes, start=1):
        node_add(version=version, order=order, **node)
    if publish_now:
        version_publish(version=version, actor=actor)
    return version


def _require_draft(version: TemplateVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be edited; create a new draft first."))


@transaction.atomic
def node_add(*, version: TemplateVersion, order: int | None = None, **node) -> NodeDefinition:
    """Add a node to a draft version (at the end unless ``order`` is given)."""
    _require_draft(version)
    problems = _node_problems(node)
    if problems:
        raise ValidationError(problems)
    if order is None:
        order = (version.nodes.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    else:
        # Make room by shifting later nodes down, highest first to keep orders unique;
        # each shifted node is saved, so its history keeps the move.
        for later in version.nodes.filter(order__gte=order).order_by("-order"):
            later.order += 1
            later.save(update_fields=["order"])
    definition = NodeDefinition(
        version=version, order=order, **{k: v for k, v in node.items() if k in NODE_FIELDS}
    )
    definition.full_clean()
    definition.save()
    return definition


@transaction.atomic
def node_update(*, definition: NodeDefinition, **changes) -> NodeDefinition:
    _require_draft(definition.version)
    merged = {name: getattr(definition, name) for name in NODE_FIELDS} | changes
    problems = _node_problems(merged)
    if problems:
        raise ValidationError(problems)
    for name, value in changes.items():
        if name in NODE_FIELDS:
            setattr(definition, name, value)
    definition.full_clean()
    definition.save()
    return definition


@transaction.atomic
def node_remove(*, definition: NodeDefinition) -> None:
    version = definition.version
    _require_draft(version)
    definition.delete()
    _renumber(version)


@transaction.atomic
def node_move(*, definition: NodeDefinition, direction: int) -> None:
    """Move a node one place up (-1) or down (+1) in its draft version."""
    version = definition.version
    _require_draft(version)
    nodes = list(version.nodes.order_by("order"))
    index = nodes.index(definition)
    target = index + direction
    if not 0 <= target < len(nodes):
        return
    nodes[index], nodes[target] = nodes[target], nodes[index]
    _renumber(version, nodes)


def _renumber(version, nodes=None):
    nodes = nodes if nodes is not None else list(version.nodes.order_by("order"))
    # Two passes keep the (version, order) constraint satisfied throughout. The passes are
    # UPDATEs, which write no history; each node whose place changed then gets its one row.
    offset = 10_000
    moved = [node for position, node in enumerate(nodes, start=1) if node.order != position]
    for node in moved:
        NodeDefinition.objects.filter(pk=node.pk).update(order=F("order") + offset)
    for position, node in enumerate(nodes, start=1):
        if node.order != position:
            NodeDefinition.objects.filter(pk=node.pk).update(order=position)
    for node in moved:
        record_change(node)


@transaction.atomic
def version_new_draft(*, template: ProcessTemplate) -> TemplateVersion:
    """A new draft copying the published (or latest) version's nodes."""
    if template.versions.filter(status=VersionStatus.DRAFT).exists():
        return template.versions.get(status=VersionStatus.DRAFT)
    source = (
        template.versions.filter(status=VersionStatus.PUBLISHED).first()
        or template.versions.first()
    )
    number = (
        template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    draft = TemplateVersion.objects.create(template=template, number=number)
    if source is not None:
        # One history row per copied node, credited to whoever asked for the draft.
        bulk_create_with_history(
            [
                NodeDefinition(
                    version=draft,
                    order=node.order,
                    **{name: getattr(node, name) for name in NODE_FIELDS},
                )
                for node in source.nodes.all()
            ],
            NodeDefinition,
            default_user=acting_user(),
        )
    return draft


@transaction.atomic
def version_publish(
    *, version: TemplateVersion, actor: User | None = None, note: str = ""
) -> TemplateVersion:
    """Publish a draft; the previously published version is retired. Running projects keep
    their version until a manager migrates them."""
    _require_draft(version)
    if not version.nodes.exists():
        raise ValidationError(_("A version needs at least one node before it can be published."))
    retired = list(
        TemplateVersion.objects.filter(template=version.template, status=VersionStatus.PUBLISHED)
    )
    TemplateVersion.objects.filter(pk__in=[old.pk for old in retired]).update(
        status=VersionStatus.RETIRED
    )
    for old in retired:
        record_change(old)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.note = note or version.note
    version.save()
    if actor is not None:
        record_settings_change(
            actor=actor,
            setting="process_template",
            action="published",
            template=version.template.code,
            version=version.number,
        )
    return version


def template_for(project: Project) -> TemplateVersion | None:
    """The published version of the most specific active template matching the project."""
    best, best_rank = None, -1
    candidates = ProcessTemplate.objects.filter(
        is_active=True, versions__status=VersionStatus.PUBLISHED
    ).prefetch_related("customer_types", "categories")
    for template in candidates:
        types = {o.pk for o in template.customer_types.all()}
        categories = {o.pk for o in template.categories.all()}
        if types and project.customer.customer_type_id not in types:
            continue
        if categories and project.category_id not in categories:
            continue
        rank = bool(types) + bool(categories)
        if rank > best_rank:
            best, best_rank = template, rank
    if best is None:
        return None
    return best.versions.get(status=VersionStatus.PUBLISHED)


# --- A project's process -------------------------------------------------------------------


def _due_for(
    definition: NodeDefinition, *, project: Project, previous_done: dt.date | None
) -> dt.date | None:
    if definition.due_rule == DueRule.FIXED_DATE:
        return definition.due_date
    if definition.due_rule == DueRule.AFTER_START:
        return project.started_on + dt.timedelta(days=definition.due_days)
    anchor = previous_done or project.started_on
    return anchor + dt.timedelta(days=definition.due_days)


@transaction.atomic
def process_start(
    *, project: Project, version: TemplateVersion | None = None, today: dt.date | None = None
) -> ProjectProcess | None:
    """Give a project its node instances and make the first node current (idempotent)."""
    existing = ProjectProcess.objects.filter(project=project).first()
    if existing is not None:
        return existing
    version = version or template_for(project)
    if version is None:
        return None
    definitions = list(version.nodes.order_by("order"))
    # Nobody has submitted anything yet: every node counts for the owner (process.credit).
    instances = [
        NodeInstance(project=project, definition=d, order=d.order, credited_to_id=project.owner_id)
        for d in definitions
    ]
    first = min(instances, key=lambda n: n.order)
    start = project.started_on
    first.state = NodeState.IN_PROGRESS
    first.started_on = start
    first.planned_due = _due_for(first.definition, project=project, previous_done=None)
    # One "created" history row per node, the first one already in progress.
    instances = bulk_create_with_history(instances, NodeInstance)
    first = min(instances, key=lambda n: n.order)
    process = ProjectProcess.objects.create(
        project=project, version=version, current_node=first, current_since=start
    )
    publish(events.CURRENT_NODE_CHANGED, project_id=project.pk)
    return process


def _is_reviewer(node: NodeInstance, user: User) -> bool:
    scope = scope_for(user)
    role = node.definition.reviewer_role
    if role == ReviewerRole.TECHNICAL_SUPPORT:
        return scope.has_role(Role.TECHNICAL_SUPPORT)
    if role == ReviewerRole.HR_ADMIN:
        return scope.has_role(Role.HR_ADMIN)
    owner = node.project.owner
    return bool(
        owner.department_id
        and any(owner.department.path.startswith(path) for path in scope.managed_paths)
    )


def _claim(node: NodeInstance, *, states: Iterable[str], action: str, **values) -> None:
    """Move ``node`` to new values if it is still in one of ``states`` at its revision."""
    changed = NodeInstance.objects.filter(
        pk=node.pk, state__in=list(states), revision=node.revision
    ).update(revision=F("revision") + 1, **values)
    if changed != 1:
        raise Conflict(node, action)
    node.refresh_from_db()


@transaction.atomic
def node_submit(
    *,
    node: NodeInstance,
    user: User,
    data: dict | None = None,
    checklist: Iterable[str] = (),
    documents: Iterable[DocumentVersion] = (),
    note: str = "",
) -> Submission:
    """Submit a node's deliverable. An incomplete submission is refused, naming every
    missing item; nothing is saved."""
    project = node.project
    if user.pk != project.owner_id:
        raise ValidationError(_("Only the project's owner submits its nodes."))
    if node.state not in (NodeState.IN_PROGRESS, NodeState.RETURNED):
        raise Conflict(node, _("submit"))
    documents = list(documents)
    if any(v.document.project_id != project.pk for v in documents):
        raise ValidationError({"documents": _("Attach documents of this project only.")})
    kinds = {v.document.kind for v in documents}
    fields, ticked, problems = check_standard(
        node.definition, data=data or {}, checklist=list(checklist), document_kinds=kinds
    )
    if problems:
        raise ValidationError(problems, code="incomplete")
    now = timezone.now()
    _claim(
        node,
        states=(NodeState.IN_PROGRESS, NodeState.RETURNED),
        action=_("submit"),
        state=NodeState.SUBMITTED,
        submitted_at=now,
        submitted_by=user,
        credited_to=user,
    )
    number = node.submissions.count() + 1
    submission = Submission.objects.create(
        node=node,
        project=project,
        number=number,
        submitted_by=user,
        data=fields,
        checklist=ticked,
        note=note.strip(),
    )
    submission.documents.set(documents)
    record_change(node)
    publish(
        events.NODE_SUBMITTED,
        node_id=node.pk,
        project_id=project.pk,
        code=node.definition.code,
        actor_id=user.pk,
    )
    return submission


def _pending_submission(node: NodeInstance) -> Submission:
    submission = node.submissions.filter(state=SubmissionState.PENDING).order_by("-number").first()
    if submission is None:
        raise Conflict(node, _("review"))
    return submission


def _check_reviewer(node: NodeInstance, reviewer: User, submission: Submission) -> None:
    if reviewer.pk == submission.submitted_by_id:
        raise ValidationError(_("Nobody reviews their own submission."), code="own_submission")
    if not _is_reviewer(node, reviewer):
        raise ValidationError(_("You are not a reviewer of this node."))


def _delay_rule_from(definition) -> rules.DelayRule:
    get = (
        definition.get
        if isinstance(definition, dict)
        else lambda name, default=None: getattr(definition, name, default)
    )
    bands = tuple(
        (int(day), Decimal(str(points))) for day, points in (get("deduction_bands") or [])
    )
    return rules.DelayRule(
        kind=get("deduction_kind") or rules.PER_DAY,
        points_per_day=Decimal(str(get("deduction_per_day") or "0")),
        cap=Decimal(str(get("deduction_cap") or "0")),
        bands=bands,
    )


def _waived_share(node: NodeInstance) -> Decimal:
    accepted = (
        node.delay_reasons.filter(decision=DelayDecision.ACCEPTED)
        .order_by("-decided_at")
        .values_list("waived_share", flat=True)
        .first()
    )
    return accepted or Decimal("0")


def _score(node: NodeInstance) -> rules.NodeScore:
    return rules.node_score(
        base=node.definition.base_score,
        quality_score=node.quality_score,
        rule=_delay_rule_from(node.definition),
        days_late=node.days_late,
        waived_share=_waived_share(node),
    )


def _explanation(node: NodeInstance, score: rules.NodeScore) -> dict:
    return {
        "rule": "process.node_score/1",
        "inputs": {
            "base": str(node.definition.base_score),
            "quality_score": None if node.quality_score is None else str(node.quality_score),
            "planned_due": node.planned_due.isoformat() if node.planned_due else None,
            "submitted_on": timezone.localdate(node.submitted_at).isoformat()
            if node.submitted_at
            else None,
            "days_late": node.days_late,
            "deduction_rule": {
                "kind": node.definition.deduction_kind,
                "per_day": str(node.definition.deduction_per_day),
                "cap": str(node.definition.deduction_cap),
                "bands": node.definition.deduction_bands,
            },
        },
        "result": score.as_dict(),
    }


@transaction.atomic
def review_approve(
    *, node: NodeInstance, reviewer: User, quality_score: Decimal | None, comment: str = ""
) -> NodeInstance:
    """Approve the pending submission with a quality score (0–100), score the node and
    start the next one."""
    submission = _pending_submission(node)
    _check_reviewer(node, reviewer, submission)
    if quality_score is not None and not Decimal("0") <= Decimal(quality_score) <= Decimal("100"):
        raise ValidationError({"quality_score": _("The quality score lies between 0 and 100.")})
    today = _today()
    submitted_on = timezone.localdate(submission.submitted_at)
    days_late = max((submitted_on - node.planned_due).days, 0) if node.planned_due else 0
    _claim(
        node,
        states=(NodeState.SUBMITTED,),
        action=_("approve"),
        state=NodeState.APPROVED,
        completed_on=today,
        days_late=days_late,
        quality_score=quality_score,
    )
    Submission.objects.filter(pk=submission.pk).update(
        state=SubmissionState.APPROVED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        quality_score=quality_score,
        comment=comment.strip(),
    )
    _rescore(node)
    record_change(node)
    _advance(node, today)
    publish(
        events.NODE_APPROVED,
        node_id=node.pk,
        project_id=node.project_id,
        code=node.definition.code,
        actor_id=reviewer.pk,
    )
    return node


def rescore(*, node: NodeInstance) -> NodeInstance:
    """(Re)compute an approved node's score and its stored explanation (one history row
    when the score changes)."""
    before = (node.score, node.score_explanation)
    _rescore(node)
    if (node.score, node.score_explanation) != before:
        record_change(node)
    return node


def _rescore(node: NodeInstance) -> NodeInstance:
    score = _score(node)
    node.score = score.points
    node.score_explanation = _explanation(node, score)
    NodeInstance.objects.filter(pk=node.pk).update(
        score=node.score, score_explanation=node.score_explanation
    )
    return node


def _advance(node: NodeInstance, today: dt.date) -> None:
    following = (
        NodeInstance.objects.filter(
            project_id=node.project_id, order__gt=node.order, state=NodeState.NOT_STARTED
        )
        .select_related("definition", "project")
        .order_by("order")
        .first()
    )
    process = ProjectProcess.objects.get(project_id=node.project_id)
    if following is None:
        process.current_node = None
        process.completed_on = today
        process.current_since = None
    else:
        following.state = NodeState.IN_PROGRESS
        following.started_on = today
        following.planned_due = _due_for(
            following.definition, project=following.project, previous_done=today
        )
        following.revision = F("revision") + 1
        following.save()
        process.current_node = following
        process.current_since = today
    process.save()
    publish(events.CURRENT_NODE_CHANGED, project_id=node.project_id)


@transaction.atomic
def review_return(*, node: NodeInstance, reviewer: User, comment: str) -> NodeInstance:
    """Return the pending submission to its owner with a reason."""
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the submission is returned.")})
    submission = _pending_submission(node)
    _check_reviewer(node, reviewer, submission)
    _claim(node, states=(NodeState.SUBMITTED,), action=_("return"), state=NodeState.RETURNED)
    Submission.objects.filter(pk=submission.pk).update(
        state=SubmissionState.RETURNED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        comment=comment.strip(),
    )
    record_change(node)
    publish(
        events.NODE_RETURNED,
        node_id=node.pk,
        project_id=node.project_id,
        code=node.definition.code,
        actor_id=reviewer.pk,
    )
    return node


@transaction.atomic
def node_skip(*, node: NodeInstance, manager: User, reason: str) -> NodeInstance:
    """A manager skips a node that does not apply to this project, with a reason."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the node is skipped.")})
    owner = node.project.owner
    scope = scope_for(manager)
    if not (
        owner.department_id
        and any(owner.department.path.startswith(p) for p in scope.managed_paths)
    ):
        raise ValidationError(_("Only the owner's manager can skip a node."))
    states = (NodeState.NOT_STARTED, NodeState.IN_PROGRESS, NodeState.RETURNED)
    if node.state not in states:
        raise Conflict(node, _("skip"))
    was_current = node.state != NodeState.NOT_STARTED
    today = _today()
    _claim(
        node,
        states=states,
        action=_("skip"),
        state=NodeState.SKIPPED,
        skip_reason=reason.strip(),
        completed_on=today,
    )
    record_change(node)
    if was_current:
        _advance(node, today)
    return node


# --- Delays ----------------------------------------------------------------------------------


@transaction.atomic
def delay_reason_give(
    *, node: NodeInstance, user: User, category: DelayCategory, text: str
) -> DelayReason:
    """The owner explains why a node is late; the manager is told at once."""
    if user.pk != node.project.owner_id:
        raise ValidationError(_("Only the project's owner gives the delay reason."))
    if (
        not node.planned_due
        or node.planned_due >= _today()
        and node.state in (NodeState.IN_PROGRESS, NodeState.RETURNED)
    ):
        raise ValidationError(_("This node is not overdue."), code="not_overdue")
    if not category.is_active:
        raise ValidationError({"category": _("Choose an active category.")})
    if not (text or "").strip():
        raise ValidationError({"text": _("Describe the reason.")})
    reason = DelayReason.objects.create(
        node=node, project=node.project, category=category, text=text.strip(), given_by=user
    )
    publish(
        events.DELAY_REASON_GIVEN,
        reason_id=reason.pk,
        node_id=node.pk,
        project_id=node.project_id,
        actor_id=user.pk,
    )
    return reason


@transaction.atomic
def delay_reason_decide(
    *,
    reason: DelayReason,
    manager: User,
    accept: bool,
    waived_share: Decimal = Decimal("0"),
    note: str = "",
) -> DelayReason:
    """The manager accepts the reason (waiving all or part of the deduction for customer and
    external causes) or does not; the decision is kept and the node rescored."""
    owner = reason.node.project.owner
    scope = scope_for(manager)
    if not (
        owner.department_id
        and any(owner.department.path.startswith(p) for p in scope.managed_paths)
    ):
        raise ValidationError(_("Only the owner's manager decides on a delay reason."))
    waived_share = Decimal(waived_share or 0)
    if not Decimal("0") <= waived_share <= Decimal("1"):
        raise ValidationError({"waived_share": _("The waived share lies between 0 and 100%.")})
    if waived_share and (not accept or reason.category.attribution not in WAIVABLE):
        raise ValidationError(
            {
                "waived_share": _(
                    "Only an accepted customer or external reason can waive a deduction."
                )
            }
        )
    changed = DelayReason.objects.filter(pk=reason.pk, decision=DelayDecision.PENDING).update(
        decision=DelayDecision.ACCEPTED if accept else DelayDecision.REJECTED,
        waived_share=waived_share,
        decided_by=manager,
        decided_at=timezone.now(),
        decision_note=(note or "").strip(),
    )
    if changed != 1:
        raise ValidationError(_("This reason has already been decided."), code="conflict")
    record_change(reason)
    if reason.node.state == NodeState.APPROVED:
        rescore(node=reason.node)
    return reason


# --- Hand-off tasks --------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    project: Project,
    kind: Option,
    title: str,
    assignee_department,
    due_date: dt.date,
    created_by: User | None = None,
    assignee: User | None = None,
    description: str = "",
    rule=None,
    source_event: str = "",
    source_ref: str = "",
    feedback_at: dt.datetime | None = None,
) -> HandoffTask | None:
    """Hand work to another team. An automated task is created once per rule and source;
    a task created by hand comes from the project's owner or the owner's manager."""
    if rule is None and created_by is not None and not may_hand_off(project, created_by):
        raise ValidationError(_("Only the project's owner or their manager hands work off."))
    if kind.kind != TASK_KIND:
        raise ValidationError({"kind": _("Choose a hand-off task kind.")})
    if due_date < _today():
        raise ValidationError({"due_date": _("The due date cannot be in the past.")})
    if not assignee_department.is_active:
        raise ValidationError({"assignee_department": _("Choose an active team.")})
    if assignee is not None and assignee.department_id != assignee_department.pk:
        raise ValidationError({"assignee": _("The assignee must belong to the chosen team.")})
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": _("The assignee no longer works here.")})
    task = HandoffTask(
        project=project,
        kind=kind,
        title=title.strip()[:150],
        description=description,
        assignee_department=assignee_department,
        assignee=assignee,
        created_by=created_by,
        rule=rule,
        source_event=source_event,
        source_ref=source_ref,
        feedback_at=feedback_at,
        due_date=due_date,
    )
    task.full_clean(exclude=["rule"])
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        return None  # the same rule already answered this source
    publish(events.TASK_CREATED, task_id=task.pk, project_id=project.pk)
    return task


def may_hand_off(project: Project, user: User) -> bool:
    """The project's owner and the managers above the owner hand work to other teams."""
    if user.pk == project.owner_id:
        return True
    owner = project.owner
    paths = scope_for(user).managed_paths
    return bool(owner.department_id and any(owner.department.path.startswith(p) for p in paths))


def task_member(task: HandoffTask, user: User) -> bool:
    """Whether ``user`` works on ``task``: its assignee, or anyone of the assigned team."""
    return task.assignee_id == user.pk or (
        user.department_id is not None and user.department_id == task.assignee_department_id
    )


@transaction.atomic
def task_acknowledge(*, task: HandoffTask, user: User) -> HandoffTask:
    """Someone of the assigned team takes the task: the response clock stops here."""
    if not task_member(task, user):
        raise ValidationError(_("Only the assigned team can acknowledge this task."))
    changed = HandoffTask.objects.filter(pk=task.pk, state=TaskState.OPEN).update(
        state=TaskState.ACKNOWLEDGED,
        acknowledged_at=timezone.now(),
        acknowledged_by=user,
        assignee=task.assignee or user,
    )
    if changed != 1:
        task.refresh_from_db(fields=["state"])
        raise ValidationError(
            _("The task is already %(state)s.") % {"state": task.get_state_display()},
            code="conflict",
        )
    record_change(task)
    return task


@transaction.atomic
def task_complete(*, task: HandoffTask, user: User, result: str = "") -> HandoffTask:
    """Finish a task (acknowledging it on the way if nobody had)."""
    if not task_member(task, user):
        raise ValidationError(_("Only the assigned team can complete this task."))
    now = timezone.now()
    changed = (
        HandoffTask.objects.filter(pk=task.pk)
        .exclude(state=TaskState.DONE)
        .update(
            state=TaskState.DONE,
            done_at=now,
            done_by=user,
            result=(result or "").strip(),
        )
    )
    if changed != 1:
        raise ValidationError(_("The task is already done."), code="conflict")
    HandoffTask.objects.filter(pk=task.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user
    )
    HandoffTask.objects.filter(pk=task.pk, assignee__isnull=True).update(assignee=user)
    record_change(task)
    publish(events.TASK_DONE, task_id=task.pk, project_id=task.project_id)
    return task


# --- Automation rules and delay categories (administration) --------------------------------

#: Events about a node, which a rule may narrow to one node code.
NODE_EVENTS = (TriggerEvent.NODE_SUBMITTED, TriggerEvent.NODE_APPROVED, TriggerEvent.NODE_RETURNED)
RULE_FIELDS = (
    "name",
    "event",
    "node_code",
    "document_kind",
    "action",
    "task_kind",
    "assignee_department",
    "assignee",
    "due_days",
    "notify_owner_manager",
    "is_active",
)


def _require_process_admin(actor: User) -> None:
    if not scope_for(actor).manages_org:
        raise ValidationError(_("Only a system admin or an HR admin changes process settings."))


def _rule_problems(rule: AutomationRule) -> dict[str, str]:
    from pathscore.crm.choices import DocumentKind
    from pathscore.process.selectors import published_node_codes

    problems = {}
    if rule.node_code:
        if rule.event not in NODE_EVENTS:
            problems["node_code"] = _("Only node events can be narrowed to a node.")
        elif rule.node_code not in dict(published_node_codes()):
            problems["node_code"] = _(
                "No published template has a node with the code %(code)s."
            ) % {"code": rule.node_code}
    if rule.document_kind:
        if rule.event != TriggerEvent.DOCUMENT_FEEDBACK:
            problems["document_kind"] = _(
                "Only customer feedback on a document can be narrowed to a document kind."
            )
        elif rule.document_kind not in DocumentKind.values:
            problems["document_kind"] = _("Choose a document kind from the list.")
    if rule.action == RuleAction.CREATE_TASK:
        if rule.task_kind_id is None:
            problems["task_kind"] = _("A rule that creates a task needs the task kind.")
        elif rule.task_kind.kind != TASK_KIND:
            problems["task_kind"] = _("Choose a hand-off task kind.")
        if rule.assignee_department_id is None:
            problems["assignee_department"] = _(
                "A rule that creates a task needs the team it goes to."
            )
    if (
        rule.assignee_id is not None
        and rule.assignee_department_id is not None
        and rule.assignee.department_id != rule.assignee_department_id
    ):
        problems["assignee"] = _("The assignee must belong to the chosen team.")
    if rule.due_days > 365:
        problems["due_days"] = _("A task is due within a year at most.")
    return problems


def _save_rule(rule: AutomationRule, actor: User) -> AutomationRule:
    rule.name = (rule.name or "").strip()
    rule.full_clean()
    problems = _rule_problems(rule)
    if problems:
        raise ValidationError(problems)
    created = rule.pk is None
    rule._history_user = actor
    rule.save()
    record_settings_change(
        actor=actor,
        setting="automation_rule",
        action="created" if created else "changed",
        rule=rule.pk,
        name=rule.name,
        active=rule.is_active,
    )
    return rule


@transaction.atomic
def rule_create(*, actor: User, **fields) -> AutomationRule:
    """Add an automation rule ("on this event, create a task for that team, or notify")."""
    _require_process_admin(actor)
    return _save_rule(
        AutomationRule(**{k: v for k, v in fields.items() if k in RULE_FIELDS}), actor
    )


@transaction.atomic
def rule_update(*, rule: AutomationRule, actor: User, **changes) -> AutomationRule:
    """Change a rule; tasks it already created keep pointing at it."""
    _require_process_admin(actor)
    for name, value in changes.items():
        if name in RULE_FIELDS:
            setattr(rule, name, value)
    return _save_rule(rule, actor)


@transaction.atomic
def rule_set_active(*, rule: AutomationRule, actor: User, active: bool) -> AutomationRule:
    """Switch a rule off (it stops reacting to events) or on again; it is never deleted."""
    _require_process_admin(actor)
    rule.is_active = active
    rule._history_user = actor
    rule.save(update_fields=["is_active", "updated_at"])
    record_settings_change(
        actor=actor,
        setting="automation_rule",
        action="activated" if active else "deactivated",
        rule=rule.pk,
        name=rule.name,
    )
    return rule


CATEGORY_FIELDS = ("name", "name_en", "attribution", "sort_order", "is_active")


def _category_code(name_en: str) -> str:
    from django.utils.text import slugify

    base = (slugify(name_en or "") or "category")[:32].strip("-") or "category"
    code, number = base, 1
    while DelayCategory.objects.filter(code=code).exists():
        number += 1
        code = f"{base}-{number}"
    return code


def _save_category(category: DelayCategory, actor: User) -> DelayCategory:
    created = category.pk is None
    category.name = (category.name or "").strip()
    category.name_en = (category.name_en or "").strip()
    category.full_clean()
    duplicate = DelayCategory.objects.filter(name=category.name).exclude(pk=category.pk)
    if duplicate.exists():
        raise ValidationError({"name": _("A delay category with this name already exists.")})
    category.save()
    # The category decides whose fault a delay is, and so whose score pays for it.
    record_settings_change(
        actor=actor,
        setting="delay_category",
        action="created" if created else "changed",
        category=category.code,
        attribution=category.attribution,
        active=category.is_active,
    )
    return category


@transaction.atomic
def delay_category_create(*, actor: User, **fields) -> DelayCategory:
    """Add a delay category with its attribution (customer, internal, salesperson,
    external); its code is made from the English name."""
    _require_process_admin(actor)
    fields = {k: v for k, v in fields.items() if k in CATEGORY_FIELDS}
    category = DelayCategory(code=_category_code(fields.get("name_en", "")), **fields)
    return _save_category(category, actor)


@transaction.atomic
def delay_category_update(*, category: DelayCategory, actor: User, **changes) -> DelayCategory:
    """Rename, re-attribute, reorder or (de)activate a category. Reasons already given keep
    it; a deactivated category is no longer offered."""
    _require_process_admin(actor)
    for name, value in changes.items():
        if name in CATEGORY_FIELDS:
            setattr(category, name, value)
    return _save_category(category, actor)


# --- Template editor -------------------------------------------------------------------------

TEMPLATE_FIELDS = ("name", "description", "is_active")


def _require_template_admin(actor: User | None) -> None:
    if actor is not None and not scope_for(actor).manages_org:
        raise ValidationError(_("Only a system admin or an HR admin edits process templates."))


def _has_fallback_template() -> bool:
    """Whether some active, published template takes any project (no limits)."""
    return ProcessTemplate.objects.filter(
        is_active=True,
        versions__status=VersionStatus.PUBLISHED,
        customer_types__isnull=True,
        categories__isnull=True,
    ).exists()


@transaction.atomic
def template_update(
    *,
    template: ProcessTemplate,
    actor: User | None = None,
    customer_types: Iterable[Option] | None = None,
    categories: Iterable[Option] | None = None,
    **changes,
) -> ProcessTemplate:
    """Rename, describe or (de)activate a template, and limit it to customer types and
    project categories (none chosen: any). New projects get the published version of the
    most specific matching template; one active template without limits must remain, so
    every new project finds a process."""
    _require_template_admin(actor)
    had_fallback = _has_fallback_template()
    for name, value in changes.items():
        if name in TEMPLATE_FIELDS:
            setattr(template, name, value)
    template.name = (template.name or "").strip()
    template.full_clean()
    if actor is not None:
        template._history_user = actor
    template.save()
    if customer_types is not None:
        customer_types = list(customer_types)
        if any(option.kind != "customer_type" for option in customer_types):
            raise ValidationError({"customer_types": _("Choose customer types from the list.")})
        template.customer_types.set(customer_types)
    if categories is not None:
        categories = list(categories)
        if any(option.kind != "project_category" for option in categories):
            raise ValidationError({"categories": _("Choose project categories from the list.")})
        template.categories.set(categories)
    if had_fallback and not _has_fallback_template():
        raise ValidationError(
            _(
                "Keep at least one active template without limits: new projects that match no "
                "other template follow it."
            )
        )
    return template


@transaction.atomic
def version_discard(*, version: TemplateVersion, actor: User | None = None) -> None:
    """Throw a draft away (a published or retired version is kept for ever)."""
    _require_template_admin(actor)
    _require_draft(version)
    version.delete()
