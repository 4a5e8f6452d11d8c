"""The generic table export: formula neutralising and value conversion."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from pathscore.core.export import export_bytes_csv, neutralise, table_rows
from pathscore.core.tables import Column, Table


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("王芳", "王芳"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_neutralised(raw, expected):
    assert neutralise(raw) == expected


def test_numbers_dates_and_booleans_stay_typed():
    assert neutralise(-5) == -5
    assert neutralise(3.5) == 3.5
    assert neutralise(Decimal("-12.50")) == Decimal("-12.50")
    assert neutralise(True) is True
    assert neutralise(datetime.date(2026, 5, 1)) == datetime.date(2026, 5, 1)


def test_aware_datetimes_become_local_naive_times():
    moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        assert neutralise(moment) == datetime.datetime(2026, 3, 2, 7, 30)
    naive = datetime.datetime(2026, 3, 1, 8, 0)
    assert neutralise(naive) == naive


class _Row:
    def __init__(self, name, amount):
        self.name = name
        self.amount = amount


class _Table(Table):
    columns = [Column("name", "Name"), Column("amount", "Amount")]


def test_table_rows_and_csv_bytes():
    rows = [_Row("=cmd|' /C calc'!A0", 10), _Row("国网江苏", None)]
    assert list(table_rows(_Table, rows)) == [
        ["Name", "Amount"],
        ["'=cmd|' /C calc'!A0", 10],
        ["国网江苏", ""],
    ]
    parsed = list(csv.reader(io.StringIO(export_bytes_csv(_Table, rows).decode())))
    assert parsed == [["Name", "Amount"], ["'=cmd|' /C calc'!A0", "10"], ["国网江苏", ""]]


@pytest.mark.django_db
def test_streamed_csv_uses_the_viewers_time_zone(personas, login):
    # The CSV is written while the response streams, after the view has returned; the
    # viewer's time zone must still apply then (xlsx is written inside the view).
    from pathscore.core.choices import SecurityEventKind
    from pathscore.core.models import SecurityEvent
    from pathscore.org import services

    event = SecurityEvent.objects.create(kind=SecurityEventKind.SETTINGS_CHANGED, username="x")
    moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    SecurityEvent.objects.filter(pk=event.pk).update(occurred_at=moment)
    auditor = services.user_set_preferences(user=personas.auditor, time_zone="Europe/London")
    client = login(auditor)
    text = b"".join(client.get("/security-log/?export=csv&kind=settings_changed").streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode().lstrip("\ufeff"))))
    assert rows[1][0] == "2026-03-01 23:30:00"

    services.user_set_preferences(user=auditor, time_zone="Asia/Shanghai")
    text = b"".join(client.get("/security-log/?export=csv&kind=settings_changed").streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode().lstrip("\ufeff"))))
    assert rows[1][0] == "2026-03-02 07:30:00"
