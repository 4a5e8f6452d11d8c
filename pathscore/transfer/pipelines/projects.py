"""Importing projects (sales opportunities).

Natural key: the project code (``external_code``, e.g. the ERP's project number) when the
row has one, else the customer and the project name among the projects the importer can
see. A new project starts its process like one opened on the page (the same service).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.crm import options as crm_options
from pathscore.crm import services
from pathscore.crm.models import Project
from pathscore.crm.views.common import can_write_records
from pathscore.transfer.choices import ImportEntity, RowAction
from pathscore.transfer.pipelines.base import (
    Column,
    Kind,
    Pipeline,
    Plan,
    Row,
    RowProblem,
    RowProblems,
    chunked,
)
from pathscore.transfer.pipelines.lookups import Customers, check_assignable

COLUMNS = (
    Column(
        "external_code",
        "项目编号",
        "Project code",
        max_length=40,
        example="XM-2026-0001",
        help=gettext_lazy(
            "Your own number for the project (e.g. from the ERP). Identifies the project: "
            "importing the same code again updates it. Follow-ups refer to it."
        ),
    ),
    Column(
        "name",
        "项目名称",
        "Project name",
        required=True,
        max_length=150,
        width=28,
        example="苏州工业园区储能电站项目",
        help=gettext_lazy("The project's name."),
    ),
    Column(
        "customer",
        "客户",
        "Customer",
        kind=Kind.REFERENCE,
        required=True,
        width=28,
        example="国网江苏省电力有限公司苏州供电分公司",
        help=gettext_lazy("The customer's credit code or exact name; the customer must exist."),
    ),
    Column(
        "category",
        "项目类别",
        "Category",
        kind=Kind.OPTION,
        option_kind=crm_options.PROJECT_CATEGORY,
        required=True,
        example="新能源项目",
        help=gettext_lazy("An entry of the project category list (the dropdown offers them)."),
    ),
    Column(
        "owner",
        "负责人",
        "Owner",
        kind=Kind.REFERENCE,
        dropdown="users",
        example="wangfang",
        help=gettext_lazy(
            "The owner's user name: you, or someone you manage. Empty: you. The owner of an "
            "existing project changes only by a hand-over on its page."
        ),
    ),
    Column(
        "estimated_amount",
        "预计金额（元）",
        "Estimated amount (CNY)",
        kind=Kind.AMOUNT,
        aliases=("预计金额", "Estimated amount"),
        example="1200000",
        help=gettext_lazy("In yuan: 1200000, 1,200,000 or 120万."),
    ),
    Column(
        "expected_sign_date",
        "预计签约日期",
        "Expected signing date",
        kind=Kind.DATE,
        example="2026-09-30",
        help=gettext_lazy("A date, e.g. 2026-09-30; not before the start."),
    ),
    Column(
        "started_on",
        "开始日期",
        "Started on",
        kind=Kind.DATE,
        example="2026-03-01",
        help=gettext_lazy("When the opportunity started. Empty: today. Cannot change later."),
    ),
    Column("description", "项目描述", "Description", width=30, help=gettext_lazy("Description.")),
)

UPDATABLE = ("name", "category", "estimated_amount", "expected_sign_date", "description")


class ProjectPipeline(Pipeline):
    entity = ImportEntity.PROJECTS
    sheet = "项目"
    sheet_en = "Projects"
    columns = COLUMNS
    key_help = gettext_lazy(
        "The project code finds the project; without one, the customer and the project name."
    )

    def allowed(self, scope) -> bool:
        return can_write_records(scope)

    def prepare(self, ctx, rows: list[Row]) -> None:
        self.customers = Customers(ctx.actor)
        self.customers.load(r.get("customer") for r in rows if r.has("customer"))
        ctx.people.load(r.get("owner") for r in rows if r.has("owner"))
        visible = Project.objects.visible_to(ctx.actor)
        codes = sorted({r.get("external_code") for r in rows if r.has("external_code")})
        self._by_code: dict[str, Project] = {}
        self._visible_ids: set[int] = set()
        for chunk in chunked(codes):
            for project in Project.objects.filter(external_code__in=chunk):
                self._by_code[project.external_code] = project
            self._visible_ids.update(
                visible.filter(external_code__in=chunk).values_list("pk", flat=True)
            )
        customer_ids = {c.pk for c in self.customers.by_code.values()}
        customer_ids.update(c.pk for named in self.customers.by_name.values() for c in named)
        names = {r.get("name") for r in rows if r.has("name")}
        self._by_name: dict[tuple[int, str], list[Project]] = {}
        for chunk in chunked(sorted(customer_ids)):
            for project in visible.filter(customer_id__in=chunk).order_by("pk"):
                if project.name in names:
                    self._by_name.setdefault((project.customer_id, project.name), []).append(
                        project
                    )
                    self._visible_ids.add(project.pk)

    def _existing(self, row: Row, customer) -> Project | None:
        code = row.get("external_code")
        if code and code in self._by_code:
            project = self._by_code[code]
            if project.pk not in self._visible_ids:
                raise RowProblem(
                    _("The project code %(code)s belongs to a project you cannot see.")
                    % {"code": code},
                    "external_code",
                )
            return project
        if customer is None:
            return None
        named = self._by_name.get((customer.pk, row.get("name")), [])
        if len(named) > 1:
            raise RowProblem(
                _(
                    "%(customer)s has several projects named “%(name)s”: add the project code "
                    "to say which."
                )
                % {"customer": customer.name, "name": row.get("name")},
                "name",
            )
        if named and code and named[0].external_code:
            raise RowProblem(
                _("The project “%(name)s” of this customer has another code: %(code)s.")
                % {"name": row.get("name"), "code": named[0].external_code},
                "external_code",
            )
        return named[0] if named else None

    def plan(self, ctx, row: Row) -> Plan:
        problems = []
        customer = existing = owner = None
        if row.has("customer"):
            try:
                customer = self.customers.resolve(row.get("customer"), "customer")
            except RowProblem as problem:
                problems.append(problem)
        try:
            existing = self._existing(row, customer)
        except RowProblem as problem:
            problems.append(problem)
        if row.has("owner"):
            try:
                owner = check_assignable(
                    ctx, ctx.people.resolve(row.get("owner"), "owner"), "owner"
                )
            except RowProblem as problem:
                problems.append(problem)
        values = {key: row.get(key) for key in UPDATABLE if row.has(key)}
        started_on = row.get("started_on")
        if existing is not None:
            if owner is not None and owner.pk != existing.owner_id:
                problems.append(
                    RowProblem(
                        _(
                            "The project has another owner: hand it over on its page to "
                            "change the owner."
                        ),
                        "owner",
                    )
                )
            if started_on is not None and started_on != existing.started_on:
                problems.append(
                    RowProblem(
                        _("The start of an existing project cannot be changed (%(date)s).")
                        % {"date": existing.started_on.isoformat()},
                        "started_on",
                    )
                )
            started_on = existing.started_on
        signing = values.get("expected_sign_date") or getattr(existing, "expected_sign_date", None)
        if signing and signing < (started_on or timezone.localdate()):
            problems.append(
                RowProblem(
                    _("The expected signing date cannot be before the start."),
                    "expected_sign_date",
                )
            )
        if problems:
            raise RowProblems(problems)
        if existing is None:
            values.update(customer=customer, owner=owner, started_on=started_on)
            values["external_code"] = row.get("external_code", "")
            return Plan(row=row.number, action=RowAction.CREATE, values=values)
        if customer is not None:
            values["customer"] = customer
        if row.has("external_code"):
            values["external_code"] = row.get("external_code")
        return self.update_or_unchanged(row, existing, self.changes(existing, values))

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        if plan is None:
            code = row.get("external_code")
            return (("code", code), "external_code") if code else None
        if plan.instance is not None:
            return ("project", plan.instance.pk), "name"
        if plan.values.get("external_code"):
            return ("code", plan.values["external_code"]), "external_code"
        return ("name", plan.values["customer"].pk, plan.values["name"]), "name"

    def write(self, ctx, plan: Plan):
        if plan.action == RowAction.CREATE:
            project = services.project_create(actor=ctx.actor, **plan.values)
            return project
        return services.project_update(project=plan.instance, actor=ctx.actor, **plan.values)
