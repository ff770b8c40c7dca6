"""A deterministic, realistic sample year for 蚶江镇 (January–November 2024).

``evalkit sample --out data/sample --seed 2024`` calls ``generate``. It writes the data
folder layout of docs/design.md:

    registry/enterprises.csv  registry/units.csv  registry/plan.csv  registry/received.csv
    submissions/2024-MM/…xlsx  (one workbook per unit and month, or two for some units)
    MANIFEST.json             totals, every file, every planted defect with its location,
                              and the findings the audit should reach

The year is simulated in full from the seed (``simulate``) and then written; ``months``
only limits what is written, so a subset is cell-for-cell the same as in the full sample.
See docs/sample.md for the units, their profiles and the planted defects.

Modules: samplegen_world (units, registry), samplegen_events (the simulation),
samplegen_script (plan, random year, scripted scenarios), samplegen_defects,
samplegen_figures (附件2 from 附件1), samplegen_write (workbooks), samplegen_manifest.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from evalkit.core.catalogue import load_catalogue
from evalkit.core.periods import submission_deadline
from evalkit.exceptions import DataDirError, ParameterError
from evalkit.sample.defects import (
    Planted,
    plant_law_situations,
    plant_on_the_spot_cases,
    plant_overdue_and_coverage,
    plant_row_defects,
)
from evalkit.sample.events import MONTHS, YEAR, Row, Simulator
from evalkit.sample.figures import FigRow, rate, unit_figures
from evalkit.sample.manifest import build_manifest
from evalkit.sample.script import (
    MISSING_MONTHS,
    Cast,
    build_plan,
    choose_cast,
    number_cases,
    run_random,
    run_scenarios,
)
from evalkit.sample.world import Enterprise, Unit, build_enterprises, build_units
from evalkit.sample.write import FileRecord, file_names, write_unit_month

COMMAND = "evalkit sample --out data/sample --seed 2024"
#: Files received after the deadline (30th of the next month): (unit, month, form or None = all).
LATE = (("古山村", 3, None), ("古山村", 7, None), ("古山村", 10, None), ("东埯村", 5, None),
        ("经济发展办", 6, "figures"), ("厝仔村", 8, None))
#: 附件2 figures a unit reported differently from its own 附件1: (unit, months, how).
FIGURE_EDITS = (("锦亭村", (6, 7, 8), "inspected_plus_3"),
                ("莲西村", (9, 10, 11), "all_rectified"),
                ("综合执法队", (5,), "fine_plus_1"))
#: A file named for the wrong month (content governs): (unit, month, name under the month folder).
WRONG_NAME = ("大厦村", 6, "5月份大厦村统计表（一）（二）.xlsx")


@dataclass
class SampleYear:
    """The simulated year, before anything is written."""

    seed: int
    units: list[Unit]
    enterprises: list[Enterprise]
    cast: Cast
    plan: list[dict]
    rows: list[Row]
    scenarios: dict[str, list[Row]]
    planted: list[Planted]
    reported: dict[tuple[str, int], tuple[dict, dict]]  # (unit, month) -> 附件2 as reported
    computed: dict[tuple[str, int], tuple[dict, dict]]  # the same from the accepted 附件1 rows
    received: dict[tuple[str, int, str], dt.date]  # (unit, month, form) -> received date

    def unit(self, name: str) -> Unit:
        return next(u for u in self.units if u.name == name)

    def rows_of(self, unit: str, month: int) -> list[Row]:
        return sorted((r for r in self.rows if r.unit == unit and r.month == month),
                      key=lambda r: (r.date, r.uid))


def simulate(seed: int = 2024) -> SampleYear:
    """Simulate the whole year from ``seed`` (nothing is written)."""
    units = build_units()
    enterprises = build_enterprises(random.Random(seed), units)
    cast = choose_cast(random.Random(seed + 1), enterprises)
    plan = build_plan(random.Random(seed + 2), units, enterprises, cast)
    sim = Simulator(random.Random(seed + 3), units, enterprises, load_catalogue())
    scenarios = run_scenarios(sim, cast)
    run_random(random.Random(seed + 4), sim, units, enterprises, plan, cast)
    number_cases(sim.rows)
    planted = plant_row_defects(random.Random(seed + 5), sim, {e.name for e in enterprises})
    planted += plant_law_situations(random.Random(seed + 11), sim)
    planted += plant_overdue_and_coverage(sim, plan, cast.names)
    planted += plant_on_the_spot_cases(random.Random(seed + 7), sim)
    reported, computed = _figures(units, enterprises, sim.rows, planted)
    received = _received(random.Random(seed + 6), units, planted)
    return SampleYear(seed, units, enterprises, cast, plan, sim.rows, scenarios, planted, reported,
                      computed, received)


# ---------------------------------------------------------------------------- 附件2
def escalation_dates(rows: list[Row]) -> dict[int, dt.date]:
    """id(item) -> the date of the earliest later 复查 row of ``rows`` with a 立案案号 that restates the
    new item (same enterprise, an item with the same text or code) while it was still open (not
    rectified on its row, not closed before): the unit's count of 违法行为查处 (docs/metrics.md)."""
    rechecks = sorted((r for r in rows if r.is_recheck and r.case is not None), key=lambda r: (r.date, r.uid))
    out: dict[int, dt.date] = {}
    for r in rows:
        for it in r.items:
            if it.origin is not None or it.status == "rectified":
                continue
            for later in rechecks:
                if later.enterprise != r.enterprise or later.date <= r.date or later is r:
                    continue
                if it.closed_by is not None and it.closed_by.date < later.date:
                    continue
                if any(o.hazard == it.hazard or o.code == it.code for o in later.items):
                    out[id(it)] = later.date
                    break
    return out


def fig_row(row: Row, registry: dict[str, str], escalated: dict[int, dt.date] | None = None) -> FigRow:
    """The figures' view of a row, as the unit counts it: names as written, a 待定 fine as
    no fine yet. ``registry`` maps enterprise name -> its unit; ``escalated`` is
    ``escalation_dates`` of the rows the unit counts."""
    flags = frozenset(k for k, on in (("suspended", row.suspend), ("closure_requested", row.closure),
                                      ("blacklisted", row.blacklist), ("joint_punishment", row.joint)) if on)
    name = row.written_name or row.enterprise
    new = [it for it in row.items if it.origin is None]
    return FigRow(
        enterprise=name, in_registry=registry.get(name) == row.unit,
        new_hazards=len(new),
        fixed_on_row=sum(1 for it in new if it.status == "rectified"),
        closed_on=tuple(it.closed_by.date for it in new if it.status != "rectified" and it.closed_by),
        escalated_on=tuple(escalated[id(it)] for it in new if id(it) in (escalated or {})),
        has_case=row.case is not None,
        fine_wan=row.fine if row.fine_text is None else None,
        flags=flags, licenses=1 if row.license else 0, criminal=row.criminal,
        referred=1 if row.referred_to else 0, report=row.report,
    )


def _figures(units, enterprises, rows, planted):
    supervised = {u.name: sum(1 for e in enterprises if e.unit == u.name) for u in units}
    registry = {e.name: e.unit for e in enterprises}
    reported, computed = {}, {}
    for unit in units:
        mine = [r for r in rows if r.unit == unit.name]
        esc_own, esc_accepted = escalation_dates(mine), escalation_dates([r for r in mine if r.accepted])
        own = {m: [fig_row(r, registry, esc_own) for r in mine if r.month == m] for m in MONTHS}
        accepted = {m: [fig_row(r, registry, esc_accepted) for r in mine if r.month == m and r.accepted]
                    for m in MONTHS}
        for m in MONTHS:
            reported[unit.name, m] = unit_figures(own, supervised[unit.name], m)
            computed[unit.name, m] = unit_figures(accepted, supervised[unit.name], m)
    for unit, months, how in FIGURE_EDITS:
        for m in months:
            cur, cum = (dict(v) for v in reported[unit, m])
            for block in (cur, cum):
                if how == "inspected_plus_3":  # padded: three more enterprises "inspected"
                    sup = block["supervised_total"]
                    block["inspected"] += 3
                    block["coverage_rate"] = rate(round(block["coverage_rate"] * sup / 100) + 3, sup)
                    block["case_ratio"] = rate(block["cases_filed"], block["inspected"])
                elif how == "all_rectified":
                    block["hazards_rectified"] = block["hazards_found"]
            if how == "fine_plus_1":
                cur["fines_wan"] = round(cur["fines_wan"] + 1.0, 4)
            reported[unit, m] = (cur, cum)
        planted.append(Planted(f"figures-{unit}", "figures_disagree_with_ledger", None, unit, months[0],
                               form="figures", value=how,
                               note=f"附件2 of {unit} for months {list(months)} differs from its own 附件1; "
                                    "the differing cells are listed in findings.figures_differences"))
    return reported, computed


def _received(rng: random.Random, units: list[Unit], planted: list[Planted]) -> dict:
    late = {(u, m, f) for u, m, f in LATE}
    out = {}
    for unit in units:
        for m in MONTHS:
            deadline = submission_deadline(YEAR, m)
            for form in ("ledger", "figures"):
                if (unit.name, m, None) in late or (unit.name, m, form) in late:
                    out[unit.name, m, form] = deadline + dt.timedelta(rng.randint(2, 20))
                else:
                    day = rng.randint(3, min(27, deadline.day - 1))
                    out[unit.name, m, form] = deadline.replace(day=day)
            if not unit.style.two_files:
                out[unit.name, m, "figures"] = out[unit.name, m, "ledger"]
    for unit, m, form in LATE:
        planted.append(Planted(f"late-{unit}-{m}", "submission_late", "submission_late", unit, m,
                               form="none", value=out[unit, m, form or "ledger"].isoformat(),
                               expected=f"<= {submission_deadline(YEAR, m).isoformat()}",
                               note=f"only the {form} file" if form else ""))
    for unit, months in MISSING_MONTHS.items():
        for m in months:
            planted.append(Planted(f"missing-{unit}-{m}", "submission_missing", None, unit, m, form="none",
                                   note="no inspections and no report for the month"))
    return out


# ---------------------------------------------------------------------------- write
def generate(out_dir, seed: int = 2024, months=None) -> dict:
    """Write the sample data folder to ``out_dir``; returns the manifest (also MANIFEST.json).

    ``months`` (1–11) limits the submissions written; the registry is always complete.
    Regenerating replaces registry/, submissions/ and MANIFEST.json in ``out_dir``.
    """
    months = sorted(set(MONTHS if months is None else months))
    bad = [m for m in months if m not in MONTHS]
    if bad or not months:
        raise ParameterError("months", bad or months, "1—11 中的月份列表（样例数据覆盖 2024 年 1—11 月）")
    out = Path(out_dir)
    _refuse_foreign_folder(out)
    year = simulate(seed)
    for sub in ("registry", "submissions"):
        if (out / sub).exists():
            shutil.rmtree(out / sub)
    (out / "registry").mkdir(parents=True, exist_ok=True)
    files: list[FileRecord] = []
    for unit in year.units:
        for m in months:
            if m in MISSING_MONTHS.get(unit.name, ()):
                continue
            names = file_names(unit, m)
            if (unit.name, m) == WRONG_NAME[:2]:
                names = [(f"{YEAR}-{m:02d}/{WRONG_NAME[2]}", names[0][1])]
            cur, cum = year.reported[unit.name, m]
            recs = write_unit_month(out, unit, m, year.rows_of(unit.name, m), cur, cum,
                                    _filled(year, unit.name, m), names)
            for rec in recs:
                form = "figures" if [s.form for s in rec.sheets] == ["figures"] else "ledger"
                rec.received = year.received[unit.name, m, form]
                rec.late = rec.received > submission_deadline(YEAR, m)
            files += recs
    _check_unique(files)
    _write_registry(out, year, files)
    manifest = build_manifest(year, files, months, COMMAND)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    return manifest


def _refuse_foreign_folder(out: Path, generators: tuple[str, ...] = ("evalkit.sample.generate",)) -> None:
    """Never delete real data: only a folder that is empty or holds an earlier sample (of ``generators``)."""
    if not any((out / sub).exists() for sub in ("registry", "submissions")):
        return
    try:
        manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
        ours = manifest.get("generator") in generators
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise DataDirError(out, "已有 registry/ 或 submissions/，但不是样例生成器写的（缺少 MANIFEST.json）；"
                                "为免覆盖真实数据，请换一个空目录")


def _filled(year: SampleYear, unit: str, month: int) -> dt.date:
    received = year.received[unit, month, "ledger"]
    first = submission_deadline(YEAR, month).replace(day=1)
    return max(first, received - dt.timedelta(days=(received.day % 3)))


def _check_unique(files: list[FileRecord]) -> None:
    seen = set()
    for f in files:
        if f.path in seen:  # pragma: no cover - a style table mistake
            raise RuntimeError(f"two files with the same name: {f.path}")
        seen.add(f.path)


def _csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _write_registry(out: Path, year: SampleYear, files: list[FileRecord]) -> None:
    reg = out / "registry"
    _csv(reg / "enterprises.csv", ["企业名称", "统一社会信用代码", "行业", "监管单位", "重点行业", "风险等级"],
         [(e.name, e.credit_code, e.industry, e.unit, e.key_industry or "否", e.risk) for e in year.enterprises])
    _csv(reg / "units.csv", ["单位", "类型"], [(u.name, u.kind) for u in year.units])
    _csv(reg / "plan.csv", ["企业名称", "监管单位", "计划月份", "方式"],
         [(p["name"], p["unit"], p["month"], p["method"]) for p in year.plan])
    _csv(reg / "received.csv", ["文件", "收到日期"],
         [(f.submission_path, f.received.isoformat()) for f in files])
