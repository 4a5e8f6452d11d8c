"""A small test scorecard over test indicators whose values the test chooses, so a score
can be computed by hand."""

from __future__ import annotations

from decimal import Decimal as D

from pathscore.core.choices import Role
from pathscore.scoring import indicators
from pathscore.scoring.indicators import Indicator
from pathscore.scoring.models import Scorecard, ScorecardDimension, ScorecardItem

CODES = ("t_visits", "t_revisions", "t_quality")


class Values:
    """Indicator values per person, and a log of compute calls."""

    def __init__(self):
        self.values: dict[str, dict[int, D]] = {code: {} for code in CODES}
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    def set(self, person, **values):
        for code, value in values.items():
            self.values[f"t_{code}"][person.pk] = D(str(value))

    def compute_for(self, code):
        def compute(person_ids, start, end, params):
            self.calls.append((code, tuple(person_ids)))
            return {pk: self.values[code].get(pk, D(0)) for pk in person_ids}

        return compute


def register_test_indicators() -> Values:
    values = Values()
    for code, dimension, direction in (
        ("t_visits", "process", "higher"),
        ("t_revisions", "process", "lower"),
        ("t_quality", "ability", "higher"),
    ):
        indicators.register(
            Indicator(
                code=code,
                name=code,
                dimension=dimension,
                unit="",
                direction=direction,
                definition=code,
                compute=values.compute_for(code),
            )
        )
    return values


def unregister_test_indicators() -> None:
    for code in CODES:
        indicators._catalogue.pop(code, None)


def build_scorecard(
    *, code, dimensions: dict, items: list, department=None, role="", name="测试考核表"
):
    """A published scorecard: ``dimensions`` is ``{dimension: weight}``, ``items`` a list of
    ``(indicator, dimension, weight, rule_kind, direction, params)`` in order."""
    card = Scorecard.objects.create(
        code=code, name=name, department=department, role=role, status="published"
    )
    for dimension, weight in dimensions.items():
        ScorecardDimension.objects.create(scorecard=card, dimension=dimension, weight=D(weight))
    for order, (indicator, dimension, weight, kind, direction, params) in enumerate(items, 1):
        ScorecardItem.objects.create(
            scorecard=card,
            indicator=indicator,
            dimension=dimension,
            weight=D(weight),
            rule_kind=kind,
            direction=direction,
            params=params,
            order=order,
        )
    return card


def make_scorecard(*, department=None, role=Role.SALESPERSON, code="test-card") -> Scorecard:
    """Process 60 (visits 50 team-relative 1.5×, revisions 50 lower target 2 zero at 6),
    ability 40 (quality 100 percentile)."""
    return build_scorecard(
        code=code,
        department=department,
        role="" if department else role,
        dimensions={"process": 60, "ability": 40},
        items=[
            ("t_visits", "process", 50, "team_relative", "higher", {"full_at": "1.5"}),
            ("t_revisions", "process", 50, "target", "lower", {"target": "2", "zero_at": "6"}),
            ("t_quality", "ability", 100, "percentile", "higher", {}),
        ],
    )
