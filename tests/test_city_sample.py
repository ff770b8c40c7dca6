"""data/sample-city: the tree, how each town sends its month, the planted 合计, and the city's monthly batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit import cli
from evalkit.audit.run import run_audit
from evalkit.core import hierarchy
from evalkit.intake.loader import load
from evalkit.report.batch import run_batch
from evalkit.report.html import external_references
from test_batch import write_stub_notebooks

ROOT = Path(__file__).resolve().parents[1]
CITY = ROOT / "data" / "sample-city"
MANIFEST = json.loads((CITY / "MANIFEST.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ds():
    return load(CITY)


def test_manifest_lists_every_workbook_and_the_tree(ds):
    """Every workbook of the folder is in MANIFEST.json; 石狮市 → 3 towns/街道 and 5 city departments."""
    on_disk = sorted(p.relative_to(CITY).as_posix() for p in (CITY / "submissions").rglob("*.xlsx"))
    assert on_disk == sorted(f["path"] for f in MANIFEST["files"])
    units = ds.units
    assert hierarchy.root(units) == "石狮市"
    towns = [t["name"] for t in MANIFEST["towns"]]
    assert hierarchy.children_of(units, "石狮市") == [*towns, *MANIFEST["city_departments"]]
    assert {t["sends"] for t in MANIFEST["towns"]} == {"originals", "consolidated"}
    for town in MANIFEST["towns"]:
        assert hierarchy.children_of(units, town["name"]) == town["units"]


def test_consolidated_town_rows_land_under_its_units(ds):
    """祥芝镇 sent consolidated forms only: its units' rows carry via = 祥芝镇, the others' none."""
    sent = next(t for t in MANIFEST["towns"] if t["sends"] == "consolidated")
    mine = ds.ledger[ds.ledger["unit"].isin(sent["units"])]
    assert len(mine) and set(mine["via"]) == {sent["name"]}
    others = ds.ledger[~ds.ledger["unit"].isin(sent["units"])]
    assert others["via"].isna().all()


def test_planted_town_total_is_a_city_level_reconciliation_finding(ds):
    """祥芝镇's planted 合计 (fines 1.5 万元 above its units) disagrees with its units' rows and with their
    ledger, 本月数 and 累计数; nothing else of 祥芝镇's 合计 does (the generator's own arithmetic)."""
    (plant,) = MANIFEST["plants"]
    f = run_audit(ds, plant["month"]).findings
    mine = f[f["unit"] == plant["unit"]]
    rows = mine[mine["rule"] == "consolidated_total_mismatch"]
    assert sorted(d["kind"] for d in rows["details"]) == ["本月数", "累计数"]
    for d in rows["details"]:
        (col, got), = d["columns"].items()
        assert col == plant["column"]
        assert got["reported"] == pytest.approx(plant["reported"][d["kind"]])
        assert got["low"] == got["high"] == pytest.approx(plant["ledger"][d["kind"]])  # fines add up
    ledger = mine[mine["rule"] == "consolidated_ledger_mismatch"]
    assert sorted(d["kind"] for d in ledger["details"]) == ["本月数", "累计数"]
    for d in ledger["details"]:
        assert d["columns"] == {plant["column"]: {"reported": pytest.approx(plant["reported"][d["kind"]]),
                                                  "recomputed": pytest.approx(plant["ledger"][d["kind"]])}}


def test_city_batch_plans_one_report_per_town_and_city_department(tmp_path, monkeypatch):
    """The city's batch: its summary, cases, 回头看, one report per town/街道 and city department (stub notebooks)."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    nbs = write_stub_notebooks(tmp_path / "nbs")
    result = run_batch(CITY, "2024-06", jobs=2, out_dir=tmp_path / "out", notebooks_dir=nbs, progress=False)
    units = [o.unit for o in result.outcomes if o.unit]
    assert units == [t["name"] for t in MANIFEST["towns"]] + MANIFEST["city_departments"]
    assert result.ok and "石狮市2024年6月执法工作汇总" in [o.title for o in result.outcomes]
    level = run_batch(CITY, "2024-06", jobs=2, out_dir=tmp_path / "out2", notebooks_dir=nbs, progress=False,
                      level="镇")
    assert [o.unit for o in level.outcomes if o.unit] == [t["name"] for t in MANIFEST["towns"]]


def test_evalkit_run_city_sample_one_town(tmp_path, monkeypatch, capsys):
    """`evalkit run data/sample-city --unit 祥芝镇`, real notebooks: offline pages saying where figures come from."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", str(CITY), "--period", "2024-06", "--level", "镇", "--unit", "祥芝镇", "--jobs", "2",
            "--out", str(tmp_path / "out")]
    assert cli.main(args) == 0, capsys.readouterr().out
    folder = tmp_path / "out" / "2024-06"
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "石狮市2024年6月执法工作汇总" in index and "祥芝镇2024年6月执法工作报告" in index
    page = (folder / "unit-祥芝镇.html").read_text(encoding="utf-8")
    assert external_references(page) == [] and "<img" in page
    assert "祥芝镇报送的汇总表" in page and "石狮市 2024 年安全生产执法提升专项行动" in page
    summary = (folder / "town-summary.html").read_text(encoding="utf-8")
    assert "全市合计" in summary and "转报的原始报表" in summary


def test_generator_rewrites_the_committed_city_sample_byte_for_byte(tmp_path):
    """`evalkit sample --city` (seed 2024) gives exactly data/sample-city, MANIFEST.json included."""
    from evalkit.sample.city import generate_city

    generate_city(tmp_path / "city", seed=2024)
    ours = sorted(p.relative_to(tmp_path / "city") for p in (tmp_path / "city").rglob("*") if p.is_file())
    assert ours == sorted(p.relative_to(CITY) for p in CITY.rglob("*") if p.is_file())
    assert [p for p in ours if (tmp_path / "city" / p).read_bytes() != (CITY / p).read_bytes()] == []


def test_a_towns_findings_table_says_whose_each_finding_is(ds):
    """祥芝镇's §七 lists its villages' findings as well as its own 合计 finding: each row names
    the unit it is about (a leaf unit's table, all its own, has no 单位 column)."""
    from evalkit.report import sections

    town = "祥芝镇"
    table = sections.findings_table(ds, "2024-06", town)
    assert "单位" in table.columns
    below = {town, *hierarchy.descendants(ds.units, town)}
    assert set(table["单位"]) <= below
    own = table[table["单位"] == town]
    assert len(own) >= 1  # the planted 合计 disagreement is the town's own
    assert (table["单位"] != town).any()  # and its villages' findings say which village
    village = next(u for u in hierarchy.descendants(ds.units, town) if u.endswith("村"))
    assert "单位" not in sections.findings_table(ds, "2024-06", village).columns
