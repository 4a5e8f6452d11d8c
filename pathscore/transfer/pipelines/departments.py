"""Importing departments (the organisation tree). System and HR admins only.

Natural key: the department code. The parent is named by its code, its full path of names
(测试电力公司/华东区域) or a name only one department has, and may be another row of the same
file: parents are written before their children.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.org import services
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department
from pathscore.transfer.choices import ImportEntity, RowAction
from pathscore.transfer.pipelines.base import (
    Column,
    Kind,
    Pipeline,
    Plan,
    Row,
    RowProblem,
    RowProblems,
)
from pathscore.transfer.pipelines.lookups import Departments, normalise_path

CODE = re.compile(r"^[-a-zA-Z0-9_]+$")

COLUMNS = (
    Column(
        "code",
        "部门编码",
        "Code",
        required=True,
        max_length=40,
        example="east-team-1",
        help=gettext_lazy(
            "A short unique code (letters, digits, - and _). Identifies the department: "
            "importing the same code again updates it."
        ),
    ),
    Column(
        "name",
        "部门名称",
        "Name",
        required=True,
        max_length=100,
        example="华东一部",
        help=gettext_lazy("The department's name."),
    ),
    Column(
        "parent",
        "上级部门",
        "Parent department",
        kind=Kind.REFERENCE,
        dropdown="departments",
        width=30,
        example="华东区域",
        help=gettext_lazy(
            "The parent's code, its full path (e.g. 测试电力公司/华东区域) or a name only one "
            "department has; may be a department of this file. Empty: a top-level department "
            "(or unchanged)."
        ),
    ),
    Column(
        "kind",
        "类型",
        "Kind",
        kind=Kind.CHOICE,
        choices=DepartmentKind,
        example="团队",
        help=gettext_lazy("Company, branch / region or team. Empty: team."),
    ),
    Column(
        "head",
        "负责人",
        "Head",
        kind=Kind.REFERENCE,
        dropdown="users",
        example="lijing",
        help=gettext_lazy("The head's user name; the head manages the department's subtree."),
    ),
    Column(
        "sort_order",
        "排序",
        "Sort order",
        kind=Kind.INTEGER,
        minimum=0,
        example="10",
        help=gettext_lazy("A whole number; smaller comes first."),
    ),
)


class DepartmentPipeline(Pipeline):
    entity = ImportEntity.DEPARTMENTS
    sheet = "部门"
    sheet_en = "Departments"
    columns = COLUMNS
    key_help = gettext_lazy("The department code finds the department.")

    def allowed(self, scope) -> bool:
        return scope.manages_org

    def prepare(self, ctx, rows: list[Row]) -> None:
        self.tree = Departments()
        ctx.people.load(r.get("head") for r in rows if r.has("head"))
        self._rows = {r.get("code").casefold(): r for r in reversed(rows) if r.has("code")}
        # Parents first named by the file: by code, by existing department, or by a path
        # through other rows of the file (resolved as far as it goes).
        self._parent: dict[int, tuple[str, object] | RowProblem] = {}
        file_paths: dict[str, str] = {}
        pending = [r for r in rows if r.has("parent") and r.has("code")]
        for row in rows:
            if row.has("code") and not row.has("parent"):
                existing = self.tree.by_code.get(row.get("code").casefold())
                names = self.tree.path_of.get(existing.pk) if existing else row.get("name")
                if names:
                    file_paths[normalise_path(names)] = row.get("code").casefold()
        progress = True
        while pending and progress:
            progress = False
            for row in list(pending):
                text = row.get("parent")
                target = self._find_parent(text, file_paths)
                if target is None:
                    continue
                self._parent[row.number] = target
                parent_path = self._path_of(target, file_paths)
                if parent_path is not None and row.has("name"):
                    file_paths[normalise_path(f"{parent_path}/{row.get('name')}")] = row.get(
                        "code"
                    ).casefold()
                pending.remove(row)
                progress = True
        for row in pending:
            self._parent[row.number] = RowProblem(
                _("Unknown department “%(value)s”.") % {"value": row.get("parent")}, "parent"
            )
        # Each code's parent code once the file is applied, to find loops.
        self._parent_code: dict[str, str | None] = {}
        code_of_pk = {d.pk: d.code.casefold() for d in self.tree.all}
        for department in self.tree.all:
            self._parent_code[department.code.casefold()] = code_of_pk.get(department.parent_id)
        for code, row in self._rows.items():
            target = self._parent.get(row.number)
            if isinstance(target, tuple):
                self._parent_code[code] = self._code_of(target)
            elif not row.has("parent") and code not in self._parent_code:
                self._parent_code[code] = None

    def _find_parent(self, text: str, file_paths: dict[str, str]):
        code = str(text).strip().casefold()
        if code in self._rows:
            return ("file", code)
        if normalise_path(text) in file_paths:
            return ("file", file_paths[normalise_path(text)])
        existing = self.tree.find(text)
        if existing is not None:
            return ("db", existing)
        return None

    def _code_of(self, target) -> str:
        kind, value = target
        return value if kind == "file" else value.code.casefold()

    def _path_of(self, target, file_paths: dict[str, str]) -> str | None:
        kind, value = target
        if kind == "db":
            return self.tree.path_of.get(value.pk)
        return next((path for path, code in file_paths.items() if code == value), None)

    def _loops(self, code: str) -> bool:
        seen = {code}
        current = self._parent_code.get(code)
        while current is not None:
            if current in seen:
                return True
            seen.add(current)
            current = self._parent_code.get(current)
        return False

    def plan(self, ctx, row: Row) -> Plan:
        problems = []
        code = row.get("code") or ""
        if code and not CODE.match(code):
            problems.append(RowProblem(_("Use only letters, digits, - and _ in a code."), "code"))
        existing = self.tree.by_code.get(code.casefold())
        values = {key: row.get(key) for key in ("name", "kind", "sort_order") if row.has(key)}
        parent_target = None
        if row.has("parent"):
            target = self._parent.get(row.number)
            if isinstance(target, RowProblem):
                problems.append(target)
            elif target is not None:
                if self._code_of(target) == code.casefold():
                    problems.append(
                        RowProblem(_("A department cannot be its own parent."), "parent")
                    )
                elif self._loops(code.casefold()):
                    problems.append(
                        RowProblem(
                            _("A department cannot be moved under itself or one of its teams."),
                            "parent",
                        )
                    )
                else:
                    parent_target = target
        if row.has("head"):
            try:
                head = ctx.people.resolve(row.get("head"), "head")
                if not head.is_active:
                    raise RowProblem(_("%(name)s is deactivated.") % {"name": head.name}, "head")
                values["head"] = head
            except RowProblem as problem:
                problems.append(problem)
        if problems:
            raise RowProblems(problems)
        extra = {"code": code, "parent": parent_target}
        if existing is None:
            values.setdefault("kind", DepartmentKind.TEAM)
            values["code"] = code
            return Plan(row=row.number, action=RowAction.CREATE, values=values, extra=extra)
        changed = self.changes(existing, values)
        if parent_target is not None:
            kind, value = parent_target
            parent = value if kind == "db" else self.tree.by_code.get(value)
            if parent is None or parent.pk != existing.parent_id:
                changed["parent"] = parent_target
        return self.update_or_unchanged(row, existing, changed, **extra)

    def natural_key(self, ctx, row: Row, plan: Plan | None):
        code = row.get("code")
        return (("code", code.casefold()), "code") if code else None

    def order(self, plans: list[Plan]) -> list[Plan]:
        def depth(plan: Plan) -> int:
            steps, current = 0, self._parent_code.get(plan.extra["code"].casefold())
            while current is not None and steps < 100:
                steps, current = steps + 1, self._parent_code.get(current)
            return steps

        return sorted(plans, key=depth)

    def _parent_object(self, ctx, target) -> Department | None:
        if target is None:
            return None
        kind, value = target
        code = value if kind == "file" else value.code.casefold()
        if code in ctx.created:
            return ctx.created[code]
        # Read again: an earlier row may have moved it, and its path with it.
        department = value if kind == "db" else self.tree.by_code[code]
        return Department.objects.get(pk=department.pk)

    def write(self, ctx, plan: Plan):
        values = dict(plan.values)
        if plan.instance is not None:
            plan.instance = Department.objects.get(pk=plan.instance.pk)
        if "parent" in values or plan.action == RowAction.CREATE:
            values["parent"] = self._parent_object(ctx, plan.extra["parent"])
            if plan.action == RowAction.UPDATE and plan.extra["parent"] is None:
                values.pop("parent")
        if plan.action == RowAction.CREATE:
            department = services.department_create(**values)
        else:
            department = services.department_update(department=plan.instance, **values)
        ctx.created[department.code.casefold()] = department
        return department
