"""The streaming .xlsx writer and the export's value-tuple path (core.xlsx, core.export)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db.models.functions import Length
from openpyxl import Workbook, load_workbook

from pathscore.core.export import table_rows, value_plan, xlsx_response
from pathscore.core.models import Option
from pathscore.core.tables import Column, Table
from pathscore.core.xlsx import column_letter, write_xlsx


def _read(handle, sheet=None):
    handle.seek(0)
    workbook = load_workbook(handle)
    worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
    return worksheet


ROWS = [
    ["名称", "Amount", "When", "Day", "Flag"],
    [
        "国网江苏 & <华东>",
        10,
        datetime.datetime(2026, 3, 2, 7, 30, 15),
        datetime.date(2026, 5, 1),
        True,
    ],
    ["'=1+1", Decimal("-12.50"), None, "", False],
    ["line\nbreak\rreturn\ttab  ", 3.25, "x\x00y\x1fz", " lead", 0],
]


def test_the_workbook_reads_back_as_written():
    handle = io.BytesIO()
    write_xlsx(handle, [("跟进记录", iter(ROWS))])
    worksheet = _read(handle, "跟进记录")
    values = [list(row) for row in worksheet.iter_rows(values_only=True)]
    assert values[0] == ["名称", "Amount", "When", "Day", "Flag"]
    assert values[1] == [
        "国网江苏 & <华东>",
        10,
        datetime.datetime(2026, 3, 2, 7, 30, 15),
        datetime.datetime(2026, 5, 1, 0, 0),
        True,
    ]
    # Empty strings and None are empty cells, as openpyxl wrote them.
    assert values[2] == ["'=1+1", -12.5, None, None, False]
    # Whitespace and line breaks survive; characters XML cannot carry are dropped.
    assert values[3] == ["line\nbreak\rreturn\ttab  ", 3.25, "xyz", " lead", 0]


def test_dates_and_times_keep_the_formats_openpyxl_gave_them():
    handle = io.BytesIO()
    write_xlsx(handle, [("S", iter(ROWS))])
    ours = _read(handle)

    reference = Workbook(write_only=True)
    sheet = reference.create_sheet("S")
    for row in ROWS[:2]:
        sheet.append(row)
    expected = io.BytesIO()
    reference.save(expected)
    theirs = _read(expected)
    for column in "CD":
        assert ours[f"{column}2"].number_format == theirs[f"{column}2"].number_format
        assert ours[f"{column}2"].value == theirs[f"{column}2"].value
    assert ours["C2"].number_format == "yyyy-mm-dd h:mm:ss"
    assert ours["D2"].number_format == "yyyy-mm-dd"


def test_several_sheets_and_wide_rows():
    handle = io.BytesIO()
    wide = [list(range(30))]
    write_xlsx(handle, [("One", iter(wide)), ("Two <&>", iter([["b"]]))])
    handle.seek(0)
    workbook = load_workbook(handle)
    assert workbook.sheetnames == ["One", "Two <&>"]
    assert workbook["One"]["AD1"].value == 29
    assert workbook["Two <&>"]["A1"].value == "b"
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# --- The value-tuple path ------------------------------------------------------------------


class _OptionTable(Table):
    columns = [
        Column("code", "Code"),
        Column("kind", "Kind"),
        Column("name", "Name", accessor=lambda row: f"<{row.name}>"),
    ]


class _ExplicitTable(Table):
    columns = [
        Column("code", "Code"),
        Column("name", "Name", accessor=lambda row: f"<{row.name}>", fields=("name",)),
        Column(
            "both",
            "Both",
            accessor=lambda row: f"{row.name}/{row.sort_order}",
            fields=("name", "sort_order"),
            export=lambda name, order: f"{name}/{order}",
        ),
    ]


@pytest.mark.django_db
def test_a_callable_column_without_fields_exports_from_instances():
    Option.objects.create(kind="export_test", code="a", name="=甲")
    queryset = Option.objects.filter(kind="export_test")
    assert value_plan(_OptionTable, queryset) is None
    assert list(table_rows(_OptionTable, queryset)) == [
        ["Code", "Kind", "Name"],
        ["a", "export_test", "<=甲>"],
    ]


@pytest.mark.django_db
def test_columns_with_fields_export_from_value_tuples():
    Option.objects.create(kind="export_test", code="a", name="=甲", sort_order=3)
    queryset = Option.objects.filter(kind="export_test")
    assert value_plan(_ExplicitTable, queryset) is not None
    # The fields' value as is, neutralised; or the column's function of its fields.
    assert list(table_rows(_ExplicitTable, queryset)) == [
        ["Code", "Name", "Both"],
        ["a", "'=甲", "'=甲/3"],
    ]


class _EventTable(Table):
    columns = [
        Column("kind", "Event", accessor="get_kind_display"),
        Column("actor", "Actor", accessor="actor__name"),
        Column("department", "Department", accessor="actor__department__name"),
        Column("username", "User"),
        Column("length", "Length"),
    ]


class _EventObjectTable(Table):
    columns = [Column("actor", "Actor")]


@pytest.mark.django_db
def test_plain_accessors_choices_and_annotations_are_read_as_values(personas):
    from pathscore.core.choices import SecurityEventKind
    from pathscore.core.models import SecurityEvent

    SecurityEvent.objects.create(
        kind=SecurityEventKind.SETTINGS_CHANGED, username="=x", actor=personas.sales_a
    )
    SecurityEvent.objects.create(kind=SecurityEventKind.SETTINGS_CHANGED, username="y")
    events = (
        SecurityEvent.objects.filter(username__in=["=x", "y"])
        .annotate(length=Length("username"))
        .order_by("pk")
    )
    assert value_plan(_EventTable, events) is not None
    by_values = list(table_rows(_EventTable, events))
    assert by_values == list(table_rows(_EventTable, list(events)))
    assert by_values[1] == [
        str(SecurityEventKind.SETTINGS_CHANGED.label),
        personas.sales_a.name,
        personas.sales_a.department.name,
        "'=x",
        2,
    ]
    assert by_values[2][1:4] == ["", "", "y"]
    # A relation itself is shown as its object's text: only an instance gives that.
    assert value_plan(_EventObjectTable, events) is None
    assert list(table_rows(_EventObjectTable, events))[1] == [str(personas.sales_a)]


@pytest.mark.django_db
def test_the_view_streams_an_xlsx_file(personas):
    Option.objects.create(kind="export_test", code="b", name="乙")
    response = xlsx_response(_ExplicitTable, Option.objects.filter(kind="export_test"), "x")
    body = io.BytesIO(b"".join(response.streaming_content))
    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    assert [list(r) for r in _read(body).iter_rows(values_only=True)] == [
        ["Code", "Name", "Both"],
        ["b", "乙", "乙/0"],
    ]
