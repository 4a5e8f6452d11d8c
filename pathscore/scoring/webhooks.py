"""The evaluation's webhook event: a period's results published."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pathscore.notify.links import absolute
from pathscore.notify.webhooks import register_webhook_event
from pathscore.scoring import events
from pathscore.scoring.models import Period


def period_data(*, period_id: int, version=None, actor_id=None, **_payload) -> dict | None:
    period = Period.objects.filter(pk=period_id).first()
    if period is None:
        return None
    # Ids and dates only: scores are personal data (PIPL) and never leave in a webhook.
    return {
        "period": {
            "id": period.pk,
            "name": period.name,
            "state": period.state,
            "starts_on": period.starts_on.isoformat(),
            "ends_on": period.ends_on.isoformat(),
            "version": version,
            "url": absolute(reverse("scoring:period-detail", args=[period.pk])),
        },
        "actor_id": actor_id,
    }


register_webhook_event(
    "period.published",
    _("Period published"),
    period_data,
    source=events.PERIOD_PUBLISHED,
    order=30,
)
