"""Menu entries and home panels of the process engine, one section per area."""

from django.utils import timezone
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

# --- Nodes ---------------------------------------------------------------------------------


def _my_nodes_panel(*, request, scope=None):
    """The salesperson's open nodes due within a week, and every overdue one."""
    from pathscore.process import selectors
    from pathscore.process.tables import days_overdue

    today = timezone.localdate()
    nodes, total = selectors.first_rows_and_total(selectors.my_due_nodes(request.user, today))
    for node in nodes:
        node.late_days = days_overdue(node, today)
    return {"nodes": nodes, "total": total, "overdue": any(n.late_days for n in nodes)}


def _reviews_panel(*, request, scope=None):
    from pathscore.process import selectors

    submissions, total = selectors.first_rows_and_total(selectors.review_queue(request.user))
    return {"submissions": submissions, "total": total}


def _delay_decisions_panel(*, request, scope=None):
    from pathscore.process import selectors

    reasons, total = selectors.first_rows_and_total(selectors.delay_reasons_to_decide(request.user))
    return {"reasons": reasons, "total": total}


register_nav(
    NavItem(
        key="reviews",
        group="process",
        label=_("Reviews"),
        url_name="process:review-queue",
        icon="bi-clipboard-check",
        order=50,
        when=lambda scope: scope.is_manager,
    ),
    NavItem(
        key="delays",
        group="process",
        label=_("Delays"),
        url_name="process:delays",
        icon="bi-hourglass-split",
        order=55,
        when=lambda scope: scope.is_manager,
    ),
)
register_panel(
    HomePanel(
        key="my-nodes",
        template="process/panels/my_nodes.html",
        context=_my_nodes_panel,
        order=4,
        roles=frozenset({Role.SALESPERSON}),
    ),
    HomePanel(
        key="reviews",
        template="process/panels/reviews.html",
        context=_reviews_panel,
        order=6,
        when=lambda scope: scope.is_manager,
    ),
    HomePanel(
        key="delay-decisions",
        template="process/panels/delay_decisions.html",
        context=_delay_decisions_panel,
        order=7,
        when=lambda scope: scope.is_manager,
    ),
)


# --- Hand-off tasks, automation rules, delay categories ------------------------------------


def _team_tasks_panel(*, request, scope=None):
    """The technical team's open hand-off tasks, the soonest due first."""
    from pathscore.process import selectors
    from pathscore.process.tables import task_is_overdue

    today = timezone.localdate()
    tasks, total = selectors.first_rows_and_total(selectors.team_open_tasks(request.user))
    for task in tasks:
        task.is_overdue = task_is_overdue(task, today)
    return {"tasks": tasks, "total": total, "overdue": any(t.is_overdue for t in tasks)}


#: Who sees the task list in the menu; salespeople reach their tasks from the project page.
TASK_LIST_ROLES = frozenset(
    {Role.TECHNICAL_SUPPORT, Role.SALES_MANAGER, Role.HR_ADMIN, Role.EXECUTIVE}
)


register_nav(
    NavItem(
        key="tasks",
        group="process",
        # "Tasks" in English, 协作任务 in Chinese: the context keeps it apart from a count.
        label=pgettext_lazy("hand-off", "Tasks"),
        url_name="process:task-list",
        icon="bi-people-fill",
        order=45,
        when=lambda scope: bool(scope.roles & TASK_LIST_ROLES) or scope.is_manager,
    ),
    NavItem(
        key="automation",
        group="process",
        label=_("Automation"),
        url_name="process:rule-list",
        icon="bi-lightning-charge",
        order=88,
        when=lambda scope: scope.manages_org,
    ),
)
register_panel(
    HomePanel(
        key="team-tasks",
        template="process/tasks/panel_team_tasks.html",
        context=_team_tasks_panel,
        order=3,
        roles=frozenset({Role.TECHNICAL_SUPPORT}),
    ),
)


# --- Process templates and stalls ----------------------------------------------------------


def _stalled_panel(*, request, scope=None):
    """The viewer's stalled projects (their own, or their team's for a manager)."""
    from pathscore.process import selectors

    processes, total = selectors.first_rows_and_total(
        selectors.stalled_projects(request.user, timezone.localdate()), limit=5
    )
    if not total:
        return None
    return {"processes": processes, "total": total}


register_nav(
    NavItem(
        key="process-templates",
        group="process",
        label=_("Process templates"),
        url_name="process:template-list",
        icon="bi-signpost-split",
        order=90,
        when=lambda scope: scope.manages_org or scope.is_manager,
    ),
)
register_panel(
    HomePanel(
        key="stalled-projects",
        template="process/templates/_stalled_panel.html",
        context=_stalled_panel,
        order=8,
        when=lambda scope: scope.is_manager or scope.has_role(Role.SALESPERSON),
    ),
)

register_nav_group(NavGroup(key="process", label=_("Process"), icon="bi-diagram-3", order=50))
