"""Which domain events go out as webhooks, and turning one into deliveries.

notify knows channels, not the domain: the apps above it register their webhook events
here (``register_webhook_event`` in their ``webhooks.py``), each tied to a domain event of
``pathscore.core.events`` and a function building the payload's ``data``. When the domain
event is delivered (after commit), one :class:`WebhookDelivery` is written per active
webhook subscribed to it and handed to the job queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pathscore.core import events as domain_events
from pathscore.notify.models import Webhook, WebhookDelivery


@dataclass(frozen=True)
class WebhookEvent:
    name: str
    label: str
    #: ``build_payload(**domain_payload)`` returns the payload's ``data``, or None when
    #: this occurrence is not one for this event (a project status that is not "won").
    build_payload: Callable[..., dict | None]
    source: str
    order: int = 100


#: The test event an admin sends from a webhook's page; not offered as a subscription.
PING = "ping"

_registry: dict[str, WebhookEvent] = {}
#: The domain-event handler of each webhook event, kept so re-registering replaces it.
_handlers: dict[str, Callable[..., None]] = {}


def register_webhook_event(
    name: str, label, build_payload: Callable[..., dict | None], *, source: str, order: int = 100
) -> None:
    """Offer ``name`` to admins; it fires whenever domain event ``source`` is delivered."""
    event = WebhookEvent(name, label, build_payload, source, order)
    _registry[name] = event

    def handler(**payload):
        data = event.build_payload(**payload)
        if data is not None:
            emit(name, data)

    previous = _handlers.pop(name, None)
    if previous is not None:
        domain_events.unsubscribe(previous.source, previous)
    handler.source = source
    _handlers[name] = handler
    domain_events.subscribe(source, handler)


def webhook_events() -> list[WebhookEvent]:
    return sorted(_registry.values(), key=lambda event: (event.order, event.name))


def event_choices() -> list[tuple[str, str]]:
    return [(event.name, event.label) for event in webhook_events()]


def build_body(name: str, data: dict, *, delivery_id: uuid.UUID) -> dict:
    return {
        "event": name,
        "id": str(delivery_id),
        "occurred_at": timezone.now().isoformat(),
        "data": data,
    }


def emit(name: str, data: dict) -> list:
    """Write a delivery of event ``name`` for every active webhook subscribed to it, and
    queue each once the transaction commits."""
    deliveries = []
    for webhook in Webhook.objects.active():
        if name not in webhook.events:
            continue
        delivery_id = uuid.uuid4()
        deliveries.append(
            WebhookDelivery.objects.create(
                uuid=delivery_id,
                webhook=webhook,
                event=name,
                payload=build_body(name, data, delivery_id=delivery_id),
                next_attempt_at=timezone.now(),
            )
        )
    for delivery in deliveries:
        enqueue(delivery.pk)
    return deliveries


def enqueue(delivery_id: int) -> None:
    # Imported here: the task module registers with the queue, which only workers and
    # senders need.
    from pathscore.notify.tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver(delivery_id))
