"""Writing millions of rows fast: plain tuples into the tables, in batches.

The generator builds each row as a tuple of database-ready values (strings for dates,
datetimes, decimals and JSON; ints, bools and None as they are), so no model instance is
ever made for a generated row. SQLite gets them with ``executemany``, PostgreSQL with
``COPY … FROM STDIN``; the same tuples suit both. Primary keys are handed out here, from
the table's highest id upwards, so rows can refer to each other before they are written
(foreign keys are checked at commit). PostgreSQL's identity sequences are moved past the
written ids at the end.

Datetimes are written as naive UTC (``YYYY-MM-DD HH:MM:SS``), which is how Django stores
aware datetimes on SQLite and what a PostgreSQL session in UTC (Django's) reads as UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection

#: Rows kept per table before they are written.
BATCH = 10_000


def moment(value: dt.datetime | None) -> str | None:
    """A naive UTC datetime as the database stores it."""
    return None if value is None else value.isoformat(" ")


def day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def as_json(value) -> str:
    return json.dumps(value)


def _db_default(field):
    """The stored form of ``field``'s default, for the columns a generator leaves out."""
    if not field.has_default():
        if field.null:
            return None
        if field.empty_strings_allowed:
            return ""
        raise ValueError(f"{field.model.__name__}.{field.name} needs a value")
    value = field.get_default()
    if field.get_internal_type() == "JSONField":
        return as_json(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


class Sink:
    """The rows of one table: hands out ids, keeps rows, writes them in batches."""

    def __init__(self, writer: BulkWriter, model, fields: list[str], *, ids: bool = True):
        opts = model._meta
        self.writer = writer
        self.model = model
        self.fields = list(fields)
        given = {opts.get_field(name).column for name in fields}
        # Columns the generator leaves out take their default, the same for every row.
        self.defaults = tuple(
            _db_default(field)
            for field in opts.concrete_fields
            if field.column not in given and not (field.primary_key and not ids)
        )
        left_out = [
            field.column
            for field in opts.concrete_fields
            if field.column not in given and not (field.primary_key and not ids)
        ]
        if ids and opts.pk.column not in given:
            raise ValueError(f"{model.__name__}: list the primary key first")
        self.columns = [opts.get_field(name).column for name in fields] + left_out
        self.table = opts.db_table
        self.rows: list[tuple] = []
        self.count = 0
        self._next_id = writer.first_id(model) if ids else None
        self._sql = writer.insert_sql(self.table, self.columns)

    def new_id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.defaults if self.defaults else row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write(self, self.rows)
            self.count += len(self.rows)
            self.rows = []


class BulkWriter:
    """Every table's sink, over Django's connection and inside its transaction.

    Batches go to the database from a writer thread, in the order they were made, while
    the generator makes the next ones: SQLite and psycopg let go of the interpreter lock
    while the database works, so on two cores generating and writing overlap. Whoever
    needs the connection for anything else calls :meth:`drain` first.
    """

    def __init__(self, *, threaded: bool = True):
        self.vendor = connection.vendor
        self.sinks: list[Sink] = []
        connection.ensure_connection()
        self._raw = connection.connection
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        if threaded:
            # Few batches in flight: memory stays bounded while the writer catches up.
            self._queue = queue.Queue(maxsize=4)
            self._thread = threading.Thread(target=self._write_batches, daemon=True)
            self._thread.start()

    def sink(self, model, fields: list[str], *, ids: bool = True) -> Sink:
        self.drain()
        created = Sink(self, model, fields, ids=ids)
        self.sinks.append(created)
        return created

    def first_id(self, model) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({column}) FROM {table}")  # noqa: S608  # nosec B608 - names from the model
            highest = cursor.fetchone()[0]
        return (highest or 0) + 1

    def insert_sql(self, table: str, columns: list[str]) -> str:
        quote = connection.ops.quote_name
        names = ", ".join(quote(column) for column in columns)
        if self.vendor == "postgresql":
            return f"COPY {quote(table)} ({names}) FROM STDIN"
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608 - names from the model

    def write(self, sink: Sink, rows: list[tuple]) -> None:
        if self._failure is not None:
            raise self._failure
        if self._queue is None:
            self._execute(sink._sql, rows)
        else:
            self._queue.put((sink._sql, rows))

    def _execute(self, sql: str, rows: list[tuple]) -> None:
        if self.vendor == "postgresql":
            with self._raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        elif self.vendor == "sqlite":
            self._raw.executemany(sql, rows)
        else:  # pragma: no cover - the two supported databases are above
            raise NotImplementedError(self.vendor)

    def _write_batches(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._failure is None:
                    self._execute(*item)
            except BaseException as error:  # handed to the generator's thread
                self._failure = error
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        """Wait until every batch handed over is in the database (re-raising a failure)."""
        if self._queue is not None:
            self._queue.join()
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        """Stop the writer thread (after draining)."""
        if self._queue is not None and self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = self._thread = None

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def finish(self) -> dict[str, int]:
        """Write what is left and move PostgreSQL's id sequences past the written ids."""
        self.flush()
        self.drain()
        if self.vendor == "postgresql":
            models = {sink.model for sink in self.sinks}
            statements = connection.ops.sequence_reset_sql(no_style(), sorted(models, key=str))
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        counts: dict[str, int] = {}
        for sink in self.sinks:
            counts[sink.table] = counts.get(sink.table, 0) + sink.count
        return counts


@contextmanager
def loading_mode():
    """Faster loading on SQLite for the length of the generation: the rollback journal in
    memory instead of the write-ahead log (one huge transaction would otherwise write every
    page twice), no fsync, a larger page cache, foreign keys checked once at the end (see
    :func:`check_foreign_keys`). The file is back in WAL mode afterwards.

    Only outside a transaction (SQLite cannot change its journal inside one); in a test's
    transaction it changes nothing."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA foreign_keys")
        foreign_keys = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA foreign_keys={int(foreign_keys)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA journal_mode={journal}")


class DeferredIndexes:
    """The secondary indexes of some tables, dropped while the tables fill and built again
    afterwards: building an index over a full table sorts once, while keeping it up to date
    row by row costs a random write per row and index. Indexes that back a constraint
    (primary keys; unique constraints on PostgreSQL) stay. Both happen inside the caller's
    transaction, so a failure leaves every index as it was."""

    def __init__(self, models):
        self.tables = sorted({model._meta.db_table for model in models})
        self.saved: list[tuple[str, str]] = []
        self._table_of: dict[str, str] = {}

    def drop(self) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in self.tables:
                if connection.vendor == "sqlite":
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                        [table],
                    )
                else:
                    cursor.execute(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE schemaname = current_schema() AND tablename = %s "
                        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                        [table],
                    )
                found = cursor.fetchall()
                self.saved.extend(found)
                self._table_of.update((name, table) for name, _sql in found)
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def build_now(self, *names: str, tables=()) -> None:
        """Build the named indexes, and every index of ``tables``, ahead of the others, for
        a pass over the full tables that reads them; the rest stay dropped until
        :meth:`rebuild`."""
        now = [item for item in self.saved if item[0] in names or self._table_of[item[0]] in tables]
        with connection.cursor() as cursor:
            for _name, sql in now:
                cursor.execute(sql)
        self.saved = [item for item in self.saved if item not in now]

    def rebuild(self, phase=None) -> None:
        with connection.cursor() as cursor:
            for _name, sql in self.saved:
                cursor.execute(sql)
                if phase is not None:
                    phase.advance()
        self.saved = []


def relax_foreign_keys() -> bool:
    """On PostgreSQL, skip the per-row foreign key checks for the rest of the transaction
    when the role may (a superuser: ``session_replication_role``); each reference would
    otherwise queue a deferred check, millions of them, held in memory until commit.
    :func:`check_foreign_keys` checks them all at the end instead. Returns whether it did.
    SQLite's are off already (:func:`loading_mode`)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def restore_foreign_keys() -> None:
    """Per-row checks again for whatever else the transaction writes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def settle_foreign_keys() -> None:
    """Run the deferred checks queued so far (PostgreSQL refuses to build an index on a
    table with checks pending)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def check_foreign_keys(models=()) -> None:
    """One pass over the references written with their checks off (SQLite always,
    PostgreSQL when :func:`relax_foreign_keys` did): any dangling reference is a bug of
    the generator, and raising rolls the whole company back."""
    dangling = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_key_check")
            dangling = cursor.fetchmany(5)
        else:
            quote = connection.ops.quote_name
            for model in models:
                for field in model._meta.concrete_fields:
                    if not field.is_relation or field.remote_field is None:
                        continue
                    child, parent = model._meta.db_table, field.related_model._meta.db_table
                    target = field.target_field.column
                    column, target = quote(field.column), quote(target)
                    # Table and column names come from the models, not from input.
                    sql = (
                        f"SELECT c.{column} FROM {quote(child)} c "  # noqa: S608  # nosec B608 - model names
                        f"LEFT JOIN {quote(parent)} p ON p.{target} = c.{column} "
                        f"WHERE c.{column} IS NOT NULL AND p.{target} IS NULL LIMIT 1"
                    )
                    cursor.execute(sql)
                    row = cursor.fetchone()
                    if row:
                        dangling.append((child, field.column, row[0]))
    if dangling:
        raise RuntimeError(f"generated rows refer to missing rows: {dangling}")


def analyze() -> None:
    """Fresh planner statistics: the queries that follow (closing a quarter, detecting
    alerts) and the dashboards' query plans depend on them."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def vacuum() -> None:
    """PostgreSQL after the commit: the visibility map of the freshly written tables, so
    index-only scans work from the first query."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
