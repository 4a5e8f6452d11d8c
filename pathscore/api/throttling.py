"""API side of the rate limits in ``core/ratelimit.py``: the same counters, so a user
cannot dodge the limit by switching between the pages and the API."""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from pathscore.core.ratelimit import key_for, retry_after


class ActionThrottle(BaseThrottle):
    """Counts writes (not reads) against the ``action`` limit."""

    action = ""

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        self.seconds = retry_after(self.action, key_for(request))
        return self.seconds is None

    def wait(self):
        return self.seconds


class UploadThrottle(ActionThrottle):
    action = "upload"
