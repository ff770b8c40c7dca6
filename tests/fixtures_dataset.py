"""Build a small ``Dataset`` from literal rows, without workbooks or intake.

For tests of code downstream of intake (metrics, audit, scoring, …)::

    ds = make_dataset(
        registry=[("甲厂", "石壁村"), ("乙厂", "锦里村")],
        rows=[inspection("石壁村", "甲厂", "2024-05-06", ["疏散通道堵塞"], ["已整改"]),
              inspection("锦里村", "乙厂", "2024-05-08", case_no="狮蚶立〔2024〕1号", fine=0.5,
                         other="责令停产整顿")],
        figures=[figures_row("石壁村", "2024-05", "本月数", inspected=1, supervised_total=1)],
    )

What the helper fills in the way intake would (docs/design.md conventions, simplified):
* ``period`` = the inspection date's month unless ``period=`` is given (the form's 月份);
* ``enterprise_name`` = the written name; ``registered`` = the name is in the registry;
* one item per hazard, paired with the rectification of the same position; ``status``
  from a small vocabulary; ``deadline`` = a 限…前 date is NOT parsed, always date + 30 days
  (``deadline_basis`` "assumed"; override both with ``items_override`` for a written one);
* a row is a 复查 when its 备注 contains "复查"; its items link to the earliest earlier
  still-open item of the same enterprise with the same text (``counts_as_hazard`` False),
  and a linked item saying rectified closes the original (``closed_by``/``closed_date``).
Pass ``items_override={(row_index, item_no): {...}}`` to set item fields by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES
from evalkit.core.problems import PROBLEM_COLUMNS

_RECTIFIED = ("已整改", "已完成整改", "整改完毕", "整改完成", "已改正", "已落实整改", "当场整改", "立行立改")
_OVERDUE = ("逾期未整改", "拒不整改", "拒不执行")
_PENDING = ("限期整改", "责令限期整改", "整改中", "未整改")


def rectification_status(text: str | None) -> str | None:
    """A simplified reading of the docs/design.md vocabulary (negations first)."""
    if not text:
        return None
    if any(w in text for w in _OVERDUE):
        return "overdue"
    if "未整改" in text or "整改中" in text:
        return "pending"
    if any(w in text for w in _RECTIFIED):
        return "rectified"
    if any(w in text for w in _PENDING) or ("限" in text and "前" in text):
        return "pending"
    return None


def inspection(unit: str, enterprise: str, date: str, hazards=(), rectifications=(), *,
               case_no: str | None = None, fine: float | None = None, other: str | None = None,
               remarks: str | None = None, period: str | None = None,
               inspectors=("张三", "李四"), legal_basis: str | None = None, unreadable: str | None = None) -> dict:
    """One 附件1 row as a dict (``date`` "YYYY-MM-DD"; ``period`` "YYYY-MM" defaults to its month;
    ``unreadable="fine_wan"`` for a fine intake could not read: pass no ``fine``)."""
    return {
        "unit": unit, "enterprise": enterprise, "inspection_date": pd.Timestamp(date),
        "hazards": list(hazards), "rectifications": list(rectifications), "case_no": case_no,
        "fine_wan": np.nan if fine is None else float(fine), "other_handling": other,
        "remarks": remarks, "period": period or date[:7], "inspectors": list(inspectors),
        "legal_basis": legal_basis, "unreadable": unreadable,
    }


def figures_row(unit: str, period: str, kind: str, **values) -> dict:
    """One 附件2 row: ``kind`` 本月数|累计数; ``values`` by ``forms.FIGURES`` key, others NaN."""
    unknown = set(values) - set(FIGURES.keys)
    if unknown:
        raise KeyError(f"not FIGURES keys: {sorted(unknown)}")
    return {"unit": unit, "period": period, "kind": kind, **values}


def make_dataset(registry, rows=(), *, units=None, figures=(), items_override=None,
                 data_dir: str | Path = "tests/fixture-data", parents=None) -> Dataset:
    """A Dataset with every contract column, built from literal rows.

    registry  (name, unit) tuples or dicts with the enterprises columns
    rows      ``inspection(...)`` dicts
    units     unit names in order; default: registry units then row units, first seen
    figures   ``figures_row(...)`` dicts
    parents   unit -> 上级单位 (a city tree); 类型 from the name's ending (市, 镇, 街道, 村, else 部门)
    """
    enterprises = _enterprises(registry)
    if units is None:
        units = list(dict.fromkeys([*enterprises["unit"], *(r["unit"] for r in rows),
                                    *(f["unit"] for f in figures)]))
    unit_frame = pd.DataFrame({
        "unit": units,
        "kind": [_kind(u) if parents else ("村" if u.endswith("村") else "部门") for u in units],
        "supervised_total": [int((enterprises["unit"] == u).sum()) for u in units],
        "parent": pd.Series([(parents or {}).get(u) for u in units], dtype=object),
    })
    ledger = _ledger(list(rows), set(enterprises["name"]))
    items = _items(ledger, items_override or {})
    figs = _figures(list(figures))
    files = sorted(set(ledger["file"]) | set(figs["file"]))
    submissions = pd.DataFrame(
        [{"file": f, "sheet": "附件1" if "附件1" in f else "附件2", "form": "ledger" if "附件1" in f else "figures",
          "unit": f.split("/")[1].split("_")[0], "year": int(f.split("_")[1][:4]),
          "month": int(f.split("_")[1][5:7]), "period": f.split("_")[1][:7], "filled_date": None,
          "received": None, "late": False, "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0}
         for f in files],
        columns=["file", "sheet", "form", "unit", "year", "month", "period", "filled_date", "received",
                 "late", "rows_read", "rows_accepted", "rows_rejected"])
    per_file = pd.concat([ledger["file"], figs["file"]]).value_counts()
    files_frame = pd.DataFrame({"file": files, "rows_read": [int(per_file.get(f, 0)) for f in files],
                                "rows_accepted": [int(per_file.get(f, 0)) for f in files],
                                "rows_rejected": [0] * len(files)})
    return Dataset(
        data_dir=Path(data_dir), enterprises=enterprises, units=unit_frame,
        plan=pd.DataFrame(columns=["name", "unit", "month", "method"]),
        submissions=submissions, files=files_frame, ledger=ledger, items=items, figures=figs,
        rejected=pd.DataFrame(columns=["file", "sheet", "row", "form", "reason", "values"]),
        problems=pd.DataFrame(columns=PROBLEM_COLUMNS), meta={"fixture": True},
    )


def _kind(unit: str) -> str:
    return next((k for k in ("市", "街道", "镇", "村") if unit.endswith(k)), "部门")


def _enterprises(registry) -> pd.DataFrame:
    rows = []
    for entry in registry:
        if isinstance(entry, dict):
            rows.append({"credit_code": None, "industry": "制造业", "key_industry": None,
                         "risk_level": "一般", **entry})
        else:
            name, unit = entry
            rows.append({"name": name, "credit_code": None, "industry": "制造业", "unit": unit,
                         "key_industry": None, "risk_level": "一般"})
    return pd.DataFrame(rows, columns=["name", "credit_code", "industry", "unit", "key_industry", "risk_level"])


_LEDGER_COLUMNS = ["row_id", "file", "sheet", "row", "unit", "year", "month", "period", "seq", "enterprise",
                   "enterprise_name", "registered", "inspection_date", "inspectors", "inspector_count",
                   "hazards", "rectifications", "case_no", "fine_wan", "legal_basis", "other_handling",
                   "remarks", "is_recheck", "unreadable"]


def _ledger(rows: list[dict], registered: set[str]) -> pd.DataFrame:
    out, seq_by_file = [], {}
    for r in rows:
        file = f"submissions/{r['unit']}_{r['period']}_附件1.xlsx"
        seq = seq_by_file[file] = seq_by_file.get(file, 0) + 1
        out.append({
            **r, "row_id": f"{file}#附件1#{4 + seq}", "file": file, "sheet": "附件1", "row": 4 + seq,
            "year": int(r["period"][:4]), "month": int(r["period"][5:7]), "seq": seq,
            "enterprise_name": r["enterprise"], "registered": r["enterprise"] in registered,
            "inspector_count": len(r["inspectors"]),
            "is_recheck": "复查" in (r["remarks"] or ""),
        })
    frame = pd.DataFrame(out, columns=_LEDGER_COLUMNS)
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["fine_wan"] = frame["fine_wan"].astype(float)
    frame["registered"] = frame["registered"].astype(bool)
    frame["is_recheck"] = frame["is_recheck"].astype(bool)
    return frame


_ITEM_COLUMNS = ["row_id", "item_no", "hazard", "rectification", "unit", "period", "enterprise_name",
                 "inspection_date", "case_no", "is_recheck", "status", "deadline", "counts_as_hazard",
                 "closed_by", "closed_date", "rectified", "deadline_basis"]


def _items(ledger: pd.DataFrame, override: dict) -> pd.DataFrame:
    items = []
    order = ledger.assign(_pos=range(len(ledger))).sort_values(["inspection_date", "_pos"], kind="stable")
    for pos, r in zip(order["_pos"], order.to_dict("records"), strict=True):
        for k, hazard in enumerate(r["hazards"], start=1):
            rect = r["rectifications"][k - 1] if k - 1 < len(r["rectifications"]) else None
            item = {"row_id": r["row_id"], "item_no": k, "hazard": hazard, "rectification": rect,
                    "unit": r["unit"], "period": r["period"], "enterprise_name": r["enterprise_name"],
                    "inspection_date": r["inspection_date"], "case_no": r["case_no"],
                    "is_recheck": r["is_recheck"], "status": rectification_status(rect),
                    "deadline": r["inspection_date"] + dt.timedelta(days=30), "counts_as_hazard": True,
                    "closed_by": None, "closed_date": pd.NaT, "deadline_basis": "assumed", "_pos": pos}
            if r["is_recheck"]:
                _link(item, items)
            item.update(override.get((pos, k), {}))
            items.append(item)
    for item in items:
        item["rectified"] = item["status"] == "rectified" or item["closed_by"] is not None
    frame = pd.DataFrame(items, columns=[*_ITEM_COLUMNS, "_pos"])
    frame = frame.sort_values(["_pos", "item_no"], kind="stable").drop(columns="_pos").reset_index(drop=True)
    for col in ("inspection_date", "deadline", "closed_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["counts_as_hazard"] = frame["counts_as_hazard"].astype(bool)
    frame["is_recheck"] = frame["is_recheck"].astype(bool)
    frame["rectified"] = frame["rectified"].astype(bool)
    return frame


def _link(item: dict, earlier: list[dict]) -> None:
    """Link a 复查 item to the earliest earlier open item of the same enterprise and text."""
    for prev in earlier:
        if (prev["enterprise_name"] == item["enterprise_name"] and prev["hazard"].strip() == item["hazard"].strip()
                and prev["inspection_date"] < item["inspection_date"] and prev["counts_as_hazard"]
                and prev["status"] != "rectified" and prev["closed_by"] is None):
            item["counts_as_hazard"] = False
            if item["status"] == "rectified":
                prev["closed_by"], prev["closed_date"] = item["row_id"], item["inspection_date"]
            return


def _figures(rows: list[dict]) -> pd.DataFrame:
    out = []
    for k, r in enumerate(rows):
        file = f"submissions/{r['unit']}_{r['period']}_附件2.xlsx"
        out.append({"file": file, "sheet": "附件2", "row": 6 + k % 2, "unit": r["unit"],
                    "year": int(r["period"][:4]), "month": int(r["period"][5:7]), "period": r["period"],
                    "kind": r["kind"], **{key: float(r.get(key, np.nan)) for key in FIGURES.keys if key != "label"}})
    cols = ["file", "sheet", "row", "unit", "year", "month", "period", "kind",
            *[k for k in FIGURES.keys if k != "label"]]
    return pd.DataFrame(out, columns=cols)
