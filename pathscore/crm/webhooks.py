"""The records' webhook events: a project created, won or lost."""

from django.utils.translation import gettext_lazy as _

from pathscore.crm import events
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import Project
from pathscore.notify.links import absolute
from pathscore.notify.webhooks import register_webhook_event


def project_data(project_id: int, actor_id: int | None = None) -> dict | None:
    project = Project.objects.select_related("customer", "owner").filter(pk=project_id).first()
    if project is None:
        return None
    return {
        "project": {
            "id": project.pk,
            "name": project.name,
            "status": project.status,
            "customer": {"id": project.customer_id, "name": project.customer.name},
            "owner": {"id": project.owner_id, "name": project.owner.name},
            "estimated_amount": (
                str(project.estimated_amount) if project.estimated_amount is not None else None
            ),
            "signed_amount": (
                str(project.signed_amount) if project.signed_amount is not None else None
            ),
            "url": absolute(project.get_absolute_url()),
        },
        "actor_id": actor_id,
    }


def _created(*, project_id, actor_id=None, **_payload):
    return project_data(project_id, actor_id)


def _status_became(status: str):
    def build(*, project_id, status: str = "", actor_id=None, **_payload):
        return project_data(project_id, actor_id) if status == wanted else None

    wanted = str(status)
    return build


register_webhook_event(
    "project.created", _("Project created"), _created, source=events.PROJECT_CREATED, order=10
)
register_webhook_event(
    "project.won",
    _("Project won"),
    _status_became(ProjectStatus.WON),
    source=events.PROJECT_STATUS_CHANGED,
    order=11,
)
register_webhook_event(
    "project.lost",
    _("Project lost"),
    _status_became(ProjectStatus.LOST),
    source=events.PROJECT_STATUS_CHANGED,
    order=12,
)
