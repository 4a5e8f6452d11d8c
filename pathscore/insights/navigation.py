"""Menu entries of the insights: the team dashboard for managers, HR and executives."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.navigation import NavItem, register_nav
from pathscore.insights.access import DASHBOARD_ROLES, may_see_dashboard

register_nav(
    NavItem(
        key="team-dashboard",
        label=_("Team dashboard"),
        url_name="insights:dashboard",
        icon="bi-bar-chart-line",
        order=15,
        roles=DASHBOARD_ROLES,
        when=may_see_dashboard,
    ),
)
