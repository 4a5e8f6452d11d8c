"""Tables of the records, one section per sub-domain."""

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from pathscore.core.models.options import option_label
from pathscore.core.tables import Column, Many, Table
from pathscore.crm.choices import ProjectStatus

# --- Documents -----------------------------------------------------------------------------


def _local(value):
    """Aware datetimes shown and exported in the user's zone."""
    return timezone.localtime(value) if value is not None else None


def _document_project_html(row, value):
    return format_html('<a href="{}">{}</a>', row.project.get_absolute_url(), value)


def _document_version_html(row, value):
    if not value:
        return "—"
    return format_html('<span class="badge text-bg-primary">V{}</span>', value)


def _document_time_html(row, value):
    return date_format(value, "Y-m-d H:i") if value else "—"


class DocumentTable(Table):
    default_order = "-last_uploaded_at"
    columns = [
        Column("title", _("Title"), order_by="title", link=True, classes="text-wrap"),
        Column("kind", _("Kind"), accessor="get_kind_display", order_by="kind"),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            order_by="project__name",
            html=_document_project_html,
            classes="text-wrap",
        ),
        Column("customer", _("Customer"), accessor="project__customer__name", classes="text-wrap"),
        Column(
            "version_count",
            _("Latest version"),
            order_by="version_count",
            html=_document_version_html,
        ),
        Column(
            "last_uploaded_at",
            _("Last uploaded"),
            accessor=lambda row: _local(row.last_uploaded_at),
            order_by="last_uploaded_at",
            html=_document_time_html,
            fields=("last_uploaded_at",),
        ),
        Column("last_uploaded_by", _("Uploaded by"), accessor="last_uploaded_by"),
    ]


# --- Customers, contacts, projects ---------------------------------------------------------

#: Bootstrap badge classes per project status.
PROJECT_STATUS_BADGES = {
    ProjectStatus.ACTIVE: "text-bg-primary",
    ProjectStatus.WON: "text-bg-success",
    ProjectStatus.LOST: "text-bg-secondary",
    ProjectStatus.PAUSED: "text-bg-warning",
}


def format_cny(value) -> str:
    """An amount in yuan as people write it: ¥1,250,000.00."""
    if value is None:
        return "—"
    return f"¥{value:,.2f}"


def _cny_html(row, value):
    if value is None:
        return format_html("{}", "—")
    return format_html('<span class="text-nowrap">{}</span>', format_cny(value))


def project_status_badge(project) -> str:
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        PROJECT_STATUS_BADGES.get(project.status, "text-bg-light"),
        project.status,
        project.get_status_display(),
    )


def _record_link_html(url_of):
    def render(row, value):
        target = url_of(row)
        if value in (None, "") or target is None:
            return format_html("{}", value or "—")
        return format_html('<a href="{}">{}</a>', target.get_absolute_url(), value)

    return render


class CustomerTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), order_by="name", link=True),
        Column(
            "customer_type",
            _("Customer type"),
            accessor=lambda row: str(row.customer_type),
            order_by="customer_type__sort_order",
            fields=("customer_type__name", "customer_type__name_en"),
            export=option_label,
        ),
        Column("region", _("Region"), order_by="region"),
        Column("credit_code", _("Unified social credit code"), classes="font-monospace"),
        Column("owner", _("Account owner"), accessor="owner__name", order_by="owner__name"),
        Column("project_count", _("Projects"), order_by="project_count", classes="text-end"),
    ]


class ContactTable(Table):
    default_order = "name"
    columns = [
        Column("name", _("Name"), order_by="name", link=True),
        Column(
            "customer",
            _("Customer"),
            accessor="customer__name",
            order_by="customer__name",
            html=_record_link_html(lambda row: row.customer),
        ),
        Column("title", pgettext_lazy("job", "Title"), order_by="title"),
        Column(
            "decision_role",
            _("Role in the decision"),
            accessor="get_decision_role_display",
            order_by="decision_role",
        ),
        Column("mobile", _("Mobile")),
        Column("phone", _("Office phone")),
        Column("email", _("E-mail")),
    ]


class ProjectTable(Table):
    default_order = None
    columns = [
        Column("name", _("Name"), order_by="name", link=True),
        Column(
            "customer",
            _("Customer"),
            accessor="customer__name",
            order_by="customer__name",
            html=_record_link_html(lambda row: row.customer),
        ),
        Column("owner", _("Owner"), accessor="owner__name", order_by="owner__name"),
        Column(
            "category",
            _("Category"),
            accessor=lambda row: str(row.category),
            order_by="category__sort_order",
            fields=("category__name", "category__name_en"),
            export=option_label,
        ),
        Column(
            "estimated_amount",
            _("Estimated amount (CNY)"),
            order_by="estimated_amount",
            html=_cny_html,
            classes="text-end",
        ),
        Column(
            "expected_sign_date",
            _("Expected signing date"),
            order_by="expected_sign_date",
            html=lambda row, value: date_format(value, "Y-m-d") if value else "—",
        ),
        Column(
            "status",
            _("Status"),
            accessor="get_status_display",
            order_by="status",
            html=lambda row, value: project_status_badge(row),
        ),
    ]


# --- Follow-ups ----------------------------------------------------------------------------


def _followup_when(row):
    return timezone.localtime(row.occurred_at)


def _followup_when_html(row, value):
    return format_html(
        '<a href="{}">{}</a>', row.get_absolute_url(), date_format(value, "Y-m-d H:i")
    )


def _followup_target_html(row, value):
    # Narrow screens hide the customer column: a customer-only entry names its customer here.
    if row.project_id is None:
        return format_html(
            '<a class="text-secondary" href="{}"><i class="bi bi-building"></i> {}</a>',
            row.customer.get_absolute_url(),
            row.customer.name,
        )
    return format_html('<a href="{}">{}</a>', row.project.get_absolute_url(), row.project.name)


def _followup_customer_html(row, value):
    return format_html('<a href="{}">{}</a>', row.customer.get_absolute_url(), row.customer.name)


def _followup_content_html(row, value):
    return format_html(
        '<span class="ps-clip" title="{}">{}</span>', value, Truncator(value).chars(16)
    )


def _followup_names(related):
    return ", ".join(item.name for item in related.all())


def _followup_needs(row):
    return "\n".join(need.text for need in row.needs.all())


def _followup_needs_html(row, value):
    needs = list(row.needs.all())
    if not needs:
        return "—"
    open_count = sum(1 for need in needs if need.handled_at is None)
    if open_count:
        label = ngettext("%(count)d open", "%(count)d open", open_count) % {"count": open_count}
        return format_html('<span class="badge text-bg-warning" title="{}">{}</span>', value, label)
    return format_html(
        '<span class="badge text-bg-success" title="{}"><i class="bi bi-check2"></i> {}</span>',
        value,
        gettext("handled"),
    )


def _followup_next_date_html(row, value):
    if value is None:
        return "—"
    if row.next_action_done_at is not None:
        return format_html(
            '<span class="text-success"><i class="bi bi-check2"></i> {}</span>', value
        )
    return format_html("{}", value)


#: Columns that only wide screens show (the export always has them).
_FOLLOWUP_WIDE_ONLY = "d-none d-xxl-table-cell"


class FollowUpTable(Table):
    default_order = "-occurred_at"
    columns = [
        Column(
            "occurred_at",
            _("When"),
            accessor=_followup_when,
            order_by="occurred_at",
            html=_followup_when_html,
            fields=("occurred_at",),
        ),
        Column(
            "customer",
            _("Customer"),
            accessor="customer__name",
            order_by="customer__name",
            html=_followup_customer_html,
            classes=_FOLLOWUP_WIDE_ONLY,
        ),
        Column(
            "project",
            _("Project"),
            accessor="project__name",
            order_by="project__name",
            html=_followup_target_html,
        ),
        Column(
            "mode",
            _("Mode"),
            accessor=lambda row: str(row.mode),
            order_by="mode__sort_order",
            fields=("mode__name", "mode__name_en"),
            export=option_label,
        ),
        Column("author", _("Recorded by"), accessor="author__name", order_by="author__name"),
        Column("content", _("What was discussed"), html=_followup_content_html),
        Column(
            "participants",
            _("Our participants"),
            accessor=lambda row: _followup_names(row.participants),
            classes=_FOLLOWUP_WIDE_ONLY,
            many=Many("participants__name"),
        ),
        Column(
            "contacts",
            _("Customer participants"),
            accessor=lambda row: _followup_names(row.contacts),
            classes=_FOLLOWUP_WIDE_ONLY,
            many=Many("contacts__name"),
        ),
        Column(
            "needs",
            _("Customer needs"),
            accessor=_followup_needs,
            html=_followup_needs_html,
            many=Many("needs__text", order=("needs__pk",), separator="\n"),
        ),
        Column("next_action", _("Next action")),
        Column(
            "next_action_date",
            _("Planned for"),
            order_by="next_action_date",
            html=_followup_next_date_html,
        ),
    ]
