"""Write the sample workbooks the way each unit fills them in, with ``evalkit.core.form_writer``.

Part of the sample generator (``evalkit.sample.generate``). The layout writer lays out the
official forms; this module adds each unit's habits on top: file names, one or two files,
an extra blank or note row above the header, meta in separate cells, date formats, item
numbering styles, money written as text. Workbooks are written byte-stable: fixed document
properties and fixed zip timestamps.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.cell_range import CellRange

from evalkit.core.form_writer import SheetLayout, write_figures_sheet, write_ledger_sheet
from evalkit.sample.events import Row, penalty_text
from evalkit.sample.world import Style, Unit

YEAR = 2024
FIXED_TIME = dt.datetime(2024, 12, 31, 9, 0, 0)
_ZIP_TIME = (2024, 12, 31, 9, 0, 0)
HEADER_TOP = 4  # layout writes the (first) header row of both forms here
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class SheetRecord:
    sheet: str
    form: str  # ledger | figures
    header_row: int
    first_data_row: int
    rows: int
    row_of: dict[int, int] = field(default_factory=dict)  # Row.uid -> Excel row


@dataclass
class FileRecord:
    path: str  # relative to the data folder, forward slashes
    unit: str
    month: int
    sheets: list[SheetRecord]
    received: dt.date | None = None
    late: bool = False

    @property
    def rows_read(self) -> int:
        return sum(s.rows for s in self.sheets)

    @property
    def submission_path(self) -> str:
        """The path relative to submissions/ (received.csv's 文件)."""
        return self.path.split("/", 1)[1]


# ---------------------------------------------------------------------------- cells
def date_cell(row: Row, style: Style):
    d = row.shown_date
    kind = style.dates
    if kind == "mixed":
        kind = ("excel", "dotted", "md", "iso")[row.uid % 4]
    return {
        "excel": d,
        "dotted": f"{d.year}.{d.month}.{d.day}",
        "md": f"{d.month}月{d.day}日",
        "iso": d.isoformat(),
        "slash": f"{d.year}/{d.month}/{d.day}",
        "cn": f"{d.year}年{d.month}月{d.day}日",
    }[kind]


def items_cell(texts: list[str], style: Style):
    """A multi-item cell in the unit's numbering style; a list is numbered by layout."""
    if not texts:
        return None
    if style.items == "dot":
        return list(texts)
    if style.items == "comma":
        if len(texts) == 1:
            return texts[0]
        return "；".join(f"{n}、{t}" for n, t in enumerate(texts, 1))
    return "\n".join(f"{str(n).translate(_FULLWIDTH)}．{t}" for n, t in enumerate(texts, 1))


def money_cell(row: Row, style: Style):
    if row.fine_text is not None:
        return row.fine_text
    if row.fine is None:
        return None
    if style.money == "wan_text":
        return f"{row.fine:g}万"
    if style.money == "yuan_text":
        return f"{round(row.fine * 10000)}元"
    return row.fine


def handling_text(row: Row) -> str | None:
    parts = []
    if row.suspend:
        parts.append("责令停产停业整顿")
    if row.license:
        parts.append(row.license)
    if row.closure:
        parts.append(row.closure_text)
    if row.blacklist:
        parts.append("纳入黑名单管理")
    if row.joint:
        parts.append("实施联合惩戒")
    if row.criminal:
        parts.append(f"移送公安机关追究刑事责任{row.criminal}人")
    if row.referred_to:
        parts.append(row.referred_to)
    if row.notice:
        parts.append("下达责令限期整改指令书")
    return "；".join(parts) or None


def remarks_text(row: Row) -> str | None:
    parts = list(row.remarks)
    if row.report and "举报件" not in parts:
        parts.insert(0, "举报件")
    return "；".join(parts) or None


def case_cell(row: Row, style: Style) -> str | None:
    if not row.case:
        return None
    number = row.case.number
    if style.case_brackets != "〔〕":
        number = number.replace("〔", style.case_brackets[0]).replace("〕", style.case_brackets[1])
    return number


def basis_cell(row: Row, style: Style) -> str | None:
    if not row.basis:
        return None
    return penalty_text(row.basis, style.long_law_name)


def render_row(row: Row, style: Style) -> dict:
    """One 附件1 row as the ``layout.write_ledger_sheet`` record."""
    rects = [it.rect for it in row.items]
    if any(r is None for r in rects):  # blank is decided per row; never a partial column
        if not all(r is None for r in rects):  # pragma: no cover - a simulation bug
            raise RuntimeError(f"row {row.uid}: 完成整改情况 partly blank")
        rects = []
    rects += row.extra_rects
    return {
        "enterprise": row.written_name or row.enterprise,
        "inspection_date": date_cell(row, style),
        "inspectors": style.sep.join(row.inspectors),
        "hazards": items_cell([it.hazard for it in row.items], style),
        "rectifications": items_cell(rects, style),
        "case_no": case_cell(row, style),
        "fine_wan": money_cell(row, style),
        "legal_basis": basis_cell(row, style),
        "other_handling": handling_text(row),
        "remarks": remarks_text(row),
    }


# ---------------------------------------------------------------------------- sheets
def _insert_rows(ws, idx: int, n: int) -> None:
    """``ws.insert_rows`` that also moves merged ranges and the frozen pane."""
    merged = [CellRange(str(r)) for r in ws.merged_cells.ranges]
    for r in merged:
        ws.unmerge_cells(r.coord)
    ws.insert_rows(idx, n)
    for r in merged:
        if r.min_row >= idx:
            r.shift(row_shift=n)
        ws.merge_cells(r.coord)
    if ws.freeze_panes:
        col = re.match(r"[A-Z]+", ws.freeze_panes).group(0)
        row = int(ws.freeze_panes[len(col):])
        ws.freeze_panes = f"{col}{row + n}"


def _split_meta(ws) -> None:
    """Move each "标签：值" of the meta row into two cells, as some units do."""
    for cell in list(ws[3]):
        text = cell.value
        if isinstance(text, str) and "：" in text:
            label, value = text.split("：", 1)
            nxt = ws.cell(3, cell.column + 1)
            if value.strip() and nxt.value is None:
                cell.value = label + "："
                nxt.value = value.strip()


def _apply_header_style(ws, layout: SheetLayout, style: Style, month: int) -> int:
    """Apply the unit's header habit; returns how many rows were inserted above the header."""
    top = HEADER_TOP
    if style.header == "meta_split":
        _split_meta(ws)
    if style.header in ("blank_row", "note_row"):
        _insert_rows(ws, top, 1)
        if style.header == "note_row":
            last = calendar.monthrange(YEAR, month)[1]
            ws.cell(top, 1, f"说明：统计时段为{month}月1日至{month}月{last}日，罚款金额单位：万元")
        return 1
    return 0


def _month_label(style: Style, month: int) -> str:
    return style.month_text.format(m=month, yyyy=YEAR)


def _sheet_name(style: Style, index: int, month: int) -> str:
    return style.sheets[index].format(m=month)


def file_names(unit: Unit, month: int) -> list[tuple[str, str]]:
    """[(path under submissions/, forms)] for a unit's month; forms "ledger+figures", "ledger"
    or "figures"."""
    style = unit.style
    folder = f"{YEAR}-{month:02d}" + (f"/{unit.name}" if style.subfolder else "")
    fields = {"unit": unit.name, "m": month, "mm": f"{month:02d}", "yyyy": YEAR}
    if style.two_files:
        return [(f"{folder}/{style.file_name.format(form=1, **fields)}.xlsx", "ledger"),
                (f"{folder}/{style.file_name.format(form=2, **fields)}.xlsx", "figures")]
    return [(f"{folder}/{style.file_name.format(**fields)}.xlsx", "ledger+figures")]


def write_unit_month(data_dir: Path, unit: Unit, month: int, rows: list[Row], month_values: dict,
                     cumulative_values: dict, filled: dt.date, names: list[tuple[str, str]] | None = None
                     ) -> list[FileRecord]:
    """Write one unit's report for ``month``; returns what was written where."""
    style = unit.style
    records = []
    for rel, forms in names or file_names(unit, month):
        wb = Workbook()
        ws = wb.active
        sheets = []
        index = 0 if forms != "figures" else 1
        if "ledger" in forms:
            ws.title = _sheet_name(style, 0, month)
            rendered = [render_row(r, style) for r in rows]
            layout = write_ledger_sheet(ws, unit=unit.name, year=YEAR, month=_month_label(style, month),
                                        rows=rendered, filled_date=_filled_text(filled, style))
            shift = _apply_header_style(ws, layout, style, month)
            first = layout.first_data_row + shift
            sheets.append(SheetRecord(ws.title, "ledger", layout.header_row + shift, first, len(rows),
                                      {r.uid: first + i for i, r in enumerate(rows)}))
            index = 1
        if "figures" in forms:
            ws2 = ws if "ledger" not in forms else wb.create_sheet()
            ws2.title = _sheet_name(style, index, month)
            layout = write_figures_sheet(ws2, unit=unit.name, year=YEAR, month=_month_label(style, month),
                                         month_values=month_values, cumulative_values=cumulative_values)
            shift = _apply_header_style(ws2, layout, style, month)
            sheets.append(SheetRecord(ws2.title, "figures", layout.header_row + shift,
                                      layout.first_data_row + shift, 2))
        path = data_dir / "submissions" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        save_stable(wb, path, creator=unit.name)
        records.append(FileRecord(f"submissions/{rel}", unit.name, month, sheets))
    return records


def _filled_text(d: dt.date, style: Style) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if style.dates in ("cn", "md") else d.isoformat()


def save_stable(wb: Workbook, path: Path, creator: str = "") -> None:
    """Save ``wb`` so the same content gives the same bytes (fixed times in the package)."""
    wb.properties.creator = creator or "evalkit"
    wb.properties.lastModifiedBy = creator or "evalkit"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            out = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = 0o600 << 16
            dst.writestr(out, data)
