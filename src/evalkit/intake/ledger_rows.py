"""附件1 rows: one inspection per row, parsed cell by cell with ``evalkit.intake.cells``.

An error in a cell of ``records.BLANKABLE_COLUMNS`` (the fine) leaves that cell unknown
(NaN, named in ``unreadable``) and keeps the row; any other error rejects it (docs/intake.md §8).
"""

from __future__ import annotations

from evalkit.core.forms import DEFAULT_YEAR, LEDGER
from evalkit.intake import cells
from evalkit.intake.columnar import direct, shared_cache
from evalkit.intake.handling import summary_procedure
from evalkit.intake.header import Header
from evalkit.intake.records import BLANKABLE_COLUMNS, RowRead, SheetRead, cut, quoted, sheet_problem
from evalkit.intake.registry import Registry
from evalkit.intake.rows import data_rows, row_cells

_MAX_SEQ = 2**63 - 1  # a larger 序号 is junk; it is informative only, so it is dropped


def read_ledger_rows(sheet: SheetRead, grid, header: Header, registry: Registry, formula_blanks) -> None:
    """Parse the sheet's data rows; each distinct value of a column is parsed once
    (``columnar.shared_cache``)."""
    yuan_fine = "(元)" in cells.norm(header.written.get("fine_wan", ""))
    call = shared_cache(registry)
    for n, row, values in data_rows(grid, header, formula_blanks, sheet, call):
        read = RowRead(n, values, {})
        parse_ledger_row(read, row_cells(row, header), sheet, registry, yuan_fine, call)
        sheet.rows.append(read)


def parse_ledger_row(read: RowRead, raw: dict, sheet: SheetRead, registry: Registry, yuan_fine: bool,
                     call=direct) -> None:
    """One 附件1 row into ``read.record`` and ``read.problems``. ``call(fn, value, *args)`` runs
    a per-cell parser: ``columnar.direct`` (cell by cell) or a ``ColumnCache`` (each distinct
    value once); both give the same record and problems."""
    col = LEDGER.column
    add = read.problems.append

    def problem(rule, message, key, value=None):
        found = sheet_problem(rule, message, sheet, row=read.row, column=col(key).header, value=value)
        add(found)
        return found

    def unreadable(exc: cells.CellError, label: str, key: str, value) -> None:
        """The cell's error; for a blankable column the row is kept with the cell unknown."""
        text = cells.to_text(value)
        message = quoted(label, text, exc.detail)
        if key in BLANKABLE_COLUMNS:
            message += f"（本行仍计入检查，{label}按未知处理，不计为 0）"
        found = problem(exc.rule, message, key, text)
        if key in BLANKABLE_COLUMNS:
            read.blanked.append(found)
            rec["unreadable"] = ";".join(filter(None, [rec.get("unreadable"), key]))

    rec = read.record
    rec["unreadable"] = None
    # seq: informative only
    try:
        seq = call(cells.parse_count, raw.get("seq"))
    except cells.CellError:
        seq = None
    rec["seq"] = None if seq is None or seq > _MAX_SEQ else int(seq)  # the ledger stores it as Int64
    # enterprise
    written = call(cells.clean_name, raw.get("enterprise"))
    rec["enterprise"] = written
    if written is None and "enterprise" in raw:  # a missing column is a sheet error already
        problem("enterprise_missing", "受检企业(单位)名称为空：每行应填写一家受检企业的名称", "enterprise")
        rec["enterprise_name"], rec["registered"] = None, False
    else:
        name = call(registry.registered_name, written)
        near, candidates = call(registry.near_miss, written) if name is None else (None, [])
        if near is not None:
            name = near
            problem("enterprise_name_near_miss",
                    f"受检企业 '{cut(written)}' 与名录中的 '{near}' 只差一两个字：已按 '{near}' 统计；"
                    "如确为另一家企业，请补充企业名录，否则请改正名称", "enterprise", written)
        rec["enterprise_name"], rec["registered"] = name or written, name is not None
        if name is None:
            # the tied near misses, else the closest name (searched only here: it is the costly part)
            suggestion = "、".join(candidates) if candidates else call(registry.match_enterprise, written)[1]
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            problem("enterprise_unregistered",
                    f"受检企业 '{cut(written)}' 不在企业名录中{hint}：请核对企业名称，或补充企业名录",
                    "enterprise", written)
    # date
    date_raw = raw.get("inspection_date")
    try:
        date = call(cells.parse_date, date_raw, sheet.year or DEFAULT_YEAR, sheet.month)
    except cells.CellError as exc:
        date = None
        problem(exc.rule, quoted("检查时间", cells.to_text(date_raw), exc.detail), "inspection_date",
                cells.to_text(date_raw))
    else:
        if date is None:
            if "inspection_date" in raw:
                problem("date_unparseable", "检查时间为空：请填写检查日期，如 2024-05-06", "inspection_date")
        elif (readings := call(cells.ambiguous_numeric_date, date_raw, sheet.year or DEFAULT_YEAR)) is not None:
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
    people = call(cells.split_persons, raw.get("inspectors"))
    rec["inspectors"], rec["inspector_count"] = people, len(people)
    if "inspectors" in raw and len(people) < 2:
        shown = cells.to_text(raw.get("inspectors"))
        found = "为空" if not people else f" '{cut(shown)}' 只有 1 人"
        problem("inspectors_fewer_than_two",
                f"执法人员{found}：现场执法不得少于两人（行政处罚法第四十二条），请填写全部执法人员，用、分隔",
                "inspectors", shown)
    # items
    hazards = call(cells.split_items, raw.get("hazards"))
    rects = call(cells.split_items, raw.get("rectifications"))
    rec["hazards"], rec["rectifications"] = hazards, rects
    if len(rects) > len(hazards):
        problem("rectifications_exceed_hazards",
                f"完成整改情况有 {len(rects)} 项，多于违法行为(隐患)的 {len(hazards)} 项："
                "整改项应与隐患项一一对应，多出的整改项未计入", "rectifications",
                cells.to_text(raw.get("rectifications")))
    # case, fine, handling
    case_no = call(cells.clean_name, raw.get("case_no"))
    rec["case_no"] = case_no
    fine_raw = raw.get("fine_wan")
    fine, fine_failed = None, False
    try:
        fine, bare = call(cells.parse_money, fine_raw, "元" if yuan_fine else "万元")
    except cells.CellError as exc:
        fine_failed = True
        unreadable(exc, "罚款金额", "fine_wan", fine_raw)
    else:
        if fine is not None and bare and fine >= cells.IMPLAUSIBLE_WAN:
            problem("fine_implausible",
                    f"罚款金额 {cells.to_text(fine_raw)} 万元过大，疑似以元填写：本列单位为万元，"
                    "如 5000 元应填 0.5 或写明“5000元”", "fine_wan", cells.to_text(fine_raw))
    rec["fine_wan"] = float("nan") if fine is None else fine
    rec["legal_basis"] = call(cells.clean_text, raw.get("legal_basis"))
    rec["other_handling"] = call(cells.clean_text, raw.get("other_handling"))
    rec["remarks"] = call(cells.clean_text, raw.get("remarks"))
    if fine and not case_no:
        _fine_without_case(problem, fine, rec)
    if case_no and not fine and not fine_failed and not rec["legal_basis"] and not rec["other_handling"]:
        problem("case_without_penalty",
                f"立案案号 {cut(case_no)} 没有罚款、处罚依据或其他查处情况：请补填处罚结果或处理情况",
                "case_no", case_no)
    rec["is_recheck"] = call(cells.is_recheck, rec["remarks"], call(cells.to_text, raw.get("rectifications")))



def _fine_without_case(problem, fine: float, rec: dict) -> None:
    """fine_without_case, unless the row records the 简易程序 (当场处罚) and the fine is within
    its limit (行政处罚法第五十一条: 3000 元 on an organisation, 200 元 on a citizen;
    ``handling.summary_procedure`` reads 其他查处, 处罚依据 and 备注): such a fine needs no case."""
    procedure = summary_procedure(rec["other_handling"], rec["legal_basis"], rec["remarks"])
    if procedure is None:
        problem("fine_without_case", f"有罚款 {fine:g} 万元但立案案号为空：罚款应先立案，请补填立案案号", "case_no")
    elif not procedure.allows(fine):
        problem("fine_without_case",
                f"有罚款 {fine:g} 万元但立案案号为空：本行记为“{procedure.term}”，但简易程序（当场处罚）只适用于"
                f"{procedure.limit_text}的罚款（行政处罚法第五十一条），此罚款应立案查处，请补填立案案号", "case_no")
