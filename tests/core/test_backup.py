"""Backup and restore: the demo company survives a round trip, and a damaged or hostile
snapshot is refused before anything is written.

The round trip runs ``pathscore`` in subprocesses, as an operator would, from one
installation (a data folder and, on PostgreSQL, a database of its own) into a fresh one.
The refusals run in-process on a small snapshot of the test database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from pathscore.core import backup
from pathscore.core.backup import (
    Manifest,
    backup_create,
    backup_restore,
    backup_verify,
    snapshot_path,
)
from pathscore.core.choices import Role
from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import Customer, DocumentVersion
from pathscore.org import services as org_services
from pathscore.org.models import User
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes, upload

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("PATHSCORE_DATABASE_URL")
#: Not part of a snapshot: sessions are left out on purpose, the cache is rebuilt.
NOT_KEPT = {"django_session", "pathscore_cache"}


# --- Installations in subprocesses -------------------------------------------------------


@dataclasses.dataclass
class Site:
    """One installation: a data folder and, on PostgreSQL, a database of its own."""

    data_dir: Path
    database_url: str | None = None

    def run(self, *args: str, timeout: int = 400) -> subprocess.CompletedProcess:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PATHSCORE_")}
        environ.pop("DJANGO_SETTINGS_MODULE", None)
        environ.update(
            PYTHONPATH=str(ROOT),
            PATHSCORE_FAST_PASSWORD_HASHER="true",
            PATHSCORE_DATA_DIR=str(self.data_dir),
        )
        if self.database_url:
            environ["PATHSCORE_DATABASE_URL"] = self.database_url
        return subprocess.run(
            [sys.executable, "-m", "pathscore", *args],
            cwd=self.data_dir.parent,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def row_counts(self) -> dict[str, int]:
        """Every table's row count, by plain SQL, independent of the backup code."""
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url) as connection:
                tables = [
                    row[0]
                    for row in connection.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    )
                ]
                return {
                    table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                    for table in tables
                    if table not in NOT_KEPT
                }
        connection = sqlite3.connect(self.data_dir / "pathscore.sqlite3")
        try:
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {
                table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                for table in tables
                if table not in NOT_KEPT
            }
        finally:
            connection.close()

    def file_digests(self) -> dict[str, str]:
        return digests_under(self.data_dir / "media")


def digests_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _postgres_url(database: str) -> str:
    return urlsplit(DATABASE_URL)._replace(path=f"/{database}").geturl()


def _postgres_admin():
    import psycopg

    return psycopg.connect(_postgres_url("postgres"), autocommit=True)


@pytest.fixture
def make_site(tmp_path):
    """``make_site(name, engine)``: a new, empty installation; on PostgreSQL the database
    ``<CI database>_<name>_<worker>`` is created here and dropped afterwards."""
    created: list[str] = []

    def make(name: str, *, postgres: bool = bool(DATABASE_URL)) -> Site:
        data_dir = tmp_path / name / "data"
        data_dir.parent.mkdir(parents=True)
        if not postgres:
            return Site(data_dir)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        database = f"{urlsplit(DATABASE_URL).path.strip('/')}_{name}_{worker}"
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
        created.append(database)
        return Site(data_dir, _postgres_url(database))

    yield make
    if created:
        with _postgres_admin() as admin:
            for database in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def table_dumps(archive: Path) -> dict[str, tuple[int, str]]:
    manifest = read_manifest(archive)
    return {table.table: (table.rows, table.sha256) for table in manifest.tables}


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive) as tar:
        return Manifest.from_json(tar.extractfile("manifest.json").read())


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


# --- The demo company, round trip ------------------------------------------------------


def test_the_demo_company_survives_a_backup_and_a_restore_into_an_empty_database(
    make_site, tmp_path
):
    source = make_site("backup")
    assert_ok(source.run("seed"))
    made = source.run("backup", "--output", str(tmp_path / "snapshots"))
    assert_ok(made)
    [archive] = (tmp_path / "snapshots").glob("pathscore-*.tar.gz")
    assert f"Snapshot written to {archive}" in made.stdout
    # Personal data: readable by its owner only, and in a folder only its owner can list.
    assert archive.stat().st_mode & 0o777 == 0o600
    assert archive.parent.stat().st_mode & 0o777 == 0o700
    assert not list(archive.parent.glob(".*")), "no partial file or scratch folder is left"

    counts = source.row_counts()
    files = source.file_digests()
    assert counts["org_user"] >= 26
    assert counts["crm_documentversion"] > 0
    assert counts["crm_historicalcustomer"] > 0
    assert len(files) >= counts["crm_documentversion"]
    manifest = read_manifest(archive)
    assert manifest.engine == ("postgresql" if DATABASE_URL else "sqlite")
    assert manifest.missing_files == []
    assert {stored.path: stored.sha256 for stored in manifest.files} == files
    assert {table.table: table.rows for table in manifest.tables} == {
        table: rows for table, rows in counts.items() if table != "django_migrations"
    }

    verified = source.run("backup", "--verify", str(archive))
    assert_ok(verified)
    assert "every checksum matches" in verified.stdout

    target = make_site("restore")
    restored = target.run("restore", str(archive))
    assert_ok(restored)
    assert "Everybody has been signed out" in restored.stdout
    assert target.row_counts() == counts
    assert target.file_digests() == files
    # A snapshot of the copy dumps every table byte for byte as the original did.
    assert_ok(target.run("backup", "--output", str(tmp_path / "copy.tar.gz")))
    assert table_dumps(tmp_path / "copy.tar.gz") == table_dumps(archive)

    # A database that holds data is replaced only when asked to.
    again = target.run("restore", str(archive))
    assert again.returncode == 1
    assert "already holds data" in again.stderr
    assert "--force" in again.stderr
    forced = target.run("restore", "--force", str(archive))
    assert_ok(forced)
    assert target.row_counts() == counts

    if DATABASE_URL:
        # The way off PostgreSQL works too: the same snapshot restores into SQLite.
        embedded = make_site("embedded", postgres=False)
        assert_ok(embedded.run("restore", str(archive)))
        assert embedded.row_counts() == counts
        assert_ok(embedded.run("backup", "--output", str(tmp_path / "sqlite.tar.gz")))
        assert table_dumps(tmp_path / "sqlite.tar.gz") == table_dumps(archive)


# --- A small snapshot of the test database -----------------------------------------------


@pytest.fixture
def small_snapshot(personas, tmp_path) -> Path:
    project = factories.project(personas.sales_a, name="苏州工业园区储能项目")
    first = crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind=DocumentKind.PROPOSAL,
        title="储能系统技术方案",
        file=upload("方案.pdf", pdf_bytes("V1")),
        change_note="初稿",
    )
    crm_services.document_add_version(
        actor=personas.sales_a,
        document=first.document,
        file=upload("方案.pdf", pdf_bytes("V2")),
        change_note="调整报价",
    )
    target = snapshot_path(tmp_path / "snapshots")
    backup_create(target=target)
    return target


def rewrite(archive: Path, out: Path, *, change=None, drop=(), add=()) -> Path:
    """A copy of ``archive`` with some members' bytes changed, dropped or added."""
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as tar:
        for member in source:
            if member.name in drop:
                continue
            data = source.extractfile(member).read()
            if change and member.name in change:
                data = change[member.name](data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        for member, data in add:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    return out


def member(name: str, data: bytes = b"x", kind=tarfile.REGTYPE, link: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


def refusal(source: Path) -> str:
    with pytest.raises(ValidationError) as refused:
        backup_verify(source)
    assert list(refused.value.message_dict) == ["source"]
    return refused.value.messages[0]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_holds_every_table_and_file_with_checksums(small_snapshot, settings):
    manifest = backup_verify(small_snapshot)
    tables = {table.table: table for table in manifest.tables}
    assert tables["org_user"].rows == User.objects.count()
    assert tables["crm_documentversion"].rows == 2
    assert "django_session" not in tables
    assert manifest.migrations["crm"]
    assert manifest.app_version == "0.1.0"
    assert manifest.created_at.endswith("+00:00")
    on_disk = digests_under(Path(settings.MEDIA_ROOT))
    assert len(on_disk) == 2
    assert {stored.path: stored.sha256 for stored in manifest.files} == on_disk
    # Parents come before the rows that refer to them.
    order = [table.table for table in manifest.tables]
    assert order.index("org_department") < order.index("org_user")
    assert order.index("crm_project") < order.index("crm_document")
    assert order.index("crm_document") < order.index("crm_documentversion")


@pytest.mark.django_db(transaction=True)
def test_rows_committed_while_a_backup_runs_are_not_in_it(personas, tmp_path, monkeypatch):
    """All tables are read at one instant: people and customers added by someone else after
    the first table was read are in neither table's dump."""
    users, customers = User.objects.count(), Customer.objects.count()
    dump_table = backup._dump_table
    written = []

    def write_elsewhere():
        try:
            factories.customer(personas.sales_b, name="备份期间新建的客户")
            org_services.user_create(
                username="late", name="迟到者", password=None, roles=[Role.SALESPERSON]
            )
            written.append(True)
        finally:
            connection.close()

    def dump_then_write(model, *args, **kwargs):
        dumped = dump_table(model, *args, **kwargs)
        if not written:
            other = threading.Thread(target=write_elsewhere)
            other.start()
            other.join()
        return dumped

    monkeypatch.setattr(backup, "_dump_table", dump_then_write)
    manifest = backup_create(target=tmp_path / "snapshots")

    assert written, "the other connection committed while the backup ran"
    assert (User.objects.count(), Customer.objects.count()) == (users + 1, customers + 1)
    rows = {table.table: table.rows for table in manifest.tables}
    assert (rows["org_user"], rows["crm_customer"]) == (users, customers)
    assert rows["crm_historicalcustomer"] == customers


@pytest.mark.django_db(transaction=True)
def test_a_changed_table_dump_is_refused_naming_the_file(small_snapshot, tmp_path):
    tampered = rewrite(
        small_snapshot,
        tmp_path / "tampered.tar.gz",
        change={"database/org_user.jsonl": lambda data: data.replace(b"sales_a", b"sales_x")},
    )
    assert refusal(tampered) == "database/org_user.jsonl: its checksum does not match the manifest"


@pytest.mark.django_db(transaction=True)
def test_a_changed_file_or_manifest_is_refused(small_snapshot, tmp_path):
    a_file = backup_verify(small_snapshot).files[0].member
    changed_file = rewrite(
        small_snapshot, tmp_path / "file.tar.gz", change={a_file: lambda data: data + b"!"}
    )
    assert refusal(changed_file) == f"{a_file}: its checksum does not match the manifest"

    more_rows = rewrite(
        small_snapshot,
        tmp_path / "manifest.tar.gz",
        change={"manifest.json": lambda data: data.replace(b'"rows": 2', b'"rows": 3', 1)},
    )
    assert refusal(more_rows) == "manifest.json: its checksum does not match its contents"

    missing = rewrite(small_snapshot, tmp_path / "missing.tar.gz", drop={a_file})
    assert refusal(missing) == f"{a_file}: listed in the manifest but missing"

    extra = rewrite(small_snapshot, tmp_path / "extra.tar.gz", add=[member("media/extra.pdf")])
    assert refusal(extra) == "media/extra.pdf: in the snapshot but not in the manifest"

    no_manifest = rewrite(small_snapshot, tmp_path / "none.tar.gz", drop={"manifest.json"})
    assert "has no manifest.json" in refusal(no_manifest)

    not_an_archive = tmp_path / "notes.tar.gz"
    not_an_archive.write_bytes(b"not a snapshot")
    assert "not a readable snapshot archive" in refusal(not_an_archive)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (member("../evil.txt"), "../evil.txt: a path outside the snapshot is refused"),
        (member("media/../../evil.txt"), "a path outside the snapshot is refused"),
        (member("/tmp/evil.txt"), "/tmp/evil.txt: a path outside the snapshot is refused"),
        (
            member("media/link", kind=tarfile.SYMTYPE, link="/etc/passwd"),
            "media/link: a link in a snapshot is refused",
        ),
        (
            member("media/hard", kind=tarfile.LNKTYPE, link="manifest.json"),
            "media/hard: a link in a snapshot is refused",
        ),
        (member("elsewhere/notes.txt"), "elsewhere/notes.txt: not part of a Pathscore snapshot"),
    ],
)
def test_a_member_outside_the_snapshot_or_a_link_is_refused(
    small_snapshot, tmp_path, hostile, message
):
    hostile_archive = rewrite(small_snapshot, tmp_path / "hostile.tar.gz", add=[hostile])
    assert message in refusal(hostile_archive)
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_people_and_a_snapshot_from_newer_code(
    small_snapshot, tmp_path
):
    customers = Customer.objects.count()
    with pytest.raises(ValidationError) as refused:
        backup_restore(source=small_snapshot)
    assert refused.value.message_dict == {
        "database": [
            "the database already holds data; restoring would replace it all (use --force to do so)"
        ]
    }

    manifest = read_manifest(small_snapshot)
    newer = dataclasses.replace(
        manifest, migrations={**manifest.migrations, "crm": ["9999_from_the_future"]}
    )
    from_the_future = rewrite(
        small_snapshot,
        tmp_path / "future.tar.gz",
        change={"manifest.json": lambda data: newer.to_json()},
    )
    with pytest.raises(ValidationError) as refused:
        backup_restore(source=from_the_future, force=True)
    assert "migration crm.9999_from_the_future is unknown here" in refused.value.messages[0]
    assert Customer.objects.count() == customers


@pytest.mark.django_db(transaction=True)
def test_a_forced_restore_replaces_everything_and_new_rows_get_fresh_ids(
    small_snapshot, personas, settings
):
    manifest = read_manifest(small_snapshot)
    files = digests_under(Path(settings.MEDIA_ROOT))
    factories.customer(personas.sales_b, name="备份之后新建的客户")
    User.objects.filter(username="sales_b").update(name="改名之后")
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()

    backup_restore(source=small_snapshot, force=True)

    rows = {table.table: table.rows for table in manifest.tables}
    assert Customer.objects.count() == rows["crm_customer"] == 1
    assert User.objects.count() == rows["org_user"]
    assert User.objects.get(username="sales_b").name == "赵销售"
    assert digests_under(Path(settings.MEDIA_ROOT)) == files
    for version in DocumentVersion.objects.all():
        assert version.file.read().startswith(b"%PDF-")
    # Sequences continue after the restored ids (PostgreSQL needs them reset).
    newcomer = factories.customer(personas.sales_b, name="恢复之后新建的客户")
    assert newcomer.pk > Customer.objects.exclude(pk=newcomer.pk).get().pk


@pytest.mark.django_db(transaction=True)
def test_a_restore_that_fails_half_way_leaves_the_database_as_it_was(
    small_snapshot, personas, tmp_path, settings
):
    """A snapshot with a duplicated person (consistent checksums, impossible rows) is
    loaded up to the duplicate, then everything rolls back: the emptied tables too."""
    factories.customer(personas.sales_b, name="备份之后新建的客户")
    before = {"users": User.objects.count(), "customers": Customer.objects.count()}
    manifest = read_manifest(small_snapshot)
    with tarfile.open(small_snapshot) as tar:
        dump = tar.extractfile("database/org_user.jsonl").read()
    duplicated = dump + dump.splitlines(keepends=True)[1]
    broken = dataclasses.replace(
        manifest,
        tables=[
            dataclasses.replace(
                table, rows=table.rows + 1, sha256=hashlib.sha256(duplicated).hexdigest()
            )
            if table.table == "org_user"
            else table
            for table in manifest.tables
        ],
    )
    impossible = rewrite(
        small_snapshot,
        tmp_path / "impossible.tar.gz",
        change={
            "database/org_user.jsonl": lambda data: duplicated,
            "manifest.json": lambda data: broken.to_json(),
        },
    )
    media_before = digests_under(Path(settings.MEDIA_ROOT))

    with pytest.raises(ValidationError) as refused:
        backup_restore(source=impossible, force=True)

    assert "the snapshot's rows could not be loaded" in refused.value.message_dict["database"][0]
    assert {"users": User.objects.count(), "customers": Customer.objects.count()} == before
    assert Customer.objects.filter(name="备份之后新建的客户").exists()
    assert digests_under(Path(settings.MEDIA_ROOT)) == media_before
    assert not list(Path(settings.MEDIA_ROOT).parent.glob(".pathscore-restore-*"))


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_is_never_written_over_a_file_or_inside_the_media_folder(
    small_snapshot, settings
):
    with pytest.raises(ValidationError) as refused:
        backup_create(target=small_snapshot)
    assert "exists already" in refused.value.message_dict["target"][0]
    with pytest.raises(ValidationError) as refused:
        backup_create(target=Path(settings.MEDIA_ROOT) / "backups")
    assert "inside the media folder" in refused.value.message_dict["target"][0]


def test_a_manifest_names_its_version_and_checks_itself():
    manifest = Manifest(
        created_at="2026-11-26T00:00:00+00:00",
        engine="sqlite",
        app_version="0.1.0",
        migrations={"crm": ["0001_initial"]},
        tables=[],
        files=[],
    )
    body = json.loads(manifest.to_json())
    assert body["format"] == "pathscore-backup"
    assert body["format_version"] == 1
    assert Manifest.from_json(manifest.to_json()) == manifest
    body["format_version"] = 2
    body["sha256"] = hashlib.sha256(
        json.dumps(
            {k: v for k, v in body.items() if k != "sha256"},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    ).hexdigest()
    with pytest.raises(ValidationError) as refused:
        Manifest.from_json(json.dumps(body).encode())
    assert "format 2 is not supported" in refused.value.messages[0]
