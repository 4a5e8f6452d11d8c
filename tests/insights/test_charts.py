"""Chart data built in Python (``insights.charts``) that no browser test reads closely."""

from decimal import Decimal

import pytest

from pathscore.core.choices import Role
from pathscore.core.testing.personas import PASSWORD
from pathscore.insights import charts
from pathscore.org import services as org_services
from pathscore.org.choices import DepartmentKind


def test_a_sparkline_draws_its_latest_total_as_a_dot():
    line = charts.sparkline([("2026年第2季度", Decimal("60")), ("2026年第3季度", Decimal("85"))])
    assert line["points"] == "0.0,10.0 96.0,5.0"
    assert (line["last_x"], line["last_y"]) == (94.0, 5.0)  # kept inside the frame
    assert line["title"] == "2026年第2季度: 60 · 2026年第3季度: 85"


def test_one_closed_period_still_shows_a_dot():
    line = charts.sparkline([("2026年第3季度", Decimal("50"))])
    assert (line["last_x"], line["last_y"]) == (2, 12.0)
    assert charts.sparkline([]) == {}


@pytest.mark.django_db
def test_many_teams_are_grouped_into_their_regions(personas):
    p = personas
    east_b = org_services.department_create(
        name="华东二部", code="t-team-a2", kind=DepartmentKind.TEAM, parent=p.east
    )
    extra = org_services.user_create(
        username="sales_c",
        name="钱销售",
        password=PASSWORD,
        roles=[Role.SALESPERSON],
        department=east_b,
        validate_password_strength=False,
    )
    people = [p.sales_a, extra, p.sales_b]
    # Three teams fit: one row each.
    assert [(d.name, m) for d, m in charts.groups_of(people)] == [
        ("华东一部", [p.sales_a.pk]),
        ("华东二部", [extra.pk]),
        ("华北一部", [p.sales_b.pk]),
    ]
    # Above the bound the teams become their regions, in the list's order.
    assert [(d.name, m) for d, m in charts.groups_of(people, at_most=2)] == [
        ("华东区域", [p.sales_a.pk, extra.pk]),
        ("华北区域", [p.sales_b.pk]),
    ]
    # Never a single row: the company alone would say nothing.
    assert len(charts.groups_of(people, at_most=1)) == 2
