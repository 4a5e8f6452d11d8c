"""Permissions every API view applies by default."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from pathscore.org.models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """A read-only API token may only use safe methods; sessions and read-write tokens
    are not limited here (the services still decide what the user may change)."""

    message = _("This API token is read only.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in permissions.SAFE_METHODS:
            return True
        return token.can_write
