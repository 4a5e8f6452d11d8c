"""In-app messages about nodes, sent after the change commits (domain events).

* a submission goes to the owner's manager (when the manager reviews the node);
* approval (with the score) and return (with the reason) go to the owner;
* a delay reason goes to the owner's manager at once, who decides on it.

Each message is written in the recipient's language. A failing handler is logged by
``core.events`` and never undoes the action that caused it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from pathscore.core.events import subscribe
from pathscore.notify.services import notify_inbox
from pathscore.org.selectors import manager_of
from pathscore.process import events
from pathscore.process.choices import ReviewerRole, SubmissionState
from pathscore.process.models import DelayReason, NodeInstance

KIND = "process"


def _node(node_id) -> NodeInstance:
    return NodeInstance.objects.select_related("definition", "project__owner__department").get(
        pk=node_id
    )


def _tell(recipient, *, title, body="", url="") -> None:
    if recipient is None or not recipient.is_active:
        return
    with override(recipient.language or "zh-hans"):
        notify_inbox(recipient=recipient, title=str(title()), body=str(body()), url=url, kind=KIND)


def on_node_submitted(*, node_id, actor_id=None, **_payload) -> None:
    node = _node(node_id)
    if node.definition.reviewer_role != ReviewerRole.MANAGER:
        return
    owner = node.project.owner
    manager = manager_of(owner)
    if manager is None or manager.pk == actor_id:
        return
    _tell(
        manager,
        title=lambda: (
            _("%(owner)s submitted %(node)s for review")
            % {"owner": owner.name, "node": node.definition.name}
        ),
        body=lambda: node.project.name,
        url=reverse("process:node-detail", args=[node.pk]),
    )


def on_node_approved(*, node_id, actor_id=None, **_payload) -> None:
    node = _node(node_id)
    owner = node.project.owner
    if owner.pk == actor_id:
        return
    _tell(
        owner,
        title=lambda: (
            _("%(node)s was approved: %(score)s points")
            % {"node": node.definition.name, "score": node.score}
        ),
        body=lambda: node.project.name,
        url=reverse("process:node-detail", args=[node.pk]),
    )


def on_node_returned(*, node_id, actor_id=None, **_payload) -> None:
    node = _node(node_id)
    owner = node.project.owner
    if owner.pk == actor_id:
        return
    comment = (
        node.submissions.filter(state=SubmissionState.RETURNED)
        .order_by("-number")
        .values_list("comment", flat=True)
        .first()
        or ""
    )
    _tell(
        owner,
        title=lambda: _("%(node)s was returned") % {"node": node.definition.name},
        body=lambda: f"{node.project.name} · {comment}",
        url=reverse("process:node-detail", args=[node.pk]),
    )


def on_delay_reason_given(*, reason_id, **_payload) -> None:
    reason = DelayReason.objects.select_related(
        "category", "node__definition", "project__owner__department"
    ).get(pk=reason_id)
    owner = reason.project.owner
    _tell(
        manager_of(owner),
        title=lambda: (
            _("%(owner)s explains why %(node)s is late")
            % {"owner": owner.name, "node": reason.node.definition.name}
        ),
        body=lambda: f"{reason.project.name} · {reason.category}: {reason.text}",
        url=reverse("process:node-detail", args=[reason.node_id]),
    )


def connect() -> None:
    subscribe(events.NODE_SUBMITTED, on_node_submitted)
    subscribe(events.NODE_APPROVED, on_node_approved)
    subscribe(events.NODE_RETURNED, on_node_returned)
    subscribe(events.DELAY_REASON_GIVEN, on_delay_reason_given)
