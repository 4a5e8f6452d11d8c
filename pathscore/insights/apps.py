from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "pathscore.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self):
        from pathscore.insights import (
            navigation,  # noqa: F401  (menu entries and home panels)
            notifications,
            options,  # noqa: F401  (the intervention kinds)
            rollups,
        )

        notifications.connect()
        rollups.connect()
