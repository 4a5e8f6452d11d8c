"""Huey tasks of the insights: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pathscore.insights.services import alerts_detect, look_again_remind


@db_periodic_task(crontab(minute="25"))
def detect_alerts():
    """Hourly (the relay threshold is in hours); idempotent, so overlapping runs on several
    workers open each alert once."""
    return alerts_detect()


# 00:30 UTC is 08:30 in China: look-again reminders arrive at the start of the day.
@db_periodic_task(crontab(hour="0", minute="30"))
def remind_look_again():
    """Daily: one reminder per look-again date that has come (claimed per alert)."""
    return look_again_remind()
