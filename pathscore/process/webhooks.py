"""The process engine's webhook events: a node submitted, approved, returned or overdue."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pathscore.notify.links import absolute
from pathscore.notify.webhooks import register_webhook_event
from pathscore.process import events
from pathscore.process.models import NodeInstance


def node_data(*, node_id: int, actor_id: int | None = None, **_payload) -> dict | None:
    node = (
        NodeInstance.objects.select_related("definition", "project__owner")
        .filter(pk=node_id)
        .first()
    )
    if node is None:
        return None
    project = node.project
    return {
        "node": {
            "id": node.pk,
            "code": node.definition.code,
            "name": node.definition.name,
            "state": node.state,
            "planned_due": node.planned_due.isoformat() if node.planned_due else None,
            "url": absolute(reverse("process:node-detail", args=[node.pk])),
        },
        "project": {
            "id": project.pk,
            "name": project.name,
            "status": project.status,
            "owner": {"id": project.owner_id, "name": project.owner.name},
            "url": absolute(project.get_absolute_url()),
        },
        "actor_id": actor_id,
    }


for name, label, source, order in (
    ("node.submitted", _("Node submitted"), events.NODE_SUBMITTED, 20),
    ("node.approved", _("Node approved"), events.NODE_APPROVED, 21),
    ("node.returned", _("Node returned"), events.NODE_RETURNED, 22),
    ("node.overdue", _("Node overdue"), events.NODE_OVERDUE, 23),
):
    register_webhook_event(name, label, node_data, source=source, order=order)
