"""Importing customers: a good file, the same file again, a changed file, and who may own
what. Every write goes through the customer services, so history names the importer."""

from __future__ import annotations

import pytest

from pathscore.crm.models import Customer
from pathscore.transfer.choices import ImportStatus
from tests.crm import factories
from tests.crm.test_customers import code_from
from tests.transfer.conftest import problems, xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["客户名称", "客户类型", "统一社会信用代码", "所在区域", "客户负责人", "备注"]


def customers_file(rows, headers=HEADERS) -> bytes:
    return xlsx(headers, rows, sheet="客户")


def good_rows(owner=""):
    return [
        ["苏州供电公司", "电网公司", code_from(1), "江苏苏州", owner, ""],
        ["无锡精密制造有限公司", "工业企业", code_from(2), "江苏无锡", owner, "老客户"],
        ["常州光伏电站", "新能源企业", "", "江苏常州", owner, None],
    ]


def test_a_good_file_creates_every_customer_owned_by_the_importer(personas, run_import):
    batch = run_import(personas.sales_a, "customers", customers_file(good_rows()))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert (batch.total_rows, batch.to_create, batch.to_update, batch.unchanged) == (3, 3, 0, 0)
    customers = {c.name: c for c in Customer.objects.all()}
    assert set(customers) == {"苏州供电公司", "无锡精密制造有限公司", "常州光伏电站"}
    assert {c.owner for c in customers.values()} == {personas.sales_a}
    assert customers["苏州供电公司"].credit_code == code_from(1)
    assert customers["无锡精密制造有限公司"].customer_type.code == "industrial"
    assert customers["常州光伏电站"].credit_code is None
    assert customers["无锡精密制造有限公司"].notes == "老客户"
    # History credits the importer, one row per customer.
    for customer in customers.values():
        assert [(r.history_type, r.history_user) for r in customer.history.all()] == [
            ("+", personas.sales_a)
        ]


def test_the_same_file_again_changes_nothing_and_writes_no_history(personas, run_import):
    content = customers_file(good_rows())
    run_import(personas.sales_a, "customers", content)

    again = run_import(personas.sales_a, "customers", content)

    assert again.status == ImportStatus.VALIDATED
    assert (again.to_create, again.to_update, again.unchanged) == (0, 0, 3)
    assert not again.can_commit
    assert Customer.objects.count() == 3
    assert all(c.history.count() == 1 for c in Customer.objects.all())


def test_a_changed_file_updates_by_credit_code_and_by_name(personas, run_import):
    run_import(personas.sales_a, "customers", customers_file(good_rows()))
    changed = good_rows()
    changed[0][0] = "国网苏州供电公司"  # renamed: found by its credit code
    changed[2][3] = "江苏常州武进"  # no code: found by its name

    batch = run_import(personas.sales_a, "customers", customers_file(changed))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert (batch.to_create, batch.to_update, batch.unchanged) == (0, 2, 1)
    assert Customer.objects.count() == 3
    renamed = Customer.objects.get(credit_code=code_from(1))
    assert renamed.name == "国网苏州供电公司"
    latest = renamed.history.order_by("-history_date").first()
    assert (latest.history_type, latest.history_user) == ("~", personas.sales_a)
    assert Customer.objects.get(name="常州光伏电站").region == "江苏常州武进"
    # The unchanged customer has no second history row.
    assert Customer.objects.get(credit_code=code_from(2)).history.count() == 1


def test_a_code_added_later_finds_the_customer_by_name(personas, run_import):
    customer = factories.customer(personas.sales_a, name="常州光伏电站")
    rows = [["常州光伏电站", "电网公司", code_from(9), "", "", ""]]

    batch = run_import(personas.sales_a, "customers", customers_file(rows))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    customer.refresh_from_db()
    assert customer.credit_code == code_from(9)
    assert Customer.objects.count() == 1


def test_a_salesperson_cannot_give_a_customer_to_someone_else(personas, run_import):
    rows = good_rows()
    rows[1][4] = "sales_b"

    batch = run_import(personas.sales_a, "customers", customers_file(rows))

    assert batch.status == ImportStatus.INVALID
    assert problems(batch) == [
        (3, "客户负责人", "You can only assign records to people you manage.")
    ]
    assert not Customer.objects.exists()


def test_a_salesperson_cannot_update_another_teams_customer(personas, run_import):
    factories.customer(personas.sales_b, name="赵销售的客户", credit_code=code_from(5))
    rows = [["改名", "电网公司", code_from(5), "", "", ""]]

    batch = run_import(personas.sales_a, "customers", customers_file(rows))

    assert batch.status == ImportStatus.INVALID
    [(row, column, message)] = problems(batch)
    assert (row, column) == (2, "统一社会信用代码")
    assert "already registered" in message
    assert Customer.objects.get(credit_code=code_from(5)).name == "赵销售的客户"


def test_a_manager_assigns_customers_to_the_team(personas, run_import):
    batch = run_import(personas.manager_a, "customers", customers_file(good_rows("sales_a")))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert {c.owner for c in Customer.objects.all()} == {personas.sales_a}
    assert {r.history_user for c in Customer.objects.all() for r in c.history.all()} == {
        personas.manager_a
    }


def test_a_wrong_credit_code_and_an_unknown_type_are_reported_by_cell(personas, run_import):
    rows = [
        ["苏州供电公司", "电网公司", "91320100000000001X", "", "", ""],
        ["无锡工厂", "钢铁企业", "", "", "", ""],
        ["", "电网公司", "", "江苏", "", ""],
    ]

    batch = run_import(personas.sales_a, "customers", customers_file(rows))

    assert batch.status == ImportStatus.INVALID
    found = problems(batch)
    assert [(row, column) for row, column, _message in found] == [
        (2, "统一社会信用代码"),
        (3, "客户类型"),
        (4, "客户名称"),
    ]
    assert "check character" in found[0][2]
    assert "钢铁企业" in found[1][2] and "电网公司" in found[1][2]
    assert found[2][2] == "This column is required."
    assert not Customer.objects.exists()


def test_english_headers_are_accepted(personas, run_import):
    headers = ["Customer name", "Customer type", "Credit code", "Region", "Account owner", "Notes"]
    rows = [["Suzhou Grid", "grid", "", "Jiangsu", "", ""]]

    batch = run_import(personas.sales_a, "customers", customers_file(rows, headers))

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert Customer.objects.get().customer_type.code == "grid"


def test_a_name_twice_in_the_file_is_an_error_on_the_later_row(personas, run_import):
    rows = good_rows() + [["常州光伏电站", "电网公司", "", "", "", ""]]

    batch = run_import(personas.sales_a, "customers", customers_file(rows))

    assert batch.status == ImportStatus.INVALID
    [(row, column, message)] = problems(batch)
    assert (row, column) == (5, "客户名称")
    assert message.startswith("Row 4 already has this")


def test_the_templates_example_credit_code_is_a_valid_one():
    """The instructions sheet shows an example people copy: it must pass the same check
    as the import (18 characters with a correct check character)."""
    from pathscore.crm.validators import validate_credit_code
    from pathscore.transfer.pipelines import get_pipeline

    column = next(c for c in get_pipeline("customers").columns if c.key == "credit_code")
    validate_credit_code(column.example)
