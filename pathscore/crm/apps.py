from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "pathscore.crm"
    label = "crm"
    verbose_name = _("Records")

    def ready(self):
        from pathscore.crm import navigation, options, permissions, webhooks  # noqa: F401

        permissions.register()
