"""Every evalkit output that is a form reads back through intake with no errors and the same numbers.

Source: data/sample. Each test builds a folder holding ONLY exported files plus a registry in which
蚶江镇 is a 镇 whose children are the villages and departments, validates it, and compares
``compute_metrics(...).to_dict()`` (what ``evalkit metrics --json`` prints) with the source's.
Exported files are found by their content (intake's own reader), not by their names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.cli import main
from evalkit.core.periods import parse_period
from evalkit.export.ledger_stream import month_ledger, write_consolidated_ledger
from evalkit.export.official import export_period
from evalkit.export.ordering import unit_order
from evalkit.intake.loader import load
from evalkit.intake.registry import load_registry
from evalkit.intake.workbooks import read_file
from evalkit.metrics.engine import compute_metrics

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TOWN = "蚶江镇"


def _registry(root: Path) -> Path:
    """registry/ of the sample, with units.csv as a tree: 蚶江镇 (镇) above every unit."""
    reg = root / "registry"
    reg.mkdir(parents=True)
    shutil.copy(SAMPLE / "registry" / "enterprises.csv", reg / "enterprises.csv")
    units = pd.read_csv(SAMPLE / "registry" / "units.csv", dtype=str)
    rows = [f"{TOWN},镇,"] + [f"{u},{k},{TOWN}" for u, k in zip(units["单位"], units["类型"], strict=True)]
    (reg / "units.csv").write_text("单位,类型,上级单位\n" + "\n".join(rows) + "\n", encoding="utf-8")
    (root / "submissions").mkdir()
    return root


@pytest.fixture(scope="module")
def source():
    return load(SAMPLE, jobs=1)


@pytest.fixture(scope="module")
def exported(source, tmp_path_factory):
    """The June export (every output) and, for the other months, the consolidated 附件1 the export writes."""
    out = tmp_path_factory.mktemp("out")
    export_period(source, "2024-06", out)
    others = tmp_path_factory.mktemp("ledgers")
    for month in [m for m in range(1, 13) if m != 6]:
        p = parse_period(f"2024-{month:02d}")
        folder = others / ("july" if month == 7 else "rest")  # July: the filled templates' month
        folder.mkdir(exist_ok=True)
        write_consolidated_ledger(folder / f"ledger-{month:02d}.xlsx", month_ledger(source.ledger, p), period=p,
                                  units=unit_order(source), region=TOWN, filled_date="2024-12-31")
    return out, others


def _kinds(paths, registry_root: Path) -> dict[Path, set[tuple[str, str, str | None]]]:
    """file -> {(form, unit, period)} of its sheets, as intake recognises them."""
    registry = load_registry(registry_root)
    out = {}
    for path in paths:
        read = read_file(path, path.name, registry)
        out[path] = {(s.form, s.unit, s.period) for s in read.sheets if s.form}
    return out


@pytest.fixture(scope="module")
def kinds(exported, tmp_path_factory):
    """What intake recognises in each workbook of the June export."""
    out, _ = exported
    return _kinds(sorted(out.rglob("*.xlsx")), _registry(tmp_path_factory.mktemp("probe")))


def _find(kinds: dict, form: str, unit: str) -> list[Path]:
    return [p for p, ks in kinds.items() if any(k[0] == form and k[1] == unit for k in ks)]


def _metrics(ds, period, scope, source):
    return compute_metrics(ds, period, scope=scope, source=source).to_dict()


def _assert_units_equal(want: dict, got: dict) -> None:
    for unit, values in want["units"].items():
        assert got["units"][unit] == values, unit


def test_consolidated_figures_round_trip(kinds, source, tmp_path):
    """The consolidated 附件2 alone: no errors, every unit's 本月数/累计数 and the town's 合计 as exported."""
    [figures] = _find(kinds, "figures", TOWN)
    root = _registry(tmp_path / "data")
    shutil.copy(figures, root / "submissions" / figures.name)
    ds = load(root, jobs=1)
    assert ds.error_count == 0, ds.problems.to_dict("records")[:3]
    n_units = len(source.units)
    assert (ds.rows_read, ds.rows_accepted) == (2 * n_units + 2, 2 * n_units + 2)  # a pair per unit + 合计
    assert set(ds.figures.loc[ds.figures["unit"] != TOWN, "via"]) == {TOWN}
    assert ds.figures.loc[ds.figures["unit"] == TOWN, "via"].isna().all()
    for scope in ("month", "ytd"):
        want = _metrics(source, "2024-06", scope, "ledger")  # the export's figures are the ledger's
        got = _metrics(ds, "2024-06", scope, "reported")
        _assert_units_equal(want, got)
        assert got["units"][TOWN] == want["total"]  # the 合计 pair is the town's own figures row


def test_consolidated_ledger_round_trip(exported, kinds, source, tmp_path):
    """The consolidated 附件1 of every month alone: no errors, no row counted twice, the same metrics."""
    _, others = exported
    june = _find(kinds, "ledger", TOWN)
    assert len(june) == 1
    root = _registry(tmp_path / "data")
    for path in [*june, *sorted(others.rglob("*.xlsx"))]:
        shutil.copy(path, root / "submissions" / path.name)
    ds = load(root, jobs=1)
    assert ds.error_count == 0, ds.problems[ds.problems["severity"] == "error"].to_dict("records")[:3]
    assert ds.rows_read == ds.rows_accepted
    kept = source.ledger
    # every row is in the 全镇 sheet and in its unit's sheet: the unit's sheet counts, the 全镇 copy is kept aside
    assert len(ds.ledger) == len(kept) == len(ds.superseded)
    assert set(ds.superseded["via"]) == {TOWN} and ds.ledger["via"].isna().all()
    assert (ds.problems["rule"] == "relayed_superseded").any()
    for scope in ("month", "ytd"):
        want, got = _metrics(source, "2024-06", scope, "ledger"), _metrics(ds, "2024-06", scope, "ledger")
        _assert_units_equal(want, got)
        assert got["total"] == want["total"]


def test_consolidated_ledger_sheet_alone_round_trip(kinds, source, tmp_path):
    """The 全镇 sheet alone (the per-unit sheets deleted): each row lands under the unit in its 【单位】 marker."""
    [june] = _find(kinds, "ledger", TOWN)
    root = _registry(tmp_path / "data")
    town_sheets = {s.sheet for s in read_file(june, june.name, load_registry(root)).sheets if s.unit == TOWN}
    wb = load_workbook(june)
    for name in wb.sheetnames:
        if name not in town_sheets:
            del wb[name]
    assert len(wb.sheetnames) == 1
    wb.save(root / "submissions" / "全镇.xlsx")
    ds = load(root, jobs=1)
    assert ds.error_count == 0
    want = source.ledger[source.ledger["period"] == "2024-06"]
    assert len(ds.ledger) == len(want) and set(ds.ledger["via"]) == {TOWN}
    assert ds.ledger.groupby("unit").size().to_dict() == want.groupby("unit").size().to_dict()
    assert not ds.ledger["remarks"].fillna("").str.contains("【").any()  # the marker is not a remark


def _numbered(items) -> str | None:
    return "\n".join(f"{i}. {t}" for i, t in enumerate(items, 1)) if items else None


def _fill(template: Path, unit: str, ledger: pd.DataFrame, figures: pd.DataFrame, dest: Path) -> None:
    """Fill a unit's July template the way a clerk would: one 附件1 row per inspection, the two 附件2 rows."""
    wb = load_workbook(template)
    ws = next(wb[n] for n in wb.sheetnames if wb[n]["A1"].value == "附件1")
    header = next(r for r in range(1, 10) if ws.cell(r, 2).value == "受检企业(单位)名称")
    first = header + 1
    blank = 0
    while ws.cell(first + blank, 2).value is None and ws.cell(first + blank, 1).value is None and blank < 500:
        blank += 1
    rows = ledger[ledger["unit"] == unit].sort_values("row")
    if len(rows) > blank:
        ws.insert_rows(first + blank, len(rows) - blank)
    for i, r in enumerate(rows.to_dict("records")):
        values = [i + 1, r["enterprise"], r["inspection_date"].to_pydatetime(), "、".join(r["inspectors"]),
                  _numbered(r["hazards"]), _numbered(r["rectifications"]), r["case_no"],
                  None if pd.isna(r["fine_wan"]) else float(r["fine_wan"]),
                  r["legal_basis"], r["other_handling"], r["remarks"]]
        for c, v in enumerate(values, 1):
            ws.cell(first + i, c).value = None if v is None or (isinstance(v, float) and pd.isna(v)) else v
    fs = next(wb[n] for n in wb.sheetnames if wb[n]["A1"].value == "附件2")
    keys = [c for c in figures.columns if c not in ("file", "sheet", "row", "unit", "year", "month", "period",
                                                     "kind", "via")]
    for r in range(1, 12):
        label = fs.cell(r, 1).value
        hit = figures[(figures["unit"] == unit) & (figures["kind"] == label)]
        if label in ("本月数", "累计数") and len(hit):
            for c, key in enumerate(keys, 2):
                v = hit.iloc[0][key]
                fs.cell(r, c).value = None if pd.isna(v) else float(v)
    wb.save(dest)


def test_filled_templates_round_trip(exported, kinds, source, tmp_path):
    """Next month's templates, filled with the units' July rows and figures, read back with no errors and the
    same July metrics (ledger and reported) as the units' own July workbooks."""
    _, others = exported
    root = _registry(tmp_path / "data")
    for path in sorted((others / "rest").glob("*.xlsx")):  # the other months, so 复查 rows link as in the source
        shutil.copy(path, root / "submissions" / path.name)
    shutil.copy(_find(kinds, "ledger", TOWN)[0], root / "submissions" / "june.xlsx")
    templates = {next(iter(ks))[1]: p for p, ks in kinds.items()
                 if ks and all(k[2] == "2024-07" for k in ks) and len({k[1] for k in ks}) == 1}
    ledger = source.ledger[source.ledger["period"] == "2024-07"]
    figures = source.figures[source.figures["period"] == "2024-07"]
    sent = sorted(set(ledger["unit"]) | set(figures["unit"]))
    assert set(sent) <= set(templates)
    for unit in sent:
        _fill(templates[unit], unit, ledger, figures, root / "submissions" / f"{unit}.xlsx")
    ds = load(root, jobs=1)
    errors = ds.problems[ds.problems["severity"] == "error"]
    assert errors.empty, errors.to_dict("records")[:3]
    for src in ("ledger", "reported"):
        want, got = _metrics(source, "2024-07", "month", src), _metrics(ds, "2024-07", "month", src)
        _assert_units_equal(want, got)


def test_cli_validate_on_the_exported_forms(kinds, tmp_path, capsys):
    """`evalkit validate` on the June export's two consolidated forms: exit 0, rows read = accepted."""
    root = _registry(tmp_path / "data")
    for path in _find(kinds, "figures", TOWN) + _find(kinds, "ledger", TOWN):
        shutil.copy(path, root / "submissions" / path.name)
    assert main(["validate", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == report["rows_accepted"] > 0 and report["rows_rejected"] == 0
    assert not [p for p in report["problems"] if p["severity"] == "error"]
