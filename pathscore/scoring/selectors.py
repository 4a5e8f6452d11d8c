"""Queries of the evaluation: one section per part, each appended by its author."""

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from pathscore.scoring import indicators as indicator_registry
from pathscore.scoring.choices import Dimension, ScorecardStatus
from pathscore.scoring.models import (
    Attendance,
    Commendation,
    CustomerRating,
    QualityRating,
    Scorecard,
    TrainingSession,
)

# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


def describe_rule(kind: str, direction: str, params: dict, unit: str = "") -> str:
    """A scorecard item's rule in plain language, e.g. "Full marks at 1.5 × the team
    average; proportionally fewer below"."""
    params = params or {}
    unit = f" {unit}" if unit else ""
    higher = direction != "lower"
    if kind == "target":
        if higher:
            return _(
                "0 points at %(floor)s%(unit)s, full marks at %(target)s%(unit)s or more, "
                "linear in between."
            ) % {"floor": params.get("floor") or "0", "target": params.get("target"), "unit": unit}
        return _(
            "Full marks at %(target)s%(unit)s or less, 0 points at %(zero_at)s%(unit)s or more, "
            "linear in between."
        ) % {"target": params.get("target"), "zero_at": params.get("zero_at"), "unit": unit}
    if kind == "bands":
        parts = []
        for threshold, points in params.get("bands") or []:
            template = (
                _("from %(threshold)s%(unit)s: %(points)s points")
                if higher
                else _("up to %(threshold)s%(unit)s: %(points)s points")
            )
            parts.append(template % {"threshold": threshold, "points": points, "unit": unit})
        return "; ".join(parts) + "." if parts else _("No bands yet.")
    if kind == "team_relative":
        full_at = params.get("full_at") or "1.5"
        if higher:
            return _(
                "Full marks at %(full_at)s × the team average or more; proportionally fewer below."
            ) % {"full_at": full_at}
        return _(
            "Full marks at %(full_at)s × the team average or less; proportionally fewer above."
        ) % {"full_at": full_at}
    if kind == "percentile":
        return _("Points equal the percentile rank within the team (ties share the rank).")
    return ""


def _scorecards_visible_to(user):
    """Published and retired scorecards are company rules anyone may read; drafts are HR's
    work in progress."""
    from pathscore.core.choices import Role
    from pathscore.core.scoping import scope_for

    scorecards = Scorecard.objects.visible_to(user)
    if not scope_for(user).has_role(Role.HR_ADMIN):
        scorecards = scorecards.exclude(status=ScorecardStatus.DRAFT)
    return scorecards


def scorecards_for_list(user):
    return _scorecards_visible_to(user).select_related("department")


def scorecard_for_detail(user):
    return (
        _scorecards_visible_to(user)
        .select_related("department", "published_by")
        .prefetch_related("dimensions", "items")
    )


def scorecard_versions(scorecard, user):
    return _scorecards_visible_to(user).filter(code=scorecard.code).select_related("published_by")


def scorecard_layout(scorecard) -> list[dict]:
    """Dimensions in their usual order, each with its weight and its items described."""
    weights = {d.dimension: d.weight for d in scorecard.dimensions.all()}
    items = list(scorecard.items.all())
    layout = []
    for dimension in Dimension:
        mine = [item for item in items if item.dimension == dimension.value]
        if dimension.value not in weights and not mine:
            continue
        rows = []
        for item in mine:
            try:
                indicator = indicator_registry.get(item.indicator)
                name, unit = str(indicator.name), str(indicator.unit)
            except KeyError:
                name, unit = item.indicator, ""
            rows.append(
                {
                    "item": item,
                    "name": name,
                    "unit": unit,
                    "rule": describe_rule(item.rule_kind, item.direction, item.params),
                }
            )
        layout.append(
            {
                "code": dimension.value,
                "label": dimension.label,
                "weight": weights.get(dimension.value),
                "items": rows,
                "item_total": sum((row["item"].weight for row in rows), 0),
            }
        )
    return layout


def customer_ratings_for_list(user):
    return CustomerRating.objects.visible_to(user).select_related(
        "person", "customer", "project", "recorded_by"
    )


def quality_ratings_for_list(user):
    return QualityRating.objects.visible_to(user).select_related(
        "person", "version__document", "rated_by"
    )


def training_sessions_for_list(user):
    """Sessions with the counts of the attendees the user may see."""
    visible = Attendance.objects.visible_to(user).values("pk")
    return (
        TrainingSession.objects.visible_to(user)
        .select_related("course")
        .annotate(
            required_count=Count(
                "attendances", filter=Q(attendances__pk__in=visible), distinct=True
            ),
            attended_count=Count(
                "attendances",
                filter=Q(attendances__pk__in=visible, attendances__attended=True),
                distinct=True,
            ),
        )
    )


def session_attendances(session, user):
    return (
        Attendance.objects.visible_to(user)
        .filter(session=session)
        .select_related("person__department", "assigned_by")
        .order_by("person__name")
    )


def session_for_detail(user):
    return (
        TrainingSession.objects.visible_to(user)
        .select_related("course")
        .prefetch_related(Prefetch("attendances", queryset=Attendance.objects.none()))
    )


def commendations_for_list(user):
    return Commendation.objects.visible_to(user).select_related("person", "period", "given_by")


def published_scorecards():
    return Scorecard.objects.filter(status=ScorecardStatus.PUBLISHED)
