"""Names of the domain events the evaluation publishes (see ``pathscore.core.events``).

Payloads carry ids only: ``period_id`` (and ``version``) for period events, ``appeal_id``
for appeal events, and ``actor_id`` for whoever acted.
"""

PERIOD_CLOSED = "scoring.period_closed"
PERIOD_PUBLISHED = "scoring.period_published"
APPEAL_SUBMITTED = "scoring.appeal_submitted"
APPEAL_RESOLVED = "scoring.appeal_resolved"
