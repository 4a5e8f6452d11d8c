"""Session lifetime and per-user language and time zone."""

from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

SESSION_STARTED_KEY = "pathscore_started"
SESSION_SEEN_KEY = "pathscore_seen"
# Writing the last-seen time on every request would save the session row every time;
# a minute's resolution is plenty for an idle limit counted in minutes.
_SEEN_RESOLUTION_SECONDS = 60


class SessionExpiryMiddleware:
    """End a session after an idle period and after an absolute lifetime.

    Django's own expiry slides with every save; an absolute limit needs the login time,
    which is kept in the session itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED_KEY)
            seen = request.session.get(SESSION_SEEN_KEY, started)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
                request.session[SESSION_SEEN_KEY] = now
            elif (
                now - started > settings.SESSION_ABSOLUTE_SECONDS
                or now - (seen or started) > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                query = urlencode({"next": request.get_full_path(), "expired": "1"})
                return redirect(f"{settings.LOGIN_URL_PATH}?{query}")
            elif now - (seen or 0) >= _SEEN_RESOLUTION_SECONDS:
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


def _language_for(request) -> str:
    supported = {code for code, _ in settings.LANGUAGES}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    return settings.LANGUAGE_CODE


class UserPreferencesMiddleware:
    """Activate the user's language and time zone for the request.

    The UI follows the person, not the browser: a signed-in user's saved language wins,
    an anonymous visitor gets their language cookie or the company default (zh-hans).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = _language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", "") if user and user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name or settings.TIME_ZONE))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        timezone.deactivate()
        return response


class DenialLogMiddleware:
    """Write a ``permission_denied`` security event for every 403 a signed-in person gets.

    Views and API checks refuse in many places (permission mixins, services raising
    PermissionDenied, DRF permission classes, the CSRF check); logging the answer here
    records each refusal exactly once, wherever it came from. A refusal that was already
    logged with more detail (``record_security_event`` marks the request) is not repeated.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            response.status_code == 403
            and user is not None
            and user.is_authenticated
            and not getattr(request, DENIAL_RECORDED, False)
        ):
            from pathscore.core.choices import SecurityEventKind
            from pathscore.core.security import record_security_event

            record_security_event(
                kind=SecurityEventKind.PERMISSION_DENIED,
                request=request,
                actor=user,
                path=request.path[:300],
                method=request.method,
            )
        return response


#: Set on a request once its refusal is in the security log.
DENIAL_RECORDED = "pathscore_denial_recorded"


class PrivateByDefaultMiddleware:
    """Keep signed-in people's pages and API answers out of every cache (PIPL, OWASP ASVS
    V8: scores, customers and reviews are personal or confidential).

    A response that already says how it may be cached (a document download, WhiteNoise's
    static files) keeps its own header; everything else a signed-in person receives is
    sent with ``Cache-Control: no-store``, so a shared computer's browser or a proxy keeps
    no copy of it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
