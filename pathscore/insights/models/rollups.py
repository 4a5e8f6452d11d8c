"""Rollups: counts the dashboard reads instead of counting every raw row each time."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ActiveProjectCount(models.Model):
    """How many active projects one owner has at one current node, per customer type and
    project category (the dashboard's "projects by current node × customer type").

    Derived rows, never edited by hand: ``insights.rollups`` recomputes an owner's rows from
    the raw projects inside the transaction of every write that can move a project between
    keys, and a nightly job rebuilds everything (repairing any drift). An active project
    without a current node (no process yet, or its process completed) has a row with no
    node, so the customer-type share counts it too.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    #: The current node's definition (its code, name and version); empty: no current node.
    definition = models.ForeignKey(
        "process.NodeDefinition",
        verbose_name=_("current node"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    #: The current node's place in the project's own process (orders a retired node).
    node_order = models.PositiveIntegerField(_("node order"), null=True, blank=True)
    customer_type = models.ForeignKey(
        "core.Option",
        verbose_name=_("customer type"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    category = models.ForeignKey(
        "core.Option",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("projects"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "definition", "node_order", "customer_type", "category"],
                name="insights_active_count_key",
            )
        ]
        verbose_name = _("active project count")
        verbose_name_plural = _("active project counts")

    def __str__(self):
        return f"{self.owner_id}/{self.definition_id}/{self.customer_type_id}: {self.count}"


class FollowUpDayCount(models.Model):
    """How many follow-ups one author recorded on one local day (the company's time zone):
    the dashboard's "follow-ups per salesperson per week" sums these instead of counting
    a quarter's follow-ups row by row.

    Derived rows, never edited by hand: ``insights.rollups`` recomputes the days an
    author's follow-ups were recorded on, moved from or moved to from the raw follow-ups,
    inside the transaction of every write that records or moves one, and a nightly job
    rebuilds everything (repairing any drift). A day without follow-ups has no row.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    #: The follow-ups' local day in the company's time zone (``settings.TIME_ZONE``).
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("follow-ups"))

    class Meta:
        constraints = [
            # Also the index of a team's question: these authors, these days.
            models.UniqueConstraint(fields=["author", "day"], name="insights_followup_day_key")
        ]
        indexes = [
            # The company's question (every author, these days), from the index alone.
            models.Index(fields=["day", "author", "count"], name="insights_followup_day_all")
        ]
        verbose_name = _("follow-ups per day")
        verbose_name_plural = _("follow-ups per day")

    def __str__(self):
        return f"{self.author_id}/{self.day}: {self.count}"
