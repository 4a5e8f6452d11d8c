import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.choices import Role
from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet


class NotificationQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        # An inbox is personal: nobody, not even HR, reads another person's notifications.
        return Q(recipient_id=scope.user_id)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in a person's in-app inbox (the bell in the top bar)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40, default="message")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notify_inbox_unread")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.title


class WebhookQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        # Webhooks send company data out of Pathscore: only system admins see or change them.
        return Q() if scope.has_role(Role.SYSTEM_ADMIN) else Q(pk__in=[])

    def active(self):
        return self.filter(is_active=True)


class Webhook(BaseModel):
    """An outside URL that receives the chosen events as signed JSON POSTs.

    The secret signs every delivery, so it is stored as is (a hash could not sign); it is
    shown to the admin only when it is created or rotated.
    """

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=400)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    #: The admin's allow-list: permit a private or loopback address (and plain http), for a
    #: receiver inside the company network.
    allow_private = models.BooleanField(_("allow a private address"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The signing secret stays out of the history: a history row is read by more people
    # than the webhook page, and an old secret would still sign for whoever holds it. A
    # rotation leaves its row (who, when) with a reason saying so.
    history = HistoricalRecords(excluded_fields=["secret"])
    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("webhooks:detail", args=[self.pk])


class WebhookDeliveryQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        return Q(webhook__in=Webhook.objects.visible_in(scope).values("pk"))


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with what the receiver answered."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"
    STATUSES = [(PENDING, _("Pending")), (SENT, _("Sent")), (FAILED, _("Failed"))]

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PENDING)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    #: Every attempt's answer: ``[{"at", "status_code", "error"}]``.
    responses = models.JSONField(_("responses"), default=list)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_delivery_due")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event} → {self.webhook}"
