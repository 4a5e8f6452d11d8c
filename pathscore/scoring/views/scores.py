"""The personal, explainable score (我的得分) and the list of appraisal periods.

A score page shows a person's total (with any adjustment), rank in the team, dimension
scores against the team's averages, and every indicator with its raw value, team average,
percentile, points, weight and rule in plain words; each indicator links to the records
behind its value. An open period's scores are live (``engine.evaluate``); a closed or
published period shows the frozen ``Result``.

Only the person, the managers of their subtree, HR and executives see a score; anyone
else gets a 404. Score pages are never cached.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.scoping import scope_for, subtree_q
from pathscore.org.models import User
from pathscore.scoring import catalogue, engine, indicators, selectors
from pathscore.scoring.choices import (
    Dimension,
    Direction,
    PeriodState,
    RuleKind,
    in_dimension_order,
)
from pathscore.scoring.models import Adjustment, Period, Result

#: Evidence lists longer than this are cut (the page says so).
EVIDENCE_LIMIT = 300

# ``selectors.describe_rule`` translates these sentences at run time through an alias
# that message extraction does not recognise; marking them here puts them in the catalogue.
_RULE_SENTENCES = (
    gettext_noop(
        "0 points at %(floor)s%(unit)s, full marks at %(target)s%(unit)s or more, "
        "linear in between."
    ),
    gettext_noop(
        "Full marks at %(target)s%(unit)s or less, 0 points at %(zero_at)s%(unit)s or more, "
        "linear in between."
    ),
    gettext_noop("from %(threshold)s%(unit)s: %(points)s points"),
    gettext_noop("up to %(threshold)s%(unit)s: %(points)s points"),
    gettext_noop("No bands yet."),
    gettext_noop(
        "Full marks at %(full_at)s × the team average or more; proportionally fewer below."
    ),
    gettext_noop(
        "Full marks at %(full_at)s × the team average or less; proportionally fewer above."
    ),
    gettext_noop("Points equal the percentile rank within the team (ties share the rank)."),
)


# --- Access -------------------------------------------------------------------------------


def visible_people(viewer):
    """People whose scores ``viewer`` may see: themselves, their managed subtree, or
    everyone for HR and executives (the rule of ``Result.objects.visible_to``)."""
    scope = scope_for(viewer)
    people = User.objects.visible_to(viewer)
    if not scope.sees_all_records:
        people = people.filter(Q(pk=viewer.pk) | subtree_q("department__path", scope.managed_paths))
    return people


def _person_or_404(viewer, person_pk):
    return get_object_or_404(visible_people(viewer).select_related("department"), pk=person_pk)


def current_period():
    """The open period covering today, else the latest open one, else the latest."""
    today = timezone.localdate()
    periods = Period.objects.all()
    return (
        periods.filter(state=PeriodState.OPEN, starts_on__lte=today, ends_on__gte=today).first()
        or periods.filter(state=PeriodState.OPEN).first()
        or periods.first()
    )


# --- The score, live or frozen ------------------------------------------------------------


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _indicator(code: str):
    engine.load_catalogue()
    try:
        return indicators.get(code)
    except KeyError:
        return None


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _item_row(item: dict) -> dict:
    code = item["indicator"]
    indicator = _indicator(code)
    unit = str(indicator.unit) if indicator else ""
    params = item.get("params") or {}
    auto = _decimal(item.get("auto_points"))
    points = _decimal(item.get("points"))
    return {
        "code": code,
        "dimension": item.get("dimension", ""),
        "name": str(indicator.name) if indicator else code,
        "definition": str(indicator.definition) if indicator else "",
        "unit": unit,
        "value": _decimal(item.get("value")),
        "team_average": _decimal(item.get("team_average")),
        "percentile": _decimal(item.get("percentile")),
        "points": points,
        "overridden": auto is not None and auto != points,
        "auto_points": auto,
        "weight": _decimal(item.get("weight")),
        "rule_kind": _label(RuleKind, item.get("rule_kind")),
        "direction": _label(Direction, item.get("direction")),
        "rule": selectors.describe_rule(
            item.get("rule_kind", ""), item.get("direction", ""), params, unit
        ),
        "rules_version": item.get("rules_version"),
        "explanation": item.get("explanation", ""),
        "has_evidence": bool(indicator and indicator.evidence),
        # No points means the indicator did not apply (nothing to measure in the period);
        # its weight went to the dimension's other indicators.
        "applicable": points is not None,
        "not_applicable_reason": str(indicator.not_applicable_without) if indicator else "",
    }


def _rank(scores: dict, person_id: int) -> int | None:
    """Competition rank (1, 2, 2, 4) by total among the teammates with the same card."""
    mine = scores.get(person_id)
    if mine is None:
        return None
    better = sum(
        1
        for other in scores.values()
        if other.scorecard_id == mine.scorecard_id
        and other.department_id == mine.department_id
        and other.total > mine.total
    )
    return better + 1


def _live(period: Period, person) -> dict | None:
    team = [person.pk]
    if person.department_id is not None:
        team += list(
            User.objects.filter(department_id=person.department_id, is_active=True)
            .exclude(pk=person.pk)
            .values_list("pk", flat=True)
        )
    # The teammates are evaluated with the person for the rank, in the same fixed number
    # of queries; the live cache is bypassed because filling it costs a write per person.
    scores = engine.evaluate(team, period, use_cache=False)
    score = scores.get(person.pk)
    if score is None:
        return None
    return {
        "live": True,
        "result": None,
        "total": score.total,
        "computed_total": score.total,
        "adjustment": Decimal(0),
        "rank": _rank(scores, person.pk),
        "team_size": score.team_size,
        "scorecard_code": score.scorecard_code,
        "scorecard_version": score.scorecard_version,
        "dimensions": score.dimensions,
        "weights": score.dimension_weights,
        "team": score.team_dimensions,
        "items": score.items,
        "adjustments": [],
    }


def _frozen(period: Period, person, viewer) -> dict | None:
    result = (
        Result.objects.visible_to(viewer)
        .filter(period=period, person=person, version=period.version)
        .select_related("scorecard")
        .first()
    )
    if result is None:
        return None
    dimensions = result.dimensions or {}
    return {
        "live": False,
        "result": result,
        "total": result.total,
        "computed_total": result.computed_total,
        "adjustment": result.adjustment,
        "rank": result.rank,
        "team_size": dimensions.get("team_size"),
        "scorecard_code": result.scorecard.code if result.scorecard else "",
        "scorecard_version": result.scorecard.version if result.scorecard else None,
        "dimensions": dimensions.get("scores", {}),
        "weights": dimensions.get("weights", {}),
        "team": dimensions.get("team", {}),
        "items": result.items or [],
        "adjustments": list(
            Adjustment.objects.filter(result=result).select_related("made_by").order_by("made_at")
        ),
    }


def person_score(period: Period, person, viewer) -> dict | None:
    """Everything the score page shows, or None when the person has no score."""
    if period.state == PeriodState.OPEN:
        raw = _live(period, person)
    else:
        raw = _frozen(period, person, viewer)
    if raw is None:
        return None
    rows = [_item_row(item) for item in raw["items"]]
    dimensions = []
    for code, weight in in_dimension_order(raw["weights"]):
        dimensions.append(
            {
                "code": code,
                "label": _label(Dimension, code),
                "weight": _decimal(weight),
                "score": _decimal(raw["dimensions"].get(code)),
                "team": _decimal(raw["team"].get(code)),
                "items": [row for row in rows if row["dimension"] == code],
            }
        )
    raw["dimension_rows"] = dimensions
    raw["radar"] = {
        "indicators": [{"name": d["label"], "max": 100} for d in dimensions],
        "mine": [float(d["score"] or 0) for d in dimensions],
        "team": [float(d["team"] or 0) for d in dimensions],
        "labels": {"mine": _("My score"), "team": _("Team average")},
    }
    return raw


# --- Evidence -----------------------------------------------------------------------------


def _record_url(record) -> str:
    if hasattr(record, "get_absolute_url"):
        try:
            return record.get_absolute_url()
        except NoReverseMatch:
            return ""
    if record._meta.label_lower == "process.nodeinstance":
        return reverse("process:node-detail", args=[record.pk])
    project = getattr(record, "project", None)
    if project is not None and hasattr(project, "get_absolute_url"):
        return project.get_absolute_url()
    return ""


def _when_text(value) -> str:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return ""


def _record_when(record):
    for name in (
        "occurred_at",
        "submitted_at",
        "completed_on",
        "planned_due",
        "signed_on",
        "rated_on",
        "held_on",
        "created_at",
        "feedback_at",
    ):
        value = getattr(record, name, None)
        if value is not None:
            return value
    session = getattr(record, "session", None)
    return getattr(session, "held_on", None) if session is not None else None


def _record_flag(record) -> dict | None:
    """A badge for the annotations the evidence querysets add (on time, done, converted)."""
    if hasattr(record, "on_time"):
        if record.on_time:
            return {"ok": True, "text": _("On time")}
        days = getattr(record, "days_late", None)
        text = (
            ngettext("Late by %(days)s day", "Late by %(days)s days", days) % {"days": days}
            if days
            else _("Late")
        )
        return {"ok": False, "text": text}
    for name, yes, no in (
        ("done", _("Approved"), _("Not approved")),
        ("converted", _("Converted"), _("Not converted")),
        ("attended", _("Attended"), _("Absent")),
    ):
        if hasattr(record, name):
            value = getattr(record, name)
            return {"ok": bool(value), "text": yes if value else no}
    return None


def evidence_groups(code: str, person, start, end, params) -> list[dict]:
    groups = []
    for queryset in catalogue.evidence_lists(code, person, start, end, params):
        records = list(queryset[: EVIDENCE_LIMIT + 1])
        model = getattr(queryset, "model", None)
        groups.append(
            {
                "title": str(model._meta.verbose_name_plural) if model else "",
                "truncated": len(records) > EVIDENCE_LIMIT,
                "rows": [
                    {
                        "text": str(record),
                        "url": _record_url(record),
                        "when": _when_text(_record_when(record)),
                        "flag": _record_flag(record),
                    }
                    for record in records[:EVIDENCE_LIMIT]
                ],
            }
        )
    return groups


# --- Views --------------------------------------------------------------------------------


class PeriodListView(LoginRequiredMixin, View):
    template_name = "scoring/scores/period_list.html"

    def get(self, request):
        periods = list(Period.objects.visible_to(request.user).order_by("-starts_on", "-pk"))
        return render(
            request,
            self.template_name,
            {"periods": periods, "title": _("Appraisal periods"), "current": current_period()},
        )


@method_decorator(never_cache, name="dispatch")
class MyScoreView(LoginRequiredMixin, View):
    def get(self, request):
        period = current_period()
        if period is None:
            messages.info(request, _("There is no appraisal period yet."))
            return redirect("scoring:period-list")
        return redirect("scoring:person-score", pk=period.pk, person_pk=request.user.pk)


@method_decorator(never_cache, name="dispatch")
class PersonScoreView(LoginRequiredMixin, View):
    template_name = "scoring/scores/person_score.html"

    def get(self, request, pk, person_pk):
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
        person = _person_or_404(request.user, person_pk)
        score = person_score(period, person, request.user)
        context = {
            "period": period,
            "person": person,
            "score": score,
            "is_self": person.pk == request.user.pk,
            "title": _("Score of %(name)s · %(period)s")
            % {"name": person.name, "period": period.name},
        }
        return render(request, self.template_name, context)


@method_decorator(never_cache, name="dispatch")
class EvidenceView(LoginRequiredMixin, View):
    template_name = "scoring/scores/evidence.html"

    def get(self, request, pk, person_pk, code):
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
        person = _person_or_404(request.user, person_pk)
        score = person_score(period, person, request.user)
        if score is None:
            raise Http404
        item = next((item for item in score["items"] if item["indicator"] == code), None)
        if item is None or _indicator(code) is None:
            raise Http404
        row = _item_row(item)
        context = {
            "period": period,
            "person": person,
            "item": row,
            "groups": evidence_groups(
                code, person, period.starts_on, period.ends_on, item.get("params") or {}
            ),
            "title": _("%(indicator)s · %(name)s")
            % {"indicator": row["name"], "name": person.name},
        }
        return render(request, self.template_name, context)


urlpatterns = [
    path("periods/", PeriodListView.as_view(), name="period-list"),
    path("me/", MyScoreView.as_view(), name="my-score"),
    path(
        "periods/<int:pk>/people/<int:person_pk>/",
        PersonScoreView.as_view(),
        name="person-score",
    ),
    path(
        "periods/<int:pk>/people/<int:person_pk>/evidence/<slug:code>/",
        EvidenceView.as_view(),
        name="score-evidence",
    ),
]
