"""The downloadable deliverable templates: real workbooks with Chinese headers."""

import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from pathscore.process import deliverables
from pathscore.process.bundled import STANDARD_NODES

pytestmark = pytest.mark.django_db


def download(client, key):
    response = client.get(f"/process/deliverables/{key}/")
    assert response.status_code == 200
    assert response["Content-Type"] == deliverables.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    return response, load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def header(sheet, row=3):
    return [cell.value for cell in sheet[row] if cell.value is not None]


def validations(sheet):
    return {str(v.sqref): v for v in sheet.data_validations.dataValidation}


def test_requirement_report_template(personas, login):
    response, workbook = download(login(personas.sales_a), "requirement-report")
    assert "需求分析报告模板.xlsx" in unquote(response["Content-Disposition"])
    assert workbook.sheetnames == [
        "客户基本信息",
        "用电负荷预测",
        "现有设备情况",
        "未来3年需求预测",
        "结论与建议",
    ]
    facts = workbook["客户基本信息"]
    labels = [facts.cell(row=row, column=1).value for row in range(3, 14)]
    assert labels[:3] == ["客户名称", "统一社会信用代码", "客户类型"]
    assert "电网公司" in validations(facts)["B5"].formula1

    load = workbook["用电负荷预测"]
    assert header(load) == [
        "年份",
        "月份",
        "最大负荷（kW）",
        "平均负荷（kW）",
        "月用电量（kWh）",
        "峰时用电量（kWh）",
        "谷时用电量（kWh）",
        "备注",
    ]
    years = [load.cell(row=row, column=1).value for row in range(4, 40)]
    assert len(set(years)) == 3 and years == sorted(years)
    assert [load.cell(row=row, column=2).value for row in range(4, 16)] == [
        f"{month}月" for month in range(1, 13)
    ]
    assert load.freeze_panes == "A4"
    assert load["A3"].font.bold and load["A3"].fill.fgColor.rgb.endswith("1F4E79")
    assert load.column_dimensions["E"].width == 18
    # The yearly summary adds the months up.
    assert load.cell(row=42, column=4).value == "=SUM(E4:E15)"

    equipment = workbook["现有设备情况"]
    assert header(equipment)[:6] == [
        "设备名称",
        "型号规格",
        "数量",
        "额定容量（kVA/kW）",
        "投运年份",
        "运行状况",
    ]
    assert "待更换" in validations(equipment)["F4:F33"].formula1

    demand = workbook["未来3年需求预测"]
    assert header(demand)[:3] == ["年份", "预测最大负荷（kW）", "预测年用电量（万kWh）"]
    assert [demand.cell(row=row, column=1).value for row in (4, 5, 6)] == years[::12]

    conclusions = workbook["结论与建议"]
    assert conclusions["A3"].value == "需求概述"


def test_followup_record_template(personas, login):
    response, workbook = download(login(personas.manager_a), "followup-record")
    assert "客户跟进记录模板.xlsx" in unquote(response["Content-Disposition"])
    sheet = workbook["客户跟进记录"]
    assert header(sheet) == [
        "日期",
        "方式",
        "客户参会人",
        "我方参会人",
        "沟通内容",
        "客户需求",
        "下一步行动",
        "计划日期",
    ]
    rules = validations(sheet)
    assert "上门拜访" in rules["B4:B53"].formula1  # the follow-up modes, as admins named them
    assert rules["A4:A53"].type == "date" and rules["H4:H53"].type == "date"
    assert sheet.column_dimensions["E"].width == 40


def test_every_bundled_node_names_a_known_template():
    keys = {key for node in STANDARD_NODES for key in node["deliverable_templates"]}
    assert keys == {"requirement-report", "followup-record"}
    assert keys <= set(deliverables.DELIVERABLES)


def test_unknown_key_is_not_found_and_anonymous_is_sent_to_sign_in(personas, login, client):
    assert client.get("/process/deliverables/followup-record/").status_code == 302
    assert login(personas.tech).get("/process/deliverables/contract/").status_code == 404
