"""Reading an uploaded workbook: the right sheet, its header row, then its rows, streamed.

openpyxl's read-only mode parses the sheet as it is read, so memory stays flat however
many rows there are. Problems with the whole file (not a workbook, the wrong sheet, a
required column missing) stop here with one message saying what to do.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from pathscore.transfer.pipelines.base import Column, Pipeline, normalise_header

#: Sheets of the template that hold no data.
INSTRUCTIONS_SHEETS = {"说明", "instructions", "选项", "lists"}
#: How far down a header row may sit (a title row above it is tolerated).
HEADER_SEARCH_ROWS = 5


class FileProblem(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class SheetColumn:
    column: Column
    index: int  # 0-based position in the row
    header: str  # as written in the file

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class OpenSheet:
    workbook: object
    worksheet: object
    name: str
    header_row: int
    columns: list[SheetColumn]

    @property
    def estimated_rows(self) -> int:
        """The sheet's own idea of its size (for the progress bar; may be rough)."""
        try:
            return max((self.worksheet.max_row or 0) - self.header_row, 0)
        except Exception:  # a sheet without a dimension record
            return 0

    def rows(self) -> Iterator[tuple[int, tuple]]:
        """(row number as Excel shows it, cell values) for every row under the header."""
        first = self.header_row + 1
        width = max(c.index for c in self.columns) + 1
        for offset, values in enumerate(
            self.worksheet.iter_rows(min_row=first, max_col=width, values_only=True)
        ):
            yield first + offset, values

    def close(self) -> None:
        self.workbook.close()


def open_sheet(handle, pipeline: Pipeline, other_sheets: dict[str, str]) -> OpenSheet:
    """Open ``handle`` (a binary file) and find ``pipeline``'s sheet and columns.

    ``other_sheets`` maps other pipelines' sheet names to their labels, so a file made
    from another template is recognised and named.
    """
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise FileProblem(
            _("The file cannot be read as an Excel workbook (.xlsx): save it again in Excel.")
        ) from None
    try:
        return _find_sheet(workbook, pipeline, other_sheets)
    except FileProblem:
        workbook.close()
        raise


def _find_sheet(workbook, pipeline: Pipeline, other_sheets: dict[str, str]) -> OpenSheet:
    names = list(workbook.sheetnames)
    wanted = {pipeline.sheet.casefold(), pipeline.sheet_en.casefold()}
    chosen = next((n for n in names if n.strip().casefold() in wanted), None)
    if chosen is None:
        foreign = next(
            (
                other_sheets[n.strip().casefold()]
                for n in names
                if n.strip().casefold() in other_sheets
            ),
            None,
        )
        if foreign is not None:
            raise FileProblem(
                _(
                    "This file is for importing %(found)s, not %(expected)s: download the "
                    "template for %(expected)s, or choose %(found)s when uploading."
                )
                % {"found": foreign, "expected": pipeline.label}
            )
        data_sheets = [n for n in names if n.strip().casefold() not in INSTRUCTIONS_SHEETS]
        if not data_sheets:
            raise FileProblem(
                _("The workbook has no sheet named “%(sheet)s”.") % {"sheet": pipeline.sheet}
            )
        chosen = data_sheets[0]
    worksheet = workbook[chosen]
    header_row, columns = _find_header(worksheet, pipeline)
    missing = [c.header for c in pipeline.columns if c.required and c.key not in columns]
    if header_row is None or missing:
        if header_row is None:
            missing = [c.header for c in pipeline.columns if c.required]
        raise FileProblem(
            _(
                "The sheet “%(sheet)s” lacks the required columns %(columns)s: use the "
                "template for %(entity)s."
            )
            % {"sheet": chosen, "columns": "、".join(missing), "entity": pipeline.label}
        )
    return OpenSheet(
        workbook=workbook,
        worksheet=worksheet,
        name=chosen,
        header_row=header_row,
        columns=sorted(columns.values(), key=lambda c: c.index),
    )


def _find_header(worksheet, pipeline: Pipeline):
    known = {}
    for column in pipeline.columns:
        for key in column.header_keys():
            known[key] = column
    best_row, best = None, {}
    for number, values in enumerate(
        worksheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
    ):
        found: dict[str, SheetColumn] = {}
        for index, value in enumerate(values):
            column = known.get(normalise_header(value))
            if column is None:
                continue
            if column.key in found:
                raise FileProblem(
                    _("The column “%(column)s” appears twice in the header row.")
                    % {"column": str(value).strip()}
                )
            # Shown without the template's required-mark: "*客户名称" is 客户名称.
            header = str(value).strip().strip("*＊").strip()
            found[column.key] = SheetColumn(column=column, index=index, header=header)
        if len(found) > len(best):
            best_row, best = number, found
    return best_row, best
