"""Write sheets in the official layout of 附件1 and 附件2, driven by ``evalkit.core.forms``.

Used by the sample generator, the test fixtures and the exports, so all of them lay
a form out the same way the reader expects. Layout of both forms:

row 1  附件N
row 2  title (merged across the form)
row 3  填报部门（公章）：X / 填报地区（部门）：X, 月份：N月, [填报日期：…]
row 4  header (附件2: level-1 groups on row 4, level-2 headers on row 5)
then   data rows; a blank row; footer lines; the seed's notes

Every text cell goes through ``safe_text`` so a submitted value that starts with
``=``, ``+``, ``-``, ``@``, tab or CR is stored as literal text, never a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from evalkit.core.atomic import save_workbook
from evalkit.core.cell_style import style_cell
from evalkit.core.forms import FIGURES, LEDGER, Column, Form

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEDGER_HEADER_ROW = 4


@dataclass(frozen=True)
class SheetLayout:
    """Where things landed in a written sheet (1-based Excel rows)."""

    header_row: int  # the (last) header row
    first_data_row: int
    last_data_row: int  # first_data_row - 1 when there are no data rows


def clean_text(value):
    """``value`` without the control characters a workbook cannot hold (NUL, \\x01–\\x08,
    \\x0b, \\x0c, \\x0e–\\x1f; tab, line feed and carriage return stay). Intake warns
    where it reads such text; this keeps the writer from failing on it."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def set_text(cell, value) -> None:
    """Write ``value`` into ``cell``; text is always literal, never a formula, and loses
    control characters a workbook cannot hold (``clean_text``)."""
    value = clean_text(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        cell.quotePrefix = True  # Excel shows it as typed and keeps it text on edit


def format_items(items) -> str | None:
    """A list of items as the official multi-item cell: "1. …\\n2. …"."""
    if items is None:
        return None
    if isinstance(items, str):
        return items
    items = [str(i) for i in items if i is not None and str(i) != ""]
    if not items:
        return None
    return "\n".join(f"{n}. {text}" for n, text in enumerate(items, 1))


def _cell_value(value):
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
TITLE_ROW, TITLE_HEIGHT = 2, 28
#: the header cells' style (``style_cell`` attributes)
HEADER_STYLE = {"font": HEADER_FONT, "alignment": CENTER, "border": BORDER}
#: the merged title's style
TITLE_STYLE = {"font": TITLE_FONT, "alignment": CENTER}


def title_cells(form: Form, unit: str, year: int, month: int | str | None,
                extra: dict[str, str], ncols: int) -> list[tuple[int, int, str]]:
    """The texts of rows 1-3 as (row, column, text), 1-based; row ``TITLE_ROW`` holds the
    title, merged across ``ncols`` columns."""
    month_text = f"{month}月" if month not in (None, "") else " 月"
    col = max(2, ncols // 2)
    cells = [(1, 1, form.attachment), (TITLE_ROW, 1, form.title_for(year)),
             (3, 1, f"{form.unit_label}：{unit}"), (3, col, f"{form.month_label}：{month_text}")]
    for label in form.extra_meta:
        col = min(ncols, col + 3)
        cells.append((3, col, f"{label}：{extra.get(label, '')}"))
    return cells


def footer_cells(form: Form, row: int) -> tuple[list[tuple[int, str, bool]], int]:
    """The footer lines under the data, from the row after ``row``: ([(row, text, merged)],
    the next free row). The signature lines sit in column A, the seed's notes are merged
    across the form."""
    cells = []
    row += 1
    for line in form.footer:
        cells.append((row, line, False))
        row += 1
    for note in form.notes:
        cells.append((row, note, True))
        row += 1
    return cells, row


def _title_rows(ws: Worksheet, form: Form, unit: str, year: int, month: int | str | None,
                extra: dict[str, str], ncols: int, styled: bool) -> None:
    for r, c, text in title_cells(form, unit, year, month, extra, ncols):
        set_text(ws.cell(r, c), text)
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    if styled:
        ws.cell(TITLE_ROW, 1).font = TITLE_FONT
        ws.cell(TITLE_ROW, 1).alignment = CENTER
        ws.row_dimensions[TITLE_ROW].height = TITLE_HEIGHT


def _footer(ws: Worksheet, form: Form, row: int, ncols: int) -> int:
    cells, end = footer_cells(form, row)
    for r, text, merged in cells:
        ws.cell(r, 1, text)
        if merged:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    return end


def _widths(ws: Worksheet, form: Form) -> None:
    for i, col in enumerate(form.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width


def ledger_row_values(record: dict, n: int) -> list:
    """The cell values of one 附件1 row, in ``LEDGER`` column order, from a record (see
    ``write_ledger_sheet``) that is the ``n``-th row: lists joined, items numbered, dates
    as datetime. Text is as given: the writer cleans it (``set_text``)."""
    values = []
    for col in LEDGER.columns:
        if col.key == "seq":
            values.append(record.get("seq", n))
        elif col.kind == "items":
            values.append(format_items(record.get(col.key)))
        else:
            values.append(_cell_value(record.get(col.key)))
    return values


def ledger_cell_style(col: Column, dated: bool, column_styles: dict[str, dict] | None = None) -> dict:
    """The style attributes (``style_cell`` names) of a 附件1 data cell of ``col``; ``dated``
    when it holds a datetime. ``column_styles`` as in ``write_ledger_sheet``."""
    return {"alignment": WRAP, "border": BORDER, **({"number_format": "yyyy-mm-dd"} if dated else {}),
            **(column_styles or {}).get(col.key, {})}


def write_ledger_sheet(ws: Worksheet, *, unit: str, year: int, month: int | str | None,
                       rows: Iterable[dict], filled_date: str | dt.date | None = None,
                       styled: bool = True, column_styles: dict[str, dict] | None = None) -> SheetLayout:
    """Write 附件1 with ``rows`` (dicts keyed by ``LEDGER`` column keys).

    ``hazards``/``rectifications`` may be lists (numbered "1. …" on write) or text;
    ``inspectors`` a list (joined with 、) or text; missing keys leave the cell blank;
    ``seq`` defaults to the row's position. ``column_styles`` adds style attributes to
    a column's data cells ({"fine_wan": {"number_format": "0.0000"}}; shared style
    objects, as ``core.cell_style.style_cell`` asks).
    """
    form = LEDGER
    ncols = len(form.columns)
    _title_rows(ws, form, unit, year, month, ledger_meta(filled_date), ncols, styled)
    header_row = LEDGER_HEADER_ROW
    for i, col in enumerate(form.columns, 1):
        cell = ws.cell(header_row, i, col.header)
        if styled:
            style_cell(cell, **HEADER_STYLE)
    r = header_row
    # each column's data-cell style (dated or not), worked out once and copied: setting
    # style attributes per cell is most of the time of a large ledger (core.cell_style)
    protos: dict[tuple[int, bool], object] = {}
    for n, record in enumerate(rows, 1):
        r += 1
        for i, (col, value) in enumerate(zip(form.columns, ledger_row_values(record, n), strict=True), 1):
            cell = ws.cell(r, i)
            if styled:  # before set_text, which may add a quote prefix to the style
                key = (i, col.kind == "date" and isinstance(value, dt.datetime))
                proto = protos.get(key)
                if proto is None:
                    style_cell(cell, **ledger_cell_style(col, key[1], column_styles))
                    proto = protos[key] = copy(cell._style)
                else:
                    cell._style = copy(proto)
            set_text(cell, value)
    last = r
    _footer(ws, form, last + 1, ncols)
    if styled:
        _widths(ws, form)
        ws.freeze_panes = ws.cell(header_row + 1, 1)
    return SheetLayout(header_row, header_row + 1, last)


def ledger_meta(filled_date: str | dt.date | None) -> dict[str, str]:
    """附件1's extra header fields (``LEDGER.extra_meta``): 填报日期."""
    return {"填报日期": str(filled_date) if filled_date else ""}


def write_figures_sheet(ws: Worksheet, *, unit: str, year: int, month: int | str | None,
                        rows: Sequence[tuple[str, dict]] | None = None,
                        month_values: dict | None = None, cumulative_values: dict | None = None,
                        styled: bool = True) -> SheetLayout:
    """Write 附件2. ``rows`` is a list of (label, {key: value}); by default the two rows
    (本月数, ``month_values``) and (累计数, ``cumulative_values``)."""
    form = FIGURES
    ncols = len(form.columns)
    _title_rows(ws, form, unit, year, month, {}, ncols, styled)
    top, sub = 4, 5
    group_of = {key: name for name, keys in form.groups for key in keys}
    i = 1
    while i <= ncols:
        col = form.columns[i - 1]
        group = group_of.get(col.key)
        if group is None:
            ws.cell(top, i, col.header)
            ws.merge_cells(start_row=top, start_column=i, end_row=sub, end_column=i)
            i += 1
            continue
        span = len(dict(form.groups)[group])
        ws.cell(top, i, group)
        if span > 1:
            ws.merge_cells(start_row=top, start_column=i, end_row=top, end_column=i + span - 1)
        for j in range(span):
            ws.cell(sub, i + j, form.columns[i - 1 + j].header)
        i += span
    if styled:
        for rr in (top, sub):
            for cc in range(1, ncols + 1):
                cell = ws.cell(rr, cc)
                cell.font, cell.alignment, cell.border = HEADER_FONT, CENTER, BORDER
        ws.row_dimensions[sub].height = 48
    if rows is None:
        rows = [(form.row_labels[0], month_values or {}), (form.row_labels[1], cumulative_values or {})]
    r = sub
    for label, values in rows:
        r += 1
        set_text(ws.cell(r, 1), label)
        for c, col in enumerate(form.columns[1:], 2):
            cell = ws.cell(r, c)
            set_text(cell, values.get(col.key))
            if styled:
                cell.border = BORDER
                if col.kind == "rate":
                    cell.number_format = "0.00"
                elif col.kind == "money_wan":
                    cell.number_format = "0.0000"
        if styled:
            ws.cell(r, 1).border = BORDER
    last = r
    end = _footer(ws, form, last + 1, ncols)
    ws.cell(end, 1, "日期：    年  月  日")
    if styled:
        _widths(ws, form)
        ws.freeze_panes = ws.cell(sub + 1, 2)
    return SheetLayout(sub, sub + 1, last)


def write_submission(path, *, unit: str, year: int, month: int, ledger_rows: Iterable[dict] | None = None,
                     month_values: dict | None = None, cumulative_values: dict | None = None,
                     filled_date=None) -> None:
    """Write one unit's monthly workbook: sheet 统计表一 (附件1) and/or 统计表二 (附件2)."""

    wb = Workbook()
    ws = wb.active
    first = True
    if ledger_rows is not None:
        ws.title = "统计表一"
        write_ledger_sheet(ws, unit=unit, year=year, month=month, rows=ledger_rows,
                           filled_date=filled_date)
        first = False
    if month_values is not None or cumulative_values is not None:
        ws2 = ws if first else wb.create_sheet()
        ws2.title = "统计表二"
        write_figures_sheet(ws2, unit=unit, year=year, month=month, month_values=month_values,
                            cumulative_values=cumulative_values)
    save_workbook(wb, path)
