"""The rollup of follow-ups per author and local day: after every kind of write it equals
the count recomputed from the raw rows, a rolled-back write leaves it as it was, the
nightly job repairs a corrupted table, and the dashboard's "follow-ups per salesperson
per week" is the same through the rollup as through the raw rows."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import zoneinfo
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathscore.crm import services as crm_services
from pathscore.crm.models import FollowUp
from pathscore.insights import selectors, tasks
from pathscore.insights.filters import Slice
from pathscore.insights.models import FollowUpDayCount
from pathscore.insights.rollups import followup_days_rebuild, rollup_rebuild
from tests.crm import factories
from tests.transfer.conftest import run_import  # noqa: F401  (fixture)
from tests.transfer.test_records import grid, storage  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TABLE = FollowUpDayCount._meta.db_table


def stored() -> dict[tuple[int, dt.date], int]:
    return {
        (author, day): count
        for author, day, count in FollowUpDayCount.objects.values_list("author", "day", "count")
    }


def recounted() -> dict[tuple[int, dt.date], int]:
    """The truth, counted in Python from the raw rows: each follow-up's local day in the
    company's time zone."""
    zone = timezone.get_default_timezone()
    return dict(
        Counter(
            (author, timezone.localtime(at, zone).date())
            for author, at in FollowUp.objects.values_list("author", "occurred_at")
        )
    )


def assert_exact():
    assert stored() == recounted()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute`` in the company's time zone, aware."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_default_timezone()
    )


def today() -> dt.date:
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def record(author, project, at: dt.datetime, **fields) -> FollowUp:
    return crm_services.followup_create(
        actor=author,
        project=project,
        occurred_at=at,
        mode=factories.option("followup_mode", "visit"),
        content="拜访客户，了解用电负荷。",
        **fields,
    )


def entry(author, project, at: dt.datetime) -> dict:
    return {
        "actor": author,
        "project": project,
        "occurred_at": at,
        "mode": factories.option("followup_mode", "phone"),
        "content": "电话沟通报价",
    }


def statements_on_the_rollup(context: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in context.captured_queries if TABLE in query["sql"]]


@pytest.fixture
def projects(personas):
    return (
        factories.project(personas.sales_a, name="南京配网运维"),
        factories.project(personas.sales_b, name="唐山钢厂改造"),
    )


# --- Writes keep it exact ------------------------------------------------------------------


def test_a_recorded_follow_up_is_counted_on_its_day_in_one_statement(personas, projects):
    mine, _theirs = projects
    record(personas.sales_a, mine, local(days_ago(3), 10))
    with CaptureQueriesContext(connection) as context:
        record(personas.sales_a, mine, local(days_ago(3), 15))
    assert_exact()
    assert stored() == {(personas.sales_a.pk, days_ago(3)): 2}
    # The API's busiest write pays one statement for the rollup: the day's recount.
    (statement,) = statements_on_the_rollup(context)
    assert statement.startswith("INSERT") and "ON CONFLICT" in statement


def test_follow_ups_created_through_the_api_are_counted_exactly(personas, projects, settings):
    """The API's create recounts the author's day with a fixed statement: the rollup after
    it equals the recount from the raw rows, across local midnight and for two authors,
    and only the parameters change from one day to another."""
    from django.test import Client

    from pathscore.org import services as org_services

    settings.TIME_ZONE = "Asia/Shanghai"
    mine, theirs = projects

    def client_of(user):
        _token, secret = org_services.token_create(
            user=user, name="sync", scope="write", expires_in_days=30
        )
        return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    clients = {personas.sales_a: client_of(personas.sales_a)}
    clients[personas.sales_b] = client_of(personas.sales_b)
    day = days_ago(5)
    texts = []
    for author, project, at in (
        (personas.sales_a, mine, local(day, 23, 59)),
        (personas.sales_a, mine, local(day + dt.timedelta(days=1), 0, 0)),
        (personas.sales_a, mine, local(day, 0, 0)),
        (personas.sales_b, theirs, local(day, 12)),
        (personas.sales_a, mine, local(day + dt.timedelta(days=1), 8)),
    ):
        body = {
            "project": project.pk,
            "occurred_at": at.isoformat(),
            "mode": "visit",
            "content": "现场勘察",
        }
        with CaptureQueriesContext(connection) as context:
            response = clients[author].post(
                "/api/v1/followups/", body, content_type="application/json"
            )
        assert response.status_code == 201, response.json()
        (statement,) = statements_on_the_rollup(context)
        texts.append(statement)
        assert_exact()
    assert stored() == {
        (personas.sales_a.pk, day): 2,
        (personas.sales_a.pk, day + dt.timedelta(days=1)): 2,
        (personas.sales_b.pk, day): 1,
    }
    # Captured with the values filled in: with them taken out, one text for every call.
    shapes = {re.sub(r"'[^']*'|\b\d+\b", "?", statement) for statement in texts}
    assert len(shapes) == 1
    (shape,) = shapes
    assert shape.startswith("INSERT") and "ON CONFLICT" in shape


def test_the_one_day_recount_repairs_its_row_and_adds_no_empty_day(personas, projects):
    from pathscore.insights.rollups import followup_days_refresh

    mine, _theirs = projects
    record(personas.sales_a, mine, local(days_ago(2), 10))
    record(personas.sales_a, mine, local(days_ago(2), 11))
    FollowUpDayCount.objects.filter(author=personas.sales_a).update(count=7)
    followup_days_refresh([personas.sales_a.pk], days_ago(2), days_ago(2), added_only=True)
    assert_exact()
    # A day without follow-ups gets no row of zero, as on the general path.
    followup_days_refresh([personas.sales_a.pk], days_ago(9), days_ago(9), added_only=True)
    followup_days_refresh([personas.sales_b.pk], days_ago(2), days_ago(2), added_only=True)
    assert stored() == {(personas.sales_a.pk, days_ago(2)): 2}


def test_the_one_day_recount_and_the_general_path_agree(personas, projects, settings):
    """Over days around local midnight in a zone with summer time, the one-day statement
    and the grouped recount of a span store the same rows."""
    from pathscore.insights.rollups import followup_days_refresh

    settings.TIME_ZONE = "Europe/Berlin"
    mine, theirs = projects
    for n in range(0, 40, 3):
        for author, project in ((personas.sales_a, mine), (personas.sales_b, theirs)):
            for hour, minute in ((23, 59), (0, 0)):  # either side of local midnight
                FollowUp.objects.create(
                    author=author,
                    project=project,
                    customer=project.customer,
                    occurred_at=local(days_ago(n), hour, minute),
                    mode=factories.option("followup_mode", "visit"),
                    content="补录",
                )
    authors = [personas.sales_a.pk, personas.sales_b.pk]
    followup_days_refresh(authors, days_ago(40), days_ago(0))
    by_span = stored()
    FollowUpDayCount.objects.all().delete()
    for n in range(0, 41):
        for author in authors:
            followup_days_refresh([author], days_ago(n), days_ago(n), added_only=True)
    assert stored() == by_span
    assert_exact()


def test_the_same_client_key_twice_counts_once(personas, projects):
    import uuid

    key = uuid.uuid4()
    mine, _theirs = projects
    first = record(personas.sales_a, mine, local(days_ago(1), 9), client_key=key)
    again = record(personas.sales_a, mine, local(days_ago(1), 9), client_key=key)
    assert first.pk == again.pk
    assert stored() == {(personas.sales_a.pk, days_ago(1)): 1}


def test_local_midnight_splits_the_days(personas, projects, settings):
    """UTC+8: 23:30 local is 15:30 UTC the same day, 00:30 local is 16:30 UTC the day
    before; the rollup counts local days, not UTC ones."""
    settings.TIME_ZONE = "Asia/Shanghai"
    mine, _theirs = projects
    day = days_ago(4)
    late = record(personas.sales_a, mine, local(day, 23, 30))
    early = record(personas.sales_a, mine, local(day + dt.timedelta(days=1), 0, 30))
    assert late.occurred_at.astimezone(dt.UTC).date() == day
    assert early.occurred_at.astimezone(dt.UTC).date() == day
    assert_exact()
    assert stored() == {
        (personas.sales_a.pk, day): 1,
        (personas.sales_a.pk, day + dt.timedelta(days=1)): 1,
    }


def test_the_viewer_s_own_time_zone_does_not_move_the_stored_days(personas, projects):
    """A write made in a request of someone in another zone still counts the company's
    local day."""
    mine, _theirs = projects
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        record(personas.sales_a, mine, local(days_ago(6), 23, 30))
    assert_exact()
    assert stored() == {(personas.sales_a.pk, days_ago(6)): 1}


def test_an_import_recounts_once_for_the_whole_batch(personas, projects):
    mine, theirs = projects
    record(personas.sales_a, mine, local(days_ago(20), 10))
    entries = [entry(personas.sales_a, mine, local(days_ago(n), 11)) for n in range(1, 30, 2)]
    entries += [entry(personas.sales_b, theirs, local(days_ago(n), 16)) for n in range(2, 25, 3)]
    with CaptureQueriesContext(connection) as context:
        created = crm_services.followup_create_many(entries=entries, recorded_by=personas.hr)
    assert len(created) == len(entries)
    assert_exact()
    assert stored()[(personas.sales_a.pk, days_ago(21))] == 1
    # Both authors and every day between the first and the last: one statement.
    assert len(statements_on_the_rollup(context)) == 1


def test_an_import_through_the_pipeline_is_counted(personas, run_import, storage):  # noqa: F811
    from pathscore.transfer.choices import ImportStatus
    from tests.transfer.conftest import problems, xlsx
    from tests.transfer.test_records import FOLLOWUP_HEADERS, followup_rows

    batch = run_import(
        personas.sales_a, "followups", xlsx(FOLLOWUP_HEADERS, followup_rows(), sheet="跟进记录")
    )
    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert_exact()
    assert sum(stored().values()) == 3


def test_a_correction_moving_the_day_and_the_project_recounts_both_days(personas, projects):
    mine, _theirs = projects
    other = factories.project(personas.sales_a, mine.customer, name="苏州钢厂配电")
    moved = record(personas.sales_a, mine, local(days_ago(9), 10))
    record(personas.sales_a, mine, local(days_ago(9), 14))
    alone = record(personas.sales_a, mine, local(days_ago(12), 10))
    crm_services.followup_update(
        followup=moved, actor=personas.sales_a, occurred_at=local(days_ago(2), 8), project=other
    )
    assert_exact()
    assert stored() == {
        (personas.sales_a.pk, days_ago(12)): 1,
        (personas.sales_a.pk, days_ago(9)): 1,
        (personas.sales_a.pk, days_ago(2)): 1,
    }
    # The last follow-up of a day moves away: the day's row goes.
    crm_services.followup_update(
        followup=alone, actor=personas.sales_a, occurred_at=local(days_ago(9), 20)
    )
    assert_exact()
    assert (personas.sales_a.pk, days_ago(12)) not in stored()


def test_a_correction_that_keeps_the_time_touches_nothing(personas, projects):
    mine, _theirs = projects
    followup = record(personas.sales_a, mine, local(days_ago(5), 10))
    with CaptureQueriesContext(connection) as context:
        crm_services.followup_update(followup=followup, actor=personas.sales_a, content="改写")
    assert statements_on_the_rollup(context) == []
    assert_exact()


def test_a_deleted_follow_up_leaves_the_rollup(personas, projects):
    mine, _theirs = projects
    gone = record(personas.sales_a, mine, local(days_ago(7), 10))
    record(personas.sales_a, mine, local(days_ago(7), 11))
    only = record(personas.sales_a, mine, local(days_ago(8), 11))
    gone.delete()
    only.delete()
    assert_exact()
    assert stored() == {(personas.sales_a.pk, days_ago(7)): 1}


def test_a_bulk_delete_takes_one_statement_per_row_and_stays_exact(personas, projects):
    mine, theirs = projects
    for minute in range(12):
        record(personas.sales_a, mine, local(days_ago(4), 9, minute))
    record(personas.sales_b, theirs, local(days_ago(4), 9))
    kept = record(personas.sales_a, mine, local(days_ago(3), 9))
    with CaptureQueriesContext(connection) as context:
        FollowUp.objects.filter(author=personas.sales_a, pk__lt=kept.pk).delete()
    # A decrement per row (the last one drops the day's row): no recount of the day.
    rollup = statements_on_the_rollup(context)
    assert len(rollup) == 13
    assert not [sql for sql in rollup if "INSERT" in sql]
    assert_exact()
    assert (personas.sales_a.pk, days_ago(4)) not in stored()


def test_a_rolled_back_write_leaves_the_rollup_as_it_was(personas, projects):
    mine, theirs = projects
    kept = record(personas.sales_a, mine, local(days_ago(3), 10))
    before = stored()

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        record(personas.sales_a, mine, local(days_ago(3), 11))
        record(personas.sales_b, theirs, local(days_ago(4), 11))
        crm_services.followup_update(
            followup=kept, actor=personas.sales_a, occurred_at=local(days_ago(1), 9)
        )
        assert stored() != before
        raise Refused
    assert stored() == before

    # An import in a transaction that is then refused leaves no count behind either.
    entries = [entry(personas.sales_a, mine, local(days_ago(n), 11)) for n in (2, 3, 5)]
    with pytest.raises(Refused), transaction.atomic():
        crm_services.followup_create_many(entries=entries, recorded_by=personas.hr)
        assert stored() != before
        raise Refused
    assert stored() == before
    assert_exact()


# --- Rebuilding ----------------------------------------------------------------------------


def test_the_nightly_job_repairs_a_corrupted_rollup(personas, projects):
    from django.core.management import call_command

    mine, theirs = projects
    for n in (1, 2, 2, 9):
        record(personas.sales_a, mine, local(days_ago(n), 10 + n % 3))
    record(personas.sales_b, theirs, local(days_ago(4), 10))
    truth = stored()
    assert truth == recounted()
    FollowUpDayCount.objects.filter(author=personas.sales_a, day=days_ago(2)).update(count=99)
    FollowUpDayCount.objects.filter(author=personas.sales_b).delete()
    FollowUpDayCount.objects.create(author=personas.sales_b, day=days_ago(30), count=5)
    assert stored() != truth
    tasks.rebuild_rollups.call_local()
    assert stored() == truth
    FollowUpDayCount.objects.filter(author=personas.sales_a).update(count=1)
    call_command("rebuild_rollups", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored() == truth
    assert followup_days_rebuild() == len(truth)


def test_follow_ups_written_past_the_services_are_counted_by_the_rebuild(personas, projects):
    mine, _theirs = projects
    FollowUp.objects.create(
        customer=mine.customer,
        project=mine,
        author=personas.sales_a,
        occurred_at=local(days_ago(3), 10),
        mode=factories.option("followup_mode", "visit"),
        content="直接写入。",
    )
    assert stored() == {}
    rollup_rebuild()
    assert_exact()


def test_the_migration_fills_the_rollup_from_the_follow_ups(personas, projects):
    mine, theirs = projects
    for n in (1, 3, 3, 40):
        record(personas.sales_a, mine, local(days_ago(n), 23, 30))
    record(personas.sales_b, theirs, local(days_ago(3), 0, 30))
    FollowUpDayCount.objects.all().delete()
    migration = importlib.import_module("pathscore.insights.migrations.0005_followup_day_count")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.count_followup_days(apps, editor)
    assert_exact()


# --- The dashboard reads the same through the rollup and the raw rows -----------------------


@pytest.fixture
def spread(personas, projects):
    """Follow-ups over seven weeks, near local midnight on purpose, by salespeople of both
    teams, a manager and someone who left."""
    mine, theirs = projects
    manager_project = factories.project(personas.manager_a, name="经理的项目")
    for n in range(1, 50):
        author, project = (personas.sales_a, mine) if n % 3 else (personas.sales_b, theirs)
        hour, minute = ((23, 45), (0, 15), (10, 0))[n % 3]
        record(author, project, local(days_ago(n), hour, minute))
        if n % 7 == 0:
            record(personas.sales_a, mine, local(days_ago(n), 12))
    record(personas.manager_a, manager_project, local(days_ago(10), 9))
    # Today's, a minute ago (a time later today would lie in the future).
    record(personas.sales_b, theirs, timezone.now() - dt.timedelta(minutes=1))
    return mine, theirs


def slices(personas, start: dt.date, end: dt.date) -> list[Slice]:
    def s(viewer, **narrowing):
        return Slice(viewer=viewer, start=start, end=end, today=today(), **narrowing)

    return [
        s(personas.executive),
        s(personas.hr),
        s(personas.manager_a),
        s(personas.manager_b),
        s(personas.regional_head),
        s(personas.sales_a),
        s(personas.sales_b),
        s(personas.tech),
        s(personas.executive, department=personas.team_a),
        s(personas.executive, department=personas.east),
        s(personas.executive, salesperson=personas.sales_b),
        s(personas.manager_a, salesperson=personas.sales_a),
    ]


def everyone(personas) -> list[int]:
    return [
        person.pk
        for person in (
            personas.sales_a,
            personas.sales_b,
            personas.manager_a,
            personas.deactivated,
            personas.executive,
        )
    ]


def by_both_paths(s: Slice, people: list[int], monkeypatch) -> tuple[dict, dict, list[str]]:
    with CaptureQueriesContext(connection) as context:
        through_rollup = selectors.followups_by_author_week(s, people)
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "USE_ROLLUPS", False)
        raw = selectors.followups_by_author_week(s, people)
    return through_rollup, raw, [query["sql"] for query in context.captured_queries]


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (35, 0),  # a period starting and ending mid-week
        (27, 14),  # two whole weeks and a bit, in the past
        (6, 6),  # one day
    ],
)
def test_the_weeks_are_the_same_through_the_rollup_and_the_raw_rows(
    personas, spread, monkeypatch, first, last
):
    people = everyone(personas)
    counted = 0
    for s in slices(personas, days_ago(first), days_ago(last)):
        through_rollup, raw, sql = by_both_paths(s, people, monkeypatch)
        assert through_rollup == raw, s
        # The viewer's scope (read once per slice), then the rollup alone.
        assert TABLE in sql[-1] and not any("crm_followup" in query for query in sql)
        counted += sum(raw.values())
    assert counted, "the comparison is not vacuous"


def test_the_company_s_weeks_match_a_count_by_hand(personas, spread):
    start, end = days_ago(35), days_ago(0)
    s = Slice(viewer=personas.executive, start=start, end=end, today=today())
    zone = timezone.get_default_timezone()
    expected = Counter()
    for author, at in FollowUp.objects.values_list("author", "occurred_at"):
        day = timezone.localtime(at, zone).date()
        if start <= day <= end:
            expected[(author, day - dt.timedelta(days=day.weekday()))] += 1
    assert selectors.followups_by_author_week(s, everyone(personas)) == dict(expected)


def test_a_record_filter_reads_the_raw_rows(personas, spread, monkeypatch):
    mine, _theirs = spread
    start, end = days_ago(35), days_ago(0)
    for narrowing in (
        {"customer_type": mine.customer.customer_type},
        {"category": mine.category},
    ):
        s = Slice(viewer=personas.executive, start=start, end=end, today=today(), **narrowing)
        through_rollup, raw, sql = by_both_paths(s, everyone(personas), monkeypatch)
        assert through_rollup == raw
        assert not any(TABLE in query for query in sql)


def test_a_viewer_in_another_time_zone_reads_the_raw_rows(personas, spread, monkeypatch):
    start, end = days_ago(35), days_ago(0)
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        s = Slice(viewer=personas.executive, start=start, end=end, today=today())
        through_rollup, raw, sql = by_both_paths(s, everyone(personas), monkeypatch)
    assert through_rollup == raw
    assert not any(TABLE in query for query in sql)
    # A zone with the company's offset all year reads the rollup.
    with timezone.override(zoneinfo.ZoneInfo("Asia/Taipei")):
        s = Slice(viewer=personas.executive, start=start, end=end, today=today())
        through_rollup, raw, sql = by_both_paths(s, everyone(personas), monkeypatch)
    assert through_rollup == raw
    assert TABLE in sql[-1]


def test_a_company_zone_with_summer_time_counts_its_own_local_days(
    personas, projects, settings, monkeypatch
):
    """Europe/Berlin changes its offset on the last Sunday of March and October: the local
    day is then Django's exact conversion, on both paths."""
    settings.TIME_ZONE = "Europe/Berlin"
    mine, theirs = projects
    for n in range(1, 60, 2):
        record(personas.sales_a, mine, local(days_ago(n), 23, 30))
        record(personas.sales_b, theirs, local(days_ago(n + 1), 0, 30))
    assert_exact()
    rollup_rebuild()
    assert_exact()
    for s in slices(personas, days_ago(55), days_ago(0)):
        through_rollup, raw, _sql = by_both_paths(s, everyone(personas), monkeypatch)
        assert through_rollup == raw, s


def test_an_anonymous_viewer_counts_nothing(personas, spread):
    from django.contrib.auth.models import AnonymousUser

    s = Slice(viewer=AnonymousUser(), start=days_ago(35), end=days_ago(0), today=today())
    assert selectors.followups_by_author_week(s, everyone(personas)) == {}
