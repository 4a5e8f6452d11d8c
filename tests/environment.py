"""Loaded by pytest before Django's settings (``-p tests.environment`` in pyproject.toml).

argon2 is deliberately slow and the suite creates hundreds of accounts, so tests hash with
a fast hasher; jobs run inline unless a test starts a consumer itself; data goes to a
throw-away folder.
"""

import os
import tempfile

os.environ.setdefault("PATHSCORE_FAST_PASSWORD_HASHER", "true")
os.environ.setdefault("PATHSCORE_JOBS_IMMEDIATE", "true")
os.environ.setdefault("PATHSCORE_DATA_DIR", tempfile.mkdtemp(prefix="pathscore-test-"))
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Rate limits are counted in the shared cache, which outlives a test's transaction on Redis,
# and their cache queries would blur the query-count tests: off, except in the tests of the
# limits, which set their own (tests/core/test_ratelimit.py).
os.environ.setdefault("PATHSCORE_EXPORT_RATE", "off")
os.environ.setdefault("PATHSCORE_UPLOAD_RATE", "off")


def _redis_database_per_worker() -> None:
    """Give each parallel test worker its own Redis database.

    Tests clear the cache (``FLUSHDB``) and run job consumers; on one shared database a
    worker's clear wiped another worker's rate-limit counters mid-test, and a consumer
    could take another worker's jobs. Worker ``gwN`` uses database ``base - N``.
    """
    url = os.environ.get("PATHSCORE_REDIS_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return
    base, slash, database = url.rpartition("/")
    if not (slash and database.isdigit() and "//" in base):
        return
    number = int(database) - int(worker[2:])
    if number < 0:
        raise RuntimeError(f"too many test workers for Redis database {database} in {url}")
    os.environ["PATHSCORE_REDIS_URL"] = f"{base}/{number}"


_redis_database_per_worker()
