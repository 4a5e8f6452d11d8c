"""Reports as .xlsx workbooks: written row by row (``core.xlsx``) to a temporary file
that is then streamed.

Every sheet opens with what it is — the report's name, the filters, when and by whom it was
exported — then the table. Every cell goes through ``core.export.neutralise``, so a
customer name starting with ``=`` stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.export import neutralise, sheets_response


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: Iterable[list]
    #: Lines between the heading and the table that only this report has.
    preamble: list[list] = field(default_factory=list)


def report_workbook(*, title: str, described: list[str], viewer, sheets: list[Sheet], filename):
    """A workbook of ``sheets`` as an attachment named ``filename``.xlsx."""
    exported = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def lines(sheet: Sheet):
        yield [neutralise(title)]
        yield [_("Filters"), neutralise(" · ".join(described))]
        yield [_("Exported at"), exported, _("by"), neutralise(viewer.name)]
        for line in sheet.preamble:
            yield [neutralise(cell) for cell in line]
        yield []
        yield [neutralise(label) for label in sheet.header]
        for row in sheet.rows:
            yield [neutralise(cell) for cell in row]

    return sheets_response([(sheet.title, lines(sheet)) for sheet in sheets], filename)
