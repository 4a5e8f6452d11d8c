"""Menu entries and home panels of the records (filled in with the views)."""

from django.db.models import Count, Window
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.navigation import (
    HomePanel,
    NavGroup,
    NavItem,
    register_nav,
    register_nav_group,
    register_panel,
)

# --- Follow-ups ----------------------------------------------------------------------------


#: How many next actions the home panel lists; the most urgent come first.
NEXT_ACTIONS_PANEL_LIMIT = 20


def next_actions_panel(*, request, scope=None):
    """The "My next actions" panel: the most urgent open actions and how many there are."""
    from pathscore.crm import selectors

    # The total rides along as a window count: one query however many there are.
    actions = selectors.next_actions_for(request.user).annotate(total=Window(Count("pk")))
    shown = list(actions[:NEXT_ACTIONS_PANEL_LIMIT])
    return {"actions": shown, "total": shown[0].total if shown else 0}


register_nav(
    NavItem(
        key="followups",
        label=_("Follow-ups"),
        url_name="crm:followup-list",
        icon="bi-chat-left-text",
        order=30,
        roles=frozenset({Role.SALESPERSON, Role.SALES_MANAGER, Role.HR_ADMIN, Role.EXECUTIVE}),
    )
)
register_panel(
    HomePanel(
        key="next-actions",
        template="crm/panels/next_actions.html",
        context=next_actions_panel,
        order=5,
        roles=frozenset({Role.SALESPERSON, Role.SALES_MANAGER}),
    )
)


# --- Customers, contacts, projects ---------------------------------------------------------

#: Who works with customers and projects: sales, their managers, HR, the executives (read
#: only) and the technical team (the projects behind their tasks).
RECORD_READER_ROLES = frozenset(
    {
        Role.SALESPERSON,
        Role.SALES_MANAGER,
        Role.HR_ADMIN,
        Role.EXECUTIVE,
        Role.TECHNICAL_SUPPORT,
    }
)

register_nav(
    NavItem(
        key="projects",
        label=_("Projects"),
        url_name="crm:project-list",
        icon="bi-kanban",
        order=10,
        roles=RECORD_READER_ROLES,
    ),
    NavItem(
        key="customers",
        group="records",
        label=_("Customers"),
        url_name="crm:customer-list",
        icon="bi-building",
        order=20,
        roles=RECORD_READER_ROLES,
    ),
    NavItem(
        key="contacts",
        group="records",
        label=_("Contacts"),
        url_name="crm:contact-list",
        icon="bi-person-lines-fill",
        order=25,
        roles=RECORD_READER_ROLES,
    ),
)


# --- Documents -----------------------------------------------------------------------------

register_nav(
    NavItem(
        key="documents",
        group="records",
        label=_("Documents"),
        url_name="crm:document-list",
        icon="bi-file-earmark-text",
        order=40,
        roles=frozenset(
            {
                Role.SALESPERSON,
                Role.SALES_MANAGER,
                Role.HR_ADMIN,
                Role.EXECUTIVE,
                Role.TECHNICAL_SUPPORT,
            }
        ),
    )
)

register_nav_group(
    NavGroup(key="records", label=_("Customers & documents"), icon="bi-buildings", order=35)
)
