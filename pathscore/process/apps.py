from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessConfig(AppConfig):
    name = "pathscore.process"
    label = "process"
    verbose_name = _("Process")

    def ready(self):
        from pathscore.process import automation, bundled, navigation, scoping  # noqa: F401

        automation.connect()
        scoping.connect()
