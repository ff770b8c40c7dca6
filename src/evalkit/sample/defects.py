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
from evalkit.sample.events import CRIMINAL_CODES, LAST_DAY, Item, Row, Simulator, deadline_text, is_workday
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
        planted.append(Planted(f"typo-{n}", "enterprise_name_typo", "enterprise_unregistered", unit,
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
