"""Declarative tables: one definition renders the HTML list and the xlsx/csv export.

A table lists columns; each column reads a value from a row (``accessor`` with ``__`` for
related fields, or a callable), may be sortable by a database field, and may link to the
row's detail page. Views use :class:`Table` for HTML; :mod:`pathscore.core.export` streams
the same columns to a spreadsheet.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Many:
    """A to-many value an export lists in one cell: ``path`` reads the related field
    (``"participants__name"``), ``order`` sorts the entries, ``separator`` joins them.
    The export reads it for a whole batch of rows in one query."""

    path: str
    order: tuple[str, ...] = ()
    separator: str = ", "


@dataclass
class Column:
    name: str
    label: str
    accessor: str | Callable[[Any], Any] | None = None
    #: Database field to order by, or None when the column cannot be sorted.
    order_by: str | None = None
    #: Link the cell to ``row.get_absolute_url()``.
    link: bool = False
    #: Optional formatter for the HTML cell (the export always uses the raw value).
    html: Callable[[Any, Any], str] | None = None
    classes: str = ""
    #: How the export reads the cell without model instances: the ``values()`` paths it
    #: needs and a function of those values (default: the one value as is). A plain
    #: field accessor (``"customer__name"``, ``"get_kind_display"``) needs neither; a
    #: callable accessor does, or the export falls back to model instances.
    fields: tuple[str, ...] | None = None
    export: Callable[..., Any] | None = None
    #: A to-many value (participants, needs): read per batch of rows, see :class:`Many`.
    many: Many | None = None

    def value(self, row):
        accessor = self.accessor or self.name
        if callable(accessor):
            return accessor(row)
        value = row
        for part in accessor.split("__"):
            if value is None:
                return None
            value = getattr(value, part)
            if callable(value) and not hasattr(value, "all"):
                value = value()
        return value

    def cell(self, row) -> str:
        value = self.value(row)
        if self.html is not None:
            return self.html(row, value)
        if value is None or value == "":
            text = "—"
        elif hasattr(value, "all"):
            text = ", ".join(str(v) for v in value.all())
        elif isinstance(value, bool):
            return format_html('<i class="bi {}"></i>', "bi-check-lg" if value else "bi-dash")
        elif isinstance(value, datetime.datetime):
            # Stored in UTC, shown in the viewer's zone (activated per request).
            shown = timezone.localtime(value) if timezone.is_aware(value) else value
            text = shown.strftime("%Y-%m-%d %H:%M")
        else:
            text = localize(value)
        if self.link and hasattr(row, "get_absolute_url"):
            return format_html('<a href="{}">{}</a>', row.get_absolute_url(), text)
        return format_html("{}", text)


class Table:
    """Base class: subclasses set ``columns`` and optionally ``default_order``."""

    columns: list[Column] = []
    default_order: str | None = None

    def __init__(self, rows, *, order: str | None = None):
        self.rows = rows
        self.order = order or self.default_order

    @classmethod
    def sortable_fields(cls) -> dict[str, str]:
        return {c.name: c.order_by for c in cls.columns if c.order_by}

    @classmethod
    def ordering_for(cls, requested: str | None) -> list[str] | None:
        """Translate ``?sort=name`` / ``?sort=-name`` into ORDER BY fields, or None."""
        if not requested:
            return None
        descending = requested.startswith("-")
        field = cls.sortable_fields().get(requested.lstrip("-"))
        if field is None:
            return None
        return [f"-{field}" if descending else field, "-pk" if descending else "pk"]

    def header(self):
        for column in self.columns:
            yield {
                "column": column,
                "sorted": self.order in (column.name, f"-{column.name}"),
                "descending": self.order == f"-{column.name}",
            }

    def body(self):
        for row in self.rows:
            yield [(column, column.cell(row)) for column in self.columns]


class SecurityEventTable(Table):
    default_order = "-occurred_at"
    columns = [
        Column("occurred_at", _("Time"), order_by="occurred_at"),
        Column("kind", _("Event"), accessor="get_kind_display", order_by="kind"),
        Column("username", _("User name"), order_by="username"),
        Column("actor", _("Actor"), accessor="actor__name"),
        Column("ip_address", _("IP address")),
        Column("detail", _("Detail"), accessor=lambda row: row.detail or ""),
    ]
