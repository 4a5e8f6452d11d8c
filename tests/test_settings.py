"""Settings and the typed ``PATHSCORE_*`` environment readers.

The helpers are tested in-process with ``monkeypatch``; start-up with a broken environment
is tested the way an operator meets it: ``python -m pathscore migrate`` in a subprocess,
which must stop with exit code 2 and one line on stderr naming the variable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from pathscore import env
from pathscore.env import ConfigError

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k" * 40


def run_pathscore(*args, tmp_path, extra_env=None, timeout=120):
    """Run ``python -m pathscore`` with a clean PATHSCORE_* environment and a fresh data dir."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PATHSCORE_")}
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    environ.update(
        PYTHONPATH=str(ROOT),
        PATHSCORE_FAST_PASSWORD_HASHER="true",
        PATHSCORE_DATA_DIR=str(tmp_path / "data"),
    )
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "pathscore", *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- helpers, in-process ---------------------------------------------------------------


class TestEnvStr:
    def test_unset_blank_and_set(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_str("PATHSCORE_X", "dflt") == "dflt"
        assert env.env_str("PATHSCORE_X") is None
        monkeypatch.setenv("PATHSCORE_X", "   ")
        assert env.env_str("PATHSCORE_X", "dflt") == "dflt"
        monkeypatch.setenv("PATHSCORE_X", "  value  ")
        assert env.env_str("PATHSCORE_X", "dflt") == "value"


class TestEnvBool:
    @pytest.mark.parametrize("raw", ["1", "true", "TRUE", "Yes", "on", " on "])
    def test_true_values(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        assert env.env_bool("PATHSCORE_X", False) is True

    @pytest.mark.parametrize("raw", ["0", "false", "No", "OFF"])
    def test_false_values(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        assert env.env_bool("PATHSCORE_X", True) is False

    def test_default_when_unset_or_blank(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_bool("PATHSCORE_X", True) is True
        monkeypatch.setenv("PATHSCORE_X", "")
        assert env.env_bool("PATHSCORE_X", False) is False

    @pytest.mark.parametrize("raw", ["maybe", "2", "y", "enabled"])
    def test_bad_values_name_the_variable(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        with pytest.raises(ConfigError, match="PATHSCORE_X") as caught:
            env.env_bool("PATHSCORE_X")
        assert raw in str(caught.value)


class TestEnvInt:
    def test_good_values(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_int("PATHSCORE_X", 7) == 7
        monkeypatch.setenv("PATHSCORE_X", " 42 ")
        assert env.env_int("PATHSCORE_X", 7) == 42
        monkeypatch.setenv("PATHSCORE_X", "5")
        assert env.env_int("PATHSCORE_X", 7, minimum=5) == 5

    @pytest.mark.parametrize("raw", ["ten", "4.5", "1e3", "0x10"])
    def test_not_a_number(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        with pytest.raises(ConfigError, match="PATHSCORE_X must be a whole number"):
            env.env_int("PATHSCORE_X", 1)

    def test_below_minimum(self, monkeypatch):
        monkeypatch.setenv("PATHSCORE_X", "0")
        with pytest.raises(ConfigError, match="PATHSCORE_X must be at least 1, not 0"):
            env.env_int("PATHSCORE_X", 5, minimum=1)


class TestEnvList:
    def test_split_and_trim(self, monkeypatch):
        monkeypatch.setenv("PATHSCORE_X", " a.example , b.example,,  ,c ")
        assert env.env_list("PATHSCORE_X") == ["a.example", "b.example", "c"]

    def test_default_is_a_copy(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        default = ["*"]
        result = env.env_list("PATHSCORE_X", default)
        assert result == ["*"]
        result.append("x")
        assert default == ["*"]
        assert env.env_list("PATHSCORE_X") == []


class TestEnvPath:
    def test_default_and_value_are_absolute(self, monkeypatch, tmp_path):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_path("PATHSCORE_X", tmp_path / "d") == (tmp_path / "d").resolve()
        monkeypatch.setenv("PATHSCORE_X", "~/pathscore-data")
        assert env.env_path("PATHSCORE_X", tmp_path) == Path.home().resolve() / "pathscore-data"
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("PATHSCORE_X", "rel/dir")
        result = env.env_path("PATHSCORE_X", Path("/nowhere"))
        assert result.is_absolute()
        assert result == tmp_path.resolve() / "rel" / "dir"


class TestEnvChoice:
    def test_good_and_default(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_choice("PATHSCORE_X", ("a", "b"), "a") == "a"
        monkeypatch.setenv("PATHSCORE_X", "b")
        assert env.env_choice("PATHSCORE_X", ("a", "b"), "a") == "b"

    def test_bad_lists_the_choices(self, monkeypatch):
        monkeypatch.setenv("PATHSCORE_X", "c")
        with pytest.raises(ConfigError, match=r"PATHSCORE_X must be one of a, b, not 'c'"):
            env.env_choice("PATHSCORE_X", ("a", "b"), "a")


class TestEnvTimeZone:
    def test_good(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_time_zone("PATHSCORE_X", "Asia/Shanghai") == "Asia/Shanghai"
        monkeypatch.setenv("PATHSCORE_X", "Europe/Berlin")
        assert env.env_time_zone("PATHSCORE_X", "Asia/Shanghai") == "Europe/Berlin"

    @pytest.mark.parametrize("raw", ["Mars/Base", "../etc/passwd", "Asia/"])
    def test_bad(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        with pytest.raises(ConfigError, match="PATHSCORE_X must be a time zone name"):
            env.env_time_zone("PATHSCORE_X", "Asia/Shanghai")


class TestEnvDatabaseUrl:
    def test_unset_means_embedded_sqlite(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_database_url("PATHSCORE_X") is None

    @pytest.mark.parametrize("scheme", ["postgres", "postgresql", "pgsql"])
    def test_postgresql(self, monkeypatch, scheme):
        monkeypatch.setenv("PATHSCORE_X", f"{scheme}://ps:secret@db.internal:6543/pathscore")
        config = env.env_database_url("PATHSCORE_X")
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert config["NAME"] == "pathscore"
        assert config["USER"] == "ps"
        assert config["PASSWORD"] == "secret"
        assert config["HOST"] == "db.internal"
        assert config["PORT"] == 6543
        assert config["CONN_MAX_AGE"] == 60
        assert config["CONN_HEALTH_CHECKS"] is True
        assert config["OPTIONS"]["options"] == "-c jit=off"

    def test_postgresql_options_in_the_url_win(self, monkeypatch):
        monkeypatch.setenv(
            "PATHSCORE_X", "postgresql://db.internal/pathscore?options=-c%20jit%3Don"
        )
        config = env.env_database_url("PATHSCORE_X")
        assert config["OPTIONS"]["options"] == "-c jit=on"

    def test_sqlite_file(self, monkeypatch, tmp_path):
        monkeypatch.setenv("PATHSCORE_X", f"sqlite:///{tmp_path}/x.sqlite3")
        config = env.env_database_url("PATHSCORE_X")
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["NAME"] == f"{tmp_path}/x.sqlite3"

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("mysql://x", "must be a postgresql:// or sqlite:// URL"),
            ("garbage", "must be a postgresql:// or sqlite:// URL"),
            ("postgresql://", "names no host or database"),
            ("postgresql://db.internal", "names no database"),
            ("postgresql://db.internal/", "names no database"),
            ("postgresql://u:p@host:notaport/db", "is not a valid database URL"),
        ],
    )
    def test_bad(self, monkeypatch, raw, message):
        monkeypatch.setenv("PATHSCORE_X", raw)
        with pytest.raises(ConfigError, match="PATHSCORE_X") as caught:
            env.env_database_url("PATHSCORE_X")
        assert message in str(caught.value)


class TestEnvRedisUrl:
    @pytest.mark.parametrize(
        "raw",
        ["redis://localhost:6379/0", "rediss://:pw@cache.internal:6380/1", "unix:///run/r.sock"],
    )
    def test_good(self, monkeypatch, raw):
        monkeypatch.setenv("PATHSCORE_X", raw)
        assert env.env_redis_url("PATHSCORE_X") == raw

    def test_unset(self, monkeypatch):
        monkeypatch.delenv("PATHSCORE_X", raising=False)
        assert env.env_redis_url("PATHSCORE_X") is None

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("http://cache:6379", "must be a redis:// URL"),
            ("redis://", "must be a redis:// URL"),
            ("garbage", "must be a redis:// URL"),
            ("redis://cache:port/0", "has an invalid port"),
            ("redis://cache:99999/0", "has an invalid port"),
        ],
    )
    def test_bad(self, monkeypatch, raw, message):
        monkeypatch.setenv("PATHSCORE_X", raw)
        with pytest.raises(ConfigError, match="PATHSCORE_X") as caught:
            env.env_redis_url("PATHSCORE_X")
        assert message in str(caught.value)


# --- the settings in effect -------------------------------------------------------------


def test_embedded_defaults_in_effect():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.AUTH_USER_MODEL == "org.User"
    assert settings.SESSION_IDLE_SECONDS == 120 * 60
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    # The test environment asks for the fast hasher; argon2 stays the production default.
    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")
    assert "django.contrib.auth.hashers.Argon2PasswordHasher" in settings.PASSWORD_HASHERS


SQLITE_PROBE = """
import json, sqlite3
import django
django.setup()
from django.conf import settings
from django.db import connection, transaction

out = {"name": str(settings.DATABASES["default"]["NAME"])}
with connection.cursor() as cursor:
    for pragma in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous"):
        cursor.execute("PRAGMA " + pragma)
        out[pragma] = cursor.fetchone()[0]
out["transaction_mode"] = connection.transaction_mode
# IMMEDIATE takes the write lock when the transaction starts, before any write.
other = sqlite3.connect(out["name"], timeout=0)
with transaction.atomic():
    try:
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        out["second_writer_blocked"] = False
    except sqlite3.OperationalError:
        out["second_writer_blocked"] = True
print(json.dumps(out))
"""


def test_sqlite_file_database_runs_in_wal_with_immediate_transactions(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PATHSCORE_")}
    environ.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="pathscore.settings",
        PATHSCORE_DATA_DIR=str(tmp_path / "data"),
    )
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_PROBE],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["name"] == str(tmp_path / "data" / "pathscore.sqlite3")
    assert facts["journal_mode"] == "wal"
    assert facts["busy_timeout"] == 20000
    assert facts["foreign_keys"] == 1
    assert facts["synchronous"] == 1  # NORMAL
    assert facts["transaction_mode"] == "IMMEDIATE"
    assert facts["second_writer_blocked"] is True
    # The embedded default also keeps its generated secret key beside the database.
    key_file = tmp_path / "data" / "secret_key"
    assert len(key_file.read_text().strip()) >= 32
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


# --- start-up with a broken environment --------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PATHSCORE_DATABASE_URL", "mysql://x"),
        ("PATHSCORE_DATABASE_URL", "postgresql://"),
        ("PATHSCORE_DATABASE_URL", "postgresql://db.internal"),
        ("PATHSCORE_DATABASE_URL", "garbage"),
        ("PATHSCORE_DATABASE_URL", "postgresql://u:p@db:port/pathscore"),
        ("PATHSCORE_REDIS_URL", "http://cache:6379"),
        ("PATHSCORE_REDIS_URL", "redis://"),
        ("PATHSCORE_REDIS_URL", "redis://cache:port/0"),
        ("PATHSCORE_ENV", "staging"),
        ("PATHSCORE_DEBUG", "maybe"),
        ("PATHSCORE_SESSION_IDLE_MINUTES", "0"),
        ("PATHSCORE_SESSION_ABSOLUTE_HOURS", "twelve"),
        ("PATHSCORE_SECRET_KEY", "too-short"),
        ("PATHSCORE_TIME_ZONE", "Mars/Base"),
        ("PATHSCORE_LOG_LEVEL", "LOUD"),
        ("PATHSCORE_LOGIN_FAILURE_LIMIT", "-1"),
    ],
)
def test_bad_variable_stops_start_up_with_one_line(tmp_path, variable, value):
    result = run_pathscore("migrate", tmp_path=tmp_path, extra_env={variable: value})
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("pathscore: configuration error: ")
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    # Nothing was migrated: the database file was never created.
    assert not (tmp_path / "data" / "pathscore.sqlite3").exists()


def test_unusable_data_dir_stops_start_up_with_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_pathscore(
        "migrate", tmp_path=tmp_path, extra_env={"PATHSCORE_DATA_DIR": str(blocker / "data")}
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "PATHSCORE_DATA_DIR" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra_env", "named"),
    [
        ({}, "PATHSCORE_SECRET_KEY"),
        ({"PATHSCORE_SECRET_KEY": STRONG_KEY}, "PATHSCORE_ALLOWED_HOSTS"),
        (
            {"PATHSCORE_SECRET_KEY": STRONG_KEY, "PATHSCORE_ALLOWED_HOSTS": " , "},
            "PATHSCORE_ALLOWED_HOSTS",
        ),
        ({"PATHSCORE_ALLOWED_HOSTS": "ps.example.com"}, "PATHSCORE_SECRET_KEY"),
    ],
)
def test_production_demands_secret_key_and_hosts(tmp_path, extra_env, named):
    result = run_pathscore(
        "migrate", tmp_path=tmp_path, extra_env={"PATHSCORE_ENV": "production", **extra_env}
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "PATHSCORE_ENV=production" in lines[0]
    assert "Traceback" not in result.stderr
    # Production never invents a secret key of its own.
    assert not (tmp_path / "data" / "secret_key").exists()


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "key_is_configured": settings.SECRET_KEY == "%s",
}))
"""


def test_production_with_key_and_hosts_switches_on_secure_settings(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PATHSCORE_")}
    environ.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="pathscore.settings",
        PATHSCORE_DATA_DIR=str(tmp_path / "data"),
        PATHSCORE_ENV="production",
        PATHSCORE_SECRET_KEY=STRONG_KEY,
        PATHSCORE_ALLOWED_HOSTS="ps.example.com, ps.internal",
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE % STRONG_KEY],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts == {
        "debug": False,
        "hosts": ["ps.example.com", "ps.internal"],
        "session_secure": True,
        "csrf_secure": True,
        "hsts": 31536000,
        "ssl_redirect": True,
        "key_is_configured": True,
    }


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="PostgreSQL only: SQLite has no JIT",
)
@pytest.mark.django_db
def test_postgresql_sessions_run_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
