"""Sending one webhook delivery: claim it, sign it, POST it, record the answer.

Signature scheme: ``X-Pathscore-Timestamp`` carries the Unix time of the attempt, and
``X-Pathscore-Signature`` is ``sha256=`` followed by the hex HMAC-SHA256, keyed with the
webhook's secret, of ``"<timestamp>." + raw body``. A receiver recomputes it, compares in
constant time and refuses a timestamp older than a few minutes, so a captured request
cannot be replayed later.

A delivery is claimed with a conditional UPDATE that moves its ``next_attempt_at`` a lease
into the future, so two workers never send it twice. A 2xx answer marks it sent; anything
else schedules the next attempt with exponential back-off, and the sixth failure is final.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.jobs import claim
from pathscore.notify.models import WebhookDelivery
from pathscore.notify.url_safety import Target, check_url

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
#: Wait after the 1st, 2nd, … failed attempt; the attempt after the last one is final.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: How long a claimed delivery is left alone by other workers: far above the time-out.
LEASE = dt.timedelta(minutes=10)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever DNS says now."""

    def __init__(self, target: Target, **kwargs):
        super().__init__(target.host, target.port, **kwargs)
        self._ip = target.ip

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, **kwargs):
        super().__init__(target.host, target.port, context=ssl.create_default_context(), **kwargs)
        self._ip = target.ip

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        # The certificate is still checked against the host name (SNI and verification).
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict) -> int:
    """POST once, no redirects followed; return the status code."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    finally:
        connection.close()


def deliver(delivery_id: int) -> bool | None:
    """Attempt delivery ``delivery_id`` if it is due; True sent, False not, None not ours."""
    now = timezone.now()
    won = claim(
        WebhookDelivery.objects.all(),
        delivery_id,
        where={"status": WebhookDelivery.PENDING, "next_attempt_at__lte": now},
        values={"next_attempt_at": now + LEASE, "attempts": F("attempts") + 1},
    )
    if not won:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pathscore-Webhook/1",
        "X-Pathscore-Event": delivery.event,
        "X-Pathscore-Delivery": str(delivery.uuid),
        "X-Pathscore-Timestamp": str(timestamp),
        "X-Pathscore-Signature": sign(webhook.secret, timestamp, body),
    }
    status_code, error = None, ""
    if not webhook.is_active:
        error = _("The webhook is deactivated.")
    else:
        try:
            target = check_url(webhook.url, allow_private=webhook.allow_private)
            status_code = post(target, body, headers)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except ValidationError as refusal:
            error = "; ".join(refusal.messages)
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"
    _record(delivery, status_code=status_code, error=error)
    return not error


def _record(delivery: WebhookDelivery, *, status_code: int | None, error: str) -> None:
    now = timezone.now()
    delivery.responses = [
        *delivery.responses,
        {"at": now.isoformat(), "status_code": status_code, "error": error[:300]},
    ]
    delivery.last_status_code = status_code
    delivery.last_error = error[:300]
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.SENT,
            now,
            None,
        )
    elif delivery.attempts >= MAX_ATTEMPTS or not delivery.webhook.is_active:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.FAILED, None
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        logger.warning("webhook delivery %s failed: %s", delivery.uuid, error)
    delivery.save(
        update_fields=[
            "responses",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def due_ids(now=None) -> list[int]:
    """Pending deliveries whose next attempt is due (retries, and any the queue lost)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
