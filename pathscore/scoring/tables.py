"""Tables of the evaluation: one section per part, each appended by its author."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from pathscore.core.tables import Column, Table

# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------


def _link(url_name):
    def render(row, value):
        return format_html(
            '<a href="{}">{}</a>', reverse(url_name, args=[row.pk]), value if value else "—"
        )

    return render


def _scorecard_covers(row):
    if row.department_id:
        return row.department.name
    return row.get_role_display()


def _status_html(row, value):
    css = {"draft": "text-bg-warning", "published": "text-bg-success"}.get(
        row.status, "text-bg-secondary"
    )
    return format_html('<span class="badge {}">{}</span>', css, value)


class ScorecardTable(Table):
    default_order = "code"
    columns = [
        Column("name", _("Name"), order_by="name", html=_link("scoring:scorecard-detail")),
        Column("code", _("Code"), order_by="code"),
        Column("version", _("Version"), order_by="version"),
        Column("status", _("Status"), accessor="get_status_display", html=_status_html),
        Column("covers", _("Applies to"), accessor=_scorecard_covers),
        Column("published_at", _("Published at"), order_by="published_at"),
        Column("note", _("Change note")),
    ]


class CustomerRatingTable(Table):
    default_order = "-rated_on"
    columns = [
        Column("rated_on", _("Rated on"), order_by="rated_on"),
        Column("person", _("Salesperson"), accessor="person__name", order_by="person__name"),
        Column("customer", _("Customer"), accessor="customer__name", order_by="customer__name"),
        Column("project", _("Project"), accessor="project__name"),
        Column("domain_knowledge", _("Power-domain knowledge"), order_by="domain_knowledge"),
        Column("communication", _("Communication"), order_by="communication"),
        Column("source", _("Source"), accessor="get_source_display"),
        Column("comment", _("Comment")),
        Column("recorded_by", _("Recorded by"), accessor="recorded_by__name"),
    ]


def _version_label(row):
    return f"{row.version.document.title} v{row.version.number}"


class QualityRatingTable(Table):
    default_order = "-rated_on"
    columns = [
        Column("rated_on", _("Rated on"), order_by="rated_on"),
        Column("person", _("Author"), accessor="person__name", order_by="person__name"),
        Column("version", _("Document"), accessor=_version_label),
        Column("score", _("Quality score"), order_by="score"),
        Column("comment", _("Comment")),
        Column("rated_by", _("Rated by"), accessor="rated_by__name"),
    ]


def _attendance_counts(row):
    return f"{row.attended_count}/{row.required_count}"


class TrainingSessionTable(Table):
    default_order = "-held_on"
    columns = [
        Column("held_on", _("Held on"), order_by="held_on", html=_link("scoring:session-detail")),
        Column("course", _("Course"), accessor="course__name", order_by="course__name"),
        Column("location", _("Location")),
        Column("attendance", _("Attended / required"), accessor=_attendance_counts),
    ]


class TrainingCourseTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), order_by="name", html=_link("scoring:course-edit")),
        Column("code", _("Code"), order_by="code"),
        Column(
            "indicators",
            _("Helps with indicators"),
            accessor=lambda row: ", ".join(row.indicators or []),
        ),
        Column("is_active", _("Active")),
    ]


class CommendationTable(Table):
    default_order = "-given_on"
    columns = [
        Column("given_on", _("Given on"), order_by="given_on"),
        Column("person", _("Person"), accessor="person__name", order_by="person__name"),
        Column("title", _("Title")),
        Column("text", _("What for")),
        Column("period", _("Period"), accessor="period__name"),
        Column("given_by", _("Given by"), accessor="given_by__name"),
    ]
