"""The four dashboard aggregates, as Pathscore runs them and as DuckDB computes them.

Pathscore's side calls the product's own code — the dashboard selectors
(``insights.selectors.projects_by_node``, which reads the rollup of active projects as the
dashboard does — build it with ``pathscore manage rebuild_rollups`` after migrating a copy —,
``followups_by_author_week``) and the
evaluation's indicators (``scoring.catalogue.node_on_time_rate``, ``followup_cycle``) —
for a manager's team and for the whole company, over this quarter. DuckDB's side computes
the same four over the same raw rows, copied into an in-memory DuckDB database before
the clock starts (the copy is not timed). Both answers are compared, so a ratio is only
reported for results that agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.utils import timezone

from benchmarks.common import Row, at_most, not_measured, timed
from pathscore.insights import selectors
from pathscore.insights.filters import Slice, quarter_bounds
from pathscore.scoring import catalogue

#: The raw rows DuckDB gets: table → (column, DuckDB type).
TABLES = {
    "org_department": [("id", "BIGINT"), ("path", "VARCHAR")],
    "org_user": [("id", "BIGINT"), ("department_id", "BIGINT")],
    "crm_customer": [("id", "BIGINT"), ("customer_type_id", "BIGINT")],
    "crm_project": [
        ("id", "BIGINT"),
        ("owner_id", "BIGINT"),
        ("customer_id", "BIGINT"),
        ("status", "VARCHAR"),
    ],
    "process_nodedefinition": [
        ("id", "BIGINT"),
        ("code", "VARCHAR"),
        ("name", "VARCHAR"),
        ("order", "INTEGER"),
    ],
    "process_projectprocess": [
        ("id", "BIGINT"),
        ("project_id", "BIGINT"),
        ("current_node_id", "BIGINT"),
    ],
    "process_nodeinstance": [
        ("id", "BIGINT"),
        ("definition_id", "BIGINT"),
        ("order", "INTEGER"),
        ("state", "VARCHAR"),
        ("submitted_at", "TIMESTAMP"),
        ("submitted_by_id", "BIGINT"),
        ("days_late", "INTEGER"),
    ],
    "crm_followup": [
        ("id", "BIGINT"),
        ("author_id", "BIGINT"),
        ("project_id", "BIGINT"),
        ("occurred_at", "TIMESTAMP"),
    ],
}

NAMES = {
    "nodes_by_type": "projects by current node x customer type",
    "followups_week": "follow-ups per salesperson per week",
    "on_time": "node on-time rate per salesperson",
    "cycle": "follow-up cycle per salesperson",
}


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    return value


def load_duckdb(folder: Path):
    """Copy the raw rows into an in-memory DuckDB database (through CSV files)."""
    import duckdb

    database = duckdb.connect(":memory:")
    for table, columns in TABLES.items():
        names = ", ".join(connection.ops.quote_name(name) for name, _type in columns)
        path = folder / f"{table}.csv"
        with connection.cursor() as cursor, path.open("w", newline="") as handle:
            # Table and column names are the fixed constants above.
            cursor.execute(f"SELECT {names} FROM {table}")  # nosec B608
            writer = csv.writer(handle)
            while chunk := cursor.fetchmany(50_000):
                writer.writerows([_cell(value) for value in row] for row in chunk)
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in columns)
        quoted = ", ".join(f'"{name}"' for name, _type in columns)
        database.execute(
            f"CREATE TABLE {table} AS SELECT {quoted} FROM read_csv('{path}', header=false, "
            f"columns={{{types}}}, nullstr='', quote='\"')"
        )
    return database


# --- DuckDB's four -----------------------------------------------------------------------

NODES_BY_TYPE = """
SELECT d.code, c.customer_type_id, count(*) AS n
FROM process_projectprocess pp
JOIN crm_project p ON p.id = pp.project_id
JOIN crm_customer c ON c.id = p.customer_id
JOIN process_nodeinstance ni ON ni.id = pp.current_node_id
JOIN process_nodedefinition d ON d.id = ni.definition_id
JOIN org_user u ON u.id = p.owner_id
LEFT JOIN org_department dep ON dep.id = u.department_id
WHERE p.status = 'active' AND starts_with(coalesce(dep.path, ''), ?)
GROUP BY d.code, c.customer_type_id
"""

FOLLOWUPS_WEEK = """
SELECT author_id, CAST(date_trunc('week', occurred_at + to_seconds(?)) AS DATE) AS week,
       count(*) AS n
FROM crm_followup
WHERE occurred_at >= ? AND occurred_at < ? AND list_contains(?, author_id)
GROUP BY ALL
"""

ON_TIME = """
SELECT submitted_by_id, count(*) AS total, count(*) FILTER (WHERE days_late = 0) AS on_time
FROM process_nodeinstance
WHERE state = 'approved' AND submitted_at >= ? AND submitted_at < ?
  AND list_contains(?, submitted_by_id)
GROUP BY submitted_by_id
"""

CYCLE = """
SELECT author_id, sum(span) AS span, sum(n - 1) AS gaps FROM (
    SELECT f.author_id, f.project_id,
           epoch(max(f.occurred_at)) - epoch(min(f.occurred_at)) AS span, count(*) AS n
    FROM crm_followup f JOIN crm_project p ON p.id = f.project_id
    WHERE p.status = 'active' AND f.occurred_at >= ? AND f.occurred_at < ?
      AND list_contains(?, f.author_id)
    GROUP BY f.author_id, f.project_id
    HAVING count(*) > 1
) GROUP BY author_id
"""


def _utc(day: dt.date) -> dt.datetime:
    local = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class DuckSide:
    def __init__(self, database, path: str, people: list[int], start: dt.date, end: dt.date):
        self.db = database
        self.path = path
        self.people = people
        self.start, self.end = start, end
        self.since, self.until = _utc(start), _utc(end + dt.timedelta(days=1))
        local = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
        # The company's zone has no daylight saving time: one offset covers the period.
        self.offset = int(local.utcoffset().total_seconds())

    def nodes_by_type(self):
        rows = self.db.execute(NODES_BY_TYPE, [self.path]).fetchall()
        return {(code, type_id): n for code, type_id, n in rows}

    def followups_week(self):
        rows = self.db.execute(
            FOLLOWUPS_WEEK, [self.offset, self.since, self.until, self.people]
        ).fetchall()
        return {(author, week): n for author, week, n in rows}

    def on_time(self):
        rows = self.db.execute(ON_TIME, [self.since, self.until, self.people]).fetchall()
        return {person: catalogue._rate(on_time, total) for person, total, on_time in rows}

    def cycle(self):
        rows = self.db.execute(CYCLE, [self.since, self.until, self.people]).fetchall()
        found = {author: (span, gaps) for author, span, gaps in rows}
        period_days = Decimal((self.end - self.start).days + 1)
        return {
            pk: catalogue._q2(found[pk][0] / 86400 / found[pk][1]) if pk in found else period_days
            for pk in self.people
        }


class ProductSide:
    def __init__(self, s: Slice, people: list[int]):
        self.s = s
        self.people = people

    def nodes_by_type(self):
        return {
            (column.code, type_id): n
            for column in selectors.projects_by_node(self.s)
            for type_id, n in column.by_type.items()
        }

    def followups_week(self):
        return selectors.followups_by_author_week(self.s, self.people)

    def on_time(self):
        return catalogue.node_on_time_rate(self.people, self.s.start, self.s.end, {})

    def cycle(self):
        return catalogue.followup_cycle(self.people, self.s.start, self.s.end, {})


def _scopes(cast, today):
    start, end = quarter_bounds(today)
    for scope, viewer, path in (
        ("team", cast.manager, None),
        ("company", cast.executive, ""),
    ):
        s = Slice(viewer=viewer, start=start, end=end, today=today)
        people = [person.pk for person in selectors.salespeople(s)]
        if path is None:
            departments = viewer.headed_departments.filter(is_active=True).order_by("depth")
            path = departments.first().path
        yield scope, s, people, path


def aggregate_rows(cast, options) -> list[Row]:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return [
            not_measured(
                f"aggregates_{key}",
                f"{name} vs DuckDB",
                "<= 1.0x DuckDB",
                "x",
                "DuckDB is not installed (pip install -e '.[bench]')",
            )
            for key, name in NAMES.items()
        ]
    today = timezone.localdate()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pathscore-duck-") as folder:
        database = load_duckdb(Path(folder))
        for scope, s, people, path in _scopes(cast, today):
            ours = ProductSide(s, people)
            theirs = DuckSide(database, path, people, s.start, s.end)
            for key, name in NAMES.items():
                mine, duck = getattr(ours, key), getattr(theirs, key)
                same = mine() == duck()
                ours_t = timed(mine, options.runs)
                duck_t = timed(duck, options.runs)
                ratio = ours_t.p50 / duck_t.p50 if duck_t.p50 else None
                rows.append(
                    Row(
                        key=f"aggregates_{key}_{scope}",
                        what=f"{name} ({scope}, {len(people)} salespeople, this quarter)",
                        target="<= 1.0x DuckDB",
                        value=ratio,
                        unit="x",
                        passed=at_most(ratio, 1.0) if same else False,
                        details={
                            "pathscore": ours_t.as_dict(),
                            "duckdb": duck_t.as_dict(),
                            "same_result": same,
                        },
                        note=(
                            f"Pathscore p50 {ours_t.p50:.1f} ms, DuckDB p50 {duck_t.p50:.1f} ms"
                            + ("" if same else "; RESULTS DIFFER")
                        ),
                    )
                )
        database.close()
    return rows
