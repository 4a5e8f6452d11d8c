"""The alert thresholds: what each one means, its bounds and its bundled default.

The values live in ``AlertThreshold`` rows that HR admins edit on the settings page (with
history); the meaning lives here, translatable, so a stored row is only a code and a
number. A missing row reads as its default, so a fresh installation and a test database
behave the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from pathscore.insights.choices import AlertKind, AlertUnit

CONVERSION_SHARE = "conversion_share"
CONVERSION_WINDOW_DAYS = "conversion_window_days"
CONVERSION_MIN_PROJECTS = "conversion_min_projects"
ADJUSTMENT_DAYS = "adjustment_days"
RELAY_HOURS = "relay_hours"


@dataclass(frozen=True)
class ThresholdDefinition:
    code: str
    kind: str
    label: str
    help_text: str
    unit: str
    default: Decimal
    minimum: Decimal
    maximum: Decimal
    #: Whole numbers only (days, projects).
    integer: bool = True


DEFINITIONS: tuple[ThresholdDefinition, ...] = (
    ThresholdDefinition(
        code=CONVERSION_SHARE,
        kind=AlertKind.CONVERSION,
        label=_("Share of the team's conversion"),
        help_text=_(
            "An alert opens when a salesperson's conversion from one key node to the next "
            "is below this percentage of their team's conversion for the same two nodes "
            "(60 means below 60 per cent of the team's rate)."
        ),
        unit=AlertUnit.PERCENT,
        default=Decimal(60),
        minimum=Decimal(1),
        maximum=Decimal(100),
    ),
    ThresholdDefinition(
        code=CONVERSION_WINDOW_DAYS,
        kind=AlertKind.CONVERSION,
        label=_("Conversion window"),
        help_text=_(
            "Conversion is measured on the from-nodes approved in this many days up to "
            "today; a project converts when its next key node is approved too."
        ),
        unit=AlertUnit.DAYS,
        default=Decimal(90),
        minimum=Decimal(7),
        maximum=Decimal(730),
    ),
    ThresholdDefinition(
        code=CONVERSION_MIN_PROJECTS,
        kind=AlertKind.CONVERSION,
        label=_("Minimum projects"),
        help_text=_(
            "At least this many of the salesperson's projects must have passed the "
            "from-node in the window, so that one project cannot open an alert."
        ),
        unit="",
        default=Decimal(4),
        minimum=Decimal(1),
        maximum=Decimal(1000),
    ),
    ThresholdDefinition(
        code=ADJUSTMENT_DAYS,
        kind=AlertKind.ADJUSTMENT,
        label=_("Proposal adjustment"),
        help_text=_(
            "An alert opens when the latest version of a proposal on an active project "
            "carries customer feedback and no new version has followed for more than this "
            "many days."
        ),
        unit=AlertUnit.DAYS,
        default=Decimal(10),
        minimum=Decimal(1),
        maximum=Decimal(365),
    ),
    ThresholdDefinition(
        code=RELAY_HOURS,
        kind=AlertKind.RELAY,
        label=_("Feedback relay"),
        help_text=_(
            "An alert opens when customer needs recorded in a follow-up on an active "
            "project have not been handed to the technical team (a hand-off task on the "
            "project) or marked handled within this many hours."
        ),
        unit=AlertUnit.HOURS,
        default=Decimal(24),
        minimum=Decimal(1),
        maximum=Decimal(720),
    ),
)

BY_CODE = {definition.code: definition for definition in DEFINITIONS}


def defaults() -> dict[str, Decimal]:
    return {definition.code: definition.default for definition in DEFINITIONS}


def current() -> dict[str, Decimal]:
    """Every threshold's value: the stored one, else the bundled default. One query."""
    from pathscore.insights.models import AlertThreshold

    values = defaults()
    for code, value in AlertThreshold.objects.filter(code__in=values).values_list("code", "value"):
        values[code] = value
    return values


def plain(value: Decimal) -> str:
    """A value as people write it: ``60`` for 60.0, ``37.5`` for 37.5, never ``6E+1``."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
