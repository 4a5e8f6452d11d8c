"""The notification channels' menu entries."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.navigation import NavItem, register_nav

register_nav(
    NavItem(
        key="webhooks",
        group="organisation",
        label=_("Webhooks"),
        url_name="webhooks:list",
        icon="bi-broadcast",
        order=95,
        roles=frozenset({Role.SYSTEM_ADMIN}),
    ),
)
