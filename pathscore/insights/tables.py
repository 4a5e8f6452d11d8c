"""Tables of the drill-down pages: the records behind a tile or a chart element."""

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from pathscore.core.models.options import option_label
from pathscore.core.tables import Column, Table


def _date_html(row, value):
    return date_format(value, "Y-m-d") if value else "—"


def _link(url_of):
    def html(row, value):
        return format_html('<a href="{}">{}</a>', url_of(row), value if value else "—")

    return html


def _days_html(row, value):
    if value is None:
        return "—"
    return _("%(days)d d") % {"days": value}


class ProjectDrillTable(Table):
    """Projects with who owns them, for whom, and where they stand in their process."""

    default_order = None
    columns = [
        Column(
            "name",
            _("Project"),
            html=_link(lambda row: row.get_absolute_url()),
            order_by="name",
            classes="text-wrap",
        ),
        Column("customer", _("Customer"), accessor="customer__name", classes="text-wrap"),
        Column("customer_type", _("Customer type"), accessor="customer__customer_type"),
        Column("owner", _("Owner"), accessor="owner__name", order_by="owner__name"),
        Column("category", _("Category"), accessor="category"),
        Column("status", _("Status"), accessor="get_status_display", order_by="status"),
        Column("node", _("Current node"), accessor="node_name"),
        Column("days_at_node", _("Days at the node"), html=_days_html, order_by="days_at_node"),
        Column("signed_on", _("Signed on"), html=_date_html, order_by="signed_on"),
    ]


def _clipped(content: str) -> str:
    return Truncator(content).chars(80)


class FollowUpDrillTable(Table):
    columns = [
        Column(
            "occurred_at",
            _("When"),
            link=True,
            order_by="occurred_at",
        ),
        Column("author", _("Recorded by"), accessor="author__name", order_by="author__name"),
        Column("customer", _("Customer"), accessor="customer__name", classes="text-wrap"),
        Column("project", _("Project"), accessor="project__name", classes="text-wrap"),
        Column(
            "mode",
            _("Mode"),
            accessor="mode",
            fields=("mode__name", "mode__name_en"),
            export=option_label,
        ),
        Column(
            "content",
            _("What was discussed"),
            accessor=lambda row: _clipped(row.content),
            classes="text-wrap",
            fields=("content",),
            export=_clipped,
        ),
    ]


def _node_url(row) -> str:
    return reverse("process:node-detail", args=[row.pk])


def _on_time_html(row, value):
    if value is None:
        return "—"
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', _("On time"))
    return format_html(
        '<span class="badge text-bg-danger">{}</span>',
        _("%(days)d d late") % {"days": row.days_late},
    )


class NodeDrillTable(Table):
    columns = [
        Column(
            "node",
            _("Node"),
            accessor="definition__name",
            html=_link(_node_url),
            order_by="definition__name",
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            order_by="project__name",
            classes="text-wrap",
        ),
        Column("owner", _("Owner"), accessor="project__owner__name"),
        Column("state", _("State"), accessor="get_state_display", order_by="state"),
        Column("planned_due", _("Due"), html=_date_html, order_by="planned_due"),
        Column(
            "on_time",
            _("On time"),
            accessor=lambda row: getattr(row, "on_time", None),
            html=_on_time_html,
        ),
    ]
