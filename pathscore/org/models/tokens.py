"""Personal API tokens: a secret a person creates in their profile for scripts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope, ScopedQuerySet


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiTokenQuerySet(ScopedQuerySet):
    scope_owner_field = "user"

    def scope_filter(self, scope: Scope) -> Q:
        # A token is a credential, not a record: only its owner (and the system
        # administrator, who may revoke it) ever sees it, never the owner's managers.
        if scope.has_role(Role.SYSTEM_ADMIN):
            return Q()
        return Q(user_id=scope.user_id)

    def usable(self):
        """Tokens that still authenticate: not revoked, not expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal API token.

    Only the SHA-256 ``digest`` of the secret is stored; the secret itself is shown
    once when the token is created. ``prefix`` (part of the secret) finds the row and
    lets people recognise their tokens in lists. A token acts as its user, with that
    user's visibility; a read-only token cannot change anything.
    """

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, db_index=True)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE

    def get_state_display(self) -> str:
        if self.revoked_at is not None:
            return _("Revoked")
        if self.is_expired:
            return _("Expired")
        return _("Active")
