from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.process.choices import Attribution, DelayDecision
from pathscore.process.models.instances import ProjectScopedQuerySet
from pathscore.process.models.templates import CompanyWideQuerySet


class DelayCategory(models.Model):
    """An editable category of delay reasons, each attributed to the customer, the
    internal (technical) team, the salesperson or the outside world (policy)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    attribution = models.CharField(_("attribution"), max_length=16, choices=Attribution.choices)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = _("delay category")
        verbose_name_plural = _("delay categories")

    def __str__(self):
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class DelayReasonQuerySet(ProjectScopedQuerySet):
    doer_fields = ("given_by_id",)


class DelayReason(BaseModel):
    """Why a node is late, given by its owner; the manager accepts it (possibly waiving
    part of the deduction) or not, and both decisions are kept."""

    node = models.ForeignKey(
        "process.NodeInstance",
        verbose_name=_("node"),
        on_delete=models.CASCADE,
        related_name="delay_reasons",
    )
    project = models.ForeignKey("crm.Project", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        DelayCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("reason"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("given by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=DelayDecision.choices, default=DelayDecision.PENDING
    )
    waived_share = models.DecimalField(
        _("share of the deduction waived"), max_digits=3, decimal_places=2, default=0
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    history = HistoricalRecords()
    objects = DelayReasonQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delay reason")
        verbose_name_plural = _("delay reasons")

    def __str__(self):
        return f"{self.node}: {self.text[:40]}"
