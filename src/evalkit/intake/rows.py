"""Data rows of a sheet: which rows under the header hold data, and their cells by column."""

from __future__ import annotations

from collections import defaultdict

from openpyxl.utils import get_column_letter

from evalkit.intake import cells
from evalkit.intake.header import MIN_HEADER_MATCHES, Header, match_row, norm_row
from evalkit.intake.records import SheetRead, sheet_problem


def row_cells(row: list, header: Header) -> dict[str, object]:
    return {col.key: (row[i] if i < len(row) else None) for i, col in header.columns.items()}


def raw_values(row: list, header: Header, grid_header: list[list]) -> dict[str, str]:
    """Header -> raw text of every non-blank cell (official header for form columns)."""
    out = {}
    for i in nonblank(row):
        col = header.columns.get(i)
        if col is not None:
            name = col.header
        else:
            written = next((cells.to_text(h[i]) for h in grid_header if i < len(h) and cells.to_text(h[i])), None)
            name = written or get_column_letter(i + 1)
        out[name] = cells.to_text(row[i])
    return out


def data_rows(grid: list[list], header: Header, formula_blanks, sheet: SheetRead, keep=None):
    """(Excel row number, row) of data rows below the header.

    Skipped and not counted: blank rows; template rows holding only a 序号 or
    placeholders; a note that nothing was done ("本月无执法检查"); the header
    row repeated; footer rows (first non-empty cell starts 填报人, 联系电话, 备注,
    日期, 合计 …) and, after the first footer row, rows with fewer than two
    non-empty cells (the notes). ``keep(row, filled)`` True keeps a row that reads like a
    footer (the 合计 pair of a consolidated 附件2, ``consolidated.is_total_row``).
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
            sheet.problems.append(sheet_problem(
                "formula_no_cached_value",
                "单元格是公式但没有计算结果：已按空白处理；请在 Excel 中打开、保存后重新报送，或直接填写数值",
                sheet, row=n, column=col.header if col else None))
        filled = nonblank(row)
        if not filled:
            continue
        if cells.is_footer_text(row[filled[0]]) and not (keep is not None and keep(row, filled)):
            footer = True
            continue
        if footer and len(filled) < 2:
            continue
        if not meaningful(row, filled, header):
            continue
        if len(match_row(norm_row(row), header.form)) >= MIN_HEADER_MATCHES:
            continue  # the header repeated (a second table, or a page break copy)
        yield n, row, raw_values(row, header, header_rows)


def meaningful(row: list, filled: list[int], header: Header) -> bool:
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


def nonblank(row) -> list[int]:
    return [i for i, v in enumerate(row) if cells.to_text(v) is not None]

