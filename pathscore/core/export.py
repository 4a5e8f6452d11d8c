"""Export any :class:`~pathscore.core.tables.Table` to .xlsx or .csv, streamed.

Cells that a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return) are prefixed with an apostrophe so an exported customer name can never run.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Make a cell value safe and plain for a spreadsheet."""
    if value is None:
        return ""
    if hasattr(value, "all"):
        value = ", ".join(str(v) for v in value.all())
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def table_rows(table_class, rows: Iterable) -> Iterator[list]:
    columns = table_class.columns
    yield [str(c.label) for c in columns]
    for row in rows:
        yield [neutralise(c.value(row)) for c in columns]


class _Echo:
    def write(self, value):
        return value


def csv_response(table_class, rows: Iterable, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    # The rows are written while the response streams, after the middleware has switched
    # off the viewer's language and time zone; keep them for the headers and the times.
    language = translation.get_language()
    zone = timezone.get_current_timezone()

    def generate():
        with translation.override(language), timezone.override(zone):
            yield "\ufeff"  # a BOM so Excel reads the Chinese text as UTF-8
            for line in table_rows(table_class, rows):
                yield writer.writerow(line)

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(table_class, rows: Iterable, filename: str, sheet: str = "Sheet1"):
    """Write with openpyxl's write-only mode (constant memory) to a temporary file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    for line in table_rows(table_class, rows):
        worksheet.append(line)
    return workbook_response(workbook, filename)


def workbook_response(workbook, filename: str) -> FileResponse:
    """Send a (write-only) openpyxl workbook as an .xlsx attachment, streamed from a
    temporary file so memory stays flat however many rows it holds."""
    # FileResponse closes (and so deletes) the temporary file once it has been sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_bytes_csv(table_class, rows: Iterable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table_rows(table_class, rows):
        writer.writerow(line)
    return buffer.getvalue().encode()
