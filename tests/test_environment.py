"""The test environment itself: parallel workers on Redis do not share a database."""

from __future__ import annotations

import os

import pytest

from tests.environment import _redis_database_per_worker


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/15", "gw0", "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/15", "gw1", "redis://127.0.0.1:6379/14"),
        ("redis://127.0.0.1:6379/15", "", "redis://127.0.0.1:6379/15"),  # not parallel
        ("redis://127.0.0.1:6379", "gw1", "redis://127.0.0.1:6379"),  # no database named
    ],
)
def test_each_worker_gets_its_own_redis_database(monkeypatch, url, worker, expected):
    monkeypatch.setenv("PATHSCORE_REDIS_URL", url)
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    _redis_database_per_worker()

    assert os.environ["PATHSCORE_REDIS_URL"] == expected


def test_too_many_workers_for_the_databases_left_is_refused(monkeypatch):
    monkeypatch.setenv("PATHSCORE_REDIS_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    with pytest.raises(RuntimeError, match="too many test workers"):
        _redis_database_per_worker()
