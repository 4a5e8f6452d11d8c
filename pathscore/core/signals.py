"""Security events for Django's own authentication signals."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pathscore.core.choices import SecurityEventKind
from pathscore.core.security import record_security_event


@receiver(user_logged_in)
def _on_login(sender, request, user, **kwargs):
    record_security_event(kind=SecurityEventKind.LOGIN, request=request, actor=user, subject=user)


@receiver(user_logged_out)
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_security_event(
            kind=SecurityEventKind.LOGOUT, request=request, actor=user, subject=user
        )


@receiver(user_login_failed)
def _on_login_failed(sender, credentials, request=None, **kwargs):
    record_security_event(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", ""))[:150],
    )
