from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel, Revisioned
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.crm.choices import MilestoneKind, TermState, TermTopic


class ProjectChildQuerySet(ScopedQuerySet):
    """Rows that hang on a project are visible exactly when the project is."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Project

        return Q(project_id__in=Project.objects.visible_in(scope).values("pk"))


class ContractTerm(Revisioned, BaseModel):
    """A contract term under negotiation (price, payment, warranty…) and its state."""

    project = models.ForeignKey(
        "crm.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="terms"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=TermTopic.choices)
    description = models.CharField(_("term"), max_length=300)
    state = models.CharField(
        _("state"), max_length=16, choices=TermState.choices, default=TermState.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["revision"])
    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "topic", "pk"]
        verbose_name = _("contract term")
        verbose_name_plural = _("contract terms")

    def __str__(self):
        return f"{self.get_topic_display()}: {self.description}"


class ContractMilestone(BaseModel):
    """A milestone after the terms are agreed: our review, the customer's legal review,
    review passed awaiting signature, signed — each reached on a date."""

    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    kind = models.CharField(_("milestone"), max_length=32, choices=MilestoneKind.choices)
    reached_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = ProjectChildQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "reached_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="crm_milestone_unique_kind")
        ]
        verbose_name = _("contract milestone")
        verbose_name_plural = _("contract milestones")

    def __str__(self):
        return f"{self.get_kind_display()} {self.reached_on}"
