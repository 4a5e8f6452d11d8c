import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pathscore.core.choices import Role
from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet
from pathscore.transfer.choices import RUNNING_STATUSES, ImportEntity, ImportStatus


class ImportBatchQuerySet(ScopedQuerySet):
    """An import is its uploader's own work; a system admin sees every import."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.has_role(Role.SYSTEM_ADMIN):
            return Q()
        return Q(created_by_id=scope.user_id)


def _batch_path(instance, filename):
    # Never the user's file name: a generated one, by month.
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportBatch(BaseModel):
    """One uploaded Excel file importing one kind of record, from upload to commit.

    The file is checked and stored under a generated name; a job validates every row
    (``errors`` keeps each problem with its row and column, ``preview`` the first rows to
    be written) and, once its uploader confirms, writes all rows in one transaction or
    none. ``processed_rows`` is the job's progress, updated every few hundred rows.
    """

    #: At most this many problems are kept; ``error_count`` has them all.
    MAX_STORED_ERRORS = 500
    #: A job not done after this long has stopped (the largest file takes minutes).
    STALLED_AFTER = timedelta(hours=1)

    entity = models.CharField(_("records"), max_length=20, choices=ImportEntity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    file = models.FileField(_("file"), upload_to=_batch_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    #: The language the uploader used: row messages are written in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    to_create = models.PositiveIntegerField(_("new"), default=0)
    to_update = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    #: [{"row": 7, "column": "客户", "message": "…"}]; row and column are null for a
    #: problem with the whole file.
    errors = models.JSONField(_("problems"), default=list, blank=True)
    #: {"columns": [...], "rows": [{"row": 2, "action": "create", "values": [...]}]}
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    #: What the commit did, e.g. the accounts created without a password.
    result = models.JSONField(_("result"), default=dict, blank=True)
    #: Set while a job works on the batch: the job claims the batch by setting it.
    job_started_at = models.DateTimeField(_("job started at"), null=True, blank=True)
    validated_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "created_at"], name="transfer_batch_owner")]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.get_entity_display()} · {self.original_name}"

    def get_absolute_url(self):
        return reverse("transfer:batch-detail", args=[self.pk])

    @property
    def status_css(self) -> str:
        """The Bootstrap colour of the status badge."""
        return {
            ImportStatus.VALIDATED: "primary",
            ImportStatus.INVALID: "danger",
            ImportStatus.COMMITTED: "success",
            ImportStatus.FAILED: "danger",
        }.get(self.status, "info")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Waiting or working far longer than any file takes: the worker stopped (or none
        runs), so the page stops polling and says so."""
        if self.status not in RUNNING_STATUSES:
            return False
        since = self.job_started_at or self.updated_at or self.created_at
        return since is not None and timezone.now() - since > self.STALLED_AFTER

    @property
    def can_commit(self) -> bool:
        return self.status == ImportStatus.VALIDATED and (self.to_create + self.to_update) > 0

    @property
    def errors_left_out(self) -> int:
        return max(self.error_count - len(self.errors), 0)
