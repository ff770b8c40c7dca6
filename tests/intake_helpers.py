"""Tiny builders for intake tests: a registry and workbooks written in tmp_path.

Each test shows its own input; these helpers only remove the boilerplate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from evalkit.core.form_writer import write_submission

#: (企业名称, 行业, 监管单位, 重点行业, 风险等级)
ENTERPRISES = [
    ("石狮市宏达五金厂", "五金", "石壁村", "否", "一般"),
    ("蚶江锦里制衣有限公司", "制衣", "石壁村", "否", "较高"),
    ("蚶江石湖港务有限公司", "港口物流", "综合执法队", "危化品", "高"),
    ("蚶江渔业合作社", "渔业", "综合执法队", "渔业船舶", "一般"),
]
UNITS = [("石壁村", "村"), ("综合执法队", "部门")]


def make_data_dir(root: Path, enterprises=ENTERPRISES, units=UNITS, received=None) -> Path:
    """A data folder with registry/ (enterprises, units, optional received) and an empty submissions/."""
    reg = root / "registry"
    reg.mkdir(parents=True)
    (root / "submissions").mkdir()
    lines = ["企业名称,行业,监管单位,重点行业,风险等级"] + [",".join(e) for e in enterprises]
    (reg / "enterprises.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if units is not None:
        (reg / "units.csv").write_text("单位,类型\n" + "".join(f"{u},{k}\n" for u, k in units), encoding="utf-8")
    if received:
        (reg / "received.csv").write_text("文件,收到日期\n" + "".join(f"{f},{d}\n" for f, d in received.items()),
                                          encoding="utf-8")
    return root


def inspection(enterprise="石狮市宏达五金厂", date=dt.date(2024, 5, 6), inspectors=("张三", "李四"),
               hazards=("消防通道堵塞",), rectifications=("已整改",), **extra) -> dict:
    """One 附件1 record as layout.write_ledger_sheet takes it."""
    return {"enterprise": enterprise, "inspection_date": date, "inspectors": list(inspectors),
            "hazards": list(hazards) if hazards is not None else None,
            "rectifications": list(rectifications) if rectifications is not None else None, **extra}


def ledger_file(data_dir: Path, name: str, rows, unit="石壁村", month=5, year=2024, **kw) -> Path:
    """submissions/<name> holding one 附件1 sheet (official layout: header on row 4, data from row 5)."""
    path = data_dir / "submissions" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_submission(path, unit=unit, year=year, month=month, ledger_rows=rows, **kw)
    return path


def grid_file(data_dir: Path, name: str, sheets: dict[str, list[list]],
              merges: dict[str, list[str]] | None = None) -> Path:
    """submissions/<name> with each sheet's cells written row by row from (1, 1)."""
    path = data_dir / "submissions" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(r, c, value)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


LEDGER_HEADER = ["序号", "受检企业(单位)名称", "检查时间", "执法人员", "安全生产违法行为(隐患)", "完成整改情况",
                 "立案案号", "罚款金额(万)", "处罚依据(法律条款)", "其他查处(或移送)情况", "备注"]


def where(problems, rule):
    """(file, sheet, row, column) of every problem with ``rule``."""
    sub = problems[problems["rule"] == rule]
    def plain(v):
        return None if pd.isna(v) else (int(v) if isinstance(v, int | float) or hasattr(v, "item") else v)

    return [(plain(f), plain(s), plain(r), plain(c))
            for f, s, r, c in zip(sub["file"], sub["sheet"], sub["row"], sub["column"], strict=True)]
