"""Running a pipeline over a file: read and check every row, then write all rows or none.

``check`` streams the sheet, reads every cell by its column's kind, lets the pipeline load
its lookups in bulk and plan each row, and collects every problem with its row and column.
``write`` carries the plans out through the services inside one transaction, crediting
history to the importer; a single refused row rolls everything back.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pathscore.core.history import acting_as
from pathscore.core.scoping import scope_for
from pathscore.transfer.choices import RowAction
from pathscore.transfer.pipelines import sheet_labels
from pathscore.transfer.pipelines.base import (
    Kind,
    Plan,
    Row,
    RowProblem,
    RowProblems,
    as_text,
    choice_lookup,
    is_blank,
    parse_amount,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_integer,
    split_multi,
    validation_messages,
)
from pathscore.transfer.pipelines.lookups import OptionLists, People
from pathscore.transfer.reader import FileProblem, OpenSheet, open_sheet

logger = logging.getLogger(__name__)

#: A file may hold at most this many rows; bigger ones are split by the user.
MAX_ROWS = 100_000
#: How many rows the preview shows.
PREVIEW_ROWS = 20
#: Progress is saved every this many rows (one cheap UPDATE each time).
PROGRESS_EVERY = 500

Progress = Callable[..., None]


def _no_progress(done: int, total: int | None = None) -> None:
    pass


@dataclass
class Problem:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


class ImportContext:
    """What a pipeline's steps share: who imports, their scope and time zone, the lookups,
    the headers as the file wrote them, and the problems found so far."""

    def __init__(self, *, actor, pipeline, max_problems: int = 500):
        self.actor = actor
        self.scope = scope_for(actor)
        self.pipeline = pipeline
        try:
            self.zone = zoneinfo.ZoneInfo(actor.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            from django.utils import timezone

            self.zone = timezone.get_default_timezone()
        self.headers: dict[str, str] = {c.key: c.header for c in pipeline.columns}
        self.options = OptionLists([])
        self.people = People()
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.max_problems = max_problems
        #: Records the write step made, for later rows that refer to them.
        self.created: dict = {}
        #: What the commit reports back (e.g. accounts created without a password).
        self.result: dict = {}

    def header(self, key: str | None) -> str | None:
        return self.headers.get(key) if key else None

    def problem(self, row: int | None, column: str | None, message) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(Problem(row, self.header(column), str(message)))

    def file_problem(self, message) -> None:
        self.problem(None, None, message)

    def sorted_problems(self) -> list[Problem]:
        """The problems by row, then in the file's column order; the file's own first."""
        order = {header: index for index, header in enumerate(self.headers.values())}
        return sorted(
            self.problems,
            key=lambda p: (p.row or 0, order.get(p.column, -1) if p.column else -1),
        )


@dataclass
class Checked:
    """The outcome of checking a file."""

    total_rows: int = 0
    plans: list[Plan] = field(default_factory=list)
    preview: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)


# --- Reading cells by kind ------------------------------------------------------------------


def _choice_maps(pipeline) -> dict[str, dict[str, str]]:
    return {c.key: choice_lookup(c.choices) for c in pipeline.columns if c.kind == Kind.CHOICE}


def read_cell(ctx: ImportContext, column, value, choice_maps):
    """One cell's value by its column's kind; raises RowProblem naming the column."""
    key = column.key
    try:
        if column.kind == Kind.TEXT:
            text = as_text(value)
            if column.max_length and len(text) > column.max_length:
                raise ValueError(
                    _("At most %(limit)d characters; this has %(length)d.")
                    % {"limit": column.max_length, "length": len(text)}
                )
            return text
        if column.kind == Kind.DATE:
            return parse_date(value)
        if column.kind == Kind.DATETIME:
            return parse_datetime(value, ctx.zone)
        if column.kind == Kind.AMOUNT:
            return parse_amount(value)
        if column.kind == Kind.DECIMAL:
            number = parse_decimal(value)
        elif column.kind == Kind.INTEGER:
            number = parse_integer(value)
        elif column.kind == Kind.BOOLEAN:
            return parse_boolean(value)
        elif column.kind == Kind.OPTION:
            return ctx.options.resolve(column.option_kind, as_text(value), key)
        elif column.kind == Kind.CHOICE:
            text = as_text(value)
            chosen = choice_maps[key].get(text.casefold())
            if chosen is None:
                labels = "、".join(str(label) for _value, label in column.choices.choices)
                raise ValueError(
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": text, "choices": labels}
                )
            return chosen
        elif column.kind == Kind.MULTI:
            return split_multi(value)
        else:  # Kind.REFERENCE: resolved by the pipeline
            return as_text(value)
    except ValueError as error:
        raise RowProblem(str(error), key) from None
    if column.minimum is not None and number < column.minimum:
        raise RowProblem(_("At least %(limit)s.") % {"limit": column.minimum}, key)
    if column.maximum is not None and number > column.maximum:
        raise RowProblem(_("At most %(limit)s.") % {"limit": column.maximum}, key)
    return number


def read_row(ctx, sheet: OpenSheet, number: int, cells: tuple, choice_maps, keep_display: bool):
    """A Row of parsed values, or None for an empty row. Cell problems are recorded."""
    values, failed = {}, set()
    display = [] if keep_display else None
    empty = True
    for sheet_column in sheet.columns:
        column = sheet_column.column
        value = cells[sheet_column.index] if sheet_column.index < len(cells) else None
        if display is not None:
            display.append(as_text(value))
        if is_blank(value):
            continue
        empty = False
        try:
            values[column.key] = read_cell(ctx, column, value, choice_maps)
        except RowProblem as problem:
            ctx.problem(number, problem.column, problem.message)
            failed.add(column.key)
    if empty:
        return None
    for sheet_column in sheet.columns:
        column = sheet_column.column
        if column.required and column.key not in values and column.key not in failed:
            ctx.problem(number, column.key, _("This column is required."))
            failed.add(column.key)
    return Row(number=number, values=values, display=display, failed=failed)


# --- Checking -------------------------------------------------------------------------------


def check(ctx: ImportContext, handle, *, progress: Progress = _no_progress) -> Checked:
    """Read and check every row of ``handle``; problems land in ``ctx``. Nothing is written."""
    pipeline = ctx.pipeline
    checked = Checked()
    try:
        sheet = open_sheet(handle, pipeline, sheet_labels(exclude=pipeline.entity))
    except FileProblem as problem:
        ctx.file_problem(str(problem))
        return checked
    try:
        # The file's headers, in its order, name the columns in problems.
        ctx.headers = {
            **{c.column.key: c.header for c in sheet.columns},
            **{
                k: v
                for k, v in ctx.headers.items()
                if k not in {c.column.key for c in sheet.columns}
            },
        }
        option_kinds = {c.column.option_kind for c in sheet.columns if c.column.kind == Kind.OPTION}
        ctx.options = OptionLists(option_kinds)
        choice_maps = _choice_maps(pipeline)
        progress(0, sheet.estimated_rows)
        rows: list[Row] = []
        seen = 0
        for number, cells in sheet.rows():
            row = read_row(ctx, sheet, number, cells, choice_maps, len(rows) < PREVIEW_ROWS)
            if row is None:
                continue
            rows.append(row)
            seen += 1
            if seen > MAX_ROWS:
                ctx.file_problem(
                    _("The file has more than %(limit)s rows: split it into several files.")
                    % {"limit": f"{MAX_ROWS:,}"}
                )
                return checked
            if seen % PROGRESS_EVERY == 0:
                progress(seen, max(sheet.estimated_rows, seen))
    finally:
        sheet.close()
    checked.total_rows = len(rows)
    if not rows:
        ctx.file_problem(
            _("The sheet “%(sheet)s” has no rows to import under its header row.")
            % {"sheet": sheet.name}
        )
        return checked
    progress(len(rows), len(rows))
    pipeline.prepare(ctx, rows)
    keys: dict = {}
    counts = {RowAction.CREATE: 0, RowAction.UPDATE: 0, RowAction.UNCHANGED: 0}
    preview_rows = []
    for row in rows:
        plan, refused = None, bool(row.failed)
        try:
            plan = pipeline.plan(ctx, row)
        except RowProblem as problem:
            ctx.problem(row.number, problem.column, problem.message)
            refused = True
        except RowProblems as problems:
            for problem in problems.problems:
                ctx.problem(row.number, problem.column, problem.message)
            refused = True
        # A refused row still claims its key, so a later copy of it is reported too.
        key = pipeline.natural_key(ctx, row, None if refused else plan)
        if key is not None:
            value, column = key
            first = keys.get(value)
            if first is not None:
                ctx.problem(
                    row.number,
                    column,
                    _("Row %(row)d already has this %(column)s: each record may appear once.")
                    % {"row": first, "column": ctx.header(column)},
                )
                refused = True
            else:
                keys[value] = row.number
        if refused:
            continue
        counts[plan.action] += 1
        checked.plans.append(plan)
        if row.display is not None:
            preview_rows.append(
                {"row": row.number, "action": str(plan.action), "values": row.display}
            )
    checked.counts = {str(k): v for k, v in counts.items()}
    checked.preview = {"columns": [c.header for c in sheet.columns], "rows": preview_rows}
    return checked


# --- Writing --------------------------------------------------------------------------------


class _RollBack(Exception):
    """Raised inside the transaction to undo every row when one was refused."""


def write(ctx: ImportContext, plans: list[Plan], *, progress: Progress = _no_progress) -> bool:
    """Write every plan in one transaction, or none; True if written.

    Services refuse a row with a ValidationError: its messages are recorded against the
    row and the columns they name, the remaining rows are still tried (so one run shows
    every refusal), and then everything is rolled back.
    """
    pipeline = ctx.pipeline

    def refused(plan: Plan, error: Exception) -> None:
        if isinstance(error, ValidationError):
            for name, message in validation_messages(error):
                column = pipeline.column_for_field(name) if name else None
                ctx.problem(plan.row, column, message)
        else:  # PermissionDenied: the role may not change these records
            ctx.problem(plan.row, None, str(error))

    try:
        with acting_as(ctx.actor), transaction.atomic():
            pending = [p for p in pipeline.order(plans) if p.action != RowAction.UNCHANGED]
            pipeline.write_all(ctx, pending, refused=refused, progress=progress)
            if ctx.problem_count:
                raise _RollBack
    except _RollBack:
        return False
    return True
