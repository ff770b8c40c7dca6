"""One sheet: its header, the unit/month/year above it, and its data rows.
"""

from __future__ import annotations

from evalkit.core.forms import DEFAULT_YEAR, LEDGER, Form
from evalkit.intake import cells, consolidated
from evalkit.intake.figures_rows import read_figures_rows
from evalkit.intake.header import Header, find_header
from evalkit.intake.ledger_rows import read_ledger_rows
from evalkit.intake.records import REQUIRED_COLUMNS, SheetRead, cut, quoted, sheet_problem
from evalkit.intake.registry import Registry

#: The fill-in template's own sheets (``export.fill_in``): title -> the text its first cell
#: ends with. Reading a filled template skips them without a warning (they hold no data).
TEMPLATE_SHEETS = {"填表说明": "填表说明", "名录": "企业名录（供下拉选择，请勿修改）"}


def is_template_sheet(title: str, grid: list[list]) -> bool:
    """Whether a sheet is one of the fill-in template's own (``TEMPLATE_SHEETS``): its title
    and the text of its first cell, as the template writes them."""
    marker = TEMPLATE_SHEETS.get(str(title))
    first = grid[0][0] if grid and grid[0] else None
    return marker is not None and isinstance(first, str) and first.strip().endswith(marker)


def read_sheet(grid: list[list], file: str, title: str, registry: Registry,
               formulas: set[tuple[int, int]] = frozenset(), percent: set[tuple[int, int]] = frozenset()) -> SheetRead:
    """Recognise and parse one sheet; an unrecognised sheet comes back with form None.

    ``formulas`` and ``percent`` hold the (row, column) of formula cells and of cells stored
    with a percent number format (a rate typed 85% is the number 0.85).
    """
    header = find_header(grid)
    if header is None:
        return SheetRead(file, title, None)
    sheet = SheetRead(file, title, header.form.id)
    _read_meta(sheet, grid[: header.top - 1], header.form, registry)
    _check_columns(sheet, header)
    formula_blanks = {(r, c) for r, c in formulas
                      if r - 1 >= len(grid) or c - 1 >= len(grid[r - 1]) or grid[r - 1][c - 1] is None}
    relaying = consolidated.is_consolidating(registry, sheet.unit)  # a town's or the city's consolidated form
    if header.form is LEDGER:
        read_ledger_rows(sheet, grid, header, registry, formula_blanks)
        if relaying:
            consolidated.assign_ledger_units(sheet, grid, header, registry)
    else:
        labeler = consolidated.FiguresLabeler(sheet, registry, header) if relaying else None
        read_figures_rows(sheet, grid, header, formula_blanks, percent, labeler=labeler)
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
    if (written is None or cells.is_null(written)) and (titled := consolidated.parent_in_title(registry, top_rows)):
        written = titled  # a consolidated form naming its town only in the title (…汇总表)
    if written is None or cells.is_null(written):
        where = "为空" if "unit" in meta else "未找到"
        sheet.problems.append(sheet_problem(
            "unit_missing", f"{form.unit_label}{where}：请在表头填写“{form.unit_label}：单位名称”", sheet,
            row=unit_row, column=form.unit_label))
    else:
        sheet.unit_written = written
        unit, suggestion = registry.match_unit(written)
        unit = unit or consolidated.parent_named(registry, written)
        if unit is None:
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            sheet.problems.append(sheet_problem(
                "unit_unknown", f"{form.unit_label} '{cut(written)}' 不在单位名录中{hint}：请填写单位名录中的单位全称",
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
            message = quoted(form.month_label, None if cells.is_null(month_raw) else shown, exc.detail)
        sheet.problems.append(sheet_problem("month_missing", message, sheet, row=month_row,
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
        if col.key in REQUIRED_COLUMNS[header.form.id]:
            sheet.problems.append(sheet_problem(
                "header_column_missing", f"表头缺少“{col.header}”列：请使用官方表格的表头，本表数据无法读取",
                sheet, row=header.row, column=col.header))
        else:
            sheet.problems.append(sheet_problem(
                "header_column_absent", f"表头缺少“{col.header}”列：该列按空白处理，请使用官方表格的表头",
                sheet, row=header.row, column=col.header))









