from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q
from pathscore.scoring.choices import AppealState, PeriodKind, PeriodState
from pathscore.scoring.models.scorecards import CompanyWideQuerySet


class Period(BaseModel):
    """The month, quarter or custom range being assessed: open → closed → published.

    While open, scores are live. Closing freezes a snapshot of every input and result
    together with the rule versions. After closing only bounded manager adjustments,
    acknowledgements and appeals change anything; after publication nothing does, except a
    new version that HR creates with a reason.
    """

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=8, choices=PeriodKind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    state = models.CharField(
        _("state"), max_length=12, choices=PeriodState.choices, default=PeriodState.OPEN
    )
    #: The current version of the results (a republication after publishing adds one).
    version = models.PositiveIntegerField(_("version"), default=1)
    adjustment_bound = models.DecimalField(
        _("adjustment bound (points)"), max_digits=5, decimal_places=2, default=Decimal("10")
    )
    appeal_days = models.PositiveIntegerField(_("days to appeal after closing"), default=7)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="scoring_period_dates_in_order",
            )
        ]
        verbose_name = _("appraisal period")
        verbose_name_plural = _("appraisal periods")

    def __str__(self):
        return self.name


class ResultQuerySet(ScopedQuerySet):
    """A person sees their own results; managers those of their subtree; HR and executives
    all. Nobody else (PIPL: a salesperson sees no other person's scores)."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(person_id=scope.user_id) | subtree_q("department__path", scope.managed_paths)


class Result(BaseModel):
    """One person's frozen score for one period and version, with everything that made it:
    the scorecard version, each indicator's raw value, team average and percentile, points,
    rule and rule version, and the evidence counts."""

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="results"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="results",
    )
    #: The person's department when the period closed (their team for comparisons).
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("team"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scorecard = models.ForeignKey(
        "scoring.Scorecard",
        verbose_name=_("scorecard"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    computed_total = models.DecimalField(_("computed score"), max_digits=6, decimal_places=2)
    adjustment = models.DecimalField(
        _("adjustment"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    dimensions = models.JSONField(_("dimension scores"), default=dict)
    items = models.JSONField(_("indicator scores"), default=list)
    rank = models.PositiveIntegerField(_("rank in team"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    change_reason = models.CharField(_("reason for this version"), max_length=300, blank=True)

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["period_id", "-total"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "version", "person"], name="scoring_result_once"
            )
        ]
        indexes = [models.Index(fields=["person", "period"], name="scoring_result_person")]
        verbose_name = _("appraisal result")
        verbose_name_plural = _("appraisal results")

    def __str__(self):
        return f"{self.person} · {self.period} v{self.version}"


class ResultChildQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(result_id__in=Result.objects.visible_in(scope).values("pk"))


class Adjustment(models.Model):
    """A manager's or HR's bounded change to a score, always with a reason. With an
    indicator code it overrides that indicator's automatic points instead."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="adjustments")
    indicator = models.CharField(_("indicator"), max_length=40, blank=True)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.TextField(_("reason"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = ResultChildQuerySet.as_manager()

    class Meta:
        ordering = ["made_at", "pk"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")

    def __str__(self):
        return f"{self.result} {self.points:+}"


class Appeal(models.Model):
    """A person disputes their result before the deadline; a manager or HR resolves it."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="appeals")
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=12, choices=AppealState.choices, default=AppealState.OPEN
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = ResultChildQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["result"], condition=Q(state="open"), name="scoring_one_open_appeal"
            )
        ]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self):
        return f"{self.result}: {self.reason[:30]}"
