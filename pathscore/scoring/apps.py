from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "pathscore.scoring"
    label = "scoring"
    verbose_name = _("Evaluation")

    def ready(self):
        from pathscore.scoring import (
            catalogue,  # noqa: F401  (registers the indicators)
            navigation,  # noqa: F401  (menu entries)
            notifications,
            permissions,
            webhooks,  # noqa: F401  (webhook events)
        )

        notifications.connect()
        permissions.register()
