"""Huey tasks of the process engine: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pathscore.process.reminders import run_reminders


@db_periodic_task(crontab(minute="*/10"))
def send_reminders():
    """Every ten minutes; idempotent, so overlapping runs on several workers are harmless."""
    return dict(run_reminders())
