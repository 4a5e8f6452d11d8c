"""Huey tasks of the process engine: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from pathscore.process.reminders import run_reminders


@db_periodic_task(crontab(minute="*/10"))
def send_reminders():
    """Every ten minutes; idempotent, so overlapping runs on several workers are harmless."""
    return dict(run_reminders())


# 18:40 UTC is 02:40 in China: the night, when nobody is working.
@db_periodic_task(crontab(hour="18", minute="40"))
def refresh_stall_thresholds():
    """Daily: relearn the 75th-percentile stall thresholds from approved nodes. Idempotent
    (an upsert per node code and customer type), so a second run or worker is harmless."""
    from pathscore.process.stalls import refresh_thresholds

    return refresh_thresholds()


# 18:50 UTC is 02:50 in China, after the stall thresholds.
@db_periodic_task(crontab(hour="18", minute="50"))
def credit_repair():
    """Daily: find nodes and projects whose stored credited person or signer drifted from
    the rule and set them right. Idempotent (a second run finds nothing to change)."""
    from pathscore.process.credit import credit_repair as repair

    return repair()
