"""Read a data folder into a validated ``Dataset``: ``load(data_dir)``.

What it reads and accepts, the money/date/item rules, the rule table and the fate
of a row are documented for users in docs/intake.md. In short:

1. ``registry.load_registry`` reads registry/ (a missing enterprises file raises
   DataDirError).
2. Every file under submissions/ is sniffed by content (never by name): empty,
   OLE (encrypted .xlsx or legacy .xls), zip without a workbook (.docx …), other
   (CSV, PDF, text) each give one file-level problem. Hidden and lock files
   (".*", "~$*", Thumbs.db, desktop.ini) are skipped with a file_skipped warning.
3. Each sheet of a workbook is recognised by its header row (found by names,
   anywhere in the first 30 rows), its unit, month and year are read from the cells
   above the header, and its data rows are parsed with ``evalkit.intake.cells``.
4. Checks across files: duplicate submissions, lateness, duplicate 立案案号,
   the same enterprise inspected twice on one day; then the items table and the
   复查 linking (docs/design.md).

A row with an error is rejected (``Dataset.rejected``), a warning keeps it. Every
file satisfies rows_read = rows_accepted + rows_rejected (asserted).

Workbooks are untrusted: openpyxl parses them with defusedxml (checked at import),
read-only and ``data_only=True`` so a formula yields its cached value and is never
evaluated; a formula without a cached value is blank with a warning.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from defusedxml import DefusedXmlException  # openpyxl parses with defusedxml when importable
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML

from evalkit.core.dataset import Dataset
from evalkit.core.forms import DEFAULT_YEAR, FIGURES, LEDGER, Column, Form
from evalkit.core.periods import submission_deadline
from evalkit.core.problems import RULES, Problem, make_problem, problems_frame
from evalkit.exceptions import DataDirError, InternalError, os_reason
from evalkit.intake import cells
from evalkit.intake.registry import (
    REGISTRY_DIR,
    SUBMISSIONS_DIR,
    Registry,
    load_registry,
    submission_key,
)

if not DEFUSEDXML:  # pragma: no cover - defusedxml is a declared dependency
    raise ImportError("evalkit.intake.loader 需要 defusedxml 以安全解析报送的工作簿：pip install defusedxml")

HEADER_SCAN_ROWS = 30  # the header row is looked for in this many rows
MIN_HEADER_MATCHES = 3  # a row naming fewer of a form's columns is not its header
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # zip-bomb guard
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
# Required columns per form; 附件2 needs its 单位 column to tell 本月数 from 累计数.
_REQUIRED = {LEDGER.id: tuple(c.key for c in LEDGER.columns if c.required), FIGURES.id: ("label",)}
_FORM_NAMES = {LEDGER.id: "附件1（统计表一）", FIGURES.id: "附件2（统计表二）"}
_MAX_SEQ = 2**63 - 1  # a larger 序号 is junk; it is informative only, so it is dropped
_SHEET_ERRORS = {r for r, rule in RULES.items() if rule.scope == "sheet" and rule.severity == "error"}

LEDGER_COLUMNS = ["row_id", "file", "sheet", "row", "unit", "year", "month", "period", "seq",
                  "enterprise", "enterprise_name", "registered", "inspection_date", "inspectors",
                  "inspector_count", "hazards", "rectifications", "case_no", "fine_wan",
                  "legal_basis", "other_handling", "remarks", "is_recheck"]
ITEM_COLUMNS = ["row_id", "item_no", "hazard", "rectification", "unit", "period", "enterprise_name",
                "inspection_date", "case_no", "is_recheck", "status", "deadline",
                "counts_as_hazard", "closed_by", "closed_date", "rectified"]
FIGURE_KEYS = [c.key for c in FIGURES.columns if c.key != "label"]
FIGURES_COLUMNS = ["file", "sheet", "row", "unit", "year", "month", "period", "kind", *FIGURE_KEYS]
SUBMISSION_COLUMNS = ["file", "sheet", "form", "unit", "year", "month", "period", "filled_date",
                      "received", "late", "rows_read", "rows_accepted", "rows_rejected"]
FILE_COLUMNS = ["file", "rows_read", "rows_accepted", "rows_rejected"]
REJECTED_COLUMNS = ["file", "sheet", "row", "form", "reason", "values"]


# --------------------------------------------------------------------------- records


@dataclass
class RowRead:
    """One data row: its raw values, its parsed record and its own problems."""

    row: int
    values: dict[str, str]
    record: dict
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rule ids; filled at the end

    @property
    def rejected(self) -> bool:
        return bool(self.errors)


@dataclass
class SheetRead:
    """One sheet: recognised (form set) or not, its header fields and its rows."""

    file: str
    sheet: str
    form: str | None
    unit: str | None = None
    unit_written: str | None = None
    year: int | None = None
    month: int | None = None
    filled_date: dt.date | None = None
    received: dt.date | None = None
    late: bool = False
    rows: list[RowRead] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def sheet_errors(self) -> list[str]:
        return list(dict.fromkeys(p.rule for p in self.problems if p.rule in _SHEET_ERRORS))

    @property
    def period(self) -> str | None:
        return f"{self.year}-{self.month:02d}" if self.year and self.month else None


@dataclass
class FileRead:
    file: str
    problems: list[Problem] = field(default_factory=list)
    sheets: list[SheetRead] = field(default_factory=list)


def _problem(rule: str, message: str, where: SheetRead | str, row=None, column=None, value=None) -> Problem:
    if isinstance(where, SheetRead):
        return make_problem(rule, message, file=where.file, sheet=where.sheet, row=row, column=column,
                            value=value)
    return make_problem(rule, message, file=where, row=row, column=column, value=value)


def _quoted(label: str, raw, detail: str) -> str:
    """"罚款金额 '待定' 不是数字：…" (or "罚款金额为空：…" without a value)."""
    return f"{label}{detail}" if raw is None else f"{label} '{raw}' {detail}"


def _short(column: Column) -> str:
    """A header without its unit: 罚款金额(万) -> 罚款金额."""
    return column.header.split("(")[0]


# --------------------------------------------------------------------------- files


def _list_files(sub_dir: Path, data_dir: Path) -> tuple[list[Path], list[Problem]]:
    files, skipped = [], []
    for path in sorted(sub_dir.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(sub_dir).parts
        hidden = any(p.startswith((".", "~$")) or p == "__MACOSX" for p in parts)
        if hidden or path.name.lower() in _SKIP_NAMES:
            rel = _rel(path, data_dir)
            skipped.append(make_problem("file_skipped", f"{path.name} 是隐藏文件或临时锁文件：已跳过，不计入报送",
                                        file=rel))
            continue
        files.append(path)
    return files, skipped


def _rel(path: Path, data_dir: Path) -> str:
    return submission_key(path.relative_to(data_dir / SUBMISSIONS_DIR).as_posix())


def _sniff(data: bytes, rel: str) -> Problem | None:
    """A file-level problem when ``data`` is not a readable .xlsx workbook, else None."""
    suffix = Path(rel).suffix.lower()
    if not data:
        return make_problem("file_empty", "文件为空（0 字节）：请重新报送填好的 .xlsx 工作簿", file=rel)
    if len(data) > MAX_FILE_BYTES:
        return make_problem("file_unreadable", f"文件过大（{len(data) // 1024 // 1024} MB）：统计表应小于 50 MB",
                            file=rel)
    if data.startswith(OLE_MAGIC):
        # An encrypted .xlsx is an OLE container with an EncryptionInfo stream; a
        # legacy .xls has a Workbook (or Book) stream. Without either, the name decides.
        encrypted = "EncryptionInfo".encode("utf-16-le") in data
        legacy = any(s.encode("utf-16-le") in data for s in ("Workbook", "Book\x00"))
        if encrypted or (not legacy and suffix in (".xlsx", ".xlsm")):
            return make_problem("file_encrypted", "工作簿有密码保护（已加密）：请取消密码后另存为 .xlsx 再报送",
                                file=rel)
        if legacy or suffix in (".xls", ".xlt"):
            return make_problem("file_xls_legacy", "旧版 .xls 格式无法读取：请在 Excel/WPS 中另存为 .xlsx 再报送",
                                file=rel)
        return make_problem("file_not_excel", "不是 Excel 工作簿（旧版 Office 文档）：请报送 .xlsx 格式的统计表",
                            file=rel)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            return make_problem("file_unreadable", "文件已损坏（压缩包不完整）：请重新导出 .xlsx 后报送", file=rel)
        names = {i.filename.lower() for i in infos}
        if "xl/workbook.bin" in names:
            return make_problem("file_unreadable", "二进制 .xlsb 格式无法读取：请另存为 .xlsx 再报送", file=rel)
        if "xl/workbook.xml" not in names:
            kind = ("Word 文档" if "word/document.xml" in names else
                    "PowerPoint 文档" if "ppt/presentation.xml" in names else "压缩包")
            return make_problem("file_not_excel", f"不是 Excel 工作簿（是{kind}）：请报送 .xlsx 格式的统计表", file=rel)
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            return make_problem("file_unreadable", "工作簿解压后过大：疑似损坏或恶意文件，未读取", file=rel)
        return None
    if data.startswith(b"%PDF"):
        kind = "PDF 文件"
    elif suffix == ".csv":
        kind = "CSV 文件，不接受"
    elif _is_text(data[:4096]):
        kind = "文本文件"
    else:
        kind = "其他格式的文件"
    if suffix in (".xlsx", ".xlsm", ".xls") and not kind.startswith("CSV"):
        kind += f"，只是扩展名为 {suffix}"
    return make_problem("file_not_excel", f"不是 Excel 工作簿（{kind}）：请报送 .xlsx 格式的统计表", file=rel)


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _formula_cells(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """{sheet title: {(row, col)}} of formula cells; empty when the workbook has none.

    Costs a second parse, so it runs only when a worksheet XML contains an <f> tag.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if not any(_FORMULA_TAG.search(zf.read(n)) for n in zf.namelist()
                   if n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml")):
            return {}
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        out: dict[str, set[tuple[int, int]]] = {}
        for ws in wb.worksheets:
            ws.reset_dimensions()  # see _grid
            for row in ws.iter_rows():
                for c in row:
                    if getattr(c, "data_type", None) == "f":
                        out.setdefault(ws.title, set()).add((c.row, c.column))
        return out
    finally:
        wb.close()


def read_file(path: Path, rel: str, registry: Registry) -> FileRead:
    """Read one submission file into its sheets; file-level problems for non-workbooks."""
    result = FileRead(rel)
    data = path.read_bytes()
    if (problem := _sniff(data, rel)) is not None:
        result.problems.append(problem)
        return result
    formulas = _formula_cells(data)
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        grids = [(ws.title, _grid(ws)) for ws in wb.worksheets]
    finally:
        wb.close()
    non_empty = [(title, grid) for title, grid in grids if any(_nonblank(r) for r in grid)]
    if not non_empty:
        result.problems.append(make_problem("file_empty", "工作簿中没有任何内容：请填写统计表后再报送", file=rel))
        return result
    unrecognised = []
    for title, grid in non_empty:
        sheet = read_sheet(grid, rel, title, registry, formulas.get(title, set()))
        (result.sheets if sheet.form else unrecognised).append(sheet)
    for sheet in unrecognised:
        if result.sheets:  # a notes or scratch sheet beside a recognised form
            sheet.problems.append(_problem(
                "sheet_unrecognised", f"工作表“{sheet.sheet}”不是附件1或附件2：已忽略，其内容未读取", sheet))
        else:
            _reject_unrecognised(sheet, _grid_of(grids, sheet.sheet))
        result.sheets.append(sheet)
    return result


def _grid(ws) -> list[list]:
    """The sheet's cell values, row by row (rows as long as their last written cell).

    The sheet's own <dimension> is ignored: a 6 KB file claiming A1:XFD1048576 would
    otherwise be padded to billions of empty cells (memory/time bomb).
    """
    ws.reset_dimensions()
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _grid_of(grids, title):
    return next(g for t, g in grids if t == title)


def _nonblank(row) -> list[int]:
    return [i for i, v in enumerate(row) if cells.to_text(v) is not None]


def _reject_unrecognised(sheet: SheetRead, grid: list[list]) -> None:
    """No form on any sheet of the file: every non-blank row is read and rejected."""
    sheet.problems.append(_problem(
        "form_unrecognised",
        f"工作表“{sheet.sheet}”无法识别为附件1或附件2：未找到表头行（如 序号、受检企业(单位)名称、检查时间 或 "
        "单位、监管企业(单位)总数(家)、检查覆盖率(%)）；请使用官方表格", sheet))
    for n, row in enumerate(grid, 1):
        if _nonblank(row):
            values = {get_column_letter(i + 1): cells.to_text(row[i]) for i in _nonblank(row)}
            sheet.rows.append(RowRead(n, values, {}))


# --------------------------------------------------------------------------- sheets


@dataclass
class Header:
    form: Form
    row: int  # 1-based Excel row of the (lowest) header row
    top: int  # 1-based first header row (附件2: the group row)
    columns: dict[int, Column]  # 0-based column index -> form column
    written: dict[str, str]  # column key -> header as written


def _names(form: Form) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for col in form.columns:
        for name in (col.header, *col.aliases):
            out.setdefault(cells.norm(name), col)
    return out


_FORM_NAMES_NORM = {form.id: _names(form) for form in (LEDGER, FIGURES)}


def _norm_row(row: list) -> list[str]:
    return [cells.norm(v) if isinstance(v, str) else "" for v in row]


def _match_row(texts: list[str], form: Form, taken: dict[int, Column] | None = None) -> dict[int, Column]:
    """Column index -> form column for the header cells of one row (``texts`` normalised).

    Exact match of header or alias after ``cells.norm`` first; then a cell that is a
    name followed by a bracket ("检查时间(年月日)").
    """
    names = _FORM_NAMES_NORM[form.id]
    found: dict[int, Column] = dict(taken or {})
    used = {c.key for c in found.values()}
    for i, text in enumerate(texts):
        col = names.get(text) if text and i not in found else None
        if col is not None and col.key not in used:
            found[i], _ = col, used.add(col.key)
    for i, text in enumerate(texts):
        if i in found or "(" not in text:
            continue
        best = max((n for n in names if text.startswith(n) and text[len(n):].startswith("(")
                    and names[n].key not in used), key=len, default=None)
        if best is not None:
            found[i], _ = names[best], used.add(names[best].key)
    return found


def find_header(grid: list[list]) -> Header | None:
    """The header row: the row naming most columns of either form (at least 3), with
    the row above filling in columns that span two header rows (附件2)."""
    best: tuple[int, int, Form, dict] | None = None
    normed = [_norm_row(row) for row in grid[:HEADER_SCAN_ROWS]]
    for r, texts in enumerate(normed):
        if sum(1 for t in texts if t) < MIN_HEADER_MATCHES:
            continue
        for form in (LEDGER, FIGURES):
            found = _match_row(texts, form)
            if len(found) >= MIN_HEADER_MATCHES and (best is None or len(found) > best[0]):
                best = (len(found), r, form, found)
    if best is None:
        return None
    _, r, form, found = best
    top = r
    if r > 0:
        merged = _match_row(normed[r - 1], form, taken=found)
        if len(merged) > len(found):
            found, top = merged, r - 1
    written = {}
    for i, col in found.items():  # the text where the column was found: own row first
        texts = [cells.to_text(grid[rr][i]) for rr in (r, top) if i < len(grid[rr])]
        written[col.key] = next((t for t in texts if t), "")
    return Header(form, r + 1, top + 1, dict(sorted(found.items())), written)


def read_sheet(grid: list[list], file: str, title: str, registry: Registry,
               formulas: set[tuple[int, int]] = frozenset()) -> SheetRead:
    """Recognise and parse one sheet; an unrecognised sheet comes back with form None."""
    header = find_header(grid)
    if header is None:
        return SheetRead(file, title, None)
    sheet = SheetRead(file, title, header.form.id)
    _read_meta(sheet, grid[: header.top - 1], header.form, registry)
    _check_columns(sheet, header)
    formula_blanks = {(r, c) for r, c in formulas
                      if r - 1 < len(grid) and c - 1 < len(grid[r - 1]) and grid[r - 1][c - 1] is None}
    if header.form is LEDGER:
        _read_ledger_rows(sheet, grid, header, registry, formula_blanks)
    else:
        _read_figures_rows(sheet, grid, header, formula_blanks)
    return sheet


def _read_meta(sheet: SheetRead, top_rows: list[list], form: Form, registry: Registry) -> None:
    """Unit, month, year and 填报日期 from the rows above the header."""
    meta: dict[str, tuple[object, int, int]] = {}
    title_year = None
    for n, row in enumerate(top_rows, 1):
        for key, (value, col) in cells.read_meta(row).items():
            meta.setdefault(key, (value, n, col))
        if title_year is None:
            title_year = next((y for y in map(cells.year_in_text, (v for v in row if isinstance(v, str)))
                               if y), None)
    # unit
    unit_raw, unit_row, _ = meta.get("unit", (None, None, None))
    written = cells.strip_stamp(cells.to_text(unit_raw)) if unit_raw is not None else None
    if written is None or cells.is_null(written):
        where = "为空" if "unit" in meta else "未找到"
        sheet.problems.append(_problem(
            "unit_missing", f"{form.unit_label}{where}：请在表头填写“{form.unit_label}：单位名称”", sheet,
            row=unit_row, column=form.unit_label))
    else:
        sheet.unit_written = written
        unit, suggestion = registry.match_unit(written)
        if unit is None:
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            sheet.problems.append(_problem(
                "unit_unknown", f"{form.unit_label} '{written}' 不在单位名录中{hint}：请填写单位名录中的单位全称",
                sheet, row=unit_row, column=form.unit_label, value=written))
            sheet.unit = written
        else:
            sheet.unit = unit
    # month and year
    month_raw, month_row, _ = meta.get("month", (None, None, None))
    month_year = None
    try:
        month_year, sheet.month = cells.parse_month(month_raw)
    except cells.CellError as exc:
        shown = cells.to_text(month_raw)
        if "month" not in meta:
            message = f"未找到{form.month_label}：请在表头填写“{form.month_label}：5月”"
        else:
            message = _quoted(form.month_label, None if cells.is_null(month_raw) else shown, exc.detail)
        sheet.problems.append(_problem("month_missing", message, sheet, row=month_row,
                                       column=form.month_label, value=shown))
    sheet.year = month_year or title_year or DEFAULT_YEAR
    filled_raw = meta.get("filled_date", (None,))[0]
    try:
        sheet.filled_date = cells.parse_date(filled_raw, sheet.year, sheet.month)
    except cells.CellError:
        sheet.filled_date = None  # 填报日期 is informative only


def _check_columns(sheet: SheetRead, header: Header) -> None:
    found = {c.key for c in header.columns.values()}
    for col in header.form.columns:
        if col.key in found:
            continue
        if col.key in _REQUIRED[header.form.id]:
            sheet.problems.append(_problem(
                "header_column_missing", f"表头缺少“{col.header}”列：请使用官方表格的表头，本表数据无法读取",
                sheet, row=header.row, column=col.header))
        else:
            sheet.problems.append(_problem(
                "header_column_absent", f"表头缺少“{col.header}”列：该列按空白处理，请使用官方表格的表头",
                sheet, row=header.row, column=col.header))


def _row_cells(row: list, header: Header) -> dict[str, object]:
    return {col.key: (row[i] if i < len(row) else None) for i, col in header.columns.items()}


def _raw_values(row: list, header: Header, grid_header: list[list]) -> dict[str, str]:
    """Header -> raw text of every non-blank cell (official header for form columns)."""
    out = {}
    for i in _nonblank(row):
        col = header.columns.get(i)
        if col is not None:
            name = col.header
        else:
            written = next((cells.to_text(h[i]) for h in grid_header if i < len(h) and cells.to_text(h[i])), None)
            name = written or get_column_letter(i + 1)
        out[name] = cells.to_text(row[i])
    return out


def _data_rows(grid: list[list], header: Header, formula_blanks, sheet: SheetRead):
    """(Excel row number, row) of data rows below the header.

    Skipped and not counted: blank rows; template rows holding only a 序号 or
    placeholders; a note that nothing was done ("本月无执法检查"); the header
    row repeated; footer rows (first non-empty cell starts 填报人, 联系电话, 备注,
    日期, 合计 …) and, after the first footer row, rows with fewer than two
    non-empty cells (the notes).
    """
    footer = False
    header_rows = grid[header.top - 1: header.row]
    blanks: dict[int, list[int]] = defaultdict(list)
    for r, c in sorted(formula_blanks):
        blanks[r].append(c)
    for n in range(header.row + 1, len(grid) + 1):
        row = grid[n - 1]
        for c in blanks.get(n, ()):
            col = header.columns.get(c - 1)
            sheet.problems.append(_problem(
                "formula_no_cached_value",
                "单元格是公式但没有计算结果：已按空白处理；请在 Excel 中打开、保存后重新报送，或直接填写数值",
                sheet, row=n, column=col.header if col else None))
        filled = _nonblank(row)
        if not filled:
            continue
        if cells.is_footer_text(row[filled[0]]):
            footer = True
            continue
        if footer and len(filled) < 2:
            continue
        if not _meaningful(row, filled, header):
            continue
        if len(_match_row(_norm_row(row), header.form)) >= MIN_HEADER_MATCHES:
            continue  # the header repeated (a second table, or a page break copy)
        yield n, row, _raw_values(row, header, header_rows)


def _meaningful(row: list, filled: list[int], header: Header) -> bool:
    for i in filled:
        col = header.columns.get(i)
        if col is not None and col.kind == "seq":
            continue
        if col is not None and col.kind == "items":
            if cells.split_items(row[i]):
                return True
        elif col is not None and col.key == "label":
            return True
        elif not cells.is_null(row[i]) and not cells.is_nothing_note(row[i]):
            return True
    return False


# --------------------------------------------------------------------------- 附件1 rows


def _read_ledger_rows(sheet: SheetRead, grid, header: Header, registry: Registry, formula_blanks) -> None:
    yuan_fine = "(元)" in cells.norm(header.written.get("fine_wan", ""))
    for n, row, values in _data_rows(grid, header, formula_blanks, sheet):
        read = RowRead(n, values, {})
        _parse_ledger_row(read, _row_cells(row, header), sheet, registry, yuan_fine)
        sheet.rows.append(read)


def _parse_ledger_row(read: RowRead, raw: dict, sheet: SheetRead, registry: Registry, yuan_fine: bool) -> None:
    col = LEDGER.column
    add = read.problems.append

    def problem(rule, message, key, value=None):
        add(_problem(rule, message, sheet, row=read.row, column=col(key).header, value=value))

    rec = read.record
    # seq: informative only
    try:
        seq = cells.parse_count(raw.get("seq"))
    except cells.CellError:
        seq = None
    rec["seq"] = None if seq is None or seq > _MAX_SEQ else int(seq)  # the ledger stores it as Int64
    # enterprise
    written = cells.clean_name(raw.get("enterprise"))
    rec["enterprise"] = written
    if written is None and "enterprise" in raw:  # a missing column is a sheet error already
        problem("enterprise_missing", "受检企业(单位)名称为空：每行应填写一家受检企业的名称", "enterprise")
        rec["enterprise_name"], rec["registered"] = None, False
    else:
        name, suggestion = registry.match_enterprise(written)
        rec["enterprise_name"], rec["registered"] = name or written, name is not None
        if name is None:
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            problem("enterprise_unregistered",
                    f"受检企业 '{written}' 不在企业名录中{hint}：请核对企业名称，或补充企业名录", "enterprise", written)
    # date
    date_raw = raw.get("inspection_date")
    try:
        date = cells.parse_date(date_raw, sheet.year or DEFAULT_YEAR, sheet.month)
    except cells.CellError as exc:
        date = None
        problem(exc.rule, _quoted("检查时间", cells.to_text(date_raw), exc.detail), "inspection_date",
                cells.to_text(date_raw))
    else:
        if date is None:
            if "inspection_date" in raw:
                problem("date_unparseable", "检查时间为空：请填写检查日期，如 2024-05-06", "inspection_date")
        elif sheet.month and (date.year, date.month) != (sheet.year, sheet.month):
            problem("date_outside_month",
                    f"检查时间 {date.isoformat()} 不在填报月份 {sheet.year}年{sheet.month}月 内："
                    "本行按填报月份统计；请核对检查时间或月份", "inspection_date", cells.to_text(date_raw))
    rec["inspection_date"] = date
    # inspectors (only when the column exists)
    people = cells.split_persons(raw.get("inspectors"))
    rec["inspectors"], rec["inspector_count"] = people, len(people)
    if "inspectors" in raw and len(people) < 2:
        shown = cells.to_text(raw.get("inspectors"))
        found = "为空" if not people else f" '{shown}' 只有 1 人"
        problem("inspectors_fewer_than_two",
                f"执法人员{found}：现场执法不得少于两人（行政处罚法第四十二条），请填写全部执法人员，用、分隔",
                "inspectors", shown)
    # items
    hazards = cells.split_items(raw.get("hazards"))
    rects = cells.split_items(raw.get("rectifications"))
    rec["hazards"], rec["rectifications"] = hazards, rects
    if len(rects) > len(hazards):
        problem("rectifications_exceed_hazards",
                f"完成整改情况有 {len(rects)} 项，多于违法行为(隐患)的 {len(hazards)} 项："
                "整改项应与隐患项一一对应，多出的整改项未计入", "rectifications",
                cells.to_text(raw.get("rectifications")))
    # case, fine, handling
    case_no = cells.clean_name(raw.get("case_no"))
    rec["case_no"] = case_no
    fine_raw = raw.get("fine_wan")
    fine, fine_failed = None, False
    try:
        fine, bare = cells.parse_money(fine_raw, "元" if yuan_fine else "万元")
    except cells.CellError as exc:
        fine_failed = True
        problem(exc.rule, _quoted("罚款金额", cells.to_text(fine_raw), exc.detail), "fine_wan",
                cells.to_text(fine_raw))
    else:
        if fine is not None and bare and fine >= cells.IMPLAUSIBLE_WAN:
            problem("fine_implausible",
                    f"罚款金额 {cells.to_text(fine_raw)} 万元过大，疑似以元填写：本列单位为万元，"
                    "如 5000 元应填 0.5 或写明“5000元”", "fine_wan", cells.to_text(fine_raw))
    rec["fine_wan"] = float("nan") if fine is None else fine
    rec["legal_basis"] = cells.clean_text(raw.get("legal_basis"))
    rec["other_handling"] = cells.clean_text(raw.get("other_handling"))
    rec["remarks"] = cells.clean_text(raw.get("remarks"))
    if fine and not case_no:
        problem("fine_without_case", f"有罚款 {fine:g} 万元但立案案号为空：罚款应先立案，请补填立案案号",
                "case_no")
    if case_no and not fine and not fine_failed and not rec["legal_basis"] and not rec["other_handling"]:
        problem("case_without_penalty",
                f"立案案号 {case_no} 没有罚款、处罚依据或其他查处情况：请补填处罚结果或处理情况",
                "case_no", case_no)
    rec["is_recheck"] = cells.is_recheck(rec["remarks"], cells.to_text(raw.get("rectifications")))


# --------------------------------------------------------------------------- 附件2 rows


def _figure_label(value) -> str | None:
    text = cells.norm(value)
    if text.startswith("本月"):
        return "本月数"
    if text.startswith(("累计", "本年累计", "年累计")):
        return "累计数"
    return None


def _read_figures_rows(sheet: SheetRead, grid, header: Header, formula_blanks) -> None:
    yuan = "(元)" in cells.norm(header.written.get("fines_wan", ""))
    seen: dict[str, int] = {}
    for n, row, values in _data_rows(grid, header, formula_blanks, sheet):
        raw = _row_cells(row, header)
        read = RowRead(n, values, {})
        label_col = FIGURES.column("label")
        label = _figure_label(raw.get("label"))
        shown = cells.to_text(raw.get("label"))
        if label is None:
            read.problems.append(_problem(
                "figures_row_unrecognised",
                f"{_quoted('单位', shown, '不是“本月数”或“累计数”')}：附件2 只有本月数、累计数两行", sheet,
                row=n, column=label_col.header, value=shown))
        elif label in seen:
            read.problems.append(_problem(
                "figures_row_unrecognised", f"第二个“{label}”行（第一个在第 {seen[label]} 行）：每表只应有一行{label}",
                sheet, row=n, column=label_col.header, value=shown))
        else:
            seen[label] = n
        read.record["kind"] = label
        for col in FIGURES.columns[1:]:
            read.record[col.key] = _figure_value(read, sheet, col, raw.get(col.key), yuan)
        sheet.rows.append(read)
    missing = [lab for lab in FIGURES.row_labels if lab not in seen]
    if missing:
        sheet.problems.append(_problem(
            "figures_row_missing", f"缺少“{'”“'.join(missing)}”行：附件2 应有本月数、累计数两行", sheet,
            row=header.row))


def _figure_value(read: RowRead, sheet: SheetRead, col: Column, raw, yuan: bool) -> float:
    try:
        if col.kind == "count":
            value = cells.parse_count(raw, col.unit)
        elif col.kind == "rate":
            value = cells.parse_rate(raw)
        else:
            value, bare = cells.parse_money(raw, "元" if yuan else "万元")
            if value is not None and bare and value >= cells.IMPLAUSIBLE_WAN:
                read.problems.append(_problem(
                    "fine_implausible", f"罚款金额 {cells.to_text(raw)} 万元过大，疑似以元填写：本列单位为万元",
                    sheet, row=read.row, column=col.header, value=cells.to_text(raw)))
    except cells.CellError as exc:
        read.problems.append(_problem(exc.rule, _quoted(_short(col), cells.to_text(raw), exc.detail), sheet,
                                      row=read.row, column=col.header, value=cells.to_text(raw)))
        return float("nan")
    return float("nan") if value is None else float(value)


# --------------------------------------------------------------------------- across files


def _resolve_duplicates(files: list[FileRead]) -> None:
    """Keep one submission per (form, unit, year, month) across files; reject the others.

    The kept one is the later: by received date when every candidate has one, else by
    填报日期 when every candidate has one, else by file path (the later in sort order).
    Sheets of one file are never duplicates of each other (a ledger split over sheets).
    """
    groups: dict[tuple, list[SheetRead]] = defaultdict(list)
    for f in files:
        for s in f.sheets:
            if s.form and s.unit and s.month and not any(p.rule == "unit_unknown" for p in s.problems):
                groups[(s.form, s.unit, s.year, s.month)].append(s)
    for (form, unit, year, month), sheets in groups.items():
        by_file: dict[str, list[SheetRead]] = defaultdict(list)
        for s in sheets:
            by_file[s.file].append(s)
        if len(by_file) < 2:
            continue
        firsts = [group[0] for group in by_file.values()]
        if all(s.received for s in firsts):
            key, why = (lambda s: (s.received, s.file)), "收到日期更晚"
        elif all(s.filled_date for s in firsts):
            key, why = (lambda s: (s.filled_date, s.file)), "填报日期更晚"
        else:
            key, why = (lambda s: s.file), "文件名排序在后"
        kept = max(firsts, key=key).file
        for s in sheets:
            if s.file == kept:
                continue
            s.rows = [RowRead(r.row, r.values, r.record) for r in s.rows]  # own problems dropped
            s.problems = [p for p in s.problems if p.rule == "formula_no_cached_value"]
            s.problems.append(_problem(
                "submission_duplicate",
                f"{unit} {year}年{month}月的{_FORM_NAMES[form]}重复报送：以 {kept} 为准（{why}），"
                "本表各行未计入；如需更正，请只保留一个文件", s, value=kept))


def _mark_late(files: list[FileRead], registry: Registry) -> None:
    for f in files:
        received = registry.received.get(f.file)
        for s in f.sheets:
            if received is None or not s.form:
                continue
            s.received = received[0]
            if s.month and s.year and s.year < dt.MAXYEAR:  # 9999年12月 has no deadline date
                deadline = submission_deadline(s.year, s.month)
                if s.received > deadline:
                    s.late = True
                    s.problems.append(_problem(
                        "submission_late",
                        f"{s.year}年{s.month}月的统计表于 {s.received.isoformat()} 收到，晚于报送期限 "
                        f"{deadline.isoformat()}", s, value=s.received.isoformat()))


def _unknown_received(files: list[FileRead], registry: Registry, skipped: list[Problem]) -> list[Problem]:
    known = {f.file for f in files} | {p.file for p in skipped}
    return [make_problem("received_file_unknown",
                         f"received.csv 第 {row} 行登记的文件 {key} 不在 submissions/ 中：请核对文件名",
                         file="registry/received.csv", row=row, column="文件", value=key)
            for key, (_, row) in registry.received.items() if key not in known]


def _settle(files: list[FileRead]) -> None:
    """Row fate: a row is rejected when it or its sheet has an error."""
    for f in files:
        for s in f.sheets:
            sheet_errors = s.sheet_errors
            for r in s.rows:
                own = [p.rule for p in r.problems if p.severity == "error"]
                r.errors = list(dict.fromkeys(sheet_errors + own))


# --------------------------------------------------------------------------- tables


def _ledger_frame(files: list[FileRead]) -> pd.DataFrame:
    records = []
    for f in files:
        for s in f.sheets:
            if s.form != LEDGER.id:
                continue
            for r in s.rows:
                if r.rejected:
                    continue
                rec = r.record
                records.append({
                    "row_id": f"{s.file}#{s.sheet}#{r.row}", "file": s.file, "sheet": s.sheet, "row": r.row,
                    "unit": s.unit, "year": s.year, "month": s.month, "period": s.period, **rec,
                })
    frame = pd.DataFrame(records, columns=LEDGER_COLUMNS)
    frame["seq"] = frame["seq"].astype("Int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["fine_wan"] = frame["fine_wan"].astype("float64")
    for key in ("row", "year", "month", "inspector_count"):
        frame[key] = frame[key].astype("int64")
    for key in ("registered", "is_recheck"):
        frame[key] = frame[key].astype(bool)
    return frame


def _order(ledger: pd.DataFrame) -> pd.DataFrame:
    return ledger.sort_values(["inspection_date", "file", "sheet", "row"], kind="stable")


def _cross_row_checks(ledger: pd.DataFrame) -> list[Problem]:
    """Duplicate 立案案号 within a year, and one enterprise inspected twice on one day.

    Both flag the later occurrences (by inspection date, then file, sheet, row) and
    name the first. A 复查 row repeating its own enterprise's case number refers to
    that case and is not flagged.
    """
    problems: list[Problem] = []
    first_case: dict[tuple, dict] = {}
    first_visit: dict[tuple, dict] = {}
    for r in _order(ledger).to_dict("records"):
        where = dict(file=r["file"], sheet=r["sheet"], row=int(r["row"]))
        if isinstance(r["case_no"], str) and r["case_no"]:
            key = (r["year"], cells.normalise_case_no(r["case_no"]))
            first = first_case.get(key)
            if first is None:
                first_case[key] = r
            elif not (r["is_recheck"] and r["enterprise_name"] == first["enterprise_name"]):
                problems.append(make_problem(
                    "case_no_duplicate",
                    f"立案案号 {r['case_no']} 与 {first['file']} {first['sheet']} 第 {first['row']} 行重复："
                    "同一案号一年内只能用于一个案件，请核对", column=LEDGER.column("case_no").header,
                    value=r["case_no"], **where))
        key = (r["unit"], cells.normalise_name(r["enterprise_name"]), r["inspection_date"])
        first = first_visit.get(key)
        if first is None:
            first_visit[key] = r
        else:
            problems.append(make_problem(
                "enterprise_date_duplicate",
                f"{r['enterprise_name']} 在 {r['inspection_date'].date().isoformat()} 的检查已填报于 "
                f"{first['file']} {first['sheet']} 第 {first['row']} 行：同一企业同一天只应填报一次",
                column=LEDGER.column("enterprise").header, value=r["enterprise"], **where))
    return problems


def _items_frame(ledger: pd.DataFrame, days: int = cells.DEFAULT_RECTIFICATION_DAYS) -> pd.DataFrame:
    """One row per hazard item, with status, deadline and the 复查 linking (docs/design.md)."""
    items: list[dict] = []
    open_items: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in _order(ledger).to_dict("records"):
        date = r["inspection_date"].date()
        pairs = cells.pair_items(r["hazards"], r["rectifications"])
        for no, (hazard, rect) in enumerate(zip(r["hazards"], pairs, strict=True), 1):
            status = cells.rectification_status(rect)
            item = {
                "row_id": r["row_id"], "item_no": no, "hazard": hazard, "rectification": rect,
                "unit": r["unit"], "period": r["period"], "enterprise_name": r["enterprise_name"],
                "inspection_date": r["inspection_date"], "case_no": r["case_no"],
                "is_recheck": bool(r["is_recheck"]), "status": status,
                "deadline": pd.Timestamp(cells.rectification_deadline([rect, hazard], date, days)),
                "counts_as_hazard": True, "closed_by": None, "closed_date": pd.NaT,
                "rectified": status == cells.STATUS_RECTIFIED,
            }
            key = (cells.normalise_name(r["enterprise_name"]), cells.norm(hazard).rstrip("。.;；"))
            if r["is_recheck"] and open_items[key]:
                original = items[open_items[key][0]]
                item["counts_as_hazard"] = False
                if status == cells.STATUS_RECTIFIED:
                    original["closed_by"], original["closed_date"] = r["row_id"], r["inspection_date"]
                    original["rectified"] = True
                    open_items[key].pop(0)
            elif status != cells.STATUS_RECTIFIED:
                open_items[key].append(len(items))
            items.append(item)
    frame = pd.DataFrame(items, columns=ITEM_COLUMNS)
    frame["item_no"] = frame["item_no"].astype("int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    frame["closed_by"] = frame["closed_by"].astype(object).where(frame["closed_by"].notna(), None)
    for key in ("is_recheck", "counts_as_hazard", "rectified"):
        frame[key] = frame[key].astype(bool)
    return frame.sort_values(["row_id", "item_no"], kind="stable").reset_index(drop=True)


def _figures_frame(files: list[FileRead]) -> pd.DataFrame:
    records = [{"file": s.file, "sheet": s.sheet, "row": r.row, "unit": s.unit, "year": s.year,
                "month": s.month, "period": s.period, **r.record}
               for f in files for s in f.sheets if s.form == FIGURES.id for r in s.rows if not r.rejected]
    frame = pd.DataFrame(records, columns=FIGURES_COLUMNS)
    for key in FIGURE_KEYS:
        frame[key] = frame[key].astype("float64")
    for key in ("row", "year", "month"):
        frame[key] = frame[key].astype("int64")
    return frame


def _counts(rows: list[RowRead]) -> tuple[int, int, int]:
    rejected = sum(1 for r in rows if r.rejected)
    return len(rows), len(rows) - rejected, rejected


def _tables(files: list[FileRead]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    subs, file_rows, rejected = [], [], []
    for f in files:
        read = accepted = rejected_n = 0
        for s in f.sheets:
            n, a, j = _counts(s.rows)
            read, accepted, rejected_n = read + n, accepted + a, rejected_n + j
            if s.form:
                subs.append({"file": s.file, "sheet": s.sheet, "form": s.form, "unit": s.unit,
                             "year": s.year, "month": s.month, "period": s.period,
                             "filled_date": s.filled_date, "received": s.received, "late": s.late,
                             "rows_read": n, "rows_accepted": a, "rows_rejected": j})
            rejected += [{"file": s.file, "sheet": s.sheet, "row": r.row, "form": s.form,
                          "reason": ";".join(r.errors), "values": r.values} for r in s.rows if r.rejected]
        file_rows.append({"file": f.file, "rows_read": read, "rows_accepted": accepted,
                          "rows_rejected": rejected_n})
    submissions = pd.DataFrame(subs, columns=SUBMISSION_COLUMNS)
    files_frame = pd.DataFrame(file_rows, columns=FILE_COLUMNS)
    for frame, keys in ((submissions, ("rows_read", "rows_accepted", "rows_rejected")),
                        (files_frame, ("rows_read", "rows_accepted", "rows_rejected"))):
        for key in keys:
            frame[key] = frame[key].astype("int64")
    submissions["late"] = submissions["late"].astype(bool)
    submissions[["filled_date", "received"]] = submissions[["filled_date", "received"]].astype(object)
    return submissions, files_frame, pd.DataFrame(rejected, columns=REJECTED_COLUMNS)


# --------------------------------------------------------------------------- load


def _read_one(path: Path, rel: str, registry: Registry) -> FileRead:
    try:
        return read_file(path, rel, registry)
    except Exception as exc:  # an unreadable workbook must not stop the other files
        result = FileRead(rel)
        result.problems.append(make_problem("file_unreadable", _unreadable_message(exc), file=rel))
        return result


def _unreadable_message(exc: BaseException) -> str:
    chain, seen = [], exc
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return "工作簿含有不安全的 XML 内容（实体或 DTD 声明），为安全起见未读取：请在 Excel 中另存为 .xlsx 后报送"
    first = (str(exc).splitlines() or [""])[0][:120]
    return f"工作簿无法读取（{type(exc).__name__}: {first}）：请重新导出 .xlsx 后报送"


def _assert_nothing_lost(ds: Dataset) -> None:
    """Every row read is in ledger/figures or in rejected, file by file (internal check)."""
    kept = pd.concat([ds.ledger["file"], ds.figures["file"]]).value_counts().to_dict()
    dropped = ds.rejected["file"].value_counts().to_dict()
    for f in ds.files.to_dict("records"):
        out = kept.get(f["file"], 0), dropped.get(f["file"], 0)
        if (f["rows_accepted"], f["rows_rejected"]) != out or f["rows_read"] != sum(out):
            raise InternalError(f"{f['file']} 读取 {f['rows_read']} 行，登记接收 {f['rows_accepted']} 行、"
                                f"拒收 {f['rows_rejected']} 行，实际接收 {out[0]} 行、拒收 {out[1]} 行")


def _check_listable(folder: Path, data_dir: Path, label: str) -> None:
    """DataDirError when ``folder`` cannot be listed (e.g. no read permission), which would
    otherwise be a traceback or a silently empty listing."""
    try:
        with os.scandir(folder):
            pass
    except OSError as exc:
        raise DataDirError(data_dir, f"{label}无法读取（{os_reason(exc)}）") from None


def load(data_dir) -> Dataset:
    """Read and validate ``data_dir`` (registry/ and submissions/) into a ``Dataset``.

    Raises DataDirError when the folder, its registry/enterprises file or its
    submissions/ folder is missing. Everything else wrong with the data becomes a
    problem row; see docs/intake.md.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(data_dir, "目录不存在" if not data_dir.exists() else "不是目录")
    _check_listable(data_dir, data_dir, "")
    if (data_dir / REGISTRY_DIR).is_dir():
        _check_listable(data_dir / REGISTRY_DIR, data_dir, "registry/ 目录")
    registry = load_registry(data_dir)
    sub_dir = data_dir / SUBMISSIONS_DIR
    if not sub_dir.is_dir():
        raise DataDirError(data_dir, "缺少 submissions/ 目录（各单位报送的统计表）")
    _check_listable(sub_dir, data_dir, "submissions/ 目录")
    paths, skipped = _list_files(sub_dir, data_dir)
    files = [_read_one(p, _rel(p, data_dir), registry) for p in paths]
    _mark_late(files, registry)
    _resolve_duplicates(files)
    _settle(files)
    ledger = _ledger_frame(files)
    problems = list(registry.problems) + skipped + _unknown_received(files, registry, skipped)
    for f in files:
        problems += f.problems
        for s in f.sheets:
            problems += s.problems
            for r in s.rows:
                problems += r.problems
    problems += _cross_row_checks(ledger)
    submissions, files_frame, rejected = _tables(files)
    dataset = Dataset(
        data_dir=data_dir,
        enterprises=registry.enterprises,
        units=registry.units,
        plan=registry.plan,
        submissions=submissions,
        files=files_frame,
        ledger=ledger.reset_index(drop=True),
        items=_items_frame(ledger),
        figures=_figures_frame(files),
        rejected=rejected,
        problems=problems_frame(problems),
        meta={"rectification_days": cells.DEFAULT_RECTIFICATION_DAYS},
    )
    _assert_nothing_lost(dataset)
    dataset.meta["load_seconds"] = round(time.perf_counter() - started, 3)
    return dataset
