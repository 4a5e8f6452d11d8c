"""The scoring engine: indicator values → points → dimension scores → a total, per person.

``evaluate`` computes everyone's score for a period (or any date range) in a fixed number
of queries: one ``compute`` call per indicator (and parameter set) for all the people
concerned, whatever their number. A person is compared with their team — the active
members of their own (leaf) department to whom the same scorecard applies — so the team
average, the percentile and the team-relative rules see the same values.

Scores of an open period are live: cached for a few minutes, and dropped at once when the
period closes (``invalidate_live``). The pure arithmetic lives in ``scoring/rules.py``.
"""

from __future__ import annotations

import importlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pathscore.org.models import Department, User
from pathscore.scoring import indicators, rules
from pathscore.scoring.choices import PeriodState, ScorecardStatus
from pathscore.scoring.models import Period, Scorecard

#: Live scores of an open period are recomputed at most this often (seconds).
LIVE_TIMEOUT = 5 * 60
FOUR_PLACES = Decimal("0.0001")
TWO_PLACES = Decimal("0.01")


@dataclass
class PersonScore:
    """One person's score, with everything needed to explain it."""

    person_id: int
    department_id: int | None
    scorecard_id: int
    scorecard_code: str
    scorecard_version: int
    total: Decimal
    #: ``None`` for a dimension none of whose indicators applies to the person.
    dimensions: dict[str, Decimal | None]
    #: The dimension weights of the scorecard (they total 100).
    dimension_weights: dict[str, Decimal]
    #: The team's average score per dimension (for the radar), over the members to whom
    #: the dimension applies.
    team_dimensions: dict[str, Decimal | None] = field(default_factory=dict)
    team_size: int = 1
    #: One dict per scorecard item: indicator, dimension, weight, value, team_average,
    #: percentile, points, rule_kind, direction, params, rules_version, explanation.
    #: ``value``, ``percentile`` and ``points`` are ``None`` when the indicator does not
    #: apply to the person this period (see ``indicators.Indicator.not_applicable_without``).
    items: list[dict] = field(default_factory=list)

    def item(self, code: str) -> dict:
        return next(item for item in self.items if item["indicator"] == code)


def load_catalogue() -> None:
    """The catalogue module registers the indicators on import."""
    try:
        importlib.import_module("pathscore.scoring.catalogue")
    except ModuleNotFoundError as error:
        if error.name != "pathscore.scoring.catalogue":
            raise


def published_scorecards() -> list[Scorecard]:
    """The published scorecards with their dimensions and items (three statements).

    A card's department is compared by id only, so it is not joined."""
    return list(
        Scorecard.objects.filter(status=ScorecardStatus.PUBLISHED)
        .prefetch_related("dimensions", "items")
        .order_by("pk")
    )


def _choose(
    department_ids: Sequence[int], roles: Collection[str], scorecards: list[Scorecard]
) -> Scorecard | None:
    """The scorecard of the nearest department up the tree (``department_ids`` run from
    the top down to the person's own), else of one of the person's ``roles``."""
    if department_ids:
        by_department = {card.department_id: card for card in scorecards if card.department_id}
        for department_id in reversed(department_ids):
            if department_id in by_department:
                return by_department[department_id]
    for card in scorecards:
        if not card.department_id and card.role and card.role in roles:
            return card
    return None


def scorecard_for(person, *, scorecards: list[Scorecard] | None = None) -> Scorecard | None:
    """The published scorecard that applies to ``person`` (department before role), or
    None when none does."""
    department_ids = person.department.ancestor_ids() if person.department_id is not None else []
    return _choose(
        department_ids,
        person.role_codes,
        published_scorecards() if scorecards is None else scorecards,
    )


def _dates(period_or_dates) -> tuple[Period | None, date, date]:
    if isinstance(period_or_dates, Period):
        return period_or_dates, period_or_dates.starts_on, period_or_dates.ends_on
    start, end = period_or_dates
    return None, start, end


def _live_version(period: Period) -> int:
    return cache.get_or_set(f"scoring:live-version:{period.pk}", 1, None)


def _cache_key(period: Period, version: int, person_id: int) -> str:
    return f"scoring:live:{period.pk}:{version}:{person_id}"


def invalidate_live(period: Period) -> None:
    """Forget every cached live score of ``period`` (its data version moves on)."""
    key = f"scoring:live-version:{period.pk}"
    cache.set(key, _live_version(period) + 1, None)


@dataclass(frozen=True)
class _Member:
    """What the engine reads of a person."""

    pk: int
    department_id: int | None
    is_active: bool
    #: The person's department and those above it, from the top of the tree down.
    department_ids: tuple[int, ...]
    roles: frozenset[str]


def _people_and_teammates(ids: set) -> list[_Member]:
    """The people asked about (inactive ones too; unknown ids are ignored) and the active
    members of their departments, with their roles, in one statement.

    A row per role held (or one without a role) brings the roles along; users built as
    model instances with their grants prefetched took two statements and twice the time.
    """
    if not ids:
        return []
    their_departments = User.objects.filter(pk__in=ids, department__isnull=False).values(
        "department_id"
    )
    rows = User.objects.filter(
        Q(pk__in=ids) | Q(department_id__in=their_departments, is_active=True)
    ).values_list("pk", "department_id", "is_active", "department__path", "role_grants__role")
    people: dict[int, tuple[int | None, bool]] = {}
    roles: dict[int, set[str]] = defaultdict(set)
    tree: dict[int, tuple[int, ...]] = {}
    for pk, department_id, is_active, path, role in rows:
        people[pk] = (department_id, is_active)
        if department_id is not None and department_id not in tree:
            tree[department_id] = tuple(Department(path=path).ancestor_ids())
        if role is not None:
            roles[pk].add(role)
    return [
        _Member(pk, department_id, is_active, tree.get(department_id, ()), frozenset(roles[pk]))
        for pk, (department_id, is_active) in people.items()
    ]


def evaluate(
    people: Iterable, period_or_dates, *, use_cache: bool = True
) -> dict[int, PersonScore]:
    """Scores of ``people`` for a period or a ``(start, end)`` pair of dates.

    Returns ``{person_id: PersonScore}``; people to whom no scorecard applies are left
    out. Scores of an open period are cached for ``LIVE_TIMEOUT`` seconds.
    """
    period, start, end = _dates(period_or_dates)
    ids = {getattr(person, "pk", person) for person in people}
    loaded = _people_and_teammates(ids)
    # Ids may come as strings: compare the users' own keys, as the query did.
    asked = {User._meta.pk.to_python(pk) for pk in ids}
    wanted = [person for person in loaded if person.pk in asked]
    live = use_cache and period is not None and period.state == PeriodState.OPEN
    cached: dict[int, PersonScore] = {}
    if live:
        version = _live_version(period)
        keys = {_cache_key(period, version, person.pk): person.pk for person in wanted}
        found = cache.get_many(list(keys))
        cached = {keys[key]: value for key, value in found.items()}
        wanted = [person for person in wanted if person.pk not in cached]
    if not wanted:
        return cached

    load_catalogue()
    scorecards = published_scorecards()
    people_by_id = {person.pk: person for person in wanted}
    departments = {person.department_id for person in wanted if person.department_id}
    # Teammates of the people still to score: active members of their departments (a
    # person asked about whose score was cached may be one of them).
    for member in loaded:
        if (
            member.pk not in people_by_id
            and member.is_active
            and member.department_id in departments
        ):
            people_by_id[member.pk] = member

    card_of: dict[int, Scorecard] = {}
    for person in people_by_id.values():
        card = _choose(person.department_ids, person.roles, scorecards)
        if card is not None:
            card_of[person.pk] = card
    wanted_ids = [person.pk for person in wanted if person.pk in card_of]
    # Teams: who to compare with. An inactive teammate, or one with another scorecard,
    # is not compared (an inactive person asked about still gets a score).
    wanted_set = set(wanted_ids)
    by_department: dict[int, list] = defaultdict(list)
    for other in people_by_id.values():
        if other.department_id is not None:
            by_department[other.department_id].append(other)
    team_of: dict[int, list[int]] = {}
    for person_id, card in card_of.items():
        person = people_by_id[person_id]
        if person.department_id is None:
            team_of[person_id] = [person_id]
            continue
        team_of[person_id] = sorted(
            other.pk
            for other in by_department[person.department_id]
            if card_of.get(other.pk) is card and (other.is_active or other.pk == person_id)
        )
    concerned = sorted({member for pk in wanted_set for member in team_of[pk]})

    values = _compute_values(concerned, card_of, start, end)
    memo: dict = {}  # per item and team: the rule, the team's values and average
    scores = {
        pk: _score_person(people_by_id[pk], card_of[pk], team_of[pk], values, memo)
        for pk in concerned
    }
    # A teammate's team is the same department and scorecard, so their score is complete
    # too; only people asked about keep their own (possibly inactive) team membership.
    for person_id in wanted_ids:
        team = team_of[person_id]
        mine = scores[person_id]
        for dimension in mine.dimensions:
            members = [
                scores[pk].dimensions[dimension]
                for pk in team
                if scores[pk].dimensions.get(dimension) is not None
            ]
            mine.team_dimensions[dimension] = (
                (sum(members, Decimal(0)) / len(members)).quantize(
                    TWO_PLACES, rounding=ROUND_HALF_UP
                )
                if members
                else None
            )
        mine.team_size = len(team)
    result = {pk: scores[pk] for pk in wanted_ids}
    if live:
        cache.set_many(
            {_cache_key(period, version, pk): score for pk, score in result.items()}, LIVE_TIMEOUT
        )
    return {**cached, **result}


def _params_key(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _compute_values(
    person_ids: list[int], card_of: dict[int, Scorecard], start: date, end: date
) -> dict[tuple[str, str], dict[int, Decimal]]:
    """``{(indicator, params key): {person_id: value}}`` — one compute call per indicator
    and parameter set, for everyone whose scorecard uses it."""
    needed: dict[tuple[str, str], tuple[dict, set[int]]] = {}
    keys: dict[int, tuple[str, str]] = {}
    for person_id in person_ids:
        for item in card_of[person_id].items.all():
            params = item.params or {}
            if item.pk not in keys:
                keys[item.pk] = (item.indicator, _params_key(params))
            needed.setdefault(keys[item.pk], (params, set()))[1].add(person_id)
    values = {}
    for code, _key in needed:
        try:
            indicators.get(code)
        except KeyError:
            raise ValidationError(
                _("The scorecard uses the indicator %(code)s, which is not in the catalogue.")
                % {"code": code},
                code="unknown_indicator",
            ) from None
    # Indicators reading the same rows (follow-ups, contracts, approved nodes) share a query.
    with indicators.shared_reads():
        for (code, key), (params, ids) in needed.items():
            values[(code, key)] = indicators.compute(code, sorted(ids), start, end, params)
    return values


def _prepared(item, team: list[int], values, memo: dict):
    """The rule, the values by person, the team's values and average of one item — the
    same for every member of the team, so computed once per team."""
    key = (item.pk, tuple(team))
    if key not in memo:
        params = item.params or {}
        by_person = values[(item.indicator, _params_key(params))]
        # Teammates to whom the indicator does not apply are not compared with.
        team_values = [by_person[pk] for pk in team if by_person.get(pk) is not None]
        average = sum(team_values, Decimal(0)) / len(team_values) if team_values else None
        rule = memo.get(item.pk)
        if rule is None:
            rule = memo[item.pk] = rules.Rule.from_params(item.rule_kind, item.direction, params)
        # Converted, averaged and sorted once for the whole team, not once per member.
        prepared = rules.Team.of(team_values) if team_values else None
        memo[key] = (rule, params, by_person, prepared, average)
    return memo[key]


def _not_applicable(item, params: dict, average: Decimal | None) -> dict:
    """The explanation of an indicator that does not apply to the person this period."""
    return {
        "indicator": item.indicator,
        "dimension": item.dimension,
        "weight": item.weight,
        "value": None,
        "team_average": (
            None if average is None else average.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
        ),
        "percentile": None,
        "points": None,
        "rule_kind": item.rule_kind,
        "direction": item.direction,
        "params": params,
        "rules_version": rules.RULES_VERSION,
        "explanation": "not applicable: nothing to measure in the period",
    }


def _score_person(person, card: Scorecard, team: list[int], values, memo: dict) -> PersonScore:
    items = []
    weighted = []
    for item in card.items.all():
        rule, params, by_person, team_values, average = _prepared(item, team, values, memo)
        value = by_person[person.pk]
        if value is None:
            items.append(_not_applicable(item, params, average))
            weighted.append(rules.WeightedItem(item.dimension, item.weight, None))
            continue
        if team_values is None:
            team_values, average = rules.Team.of([value]), value
        scored = rules.score(rule, value, team_values=team_values)
        items.append(
            {
                "indicator": item.indicator,
                "dimension": item.dimension,
                "weight": item.weight,
                "value": value,
                "team_average": average.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP),
                "percentile": rules.percentile(value, team_values, direction=item.direction),
                "points": scored.points,
                "rule_kind": item.rule_kind,
                "direction": item.direction,
                "params": params,
                "rules_version": scored.rules_version,
                "explanation": scored.explanation,
            }
        )
        weighted.append(rules.WeightedItem(item.dimension, item.weight, scored.points))
    dimension_weights = {dim.dimension: dim.weight for dim in card.dimensions.all()}
    total = rules.combine(dimension_weights, weighted)
    return PersonScore(
        person_id=person.pk,
        department_id=person.department_id,
        scorecard_id=card.pk,
        scorecard_code=card.code,
        scorecard_version=card.version,
        total=total.total,
        dimensions=total.dimensions,
        dimension_weights=dimension_weights,
        items=items,
    )


def recombine(dimension_weights: dict, items: list[dict]) -> rules.Total:
    """Dimension scores and total from (possibly overridden) frozen items."""
    weighted = [
        rules.WeightedItem(
            item["dimension"],
            Decimal(str(item["weight"])),
            None if item["points"] is None else Decimal(str(item["points"])),
        )
        for item in items
    ]
    return rules.combine({d: Decimal(str(w)) for d, w in dimension_weights.items()}, weighted)


def to_json(value):
    """Decimals as strings, recursively, for the frozen JSON snapshot."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value
