"""The import pages: who sees them, the templates, upload → check → preview → commit, the
progress fragment, scoping (another person's import is not found) and the query bound."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from pathscore.crm.models import Customer
from pathscore.transfer import engine, services
from pathscore.transfer.choices import ImportStatus
from pathscore.transfer.models import ImportBatch
from pathscore.transfer.pipelines import get_pipeline
from tests.crm import factories
from tests.transfer.conftest import upload_file, xlsx

pytestmark = pytest.mark.django_db

INDEX = "/imports/"


def upload(client, entity: str, content: bytes, name="客户.xlsx"):
    return client.post(INDEX, {"entity": entity, "file": upload_file(content, name)})


def customers_file(rows) -> bytes:
    return xlsx(["客户名称", "客户类型", "所在区域"], rows, sheet="客户")


@pytest.mark.parametrize(
    ("persona", "entities"),
    [
        ("sales_a", ["customers", "contacts", "projects", "followups"]),
        ("manager_a", ["customers", "contacts", "projects", "followups"]),
        (
            "hr",
            ["customers", "contacts", "projects", "followups", "departments", "users"],
        ),
        ("sysadmin", ["departments", "users"]),
    ],
)
def test_the_page_offers_what_each_role_may_import(personas, login, persona, entities):
    response = login(personas.get(persona)).get(INDEX)

    assert response.status_code == 200
    offered = [value for value, _label in response.context["form"].fields["entity"].choices]
    assert offered == entities
    for entity in entities:
        assert f'data-testid="template-{entity}"' in response.content.decode()


@pytest.mark.parametrize("persona", ["auditor", "executive", "tech"])
def test_roles_that_import_nothing_are_refused(personas, login, persona):
    assert login(personas.get(persona)).get(INDEX).status_code == 403


def test_the_menu_offers_the_import_to_importers_only(personas, login):
    page = login(personas.sales_a).get("/").content.decode()
    assert 'href="/imports/"' in page
    page = login(personas.auditor).get("/").content.decode()
    assert 'href="/imports/"' not in page


def test_the_template_has_headers_notes_dropdowns_and_instructions(personas, login):
    response = login(personas.sales_a).get("/imports/templates/customers.xlsx")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["客户", "说明", "选项"]
    assert workbook["选项"].sheet_state == "hidden"
    data = workbook["客户"]
    headers = [cell.value for cell in data[1]]
    assert headers[:3] == ["*客户名称", "*客户类型", "统一社会信用代码"]
    assert data["A1"].comment is not None and "营业执照" in data["A1"].comment.text
    # The customer type column offers today's list; the owner column the importer alone.
    validations = {str(v.sqref).split(":")[0]: v for v in data.data_validations.dataValidation}
    types = workbook["选项"]
    type_column = validations["B2"].formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    listed = [c.value for c in types[type_column][1:]]
    assert listed == ["电网公司", "工业企业", "新能源企业", "政府及事业单位", "其他"]
    assert "H2" in validations  # 客户负责人
    instructions = "\n".join(
        str(cell.value) for row in workbook["说明"].iter_rows() for cell in row if cell.value
    )
    assert "统一社会信用代码" in instructions and "必填" in instructions


def test_an_english_user_gets_the_instructions_in_both_languages(personas, login):
    personas.hr.language = "en"
    personas.hr.save()
    response = login(personas.hr).get("/imports/templates/users.xlsx")

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(
        str(cell.value) for row in workbook["说明"].iter_rows() for cell in row if cell.value
    )
    assert "Column (English)" in text and "用户名" in text and "User name" in text
    roles = [c.value for c in workbook["选项"]["A"][1:]] + [
        c.value for c in workbook["选项"]["B"][1:]
    ]
    assert "销售人员" in roles


def test_a_template_the_role_may_not_import_is_refused(personas, login):
    assert login(personas.sales_a).get("/imports/templates/users.xlsx").status_code == 403
    assert login(personas.hr).get("/imports/templates/nothing.xlsx").status_code == 404


def test_upload_check_preview_and_commit_through_the_pages(
    personas, login, django_capture_on_commit_callbacks
):
    client = login(personas.sales_a)
    rows = [["苏州供电公司", "电网公司", "江苏苏州"], ["无锡工厂", "钢铁企业", ""]]
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, "customers", customers_file(rows))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()

    page = client.get(batch.get_absolute_url())
    html = page.content.decode()
    assert page.context["batch"].status == ImportStatus.INVALID
    assert 'data-testid="problem"' in html and "钢铁企业" in html
    assert 'data-testid="commit"' not in html
    with translation.override("zh-hans"):
        assert str(batch.get_status_display()) in html

    rows[1][1] = "工业企业"
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "customers", customers_file(rows))
    fixed = ImportBatch.objects.order_by("-pk").first()
    page = client.get(fixed.get_absolute_url()).content.decode()
    assert 'data-testid="preview-row"' in page and 'data-testid="commit"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("transfer:batch-commit", args=[fixed.pk]))
    assert response.status_code == 302
    fixed.refresh_from_db()
    assert fixed.status == ImportStatus.COMMITTED
    assert set(Customer.objects.values_list("name", flat=True)) == {"苏州供电公司", "无锡工厂"}
    page = client.get(fixed.get_absolute_url()).content.decode()
    assert 'data-testid="records-link"' in page
    # Committing twice does nothing more.
    client.post(reverse("transfer:batch-commit", args=[fixed.pk]))
    assert Customer.objects.count() == 2


def test_a_file_that_is_not_a_workbook_is_refused_on_the_page(personas, login):
    response = upload(login(personas.sales_a), "customers", b"MZ\x90\x00" + b"\x00" * 100)

    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_another_persons_import_is_not_found(personas, login, run_import):
    batch = run_import(
        personas.sales_b, "customers", customers_file([["华北客户", "电网公司", ""]]), commit=False
    )
    client = login(personas.sales_a)
    for name in ("transfer:batch-detail", "transfer:batch-progress"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    assert client.post(reverse("transfer:batch-commit", args=[batch.pk])).status_code == 404
    assert not Customer.objects.exists()
    assert batch.get_absolute_url() not in client.get(INDEX).content.decode()
    # A system admin sees every import (but only its uploader commits it).
    assert login(personas.sysadmin).get(batch.get_absolute_url()).status_code == 200


def test_only_the_uploader_commits(personas, run_import):
    batch = run_import(
        personas.sales_a,
        "customers",
        customers_file([["苏州供电公司", "电网公司", ""]]),
        commit=False,
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.batch_commit(batch=batch, actor=personas.sysadmin)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED


def test_the_progress_fragment_polls_while_running_and_reloads_when_done(personas, login):
    content = customers_file([["苏州供电公司", "电网公司", ""]])
    # Uploaded, with its check not run yet (no on-commit callbacks here).
    batch = services.batch_upload(
        actor=personas.sales_a, entity="customers", file=upload_file(content)
    )
    client = login(personas.sales_a)
    url = reverse("transfer:batch-progress", args=[batch.pk])

    running = client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in running.content.decode()
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'data-testid="progress"' in page and 'hx-trigger="every 1s"' in page

    services.batch_check(batch_id=batch.pk)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"


def test_the_check_reports_its_progress_as_it_goes(personas, monkeypatch):
    monkeypatch.setattr(engine, "PROGRESS_EVERY", 4)
    seen = []
    real = services._reporter

    def spy(batch_id):
        report = real(batch_id)

        def wrapped(done, total=None):
            report(done, total)
            seen.append(
                ImportBatch.objects.values_list("processed_rows", flat=True).get(pk=batch_id)
            )

        return wrapped

    monkeypatch.setattr(services, "_reporter", spy)
    rows = [[f"客户{n:02d}", "电网公司", ""] for n in range(10)]
    batch = services.batch_upload(
        actor=personas.sales_a, entity="customers", file=upload_file(customers_file(rows))
    )

    assert services.batch_check(batch_id=batch.pk) == ImportStatus.VALIDATED
    assert seen == [0, 4, 8, 10]
    batch.refresh_from_db()
    assert (batch.processed_rows, batch.total_rows) == (10, 10)
    # A second run of the same job finds the batch claimed and does nothing.
    assert services.batch_check(batch_id=batch.pk) is None


def test_checking_costs_the_same_queries_for_ten_rows_or_two_hundred(personas):
    project = factories.project(personas.sales_a, name="储能项目", external_code="XM-1")
    factories.customer(personas.sales_a, name="无锡工厂")
    headers = ["外部编号", "项目编号", "客户", "记录人", "跟进时间", "跟进方式", "跟进内容"]

    def queries(count: int) -> int:
        rows = [
            [
                f"GJ-{n}",
                "XM-1" if n % 2 else "",
                "" if n % 2 else "无锡工厂",
                "sales_a",
                f"2026-01-{n % 28 + 1:02d} 10:{n % 60:02d}",
                "上门拜访",
                f"拜访{n}",
            ]
            for n in range(count)
        ]
        ctx = engine.ImportContext(actor=personas.sales_a, pipeline=get_pipeline("followups"))
        with CaptureQueriesContext(connection) as captured:
            checked = engine.check(ctx, io.BytesIO(xlsx(headers, rows, sheet="跟进记录")))
        assert ctx.problem_count == 0, ctx.problems[:3]
        assert len(checked.plans) == count
        return len(captured.captured_queries)

    assert project.pk
    assert queries(10) == queries(200) <= 15


def test_a_job_that_stopped_is_shown_as_stopped_not_polled_forever(personas, login):
    import datetime as dt

    from django.utils import timezone

    content = customers_file([["苏州供电公司", "电网公司", ""]])
    batch = services.batch_upload(
        actor=personas.sales_a, entity="customers", file=upload_file(content)
    )
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.VALIDATING, job_started_at=timezone.now() - dt.timedelta(hours=2)
    )
    client = login(personas.sales_a)

    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'data-testid="stalled"' in page and "every 1s" not in page
    fragment = client.get(
        reverse("transfer:batch-progress", args=[batch.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.headers["HX-Refresh"] == "true"
