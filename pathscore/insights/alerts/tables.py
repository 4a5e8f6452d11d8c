"""Tables of the alert list and the interventions report (HTML and export alike)."""

from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from pathscore.core.tables import Column, Table
from pathscore.insights.alerts import explain, thresholds
from pathscore.insights.choices import AlertState, AlertUnit

STATE_BADGES = {
    AlertState.OPEN: "text-bg-danger",
    AlertState.RESOLVED: "text-bg-success",
    AlertState.CLEARED: "text-bg-secondary",
}


def state_html(row, value):
    return format_html(
        '<span class="badge {}" data-testid="alert-state">{}</span>',
        STATE_BADGES.get(row.state, "text-bg-light"),
        row.get_state_display(),
    )


def figure(value, unit) -> str:
    if value is None:
        return "—"
    text = thresholds.plain(value)
    return f"{text}%" if unit == AlertUnit.PERCENT else f"{text} {AlertUnit(unit).label}"


def _summary_html(row, value):
    return format_html('<a href="{}">{}</a>', row.get_absolute_url(), value)


class AlertTable(Table):
    columns = [
        Column("created_at", _("Opened"), order_by="created_at"),
        Column("kind", _("Kind"), accessor="get_kind_display", order_by="kind"),
        Column("person", _("Salesperson"), accessor="person__name", order_by="person__name"),
        Column("department", _("Department"), accessor="person__department__name"),
        Column(
            "summary", _("About"), accessor=explain.summary, html=_summary_html, classes="text-wrap"
        ),
        Column("measured", _("Measured"), accessor=lambda row: figure(row.measured, row.unit)),
        Column("threshold", _("Threshold"), accessor=lambda row: figure(row.threshold, row.unit)),
        Column(
            "state", _("State"), accessor="get_state_display", html=state_html, order_by="state"
        ),
        Column("look_again_on", _("Look again on"), order_by="look_again_on"),
    ]


def _alert_link(row, value):
    return format_html('<a href="{}">{}</a>', row.alert.get_absolute_url(), value)


class InterventionTable(Table):
    columns = [
        Column("done_on", _("Done on"), order_by="done_on"),
        Column(
            "person",
            _("Salesperson"),
            accessor="alert__person__name",
            order_by="alert__person__name",
        ),
        Column("department", _("Department"), accessor="alert__person__department__name"),
        Column("alert", _("Alert"), accessor="alert__get_kind_display", html=_alert_link),
        Column("kind", _("What was done"), accessor="kind"),
        Column(
            "note",
            _("Note"),
            accessor="note",
            html=lambda row, value: format_html("{}", Truncator(value).chars(120)),
            classes="text-wrap",
        ),
        Column("look_again_on", _("Look again on"), order_by="look_again_on"),
        Column("recorded_by", _("Recorded by"), accessor="recorded_by__name"),
        Column("alert_state", _("Alert state"), accessor="alert__get_state_display"),
    ]
