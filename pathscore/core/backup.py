"""Backup and restore: one portable snapshot of the database and the uploaded files.

A snapshot is a gzip-compressed tar archive::

    database/<table>.jsonl   one file per table: a header line naming the columns, then one
                             JSON array of column values per row, in primary-key order
    media/<path>             every file under MEDIA_ROOT
    manifest.json            what the snapshot holds, with a sha256 for every part and one for
                             the manifest itself (written last: it is known only at the end)

The database part is a logical dump, the same on SQLite and PostgreSQL, so a snapshot made
on one engine restores on the other (the way from the embedded default to PostgreSQL). All
tables are read inside one read-only transaction that sees a single instant: PostgreSQL's
``REPEATABLE READ``; on SQLite a deferred transaction, which in WAL mode reads one snapshot
and blocks no writer. The application can keep running while a backup is taken.

Sessions are left out: they sign people in, and a restored session would sign someone in
on another machine, or as whoever has that id after a restore. Restore signs everybody out.

Restore refuses a snapshot whose checksums do not match, one made by newer code (a migration
this code does not know), and a database that already holds people unless forced. It
migrates the database to the snapshot's migration state, replaces every table's rows inside
one transaction, resets PostgreSQL's sequences, checks the row counts, and only after the
commit moves the (already verified) files into the media root; then it migrates forward to
the code's own state, so an older snapshot is upgraded by the ordinary migrations.

This is an operator's tool run from the ``pathscore`` command: like the rest of that
command it speaks English, and a refusal is a ``ValidationError`` naming what it refuses
(``source``, ``target`` or ``database``) with a message naming the file at fault.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.migrations.exceptions import InvalidMigrationPlan, IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.duration import duration_iso_string

import pathscore

FORMAT = "pathscore-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATABASE_DIR = "database"
MEDIA_DIR = "media"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
#: Models whose rows are not worth keeping, or are unsafe to bring back (see the docstring).
EXCLUDED_MODELS = frozenset({"sessions.session"})
#: Rows per INSERT batch on restore, and per fetch on backup.
BATCH = 1000
CHUNK = 1024 * 1024


def _refuse(name: str, message: str) -> ValidationError:
    return ValidationError({name: message})


# --- The manifest -------------------------------------------------------------------------


@dataclass(frozen=True)
class TableDump:
    """One table of the snapshot: its dump file holds ``rows`` rows of ``columns``."""

    table: str
    model: str
    columns: list[str]
    rows: int
    sha256: str

    @property
    def member(self) -> str:
        return f"{DATABASE_DIR}/{self.table}.jsonl"


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file, by its path under the media root."""

    path: str
    size: int
    sha256: str

    @property
    def member(self) -> str:
        return f"{MEDIA_DIR}/{self.path}"


@dataclass(frozen=True)
class Manifest:
    """What a snapshot holds. ``migrations`` maps an app to its latest applied migrations."""

    created_at: str
    engine: str
    app_version: str
    migrations: dict[str, list[str]]
    tables: list[TableDump]
    files: list[StoredFile]
    #: Files the database refers to that were not under the media root when copied.
    missing_files: list[str] = field(default_factory=list)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    @property
    def row_count(self) -> int:
        return sum(table.rows for table in self.tables)

    @property
    def file_bytes(self) -> int:
        return sum(stored.size for stored in self.files)

    @property
    def migration_targets(self) -> list[tuple[str, str]]:
        return [(app, name) for app, names in sorted(self.migrations.items()) for name in names]

    def to_json(self) -> bytes:
        body = asdict(self)
        body["sha256"] = _body_digest(body)
        return json.dumps(body, ensure_ascii=False, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            claimed = body.pop("sha256")
        except (ValueError, AttributeError, KeyError, TypeError):
            raise _refuse("source", f"{MANIFEST_NAME} is not a Pathscore manifest") from None
        if body.get("format") != FORMAT:
            raise _refuse("source", f"{MANIFEST_NAME} is not a Pathscore manifest")
        if claimed != _body_digest(body):
            raise _refuse("source", f"{MANIFEST_NAME}: its checksum does not match its contents")
        if body.get("format_version") != FORMAT_VERSION:
            raise _refuse(
                "source",
                f"{MANIFEST_NAME}: snapshot format {body.get('format_version')} is not "
                f"supported (this version reads format {FORMAT_VERSION})",
            )
        try:
            body["tables"] = [TableDump(**table) for table in body["tables"]]
            body["files"] = [StoredFile(**stored) for stored in body["files"]]
            return cls(**body)
        except (KeyError, TypeError):
            raise _refuse("source", f"{MANIFEST_NAME} is incomplete") from None


def _body_digest(body: dict) -> str:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_backup_name(now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    return f"pathscore-{now.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}.tar.gz"


def default_backup_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


# --- Which tables, in which order ------------------------------------------------------


def _dumped_models(app_registry) -> list[type[models.Model]]:
    """Every table-backed model, parents before the rows that refer to them."""
    candidates = {
        model._meta.label_lower: model
        for model in app_registry.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and model._meta.label_lower not in EXCLUDED_MODELS
    }
    ordered: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(label: str) -> None:
        # Cycles (a tree's parent, two tables pointing at each other) need no order:
        # foreign keys are checked at commit on both engines.
        if label in seen:
            return
        seen.add(label)
        model = candidates[label]
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is not None:
                target = model_field.related_model._meta.label_lower
                if target in candidates:
                    visit(target)
        ordered.append(model)

    for label in sorted(candidates):
        visit(label)
    return ordered


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


# --- Backup ------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for ``tarfile`` and hashes exactly the bytes that went into the archive."""

    def __init__(self, stream):
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size=-1):
        data = self.stream.read(size)
        self.digest.update(data)
        return data


def _encode(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"cannot store {type(value).__name__} in a snapshot")


def _json_line(value) -> bytes:
    # Sorted keys: PostgreSQL's jsonb reorders keys, and equal data must dump to equal bytes
    # on either engine, so two snapshots can be compared by their checksums.
    text = json.dumps(value, default=_encode, ensure_ascii=False, sort_keys=True)
    return text.encode() + b"\n"


def _tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    return info


@contextmanager
def _read_snapshot(connection) -> Iterator[None]:
    """One read-only transaction in which every table shows the same instant."""
    if connection.in_atomic_block:
        raise RuntimeError("a backup must start outside any transaction")
    if connection.vendor == "postgresql":
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # The settings open transactions with BEGIN IMMEDIATE, which takes the write lock;
        # a deferred transaction only reads, and in WAL mode keeps the snapshot of its
        # first read to the end without blocking anyone who writes meanwhile.
        connection.ensure_connection()
        configured = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic(using=connection.alias):
                yield
        finally:
            connection.transaction_mode = configured
    else:
        raise _refuse("database", f"backups of {connection.vendor} databases are not supported")


def _applied_leaves(loader: MigrationLoader) -> dict[str, list[str]]:
    """The latest applied migrations of each app (several only if an app's history forks)."""
    applied = set(loader.applied_migrations) & set(loader.graph.nodes)
    leaves: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        children = loader.graph.node_map[(app_label, name)].children
        if not any(child.key[0] == app_label and child.key in applied for child in children):
            leaves.setdefault(app_label, []).append(name)
    return leaves


def _dump_table(model, connection, tar, scratch: Path, referenced: set[str]) -> TableDump:
    columns = _columns(model)
    file_fields = [i for i, f in enumerate(columns) if isinstance(f, models.FileField)]
    rows = 0
    digest = hashlib.sha256()
    # The dump goes to a scratch file first: tar needs its size before its bytes.
    with tempfile.TemporaryFile(dir=scratch) as dump:
        header = _json_line([f.column for f in columns])
        dump.write(header)
        digest.update(header)
        queryset = (
            model._base_manager.using(connection.alias)
            .order_by("pk")
            .values_list(*[f.attname for f in columns])
        )
        for row in queryset.iterator(chunk_size=BATCH):
            line = _json_line(row)
            dump.write(line)
            digest.update(line)
            rows += 1
            for index in file_fields:
                if row[index]:
                    referenced.add(row[index])
        size = dump.tell()
        dump.seek(0)
        table = TableDump(
            table=model._meta.db_table,
            model=model._meta.label_lower,
            columns=[f.column for f in columns],
            rows=rows,
            sha256=digest.hexdigest(),
        )
        tar.addfile(_tar_info(table.member, size, time.time()), dump)
    return table


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under the media root, sorted, with their POSIX path relative to it."""
    if not root.is_dir():
        return
    for directory, subdirectories, names in os.walk(root, followlinks=False):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(root).as_posix()


def _add_file(tar, path: Path, relative: str) -> StoredFile:
    with path.open("rb") as stream:
        stat = os.fstat(stream.fileno())
        reader = _HashingReader(stream)
        tar.addfile(_tar_info(f"{MEDIA_DIR}/{relative}", stat.st_size, stat.st_mtime), reader)
    return StoredFile(path=relative, size=stat.st_size, sha256=reader.digest.hexdigest())


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def snapshot_path(target: Path) -> Path:
    """Where a snapshot asked for at ``target`` goes: ``target`` itself if it names an
    archive (``.tar.gz`` or ``.tgz``), else a new ``pathscore-<UTC time>.tar.gz`` in the
    folder ``target`` names. Refuses an existing file and a place inside the media folder
    (the archive would end up inside itself)."""
    target = Path(target).expanduser().absolute()
    if target.is_dir() or not target.name.endswith(ARCHIVE_SUFFIXES):
        target = target / default_backup_name()
    if target.exists():
        raise _refuse("target", f"{target} exists already; a snapshot never overwrites a file")
    if target.resolve().is_relative_to(media_root().resolve()):
        raise _refuse("target", f"{target} is inside the media folder, which is backed up")
    return target


def backup_create(*, target: Path, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Write a snapshot of the database and the uploaded files to ``target``.

    ``target`` is the archive to write, or a folder to write ``pathscore-<UTC time>.tar.gz``
    into (see ``snapshot_path``). The archive is readable by its owner only (mode 0600: it
    holds personal data), and appears under its name only once complete.
    """
    connection = connections[using]
    target = snapshot_path(target)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as output:
            with tarfile.open(fileobj=output, mode="w:gz", compresslevel=6) as tar:
                manifest = _write_snapshot(tar, connection, scratch_parent=target.parent)
            output.flush()
            os.fsync(output.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _write_snapshot(tar, connection, *, scratch_parent: Path) -> Manifest:
    referenced: set[str] = set()
    created_at = timezone.now()
    with (
        tempfile.TemporaryDirectory(dir=scratch_parent, prefix=".scratch-") as scratch,
        _read_snapshot(connection),
    ):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise _refuse(
                "database", "the database has unapplied migrations; run `pathscore migrate` first"
            )
        migrations = _applied_leaves(executor.loader)
        tables = [
            _dump_table(model, connection, tar, Path(scratch), referenced)
            for model in _dumped_models(global_apps)
        ]
    # Files are copied after the database snapshot: uploads are never rewritten in place,
    # so every file that snapshot refers to is here unless it was deleted meanwhile.
    files = [_add_file(tar, path, relative) for path, relative in _media_files(media_root())]
    manifest = Manifest(
        created_at=created_at.astimezone(datetime.UTC).isoformat(),
        engine=connection.vendor,
        app_version=pathscore.__version__,
        migrations=migrations,
        tables=tables,
        files=files,
        missing_files=sorted(referenced - {stored.path for stored in files}),
    )
    body = manifest.to_json()
    tar.addfile(_tar_info(MANIFEST_NAME, len(body), time.time()), io.BytesIO(body))
    return manifest


# --- Reading a snapshot ----------------------------------------------------------------


def _member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's name if it is safe to extract: a regular file at a plain relative path."""
    name = member.name
    if not (member.isfile() or member.isdir()):
        kind = "link" if member.issym() or member.islnk() else "special file"
        raise _refuse("source", f"{name}: a {kind} in a snapshot is refused")
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or any(part in ("..", "", ".") for part in name.rstrip("/").split("/"))
    ):
        raise _refuse("source", f"{name}: a path outside the snapshot is refused")
    if path.parts[0] not in (MANIFEST_NAME, DATABASE_DIR, MEDIA_DIR) or (
        path.parts[0] == MANIFEST_NAME and len(path.parts) > 1
    ):
        raise _refuse("source", f"{name}: not part of a Pathscore snapshot")
    return path


def _extract(source: Path, staging: Path) -> dict[str, str]:
    """Unpack the archive into ``staging``, refusing unsafe members; sha256 per member."""
    digests: dict[str, str] = {}
    try:
        with tarfile.open(source, mode="r:gz") as tar:
            for member in tar:
                path = _member_path(member)
                if member.isdir():
                    continue
                if member.name in digests:
                    raise _refuse("source", f"{member.name}: appears twice in the snapshot")
                destination = staging.joinpath(*path.parts)
                destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with tar.extractfile(member) as stream, destination.open("xb") as out:
                    while chunk := stream.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                digests[member.name] = digest.hexdigest()
    except FileNotFoundError:
        raise _refuse("source", f"{source}: no such file") from None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise _refuse("source", f"{source}: not a readable snapshot archive ({error})") from None
    return digests


def _check(manifest_digests: dict[str, str], digests: dict[str, str]) -> None:
    for member, expected in manifest_digests.items():
        if member not in digests:
            raise _refuse("source", f"{member}: listed in the manifest but missing")
        if digests[member] != expected:
            raise _refuse("source", f"{member}: its checksum does not match the manifest")
    for member in digests:
        if member != MANIFEST_NAME and member not in manifest_digests:
            raise _refuse("source", f"{member}: in the snapshot but not in the manifest")


@contextmanager
def opened_snapshot(
    source: Path, *, workdir: Path | None = None
) -> Iterator[tuple[Manifest, Path]]:
    """Unpack and verify a snapshot; yield its manifest and the folder holding its parts.

    The folder is removed afterwards, whatever happens.
    """
    source = Path(source).expanduser().absolute()
    if workdir is not None:
        workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".pathscore-restore-") as scratch:
        staging = Path(scratch)
        digests = _extract(source, staging)
        if MANIFEST_NAME not in digests:
            raise _refuse("source", f"{source}: has no {MANIFEST_NAME}; not a Pathscore snapshot")
        manifest = Manifest.from_json((staging / MANIFEST_NAME).read_bytes())
        expected = {table.member: table.sha256 for table in manifest.tables}
        expected.update({stored.member: stored.sha256 for stored in manifest.files})
        _check(expected, digests)
        yield manifest, staging


def backup_verify(source: Path) -> Manifest:
    """Check every checksum of a snapshot without restoring it; return its manifest."""
    with opened_snapshot(source) as (manifest, _staging):
        return manifest


# --- Restore -----------------------------------------------------------------------------


def _database_holds_people(connection) -> bool:
    user_table = get_user_model()._meta.db_table
    if user_table not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        # The user model's own table name, quoted.
        table = connection.ops.quote_name(user_table)
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 # nosec B608
        return cursor.fetchone() is not None


def _check_migrations(manifest: Manifest, connection) -> None:
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    for app_label, name in manifest.migration_targets:
        if (app_label, name) not in loader.graph.nodes:
            raise _refuse(
                "source",
                f"{MANIFEST_NAME}: the snapshot was made by a newer version of Pathscore "
                f"(migration {app_label}.{name} is unknown here); upgrade before restoring",
            )


def _converter(model_field, connection):
    def convert(value):
        if value is None:
            return None
        return model_field.get_db_prep_save(model_field.to_python(value), connection)

    return convert


def _load_table(table: TableDump, model, staging: Path, connection) -> None:
    columns = {f.column: f for f in _columns(model)}
    with (staging / table.member).open("rb") as dump:
        header = json.loads(dump.readline())
        if header != table.columns or set(header) != set(columns):
            raise _refuse(
                "source",
                f"{table.member}: its columns do not match the table at the snapshot's migrations",
            )
        converters = [_converter(columns[column], connection) for column in header]
        quote = connection.ops.quote_name
        # Table and column names are the model's own (checked above), quoted.
        names = ", ".join(quote(column) for column in header)
        slots = ", ".join(["%s"] * len(header))
        sql = f"INSERT INTO {quote(table.table)} ({names}) VALUES ({slots})"  # noqa: S608 # nosec B608
        batch = []
        with connection.cursor() as cursor:
            for number, line in enumerate(dump, start=2):
                try:
                    values = zip(converters, json.loads(line), strict=True)
                    batch.append([convert(value) for convert, value in values])
                except (ValueError, TypeError, ValidationError) as error:
                    raise _refuse("source", f"{table.member}, line {number}: {error}") from None
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)


def _count(connection, table: str) -> int:
    with connection.cursor() as cursor:
        # A model's own table name (checked against the schema), quoted.
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 # nosec B608
        return cursor.fetchone()[0]


def _replace_rows(manifest: Manifest, state_apps, staging: Path, connection) -> None:
    """Empty every table and load the snapshot's rows, all in one transaction."""
    by_table = {
        model._meta.db_table: model
        for model in state_apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    for table in manifest.tables:
        if table.table not in by_table:
            raise _refuse("source", f"{table.member}: no such table at the snapshot's migrations")
    existing = set(connection.introspection.table_names())
    # Tables of the code's own models too: a newer app's rows would point at people that
    # are about to be replaced.
    current = {
        model._meta.db_table
        for model in global_apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    flushed = sorted((set(by_table) | current) & existing)
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for statement in connection.ops.sql_flush(no_style(), flushed):
                cursor.execute(statement)
        for table in manifest.tables:
            _load_table(table, by_table[table.table], staging, connection)
        for table in manifest.tables:
            restored = _count(connection, table.table)
            if restored != table.rows:
                raise _refuse(
                    "database",
                    f"{table.table}: {restored} rows restored, the snapshot holds {table.rows}",
                )
        sequences = connection.ops.sequence_reset_sql(
            no_style(), [by_table[table.table] for table in manifest.tables]
        )
        if sequences:
            with connection.cursor() as cursor:
                for statement in sequences:
                    cursor.execute(statement)
        if connection.vendor == "sqlite":
            # Report a broken reference here, naming the table, rather than at COMMIT.
            connection.check_constraints(table_names=[t.table for t in manifest.tables])


def _place_files(manifest: Manifest, staging: Path) -> None:
    root = media_root()
    root.mkdir(parents=True, exist_ok=True)
    mode = getattr(settings, "FILE_UPLOAD_PERMISSIONS", None)
    for stored in manifest.files:
        destination = root.joinpath(*PurePosixPath(stored.path).parts)
        # _member_path refused ".." already; this keeps the promise independent of it.
        if not destination.resolve().is_relative_to(root.resolve()):
            raise _refuse("source", f"{stored.member}: a path outside the media folder")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / stored.member, destination)
        if mode:
            destination.chmod(mode)
        if destination.stat().st_size != stored.size:
            raise _refuse("target", f"{destination}: was not written completely")


def backup_restore(*, source: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> Manifest:
    """Rebuild the database and the uploaded files from the snapshot at ``source``.

    Refuses a damaged snapshot, a snapshot from newer code, and (unless ``force``) a
    database that already holds people; ``force`` replaces everything in it. Run it with
    the web processes and workers stopped.
    """
    connection = connections[using]
    with opened_snapshot(source, workdir=media_root().parent) as (manifest, staging):
        _check_migrations(manifest, connection)
        if not force and _database_holds_people(connection):
            raise _refuse(
                "database",
                "the database already holds data; restoring would replace it all "
                "(use --force to do so)",
            )
        targets = manifest.migration_targets
        executor = MigrationExecutor(connection)
        try:
            executor.migrate(targets, plan=executor.migration_plan(targets))
        except (InvalidMigrationPlan, IrreversibleError) as error:
            raise _refuse(
                "database", f"cannot bring the database to the snapshot's migrations: {error}"
            ) from None
        state = MigrationExecutor(connection).loader.project_state(targets, at_end=True)
        try:
            _replace_rows(manifest, state.apps, staging, connection)
        except DatabaseError as error:
            # The transaction is rolled back: the database holds what it held before.
            raise _refuse("database", f"the snapshot's rows could not be loaded: {error}") from None
        try:
            _place_files(manifest, staging)
        except OSError as error:
            raise _refuse(
                "target", f"the database was restored, but not every file could be placed: {error}"
            ) from None
    ContentType.objects.clear_cache()
    # An older snapshot is brought up to this code's schema by the ordinary migrations.
    call_command("migrate", interactive=False, verbosity=0, database=using)
    return manifest
