"""Core's own menu entries and home panels."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.models import SecurityEvent
from pathscore.core.navigation import HomePanel, NavItem, register_nav, register_panel


def _security_panel(*, request, scope):
    events = SecurityEvent.objects.visible_to(request.user).select_related("actor")[:10]
    return {"events": events}


register_nav(
    NavItem(key="home", label=_("Home"), url_name="home", icon="bi-house", order=0),
    NavItem(
        key="security-log",
        label=_("Security log"),
        url_name="security-log",
        icon="bi-shield-check",
        order=90,
        roles=frozenset({Role.AUDITOR}),
    ),
)
register_panel(
    HomePanel(
        key="security",
        template="core/panels/security.html",
        context=_security_panel,
        order=10,
        roles=frozenset({Role.AUDITOR}),
    )
)
