from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "pathscore.crm"
    label = "crm"
    verbose_name = _("Records")

    def ready(self):
        from pathscore.core.events import subscribe_in_transaction
        from pathscore.crm import joint, navigation, options, permissions, webhooks  # noqa: F401
        from pathscore.org import events as org_events

        permissions.register()
        # Who took part with technical support follows the people's roles (crm.joint).
        subscribe_in_transaction(org_events.ROLES_CHANGED, joint.on_roles_changed)
