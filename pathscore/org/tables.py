from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pathscore.core.tables import Column, Table


def _roles_html(row, value):
    return format_html_join(
        " ",
        '<span class="badge text-bg-light border">{}</span>',
        ((grant.get_role_display(),) for grant in row.role_grants.all()),
    )


def _roles_text(row):
    return ", ".join(str(grant.get_role_display()) for grant in row.role_grants.all())


def _active_html(row, value):
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', _("Active"))
    return format_html('<span class="badge text-bg-secondary">{}</span>', _("Inactive"))


class UserTable(Table):
    default_order = "username"
    columns = [
        Column("name", _("Name"), order_by="name", link=True),
        Column("username", _("User name"), order_by="username"),
        Column("employee_no", _("Employee number"), order_by="employee_no"),
        Column(
            "department", _("Department"), accessor="department__name", order_by="department__path"
        ),
        Column("title", pgettext_lazy("job", "Title"), order_by="title"),
        Column("roles", _("Roles"), accessor=_roles_text, html=_roles_html),
        Column("mobile", _("Mobile")),
        Column("is_active", _("Status"), order_by="is_active", html=_active_html),
    ]


def _department_name_html(row, value):
    return format_html(
        '<span class="tree-indent" data-depth="{}"></span><a href="{}">{}</a>',
        row.depth,
        row.get_absolute_url(),
        value,
    )


class DepartmentTable(Table):
    columns = [
        Column("name", _("Name"), html=_department_name_html),
        Column("code", _("Code")),
        Column("kind", _("Kind"), accessor="get_kind_display"),
        Column("head", _("Head"), accessor="head__name"),
        Column("member_count", _("Members")),
        Column("is_active", _("Status"), html=_active_html),
    ]
