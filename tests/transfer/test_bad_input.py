"""Bad input stops an import before anything is written, and says where.

Files that are not workbooks are refused at upload (no batch, no stored file); a workbook
with the wrong sheet or without the required columns gets one problem for the whole file;
bad cells are reported with their row (as Excel shows it) and column; a row the services
refuse while writing rolls every row back.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from pathscore.crm.models import Customer, FollowUp, Project
from pathscore.transfer import engine, services
from pathscore.transfer.choices import ImportStatus
from pathscore.transfer.models import ImportBatch
from pathscore.transfer.pipelines.customers import CustomerPipeline
from pathscore.transfer.pipelines.followups import FollowUpPipeline
from tests.crm import factories
from tests.crm.test_uploads import docx_bytes
from tests.transfer.conftest import problems, upload_file, xlsx

pytestmark = pytest.mark.django_db

PROJECT_HEADERS = ["项目编号", "项目名称", "客户", "项目类别", "预计金额（元）", "预计签约日期"]


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "imports"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_bad_cells_are_all_reported_with_row_and_column_and_nothing_is_written(
    personas, run_import
):
    factories.customer(personas.sales_a, name="苏州供电公司")
    rows = [
        ["XM-1", "储能电站项目", "苏州供电公司", "新能源项目", "120万", "2030-09-30"],
        ["XM-2", "配网改造项目", "不存在的客户", "电网运维", "300000", "2030-10-01"],
        ["XM-3", "光伏项目", "苏州供电公司", "新能源项目", "一百万", "2030-10-01"],
        ["XM-4", "节能项目", "苏州供电公司", "水利工程", "", "明年"],
        ["XM-5", "", "苏州供电公司", "电网运维", "-5", "2026-13-45"],
    ]

    batch = run_import(personas.sales_a, "projects", xlsx(PROJECT_HEADERS, rows, sheet="项目"))

    assert batch.status == ImportStatus.INVALID
    found = problems(batch)
    assert [(row, column) for row, column, _message in found] == [
        (3, "客户"),
        (4, "预计金额（元）"),
        (5, "项目类别"),
        (5, "预计签约日期"),
        (6, "项目名称"),
        (6, "预计金额（元）"),
        (6, "预计签约日期"),
    ]
    messages = {(row, column): message for row, column, message in found}
    assert messages[(3, "客户")].startswith("Unknown customer “不存在的客户”")
    assert messages[(4, "预计金额（元）")] == "Enter an amount in yuan, like 1200000 or 120万."
    assert "水利工程" in messages[(5, "项目类别")]
    assert messages[(5, "预计签约日期")] == "Enter a date like 2026-03-15."
    assert messages[(6, "项目名称")] == "This column is required."
    assert messages[(6, "预计金额（元）")] == "The amount cannot be negative."
    assert batch.error_count == 7
    assert not Project.objects.exists()
    # The good row is not written either: the file goes in whole or not at all.
    assert not batch.can_commit


def test_a_file_of_another_import_is_named(personas, run_import):
    content = xlsx(
        ["客户", "姓名", "手机"], [["苏州供电公司", "张伟", "13800138000"]], sheet="联系人"
    )

    batch = run_import(personas.sales_a, "customers", content)

    assert batch.status == ImportStatus.INVALID
    [(row, column, message)] = problems(batch)
    assert (row, column) == (None, None)
    assert message.startswith("This file is for importing Contacts, not Customers")
    assert not Customer.objects.exists()


def test_a_sheet_without_the_required_columns_is_refused(personas, run_import):
    content = xlsx(["名称", "地区"], [["苏州供电公司", "江苏"]], sheet="Sheet1")

    batch = run_import(personas.sales_a, "customers", content)

    assert batch.status == ImportStatus.INVALID
    [(row, column, message)] = problems(batch)
    assert row is None
    assert "客户名称、客户类型" in message


def test_a_template_without_rows_says_so(personas, run_import):
    content = xlsx(["客户名称", "客户类型"], [], sheet="客户")

    batch = run_import(personas.sales_a, "customers", content)

    assert batch.status == ImportStatus.INVALID
    assert problems(batch) == [
        (None, None, "The sheet “客户” has no rows to import under its header row.")
    ]


def test_a_header_row_under_a_title_row_is_found(personas, run_import):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "客户"
    sheet.append(["2026年客户清单"])
    sheet.append(["客户名称", "客户类型"])
    sheet.append(["苏州供电公司", "电网公司"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    batch = run_import(personas.sales_a, "customers", buffer.getvalue())

    assert batch.status == ImportStatus.COMMITTED, problems(batch)
    assert Customer.objects.get().name == "苏州供电公司"


def test_too_many_rows_are_refused(personas, run_import, monkeypatch):
    monkeypatch.setattr(engine, "MAX_ROWS", 3)
    rows = [[f"客户{n}", "电网公司"] for n in range(5)]

    batch = run_import(personas.sales_a, "customers", xlsx(["客户名称", "客户类型"], rows))

    assert batch.status == ImportStatus.INVALID
    assert problems(batch)[0][2] == "The file has more than 3 rows: split it into several files."


def ole2_bytes() -> bytes:
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "this file is not one"),
        ("客户名称,客户类型\n苏州供电公司,电网公司\n".encode(), "this file is not one"),
        (ole2_bytes(), "old Excel file (.xls)"),
        (docx_bytes(), "this is a .docx document"),
        (zip_bytes({"notes.txt": b"hello"}), "this file is not one"),
        (b"", "The file is empty."),
    ],
    ids=["renamed-exe", "csv", "xls", "docx", "zip", "empty"],
)
def test_files_that_are_not_workbooks_are_refused_at_upload(personas, content, expected):
    with pytest.raises(ValidationError) as caught:
        services.batch_upload(
            actor=personas.sales_a, entity="customers", file=upload_file(content, "客户.xlsx")
        )

    assert expected in " ".join(caught.value.message_dict["file"])
    assert not ImportBatch.objects.exists()
    assert stored_files() == []


def test_a_damaged_workbook_is_reported_as_unreadable(personas, run_import):
    content = zip_bytes(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not really a workbook"}
    )

    batch = run_import(personas.sales_a, "customers", content)

    assert batch.status == ImportStatus.INVALID
    assert problems(batch) == [
        (
            None,
            None,
            "The file cannot be read as an Excel workbook (.xlsx): save it again in Excel.",
        )
    ]


def test_an_oversized_file_is_refused(personas, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    content = xlsx(["客户名称", "客户类型"], [[f"客户{n}", "电网公司"] for n in range(200)])

    with pytest.raises(ValidationError) as caught:
        services.batch_upload(actor=personas.sales_a, entity="customers", file=upload_file(content))

    assert "the limit is" in caught.value.message_dict["file"][0]
    assert not ImportBatch.objects.exists()


def test_a_row_refused_while_writing_rolls_every_row_back(personas, run_import, monkeypatch):
    real_write = CustomerPipeline.write

    def refuse_the_second(self, ctx, plan):
        if plan.row == 3:
            raise ValidationError({"region": ["Refused by the service."]})
        return real_write(self, ctx, plan)

    monkeypatch.setattr(CustomerPipeline, "write", refuse_the_second)
    rows = [["苏州供电公司", "电网公司", ""], ["无锡工厂", "工业企业", "江苏无锡"]]

    batch = run_import(
        personas.sales_a, "customers", xlsx(["客户名称", "客户类型", "所在区域"], rows)
    )

    assert batch.status == ImportStatus.FAILED
    assert problems(batch) == [(3, "所在区域", "Refused by the service.")]
    assert not Customer.objects.exists()
    assert batch.committed_at is None


def test_a_follow_up_refused_in_the_bulk_write_rolls_back_the_rest(
    personas, run_import, monkeypatch, django_capture_on_commit_callbacks
):
    project = factories.project(personas.sales_a, name="储能项目", external_code="XM-1")
    headers = ["外部编号", "项目编号", "跟进时间", "跟进方式", "跟进内容"]
    rows = [
        ["GJ-1", "XM-1", "2026-01-05 10:00", "上门拜访", "拜访运检部"],
        ["GJ-2", "XM-1", "2026-01-06 10:00", "电话沟通", "电话沟通报价"],
    ]
    batch = run_import(
        personas.sales_a, "followups", xlsx(headers, rows, sheet="跟进记录"), commit=False
    )
    assert batch.status == ImportStatus.VALIDATED, problems(batch)
    # GJ-2 is recorded meanwhile, and the check before writing is made not to see it: the
    # bulk write itself must refuse the row, and take GJ-1 back with it.
    factories.followup(personas.sales_a, project, external_id="GJ-2")
    real_prepare = FollowUpPipeline.prepare

    def blind_prepare(self, ctx, rows):
        real_prepare(self, ctx, rows)
        self._by_external = {}

    monkeypatch.setattr(FollowUpPipeline, "prepare", blind_prepare)

    with django_capture_on_commit_callbacks(execute=True):
        services.batch_commit(batch=batch, actor=personas.sales_a)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert problems(batch) == [(3, "外部编号", "Another follow-up has this external ID.")]
    assert not FollowUp.objects.filter(external_id="GJ-1").exists()
    assert FollowUp.objects.filter(external_id="GJ-2").count() == 1
