"""Facts of a follow-up derived from its chain: the previous follow-up's time
(``FollowUp.previous_at``) and whether it carried out a planned next action
(``FollowUp.planned``), with their daily check and repair.

A follow-up's chain is every follow-up of the same author on the same project, in time
order, ties taken in id order. ``previous_at`` is the time of the follow-up before it in
its chain (None for the first, and for follow-ups without a project). The follow-up
cycle — the indicator and the dashboard's chart — is the mean of the gaps between
consecutive follow-ups within a period: with the previous one's time stored, that is a
plain grouped sum of ``occurred_at − previous_at`` over the follow-ups whose previous one
falls in the period too, read through an index, with no window over the period's rows
and no sort.

``planned`` says an earlier follow-up of the same chain planned a next action for a day
within :data:`PLANNED_WINDOW_DAYS` of this one's local day (the company's zone): the
"initiative" indicator counts the follow-ups that were not planned. Stored, a team's
score reads a column instead of probing the chain once per follow-up.

Writers keep both exact: after a follow-up is recorded, corrected (moved in time or to
another project, its next action changed) or imported in bulk, :func:`relink` recomputes
the chains of the projects concerned from the raw rows in one UPDATE (an insertion in the
middle of a chain re-points the follow-up after it and may plan it). :func:`chain_mismatches`
finds rows that drifted all the same (a row written by hand, a follow-up deleted, the
company's time zone changed) and :func:`chain_repair` sets them right; the daily job runs
it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from pathscore.core.localtime import company_day_sql
from pathscore.crm.models import FollowUp

#: Projects per read when relinking: bounded IN lists on every database.
CHUNK = 500

#: A follow-up within this many days of a next action planned earlier in its chain is
#: that action carried out.
PLANNED_WINDOW_DAYS = 3


def _planned_sql(outer: str) -> tuple[str, list]:
    """``EXISTS (…)``: an earlier follow-up of the chain of the row ``outer`` planned a next
    action within the window around its local day; with the SQL's parameters."""
    table = FollowUp._meta.db_table
    day, params = company_day_sql(
        f"{outer}.occurred_at", connection.vendor, connection.timezone_name
    )
    days = PLANNED_WINDOW_DAYS
    if connection.vendor == "postgresql":
        low, high = f"{day} - {days}", f"{day} + {days}"
    else:
        low, high = f"date({day}, '-{days} days')", f"date({day}, '+{days} days')"
    # Table and alias names from the model's _meta and this module, the window from a
    # constant: no outside input reaches this SQL; the zone travels as a parameter.
    sql = (
        f"EXISTS (SELECT 1 FROM {table} g WHERE g.author_id = {outer}.author_id "  # noqa: S608  # nosec B608
        f"AND g.project_id = {outer}.project_id AND g.occurred_at < {outer}.occurred_at "
        f"AND g.next_action <> '' AND g.next_action_date >= {low} "
        f"AND g.next_action_date <= {high})"
    )
    return sql, params + params


def _expected(where: str) -> tuple[str, list]:
    """A SELECT of every follow-up matching ``where`` (over the table aliased ``f``) with
    its stored and expected previous time and planned flag, and the SQL's parameters."""
    table = FollowUp._meta.db_table
    planned, params = _planned_sql("f")
    # Table name from the model's _meta: no outside input reaches this statement.
    sql = (
        "SELECT f.id, f.author_id, f.project_id, f.previous_at, f.planned, "  # noqa: S608  # nosec B608
        "LAG(f.occurred_at) OVER (PARTITION BY f.author_id, f.project_id "
        f"ORDER BY f.occurred_at, f.id) AS expected, {planned} AS expected_planned "
        f"FROM {table} f WHERE {where}"
    )
    return sql, params


#: Rows whose stored facts differ from the recomputation (over ``chained``).
_DRIFTED = (
    "(chained.previous_at <> chained.expected "
    "OR (chained.previous_at IS NULL) <> (chained.expected IS NULL) "
    "OR chained.planned <> chained.expected_planned)"
)


def _update_from(where: str, where_params: list) -> tuple[str, list]:
    table = FollowUp._meta.db_table
    select, params = _expected(where)
    # Table name from the model's _meta: no outside input reaches this statement.
    sql = (
        f"UPDATE {table} SET previous_at = chained.expected, "  # noqa: S608  # nosec B608
        f"planned = chained.expected_planned FROM ({select}) chained "
        f"WHERE chained.id = {table}.id AND {_DRIFTED}"
    )
    return sql, params + where_params


def relink(project_ids: Iterable[int | None]) -> int:
    """Recompute ``previous_at`` and ``planned`` over every chain of the projects
    ``project_ids`` from the raw rows — one set-based UPDATE per 500 projects, writing only
    the rows that change (a queryset-level write: no history row, no revision, the values
    being derived). Idempotent. Returns the rows changed."""
    projects = sorted({pk for pk in project_ids if pk is not None})
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(projects), CHUNK):
            chunk = projects[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(*_update_from(f"f.project_id IN ({marks})", chunk))
            changed += cursor.rowcount
    return changed


def chain_mismatches(*, limit: int | None = None) -> list[tuple[int, int, int | None]]:
    """(id, author id, project id) of the follow-ups whose stored previous time or planned
    flag differs from the recomputation from the raw rows, in id order (at most
    ``limit``)."""
    table = FollowUp._meta.db_table
    select, params = _expected("f.project_id IS NOT NULL")
    # Table name from the model's _meta: no outside input reaches this statement.
    sql = (
        f"SELECT id, author_id, project_id FROM ({select}) chained "  # noqa: S608  # nosec B608
        f"WHERE {_DRIFTED} "
        f"UNION ALL SELECT id, author_id, project_id FROM {table} "
        "WHERE project_id IS NULL AND (previous_at IS NOT NULL OR planned) ORDER BY 1"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def chain_check(*, limit: int = 1000) -> list[int]:
    """The ids (at most ``limit``) of follow-ups whose stored previous time is wrong."""
    return [pk for pk, _author, _project in chain_mismatches(limit=limit)]


@transaction.atomic
def chain_repair() -> dict[str, int]:
    """Relink every chain holding a drifted row (and clear the value on follow-ups without
    a project). Idempotent: a second run changes nothing. Returns the rows changed."""
    drifted = chain_mismatches()
    loose = [pk for pk, _author, project in drifted if project is None]
    cleared = (
        FollowUp.objects.filter(pk__in=loose).update(previous_at=None, planned=False)
        if loose
        else 0
    )
    relinked = relink(project for _pk, _author, project in drifted)
    return {"followups": cleared + relinked}


def backfill_sql(table: str) -> str:
    """One set-based UPDATE setting every follow-up's previous time from its chain (the
    migration's backfill and the scale generator's)."""
    # Table name from the model's _meta: no outside input reaches this statement.
    return (
        f"UPDATE {table} SET previous_at = chained.expected FROM ("  # noqa: S608  # nosec B608
        "SELECT id, LAG(occurred_at) OVER (PARTITION BY author_id, project_id "
        f"ORDER BY occurred_at, id) AS expected FROM {table} WHERE project_id IS NOT NULL"
        f") chained WHERE chained.id = {table}.id AND chained.expected IS NOT NULL"
    )


def backfill() -> int:
    """Set every follow-up's previous time at once (bulk writers: the scale generator).
    Returns the rows written."""
    with connection.cursor() as cursor:
        cursor.execute(backfill_sql(FollowUp._meta.db_table))
        return cursor.rowcount


def backfill_planned() -> int:
    """Mark every follow-up that carried out a planned next action, at once, on rows all
    unmarked (bulk writers: the scale generator, after the chain's index is built; the
    migration adding the flag). Returns the rows marked."""
    table = FollowUp._meta.db_table
    planned, params = _planned_sql(table)
    with connection.cursor() as cursor:
        # Table name from the model's _meta: no outside input reaches this statement.
        cursor.execute(
            f"UPDATE {table} SET planned = TRUE "  # noqa: S608  # nosec B608
            f"WHERE project_id IS NOT NULL AND {planned}",
            params,
        )
        return cursor.rowcount
