"""Documents in the browser: V1, V2 with a change note, the customer's feedback, a download
— on a desktop and on a phone."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pathscore.core.options import seed_options
from pathscore.crm.choices import DocumentKind
from pathscore.crm.models import Document
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes
from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.browser

DOCUMENT_URL = re.compile(r"/documents/\d+/$")
FEEDBACK = "客户反馈：成本过高"


@pytest.fixture(autouse=True)
def _option_lists(transactional_db):
    # Live-server tests run on a transactional database, flushed after each test (the
    # option lists that migrations seed included), so the lists are seeded again.
    seed_options()


def pdf_file(name: str, marker: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(marker)}


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_upload_two_versions_record_feedback_and_download(request, personas, screen):
    page = request.getfixturevalue("page" if screen == "desktop" else "phone_page")
    project = factories.project(personas.sales_a, name="苏州工业园区储能项目")
    sign_in(page, personas.sales_a)

    page.goto(f"/projects/{project.pk}/?tab=documents")
    page.get_by_test_id("upload-document").click()
    form = page.get_by_test_id("document-form")
    form.locator("#id_kind").select_option(DocumentKind.PROPOSAL.value)
    form.locator("#id_title").fill("储能系统技术方案")
    form.locator("#id_file").set_input_files(pdf_file("储能方案V1.pdf", "V1"))
    form.locator("#id_change_note").fill("初稿，按客户用电负荷测算")
    form.get_by_test_id("save").click()

    expect(page).to_have_url(DOCUMENT_URL)
    expect(page.get_by_test_id("version-V1")).to_be_visible()
    expect(page.get_by_test_id("version-V2")).to_have_count(0)

    page.get_by_test_id("upload-version").click()
    form = page.get_by_test_id("version-form")
    form.locator("#id_file").set_input_files(pdf_file("储能方案V2.pdf", "V2"))
    form.locator("#id_change_note").fill("降低设备单价，调整付款节点")
    form.get_by_test_id("save").click()

    expect(page).to_have_url(DOCUMENT_URL)
    expect(page.get_by_test_id("change-note-V2")).to_have_text("降低设备单价，调整付款节点")

    page.get_by_test_id("record-feedback-V2").click()
    form = page.get_by_test_id("feedback-form")
    form.locator("#id_feedback").fill(FEEDBACK)
    form.get_by_test_id("save").click()

    expect(page).to_have_url(DOCUMENT_URL)
    expect(page.get_by_test_id("feedback-V2")).to_contain_text(FEEDBACK)
    expect(page.get_by_test_id("feedback-V2")).to_contain_text(personas.sales_a.name)
    expect(page.get_by_test_id("feedback-V1")).to_have_count(0)

    with page.expect_download() as caught:
        page.get_by_test_id("download-V1").click()
    download = caught.value
    assert download.suggested_filename == "储能方案V1.pdf"
    assert Path(download.path()).read_bytes() == pdf_bytes("V1")

    # The project's Documents tab shows the latest version and the feedback on it.
    page.goto(f"/projects/{project.pk}/?tab=documents")
    row = page.get_by_test_id("document-row")
    expect(row).to_contain_text("V2")
    expect(row).to_contain_text(FEEDBACK)
    assert Document.objects.get().version_count == 2


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, personas, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    project = factories.project(personas.sales_a, name="唐山钢厂配电改造")
    sign_in(page, personas.sales_a)
    page.goto(f"/projects/{project.pk}/documents/new/")
    form = page.get_by_test_id("document-form")
    form.locator("#id_title").fill("配电改造方案")
    big = {"name": "大文件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-" + b"0" * 5000}
    form.locator("#id_file").set_input_files(big)

    expect(form.get_by_test_id("error-file")).to_be_visible()
    expect(form.locator("#id_file")).to_have_value("")
    expect(form.locator("#id_title")).to_have_value("配电改造方案")
    assert not Document.objects.exists()
