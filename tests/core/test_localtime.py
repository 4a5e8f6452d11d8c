"""Local days and weeks computed by the database agree with Django's exact functions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import DateTimeField, Value
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from pathscore.core.localtime import SecondsBetween, fixed_offset_minutes, local_date, local_week
from pathscore.core.models import Option

pytestmark = pytest.mark.django_db

UTC = dt.UTC
#: Moments around local midnight in Shanghai (UTC+8) and across a week boundary.
MOMENTS = [
    dt.datetime(2026, 10, 4, 15, 59, 59, tzinfo=UTC),  # Sunday 23:59:59 local
    dt.datetime(2026, 10, 4, 16, 0, 0, tzinfo=UTC),  # Monday 00:00 local
    dt.datetime(2026, 10, 5, 3, 30, 0, 123456, tzinfo=UTC),
    dt.datetime(2026, 12, 31, 16, 0, 1, tzinfo=UTC),  # 1 January local
]


def _one(expression, moment):
    row = (
        Option.objects.order_by("pk")
        .annotate(moment=Value(moment, output_field=DateTimeField()))
        .annotate(result=expression)
        .values_list("result", flat=True)[:1]
    )
    return row[0]


def _as_date(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("shift", [0, -3, 3])
def test_local_date_matches_django(moment, shift):
    start, end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    exact = _as_date(_one(TruncDate("moment", tzinfo=timezone.get_current_timezone()), moment))
    ours = _as_date(_one(local_date("moment", start, end, shift_days=shift), moment))
    assert ours == exact + dt.timedelta(days=shift)


@pytest.mark.parametrize("moment", MOMENTS)
def test_local_week_matches_django(moment):
    start, end = dt.date(2026, 10, 1), dt.date(2027, 1, 31)
    exact = _as_date(_one(TruncWeek("moment", tzinfo=timezone.get_current_timezone()), moment))
    ours = _as_date(_one(local_week("moment", start, end), moment))
    assert ours == exact
    assert ours.weekday() == 0


def test_seconds_between_is_exact_to_the_millisecond():
    later = dt.datetime(2026, 10, 5, 3, 30, 0, 250000, tzinfo=UTC)
    earlier = dt.datetime(2026, 9, 28, 23, 59, 59, tzinfo=UTC)
    seconds = (
        Option.objects.order_by("pk")
        .annotate(
            a=Value(later, output_field=DateTimeField()),
            b=Value(earlier, output_field=DateTimeField()),
        )
        .annotate(gap=SecondsBetween("a", "b"))
        .values_list("gap", flat=True)[:1][0]
    )
    assert seconds == pytest.approx((later - earlier).total_seconds(), abs=0.001)


def test_a_zone_without_daylight_saving_has_one_offset():
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert fixed_offset_minutes(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == 480


def test_a_zone_changing_its_offset_falls_back_to_the_exact_functions():
    with timezone.override(ZoneInfo("Europe/Berlin")):
        # Summer time starts on 29 March 2026.
        assert fixed_offset_minutes(dt.date(2026, 3, 1), dt.date(2026, 4, 30)) is None
        assert fixed_offset_minutes(dt.date(2026, 5, 1), dt.date(2026, 5, 31)) == 120
        day = local_date("moment", dt.date(2026, 3, 1), dt.date(2026, 4, 30))
        assert isinstance(day, TruncDate)
