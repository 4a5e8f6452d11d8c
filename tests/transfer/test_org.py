"""Importing the organisation: departments (a tree, parents possibly in the same file) and
people with their departments and roles — ten new salespeople in one upload."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org.models import Department, User
from pathscore.transfer import services
from pathscore.transfer.choices import ImportStatus
from tests.transfer.conftest import problems, upload_file, xlsx

pytestmark = pytest.mark.django_db

DEPARTMENT_HEADERS = ["部门编码", "部门名称", "上级部门", "类型", "负责人", "排序"]
USER_HEADERS = ["用户名", "姓名", "工号", "部门", "角色", "职务", "手机", "电子邮箱", "入职日期"]


def departments_file(rows) -> bytes:
    return xlsx(DEPARTMENT_HEADERS, rows, sheet="部门")


def test_a_new_region_with_its_teams_goes_in_with_one_file(personas, run_import):
    rows = [
        # A child before its parent, and parents named by code, by path and by name.
        ["t-south-1", "华南一部", "t-south", "团队", "manager_b", 10],
        ["t-south", "华南区域", "测试电力公司", "Branch / region", "", 30],
        ["t-south-2", "华南二部", "测试电力公司/华南区域", "团队", "", 20],
        ["t-east-3", "华东三部", "t-east", "", "", ""],
    ]

    batch = run_import(personas.sysadmin, "departments", departments_file(rows))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    south = Department.objects.get(code="t-south")
    assert (south.parent, south.kind, south.sort_order) == (personas.company, "branch", 30)
    first = Department.objects.get(code="t-south-1")
    assert (first.parent, first.head, first.kind) == (south, personas.manager_b, "team")
    assert first.path == f"{south.path}{first.pk}/"
    assert Department.objects.get(code="t-south-2").parent == south
    assert Department.objects.get(code="t-east-3").parent == personas.east
    assert [r.history_user for r in south.history.all()] == [personas.sysadmin]

    again = run_import(personas.sysadmin, "departments", departments_file(rows))

    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 4)


def test_a_department_moves_and_its_subtree_follows(personas, run_import):
    rows = [["t-east", "华东区域", "华北区域", "Branch / region", "", ""]]

    batch = run_import(personas.hr, "departments", departments_file(rows))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    personas.team_a.refresh_from_db()
    assert personas.team_a.path.startswith(personas.north.path)


def test_a_loop_and_an_unknown_parent_are_refused(personas, run_import):
    rows = [
        ["t-company", "测试电力公司", "t-team-a", "公司", "", ""],
        ["t-x", "新部门", "不存在的部门", "", "", ""],
        ["t-y", "新部门二", "", "", "", ""],
        ["t y", "坏编码", "", "", "", ""],
    ]

    batch = run_import(personas.sysadmin, "departments", departments_file(rows))

    assert batch.status == ImportStatus.INVALID
    assert [(row, column) for row, column, _message in problems(batch)] == [
        (2, "上级部门"),
        (3, "上级部门"),
        (5, "部门编码"),
    ]
    assert not Department.objects.filter(code__in=["t-x", "t-y"]).exists()


def ten_salespeople() -> list[list]:
    rows = []
    for n in range(1, 11):
        team = "t-team-a" if n <= 5 else "测试电力公司/华北区域/华北一部"
        roles = "销售人员" if n != 10 else "销售人员、Sales manager"
        rows.append(
            [
                f"new_sales_{n:02d}",
                f"新销售{n:02d}",
                f"E20{n:02d}",
                team,
                roles,
                "客户经理",
                f"1380013{n:04d}",
                f"new{n}@example.com",
                "2026-11-01",
            ]
        )
    return rows


def test_ten_new_salespeople_with_departments_and_roles_in_one_upload(personas, run_import):
    content = xlsx(USER_HEADERS, ten_salespeople(), sheet="人员")

    batch = run_import(personas.hr, "users", content)

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    people = User.objects.filter(username__startswith="new_sales_").order_by("username")
    assert people.count() == 10
    assert {p.department for p in people[:5]} == {personas.team_a}
    assert {p.department for p in people[5:]} == {personas.team_b}
    assert all(p.role_codes == {Role.SALESPERSON} for p in people[:9])
    assert people[9].role_codes == {Role.SALESPERSON, Role.SALES_MANAGER}
    first = people[0]
    assert (first.employee_no, first.title, first.mobile, first.email) == (
        "E2001",
        "客户经理",
        "13800130001",
        "new1@example.com",
    )
    # No password yet: the result lists them so an administrator can set one.
    assert not any(p.has_usable_password() for p in people)
    assert [a["username"] for a in batch.result["accounts"]] == [p.username for p in people]
    assert [r.history_user for r in first.history.all()] == [personas.hr]

    again = run_import(personas.hr, "users", content)

    assert (again.to_create, again.unchanged) == (0, 10)


def test_changed_roles_are_updated_and_logged(personas, run_import):
    rows = [["sales_a", "王销售", "", "t-team-a", "销售人员、销售经理", "", "", "", ""]]

    batch = run_import(personas.hr, "users", xlsx(USER_HEADERS, rows, sheet="人员"))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    personas.sales_a.refresh_from_db()
    assert User.objects.get(pk=personas.sales_a.pk).role_codes == {
        Role.SALESPERSON,
        Role.SALES_MANAGER,
    }
    event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLES_CHANGED)
    assert (event.actor, event.subject) == (personas.hr, personas.sales_a)


def test_bad_people_rows_are_reported_by_cell(personas, run_import):
    rows = [
        ["bad name", "坏用户名", "", "t-team-a", "销售人员", "", "", "", ""],
        ["new_one", "新人", "", "不存在的部门", "销售人员", "", "", "", ""],
        ["new_two", "新人二", "", "t-team-a", "销售人员、老板", "", "", "x@", ""],
        ["new_three", "新人三", "", "t-team-a", "", "", "", "", "2026-02-30"],
    ]

    batch = run_import(personas.sysadmin, "users", xlsx(USER_HEADERS, rows, sheet="人员"))

    assert batch.status == ImportStatus.INVALID
    assert [(row, column) for row, column, _message in problems(batch)] == [
        (2, "用户名"),
        (3, "部门"),
        (4, "角色"),
        (4, "电子邮箱"),
        (5, "入职日期"),
    ]
    assert "老板" in problems(batch)[2][2]
    assert not User.objects.filter(username__startswith="new_").exists()


@pytest.mark.parametrize("entity", ["departments", "users"])
def test_only_org_admins_import_the_organisation(personas, entity):
    content = xlsx(USER_HEADERS, ten_salespeople(), sheet="人员")

    with pytest.raises(ValidationError) as caught:
        services.batch_upload(actor=personas.manager_a, entity=entity, file=upload_file(content))

    assert caught.value.message_dict == {"entity": ["You may not import these records."]}
