"""Upkeep of the rollups (``insights.models.rollups``): derived counts kept exact.

``ActiveProjectCount`` holds, per owner, the active projects by current node, customer
type and category. Every write that can move a project from one key to another publishes
a domain event (a project created, its status, owner, category or customer changed, its
customer's type changed, its current node moved, a template migration); the handlers
here run inside the publishing transaction and recompute the rows of the owners
concerned from the raw rows, so the rollup commits or rolls back with the write itself.
Recomputing an owner is two statements (delete the owner's rows, insert the grouped
count), whatever changed: there is no delta arithmetic to get wrong. Bulk loads (the
scale generator, the demo) rebuild everything at the end in one INSERT … SELECT, and a
nightly job does the same, repairing any drift left by a write outside the services.

``FollowUpDayCount`` holds, per author, the follow-ups of each local day (the company's
time zone). The follow-up services publish one event per write — a recording, a bulk
import, a correction that moves one in time — naming the authors and the span of time;
the handler recounts those authors' days of that span from the raw follow-ups, inside
the same transaction, again without delta arithmetic. A recording only adds follow-ups,
so its days are recounted by one INSERT … SELECT that overwrites the rows it finds (an
upsert: one statement on the API's hot path); a correction can empty a day, so the span's
rows are deleted first. A deleted follow-up is caught by the model's delete signal and
takes one from its day's row (a decrement by key: a bulk delete stays linear).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min
from django.db.models.signals import post_delete
from django.utils import timezone

from pathscore.core.events import subscribe_in_transaction
from pathscore.core.localtime import MAX_CHECKED_DAYS, day_start, local_date
from pathscore.crm import events as crm_events
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import FollowUp, Project
from pathscore.insights.models import ActiveProjectCount, FollowUpDayCount
from pathscore.process import events as process_events

#: The rollup's columns, in the order of the grouped query's SELECT list.
_COLUMNS = ("owner_id", "definition_id", "node_order", "customer_type_id", "category_id", "count")


def counted_rows(owner_ids: Iterable[int] | None = None):
    """The rollup recomputed from the raw rows: active projects grouped by owner, current
    node (definition and place), customer type and category. ``owner_ids`` narrows it to
    those owners; None counts everyone. A project with no process or a completed one has
    no current node (the LEFT JOINs keep it, with NULLs)."""
    rows = Project.objects.filter(status=ProjectStatus.ACTIVE)
    if owner_ids is not None:
        rows = rows.filter(owner__in=list(owner_ids))
    return (
        rows.order_by()
        .values(
            "owner",
            "process__current_node__definition",
            "process__current_node__order",
            "customer__customer_type",
            "category",
        )
        .annotate(n=Count("pk"))
    )


def _insert_counted(owner_ids: list[int] | None) -> None:
    """INSERT … SELECT of the grouped query: the rows never travel through Python."""
    sql, params = counted_rows(owner_ids).query.sql_with_params()
    table = connection.ops.quote_name(ActiveProjectCount._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _COLUMNS)
    with connection.cursor() as cursor:
        # ``sql`` is the ORM's own compiled query; every value in it travels as a parameter.
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608  # nosec B608


def rollup_refresh_owners(owner_ids: Iterable[int]) -> None:
    """Recompute the rollup rows of these owners from the raw rows (two statements)."""
    owner_ids = sorted({owner_id for owner_id in owner_ids if owner_id is not None})
    if not owner_ids:
        return
    with transaction.atomic():
        ActiveProjectCount.objects.filter(owner__in=owner_ids).delete()
        _insert_counted(owner_ids)


def rollup_rebuild() -> int:
    """Recompute every rollup row (active projects, follow-ups per day) from the raw rows;
    idempotent. Returns the row count."""
    with transaction.atomic():
        ActiveProjectCount.objects.all().delete()
        _insert_counted(None)
        return ActiveProjectCount.objects.count() + followup_days_rebuild()


# --- Follow-ups per author and local day --------------------------------------------------

#: Authors per statement: bounded IN lists on every database.
AUTHOR_CHUNK = 500
#: Local days per statement: over such a span the zone's offset is checked, so SQLite
#: computes the local day natively (``core.localtime``).
DAYS_CHUNK = MAX_CHECKED_DAYS


def _company_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def counted_days(first_day: dt.date, last_day: dt.date, author_ids: Iterable[int] | None = None):
    """Follow-ups per author and local day (the current time zone), recomputed from the
    raw rows, for the days ``first_day``..``last_day``; ``author_ids`` narrows it to those
    authors, None counts everyone."""
    rows = FollowUp.objects.filter(
        occurred_at__gte=day_start(first_day),
        occurred_at__lt=day_start(last_day + dt.timedelta(days=1)),
    )
    if author_ids is not None:
        rows = rows.filter(author__in=list(author_ids))
    return (
        rows.order_by()
        .annotate(local_day=local_date("occurred_at", first_day, last_day))
        .values("author", "local_day")
        .annotate(n=Count("*"))
    )


def _insert_days(
    first_day: dt.date, last_day: dt.date, author_ids: list[int] | None, *, upsert: bool
) -> None:
    """INSERT … SELECT of the grouped count; with ``upsert`` a row already there takes the
    new count (a recount, not an increment)."""
    sql, params = counted_days(first_day, last_day, author_ids).query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(FollowUpDayCount._meta.db_table)
    author, day, count = quote("author_id"), quote("day"), quote("count")
    # ``sql`` is the ORM's own compiled query, every value in it a parameter; the names are
    # the model's, quoted by the backend: no outside input reaches the statement's text.
    statement = f"INSERT INTO {table} ({author}, {day}, {count}) {sql}"  # noqa: S608  # nosec B608
    if upsert:
        # The SELECT always has a WHERE, so SQLite reads ON CONFLICT as the upsert's.
        statement += f" ON CONFLICT ({author}, {day}) DO UPDATE SET {count} = excluded.{count}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


#: The upsert of one author's one day, per database vendor: built once, then only its
#: parameters change. A follow-up recorded through the API lands here on every call, and
#: compiling the grouped ORM query each time cost more than the statement itself.
_ONE_DAY_UPSERT: dict[str, str] = {}


def _one_day_upsert_sql() -> str:
    statement = _ONE_DAY_UPSERT.get(connection.vendor)
    if statement is None:
        quote = connection.ops.quote_name
        table = quote(FollowUpDayCount._meta.db_table)
        followups = quote(FollowUp._meta.db_table)
        author, day, count = quote("author_id"), quote("day"), quote("count")
        occurred_at = quote("occurred_at")
        # Only the models' own table and column names, quoted by the backend, are built
        # into the text; the author, the day and its bounds travel as parameters. GROUP BY
        # keeps a day without follow-ups from inserting a zero row, as the general path.
        statement = (
            f"INSERT INTO {table} ({author}, {day}, {count}) "  # noqa: S608  # nosec B608
            f"SELECT {author}, %s, COUNT(*) FROM {followups} "
            f"WHERE {author} = %s AND {occurred_at} >= %s AND {occurred_at} < %s "
            f"GROUP BY {author} "
            f"ON CONFLICT ({author}, {day}) DO UPDATE SET {count} = excluded.{count}"
        )
        _ONE_DAY_UPSERT[connection.vendor] = statement
    return statement


def _upsert_one_day(author_id: int, day: dt.date) -> None:
    """Recount one author's one local day (the current time zone) in one statement with a
    fixed text: the day's window as aware datetimes, adapted as the ORM would."""
    ops = connection.ops
    params = (
        ops.adapt_datefield_value(day),
        author_id,
        ops.adapt_datetimefield_value(day_start(day)),
        ops.adapt_datetimefield_value(day_start(day + dt.timedelta(days=1))),
    )
    with connection.cursor() as cursor:
        cursor.execute(_one_day_upsert_sql(), params)


def _spans(first_day: dt.date, last_day: dt.date):
    while first_day <= last_day:
        end = min(last_day, first_day + dt.timedelta(days=DAYS_CHUNK - 1))
        yield first_day, end
        first_day = end + dt.timedelta(days=1)


def followup_days_refresh(
    author_ids: Iterable[int], first_day: dt.date, last_day: dt.date, *, added_only: bool = False
) -> None:
    """Recount the follow-ups of these authors on the local days ``first_day``..``last_day``
    (the company's time zone) from the raw rows. ``added_only``: follow-ups were only
    added, so no day can have emptied and the recount overwrites in one statement per
    span; else the span's rows are deleted first (two statements)."""
    author_ids = sorted({author_id for author_id in author_ids if author_id is not None})
    if not author_ids or first_day > last_day:
        return
    # Nested in the writer's transaction without a savepoint (no extra statements); on
    # its own, one transaction.
    with transaction.atomic(savepoint=False), timezone.override(timezone.get_default_timezone()):
        if added_only and len(author_ids) == 1 and first_day == last_day:
            # One recording (the API's hot path): the same recount, with a fixed text.
            _upsert_one_day(author_ids[0], first_day)
            return
        for start in range(0, len(author_ids), AUTHOR_CHUNK):
            chunk = author_ids[start : start + AUTHOR_CHUNK]
            for span_first, span_last in _spans(first_day, last_day):
                if not added_only:
                    FollowUpDayCount.objects.filter(
                        author__in=chunk, day__gte=span_first, day__lte=span_last
                    ).delete()
                _insert_days(span_first, span_last, chunk, upsert=True)


def followup_days_rebuild() -> int:
    """Recompute every row of follow-ups per day from the raw rows; idempotent. Returns
    the row count."""
    with transaction.atomic(), timezone.override(timezone.get_default_timezone()):
        FollowUpDayCount.objects.all().delete()
        span = FollowUp.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
        if span["first"] is None:
            return 0
        for span_first, span_last in _spans(
            _company_day(span["first"]), _company_day(span["last"])
        ):
            _insert_days(span_first, span_last, None, upsert=False)
        return FollowUpDayCount.objects.count()


# --- Keeping it exact: handlers of the writes that move projects between keys ---------------


def _owners_of_projects(project_ids: Iterable[int]) -> list[int]:
    return list(
        Project.objects.filter(pk__in=list(project_ids))
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )


def on_project_changed(*, project_id: int, **_payload) -> None:
    """Created, status changed, category or customer changed, current node moved."""
    rollup_refresh_owners(_owners_of_projects([project_id]))


def on_project_handed_over(*, from_owner_id: int, to_owner_id: int, **_payload) -> None:
    rollup_refresh_owners([from_owner_id, to_owner_id])


def on_customer_changed(*, customer_id: int, **_payload) -> None:
    """A customer's type moves all its active projects: every owner of one is recomputed."""
    owners = (
        Project.objects.filter(customer_id=customer_id, status=ProjectStatus.ACTIVE)
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    rollup_refresh_owners(list(owners))


def on_project_deleted(sender, instance, **_kwargs) -> None:
    # Deletion has no service (the admin, a cascade): the model signal covers every path.
    if instance.status == ProjectStatus.ACTIVE:
        rollup_refresh_owners([instance.owner_id])


def on_followups_dated(
    *,
    author_ids: Iterable[int],
    first_at: dt.datetime,
    last_at: dt.datetime,
    added_only: bool = False,
    **_payload,
) -> None:
    """Recorded, imported, or moved in time: recount the authors' days of the span."""
    followup_days_refresh(
        author_ids, _company_day(first_at), _company_day(last_at), added_only=added_only
    )


#: The delete receiver's name: a bulk cleanup may leave it out and recount once instead.
FOLLOWUP_DAYS_RECEIVER = "insights.rollups.followup_days"


def on_followup_deleted(sender, instance, **_kwargs) -> None:
    # Deletion has no service (follow-ups are protected; the admin, a script): the signal,
    # sent for each row. A deleted follow-up takes one away from its day, so the day's row
    # is decremented by its key (and dropped at zero) rather than recounted: recounting the
    # day for each row of a bulk delete of thousands was quadratic.
    day = _company_day(instance.occurred_at)
    row = FollowUpDayCount.objects.filter(author_id=instance.author_id, day=day)
    if not row.filter(count__gt=1).update(count=F("count") - 1):
        row.delete()


def connect() -> None:
    for event in (
        crm_events.PROJECT_CREATED,
        crm_events.PROJECT_STATUS_CHANGED,
        crm_events.PROJECT_CHANGED,
        process_events.CURRENT_NODE_CHANGED,
    ):
        subscribe_in_transaction(event, on_project_changed)
    subscribe_in_transaction(crm_events.PROJECT_HANDED_OVER, on_project_handed_over)
    subscribe_in_transaction(crm_events.CUSTOMER_CHANGED, on_customer_changed)
    post_delete.connect(on_project_deleted, sender=Project, dispatch_uid="insights.rollups")
    subscribe_in_transaction(crm_events.FOLLOWUPS_DATED, on_followups_dated)
    post_delete.connect(on_followup_deleted, sender=FollowUp, dispatch_uid=FOLLOWUP_DAYS_RECEIVER)
