"""The reminder job: due-soon, overdue, escalation, missing delay reasons, stalls and
hand-off task deadlines.

Each reminder claims a ``ReminderLog`` row (unique per subject, kind, channel, occasion
and recipient) before it goes out, so running the job twice, or on two workers at once,
sends nothing twice. The occasion includes the due date, so a moved deadline is reminded
afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pathscore.core.choices import Role
from pathscore.core.events import publish
from pathscore.notify.delivery import deliver
from pathscore.org.models import DepartmentRobot, User
from pathscore.org.selectors import manager_of
from pathscore.process import events
from pathscore.process.choices import OPEN_STATES, DelayDecision, ReminderKind, TaskState
from pathscore.process.models import HandoffTask, NodeInstance, ProjectProcess, ReminderLog

logger = logging.getLogger(__name__)

#: The reminder log's channel for a domain event published by the job.
EVENT_CHANNEL = "event"
_NOBODY = SimpleNamespace(pk=0)


def _claimer(subject: str, kind: str, occasion: str, recipient) -> callable:
    def claim(channel: str) -> bool:
        try:
            with transaction.atomic():
                ReminderLog.objects.create(
                    subject=subject,
                    kind=kind,
                    channel=channel,
                    occasion=occasion,
                    recipient_id=recipient.pk,
                )
            return True
        except IntegrityError:
            return False

    return claim


def _robot_for(user: User):
    if not user.department_id:
        return None
    ancestors = user.department.ancestor_ids()
    robot = (
        DepartmentRobot.objects.filter(department_id__in=ancestors, is_active=True)
        .order_by("-department__depth")
        .first()
    )
    return (robot.provider, robot.url) if robot else None


def _send(counter: Counter, *, recipient, subject, kind, occasion, title, body, url) -> None:
    if recipient is None or not recipient.is_active:
        return
    with override(recipient.language or "zh-hans"):
        used = deliver(
            recipient=recipient,
            title=str(title()),
            body=str(body()),
            url=url,
            kind=kind,
            claim=_claimer(subject, kind, occasion, recipient),
            robot=_robot_for(recipient),
        )
    for channel in used:
        counter[f"{kind}:{channel}"] += 1


def _open_nodes():
    return NodeInstance.objects.filter(
        state__in=OPEN_STATES, planned_due__isnull=False
    ).select_related("definition", "project__owner__department")


def _publish_overdue(node) -> None:
    """Tell the apps above (webhooks) once per node and due date that it is overdue; the
    reminder log row, without a recipient, is the once-only claim."""
    occasion = node.planned_due.isoformat()
    if _claimer(f"node:{node.pk}", ReminderKind.OVERDUE, occasion, _NOBODY)(EVENT_CHANNEL):
        publish(
            events.NODE_OVERDUE,
            node_id=node.pk,
            project_id=node.project_id,
            code=node.definition.code,
            planned_due=occasion,
        )


def remind_nodes(today: dt.date, counter: Counter) -> None:
    for node in _open_nodes().filter(
        planned_due__gte=today, planned_due__lte=today + dt.timedelta(days=7)
    ):
        days_left = (node.planned_due - today).days
        if days_left not in (node.definition.reminder_days or []):
            continue
        project, owner = node.project, node.project.owner
        _send(
            counter,
            recipient=owner,
            subject=f"node:{node.pk}",
            kind=ReminderKind.DUE_SOON,
            occasion=f"{node.planned_due.isoformat()}:{days_left}",
            title=lambda node=node, days_left=days_left: (
                _("%(node)s is due in %(days)d day(s)")
                % {"node": node.definition.name, "days": days_left}
            ),
            body=lambda node=node: (
                _("Project %(project)s · due %(due)s")
                % {"project": node.project.name, "due": node.planned_due.isoformat()}
            ),
            url=project.get_absolute_url(),
        )
    for node in _open_nodes().filter(planned_due__lt=today).prefetch_related("delay_reasons"):
        project, owner = node.project, node.project.owner
        _publish_overdue(node)
        days_late = (today - node.planned_due).days
        reasons = list(node.delay_reasons.all())
        has_reason = bool(reasons)
        _send(
            counter,
            recipient=owner,
            subject=f"node:{node.pk}",
            kind=ReminderKind.OVERDUE,
            occasion=node.planned_due.isoformat(),
            title=lambda node=node: (
                _("%(node)s is overdue: please give the delay reason")
                % {"node": node.definition.name}
            ),
            body=lambda node=node: (
                _("Project %(project)s · was due %(due)s")
                % {"project": node.project.name, "due": node.planned_due.isoformat()}
            ),
            url=project.get_absolute_url(),
        )
        if days_late >= node.definition.escalate_after_days:
            manager = manager_of(owner)
            pending = next((r for r in reasons if r.decision == DelayDecision.PENDING), None)
            _send(
                counter,
                recipient=manager,
                subject=f"node:{node.pk}",
                kind=ReminderKind.ESCALATION,
                occasion=node.planned_due.isoformat(),
                title=lambda node=node, owner=owner, days_late=days_late: (
                    _("%(owner)s's %(node)s is %(days)d day(s) overdue")
                    % {"owner": owner.name, "node": node.definition.name, "days": days_late}
                ),
                body=lambda pending=pending, has_reason=has_reason, node=node: (
                    (
                        _("Reason given: %(reason)s") % {"reason": pending.text}
                        if pending
                        else (
                            _("A reason was given.")
                            if has_reason
                            else _("No delay reason has been given.")
                        )
                    )
                    + " · "
                    + node.project.name
                ),
                url=project.get_absolute_url(),
            )


def remind_stalls(today: dt.date, counter: Counter) -> None:
    """Tell the owner and the manager once per stall: the current node has lasted longer
    than its own threshold, or than 75% of past projects of the same customer type there."""
    from pathscore.process.stalls import LEARNED_THRESHOLD, stalled_processes

    processes = stalled_processes(ProjectProcess.objects.all(), today).select_related(
        "current_node__definition", "project__owner__department"
    )
    for process in processes:
        node = process.current_node
        age = (today - process.current_since).days
        owner = process.project.owner
        for recipient in (owner, manager_of(owner)):
            _send(
                counter,
                recipient=recipient,
                subject=f"project:{process.project_id}",
                kind=ReminderKind.STALLED,
                occasion=f"{node.pk}:{process.current_since.isoformat()}",
                title=lambda process=process, node=node, age=age: (
                    _("%(project)s has been at %(node)s for %(days)d days")
                    % {"project": process.project.name, "node": node.definition.name, "days": age}
                ),
                body=lambda process=process, node=node: (
                    _(
                        "75%% of past projects of this customer type finished this node within "
                        "%(days)d days (%(samples)d projects)."
                    )
                    % {"days": process.learned_days, "samples": process.learned_samples}
                    if process.stall_reason == LEARNED_THRESHOLD
                    else _("The threshold for this node is %(days)d days.")
                    % {"days": node.definition.stall_days}
                ),
                url=process.project.get_absolute_url(),
            )


def remind_tasks(today: dt.date, counter: Counter) -> None:
    tasks = (
        HandoffTask.objects.exclude(state=TaskState.DONE)
        .filter(due_date__lte=today + dt.timedelta(days=1))
        .select_related("assignee", "assignee_department", "project")
    )
    for task in tasks:
        kind = ReminderKind.TASK_OVERDUE if task.due_date < today else ReminderKind.TASK_DUE
        if task.assignee is not None:
            recipients = [task.assignee]
        else:
            recipients = list(
                User.objects.filter(
                    department=task.assignee_department,
                    is_active=True,
                    role_grants__role=Role.TECHNICAL_SUPPORT,
                )
            ) or [task.assignee_department.head]
        for recipient in recipients:
            _send(
                counter,
                recipient=recipient,
                subject=f"task:{task.pk}",
                kind=kind,
                occasion=task.due_date.isoformat(),
                title=lambda task=task, kind=kind: (
                    (
                        _("Task overdue: %(title)s")
                        if kind == ReminderKind.TASK_OVERDUE
                        else _("Task due: %(title)s")
                    )
                    % {"title": task.title}
                ),
                body=lambda task=task: (
                    _("Project %(project)s · due %(due)s")
                    % {"project": task.project.name, "due": task.due_date.isoformat()}
                ),
                url=task.project.get_absolute_url(),
            )


def run_reminders(today: dt.date | None = None) -> Counter:
    """Send every reminder that is due today and not yet sent. Safe to run at any time."""
    today = today or timezone.localdate()
    counter: Counter = Counter()
    for step in (remind_nodes, remind_stalls, remind_tasks):
        try:
            step(today, counter)
        except Exception:
            logger.exception("reminder step %s failed", step.__name__)
    return counter
