"""Official Excel outputs: consolidated 附件2 and 附件1, paths, formatting, safety, LibreOffice."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.cli import main as cli_main
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.exceptions import ParameterError
from evalkit.export.official import (
    export_paths,
    export_period,
    next_month,
    read_consolidated_figures,
    read_consolidated_ledger,
)
from evalkit.intake.loader import load
from evalkit.metrics.engine import compute_metrics
from fixtures_export import (
    FILLED,
    HOSTILE,
    HOSTILE_REMARK,
    LEDGER_ROWS,
    make_dataset,
    write_data_dir,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """export_period on the fixture dataset, once for the module."""
    out = tmp_path_factory.mktemp("out")
    paths = export_period(make_dataset(), "2024-06", out, filled_date=FILLED)
    return out, paths


def _figures(exported) -> pd.DataFrame:
    return read_consolidated_figures(exported[1][0]).set_index(["unit", "kind"])


# --------------------------------------------------------------------------- paths
def test_export_returns_predictable_paths(exported):
    """export_period writes and returns the documented paths, in the documented order."""
    out, paths = exported
    p = export_paths(out, "2024-06")
    assert paths == [
        p.figures, p.ledger, p.penalties_xlsx, p.penalties_csv, p.credit_xlsx, p.credit_csv, p.review_xlsx,
        p.template("石壁村"), p.template("综合执法队"),
    ]
    assert p.figures == out / "2024-06" / "报表" / "蚶江镇_附件2_汇总_2024年6月.xlsx"
    assert p.ledger == out / "2024-06" / "报表" / "蚶江镇_附件1_台账_2024年6月.xlsx"
    assert p.penalties_csv == out / "2024-06" / "公示" / "蚶江镇_阳光执法_行政处罚公示_2024年6月.csv"
    assert p.review_xlsx == out / "2024-06" / "内部核对" / "蚶江镇_阳光执法清单脱敏核对_内部_2024年6月.xlsx"
    # next month's templates directly in the month's 下月模板/, the month they are for in the name
    assert p.template("石壁村") == out / "2024-06" / "下月模板" / "蚶江镇_石壁村_统计表_2024年7月.xlsx"
    assert export_paths(out, "2024-06", region="祥芝镇").figures.name == "祥芝镇_附件2_汇总_2024年6月.xlsx"
    assert all(path.is_file() for path in paths)


def test_next_month_rolls_over_the_year():
    """The template month after 2024-12 is 2025-01, and its file name says so."""
    assert next_month("2024-12").text == "2025-01"
    assert export_paths("o", "2024-12").template("甲村") == Path("o/2024-12/下月模板/蚶江镇_甲村_统计表_2025年1月.xlsx")


def test_export_refuses_a_quarter(tmp_path):
    """Only a month can be exported: a quarter is a ParameterError naming the parameter."""
    with pytest.raises(ParameterError, match="period"):
        export_period(make_dataset(), "2024Q2", tmp_path)


# --------------------------------------------------------------------------- 附件2
def test_figures_month_values_worked_by_hand(exported):
    """本月数 rows hold the ledger figures of June (worked out by hand from the fixture)."""
    f = _figures(exported)
    shibi = f.loc[("石壁村", "本月数")]
    # 3 of 3 enterprises inspected; hazards 2+0+1 = 3, one rectified; one case row with 2 items.
    assert (shibi["inspected"], shibi["coverage_rate"]) == (3, 100.0)
    assert (shibi["hazards_found"], shibi["hazards_rectified"]) == (3, 1)
    assert (shibi["case_ratio"], shibi["violation_handling_rate"]) == (33.33, 66.67)
    assert (shibi["fines_wan"], shibi["blacklisted"]) == (0.5, 1)
    team = f.loc[("综合执法队", "本月数")]
    assert (team["coverage_rate"], team["suspended"], team["joint_punishment"], team["fines_wan"]) == (50.0, 1, 1, 0)
    total = f.loc[("合计", "本月数")]
    # 4 of 5 inspected = 80.00; 3 case items of 4 hazards = 75.00
    assert (total["supervised_total"], total["inspected"], total["coverage_rate"]) == (5, 4, 80.0)
    assert (total["hazards_found"], total["cases_filed"], total["violation_handling_rate"]) == (4, 2, 75.0)


def test_figures_cumulative_values_worked_by_hand(exported):
    """累计数 rows add May: 石壁村 4 hazards (2 rectified); town 5 hazards, 查处率 3/5 = 60.00."""
    f = _figures(exported)
    shibi = f.loc[("石壁村", "累计数")]
    assert (shibi["hazards_found"], shibi["hazards_rectified"], shibi["violation_handling_rate"]) == (4, 2, 50.0)
    total = f.loc[("合计", "累计数")]
    assert (total["hazards_found"], total["hazards_rectified"], total["violation_handling_rate"]) == (5, 2, 60.0)


def test_figures_read_back_equal_compute_metrics(exported):
    """Every number read back equals compute_metrics (ledger source) for units and total."""
    f = _figures(exported)
    ds = make_dataset()
    for scope, kind in (("month", "本月数"), ("ytd", "累计数")):
        result = compute_metrics(ds, "2024-06", scope=scope, source="ledger")
        expected = {**{u: result.frame.loc[u] for u in result.frame.index}, "合计": result.total}
        for unit, values in expected.items():
            for key in FIGURES.keys[1:]:
                want, got = values[key], f.loc[(unit, kind), key]
                if pd.isna(want):
                    assert math.isnan(got), (unit, kind, key)
                else:
                    assert got == float(want), (unit, kind, key)


def test_figures_unit_rows_then_total(exported):
    """Rows: each unit's 本月数 and 累计数 in registry order, then the two 合计 rows."""
    labels = [c.value for c in load_workbook(exported[1][0])["统计表二"]["A"][5:11]]
    assert labels == ["石壁村 本月数", "石壁村 累计数", "综合执法队 本月数", "综合执法队 累计数",
                      "合计 本月数", "合计 累计数"]


def test_figures_comment_where_reported_differs(exported):
    """A cell whose reported figure differs carries the reported value; equal cells have none."""
    ws = load_workbook(exported[1][0])["统计表二"]
    col = {k: i + 1 for i, k in enumerate(FIGURES.keys)}
    # 石壁村 本月数 (row 6): reported 5 hazards, ledger 3
    assert "单位报送数：5" in ws.cell(6, col["hazards_found"]).comment.text
    # 石壁村 累计数 (row 7): reported 0.6 万元, ledger 0.5
    assert "单位报送数：0.6\n" in ws.cell(7, col["fines_wan"]).comment.text
    commented = {(c.row, c.column) for row in ws.iter_rows(min_row=6, max_row=7) for c in row if c.comment}
    assert commented == {(6, col["hazards_found"]), (7, col["fines_wan"])}
    # 综合执法队 sent no 附件2: its label cell says so
    assert "未报送" in ws.cell(8, 1).comment.text
    # so the reported town total (石壁村 only) is not compared with the ledger total
    assert not [c for row in ws.iter_rows(min_row=10, max_row=11) for c in row if c.comment]


def test_figures_undefined_rate_reads_not_applicable(tmp_path):
    """A zero denominator is written 不适用 and read back as NaN (never 0 or 100)."""
    rows = [r for r in LEDGER_ROWS if r["unit"] == "石壁村"]  # 综合执法队 inspected nobody
    paths = export_period(make_dataset(ledger_rows=rows), "2024-06", tmp_path, filled_date=FILLED)
    ws = load_workbook(paths[0])["统计表二"]
    col = {k: i + 1 for i, k in enumerate(FIGURES.keys)}
    assert ws.cell(8, col["case_ratio"]).value == "不适用"  # 0 cases / 0 inspected
    assert ws.cell(8, col["coverage_rate"]).value == 0  # 0 of 2: defined, 0.00
    f = _figures((tmp_path, paths))
    assert math.isnan(f.loc[("综合执法队", "本月数"), "case_ratio"])


def test_figures_formatting(exported):
    """Merged two-level header, number formats, frozen header, A4 landscape fitted to width."""
    ws = load_workbook(exported[1][0])["统计表二"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A4:A5", "E4:F4", "G4:I4", "J4:M4", "N4:Q4"} <= merged
    col = {k: i + 1 for i, k in enumerate(FIGURES.keys)}
    assert ws.cell(6, col["coverage_rate"]).number_format == "0.00"
    assert ws.cell(6, col["fines_wan"]).number_format == "0.0000"
    assert ws.freeze_panes == "B6"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$4:$5"
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert "填报人签字：" in texts and any(t.startswith("日期") for t in texts)
    assert any(t.startswith("备注：1. 本表由各镇") for t in texts)


def test_month_without_rows_still_exports(tmp_path):
    """July has no ledger rows: forms are written with zeros/不适用, lists are header-only."""
    paths = export_period(make_dataset(), "2024-07", tmp_path, filled_date=FILLED)
    f = read_consolidated_figures(paths[0]).set_index(["unit", "kind"])
    assert f.loc[("合计", "本月数"), "inspected"] == 0
    assert math.isnan(f.loc[("合计", "本月数"), "violation_handling_rate"])  # 0 hazards
    # 累计数 still holds May and June: 4 of 5 inspected
    assert f.loc[("合计", "累计数"), "inspected"] == 4
    assert read_consolidated_ledger(paths[1]).empty
    notes = [c.value for c in load_workbook(paths[1])["全镇"]["A"] if isinstance(c.value, str)]
    assert "本月无通过校验的台账记录的单位：石壁村、综合执法队。" in notes
    assert pd.read_csv(paths[3], encoding="utf-8-sig").empty


# --------------------------------------------------------------------------- 附件1
def test_ledger_all_units_sheet_sorted_and_marked(exported):
    """Sheet 全镇: June rows sorted by unit then date, the unit in 备注 as 【单位】."""
    back = read_consolidated_ledger(exported[1][1])
    assert list(back["enterprise"]) == ["石壁五金厂", HOSTILE, "锦江服装有限公司", "蚶江渔具店"]
    assert list(back["unit"]) == ["石壁村", "石壁村", "石壁村", "综合执法队"]
    assert list(back["seq"]) == [1, 2, 3, 4]
    assert back.loc[1, "remarks"] == HOSTILE_REMARK
    assert pd.isna(back.loc[3, "remarks"])


def _same(want, got) -> bool:
    if isinstance(want, list):
        return want == got
    return (pd.isna(want) and pd.isna(got)) if pd.isna(want) else want == got


def test_ledger_read_back_equals_the_dataset(exported):
    """Every field of every June row reads back as it was in the dataset."""
    back = read_consolidated_ledger(exported[1][1])
    june = make_dataset().ledger.query("period == '2024-06'").sort_values(["unit", "inspection_date"])
    assert len(back) == len(june) == 4
    for (_, want), (_, got) in zip(june.iterrows(), back.iterrows(), strict=True):
        for key in ("unit", "enterprise", "inspection_date", "inspectors", "hazards", "rectifications",
                    "case_no", "fine_wan", "legal_basis", "other_handling", "remarks"):
            assert _same(want[key], got[key]), (key, want[key], got[key])


def test_ledger_multi_item_cells_and_unit_sheets(exported):
    """Items are written "1. …\\n2. …" with wrapping; one official sheet per unit with rows."""
    wb = load_workbook(exported[1][1])
    assert wb.sheetnames == ["全镇", "石壁村", "综合执法队"]
    ws = wb["全镇"]
    col = LEDGER.keys.index("hazards") + 1
    assert ws.cell(5, col).value == "1. 特种作业人员无证上岗\n2. 安全出口堵塞"
    assert ws.cell(5, col).alignment.wrap_text
    assert ws.cell(5, LEDGER.keys.index("fine_wan") + 1).number_format == "0.0000"
    assert ws["A3"].value == "填报部门（公章）：蚶江镇"
    assert wb["综合执法队"]["A3"].value == "填报部门（公章）：综合执法队"
    assert wb["综合执法队"].cell(5, 2).value == "蚶江渔具店"


def test_ledger_print_setup(exported):
    """附件1 prints A4 landscape, one page wide, header row repeated."""
    ws = load_workbook(exported[1][1])["全镇"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$4:$4"
    assert ws.freeze_panes == "A5"


def test_unit_sheets_read_back_through_intake(exported, tmp_path):
    """The per-unit sheets of 附件1 are plain submissions: intake reads back the June rows."""
    data = write_data_dir(tmp_path / "data")
    for old in (data / "submissions").iterdir():
        old.unlink()
    wb = load_workbook(exported[1][1])
    del wb["全镇"]  # the town sheet is not a unit's submission (填报部门 蚶江镇)
    wb.save(data / "submissions" / "附件1.xlsx")
    ds = load(data)
    assert ds.rows_rejected == 0 and ds.error_count == 0
    got = ds.ledger.sort_values(["unit", "inspection_date"]).reset_index(drop=True)
    want = make_dataset().ledger.query("period == '2024-06'").sort_values(["unit", "inspection_date"])
    assert len(got) == len(want) == 4
    for (_, w), (_, g) in zip(want.iterrows(), got.iterrows(), strict=True):
        for key in ("unit", "period", "enterprise", "inspection_date", "inspectors", "hazards",
                    "rectifications", "case_no", "fine_wan", "legal_basis", "other_handling", "remarks"):
            assert _same(w[key], g[key]), (key, w[key], g[key])


def test_cli_export_on_a_data_folder(tmp_path, capsys):
    """`evalkit export DATA --period 2024-06 --out OUT` prints the paths; numbers as from the fixture."""
    data = write_data_dir(tmp_path / "data")
    out = tmp_path / "out"
    assert cli_main(["export", str(data), "--period", "2024-06", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    p = export_paths(out, "2024-06")
    assert printed[:2] == [str(p.figures), str(p.ledger)] and len(printed) == 9
    via_intake = read_consolidated_figures(p.figures)
    direct = read_consolidated_figures(exported_direct(tmp_path))
    pd.testing.assert_frame_equal(via_intake, direct)


def exported_direct(tmp_path):
    return export_period(make_dataset(), "2024-06", tmp_path / "direct", filled_date=FILLED)[0]


def test_cli_export_bad_period_is_a_usage_error(tmp_path, capsys):
    """A quarter given to export exits 2 with a one-line message naming --period."""
    data = write_data_dir(tmp_path / "data")
    assert cli_main(["export", str(data), "--period", "2024Q2", "--out", str(tmp_path / "o")]) == 2
    assert "period" in capsys.readouterr().err


# --------------------------------------------------------------------------- safety
def _sheet_xml(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/sheet")]


def test_no_formula_in_any_workbook(exported):
    """Hostile text is literal in every workbook export writes: no <f> element, type 's'."""
    xlsx = [p for p in exported[1] if p.suffix == ".xlsx"]
    assert len(xlsx) == 7  # 附件2, 附件1, two lists, the review, two templates
    seen = 0
    for path in xlsx:
        assert not any("<f>" in xml or "<f " in xml for xml in _sheet_xml(path)), path
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.data_type == "s", (path, cell.coordinate)
                        seen += 1
    # 附件1: the name on 全镇 and 石壁村, the 备注 on 石壁村 (on 全镇 it follows 【石壁村】);
    # the hidden 名录 sheet of both templates. (Disclosure lists: see test_disclosure.py.)
    assert seen == 5


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice (soffice) is not installed")
def test_every_workbook_converts_to_pdf_in_libreoffice(exported, tmp_path):
    """scripts/check_libreoffice.sh converts every exported workbook to PDF and finds each printed
    on A4 landscape with body text at 9 pt or more in named fonts."""
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(exported[0]),
                          str(tmp_path / "pdf")], capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout + run.stderr
    # 附件2, 附件1, two lists, the review, two templates (as test_no_formula_in_any_workbook)
    assert len(list((tmp_path / "pdf").rglob("*.pdf"))) == 7


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice (soffice) is not installed")
def test_check_libreoffice_script_fails_on_a_broken_workbook(tmp_path):
    """The check script exits 1 and names the file when a workbook cannot be converted."""
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(tmp_path)],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 1
    assert "FAIL  broken.xlsx" in run.stderr


def test_check_libreoffice_script_refuses_without_libreoffice(tmp_path):
    """Without LibreOffice the check script exits 2 and says what to install (never a silent pass)."""
    (tmp_path / "a.xlsx").write_bytes(b"")
    env = {**os.environ, "SOFFICE": str(tmp_path / "no-soffice")}
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(tmp_path)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 2
    assert "libreoffice-calc-nogui" in run.stderr


def test_row_height_estimate_and_sheet_titles():
    """Wrapped-text line estimate (CJK ≈ 2.2 units) and valid unique sheet titles."""
    from evalkit.export.xlsx_style import safe_sheet_title, text_lines

    assert text_lines("1. 特种作业人员无证上岗\n2. 安全出口堵塞", 40) == 2
    assert text_lines("隐" * 30, 20) == 3  # 55.5 units over 19.3 usable per line
    assert text_lines(None, 10) == 1
    assert safe_sheet_title("a/b:c", ["a_b_c"]) == "a_b_c(2)"
    assert len(safe_sheet_title("单" * 40)) == 31


def test_differences_are_marked_in_print_and_listed_on_a_sheet(exported):
    """The two differing cells print with ※ (in their number format, the value stays a number) and
    the sheet 差异说明 lists them: unit, row, column, reported, ledger; no other cell is marked."""
    wb = load_workbook(exported[1][0])
    ws = wb["统计表二"]
    col = {k: i + 1 for i, k in enumerate(FIGURES.keys)}
    marked = {(c.row, c.column) for row in ws.iter_rows(min_row=6, max_row=11) for c in row
              if c.number_format.startswith('"※"')}
    assert marked == {(6, col["hazards_found"]), (7, col["fines_wan"])}
    assert ws.cell(6, col["hazards_found"]).value == 3 and ws.cell(6, col["hazards_found"]).number_format == '"※"0'
    assert ws.cell(7, col["fines_wan"]).number_format == '"※"0.0000'
    diff = wb["差异说明"]
    rows = [[c.value for c in r] for r in diff.iter_rows(min_row=3, max_row=4)]
    assert rows == [[1, "石壁村", "本月数", "排查隐患数(处)", "5", "3"],
                    [2, "石壁村", "累计数", "罚款金额(万元)", "0.6", "0.5"]]
    assert diff.cell(5, 1).value is None and "共 2 处" in diff.cell(6, 1).value
    assert (diff.page_setup.orientation, diff.page_setup.fitToWidth) == ("landscape", 1)


def test_figures_notes_in_plain_chinese_and_numbers_right_aligned(exported):
    """The notes name no command or source id; numbers and 不适用 alike are right-aligned."""
    ws = load_workbook(exported[1][0])["统计表二"]
    notes = " ".join(str(c.value) for c in ws["A"]
                     if isinstance(c.value, str) and c.value.startswith(("说明", "2. 数字")))
    assert "由各单位统计表（一）台账逐条汇总计算" in notes and "evalkit" not in notes and "ledger" not in notes
    col = {k: i + 1 for i, k in enumerate(FIGURES.keys)}
    assert {ws.cell(r, c).alignment.horizontal for r in range(6, 12) for c in range(2, len(col) + 1)} == {"right"}
    assert ws.cell(5, col["cases_filed"]).value == "立案数\n(家)"
    assert ws.cell(5, col["fines_wan"]).value == "罚款金额\n(万元)"


def test_default_filled_date():
    """Today while the month is being reported (its first day to its deadline, the 30th of the next
    month); otherwise the deadline: re-exporting June 2024 in 2026 stamps 2024-07-30."""
    import datetime as dt

    from evalkit.export.official import default_filled_date

    assert default_filled_date("2024-06", dt.date(2026, 12, 1)) == dt.date(2024, 7, 30)
    assert default_filled_date("2024-06", dt.date(2024, 7, 5)) == dt.date(2024, 7, 5)
    assert default_filled_date("2024-06", dt.date(2024, 7, 31)) == dt.date(2024, 7, 30)
    assert default_filled_date("2024-01", dt.date(2024, 1, 20)) == dt.date(2024, 1, 20)
    assert default_filled_date("2024-01", dt.date(2023, 12, 31)) == dt.date(2024, 2, 29)  # no 30th in February


def test_cli_export_filled_on_and_help(tmp_path, capsys):
    """--filled-on stamps 填报日期 on 附件1; --help offers a month only; a bad date is a usage error."""
    data = write_data_dir(tmp_path / "data")
    out = tmp_path / "out"
    assert cli_main(["export", str(data), "--period", "2024-06", "--out", str(out), "--filled-on", "2024-07-05"]) == 0
    ws = load_workbook(export_paths(out, "2024-06").ledger)["全镇"]
    assert "填报日期：2024-07-05" in [c.value for c in ws[3]]
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli_main(["export", "--help"])
    text = capsys.readouterr().out
    assert "--period YYYY-MM" in text and "2024Q2" not in text and "月份" in text
    with pytest.raises(SystemExit) as exc:
        cli_main(["export", str(data), "--period", "2024-06", "--filled-on", "7月5日"])
    assert exc.value.code == 2


def test_export_reports_an_unknown_case_prefix(tmp_path, capsys, monkeypatch):
    """export_period's result carries the authority_unknown problem; the CLI prints it as a warning
    naming the file and row, and still exits 0 (the workbooks are written)."""
    rows = [dict(r, case_no="晋应急罚〔2024〕9号") if r.get("case_no") == "狮蚶综执罚〔2024〕2号" else r
            for r in LEDGER_ROWS]
    result = export_period(make_dataset(ledger_rows=rows), "2024-06", tmp_path / "a", filled_date=FILLED)
    assert [(p.rule, p.value, p.file, p.row) for p in result.problems] == [
        ("authority_unknown", "晋应急罚〔2024〕9号", "综合执法队.xlsx", 8)]
    data = write_data_dir(tmp_path / "data")
    monkeypatch.setattr("evalkit.export.disclosure.penalty_authorities", lambda config=None: {"狮蚶应急罚": "镇"})
    assert cli_main(["export", str(data), "--period", "2024-06", "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("警告：") and "狮蚶综执罚〔2024〕2号" in err and "第" in err and "行" in err
