from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet


class AlertThresholdQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        # Company settings, like option lists: every signed-in user may read them (the
        # alert pages explain a figure by its threshold); only HR admins change them.
        return models.Q()


class AlertThreshold(BaseModel):
    """One editable alert threshold (its meaning, bounds and default are defined in
    ``insights/alerts/thresholds.py`` under the same code). Every change is kept in history."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = AlertThresholdQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("alert threshold")
        verbose_name_plural = _("alert thresholds")

    def __str__(self):
        return f"{self.code} = {self.value}"
