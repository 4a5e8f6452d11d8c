"""The five reports: exact figures on the hand-built company, scoping (a manager never sees
team B), bad filter input, the .xlsx exports read back, and query counts that do not grow
with the number of people or records.

The company is ``tests/insights/conftest.py``'s, with the nodes' due dates, delay reasons,
one more follow-up and three hand-off tasks set by hand (T is today; the period under test
is T−13 … T):

========== ===================== ========= ============================== =================
project    node                  due       state                          delay reason
========== ===================== ========= ============================== =================
P1 (A)     首次拜访              T−3       approved on time (T−3)
P2 (A)     首次拜访              T−5       in progress: 5 days overdue    客户未提供完整资料
P3 (A)     首次拜访              T−10      approved 2 days late           技术团队响应延迟
P3 (A)     需求分析报告提交      T−1       in progress: 1 day overdue     none given
P4 (B)     首次拜访              T−4       approved on time (T−4)
P4 (B)     需求分析报告提交      T−2       in progress: 2 days overdue    none given
========== ===================== ========= ============================== =================

Hand-off tasks to the technical team, created T−6: on P1 a design (acknowledged after 2 h,
done after 26 h) and a revision (acknowledged after 4 h, open, due T−1: overdue); on P4 a
design (acknowledged after 10 h).
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.models import Option, SecurityEvent
from pathscore.core.testing.personas import PASSWORD
from pathscore.crm import services as crm_services
from pathscore.insights.reports.selectors import NO_REASON
from pathscore.org import services as org_services
from pathscore.org.models import Department
from pathscore.process import services as process_services
from pathscore.process.models import DelayCategory, HandoffTask, NodeInstance
from pathscore.scoring import services as scoring_services
from tests.crm import factories
from tests.insights.conftest import at, build_world, followup
from tests.scoring.test_report import period, team, values  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

NODES = "/insights/reports/node-completion/"
EVALUATION = "/insights/reports/evaluation/"
FOLLOWUPS = "/insights/reports/followups/"
DELAYS = "/insights/reports/delays/"
COLLABORATION = "/insights/reports/collaboration/"
REPORTS = [NODES, EVALUATION, FOLLOWUPS, DELAYS, COLLABORATION]
#: Title, filters, "exported at", a blank line: the column header is the fifth row.
HEADER_ROW = 5
LONG_CONTENT = "=1+1 " + "客户希望在明年一季度前完成配电室改造，并要求提供三套备选方案。" * 3


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def node(project, order: int) -> NodeInstance:
    return NodeInstance.objects.get(project=project, order=order)


def category(code: str) -> DelayCategory:
    return DelayCategory.objects.get(code=code)


def give_reason(node_instance, code: str):
    node_instance.refresh_from_db()
    process_services.delay_reason_give(
        node=node_instance,
        user=node_instance.project.owner,
        category=category(code),
        text="客户资料不全",
    )


def handoff(project, kind: str, *, created, acknowledged_after=None, done_after=None, due=None):
    task = process_services.task_create(
        project=project,
        kind=Option.objects.get(kind="task_kind", code=kind),
        title=f"{project.name} · {kind}",
        assignee_department=Department.objects.get(code="t-tech"),
        due_date=created.date() + dt.timedelta(days=10),
        created_by=project.owner,
    )
    hours = dt.timedelta(hours=1)
    # Back-dated as if it had been handed off days ago (the service refuses a past due date).
    HandoffTask.objects.filter(pk=task.pk).update(
        created_at=created,
        due_date=due or created.date() + dt.timedelta(days=10),
        state="done" if done_after else ("acknowledged" if acknowledged_after else "open"),
        acknowledged_at=created + acknowledged_after * hours if acknowledged_after else None,
        done_at=created + done_after * hours if done_after else None,
    )
    return task


def shape(world):
    """The nodes, reasons, follow-up and tasks of the table above."""
    day = world.day
    NodeInstance.objects.filter(pk=node(world.p1, 1).pk).update(planned_due=day(-3))
    NodeInstance.objects.filter(pk=node(world.p3, 1).pk).update(planned_due=day(-10))
    NodeInstance.objects.filter(pk=node(world.p4, 1).pk).update(planned_due=day(-4))
    NodeInstance.objects.filter(pk=node(world.p4, 2).pk).update(planned_due=day(-2))
    give_reason(node(world.p2, 1), "customer-data")
    give_reason(node(world.p3, 1), "tech-team")
    crm_services.followup_create(
        actor=world.personas.sales_a,
        project=world.p1,
        occurred_at=at(day(-1), 15),
        mode=factories.option("followup_mode", "visit"),
        content=LONG_CONTENT,
        next_action="=cmd|' /C calc'!A0",
        next_action_date=day(5),
    )
    created = at(day(-6))
    handoff(world.p1, "proposal-design", created=created, acknowledged_after=2, done_after=26)
    handoff(world.p1, "proposal-revision", created=created, acknowledged_after=4, due=day(-1))
    handoff(world.p4, "proposal-design", created=created, acknowledged_after=10)
    return world


@pytest.fixture
def world(personas):
    return shape(build_world(personas))


def params(world, **extra) -> dict:
    return {**world.slice(None).params(), **extra}


def get(login, user, url, **query):
    return login(user).get(url, query)


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows_of(sheet) -> list[tuple]:
    rows = []
    for row in sheet.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(tuple(cells))
    return rows


# --- Access and the index -------------------------------------------------------------------


def test_index_lists_the_five_reports_with_the_filters(world, login):
    response = login(world.personas.manager_a).get("/insights/reports/", {"period": "quarter"})
    assert response.status_code == 200
    urls = [report["url"] for report in response.context["reports"]]
    assert [url.split("?")[0] for url in urls] == REPORTS
    assert all(url.endswith("?period=quarter") for url in urls)
    assert "no-store" in response["Cache-Control"]


def test_menu_entry_for_managers_hr_and_executives(personas, login):
    url = reverse("insights:reports").encode()
    for name in ("manager_a", "hr", "executive"):
        assert url in login(personas.get(name)).get("/").content
    assert url not in login(personas.sales_a).get("/").content


@pytest.mark.parametrize("url", REPORTS)
def test_who_may_open_a_report(personas, login, url):
    assert login(personas.sales_a).get(url).status_code == 302  # to their own score
    assert login(personas.tech).get(url).status_code == 403
    assert login(personas.executive).get(url).status_code == 200


# --- 1. Node completion ---------------------------------------------------------------------


def figures(row) -> tuple:
    return (
        row.due,
        row.completed,
        row.on_time,
        row.late,
        row.overdue_open,
        row.completion_rate,
        row.on_time_rate,
        row.average_days_late,
    )


def test_node_completion_by_hand(world, login):
    response = get(login, world.personas.manager_a, NODES, **params(world))
    result = response.context["completion"]
    assert [row.person for row in result.people] == [world.personas.sales_a]
    assert figures(result.people[0]) == (4, 2, 1, 1, 2, D("50.0"), D("50.0"), D("2.0"))
    assert figures(result.total) == figures(result.people[0])
    assert [(row.label, row.due, row.completed, row.overdue_open) for row in result.kinds] == [
        ("首次拜访", 3, 2, 1),
        ("需求分析报告提交", 1, 0, 1),
    ]
    assert "赵销售" not in response.content.decode()

    company = get(login, world.personas.executive, NODES, **params(world)).context["completion"]
    by_name = {row.label: figures(row) for row in company.people}
    assert by_name["赵销售"] == (2, 1, 1, 0, 1, D("50.0"), D("100.0"), None)
    assert figures(company.total) == (6, 3, 2, 1, 3, D("50.0"), D("66.7"), D("2.0"))


def test_node_completion_links_to_its_nodes(world, login):
    manager = world.personas.manager_a
    result = get(login, manager, NODES, **params(world)).context["completion"]
    listed = login(manager).get(result.people[0].url).context["object_list"]
    assert {(n.project.name, n.definition.code) for n in listed} == {
        ("南京配网运维", "first-visit"),
        ("苏州钢厂配电", "first-visit"),
        ("无锡储能", "first-visit"),
        ("无锡储能", "requirement-report"),
    }
    late = login(manager).get(NODES.replace("node-completion", "nodes"), params(world, set="late"))
    assert [n.project.name for n in late.context["object_list"]] == ["无锡储能"]


def test_node_completion_narrows_by_every_filter(world, login):
    manager = world.personas.executive

    def due(**narrowing):
        return get(login, manager, NODES, **params(world, **narrowing)).context["completion"]

    assert due(salesperson=world.personas.sales_b.pk).total.due == 2
    assert due(department=world.personas.team_a.pk).total.due == 4
    assert due(customer_type=factories.option("customer_type", "grid").pk).total.due == 3
    assert due(category=factories.option("project_category", "grid-om").pk).total.due == 6
    # Projects currently at 需求分析报告提交: P1, P3 and P4; their nodes due in the period.
    assert due(node="requirement-report").total.due == 5
    assert due(node="first-visit").total.due == 1  # P2


def test_node_completion_export(world, login):
    response = get(login, world.personas.manager_a, NODES, **params(world), export="xlsx")
    book = workbook(response)
    assert book.sheetnames == [zh("By salesperson"), zh("By node")]
    rows = rows_of(book[zh("By salesperson")])
    assert rows[0] == (zh("Node completion report"),)
    assert rows[1][0] == zh("Filters") and world.day(-13).isoformat() in rows[1][1]
    assert rows[HEADER_ROW - 1][:3] == (zh("Salesperson"), zh("Department"), zh("Nodes due"))
    assert rows[HEADER_ROW:] == [
        ("王销售", "华东一部", 4, 2, 1, 1, 2, 50, 50, 2),
        (zh("Team total"), None, 4, 2, 1, 1, 2, 50, 50, 2),
    ]
    event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
    assert event.detail["view"] == "NodeCompletionReport"


# --- 2. Evaluation --------------------------------------------------------------------------


def test_evaluation_shows_the_report_rows(personas, login, team, period):  # noqa: F811
    _personas, sales_c = team
    scoring_services.period_close(period=period, actor=personas.hr)
    response = get(login, personas.manager_a, EVALUATION)
    assert response.context["period"] == period  # the latest closed period by default
    rows = response.context["rows"]
    assert [(item["row"].name, item["row"].total, item["row"].rank) for item in rows] == [
        ("王销售", D("80"), 1),
        ("=HYPERLINK(1)", D("66.33"), 2),
        ("李经理", D("18.67"), 3),
    ]
    assert [score for _label, score in rows[0]["scores"]] == [D("100"), D("50")]
    assert rows[0]["url"] == reverse("scoring:person-score", args=[period.pk, personas.sales_a.pk])
    assert "no-store" in response["Cache-Control"]
    only = get(login, personas.manager_a, EVALUATION, salesperson=personas.sales_a.pk)
    assert [item["row"].name for item in only.context["rows"]] == ["王销售"]
    # manager_b sees team B only, and asking for team A's salesperson is explained.
    other = get(login, personas.manager_b, EVALUATION)
    assert [item["row"].name for item in other.context["rows"]] == ["赵销售"]
    refused = get(login, personas.manager_b, EVALUATION, salesperson=personas.sales_a.pk)
    assert refused.context["problems"] and "rows" not in refused.context


def test_evaluation_export_is_the_scoring_report(personas, login, team, period):  # noqa: F811
    scoring_services.period_close(period=period, actor=personas.hr)
    book = workbook(get(login, personas.manager_a, EVALUATION, export="xlsx"))
    rows = rows_of(book.active)
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "Employee no.")
    people = rows[header_at + 1 :]
    assert [row[1] for row in people] == ["王销售", "'=HYPERLINK(1)", "李经理"]
    assert people[1][0] == "'+86"
    assert people[0][-2:] == (80, 1)


def test_evaluation_without_any_period_says_so(personas, login):
    response = get(login, personas.executive, EVALUATION)
    assert response.status_code == 200
    assert response.context["problems"]


# --- 3. Follow-up log -----------------------------------------------------------------------


def test_followup_log_rows_and_truncation(world, login):
    response = get(login, world.personas.manager_a, FOLLOWUPS, **params(world))
    rows = list(response.context["object_list"])
    assert len(rows) == 5 and rows[0].content == LONG_CONTENT  # newest first
    assert {row.author for row in rows} == {world.personas.sales_a}
    content = response.content.decode()
    assert LONG_CONTENT[:20] in content
    assert f">{LONG_CONTENT}<" not in content  # shortened on the page
    everyone = get(login, world.personas.executive, FOLLOWUPS, **params(world))
    assert everyone.context["paginator"].count == 7


def test_followup_log_export_streams_every_row_whole_and_neutralised(world, login):
    response = get(login, world.personas.manager_a, FOLLOWUPS, **params(world), export="xlsx")
    rows = rows_of(workbook(response).active)
    header = rows[HEADER_ROW - 1]
    assert header[:3] == (zh("When"), zh("Salesperson"), zh("Customer"))
    body = rows[HEADER_ROW:]
    assert len(body) == 5
    content = header.index(zh("What was discussed"))
    assert body[0][content] == "'" + LONG_CONTENT  # whole, and never a formula
    assert body[0][header.index(zh("Next action"))] == "'=cmd|' /C calc'!A0"
    assert body[0][1] == "王销售"


def test_followup_log_is_paginated(world, login, monkeypatch):
    from pathscore.insights.reports import views

    monkeypatch.setattr(views, "LOG_PAGE_SIZE", 2)
    page = get(login, world.personas.executive, FOLLOWUPS, **params(world), page=2)
    assert page.context["page_obj"].number == 2 and len(page.context["object_list"]) == 2
    assert "page=3" in page.content.decode()


# --- 4. Delays ------------------------------------------------------------------------------


def test_delays_by_category_and_team(world, login):
    response = get(login, world.personas.manager_a, DELAYS, **params(world))
    result = response.context["delays"]
    assert (result.total, result.days) == (3, 8)
    assert [(r.label, r.count, r.days, r.share) for r in result.categories] == [
        ("客户未提供完整资料", 1, 5, D("33.3")),
        ("技术团队响应延迟", 1, 2, D("33.3")),
        (zh("No reason given yet"), 1, 1, D("33.3")),
    ]
    assert [(r.label, r.count, r.days, r.share) for r in result.teams] == [
        ("华东一部", 3, 8, D("100.0"))
    ]
    assert "华北一部" not in response.content.decode()
    chart = response.context["chart"]
    assert [point["value"] for point in chart["series"][0]["data"]] == [1, 1, 1]

    company = get(login, world.personas.executive, DELAYS, **params(world)).context["delays"]
    assert (company.total, company.days) == (4, 10)
    none_given = next(r for r in company.categories if r.key == NO_REASON)
    assert (none_given.count, none_given.days, none_given.share) == (2, 3, D("50.0"))
    assert [(r.label, r.count, r.share) for r in company.teams] == [
        ("华东一部", 3, D("75.0")),
        ("华北一部", 1, D("25.0")),
    ]


def test_delay_bars_drill_down_to_their_nodes(world, login):
    manager = world.personas.manager_a
    chart = get(login, manager, DELAYS, **params(world)).context["chart"]
    for label, point in zip(chart["categories"], chart["series"][0]["data"], strict=True):
        listed = login(manager).get(point["url"])
        assert listed.status_code == 200
        assert len(listed.context["object_list"]) == point["value"], label
    data = chart["series"][0]["data"]
    customer = login(manager).get(data[chart["categories"].index("客户未提供完整资料")]["url"])
    (only,) = customer.context["object_list"]
    assert (only.project, only.reason_name, only.delay_days) == (world.p2, "客户未提供完整资料", 5)


def test_delay_export(world, login):
    book = workbook(get(login, world.personas.executive, DELAYS, **params(world), export="xlsx"))
    assert book.sheetnames == [zh("By reason category"), zh("By team")]
    teams = rows_of(book[zh("By team")])[HEADER_ROW:]
    assert teams == [("华东一部", 3, 8, 2.7, 75), ("华北一部", 1, 2, 2, 25)]


# --- 5. Collaboration -----------------------------------------------------------------------


def test_collaboration_by_team_and_kind(world, login):
    response = get(login, world.personas.manager_a, COLLABORATION, **params(world))
    (tech,) = response.context["teams"]
    assert tech["assignee_department__name"] == "技术支持部"
    assert (tech["total"], tech["open"], tech["overdue"]) == (2, 1, 1)
    assert tech["avg_to_acknowledge"] == dt.timedelta(hours=3)
    assert tech["max_to_acknowledge"] == dt.timedelta(hours=4)
    assert tech["avg_to_done"] == tech["max_to_done"] == dt.timedelta(hours=26)
    assert [(k["kind_label"], k["total"]) for k in tech["kinds"]] == [
        ("方案设计", 1),
        ("方案调整", 1),
    ]
    assert tech["max_to_acknowledge_text"] in response.content.decode()

    (company,) = get(login, world.personas.executive, COLLABORATION, **params(world)).context[
        "teams"
    ]
    assert company["total"] == 3
    assert company["max_to_acknowledge"] == dt.timedelta(hours=10)


def test_collaboration_export_in_hours(world, login):
    response = get(login, world.personas.manager_a, COLLABORATION, **params(world), export="xlsx")
    rows = rows_of(workbook(response).active)[HEADER_ROW:]
    assert rows[0] == ("技术支持部", zh("All kinds"), 2, 1, 1, 3, 4, 26, 26)


# --- Bad input and empty states ----------------------------------------------------------------


@pytest.mark.parametrize("url", [NODES, FOLLOWUPS, DELAYS, COLLABORATION])
def test_start_after_end_is_refused_naming_the_field(world, login, url):
    response = get(
        login, world.personas.manager_a, url, period="range", start="2026-03-10", end="2026-03-01"
    )
    assert response.status_code == 200
    problems = " ".join(response.context["problems"])
    assert zh("From") in problems and "2026-03-10" in problems
    assert b'data-testid="filter-problems"' in response.content
    assert b'value="2026-03-10"' in response.content  # kept as typed
    # No export either: the page explains instead.
    exported = get(
        login,
        world.personas.manager_a,
        url,
        period="range",
        start="2026-03-10",
        end="2026-03-01",
        export="xlsx",
    )
    assert exported["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("url", [NODES, FOLLOWUPS, DELAYS, COLLABORATION])
@pytest.mark.parametrize(
    "query",
    [
        {"salesperson": "sales_b"},  # another team's salesperson
        {"department": "team_b"},
        {"node": "no-such-node"},
        {"customer_type": "999999"},
        {"salesperson": "abc"},
    ],
)
def test_unknown_or_foreign_values_explain_an_empty_result(world, login, url, query):
    key, value = next(iter(query.items()))
    if value in ("sales_b", "team_b"):
        value = world.personas.get(value).pk
    response = get(login, world.personas.manager_a, url, **params(world), **{key: value})
    assert response.status_code == 200
    assert response.context["problems"]
    assert "赵销售" not in response.content.decode()


def test_manager_never_reaches_team_b_through_a_drill_down(world, login):
    manager = world.personas.manager_a
    nodes_url = reverse("insights:report-nodes")
    for query in (
        {"set": "delayed", "team": world.personas.team_b.pk},
        {"doer": world.personas.sales_b.pk},
    ):
        response = login(manager).get(nodes_url, params(world, **query))
        assert list(response.context["object_list"]) == []
        assert response.context["problems"]
    everything = login(manager).get(nodes_url, params(world, set="delayed"))
    assert world.p4 not in {n.project for n in everything.context["object_list"]}
    export = login(manager).get(nodes_url, params(world, set="delayed", export="xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    assert "唐山钢厂改造" not in {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_empty_states_say_what_is_missing(world, login):
    empty = {"period": "range", "start": "2020-01-01", "end": "2020-01-31"}
    manager = world.personas.manager_a
    for url, message in (
        (NODES, "No node was due in this period and selection: nothing to complete yet."),
        (FOLLOWUPS, "No follow-up was recorded in this period and selection."),
        (DELAYS, "No node due in this period and selection was completed late or is overdue."),
        (COLLABORATION, "No hand-off task was created in this period and selection."),
    ):
        response = get(login, manager, url, **empty)
        assert zh(message) in response.content.decode(), url


def test_export_is_rate_limited(world, login, settings):
    settings.PATHSCORE_RATE_LIMITS = {"export": "1/h"}
    cache.clear()
    client = login(world.personas.manager_a)
    assert client.get(DELAYS, params(world, export="xlsx")).status_code == 200
    refused = client.get(NODES, params(world, export="xlsx"))
    assert refused.status_code == 429 and refused["Retry-After"]
    cache.clear()


def test_report_pages_link_the_print_stylesheet(world, login):
    response = get(login, world.personas.manager_a, DELAYS, **params(world))
    content = response.content.decode()
    assert 'pathscore/print.css" media="print"' in content
    assert 'data-testid="print-header"' in content
    assert "pathscore/reports.js" in content


# --- Query counts ---------------------------------------------------------------------------


def grow(personas, world, start: int, count: int):
    """``count`` more salespeople in team A, each with a node due and overdue in the
    period (with a reason), a follow-up and an acknowledged hand-off task."""
    for i in range(start, start + count):
        person = org_services.user_create(
            username=f"grown_{i}",
            name=f"新人{i}",
            password=PASSWORD,
            roles=[Role.SALESPERSON],
            department=personas.team_a,
            validate_password_strength=False,
        )
        project = factories.project(person, name=f"增长项目{i}", started_on=world.day(-40))
        process_services.process_start(project=project)
        first = node(project, 1)
        NodeInstance.objects.filter(pk=first.pk).update(planned_due=world.day(-3))
        give_reason(first, "customer-budget")
        followup(person, project, world.day(-2))
        handoff(project, "tech-question", created=at(world.day(-3)), acknowledged_after=1)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize("viewer", ["manager_a", "executive"])
def test_query_counts_do_not_grow(world, personas, login, settings, viewer):
    settings.PATHSCORE_RATE_LIMITS = {}  # the limiter's cache queries are not the report's
    scoring_services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=world.day(-20),
        ends_on=world.day(10),
        name="测试期",
    )
    query = "?" + "&".join(f"{k}={v}" for k, v in params(world).items())
    urls = (
        [f"{url}{query}" for url in REPORTS]
        + [f"{url}{query}&export=xlsx" for url in REPORTS]
        + [f"{reverse('insights:report-nodes')}{query}&set=delayed"]
    )
    client = login(personas.get(viewer))
    for url in urls:
        client.get(url)  # warm per-process caches (content types, options, catalogue)
    grow(personas, world, 0, 1)
    small = {url: count_queries(client, url) for url in urls}
    grow(personas, world, 1, 4)
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
    assert max(small.values()) <= 40, small
