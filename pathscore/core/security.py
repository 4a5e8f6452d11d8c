"""Writing the security log."""

from __future__ import annotations

from pathscore.core.choices import SecurityEventKind
from pathscore.core.middleware import DENIAL_RECORDED
from pathscore.core.models import SecurityEvent


def client_ip(request) -> str | None:
    """The client's address, honouring PATHSCORE_PROXY_COUNT exactly like the lockout."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or None


def record_security_event(
    *, kind: str, request=None, actor=None, subject=None, username="", **detail
):
    """Append one event to the security log. Never raises on missing request data."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    if kind == SecurityEventKind.PERMISSION_DENIED and request is not None:
        # The denial log middleware then knows this refusal is already recorded.
        setattr(getattr(request, "_request", request), DENIAL_RECORDED, True)
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        username=(username or getattr(subject, "username", "") or "")[:150],
        ip_address=client_ip(request),
        user_agent=agent,
        detail=detail,
    )


def record_settings_change(*, actor, setting: str, action: str, **detail):
    """Log a change to a company setting (an integration, a rule, a published template)
    in the security log: who, when, which setting and what was done to it."""
    return record_security_event(
        kind=SecurityEventKind.SETTINGS_CHANGED,
        actor=actor,
        setting=setting,
        action=action,
        **detail,
    )
