"""A small hand-made Dataset for the export, template and disclosure tests.

Two units, five enterprises, five ledger rows (one in May, four in June 2024), and
石壁村's own 附件2 for June. Expected metrics are worked out by hand in the tests.

石壁村 (村, 3 enterprises): 石壁五金厂, HOSTILE (a formula-looking name), 锦江服装有限公司
综合执法队 (部门, 2 enterprises): 蚶江渔具店, 石湖物流公司

r1 2024-05-10 石壁村  石壁五金厂  1 hazard (已整改)
r2 2024-06-03 石壁村  石壁五金厂  2 hazards (限期整改, 已整改), case 1号, fine 0.5, 纳入黑名单
r3 2024-06-12 石壁村  HOSTILE     no hazard, 备注 formula-looking
r4 2024-06-20 综合执法队 蚶江渔具店 1 hazard (未整改), case 2号, no fine, 停产停业整顿；联合惩戒
r5 2024-06-25 石壁村  锦江服装    1 hazard (限期整改), no case
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES
from evalkit.intake.cells import rectification_status
from evalkit.intake.records import ITEM_COLUMNS, LEDGER_COLUMNS

HOSTILE = '=HYPERLINK("http://x","y")'
HOSTILE_REMARK = "=cmd|' /C calc'!A0"
UNITS = ("石壁村", "综合执法队")

ENTERPRISES = [
    # name, credit_code, industry, unit, key_industry, risk_level
    ("石壁五金厂", "91350581MA0000001A", "五金加工", "石壁村", None, "一般"),
    (HOSTILE, None, "服装", "石壁村", None, "一般"),
    ("锦江服装有限公司", "91350581MA0000002B", "服装", "石壁村", None, "较大"),
    ("蚶江渔具店", "92350581MA0000003C", "商贸", "综合执法队", None, "一般"),
    ("石湖物流公司", None, "物流", "综合执法队", "两客一危", "较大"),
]

LEDGER_ROWS = [
    dict(unit="石壁村", period="2024-05", enterprise="石壁五金厂", date="2024-05-10",
         inspectors=["张三", "李四"], hazards=["未按规定配备灭火器"], rectifications=["已整改"]),
    dict(unit="石壁村", period="2024-06", enterprise="石壁五金厂", date="2024-06-03",
         inspectors=["张三", "李四"], hazards=["特种作业人员无证上岗", "安全出口堵塞"],
         rectifications=["限期整改", "已整改"], case_no="狮蚶应急罚〔2024〕1号", fine_wan=0.5,
         legal_basis="《中华人民共和国安全生产法》第九十七条", other_handling="纳入黑名单",
         remarks="负责人王五电话13912345678"),
    dict(unit="石壁村", period="2024-06", enterprise=HOSTILE, date="2024-06-12",
         inspectors=["张三", "李四"], hazards=[], rectifications=[], remarks=HOSTILE_REMARK),
    dict(unit="综合执法队", period="2024-06", enterprise="蚶江渔具店", date="2024-06-20",
         inspectors=["赵六", "钱七"], hazards=["违规储存危险物品"], rectifications=["未整改"],
         case_no="狮蚶综执罚〔2024〕2号", legal_basis="《中华人民共和国消防法》第六十条",
         other_handling="责令停产停业整顿；联合惩戒"),
    dict(unit="石壁村", period="2024-06", enterprise="锦江服装有限公司", date="2024-06-25",
         inspectors=["张三", "李四"], hazards=["消防通道堵塞"], rectifications=["限期整改(限7月10日前)"]),
]

#: 石壁村's own 附件2 for June: 本月数 says 5 hazards (ledger: 3); 累计数 says 0.6 万元 (ledger: 0.5).
REPORTED = {
    "本月数": dict(supervised_total=3, inspected=3, coverage_rate=100, hazards_found=5, hazards_rectified=1,
                 cases_filed=1, case_ratio=33.33, violation_handling_rate=66.67, suspended=0, fines_wan=0.5,
                 closure_requested=0, licenses_suspended=0, blacklisted=1, joint_punishment=0,
                 criminal_referrals=0, referred_other=0, reports_verified=0),
    "累计数": dict(supervised_total=3, inspected=3, coverage_rate=100, hazards_found=4, hazards_rectified=2,
                 cases_filed=1, case_ratio=33.33, violation_handling_rate=50, suspended=0, fines_wan=0.6,
                 closure_requested=0, licenses_suspended=0, blacklisted=1, joint_punishment=0,
                 criminal_referrals=0, referred_other=0, reports_verified=0),
}


def _ledger_frame(rows) -> pd.DataFrame:
    records = []
    for n, r in enumerate(rows, 1):
        year, month = (int(x) for x in r["period"].split("-"))
        records.append({
            "row_id": f"{r['unit']}.xlsx#统计表一#{4 + n}", "file": f"{r['unit']}.xlsx", "sheet": "统计表一",
            "row": 4 + n, "unit": r["unit"], "year": year, "month": month, "period": r["period"],
            "seq": n, "enterprise": r["enterprise"], "enterprise_name": r["enterprise"], "registered": True,
            "inspection_date": pd.Timestamp(r["date"]), "inspectors": list(r["inspectors"]),
            "inspector_count": len(r["inspectors"]), "hazards": list(r["hazards"]),
            "rectifications": list(r["rectifications"]), "case_no": r.get("case_no"),
            "fine_wan": r.get("fine_wan", np.nan), "legal_basis": r.get("legal_basis"),
            "other_handling": r.get("other_handling"), "remarks": r.get("remarks"), "is_recheck": False,
        })
    return pd.DataFrame(records, columns=LEDGER_COLUMNS)


def _items_frame(ledger: pd.DataFrame) -> pd.DataFrame:
    records = []
    for _, row in ledger.iterrows():
        for i, hazard in enumerate(row["hazards"], 1):
            rect = row["rectifications"][i - 1] if i <= len(row["rectifications"]) else None
            status = rectification_status(rect)
            records.append({
                "row_id": row["row_id"], "item_no": i, "hazard": hazard, "rectification": rect,
                "unit": row["unit"], "period": row["period"], "enterprise_name": row["enterprise_name"],
                "inspection_date": row["inspection_date"], "case_no": row["case_no"], "is_recheck": False,
                "status": status, "deadline": row["inspection_date"] + pd.Timedelta(days=30),
                "counts_as_hazard": True, "closed_by": None, "closed_date": pd.NaT,
                "rectified": status == "rectified",
            })
    return pd.DataFrame(records, columns=ITEM_COLUMNS)


def _figures_frame(unit: str, period: str, reported: dict) -> pd.DataFrame:
    year, month = (int(x) for x in period.split("-"))
    records = []
    for n, (kind, values) in enumerate(reported.items()):
        rec = {"file": f"{unit}.xlsx", "sheet": "统计表二", "row": 6 + n, "unit": unit, "year": year,
               "month": month, "period": period, "kind": kind}
        rec.update({k: float(values[k]) for k in FIGURES.keys[1:]})
        records.append(rec)
    return pd.DataFrame(records)


def make_dataset(ledger_rows=None, enterprises=None, reported=True) -> Dataset:
    """The fixture Dataset; pass ``ledger_rows``/``enterprises`` to vary it."""
    ent = pd.DataFrame(enterprises or ENTERPRISES,
                       columns=["name", "credit_code", "industry", "unit", "key_industry", "risk_level"])
    units = pd.DataFrame({"unit": list(UNITS), "kind": ["村", "部门"],
                          "supervised_total": [int((ent["unit"] == u).sum()) for u in UNITS]})
    ledger = _ledger_frame(LEDGER_ROWS if ledger_rows is None else ledger_rows)
    figures = _figures_frame("石壁村", "2024-06", REPORTED) if reported else pd.DataFrame(
        columns=["file", "sheet", "row", "unit", "year", "month", "period", "kind", *FIGURES.keys[1:]])
    return Dataset(
        data_dir=Path("."), enterprises=ent, units=units,
        plan=pd.DataFrame(columns=["name", "unit", "month", "method"]),
        submissions=pd.DataFrame(columns=["file", "sheet", "form", "unit", "year", "month", "period"]),
        files=pd.DataFrame(columns=["file", "rows_read", "rows_accepted", "rows_rejected"]),
        ledger=ledger, items=_items_frame(ledger), figures=figures,
        rejected=pd.DataFrame(columns=["file", "sheet", "row", "form", "reason", "values"]),
        problems=pd.DataFrame(columns=["file", "sheet", "row", "column", "rule", "severity", "message", "value"]),
    )


FILLED = dt.date(2024, 7, 5)


def write_data_dir(root: Path) -> Path:
    """The same data as ``make_dataset()`` as a data folder: registry CSVs and the units'
    workbooks in the official layout (石壁村 May and June, 综合执法队 June)."""
    from evalkit.core.form_writer import write_submission

    (root / "registry").mkdir(parents=True)
    (root / "submissions").mkdir()
    reg = pd.DataFrame([(n, c or "", i, u, k or "否", r) for n, c, i, u, k, r in ENTERPRISES],
                       columns=["企业名称", "统一社会信用代码", "行业", "监管单位", "重点行业", "风险等级"])
    reg.to_csv(root / "registry" / "enterprises.csv", index=False, encoding="utf-8")
    pd.DataFrame({"单位": list(UNITS), "类型": ["村", "部门"]}).to_csv(
        root / "registry" / "units.csv", index=False, encoding="utf-8")
    for unit, period in (("石壁村", "2024-05"), ("石壁村", "2024-06"), ("综合执法队", "2024-06")):
        rows = [{"enterprise": r["enterprise"], "inspection_date": dt.date.fromisoformat(r["date"]),
                 "inspectors": r["inspectors"], "hazards": r["hazards"] or None,
                 "rectifications": r["rectifications"] or None,
                 **{k: r[k] for k in ("case_no", "fine_wan", "legal_basis", "other_handling", "remarks") if k in r}}
                for r in LEDGER_ROWS if r["unit"] == unit and r["period"] == period]
        figures = REPORTED if (unit, period) == ("石壁村", "2024-06") else None
        write_submission(root / "submissions" / f"{unit}_{period}.xlsx", unit=unit, year=2024,
                         month=int(period[-2:]), ledger_rows=rows,
                         month_values=figures and figures["本月数"], cumulative_values=figures and figures["累计数"])
    return root
