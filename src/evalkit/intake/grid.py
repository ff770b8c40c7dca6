"""One worksheet's cells as a grid of rows, read within fixed bounds whatever the file declares.

A worksheet is untrusted XML. openpyxl's read-only rows are padded to the widest row
(one cell in column XFD makes every row 16,384 values long) and to every missing row
(one cell in row 1,048,576 makes a million rows), and a row's cells are all held until
the row ends. ``read_grid`` instead streams the sheet XML itself (defusedxml's
iterparse, as openpyxl does; each cell is converted by openpyxl's own cell parser, so
numbers, shared strings, dates and inline strings read exactly as openpyxl reads them),
dropping every element as soon as it is read, and keeps only:

* columns 1..``MAX_COLUMNS`` — the widest form's columns plus ``COLUMN_MARGIN`` (a
  header may start a few columns in, notes may sit beside the form);
* rows 1..``MAX_ROWS`` (Excel row numbers).

Non-empty cells beyond either bound are counted, not kept (the caller gives one
``sheet_cells_ignored`` warning per sheet). Rows are tuples as long as their last
written cell; missing rows are the empty tuple (shared, so a gap costs one pointer).
Formula cells are noted in the same pass (``data_only``: a formula gives its cached
value, never evaluated). A cell's own subtree (rich-text runs) is bounded by
``MAX_CELL_PARTS``, a text by Excel's 32,767 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from defusedxml.ElementTree import iterparse  # what openpyxl's iterparse is with defusedxml

from evalkit.core.forms import FIGURES, LEDGER
from evalkit.intake.ooxml import CELL_TAG, FORMULA_TAG, ROW_TAG, column_index

if TYPE_CHECKING:
    from openpyxl.worksheet._reader import WorkSheetParser

COLUMN_MARGIN = 22
#: Columns read per sheet: the widest form (附件2, 18 columns) plus the margin, i.e. A..AN.
MAX_COLUMNS = max(len(LEDGER.columns), len(FIGURES.columns)) + COLUMN_MARGIN
#: Excel rows read per sheet. A unit's monthly ledger has tens or hundreds of rows; the
#: sample town's whole year is about 4,200.
MAX_ROWS = 10_000
#: Elements inside one cell (<v>, <f>, <is>, rich-text runs <r>/<t>): Excel writes a few.
MAX_CELL_PARTS = 2_000
#: XML elements parsed over all sheets of one workbook (a full MAX_ROWS x MAX_COLUMNS sheet
#: has about 800,000). Parsing costs about 4 seconds per million, so this bounds the time.
MAX_ELEMENTS = 3_000_000
#: Characters of text kept over all cells of one workbook, counted per cell (one long shared
#: string in many cells counts each time: every row copies its texts several times on the way
#: to the tables). A unit's ledger of 1,000 rows holds some 300,000.
MAX_TEXT_CHARS = 16_000_000
#: Excel's own limit on the characters in a cell; longer text is cut to it.
MAX_CELL_CHARS = 32_767


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d*$")


class SheetTooComplex(ValueError):
    """The sheet XML has a structure no spreadsheet program writes (the file is refused);
    the message is a Chinese phrase."""


@dataclass
class Budget:
    """What is left for the rest of one workbook's sheets (``read_grid`` spends it)."""

    elements: int = MAX_ELEMENTS
    chars: int = MAX_TEXT_CHARS


@dataclass
class Grid:
    rows: list[tuple]  # rows[n - 1] is Excel row n; trailing empty rows dropped
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of formula cells
    percent: set[tuple[int, int]] = field(default_factory=set)  # (row, column) of cells with a percent format
    cells_beyond: int = 0  # non-empty cells right of MAX_COLUMNS, in rows 1..MAX_ROWS
    rows_beyond: bool = False  # a non-empty cell below MAX_ROWS (reading stopped there)
    cells: int = 0  # non-empty cells kept
    first_beyond: tuple[int, int] = (0, 0)  # (row, column) of the first non-empty cell not kept

    def non_empty(self) -> bool:
        return self.cells > 0


def _row_number(text: str | None, previous: int) -> int:
    """The r attribute of a <row> (openpyxl accepts "5" and "5.0"); the next row when absent or junk."""
    if text is not None:
        try:
            value = float(text)
        except ValueError:
            return previous + 1
        if value.is_integer() and value >= 1:
            return int(value)
    return previous + 1


def _beyond(el, row_no: int, column: int, grid: Grid) -> bool:
    """A cell outside the bounds: counted when it holds anything (not converted); True to stop reading."""
    if not any(part.text and part.text.strip() or len(part) for part in el):
        return False
    if not (grid.cells_beyond or grid.rows_beyond):
        grid.first_beyond = (row_no, column)
    if row_no > MAX_ROWS:
        grid.rows_beyond = True
        return True
    grid.cells_beyond += 1
    return False


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def read_grid(ws, budget: Budget | None = None) -> Grid:
    """The cells of read-only worksheet ``ws`` within MAX_ROWS x MAX_COLUMNS (see module doc).

    ``budget`` is shared by the sheets of one workbook. Raises SheetTooComplex for a cell
    with more than MAX_CELL_PARTS parts or past the budget (MAX_ELEMENTS, MAX_TEXT_CHARS),
    and whatever the XML parser raises for malformed or unsafe XML (the caller refuses
    the file).
    """
    from openpyxl.worksheet._reader import WorkSheetParser  # lazy: loaded with the workbook (ooxml)

    budget = Budget() if budget is None else budget
    wb = ws.parent
    # openpyxl's own cell conversion (shared strings, number casting, date styles, inline strings)
    parser = WorkSheetParser(None, ws._shared_strings, data_only=True, epoch=wb.epoch,
                             date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
    rows: dict[int, dict[int, object]] = {}
    grid = Grid([])
    percent_styles = _percent_styles(wb)
    stack: list = []  # open elements, outermost first
    in_cell = 0  # elements open inside the current <c> (0: not in a cell)
    row_no = 0
    with ws._get_source() as src:
        for event, el in iterparse(src, events=("start", "end")):
            if event == "start":
                stack.append(el)
                budget.elements -= 1
                if budget.elements < 0:
                    raise SheetTooComplex(f"XML 元素超过 {MAX_ELEMENTS:,} 个")
                if in_cell:
                    in_cell += 1
                    if in_cell > MAX_CELL_PARTS:
                        raise SheetTooComplex(f"一个单元格中的 XML 元素超过 {MAX_CELL_PARTS:,} 个")
                elif el.tag == CELL_TAG:
                    in_cell = 1
                elif el.tag == ROW_TAG:
                    row_no = _row_number(el.get("r"), row_no)
                    parser.row_counter, parser.col_counter = row_no, 0
                continue
            stack.pop()
            if in_cell > 1:  # a part of the cell: kept until the cell ends
                in_cell -= 1
                continue
            if el.tag == CELL_TAG:
                in_cell = 0
                if _take_cell(parser, el, row_no, rows, grid, budget, percent_styles):
                    break  # past MAX_ROWS with content: nothing more is kept
            # drop what was read: the element's children, and the element from its parent
            el.clear()
            if stack:
                del stack[-1][:]
    # rows up to the last value, or the last formula (a formula without a cached value is reported)
    out: list[tuple] = [()] * max(max(rows, default=0), max((r for r, _ in grid.formulas), default=0))
    for n, cells in rows.items():
        width = max(cells)
        out[n - 1] = tuple(cells.get(c) for c in range(1, width + 1))
    grid.rows = out
    return grid


def is_percent_format(code: str | None) -> bool:
    """A number format that shows a percent sign (quoted text, escapes and [colour] tags aside)."""
    if not code:
        return False
    return "%" in re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", code)


def _percent_styles(wb) -> set[int]:
    """Style ids (a cell's ``s``) whose number format shows a percent sign."""
    out = set()
    for index, style in enumerate(getattr(wb, "_cell_styles", [])):
        fmt = style.numFmtId
        if fmt in (9, 10) or (fmt >= 164 and is_percent_format(wb._number_formats[fmt - 164]
                                                                   if fmt - 164 < len(wb._number_formats) else None)):
            out.add(index)
    return out


def _take_cell(parser: WorkSheetParser, el, row_no: int, rows: dict, grid: Grid, budget: Budget,
               percent_styles: set[int] = frozenset()) -> bool:
    """Convert one <c> and keep it if within bounds; True when reading should stop."""
    ref = el.get("r")
    if ref:
        m = _REF.match(ref)
        if m is None:
            raise SheetTooComplex(f"单元格引用 {ref[:20]!r} 无效")
        column = column_index(m.group(1).upper())
        # openpyxl's parser reads the reference itself; keep its column counter in step
        el.attrib.pop("r")
        parser.col_counter = column - 1
    else:
        column = parser.col_counter + 1
    if row_no > MAX_ROWS or column > MAX_COLUMNS:
        return _beyond(el, row_no, column, grid)
    parser.row_counter = row_no
    cell = parser.parse_cell(el)
    value = cell["value"]
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
        budget.chars -= len(value)
        if budget.chars < 0:
            raise SheetTooComplex(f"文字超过 {MAX_TEXT_CHARS:,} 个字符")
    has_formula = el.find(FORMULA_TAG) is not None
    if has_formula:
        grid.formulas.add((row_no, column))
    if value is not None:
        if percent_styles and cell.get("style_id") is not None and int(cell["style_id"]) in percent_styles:
            grid.percent.add((row_no, column))
        rows.setdefault(row_no, {})[column] = value
        if _filled(value):
            grid.cells += 1
    return False
