"""How far the write step of an import has got.

The write step runs inside one transaction (all rows or none), so a progress column on the
batch would only become visible once everything is written. The count goes to the cache
instead: with Redis (``PATHSCORE_REDIS_URL``) the batch page sees it at once; with the
embedded database cache it is written in the same transaction, and the page shows the
step as under way without a count.
"""

from __future__ import annotations

from django.core.cache import cache

#: How long a count is kept if a job dies before clearing it.
TTL_SECONDS = 6 * 3600


def _key(batch_id: int) -> str:
    return f"transfer:written:{batch_id}"


def report_written(batch_id: int, done: int) -> None:
    cache.set(_key(batch_id), done, TTL_SECONDS)


def written(batch_id: int) -> int | None:
    return cache.get(_key(batch_id))


def clear(batch_id: int) -> None:
    cache.delete(_key(batch_id))
