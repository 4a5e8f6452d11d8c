"""A streaming .xlsx writer for plain tables: text, numbers, booleans, dates and times.

An export is a grid of values and nothing else — no styles beyond the two date formats,
no formulas, no merged cells — so each row becomes one line of SpreadsheetML written
straight into the zip member as it comes. openpyxl's write-only mode builds an element per
cell and serialises it through an XML library: at 100,000 rows × 11 columns that alone
took most of the export's time. Here a cell is one formatted string, memory stays flat
(one batch of rows at a time) and the file is the same to a reader: dates and times are
numbers with openpyxl's default formats (``yyyy-mm-dd h:mm:ss``, ``yyyy-mm-dd``), text
is inline, and a value is read back exactly as it was written.

Workbooks that need styling (the evaluation report, the import templates) keep openpyxl.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr  # nosec B406 - escapes what we write; parses nothing

#: Excel's day zero (with the 1900 leap-year quirk, so valid from 1900-03-01 on).
_EPOCH = datetime.datetime(1899, 12, 30)
_EPOCH_DATE = _EPOCH.date()
#: Characters XML 1.0 cannot carry at all; a spreadsheet would refuse the file.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPECIAL = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Carriage returns would be read back as line feeds unless written as a reference.
_ENTITIES = {"\r": "&#13;"}
#: Rows written to the zip member at once.
_BATCH = 500
#: Fast deflate: the sheet is repetitive XML, so level 1 already shrinks it ~8×, at a
#: fraction of the default level's time.
_COMPRESSLEVEL = 1

_INLINE = 't="inlineStr"><is><t xml:space="preserve">'
_STYLE_DATETIME = 1
_STYLE_DATE = 2

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}"
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>Pathscore</Application></Properties>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    "<cp:coreProperties "
    'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
    "</cp:coreProperties>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{sheets}"
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    "</Relationships>"
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{n}.xml"/>'
)
# numFmtId 22 is the built-in "m/d/yy h:mm"; custom ids start at 164.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _serial(value: datetime.date) -> str:
    if isinstance(value, datetime.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        days = delta.days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400
        return repr(days)
    return str((value - _EPOCH_DATE).days)


def _text(value: str) -> str:
    # Most cells hold nothing to escape: one scan decides.
    if _SPECIAL.search(value) is None:
        return value
    return escape(_ILLEGAL.sub("", value), _ENTITIES)


def _attribute(value: str) -> str:
    return quoteattr(_ILLEGAL.sub("", value))


def _row_xml(number: int, values: list, letters: list[str]) -> str:
    cells = []
    append = cells.append
    for index, value in enumerate(values):
        if index >= len(letters):
            letters.append(column_letter(index))
        ref = f"{letters[index]}{number}"
        if value is None or value == "":
            continue
        if isinstance(value, str):
            append(f'<c r="{ref}" {_INLINE}{_text(value)}</t></is></c>')
        elif isinstance(value, bool):
            append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float | Decimal):
            append(f'<c r="{ref}"><v>{value}</v></c>')
        elif isinstance(value, datetime.datetime):
            append(f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{_serial(value)}</v></c>')
        elif isinstance(value, datetime.date):
            append(f'<c r="{ref}" s="{_STYLE_DATE}"><v>{_serial(value)}</v></c>')
        else:
            append(f'<c r="{ref}" {_INLINE}{_text(str(value))}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx(handle, sheets: Iterable[tuple[str, Iterable[list]]]) -> None:
    """Write ``(title, rows)`` sheets to the binary file ``handle`` as an .xlsx workbook.

    Rows are lists of plain values (already neutralised by the caller); they are consumed
    as they come, so ``rows`` may be a generator over a database cursor.
    """
    titles = []
    with zipfile.ZipFile(
        handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=_COMPRESSLEVEL
    ) as archive:
        for number, (title, rows) in enumerate(sheets, start=1):
            titles.append(title[:31])
            letters: list[str] = []
            member = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", _now_tuple())
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w", force_zip64=True) as part:
                part.write(_SHEET_START.encode())
                batch = []
                for row_number, values in enumerate(rows, start=1):
                    batch.append(_row_xml(row_number, values, letters))
                    if len(batch) >= _BATCH:
                        part.write("".join(batch).encode())
                        batch.clear()
                part.write(("".join(batch) + _SHEET_END).encode())
        count = range(1, len(titles) + 1)
        archive.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=n) for n in count)),
        )
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("docProps/app.xml", _APP)
        created = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        archive.writestr("docProps/core.xml", _CORE.format(created=created))
        archive.writestr(
            "xl/workbook.xml",
            _WORKBOOK.format(
                sheets="".join(
                    f'<sheet name={_attribute(title)} sheetId="{n}" r:id="rId{n}"/>'
                    for n, title in zip(count, titles, strict=True)
                )
            ),
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.format(sheets="".join(_SHEET_REL.format(n=n) for n in count)),
        )
        archive.writestr("xl/styles.xml", _STYLES)


def _now_tuple():
    return datetime.datetime.now().timetuple()[:6]
