"""The organisation's menu entries and home-page panels."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import ORG_ADMIN_ROLES, Role
from pathscore.core.navigation import (
    HomePanel,
    NavGroup,
    NavItem,
    register_nav,
    register_nav_group,
    register_panel,
)
from pathscore.org import selectors


def _profile_panel(*, request, scope):
    return {"person": request.user}


def _team_panel(*, request, scope):
    members = list(selectors.team_members(request.user)[:50])
    return {"members": members}


def _org_panel(*, request, scope):
    return {"summary": selectors.org_summary()}


register_nav(
    NavItem(
        key="people",
        group="organisation",
        label=_("People"),
        url_name="org:user-list",
        icon="bi-people",
        order=80,
        roles=frozenset(ORG_ADMIN_ROLES | {Role.EXECUTIVE}),
    ),
    NavItem(
        key="team",
        group="organisation",
        label=_("My team"),
        url_name="org:user-list",
        icon="bi-people",
        order=80,
        when=lambda scope: (
            scope.is_manager and not scope.manages_org and not scope.sees_all_records
        ),
    ),
    NavItem(
        key="departments",
        group="organisation",
        label=_("Departments"),
        url_name="org:department-list",
        icon="bi-diagram-3",
        order=85,
        roles=frozenset(ORG_ADMIN_ROLES | {Role.EXECUTIVE}),
    ),
)

register_panel(
    HomePanel(key="profile", template="org/panels/profile.html", context=_profile_panel, order=1),
    HomePanel(
        key="team",
        template="org/panels/team.html",
        context=_team_panel,
        order=20,
        when=lambda scope: scope.is_manager,
    ),
    HomePanel(
        key="org",
        template="org/panels/org.html",
        context=_org_panel,
        order=30,
        roles=frozenset(ORG_ADMIN_ROLES),
    ),
)

register_nav_group(
    NavGroup(key="organisation", label=_("Organisation"), icon="bi-diagram-2", order=85)
)
