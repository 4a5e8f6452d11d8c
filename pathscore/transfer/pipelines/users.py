"""Importing people (accounts with department and roles). System and HR admins only.

Natural key: the user name. New accounts get no password (they cannot sign in yet): the
import's result lists them, each with a link to set a first password, as creating a person
on the page without a password does.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.core.choices import Role
from pathscore.org import services
from pathscore.org.models import RoleGrant, User
from pathscore.transfer.choices import ImportEntity, RowAction
from pathscore.transfer.pipelines.base import (
    Column,
    Kind,
    Pipeline,
    Plan,
    Row,
    RowProblem,
    RowProblems,
    choice_lookup,
    chunked,
)
from pathscore.transfer.pipelines.lookups import Departments

USERNAME = re.compile(r"^[\w.\-]+$")

COLUMNS = (
    Column(
        "username",
        "用户名",
        "User name",
        required=True,
        max_length=150,
        example="wangfang",
        help=gettext_lazy(
            "Used to sign in: letters, digits and . _ - only. Identifies the person: "
            "importing the same user name again updates them."
        ),
    ),
    Column(
        "name",
        "姓名",
        "Name",
        required=True,
        max_length=60,
        example="王芳",
        help=gettext_lazy("The person's name."),
    ),
    Column(
        "employee_no",
        "工号",
        "Employee number",
        max_length=32,
        example="E1001",
        help=gettext_lazy("Unique, if your company uses employee numbers."),
    ),
    Column(
        "department",
        "部门",
        "Department",
        kind=Kind.REFERENCE,
        required=True,
        dropdown="departments",
        width=30,
        example="测试电力公司/华东区域/华东一部",
        help=gettext_lazy(
            "The department's code, its full path or a name only one department has."
        ),
    ),
    Column(
        "roles",
        "角色",
        "Roles",
        kind=Kind.MULTI,
        dropdown="roles",
        width=24,
        example="销售人员",
        help=gettext_lazy(
            "One or more roles, separated by 、 or a comma (e.g. 销售人员、销售经理). "
            "Empty: none (for a new person) or unchanged."
        ),
    ),
    Column(
        "title",
        "职务",
        "Job title",
        max_length=60,
        example="客户经理",
        help=gettext_lazy("Job title."),
    ),
    Column(
        "mobile",
        "手机",
        "Mobile",
        max_length=20,
        example="13800138000",
        help=gettext_lazy("Mobile number."),
    ),
    Column(
        "email",
        "电子邮箱",
        "E-mail",
        max_length=254,
        width=24,
        example="wangfang@example.com",
        help=gettext_lazy("E-mail address."),
    ),
    Column(
        "hire_date",
        "入职日期",
        "Hire date",
        kind=Kind.DATE,
        example="2026-03-01",
        help=gettext_lazy("A date, e.g. 2026-03-01."),
    ),
)

FIELDS = ("name", "employee_no", "title", "mobile", "email", "hire_date")


class UserPipeline(Pipeline):
    entity = ImportEntity.USERS
    sheet = "人员"
    sheet_en = "People"
    columns = COLUMNS
    key_help = gettext_lazy("The user name finds the person.")

    def allowed(self, scope) -> bool:
        return scope.manages_org

    def prepare(self, ctx, rows: list[Row]) -> None:
        self.departments = Departments()
        self.role_names = choice_lookup(Role)
        usernames = sorted({r.get("username") for r in rows if r.has("username")})
        self._users: dict[str, User] = {}
        for chunk in chunked(usernames):
            for user in User.objects.filter(username__in=chunk):
                self._users[user.username] = user
        self._roles: dict[int, set[str]] = {}
        ids = sorted(u.pk for u in self._users.values())
        for chunk in chunked(ids):
            for user_id, role in RoleGrant.objects.filter(user_id__in=chunk).values_list(
                "user_id", "role"
            ):
                self._roles.setdefault(user_id, set()).add(role)
        numbers = sorted({r.get("employee_no") for r in rows if r.has("employee_no")})
        self._numbers: dict[str, str] = {}
        for chunk in chunked(numbers):
            for number, username in User.objects.filter(employee_no__in=chunk).values_list(
                "employee_no", "username"
            ):
                self._numbers[number] = username

    def plan(self, ctx, row: Row) -> Plan:
        problems = []
        username = row.get("username") or ""
        if username and not USERNAME.match(username):
            problems.append(RowProblem(_("Use only letters, digits and . _ -"), "username"))
        values = {key: row.get(key) for key in FIELDS if row.has(key)}
        if row.has("email"):
            try:
                validate_email(row.get("email"))
            except ValidationError:
                problems.append(RowProblem(_("Enter a valid e-mail address."), "email"))
        if row.has("employee_no"):
            holder = self._numbers.get(row.get("employee_no"))
            if holder is not None and holder != username:
                problems.append(
                    RowProblem(
                        _("The employee number %(number)s belongs to %(username)s.")
                        % {"number": row.get("employee_no"), "username": holder},
                        "employee_no",
                    )
                )
        if row.has("department"):
            try:
                department = self.departments.resolve(row.get("department"), "department")
                if not department.is_active:
                    raise RowProblem(
                        _("The department %(name)s is deactivated.") % {"name": department.name},
                        "department",
                    )
                values["department"] = department
            except RowProblem as problem:
                problems.append(problem)
        roles = None
        if row.has("roles"):
            roles, unknown = set(), []
            for text in row.get("roles"):
                role = self.role_names.get(text.casefold())
                if role is None:
                    unknown.append(text)
                else:
                    roles.add(role)
            if unknown:
                problems.append(
                    RowProblem(
                        _("Unknown role: %(roles)s. The roles are: %(choices)s.")
                        % {
                            "roles": "、".join(unknown),
                            "choices": "、".join(str(label) for _v, label in Role.choices),
                        },
                        "roles",
                    )
                )
        if problems:
            raise RowProblems(problems)
        existing = self._users.get(username)
        if existing is None:
            values["username"] = username
            return Plan(
                row=row.number,
                action=RowAction.CREATE,
                values=values,
                extra={"username": username, "roles": sorted(roles or ())},
            )
        changed = self.changes(existing, values)
        new_roles = None
        if roles is not None and roles != self._roles.get(existing.pk, set()):
            new_roles = sorted(roles)
        plan = self.update_or_unchanged(row, existing, changed, username=username, roles=new_roles)
        if new_roles is not None:
            plan.action = RowAction.UPDATE
        return plan

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        username = row.get("username")
        return (("username", username), "username") if username else None

    def write(self, ctx, plan: Plan):
        if plan.action == RowAction.CREATE:
            user = services.user_create(
                password=None, roles=plan.extra["roles"], actor=ctx.actor, **plan.values
            )
            ctx.result.setdefault("accounts", []).append(
                {"id": user.pk, "username": user.username, "name": user.name}
            )
            return user
        return services.user_update(
            user=plan.instance, actor=ctx.actor, roles=plan.extra["roles"], **plan.values
        )
