"""Pure scoring rules of the process engine: node score and delay deduction.

No Django, no ORM: plain values in, points and a structured explanation out, so the rules
can be tested exhaustively (hypothesis) and an explanation can be stored beside every
score and shown to the person it concerns.

    node score = base × quality factor − delay deduction   (never below zero)

* quality factor = quality score / 100, when the reviewer gave one (0–100); 1 otherwise.
* delay deduction follows the node's rule: ``per_day`` (points per day late, capped) or
  ``bands`` (a fixed deduction once the delay reaches each band's first day), reduced by
  the share a manager waived after accepting a customer or external reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

PER_DAY = "per_day"
BANDS = "bands"
TWO_PLACES = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DelayRule:
    """How lateness costs points.

    ``kind`` is ``per_day`` (``points_per_day`` each day late, at most ``cap``) or
    ``bands``: ``bands`` is a sequence of ``(from_day, points)``; the largest band reached
    applies (e.g. ``((1, 2), (4, 5), (8, 10))``: 1–3 days late −2, 4–7 days −5, 8+ −10).
    """

    kind: str = PER_DAY
    points_per_day: Decimal = Decimal("1")
    cap: Decimal = Decimal("10")
    bands: tuple[tuple[int, Decimal], ...] = ()

    def __post_init__(self):
        if self.kind not in (PER_DAY, BANDS):
            raise ValueError(f"unknown delay rule kind: {self.kind}")
        if self.points_per_day < 0 or self.cap < 0:
            raise ValueError("deductions cannot be negative")
        days = [day for day, _points in self.bands]
        if days != sorted(days) or len(set(days)) != len(days) or any(d < 1 for d in days):
            raise ValueError("bands must start at day 1 or later, in increasing order")
        if any(points < 0 for _day, points in self.bands):
            raise ValueError("band deductions cannot be negative")


@dataclass(frozen=True)
class DeductionResult:
    days_late: int
    rule_deduction: Decimal
    waived_share: Decimal
    deduction: Decimal
    explanation: str


def delay_deduction(
    rule: DelayRule, days_late: int, waived_share: Decimal = Decimal("0")
) -> DeductionResult:
    """Points lost for ``days_late`` days, after a manager waived ``waived_share`` (0–1)."""
    if days_late < 0:
        raise ValueError("days_late cannot be negative")
    if not Decimal("0") <= waived_share <= Decimal("1"):
        raise ValueError("waived_share must lie between 0 and 1")
    if days_late == 0:
        raw = Decimal("0")
        why = "on time"
    elif rule.kind == PER_DAY:
        uncapped = rule.points_per_day * days_late
        raw = min(uncapped, rule.cap)
        why = f"{days_late} d × {rule.points_per_day} = {uncapped}" + (
            f", capped at {rule.cap}" if uncapped > rule.cap else ""
        )
    else:
        reached = [(day, points) for day, points in rule.bands if days_late >= day]
        raw = max((points for _day, points in reached), default=Decimal("0"))
        why = (
            f"{days_late} d late: band from day {reached[-1][0]}"
            if reached
            else "below the first band"
        )
    deduction = _money(raw * (Decimal("1") - waived_share))
    if waived_share:
        why += f"; {_money(waived_share * 100)}% waived"
    return DeductionResult(
        days_late=days_late,
        rule_deduction=_money(raw),
        waived_share=waived_share,
        deduction=deduction,
        explanation=why,
    )


@dataclass(frozen=True)
class NodeScore:
    base: Decimal
    quality_score: Decimal | None
    quality_factor: Decimal
    deduction: DeductionResult
    points: Decimal
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def node_score(
    *,
    base: Decimal,
    quality_score: Decimal | None,
    rule: DelayRule,
    days_late: int,
    waived_share: Decimal = Decimal("0"),
) -> NodeScore:
    """The score of an approved node, with every step of the calculation spelled out."""
    if base < 0:
        raise ValueError("base score cannot be negative")
    if quality_score is not None and not Decimal("0") <= quality_score <= Decimal("100"):
        raise ValueError("quality score must lie between 0 and 100")
    factor = Decimal("1") if quality_score is None else quality_score / Decimal("100")
    deduction = delay_deduction(rule, days_late, waived_share)
    gross = base * factor
    points = _money(max(gross - deduction.deduction, Decimal("0")))
    steps = [
        f"base {base}",
        f"× quality {factor:.2f}" + ("" if quality_score is not None else " (no quality score)"),
        f"− delay {deduction.deduction} ({deduction.explanation})",
        f"= {points}",
    ]
    return NodeScore(
        base=base,
        quality_score=quality_score,
        quality_factor=_money(factor),
        deduction=deduction,
        points=points,
        steps=steps,
    )
