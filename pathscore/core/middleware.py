"""Session lifetime and per-user language and time zone."""

from __future__ import annotations

import time
import zoneinfo

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone, translation
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
