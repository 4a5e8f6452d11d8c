from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q
from pathscore.scoring.models.periods import Period


class LiveScoreQuerySet(ScopedQuerySet):
    """The rule of frozen results, on the person's current department: a person sees their
    own score, managers those of their subtree, HR and executives all (PIPL: a salesperson
    sees no other person's score)."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(person_id=scope.user_id) | subtree_q(
            "person__department__path", scope.managed_paths
        )


class LiveScore(models.Model):
    """One person's score in an open period as last computed by the scheduled refresh
    (``services.live_scores_refresh``), so the dashboard ranks a thousand people by reading
    rows instead of evaluating every indicator on each request.

    A materialised copy, never the truth: the person's own score page evaluates live, and
    closing the period drops these rows (the frozen ``Result`` rows take over)."""

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="live_scores"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="live_scores",
    )
    scorecard = models.ForeignKey(
        "scoring.Scorecard",
        verbose_name=_("scorecard"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    scorecard_version = models.PositiveIntegerField(_("scorecard version"))
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    #: ``{dimension: score or None}`` as strings, like the frozen results.
    dimensions = models.JSONField(_("dimension scores"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))

    objects = LiveScoreQuerySet.as_manager()

    class Meta:
        ordering = ["period_id", "-total"]
        constraints = [
            models.UniqueConstraint(fields=["period", "person"], name="scoring_livescore_once")
        ]
        # The ranking reads one period's rows best first.
        indexes = [models.Index(fields=["period", "-total"], name="scoring_livescore_rank")]
        verbose_name = _("live score")
        verbose_name_plural = _("live scores")

    def __str__(self):
        return f"{self.person} · {self.period}: {self.total}"
