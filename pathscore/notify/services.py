"""Sending to the in-app inbox, marking messages read, and managing webhooks."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.choices import Role
from pathscore.core.scoping import scope_for
from pathscore.core.security import record_settings_change
from pathscore.notify.models import Notification, Webhook, WebhookDelivery
from pathscore.notify.url_safety import check_url
from pathscore.notify.webhooks import PING, build_body, enqueue, event_choices


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


# --- Webhooks ------------------------------------------------------------------------------


def _require_system_admin(actor) -> None:
    if not scope_for(actor).has_role(Role.SYSTEM_ADMIN):
        raise PermissionDenied


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean_webhook(*, name: str, url: str, events: list[str], allow_private: bool) -> dict:
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the webhook a name.")
    known = {code for code, _label in event_choices()}
    events = list(dict.fromkeys(events or []))
    if not events:
        errors["events"] = _("Choose at least one event.")
    elif unknown := [event for event in events if event not in known]:
        errors["events"] = _("Unknown event: %(events)s.") % {"events": ", ".join(unknown)}
    try:
        check_url(url, allow_private=allow_private)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return {"name": name, "url": url, "events": events, "allow_private": allow_private}


def _log_webhook(webhook: Webhook, actor, action: str) -> None:
    # Where events go, and with which secret, is worth an auditor's eye.
    record_settings_change(
        actor=actor,
        setting="webhook",
        action=action,
        webhook=webhook.pk,
        url=webhook.url[:200],
        active=webhook.is_active,
        allow_private=webhook.allow_private,
    )


@transaction.atomic
def webhook_create(
    *,
    actor,
    name: str,
    url: str,
    events: list[str],
    is_active: bool = True,
    allow_private: bool = False,
) -> tuple[Webhook, str]:
    """Register a webhook; returns it with its new secret, which is shown to the admin now
    and never again (rotation issues a new one)."""
    _require_system_admin(actor)
    fields = _clean_webhook(name=name, url=url, events=events, allow_private=allow_private)
    secret = _new_secret()
    webhook = Webhook.objects.create(**fields, is_active=is_active, secret=secret, created_by=actor)
    _log_webhook(webhook, actor, "created")
    return webhook, secret


@transaction.atomic
def webhook_update(
    *,
    webhook: Webhook,
    actor,
    name: str,
    url: str,
    events: list[str],
    is_active: bool,
    allow_private: bool,
) -> Webhook:
    """Change a webhook's name, URL, events, state or allow-listing; the secret stays."""
    _require_system_admin(actor)
    fields = _clean_webhook(name=name, url=url, events=events, allow_private=allow_private)
    for field, value in {**fields, "is_active": is_active}.items():
        setattr(webhook, field, value)
    webhook.save()
    _log_webhook(webhook, actor, "changed")
    return webhook


@transaction.atomic
def webhook_deactivate(*, webhook: Webhook, actor) -> Webhook:
    """Stop sending to a webhook; its log stays and pending retries fail on their next turn."""
    _require_system_admin(actor)
    webhook.is_active = False
    webhook.save(update_fields=["is_active", "updated_at"])
    _log_webhook(webhook, actor, "deactivated")
    return webhook


@transaction.atomic
def webhook_rotate_secret(*, webhook: Webhook, actor) -> str:
    """Replace the signing secret and return the new one (shown once)."""
    _require_system_admin(actor)
    webhook.secret = _new_secret()
    # The secret is kept out of the history: the row says it was rotated, not what to.
    webhook._change_reason = _("Signing secret rotated")
    webhook.save(update_fields=["secret", "updated_at"])
    _log_webhook(webhook, actor, "secret_rotated")
    return webhook.secret


@transaction.atomic
def webhook_send_test(*, webhook: Webhook, actor) -> WebhookDelivery:
    """Queue a ``ping`` delivery to this webhook alone, whatever events it listens to."""
    _require_system_admin(actor)
    if not webhook.is_active:
        raise ValidationError({"is_active": _("Activate the webhook before sending a test.")})
    delivery_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        uuid=delivery_id,
        webhook=webhook,
        event=PING,
        payload=build_body(
            PING, {"webhook": webhook.name, "actor_id": actor.pk}, delivery_id=delivery_id
        ),
        next_attempt_at=timezone.now(),
    )
    enqueue(delivery.pk)
    return delivery


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery again now, same payload and id, with a fresh set of attempts."""
    _require_system_admin(actor)
    if not delivery.webhook.is_active:
        raise ValidationError({"is_active": _("Activate the webhook before redelivering.")})
    delivery.status = WebhookDelivery.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    enqueue(delivery.pk)
    return delivery
