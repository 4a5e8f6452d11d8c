"""Menu entries and home panels of the evaluation: one section per part."""

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

# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


def _hr_or_manager(scope) -> bool:
    return scope.has_role(Role.HR_ADMIN) or scope.is_manager


register_nav(
    NavItem(
        key="scorecards",
        group="evaluation",
        label=_("Scorecards"),
        url_name="scoring:scorecard-list",
        icon="bi-sliders",
        order=82,
        roles=frozenset({Role.HR_ADMIN, Role.EXECUTIVE}),
    ),
    NavItem(
        key="training",
        group="evaluation",
        label=_("Training"),
        url_name="scoring:session-list",
        icon="bi-mortarboard",
        order=84,
        when=_hr_or_manager,
    ),
    NavItem(
        key="ratings",
        group="evaluation",
        label=_("Ratings"),
        url_name="scoring:rating-list",
        icon="bi-star-half",
        order=86,
        when=_hr_or_manager,
    ),
)


# --- My score and the appraisal periods ------------------------------------------------------

register_nav(
    NavItem(
        key="my-score",
        group="evaluation",
        label=_("My score"),
        url_name="scoring:my-score",
        icon="bi-speedometer2",
        order=80,
        roles=frozenset({Role.SALESPERSON}),
    ),
)


# --- Running appraisal periods: the period pages, appeals -------------------------------------


def _sees_team_scores(scope) -> bool:
    return scope.sees_all_records or scope.is_manager


def _resolves_appeals(scope) -> bool:
    return scope.has_role(Role.HR_ADMIN) or scope.is_manager


def _appeals_panel(*, request, scope=None):
    """Open appeals the viewer can resolve, the oldest first; no panel when there are none."""
    from pathscore.scoring import selectors

    appeals = selectors.appeals_waiting_for(request.user)
    total = appeals.count()
    if not total:
        return None
    first = appeals.select_related("result__person", "result__period").order_by("submitted_at")
    return {"appeals": list(first[:5]), "total": total}


register_nav(
    NavItem(
        key="periods",
        group="evaluation",
        label=_("Appraisal periods"),
        url_name="scoring:period-list",
        icon="bi-calendar-range",
        order=81,
        when=_sees_team_scores,
    ),
    NavItem(
        key="appeals",
        group="evaluation",
        label=_("Appeals"),
        url_name="scoring:appeal-list",
        icon="bi-chat-square-quote",
        order=83,
        when=_resolves_appeals,
    ),
)
register_panel(
    HomePanel(
        key="appeals-waiting",
        template="scoring/periods/_appeals_panel.html",
        context=_appeals_panel,
        order=9,
        when=_resolves_appeals,
    ),
)

register_nav_group(
    NavGroup(key="evaluation", label=_("Evaluation"), icon="bi-clipboard-data", order=80)
)
