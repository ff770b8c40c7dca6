"""附件2 rows: the 本月数 and 累计数 rows of a unit's monthly figures.
"""

from __future__ import annotations

from evalkit.core.forms import FIGURES, Column
from evalkit.intake import cells, consolidated
from evalkit.intake.header import Header
from evalkit.intake.records import RowRead, SheetRead, quoted, sheet_problem, short_name
from evalkit.intake.rows import data_rows, row_cells


def _figure_label(value) -> str | None:
    text = cells.norm(value)
    if text.startswith("本月"):
        return "本月数"
    if text.startswith(("累计", "本年累计", "年累计")):
        return "累计数"
    return None


def read_figures_rows(sheet: SheetRead, grid, header: Header, formula_blanks, percent=frozenset(),
                      labeler=None) -> None:
    """The 本月数 and 累计数 rows. ``labeler`` (``consolidated.FiguresLabeler``) reads a consolidated
    sheet instead: one pair per unit plus the 合计 pair, each row's unit set on its record."""
    yuan = "(元)" in cells.norm(header.written.get("fines_wan", ""))
    seen: dict[str, int] = {}
    keep = consolidated.is_total_row if labeler is not None else None
    for n, row, values in data_rows(grid, header, formula_blanks, sheet, keep=keep):
        raw = row_cells(row, header)
        read = RowRead(n, values, {})
        label_col = FIGURES.column("label")
        if labeler is not None:
            read.record["kind"] = labeler(read, row)
            _read_values(read, sheet, header, raw, n, yuan, percent)
            if read.record.get("unit") == sheet.unit:  # a town's 合计 may well pass 100 万元
                read.problems = [p for p in read.problems if p.rule != "fine_implausible"]
            sheet.rows.append(read)
            continue
        label = _figure_label(raw.get("label"))
        shown = cells.to_text(raw.get("label"))
        if label is None:
            read.problems.append(sheet_problem(
                "figures_row_unrecognised",
                f"{quoted('单位', shown, '不是“本月数”或“累计数”')}：附件2 只有本月数、累计数两行", sheet,
                row=n, column=label_col.header, value=shown))
        elif label in seen:
            read.problems.append(sheet_problem(
                "figures_row_unrecognised", f"第二个“{label}”行（第一个在第 {seen[label]} 行）：每表只应有一行{label}",
                sheet, row=n, column=label_col.header, value=shown))
        else:
            seen[label] = n
        read.record["kind"] = label
        _read_values(read, sheet, header, raw, n, yuan, percent)
        sheet.rows.append(read)
    if labeler is not None:
        labeler.finish()
        return
    missing = [lab for lab in FIGURES.row_labels if lab not in seen]
    if missing:
        sheet.problems.append(sheet_problem(
            "figures_row_missing", f"缺少“{'”“'.join(missing)}”行：附件2 应有本月数、累计数两行", sheet,
            row=header.row))


def _read_values(read: RowRead, sheet: SheetRead, header: Header, raw: dict, n: int, yuan: bool, percent) -> None:
    for col in FIGURES.columns[1:]:
        if col.kind == "rate":
            continue
        read.record[col.key] = _figure_value(read, sheet, col, raw.get(col.key), yuan)
    positions = {col.key: i + 1 for i, col in header.columns.items()}
    for col in FIGURES.columns[1:]:
        if col.kind == "rate":
            where = (n, positions[col.key]) if col.key in positions else None
            read.record[col.key] = _rate_value(read, sheet, col, raw.get(col.key), where in percent)


#: The counts a rate is computed from on the form (numerator, denominator); 违法行为查处率's
#: numerator (违法行为查处数) is not on the form, so only its cell format can tell.
RATE_COUNTS = {"coverage_rate": ("inspected", "supervised_total"), "case_ratio": ("cases_filed", "inspected")}
#: How far a rate may be from the one its counts give (the forms round to two decimals,
#: some units to whole numbers).
RATE_TOLERANCE = 0.5


def _rate_value(read: RowRead, sheet: SheetRead, col: Column, raw, percent_format: bool) -> float:
    """A rate in per cent. A number stored with a percent format (85% is saved as 0.85) is
    scaled by 100 with a ``rate_percent_format`` warning; so is a fraction that agrees with
    the row's own counts only after scaling (the cell format could not be read). Past 100
    (after scaling) is an error, ``number_implausible``."""
    label = short_name(col)
    shown = cells.to_text(raw)
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    if consolidated.is_not_applicable(raw):  # 不适用: not applicable, neither 0 nor an error
        return float("nan")
    try:
        value = cells.parse_rate(raw)
    except cells.CellError as exc:
        read.problems.append(sheet_problem(exc.rule, quoted(label, shown, exc.detail), sheet,
                                           row=read.row, column=col.header, value=shown))
        return float("nan")
    if value is None:
        return float("nan")
    reason = None
    if numeric and percent_format:
        reason = "单元格为百分比格式"
    elif numeric and 0 < value < 1:  # 1 itself: 1% as typed, or 100% formatted? only a format can tell
        num, den = (read.record.get(k) for k in RATE_COUNTS.get(col.key, ("", "")))
        if num is not None and den is not None and den == den and num == num and den > 0:
            expected = num / den * 100
            if abs(value * 100 - expected) <= RATE_TOLERANCE < abs(value - expected):
                reason = f"与本行的计数相符（按计数为 {expected:.2f}）"
    if reason is not None:
        scaled = round(value * 100, 10)
        read.problems.append(sheet_problem(
            "rate_percent_format", f"{label} 存为小数 {shown}，{reason}：已按 {scaled:g}% 读取；"
            "请直接填写百分数（如 85）", sheet, row=read.row, column=col.header, value=shown))
        value = scaled
        if value > cells.MAX_RATE:
            read.problems.append(sheet_problem(
                "number_implausible", f"{label} {value:g}% 超过 100%：比率不能超过 100，请核对", sheet,
                row=read.row, column=col.header, value=shown))
            return float("nan")
    return float(value)


def _figure_value(read: RowRead, sheet: SheetRead, col: Column, raw, yuan: bool) -> float:
    if consolidated.is_not_applicable(raw):  # 不适用: not applicable, neither 0 nor an error
        return float("nan")
    try:
        if col.kind == "count":
            value = cells.parse_count(raw, col.unit)
        elif col.kind == "rate":
            value = cells.parse_rate(raw)
        else:
            value, bare = cells.parse_money(raw, "元" if yuan else "万元")
            if value is not None and bare and value >= cells.IMPLAUSIBLE_WAN:
                read.problems.append(sheet_problem(
                    "fine_implausible", f"罚款金额 {cells.to_text(raw)} 万元过大，疑似以元填写：本列单位为万元",
                    sheet, row=read.row, column=col.header, value=cells.to_text(raw)))
    except cells.CellError as exc:
        read.problems.append(sheet_problem(exc.rule, quoted(short_name(col), cells.to_text(raw), exc.detail), sheet,
                                      row=read.row, column=col.header, value=cells.to_text(raw)))
        return float("nan")
    return float("nan") if value is None else float(value)

