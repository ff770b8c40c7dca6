"""Finishing touches a clerk expects on an official workbook, on top of ``evalkit.core.form_writer``.

``layout`` puts the form on the sheet (title, headers, merged cells, borders, widths,
the seed's footer and notes). This module adds what only matters for printing and
reading on screen: row heights for wrapped text, A4 landscape print setup fitted to
the page width with the header rows repeated on every page, page numbers, cell
comments, and the locked/unlocked cells of a protected template.

Number formats, one choice kept everywhere: rates are stored as the percentage number
``evalkit.metrics.engine`` returns (19.35 means 19.35 %) with format ``0.00``; the header
already says ``(%)``. Storing the number itself means a read-back gives exactly the
value written. 万元 amounts use ``0.0000``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from evalkit.core.cell_style import style_cell
from evalkit.core.form_writer import BORDER, clean_text, set_text
from evalkit.export.print_fit import NOTE_FONT, break_header, text_width  # noqa: F401  (text_width: this interface)

PERCENT_FORMAT = "0.00"
WAN_FORMAT = "0.0000"
DATE_FORMAT = "yyyy-mm-dd"
COUNT_FORMAT = "0"

LINE_HEIGHT = 15.0  # points per text line at the default 11 pt font
MAX_LINES = 15  # a fitted row is never taller than this many lines
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
#: numbers (and 不适用 in a number column): right-aligned
RIGHT = Alignment(horizontal="right", vertical="center")
NOTE_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
#: the note lines' style (``write_note_lines``)
NOTE_STYLE = {"font": NOTE_FONT, "alignment": NOTE_ALIGNMENT}
UNLOCKED = Protection(locked=False)


def text_lines(value, width: float) -> int:
    """How many printed lines ``value`` needs in a column ``width`` characters wide.

    A CJK character is 1.85 width units (``print_fit.text_width``: a little more than it takes,
    so the estimate errs towards a taller row), other characters one; explicit line breaks start a new
    line. Needed because neither Excel nor LibreOffice recomputes the height of a row
    whose text wraps when it opens a file written by openpyxl.
    """
    if value is None or value == "":
        return 1
    usable = max(width - 0.7, 1) + 1e-6
    text = str(value)
    if "\n" not in text:
        return max(1, math.ceil(text_width(text) / usable))
    return sum(max(1, math.ceil(text_width(part) / usable)) for part in text.split("\n"))


def row_height(values: Iterable, widths: Iterable[float], *, max_lines: int = MAX_LINES) -> float:
    """The height (points) of a row whose cells hold ``values`` in columns ``widths`` wide:
    enough lines for the tallest wrapped text (``text_lines``; non-text counts as one line),
    at most ``max_lines``."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if isinstance(value, str):
            lines = max(lines, text_lines(value, width))
    return lines_height(lines, max_lines=max_lines)


def lines_height(lines: int, *, max_lines: int = MAX_LINES) -> float:
    """The height (points) of a row of ``lines`` text lines, at most ``max_lines``."""
    return min(lines, max_lines) * LINE_HEIGHT + 3


def fit_row_heights(ws: Worksheet, first_row: int, last_row: int, *, max_lines: int = MAX_LINES) -> None:
    """Give each row in ``first_row..last_row`` the height its wrapped text needs.

    Linear in the cells: the sheet's width and the merged cells are read once (the
    worksheet's ``max_column`` scans every cell, so it must not be asked per row).
    """
    ncols = ws.max_column
    widths = [ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, ncols + 1)]
    merged = set()
    for r in ws.merged_cells.ranges:
        if r.max_row >= first_row and r.min_row <= last_row:
            merged.update((row, col) for row in range(r.min_row, r.max_row + 1)
                          for col in range(r.min_col, r.max_col + 1))
    for cells in ws.iter_rows(min_row=first_row, max_row=last_row, max_col=ncols):
        if not cells:
            continue
        # merged notes span the whole width: one line is enough
        values = [None if (cell.row, col) in merged else cell.value for col, cell in enumerate(cells, 1)]
        ws.row_dimensions[cells[0].row].height = row_height(values, widths, max_lines=max_lines)


PAPER_A4 = 9  # the paper size code of A4 in SpreadsheetML
#: page margins in inches, as ``setup_print`` sets them
MARGINS = {"left": 0.25, "right": 0.25, "top": 0.6, "bottom": 0.6, "header": 0.5, "footer": 0.5}
#: the footer's centre part: page N of M
PAGE_FOOTER = "第 &P 页，共 &N 页"
#: the footer's left part: the sheet's name (全镇, a unit), so a printed page says which table it is
SHEET_FOOTER = "&A"


def setup_print(ws: Worksheet, *, title_rows: tuple[int, int], last_column: int,
                landscape: bool = True) -> None:
    """A4, landscape, fitted to one page wide (as many pages down as needed), header rows
    repeated on every page. The scale the fit comes to depends on the column widths alone:
    ``print_fit`` chooses them so that body text prints at 9 pt or more."""
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as needed
    ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    ws.print_area = f"A1:{get_column_letter(last_column)}{ws.max_row}"
    ws.print_options.horizontalCentered = True
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.oddFooter.center.text = PAGE_FOOTER
    ws.oddFooter.left.text = SHEET_FOOTER


def border_range(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Thin borders on every cell of a block (merged cells included)."""
    for row in range(first_row, last_row + 1):
        for col in range(first_col, last_col + 1):
            style_cell(ws.cell(row, col), border=BORDER)


def align_range(ws: Worksheet, first_row: int, last_row: int, columns: Iterable[int],
                alignment: Alignment) -> None:
    """Apply ``alignment`` to the given columns of ``first_row..last_row``."""
    for row in range(first_row, last_row + 1):
        for col in columns:
            style_cell(ws.cell(row, col), alignment=alignment)


def add_comment(cell, text: str, *, author: str = "evalkit") -> None:
    """Attach a cell comment (批注), sized so Chinese text is readable."""
    comment = Comment(text, author)
    comment.width = 260
    comment.height = max(60, 20 * (text.count("\n") + 2))
    cell.comment = comment


def write_note_lines(ws: Worksheet, row: int, lines: Iterable[str], last_column: int) -> int:
    """Write explanatory lines (merged across the form) from ``row``; return the next row."""
    for line in lines:
        set_text(ws.cell(row, 1), line)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_column)
        ws.cell(row, 1).alignment = NOTE_ALIGNMENT
        ws.cell(row, 1).font = NOTE_FONT
        row += 1
    return row


def unlock(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Leave a block editable when the sheet is protected."""
    for row in range(first_row, last_row + 1):
        for col in range(first_col, last_col + 1):
            style_cell(ws.cell(row, col), protection=UNLOCKED)


def protect(ws: Worksheet, *, insert_rows: bool = False) -> None:
    """Protect the sheet without a password: locked cells (headers) cannot be typed over,
    but rows and columns may still be resized (and, with ``insert_rows``, rows inserted and
    deleted: an inserted row takes the format, so the unlocking, of the row above) and the
    sheet is never encrypted (intake reads it as usual)."""
    ws.protection.sheet = True
    if insert_rows:
        ws.protection.insertRows = False  # False = allowed
        ws.protection.deleteRows = False
    ws.protection.formatColumns = False  # False = allowed
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def set_widths(ws: Worksheet, widths: dict[int, float]) -> None:
    """Column widths by 1-based column index."""
    for idx, width in widths.items():
        ws.column_dimensions[get_column_letter(idx)].width = width


MAX_SHEET_TITLE = 31  # Excel's limit, in UTF-16 code units


def utf16_cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` that fits in ``units`` UTF-16 code units (a character
    beyond the Basic Multilingual Plane takes two)."""
    if len(text) * 2 <= units or len(text.encode("utf-16-le")) <= 2 * units:
        return text
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def safe_sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet title for ``name``: at most 31 UTF-16 units, none of []:*?/\\,
    no apostrophe at either end, and unlike every title in ``taken`` with case ignored
    (Excel's rule: ``abc`` and ``ABC`` cannot both be sheets)."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in clean_text(str(name)))
    clean = utf16_cut(clean.strip("'"), MAX_SHEET_TITLE).strip("'") or "Sheet"
    taken = {t.lower() for t in taken} | {t.casefold() for t in taken}
    title, n = clean, 2
    while title.lower() in taken or title.casefold() in taken:
        suffix = f"({n})"
        title, n = utf16_cut(clean, MAX_SHEET_TITLE - len(suffix)) + suffix, n + 1
    return title


def print_widths(ws: Worksheet, widths: list[float], header_rows: tuple[int, ...]) -> None:
    """Set the column ``widths`` (``print_fit.fit_widths``) and break the header texts of
    ``header_rows`` to them (``print_fit.break_header``), with row heights for their lines.

    A header cell merged down over two header rows (附件2's ungrouped columns) may use both
    rows' lines; a group cell merged across columns uses their total width."""
    set_widths(ws, dict(enumerate(widths, 1)))
    spans = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges}
    own: dict[int, int] = {row: 1 for row in header_rows}
    tall = 1  # lines of the cells merged down over every header row
    for row in header_rows:
        for col in range(1, len(widths) + 1):
            cell = ws.cell(row, col)
            if not isinstance(cell.value, str) or type(cell).__name__ == "MergedCell":
                continue
            span = spans.get((row, col))
            width = sum(widths[col - 1:span.max_col]) if span else widths[col - 1]
            text = break_header(cell.value, width)
            set_text(cell, text)
            n = text_lines(text, width)
            if span is not None and span.max_row > span.min_row:
                tall = max(tall, n)
            else:
                own[row] = max(own[row], n)
    extra = max(0, tall - sum(own.values()))
    own[header_rows[-1]] += extra
    for row, n in own.items():
        ws.row_dimensions[row].height = lines_height(n)
