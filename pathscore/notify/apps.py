from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "pathscore.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from pathscore.notify import navigation  # noqa: F401  (menu entries)
