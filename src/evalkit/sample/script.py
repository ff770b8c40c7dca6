"""The annual plan, the random year, and the scripted scenarios the audit should find.

Part of the sample generator (``evalkit.sample.generate``). ``run_year`` returns the simulated
rows, the plan and the *cast*: the enterprises chosen for each scripted scenario.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from evalkit.sample.events import (
    MONTHS,
    SEASON,
    Item,
    Row,
    Simulator,
    deadline_text,
)
from evalkit.sample.world import Enterprise, Unit

D = dt.date
#: Units whose 双随机 sample is deliberately below the plan's 5%.
LOW_RANDOM_SHARE = {"经济发展办": 1, "莲西村": 1}
#: Units that did not report a month at all (no inspections, no files).
MISSING_MONTHS = {"古山村": (2,)}


@dataclass
class Cast:
    """Enterprises chosen for scripted scenarios, by scenario id."""

    roles: dict[str, Enterprise] = field(default_factory=dict)
    unregistered: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (unit, name)

    @property
    def names(self) -> set[str]:
        return {e.name for e in self.roles.values()}


def _pick(rng: random.Random, enterprises: list[Enterprise], unit: str, sector: str,
          taken: set[str]) -> Enterprise:
    pool = [e for e in enterprises if e.unit == unit and e.sector == sector and e.name not in taken]
    choice = rng.choice(pool)
    taken.add(choice.name)
    return choice


def choose_cast(rng: random.Random, enterprises: list[Enterprise]) -> Cast:
    """Pick the enterprises of the scripted scenarios (see ``SCENARIOS`` in docs/sample.md)."""
    taken: set[str] = set()
    spec = {
        "closure": ("蚶江村", "garment"),
        "criminal_referred": ("镇应急管理站", "hazchem"),
        "criminal_not_referred": ("经济发展办", "textile_big"),
        "repeat_heavier_a": ("综合执法队", "eatery"),
        "repeat_heavier_b": ("镇应急管理站", "fireworks"),
        "repeat_same_a": ("莲东村", "garment"),
        "repeat_same_b": ("蚶江市场监管所", "eatery"),
        "overdue_escalated": ("石壁村", "garment"),
        "overdue_ignored": ("古山村", "garment"),
        "overdue_late_fix": ("莲西村", "trims"),
        "overdue_construction": ("规划建设办", "construction"),
        "key_never_inspected": ("社会事务办", "school"),
        "plan_not_carried_out": ("石农村", "garment"),
    }
    cast = Cast()
    for role, (unit, sector) in spec.items():
        if role == "key_never_inspected":
            pool = [e for e in enterprises if e.unit == unit and e.is_key and e.name not in taken]
            cast.roles[role] = rng.choice(pool)
            taken.add(cast.roles[role].name)
        else:
            cast.roles[role] = _pick(rng, enterprises, unit, sector, taken)
    cast.unregistered = {
        "illegal_fireworks": ("镇应急管理站", "东埯村无证烟花爆竹储存点（黄某某）"),
        "illegal_workshop": ("莲塘村", "莲塘村无名服装加工作坊（李某某）"),
    }
    return cast


# ---------------------------------------------------------------------------- plan
#: Scripted key-industry enterprises are planned in the month of a scripted visit.
_SCRIPTED_PLAN_MONTH = {"criminal_referred": 5, "repeat_heavier_b": 7, "overdue_construction": 9,
                        "key_never_inspected": 10}


def build_plan(rng: random.Random, units: list[Unit], enterprises: list[Enterprise],
               cast: Cast) -> list[dict]:
    """The 年度执法计划: every key-industry enterprise as 重点检查 in one month, and a
    双随机 sample of 5–10% of each unit's enterprises (below 5% for ``LOW_RANDOM_SHARE``)."""
    plan = []
    role_of = {e.name: r for r, e in cast.roles.items()}
    for unit in units:
        mine = [e for e in enterprises if e.unit == unit.name]
        for e in mine:
            if e.is_key:
                month = _SCRIPTED_PLAN_MONTH.get(role_of.get(e.name, ""))
                if month is None:
                    month = rng.choices(range(3, 12), weights=[0.5] + [1] * 8)[0]
                plan.append({"name": e.name, "unit": unit.name, "month": month, "method": "重点检查"})
        # 双随机 draws from the non-key enterprises; a unit with only key ones draws from those.
        others = [e for e in mine if not e.is_key and e.name not in role_of] or \
            [e for e in mine if e.name not in role_of]
        n = LOW_RANDOM_SHARE.get(unit.name) or max(math.ceil(len(mine) * 0.05),
                                                   round(len(mine) * rng.uniform(0.05, 0.10)))
        chosen = rng.sample(others, min(n, len(others)))
        if unit.name == cast.roles["plan_not_carried_out"].unit:
            # one more than drawn, so the share carried out still reaches 5%
            chosen = chosen + [cast.roles["plan_not_carried_out"]]
        for e in chosen:
            taken = {p["month"] for p in plan if p["name"] == e.name}
            month = rng.choice([m for m in range(4, 12) if m not in taken])
            plan.append({"name": e.name, "unit": unit.name, "month": month, "method": "双随机"})
    return plan


# ---------------------------------------------------------------------------- random year
def _months_for(rng: random.Random, n: int, fixed: list[int], allowed: list[int]) -> list[int]:
    months = list(fixed)
    pool = [m for m in allowed if m not in months]
    while len(months) < n and pool:
        m = rng.choices(pool, weights=[SEASON[x] for x in pool])[0]
        months.append(m)
        pool.remove(m)
    return sorted(months)


def run_random(rng: random.Random, sim: Simulator, units: list[Unit], enterprises: list[Enterprise],
               plan: list[dict], cast: Cast) -> None:
    """Inspections of every non-scripted enterprise, following each unit's profile."""
    planned: dict[str, list[dict]] = {}
    for p in plan:
        planned.setdefault(p["name"], []).append(p)
    skip = cast.names
    for unit in units:
        prof = unit.profile
        mine = [e for e in enterprises if e.unit == unit.name]
        must = [e for e in mine if (e.is_key or e.name in planned) and e.name not in skip]
        rest = [e for e in mine if e not in must and e.name not in skip]
        target = round(len(mine) * min(1.0, prof.coverage + rng.uniform(-0.03, 0.03)))
        target -= len(must) + len([e for e in mine if e.name in skip
                                   and e.name not in (cast.roles["key_never_inspected"].name,
                                                      cast.roles["plan_not_carried_out"].name)])
        covered = must + rng.sample(rest, max(0, min(len(rest), target)))
        allowed = [m for m in MONTHS if m not in MISSING_MONTHS.get(unit.name, ())]
        schedule: list[tuple[dt.date, Enterprise, list[str]]] = []
        for e in sorted(covered, key=lambda x: x.name):
            mu = prof.visits * {"重大": 1.4, "较大": 1.15, "一般": 0.9, "低": 0.7}[e.risk]
            mu *= 1.5 if e.is_key else 1.0
            n = max(1, min(len(allowed) - 1, round(rng.gauss(mu, mu * 0.35))))
            fixed = {p["month"]: p["method"] for p in planned.get(e.name, [])}
            for m in _months_for(rng, max(n, len(fixed)), sorted(fixed), allowed):
                day = sim.free_day(e.name, m)
                sim.reserve(e.name, day)
                remarks = []
                if m in fixed:
                    remarks.append("双随机抽查" if fixed[m] == "双随机" else "重点检查")
                schedule.append((day, e, remarks))
        by_ent: dict[str, list] = {}
        for day, e, remarks in schedule:
            by_ent.setdefault(e.name, []).append((day, e, remarks))
        for name in sorted(by_ent):
            for day, e, remarks in sorted(by_ent[name], key=lambda t: t[0]):
                row = sim.visit(e, unit, day, remarks)
                sim.follow_up(row)


# ---------------------------------------------------------------------------- scripted
def _item(sim: Simulator, code: str, variant: int, major: bool, rect: str | D) -> Item:
    """rect: "onspot", "blank", a deadline date (written 限…前整改), or a literal text."""
    text = sim.hazard_text(code, major, variant)
    if rect == "onspot":
        return Item(text, code, major, "当场整改", "rectified", None)
    if isinstance(rect, D):
        return Item(text, code, major, deadline_text(rect), "pending", rect)
    return Item(text, code, major, rect, "rectified" if "已整改" in rect else None, None)


def _row(sim: Simulator, unit: str, enterprise: str, date: D, items: list[Item], *, registered=True,
         remarks=()) -> Row:
    row = Row(sim._next_uid(), unit, enterprise, registered, date, sim.inspectors(unit), items,
              remarks=list(remarks), tags=["scripted"])
    sim.add(row)
    return row


def run_scenarios(sim: Simulator, cast: Cast) -> dict[str, list[Row]]:
    """The scripted histories; returns the rows of each scenario for the manifest."""
    r = cast.roles
    out: dict[str, list[Row]] = {}

    # 提请关闭: a major hazard penalised three times within 180 days.
    e = r["closure"]
    rows = [_row(sim, e.unit, e.name, D(2024, 3, 12), [_item(sim, "V04", 0, False, "onspot")])]
    for first, fix, fine, extra in ((D(2024, 4, 10), D(2024, 4, 24), 1.0, {}),
                                    (D(2024, 6, 13), D(2024, 7, 3), 3.0, {"suspend": True}),
                                    (D(2024, 8, 21), D(2024, 9, 12), 5.0,
                                     {"suspend": True, "closure": True, "blacklist": True, "joint": True})):
        deadline = first + dt.timedelta(days=15)
        row = _row(sim, e.unit, e.name, first, [_item(sim, "V01", 1, True, deadline)],
                   remarks=["从重处罚"] if extra else [])
        sim.file_case(row, "V01", fine=fine, major=True)
        for k, v in extra.items():
            setattr(row, k, v)
        rows += [row, sim.recheck(row, fix, ["rectified"])]
    out["closure"] = rows

    # Criminal-risk cases: V17 referred; V20 (major hazard, order refused) only fined.
    e = r["criminal_referred"]
    row = _row(sim, e.unit, e.name, D(2024, 5, 16), [_item(sim, "V17", 0, True, D(2024, 6, 15)),
                                                     _item(sim, "V14", 1, False, "onspot")],
               remarks=["重点检查"])
    sim.file_case(row, "V17", fine=4.0, major=True)
    row.suspend, row.criminal, row.blacklist = True, 1, True
    out["criminal_referred"] = [row, sim.recheck(row, D(2024, 6, 13), ["rectified"]),
                                _row(sim, e.unit, e.name, D(2024, 9, 10), [_item(sim, "V07", 1, False, "onspot")])]
    e = r["criminal_not_referred"]
    row = _row(sim, e.unit, e.name, D(2024, 6, 5), [_item(sim, "V20", 1, True, D(2024, 6, 20))])
    row.notice = True
    refused = sim.recheck(row, D(2024, 6, 24), ["overdue"], remarks=["拒不执行整改指令"])
    sim.file_case(refused, "V20", fine=5.0, major=True, prefix="狮蚶应急罚")
    refused.suspend = True
    out["criminal_not_referred"] = [row, refused, sim.recheck(row, D(2024, 7, 18), ["rectified"])]

    # Repeat offences within 12 months: two handled more heavily, two not.
    for role, code, variant, visits in (
        ("repeat_heavier_a", "V19", 1, ((D(2024, 4, 9), D(2024, 4, 18), 0.5, False),
                                        (D(2024, 9, 11), D(2024, 9, 24), 1.5, True))),
        ("repeat_heavier_b", "V11", 0, ((D(2024, 3, 5), D(2024, 3, 19), None, False),
                                        (D(2024, 7, 9), D(2024, 7, 23), 2.0, True))),
        ("repeat_same_a", "V01", 0, ((D(2024, 5, 8), D(2024, 5, 20), 0.5, False),
                                     (D(2024, 10, 15), D(2024, 10, 29), 0.5, False))),
        ("repeat_same_b", "V19", 0, ((D(2024, 6, 4), D(2024, 6, 17), None, False),
                                     (D(2024, 11, 6), D(2024, 11, 19), None, False))),
    ):
        e, rows = r[role], []
        for first, fix, fine, heavier in visits:
            remarks = (["从重处罚"] if heavier else []) + (["重点检查"] if e.is_key and first.month == 7 else [])
            row = _row(sim, e.unit, e.name, first, [_item(sim, code, variant, False, fix + dt.timedelta(1))],
                       remarks=remarks)
            if fine is not None:
                sim.file_case(row, code, fine=fine, prefix="狮蚶应急罚" if e.unit.endswith("村") else None)
            rows += [row, sim.recheck(row, fix, ["rectified"])]
        out[role] = rows

    # Overdue rectification: 限…前整改, then a 复查 saying 逾期未整改.
    e = r["overdue_escalated"]
    row = _row(sim, e.unit, e.name, D(2024, 5, 20), [_item(sim, "V18", 0, False, D(2024, 6, 10))])
    late = sim.recheck(row, D(2024, 6, 12), ["overdue"])
    sim.file_case(late, "V18", fine=1.0)
    out["overdue_escalated"] = [row, late, sim.recheck(row, D(2024, 7, 3), ["rectified"])]
    e = r["overdue_ignored"]
    row = _row(sim, e.unit, e.name, D(2024, 4, 16), [_item(sim, "V01", 3, False, D(2024, 5, 10))])
    row.items[0].rect = deadline_text(D(2024, 5, 10), with_year=False)
    out["overdue_ignored"] = [row, sim.recheck(row, D(2024, 5, 14), ["overdue"])]
    e = r["overdue_late_fix"]
    row = _row(sim, e.unit, e.name, D(2024, 7, 9), [_item(sim, "V14", 0, False, D(2024, 7, 25))])
    out["overdue_late_fix"] = [row, sim.recheck(row, D(2024, 7, 29), ["overdue"]),
                               sim.recheck(row, D(2024, 8, 20), ["rectified"])]
    e = r["overdue_construction"]
    row = _row(sim, e.unit, e.name, D(2024, 9, 3), [_item(sim, "V09", 0, False, D(2024, 9, 13)),
                                                    _item(sim, "V18", 1, False, "onspot")],
               remarks=["重点检查"])
    late = sim.recheck(row, D(2024, 9, 18), ["overdue"])
    sim.file_case(late, "V09", fine=2.0)
    late.suspend = True
    out["overdue_construction"] = [row, late, sim.recheck(row, D(2024, 10, 9), ["rectified"])]

    # 打非治违: unregistered places found in the field.
    unit, name = cast.unregistered["illegal_fireworks"]
    row = _row(sim, unit, name, D(2024, 1, 25), [_item(sim, "V28", 0, True, "已整改（依法取缔）")],
               registered=False, remarks=["举报件", "打非治违"])
    sim.file_case(row, "V28", fine=2.0, major=True)
    row.basis = "《烟花爆竹安全管理条例》第三十六条第一款"
    row.criminal, row.report, row.closure, row.closure_text = 1, True, True, "依法取缔"
    row.tags.append("unregistered")
    out["illegal_fireworks"] = [row]
    unit, name = cast.unregistered["illegal_workshop"]
    row = _row(sim, unit, name, D(2024, 7, 17), [_item(sim, "V01", 0, False, "onspot"),
                                                 _item(sim, "V20", 0, False, "立行立改（已整改）")],
               registered=False, remarks=["打非治违"])
    row.tags.append("unregistered")
    out["illegal_workshop"] = [row]
    return out


def number_cases(rows: list[Row]) -> None:
    """Give every case its number, in date order, one sequence per prefix."""
    counters: dict[str, int] = {}
    for row in sorted((r for r in rows if r.case), key=lambda r: (r.date, r.uid)):
        counters[row.case.prefix] = counters.get(row.case.prefix, 0) + 1
        row.case.number = f"{row.case.prefix}〔{row.date.year}〕{counters[row.case.prefix]}号"
