from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.process.choices import NodeState, SubmissionState


class ProjectScopedQuerySet(ScopedQuerySet):
    """Rows that belong to a project are visible exactly when the project is; the person
    who did the work (submitted, reviewed) keeps seeing it (credit follows the doer)."""

    doer_fields: tuple[str, ...] = ()

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Project

        q = Q(project_id__in=Project.objects.visible_in(scope).values("pk"))
        for name in self.doer_fields:
            q |= Q(**{name: scope.user_id})
        return q


class ProjectProcess(BaseModel):
    """The process a project follows: its pinned template version and current node."""

    project = models.OneToOneField(
        "crm.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="process"
    )
    version = models.ForeignKey(
        "process.TemplateVersion",
        verbose_name=_("template version"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    current_node = models.ForeignKey(
        "process.NodeInstance",
        verbose_name=_("current node"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: When the current node became current, for stall detection.
    current_since = models.DateField(_("current node since"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("project process")
        verbose_name_plural = _("project processes")

    def __str__(self):
        return f"{self.project} · {self.version}"


class NodeInstanceQuerySet(ProjectScopedQuerySet):
    doer_fields = ("submitted_by_id",)


class NodeInstance(BaseModel):
    """A node on a particular project, with its dates, state, submission and score."""

    project = models.ForeignKey(
        "crm.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="nodes"
    )
    definition = models.ForeignKey(
        "process.NodeDefinition",
        verbose_name=_("node"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    order = models.PositiveIntegerField(_("order"))
    state = models.CharField(
        _("state"), max_length=16, choices=NodeState.choices, default=NodeState.NOT_STARTED
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    planned_due = models.DateField(_("due"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: Whom the node counts for: the submitter, or (never submitted) the project's current
    #: owner. Stored so the indicators can filter it through an index; kept equal to that
    #: rule by the services that change either input, checked and repaired daily by
    #: ``process.credit``.
    credited_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credited to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    days_late = models.PositiveIntegerField(_("days late"), default=0)
    quality_score = models.DecimalField(
        _("quality score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score = models.DecimalField(
        _("node score"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    score_explanation = models.JSONField(_("score explanation"), default=dict, blank=True)
    skip_reason = models.CharField(_("skip reason"), max_length=300, blank=True)
    #: Optimistic lock: every state change bumps it, so two reviewers cannot both win.
    revision = models.PositiveIntegerField(default=0, editable=False)

    # The credited person is derived from other rows: history keeps the inputs only.
    history = HistoricalRecords(excluded_fields=["revision", "credited_to"])
    objects = NodeInstanceQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "order"], name="process_instance_unique_order"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "planned_due"], name="process_instance_due"),
            models.Index(fields=["submitted_by", "completed_on"], name="process_instance_doer"),
            # The on-time rate: a submitter's nodes submitted in a period, with the state and
            # the lateness it counts, so the index alone answers it (docs/benchmarks.md).
            models.Index(
                fields=["submitted_by", "submitted_at", "state", "days_late"],
                name="process_instance_on_time",
            ),
            # The completion rate: a person's nodes due in a period.
            models.Index(fields=["credited_to", "planned_due"], name="process_instance_credit_due"),
            # The stage conversion: a person's approved from-nodes (covering: the project
            # is read from the index) …
            models.Index(
                fields=["credited_to", "definition", "state", "completed_on", "project"],
                name="process_instance_credit_done",
            ),
            # … and, per from-node, whether the project's to-node was approved by a day.
            models.Index(
                fields=["project", "definition", "state", "completed_on"],
                name="process_instance_reached",
            ),
        ]
        verbose_name = _("node instance")
        verbose_name_plural = _("node instances")

    def __str__(self):
        return f"{self.project} · {self.definition.name}"


class SubmissionQuerySet(ProjectScopedQuerySet):
    doer_fields = ("submitted_by_id", "reviewed_by_id")


class Submission(models.Model):
    """One delivery of a node's deliverable and its review (approve with a quality score,
    or return with a reason)."""

    node = models.ForeignKey(
        NodeInstance, verbose_name=_("node"), on_delete=models.CASCADE, related_name="submissions"
    )
    project = models.ForeignKey("crm.Project", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("attempt"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    data = models.JSONField(_("fields"), default=dict, blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    documents = models.ManyToManyField(
        "crm.DocumentVersion", verbose_name=_("attachments"), blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=SubmissionState.choices, default=SubmissionState.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    quality_score = models.DecimalField(
        _("quality score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    comment = models.TextField(_("review comment"), blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["node_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["node", "number"], name="process_submission_unique_number"
            ),
        ]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self):
        return f"{self.node} #{self.number}"
