from django.db import models
from django.utils.translation import gettext_lazy as _

from pathscore.process.models.templates import CompanyWideQuerySet


class StallThreshold(models.Model):
    """How long projects of one customer type usually stay at a node, learned from history.

    ``days`` is the 75th percentile of the days approved nodes with this code spent between
    starting and approval, on projects whose customer has this type; a row exists only where
    at least ``MIN_SAMPLES`` such nodes were found (see ``process/stalls.py``). A daily job
    recomputes every row.
    """

    node_code = models.SlugField(_("node code"), max_length=40)
    customer_type = models.ForeignKey(
        "core.Option",
        verbose_name=_("customer type"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "customer_type"},
    )
    days = models.PositiveIntegerField(_("75th percentile (days)"))
    samples = models.PositiveIntegerField(_("samples"))
    computed_at = models.DateTimeField(_("computed at"))

    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["node_code", "customer_type_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["node_code", "customer_type"], name="process_stall_threshold_unique"
            ),
        ]
        verbose_name = _("learned stall threshold")
        verbose_name_plural = _("learned stall thresholds")

    def __str__(self):
        return f"{self.node_code} · {self.customer_type}: {self.days}"
