"""Huey tasks of the insights: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pathscore.insights import figures
from pathscore.insights.rollups import rollup_rebuild
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


# 02:40 local (18:40 UTC): the quiet hours, after the day's writes.
@db_periodic_task(crontab(hour="18", minute="40"))
def rebuild_rollups():
    """Nightly: recompute every rollup row from the raw rows; idempotent, and it repairs
    any drift left by a write that bypassed the services."""
    return rollup_rebuild()


@db_periodic_task(crontab(minute=f"*/{figures.REFRESH_MINUTES}"))
def refresh_dashboard_figures():
    """Every ten minutes: the company-wide dashboard figures of every slice read in the
    last day. Idempotent (one row per slice and day, rewritten)."""
    return figures.figures_refresh()
