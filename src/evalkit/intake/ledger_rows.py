"""附件1 rows: one inspection per row, judged column by column (``columnar``) with the per-cell
judges of ``evalkit.intake.cells``.

An error in a cell of ``records.BLANKABLE_COLUMNS`` (the fine) leaves that cell unknown
(NaN, named in ``unreadable``) and keeps the row; any other error rejects it (docs/intake.md §8).
"""

from __future__ import annotations

from functools import lru_cache

from evalkit.core.forms import DEFAULT_YEAR, LEDGER
from evalkit.intake import cells
from evalkit.intake.columnar import direct_column, shared_cache
from evalkit.intake.handling import summary_procedure
from evalkit.intake.header import Header
from evalkit.intake.records import BLANKABLE_COLUMNS, RowRead, SheetRead, cut, quoted, sheet_problem
from evalkit.intake.registry import Registry
from evalkit.intake.rows import data_rows

_MAX_SEQ = 2**63 - 1  # a larger 序号 is junk; it is informative only, so it is dropped
#: A 完成整改情况 item's status (``cells.rectification_status``), once per distinct text: a text
#: that reads none (rectified, pending, overdue) counts as open, so intake says so.
_status = lru_cache(maxsize=1 << 14)(cells.rectification_status)


def read_ledger_rows(sheet: SheetRead, grid, header: Header, registry: Registry, formula_blanks) -> None:
    """Parse the sheet's data rows column by column; each distinct value of a column is parsed
    once (``columnar.shared_cache``)."""
    yuan_fine = "(元)" in cells.norm(header.written.get("fine_wan", ""))
    cache = shared_cache(registry)
    reads, rows = [], []
    for n, row, values in data_rows(grid, header, formula_blanks, sheet, cache):
        reads.append(RowRead(n, values, {}))
        rows.append(row)
    # a column the header lacks is absent (its judge knows: a missing column is a sheet error already)
    raw = {col.key: [row[i] if i < len(row) else None for row in rows] for i, col in header.columns.items()}
    parse_ledger_rows(reads, raw, sheet, registry, yuan_fine, cache.column)
    sheet.rows += reads


def parse_ledger_rows(reads: list[RowRead], raw: dict[str, list], sheet: SheetRead, registry: Registry,
                      yuan_fine: bool, column=direct_column) -> None:
    """附件1 rows into each ``read.record`` and ``read.problems``: ``raw`` holds the sheet's cells
    by field, one list per column of the header (a field the header lacks is absent), in the order
    of ``reads``. ``column(fn, values, *args)`` runs a per-cell judge down a column:
    ``columnar.direct_column`` (cell by cell) or ``ColumnCache.column`` (each distinct value
    once); both give the same records and problems.

    Each field's judge (``_enterprise``, ``_inspection_date``, ``_inspectors``, ``_fine``) is a
    pure function of its cell and the sheet, giving the field's values and its problems as
    (rule, message, column key, value); only the checks across fields run per row.
    """
    blank = [None] * len(reads)

    def judged(fn, key, *args):
        return column(fn, raw.get(key, blank), *args)

    seqs = judged(_seq, "seq")
    enterprises = judged(_enterprise, "enterprise", registry, "enterprise" in raw)
    dates = judged(_inspection_date, "inspection_date", sheet.year, sheet.month, "inspection_date" in raw)
    people = judged(_inspectors, "inspectors", "inspectors" in raw)
    hazards = judged(cells.split_items, "hazards")
    rects = judged(cells.split_items, "rectifications")
    rect_texts = judged(cells.to_text, "rectifications")
    case_nos = judged(cells.clean_name, "case_no")
    fines = judged(_fine, "fine_wan", yuan_fine)
    legal = judged(cells.clean_text, "legal_basis")
    other = judged(cells.clean_text, "other_handling")
    remarks = judged(cells.clean_text, "remarks")
    # 复查 in 备注 or in 完成整改情况 (``cells.is_recheck`` of both is either's)
    recheck = [a or b for a, b in zip(column(cells.is_recheck, remarks), column(cells.is_recheck, rect_texts),
                                      strict=True)]
    col = LEDGER.column
    nan = float("nan")
    for i, read in enumerate(reads):
        written, name, registered, found = enterprises[i]
        specs = list(found)
        date, found = dates[i]
        specs += found
        names, count, found = people[i]
        specs += found
        hazard, rect = hazards[i], rects[i]
        unclear = [t for t in rect if _status(t) is None]
        if unclear:
            specs.append(("rectification_unclear",
                          f"完成整改情况“{cut('；'.join(unclear))}”看不出是否已整改：这些隐患按未整改计"
                          "（到期即逾期）；请写明“已整改”“限…前整改”等", "rectifications", rect_texts[i]))
        if len(rect) > len(hazard):
            specs.append(("rectifications_exceed_hazards",
                          f"完成整改情况有 {len(rect)} 项，多于违法行为(隐患)的 {len(hazard)} 项："
                          "整改项应与隐患项一一对应，多出的整改项未计入", "rectifications", rect_texts[i]))
        case_no = case_nos[i]
        fine, fine_failed, found = fines[i]
        specs += found
        # an unreadable fine leaves the cell unknown and keeps the row (records.BLANKABLE_COLUMNS)
        blanked = found[0] if fine_failed and "fine_wan" in BLANKABLE_COLUMNS else None
        rec = read.record
        rec.update(unreadable=None if blanked is None else "fine_wan", seq=seqs[i], enterprise=written,
                   enterprise_name=name, registered=registered, inspection_date=date, inspectors=names,
                   inspector_count=count, hazards=hazard, rectifications=rect, case_no=case_no,
                   fine_wan=nan if fine is None else fine, legal_basis=legal[i], other_handling=other[i],
                   remarks=remarks[i], is_recheck=recheck[i])
        if fine and not case_no:
            specs += _fine_without_case(fine, rec)
        if case_no and not fine and not fine_failed and not legal[i] and not other[i]:
            specs.append(("case_without_penalty",
                          f"立案案号 {cut(case_no)} 没有罚款、处罚依据或其他查处情况：请补填处罚结果或处理情况",
                          "case_no", case_no))
        for spec in specs:
            rule, message, key, value = spec
            problem = sheet_problem(rule, message, sheet, row=read.row, column=col(key).header, value=value)
            read.problems.append(problem)
            if spec is blanked:
                read.blanked.append(problem)


def _seq(value) -> int | None:
    """序号: informative only, so junk (or one past Int64) is dropped rather than reported."""
    try:
        seq = cells.parse_count(value)
    except cells.CellError:
        return None
    return None if seq is None or seq > _MAX_SEQ else int(seq)  # the ledger stores it as Int64


def _enterprise(value, registry: Registry, present: bool) -> tuple:
    """(as written, the name counted, registered?, problems) of a 受检企业 cell: the registry
    name it matches exactly, else its one near miss (a typo, with a warning), else unregistered
    with the tied near misses or the closest name as a hint."""
    written = cells.clean_name(value)
    if written is None and present:  # a missing column is a sheet error already
        return None, None, False, (("enterprise_missing", "受检企业(单位)名称为空：每行应填写一家受检企业的名称",
                                    "enterprise", None),)
    specs = []
    name = registry.registered_name(written)
    near, candidates = registry.near_miss(written) if name is None else (None, [])
    if near is not None:
        name = near
        specs.append(("enterprise_name_near_miss",
                      f"受检企业 '{cut(written)}' 与名录中的 '{near}' 只差一两个字：已按 '{near}' 统计；"
                      "如确为另一家企业，请补充企业名录，否则请改正名称", "enterprise", written))
    if name is None:
        # the tied near misses, else the closest name (searched only here: it is the costly part)
        suggestion = "、".join(candidates) if candidates else registry.match_enterprise(written)[1]
        hint = f"（是否为：{suggestion}？）" if suggestion else ""
        specs.append(("enterprise_unregistered",
                      f"受检企业 '{cut(written)}' 不在企业名录中{hint}：请核对企业名称，或补充企业名录",
                      "enterprise", written))
    return written, name or written, name is not None, tuple(specs)


def _inspection_date(value, year: int | None, month: int | None, present: bool) -> tuple:
    """(date or None, problems) of a 检查时间 cell on a sheet of ``year``/``month``: unreadable,
    blank, an ambiguous number (5.1 for 5.10) or outside the month."""
    text = cells.to_text(value)
    try:
        date = cells.parse_date(value, year or DEFAULT_YEAR, month)
    except cells.CellError as exc:
        return None, ((exc.rule, quoted("检查时间", text, exc.detail), "inspection_date", text),)
    specs = []
    if date is None:
        if present:
            specs.append(("date_unparseable", "检查时间为空：请填写检查日期，如 2024-05-06", "inspection_date", None))
    elif (readings := cells.ambiguous_numeric_date(value, year or DEFAULT_YEAR)) is not None:
        first, second = (f"{d.month}月{d.day}日" for d in readings)
        specs.append(("date_ambiguous",
                      f"检查时间是数字 {text}，可读作 {first} 或 {second}（Excel 把键入的 "
                      f"{readings[1].month}.{readings[1].day} 存为 {text}）：本行暂按 {first} 统计；"
                      f"请改为文字日期，如 {readings[1].isoformat()}", "inspection_date", text))
    if date is not None and month and (date.year, date.month) != (year, month):
        specs.append(("date_outside_month",
                      f"检查时间 {date.isoformat()} 不在填报月份 {year}年{month}月 内："
                      "本行按填报月份统计；请核对检查时间或月份", "inspection_date", text))
    return date, tuple(specs)


def _inspectors(value, present: bool) -> tuple:
    """(names, count, problems) of an 执法人员 cell: fewer than two (行政处罚法第四十二条;
    ``cells.count_persons``: "黄文龙等2人" is two) is a problem when the column exists."""
    people = cells.split_persons(value)
    count = cells.count_persons(value)
    if not present or count >= 2:
        return people, count, ()
    shown = cells.to_text(value)
    found = "为空" if not people else f" '{cut(shown)}' 只有 1 人"
    return people, count, (("inspectors_fewer_than_two",
                     f"执法人员{found}：现场执法不得少于两人（行政处罚法第四十二条），请填写全部执法人员，用、分隔",
                     "inspectors", shown),)


def _fine(value, yuan: bool) -> tuple:
    """(万元 or None, unreadable?, problems) of a 罚款金额 cell (``yuan``: the header says 元);
    an unreadable one has its one problem, which says the row still counts when the fine is
    blankable (``BLANKABLE_COLUMNS``)."""
    try:
        fine, bare = cells.parse_money(value, "元" if yuan else "万元")
    except cells.CellError as exc:
        text = cells.to_text(value)
        message = quoted("罚款金额", text, exc.detail)
        if "fine_wan" in BLANKABLE_COLUMNS:
            message += "（本行仍计入检查，罚款金额按未知处理，不计为 0）"
        return None, True, ((exc.rule, message, "fine_wan", text),)
    if fine is not None and bare and fine >= cells.IMPLAUSIBLE_WAN:
        text = cells.to_text(value)
        return fine, False, (("fine_implausible",
                              f"罚款金额 {text} 万元过大，疑似以元填写：本列单位为万元，"
                              "如 5000 元应填 0.5 或写明“5000元”", "fine_wan", text),)
    return fine, False, ()


def _fine_without_case(fine: float, rec: dict) -> list[tuple]:
    """fine_without_case, unless the row records the 简易程序 (当场处罚) and the fine is within
    its limit (行政处罚法第五十一条: 3000 元 on an organisation, 200 元 on a citizen;
    ``handling.summary_procedure`` reads 其他查处, 处罚依据 and 备注): such a fine needs no case."""
    procedure = summary_procedure(rec["other_handling"], rec["legal_basis"], rec["remarks"])
    if procedure is None:
        return [("fine_without_case", f"有罚款 {fine:g} 万元但立案案号为空：罚款应先立案，请补填立案案号",
                 "case_no", None)]
    if not procedure.allows(fine):
        return [("fine_without_case",
                 f"有罚款 {fine:g} 万元但立案案号为空：本行记为“{procedure.term}”，但简易程序（当场处罚）只适用于"
                 f"{procedure.limit_text}的罚款（行政处罚法第五十一条），此罚款应立案查处，请补填立案案号", "case_no",
                 None)]
    return []
