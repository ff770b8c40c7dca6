"""附件1 rows: one inspection per row, parsed cell by cell with ``evalkit.intake.cells``.
"""

from __future__ import annotations

from evalkit.core.forms import DEFAULT_YEAR, LEDGER
from evalkit.intake import cells
from evalkit.intake.header import Header
from evalkit.intake.records import RowRead, SheetRead, cut, quoted, sheet_problem
from evalkit.intake.registry import Registry
from evalkit.intake.rows import data_rows, row_cells

_MAX_SEQ = 2**63 - 1  # a larger 序号 is junk; it is informative only, so it is dropped


def read_ledger_rows(sheet: SheetRead, grid, header: Header, registry: Registry, formula_blanks) -> None:
    yuan_fine = "(元)" in cells.norm(header.written.get("fine_wan", ""))
    for n, row, values in data_rows(grid, header, formula_blanks, sheet):
        read = RowRead(n, values, {})
        _parse_ledger_row(read, row_cells(row, header), sheet, registry, yuan_fine)
        sheet.rows.append(read)


def _parse_ledger_row(read: RowRead, raw: dict, sheet: SheetRead, registry: Registry, yuan_fine: bool) -> None:
    col = LEDGER.column
    add = read.problems.append

    def problem(rule, message, key, value=None):
        add(sheet_problem(rule, message, sheet, row=read.row, column=col(key).header, value=value))

    rec = read.record
    # seq: informative only
    try:
        seq = cells.parse_count(raw.get("seq"))
    except cells.CellError:
        seq = None
    rec["seq"] = None if seq is None or seq > _MAX_SEQ else int(seq)  # the ledger stores it as Int64
    # enterprise
    written = cells.clean_name(raw.get("enterprise"))
    rec["enterprise"] = written
    if written is None and "enterprise" in raw:  # a missing column is a sheet error already
        problem("enterprise_missing", "受检企业(单位)名称为空：每行应填写一家受检企业的名称", "enterprise")
        rec["enterprise_name"], rec["registered"] = None, False
    else:
        name, suggestion = registry.match_enterprise(written)
        near, candidates = registry.near_miss(written) if name is None else (None, [])
        if near is not None:
            name = near
            problem("enterprise_name_near_miss",
                    f"受检企业 '{cut(written)}' 与名录中的 '{near}' 只差一两个字：已按 '{near}' 统计；"
                    "如确为另一家企业，请补充企业名录，否则请改正名称", "enterprise", written)
        elif candidates:
            suggestion = "、".join(candidates)
        rec["enterprise_name"], rec["registered"] = name or written, name is not None
        if name is None:
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            problem("enterprise_unregistered",
                    f"受检企业 '{cut(written)}' 不在企业名录中{hint}：请核对企业名称，或补充企业名录",
                    "enterprise", written)
    # date
    date_raw = raw.get("inspection_date")
    try:
        date = cells.parse_date(date_raw, sheet.year or DEFAULT_YEAR, sheet.month)
    except cells.CellError as exc:
        date = None
        problem(exc.rule, quoted("检查时间", cells.to_text(date_raw), exc.detail), "inspection_date",
                cells.to_text(date_raw))
    else:
        if date is None:
            if "inspection_date" in raw:
                problem("date_unparseable", "检查时间为空：请填写检查日期，如 2024-05-06", "inspection_date")
        elif (readings := cells.ambiguous_numeric_date(date_raw, sheet.year or DEFAULT_YEAR)) is not None:
            first, second = (f"{d.month}月{d.day}日" for d in readings)
            problem("date_ambiguous",
                    f"检查时间是数字 {cells.to_text(date_raw)}，可读作 {first} 或 {second}（Excel 把键入的 "
                    f"{readings[1].month}.{readings[1].day} 存为 {cells.to_text(date_raw)}）：本行暂按 {first} 统计；"
                    f"请改为文字日期，如 {readings[1].isoformat()}", "inspection_date", cells.to_text(date_raw))
        if date is not None and sheet.month and (date.year, date.month) != (sheet.year, sheet.month):
            problem("date_outside_month",
                    f"检查时间 {date.isoformat()} 不在填报月份 {sheet.year}年{sheet.month}月 内："
                    "本行按填报月份统计；请核对检查时间或月份", "inspection_date", cells.to_text(date_raw))
    rec["inspection_date"] = date
    # inspectors (only when the column exists)
    people = cells.split_persons(raw.get("inspectors"))
    rec["inspectors"], rec["inspector_count"] = people, len(people)
    if "inspectors" in raw and len(people) < 2:
        shown = cells.to_text(raw.get("inspectors"))
        found = "为空" if not people else f" '{cut(shown)}' 只有 1 人"
        problem("inspectors_fewer_than_two",
                f"执法人员{found}：现场执法不得少于两人（行政处罚法第四十二条），请填写全部执法人员，用、分隔",
                "inspectors", shown)
    # items
    hazards = cells.split_items(raw.get("hazards"))
    rects = cells.split_items(raw.get("rectifications"))
    rec["hazards"], rec["rectifications"] = hazards, rects
    if len(rects) > len(hazards):
        problem("rectifications_exceed_hazards",
                f"完成整改情况有 {len(rects)} 项，多于违法行为(隐患)的 {len(hazards)} 项："
                "整改项应与隐患项一一对应，多出的整改项未计入", "rectifications",
                cells.to_text(raw.get("rectifications")))
    # case, fine, handling
    case_no = cells.clean_name(raw.get("case_no"))
    rec["case_no"] = case_no
    fine_raw = raw.get("fine_wan")
    fine, fine_failed = None, False
    try:
        fine, bare = cells.parse_money(fine_raw, "元" if yuan_fine else "万元")
    except cells.CellError as exc:
        fine_failed = True
        problem(exc.rule, quoted("罚款金额", cells.to_text(fine_raw), exc.detail), "fine_wan",
                cells.to_text(fine_raw))
    else:
        if fine is not None and bare and fine >= cells.IMPLAUSIBLE_WAN:
            problem("fine_implausible",
                    f"罚款金额 {cells.to_text(fine_raw)} 万元过大，疑似以元填写：本列单位为万元，"
                    "如 5000 元应填 0.5 或写明“5000元”", "fine_wan", cells.to_text(fine_raw))
    rec["fine_wan"] = float("nan") if fine is None else fine
    rec["legal_basis"] = cells.clean_text(raw.get("legal_basis"))
    rec["other_handling"] = cells.clean_text(raw.get("other_handling"))
    rec["remarks"] = cells.clean_text(raw.get("remarks"))
    if fine and not case_no:
        problem("fine_without_case", f"有罚款 {fine:g} 万元但立案案号为空：罚款应先立案，请补填立案案号",
                "case_no")
    if case_no and not fine and not fine_failed and not rec["legal_basis"] and not rec["other_handling"]:
        problem("case_without_penalty",
                f"立案案号 {cut(case_no)} 没有罚款、处罚依据或其他查处情况：请补填处罚结果或处理情况",
                "case_no", case_no)
    rec["is_recheck"] = cells.is_recheck(rec["remarks"], cells.to_text(raw.get("rectifications")))

