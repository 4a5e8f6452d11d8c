"""The node-score and delay-deduction rules: bounded, monotone, explained."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathscore.process.rules import BANDS, PER_DAY, DelayRule, delay_deduction, node_score

points = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
shares = st.decimals(min_value=0, max_value=1, places=2, allow_nan=False, allow_infinity=False)
days = st.integers(min_value=0, max_value=400)


@st.composite
def rules(draw):
    if draw(st.booleans()):
        return DelayRule(kind=PER_DAY, points_per_day=draw(points), cap=draw(points))
    starts = sorted(draw(st.sets(st.integers(min_value=1, max_value=60), min_size=1, max_size=5)))
    values = sorted(draw(st.lists(points, min_size=len(starts), max_size=len(starts))))
    return DelayRule(kind=BANDS, bands=tuple(zip(starts, values, strict=True)))


def test_per_day_with_cap_worked_example():
    rule = DelayRule(kind=PER_DAY, points_per_day=Decimal("1.5"), cap=Decimal("6"))
    assert delay_deduction(rule, 0).deduction == Decimal("0.00")
    assert delay_deduction(rule, 2).deduction == Decimal("3.00")
    result = delay_deduction(rule, 9)
    assert result.deduction == Decimal("6.00")
    assert "capped" in result.explanation


def test_bands_worked_example():
    rule = DelayRule(kind=BANDS, bands=((1, Decimal("2")), (4, Decimal("5")), (8, Decimal("10"))))
    assert [delay_deduction(rule, d).deduction for d in (0, 1, 3, 4, 7, 8, 30)] == [
        Decimal(x) for x in ("0.00", "2.00", "2.00", "5.00", "5.00", "10.00", "10.00")
    ]


def test_node_score_worked_example():
    # A requirement report worth 20, rated 90/100, two days late at 1 point a day,
    # half of the deduction waived because the customer withheld the load data.
    score = node_score(
        base=Decimal("20"),
        quality_score=Decimal("90"),
        rule=DelayRule(kind=PER_DAY, points_per_day=Decimal("1"), cap=Decimal("5")),
        days_late=2,
        waived_share=Decimal("0.5"),
    )
    assert score.points == Decimal("17.00")  # 20 × 0.9 − 2 × 0.5
    assert score.deduction.rule_deduction == Decimal("2.00")
    assert score.deduction.deduction == Decimal("1.00")
    assert score.steps[-1] == "= 17.00"
    assert score.as_dict()["points"] == "17.00"


def test_no_quality_score_means_full_factor():
    score = node_score(base=Decimal("10"), quality_score=None, rule=DelayRule(), days_late=0)
    assert score.points == Decimal("10.00")
    assert "no quality score" in score.steps[1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "weekly"},
        {"points_per_day": Decimal("-1")},
        {"kind": BANDS, "bands": ((3, Decimal("1")), (2, Decimal("2")))},
        {"kind": BANDS, "bands": ((0, Decimal("1")),)},
    ],
)
def test_invalid_rules_are_refused(kwargs):
    with pytest.raises(ValueError):
        DelayRule(**kwargs)


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        delay_deduction(DelayRule(), -1)
    with pytest.raises(ValueError):
        delay_deduction(DelayRule(), 1, Decimal("1.5"))
    with pytest.raises(ValueError):
        node_score(base=Decimal("10"), quality_score=Decimal("101"), rule=DelayRule(), days_late=0)


@given(rule=rules(), late=days, waived=shares)
def test_deduction_is_bounded(rule, late, waived):
    result = delay_deduction(rule, late, waived)
    ceiling = rule.cap if rule.kind == PER_DAY else max(p for _d, p in rule.bands)
    assert Decimal("0") <= result.deduction <= result.rule_deduction <= ceiling


@given(rule=rules(), late=days, more=st.integers(min_value=0, max_value=30), waived=shares)
def test_more_delay_never_costs_less(rule, late, more, waived):
    assert (
        delay_deduction(rule, late + more, waived).deduction
        >= delay_deduction(rule, late, waived).deduction
    )


@given(rule=rules(), late=days, waived=shares, extra=shares)
def test_waiving_more_never_costs_more(rule, late, waived, extra):
    more = min(waived + extra, Decimal("1"))
    assert (
        delay_deduction(rule, late, more).deduction <= delay_deduction(rule, late, waived).deduction
    )


@given(base=points, quality=points, rule=rules(), late=days, waived=shares)
def test_node_score_is_bounded_by_base(base, quality, rule, late, waived):
    score = node_score(
        base=base, quality_score=quality, rule=rule, days_late=late, waived_share=waived
    )
    assert Decimal("0") <= score.points <= base


@given(base=points, quality=points, better=points, rule=rules(), late=days)
def test_better_quality_never_scores_lower(base, quality, better, rule, late):
    low, high = sorted((quality, better))
    kwargs = {"base": base, "rule": rule, "days_late": late}
    assert (
        node_score(quality_score=high, **kwargs).points
        >= node_score(quality_score=low, **kwargs).points
    )


def test_rules_module_is_pure():
    import ast
    from pathlib import Path

    import pathscore.process.rules as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith(("django", "pathscore")) for name in imported), imported
