from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Dimension(models.TextChoices):
    PROCESS = "process", _("Process")
    ABILITY = "ability", _("Ability")
    ATTITUDE = "attitude", _("Attitude")
    RESULTS = "results", _("Results")


def in_dimension_order(mapping: dict) -> list[tuple[str, object]]:
    """``mapping``'s (dimension, value) pairs in the usual order (process, ability,
    attitude, results; unknown codes last). Frozen JSON does not keep key order on
    PostgreSQL (jsonb), so pages and the API sort with this."""
    order = {code: index for index, code in enumerate(Dimension.values)}
    return sorted(mapping.items(), key=lambda pair: (order.get(pair[0], len(order)), pair[0]))


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class RuleKind(models.TextChoices):
    TARGET = "target", _("Against a target")
    BANDS = "bands", _("In bands")
    TEAM_RELATIVE = "team_relative", _("Relative to the team average")
    PERCENTILE = "percentile", _("Percentile within the team")


class ScorecardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    CUSTOM = "custom", _("Custom")


class PeriodState(models.TextChoices):
    OPEN = "open", pgettext_lazy("appraisal period state", "Open")
    CLOSED = "closed", pgettext_lazy("appraisal period state", "Closed")
    PUBLISHED = "published", pgettext_lazy("appraisal period state", "Published")


class AppealState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class RatingSource(models.TextChoices):
    SURVEY = "survey", _("Survey")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
