"""Reads of the notification channels."""

from __future__ import annotations

from pathscore.notify.models import WebhookDelivery


def deliveries_for(*, webhook, user):
    """A webhook's delivery log, newest first."""
    return (
        WebhookDelivery.objects.visible_to(user)
        .filter(webhook=webhook)
        .order_by("-created_at", "-pk")
    )
