"""The dashboard's figures against the hand-built company of ``conftest.py``: exact numbers,
for a manager (their team only) and for an executive (the company)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal as D

import pytest

from pathscore.core.models import Option
from pathscore.insights import selectors
from pathscore.scoring import catalogue

pytestmark = pytest.mark.django_db


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def type_id(code: str) -> int:
    return Option.objects.get(kind="customer_type", code=code).pk


def test_previous_period_has_the_same_length(world):
    s = world.slice(world.personas.manager_a)
    assert s.days == 14
    assert (s.previous.start, s.previous.end) == (world.day(-27), world.day(-14))


def test_kpis_of_a_team(world):
    kpis = selectors.kpis(world.slice(world.personas.manager_a))
    assert kpis.active_projects == 2
    assert kpis.due_soon == 1  # P1's report, due T+3
    assert kpis.overdue == 1  # P2's first visit, due T−5
    assert kpis.on_time_rate == D("50.0")  # P1 on time, P3 two days late
    assert kpis.approved_nodes == 2
    assert kpis.on_time_rate_before is None  # nothing approved in the previous period
    assert (kpis.followups, kpis.followups_before) == (4, 1)


def test_kpis_of_the_company(world):
    kpis = selectors.kpis(world.slice(world.personas.executive))
    assert kpis.active_projects == 3
    assert (kpis.due_soon, kpis.overdue) == (2, 1)
    assert kpis.on_time_rate == D("66.7")
    assert (kpis.followups, kpis.followups_before) == (6, 1)


def test_on_time_rate_agrees_with_the_indicator(world):
    s = world.slice(world.personas.executive)
    sales_a = world.personas.sales_a
    indicator = catalogue.node_on_time_rate([sales_a.pk], s.start, s.end, {})[sales_a.pk]
    team_a = selectors.kpis(world.slice(world.personas.manager_a))
    assert indicator == D("50.00") and team_a.on_time_rate == D("50.0")


def test_projects_by_node_split_by_customer_type(world):
    columns = selectors.projects_by_node(world.slice(world.personas.manager_a))
    assert [(c.code, c.by_type) for c in columns] == [
        ("first-visit", {type_id("industrial"): 1}),
        ("requirement-report", {type_id("grid"): 1}),
    ]
    company = selectors.projects_by_node(world.slice(world.personas.executive))
    assert {c.code: c.total for c in company} == {"first-visit": 1, "requirement-report": 2}


def test_at_node_projects_match_the_bar(world):
    s = world.slice(world.personas.executive)
    assert list(selectors.at_node_projects(s, "requirement-report").order_by("name")) == sorted(
        [world.p1, world.p4], key=lambda p: p.name
    )


def test_followup_cycle_by_week(world):
    by_week = selectors.followup_cycle_by_week(world.slice(world.personas.manager_a))
    gaps = defaultdict(list)
    gaps[monday(world.day(-7))].append(3)  # T−10 → T−7
    gaps[monday(world.day(-2))].append(5)  # T−7 → T−2 (T−20 lies before the period)
    expected = {week: D(sum(days)) / len(days) for week, days in gaps.items()}
    assert by_week == {week: value.quantize(D("0.1")) for week, value in expected.items()}


def test_followups_by_author_and_week(world):
    s = world.slice(world.personas.executive)
    sales_a, sales_b = world.personas.sales_a, world.personas.sales_b
    counts = selectors.followups_by_author_week(s, [sales_a.pk, sales_b.pk])
    expected = defaultdict(int)
    for person, offsets in ((sales_a, (-10, -7, -2, -1)), (sales_b, (-5, -3))):
        for offset in offsets:
            expected[(person.pk, monday(world.day(offset)))] += 1
    assert counts == dict(expected)
    assert sum(counts.values()) == 6


def test_funnel_against_the_team_average(world):
    sales_a, sales_b = world.personas.sales_a, world.personas.sales_b
    team = selectors.funnel(world.slice(world.personas.manager_a), [sales_a.pk])
    assert [stage.code for stage in team.stages][:2] == ["first-visit", "requirement-report"]
    assert team.projects == {sales_a.pk: 3}
    assert team.shares[sales_a.pk][0] == D("66.7")  # P1 and P3 of three
    assert set(team.shares[sales_a.pk][1:]) == {D("0.0")}
    assert team.team[0] == D("66.7")

    company = selectors.funnel(world.slice(world.personas.executive), [sales_a.pk, sales_b.pk])
    assert company.shares[sales_b.pk][0] == D("100.0")
    assert company.team[0] == D("83.4")  # (66.7 + 100) / 2, rounded half up


def test_reached_projects_match_the_funnel_bar(world):
    s = world.slice(world.personas.manager_a)
    reached = selectors.reached_projects(s, "first-visit").filter(owner=world.personas.sales_a)
    assert set(reached) == {world.p1, world.p3}


def test_stalled_projects_with_thresholds(world):
    rows, total = selectors.stalled_rows(world.slice(world.personas.manager_a))
    assert total == 1
    assert rows[0].project == world.p2
    assert (rows[0].stall_age, rows[0].node_stall_days) == (26, 21)
    assert selectors.stalled_rows(world.slice(world.personas.manager_b)) == ([], 0)


def test_project_cycle_distribution(world):
    counts = selectors.cycle_distribution(world.slice(world.personas.manager_a))
    assert counts == {
        "0-90": 0,
        "91-180": 0,
        "181-270": 1,
        "271-365": 0,
        "366-545": 0,
        "546+": 0,
    }
    assert list(selectors.won_projects(world.slice(world.personas.manager_b))) == []


def test_customer_type_share(world):
    assert selectors.active_by_customer_type(world.slice(world.personas.manager_a)) == {
        type_id("grid"): 1,
        type_id("industrial"): 1,
    }


def test_proposal_revisions_and_adjustment_cycle(world):
    team = world.slice(world.personas.manager_a)
    assert selectors.revision_distribution(team) == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}
    company = world.slice(world.personas.executive)
    assert selectors.revision_distribution(company) == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0}
    cycle = selectors.adjustment_cycle(team)
    sales_a = world.personas.sales_a
    # V1 T−9 → V2 T−6 → V3 T−2: 3 and 4 days.
    assert cycle.by_owner == {sales_a.pk: D("3.5")}
    assert cycle.revisions == {sales_a.pk: 2}
    assert cycle.average == D("3.5")


def test_narrowing_by_customer_type_and_department(world):
    grid = Option.objects.get(kind="customer_type", code="grid")
    s = world.slice(world.personas.executive, customer_type=grid)
    assert selectors.kpis(s).active_projects == 2  # P1 and P4
    team_b = world.slice(world.personas.executive, department=world.personas.team_b)
    assert selectors.kpis(team_b).active_projects == 1
    assert [person.username for person in selectors.salespeople(team_b)] == ["sales_b"]
