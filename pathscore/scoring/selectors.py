"""Queries of the evaluation: one section per part, each appended by its author."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.choices import Role
from pathscore.core.scoping import scope_for, subtree_q
from pathscore.org.models import Department, User
from pathscore.scoring import engine
from pathscore.scoring import indicators as indicator_registry
from pathscore.scoring.choices import AppealState, Dimension, PeriodState, ScorecardStatus
from pathscore.scoring.models import (
    Adjustment,
    Appeal,
    Attendance,
    Commendation,
    CustomerRating,
    QualityRating,
    Result,
    Scorecard,
    TrainingCourse,
    TrainingSession,
)
from pathscore.scoring.services import appeal_deadline, manages_result

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


# --- Suggested training ------------------------------------------------------------------------
# From a person's weakest indicators, the active courses HR mapped to them
# (``TrainingCourse.indicators``) and their upcoming sessions, marking those the person is
# already required at. Three queries at most, whatever the numbers of courses and sessions.

#: How many of the weakest indicators (below full marks) training is suggested for.
WEAKEST_COUNT = 3
FULL_MARKS = Decimal(100)


@dataclass
class WeakIndicator:
    code: str
    name: str
    points: Decimal
    #: The indicator's share of the total (its weight × its dimension's weight / 100).
    share: Decimal


@dataclass
class SessionSuggestion:
    session: TrainingSession
    #: The person is already required at this session.
    assigned: bool


@dataclass
class CourseSuggestion:
    course: TrainingCourse
    #: The weak indicators this course helps with.
    helps: list[WeakIndicator]
    sessions: list[SessionSuggestion]


@dataclass
class TrainingSuggestions:
    weakest: list[WeakIndicator] = field(default_factory=list)
    courses: list[CourseSuggestion] = field(default_factory=list)


def _as_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def weakest_indicators(items: list[dict], dimension_weights: dict | None = None) -> list:
    """The score items with the fewest points below full marks, at most ``WEAKEST_COUNT``;
    among equal points the one weighing most in the total comes first. Indicators that do
    not apply to the person (no points) are left out."""
    weights = {code: _as_decimal(weight) for code, weight in (dimension_weights or {}).items()}
    weak = []
    for item in items:
        points = _as_decimal(item.get("points"))
        if points is None or points >= FULL_MARKS:
            continue
        dimension_weight = weights.get(item.get("dimension"), FULL_MARKS) or Decimal(0)
        share = (_as_decimal(item.get("weight")) or Decimal(0)) * dimension_weight / FULL_MARKS
        try:
            name = str(indicator_registry.get(item["indicator"]).name)
        except KeyError:
            name = item["indicator"]
        weak.append(WeakIndicator(item["indicator"], name, points, share))
    weak.sort(key=lambda indicator: (indicator.points, -indicator.share, indicator.code))
    return weak[:WEAKEST_COUNT]


def suggested_training(
    person,
    items: list[dict],
    *,
    viewer,
    dimension_weights: dict | None = None,
    today: datetime.date | None = None,
) -> TrainingSuggestions:
    """Training for ``person`` from the items of their score (``engine`` or frozen
    ``Result`` items): the weakest indicators, the active courses mapped to them and each
    course's sessions from ``today`` on, with the person's own assignments marked."""
    weakest = weakest_indicators(items, dimension_weights)
    suggestions = TrainingSuggestions(weakest=weakest)
    if not weakest:
        return suggestions
    wanted = {indicator.code: indicator for indicator in weakest}
    # Few courses exist, and matching inside a JSON list is not portable to SQLite: the
    # active courses are read once and matched here.
    courses = []
    for course in TrainingCourse.objects.visible_to(viewer).filter(is_active=True):
        helps = [wanted[code] for code in course.indicators or [] if code in wanted]
        if helps:
            courses.append((course, helps))
    if not courses:
        return suggestions
    today = today or timezone.localdate()
    sessions = (
        TrainingSession.objects.visible_to(viewer)
        .filter(course__in=[course for course, _helps in courses], held_on__gte=today)
        .order_by("held_on", "pk")
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.visible_to(viewer).filter(person=person),
                to_attr="person_attendances",
            )
        )
    )
    by_course: dict[int, list[SessionSuggestion]] = {}
    for session in sessions:
        by_course.setdefault(session.course_id, []).append(
            SessionSuggestion(
                session=session,
                assigned=any(row.required for row in session.person_attendances),
            )
        )
    rank = {indicator.code: index for index, indicator in enumerate(weakest)}
    # The course helping the weakest indicator first.
    courses.sort(key=lambda pair: (min(rank[i.code] for i in pair[1]), pair[0].name))
    suggestions.courses = [
        CourseSuggestion(course=course, helps=helps, sessions=by_course.get(course.pk, []))
        for course, helps in courses
    ]
    return suggestions


# --- Appraisal periods: results, appeals, versions -------------------------------------------
# What the period page, the appeals list and the response panel on a score page read. Every
# queryset starts from ``visible_to(user)``: a person sees only their own result, a manager
# their subtree's, HR and executives everyone's.

#: Sort keys of a period's results table and the ordering each one means.
RESULT_SORTS = {
    "-total": ("-total", "person__name"),
    "total": ("total", "person__name"),
    "rank": ("rank", "-total", "person__name"),
    "-rank": ("-rank", "total", "person__name"),
    "name": ("person__name",),
    "team": ("department__path", "rank", "person__name"),
}


def can_see_team_scores(user) -> bool:
    """HR, executives and managers see other people's scores; everyone else only their own."""
    scope = scope_for(user)
    return scope.sees_all_records or scope.is_manager


def score_departments(user):
    """Departments whose people's scores ``user`` may filter by: every department for HR
    and executives, the managed subtrees for a manager."""
    scope = scope_for(user)
    departments = Department.objects.order_by("path")
    if scope.sees_all_records:
        return departments
    return departments.filter(subtree_q("path", scope.managed_paths))


def scored_people(user, *, department=None):
    """Active people whose live scores ``user`` may see (themselves, their managed
    subtree, or everyone for HR and executives), optionally within a department's subtree."""
    scope = scope_for(user)
    people = User.objects.visible_to(user).filter(is_active=True)
    if not scope.sees_all_records:
        people = people.filter(Q(pk=user.pk) | subtree_q("department__path", scope.managed_paths))
    if department is not None:
        people = people.filter(department__path__startswith=department.path)
    return people.select_related("department")


def period_results(period, user, *, department=None, sort="-total", version=None):
    """The frozen results of ``period`` (current version unless told) that ``user`` may see,
    each with ``appeal_state``: the state of the person's latest appeal in this version."""
    latest_appeal = Appeal.objects.filter(result=OuterRef("pk")).order_by("-submitted_at", "-pk")
    results = (
        Result.objects.visible_to(user)
        .filter(period=period, version=version or period.version)
        .select_related("person", "department")
        .annotate(appeal_state=Subquery(latest_appeal.values("state")[:1]))
    )
    if department is not None:
        results = results.filter(department__path__startswith=department.path)
    return results.order_by(*RESULT_SORTS.get(sort, RESULT_SORTS["-total"]))


def period_counts(period, user) -> dict:
    """How many results ``user`` may see in the current version, how many are acknowledged,
    adjusted, and under an open appeal, in one query."""
    results = Result.objects.visible_to(user).filter(period=period, version=period.version)
    return results.aggregate(
        results=Count("pk", distinct=True),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False), distinct=True),
        adjusted=Count("pk", filter=~Q(adjustment=0), distinct=True),
        open_appeals=Count("appeals", filter=Q(appeals__state=AppealState.OPEN), distinct=True),
    )


def _team_ranks(scores: dict) -> dict[int, int]:
    """Competition rank (1, 2, 2, 4) by total among teammates scored by the same card."""
    teams: dict = {}
    for score in scores.values():
        teams.setdefault((score.department_id, score.scorecard_id), []).append(score)
    ranks = {}
    for members in teams.values():
        members.sort(key=lambda score: score.total, reverse=True)
        for index, score in enumerate(members):
            same = index and score.total == members[index - 1].total
            ranks[score.person_id] = ranks[members[index - 1].person_id] if same else index + 1
    return ranks


def live_results(period, user, *, department=None, sort="-total") -> list[dict]:
    """Live scores of an open period for the people ``user`` may see, computed together in
    one ``engine.evaluate`` call (a fixed number of queries whatever their number). The live
    cache is bypassed: filling it costs a write per person."""
    people = {person.pk: person for person in scored_people(user, department=department)}
    scores = engine.evaluate(list(people), period, use_cache=False)
    ranks = _team_ranks(scores)
    rows = [
        {
            "person": people[person_id],
            "department": people[person_id].department,
            "computed_total": score.total,
            "adjustment": Decimal(0),
            "total": score.total,
            "rank": ranks[person_id],
            "team_size": score.team_size,
            "acknowledged_at": None,
            "appeal_state": None,
        }
        for person_id, score in scores.items()
        if person_id in people
    ]
    return sorted(rows, key=_LIVE_SORTS.get(sort, _LIVE_SORTS["-total"]))


def _name(row) -> str:
    return row["person"].name


#: The same sort keys as ``RESULT_SORTS``, for live rows (computed, not in the database).
_LIVE_SORTS = {
    "-total": lambda row: (-row["total"], _name(row)),
    "total": lambda row: (row["total"], _name(row)),
    "rank": lambda row: (row["rank"], -row["total"], _name(row)),
    "-rank": lambda row: (-row["rank"], row["total"], _name(row)),
    "name": _name,
    "team": lambda row: (
        row["department"].path if row["department"] else "",
        row["rank"],
        _name(row),
    ),
}


def period_open_appeals(period, user):
    """Open appeals of the period's current version that ``user`` may see, oldest first."""
    return (
        Appeal.objects.visible_to(user)
        .filter(result__period=period, result__version=period.version, state=AppealState.OPEN)
        .select_related("result__person", "result__department")
        .order_by("submitted_at", "pk")
    )


def appeals_for_list(user, *, state: str = ""):
    """Appeals ``user`` may see: open ones first (oldest first, the most urgent), then the
    resolved ones, newest first."""
    appeals = Appeal.objects.visible_to(user).select_related(
        "result__person", "result__department", "result__period", "resolved_by"
    )
    if state:
        appeals = appeals.filter(state=state)
    return appeals.annotate(
        is_resolved=Case(
            When(state=AppealState.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("is_resolved", "submitted_at", "-pk")


def decorate_appeals(appeals, user) -> list:
    """Give each appeal its ``deadline`` and whether ``user`` may resolve it now (no query:
    the result, its period and department are loaded with the appeal)."""
    appeals = list(appeals)
    for appeal in appeals:
        result = appeal.result
        appeal.deadline = appeal_deadline(result.period)
        appeal.can_resolve = (
            appeal.state == AppealState.OPEN
            and result.period.state == PeriodState.CLOSED
            and result.version == result.period.version
            and manages_result(user, result)
        )
    return appeals


def appeals_waiting_for(user):
    """Open appeals ``user`` can resolve: their people's (or, for HR, anyone's) but never
    their own."""
    scope = scope_for(user)
    if not (scope.has_role(Role.HR_ADMIN) or scope.is_manager):
        return Appeal.objects.none()
    appeals = Appeal.objects.filter(
        state=AppealState.OPEN, result__period__state=PeriodState.CLOSED
    ).exclude(result__person=user)
    if scope.has_role(Role.HR_ADMIN):
        return appeals
    return appeals.filter(subtree_q("result__department__path", scope.managed_paths))


def version_changes(period, user, version: int) -> dict:
    """What version ``version`` changed against the one before, for the people ``user``
    may see: each person whose total moved or who was adjusted or appealed in the new
    version, with the previous and new totals and the adjustments and appeal outcomes
    behind the difference; and the reason HR gave for the version."""
    new = {
        result.person_id: result
        for result in Result.objects.visible_to(user)
        .filter(period=period, version=version)
        .select_related("person", "department")
    }
    old = {
        result.person_id: result
        for result in Result.objects.visible_to(user).filter(period=period, version=version - 1)
    }
    adjustments: dict[int, list] = {}
    for adjustment in (
        Adjustment.objects.filter(result__in=list(new.values()))
        .select_related("made_by")
        .order_by("made_at", "pk")
    ):
        adjustments.setdefault(adjustment.result_id, []).append(adjustment)
    appeals: dict[int, list] = {}
    for appeal in (
        Appeal.objects.filter(result__in=list(new.values()))
        .select_related("resolved_by")
        .order_by("submitted_at", "pk")
    ):
        appeals.setdefault(appeal.result_id, []).append(appeal)
    rows = []
    for person_id, result in new.items():
        before = old.get(person_id)
        previous = before.total if before is not None else None
        mine_adjustments = adjustments.get(result.pk, [])
        mine_appeals = appeals.get(result.pk, [])
        if previous == result.total and not mine_adjustments and not mine_appeals:
            continue
        rows.append(
            {
                "result": result,
                "person": result.person,
                "department": result.department,
                "previous": previous,
                "total": result.total,
                "difference": None if previous is None else result.total - previous,
                "adjustments": mine_adjustments,
                "appeals": mine_appeals,
            }
        )
    rows.sort(key=lambda row: (-abs(row["difference"] or 0), row["person"].name))
    reason = next((r.change_reason for r in new.values() if r.change_reason), "")
    if not reason:
        reason = (
            Result.objects.filter(period=period, version=version)
            .exclude(change_reason="")
            .values_list("change_reason", flat=True)
            .first()
            or ""
        )
    return {"rows": rows, "reason": reason, "version": version, "people": len(new)}


def result_response(result, viewer) -> dict:
    """What the response panel of a score page offers ``viewer`` for a frozen ``result``:
    acknowledge or appeal (the person), adjust or resolve (their manager or HR), and the
    appeals and earlier adjustments so far, which everyone who sees the score may read."""
    period = result.period
    is_person = viewer.pk == result.person_id
    manages = manages_result(viewer, result)
    current = result.version == period.version and period.state == PeriodState.CLOSED
    deadline = appeal_deadline(period)
    deadline_passed = deadline is not None and timezone.now() > deadline
    appeals = list(
        Appeal.objects.filter(result__period=period, result__person_id=result.person_id)
        .select_related("resolved_by", "result")
        .order_by("submitted_at", "pk")
    )
    open_appeal = next(
        (a for a in appeals if a.state == AppealState.OPEN and a.result_id == result.pk), None
    )
    earlier_adjustments = list(
        Adjustment.objects.filter(
            result__period=period,
            result__person_id=result.person_id,
            result__version__lt=result.version,
        )
        .select_related("made_by", "result")
        .order_by("made_at", "pk")
    )
    responding = is_person and current and result.acknowledged_at is None and open_appeal is None
    return {
        "result": result,
        "period": period,
        "is_person": is_person,
        "current": current,
        "deadline": deadline,
        "deadline_passed": deadline_passed,
        "can_acknowledge": responding,
        "can_appeal": responding and not deadline_passed,
        "can_adjust": manages and current,
        "can_resolve": manages and current and open_appeal is not None,
        "open_appeal": open_appeal,
        "appeals": appeals,
        "earlier_adjustments": earlier_adjustments,
        "bound": period.adjustment_bound,
    }
