"""The local day and week of a stored timestamp, computed inside the database.

Timestamps are stored in UTC; the business counts local days. Django's ``TruncDate`` and
``TruncWeek`` with a time zone are exact everywhere, but on SQLite each call is a Python
function run once per row (and once per probe of a correlated subquery), which costs
seconds over hundreds of thousands of follow-ups. When the company's time zone keeps one
UTC offset over the dates concerned — always for the default Asia/Shanghai, which has no
daylight saving time — SQLite's own ``date()`` with that offset gives the same answer in
C. Anything else (a zone that changes its offset within the dates, or PostgreSQL, whose
conversion is native already) uses Django's exact functions.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import (
    BigIntegerField,
    DateField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Sum,
    Value,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

#: Checking the offset day by day is cheap up to this many days; longer spans fall back.
MAX_CHECKED_DAYS = 1100


def fixed_offset_minutes(start: dt.date, end: dt.date) -> int | None:
    """Minutes east of UTC if the current time zone keeps one offset over ``start``..``end``
    (one day of margin each side), else None."""
    if (end - start).days > MAX_CHECKED_DAYS:
        return None
    return _fixed_offset(timezone.get_current_timezone(), start, end)


# Checking a quarter day by day costs about a millisecond, and a live score asks twice for
# the same zone and days: the answer depends on nothing else, so it is remembered.
@functools.lru_cache(maxsize=256)
def _fixed_offset(zone: dt.tzinfo, start: dt.date, end: dt.date) -> int | None:
    offsets = set()
    day = start - dt.timedelta(days=1)
    while day <= end + dt.timedelta(days=1):
        for hour in (0, 12):
            moment = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
            offsets.add(moment.utcoffset())
        if len(offsets) > 1:
            return None
        day += dt.timedelta(days=1)
    (offset,) = offsets
    return int(offset.total_seconds() // 60)


#: The years over which :func:`company_day_sql` checks the company's zone for one offset.
COMPANY_YEARS = (dt.date(2000, 1, 1), dt.date(2040, 12, 31))


def company_day_sql(column: str, vendor: str, connection_zone: str) -> tuple[str, list]:
    """SQL for the company's local day (a date) of the timestamp ``column``, with its
    parameters — for statements written by hand that store a day-based fact (crm.chain).

    The company's zone is the default one (``PATHSCORE_TIME_ZONE``), never a viewer's:
    a stored fact must not depend on who wrote it. PostgreSQL converts natively; SQLite
    adds the zone's offset in C when it has one offset from 2000 to 2040 (Asia/Shanghai),
    else calls Django's exact per-row function."""
    zone = timezone.get_default_timezone()
    if vendor == "postgresql":
        return f"(({column} AT TIME ZONE %s)::date)", [str(zone)]
    offset = _fixed_offset(zone, *COMPANY_YEARS)
    if offset is not None:
        return f"date({column}, '{offset:+d} minutes')", []
    return f"django_datetime_cast_date({column}, %s, %s)", [str(zone), connection_zone]


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight at the start of ``day`` (the current time zone), aware: the lower
    bound of a day's timestamps."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class _SqliteDate(Func):
    """``date(timestamp, modifier, …)``: SQLite's native calendar arithmetic."""

    function = "date"
    output_field = DateField()

    def __init__(self, expression, *modifiers: str):
        super().__init__(expression, *(Value(modifier) for modifier in modifiers))


def _native(start: dt.date, end: dt.date) -> int | None:
    if connection.vendor != "sqlite":
        return None
    return fixed_offset_minutes(start, end)


def local_date(field: str, start: dt.date, end: dt.date, *, shift_days: int = 0):
    """The local day of the timestamp ``field`` (plus ``shift_days``), for rows whose
    timestamps lie within the local days ``start``..``end``."""
    offset = _native(start, end)
    if offset is not None:
        modifiers = [f"{offset:+d} minutes"]
        if shift_days:
            modifiers.append(f"{shift_days:+d} days")
        return _SqliteDate(field, *modifiers)
    day = TruncDate(field, tzinfo=timezone.get_current_timezone())
    if shift_days:
        return ExpressionWrapper(day + dt.timedelta(days=shift_days), output_field=DateField())
    return day


def local_week(field: str, start: dt.date, end: dt.date):
    """The Monday of the local week of the timestamp ``field`` (a date on SQLite, a
    timestamp at local midnight through Django's ``TruncWeek`` elsewhere)."""
    offset = _native(start, end)
    if offset is not None:
        # 'weekday 0' moves forward to the Sunday ending the week (or stays on it).
        return _SqliteDate(field, f"{offset:+d} minutes", "weekday 0", "-6 days")
    return TruncWeek(field, tzinfo=timezone.get_current_timezone())


class WeekOf(Func):
    """The Monday of a date column's week, as a date, natively: ``date(day, 'weekday 0',
    '-6 days')`` on SQLite (Django's ``TruncWeek`` there is a Python function per row),
    ``date_trunc('week', day)::date`` on PostgreSQL. The column is a local day already
    (a rollup's), so no time zone is involved."""

    arity = 1
    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        # 'weekday 0' moves forward to the Sunday ending the week (or stays on it).
        template = "date(%(expressions)s, 'weekday 0', '-6 days')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        # A timestamp without zone: the truncation cannot depend on the session's zone.
        template = "CAST(date_trunc('week', CAST(%(expressions)s AS timestamp)) AS date)"
        return self.as_sql(compiler, connection, template=template, **extra)


def company_days(start: dt.date, end: dt.date) -> bool:
    """True if the current time zone's local days are the company's (the default zone's)
    over ``start``..``end``: the same zone, or two zones keeping the same one offset. A
    rollup by the company's local day answers a question about local days only then."""
    current, company = timezone.get_current_timezone(), timezone.get_default_timezone()
    if current == company or _zone_key(current) == _zone_key(company):
        return True
    if (end - start).days > MAX_CHECKED_DAYS:
        return False
    offset = _fixed_offset(current, start, end)
    return offset is not None and offset == _fixed_offset(company, start, end)


def _zone_key(zone: dt.tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


class SecondsBetween(Func):
    """``later - earlier`` in seconds (a float), natively: Django's duration arithmetic
    on SQLite is a Python function per row."""

    output_field = FloatField()

    def __init__(self, later, earlier):
        super().__init__(later, earlier)

    def as_sqlite(self, compiler, connection, **extra):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return (
            f"((julianday({later}) - julianday({earlier})) * 86400.0)",
            (*later_params, *earlier_params),
        )

    def as_postgresql(self, compiler, connection, **extra):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        return (
            f"EXTRACT(EPOCH FROM ({later} - {earlier}))::double precision",
            (*later_params, *earlier_params),
        )


class SecondsSum(Sum):
    """The sum over the rows of ``later - earlier``, in seconds (a float): ``Sum`` of
    ``SecondsBetween``, except that PostgreSQL adds the intervals and converts the total
    once — an EXTRACT per row gives a numeric, slow to add up (a quarter of the company's
    follow-up cycle aggregate at scale L)."""

    output_field = FloatField()

    def __init__(self, later, earlier):
        super().__init__(SecondsBetween(later, earlier))

    def as_postgresql(self, compiler, connection, **extra):
        between = self.source_expressions[0]
        later, later_params = compiler.compile(between.source_expressions[0])
        earlier, earlier_params = compiler.compile(between.source_expressions[1])
        return (
            f"EXTRACT(EPOCH FROM SUM({later} - {earlier}))::double precision",
            (*later_params, *earlier_params),
        )


class DaysBetween(Func):
    """Whole days from one date to another (``later − earlier``), natively: ``julianday``
    arithmetic on SQLite, date subtraction on PostgreSQL (Django's date arithmetic is a
    Python function per row on SQLite)."""

    arity = 2
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )


class DaysSince(DaysBetween):
    """Whole days from a date column to a given date: ``DaysSince(today, "column")``."""

    def __init__(self, today: dt.date, column: str):
        super().__init__(Value(today, output_field=DateField()), F(column))


class MillisecondsBetween(Func):
    """``later − earlier`` in whole milliseconds, for two datetimes, natively. An integer,
    so a sum of gaps is exact and an average rounds as the durations themselves would."""

    arity = 2
    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND((julianday(%(expressions)s)) * 86400000.0) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(ROUND(EXTRACT(EPOCH FROM (%(expressions)s)) * 1000) AS BIGINT)",
            arg_joiner=" - ",
            **extra,
        )
