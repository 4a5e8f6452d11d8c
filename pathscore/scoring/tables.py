"""Tables of the evaluation: one section per part, each appended by its author."""


# --- Scorecards and ratings, training, commendations (HR admin) ------------------------------

from django.urls import reverse as _reverse  # noqa: E402
from django.utils.html import format_html as _format_html  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from pathscore.core.tables import Column as _Column  # noqa: E402
from pathscore.core.tables import Table as _Table  # noqa: E402


def _link(url_name):
    def render(row, value):
        return _format_html(
            '<a href="{}">{}</a>', _reverse(url_name, args=[row.pk]), value if value else "—"
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
    return _format_html('<span class="badge {}">{}</span>', css, value)


class ScorecardTable(_Table):
    default_order = "code"
    columns = [
        _Column("name", _("Name"), order_by="name", html=_link("scoring:scorecard-detail")),
        _Column("code", _("Code"), order_by="code"),
        _Column("version", _("Version"), order_by="version"),
        _Column("status", _("Status"), accessor="get_status_display", html=_status_html),
        _Column("covers", _("Applies to"), accessor=_scorecard_covers),
        _Column("published_at", _("Published at"), order_by="published_at"),
        _Column("note", _("Change note")),
    ]


class CustomerRatingTable(_Table):
    default_order = "-rated_on"
    columns = [
        _Column("rated_on", _("Rated on"), order_by="rated_on"),
        _Column("person", _("Salesperson"), accessor="person__name", order_by="person__name"),
        _Column("customer", _("Customer"), accessor="customer__name", order_by="customer__name"),
        _Column("project", _("Project"), accessor="project__name"),
        _Column("domain_knowledge", _("Power-domain knowledge"), order_by="domain_knowledge"),
        _Column("communication", _("Communication"), order_by="communication"),
        _Column("source", _("Source"), accessor="get_source_display"),
        _Column("comment", _("Comment")),
        _Column("recorded_by", _("Recorded by"), accessor="recorded_by__name"),
    ]


def _version_label(row):
    return f"{row.version.document.title} v{row.version.number}"


class QualityRatingTable(_Table):
    default_order = "-rated_on"
    columns = [
        _Column("rated_on", _("Rated on"), order_by="rated_on"),
        _Column("person", _("Author"), accessor="person__name", order_by="person__name"),
        _Column("version", _("Document"), accessor=_version_label),
        _Column("score", _("Quality score"), order_by="score"),
        _Column("comment", _("Comment")),
        _Column("rated_by", _("Rated by"), accessor="rated_by__name"),
    ]


def _attendance_counts(row):
    return f"{row.attended_count}/{row.required_count}"


class TrainingSessionTable(_Table):
    default_order = "-held_on"
    columns = [
        _Column("held_on", _("Held on"), order_by="held_on", html=_link("scoring:session-detail")),
        _Column("course", _("Course"), accessor="course__name", order_by="course__name"),
        _Column("location", _("Location")),
        _Column("attendance", _("Attended / required"), accessor=_attendance_counts),
    ]


class TrainingCourseTable(_Table):
    default_order = "name"
    columns = [
        _Column("name", _("Name"), order_by="name", html=_link("scoring:course-edit")),
        _Column("code", _("Code"), order_by="code"),
        _Column(
            "indicators",
            _("Helps with indicators"),
            accessor=lambda row: ", ".join(row.indicators or []),
        ),
        _Column("is_active", _("Active")),
    ]


class CommendationTable(_Table):
    default_order = "-given_on"
    columns = [
        _Column("given_on", _("Given on"), order_by="given_on"),
        _Column("person", _("Person"), accessor="person__name", order_by="person__name"),
        _Column("title", _("Title")),
        _Column("text", _("What for")),
        _Column("period", _("Period"), accessor="period__name"),
        _Column("given_by", _("Given by"), accessor="given_by__name"),
    ]
