"""Absolute links for messages that leave Pathscore (webhooks, e-mail)."""

from django.conf import settings


def absolute(path: str) -> str:
    return f"{settings.PATHSCORE_BASE_URL}{path}" if path else ""
