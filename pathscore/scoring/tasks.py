"""Huey tasks of the evaluation: thin wrappers named after the services they call."""

from django.core.exceptions import ValidationError
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from pathscore.scoring import services
from pathscore.scoring.choices import PeriodState
from pathscore.scoring.models import Period


@db_periodic_task(crontab(minute=f"*/{services.LIVE_REFRESH_MINUTES}"))
def refresh_live_scores():
    """Every ten minutes: store the live score of everyone in the current open period, for
    the dashboard's ranking. Idempotent (an upsert per person), so a late or second run is
    harmless."""
    return services.live_scores_refresh_current()


@db_task()
def refresh_period_live_scores(period_id: int):
    """One period's stored scores, queued by the dashboard when it found none or stale
    ones. Idempotent; nothing to do once the period is closed."""
    period = Period.objects.filter(pk=period_id, state=PeriodState.OPEN).first()
    if period is None:
        return 0
    try:
        return services.live_scores_refresh(period)
    except ValidationError as error:
        # A scorecard naming an indicator the catalogue lacks: the score pages explain it.
        services.log.warning("live scores of period %s not refreshed: %s", period_id, error)
        return 0
