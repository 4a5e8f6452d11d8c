"""Downloadable deliverable templates: blank workbooks a salesperson fills in for a node.

Nodes name the templates they offer in ``NodeDefinition.deliverable_templates`` by key
(``requirement-report``, ``followup-record``). Each workbook is generated on request with
openpyxl, in Chinese (the documents go to Chinese customers and colleagues whatever the
reader's UI language), with styled headers, column widths, frozen header rows and
drop-down lists where a value comes from a short list.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_PRIMARY = "1F4E79"
_THIN = Side(style="thin", color="B7C3D0")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=_PRIMARY)
_LABEL_FILL = PatternFill("solid", fgColor="DCE6F1")
_SUMMARY_FILL = PatternFill("solid", fgColor="F2F2F2")
_TITLE_FONT = Font(bold=True, size=14, color=_PRIMARY)
_NOTE_FONT = Font(italic=True, size=9, color="6C757D")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NUMBER = "#,##0.00"
_DATE = "yyyy-mm-dd"

#: Rows prepared (bordered, validated) below the header of a free-form table.
BLANK_ROWS = 30


@dataclass(frozen=True)
class Deliverable:
    """One downloadable template."""

    key: str
    #: The file's name (without extension) and its title inside the workbook, in Chinese.
    title: str
    label: str
    description: str
    build: Callable[[], Workbook]

    @property
    def filename(self) -> str:
        return f"{self.title}.xlsx"


# --- Building blocks -------------------------------------------------------------------------


def _title(sheet: Worksheet, title: str, note: str, width: int) -> None:
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.cell(row=1, column=1, value=title).font = _TITLE_FONT
    sheet.cell(row=2, column=1, value=note).font = _NOTE_FONT
    sheet.row_dimensions[1].height = 24


def _table(
    sheet: Worksheet,
    headers: list[tuple[str, int]],
    *,
    header_row: int = 3,
    rows: int = BLANK_ROWS,
) -> tuple[int, int]:
    """Styled headers (text, width) at ``header_row`` and ``rows`` bordered rows below.

    Returns the first and last data row."""
    for column, (text, width) in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[header_row].height = 30
    first, last = header_row + 1, header_row + rows
    for row in range(first, last + 1):
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(row=row, column=column)
            cell.border = _BORDER
            cell.alignment = _WRAP
    sheet.freeze_panes = sheet.cell(row=first, column=1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    return first, last


def _form(sheet: Worksheet, items: list[str], *, start_row: int = 3, value_width: int = 70) -> dict:
    """A two-column form: labels on the left, space for values on the right.

    Returns ``{label: value cell coordinate}``."""
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = value_width
    cells = {}
    for row, label in enumerate(items, start=start_row):
        label_cell = sheet.cell(row=row, column=1, value=label)
        label_cell.font = Font(bold=True)
        label_cell.fill = _LABEL_FILL
        label_cell.border = _BORDER
        label_cell.alignment = Alignment(vertical="top", wrap_text=True)
        value_cell = sheet.cell(row=row, column=2)
        value_cell.border = _BORDER
        value_cell.alignment = _WRAP
        cells[label] = value_cell.coordinate
    return cells


def _choice_list(sheet: Worksheet, cells: str, choices: list[str], prompt: str) -> None:
    # Excel limits an inline list to 255 characters; the lists here are short.
    formula = '"' + ",".join(c.replace(",", "，").replace('"', "") for c in choices) + '"'
    validation = DataValidation(
        type="list", formula1=formula[:255], allow_blank=True, showDropDown=False
    )
    validation.error = "请从下拉列表中选择。"
    validation.errorTitle = "无效的选项"
    validation.prompt = prompt
    validation.showErrorMessage = True
    validation.showInputMessage = bool(prompt)
    sheet.add_data_validation(validation)
    validation.add(cells)


def _number_rule(sheet: Worksheet, cells: str, *, whole: bool = False, low=0, high=None) -> None:
    operator = "greaterThanOrEqual" if high is None else "between"
    validation = DataValidation(
        type="whole" if whole else "decimal",
        operator=operator,
        formula1=str(low),
        formula2=None if high is None else str(high),
        allow_blank=True,
    )
    validation.error = "请输入有效的数字。"
    validation.errorTitle = "无效的数字"
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)
    validation.add(cells)


def _date_rule(sheet: Worksheet, cells: str) -> None:
    validation = DataValidation(
        type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True
    )
    validation.error = "请输入日期，例如 2026-03-18。"
    validation.errorTitle = "无效的日期"
    validation.showErrorMessage = True
    sheet.add_data_validation(validation)
    validation.add(cells)
    selected = sheet[cells]
    rows = selected if isinstance(selected, tuple) else ((selected,),)
    for row in rows:
        for cell in row:
            cell.number_format = _DATE


def _option_names(kind: str, fallback: list[str]) -> list[str]:
    """The admin-edited option list's current names (the bundled names if it is empty)."""
    from pathscore.core.models import Option

    names = list(Option.objects.filter(kind=kind, is_active=True).values_list("name", flat=True))
    return names or fallback


def _workbook(title: str) -> Workbook:
    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = "Pathscore"
    return workbook


# --- 需求分析报告模板 ----------------------------------------------------------------------

LOAD_FORECAST_HEADERS = [
    ("年份", 8),
    ("月份", 8),
    ("最大负荷（kW）", 16),
    ("平均负荷（kW）", 16),
    ("月用电量（kWh）", 18),
    ("峰时用电量（kWh）", 18),
    ("谷时用电量（kWh）", 18),
    ("备注", 30),
]
EQUIPMENT_HEADERS = [
    ("设备名称", 22),
    ("型号规格", 20),
    ("数量", 8),
    ("额定容量（kVA/kW）", 18),
    ("投运年份", 10),
    ("运行状况", 12),
    ("存在问题", 30),
    ("备注", 24),
]
EQUIPMENT_CONDITIONS = ["良好", "一般", "较差", "待更换"]
DEMAND_HEADERS = [
    ("年份", 8),
    ("预测最大负荷（kW）", 18),
    ("预测年用电量（万kWh）", 20),
    ("新增设备或扩产计划", 30),
    ("新能源需求", 16),
    ("预计投资（万元）", 16),
    ("预测依据", 36),
]
NEW_ENERGY_NEEDS = ["无", "光伏", "储能", "光伏+储能", "充电设施", "其他"]
CUSTOMER_FACTS = [
    "客户名称",
    "统一社会信用代码",
    "客户类型",
    "所属区域",
    "地址",
    "主要联系人",
    "职务",
    "联系电话",
    "所属行业及主要产品",
    "报告编制人",
    "编制日期",
]
CONCLUSIONS = ["需求概述", "关键问题", "建议方案方向", "项目优先级", "下一步行动", "风险提示"]
PRIORITIES = ["高", "中", "低"]


def _forecast_years(today: dt.date | None = None) -> list[int]:
    year = (today or timezone.localdate()).year
    return [year + 1, year + 2, year + 3]


def build_requirement_report(today: dt.date | None = None) -> Workbook:
    """需求分析报告模板: customer facts, a 3-year monthly load forecast, existing equipment,
    the 3-year demand forecast, conclusions."""
    workbook = _workbook("需求分析报告模板")
    years = _forecast_years(today)

    facts = workbook.active
    facts.title = "客户基本信息"
    _title(
        facts, "需求分析报告 — 客户基本信息", "请完整填写；带下拉箭头的单元格请从列表中选择。", 2
    )
    cells = _form(facts, CUSTOMER_FACTS)
    _choice_list(
        facts,
        cells["客户类型"],
        _option_names(
            "customer_type", ["电网公司", "工业企业", "新能源企业", "政府及事业单位", "其他"]
        ),
        "选择客户类型",
    )
    _date_rule(facts, cells["编制日期"])

    load = workbook.create_sheet("用电负荷预测")
    _title(
        load,
        f"用电负荷预测（{years[0]}—{years[-1]}年，按月）",
        "按月填写未来3年的预测负荷和用电量；年度汇总自动计算。单位见表头。",
        len(LOAD_FORECAST_HEADERS),
    )
    first, last = _table(load, LOAD_FORECAST_HEADERS, rows=36)
    row = first
    for year in years:
        for month in range(1, 13):
            load.cell(row=row, column=1, value=year).alignment = _CENTER
            load.cell(row=row, column=2, value=f"{month}月").alignment = _CENTER
            for column in range(3, 8):
                load.cell(row=row, column=column).number_format = _NUMBER
            row += 1
    _number_rule(load, f"C{first}:G{last}")
    summary_header = last + 2
    for column, text in enumerate(
        [
            "年份",
            "年最大负荷（kW）",
            "月均负荷（kW）",
            "年用电量（kWh）",
            "峰时电量（kWh）",
            "谷时电量（kWh）",
        ],
        start=1,
    ):
        cell = load.cell(row=summary_header, column=column, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
        cell.border = _BORDER
    load.cell(row=summary_header - 1, column=1, value="年度汇总").font = Font(bold=True)
    for index, year in enumerate(years):
        top, bottom = first + index * 12, first + index * 12 + 11
        target = summary_header + 1 + index
        values = [
            year,
            f"=MAX(C{top}:C{bottom})",
            f"=AVERAGE(D{top}:D{bottom})",
            f"=SUM(E{top}:E{bottom})",
            f"=SUM(F{top}:F{bottom})",
            f"=SUM(G{top}:G{bottom})",
        ]
        for column, value in enumerate(values, start=1):
            cell = load.cell(row=target, column=column, value=value)
            cell.border = _BORDER
            cell.fill = _SUMMARY_FILL
            if column > 1:
                cell.number_format = _NUMBER

    equipment = workbook.create_sheet("现有设备情况")
    _title(
        equipment,
        "现有设备情况",
        "逐台（组）填写变压器、开关柜、配电装置等主要设备。",
        len(EQUIPMENT_HEADERS),
    )
    first, last = _table(equipment, EQUIPMENT_HEADERS)
    _number_rule(equipment, f"C{first}:C{last}", whole=True)
    _number_rule(equipment, f"D{first}:D{last}")
    _number_rule(equipment, f"E{first}:E{last}", whole=True, low=1950, high=2100)
    _choice_list(equipment, f"F{first}:F{last}", EQUIPMENT_CONDITIONS, "选择运行状况")

    demand = workbook.create_sheet("未来3年需求预测")
    _title(
        demand,
        "未来3年需求预测",
        "结合客户发展规划、扩产计划和新能源规划填写。",
        len(DEMAND_HEADERS),
    )
    first, last = _table(demand, DEMAND_HEADERS, rows=3)
    for offset, year in enumerate(years):
        demand.cell(row=first + offset, column=1, value=year).alignment = _CENTER
        for column in (2, 3, 6):
            demand.cell(row=first + offset, column=column).number_format = _NUMBER
    _number_rule(demand, f"B{first}:C{last}")
    _number_rule(demand, f"F{first}:F{last}")
    _choice_list(demand, f"E{first}:E{last}", NEW_ENERGY_NEEDS, "选择新能源需求")

    conclusions = workbook.create_sheet("结论与建议")
    _title(conclusions, "结论与建议", "概括客户需求并提出方案方向，供方案设计和评审使用。", 2)
    cells = _form(conclusions, CONCLUSIONS, value_width=80)
    for label in CONCLUSIONS:
        row = int(cells[label][1:])
        conclusions.row_dimensions[row].height = 60
    _choice_list(conclusions, cells["项目优先级"], PRIORITIES, "选择优先级")
    conclusions.row_dimensions[int(cells["项目优先级"][1:])].height = 20
    return workbook


# --- 客户跟进记录模板 ----------------------------------------------------------------------

FOLLOWUP_HEADERS = [
    ("日期", 12),
    ("方式", 12),
    ("客户参会人", 18),
    ("我方参会人", 18),
    ("沟通内容", 40),
    ("客户需求", 30),
    ("下一步行动", 26),
    ("计划日期", 12),
]


def build_followup_record(today: dt.date | None = None) -> Workbook:
    """客户跟进记录模板: one row per contact with the customer."""
    workbook = _workbook("客户跟进记录模板")
    sheet = workbook.active
    sheet.title = "客户跟进记录"
    _title(
        sheet,
        "客户跟进记录",
        "每次拜访、电话或会议填写一行；“方式”请从下拉列表中选择，日期格式为 2026-03-18。",
        len(FOLLOWUP_HEADERS),
    )
    first, last = _table(sheet, FOLLOWUP_HEADERS, rows=50)
    _date_rule(sheet, f"A{first}:A{last}")
    _date_rule(sheet, f"H{first}:H{last}")
    _choice_list(
        sheet,
        f"B{first}:B{last}",
        _option_names("followup_mode", ["上门拜访", "电话沟通", "线上会议", "现场勘查"]),
        "选择跟进方式",
    )
    return workbook


# --- Registry --------------------------------------------------------------------------------

DELIVERABLES: dict[str, Deliverable] = {
    item.key: item
    for item in (
        Deliverable(
            key="requirement-report",
            title="需求分析报告模板",
            label=_("Requirement analysis report template"),
            description=_(
                "Customer facts, a monthly electrical load forecast for three years, existing "
                "equipment, the 3-year demand forecast, conclusions."
            ),
            build=build_requirement_report,
        ),
        Deliverable(
            key="followup-record",
            title="客户跟进记录模板",
            label=_("Customer follow-up record template"),
            description=_(
                "One row per contact: date, mode, participants, discussion, customer needs, "
                "next action and its date."
            ),
            build=build_followup_record,
        ),
    )
}


def deliverable_choices() -> list[tuple[str, str]]:
    """(key, label) of every bundled template, for the template editor's checkboxes."""
    return [(item.key, item.label) for item in DELIVERABLES.values()]


def get_deliverable(key: str) -> Deliverable | None:
    return DELIVERABLES.get(key)


def render_xlsx(deliverable: Deliverable) -> bytes:
    """The deliverable's workbook as .xlsx bytes."""
    buffer = io.BytesIO()
    deliverable.build().save(buffer)
    return buffer.getvalue()
