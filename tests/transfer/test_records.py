"""Importing contacts, projects and follow-ups: good files, re-imports, natural keys, and
the rules of the services they go through (visibility, owners, authors, dates)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from pathscore.crm.chain import chain_check
from pathscore.crm.models import Contact, FollowUp, Project
from pathscore.process.credit import credit_check
from pathscore.process.models import NodeInstance
from pathscore.transfer.choices import ImportStatus
from tests.crm import factories
from tests.crm.test_customers import code_from
from tests.transfer.conftest import problems, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(personas):
    return factories.customer(personas.sales_a, name="苏州供电公司", credit_code=code_from(1))


# --- Contacts -------------------------------------------------------------------------------

CONTACT_HEADERS = ["客户", "姓名", "职务", "决策角色", "手机", "电子邮箱"]


def test_contacts_are_created_then_updated_by_customer_name_and_mobile(personas, run_import, grid):
    rows = [
        ["苏州供电公司", "张伟", "运检部主任", "决策人", "13800138000", "zw@example.com"],
        [code_from(1), "张伟", "专责", "Technical evaluator", "13900139000", ""],
        ["苏州供电公司", "李娜", "", "采购", "", ""],
    ]
    content = xlsx(CONTACT_HEADERS, rows, sheet="联系人")

    batch = run_import(personas.sales_a, "contacts", content)

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert Contact.objects.filter(customer=grid).count() == 3
    first = Contact.objects.get(mobile="13800138000")
    assert (first.title, first.decision_role) == ("运检部主任", "decision_maker")
    assert Contact.objects.get(mobile="13900139000").decision_role == "technical_evaluator"

    rows[2][2] = "采购经理"
    again = run_import(personas.sales_a, "contacts", xlsx(CONTACT_HEADERS, rows, sheet="联系人"))

    assert (again.to_create, again.to_update, again.unchanged) == (0, 1, 2)
    assert Contact.objects.count() == 3
    assert Contact.objects.get(name="李娜").title == "采购经理"


def test_a_contact_at_an_unknown_or_foreign_customer_is_refused(personas, run_import, grid):
    factories.customer(personas.sales_b, name="华北客户")
    rows = [["华北客户", "王强", "", "", "", ""], ["不存在", "赵六", "", "", "", "not-an-email"]]

    batch = run_import(personas.sales_a, "contacts", xlsx(CONTACT_HEADERS, rows, sheet="联系人"))

    assert batch.status == ImportStatus.INVALID
    assert [(row, column) for row, column, _message in problems(batch)] == [
        (2, "客户"),
        (3, "客户"),
        (3, "电子邮箱"),
    ]
    assert not Contact.objects.exists()


# --- Projects -------------------------------------------------------------------------------

PROJECT_HEADERS = [
    "项目编号",
    "项目名称",
    "客户",
    "项目类别",
    "负责人",
    "预计金额（元）",
    "预计签约日期",
    "开始日期",
]


def project_rows():
    started = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    return [
        [
            "XM-001",
            "储能电站项目",
            "苏州供电公司",
            "新能源项目",
            "",
            "120万",
            "2030-06-30",
            started,
        ],
        ["", "配网运维项目", code_from(1), "电网运维", "", 800000, "", started],
    ]


def test_projects_are_created_with_their_process_and_found_again(personas, run_import, grid):
    content = xlsx(PROJECT_HEADERS, project_rows(), sheet="项目")

    batch = run_import(personas.sales_a, "projects", content)

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    storage = Project.objects.get(external_code="XM-001")
    assert storage.estimated_amount == 1_200_000
    assert storage.owner == personas.sales_a
    assert storage.category.code == "new-energy"
    assert storage.started_on == timezone.localdate() - dt.timedelta(days=30)
    # The project follows its process, as one opened on the page does.
    assert NodeInstance.objects.filter(project=storage).exists()
    assert [r.history_user for r in storage.history.all()] == [personas.sales_a]

    again = run_import(personas.sales_a, "projects", content)
    assert (again.to_create, again.unchanged) == (0, 2)

    renamed = project_rows()
    renamed[0][1] = "苏州工业园区储能电站项目"
    renamed[1][0] = "XM-002"  # the second row gets its code: found by customer and name
    batch = run_import(personas.sales_a, "projects", xlsx(PROJECT_HEADERS, renamed, sheet="项目"))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert Project.objects.count() == 2
    assert Project.objects.get(external_code="XM-001").name == "苏州工业园区储能电站项目"
    assert Project.objects.get(external_code="XM-002").name == "配网运维项目"


def test_imported_projects_credit_their_nodes_and_contracts_to_the_owner(
    personas, run_import, grid
):
    batch = run_import(
        personas.sales_a, "projects", xlsx(PROJECT_HEADERS, project_rows(), sheet="项目")
    )

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    nodes = NodeInstance.objects.filter(project__external_code="XM-001")
    assert set(nodes.values_list("credited_to", flat=True)) == {personas.sales_a.pk}
    assert Project.objects.get(external_code="XM-001").signed_by == personas.sales_a
    assert not credit_check()


def test_an_existing_projects_owner_and_start_are_not_changed_by_import(personas, run_import, grid):
    factories.project(personas.sales_a, grid, name="储能电站项目", external_code="XM-001")
    rows = [
        ["XM-001", "储能电站项目", "苏州供电公司", "新能源项目", "manager_a", "", "", "2020-01-01"]
    ]

    batch = run_import(personas.manager_a, "projects", xlsx(PROJECT_HEADERS, rows, sheet="项目"))

    assert batch.status == ImportStatus.INVALID
    assert [(row, column) for row, column, _message in problems(batch)] == [
        (2, "负责人"),
        (2, "开始日期"),
    ]


def test_a_project_code_of_another_team_is_not_taken_over(personas, run_import, grid):
    factories.project(personas.sales_b, name="华北项目", external_code="XM-009")
    rows = [["XM-009", "我的项目", "苏州供电公司", "电网运维", "", "", "", ""]]

    batch = run_import(personas.sales_a, "projects", xlsx(PROJECT_HEADERS, rows, sheet="项目"))

    assert problems(batch) == [
        (2, "项目编号", "The project code XM-009 belongs to a project you cannot see.")
    ]
    assert Project.objects.get(external_code="XM-009").name == "华北项目"


# --- Follow-ups -----------------------------------------------------------------------------

FOLLOWUP_HEADERS = [
    "外部编号",
    "项目编号",
    "客户",
    "项目名称",
    "记录人",
    "跟进时间",
    "跟进方式",
    "跟进内容",
    "下一步行动",
    "下一步计划日期",
]


def moment(days_ago: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, 30))


@pytest.fixture
def storage(personas, grid):
    return factories.project(personas.sales_a, grid, name="储能电站项目", external_code="XM-001")


def followup_rows(author=""):
    planned = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    return [
        [
            "GJ-1",
            "XM-001",
            "",
            "",
            author,
            moment(10),
            "上门拜访",
            "拜访运检部",
            "提交报告",
            planned,
        ],
        ["", "", "苏州供电公司", "储能电站项目", author, moment(5), "电话沟通", "沟通报价", "", ""],
        ["", "", code_from(1), "", author, moment(3), "技术交流", "交流配网改造", "", ""],
    ]


def test_follow_ups_are_recorded_by_code_by_names_and_for_the_customer(
    personas, run_import, storage
):
    content = xlsx(FOLLOWUP_HEADERS, followup_rows(), sheet="跟进记录")

    batch = run_import(personas.sales_a, "followups", content)

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    by_code = FollowUp.objects.get(external_id="GJ-1")
    assert (by_code.project, by_code.author, by_code.mode.code) == (
        storage,
        personas.sales_a,
        "visit",
    )
    assert timezone.localtime(by_code.occurred_at).replace(tzinfo=None) == moment(10)
    assert by_code.next_action == "提交报告"
    assert FollowUp.objects.get(content="沟通报价").project == storage
    on_customer = FollowUp.objects.get(content="交流配网改造")
    assert (on_customer.project, on_customer.customer) == (None, storage.customer)
    assert [r.history_user for r in by_code.history.all()] == [personas.sales_a]

    again = run_import(personas.sales_a, "followups", content)

    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 3)
    assert FollowUp.objects.count() == 3
    # The imported rows are linked into their chains (crm.chain).
    assert chain_check() == []


def test_a_manager_imports_the_teams_follow_ups_credited_to_their_authors(
    personas, run_import, storage
):
    content = xlsx(FOLLOWUP_HEADERS, followup_rows("sales_a"), sheet="跟进记录")

    batch = run_import(personas.manager_a, "followups", content)

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert {f.author for f in FollowUp.objects.all()} == {personas.sales_a}
    # The indicators credit the author; the history names who imported.
    assert {r.history_user for f in FollowUp.objects.all() for r in f.history.all()} == {
        personas.manager_a
    }

    changed = followup_rows("sales_a")
    changed[0][7] = "拜访运检部，确认主变负载率"
    batch = run_import(
        personas.manager_a, "followups", xlsx(FOLLOWUP_HEADERS, changed, sheet="跟进记录")
    )

    assert (batch.to_update, batch.unchanged) == (1, 2)
    updated = FollowUp.objects.get(external_id="GJ-1")
    assert updated.content == "拜访运检部，确认主变负载率"
    assert updated.author == personas.sales_a
    assert [(r.history_type, r.history_user) for r in updated.history.order_by("history_date")] == [
        ("+", personas.manager_a),
        ("~", personas.manager_a),
    ]


def test_follow_ups_that_break_the_rules_are_refused_by_cell(personas, run_import, storage):
    future = timezone.localtime() + dt.timedelta(days=2)
    rows = [
        ["GJ-1", "XM-001", "", "", "sales_b", moment(3), "上门拜访", "拜访", "", ""],
        ["GJ-2", "XM-404", "", "", "", moment(3), "上门拜访", "拜访", "", ""],
        ["GJ-3", "XM-001", "", "", "", future.replace(tzinfo=None), "电话沟通", "沟通", "", ""],
        ["GJ-4", "XM-001", "", "", "", moment(3), "电话沟通", "沟通", "报价", ""],
        ["GJ-5", "", "", "", "", moment(3), "电话沟通", "沟通", "", ""],
        ["GJ-1", "XM-001", "", "", "", moment(4), "电话沟通", "再次沟通", "", ""],
    ]

    batch = run_import(
        personas.sales_a, "followups", xlsx(FOLLOWUP_HEADERS, rows, sheet="跟进记录")
    )

    assert batch.status == ImportStatus.INVALID
    assert problems(batch) == [
        (2, "记录人", "You can only assign records to people you manage."),
        (3, "项目编号", "No project you can see has the code XM-404."),
        (4, "跟进时间", "A follow-up cannot be recorded in the future."),
        (5, "下一步计划日期", "Plan a date for the next action."),
        (6, "客户", "Choose a project or a customer."),
        (
            7,
            "外部编号",
            "Row 2 already has this 外部编号: each record may appear once.",
        ),
    ]
    assert not FollowUp.objects.exists()


def test_an_author_who_cannot_see_the_project_is_refused(personas, run_import):
    project = factories.project(personas.manager_a, name="经理的项目", external_code="XM-M")
    rows = [["", "XM-M", "", "", "sales_a", moment(2), "上门拜访", "拜访", "", ""]]

    batch = run_import(
        personas.manager_a, "followups", xlsx(FOLLOWUP_HEADERS, rows, sheet="跟进记录")
    )

    assert problems(batch) == [(2, "记录人", "王销售 cannot see this project or customer.")]
    assert not FollowUp.objects.filter(project=project).exists()
