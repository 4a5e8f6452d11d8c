"""Writes of the import: upload a file, check it (a job), confirm it, write it (a job).

The upload is checked by content and stored under a generated name; the check and the
write run as Huey jobs so a file of fifty thousand rows never holds a web request. Each job
claims its batch with a conditional UPDATE first, so a job run twice (or on two workers)
does its work once.
"""

from __future__ import annotations

import logging
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pathscore.core.jobs import claim
from pathscore.core.scoping import scope_for
from pathscore.crm.uploads import OLE2_MAGIC, ZIP_MAGIC, CheckedFile, check_upload
from pathscore.org.models import User
from pathscore.transfer import engine, progress
from pathscore.transfer.choices import ImportEntity, ImportStatus
from pathscore.transfer.models import ImportBatch
from pathscore.transfer.pipelines import get_pipeline

logger = logging.getLogger(__name__)


def _archive_names(upload) -> list[str] | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)


def _is_workbook(names: list[str]) -> bool:
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def check_workbook(upload) -> CheckedFile:
    """Accept an Excel workbook (.xlsx) only, judged by its content: an old .xls, a CSV, a
    renamed program or another Office document is refused with a message saying what to do."""
    if upload.size == 0 or upload.size > settings.UPLOAD_MAX_BYTES:
        check_upload(upload)  # says "empty" or names the size limit
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(OLE2_MAGIC):
        raise ValidationError(
            _(
                "This is an old Excel file (.xls): open it in Excel and save it as an Excel "
                "workbook (.xlsx)."
            )
        )
    not_one = _("Only Excel workbooks (.xlsx) can be imported; this file is not one.")
    if not head.startswith(ZIP_MAGIC):
        raise ValidationError(not_one)
    try:
        checked = check_upload(upload)
    except ValidationError:
        names = _archive_names(upload)
        if names is not None and not _is_workbook(names):
            raise ValidationError(not_one) from None
        raise  # damaged, or it unpacks to an implausible size
    if checked.extension != "xlsx":
        raise ValidationError(
            _("Only Excel workbooks (.xlsx) can be imported; this is a .%(kind)s document.")
            % {"kind": checked.extension}
        )
    return checked


@transaction.atomic
def batch_upload(*, actor: User, entity: str, file, language: str = "zh-hans") -> ImportBatch:
    """Store a workbook to import ``entity`` from; its rows are checked by a job after commit.

    Refused (nothing stored) when the actor may not import these records or the file is not
    an .xlsx workbook.
    """
    if entity not in ImportEntity.values:
        raise ValidationError({"entity": _("Choose what the file imports.")})
    pipeline = get_pipeline(entity)
    if not pipeline.allowed(scope_for(actor)):
        raise ValidationError({"entity": _("You may not import these records.")})
    try:
        checked = check_workbook(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    batch = ImportBatch(
        entity=entity,
        original_name=checked.original_name,
        size=checked.size,
        sha256=checked.sha256,
        language=language,
        created_by=actor,
    )
    batch.file.save(checked.original_name, file, save=False)
    stored = batch.file.name
    try:
        batch.save()
    except Exception:
        batch.file.storage.delete(stored)
        raise
    batch_id = batch.pk
    transaction.on_commit(lambda: _queue("batch_check", batch_id))
    return batch


def _queue(task_name: str, batch_id: int) -> None:
    from pathscore.transfer import tasks

    getattr(tasks, task_name)(batch_id)


@transaction.atomic
def batch_commit(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Confirm a checked file: its rows are written by a job, all of them or none."""
    if batch.created_by_id != actor.pk:
        raise ValidationError(_("Only the person who uploaded the file can import it."))
    if not get_pipeline(batch.entity).allowed(scope_for(actor)):
        raise ValidationError(_("You may not import these records."))
    if batch.to_create + batch.to_update == 0 and batch.status == ImportStatus.VALIDATED:
        raise ValidationError(_("Every row matches what is stored: there is nothing to import."))
    won = claim(
        ImportBatch.objects.all(),
        batch.pk,
        where={"status": ImportStatus.VALIDATED},
        values={
            "status": ImportStatus.COMMITTING,
            "processed_rows": 0,
            "updated_at": timezone.now(),
        },
    )
    if not won:
        batch.refresh_from_db()
        raise ValidationError(
            _("This file cannot be imported now: it is %(status)s.")
            % {"status": batch.get_status_display()}
        )
    batch.refresh_from_db()
    batch_id = batch.pk
    transaction.on_commit(lambda: _queue("batch_write", batch_id))
    return batch


# --- The jobs -------------------------------------------------------------------------------


def _claim_job(batch_id: int, status: str, *, next_status: str | None = None) -> ImportBatch | None:
    values = {"job_started_at": timezone.now(), "processed_rows": 0}
    if next_status:
        values["status"] = next_status
    won = claim(
        ImportBatch.objects.all(),
        batch_id,
        where={"status": status, "job_started_at__isnull": True},
        values=values,
    )
    if not won:
        return None
    return ImportBatch.objects.select_related("created_by").get(pk=batch_id)


def _reporter(batch_id: int):
    def report(done: int, total: int | None = None) -> None:
        values = {"processed_rows": done}
        if total:
            values["total_rows"] = total
        # Outside any transaction: the batch page sees it at once.
        ImportBatch.objects.filter(pk=batch_id).update(**values)

    return report


def _problems(ctx) -> list[dict]:
    return [problem.as_dict() for problem in ctx.sorted_problems()]


def _check(batch: ImportBatch, ctx) -> engine.Checked:
    with batch.file.open("rb") as handle:
        return engine.check(ctx, handle, progress=_reporter(batch.pk))


def batch_check(*, batch_id: int) -> str | None:
    """The check job: read and check every row, store the problems, counts and preview.

    Writes nothing but the batch. Returns the new status (None if another run has it).
    """
    batch = _claim_job(batch_id, ImportStatus.UPLOADED, next_status=ImportStatus.VALIDATING)
    if batch is None:
        return None
    pipeline = get_pipeline(batch.entity)
    ctx = engine.ImportContext(
        actor=batch.created_by, pipeline=pipeline, max_problems=ImportBatch.MAX_STORED_ERRORS
    )
    checked = engine.Checked()
    with translation.override(batch.language):
        try:
            if not pipeline.allowed(scope_for(batch.created_by)):
                ctx.file_problem(_("You may not import these records."))
            else:
                checked = _check(batch, ctx)
        except Exception:
            logger.exception("checking import %s failed", batch_id)
            ctx.file_problem(_("The file could not be checked because of an internal error."))
    status = ImportStatus.INVALID if ctx.problem_count else ImportStatus.VALIDATED
    ImportBatch.objects.filter(pk=batch_id).update(
        status=status,
        total_rows=checked.total_rows,
        processed_rows=checked.total_rows,
        to_create=checked.counts.get("create", 0),
        to_update=checked.counts.get("update", 0),
        unchanged=checked.counts.get("unchanged", 0),
        error_count=ctx.problem_count,
        errors=_problems(ctx),
        preview=checked.preview,
        validated_at=timezone.now(),
        job_started_at=None,
        updated_at=timezone.now(),
    )
    return status


def batch_write(*, batch_id: int) -> str | None:
    """The write job: check the file again (the records may have changed since), then write
    every row in one transaction as the uploader, or nothing if a single row is refused."""
    batch = _claim_job(batch_id, ImportStatus.COMMITTING)
    if batch is None:
        return None
    pipeline = get_pipeline(batch.entity)
    actor = batch.created_by
    ctx = engine.ImportContext(
        actor=actor, pipeline=pipeline, max_problems=ImportBatch.MAX_STORED_ERRORS
    )
    checked = engine.Checked()
    written = False
    with translation.override(batch.language):
        try:
            if not pipeline.allowed(scope_for(actor)):
                ctx.file_problem(_("You may not import these records."))
            else:
                checked = _check(batch, ctx)
            if not ctx.problem_count:
                written = engine.write(
                    ctx,
                    checked.plans,
                    progress=lambda done: progress.report_written(batch_id, done),
                )
        except Exception:
            logger.exception("importing %s failed", batch_id)
            ctx.file_problem(
                _("The import stopped because of an internal error; nothing was saved.")
            )
            written = False
    progress.clear(batch_id)
    now = timezone.now()
    values = {
        "total_rows": checked.total_rows,
        "processed_rows": checked.total_rows,
        "to_create": checked.counts.get("create", 0),
        "to_update": checked.counts.get("update", 0),
        "unchanged": checked.counts.get("unchanged", 0),
        "job_started_at": None,
        "updated_at": now,
    }
    if written:
        values.update(status=ImportStatus.COMMITTED, committed_at=now, result=ctx.result)
    else:
        values.update(
            status=ImportStatus.FAILED, error_count=ctx.problem_count, errors=_problems(ctx)
        )
    ImportBatch.objects.filter(pk=batch_id).update(**values)
    return values["status"]
