"""Menu entries of the insights: the team dashboard, the reports and the alerts for
managers, HR and executives; and the home panels (alerts to look at, and the
salesperson's hand-offs, alerts and score)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pathscore.core.choices import Role
from pathscore.core.navigation import (
    HomePanel,
    NavGroup,
    NavItem,
    register_nav,
    register_nav_group,
    register_panel,
)
from pathscore.insights import panels
from pathscore.insights.access import DASHBOARD_ROLES, may_see_dashboard

register_nav_group(
    NavGroup(key="insights", label=_("Analysis"), icon="bi-graph-up-arrow", order=16)
)
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
    NavItem(
        key="reports",
        group="insights",
        label=pgettext_lazy("insights", "Reports"),
        url_name="insights:reports",
        icon="bi-file-earmark-bar-graph",
        order=16,
        roles=DASHBOARD_ROLES,
        when=may_see_dashboard,
    ),
)


# --- Alerts and the home page ---------------------------------------------------------------


register_nav(
    NavItem(
        key="alerts",
        group="insights",
        label=_("Alerts"),
        url_name="insights:alert-list",
        icon="bi-bell-fill",
        order=17,
        roles=DASHBOARD_ROLES,
        when=may_see_dashboard,
    ),
)

register_panel(
    HomePanel(
        key="alerts-to-look-at",
        template="insights/panels/alerts_to_look_at.html",
        context=panels.alerts_to_look_at,
        order=8,
        when=lambda scope: scope.is_manager,
    ),
    HomePanel(
        key="my-handoffs",
        template="insights/panels/my_handoffs.html",
        context=panels.my_handoffs,
        order=6,
        roles=frozenset({Role.SALESPERSON}),
    ),
    HomePanel(
        key="my-alerts",
        template="insights/panels/my_alerts.html",
        context=panels.my_alerts,
        order=7,
        roles=frozenset({Role.SALESPERSON}),
    ),
    HomePanel(
        key="my-score",
        template="insights/panels/my_score.html",
        context=panels.my_score,
        order=12,
        roles=frozenset({Role.SALESPERSON}),
    ),
)
