"""Typed readers for the ``PATHSCORE_*`` environment variables.

Every setting that comes from the environment goes through one of these helpers, so a
malformed value stops start-up with a single line that names the variable instead of a
traceback from deep inside Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """A ``PATHSCORE_*`` variable holds a value Pathscore cannot use."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None) -> str | None:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_rate(name: str, default: str) -> str:
    """A rate limit such as ``30/10m`` (a count per s, m, h or d, optionally with a number
    of them); ``off`` turns the limit off (returned as an empty string)."""
    import re

    value = _raw(name) or default
    if value.lower() == "off":
        return ""
    if not re.fullmatch(r"[1-9]\d*/[1-9]?\d*[smhd]", value):
        raise ConfigError(f"{name} must be a rate such as 30/10m or 100/h, or off, not {value!r}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    return (Path(value) if value else default).expanduser().resolve()


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = _raw(name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def env_time_zone(name: str, default: str) -> str:
    """An IANA time zone name; checked here because Django's own check is a traceback."""
    import zoneinfo

    value = _raw(name) or default
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name} must be a time zone name such as Asia/Shanghai, not {value!r}"
        ) from None
    return value


def env_database_url(name: str) -> dict | None:
    """Parse a PostgreSQL (or SQLite) URL into a Django DATABASES entry."""
    value = _raw(name)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(
            f"{name} must be a postgresql:// or sqlite:// URL, not {parsed.scheme or value!r}"
        )
    if parsed.scheme != "sqlite" and not (parsed.hostname or parsed.path.strip("/")):
        raise ConfigError(f"{name} names no host or database: {value!r}")
    import dj_database_url

    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ConfigError(f"{name} is not a valid database URL: {error}") from None
    if config.get("ENGINE", "").endswith("postgresql"):
        if not config.get("NAME"):
            raise ConfigError(f"{name} names no database: {value!r}")
        # No JIT: the pages' queries are short, and compiling one costs more than it saves
        # (the team dashboard at scale L: 175 → 161 ms). A URL's own ?options= wins.
        config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    return config


def env_redis_url(name: str) -> str | None:
    value = _raw(name)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"redis", "rediss", "unix"} or not (parsed.hostname or parsed.path):
        raise ConfigError(f"{name} must be a redis:// URL, not {value!r}")
    try:
        _ = parsed.port
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {value!r}") from None
    return value
