"""The previous follow-up's time (``FollowUp.previous_at``), and its daily check and repair.

A follow-up's chain is every follow-up of the same author on the same project, in time
order, ties taken in id order. ``previous_at`` is the time of the follow-up before it in
its chain (None for the first, and for follow-ups without a project). The follow-up
cycle — the indicator and the dashboard's chart — is the mean of the gaps between
consecutive follow-ups within a period: with the previous one's time stored, that is a
plain grouped sum of ``occurred_at − previous_at`` over the follow-ups whose previous one
falls in the period too, read through an index, with no window over the period's rows
and no sort.

Writers keep it exact: after a follow-up is recorded, corrected (moved in time or to
another project) or imported in bulk, :func:`relink` recomputes the chains of the
projects concerned from the raw rows in one UPDATE (an insertion in the middle of a chain
re-points the follow-up after it). :func:`chain_mismatches`
finds rows that drifted all the same (a row written by hand) and :func:`chain_repair`
sets them right; the daily job runs it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from pathscore.crm.models import FollowUp

#: Projects per read when relinking: bounded IN lists on every database.
CHUNK = 500


def relink(project_ids: Iterable[int | None]) -> int:
    """Recompute ``previous_at`` over every chain of the projects ``project_ids`` from the
    raw rows — one set-based UPDATE per 500 projects, writing only the rows that change
    (a queryset-level write: no history row, no revision, the value being derived).
    Idempotent. Returns the rows changed."""
    projects = sorted({pk for pk in project_ids if pk is not None})
    table = FollowUp._meta.db_table
    changed = 0
    with connection.cursor() as cursor:
        for start in range(0, len(projects), CHUNK):
            chunk = projects[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            # Table name from the model's _meta; the ids travel as parameters.
            cursor.execute(
                f"UPDATE {table} SET previous_at = chained.expected FROM ("  # noqa: S608  # nosec B608
                "SELECT id, LAG(occurred_at) OVER (PARTITION BY author_id, project_id "
                f"ORDER BY occurred_at, id) AS expected FROM {table} "
                f"WHERE project_id IN ({marks})) chained WHERE chained.id = {table}.id "
                f"AND ({table}.previous_at <> chained.expected "
                f"OR ({table}.previous_at IS NULL) <> (chained.expected IS NULL))",
                chunk,
            )
            changed += cursor.rowcount
    return changed


def _expected_sql() -> str:
    table = FollowUp._meta.db_table
    # Table name from the model's _meta: no outside input reaches this statement.
    return (
        "SELECT id, author_id, project_id, previous_at, "  # noqa: S608  # nosec B608
        "LAG(occurred_at) OVER (PARTITION BY author_id, project_id ORDER BY occurred_at, id)"
        f" AS expected FROM {table} WHERE project_id IS NOT NULL"
    )


def chain_mismatches(*, limit: int | None = None) -> list[tuple[int, int, int | None]]:
    """(id, author id, project id) of the follow-ups whose stored ``previous_at`` differs
    from the recomputation from the raw rows, in id order (at most ``limit``)."""
    table = FollowUp._meta.db_table
    sql = (
        f"SELECT id, author_id, project_id FROM ({_expected_sql()}) chained "  # noqa: S608  # nosec B608
        "WHERE previous_at <> expected OR (previous_at IS NULL) <> (expected IS NULL) "
        f"UNION ALL SELECT id, author_id, project_id FROM {table} "
        "WHERE project_id IS NULL AND previous_at IS NOT NULL ORDER BY 1"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
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
    cleared = FollowUp.objects.filter(pk__in=loose).update(previous_at=None) if loose else 0
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
