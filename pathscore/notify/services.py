"""Sending to the in-app inbox, and marking messages read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from pathscore.notify.models import Notification


def notify_inbox(*, recipient, title: str, body: str = "", url: str = "", kind: str = "message"):
    """Put one message in a person's inbox."""
    return Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, url=url[:300], kind=kind
    )


@transaction.atomic
def mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread message of ``user`` as read."""
    queryset = Notification.objects.visible_to(user).unread()
    if notification_id is not None:
        queryset = queryset.filter(pk=notification_id)
    return queryset.update(read_at=timezone.now())
