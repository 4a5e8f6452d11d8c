"""Tables of the process engine, one section per area."""

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pathscore.core.tables import Column, Table
from pathscore.process.choices import OPEN_STATES, DelayDecision

# --- Nodes ---------------------------------------------------------------------------------


def node_url(node) -> str:
    return reverse("process:node-detail", args=[node.pk])


def days_overdue(node, today=None) -> int:
    """Days a node is (or was, when delivered) past its due date."""
    if not node.planned_due:
        return 0
    today = today or timezone.localdate()
    if node.state in OPEN_STATES:
        return max((today - node.planned_due).days, 0)
    if node.days_late:
        return node.days_late
    if node.submitted_at:
        return max((timezone.localdate(node.submitted_at) - node.planned_due).days, 0)
    return 0


def reason_category_name(node) -> str:
    """The latest delay reason's category (annotated), in the viewer's language."""
    english = (get_language() or "").startswith("en")
    return (english and node.reason_category_en) or node.reason_category or ""


def _link_html(url_of):
    def html(row, value):
        return format_html('<a href="{}">{}</a>', url_of(row), value)

    return html


def _submitted_html(row, value):
    return date_format(value, "Y-m-d H:i") if value else "—"


def _waiting_days(row):
    return (timezone.localdate() - timezone.localdate(row.submitted_at)).days


class ReviewQueueTable(Table):
    """Submissions awaiting review, oldest first."""

    columns = [
        Column(
            "submitted_at",
            _("Submitted"),
            accessor=lambda row: timezone.localtime(row.submitted_at),
            html=_submitted_html,
        ),
        Column("waiting", _("Days waiting"), accessor=_waiting_days),
        Column(
            "node",
            _("Node"),
            accessor="node__definition__name",
            html=_link_html(lambda row: node_url(row.node)),
            classes="text-wrap",
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            html=_link_html(lambda row: row.project.get_absolute_url()),
            classes="text-wrap",
        ),
        Column("customer", _("Customer"), accessor="project__customer__name", classes="text-wrap"),
        Column("submitted_by", _("Submitted by"), accessor="submitted_by__name"),
        Column("number", _("Attempt")),
    ]


def _days_overdue_html(row, value):
    if not value:
        return "—"
    return format_html('<span class="text-danger fw-semibold">{}</span>', value)


def _reason_status(row) -> str:
    if not row.reason_decision:
        return str(_("No reason given"))
    return str(DelayDecision(row.reason_decision).label)


def _reason_status_html(row, value):
    css = {
        DelayDecision.PENDING: "text-bg-warning",
        DelayDecision.ACCEPTED: "text-bg-success",
        DelayDecision.REJECTED: "text-bg-secondary",
    }.get(row.reason_decision, "text-bg-danger")
    return format_html('<span class="badge {}">{}</span>', css, value)


def _reason_text(row) -> str:
    if not row.reason_text:
        return ""
    return f"{reason_category_name(row)}: {row.reason_text}"


class DelayedNodeTable(Table):
    """Overdue nodes and nodes whose delay reason awaits a decision."""

    columns = [
        Column(
            "node",
            _("Node"),
            accessor="definition__name",
            html=_link_html(node_url),
            classes="text-wrap",
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            html=_link_html(lambda row: row.project.get_absolute_url()),
            classes="text-wrap",
        ),
        Column("owner", _("Owner"), accessor="project__owner__name"),
        Column("planned_due", _("Due")),
        Column("days_overdue", _("Days late"), accessor=days_overdue, html=_days_overdue_html),
        Column("state", _("State"), accessor="get_state_display"),
        Column(
            "reason_status", _("Delay reason"), accessor=_reason_status, html=_reason_status_html
        ),
        Column("reason", _("Reason given"), accessor=_reason_text, classes="text-wrap"),
    ]
