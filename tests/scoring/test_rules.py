"""Scorecard rules: bounded, monotone in the right direction, weights respected."""

from decimal import Decimal as D

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pathscore.scoring.rules import (
    BANDS,
    HIGHER,
    LOWER,
    PERCENTILE,
    TARGET,
    TEAM_RELATIVE,
    Rule,
    RuleError,
    Team,
    WeightedItem,
    check_weights,
    combine,
    percentile,
    score,
)

values = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
teams = st.lists(values, min_size=1, max_size=12)


@st.composite
def rules(draw):
    kind = draw(st.sampled_from([TARGET, BANDS, TEAM_RELATIVE, PERCENTILE]))
    direction = draw(st.sampled_from([HIGHER, LOWER]))
    if kind == TARGET:
        target = draw(st.decimals(min_value=1, max_value=500, places=1))
        if direction == HIGHER:
            return Rule(kind=kind, direction=direction, target=target)
        return Rule(kind=kind, direction=direction, target=target, zero_at=target * 2)
    if kind == BANDS:
        thresholds = sorted(
            draw(st.sets(st.integers(min_value=0, max_value=500), min_size=1, max_size=5))
        )
        points = sorted(
            draw(
                st.lists(
                    st.integers(min_value=0, max_value=100),
                    min_size=len(thresholds),
                    max_size=len(thresholds),
                )
            )
        )
        if direction == LOWER:
            points = list(reversed(points))
        return Rule(
            kind=kind,
            direction=direction,
            bands=tuple((D(t), D(p)) for t, p in zip(thresholds, points, strict=True)),
        )
    full_at = draw(st.sampled_from([D("0.5"), D("1"), D("1.5"), D("2")]))
    return Rule(kind=kind, direction=direction, full_at=full_at)


def test_worked_examples():
    visits = Rule(kind=TEAM_RELATIVE, direction=HIGHER, full_at=D("1.5"))
    # The team averages 10 follow-ups; 15 (1.5 × average) earns full marks, 6 earns 40.
    team = [D(6), D(9), D(15)] + [D(10)] * 7
    assert score(visits, D(15), team_values=team).points == D("100.00")
    assert score(visits, D(6), team_values=team).points == D("40.00")
    on_time = Rule(kind=TARGET, direction=HIGHER, target=D("0.9"))
    assert score(on_time, D("0.8")).points == D("88.89")
    revisions = Rule(kind=TARGET, direction=LOWER, target=D(2), zero_at=D(6))
    assert [score(revisions, D(v)).points for v in (1, 2, 4, 6, 9)] == [
        D(x) for x in ("100.00", "100.00", "50.00", "0.00", "0.00")
    ]
    bands = Rule(kind=BANDS, direction=HIGHER, bands=((D(0), D(0)), (D(3), D(60)), (D(5), D(100))))
    assert [score(bands, D(v)).points for v in (2, 3, 4, 7)] == [
        D(x) for x in ("0.00", "60.00", "60.00", "100.00")
    ]
    rank = Rule(kind=PERCENTILE)
    assert score(rank, D(3), team_values=[D(1), D(2), D(3), D(4)]).points == D("62.50")


def test_weights_must_total_100():
    assert (
        check_weights(
            {"process": D(40), "ability": D(30), "attitude": D(10), "results": D(20)},
            {
                "process": [D(50), D(50)],
                "ability": [D(100)],
                "attitude": [D(100)],
                "results": [D(60), D(40)],
            },
        )
        == []
    )
    problems = check_weights(
        {"process": D(60), "ability": D(30)}, {"process": [D(50), D(40)], "ability": [D(100)]}
    )
    assert "dimension weights must total 100" in problems
    assert "indicator weights in process must total 100" in problems


def test_combine_worked_example():
    total = combine(
        {"process": D(60), "results": D(40)},
        [
            WeightedItem("process", D(50), D(80)),
            WeightedItem("process", D(50), D(100)),
            WeightedItem("results", D(100), D(0)),
        ],
    )
    assert total.dimensions == {"process": D("90.00"), "results": D("0.00")}
    assert total.total == D("54.00")


def test_an_item_that_does_not_apply_gives_its_weight_to_the_others():
    """Revisions do not apply (no proposal written): the process dimension is the
    follow-ups' points alone, not a mean with a free 100."""
    total = combine(
        {"process": D(60), "results": D(40)},
        [
            WeightedItem("process", D(70), D(80)),
            WeightedItem("process", D(30), None),
            WeightedItem("results", D(100), D(50)),
        ],
    )
    assert total.dimensions == {"process": D("80.00"), "results": D("50.00")}
    assert total.total == D("68.00")  # 0.6 × 80 + 0.4 × 50


def test_a_dimension_with_nothing_applicable_leaves_the_total():
    total = combine(
        {"process": D(60), "ability": D(40)},
        [WeightedItem("process", D(100), D(75)), WeightedItem("ability", D(100), None)],
    )
    assert total.dimensions == {"process": D("75.00"), "ability": None}
    assert total.total == D("75.00")
    assert combine({"process": D(100)}, [WeightedItem("process", D(100), None)]).total == D(0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "guess"},
        {"kind": TARGET},
        {"kind": TARGET, "target": D(0)},
        {"kind": TARGET, "direction": LOWER, "target": D(5)},
        {"kind": BANDS},
        {"kind": BANDS, "bands": ((D(5), D(10)), (D(3), D(20)))},
        {"kind": BANDS, "bands": ((D(1), D(120)),)},
        {"kind": TEAM_RELATIVE, "full_at": D(0)},
    ],
)
def test_nonsense_rules_are_refused(kwargs):
    with pytest.raises(RuleError):
        Rule(**kwargs)


def test_rules_from_stored_parameters():
    rule = Rule.from_params(BANDS, HIGHER, {"bands": [["0", "0"], ["3", "60"]]})
    assert score(rule, D(4)).points == D("60.00")


@given(rule=rules(), value=values, team=teams)
def test_points_are_bounded(rule, value, team):
    assert D(0) <= score(rule, value, team_values=[*team, value]).points <= D(100)


@given(rule=rules(), value=values, team=teams, ties=st.integers(min_value=0, max_value=3))
def test_a_prepared_team_scores_exactly_as_its_values(rule, value, team, ties):
    team = team + [value] * ties
    alone, prepared = (
        score(rule, value, team_values=team),
        score(rule, value, team_values=Team.of(team)),
    )
    # The same digits, not only an equal number.
    assert (str(prepared.points), prepared.explanation) == (str(alone.points), alone.explanation)


@given(value=values, team=teams, higher=st.booleans())
def test_the_percentile_column_is_the_percentile_rules_points(value, team, higher):
    direction = HIGHER if higher else LOWER
    team = [*team, value]
    ranked = score(Rule(kind=PERCENTILE, direction=direction), value, team_values=team).points
    assert str(percentile(value, Team.of(team), direction=direction)) == str(ranked)


def test_the_percentile_column_refuses_an_unknown_direction():
    with pytest.raises(RuleError):
        percentile(D(1), Team.of([D(1)]), direction="sideways")


few = st.sampled_from([D("0"), D("0.00"), D("1"), D("1.0"), D("2.5"), D("7")])


@given(value=few, team=st.lists(few, min_size=1, max_size=12), higher=st.booleans())
def test_percentile_rank_counts_the_team_worse_off_ties_half(value, team, higher):
    below = sum(1 for v in team if (v < value if higher else v > value))
    equal = sum(1 for v in team if v == value)
    counted = (D(below) + D(equal) / 2) / D(len(team)) * 100
    assert str(Team.of(team).rank(value, higher=higher)) == str(counted)


@given(rule=rules(), value=values, more=values, team=teams)
def test_monotone_in_the_right_direction(rule, value, more, team):
    low, high = sorted((value, more))
    assume(low != high)
    context = [*team, low, high]
    low_points = score(rule, low, team_values=context).points
    high_points = score(rule, high, team_values=context).points
    if rule.direction == HIGHER:
        assert high_points >= low_points
    else:
        assert high_points <= low_points


@given(
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=4),
    points=st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=4, max_size=4),
)
def test_combined_total_is_a_weighted_mean(weights, points):
    assume(sum(weights) > 0)
    dims = {f"d{i}": D(w) * 100 / sum(weights) for i, w in enumerate(weights)}
    items = [WeightedItem(name, D(100), points[i % len(points)]) for i, name in enumerate(dims)]
    total = combine(dims, items)
    assert min(points) - D("0.05") <= total.total <= max(points) + D("0.05")


def test_rules_module_is_pure():
    import ast
    from pathlib import Path

    import pathscore.scoring.rules as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name.startswith(("django", "pathscore")) for name in imported), imported


@given(
    weights=st.lists(st.integers(min_value=1, max_value=100), min_size=2, max_size=5),
    points=st.lists(st.decimals(min_value=0, max_value=100, places=2), min_size=5, max_size=5),
    missing=st.integers(min_value=0, max_value=4),
)
def test_not_applicable_items_are_a_renormalised_mean(weights, points, missing):
    """Leaving an item out equals giving the others its weight in proportion: the
    dimension stays a weighted mean of the applicable points, whatever was left out."""
    missing %= len(weights)
    items = [
        WeightedItem("process", D(w), None if i == missing else points[i])
        for i, w in enumerate(weights)
    ]
    kept = [(D(w), points[i]) for i, w in enumerate(weights) if i != missing]
    expected = sum(w * p for w, p in kept) / sum(w for w, _p in kept)
    total = combine({"process": D(100)}, items)
    assert abs(total.dimensions["process"] - expected) <= D("0.005")
    assert (
        min(p for _w, p in kept) - D("0.01") <= total.total <= max(p for _w, p in kept) + D("0.01")
    )
