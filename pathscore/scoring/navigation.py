"""Menu entries and home panels of the evaluation: one section per part."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.navigation import NavItem, register_nav

# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


def _hr_or_manager(scope) -> bool:
    return scope.has_role(Role.HR_ADMIN) or scope.is_manager


register_nav(
    NavItem(
        key="scorecards",
        label=_("Scorecards"),
        url_name="scoring:scorecard-list",
        icon="bi-sliders",
        order=82,
        roles=frozenset({Role.HR_ADMIN, Role.EXECUTIVE}),
    ),
    NavItem(
        key="training",
        label=_("Training"),
        url_name="scoring:session-list",
        icon="bi-mortarboard",
        order=84,
        when=_hr_or_manager,
    ),
    NavItem(
        key="ratings",
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
        label=_("My score"),
        url_name="scoring:my-score",
        icon="bi-speedometer2",
        order=80,
        roles=frozenset({Role.SALESPERSON}),
    ),
)
