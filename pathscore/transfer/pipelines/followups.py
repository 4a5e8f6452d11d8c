"""Importing follow-ups (跟进记录), e.g. the history of a CRM being replaced.

Natural key: the external ID (the other system's key) when the row has one; else the
author, the customer, the project and the moment, since one person does not record two
contacts with the same customer at the same minute. The author is the importer or someone
they manage, and keeps the credit (the indicators count it for them); the history of the
change names the importer.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.crm import options as crm_options
from pathscore.crm import services
from pathscore.crm.models import Customer, FollowUp, Project
from pathscore.crm.services import FUTURE_TOLERANCE
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
        "external_id",
        "外部编号",
        "External ID",
        max_length=64,
        example="GJ-000123",
        help=gettext_lazy(
            "The follow-up's key in the system you migrate from. Identifies the follow-up: "
            "importing the same ID again updates it."
        ),
    ),
    Column(
        "project_code",
        "项目编号",
        "Project code",
        kind=Kind.REFERENCE,
        example="XM-2026-0001",
        help=gettext_lazy("The project's code. Or give the customer and the project name."),
    ),
    Column(
        "customer",
        "客户",
        "Customer",
        kind=Kind.REFERENCE,
        width=28,
        example="国网江苏省电力有限公司苏州供电分公司",
        help=gettext_lazy(
            "The customer's credit code or exact name. Required when there is no project code."
        ),
    ),
    Column(
        "project_name",
        "项目名称",
        "Project name",
        kind=Kind.REFERENCE,
        width=24,
        example="苏州工业园区储能电站项目",
        help=gettext_lazy(
            "The project's name at that customer. Empty (and no code): a follow-up with the "
            "customer, on no project."
        ),
    ),
    Column(
        "author",
        "记录人",
        "Recorded by",
        kind=Kind.REFERENCE,
        dropdown="users",
        example="wangfang",
        help=gettext_lazy(
            "The user name of who made the contact: you, or someone you manage. Empty: you."
        ),
    ),
    Column(
        "occurred_at",
        "跟进时间",
        "When",
        kind=Kind.DATETIME,
        required=True,
        example="2026-03-15 14:30",
        help=gettext_lazy("Date and time, e.g. 2026-03-15 14:30; not in the future."),
    ),
    Column(
        "mode",
        "跟进方式",
        "Mode",
        kind=Kind.OPTION,
        option_kind=crm_options.FOLLOWUP_MODE,
        required=True,
        example="上门拜访",
        help=gettext_lazy("An entry of the follow-up mode list (the dropdown offers them)."),
    ),
    Column(
        "content",
        "跟进内容",
        "What was discussed",
        required=True,
        width=40,
        example="拜访运检部，了解主变负载率和未来3年扩容计划。",
        help=gettext_lazy("What was discussed."),
    ),
    Column(
        "next_action",
        "下一步行动",
        "Next action",
        max_length=200,
        width=24,
        example="提交需求分析报告",
        help=gettext_lazy("The next step agreed, with its planned date."),
    ),
    Column(
        "next_action_date",
        "下一步计划日期",
        "Next action date",
        kind=Kind.DATE,
        example="2026-03-22",
        help=gettext_lazy("When the next action is planned; not before the follow-up."),
    ),
)

WRITTEN = ("occurred_at", "mode", "content", "next_action", "next_action_date")


class FollowUpPipeline(Pipeline):
    entity = ImportEntity.FOLLOWUPS
    sheet = "跟进记录"
    sheet_en = "Follow-ups"
    columns = COLUMNS
    key_help = gettext_lazy(
        "The external ID finds the follow-up; without one, the author, the customer, the "
        "project and the time."
    )
    field_columns = {"project": "project_code", "occurred_at": "occurred_at"}

    def allowed(self, scope) -> bool:
        return can_write_records(scope)

    def prepare(self, ctx, rows: list[Row]) -> None:
        actor = ctx.actor
        self.customers = Customers(actor)
        self.customers.load(r.get("customer") for r in rows if r.has("customer"))
        ctx.people.load(r.get("author") for r in rows if r.has("author"))
        visible_projects = Project.objects.visible_to(actor).select_related("customer")
        codes = sorted({r.get("project_code") for r in rows if r.has("project_code")})
        self._by_code: dict[str, Project] = {}
        for chunk in chunked(codes):
            for project in visible_projects.filter(external_code__in=chunk):
                self._by_code[project.external_code] = project
        customer_ids = {c.pk for c in self.customers.by_code.values()}
        customer_ids.update(c.pk for named in self.customers.by_name.values() for c in named)
        names = {r.get("project_name") for r in rows if r.has("project_name")}
        self._by_name: dict[tuple[int, str], list[Project]] = defaultdict(list)
        if names:
            for chunk in chunked(sorted(customer_ids)):
                for project in visible_projects.filter(customer_id__in=chunk, name__in=names):
                    self._by_name[(project.customer_id, project.name)].append(project)
        # Authors other than the importer must see the project (or customer) themselves.
        self._authors = {}
        for text in {r.get("author") for r in rows if r.has("author")}:
            with contextlib.suppress(RowProblem):
                self._authors[text] = ctx.people.resolve(text, "author")
        project_ids = [p.pk for p in self._by_code.values()]
        project_ids += [p.pk for named in self._by_name.values() for p in named]
        self._author_sees_projects: dict[int, set[int]] = {}
        self._author_sees_customers: dict[int, set[int]] = {}
        for author in {a.pk: a for a in self._authors.values() if a.pk != actor.pk}.values():
            seen = set()
            for chunk in chunked(sorted(set(project_ids))):
                seen.update(
                    Project.objects.visible_to(author)
                    .filter(pk__in=chunk)
                    .values_list("pk", flat=True)
                )
            self._author_sees_projects[author.pk] = seen
            customers = set()
            for chunk in chunked(sorted(customer_ids)):
                customers.update(
                    Customer.objects.visible_to(author)
                    .filter(pk__in=chunk)
                    .values_list("pk", flat=True)
                )
            self._author_sees_customers[author.pk] = customers
        # Existing follow-ups: by external ID, and by (author, customer, project, moment).
        external_ids = sorted({r.get("external_id") for r in rows if r.has("external_id")})
        self._by_external: dict[str, FollowUp] = {}
        visible_followups: set[int] = set()
        for chunk in chunked(external_ids):
            for followup in FollowUp.objects.filter(external_id__in=chunk):
                self._by_external[followup.external_id] = followup
            visible_followups.update(
                FollowUp.objects.visible_to(actor)
                .filter(external_id__in=chunk)
                .values_list("pk", flat=True)
            )
        self._visible_followups = visible_followups
        self._by_moment: dict[tuple, FollowUp] = {}
        moments = [
            r.get("occurred_at") for r in rows if r.has("occurred_at") and not r.has("external_id")
        ]
        if moments:
            author_ids = {a.pk for a in self._authors.values()} | {actor.pk}
            for followup in FollowUp.objects.filter(
                author_id__in=author_ids,
                occurred_at__gte=min(moments),
                occurred_at__lte=max(moments),
                external_id="",
            ):
                key = (
                    followup.author_id,
                    followup.customer_id,
                    followup.project_id,
                    followup.occurred_at,
                )
                self._by_moment[key] = followup

    def _target(self, ctx, row: Row, problems: list):
        """The project (or None) and the customer of the follow-up."""
        project = customer = None
        if row.has("customer"):
            try:
                customer = self.customers.resolve(row.get("customer"), "customer")
            except RowProblem as problem:
                problems.append(problem)
                return None, None
        if row.has("project_code"):
            project = self._by_code.get(row.get("project_code"))
            if project is None:
                problems.append(
                    RowProblem(
                        _("No project you can see has the code %(code)s.")
                        % {"code": row.get("project_code")},
                        "project_code",
                    )
                )
                return None, None
        elif row.has("project_name"):
            if customer is None:
                problems.append(
                    RowProblem(_("Give the project's customer, or its code."), "customer")
                )
                return None, None
            named = self._by_name.get((customer.pk, row.get("project_name")), [])
            if len(named) != 1:
                message = (
                    _(
                        "%(customer)s has several projects named “%(name)s”: give the project "
                        "code instead."
                    )
                    if named
                    else _("%(customer)s has no project named “%(name)s” that you can see.")
                )
                problems.append(
                    RowProblem(
                        message % {"customer": customer.name, "name": row.get("project_name")},
                        "project_name",
                    )
                )
                return None, None
            project = named[0]
        if project is not None:
            if customer is not None and customer.pk != project.customer_id:
                problems.append(
                    RowProblem(_("The project belongs to another customer."), "customer")
                )
            return project, project.customer
        if customer is None and "customer" not in row.failed:
            problems.append(RowProblem(_("Choose a project or a customer."), "customer"))
        return None, customer

    def plan(self, ctx, row: Row) -> Plan:
        problems: list[RowProblem] = []
        author = ctx.actor
        if row.has("author"):
            try:
                author = check_assignable(
                    ctx, ctx.people.resolve(row.get("author"), "author"), "author"
                )
            except RowProblem as problem:
                problems.append(problem)
                author = None
        project, customer = self._target(ctx, row, problems)
        if author is not None and author.pk != ctx.actor.pk and customer is not None:
            sees = (
                project.pk in self._author_sees_projects.get(author.pk, set())
                if project is not None
                else customer.pk in self._author_sees_customers.get(author.pk, set())
            )
            if not sees:
                problems.append(
                    RowProblem(
                        _("%(name)s cannot see this project or customer.") % {"name": author.name},
                        "author",
                    )
                )
        occurred_at = row.get("occurred_at")
        if occurred_at is not None and occurred_at > timezone.now() + FUTURE_TOLERANCE:
            problems.append(
                RowProblem(_("A follow-up cannot be recorded in the future."), "occurred_at")
            )
        next_action = (row.get("next_action") or "").strip()
        next_date = row.get("next_action_date")
        if next_date and not next_action and "next_action_date" not in row.failed:
            problems.append(RowProblem(_("Say what the next action is."), "next_action"))
        if next_action and not next_date and "next_action_date" not in row.failed:
            problems.append(RowProblem(_("Plan a date for the next action."), "next_action_date"))
        if next_date and occurred_at and next_date < timezone.localdate(occurred_at, ctx.zone):
            problems.append(
                RowProblem(
                    _("The next action cannot be planned before the follow-up."),
                    "next_action_date",
                )
            )
        existing = None
        if not problems and author is not None and customer is not None:
            existing = self._existing(row, author, customer, project, problems)
        if problems:
            raise RowProblems(problems)
        values = {key: row.get(key) for key in WRITTEN if row.has(key)}
        values.update(project=project, customer=customer)
        extra = {"author": author, "project": project, "customer": customer}
        if existing is None:
            values["external_id"] = row.get("external_id", "")
            return Plan(row=row.number, action=RowAction.CREATE, values=values, extra=extra)
        return self.update_or_unchanged(row, existing, self.changes(existing, values), **extra)

    def _existing(self, row, author, customer, project, problems) -> FollowUp | None:
        external_id = row.get("external_id")
        if external_id:
            existing = self._by_external.get(external_id)
            if existing is None:
                return None
            if existing.pk not in self._visible_followups:
                problems.append(
                    RowProblem(
                        _("The external ID %(id)s belongs to a follow-up you cannot see.")
                        % {"id": external_id},
                        "external_id",
                    )
                )
                return None
        else:
            key = (author.pk, customer.pk, project.pk if project else None, row.get("occurred_at"))
            existing = self._by_moment.get(key)
            if existing is None:
                return None
        if existing.author_id != author.pk:
            problems.append(
                RowProblem(
                    _("This follow-up was recorded by someone else; its author cannot change."),
                    "author",
                )
            )
            return None
        return existing

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        if row.has("external_id"):
            return ("external", row.get("external_id")), "external_id"
        if plan is None:
            return None
        project = plan.extra["project"]
        return (
            (
                "moment",
                plan.extra["author"].pk,
                plan.extra["customer"].pk,
                project.pk if project else None,
                row.get("occurred_at"),
            ),
            "occurred_at",
        )

    #: New follow-ups are saved this many at a time (one progress step each).
    CREATE_CHUNK = 5000

    def write(self, ctx, plan: Plan):
        author = plan.extra["author"]
        if plan.action == RowAction.CREATE:
            return services.followup_create(actor=author, **plan.values)
        return services.followup_update(followup=plan.instance, actor=author, **plan.values)

    def write_all(self, ctx, plans: list[Plan], *, refused, progress) -> None:
        """Updates one by one; new follow-ups in bulk (``followup_create_many``), since
        saving fifty thousand one at a time takes minutes."""
        updates = [p for p in plans if p.action != RowAction.CREATE]
        creates = [p for p in plans if p.action == RowAction.CREATE]
        super().write_all(ctx, updates, refused=refused, progress=progress)
        done = len(updates)
        for start in range(0, len(creates), self.CREATE_CHUNK):
            chunk = creates[start : start + self.CREATE_CHUNK]
            entries = [{"actor": plan.extra["author"], **plan.values} for plan in chunk]
            try:
                services.followup_create_many(entries=entries, recorded_by=ctx.actor)
            except services.FollowUpEntryError as error:
                refused(chunk[error.index], error)
                return
            except PermissionDenied as error:
                refused(chunk[0], error)
                return
            done += len(chunk)
            progress(done)
