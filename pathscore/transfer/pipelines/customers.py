"""Importing customers.

Natural key: the unified social credit code when the row has one, else the exact name
among the customers the importer can see. A row with a credit code also finds a customer
of that name that has no code yet, and gives it the code.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.crm import options as crm_options
from pathscore.crm import services
from pathscore.crm.models import Customer
from pathscore.crm.validators import validate_credit_code
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
from pathscore.transfer.pipelines.lookups import check_assignable

COORDINATE = Decimal("0.000001")

COLUMNS = (
    Column(
        "name",
        "客户名称",
        "Customer name",
        required=True,
        max_length=120,
        width=28,
        example="国网江苏省电力有限公司苏州供电分公司",
        help=gettext_lazy("The customer's full name, as on the business licence."),
    ),
    Column(
        "customer_type",
        "客户类型",
        "Customer type",
        kind=Kind.OPTION,
        option_kind=crm_options.CUSTOMER_TYPE,
        required=True,
        example="电网公司",
        help=gettext_lazy("An entry of the customer type list (the dropdown offers them)."),
    ),
    Column(
        "credit_code",
        "统一社会信用代码",
        "Credit code",
        aliases=("Unified social credit code",),
        width=24,
        example="91320500MA1MB4T2XT",
        help=gettext_lazy(
            "18 characters, as printed on the business licence. Identifies the customer: "
            "importing the same code again updates the customer."
        ),
    ),
    Column(
        "region",
        "所在区域",
        "Region",
        max_length=60,
        example="江苏苏州",
        help=gettext_lazy("Province and city, e.g. 江苏苏州."),
    ),
    Column("address", "地址", "Address", max_length=200, width=30, help=gettext_lazy("Address.")),
    Column(
        "latitude",
        "纬度",
        "Latitude",
        kind=Kind.DECIMAL,
        minimum=Decimal(-90),
        maximum=Decimal(90),
        example="31.298886",
        help=gettext_lazy("The site's latitude in degrees, e.g. 31.298886."),
    ),
    Column(
        "longitude",
        "经度",
        "Longitude",
        kind=Kind.DECIMAL,
        minimum=Decimal(-180),
        maximum=Decimal(180),
        example="120.585316",
        help=gettext_lazy("The site's longitude in degrees, e.g. 120.585316."),
    ),
    Column(
        "owner",
        "客户负责人",
        "Account owner",
        kind=Kind.REFERENCE,
        dropdown="users",
        example="wangfang",
        help=gettext_lazy(
            "The user name of the account owner: you, or someone you manage. Empty: you "
            "(for a new customer) or unchanged."
        ),
    ),
    Column("notes", "备注", "Notes", width=30, help=gettext_lazy("Free notes.")),
)


class CustomerPipeline(Pipeline):
    entity = ImportEntity.CUSTOMERS
    sheet = "客户"
    sheet_en = "Customers"
    columns = COLUMNS
    key_help = gettext_lazy(
        "The credit code finds the customer; without one, the exact customer name among the "
        "customers you can see."
    )

    def allowed(self, scope) -> bool:
        return can_write_records(scope)

    def prepare(self, ctx, rows: list[Row]) -> None:
        codes = sorted(
            {str(r.get("credit_code")).strip().upper() for r in rows if r.has("credit_code")}
        )
        names = sorted({r.get("name") for r in rows if r.has("name")})
        self._by_code: dict[str, Customer] = {}
        visible_ids: set[int] = set()
        visible = Customer.objects.visible_to(ctx.actor)
        for chunk in chunked(codes):
            # Every customer with the code, seen or not: a code is registered once.
            for customer in Customer.objects.filter(credit_code__in=chunk).select_related(
                "owner__department"
            ):
                self._by_code[customer.credit_code] = customer
            visible_ids.update(visible.filter(credit_code__in=chunk).values_list("pk", flat=True))
        self._visible_ids = visible_ids
        self._by_name: dict[str, list[Customer]] = {}
        for chunk in chunked(names):
            for customer in visible.filter(name__in=chunk).order_by("pk"):
                self._by_name.setdefault(customer.name, []).append(customer)
        ctx.people.load(r.get("owner") for r in rows if r.has("owner"))

    def _existing(self, row: Row, code: str | None) -> Customer | None:
        if code and code in self._by_code:
            customer = self._by_code[code]
            if customer.pk not in self._visible_ids:
                department = customer.owner.department.name if customer.owner.department_id else "—"
                raise RowProblem(
                    _(
                        "This credit code is already registered to a customer held by "
                        "%(department)s."
                    )
                    % {"department": department},
                    "credit_code",
                )
            return customer
        named = self._by_name.get(row.get("name"), [])
        if code:
            named = [c for c in named if not c.credit_code]
        if len(named) > 1:
            raise RowProblem(
                _(
                    "Several customers you can see are named “%(name)s”: add the credit code "
                    "to say which."
                )
                % {"name": row.get("name")},
                "name",
            )
        return named[0] if named else None

    def plan(self, ctx, row: Row) -> Plan:
        problems = []
        values = {}
        code = None
        if row.has("credit_code"):
            code = str(row.get("credit_code")).strip().upper()
            try:
                validate_credit_code(code)
            except ValidationError as error:
                problems.append(RowProblem(" ".join(error.messages), "credit_code"))
            values["credit_code"] = code
        for key in ("name", "customer_type", "region", "address", "notes"):
            if row.has(key):
                values[key] = row.get(key)
        for key in ("latitude", "longitude"):
            if row.has(key):
                values[key] = row.get(key).quantize(COORDINATE)
        if row.has("owner"):
            try:
                owner = ctx.people.resolve(row.get("owner"), "owner")
                values["owner"] = check_assignable(ctx, owner, "owner")
            except RowProblem as problem:
                problems.append(problem)
        try:
            existing = self._existing(row, code)
        except RowProblem as problem:
            problems.append(problem)
            existing = None
        if problems:
            raise RowProblems(problems)
        if existing is None:
            return Plan(row=row.number, action=RowAction.CREATE, values=values)
        return self.update_or_unchanged(row, existing, self.changes(existing, values))

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        if plan is None:
            code = str(row.get("credit_code") or "").strip().upper()
        else:
            code = plan.values.get("credit_code") or getattr(plan.instance, "credit_code", None)
        if code:
            return ("code", code), "credit_code"
        return (("name", row.get("name")), "name") if row.has("name") else None

    def write(self, ctx, plan: Plan):
        if plan.action == RowAction.CREATE:
            return services.customer_create(actor=ctx.actor, **plan.values)
        return services.customer_update(customer=plan.instance, actor=ctx.actor, **plan.values)
