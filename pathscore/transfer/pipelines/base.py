"""The building blocks of an import pipeline: columns, cell parsing, row plans.

A pipeline (one small module per kind of record) declares its columns and three steps:

* ``prepare(ctx, rows)`` loads in a few bulk queries everything the rows refer to
  (customers by credit code or name, people by user name, existing records by natural key);
* ``plan(ctx, row)`` checks one row against those lookups, without a query, and says what
  will happen to it: a new record, an update of the fields that differ, or nothing;
* ``write(ctx, plan)`` carries a plan out through the app's own service, so validation,
  scoping, events and history behave exactly as on the pages.

Column headers are the file format, like a code: the Chinese header of the template and
its English twin are both accepted. What the columns mean is translatable help text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.transfer.choices import RowAction


class Kind:
    """How a column's cells are read."""

    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    AMOUNT = "amount"
    DECIMAL = "decimal"
    INTEGER = "integer"
    OPTION = "option"  # an entry of an admin-editable option list (core.Option)
    CHOICE = "choice"  # a fixed choice (TextChoices)
    REFERENCE = "reference"  # another record by name or code, resolved by the pipeline
    MULTI = "multi"  # several values separated by 、 , ， ; or ；
    BOOLEAN = "boolean"


#: What separates the values of a MULTI cell.
MULTI_SEPARATORS = re.compile(r"[、,，;；\n]+")


@dataclass(frozen=True)
class Column:
    """One column of an import file."""

    key: str
    #: The header in the template (Chinese) and its English twin; both are accepted.
    header: str
    header_en: str
    kind: str = Kind.TEXT
    required: bool = False
    #: What the column holds, for the instructions sheet and the header note.
    help: object = ""
    #: An example value, shown in the instructions sheet.
    example: str = ""
    max_length: int | None = None
    #: Kind.OPTION: the option list's kind; Kind.CHOICE: the TextChoices class.
    option_kind: str = ""
    choices: object = None
    #: A named dropdown the template offers for this column ("users", "departments",
    #: "roles"), besides the option lists and choices it offers anyway.
    dropdown: str = ""
    #: Other headers accepted for this column.
    aliases: tuple[str, ...] = ()
    width: int = 16
    #: Inclusive bounds for numbers.
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def header_keys(self) -> set[str]:
        return {normalise_header(h) for h in (self.header, self.header_en, *self.aliases)}


def normalise_header(text) -> str:
    """A header as typed, reduced to what identifies it: no required-marks, spaces or case."""
    text = str(text or "")
    text = text.replace("＊", "*").replace("（", "(").replace("）", ")")
    return re.sub(r"[\s*]+", "", text).casefold()


@dataclass
class Row:
    """One data row of the file: its number as Excel shows it and its parsed values.

    ``values`` holds only the cells that are filled in: a blank cell in an update leaves the
    field as it is (to clear a field, use the record's page).
    """

    number: int
    values: dict
    #: The cells as text, kept for the first rows only (the preview).
    display: list | None = None
    #: Keys of the cells that could not be read (their problem is recorded already).
    failed: set = field(default_factory=set)

    def get(self, key, default=None):
        return self.values.get(key, default)

    def has(self, key) -> bool:
        return key in self.values


@dataclass
class Plan:
    """What will happen to one row: a new record, an update, or nothing."""

    row: int
    action: str
    #: The record to update (None for a new one).
    instance: object = None
    #: The values to write: every value for a new record, the changed ones for an update.
    values: dict = field(default_factory=dict)
    #: Anything else the write step needs (e.g. the follow-up's author).
    extra: dict = field(default_factory=dict)


class RowProblem(Exception):
    """A problem with one cell (``column`` is a column key) or the whole row (None)."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.column = column


# --- Reading cells --------------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value) -> str:
    """A cell as text: whole numbers without ".0" (phone numbers, codes), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME_PATTERN = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*秒?)?$"
)
#: Excel stores dates as days since 1899-12-30; a bare number in a date column is one.
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _from_serial(value) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 1 <= value < 2958466:  # up to 9999-12-31
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=float(value))


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    serial = _from_serial(value)
    if serial is not None:
        return serial.date()
    match = _DATE_PATTERN.match(as_text(value))
    if match:
        try:
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise ValueError(_("Enter a date like 2026-03-15."))


def parse_datetime(value, zone) -> dt.datetime:
    """A date and time in ``zone`` (the importer's), made aware; a bare date is midnight."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    elif (serial := _from_serial(value)) is not None:
        moment = serial.replace(microsecond=0)
    else:
        match = _DATETIME_PATTERN.match(as_text(value))
        if not match:
            raise ValueError(_("Enter a date and time like 2026-03-15 14:30."))
        parts = [int(part) if part else 0 for part in match.groups()]
        try:
            moment = dt.datetime(*parts)
        except ValueError:
            raise ValueError(_("Enter a date and time like 2026-03-15 14:30.")) from None
    if timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, zone)


_AMOUNT_NOISE = re.compile(r"[,，\s元¥￥]")
#: Amounts are money: two decimals, at most 14 digits (the models' DecimalField).
_CENT = Decimal("0.01")
_MAX_AMOUNT = Decimal("999999999999.99")


def parse_decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    if isinstance(value, int | float):
        return Decimal(repr(value))
    try:
        return Decimal(as_text(value).replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValueError(_("Enter a number.")) from None


def parse_amount(value) -> Decimal:
    """An amount in yuan: 1200000, "1,200,000", "120万", "¥1,200,000.00"."""
    message = _("Enter an amount in yuan, like 1200000 or 120万.")
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, int | float):
        amount = Decimal(repr(value))
    else:
        text = _AMOUNT_NOISE.sub("", as_text(value))
        factor = Decimal(1)
        if text.endswith("万"):
            factor, text = Decimal(10000), text[:-1]
        elif text.endswith("亿"):
            factor, text = Decimal(100000000), text[:-1]
        try:
            amount = Decimal(text) * factor
        except InvalidOperation:
            raise ValueError(message) from None
    if not amount.is_finite():
        raise ValueError(message)
    if amount < 0:
        raise ValueError(_("The amount cannot be negative."))
    amount = amount.quantize(_CENT)
    if amount > _MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    return amount


def parse_integer(value) -> int:
    if isinstance(value, bool):
        raise ValueError(_("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    text = as_text(value)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise ValueError(_("Enter a whole number."))


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "有效", "启用"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "无效", "停用"}


def parse_boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(_("Enter 是 or 否."))


def split_multi(value) -> list[str]:
    parts = (part.strip() for part in MULTI_SEPARATORS.split(as_text(value)))
    return list(dict.fromkeys(part for part in parts if part))


def choice_lookup(choices) -> dict[str, str]:
    """Every way a file may name a choice (its value, its Chinese and English label) → value."""
    from django.utils import translation

    names: dict[str, str] = {}
    for value, label in choices.choices:
        names[str(value).casefold()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names[str(label).casefold()] = value
    return names


def choice_label(choices, value) -> str:
    """The label of a choice as the template shows it (Chinese)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(dict(choices.choices).get(value, value))


def chunked(values: Iterable, size: int = 900) -> Iterator[list]:
    """``values`` in lists of at most ``size``: a bound below SQLite's variable limit."""
    chunk = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- Pipelines ------------------------------------------------------------------------------


class Pipeline:
    """One kind of record's import: its columns, lookups, row checks and writes."""

    entity: str = ""
    #: The data sheet's name in the template, and its English twin.
    sheet: str = ""
    sheet_en: str = ""
    columns: tuple[Column, ...] = ()
    #: How a row finds the record it updates, for the instructions sheet.
    key_help: object = ""
    #: Service field names that differ from column keys, for placing a service's message.
    field_columns: dict[str, str] = {}

    @property
    def label(self) -> str:
        from pathscore.transfer.choices import ImportEntity

        return str(ImportEntity(self.entity).label)

    def allowed(self, scope) -> bool:
        raise NotImplementedError

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def prepare(self, ctx, rows: list[Row]) -> None:
        """Load what the rows refer to, in bulk."""

    def plan(self, ctx, row: Row) -> Plan:
        """Check one row and say what will happen to it; raise RowProblem(s) if it cannot."""
        raise NotImplementedError

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        """(key, column) of the row within the file: a later row with the same key is an
        error on that row's ``column``. ``plan`` is None for a refused row (its key comes
        from its cells alone, if at all). None when the row has no key."""
        return None

    def order(self, plans: list[Plan]) -> list[Plan]:
        """The order to write the plans in (parents before children, say)."""
        return plans

    def write(self, ctx, plan: Plan):
        raise NotImplementedError

    #: Progress is reported every this many rows written.
    PROGRESS_EVERY = 500

    def write_all(self, ctx, plans: list[Plan], *, refused, progress) -> None:
        """Write the plans one by one through the service; ``refused(plan, error)`` records
        a row the service refused, and the others are still tried."""
        for done, plan in enumerate(plans, start=1):
            try:
                self.write(ctx, plan)
            except (ValidationError, PermissionDenied) as error:
                refused(plan, error)
                if ctx.problem_count >= ctx.max_problems:
                    break
            if done % self.PROGRESS_EVERY == 0:
                progress(done)

    def column_for_field(self, name: str) -> str | None:
        name = self.field_columns.get(name, name)
        return name if any(c.key == name for c in self.columns) else None

    # Helpers for the row checks ----------------------------------------------------------

    @staticmethod
    def changes(instance, values: dict) -> dict:
        """The subset of ``values`` that differs from ``instance``; foreign keys are compared
        by key, so no related row is loaded."""
        changed = {}
        for name, value in values.items():
            model_field = instance._meta.get_field(name)
            if model_field.many_to_one:
                same = getattr(instance, model_field.attname) == (
                    value.pk if value is not None else None
                )
            else:
                current = getattr(instance, name)
                if isinstance(value, Decimal) and current is not None:
                    same = Decimal(current) == value
                else:
                    same = current == value
            if not same:
                changed[name] = value
        return changed

    @staticmethod
    def update_or_unchanged(row: Row, instance, changed: dict, **extra) -> Plan:
        action = RowAction.UPDATE if changed else RowAction.UNCHANGED
        return Plan(row=row.number, action=action, instance=instance, values=changed, extra=extra)


def raise_problems(problems: list[RowProblem]) -> None:
    if problems:
        raise RowProblems(problems)


class RowProblems(Exception):
    """Several problems of one row, reported together."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def validation_messages(error: ValidationError) -> list[tuple[str | None, str]]:
    """(field or None, message) pairs of a service's ValidationError."""
    if hasattr(error, "error_dict"):
        return [
            (None if name == "__all__" else name, message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [(None, message) for message in error.messages]
