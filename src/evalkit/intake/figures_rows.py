"""附件2 rows: the 本月数 and 累计数 rows of a unit's monthly figures.
"""

from __future__ import annotations

from evalkit.core.forms import FIGURES, Column
from evalkit.intake import cells
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


def read_figures_rows(sheet: SheetRead, grid, header: Header, formula_blanks) -> None:
    yuan = "(元)" in cells.norm(header.written.get("fines_wan", ""))
    seen: dict[str, int] = {}
    for n, row, values in data_rows(grid, header, formula_blanks, sheet):
        raw = row_cells(row, header)
        read = RowRead(n, values, {})
        label_col = FIGURES.column("label")
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
        for col in FIGURES.columns[1:]:
            read.record[col.key] = _figure_value(read, sheet, col, raw.get(col.key), yuan)
        sheet.rows.append(read)
    missing = [lab for lab in FIGURES.row_labels if lab not in seen]
    if missing:
        sheet.problems.append(sheet_problem(
            "figures_row_missing", f"缺少“{'”“'.join(missing)}”行：附件2 应有本月数、累计数两行", sheet,
            row=header.row))


def _figure_value(read: RowRead, sheet: SheetRead, col: Column, raw, yuan: bool) -> float:
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

