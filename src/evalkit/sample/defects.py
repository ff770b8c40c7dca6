"""Real-world defects planted in the sample so validation and audit have something to find.

Part of the sample generator (``evalkit.sample.generate``). Each planted defect is a ``Planted``
record; the writer later resolves its row to (file, sheet, Excel row) for MANIFEST.json.

Rows are chosen so that a defect does not change anything else: a misspelt name is an
extra clean visit of an enterprise also inspected (correctly spelt) that month, a moved date
is on a row without open hazards, and so on. That keeps the audit's findings exactly the
planted ones.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from evalkit.intake.handling import is_summary_fine
from evalkit.sample.events import CRIMINAL_CODES, LAST_DAY, Case, Item, Row, Simulator, deadline_text, is_workday
from evalkit.sample.write import handling_text, remarks_text

#: Similar-looking or same-sounding characters: the 1-character slips of a typist.
SLIPS = {"鸿": "宏", "宏": "鸿", "华": "化", "盛": "胜", "达": "大", "鑫": "新", "兴": "星", "利": "力",
         "丰": "峰", "峰": "丰", "源": "原", "泰": "太", "隆": "龙", "龙": "隆", "祥": "翔", "锦": "金",
         "金": "锦", "恒": "衡", "瑞": "端", "联": "连", "佳": "家", "嘉": "佳", "凯": "铠", "腾": "藤",
         "润": "闰", "振": "震", "昌": "晶", "福": "富", "富": "福", "晋": "进", "明": "名", "荣": "容",
         "和": "禾", "禾": "和", "饰": "式", "纺": "仿", "织": "识", "服": "伏", "业": "叶", "厂": "场",
         "成": "诚", "诚": "成", "运": "云", "通": "同", "安": "按", "海": "每", "港": "巷", "信": "言"}


@dataclass
class Planted:
    """One planted defect; ``rows`` are the 附件1 rows it sits on (if any)."""

    id: str
    kind: str
    rule: str | None  # evalkit.core.problems.RULES id intake reports, else None (audit finding)
    unit: str
    month: int | None = None
    rows: list[Row] = field(default_factory=list)
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    note: str = ""
    form: str = "ledger"  # the sheet it is on: ledger | figures | none (file/plan level)
    finding: str | None = None  # the audit rule expected to report it (listed in MANIFEST when set)
    no_finding: tuple[str, ...] = ()  # audit rules that must not report it (listed when set)


def slip(name: str, registry: set[str], rng: random.Random) -> str:
    """``name`` with one character replaced by a look-alike, not itself a registry name."""
    positions = [i for i, ch in enumerate(name) if ch in SLIPS and i >= 2]
    rng.shuffle(positions)
    for i in positions:
        out = name[:i] + SLIPS[name[i]] + name[i + 1:]
        if out not in registry:
            return out
    raise ValueError(f"no slip for {name}")  # pragma: no cover


def _plain(rows: list[Row], unit: str, *, months=range(1, 12), clean=False) -> list[Row]:
    """Regular (not 复查, not scripted) rows without case, fine or open hazards."""
    out = []
    for r in rows:
        if r.unit != unit or r.is_recheck or r.case or r.fine or r.tags:
            continue
        if r.month not in months or any(it.status != "rectified" for it in r.items):
            continue
        if clean and r.items:
            continue
        out.append(r)
    return out


def plant_row_defects(rng: random.Random, sim: Simulator, registry: set[str]) -> list[Planted]:
    """Defects that live on 附件1 rows (typos, 待定, single inspector, …)."""
    rows = sim.rows
    planted: list[Planted] = []

    # 1-character slips in the enterprise name: an extra clean visit, same month, other day.
    for n, unit in enumerate(("莲中村", "洪窟村", "锦江村", "厝仔村", "蚶江消防救援站"), 1):
        base = rng.choice([r for r in rows if r.unit == unit and not r.is_recheck and r.registered
                           and not r.tags and r.month >= 3 and any(ch in SLIPS for ch in r.enterprise[2:])])
        day = next((d for d in sorted(_month_days(base.month), key=lambda _: rng.random())
                    if d not in sim.used[base.enterprise]), None)
        row = Row(sim._next_uid(), unit, base.enterprise, True, day, sim.inspectors(unit), [],
                  remarks=[rng.choice(["节前安全检查", "夜查", "回访检查"])], tags=["typo"])
        row.written_name = slip(base.enterprise, registry, rng)
        sim.add(row)
        planted.append(Planted(f"typo-{n}", "enterprise_name_typo", "enterprise_name_near_miss", unit,
                               row.month, [row], "受检企业(单位)名称", row.written_name, base.enterprise,
                               "1-character slip; the same enterprise is also inspected, correctly spelt, "
                               "in the same month"))

    # 待定 in the fine cell of a case row: number_unparseable (an error at the cell; the row is
    # kept with its fine unknown, docs/intake.md §8).
    rechecked = {id(r.recheck_of) for r in rows if r.is_recheck}
    cands = [r for r in rows if r.case and not r.tags and not r.is_recheck and r.month == 11
             and r.unit in ("水头村", "莲塘村", "锦江村", "石壁村") and id(r) not in rechecked]
    row = rng.choice(cands)
    row.fine_text = "待定"
    row.tags.append("tbd")
    planted.append(Planted("tbd-1", "text_in_number_cell", "number_unparseable", row.unit, row.month,
                           [row], "罚款金额(万)", "待定", f"{row.fine:g}",
                           "the row is kept (an inspection with its hazards and case), its fine unknown; "
                           "the unit's 附件2 counts it the same way, so only 罚款金额 of its month and "
                           "later 累计数 cannot be checked (audit reconciliation_incomplete)"))

    # Single inspector (行政处罚法 第四十二条 asks for two).
    for n, unit in enumerate(("厝仔村", "厝仔村", "厝仔村", "东埯村", "东埯村", "社会事务办"), 1):
        row = rng.choice([r for r in rows if r.unit == unit and len(r.inspectors) >= 2 and not r.tags])
        row.inspectors = row.inspectors[:1]
        row.tags.append("single_inspector")
        planted.append(Planted(f"inspector-{n}", "single_inspector", "inspectors_fewer_than_two", unit,
                               row.month, [row], "执法人员", row.inspectors[0], "2 人以上"))

    # A fine without a case number: 莲中村's by the 简易程序 on the spot (行政处罚法第五十一条: no
    # case needed up to 0.3 万元 on an organisation, so no problem), 消防救援站's with no
    # procedure recorded (fine_without_case).
    for n, (unit, month) in enumerate((("莲中村", 6), ("蚶江消防救援站", 8)), 1):
        cands = [r for r in rows if r.unit == unit and r.month == month and r.items and not r.case
                 and not r.is_recheck and not r.tags
                 and not any(it.code in CRIMINAL_CODES for it in r.items)]
        row = rng.choice(cands)
        code = row.items[0].code
        lo = sim.cat.loc[code, "fine_min_wan"]
        row.fine = max(0.2, lo)
        row.basis = sim.cat.loc[code, "penalty_article"]
        if n == 1:
            row.remarks.append("简易程序")
        summary = is_summary_fine(row.fine, None, handling_text(row), row.basis, remarks_text(row))
        row.tags.append("summary_fine" if summary else "fine_without_case")
        if summary:
            planted.append(Planted("summary-fine-1", "summary_procedure_fine", None, unit, month, [row],
                                   "罚款金额(万)", f"{row.fine:g}", "no 立案案号 needed",
                                   "简易程序 within 0.3 万元: accepted without a case, no fine_without_case"))
        else:
            planted.append(Planted(f"fine-no-case-{n}", "fine_without_case", "fine_without_case", unit,
                                   month, [row], "立案案号", "", "a case number"))

    # The same case number on two rows (a copy-paste slip, different enterprises).
    cases = sorted([r for r in rows if r.unit == "综合执法队" and r.case and not r.tags],
                   key=lambda r: (r.date, r.uid))
    first = next(r for r in cases if r.month in (6, 7, 8))
    second = next(r for r in cases if r.month >= first.month + 2 and r.enterprise != first.enterprise)
    second.case.number = first.case.number
    second.tags.append("case_no_duplicate")
    planted.append(Planted("case-dup-1", "case_no_duplicate", "case_no_duplicate", "综合执法队",
                           second.month, [first, second], "立案案号", first.case.number, None,
                           "the later row repeats the earlier row's case number"))

    # More 完成整改情况 items than 隐患 items.
    for n, unit in enumerate(("大厦村", "洪窟村"), 1):
        row = rng.choice([r for r in _plain(rows, unit) if len(r.items) == 1])
        row.extra_rects = ["已整改"]
        row.tags.append("rect_exceeds")
        planted.append(Planted(f"rect-exceeds-{n}", "rectifications_exceed_hazards",
                               "rectifications_exceed_hazards", unit, row.month, [row], "完成整改情况",
                               "2 items", "1 item (as many as 隐患)"))

    # The same enterprise and date twice (the row entered twice).
    row = rng.choice(_plain(rows, "莲中村", clean=True, months=range(4, 12)))
    twin = Row(sim._next_uid(), row.unit, row.enterprise, True, row.date, list(row.inspectors), [],
               remarks=list(row.remarks), tags=["date_duplicate"])
    sim.rows.append(twin)
    sim.ent_rows[twin.enterprise].append(twin)
    row.tags.append("date_duplicate")
    planted.append(Planted("dup-date-1", "enterprise_date_duplicate", "enterprise_date_duplicate",
                           "莲中村", row.month, [row, twin], "受检企业(单位)名称",
                           f"{row.enterprise} {row.date.isoformat()}", None, "entered twice"))

    # A date outside the form's month (last month's visit reported late).
    for n, unit in enumerate(("石农村", "莲塘村", "综合执法队"), 1):
        row = rng.choice(_plain(rows, unit, months=range(3, 12)))
        prev = [d for d in _month_days(row.month - 1)[-8:] if d not in sim.used[row.enterprise]]
        row.written_date = prev[-1]
        sim.reserve(row.enterprise, prev[-1])
        row.tags.append("date_outside_month")
        planted.append(Planted(f"date-outside-{n}", "date_outside_month", "date_outside_month", unit,
                               row.month, [row], "检查时间", row.written_date.isoformat(),
                               f"a date in 2024-{row.month:02d}"))

    # Fines outside the legal range: on first-time case rows with a single violation, so
    # the range is unambiguous (a 复查 row escalates and may exceed the first range).
    def single(r: Row) -> bool:
        return (r.case is not None and not r.tags and not r.is_recheck and len(r.items) == 1
                and r.unit != "锦里村")

    cands = [r for r in rows if single(r) and sim.cat.loc[r.case.code, "fine_min_wan"] > 0]
    row = rng.choice(cands)
    lo = sim.cat.loc[row.case.code, "fine_min_wan"]
    row.fine = round(lo / 2, 4)
    row.tags.append("fine_out_of_range")
    planted.append(Planted("fine-range-1", "fine_below_minimum", None, row.unit, row.month, [row],
                           "罚款金额(万)", f"{row.fine:g}", f">= {lo:g} ({row.case.code})"))
    cands = [r for r in rows if single(r) and sim.cat.loc[r.case.code, "fine_max_wan"] == 5]
    row = rng.choice(cands)
    row.fine = 8.0
    row.tags.append("fine_out_of_range")
    planted.append(Planted("fine-range-2", "fine_above_maximum", None, row.unit, row.month, [row],
                           "罚款金额(万)", "8", f"<= 5 ({row.case.code})"))
    return planted


def _month_days(month: int) -> list[dt.date]:
    first = dt.date(2024, month, 1)
    days = [first + dt.timedelta(i) for i in range(31)]
    return [d for d in days if d.month == month and is_workday(d) and d <= LAST_DAY]



def _next_case_number(rows: list[Row], prefix: str) -> str:
    """A number of ``prefix`` not used yet (after the chronological ones): 〔2024〕N+1号."""
    used = [int(r.case.number.split("〕")[-1].rstrip("号")) for r in rows
            if r.case and r.case.prefix == prefix and r.case.number and r.case.number.endswith("号")]
    return f"{prefix}〔2024〕{max(used, default=0) + 1}号"


def plant_law_situations(rng: random.Random, sim: Simulator) -> list[Planted]:
    """Escalations of the law the random year never produces (issue 11), planted after every
    other defect with their own ``rng`` (so the earlier draws are unchanged):

    - 按日连续处罚 (安全生产法第一百一十二条): a fined enterprise still 逾期未整改 at a 复查, fined
      the original amount for each of the days written; lawful, so no fine_out_of_range, and
      the item is escalated, so no overdue_not_escalated;
    - 拒不执行停产停业整顿决定 (第一百一十三条第（四）项): a later visit finds an enterprise ordered to
      停产停业整顿 producing again; closure_due expected (高: no 提请关闭 recorded).
    """
    rows = sim.rows
    planted: list[Planted] = []

    # 按日连续处罚: a case row whose one item (a written 限…前整改) a later 复查 closed, with
    # no other row of the enterprise in between, and at least a week after the deadline to spare.
    def quiet(r: Row) -> bool:
        it = r.items[0]
        others = [o for o in sim.ent_rows.get(r.enterprise, ()) if o is not r and o is not it.closed_by
                  and r.date <= o.date <= it.closed_by.date]
        return not others and it.closed_by.month > (it.deadline + dt.timedelta(days=6)).month

    cands = [r for r in rows if r.case and r.fine and not r.is_recheck and not r.tags and 3 <= r.month <= 9
             and len(r.items) == 1 and r.items[0].status == "pending" and r.items[0].deadline
             and r.items[0].closed_by is not None and r.items[0].code not in CRIMINAL_CODES
             and (r.items[0].closed_by.date - r.items[0].deadline).days >= 8 and quiet(r)]
    origin = rng.choice(sorted(cands, key=lambda r: (r.date, r.uid)))
    it = origin.items[0]
    start = it.deadline + dt.timedelta(days=1)
    day = sim.free_after(origin.enterprise, it.deadline + dt.timedelta(days=5), it.deadline)
    days = (day - start).days + 1
    row = Row(sim._next_uid(), origin.unit, origin.enterprise, True, day, list(origin.inspectors),
              [Item(it.hazard, it.code, it.major, "逾期未整改", "overdue", it.deadline, origin=it)],
              recheck_of=origin,
              remarks=[f"复查（原检查{origin.date.isoformat()}）",
                       f"拒不改正，按日连续处罚：自{start.month}月{start.day}日至{day.month}月{day.day}日共{days}日，"
                       f"按原处罚数额{origin.fine:g}万元/日"],
              tags=["daily_penalty"])
    row.case = Case(it.code, origin.case.prefix, _next_case_number(rows, origin.case.prefix))
    row.fine = round(origin.fine * days, 4)
    row.basis = f"{sim.cat.loc[it.code, 'penalty_article']}、第一百一十二条"
    sim.add(row)
    planted.append(Planted("daily-penalty-1", "daily_penalty", None, row.unit, row.month, [row],
                           "罚款金额(万)", f"{row.fine:g}", f"{origin.fine:g} × {days} 日",
                           f"按日连续处罚 at the original fine of {origin.date.isoformat()} for the days written "
                           "(第一百一十二条): lawful, "
                           "no fine_out_of_range; the item is escalated, no overdue_not_escalated",
                           no_finding=("fine_out_of_range", "overdue_not_escalated")))

    # 拒不执行停产停业整顿决定: a visit 10 or more days after an order to 停产停业整顿 (not a 复查,
    # no items), at an enterprise whose closure was never requested.
    closed = {r.enterprise for r in rows if r.closure}
    cands = [r for r in rows if r.suspend and not r.tags and r.enterprise not in closed and 3 <= r.month <= 9
             and r.registered and not any(it.code in CRIMINAL_CODES for it in r.items)]
    order = rng.choice(sorted(cands, key=lambda r: (r.date, r.uid)))
    day = sim.free_after(order.enterprise, order.date + dt.timedelta(days=10), order.date)
    row = Row(sim._next_uid(), order.unit, order.enterprise, True, day, list(order.inspectors), [],
              remarks=["回访检查：停产停业整顿期间擅自恢复生产，拒不执行停产停业整顿决定"],
              tags=["suspension_refused"])
    sim.add(row)
    planted.append(Planted("suspension-refused-1", "suspension_order_refused", None, row.unit, row.month,
                           [row], "备注", row.remarks[0], "提请关闭",
                           f"ordered to 停产停业整顿 on {order.date.isoformat()}, found producing again: "
                           "第一百一十三条第（四）项; "
                           "closure_due expected (高, no 提请关闭 recorded)", finding="closure_due"))
    return planted


# ---------------------------------------------------------------------------- rules 3, 5, 9 (issue 11)
#: The situations planted by ``plant_overdue_and_coverage``: id -> (unit, what, audit, rule, expected).
#: ``expected`` is "finding" (the rule must report it in that audit) or "none" (it must not).
OVERDUE_PLANTS = {
    "overdue-1day": ("蚶江村", "限2024年6月29日前整改, no 复查 by 06-30 (复查 07-02: rectified)",
                     "2024-06", "overdue_not_escalated", "finding"),
    "overdue-deadline-day": ("蚶江村", "限2024年6月30日前整改: the deadline day is the period end, not overdue",
                             "2024-06", "overdue_not_escalated", "none"),
    "overdue-closed-late-form": ("莲塘村", "限2024年6月20日前整改, 复查 dated 06-28 (rectified) on the July form",
                                 "2024-06", "overdue_not_escalated", "none"),
    "overdue-same-row-escalation": ("镇应急管理站", "a case with 责令停产停业整顿 and 从重处罚 on the row that found "
                                                  "the item, no 复查 by 06-30", "2024-06", "overdue_not_escalated",
                                    "none"),
    "overdue-same-row-case": ("锦里村", "a case (立案案号, fine) on the row that found the item, no 复查 by 06-30",
                              "2024-06", "overdue_not_escalated", "none"),
    "overdue-relative": ("水头村", "责令7日内整改 on 06-11 (deadline 06-18), nothing further by 06-30",
                         "2024-06", "overdue_not_escalated", "finding"),
    "overdue-assumed": ("莲东村", "责令限期整改 with no date on 05-08 (assumed deadline 06-07), nothing further",
                        "2024-06", "overdue_not_escalated", "finding"),
    "key-unplanned": ("", "a key-industry enterprise left out of the plan, first inspected in April",
                      "2024-03", "key_industry_uninspected", "finding"),
}


def _quiet_enterprises(sim: Simulator, unit: str, taken: set[str], start: dt.date, end: dt.date) -> list[str]:
    """Names of the unit's registered, non-key enterprises visited by it in April (so the
    quarter's and the year's coverage stay the same) and with no row from ``start`` to ``end``."""
    out = []
    for e in sorted((e for e in sim.enterprises if e.unit == unit and not e.is_key and e.name not in taken),
                    key=lambda e: e.name):
        rows = sim.ent_rows.get(e.name, [])
        april = [r for r in rows if r.month == 4 and r.unit == unit and r.date < start]
        if april and not any(start <= r.date <= end for r in rows):
            out.append(e.name)
    return out


def _plain_codes(sim: Simulator, name: str, day: dt.date, want: int = 1) -> list[str]:
    """The codes (at least ``want``) with a generic wording that the enterprise had not in the 365
    days before ``day`` and has not open (so no repeat offence is added), no criminal risk."""
    codes = [c for c in ("V14", "V25", "V07", "V04", "V16", "V18", "V05", "V12")
             if c not in sim.recent_codes(name, day) and c not in sim.open_codes(name)]
    if len(codes) < want:  # pragma: no cover - the sample always has them
        raise RuntimeError(f"no plain codes left for {name}")
    return codes


def _rare_code(sim: Simulator, name: str, day: dt.date, avoid: set[str]) -> tuple[str, float | None]:
    """A plain code for a planted case whose single-violation fines are the rarest in the year
    (so 同案不同罚, rule 12, compares nothing new), and the median of those fines (None: none)."""
    fines: dict[str, list[float]] = {}
    for r in sim.rows:
        codes = {it.code for it in r.items}
        if r.case and r.fine and len(codes) == 1:
            fines.setdefault(codes.pop(), []).append(r.fine)
    pool = [c for c in _plain_codes(sim, name, day) if c not in avoid]
    code = min(pool, key=lambda c: (len(fines.get(c, [])), c))
    got = sorted(fines.get(code, []))
    return code, (got[len(got) // 2] if got else None)


def plant_overdue_and_coverage(sim: Simulator, plan: list[dict], cast_names: set[str]) -> list[Planted]:
    """The situations of rules 3, 5 and 9 (issue 11), appended after every other plant.

    Each lives on an enterprise of its own with no other row in the plant's weeks
    (``_quiet_enterprises``), so nothing else changes: its April visit keeps the unit's
    quarter and year coverage, the codes are new to it (no repeat offence), no major hazard, no criminal
    risk. ``OVERDUE_PLANTS`` says what each must give in which audit; the manifest's
    ``findings.audit_expectations`` lists them with their rows. Returns the ``Planted``
    records (the July-form 复查 also draws the intake warning date_outside_month).
    """
    planted: list[Planted] = []
    taken = set(cast_names)
    D = dt.date

    def ent(unit: str, start: dt.date, end: dt.date | None = None) -> str:
        name = _quiet_enterprises(sim, unit, taken, start, end or D(2024, 7, 31))[0]
        taken.add(name)
        return name

    def visit(unit: str, name: str, day: dt.date, rect: str, deadline: dt.date, remarks=(),
              code: str | None = None) -> Row:
        code = code or _plain_codes(sim, name, day, 1)[0]
        item = Item(sim.hazard_text(code, False, 0), code, False, rect, "pending", deadline)
        row = Row(sim._next_uid(), unit, name, True, day, sim.inspectors(unit), [item],
                  remarks=list(remarks), tags=["overdue_plant"])
        sim.add(row)
        return row

    def record(pid: str, rows: list[Row]) -> None:
        unit, what, audit, rule, expected = OVERDUE_PLANTS[pid]
        planted.append(Planted(pid, "audit_expectation", None, unit, rows[0].month, rows, "完成整改情况",
                               rows[0].items[0].rect, f"{rule}: {expected} in {audit}", what))

    # 1 day overdue at the period end: 06-29 written, 06-30 is day 1.
    name = ent("蚶江村", D(2024, 6, 1))
    row = visit("蚶江村", name, D(2024, 6, 14), "限2024年6月29日前整改", D(2024, 6, 29))
    record("overdue-1day", [row, sim.recheck(row, D(2024, 7, 2), ["rectified"])])
    # the deadline is the period end itself: still open.
    name = ent("蚶江村", D(2024, 6, 1))
    row = visit("蚶江村", name, D(2024, 6, 17), "限2024年6月30日前整改", D(2024, 6, 30))
    record("overdue-deadline-day", [row, sim.recheck(row, D(2024, 7, 1), ["rectified"])])
    # closed by a 复查 dated before the period end but reported on the July form.
    name = ent("莲塘村", D(2024, 5, 20))
    row = visit("莲塘村", name, D(2024, 5, 27), "限2024年6月20日前整改", D(2024, 6, 20))
    late_form = sim.recheck(row, D(2024, 6, 28), ["rectified"])
    late_form.month = 7
    record("overdue-closed-late-form", [row, late_form])
    planted.append(Planted("overdue-closed-late-form-date", "date_outside_month", "date_outside_month", "莲塘村",
                           7, [late_form], "检查时间", "2024-06-28", "a date in 2024-07",
                           "the 复查 of overdue-closed-late-form, reported a month late"))
    # escalated on the row that found it: a case with 停产停业整顿 and 从重处罚 (as 91号), or a case
    # alone; in units whose share of uncased inspections stays far from rule 7's 80% either way
    # (镇应急管理站, 锦里村), with a rarely fined code at its usual fine (rule 12 unchanged).
    used: set[str] = {"V25"}  # 锦里村's over-fined code (FINE_OVERRIDES) stays out
    for pid, heavier in (("overdue-same-row-escalation", True), ("overdue-same-row-case", False)):
        unit = OVERDUE_PLANTS[pid][0]
        name = ent(unit, D(2024, 6, 1), D(2024, 6, 30))
        day = D(2024, 6, 4) if heavier else D(2024, 6, 5)
        code, fine = _rare_code(sim, name, day, used)
        used.add(code)
        row = visit(unit, name, day, "限2024年6月19日前整改", D(2024, 6, 19),
                    remarks=["从重处罚"] if heavier else [], code=code)
        sim.file_case(row, code, prefix="狮蚶应急罚", fine=fine)
        row.case.number = _next_case_number(sim.rows, "狮蚶应急罚")
        row.suspend = heavier
        record(pid, [row])
    # a period written relative to the inspection; and no deadline written at all.
    name = ent("水头村", D(2024, 6, 1))
    row = visit("水头村", name, D(2024, 6, 11), "责令7日内整改", D(2024, 6, 18))
    record("overdue-relative", [row, sim.recheck(row, D(2024, 7, 5), ["rectified"])])
    name = ent("莲东村", D(2024, 5, 1), D(2024, 9, 10))
    row = visit("莲东村", name, D(2024, 5, 8), "责令限期整改", D(2024, 6, 7))
    record("overdue-assumed", [row, sim.recheck(row, D(2024, 9, 4), ["rectified"])])

    # A key-industry enterprise left out of the plan (计划漏列), first inspected in month m
    # (3–6, the earliest such): in the audit of month m − 1 neither inspected nor planned (a
    # finding); from month m on, inspected. June's 待检 enterprises are not touched.
    first_month: dict[str, int] = {}
    for r in sim.rows:
        first_month[r.enterprise] = min(first_month.get(r.enterprise, 13), r.month)
    cands = sorted((first_month[p["name"]], p["name"]) for p in plan if p["method"] == "重点检查"
                   and 3 <= first_month.get(p["name"], 13) <= 6 and p["name"] not in taken)
    month, name = cands[0]
    line = next(p for p in plan if p["name"] == name and p["method"] == "重点检查")
    plan.remove(line)
    first = min((r for r in sim.ent_rows[name]), key=lambda r: (r.date, r.uid))
    OVERDUE_PLANTS["key-unplanned"] = ("", f"a key-industry enterprise left out of the plan, first inspected in "
                                           f"month {month}", f"2024-{month - 1:02d}", "key_industry_uninspected",
                                       "finding")
    planted.append(Planted("key-unplanned", "key_industry_not_planned", None, line["unit"], None, [first],
                           None, name, f"key_industry_uninspected: finding in 2024-{month - 1:02d}",
                           f"its 重点检查 plan row (month {line['month']}) is left out of registry/plan.csv; "
                           f"first inspected in month {month}", form="none"))
    return planted


# ---------------------------------------------------------------------------- rule 7 plants
#: The unit and month of the rule 7 plants (a unit whose June count is a finding either way).
ON_THE_SPOT_UNIT, ON_THE_SPOT_MONTH = "石壁村", 6


def plant_on_the_spot_cases(rng: random.Random, sim: Simulator) -> list[Planted]:
    """Three extra June visits of 石壁村 for audit rule 7 (以整改代替处罚, docs/audit.md):

    * onspot-excused-1: a minor first violation corrected on the spot (当场整改), no penalty:
      行政处罚法第三十三条 allows not punishing it, so rule 7 leaves the inspection out;
    * onspot-negated-1: “未当场整改，限…前整改” — a negation, not an on-the-spot correction
      (intake reads it pending); corrected at a 复查 before its deadline; rule 7 counts it;
    * onspot-major-1: a 重大事故隐患 corrected on the spot, no penalty: a major hazard is
      never “轻微”, so rule 7 counts it.

    Each visit goes to an enterprise 石壁村 already inspected that month (so coverage, the plan
    and 现场检查企业数 do not change), on a free day, with a code the enterprise has not had in
    the last 12 months (not a repeat) and none open. Runs after every other plant.
    """
    unit, month = ON_THE_SPOT_UNIT, ON_THE_SPOT_MONTH
    regular = sorted({r.enterprise for r in sim.rows if r.unit == unit and r.month == month and r.registered
                      and not r.is_recheck}, key=str)
    rng.shuffle(regular)
    planted: list[Planted] = []
    used: set[str] = set()
    plans = (("onspot-excused-1", "hazard_corrected_on_the_spot", "V14", 0, False),
             ("onspot-negated-1", "on_the_spot_negated", "V25", 1, False),
             ("onspot-major-1", "major_hazard_corrected_on_the_spot", "V01", 1, True))
    for pid, kind, code, variant, major in plans:
        for name in regular:
            if name in used:
                continue
            day = sim.free_day(name, month)
            if day is None or day.day > 20:
                continue
            if code in sim.recent_codes(name, day) | sim.open_codes(name):
                continue
            break
        else:  # pragma: no cover - the sample always has such an enterprise
            raise RuntimeError(f"no enterprise for {pid}")
        used.add(name)
        text = sim.hazard_text(code, major, variant)
        rows = []
        if kind == "on_the_spot_negated":
            deadline = day + dt.timedelta(days=7)
            item = Item(text, code, major, f"未当场整改，{deadline_text(deadline)}", "pending", deadline)
        else:
            item = Item(text, code, major, "当场整改", "rectified", None)
        row = Row(sim._next_uid(), unit, name, True, day, sim.inspectors(unit), [item], tags=["onspot_plant"])
        sim.add(row)
        rows.append(row)
        if kind == "on_the_spot_negated":
            when = sim.free_after(name, day + dt.timedelta(days=5), day)
            recheck = sim.recheck(row, when, ["rectified"])
            recheck.tags.append("onspot_plant")
            rows.append(recheck)
        expected = {
            "hazard_corrected_on_the_spot": "audit rectification_instead_of_penalty (2024-06, 石壁村) leaves it out: "
                                            "in details.excused_on_the_spot, not in the evidence",
            "on_the_spot_negated": "intake reads 未当场整改 as pending, not rectified on the spot; audit "
                                   "rectification_instead_of_penalty (2024-06, 石壁村) counts it: in the evidence",
            "major_hazard_corrected_on_the_spot": "a 重大事故隐患 is never excused: audit "
                                                  "rectification_instead_of_penalty (2024-06, 石壁村) counts it: "
                                                  "in the evidence",
        }[kind]
        planted.append(Planted(pid, kind, None, unit, month, rows, "完成整改情况", item.rect, expected,
                               "行政处罚法第三十三条: a first minor violation promptly corrected may go unpunished"))
    return planted
