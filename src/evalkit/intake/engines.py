"""The reader interface: a workbook's sheets as bounded ``Grid``s, whatever its format.

``calamine_sheets`` reads .xlsx/.xlsm (the fast path), .xls, .xlsb and .ods with
python-calamine (Rust; formulas are never evaluated: a formula gives the value the
spreadsheet program saved, and ``scans`` has found where the formulas are). The
openpyxl reader (``workbooks._openpyxl_sheets``) reads the .xlsx files the fast path
declines. Both yield ``SheetSource``: the title, the visibility and the grid, so every
format gives the same rows and problems downstream.

Calamine is only called after ``scans`` has bounded what it will allocate
(``scans.MAX_DENSE_CELLS`` per sheet); each sheet is read once, cropped to
``grid.MAX_ROWS`` x ``grid.MAX_COLUMNS``, its texts counted against the workbook's budget.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

import python_calamine as calamine

from evalkit.intake.grid import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT_CHARS, Budget, Grid, SheetTooComplex
from evalkit.intake.scans import MAX_DENSE_CELLS, SheetScan


@dataclass
class SheetSource:
    title: str
    state: str  # "visible", "hidden" or "veryHidden"
    grid: Grid


class Encrypted(ValueError):
    """The workbook has an open password (calamine says so)."""


def _state(visible) -> str:
    if visible == calamine.SheetVisibleEnum.Visible:
        return "visible"
    return "veryHidden" if visible == calamine.SheetVisibleEnum.VeryHidden else "hidden"


def _filled(value) -> bool:
    return not (isinstance(value, str) and not value.strip())


def calamine_sheets(data: bytes, scans: dict[str, SheetScan], budget: Budget,
                    default: SheetScan | None = None) -> Iterator[SheetSource]:
    """Every worksheet of ``data`` (chart and macro sheets are not data), as ``SheetSource``.

    ``scans`` maps sheet names to what the scan found (extent, formulas, percent cells);
    a sheet the scan did not name takes ``default`` (the .xlsx fast path has checked every
    sheet part already), or without one the file is refused (its extent is unknown).
    Raises SheetTooComplex past the bounds, Encrypted for a password.
    """
    try:
        wb = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError as exc:
        raise Encrypted(str(exc)) from None
    try:
        for meta in wb.sheets_metadata:
            if not meta.typ == calamine.SheetTypeEnum.WorkSheet:
                continue
            scan = scans.get(meta.name, default)
            try:
                if scan is None:  # a sheet the scan did not find: read only if it is small
                    raise SheetTooComplex("工作表的结构无法确认")
                rows, cols = scan.extent
                if rows * cols > MAX_DENSE_CELLS:
                    raise SheetTooComplex(f"单元格范围达 {rows:,} 行 × {cols:,} 列")
                sheet = wb.get_sheet_by_name(meta.name)
                values = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS) if sheet.end is not None else []
                grid = to_grid(values, scan, budget)
            except SheetTooComplex as exc:
                exc.sheet = meta.name
                raise
            yield SheetSource(meta.name, _state(meta.visible), grid)
    finally:
        wb.close()


def to_grid(values: list[list], scan: SheetScan, budget: Budget) -> Grid:
    """calamine's dense rows (0-based, "" for empty) as the ``Grid`` ``grid.read_grid`` gives."""
    grid = Grid([])
    out: list[tuple] = []
    last = 0
    cells = 0
    for n, row in enumerate(values, 1):
        width = len(row)
        while width and row[width - 1] == "":
            width -= 1
        if width > MAX_COLUMNS:
            for c in range(MAX_COLUMNS, width):
                v = row[c]
                if v != "" and _filled(v):
                    if not grid.cells_beyond:
                        grid.first_beyond = (n, c + 1)
                    grid.cells_beyond += 1
            width = MAX_COLUMNS
            while width and row[width - 1] == "":
                width -= 1
        if not width:
            out.append(())
            continue
        kept = []
        for v in row[:width]:
            if v == "":
                kept.append(None)
                continue
            kind = type(v)
            if kind is str:
                if len(v) > MAX_CELL_CHARS:
                    v = v[:MAX_CELL_CHARS]
                budget.chars -= len(v)
                if v.strip():
                    cells += 1
            else:
                if kind is dt.date:  # openpyxl gives datetime for a date cell
                    v = dt.datetime(v.year, v.month, v.day)
                cells += 1
            kept.append(v)
        if budget.chars < 0:
            raise SheetTooComplex(f"文字超过 {MAX_TEXT_CHARS:,} 个字符")
        out.append(tuple(kept))
        last = n
    if scan.below is not None:
        grid.rows_beyond = True
        if not grid.cells_beyond:
            grid.first_beyond = scan.below
    grid.formulas = {(r, c) for r, c in scan.formulas if r <= MAX_ROWS and c <= MAX_COLUMNS}
    grid.percent = {(r, c) for r, c in scan.percent if r <= MAX_ROWS and c <= MAX_COLUMNS}
    height = max(last, max((r for r, _ in grid.formulas), default=0))
    out = out[:height]
    if len(out) < height:
        out += [()] * (height - len(out))
    grid.rows = out
    grid.cells = cells
    return grid
