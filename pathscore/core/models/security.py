from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.scoping import Scope, ScopedQuerySet


class SecurityEventQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope):
        # The security log is the auditor's alone (separation of duties).
        if scope.has_role(Role.AUDITOR):
            return models.Q()
        return models.Q(pk__in=[])


class SecurityEvent(models.Model):
    """One append-only line of the security log: logins, lockouts, account changes.

    Rows are never updated or deleted by the application; ``save`` refuses updates and
    ``delete`` refuses outright, so the log an auditor reads is the log that was written.
    """

    kind = models.CharField(_("event"), max_length=32, choices=SecurityEventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name given"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self):
        return f"{self.get_kind_display()} {self.username} {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Security events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Security events are append-only.")
