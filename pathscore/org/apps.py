from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "pathscore.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from pathscore.org import navigation  # noqa: F401  (registers menu and panels)
