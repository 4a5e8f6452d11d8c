from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.insights.choices import AlertKind, AlertState, AlertUnit


class AlertQuerySet(ScopedQuerySet):
    """An alert is about one salesperson (``person``): they see their own, their managers
    see their subtree's, HR and executives everyone's."""

    scope_owner_field = "person"

    def open(self):
        return self.filter(state=AlertState.OPEN)


class Alert(BaseModel):
    """A deviation found by the detection job: what was measured against which threshold,
    about whom, and the records behind it.

    An alert opens once per subject (``kind`` + ``subject_key``, e.g. a project at one node)
    and stays open until its manager resolves it or its condition clears by itself.
    ``condition_holds`` says whether the condition was still true at the last detection;
    while it is, no second alert opens for the subject, even after a manager resolved the
    first (the same episode is not raised again the next hour).
    """

    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    #: What the alert is about, stable across runs: "stall:12:34", "relay:56"…
    subject_key = models.CharField(_("subject"), max_length=100)
    state = models.CharField(
        _("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("salesperson"),
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    document = models.ForeignKey(
        "crm.Document",
        verbose_name=_("document"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    followup = models.ForeignKey(
        "crm.FollowUp",
        verbose_name=_("follow-up"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    node = models.ForeignKey(
        "process.NodeInstance",
        verbose_name=_("node"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    measured = models.DecimalField(_("measured"), max_digits=10, decimal_places=1)
    threshold = models.DecimalField(_("threshold"), max_digits=10, decimal_places=1)
    unit = models.CharField(_("unit"), max_length=8, choices=AlertUnit.choices)
    #: What else explains the figure (the team's rate, the node's name…), for the page.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    condition_holds = models.BooleanField(_("condition still holds"), default=True)
    detected_at = models.DateTimeField(_("last measured at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution"), blank=True)
    #: When to look again (from the latest intervention), who asked, and whether the
    #: reminder for that date went out (claimed once by the reminder job).
    look_again_on = models.DateField(_("look again on"), null=True, blank=True)
    look_again_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("look again"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    look_again_reminded_on = models.DateField(null=True, blank=True, editable=False)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=Q(condition_holds=True),
                name="insights_alert_once_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["state", "kind"], name="insights_alert_state_kind"),
            models.Index(fields=["look_again_on"], name="insights_alert_look_again"),
        ]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.person}"

    def get_absolute_url(self):
        return reverse("insights:alert-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == AlertState.OPEN


class InterventionQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(alert_id__in=Alert.objects.visible_in(scope).values("pk"))


class Intervention(BaseModel):
    """What a manager did about an alert (coached, called the customer…), when, and when
    they mean to look again. The log is kept whatever becomes of the alert."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="interventions"
    )
    kind = models.ForeignKey(
        "core.Option",
        verbose_name=_("what was done"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "intervention_kind"},
    )
    note = models.TextField(_("note"))
    done_on = models.DateField(_("done on"))
    look_again_on = models.DateField(_("look again on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["-done_on", "-pk"]
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")

    def __str__(self):
        return f"{self.kind} · {self.done_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("insights:alert-detail", args=[self.alert_id])
