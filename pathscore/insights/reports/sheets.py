"""Reports as .xlsx workbooks: openpyxl's write-only mode, streamed from a temporary file.

Every sheet opens with what it is — the report's name, the filters, when and by whom it was
exported — then the table. Every cell goes through ``core.export.neutralise``, so a
customer name starting with ``=`` stays text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from pathscore.core.export import neutralise, workbook_response


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: Iterable[list]
    #: Lines between the heading and the table that only this report has.
    preamble: list[list] = field(default_factory=list)


def report_workbook(*, title: str, described: list[str], viewer, sheets: list[Sheet], filename):
    """A workbook of ``sheets`` as an attachment named ``filename``.xlsx."""
    workbook = Workbook(write_only=True)
    exported = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    for sheet in sheets:
        worksheet = workbook.create_sheet(title=sheet.title[:31])
        worksheet.append([neutralise(title)])
        worksheet.append([_("Filters"), neutralise(" · ".join(described))])
        worksheet.append([_("Exported at"), exported, _("by"), neutralise(viewer.name)])
        for line in sheet.preamble:
            worksheet.append([neutralise(cell) for cell in line])
        worksheet.append([])
        worksheet.append([neutralise(label) for label in sheet.header])
        for row in sheet.rows:
            worksheet.append([neutralise(cell) for cell in row])
    return workbook_response(workbook, filename)
