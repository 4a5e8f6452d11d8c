"""The downloadable import templates: one workbook per kind of record.

Each template has the data sheet (the header row, a note on each header, column widths,
dropdowns for option lists, choices, roles, departments and people), an instructions sheet
说明 in Chinese (with an English column for English users) and a hidden sheet of the
dropdowns' entries, since a list written into a validation rule is limited to 255
characters.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pathscore.core.choices import Role
from pathscore.core.models import Option
from pathscore.core.scoping import scope_for
from pathscore.org.models import User
from pathscore.transfer.engine import MAX_ROWS
from pathscore.transfer.pipelines.base import Column, Kind, Pipeline
from pathscore.transfer.pipelines.lookups import Departments

INSTRUCTIONS_SHEET = "说明"
LISTS_SHEET = "选项"
#: Dropdowns cover this many data rows.
VALIDATED_ROWS = 10_000
#: A people dropdown longer than this is left out (typing the user name still works).
MAX_PEOPLE_IN_DROPDOWN = 2_000

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def _zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


def _en(message) -> str:
    with translation.override("en"):
        return str(message)


def _assignable_people(user) -> list[str]:
    """User names the importer may name as owner, author or head."""
    scope = scope_for(user)
    if scope.sees_all_records or scope.manages_org:
        people = User.objects.filter(is_active=True)
    elif scope.is_manager:
        people = User.objects.visible_to(user).filter(is_active=True)
    else:
        return [user.username]
    return list(
        people.order_by("username").values_list("username", flat=True)[: MAX_PEOPLE_IN_DROPDOWN + 1]
    )


def _dropdown_entries(column: Column, user, cache: dict) -> tuple[list[str], bool]:
    """The entries of a column's dropdown and whether other values are refused."""
    if column.kind == Kind.OPTION:
        names = list(
            Option.objects.filter(kind=column.option_kind, is_active=True)
            .order_by("sort_order", "pk")
            .values_list("name", flat=True)
        )
        return names, True
    if column.kind == Kind.CHOICE:
        return [_zh(label) for _value, label in column.choices.choices], True
    if column.dropdown == "roles":
        return [_zh(label) for _value, label in Role.choices], False
    if column.dropdown == "departments":
        if "departments" not in cache:
            tree = Departments()
            cache["departments"] = [tree.path_of[d.pk] for d in tree.all if d.is_active]
        return cache["departments"], False
    if column.dropdown == "users":
        if "users" not in cache:
            cache["users"] = _assignable_people(user)
        people = cache["users"]
        return ([] if len(people) > MAX_PEOPLE_IN_DROPDOWN else people), False
    return [], False


def _header_note(column: Column, english: bool) -> str:
    lines = [_zh(column.help)]
    if column.required:
        lines.insert(0, _zh(_("Required.")))
    if column.example:
        lines.append(_zh(_("Example: %(example)s")) % {"example": column.example})
    if english:
        lines.append("")
        lines.append(f"{column.header_en}: {_en(column.help)}")
    return "\n".join(lines)


def build_template(pipeline: Pipeline, user, *, language: str = "zh-hans") -> Workbook:
    """The template workbook for ``pipeline`` as ``user`` (their people and departments)."""
    english = language.startswith("en")
    workbook = Workbook()
    data = workbook.active
    data.title = pipeline.sheet
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    cache: dict = {}
    list_column = 0
    for index, column in enumerate(pipeline.columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(
            row=1, column=index, value=("*" if column.required else "") + column.header
        )
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        note = Comment(_header_note(column, english), "Pathscore")
        note.width, note.height = 320, 160
        cell.comment = note
        data.column_dimensions[letter].width = max(column.width, len(column.header) * 2 + 4)
        entries, strict = _dropdown_entries(column, user, cache)
        if not entries:
            continue
        list_column += 1
        list_letter = get_column_letter(list_column)
        lists.cell(row=1, column=list_column, value=column.header)
        for offset, entry in enumerate(entries, start=2):
            lists.cell(row=offset, column=list_column, value=entry)
        # Always quoted: Excel and WPS read a quoted non-Latin sheet name the same way.
        reference = f"'{LISTS_SHEET}'!${list_letter}$2:${list_letter}${len(entries) + 1}"
        validation = DataValidation(
            type="list", formula1=reference, allow_blank=True, showErrorMessage=strict
        )
        validation.errorTitle = _zh(_("Not in the list"))
        validation.error = _zh(_("Choose an entry of the dropdown."))
        validation.add(f"{letter}2:{letter}{VALIDATED_ROWS + 1}")
        data.add_data_validation(validation)
    data.freeze_panes = "A2"
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET, 1), pipeline, english)
    return workbook


def _instructions(sheet, pipeline: Pipeline, english: bool) -> None:
    label_zh = _zh(pipeline.label)
    title = _zh(_("Import template: %(records)s")) % {"records": label_zh}
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    rules = [
        _(
            "Fill in one record per row on the sheet “%(sheet)s”, under its header row. Keep the "
            "header row as it is; columns you do not need may be deleted."
        ),
        _("Columns marked * are required."),
        _(
            "How a row finds the record it updates: %(key)s Importing the same file again "
            "updates those records instead of adding them twice; rows that match what is stored "
            "change nothing."
        ),
        _(
            "An empty cell leaves the stored value as it is; to clear a value, edit the record "
            "on its page."
        ),
        _(
            "Dates like 2026-03-15 (or a date cell); date and time like 2026-03-15 14:30; "
            "amounts in yuan like 1200000, 1,200,000 or 120万."
        ),
        _("Lists: choose from the dropdown; it holds the entries of today."),
        _(
            "Upload the file on the Import data page. Every row is checked first and every "
            "problem is shown with its row and column; nothing is saved until you confirm, and "
            "then every row is saved, or none."
        ),
        _("At most %(rows)s rows per file."),
    ]
    params = {
        "sheet": pipeline.sheet,
        "rows": f"{MAX_ROWS:,}",
    }
    row = 3
    for rule in rules:
        zh_params = {**params, "key": _zh(pipeline.key_help)}
        sheet.cell(row=row, column=1, value=f"{row - 2}. " + _zh(rule) % zh_params)
        if english:
            en_params = {**params, "key": _en(pipeline.key_help)}
            sheet.cell(row=row, column=5, value=_en(rule) % en_params)
        row += 1
    row += 1
    headers = [_zh(_("Column")), _zh(_("Required")), _zh(_("Description")), _zh(_("Example"))]
    if english:
        headers += ["Column (English)", "Description (English)"]
    for index, text in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=index, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    for column in pipeline.columns:
        row += 1
        values = [
            column.header,
            _zh(_("Yes")) if column.required else "",
            _zh(column.help),
            column.example,
        ]
        if english:
            values += [column.header_en, _en(column.help)]
        for index, value in enumerate(values, start=1):
            sheet.cell(row=row, column=index, value=value).alignment = WRAP
    widths = {"A": 22, "B": 8, "C": 60, "D": 30, "E": 24, "F": 60}
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
