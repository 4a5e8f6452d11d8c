"""``pathscore manage rebuild_rollups``: recompute the dashboard's rollups from the raw rows."""

import time

from django.core.management.base import BaseCommand

from pathscore.insights.rollups import rollup_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every rollup row (active projects by owner, current node, customer type "
        "and category; follow-ups by author and local day) from the raw rows, as the "
        "nightly job does. Idempotent."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        rows = rollup_rebuild()
        self.stdout.write(f"{rows} rollup rows written in {time.perf_counter() - started:.1f} s")
