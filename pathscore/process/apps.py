from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessConfig(AppConfig):
    name = "pathscore.process"
    label = "process"
    verbose_name = _("Process")

    def ready(self):
        from pathscore.process import (  # noqa: F401  (registrations)
            automation,
            bundled,
            credit,
            navigation,
            notifications,
            permissions,
            scoping,
            webhooks,
        )

        automation.connect()
        credit.connect()
        notifications.connect()
        permissions.register()
        scoping.connect()
