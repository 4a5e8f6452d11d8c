"""Helpers for the import tests: workbooks built with openpyxl, imports run end to end.

``xlsx(headers, rows)`` builds a real .xlsx in memory; ``run_import`` uploads it through the
service, lets the check job run (jobs run inline in the tests), and optionally confirms it
so the write job runs too.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from pathscore.transfer import services
from pathscore.transfer.models import ImportBatch

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(headers, rows, *, sheet="Sheet1", extra_sheets=()) -> bytes:
    """An .xlsx workbook with one data sheet (``headers`` then ``rows``)."""
    workbook = Workbook()
    data = workbook.active
    data.title = sheet
    data.append(list(headers))
    for row in rows:
        data.append(list(row))
    for name in extra_sheets:
        workbook.create_sheet(name)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload_file(content: bytes, name: str = "导入.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX_TYPE)


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """``run_import(actor, entity, content, commit=True)`` → the batch after its jobs."""

    def _run(actor, entity, content, *, commit=True, name="导入.xlsx", language="en"):
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_upload(
                actor=actor, entity=entity, file=upload_file(content, name), language=language
            )
        batch.refresh_from_db()
        if commit and batch.can_commit:
            with django_capture_on_commit_callbacks(execute=True):
                services.batch_commit(batch=batch, actor=actor)
            batch.refresh_from_db()
        return batch

    return _run


def problems(batch: ImportBatch) -> list[tuple]:
    """(row, column, message) of every problem the batch recorded."""
    return [(p["row"], p["column"], p["message"]) for p in batch.errors]


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English (the batches of these tests are uploaded in it)."""
    from django.utils import translation

    with translation.override("en"):
        yield
