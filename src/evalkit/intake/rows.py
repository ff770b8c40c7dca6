"""Data rows of a sheet: which rows under the header hold data, and their cells by column."""

from __future__ import annotations

from collections import defaultdict

from evalkit.intake import cells
from evalkit.intake.columnar import direct
from evalkit.intake.header import MIN_HEADER_MATCHES, Header, header_names, match_row, may_name_column, norm_row
from evalkit.intake.ooxml import column_letter
from evalkit.intake.records import SheetRead, sheet_problem


def row_cells(row: list, header: Header) -> dict[str, object]:
    return {col.key: (row[i] if i < len(row) else None) for i, col in header.columns.items()}


def column_label(i: int, header: Header, grid_header: list[list]) -> str:
    """The name a raw value of column ``i`` is kept under: the official header of a form
    column, else the text written above it in the header rows, else its letter."""
    col = header.columns.get(i)
    if col is not None:
        return col.header
    written = next((cells.to_text(h[i]) for h in grid_header if i < len(h) and cells.to_text(h[i])), None)
    return written or column_letter(i + 1)


def data_rows(grid: list[list], header: Header, formula_blanks, sheet: SheetRead, call=direct, keep=None):
    """(Excel row number, row, its texts) of data rows below the header: the texts are the
    row's cells through ``cells.to_text`` by position, and ``sheet.labels`` names each column
    holding one (``column_label``).

    Skipped and not counted: blank rows; template rows holding only a 序号 or
    placeholders; a note that nothing was done ("本月无执法检查"); the header
    row repeated; footer rows (first non-empty cell starts 填报人, 联系电话, 备注,
    日期, 合计 …) and, after the first footer row, rows with fewer than two
    non-empty cells (the notes). ``call`` runs the per-cell tests (``columnar``). ``keep(row, filled)``
    True keeps a row that reads like a footer (the 合计 pair of a consolidated 附件2,
    ``consolidated.is_total_row``).
    """
    footer = False
    header_rows = grid[header.top - 1: header.row]
    blanks: dict[int, list[int]] = defaultdict(list)
    for r, c in sorted(formula_blanks):
        blanks[r].append(c)
    names = header_names(header.form)
    to_text, norm = cells.to_text, cells.norm
    # a text cell -> (its text, whether it may be a header name): each distinct text of the
    # sheet is looked at once (the enterprises, dates and status words repeat down the rows)
    seen: dict[str, tuple[str | None, bool]] = {}
    numbers: dict[int | float, str | None] = {}
    labels = sheet.labels
    for n in range(header.row + 1, len(grid) + 1):
        row = grid[n - 1]
        for c in blanks.get(n, ()):
            col = header.columns.get(c - 1)
            sheet.problems.append(sheet_problem(
                "formula_no_cached_value",
                "单元格是公式但没有计算结果：已按空白处理；请在 Excel 中打开、保存后重新报送，或直接填写数值",
                sheet, row=n, column=col.header if col else None))
        texts = []
        append = texts.append
        header_like = 0
        for v in row:
            kind = type(v)
            if kind is str:
                known = seen.get(v)
                if known is None:
                    normed = norm(v)
                    known = seen[v] = (to_text(v), may_name_column(normed, names))
                append(known[0])
                header_like += known[1]
            elif v is None:
                append(None)
            elif kind is float or kind is int:  # equal numbers print alike (1 and 1.0 as "1"; not bools)
                text = numbers.get(v)
                if text is None:
                    text = numbers[v] = to_text(v)
                append(text)
            elif isinstance(v, str):  # a str subclass: not a key to share
                normed = norm(v)
                append(to_text(v))
                header_like += may_name_column(normed, names)
            else:
                append(to_text(v))
        filled = [i for i, t in enumerate(texts) if t is not None]
        if not filled:
            continue
        if call(cells.is_footer_text, row[filled[0]]) and not (keep is not None and keep(row, filled)):
            footer = True
            continue
        if footer and len(filled) < 2:
            continue
        if not meaningful(row, filled, header, call):
            continue
        # a row with fewer cells that ``may_name_column`` than MIN_HEADER_MATCHES cannot repeat the header
        if header_like >= MIN_HEADER_MATCHES and len(match_row(norm_row(row), header.form)) >= MIN_HEADER_MATCHES:
            continue  # the header repeated (a second table, or a page break copy)
        for i in filled:
            if i not in labels:
                labels[i] = column_label(i, header, header_rows)
        yield n, row, texts


def meaningful(row: list, filled: list[int], header: Header, call=direct) -> bool:
    for i in filled:
        col = header.columns.get(i)
        if col is not None and col.kind == "seq":
            continue
        if col is not None and col.kind == "items":
            if call(cells.split_items, row[i]):
                return True
        elif col is not None and col.key == "label":
            return True
        elif not call(cells.is_null, row[i]) and not call(cells.is_nothing_note, row[i]):
            return True
    return False


def nonblank(row) -> list[int]:
    return [i for i, v in enumerate(row) if cells.to_text(v) is not None]
