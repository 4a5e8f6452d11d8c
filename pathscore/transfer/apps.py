from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransferConfig(AppConfig):
    name = "pathscore.transfer"
    label = "transfer"
    verbose_name = _("Data import")

    def ready(self):
        from pathscore.transfer import navigation  # noqa: F401  (registers the menu entry)
