"""--level and --unit on a small hand-made city folder: metrics, audit, score, export choose their units."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from evalkit import cli
from evalkit.core.form_writer import write_submission

UNITS = "单位,类型,上级单位\n石狮市,市,\n甲镇,镇,石狮市\n乙镇,镇,石狮市\n甲村,村,甲镇\n乙村,村,甲镇\n丙村,村,乙镇\n"
ENTERPRISES = ("企业名称,行业,监管单位,重点行业,风险等级\n甲厂,服装,甲村,否,一般\n乙厂,服装,乙村,否,一般\n"
               "丙厂,服装,丙村,否,一般\n")


def _visit(name: str, day: int) -> dict:
    return {"enterprise": name, "inspection_date": dt.date(2024, 6, day), "inspectors": ["张三", "李四"],
            "hazards": ["消防通道堵塞"], "rectifications": ["已整改"]}


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """甲村 inspects 甲厂 and 乙厂, 乙村 乙厂 (both of 甲镇); 丙村 (乙镇) inspects 丙厂 and 甲厂."""
    root = tmp_path_factory.mktemp("city")
    (root / "registry").mkdir()
    (root / "submissions").mkdir()
    (root / "registry" / "units.csv").write_text(UNITS, encoding="utf-8")
    (root / "registry" / "enterprises.csv").write_text(ENTERPRISES, encoding="utf-8")
    for unit, visits in (("甲村", [_visit("甲厂", 3), _visit("乙厂", 4)]), ("乙村", [_visit("乙厂", 5)]),
                         ("丙村", [_visit("丙厂", 6), _visit("甲厂", 7)])):
        write_submission(root / "submissions" / f"{unit}6月.xlsx", unit=unit, year=2024, month=6, ledger_rows=visits)
    return root


def _json(capsys, *args) -> dict:
    assert cli.main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def test_metrics_level_town_rows_and_city_total(city, capsys):
    """--level 镇: one row per town (甲厂, 乙厂 for 甲镇; 丙厂, 甲厂 for 乙镇), total 3 enterprises for the city."""
    out = _json(capsys, "metrics", str(city), "--period", "2024-06", "--level", "镇", "--json")
    assert {u: v["inspected"] for u, v in out["units"].items()} == {"甲镇": 2, "乙镇": 2}
    assert out["total"]["inspected"] == 3
    assert out["total"]["hazards_found"] == 5


def test_metrics_unit_rows_are_its_villages_and_total_is_the_town(city, capsys):
    """--unit 甲镇: its villages' rows, and 甲镇's own figures as the total (乙厂 once: 2)."""
    out = _json(capsys, "metrics", str(city), "--period", "2024-06", "--unit", "甲镇", "--json")
    assert {u: v["inspected"] for u, v in out["units"].items()} == {"甲村": 2, "乙村": 1}
    assert out["total"]["inspected"] == 2
    assert out["total"]["hazards_found"] == 3


def test_score_and_audit_keep_the_chosen_units(city, capsys):
    """score --level 镇 lists the two towns ranked between themselves; audit --unit 乙镇 only its units' findings."""
    scores = _json(capsys, "score", str(city), "--period", "2024-06", "--level", "镇", "--json")
    assert sorted(u["unit"] for u in scores["units"]) == ["乙镇", "甲镇"]
    assert sorted(u["rank"] for u in scores["units"]) in ([1, 2], [1, 1])
    audit = _json(capsys, "audit", str(city), "--period", "2024-06", "--unit", "乙镇", "--json")
    assert {f["unit"] for f in audit["findings"]} <= {"乙镇", "丙村", None}


def test_unknown_unit_is_a_usage_error(city, capsys):
    """--unit with a name not in units.csv exits 2 and names the known units."""
    assert cli.main(["metrics", str(city), "--period", "2024-06", "--unit", "丁镇"]) == 2
    assert "甲镇" in capsys.readouterr().err


def test_export_city_level_figures(city, tmp_path, capsys):
    """export --level 镇 writes 石狮市's 附件2: one pair per town and 全市合计 (3 enterprises, not 4)."""
    assert cli.main(["export", str(city), "--period", "2024-06", "--level", "镇", "--out", str(tmp_path)]) == 0
    path = tmp_path / "2024-06" / "报表" / "石狮市_附件2_下级单位汇总_2024年6月.xlsx"
    assert str(path) in capsys.readouterr().out
    ws = load_workbook(path).active
    labels = {ws.cell(r, 1).value: ws.cell(r, 3).value for r in range(6, 12)}
    assert labels == {"甲镇 本月数": 2, "甲镇 累计数": 2, "乙镇 本月数": 2, "乙镇 累计数": 2,
                      "全市合计 本月数": 3, "全市合计 累计数": 3}


def test_metrics_level_city_is_the_root(city, capsys):
    """--level 市: the city's own row, the union of every village's ledger (3 enterprises)."""
    out = _json(capsys, "metrics", str(city), "--period", "2024-06", "--level", "市", "--json")
    assert {u: v["inspected"] for u, v in out["units"].items()} == {"石狮市": 3}
