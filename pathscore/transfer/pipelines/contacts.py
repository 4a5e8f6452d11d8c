"""Importing contacts (people at customers).

Natural key: the customer (by credit code or name) and the contact's name, with the
mobile number when the row gives one: two people of the same name at one customer are
told apart by their mobiles.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.crm import services
from pathscore.crm.choices import DecisionRole
from pathscore.crm.models import Contact
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
from pathscore.transfer.pipelines.lookups import Customers

COLUMNS = (
    Column(
        "customer",
        "客户",
        "Customer",
        kind=Kind.REFERENCE,
        required=True,
        width=28,
        example="国网江苏省电力有限公司苏州供电分公司",
        help=gettext_lazy(
            "The customer's credit code or exact name; it must already exist and be one you "
            "can see."
        ),
    ),
    Column(
        "name",
        "姓名",
        "Name",
        required=True,
        max_length=60,
        example="张伟",
        help=gettext_lazy("The contact's name."),
    ),
    Column(
        "title",
        "职务",
        "Title",
        max_length=60,
        example="运检部主任",
        help=gettext_lazy("Job title."),
    ),
    Column(
        "decision_role",
        "决策角色",
        "Role in the decision",
        kind=Kind.CHOICE,
        choices=DecisionRole,
        example="决策人",
        help=gettext_lazy("The contact's place in the customer's decision chain."),
    ),
    Column(
        "mobile",
        "手机",
        "Mobile",
        max_length=20,
        example="13800138000",
        help=gettext_lazy(
            "Mobile number. Tells two contacts of the same name at one customer apart."
        ),
    ),
    Column(
        "phone",
        "办公电话",
        "Office phone",
        max_length=30,
        example="0512-12345678",
        help=gettext_lazy("Office phone."),
    ),
    Column(
        "email",
        "电子邮箱",
        "E-mail",
        max_length=254,
        width=24,
        example="zhangwei@example.com",
        help=gettext_lazy("E-mail address."),
    ),
    Column("notes", "备注", "Notes", width=30, help=gettext_lazy("Free notes.")),
)

FIELDS = ("name", "title", "decision_role", "mobile", "phone", "email", "notes")


class ContactPipeline(Pipeline):
    entity = ImportEntity.CONTACTS
    sheet = "联系人"
    sheet_en = "Contacts"
    columns = COLUMNS
    key_help = gettext_lazy(
        "The customer and the contact's name (with the mobile number when given) find the contact."
    )

    def allowed(self, scope) -> bool:
        return can_write_records(scope)

    def prepare(self, ctx, rows: list[Row]) -> None:
        self.customers = Customers(ctx.actor)
        self.customers.load(r.get("customer") for r in rows if r.has("customer"))
        customer_ids = {c.pk for c in self.customers.by_code.values()}
        customer_ids.update(c.pk for named in self.customers.by_name.values() for c in named)
        self._contacts: dict[tuple[int, str], list[Contact]] = {}
        for chunk in chunked(sorted(customer_ids)):
            for contact in Contact.objects.filter(customer_id__in=chunk).order_by("pk"):
                self._contacts.setdefault((contact.customer_id, contact.name), []).append(contact)

    def _existing(self, customer, row: Row) -> Contact | None:
        same_name = self._contacts.get((customer.pk, row.get("name")), [])
        mobile = row.get("mobile")
        if mobile:
            matching = [c for c in same_name if c.mobile == mobile]
            if matching:
                return matching[0]
            without = [c for c in same_name if not c.mobile]
            return without[0] if len(without) == 1 and len(same_name) == 1 else None
        if len(same_name) > 1:
            raise RowProblem(
                _(
                    "%(customer)s has several contacts named “%(name)s”: add the mobile number "
                    "to say which."
                )
                % {"customer": customer.name, "name": row.get("name")},
                "name",
            )
        return same_name[0] if same_name else None

    def plan(self, ctx, row: Row) -> Plan:
        problems = []
        values = {key: row.get(key) for key in FIELDS if row.has(key)}
        if row.has("email"):
            try:
                validate_email(row.get("email"))
            except ValidationError:
                problems.append(RowProblem(_("Enter a valid e-mail address."), "email"))
        customer = existing = None
        if row.has("customer"):
            try:
                customer = self.customers.resolve(row.get("customer"), "customer")
                if row.has("name"):
                    existing = self._existing(customer, row)
            except RowProblem as problem:
                problems.append(problem)
        if problems:
            raise RowProblems(problems)
        if existing is None:
            return Plan(
                row=row.number, action=RowAction.CREATE, values={"customer": customer, **values}
            )
        return self.update_or_unchanged(row, existing, self.changes(existing, values))

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        if plan is None:
            return None
        if plan.instance is not None:
            return ("contact", plan.instance.pk), "name"
        customer = plan.values["customer"]
        return ("new", customer.pk, row.get("name"), row.get("mobile") or ""), "name"

    def write(self, ctx, plan: Plan):
        if plan.action == RowAction.CREATE:
            return services.contact_create(actor=ctx.actor, **plan.values)
        return services.contact_update(contact=plan.instance, actor=ctx.actor, **plan.values)
