import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.crm.choices import DocumentKind


class DocumentQuerySet(ScopedQuerySet):
    """Whoever sees the project sees its documents; an uploader keeps seeing what they
    uploaded after the project is handed over."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Project

        uploaded = DocumentVersion.objects.filter(uploaded_by_id=scope.user_id).values(
            "document_id"
        )
        return Q(project_id__in=Project.objects.visible_in(scope).values("pk")) | Q(pk__in=uploaded)


class Document(BaseModel):
    """A document on a project (requirement report, proposal, quotation…) with versions."""

    project = models.ForeignKey(
        "crm.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=150)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    version_count = models.PositiveIntegerField(_("versions"), default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["version_count"])
    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "kind", "title"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("crm:document-detail", args=[self.pk])

    @property
    def revision_count(self) -> int:
        """Revisions after the first version (V1 is not a revision)."""
        return max(self.version_count - 1, 0)


def _version_path(instance, filename):
    # Never the user's file name: a generated one, sharded by project.
    return f"documents/{instance.document.project_id}/{uuid.uuid4().hex}"


class DocumentVersionQuerySet(ScopedQuerySet):
    """Whoever sees the project sees every version of its documents; after a hand-over
    the previous owner keeps the versions they uploaded, not those uploaded since."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Project

        return Q(document__project_id__in=Project.objects.visible_in(scope).values("pk")) | Q(
            uploaded_by_id=scope.user_id
        )


class DocumentVersion(models.Model):
    """One uploaded version (V1, V2, …) with its change note and the customer's feedback."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=_version_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    customer_feedback = models.TextField(_("customer feedback"), blank=True)
    feedback_on = models.DateField(_("feedback given on"), null=True, blank=True)
    feedback_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("feedback recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="crm_version_unique_number")
        ]
        indexes = [
            # The proposal-revision indicator counts a person's uploads of a period: both
            # in one index, not an intersection of two.
            models.Index(fields=["uploaded_by", "uploaded_at"], name="crm_version_uploader_time"),
        ]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")

    def __str__(self):
        return f"{self.document} V{self.number}"

    @property
    def label(self) -> str:
        return f"V{self.number}"

    def get_download_url(self):
        return reverse("crm:version-download", args=[self.pk])
