"""Delivering one message to one person through the channels: inbox, e-mail, robots.

``claim`` is the caller's idempotency guard (e.g. a unique reminder row); a channel is
used only when its claim succeeds, so a message goes out once per channel however many
workers run. A failing channel is logged and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail

from pathscore.notify import robots
from pathscore.notify.services import notify_inbox

logger = logging.getLogger(__name__)

INBOX, EMAIL, ROBOT = "inbox", "email", "robot"


def deliver(
    *,
    recipient,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "message",
    claim: Callable[[str], bool] = lambda channel: True,
    robot: tuple[str, str] | None = None,
) -> list[str]:
    """Send through every available channel that ``claim`` grants; returns those used."""
    used = []
    if claim(INBOX):
        notify_inbox(recipient=recipient, title=title, body=body, url=url, kind=kind)
        used.append(INBOX)
    if settings.PATHSCORE_EMAIL_NOTIFICATIONS and recipient.email and claim(EMAIL):
        try:
            link = f"{settings.PATHSCORE_BASE_URL}{url}" if url else ""
            send_mail(
                title, f"{body}\n\n{link}".strip(), None, [recipient.email], fail_silently=False
            )
            used.append(EMAIL)
        except Exception:  # a mail server being down must not stop the job
            logger.exception("e-mail to %s failed", recipient.pk)
    if robot is not None and claim(ROBOT):
        provider, robot_url = robot
        mention = getattr(recipient, "name", "")
        link = f"{settings.PATHSCORE_BASE_URL}{url}" if url else ""
        if robots.post(
            provider, robot_url, robots.payload(provider, f"{title}（{mention}）", body, link)
        ):
            used.append(ROBOT)
    return used
