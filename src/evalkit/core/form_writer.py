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
from evalkit.core.forms import FIGURES, LEDGER, Form

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


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


def _title_rows(ws: Worksheet, form: Form, unit: str, year: int, month: int | str | None,
                extra: dict[str, str], ncols: int, styled: bool) -> None:
    ws.cell(1, 1, form.attachment)
    ws.cell(2, 1, form.title_for(year))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    set_text(ws.cell(3, 1), f"{form.unit_label}：{unit}")
    month_text = f"{month}月" if month not in (None, "") else " 月"
    col = max(2, ncols // 2)
    ws.cell(3, col, f"{form.month_label}：{month_text}")
    for label in form.extra_meta:
        col = min(ncols, col + 3)
        ws.cell(3, col, f"{label}：{extra.get(label, '')}")
    if styled:
        ws.cell(2, 1).font = Font(bold=True, size=14)
        ws.cell(2, 1).alignment = CENTER
        ws.row_dimensions[2].height = 28


def _footer(ws: Worksheet, form: Form, row: int, ncols: int) -> int:
    row += 1
    for line in form.footer:
        ws.cell(row, 1, line)
        row += 1
    for note in form.notes:
        ws.cell(row, 1, note)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
        row += 1
    return row


def _widths(ws: Worksheet, form: Form) -> None:
    for i, col in enumerate(form.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width


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
    extra = {"填报日期": str(filled_date) if filled_date else ""}
    _title_rows(ws, form, unit, year, month, extra, ncols, styled)
    header_row = 4
    for i, col in enumerate(form.columns, 1):
        cell = ws.cell(header_row, i, col.header)
        if styled:
            cell.font, cell.alignment, cell.border = Font(bold=True), CENTER, BORDER
    r = header_row
    # each column's data-cell style (dated or not), worked out once and copied: setting
    # style attributes per cell is most of the time of a large ledger (core.cell_style)
    extra = column_styles or {}
    protos: dict[tuple[int, bool], object] = {}
    for n, record in enumerate(rows, 1):
        r += 1
        for i, col in enumerate(form.columns, 1):
            if col.key == "seq":
                value = record.get("seq", n)
            elif col.kind == "items":
                value = format_items(record.get(col.key))
            else:
                value = _cell_value(record.get(col.key))
            cell = ws.cell(r, i)
            if styled:  # before set_text, which may add a quote prefix to the style
                key = (i, col.kind == "date" and isinstance(value, dt.datetime))
                proto = protos.get(key)
                if proto is None:
                    attrs = {"alignment": WRAP, "border": BORDER, **({"number_format": "yyyy-mm-dd"} if key[1] else {}),
                             **extra.get(col.key, {})}
                    style_cell(cell, **attrs)
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
                cell.font, cell.alignment, cell.border = Font(bold=True), CENTER, BORDER
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
