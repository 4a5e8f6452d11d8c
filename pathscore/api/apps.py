from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API: no models of its own, the API-wide rules of reading input."""

    name = "pathscore.api"
    label = "api"
    verbose_name = _("API")

    def ready(self):
        from pathscore.api import strict

        strict.install()
