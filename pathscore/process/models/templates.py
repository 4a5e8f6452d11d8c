from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.process.choices import DeductionKind, DueRule, ReviewerRole, VersionStatus


class CompanyWideQuerySet(ScopedQuerySet):
    """Process configuration is company vocabulary: every signed-in user reads it."""

    def scope_filter(self, scope: Scope) -> Q:
        return Q()


class ProcessTemplate(BaseModel):
    """A named process (e.g. the standard power-service process) with numbered versions.

    A template may be limited to customer types and project categories; the most specific
    matching template is proposed for a new project.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    customer_types = models.ManyToManyField(
        "core.Option",
        verbose_name=_("customer types"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "customer_type"},
    )
    categories = models.ManyToManyField(
        "core.Option",
        verbose_name=_("project categories"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "project_category"},
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("process template")
        verbose_name_plural = _("process templates")

    def __str__(self):
        return self.name


class TemplateVersion(BaseModel):
    """One version of a template. Published versions are frozen: editing makes a new draft,
    and running projects stay on the version they started with unless migrated."""

    template = models.ForeignKey(
        ProcessTemplate,
        verbose_name=_("template"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    note = models.CharField(_("change note"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="process_version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="published"),
                name="process_one_published_version",
            ),
        ]
        verbose_name = _("template version")
        verbose_name_plural = _("template versions")

    def __str__(self):
        return f"{self.template} v{self.number}"


class NodeDefinition(models.Model):
    """A key node of a template version with its completion standard and rules.

    The completion standard is declared as data: ``fields`` is a list of
    ``{"name", "label", "type", "required", "choices"}``, ``checklist`` a list of item
    texts, ``required_document_kinds`` a list of ``crm.DocumentKind`` values.
    """

    version = models.ForeignKey(
        TemplateVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="nodes"
    )
    order = models.PositiveIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    guidance = models.TextField(_("guidance"), blank=True)
    fields = models.JSONField(_("required fields"), default=list, blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    required_document_kinds = models.JSONField(
        _("required document kinds"), default=list, blank=True
    )
    deliverable_templates = models.JSONField(_("deliverable templates"), default=list, blank=True)
    due_rule = models.CharField(
        _("due rule"), max_length=20, choices=DueRule.choices, default=DueRule.AFTER_PREVIOUS
    )
    due_days = models.PositiveIntegerField(_("due in days"), default=14)
    due_date = models.DateField(_("fixed due date"), null=True, blank=True)
    base_score = models.DecimalField(
        _("base score"), max_digits=6, decimal_places=2, default=Decimal("10")
    )
    reviewer_role = models.CharField(
        _("reviewer"), max_length=24, choices=ReviewerRole.choices, default=ReviewerRole.MANAGER
    )
    deduction_kind = models.CharField(
        _("delay deduction"),
        max_length=16,
        choices=DeductionKind.choices,
        default=DeductionKind.PER_DAY,
    )
    deduction_per_day = models.DecimalField(
        _("points per day late"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    deduction_cap = models.DecimalField(
        _("deduction cap"), max_digits=6, decimal_places=2, default=Decimal("5")
    )
    deduction_bands = models.JSONField(_("deduction bands"), default=list, blank=True)
    stall_days = models.PositiveIntegerField(_("stall threshold (days)"), default=30)
    reminder_days = models.JSONField(_("remind days before"), default=list, blank=True)
    escalate_after_days = models.PositiveIntegerField(_("escalate after days overdue"), default=3)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["version_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="process_node_unique_code"),
            models.UniqueConstraint(fields=["version", "order"], name="process_node_unique_order"),
        ]
        verbose_name = _("node definition")
        verbose_name_plural = _("node definitions")

    def __str__(self):
        return self.name
