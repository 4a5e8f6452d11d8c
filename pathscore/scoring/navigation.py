"""Menu entries and home panels of the evaluation: one section per part."""


# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------

from django.utils.translation import gettext_lazy as _  # noqa: E402

from pathscore.core.choices import Role as _Role  # noqa: E402
from pathscore.core.navigation import NavItem as _NavItem  # noqa: E402
from pathscore.core.navigation import register_nav as _register_nav  # noqa: E402


def _hr_or_manager(scope) -> bool:
    return scope.has_role(_Role.HR_ADMIN) or scope.is_manager


_register_nav(
    _NavItem(
        key="scorecards",
        label=_("Scorecards"),
        url_name="scoring:scorecard-list",
        icon="bi-sliders",
        order=82,
        roles=frozenset({_Role.HR_ADMIN, _Role.EXECUTIVE}),
    ),
    _NavItem(
        key="training",
        label=_("Training"),
        url_name="scoring:session-list",
        icon="bi-mortarboard",
        order=84,
        when=_hr_or_manager,
    ),
    _NavItem(
        key="ratings",
        label=_("Ratings"),
        url_name="scoring:rating-list",
        icon="bi-star-half",
        order=86,
        when=_hr_or_manager,
    ),
)


# --- My score and the appraisal periods ------------------------------------------------------

_register_nav(
    _NavItem(
        key="my-score",
        label=_("My score"),
        url_name="scoring:my-score",
        icon="bi-speedometer2",
        order=80,
        roles=frozenset({_Role.SALESPERSON}),
    ),
)
