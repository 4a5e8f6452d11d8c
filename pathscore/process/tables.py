"""Tables of the process engine, one section per area."""

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from pathscore.core.tables import Column, Table
from pathscore.crm.choices import DocumentKind
from pathscore.process.choices import OPEN_STATES, DelayDecision, RuleAction, TaskState

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


def _date_html(row, value):
    return date_format(value, "Y-m-d") if value else "—"


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
        Column("planned_due", _("Due"), html=_date_html),
        Column("days_overdue", _("Days late"), accessor=days_overdue, html=_days_overdue_html),
        Column("state", _("State"), accessor="get_state_display"),
        Column(
            "reason_status", _("Delay reason"), accessor=_reason_status, html=_reason_status_html
        ),
        Column("reason", _("Reason given"), accessor=_reason_text, classes="text-wrap"),
    ]


# --- Hand-off tasks, automation rules, delay categories ------------------------------------


def format_duration(value) -> str:
    """A response time as people say it: 45 min, 3 h 20 min, 2 d 4 h."""
    if value is None:
        return "—"
    minutes = max(int(value.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def duration_hours(value) -> float | None:
    """A duration in hours with one decimal, as exports carry it."""
    if value is None:
        return None
    return round(value.total_seconds() / 3600, 1)


def task_url(task) -> str:
    return reverse("process:task-detail", args=[task.pk])


def task_is_overdue(task, today=None) -> bool:
    return task.state != TaskState.DONE and task.due_date < (today or timezone.localdate())


#: Bootstrap badge classes per task state.
TASK_STATE_BADGES = {
    TaskState.OPEN: "text-bg-warning",
    TaskState.ACKNOWLEDGED: "text-bg-info",
    TaskState.DONE: "text-bg-success",
}


def _task_state_html(row, value):
    return format_html(
        '<span class="badge {}">{}</span>', TASK_STATE_BADGES.get(row.state, "text-bg-light"), value
    )


def _task_due_html(row, value):
    if task_is_overdue(row):
        return format_html(
            '<span class="badge text-bg-danger" data-testid="overdue">{} · {}</span>',
            date_format(value, "Y-m-d"),
            _("Overdue"),
        )
    return date_format(value, "Y-m-d")


def _elapsed(start: str, end: str):
    """How long after ``start`` the task reached ``end``, as people say it."""

    def value(row):
        finish = getattr(row, end)
        return format_duration(finish - getattr(row, start)) if finish is not None else None

    return value


class TaskTable(Table):
    """Hand-off tasks: who has them, when they are due, and how fast they were answered."""

    columns = [
        Column(
            "title", _("Task"), html=_link_html(task_url), order_by="title", classes="text-wrap"
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            html=_link_html(lambda row: row.project.get_absolute_url()),
            order_by="project__name",
            classes="text-wrap",
        ),
        Column("kind", _("Kind"), accessor=lambda row: str(row.kind), order_by="kind__sort_order"),
        Column("team", _("Team"), accessor="assignee_department__name"),
        Column("assignee", _("Assignee"), accessor="assignee__name"),
        Column(
            "state",
            _("State"),
            accessor="get_state_display",
            html=_task_state_html,
            order_by="state",
        ),
        Column("due_date", _("Due"), html=_task_due_html, order_by="due_date"),
        Column(
            "created_at",
            _("Created"),
            accessor=lambda row: timezone.localtime(row.created_at),
            html=_submitted_html,
            order_by="created_at",
        ),
        Column(
            "to_acknowledge",
            _("Time to acknowledge"),
            accessor=_elapsed("created_at", "acknowledged_at"),
        ),
        Column("to_done", _("Time to done"), accessor=_elapsed("created_at", "done_at")),
    ]


def rule_url(rule) -> str:
    return reverse("process:rule-update", args=[rule.pk])


def _rule_scope(row) -> str:
    if row.document_kind:
        return str(dict(DocumentKind.choices).get(row.document_kind, row.document_kind))
    if row.node_code:
        # The list names the node (``node_names`` set by the view), the code as a fallback.
        return getattr(row, "node_name", "") or row.node_code
    return "—"


def _rule_target(row) -> str:
    if row.action != RuleAction.CREATE_TASK:
        return str(row.get_action_display())
    person = f" · {row.assignee.name}" if row.assignee_id else ""
    return f"{row.task_kind} → {row.assignee_department}{person}"


class AutomationRuleTable(Table):
    columns = [
        Column("name", _("Name"), html=_link_html(rule_url), order_by="name", classes="text-wrap"),
        Column("event", _("Event"), accessor="get_event_display", order_by="event"),
        Column("narrowed", _("Node or document"), accessor=_rule_scope),
        Column("target", _("Then"), accessor=_rule_target, classes="text-wrap"),
        Column("due_days", _("Due in days"), order_by="due_days"),
        Column("notify_owner_manager", _("Notify the owner's manager")),
        Column("is_active", _("Active"), order_by="is_active"),
    ]


def category_url(category) -> str:
    return reverse("process:delay-category-update", args=[category.pk])


class DelayCategoryTable(Table):
    columns = [
        Column("name", _("Name"), html=_link_html(category_url), order_by="name"),
        Column("name_en", _("English name"), order_by="name_en"),
        Column("attribution", _("Attribution"), accessor="get_attribution_display"),
        Column("sort_order", _("Order"), order_by="sort_order"),
        Column("is_active", _("Active"), order_by="is_active"),
    ]


# --- Process templates and stalls ----------------------------------------------------------


def template_url(template) -> str:
    return reverse("process:template-detail", args=[template.pk])


#: Bootstrap badge classes per version status.
VERSION_BADGES = {
    "published": "text-bg-success",
    "draft": "text-bg-warning",
    "retired": "text-bg-light border",
}


def _template_limits(row) -> str:
    types = "、".join(str(o) for o in row.customer_types.all())
    categories = "、".join(str(o) for o in row.categories.all())
    parts = []
    if types:
        parts.append("{}: {}".format(_("Customer types"), types))
    if categories:
        parts.append("{}: {}".format(_("Project categories"), categories))
    return "; ".join(str(part) for part in parts) or str(_("Any project"))


def _template_versions(row) -> str:
    return ", ".join(f"v{v.number} {v.get_status_display()}" for v in row.shown_versions)


def _template_versions_html(row, value):
    badges = [
        format_html(
            '<span class="badge {} me-1" data-testid="version-badge">v{} · {}</span>',
            VERSION_BADGES.get(v.status, "text-bg-light"),
            v.number,
            v.get_status_display(),
        )
        for v in row.shown_versions
    ]
    # Each badge is already escaped by format_html; joining them keeps them safe.
    return format_html("{}" * len(badges), *badges) if badges else "—"


class ProcessTemplateTable(Table):
    """Process templates with their versions (drafts only for the editors)."""

    columns = [
        Column(
            "name", _("Name"), html=_link_html(template_url), order_by="name", classes="text-wrap"
        ),
        Column("code", _("Code"), order_by="code"),
        Column("limits", _("Used for"), accessor=_template_limits, classes="text-wrap"),
        Column(
            "versions", _("Versions"), accessor=_template_versions, html=_template_versions_html
        ),
        Column("running", _("Running projects"), order_by="running"),
        Column("is_active", _("Active"), order_by="is_active"),
    ]


def stall_reason_text(row) -> str:
    """Which threshold a stalled project passed, in words."""
    from pathscore.process import stalls

    node = _("node threshold %(days)d d") % {"days": row.node_stall_days}
    learned = (
        _("75%% of past projects within %(days)d d (%(samples)d samples)")
        % {"days": row.learned_days, "samples": row.learned_samples}
        if row.learned_days is not None
        else ""
    )
    if row.stall_reason == stalls.BOTH_THRESHOLDS:
        return f"{node}; {learned}"
    if row.stall_reason == stalls.LEARNED_THRESHOLD:
        return learned
    return node


def _stall_age_html(row, value):
    return format_html(
        '<span class="badge text-bg-danger">{}</span>', _("%(days)d d") % {"days": value}
    )


class StalledProjectTable(Table):
    """Projects whose current node has lasted longer than its threshold."""

    columns = [
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            html=_link_html(lambda row: row.project.get_absolute_url()),
            order_by="project__name",
            classes="text-wrap",
        ),
        Column("customer", _("Customer"), accessor="project__customer__name", classes="text-wrap"),
        Column("customer_type", _("Customer type"), accessor="project__customer__customer_type"),
        Column(
            "owner", _("Owner"), accessor="project__owner__name", order_by="project__owner__name"
        ),
        Column("node", _("Current node"), accessor="current_node__definition__name"),
        Column("current_since", _("At the node since"), html=_date_html, order_by="current_since"),
        Column("stall_age", _("Days at the node"), html=_stall_age_html, order_by="stall_age"),
        Column("reason", _("Threshold passed"), accessor=stall_reason_text, classes="text-wrap"),
    ]
