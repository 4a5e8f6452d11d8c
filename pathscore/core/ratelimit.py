"""Rate limits on costly or abusable actions: exports and uploads (logins are limited by
django-axes).

A limit is "so many per so many seconds" per user and action, counted in the shared cache
(Redis when configured, otherwise the database cache), so every web process sees the same
counts. Windows are fixed (they start at multiples of their length): simple, cheap and good
enough against a script hammering an endpoint. Over the limit the view answers 429 with a
``Retry-After`` header and a page saying when to try again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"30/10m"``, ``"100/h"``, ``"5/s"``, ``"200/d"`` — a count per period."""
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        count, _sep, period = text.strip().partition("/")
        number = period[:-1] or "1"
        if not (count.isdigit() and number.isdigit() and period[-1:] in units):
            raise ValueError(f"not a rate: {text!r} (expected e.g. 30/10m or 100/h)")
        rate = cls(int(count), int(number) * units[period[-1]])
        if rate.count < 1 or rate.seconds < 1:
            raise ValueError(f"not a rate: {text!r} (both numbers must be positive)")
        return rate


def _rate_for(action: str) -> Rate | None:
    text = settings.PATHSCORE_RATE_LIMITS.get(action)
    return Rate.parse(text) if text else None


def retry_after(action: str, key: str, *, now: float | None = None) -> int | None:
    """Count one attempt at ``action`` by ``key`` (e.g. a user id); the seconds to wait
    when it is over the limit, otherwise ``None``."""
    rate = _rate_for(action)
    if rate is None:
        return None
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    cache_key = f"ratelimit:{action}:{key}:{window}"
    # add() only sets a missing key, so two processes racing here both count from 1.
    cache.add(cache_key, 0, timeout=rate.seconds + 1)
    try:
        attempts = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=rate.seconds + 1)
        attempts = 1
    # The database cache's incr() rewrites the row with the default timeout; keep the
    # counter alive for its whole window.
    cache.touch(cache_key, timeout=rate.seconds + 1)
    if attempts <= rate.count:
        return None
    return max(1, int((window + 1) * rate.seconds - now))


def key_for(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def too_many_requests(request, seconds: int):
    """The 429 page: what was refused and when to try again."""
    minutes = max(1, round(seconds / 60))
    response = render(
        request,
        "errors/429.html",
        {
            "wait_text": _("Please try again in about %(minutes)s min.") % {"minutes": minutes},
        },
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def limited(request, action: str):
    """The 429 response when ``request`` is over the ``action`` limit, else ``None``."""
    seconds = retry_after(action, key_for(request))
    return None if seconds is None else too_many_requests(request, seconds)
