"""A small city sample: 石狮市 with three towns/街道 and five city departments (``evalkit sample --city``).

``generate_city(out_dir, seed=2024)`` writes data/sample-city/:

    registry/units.csv       every unit with its 类型 and 上级单位 (石狮市 → towns/街道 and city
                             departments → villages, 社区 and town departments)
    registry/enterprises.csv registry/plan.csv registry/received.csv
    submissions/2024-MM/…    January–June 2024
    MANIFEST.json            the tree, how each town sends its month, the files, and the plants

The towns come up two ways, as the city's 市安办 receives them:

* 蚶江镇 forwards its villages' and departments' original workbooks: exactly the workbooks of
  data/sample for January–June (the same simulated year, ``generate.simulate``, same seed),
  planted defects included;
* 凤里街道 forwards its 社区' and departments' originals (generated here);
* 祥芝镇 sends only its consolidated forms, one workbook a month in evalkit's consolidated layout
  (``core.forms.CONSOLIDATED``): sheet 全镇 (附件1, every unit's rows, the unit as 【单位】 at the
  start of 备注) and sheet 统计表二 (附件2, one 本月数/累计数 pair per unit and the 合计 rows).
  Its June 合计 states 1.5 万元 more fines than its units' rows and its ledger (``PLANTS``):
  the city-level reconciliation finding.

The five city departments report to 石狮市 directly with their own workbooks. The generated
units are simulated by the town's simulator (``events.Simulator``, ``script.run_random``) from
draws of their own (seed + 100 …), after the town's year: data/sample is unchanged by this module.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook

from evalkit.core.catalogue import load_catalogue
from evalkit.core.form_writer import write_figures_sheet, write_ledger_sheet
from evalkit.core.forms import CONSOLIDATED
from evalkit.core.periods import submission_deadline
from evalkit.sample.events import YEAR, Row, Simulator
from evalkit.sample.figures import unit_figures
from evalkit.sample.generate import (
    MISSING_MONTHS,
    WRONG_NAME,
    _check_unique,
    _csv,
    _filled,
    _refuse_foreign_folder,
    escalation_dates,
    fig_row,
    simulate,
)
from evalkit.sample.script import Cast, build_plan, number_cases, run_random
from evalkit.sample.world import _VILLAGE_SECTORS, Enterprise, Style, Unit, build_enterprises
from evalkit.sample.write import FileRecord, SheetRecord, file_names, render_row, save_stable, write_unit_month

GENERATOR = "evalkit.sample.city"
COMMAND = "evalkit sample --city --out data/sample-city --seed 2024"
CITY = "石狮市"
HOME_TOWN = "蚶江镇"
MONTHS = tuple(range(1, 7))  # January–June: enough for the June reports, small enough for quick tests

#: town -> (类型, how it sends its month: originals | consolidated, its units: (name, 类型, tier, size))
TOWNS: dict[str, tuple[str, str, tuple[tuple[str, str, str, int], ...]]] = {
    "祥芝镇": ("镇", "consolidated", (("祥渔村", "村", "good", 9), ("莲坂村", "村", "mid", 8),
                                     ("东店村", "村", "weak", 7), ("祥芝镇应急管理站", "部门", "good", 10))),
    "凤里街道": ("街道", "originals", (("新华社区", "社区", "good", 8), ("大仑社区", "社区", "mid", 7),
                                      ("凤里街道综合执法队", "部门", "mid", 9))),
}
#: city departments reporting to 石狮市 directly: (name, tier, case prefix, size, sectors)
CITY_DEPARTMENTS = (
    ("市应急管理局", "strong", "狮应急罚", 10, (("hazchem", 0.5), ("fireworks", 0.2), ("factory", 0.3))),
    ("市市场监督管理局", "good", "狮市监罚", 8, (("eatery", 0.5), ("equipment", 0.5))),
    ("市住房和城乡建设局", "mid", "狮建罚", 6, (("construction", 1.0),)),
    ("市消防救援大队", "good", "狮消行罚", 7, (("crowded", 1.0),)),
    ("市交通运输局", "weak", "狮交罚", 6, (("transport", 1.0),)),
)
_DEPT_SECTORS = (("factory", 0.6), ("eatery", 0.4))
#: The planted disagreement: (town, month, 附件2 key, amount added to its 合计 rows, 本月数 and 累计数).
PLANTS = (("祥芝镇", 6, "fines_wan", 1.5),)


@dataclass(frozen=True)
class Town:
    name: str
    kind: str
    sends: str  # originals | consolidated
    units: tuple[str, ...]


def build_city_units() -> tuple[list[Unit], dict[str, str], dict[str, str]]:
    """The generated units (towns' and city departments'), their 上级单位 and their 类型 as the
    registry writes it (社区 is simulated as a 村)."""
    units: list[Unit] = []
    parent: dict[str, str] = {}
    kind: dict[str, str] = {}
    for town, (_, _, members) in TOWNS.items():
        prefix = f"狮{town[:2]}应急罚"
        for name, k, tier, size in members:
            sectors = _VILLAGE_SECTORS if k != "部门" else _DEPT_SECTORS
            units.append(Unit(name, "村" if k != "部门" else "部门", tier, prefix, size, sectors,
                              Style("{unit}{yyyy}年{m}月执法统计")))
            parent[name], kind[name] = town, k
    for name, tier, prefix, size, sectors in CITY_DEPARTMENTS:
        units.append(Unit(name, "部门", tier, prefix, size, sectors, Style("{unit}{m}月安全生产执法统计表")))
        parent[name], kind[name] = CITY, "部门"
    return units, parent, kind


@dataclass
class CityYear:
    town_year: object  # generate.SampleYear of 蚶江镇
    units: list[Unit]
    parent: dict[str, str]
    kind: dict[str, str]
    enterprises: list[Enterprise]
    plan: list[dict]
    rows: list[Row]
    reported: dict[tuple[str, int], tuple[dict, dict]]

    def rows_of(self, unit: str, month: int) -> list[Row]:
        return sorted((r for r in self.rows if r.unit == unit and r.month == month), key=lambda r: (r.date, r.uid))


def simulate_city(seed: int = 2024) -> CityYear:
    """蚶江镇's year (``simulate(seed)``) and the generated units' year (nothing is written)."""
    town_year = simulate(seed)
    units, parent, kind = build_city_units()
    enterprises = build_enterprises(random.Random(seed + 100), units)
    taken = {e.name for e in town_year.enterprises}
    for i, e in enumerate(enterprises):  # one registry for the city: a name the town has gets a suffix
        if e.name in taken:
            enterprises[i] = e = replace(e, name=f"{e.name}（{e.unit[:2]}）")
        taken.add(e.name)
    cast = _no_cast()
    plan = build_plan(random.Random(seed + 101), units, enterprises, cast)
    sim = Simulator(random.Random(seed + 102), units, enterprises, load_catalogue())
    run_random(random.Random(seed + 103), sim, units, enterprises, plan, cast)
    number_cases(sim.rows)
    registry = {e.name: e.unit for e in enterprises}
    reported = {}
    for unit in units:
        supervised = sum(1 for e in enterprises if e.unit == unit.name)
        mine = [r for r in sim.rows if r.unit == unit.name]
        esc = escalation_dates(mine)
        by_month = {m: [fig_row(r, registry, esc) for r in mine if r.month == m] for m in MONTHS}
        for m in MONTHS:
            reported[unit.name, m] = unit_figures(by_month, supervised, m)
    return CityYear(town_year, units, parent, kind, enterprises, plan, sim.rows, reported)


def _no_cast() -> Cast:
    """No scripted scenario in the generated units: the roles the plan and the random year look
    up name an enterprise of no unit."""
    nobody = Enterprise("（无）", "", "", "", None, "低", "factory", "")
    return Cast(roles={"plan_not_carried_out": nobody, "key_never_inspected": nobody})


def town_total(year: CityYear, town: str, month: int) -> tuple[dict, dict]:
    """A town's 合计 (本月数, 累计数) as it computes it: its units' rows together, an enterprise
    inspected by two of its units counted once (the sample's own arithmetic, ``figures``)."""
    members = [u for u, p in year.parent.items() if p == town]
    registry = {e.name: e.unit for e in year.enterprises}
    rows = [r for r in year.rows if r.unit in members]
    esc = escalation_dates(rows)
    by_month = {m: [fig_row(r, registry, esc) for r in rows if r.month == m] for m in MONTHS}
    supervised = sum(1 for e in year.enterprises if e.unit in members)
    return unit_figures(by_month, supervised, month)


def _consolidated_month(out: Path, year: CityYear, town: str, month: int) -> tuple[FileRecord, dict]:
    """祥芝镇's one workbook of ``month``: sheet 全镇 (附件1) and 统计表二 (附件2 with 合计)."""
    members = [u for u in year.parent if year.parent[u] == town]
    style = Style("{unit}")
    rendered, uids = [], []
    for unit in members:
        for r in year.rows_of(unit, month):
            rec = render_row(r, style)
            rec["remarks"] = CONSOLIDATED.remarks(unit, rec.get("remarks"))
            rendered.append(rec)
            uids.append(r.uid)
    wb = Workbook()
    ws = wb.active
    ws.title = CONSOLIDATED.ledger_sheet
    filled = submission_deadline(YEAR, month).replace(day=20)
    lay = write_ledger_sheet(ws, unit=town, year=YEAR, month=month, rows=rendered, filled_date=filled.isoformat())
    sheets = [SheetRecord(ws.title, "ledger", lay.header_row, lay.first_data_row, len(rendered),
                          {uid: lay.first_data_row + i for i, uid in enumerate(uids)})]
    labels = []
    for unit in members:
        cur, cum = year.reported[unit, month]
        labels += [(CONSOLIDATED.row_label(unit, "本月数"), cur), (CONSOLIDATED.row_label(unit, "累计数"), cum)]
    cur, cum = (dict(v) for v in town_total(year, town, month))
    plant = {}
    for t, m, key, extra in PLANTS:
        if (t, m) == (town, month):
            plant = {"key": key, "ledger": {"本月数": cur[key], "累计数": cum[key]}, "added": extra}
            cur[key] = round(cur[key] + extra, 4)
            cum[key] = round(cum[key] + extra, 4)
            plant["reported"] = {"本月数": cur[key], "累计数": cum[key]}
    labels += [(CONSOLIDATED.row_label(CONSOLIDATED.total_label, "本月数"), cur),
               (CONSOLIDATED.row_label(CONSOLIDATED.total_label, "累计数"), cum)]
    ws2 = wb.create_sheet(CONSOLIDATED.figures_sheet)
    lay2 = write_figures_sheet(ws2, unit=town, year=YEAR, month=month, rows=labels)
    sheets.append(SheetRecord(ws2.title, "figures", lay2.header_row, lay2.first_data_row, len(labels)))
    rel = f"{YEAR}-{month:02d}/{town}/{town}{YEAR}年{month}月安全生产执法提升专项行动情况统计表（汇总）.xlsx"
    path = out / "submissions" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    save_stable(wb, path, creator=town)
    return FileRecord(f"submissions/{rel}", town, month, sheets), plant


def generate_city(out_dir, seed: int = 2024) -> dict:
    """Write the city sample to ``out_dir``; returns the manifest (also MANIFEST.json)."""
    out = Path(out_dir)
    _refuse_foreign_folder(out, generators=(GENERATOR,))
    year = simulate_city(seed)
    ty = year.town_year
    for sub in ("registry", "submissions"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    (out / "registry").mkdir(parents=True, exist_ok=True)
    files: list[FileRecord] = []
    received: dict[str, dt.date] = {}
    for unit in ty.units:  # 蚶江镇 forwards its units' originals: data/sample's workbooks of January–June
        for m in MONTHS:
            if m in MISSING_MONTHS.get(unit.name, ()):
                continue
            names = file_names(unit, m)
            if (unit.name, m) == WRONG_NAME[:2]:
                names = [(f"{YEAR}-{m:02d}/{WRONG_NAME[2]}", names[0][1])]
            cur, cum = ty.reported[unit.name, m]
            for rec in write_unit_month(out, unit, m, ty.rows_of(unit.name, m), cur, cum,
                                        _filled(ty, unit.name, m), names):
                form = "figures" if [s.form for s in rec.sheets] == ["figures"] else "ledger"
                received[rec.submission_path] = ty.received[unit.name, m, form]
                files.append(rec)
    plants = []
    consolidated = {t for t, (_, sends, _) in TOWNS.items() if sends == "consolidated"}
    for unit in year.units:
        town = year.parent[unit.name]
        if town in consolidated:
            continue
        for m in MONTHS:
            cur, cum = year.reported[unit.name, m]
            filled = submission_deadline(YEAR, m).replace(day=18)
            for rec in write_unit_month(out, unit, m, year.rows_of(unit.name, m), cur, cum, filled):
                received[rec.submission_path] = filled
                files.append(rec)
    for town in sorted(consolidated):
        for m in MONTHS:
            rec, plant = _consolidated_month(out, year, town, m)
            received[rec.submission_path] = submission_deadline(YEAR, m).replace(day=25)
            files.append(rec)
            if plant:
                plants.append({"id": f"town-total-{town}-{m}", "kind": "town_total_disagrees", "unit": town,
                               "month": f"{YEAR}-{m:02d}", "file": rec.path, "sheet": CONSOLIDATED.figures_sheet,
                               "column": plant["key"], **plant,
                               "note": "the town's 合计 rows state more than its units' rows and its ledger"})
    _check_unique(files)
    _write_city_registry(out, year, received)
    manifest = _manifest(year, files, plants, seed)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


def _write_city_registry(out: Path, year: CityYear, received: dict[str, dt.date]) -> None:
    reg = out / "registry"
    ents = [*year.town_year.enterprises, *year.enterprises]
    _csv(reg / "enterprises.csv", ["企业名称", "统一社会信用代码", "行业", "监管单位", "重点行业", "风险等级"],
         [(e.name, e.credit_code, e.industry, e.unit, e.key_industry or "否", e.risk) for e in ents])
    units = [(CITY, "市", ""), (HOME_TOWN, "镇", CITY)]
    units += [(t, k, CITY) for t, (k, _, _) in TOWNS.items()]
    units += [(u.name, u.kind, HOME_TOWN) for u in year.town_year.units]
    units += [(u.name, year.kind[u.name], year.parent[u.name]) for u in year.units]
    _csv(reg / "units.csv", ["单位", "类型", "上级单位"], units)
    _csv(reg / "plan.csv", ["企业名称", "监管单位", "计划月份", "方式"],
         [(p["name"], p["unit"], p["month"], p["method"]) for p in [*year.town_year.plan, *year.plan]])
    _csv(reg / "received.csv", ["文件", "收到日期"], [(f, d.isoformat()) for f, d in received.items()])


def _manifest(year: CityYear, files: list[FileRecord], plants: list[dict], seed: int) -> dict:
    towns = [{"name": HOME_TOWN, "kind": "镇", "sends": "originals",
              "units": [u.name for u in year.town_year.units]}]
    towns += [{"name": t, "kind": k, "sends": sends, "units": [m[0] for m in members]}
              for t, (k, sends, members) in TOWNS.items()]
    rows = sum(f.rows_read for f in files if any(s.form == "ledger" for s in f.sheets))
    ents = len(year.town_year.enterprises) + len(year.enterprises)
    n_units = 1 + len(towns) + sum(len(t["units"]) for t in towns) + len(CITY_DEPARTMENTS)
    return {
        "generator": GENERATOR, "command": COMMAND, "seed": seed, "city": CITY,
        "months": [f"{YEAR}-{m:02d}" for m in MONTHS],
        "summary": f"{CITY}：{len(towns)} 个镇（街道）、{len(CITY_DEPARTMENTS)} 个市直部门，共 {n_units} 个单位，"
                   f"{ents} 家企业，{len(files)} 个工作簿（{YEAR}年1—{MONTHS[-1]}月）",
        "towns": towns, "city_departments": [d[0] for d in CITY_DEPARTMENTS],
        "totals": {"units": n_units, "enterprises": ents, "workbooks": len(files), "ledger_rows_in_workbooks": rows},
        "plants": plants,
        "note": "蚶江镇's workbooks are data/sample's of the same months (its planted defects are listed in "
                "data/sample/MANIFEST.json); 祥芝镇 sends consolidated forms only; the others forward originals.",
        "files": [{"path": f.path, "unit": f.unit, "month": f.month,
                   "sheets": [{"sheet": s.sheet, "form": s.form, "rows": s.rows} for s in f.sheets]} for f in files],
    }


__all__ = ["generate_city", "simulate_city", "town_total", "CITY", "TOWNS", "CITY_DEPARTMENTS", "PLANTS"]
