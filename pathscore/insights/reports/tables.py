"""Tables of the reports that list records: the follow-up log and the nodes behind a figure.

The HTML cell may shorten a value; the export always carries it whole.
"""

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pathscore.core.models.options import option_label
from pathscore.core.tables import Column, Table

#: Characters of a follow-up's content shown on the page (the export has it all).
CONTENT_CHARS = 60


def _date_html(row, value):
    return date_format(value, "Y-m-d") if value else "—"


def _content_html(row, value):
    text = Truncator(value or "").chars(CONTENT_CHARS)
    return format_html('<span title="{}">{}</span>', value or "", text) if value else "—"


def _project_html(row, value):
    if row.project_id is None:
        return "—"
    return format_html('<a href="{}">{}</a>', row.project.get_absolute_url(), value)


class FollowUpLogTable(Table):
    """跟进记录: when, who, with whom, about what, and what comes next."""

    columns = [
        Column("occurred_at", _("When"), link=True, order_by="occurred_at"),
        Column("author", _("Salesperson"), accessor="author__name", order_by="author__name"),
        Column(
            "customer",
            _("Customer"),
            accessor="customer__name",
            order_by="customer__name",
            classes="text-wrap",
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            html=_project_html,
            classes="text-wrap",
        ),
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
            html=_content_html,
            classes="text-wrap ps-report-content",
        ),
        Column("next_action", _("Next action"), classes="text-wrap"),
        Column(
            "next_action_date",
            _("Planned for"),
            html=_date_html,
            order_by="next_action_date",
        ),
    ]


def _node_html(row, value):
    return format_html('<a href="{}">{}</a>', reverse("process:node-detail", args=[row.pk]), value)


def _reason(row):
    """The category of the latest delay reason, in the viewer's language."""
    english = (get_language() or "").startswith("en")
    return (english and getattr(row, "reason_name_en", "")) or getattr(row, "reason_name", None)


def _days_late(row):
    """Days late of an approved node, or overdue so far of an open one."""
    days = getattr(row, "delay_days", None)
    return days if days is not None else (row.days_late or None)


class ReportNodeTable(Table):
    """The nodes behind a figure of the node completion or the delay report."""

    columns = [
        Column(
            "node",
            _("Node"),
            accessor="definition__name",
            html=_node_html,
            order_by="definition__name",
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            order_by="project__name",
            classes="text-wrap",
        ),
        Column("doer", _("Credited to"), accessor="credited_name"),
        Column("state", _("State"), accessor="get_state_display", order_by="state"),
        Column("planned_due", _("Due"), html=_date_html, order_by="planned_due"),
        Column("completed_on", _("Completed on"), html=_date_html, order_by="completed_on"),
        Column("days_late", _("Days late"), accessor=_days_late),
        Column("reason", _("Delay reason"), accessor=_reason, classes="text-wrap"),
    ]
