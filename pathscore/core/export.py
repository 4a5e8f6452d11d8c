"""Export any :class:`~pathscore.core.tables.Table` to .xlsx or .csv, streamed.

Cells that a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return) are prefixed with an apostrophe so an exported customer name can never run.

A list's queryset is exported from ``values_list()`` tuples, batch by batch over one
cursor (server-side on PostgreSQL): no model instances, the joins the columns name, and
each to-many column (:class:`~pathscore.core.tables.Many`) read for a whole batch in one
query, so the queries do not grow with the rows and memory stays flat. A table whose
columns cannot all be read that way (a callable accessor without ``fields``) is exported
from model instances, as the HTML list shows them.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation

from pathscore.core.xlsx import write_xlsx

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Rows fetched and built per batch (one round of to-many queries each).
CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Make a cell value safe and plain for a spreadsheet."""
    if type(value) is str:
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
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


def _fast_neutraliser(zone):
    """:func:`neutralise` for the values a ``values_list()`` row holds, with the time
    zone looked up once per export instead of once per cell."""
    prefixes = FORMULA_PREFIXES

    def cell(value):
        kind = type(value)
        if kind is str:
            return "'" + value if value.startswith(prefixes) else value
        if value is None:
            return ""
        if kind is datetime.datetime and value.tzinfo is not None:
            return value.astimezone(zone).replace(tzinfo=None)
        return neutralise(value)

    return cell


def table_rows(table_class, rows: Iterable) -> Iterator[list]:
    """The header, then one list of neutralised cells per row.

    ``rows`` is a queryset (read as value tuples when the table allows it, else as model
    instances in batches) or any iterable of objects the columns can read.
    """
    yield [str(c.label) for c in table_class.columns]
    yield from table_body(table_class, rows)


def table_body(table_class, rows: Iterable) -> Iterator[list]:
    """:func:`table_rows` without the header."""
    columns = table_class.columns
    if isinstance(rows, QuerySet):
        plan = value_plan(table_class, rows)
        if plan is not None:
            yield from plan.rows()
            return
        # Django refuses iterator() after prefetch_related() without a chunk size.
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        yield [neutralise(c.value(row)) for c in columns]


class ValuePlan:
    """How a queryset's rows become export lines through ``values_list()``."""

    def __init__(self, queryset, paths: list[str], readers: list[Callable], manys: list):
        self.queryset = queryset
        self.paths = paths
        self.readers = readers
        self.manys = manys

    def rows(self) -> Iterator[list]:
        # Prefetches belong to instances; values rows have none.
        tuples = self.queryset.prefetch_related(None).values_list(*self.paths)
        tuples = tuples.iterator(chunk_size=CHUNK_SIZE)
        readers = self.readers
        cell = _fast_neutraliser(timezone.get_current_timezone())
        while True:
            batch = list(islice(tuples, CHUNK_SIZE))
            if not batch:
                return
            lists = [self._many(many, [row[0] for row in batch]) for many in self.manys]
            for row in batch:
                yield [cell(read(row, lists)) for read in readers]

    def _many(self, many, keys: list) -> dict:
        """``{row pk: joined text}`` for one to-many column over a batch of rows."""
        found: dict = {}
        for key, value in _many_pairs(self.queryset.model, many, keys):
            if value is not None:
                found.setdefault(key, []).append(str(value))
        return {key: many.separator.join(values) for key, values in found.items()}


def _many_pairs(model, many, keys: list):
    """``(row pk, value)`` pairs of a to-many column, in the column's order.

    Read from the related side (the many-to-many table, or the table holding the foreign
    key) so the rows' own table is not probed again for every batch."""
    relation = many.path.split("__", 1)[0]
    order = [*(many.order or (many.path,)), f"{relation}__pk"]
    field = model._meta.get_field(relation)
    if field.many_to_many and field.concrete:
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        base = field.remote_field.through._base_manager.filter(**{f"{source}_id__in": keys})
        key = f"{source}_id"

        def moved(path):
            return target + path[len(relation) :]

    elif field.one_to_many:
        remote = field.field
        base = field.related_model._base_manager.filter(**{f"{remote.attname}__in": keys})
        key = remote.attname

        def moved(path):
            return path[len(relation) + 2 :]

    else:
        base = model._base_manager.filter(pk__in=keys)
        key = "pk"

        def moved(path):
            return path

    return base.values_list(key, moved(many.path)).order_by(*(moved(p) for p in order))


def _field_reader(model, queryset, column):
    """``(paths, function)`` for a column with a plain field accessor, or None."""
    accessor = column.accessor or column.name
    if callable(accessor):
        return None
    parts = accessor.split("__")
    display = parts[-1].startswith("get_") and parts[-1].endswith("_display")
    if display:
        parts[-1] = parts[-1][len("get_") : -len("_display")]
    if len(parts) == 1 and parts[0] in queryset.query.annotations:
        return None if display else ((parts[0],), None)
    current, field = model, None
    for index, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if field.is_relation:
            # Only forward foreign keys are followed; the cell of a relation itself is
            # the object's text, which a value does not give.
            if last or not field.concrete or field.many_to_many:
                return None
            current = field.related_model
        elif not last:
            return None
    if not field.concrete:
        return None
    path = "__".join(parts)
    if display:
        if not field.choices:
            return None
        labels = {value: str(label) for value, label in field.flatchoices}
        return (path,), lambda value: labels.get(value, value)
    return (path,), None


def value_plan(table_class, queryset) -> ValuePlan | None:
    """A :class:`ValuePlan` for exporting ``queryset`` as ``table_class``, or None when
    a column can only be read from a model instance."""
    query = queryset.query
    if query.combinator or query.distinct_fields or query.extra:
        return None
    model = queryset.model
    paths = ["pk"]
    readers: list[Callable] = []
    manys = []
    for column in table_class.columns:
        if column.many is not None:
            readers.append(_many_reader(len(manys)))
            manys.append(column.many)
            continue
        if column.fields:
            fields, function = column.fields, column.export
        else:
            found = _field_reader(model, queryset, column)
            if found is None:
                return None
            fields, function = found
        readers.append(_tuple_reader(len(paths), len(fields), function))
        paths.extend(fields)
    try:
        queryset.values_list(*paths)
    except FieldError:
        return None
    return ValuePlan(queryset, paths, readers, manys)


def _many_reader(index: int):
    return lambda row, lists: lists[index].get(row[0], "")


def _tuple_reader(start: int, count: int, function):
    if function is None:
        return lambda row, lists: row[start]
    if count == 1:
        return lambda row, lists: function(row[start])
    end = start + count
    return lambda row, lists: function(*row[start:end])


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
    """Stream the rows into a temporary .xlsx file (:mod:`pathscore.core.xlsx`, constant
    memory) and send that file."""
    return sheets_response([(sheet, table_rows(table_class, rows))], filename)


def sheets_response(sheets: Iterable[tuple[str, Iterable[list]]], filename: str) -> FileResponse:
    """Send ``(title, rows)`` sheets of plain, neutralised values as an .xlsx attachment."""
    # FileResponse closes (and so deletes) the temporary file once it has been sent.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    write_xlsx(handle, sheets)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
    )


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
        content_type=XLSX_CONTENT_TYPE,
    )


def export_bytes_csv(table_class, rows: Iterable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table_rows(table_class, rows):
        writer.writerow(line)
    return buffer.getvalue().encode()
