"""Huey tasks of the notification channels: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pathscore.notify import webhook_delivery


@db_task()
def webhook_deliver(delivery_id: int):
    """One attempt at one webhook delivery; idempotent (the row is claimed first)."""
    return webhook_delivery.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def webhook_retry_due():
    """Every minute: queue the deliveries whose back-off has run out. Queuing one twice is
    harmless: only the worker that claims it sends it."""
    due = webhook_delivery.due_ids()
    for delivery_id in due:
        webhook_deliver(delivery_id)
    return len(due)
