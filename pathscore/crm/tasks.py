"""Huey tasks of the CRM: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# 19:00 UTC is 03:00 in China, after the process engine's nightly checks.
@db_periodic_task(crontab(hour="19", minute="0"))
def followup_chain_repair():
    """Daily: find follow-ups whose stored previous follow-up time drifted from their chain
    and recompute those chains. Idempotent (a second run finds nothing to change)."""
    from pathscore.crm.chain import chain_repair

    return chain_repair()
