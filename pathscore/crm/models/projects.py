from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel, Revisioned
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.crm.choices import ProjectStatus


class ProjectQuerySet(ScopedQuerySet):
    """Owner, the owner's managers, HR and executives (and, via process, the technical
    team working on it) see a project."""

    def active(self):
        return self.filter(status=ProjectStatus.ACTIVE)


class Project(Revisioned, BaseModel):
    """One sales opportunity (项目/商机) with one customer, owned by one salesperson."""

    name = models.CharField(_("name"), max_length=150)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    category = models.ForeignKey(
        "core.Option",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "project_category"},
    )
    estimated_amount = models.DecimalField(
        _("estimated amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    expected_sign_date = models.DateField(_("expected signing date"), null=True, blank=True)
    started_on = models.DateField(_("started on"))
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    status_reason = models.CharField(
        _("reason"),
        max_length=300,
        blank=True,
        help_text=_("Why the project was lost or paused."),
    )
    signed_amount = models.DecimalField(
        _("signed amount (CNY)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    #: Whom a signed contract counts for: who recorded the "signed" milestone, else the
    #: current owner. Stored so "contracts signed" reads it through an index; kept equal
    #: to that rule by the services that record milestones and hand projects over.
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    description = models.TextField(_("description"), blank=True)
    #: The project's number in another system (ERP, a migration file): importing a row with
    #: the same code again updates this project instead of creating a second one.
    external_code = models.CharField(_("external code"), max_length=40, blank=True, default="")

    # The signer is derived from other rows: history keeps the inputs, not the copy.
    history = HistoricalRecords(excluded_fields=["revision", "signed_by"])
    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="crm_project_owner_status"),
            models.Index(fields=["status", "expected_sign_date"], name="crm_project_status_date"),
            models.Index(fields=["signed_by", "signed_on"], name="crm_project_signed_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_code"],
                condition=~Q(external_code=""),
                name="crm_project_unique_external_code",
            )
        ]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:project-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (ProjectStatus.ACTIVE, ProjectStatus.PAUSED)


class ProjectHandoverQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(project_id__in=Project.objects.visible_in(scope).values("pk")) | Q(
            from_owner_id=scope.user_id
        )


class ProjectHandover(models.Model):
    """A project handed from one owner to another, by a manager, with a reason."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="handovers"
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=300)

    objects = ProjectHandoverQuerySet.as_manager()

    class Meta:
        ordering = ["-handed_over_at", "-id"]
        verbose_name = _("project hand-over")
        verbose_name_plural = _("project hand-overs")

    def __str__(self):
        return f"{self.project} {self.from_owner} → {self.to_owner}"
