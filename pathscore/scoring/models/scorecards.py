from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.choices import Role
from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.scoring.choices import Dimension, Direction, RuleKind, ScorecardStatus


class CompanyWideQuerySet(ScopedQuerySet):
    """Scorecards and indicators are published company rules: everyone may read them."""

    def scope_filter(self, scope: Scope) -> Q:
        return Q()


class Scorecard(BaseModel):
    """Weights and rules that turn indicators into a score, for a department or a role.

    Exactly one published scorecard applies to a person: the one of the nearest department
    up their tree, else the one of one of their roles. ``code`` groups the versions of one
    scorecard; a published version is frozen and scores keep the version that made them.
    """

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ScorecardStatus.choices, default=ScorecardStatus.DRAFT
    )
    note = models.CharField(_("change note"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="scoring_scorecard_unique_version"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status="published"),
                name="scoring_one_published_scorecard",
            ),
        ]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self):
        return f"{self.name} v{self.version}"


class ScorecardDimension(models.Model):
    """A dimension's weight in a scorecard; the dimension weights total 100."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="dimensions")
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "dimension"], name="scoring_dimension_once"
            )
        ]
        verbose_name = _("scorecard dimension")
        verbose_name_plural = _("scorecard dimensions")

    def __str__(self):
        return f"{self.get_dimension_display()} {self.weight}"


class ScorecardItem(models.Model):
    """One indicator in a scorecard: its weight within its dimension and its rule."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="items")
    indicator = models.CharField(_("indicator"), max_length=40)
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)
    rule_kind = models.CharField(_("rule"), max_length=16, choices=RuleKind.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    params = models.JSONField(_("rule parameters"), default=dict, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["scorecard_id", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["scorecard", "indicator"], name="scoring_indicator_once"
            )
        ]
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")

    def __str__(self):
        return f"{self.indicator} {self.weight}"
