"""The follow-up log export: the same workbook and CSV as the list shows, from value
tuples, in a number of queries that does not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from pathscore.core.export import table_rows, value_plan
from pathscore.crm import selectors, services
from pathscore.crm.tables import FollowUpTable
from tests.crm import factories

pytestmark = pytest.mark.django_db

LIST_URL = "/followups/"

HEADER = [
    "时间",
    "客户",
    "项目",
    "方式",
    "记录人",
    "沟通内容",
    "我方参与人",
    "客户参与人",
    "客户需求",
    "下一步行动",
    "计划日期",
]


@pytest.fixture
def log(personas):
    """Three follow-ups of sales_a: one with everything, one with a formula-looking
    content, one on the customer only."""
    project = factories.project(personas.sales_a, name="华东配网运维项目")
    customer = project.customer
    zhang = services.contact_create(actor=personas.sales_a, customer=customer, name="张主任")
    li = services.contact_create(actor=personas.sales_a, customer=customer, name="李工")
    when = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    full = services.followup_create(
        actor=personas.sales_a,
        project=project,
        occurred_at=when,
        mode=factories.option("followup_mode", "visit"),
        content="拜访运维部主任",
        participants=[personas.tech, personas.manager_a],
        contacts=[zhang, li],
        needs=["用电负荷预测", "现有设备清单"],
        next_action="提交需求分析报告",
        next_action_date=timezone.localdate() + dt.timedelta(days=5),
    )
    formula = services.followup_create(
        actor=personas.sales_a,
        project=project,
        occurred_at=when - dt.timedelta(hours=5),
        mode=factories.option("followup_mode", "phone"),
        content='=HYPERLINK("http://evil.example","x")',
        next_action="+86 电话回访",
        next_action_date=timezone.localdate() + dt.timedelta(days=2),
    )
    customer_only = services.followup_create(
        actor=personas.sales_a,
        customer=customer,
        occurred_at=when - dt.timedelta(days=1),
        mode=factories.option("followup_mode", "visit"),
        content="与客户总部沟通",
    )
    return {"full": full, "formula": formula, "customer_only": customer_only, "when": when}


def _workbook_rows(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def _csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_workbook_holds_the_expected_cells(personas, login, log):
    client = login(personas.sales_a)
    rows = _workbook_rows(client.get(LIST_URL, {"export": "xlsx"}))
    assert rows[0] == HEADER
    assert len(rows) == 4
    local = timezone.localtime(log["when"]).replace(tzinfo=None)
    full = log["full"]
    assert rows[1] == [
        local,
        full.customer.name,
        "华东配网运维项目",
        str(factories.option("followup_mode", "visit")),
        personas.sales_a.name,
        "拜访运维部主任",
        # Listed by name (the database's order), as the list shows them.
        ", ".join(full.participants.order_by("name").values_list("name", flat=True)),
        ", ".join(full.contacts.order_by("name").values_list("name", flat=True)),
        "用电负荷预测\n现有设备清单",
        "提交需求分析报告",
        dt.datetime.combine(full.next_action_date, dt.time()),
    ]
    # Newest first: the formula-looking one, then the customer-only one.
    formula = rows[2]
    assert formula[3] == str(factories.option("followup_mode", "phone"))
    # Formula-looking text stays text.
    assert formula[5] == '\'=HYPERLINK("http://evil.example","x")'
    assert formula[9] == "'+86 电话回访"
    assert formula[6:9] == [None, None, None]
    assert rows[3][1:3] == [full.customer.name, None]
    assert rows[3][5] == "与客户总部沟通"
    assert formula[10] == dt.datetime.combine(log["formula"].next_action_date, dt.time())


def test_value_tuples_give_what_the_model_instances_give(personas, login, log):
    """The export's fast path against the list's own reading of the same rows."""
    client = login(personas.sales_a)
    queryset = selectors.followups_for_list(personas.sales_a).order_by("-occurred_at", "-pk")
    assert value_plan(FollowUpTable, queryset) is not None
    expected = list(table_rows(FollowUpTable, list(queryset)))
    assert list(table_rows(FollowUpTable, queryset)) == expected

    workbook = _workbook_rows(client.get(LIST_URL, {"export": "xlsx"}))
    assert workbook == [[_as_read(cell) for cell in row] for row in expected]

    exported = _csv_rows(client.get(LIST_URL, {"export": "csv"}))
    assert exported == [[str(cell) for cell in row] for row in expected]


def _as_read(cell):
    """A cell as a spreadsheet gives it back: empty is None, a date is a midnight."""
    if cell == "":
        return None
    if type(cell) is dt.date:
        return dt.datetime.combine(cell, dt.time())
    return cell


def test_filters_and_sorting_apply_to_the_export(personas, login, log):
    client = login(personas.sales_a)
    rows = _csv_rows(
        client.get(LIST_URL, {"export": "csv", "mode": log["formula"].mode_id, "sort": "mode"})
    )
    assert [row[5] for row in rows[1:]] == ['\'=HYPERLINK("http://evil.example","x")']
    rows = _csv_rows(client.get(LIST_URL, {"export": "csv", "sort": "occurred_at"}))
    assert [row[5] for row in rows[1:]] == [
        "与客户总部沟通",
        '\'=HYPERLINK("http://evil.example","x")',
        "拜访运维部主任",
    ]


def _add(personas, project, count, start):
    for index in range(start, start + count):
        factories.followup(
            personas.sales_a,
            project,
            content=f"第{index}次拜访",
            days_ago=index + 1,
            participants=[personas.tech],
            needs=[f"需求{index}"],
        )


@pytest.mark.parametrize("export", ["xlsx", "csv"])
def test_the_export_queries_do_not_grow_with_the_rows(personas, login, export):
    project = factories.project(personas.sales_a, name="华东配网运维项目")
    client = login(personas.sales_a)
    _add(personas, project, 3, 0)
    b"".join(client.get(LIST_URL, {"export": export}).streaming_content)  # warm caches
    with CaptureQueriesContext(connection) as few:
        b"".join(client.get(LIST_URL, {"export": export}).streaming_content)
    _add(personas, project, 40, 3)
    with CaptureQueriesContext(connection) as many:
        body = b"".join(client.get(LIST_URL, {"export": export}).streaming_content)
    assert len(many) == len(few)
    if export == "csv":
        assert body.decode("utf-8-sig").count("次拜访") == 43
