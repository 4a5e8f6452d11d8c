"""Huey tasks of the CRM: thin wrappers named after what they call."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# 19:00 UTC is 03:00 in China, after the process engine's nightly checks.
@db_periodic_task(crontab(hour="19", minute="0"))
def followup_chain_repair():
    """Daily: find follow-ups whose stored facts drifted — the previous follow-up's time
    and the planned flag from their chain (crm.chain), the joint flag from the
    participants' roles (crm.joint), whether the project is active from its status
    (crm.active) — and set them right. Idempotent (a second run finds nothing to change).
    ``{"followups": chain rows changed, "joint": …, "active": flags changed}``."""
    from pathscore.crm.active import active_repair
    from pathscore.crm.chain import chain_repair
    from pathscore.crm.joint import joint_repair

    return {
        **chain_repair(),
        "joint": joint_repair()["followups"],
        "active": active_repair()["followups"],
    }
