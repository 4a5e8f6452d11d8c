from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pathscore.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from pathscore.core import navigation_items, signals  # noqa: F401  (registrations)
