"""Stored figures of the company-wide dashboard, computed on a schedule."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FiguresSnapshot(models.Model):
    """Every figure of the dashboard for one company-wide slice (a period and its filters,
    as seen on one day), computed together and stored, so an executive's dashboard reads
    one row instead of aggregating a thousand people's records on each visit.

    Derived rows, never edited by hand: ``insights.figures`` writes them when a page finds
    none or a stale one, and a job recomputes every slice read in the last day on a
    schedule. Only slices of viewers who see the whole company are stored — for them every
    figure is the same whoever looks; a manager's team figures are read live.
    """

    #: A digest of the slice (its parameters and the day), see ``figures.snapshot_key``.
    key = models.CharField(_("key"), max_length=64, unique=True)
    #: The dashboard's query string as asked (``period=quarter``…): the job resolves it
    #: again on each day, so a preset follows the calendar.
    request_query = models.CharField(_("query"), max_length=500)
    today = models.DateField(_("day"))
    figures = models.JSONField(_("figures"))
    computed_at = models.DateTimeField(_("computed at"))
    #: How long computing the figures took (seconds), shown to administrators in logs.
    seconds = models.FloatField(_("seconds"), default=0)
    #: The last person who read it, whose view the job computes again (a company-wide
    #: viewer: the figures do not depend on which one).
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("viewer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    read_at = models.DateTimeField(_("last read"), db_index=True)

    class Meta:
        verbose_name = _("dashboard figures")
        verbose_name_plural = _("dashboard figures")

    def __str__(self):
        return f"{self.today} {self.request_query}"
