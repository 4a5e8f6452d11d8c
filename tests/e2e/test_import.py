"""Excel import in the browser: download the template, fill it in, upload it, see the row
that is wrong, fix it, upload again, import, and find the records in the customer list."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from pathscore.core.options import seed_options
from pathscore.crm.models import Customer
from tests.e2e.helpers import open_menu_entry, sign_in, zh

pytestmark = pytest.mark.browser

BATCH_URL = re.compile(r"/imports/batches/\d+/$")


@pytest.fixture(autouse=True)
def _option_lists(transactional_db):
    # Live-server tests run on a flushed transactional database: the lists come back here.
    seed_options()


def test_import_customers_from_the_template(page, personas, tmp_path):
    sign_in(page, personas.sales_a)
    open_menu_entry(page, zh("Import data"))
    expect(page.get_by_test_id("upload-form")).to_be_visible()

    with page.expect_download() as caught:
        page.get_by_test_id("template-customers").click()
    template = tmp_path / "模板.xlsx"
    caught.value.save_as(template)
    assert caught.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(template)
    sheet = workbook["客户"]
    assert sheet["A1"].value == "*客户名称" and sheet["B1"].value == "*客户类型"
    sheet.append(["苏州供电公司", "电网公司", None, "江苏苏州"])
    sheet.append(["无锡精密制造有限公司", "钢铁企业", None, "江苏无锡"])
    filled = tmp_path / "客户导入.xlsx"
    workbook.save(filled)

    form = page.get_by_test_id("upload-form")
    form.locator("#id_entity").select_option("customers")
    form.locator("#id_file").set_input_files(filled)
    form.get_by_test_id("upload").click()

    expect(page).to_have_url(BATCH_URL)
    expect(page.get_by_test_id("invalid")).to_be_visible()
    problem = page.get_by_test_id("problem")
    expect(problem).to_have_count(1)
    expect(problem.get_by_test_id("problem-row")).to_have_text("3")
    expect(problem.get_by_test_id("problem-column")).to_have_text("客户类型")
    expect(problem).to_contain_text("钢铁企业")
    expect(page.get_by_test_id("commit")).to_have_count(0)
    assert not Customer.objects.exists()

    sheet["B3"] = "工业企业"
    workbook.save(filled)
    page.get_by_test_id("upload-again").click()
    form = page.get_by_test_id("upload-form")
    expect(form.locator("#id_entity")).to_have_value("customers")
    form.locator("#id_file").set_input_files(filled)
    form.get_by_test_id("upload").click()

    expect(page).to_have_url(BATCH_URL)
    expect(page.get_by_test_id("validated")).to_be_visible()
    expect(page.get_by_test_id("count-new")).to_have_text("2")
    expect(page.get_by_test_id("preview-row")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("commit").click()

    expect(page.get_by_test_id("committed")).to_be_visible()
    page.get_by_test_id("records-link").click()
    expect(page.get_by_role("link", name="苏州供电公司")).to_be_visible()
    expect(page.get_by_role("link", name="无锡精密制造有限公司")).to_be_visible()
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"sales_a"}
