"""The ``pathscore`` command, run as an operator runs it: in a subprocess, on a fresh data dir."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO_PASSWORD = "pathscore-demo"


def run_pathscore(*args, data_dir: Path, extra_env=None, timeout=180):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PATHSCORE_")}
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    environ.update(
        PYTHONPATH=str(ROOT),
        PATHSCORE_FAST_PASSWORD_HASHER="true",
        PATHSCORE_DATA_DIR=str(data_dir),
    )
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "pathscore", *args],
        cwd=data_dir.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def query(data_dir: Path, sql: str, *params):
    connection = sqlite3.connect(data_dir / "pathscore.sqlite3")
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


# --- help --------------------------------------------------------------------------------


def test_top_level_help_lists_every_command(tmp_path):
    result = run_pathscore("--help", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: pathscore ")
    assert "销售过程考核系统" in result.stdout
    for command in ("demo", "serve", "migrate", "createadmin", "worker", "seed", "manage"):
        assert command in result.stdout
    # --help needs no settings: nothing was created in the data folder.
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("command", "description", "options"),
    [
        ("demo", "set up and serve the demo company", ["--no-serve", "--port", "--host"]),
        ("serve", "serve the web application and the job consumer", ["--workers", "--no-worker"]),
        ("migrate", "apply database migrations", ["--quiet"]),
        ("createadmin", "create a system administrator", ["--username", "--name"]),
        ("worker", "run a background job consumer", ["--no-periodic"]),
        ("seed", "load the demo company into an empty database", ["--scale", "--seed", "--as-of"]),
        ("manage", "run a Django management command", []),
    ],
)
def test_subcommand_help(tmp_path, command, description, options):
    result = run_pathscore(command, "--help", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: pathscore {command} ")
    assert description in result.stdout
    for option in options:
        assert option in result.stdout


def test_no_command_is_a_usage_error(tmp_path):
    result = run_pathscore(data_dir=tmp_path / "data")
    assert result.returncode == 2
    assert "usage: pathscore" in result.stderr
    assert "Traceback" not in result.stderr


# --- demo --------------------------------------------------------------------------------


def assert_prints_logins(stdout: str):
    assert f"the password for every account is: {DEMO_PASSWORD}" in stdout
    for username in ("liqiang", "wangfang", "admin", "huangli", "gaojian", "qianyun", "linfeng"):
        assert username in stdout


def test_demo_no_serve_loads_once_and_always_prints_logins(tmp_path):
    data_dir = tmp_path / "data"
    first = run_pathscore("demo", "--no-serve", data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "Loading the demo company" in first.stdout
    assert_prints_logins(first.stdout)
    assert f"Data folder: {data_dir}" in first.stdout
    people = query(data_dir, "SELECT COUNT(*) FROM org_user")[0][0]
    departments = query(data_dir, "SELECT COUNT(*) FROM org_department")[0][0]
    assert people >= 26
    # The demo accounts sign in with the printed password (hashed with the fast hasher here).
    assert query(data_dir, "SELECT is_active FROM org_user WHERE username='wangfang'") == [(1,)]

    second = run_pathscore("demo", "--no-serve", data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    assert "Loading the demo company" not in second.stdout
    assert "not reloaded" in second.stdout
    assert_prints_logins(second.stdout)
    assert "Traceback" not in second.stderr
    assert query(data_dir, "SELECT COUNT(*) FROM org_user")[0][0] == people
    assert query(data_dir, "SELECT COUNT(*) FROM org_department")[0][0] == departments

    # `pathscore seed` refuses a database that already holds people, and changes nothing.
    seed = run_pathscore("seed", data_dir=data_dir)
    assert seed.returncode != 0
    assert "already holds data" in seed.stderr
    assert query(data_dir, "SELECT COUNT(*) FROM org_user")[0][0] == people


# --- seed --scale --------------------------------------------------------------------------


def test_seed_scale_s_generates_the_sized_company_once(tmp_path):
    data_dir = tmp_path / "data"
    first = run_pathscore("seed", "--scale", "S", "--as-of", "2026-11-26", data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "Generating scale S" in first.stdout
    assert "20,000 follow-ups" in first.stdout
    assert "the password for every account is: pathscore-demo" in first.stdout
    for username in ("manager001", "ceo", "hr01", "tech001", "sales0001"):
        assert username in first.stdout
    # Not a terminal: one line per phase on stderr, no bar redrawn.
    assert "projects, follow-ups" in first.stderr and "\r" not in first.stderr
    assert "Traceback" not in first.stderr
    counts = {
        table: query(data_dir, f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608
        for table in ("crm_customer", "crm_project", "crm_followup")
    }
    assert counts == {"crm_customer": 300, "crm_project": 1_000, "crm_followup": 20_000}
    salespeople = query(
        data_dir,
        "SELECT COUNT(*) FROM org_user u JOIN org_rolegrant g ON g.user_id = u.id "
        "WHERE g.role = 'salesperson' AND u.is_active",
    )
    assert salespeople == [(10,)]
    # The loading settings are undone: the file is back in write-ahead-log mode.
    assert query(data_dir, "PRAGMA journal_mode") == [("wal",)]
    assert query(data_dir, "PRAGMA foreign_key_check") == []

    again = run_pathscore("seed", "--scale", "S", data_dir=data_dir)
    assert again.returncode != 0
    assert "already holds people" in again.stderr
    assert query(data_dir, "SELECT COUNT(*) FROM crm_followup") == [(20_000,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--seed", "3"), "--seed and --as-of go with --scale"),
        (("--scale", "S", "--as-of", "26.11.2026"), "not a date as YYYY-MM-DD"),
        (("--scale", "XL"), "invalid choice: 'XL'"),
    ],
)
def test_seed_refuses_bad_options_before_touching_anything(tmp_path, args, message):
    data_dir = tmp_path / "data"
    result = run_pathscore("seed", *args, data_dir=data_dir)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (data_dir / "pathscore.sqlite3").exists()


# --- createadmin -------------------------------------------------------------------------


def test_migrate_then_createadmin(tmp_path):
    data_dir = tmp_path / "data"
    # `migrate --quiet` prints nothing, and running it again is harmless.
    for _ in range(2):
        migrated = run_pathscore("migrate", "--quiet", data_dir=data_dir)
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout == ""
    tables = {
        row[0] for row in query(data_dir, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"org_user", "org_department", "core_securityevent", "pathscore_cache"} <= tables

    # A weak password is refused in one line, and nobody is created.
    weak = run_pathscore(
        "createadmin", data_dir=data_dir, extra_env={"PATHSCORE_ADMIN_PASSWORD": "12345"}
    )
    assert weak.returncode == 1
    assert "Traceback" not in weak.stderr
    assert len(weak.stderr.strip().splitlines()) == 1
    assert weak.stderr.startswith("pathscore: ")
    assert "short" in weak.stderr
    assert query(data_dir, "SELECT COUNT(*) FROM org_user") == [(0,)]

    password = {"PATHSCORE_ADMIN_PASSWORD": "Grid-0peration-2026"}

    result = run_pathscore(
        "createadmin",
        "--username",
        "ops",
        "--name",
        "运维管理员",
        data_dir=data_dir,
        extra_env=password,
    )
    assert result.returncode == 0, result.stderr
    assert "System administrator 'ops' created." in result.stdout
    rows = query(
        data_dir,
        "SELECT u.name, u.is_active, u.is_staff, u.is_superuser, g.role FROM org_user u "
        "JOIN org_rolegrant g ON g.user_id = u.id WHERE u.username = ?",
        "ops",
    )
    assert rows == [("运维管理员", 1, 1, 1, "system_admin")]
    stored = query(data_dir, "SELECT password FROM org_user WHERE username='ops'")[0][0]
    assert stored and not stored.startswith("!") and "Grid-0peration-2026" not in stored

    again = run_pathscore("createadmin", "--username", "ops", data_dir=data_dir, extra_env=password)
    assert again.returncode == 1
    assert "exists already" in again.stderr
    assert query(data_dir, "SELECT COUNT(*) FROM org_user WHERE username='ops'") == [(1,)]


def test_manage_runs_django_commands(tmp_path):
    data_dir = tmp_path / "data"
    result = run_pathscore("manage", "check", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# --- backup and restore ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "description", "options"),
    [
        ("backup", "write a snapshot of the database and the uploaded files", ["--output"]),
        ("restore", "rebuild the database and the uploaded files from a snapshot", ["--force"]),
    ],
)
def test_backup_and_restore_help(tmp_path, command, description, options):
    listed = run_pathscore("--help", data_dir=tmp_path / "data")
    assert command in listed.stdout
    result = run_pathscore(command, "--help", data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: pathscore {command} ")
    assert description in result.stdout
    for option in options:
        assert option in result.stdout


def test_backup_then_restore_an_installation_elsewhere(tmp_path):
    data_dir = tmp_path / "data"
    assert run_pathscore("migrate", "--quiet", data_dir=data_dir).returncode == 0
    password = {"PATHSCORE_ADMIN_PASSWORD": "Grid-0peration-2026"}
    admin = run_pathscore("createadmin", "--username", "ops", data_dir=data_dir, extra_env=password)
    assert admin.returncode == 0, admin.stderr

    made = run_pathscore("backup", data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    [archive] = (data_dir / "backups").glob("pathscore-*.tar.gz")
    assert f"Snapshot written to {archive}" in made.stdout
    assert archive.stat().st_mode & 0o777 == 0o600

    # A snapshot never overwrites a file; the refusal is one line, no traceback.
    again = run_pathscore("backup", "--output", str(archive), data_dir=data_dir)
    assert again.returncode == 1
    assert again.stderr == (
        f"pathscore: {archive} exists already; a snapshot never overwrites a file\n"
    )

    verified = run_pathscore("backup", "--verify", str(archive), data_dir=data_dir)
    assert verified.returncode == 0, verified.stderr
    assert "every checksum matches" in verified.stdout

    copy = tmp_path / "copy"
    restored = run_pathscore("restore", str(archive), data_dir=copy)
    assert restored.returncode == 0, restored.stderr
    assert query(copy, "SELECT username, is_superuser FROM org_user") == [("ops", 1)]
    tables = {row[0] for row in query(copy, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert "pathscore_cache" in tables

    missing = run_pathscore("restore", str(tmp_path / "nothing.tar.gz"), data_dir=tmp_path / "x")
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    assert missing.stderr == f"pathscore: {tmp_path / 'nothing.tar.gz'}: no such file\n"
