"""Small hand-built Datasets for the audit, scoring and typical-case tests.

``build(rows, ...)`` turns literal ledger rows into a ``Dataset`` with the exact columns
of ``evalkit.core.dataset``. Items follow the docs/design.md conventions in a simplified form:
status from a short vocabulary, deadline = a date given in ``deadlines`` (deadline_basis
"written") else inspection + 30 days ("assumed"), and 复查 rows (备注 contains 复查) link each item to the earliest
earlier open item of the same enterprise with the same text (closing it if rectified).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES
from evalkit.core.problems import PROBLEM_COLUMNS

YEAR = 2024
TWO = ["张三", "李四"]


LEDGER_COLUMNS = ["row_id", "file", "sheet", "row", "unit", "year", "month", "period", "seq", "enterprise",
                  "enterprise_name", "registered", "inspection_date", "inspectors", "inspector_count", "hazards",
                  "rectifications", "case_no", "fine_wan", "legal_basis", "other_handling", "remarks", "is_recheck",
                  "unreadable"]


def row(unit, month, enterprise, date, hazards=(), rects=(), *, case_no=None, fine=None, basis=None,
        other=None, remarks=None, inspectors=TWO, deadlines=None, year=YEAR, unreadable=None) -> dict:
    """One ledger row spec (dates as 'YYYY-MM-DD'; deadlines: list aligned with hazards;
    unreadable="fine_wan": a fine intake could not read, give no ``fine``)."""
    return dict(unit=unit, month=month, enterprise=enterprise, date=date, hazards=list(hazards),
                rects=list(rects), case_no=case_no, fine=fine, basis=basis, other=other, remarks=remarks,
                inspectors=list(inspectors), deadlines=deadlines, year=year, unreadable=unreadable)


def status_of(text: str | None) -> str | None:
    if not text:
        return None
    if any(w in text for w in ("逾期未整改", "拒不整改", "拒不执行")):
        return "overdue"
    if any(w in text for w in ("未整改", "限期整改", "整改中")):
        return "pending"
    if any(w in text for w in ("已整改", "整改完毕", "当场整改", "立行立改", "已完成整改")):
        return "rectified"
    return None


def build(rows: list[dict], *, enterprises: list[dict] | None = None, units: list[dict] | None = None,
          plan: list[dict] | None = None, figures: list[dict] | None = None,
          problems: list[dict] | None = None, submissions: list[dict] | None = None) -> Dataset:
    """A Dataset from row specs (see ``row``) and optional registry/figure/problem records."""
    ledger_recs, item_recs = [], []
    counters: dict[tuple, int] = {}
    for spec in rows:
        key = (spec["unit"], spec["year"], spec["month"])
        counters[key] = counters.get(key, 4) + 1
        file = f"submissions/{spec['unit']}_{spec['year']}{spec['month']:02d}.xlsx"
        rid = f"{file}#附件1#{counters[key]}"
        date = pd.Timestamp(spec["date"])
        is_recheck = "复查" in (spec["remarks"] or "")
        period = f"{spec['year']}-{spec['month']:02d}"
        ledger_recs.append({
            "row_id": rid, "file": file, "sheet": "附件1", "row": counters[key], "unit": spec["unit"],
            "year": spec["year"], "month": spec["month"], "period": period, "seq": counters[key] - 4,
            "enterprise": spec["enterprise"], "enterprise_name": spec["enterprise"], "registered": True,
            "inspection_date": date, "inspectors": spec["inspectors"],
            "inspector_count": len(spec["inspectors"]), "hazards": spec["hazards"],
            "rectifications": spec["rects"], "case_no": spec["case_no"],
            "fine_wan": float("nan") if spec["fine"] is None else float(spec["fine"]),
            "legal_basis": spec["basis"], "other_handling": spec["other"], "remarks": spec["remarks"],
            "is_recheck": is_recheck, "unreadable": spec["unreadable"],
        })
        for i, hazard in enumerate(spec["hazards"]):
            rect = spec["rects"][i] if i < len(spec["rects"]) else None
            dl = (spec["deadlines"] or [None] * len(spec["hazards"]))[i]
            item_recs.append({
                "row_id": rid, "item_no": i + 1, "hazard": hazard, "rectification": rect,
                "unit": spec["unit"], "period": period, "enterprise_name": spec["enterprise"],
                "inspection_date": date, "case_no": spec["case_no"], "is_recheck": is_recheck,
                "status": status_of(rect),
                "deadline": pd.Timestamp(dl) if dl else date + pd.Timedelta(days=30),
                "counts_as_hazard": True, "closed_by": None, "closed_date": pd.NaT, "rectified": False,
                "deadline_basis": "written" if dl else "assumed",
            })
    items = pd.DataFrame(item_recs, columns=[
        "row_id", "item_no", "hazard", "rectification", "unit", "period", "enterprise_name",
        "inspection_date", "case_no", "is_recheck", "status", "deadline", "counts_as_hazard",
        "closed_by", "closed_date", "rectified", "deadline_basis"])
    _link_rechecks(items)
    items["rectified"] = items["status"].eq("rectified") | items["closed_by"].notna()
    ledger = pd.DataFrame(ledger_recs, columns=LEDGER_COLUMNS)
    if enterprises is None:
        first = {}
        for spec in rows:
            first.setdefault(spec["enterprise"], spec["unit"])
        enterprises = [{"name": n, "unit": u} for n, u in first.items()]
    ent = pd.DataFrame([{"name": e["name"], "credit_code": None, "industry": e.get("industry", "制造业"),
                         "unit": e["unit"], "key_industry": e.get("key_industry"),
                         "risk_level": e.get("risk_level", "一般")} for e in enterprises])
    if units is None:
        names = sorted(set(ent["unit"]) | {s["unit"] for s in rows})
        units = [{"unit": u, "supervised_total": int((ent["unit"] == u).sum())} for u in names]
    unit_df = pd.DataFrame([{"unit": u["unit"], "kind": "村" if u["unit"].endswith("村") else "部门",
                             "supervised_total": int(u["supervised_total"])} for u in units])
    plan_df = pd.DataFrame(plan or [], columns=["name", "unit", "month", "method"])
    fig_df = _figures(figures or [])
    probs = pd.DataFrame(problems or [], columns=PROBLEM_COLUMNS)
    subs = pd.DataFrame(submissions or [], columns=[
        "file", "sheet", "form", "unit", "year", "month", "period", "filled_date", "received", "late",
        "rows_read", "rows_accepted", "rows_rejected"])
    return Dataset(Path("."), ent, unit_df, plan_df, subs, pd.DataFrame(), ledger, items, fig_df,
                   pd.DataFrame(), probs)


def _link_rechecks(items: pd.DataFrame) -> None:
    order = items.sort_values(["inspection_date", "row_id", "item_no"]).index
    for i in order:
        if not items.at[i, "is_recheck"]:
            continue
        cand = items[(items["enterprise_name"] == items.at[i, "enterprise_name"])
                     & (items["hazard"] == items.at[i, "hazard"])
                     & (items["inspection_date"] < items.at[i, "inspection_date"])
                     & items["counts_as_hazard"] & items["closed_by"].isna()
                     & ~items["status"].eq("rectified")]
        if cand.empty:
            continue
        orig = cand.sort_values(["inspection_date", "row_id"]).index[0]
        items.at[i, "counts_as_hazard"] = False
        if items.at[i, "status"] == "rectified":
            items.at[orig, "closed_by"] = items.at[i, "row_id"]
            items.at[orig, "closed_date"] = items.at[i, "inspection_date"]


def figure(unit, month, kind, *, row=6, year=YEAR, **values) -> dict:
    """One 附件2 row (kind 本月数/累计数); unlisted columns blank (NaN)."""
    return dict(unit=unit, month=month, kind=kind, row=row, year=year, values=values)


def _figures(specs: list[dict]) -> pd.DataFrame:
    keys = [c.key for c in FIGURES.columns if c.key != "label"]
    recs = []
    for s in specs:
        rec = {"file": f"submissions/{s['unit']}_{s['year']}{s['month']:02d}.xlsx", "sheet": "附件2",
               "row": s["row"], "unit": s["unit"], "year": s["year"], "month": s["month"],
               "period": f"{s['year']}-{s['month']:02d}", "kind": s["kind"]}
        rec.update({k: float(s["values"][k]) if k in s["values"] and s["values"][k] is not None
                    else float("nan") for k in keys})
        recs.append(rec)
    return pd.DataFrame(recs, columns=["file", "sheet", "row", "unit", "year", "month", "period", "kind", *keys])
