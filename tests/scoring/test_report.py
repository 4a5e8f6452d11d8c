"""The evaluation report (.xlsx): who may export it, exactly what it holds for a
hand-computed team, live and frozen, and a number of queries that does not grow."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from pathscore.core.models import SecurityEvent
from pathscore.scoring import services
from pathscore.scoring.models import Result
from tests.scoring.scorecards import (
    make_scorecard,
    register_test_indicators,
    unregister_test_indicators,
)
from tests.scoring.test_engine import add_salesperson

pytestmark = pytest.mark.django_db

START = dt.date(2026, 7, 1)

#: The heading lines, the blank line and the column header come before the people.
HEADER_ROW = 8


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def values():
    values = register_test_indicators()
    yield values
    unregister_test_indicators()


@pytest.fixture
def team(personas, values):
    """Team A under the test scorecard (process 60: visits 50, revisions 50; ability 40:
    quality 100):

    ========== ====== ========= ======= ============================================
    person     visits revisions quality by hand
    ========== ====== ========= ======= ============================================
    sales_a    15     1         80      visits 15/(1.5×10) → 100, revisions ≤ 2 → 100,
                                        quality 50th percentile → 50;
                                        process 100, ability 50, total 80
    sales_c    9      4         90      60, 50, 83.33; process 55, ability 83.33,
                                        total 0.6×55 + 0.4×83.33 = 66.33
    manager_a  6      6         70      40, 0, 16.67; process 20, ability 16.67,
                                        total 18.67
    ========== ====== ========= ======= ============================================
    """
    make_scorecard(department=personas.team_a)
    sales_c = add_salesperson("sales_c", personas.team_a)
    values.set(personas.sales_a, visits=15, revisions=1, quality=80)
    values.set(sales_c, visits=9, revisions=4, quality=90)
    values.set(personas.manager_a, visits=6, revisions=6, quality=70)
    for person, number in ((personas.sales_a, "E001"), (personas.manager_a, "E002")):
        person.employee_no = number
        person.save(update_fields=["employee_no"])
    # A name a spreadsheet would run as a formula.
    sales_c.name = "=HYPERLINK(1)"
    sales_c.employee_no = "+86"
    sales_c.save(update_fields=["name", "employee_no"])
    for person in (personas.manager_a, personas.hr):
        person.language = "en"
        person.save(update_fields=["language"])
    return personas, sales_c


@pytest.fixture
def period(personas):
    return services.period_create(actor=personas.hr, kind="quarter", starts_on=START)


def report_url(period, **query):
    url = reverse("scoring:period-report", args=[period.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def sheet_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = []
    for row in workbook.active.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:  # reading pads every row to the widest
            cells.pop()
        rows.append(tuple(cells))
    return rows


def people_rows(rows) -> list[tuple]:
    return rows[HEADER_ROW:]


EXPECTED_HEADER = (
    "Employee no.",
    "Name",
    "Department",
    "t_visits: value",
    "t_visits: points",
    "t_revisions: value",
    "t_revisions: points",
    "t_quality: value",
    "t_quality: points",
    "Process score",
    "Ability score",
    "Computed total",
    "Adjustment",
    "Total score",
    "Rank in team",
)


def test_frozen_report_holds_the_hand_computed_values(personas, login, team, period):
    _personas, sales_c = team
    services.period_close(period=period, actor=personas.hr)
    c = Result.objects.get(period=period, person=sales_c)
    services.result_adjust(result=c, actor=personas.manager_a, points=D(2), reason="大客户")
    rows = sheet_rows(login(personas.manager_a).get(report_url(period)))
    assert rows[0] == ("Evaluation report", period.name)
    assert rows[1] == ("Dates", "2026-07-01 – 2026-09-30")
    assert rows[2] == ("Version", 1)
    assert rows[3] == ("State", "Closed")
    assert rows[4] == ("Department", "Everyone you may see")
    assert rows[5][0] == "Exported at"
    assert rows[HEADER_ROW - 1] == EXPECTED_HEADER
    assert people_rows(rows) == [
        ("E001", "王销售", "华东一部", 15, 100, 1, 100, 80, 50, 100, 50, 80, 0, 80, 1),
        (
            "'+86",
            "'=HYPERLINK(1)",
            "华东一部",
            9,
            60,
            4,
            50,
            90,
            83.33,
            55,
            83.33,
            66.33,
            2,
            68.33,
            2,
        ),
        ("E002", "李经理", "华东一部", 6, 40, 6, 0, 70, 16.67, 20, 16.67, 18.67, 0, 18.67, 3),
    ]


def test_open_period_reports_live_scores_and_says_so(personas, login, team, period):
    rows = sheet_rows(login(personas.manager_a).get(report_url(period)))
    assert rows[3][0] == "State" and "live" in rows[3][1]
    assert rows[HEADER_ROW - 1] == EXPECTED_HEADER
    assert [row[:3] + row[-4:] for row in people_rows(rows)] == [
        ("E001", "王销售", "华东一部", 80, 0, 80, 1),
        ("'+86", "'=HYPERLINK(1)", "华东一部", 66.33, 0, 66.33, 2),
        ("E002", "李经理", "华东一部", 18.67, 0, 18.67, 3),
    ]


def test_hr_sees_everyone_and_filters_by_department(personas, login, team, period):
    services.period_close(period=period, actor=personas.hr)
    client = login(personas.hr)
    names = [row[1] for row in people_rows(sheet_rows(client.get(report_url(period))))]
    # Team A and sales_b, scored by the bundled salesperson scorecard.
    assert set(names) == {"王销售", "'=HYPERLINK(1)", "李经理", "赵销售"}
    rows = sheet_rows(client.get(report_url(period, department=personas.east.pk)))
    assert rows[4] == ("Department", "华东区域")
    assert [row[1] for row in people_rows(rows)] == ["王销售", "'=HYPERLINK(1)", "李经理"]
    rows = sheet_rows(client.get(report_url(period, department=personas.team_b.pk)))
    assert [row[1] for row in people_rows(rows)] == ["赵销售"]


def test_a_manager_sees_only_their_subtree(personas, login, team, period):
    services.period_close(period=period, actor=personas.hr)
    client = login(personas.manager_b)
    assert [row[1] for row in people_rows(sheet_rows(client.get(report_url(period))))] == ["赵销售"]
    # Another team's department, an unknown one or nonsense: an empty report, not an error.
    for department in (personas.team_a.pk, 999999, "abc"):
        rows = sheet_rows(client.get(report_url(period, department=department)))
        assert people_rows(rows) == []


@pytest.mark.parametrize("viewer", ["sales_a", "tech", "auditor"])
def test_people_without_a_team_to_report_on_are_refused(personas, login, team, period, viewer):
    response = login(personas.get(viewer)).get(report_url(period))
    assert response.status_code == 403
    assert not SecurityEvent.objects.filter(kind="export").exists()


def test_unknown_period_is_404(personas, login):
    response = login(personas.hr).get(reverse("scoring:period-report", args=[424242]))
    assert response.status_code == 404


def test_the_export_is_in_the_security_log(personas, login, team, period):
    sheet_rows(login(personas.manager_a).get(report_url(period, department=personas.team_a.pk)))
    event = SecurityEvent.objects.get(kind="export")
    assert event.actor == personas.manager_a
    assert event.detail["view"] == "PeriodReportView"
    assert event.detail["period"] == period.pk
    assert event.detail["rows"] == 3
    assert f"department={personas.team_a.pk}" in event.detail["query"]


def test_header_follows_the_viewers_language(personas, login, team, period):
    personas.manager_a.language = "zh-hans"
    personas.manager_a.save(update_fields=["language"])
    rows = sheet_rows(login(personas.manager_a).get(report_url(period)))
    assert rows[0][0] == "考核报表"
    assert rows[HEADER_ROW - 1][:3] == ("工号", "姓名", "部门")
    assert rows[HEADER_ROW - 1][-1] == "团队排名"


def _queries(client, url) -> int:
    sheet_rows(client.get(url))  # the first request of a session writes its timestamps
    with CaptureQueriesContext(connection) as context:
        sheet_rows(client.get(url))
    return len(context.captured_queries)


def _more_people(personas, values, count):
    for n in range(count):
        person = add_salesperson(f"extra_{count}_{n}", personas.team_a)
        values.set(person, visits=n, revisions=n, quality=n)


def test_live_report_queries_do_not_grow_with_people(personas, login, team, period, values):
    client = login(personas.hr)
    url = report_url(period, department=personas.team_a.pk)
    few = _queries(client, url)
    _more_people(personas, values, 6)
    assert _queries(client, url) == few


def test_frozen_report_queries_do_not_grow_with_people(
    personas, login, team, period, values, django_assert_max_num_queries
):
    client = login(personas.hr)
    services.period_close(period=period, actor=personas.hr)
    few = _queries(client, report_url(period))
    _more_people(personas, values, 6)
    later = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 10, 31),
    )
    services.period_close(period=later, actor=personas.hr)
    assert _queries(client, report_url(later)) == few
    with django_assert_max_num_queries(10):
        sheet_rows(client.get(report_url(later)))
