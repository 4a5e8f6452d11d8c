"""Pure scorecard rules: turn an indicator's raw value into 0–100 points, and weighted
points into dimension and total scores.

No Django, no ORM: values in, points and a human-readable explanation out, so every score
can be recomputed, tested exhaustively and explained to the person it concerns.

Rule kinds (each handles "higher is better" and "lower is better"):

* ``target`` — linear towards a target. Higher is better: 0 points at ``floor`` (default
  0), 100 at ``target`` and above. Lower is better: 100 at ``target`` and below, 0 at
  ``zero_at`` and above.
* ``bands`` — fixed points per band: ``bands`` is a list of ``(threshold, points)``.
  Higher is better: the band with the largest threshold not above the value applies.
  Lower is better: the band with the smallest threshold not below the value applies.
* ``team_relative`` — against the team average (the person's own department). Higher is
  better: 100 points at ``full_at`` × average (e.g. 1.5 × average), linear below. Lower is
  better: 100 points at ``full_at`` × average or less (e.g. 0.5 × average), decreasing as
  ``(full_at × average) / value`` above it.
* ``percentile`` — the person's percentile rank within the team (ties share the rank).

An indicator may not apply to a person in a period (there is nothing to measure: no
customer feedback was relayed, no proposal was written). It then earns no points either
way; ``combine`` shares its weight among the dimension's other indicators, so doing
nothing never earns the full marks a "lower is better" indicator gives to a zero.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TARGET, BANDS, TEAM_RELATIVE, PERCENTILE = "target", "bands", "team_relative", "percentile"
KINDS = (TARGET, BANDS, TEAM_RELATIVE, PERCENTILE)
HIGHER, LOWER = "higher", "lower"
#: Bumped whenever a rule's arithmetic changes, and stored with every score.
RULES_VERSION = 1

HUNDRED = Decimal("100")
ZERO = Decimal("0")
TWO_PLACES = Decimal("0.01")


def _points(value: Decimal) -> Decimal:
    return min(max(value, ZERO), HUNDRED).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _d(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class RuleError(ValueError):
    """A rule's parameters make no sense (the scorecard editor shows the message)."""


@dataclass(frozen=True)
class Rule:
    kind: str
    direction: str = HIGHER
    target: Decimal | None = None
    floor: Decimal = ZERO
    zero_at: Decimal | None = None
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    full_at: Decimal = Decimal("1.5")

    def __post_init__(self):
        if self.kind not in KINDS:
            raise RuleError(f"unknown rule kind {self.kind!r}")
        if self.direction not in (HIGHER, LOWER):
            raise RuleError(f"unknown direction {self.direction!r}")
        if self.kind == TARGET:
            if self.target is None:
                raise RuleError("a target rule needs a target")
            if self.direction == HIGHER and self.target <= self.floor:
                raise RuleError("the target must be above the floor")
            if self.direction == LOWER and (self.zero_at is None or self.zero_at <= self.target):
                raise RuleError("a lower-is-better target needs a zero point above the target")
        if self.kind == BANDS:
            if not self.bands:
                raise RuleError("a band rule needs at least one band")
            thresholds = [t for t, _p in self.bands]
            if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
                raise RuleError("band thresholds must increase")
            if any(not ZERO <= p <= HUNDRED for _t, p in self.bands):
                raise RuleError("band points lie between 0 and 100")
        if self.kind == TEAM_RELATIVE and self.full_at <= 0:
            raise RuleError("full marks must be at a positive multiple of the team average")

    @classmethod
    def from_params(cls, kind: str, direction: str, params: dict) -> Rule:
        """Build a rule from stored JSON parameters (numbers may come as strings)."""
        return cls(
            kind=kind,
            direction=direction,
            target=_d(params["target"]) if params.get("target") not in (None, "") else None,
            floor=_d(params.get("floor", 0) or 0),
            zero_at=_d(params["zero_at"]) if params.get("zero_at") not in (None, "") else None,
            bands=tuple((_d(t), _d(p)) for t, p in params.get("bands", [])),
            full_at=_d(params.get("full_at", "1.5")),
        )


@dataclass(frozen=True)
class Team:
    """A team's values made ready once for scoring each of its members: converted to
    decimals, averaged and sorted. Scoring a team one member at a time otherwise repeats
    the conversion and the average for every member, and counts the percentile by
    comparing with everyone."""

    #: The values in the order given; the average sums them in that order.
    values: tuple[Decimal, ...]
    average: Decimal
    ordered: tuple[Decimal, ...]

    @classmethod
    def of(cls, team_values: Sequence) -> Team:
        values = tuple(_d(v) for v in team_values)
        if not values:
            raise ValueError("a team has at least one value")
        return cls(
            values=values, average=sum(values, ZERO) / len(values), ordered=tuple(sorted(values))
        )

    def rank(self, value: Decimal, *, higher: bool) -> Decimal:
        """The percentile rank of ``value`` (0–100, not rounded): the share of the team
        worse off, ties counting half."""
        low, high = bisect_left(self.ordered, value), bisect_right(self.ordered, value)
        below = low if higher else len(self.ordered) - high
        equal = high - low
        return (Decimal(below) + Decimal(equal) / 2) / Decimal(len(self.ordered)) * HUNDRED


@dataclass(frozen=True)
class Scored:
    points: Decimal
    explanation: str
    rules_version: int = RULES_VERSION


def score(rule: Rule, value: Decimal, *, team_values: Sequence[Decimal] | Team = ()) -> Scored:
    """Points (0–100) for ``value`` under ``rule``; ``team_values`` are the team's values
    (the person's own included) for the relative and percentile rules, or a ``Team``
    prepared once when scoring several members."""
    value = _d(value)
    higher = rule.direction == HIGHER
    if rule.kind == TARGET:
        if higher:
            raw = (value - rule.floor) / (rule.target - rule.floor) * HUNDRED
            why = f"({value} − {rule.floor}) / ({rule.target} − {rule.floor}) × 100"
        else:
            raw = (
                HUNDRED
                if value <= rule.target
                else (rule.zero_at - value) / (rule.zero_at - rule.target) * HUNDRED
            )
            why = f"100 at ≤ {rule.target}, 0 at ≥ {rule.zero_at}"
    elif rule.kind == BANDS:
        if higher:
            reached = [p for t, p in rule.bands if value >= t]
            raw = reached[-1] if reached else ZERO
        else:
            reached = [p for t, p in rule.bands if value <= t]
            raw = reached[0] if reached else ZERO
        why = f"band for {value}"
    elif rule.kind == TEAM_RELATIVE:
        average = _team(team_values, value).average
        full = rule.full_at * average
        if higher:
            raw = (HUNDRED if value > 0 else ZERO) if full == 0 else value / full * HUNDRED
            why = f"{value} / ({rule.full_at} × team average {average:.2f}) × 100"
        else:
            raw = HUNDRED if value <= full else full / value * HUNDRED
            why = f"full marks at ≤ {rule.full_at} × team average {average:.2f}"
    else:
        team = _team(team_values, value)
        raw = team.rank(value, higher=higher)
        why = f"percentile rank in a team of {len(team.values)}"
    return Scored(points=_points(raw), explanation=why)


def percentile(value: Decimal, team: Team, *, direction: str) -> Decimal:
    """The points of ``value``'s percentile rank in ``team``: what a percentile rule in
    ``direction`` gives, without the explanation (shown beside every item's points)."""
    if direction not in (HIGHER, LOWER):
        raise RuleError(f"unknown direction {direction!r}")
    return _points(team.rank(_d(value), higher=direction == HIGHER))


def _team(team_values: Sequence[Decimal] | Team, value: Decimal) -> Team:
    """The team to score against; a person without a team is their own team."""
    if isinstance(team_values, Team):
        return team_values
    return Team.of(list(team_values) or [value])


@dataclass(frozen=True)
class WeightedItem:
    dimension: str
    weight: Decimal
    #: ``None`` when the indicator does not apply to the person this period (nothing to
    #: measure, e.g. no proposal written): the item then counts for nothing and its weight
    #: is shared among the dimension's other items.
    points: Decimal | None


@dataclass(frozen=True)
class Total:
    total: Decimal
    dimensions: dict[str, Decimal | None] = field(default_factory=dict)


def check_weights(
    dimension_weights: dict[str, Decimal], item_weights: dict[str, Sequence[Decimal]]
) -> list[str]:
    """Problems with a scorecard's weights: dimensions total 100, and within each
    dimension the indicator weights total 100."""
    problems = []
    if sum((_d(w) for w in dimension_weights.values()), ZERO) != HUNDRED:
        problems.append("dimension weights must total 100")
    for dimension, weights in item_weights.items():
        if dimension not in dimension_weights:
            problems.append(f"dimension {dimension} has indicators but no weight")
        elif sum((_d(w) for w in weights), ZERO) != HUNDRED:
            problems.append(f"indicator weights in {dimension} must total 100")
    for dimension, weight in dimension_weights.items():
        if _d(weight) > 0 and not item_weights.get(dimension):
            problems.append(f"dimension {dimension} has a weight but no indicators")
    if any(_d(w) < 0 for w in dimension_weights.values()) or any(
        _d(w) < 0 for weights in item_weights.values() for w in weights
    ):
        problems.append("weights cannot be negative")
    return problems


def _weighted_mean(pairs: Sequence[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ weight × points / Σ weight, or ``None`` when no weight applies."""
    weight = sum((_d(w) for w, _p in pairs), ZERO)
    if weight <= 0:
        return None
    return sum((_d(w) * _d(p) for w, p in pairs), ZERO) / weight


def combine(dimension_weights: dict[str, Decimal], items: Sequence[WeightedItem]) -> Total:
    """Dimension scores (0–100) and the weighted total (0–100).

    An item without points (not applicable) is left out and the remaining items of its
    dimension share its weight in proportion to theirs; a dimension with no applicable
    item is left out of the total the same way. With every item applicable this is the
    plain weighted sum, since the weights total 100 at both levels.
    """
    dimensions: dict[str, Decimal | None] = {}
    for dimension in dimension_weights:
        mine = [
            (item.weight, item.points)
            for item in items
            if item.dimension == dimension and item.points is not None
        ]
        mean = _weighted_mean(mine)
        dimensions[dimension] = None if mean is None else _points(mean)
    total = _weighted_mean(
        [(w, dimensions[d]) for d, w in dimension_weights.items() if dimensions[d] is not None]
    )
    return Total(total=_points(total if total is not None else ZERO), dimensions=dimensions)
