"""MANIFEST.json of the sample: totals, files, planted defects with locations, findings.

Part of the sample generator (``evalkit.sample.generate``). ``defects`` lists what was planted
on purpose; ``findings`` is computed from the simulated rows of the written months, so a
test can compare intake, metrics and audit output with it directly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from statistics import mean

from evalkit.core.catalogue import provision
from evalkit.core.forms import FIGURES
from evalkit.intake.handling import is_summary_fine
from evalkit.sample.defects import OVERDUE_PLANTS
from evalkit.sample.events import CRIMINAL_CODES, LAST_DAY, Row
from evalkit.sample.script import LOW_RANDOM_SHARE
from evalkit.sample.write import FileRecord, handling_text, remarks_text

_FIG_HEADER = {c.key: c.header for c in FIGURES.columns}


def _locator(files: list[FileRecord]):
    where: dict[int, dict] = {}
    for f in files:
        for s in f.sheets:
            for uid, row in s.row_of.items():
                where[uid] = {"file": f.path, "sheet": s.sheet, "row": row}
    return where


def _loc(where, row: Row, column: str | None = None, **extra) -> dict | None:
    base = where.get(row.uid)
    if base is None:
        return None
    out = dict(base)
    if column:
        out["column"] = column
    out.update(extra)
    return out


def build_manifest(year, files: list[FileRecord], months: list[int], command: str) -> dict:
    where = _locator(files)
    written = [r for r in year.rows if r.month in months and r.uid in where]
    defects = _defects(year, files, where, months)
    findings = _findings(year, files, written, months, where)
    ledger_rows = sum(s.rows for f in files for s in f.sheets if s.form == "ledger")
    figures_rows = sum(s.rows for f in files for s in f.sheets if s.form == "figures")
    rejected = sum(1 for r in written if not r.accepted)
    totals = {
        "files": len(files),
        "sheets": sum(len(f.sheets) for f in files),
        "units": len(year.units),
        "enterprises": len(year.enterprises),
        "key_enterprises": sum(1 for e in year.enterprises if e.is_key),
        "plan_rows": len(year.plan),
        "ledger_rows": ledger_rows,
        "figures_rows": figures_rows,
        "rows_read": ledger_rows + figures_rows,
        "rows_rejected": rejected,
        "rows_accepted": ledger_rows + figures_rows - rejected,
        "late_files": sum(1 for f in files if f.late),
        **_item_totals(written, months),
        "planted_defects": len(defects),
    }
    summary = (f"{totals['files']} 个文件，{ledger_rows} 行台账（附件1），{figures_rows} 行附件2，"
               f"{totals['enterprises']} 家企业，{totals['units']} 个单位，{len(defects)} 处预设问题")
    return {
        "generator": "evalkit.sample.generate",
        "command": command,
        "seed": year.seed,
        "year": 2024,
        "months": months,
        "summary": summary,
        "totals": totals,
        "units": _units(year, written),
        "files": [{"file": f.path, "unit": f.unit, "month": f.month, "received": f.received.isoformat(),
                   "late": f.late, "rows_read": f.rows_read,
                   "sheets": [{"sheet": s.sheet, "form": s.form, "header_row": s.header_row,
                               "first_data_row": s.first_data_row, "rows": s.rows} for s in f.sheets]}
                  for f in files],
        "defects": defects,
        "findings": findings,
    }


def _item_totals(written: list[Row], months) -> dict:
    """Counts over the accepted rows that intake's items and ledger tables should match."""
    accepted = [r for r in written if r.accepted]
    new = [it for r in accepted for it in r.items if it.origin is None]
    closed = [it for it in new if it.status == "rectified" or (
        it.closed_by is not None and it.closed_by.accepted and it.closed_by.month in months)]
    fines = sum(round(r.fine * 10000) for r in accepted if r.fine is not None and r.fine_text is None)
    return {
        "hazard_items": sum(len(r.items) for r in accepted),
        "new_hazard_items": len(new),
        "rectified_new_items": len(closed),
        "major_hazard_items": sum(1 for it in new if it.major),
        "recheck_rows": sum(1 for r in accepted if r.is_recheck),
        "case_rows": sum(1 for r in accepted if r.case),
        "fines_wan": fines / 10000,
    }


# ---------------------------------------------------------------------------- defects
def _defects(year, files, where, months) -> list[dict]:
    out = []
    figure_cells = _figure_differences(year, files, months)
    for p in year.planted:
        if p.month is not None and p.month not in months and p.kind != "figures_disagree_with_ledger":
            continue
        entry = {"id": p.id, "kind": p.kind, "rule": p.rule, "unit": p.unit, "month": p.month,
                 "value": p.value, "expected": p.expected, "note": p.note, "locations": []}
        if p.finding:
            entry["finding"] = p.finding
        if p.no_finding:
            entry["no_finding"] = list(p.no_finding)
        if p.kind == "submission_late":
            entry["locations"] = [{"file": f.path, "sheet": s.sheet} for f in files
                                  if f.unit == p.unit and f.month == p.month and f.late for s in f.sheets]
        elif p.kind == "figures_disagree_with_ledger":
            entry["locations"] = [c for c in figure_cells if c["unit"] == p.unit and not c["cause"]]
            if not entry["locations"]:
                continue
        else:
            column = p.column
            for n, row in enumerate(p.rows):
                loc = _loc(where, row, column)
                if loc is not None:
                    if len(p.rows) > 1:
                        loc["role"] = "first" if n == 0 else "repeat"
                    entry["locations"].append(loc)
            if p.rows and not entry["locations"]:
                continue
        out.append(entry)
    out += _story_defects(year, where, months)
    out += _handling_stories(year, where, months)
    return out


def _handling_stories(year, where, months) -> list[dict]:
    """What audit rules 7 and 12 and the 违法行为查处率 must (not) find, from the scripted rows."""
    out = []

    def entry(eid, kind, rows, expected, note, value=None):
        rows = [r for r in rows if r is not None and r.month in months]
        if not rows:
            return
        out.append({"id": eid, "kind": kind, "rule": None, "unit": rows[0].unit, "month": rows[-1].month,
                    "value": value if value is not None else rows[0].enterprise, "expected": expected,
                    "note": note, "locations": [loc for r in rows if (loc := _loc(where, r))]})

    # A case filed on the 复查 row (逾期未改 -> 立案): 查处 in the 违法行为查处率, a penalty for rule 7.
    origin, refused, _ = year.scenarios["criminal_not_referred"]
    if refused.month in months:
        cur, _cum = year.reported[refused.unit, refused.month]
        entry("recheck-case-rate-1", "case_on_recheck_row", [origin, refused],
              f"违法行为查处率 {refused.unit} 2024-{refused.month:02d} 本月数 {cur['violation_handling_rate']:.2f} "
              f"(the hazard of {origin.date.isoformat()} punished on its 复查 row, {refused.case.number}), not 0.00",
              "metrics.escalation: a case on a later 复查 row credits the hazard it restates")
    origin, late, _ = year.scenarios["overdue_escalated"]
    entry("recheck-case-rule7-1", "case_on_recheck_row", [origin, late],
          f"audit rectification_instead_of_penalty 2024-{late.month:02d} {late.unit}: the 复查 row "
          f"{late.case.number if late.case else ''} is counted as a penalised inspection (details.recheck_cases)",
          "the inspection was in the month before; its hazard was punished at the 复查")
    # 同案不同罚: first-offence fines only; one row is no practice.
    closure = [r for r in year.scenarios["closure"] if r is not None and r.case and (r.suspend or r.closure)]
    entry("fines-escalated-not-compared", "escalated_fines_not_compared", closure,
          "audit fine_disparity must not name this unit for these fines: 停产停业整顿 / 提请关闭 rows are not "
          "first offences", "the closure story's 3 and 5 万 fines (after 1 万) for the same major hazard")
    repeat = [r for r in year.scenarios["repeat_heavier_a"] if r is not None and r.case]
    entry("fines-repeat-not-compared", "escalated_fines_not_compared", repeat[1:],
          "audit fine_disparity leaves the repeat out (12个月内再次违法, 从重): not a first offence",
          "the same violation again within 12 months, fined more (从重) as the plan asks")
    single = [p.rows[0] for p in year.planted if p.kind in ("fine_below_minimum", "fine_above_maximum") and p.rows]
    for n, r in enumerate(single, 1):
        entry(f"fines-single-row-{n}", "single_fine_not_judged", [r],
              "audit fine_disparity must not name the unit for this code: its only first-offence fine of the "
              "code (fine_disparity.min_unit_rows 2); fine_out_of_range judges the fine itself",
              "one fine is not a practice", value=f"{r.fine:g}")
    return out


def _story_defects(year, where, months) -> list[dict]:
    """Audit-level defects from the plan and the scripted scenarios (no intake rule)."""
    out = []
    plan_line = {(p["name"], p["method"]): n for n, p in enumerate(year.plan, 2)}
    for role, kind in (("key_never_inspected", "key_industry_never_inspected"),
                       ("plan_not_carried_out", "planned_inspection_not_done")):
        e = year.cast.roles[role]
        p = next(p for p in year.plan if p["name"] == e.name)
        if p["month"] not in months:
            continue
        out.append({"id": role.replace("_", "-"), "kind": kind, "rule": None, "unit": e.unit, "month": p["month"],
                    "value": e.name, "expected": f"{p['method']} in month {p['month']}", "note": e.key_industry or "",
                    "locations": [{"file": "registry/plan.csv", "row": plan_line[e.name, p["method"]]}]})
        if role == "key_never_inspected":  # the same plan row is also a planned inspection not done
            out.append({**out[-1], "id": "plan-not-carried-out-key", "kind": "planned_inspection_not_done"})
    for unit, n in LOW_RANDOM_SHARE.items():
        size = sum(1 for e in year.enterprises if e.unit == unit)
        out.append({"id": f"random-share-{unit}", "kind": "dual_random_below_5pct", "rule": None, "unit": unit,
                    "month": None, "value": f"{n}/{size}", "expected": ">= 5%", "note": "", "locations": []})
    stories = {
        "closure": ("closure_candidate", "重大事故隐患 penalised 3 times in 133 days; the third case asks for closure"),
        "criminal_referred": ("criminal_risk_referred", "V17 with 移送公安机关追究刑事责任1人 (correct)"),
        "criminal_not_referred": ("criminal_risk_not_referred",
                                  "V20 重大事故隐患, order refused, fined only: 以罚代刑"),
        "illegal_fireworks": ("criminal_risk_referred", "V28 illegal storage (unregistered), 取缔 and referred"),
        "repeat_heavier_a": ("repeat_offence_heavier", "V19 again within 12 months, fined 0.5 then 1.5 (从重)"),
        "repeat_heavier_b": ("repeat_offence_heavier", "V11 again within 12 months, no case then 2.0 (从重)"),
        "repeat_same_a": ("repeat_offence_not_heavier", "V01 again within 12 months, fined 0.5 both times: 未从重"),
        "repeat_same_b": ("repeat_offence_not_heavier", "V19 again within 12 months, no case either time: 未从重"),
        "overdue_escalated": ("overdue_rectification", "限2024年6月10日前整改, 复查 逾期未整改, then a case"),
        "overdue_ignored": ("overdue_rectification", "限5月10日前整改, 复查 逾期未整改, nothing further (open)"),
        "overdue_late_fix": ("overdue_rectification", "复查 逾期未整改, rectified at a second 复查"),
        "overdue_construction": ("overdue_rectification", "复查 逾期未整改, case and 停产停业整顿, then rectified"),
        "illegal_workshop": ("unregistered_enterprise", "打非治违: an unregistered workshop"),
    }
    for role, (kind, note) in stories.items():
        rows = [r for r in year.scenarios[role] if r is not None and r.month in months]
        if not rows:
            continue
        out.append({"id": f"story-{role.replace('_', '-')}", "kind": kind,
                    "rule": "enterprise_unregistered" if role in ("illegal_workshop", "illegal_fireworks") else None,
                    "unit": rows[0].unit, "month": rows[0].month, "value": rows[0].enterprise, "expected": None,
                    "note": note, "locations": [loc for r in rows if (loc := _loc(where, r))]})
    after = sorted((r for r in year.rows if r.month in months and r.accepted and _fine_band(r) is not None
                    and _fine_band(r)[1] and r.fine < _fine_band(r)[0].low), key=lambda r: (r.date, r.uid))
    if after:
        out.append({"id": "fines-after-deadline-1", "kind": "fine_below_after_deadline_minimum", "rule": None,
                    "unit": after[0].unit, "month": after[0].month, "value": f"{len(after)} rows",
                    "expected": "the 逾期未改正 / 拒不执行 range of the article", "finding": "fine_out_of_range",
                    "note": "a 复查 finds the hazard 逾期未整改 (or 停产停业整顿 is ordered) and the unit fines "
                            "within the first range, e.g. 1.2 万元 under 第九十七条 (逾期未改正: 10–20 万元)",
                    "locations": [loc for r in after if (loc := _loc(where, r, "罚款金额(万)"))]})
    inconsistent = _inconsistent_fines(year, months)
    if inconsistent:
        out.append({"id": "fines-inconsistent-1", "kind": "inconsistent_fines", "rule": None,
                    "unit": inconsistent["unit"], "month": None, "value": inconsistent["unit_mean"],
                    "expected": inconsistent["others_mean"],
                    "note": "同案不同罚: " + inconsistent["code"] + "; audit fine_disparity names the unit where it "
                            "has two first-offence fines of the code or more (2024Q2, 2024), not in a single month",
                    "locations": [loc for r in inconsistent["rows"] if (loc := _loc(where, r, "罚款金额(万)"))]})
    return out


def _inconsistent_fines(year, months) -> dict | None:
    code, unit = "V25", "锦里村"
    rows = [r for r in year.rows if r.case and r.case.code == code and r.month in months and r.fine is not None
            and r.fine_text is None]
    mine = [r for r in rows if r.unit == unit]
    others = [r.fine for r in rows if r.unit != unit]
    if not mine or not others:
        return None
    return {"code": code, "unit": unit, "unit_mean": round(mean(r.fine for r in mine), 4),
            "others_mean": round(mean(others), 4), "rows": mine}


# ---------------------------------------------------------------------------- findings
def _figure_differences(year, files, months) -> list[dict]:
    """Cells where the written 附件2 differs from the figures of the accepted 附件1 rows."""
    out = []
    sheet_of = {(f.unit, f.month): (f, s) for f in files for s in f.sheets if s.form == "figures"}
    tbd = {(r.unit, r.month) for r in year.rows if not r.accepted}
    for (unit, m), (rep_cur, rep_cum) in sorted(year.reported.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if m not in months or (unit, m) not in sheet_of:
            continue
        f, s = sheet_of[unit, m]
        com_cur, com_cum = year.computed[unit, m]
        rejected_before = any(u == unit and mm <= m for u, mm in tbd)
        for offset, (label, rep, com) in enumerate((("本月数", rep_cur, com_cur), ("累计数", rep_cum, com_cum))):
            for key, value in rep.items():
                if value != com[key]:
                    cause = ""
                    if rejected_before and (offset == 1 or (unit, m) in tbd):
                        cause = "rejected row (待定)"
                    out.append({"unit": unit, "month": m, "file": f.path, "sheet": s.sheet,
                                "row": s.first_data_row + offset, "kind": label, "column": _FIG_HEADER[key],
                                "key": key, "reported": value, "from_ledger": com[key], "cause": cause})
    # a planted edit that coincides with the 待定 effect is still planted
    return out


def _findings(year, files, written: list[Row], months, where) -> dict:
    accepted = [r for r in written if r.accepted]
    by_ent: dict[str, list[Row]] = defaultdict(list)
    for r in accepted:
        by_ent[r.enterprise].append(r)
    key_never = sorted(e.name for e in year.enterprises if e.is_key and e.name not in by_ent)
    plan_missed = [p for p in year.plan if p["month"] in months
                   and not any(r.month == p["month"] for r in by_ent.get(p["name"], []))]
    out_of_range = []
    for r in accepted:
        band = _fine_band(r)
        if band is not None and (r.fine < band[0].low or r.fine > band[0].high):
            out_of_range.append(_loc(where, r, "罚款金额(万)", code=r.case.code, fine=r.fine,
                                     range=[band[0].low, band[0].high], escalated=band[1]))
    numbers: dict[str, list[Row]] = defaultdict(list)
    for r in written:
        if r.case:
            numbers[r.case.number].append(r)
    duplicates = {n: [_loc(where, r, "立案案号") for r in rs] for n, rs in numbers.items() if len(rs) > 1}
    return {
        "key_industry_never_inspected": key_never,
        "plan_not_carried_out": [{"name": p["name"], "unit": p["unit"], "month": p["month"],
                                  "method": p["method"]} for p in plan_missed],
        "fines_out_of_range": out_of_range,
        "fines_without_case": [_loc(where, r, "立案案号", fine=r.fine) for r in accepted if r.fine and not r.case
                               and not is_summary_fine(r.fine, None, handling_text(r), r.basis, remarks_text(r))],
        "case_no_duplicates": duplicates,
        "repeat_offences": _repeats(by_ent, where),
        "closure_candidates": _closure(by_ent),
        "daily_penalties": [_loc(where, r, "罚款金额(万)", fine=r.fine, original=_loc(where, r.recheck_of),
                                 original_fine=r.recheck_of.fine)
                            for r in accepted if "daily_penalty" in r.tags and r.recheck_of is not None],
        "criminal_risk_cases": [_loc(where, r, "其他查处(或移送)情况", codes=sorted(
            {it.code for it in r.items if it.code in CRIMINAL_CODES}), referred=r.criminal > 0)
            for r in accepted if r.case and any(it.code in CRIMINAL_CODES for it in r.items)],
        "open_overdue_items_by_unit": _overdue(accepted, months),
        "dual_random_share": _random_share(year),
        "figures_differences": _figure_differences(year, files, months),
        "audit_expectations": _audit_expectations(year, by_ent, months, where),
    }


def _audit_expectations(year, by_ent: dict[str, list[Row]], months, where) -> list[dict]:
    """Findings of rules 3, 5 and 9 that a given audit must report ("finding") or must not
    ("none"), each with the enterprise and its rows: the plants of ``OVERDUE_PLANTS``, June's
    key-industry enterprises planned for later months (待检), the never-inspected key school
    (plan_not_executed once its month has passed, never also key_industry_uninspected), and
    the scripted overdue stories."""
    out = []

    def add(pid, rule, period, expect, unit, enterprise, note, rows=()):
        if int(period[5:]) > max(months):
            return
        out.append({"id": pid, "rule": rule, "period": period, "expect": expect, "unit": unit,
                    "enterprise": enterprise, "note": note,
                    "locations": [loc for r in rows if r.month in months and (loc := _loc(where, r))]})

    for p in year.planted:
        if p.id in OVERDUE_PLANTS:
            unit, what, period, rule, expect = OVERDUE_PLANTS[p.id]
            add(p.id, rule, period, expect, p.unit, p.value if p.id == "key-unplanned" else p.rows[0].enterprise,
                what, p.rows)
    if 6 in months:
        seen = {name for name, rows in by_ent.items() if any(r.month <= 6 for r in rows)}
        for e in year.enterprises:
            later = sorted(pl["month"] for pl in year.plan if pl["name"] == e.name and pl["month"] > 6)
            if e.is_key and e.name not in seen and later and not any(
                    pl["name"] == e.name and pl["month"] <= 6 for pl in year.plan):
                add(f"key-pending-{e.name}", "key_industry_uninspected", "2024-06", "none", e.unit, e.name,
                    f"待检: planned for month {later[0]}, not inspected by June")
    school = year.cast.roles["key_never_inspected"]
    planned = next(pl["month"] for pl in year.plan if pl["name"] == school.name)
    last = f"2024-{max(months):02d}"
    if max(months) >= planned:
        add("key-never-inspected-plan", "plan_not_executed", last, "finding", school.unit, school.name,
            f"planned for month {planned}, never inspected")
        add("key-never-inspected-not-twice", "key_industry_uninspected", last, "none", school.unit, school.name,
            "its passed plan month is plan_not_executed, not also key_industry_uninspected")
    for role, expect, note in (("overdue_escalated", "none", "复查 逾期未整改 with a case on the 复查 row"),
                               ("overdue_ignored", "finding", "复查 逾期未整改, nothing further")):
        rows = [r for r in year.scenarios[role] if r is not None]
        add(f"story-{role.replace('_', '-')}-june", "overdue_not_escalated", "2024-06", expect, rows[0].unit,
            rows[0].enterprise, note, rows)
    closure = [r for r in year.scenarios["closure"] if r is not None and r.date == dt.date(2024, 6, 13)]
    if closure:
        add("story-closure-june-row", "overdue_not_escalated", "2024-06", "none", closure[0].unit,
            closure[0].enterprise, "case with 责令停产停业整顿 and 从重处罚 on the row (deadline 06-28)", closure)
    return out


def _repeats(by_ent, where) -> list[dict]:
    """The same code found again for the same enterprise within 365 days (new hazards only)."""
    out = []
    for name, rows in sorted(by_ent.items()):
        seen: dict[str, Row] = {}
        for r in sorted(rows, key=lambda r: (r.date, r.uid)):
            for it in r.items:
                if it.origin is not None:
                    continue
                prev = seen.get(it.code)
                if prev is not None and (r.date - prev.date).days <= 365:
                    heavier = (r.fine or 0) > (prev.fine or 0) or (r.suspend and not prev.suspend)
                    out.append({"enterprise": name, "code": it.code, "first": _loc(where, prev),
                                "again": _loc(where, r), "heavier": heavier})
                seen[it.code] = r
    return out


def _fine_band(r: Row):
    """(the applicable range of the case's violation, escalated) for a case row with a fine, or None.

    Escalated (第九十七条 … 逾期未改正 / 第一百零二条 拒不执行): the fined item is 逾期未整改 on the row,
    or the row orders 停产停业整顿 where the article has it only as the escalation
    (``catalogue.Provision``). A 按日连续处罚 row is not range-bound (第一百一十二条)."""
    if not (r.case and r.fine is not None and r.fine_text is None) or "daily_penalty" in r.tags:
        return None
    prov = provision(r.case.code)
    if prov is None or prov.base is None:
        return None
    item = next((it for it in r.items if it.code == r.case.code), None)
    escalated = item is not None and (item.status == "overdue" or (
        r.suspend and prov.suspension_means_after and item.status != "rectified"))
    return prov.band(escalated), escalated


def _closure(by_ent) -> list[dict]:
    """Enterprises penalised for a major hazard 3 times in 180 days or 4 times in a year
    (第一百一十三条第（一）项), or found producing again after an order to 停产停业整顿 (第（四）项)."""
    out = []
    for name, rows in sorted(by_ent.items()):
        dates = sorted(r.date for r in rows if r.case and any(it.major for it in r.items))
        hit = any((dates[i + 2] - dates[i]).days <= 180 for i in range(len(dates) - 2)) or \
            any((dates[i + 3] - dates[i]).days <= 365 for i in range(len(dates) - 3))
        if hit:
            out.append({"enterprise": name, "dates": [d.isoformat() for d in dates], "item": "一"})
        refused = [r for r in rows if "suspension_refused" in r.tags and any(
            o.suspend and o.date <= r.date for o in rows)]
        if refused:
            out.append({"enterprise": name, "dates": [r.date.isoformat() for r in refused], "item": "四"})
    return out


def _overdue(accepted: list[Row], months) -> dict:
    """Open items whose deadline passed by the end of the last written month, per unit."""
    end = min(LAST_DAY, dt.date(2024, max(months) + 1, 1) - dt.timedelta(1)) if max(months) < 12 else LAST_DAY
    counts: dict[str, int] = defaultdict(int)
    for r in accepted:
        for it in r.items:
            if it.origin is not None or it.status == "rectified":
                continue
            closed = it.closed_by is not None and it.closed_by.accepted and it.closed_by.month in months
            deadline = it.deadline or (r.date + dt.timedelta(30))
            if not closed and deadline < end:
                counts[r.unit] += 1
    return dict(sorted(counts.items()))


def _random_share(year) -> dict:
    out = {}
    for unit in year.units:
        size = sum(1 for e in year.enterprises if e.unit == unit.name)
        n = sum(1 for p in year.plan if p["unit"] == unit.name and p["method"] == "双随机")
        out[unit.name] = {"planned": n, "supervised": size, "share_pct": round(100 * n / size, 2)}
    return out


def _units(year, written: list[Row]) -> list[dict]:
    out = []
    for unit in year.units:
        mine = [r for r in written if r.unit == unit.name]
        ents = [e for e in year.enterprises if e.unit == unit.name]
        inspected = {r.enterprise for r in mine if r.registered}
        new = [it for r in mine for it in r.items if it.origin is None]
        fixed = [it for it in new if it.status == "rectified" or it.closed_by is not None]
        cases = [r for r in mine if r.case]
        out.append({
            "unit": unit.name, "kind": unit.kind, "tier": unit.profile.tier, "case_prefix": unit.case_prefix,
            "supervised": len(ents), "key_enterprises": sum(1 for e in ents if e.is_key),
            "ledger_rows": len(mine), "rechecks": sum(1 for r in mine if r.is_recheck),
            "coverage_pct": round(100 * len(inspected) / len(ents), 1) if ents else None,
            "hazards": len(new), "rectified_pct": round(100 * len(fixed) / len(new), 1) if new else None,
            "cases": len(cases), "fines_wan": round(sum(r.fine or 0 for r in mine if r.fine_text is None), 4),
            "style": {"files": 2 if unit.style.two_files else 1, "header": unit.style.header,
                      "dates": unit.style.dates, "items": unit.style.items},
        })
    return out

