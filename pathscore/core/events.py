"""Domain events: how a lower app tells a higher one that something happened.

A lower app (say crm) calls :func:`publish` inside its service's transaction; the event is
delivered to subscribers only after the transaction commits, so a rolled-back write never
triggers work above it. Higher apps subscribe in ``AppConfig.ready``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)
_in_transaction: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def subscribe_in_transaction(event: str, handler: Handler) -> None:
    """Call ``handler`` when ``event`` is published, inside the publishing transaction."""
    if handler not in _in_transaction[event]:
        _in_transaction[event].append(handler)


def unsubscribe(event: str, handler: Handler) -> None:
    if handler in _handlers[event]:
        _handlers[event].remove(handler)


def deliver(event: str, **payload) -> None:
    """Call every handler now. A failing handler is logged and does not stop the others."""
    for handler in list(_handlers[event]):
        try:
            handler(**payload)
        except Exception:
            logger.exception("handler %r failed for event %s", handler, event)


def publish(event: str, **payload) -> None:
    """Deliver ``event`` to its in-transaction subscribers now, and to the others once the
    current transaction commits."""
    for handler in list(_in_transaction[event]):
        handler(**payload)
    transaction.on_commit(lambda: deliver(event, **payload))
