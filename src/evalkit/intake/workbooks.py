"""Files under submissions/: listing, sniffing by content, and reading a workbook's sheets.

Workbooks are untrusted: openpyxl parses them with defusedxml (checked at import),
read-only and ``data_only=True`` so a formula yields its cached value and is never
evaluated; a formula without a cached value is blank with a warning.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML

from evalkit.core.problems import Problem, make_problem
from evalkit.intake import cells
from evalkit.intake.records import FileRead, RowRead, SheetRead, sheet_problem
from evalkit.intake.registry import SUBMISSIONS_DIR, Registry, submission_key
from evalkit.intake.rows import nonblank
from evalkit.intake.sheets import read_sheet

if not DEFUSEDXML:  # pragma: no cover - defusedxml is a declared dependency
    raise ImportError("evalkit.intake 需要 defusedxml 以安全解析报送的工作簿：pip install defusedxml")


MAX_FILE_BYTES = 50 * 1024 * 1024


MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # zip-bomb guard


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


_SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


def list_files(sub_dir: Path, data_dir: Path) -> tuple[list[Path], list[Problem]]:
    files, skipped = [], []
    for path in sorted(sub_dir.rglob("*")):
        if not path.is_file():
            continue
        parts = path.relative_to(sub_dir).parts
        hidden = any(p.startswith((".", "~$")) or p == "__MACOSX" for p in parts)
        if hidden or path.name.lower() in _SKIP_NAMES:
            rel = relative_name(path, data_dir)
            skipped.append(make_problem("file_skipped", f"{path.name} 是隐藏文件或临时锁文件：已跳过，不计入报送",
                                        file=rel))
            continue
        files.append(path)
    return files, skipped


def relative_name(path: Path, data_dir: Path) -> str:
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
    non_empty = [(title, grid) for title, grid in grids if any(nonblank(r) for r in grid)]
    if not non_empty:
        result.problems.append(make_problem("file_empty", "工作簿中没有任何内容：请填写统计表后再报送", file=rel))
        return result
    unrecognised = []
    for title, grid in non_empty:
        sheet = read_sheet(grid, rel, title, registry, formulas.get(title, set()))
        (result.sheets if sheet.form else unrecognised).append(sheet)
    for sheet in unrecognised:
        if result.sheets:  # a notes or scratch sheet beside a recognised form
            sheet.problems.append(sheet_problem(
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




def _reject_unrecognised(sheet: SheetRead, grid: list[list]) -> None:
    """No form on any sheet of the file: every non-blank row is read and rejected."""
    sheet.problems.append(sheet_problem(
        "form_unrecognised",
        f"工作表“{sheet.sheet}”无法识别为附件1或附件2：未找到表头行（如 序号、受检企业(单位)名称、检查时间 或 "
        "单位、监管企业(单位)总数(家)、检查覆盖率(%)）；请使用官方表格", sheet))
    for n, row in enumerate(grid, 1):
        if nonblank(row):
            values = {get_column_letter(i + 1): cells.to_text(row[i]) for i in nonblank(row)}
            sheet.rows.append(RowRead(n, values, {}))

