"""``pathscore manage refresh_live_scores``: store the live scores the dashboard ranks by."""

import time

from django.core.management.base import BaseCommand, CommandError

from pathscore.scoring import services
from pathscore.scoring.choices import PeriodState
from pathscore.scoring.models import Period


class Command(BaseCommand):
    help = (
        "Store everyone's live score in the current open appraisal period, which the "
        "dashboard ranks (what the scheduled job does every ten minutes); with --period, "
        "in that open period."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=int, help="the id of one open period")

    def handle(self, *args, period=None, **options):
        started = time.perf_counter()
        if period is None:
            written = services.live_scores_refresh_current()
        else:
            found = Period.objects.filter(pk=period, state=PeriodState.OPEN).first()
            if found is None:
                raise CommandError(f"No open period has the id {period}.")
            written = {found.pk: services.live_scores_refresh(found)}
        elapsed = time.perf_counter() - started
        for period_id, rows in written.items():
            self.stdout.write(f"period {period_id}: {rows} scores stored")
        self.stdout.write(f"done in {elapsed:.1f} s")
