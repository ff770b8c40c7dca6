"""Issue 12: every file the units send (.xls, .ods, .xlsb beside .xlsx), percent cells,
ambiguous numeric dates, near-miss names' companions, stray files, parallel intake.

The .xls and .ods files are written by xlwt and odfpy (tests/formats_convert.py); the
committed fixtures in tests/fixtures/formats/ were written the same way from two sample files.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit.core.form_writer import write_submission
from evalkit.intake import loader as intake
from evalkit.intake import parallel
from evalkit.metrics.engine import compute_metrics
from formats_convert import FIXTURE_SOURCES, FIXTURES, convert_data_dir, to_ods, to_xls, to_xlsb
from intake_helpers import inspection, ledger_file, make_data_dir, where

S = "submissions"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _problem_keys(ds):
    """(file without its suffix, sheet, row, column, rule) of every problem."""
    p = ds.problems
    return sorted((Path(f).with_suffix("").as_posix(), str(s), str(r), str(c), rule)
                  for f, s, r, c, rule in zip(p["file"], p["sheet"], p["row"], p["column"], p["rule"], strict=True))


def _frames_equal(a, b):
    import pandas as pd

    for name in ("ledger", "figures", "items"):
        left, right = getattr(a, name), getattr(b, name)
        drop = [c for c in ("file", "row_id", "closed_by") if c in left]
        pd.testing.assert_frame_equal(left.drop(columns=drop).reset_index(drop=True),
                                      right.drop(columns=drop).reset_index(drop=True), check_dtype=False)


def _rows_balance(ds):
    files = ds.files
    assert (files["rows_read"] == files["rows_accepted"] + files["rows_rejected"]).all()


def _sample_dir(root: Path, files: dict[str, Path]) -> Path:
    """A data folder with the sample's registry (no received.csv) and ``files`` in submissions/."""
    shutil.copytree(SAMPLE / "registry", root / "registry")
    (root / "registry" / "received.csv").unlink(missing_ok=True)
    for name, src in files.items():
        (root / S / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, root / S / name)
    return root


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("suffix", [".xls", ".ods", ".xlsb"])
@pytest.mark.parametrize("source", FIXTURE_SOURCES)
def test_committed_fixture_reads_as_its_xlsx(tmp_path, source, suffix):
    """The committed .xls/.ods/.xlsb copy of a sample workbook gives the same problems (rule, row, column),
    rows and tables as the .xlsx it was written from."""
    name = Path(source).name
    xlsx = _sample_dir(tmp_path / "x", {name: SAMPLE / S / source})
    converted = Path(name).with_suffix(suffix).name
    other = _sample_dir(tmp_path / "o", {converted: FIXTURES / converted})
    a, b = intake.load(xlsx, jobs=1), intake.load(other, jobs=1)
    assert _problem_keys(a) == _problem_keys(b)
    assert a.files[["rows_read", "rows_accepted", "rows_rejected"]].values.tolist() == \
        b.files[["rows_read", "rows_accepted", "rows_rejected"]].values.tolist()
    assert len(a.ledger) > 0 and len(a.figures) == 2
    _frames_equal(a, b)
    _rows_balance(b)


def test_committed_fixtures_are_what_the_converter_writes():
    """The fixtures are the converter's output (xlwt and odfpy write the same bytes each time is
    not promised, so this compares the cells calamine reads)."""
    import python_calamine as calamine

    for source in FIXTURE_SOURCES:
        for suffix in (".xls", ".ods", ".xlsb"):
            path = FIXTURES / Path(source).with_suffix(suffix).name
            wb = calamine.CalamineWorkbook.from_path(str(path))
            assert wb.sheet_names == ["统计表一", "统计表二"]


@pytest.mark.parametrize("suffix", [".xls", ".ods", ".xlsb"])
def test_a_month_of_the_sample_converted_gives_the_same_problems_and_metrics(tmp_path, suffix):
    """June of data/sample (all its units' files) written as .xls, .ods or .xlsb: identical problems,
    rows, tables and June metrics (ledger and reported)."""
    src = tmp_path / "src"
    _sample_dir(src, {p.relative_to(SAMPLE / S).as_posix(): p for p in sorted((SAMPLE / S / "2024-06").glob("*.xlsx"))})
    dest = convert_data_dir(src, tmp_path / "dest", suffix)
    a, b = intake.load(src, jobs=1), intake.load(dest, jobs=1)
    assert len(a.files) == len(b.files) > 20
    assert _problem_keys(a) == _problem_keys(b)
    _frames_equal(a, b)
    _rows_balance(b)
    for source in ("ledger", "reported"):
        ma = compute_metrics(a, "2024-06", source=source).total
        mb = compute_metrics(b, "2024-06", source=source).total
        assert ma.equals(mb), source


# --------------------------------------------------------------------------- encrypted, stray files

def test_encrypted_xlsx_says_it_has_an_open_password(tmp_path):
    """A real password-protected .xlsx (an OLE container with EncryptionInfo; written by
    msoffcrypto-tool): one file_encrypted problem, no password tried."""
    root = make_data_dir(tmp_path / "data")
    shutil.copy(FIXTURES / "encrypted.xlsx", root / S / "a.xlsx")
    ds = intake.load(root)
    assert where(ds.problems, "file_encrypted") == [(f"{S}/a.xlsx", None, None, None)]
    assert "工作簿设置了打开密码" in ds.problems["message"].iloc[0]
    assert ds.files.values.tolist() == [[f"{S}/a.xlsx", 0, 0, 0]]


def test_workbooks_outside_submissions_are_named(tmp_path):
    """A workbook directly in DATA_DIR or in registry/ gets a warning naming it; registry files,
    hidden files and other files do not."""
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection()])
    shutil.copy(root / S / "a.xlsx", root / "石壁村5月.xlsx")
    shutil.copy(root / S / "a.xlsx", root / "registry" / "名录备份.xls")
    (root / "notes.txt").write_text("x", encoding="utf-8")
    (root / ".~lock.a.xlsx#").write_text("x", encoding="utf-8")
    ds = intake.load(root)
    assert where(ds.problems, "file_outside_submissions") == [
        ("registry/名录备份.xls", None, None, None), ("石壁村5月.xlsx", None, None, None)]
    messages = ds.problems.loc[ds.problems["rule"] == "file_outside_submissions", "message"]
    assert all("不在 submissions/ 下，未读取" in m for m in messages)
    assert len(ds.ledger) == 1


# --------------------------------------------------------------------------- percent cells

def _figures(path: Path, month: dict, cumulative: dict | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_submission(path, unit="石壁村", year=2024, month=5, month_values=month,
                     cumulative_values=cumulative or {"supervised_total": 10, "inspected": 6, "coverage_rate": 60})
    return path


def _set_cell(path: Path, label: str, header: str, value, number_format: str | None = None) -> tuple[int, int]:
    """Set the cell of row ``label`` (本月数/累计数) under ``header``; returns its (row, column)."""
    wb = load_workbook(path)
    ws = wb.active
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    cols = {ws.cell(r, c).value: c for r in range(1, 8) for c in range(1, ws.max_column + 1)}
    cell = ws.cell(rows[label], cols[header])
    cell.value = value
    if number_format:
        cell.number_format = number_format
    wb.save(path)
    return rows[label], cols[header]


def _rates(ds, key="coverage_rate"):
    return dict(zip(ds.figures["kind"], ds.figures[key], strict=True))


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_percent_formatted_rate_is_read_as_per_cent(tmp_path, suffix):
    """检查覆盖率 typed as 60% (stored 0.6 with format 0%): read as 60, one warning naming the cell;
    the .xls copy (format in its XF record) and the .ods copy (value-type percentage) give the same."""
    root = make_data_dir(tmp_path / "data")
    path = _figures(tmp_path / "a.xlsx", {"supervised_total": 10, "inspected": 6})
    row, _ = _set_cell(path, "本月数", "检查覆盖率(%)", 0.6, "0%")
    if suffix in (".xls", ".ods"):
        (to_xls if suffix == ".xls" else to_ods)(path, root / S / f"a{suffix}")
    else:
        shutil.copy(path, root / S / "a.xlsx")
    ds = intake.load(root)
    assert where(ds.problems, "rate_percent_format") == [(f"{S}/a{suffix}", "统计表二", row, "检查覆盖率(%)")]
    assert "已按 60% 读取" in ds.problems["message"].iloc[0] and "百分比格式" in ds.problems["message"].iloc[0]
    assert _rates(ds) == {"本月数": 60.0, "累计数": 60.0}


def test_fraction_agreeing_with_the_counts_only_after_scaling_is_scaled(tmp_path):
    """No percent format (an .ods written without one, or a format calamine cannot see): 0.6 with
    6 of 10 enterprises inspected agrees only as 60 -> 60 with a warning; 0.3 with the same counts
    agrees with neither reading and is kept as 0.3 (no guess)."""
    root = make_data_dir(tmp_path / "data")
    path = _figures(root / S / "a.xlsx", {"supervised_total": 10, "inspected": 6, "coverage_rate": 0.6},
                    {"supervised_total": 10, "inspected": 6, "coverage_rate": 0.3})
    ds = intake.load(root)
    assert [r[2] for r in where(ds.problems, "rate_percent_format")] == [6]
    assert "与本行的计数相符（按计数为 60.00）" in ds.problems["message"].iloc[0]
    assert _rates(ds) == {"本月数": 60.0, "累计数": 0.3}
    assert path.exists()


def test_rate_above_100_is_an_error(tmp_path):
    """150% typed (1.5 with a percent format) and 120 typed: both number_implausible, row rejected."""
    root = make_data_dir(tmp_path / "data")
    path = _figures(root / S / "a.xlsx", {"supervised_total": 10, "inspected": 6, "coverage_rate": 120})
    _set_cell(path, "累计数", "检查覆盖率(%)", 1.5, "0%")
    ds = intake.load(root)
    errors = ds.problems[ds.problems["severity"] == "error"]
    assert sorted(zip(errors["rule"], errors["row"], strict=True)) == [("number_implausible", 6),
                                                                     ("number_implausible", 7)]
    assert ds.files[["rows_read", "rows_accepted", "rows_rejected"]].values.tolist() == [[2, 0, 2]]


# --------------------------------------------------------------------------- ambiguous dates

@pytest.mark.parametrize("typed, rule, date", [
    (5.1, "date_ambiguous", dt.date(2024, 5, 1)),  # 5月1日 or 5月10日
    (5.3, "date_ambiguous", dt.date(2024, 5, 3)),  # 5月3日 or 5月30日
    (5.4, None, dt.date(2024, 5, 4)),  # there is no 5月40日
    ("5.10", None, dt.date(2024, 5, 10)),  # text keeps its zero
    (5.16, None, dt.date(2024, 5, 16)),
])
def test_numeric_date_with_one_decimal_is_ambiguous(tmp_path, typed, rule, date):
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection(date=typed)])
    ds = intake.load(root)
    assert list(ds.problems["rule"]) == ([rule] if rule else [])
    if rule:
        assert where(ds.problems, rule) == [(f"{S}/a.xlsx", "统计表一", 5, "检查时间")]
        message = ds.problems["message"].iloc[0]
        assert "5月1日 或 5月10日" in message if typed == 5.1 else "5月3日 或 5月30日" in message
    assert [d.date() for d in ds.ledger["inspection_date"]] == [date]


# --------------------------------------------------------------------------- near-miss names

def test_ambiguous_near_miss_stays_unregistered(tmp_path):
    """蚶江锦丰制衣有限公司 is one character from both 蚶江锦里制衣有限公司 and 蚶江锦华制衣有限公司:
    no guess, unregistered, both named."""
    enterprises = [("蚶江锦里制衣有限公司", "制衣", "石壁村", "否", "一般"),
                   ("蚶江锦华制衣有限公司", "制衣", "石壁村", "否", "一般")]
    root = make_data_dir(tmp_path / "data", enterprises=enterprises, units=[("石壁村", "村")])
    ledger_file(root, "a.xlsx", [inspection(enterprise="蚶江锦丰制衣有限公司")])
    ds = intake.load(root)
    assert list(ds.problems["rule"]) == ["enterprise_unregistered"]
    assert "蚶江锦里制衣有限公司" in ds.problems["message"].iloc[0]
    assert "蚶江锦华制衣有限公司" in ds.problems["message"].iloc[0]
    assert not ds.ledger["registered"].iloc[0]


def test_near_miss_counts_once_in_inspected_enterprises(tmp_path):
    """The same enterprise twice in May, once misspelt by one character: 现场检查企业数 is 1, not 2."""
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection(), inspection(enterprise="石狮市宏达五金场", date=dt.date(2024, 5, 9))])
    ds = intake.load(root)
    assert list(ds.problems["rule"]) == ["enterprise_name_near_miss"]
    assert ds.ledger["enterprise_name"].nunique() == 1


# --------------------------------------------------------------------------- .xls details

def _xls(path: Path, rows: dict[tuple[int, int], object], hidden: bool = False, formula=None) -> Path:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("统计表一")
    for (r, c), v in rows.items():
        sheet.write(r, c, v)
    if formula:
        sheet.write(formula[0], formula[1], xlwt.Formula("1+1"))
    if hidden:
        copy = book.add_sheet("副本")
        copy.write(0, 0, "x")
        copy.visibility = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(str(path))
    return path


def _ledger_cells(extra: dict | None = None) -> dict:
    header = ["序号", "受检企业(单位)名称", "检查时间", "执法人员"]
    cells = {(0, 0): "填报部门（公章）：石壁村", (0, 4): "月份：5月"}
    cells.update({(3, c): h for c, h in enumerate(header)})
    cells.update({(4, 0): 1, (4, 1): "石狮市宏达五金厂", (4, 2): "2024-05-06", (4, 3): "张三、李四"})
    cells.update(extra or {})
    return cells


def test_xls_hidden_sheet_formula_without_value_and_cells_beyond(tmp_path):
    """An .xls: a hidden sheet is not counted (sheet_hidden), a formula without a cached value is
    blank with a warning, a note in column BA (beyond AN) is ignored with a warning."""
    root = make_data_dir(tmp_path / "data")
    _xls(root / S / "a.xls", _ledger_cells({(4, 52): "备注"}), hidden=True, formula=(4, 6))
    ds = intake.load(root)
    rules = sorted(ds.problems["rule"])
    assert rules == ["formula_no_cached_value", "header_column_absent", "header_column_absent",
                     "header_column_absent", "header_column_absent", "header_column_absent",
                     "header_column_absent", "header_column_absent", "sheet_cells_ignored", "sheet_hidden"]
    assert where(ds.problems, "sheet_cells_ignored") == [(f"{S}/a.xls", "统计表一", 5, "BA")]
    assert where(ds.problems, "formula_no_cached_value") == [(f"{S}/a.xls", "统计表一", 5, None)]
    assert ds.files[["rows_read", "rows_accepted", "rows_rejected"]].values.tolist() == [[1, 1, 0]]


def test_xls_with_a_far_cell_is_refused_before_calamine_allocates_it(tmp_path):
    """One cell at IV65536 would make calamine allocate 65,536 x 256 cells: refused by the scan."""
    root = make_data_dir(tmp_path / "data")
    _xls(root / S / "a.xls", _ledger_cells({(65535, 255): "x"}))
    ds = intake.load(root)
    assert list(ds.problems["rule"]) == ["file_unreadable"]
    assert "65,536 行 × 256 列" in ds.problems["message"].iloc[0]


def test_ods_with_repeated_content_is_refused(tmp_path):
    """An .ods whose one cell is repeated across 16,384 columns of a million rows (a few hundred bytes)."""
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000">'
               '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
               '<text:p>x</text:p></table:table-cell></table:table-row></table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    root = make_data_dir(tmp_path / "data")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
    (root / S / "a.ods").write_bytes(buf.getvalue())
    ds = intake.load(root)
    assert list(ds.problems["rule"]) == ["file_unreadable"]


def test_ods_with_merged_headers_reads_like_xlsx(tmp_path):
    """附件2 has two header rows with merged cells (单位 spans both): the .ods copy reads the same."""
    src = _figures(tmp_path / "a.xlsx", {"supervised_total": 10, "inspected": 6, "coverage_rate": 60})
    assert load_workbook(src).active.merged_cells.ranges  # the layout merges its headers
    xlsx, ods = make_data_dir(tmp_path / "x"), make_data_dir(tmp_path / "o")
    shutil.copy(src, xlsx / S / "a.xlsx")
    to_ods(src, ods / S / "a.ods")
    a, b = intake.load(xlsx), intake.load(ods)
    assert list(b.problems["rule"]) == list(a.problems["rule"]) == []
    _frames_equal(a, b)
    assert _rates(b) == {"本月数": 60.0, "累计数": 60.0}


# --------------------------------------------------------------------------- parallel intake

def test_parallel_intake_gives_what_a_sequential_read_gives(tmp_path, monkeypatch):
    """Two worker processes (forced even for a small folder) give the same dataset, in order."""
    root = _sample_dir(tmp_path / "d", {p.relative_to(SAMPLE / S).as_posix(): p
                                        for p in sorted((SAMPLE / S / "2024-05").glob("*.xlsx"))})
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    a, b = intake.load(root, jobs=1), intake.load(root, jobs=2)
    assert a.problems.equals(b.problems)
    assert a.files.equals(b.files)
    _frames_equal(a, b)


@pytest.mark.parametrize("suffix", [".ods", ".xls", ".xlsb"])
def test_hidden_sheet_is_skipped_as_in_xlsx(tmp_path, suffix):
    """A hidden copy of the 附件2 sheet in an .ods (table style display="false"), .xls or .xlsb is skipped as in
    .xlsx: one sheet_hidden warning naming it, the figures counted once (fines 2.0 万元), its rows not read."""
    from test_hostile_intake import _figures_with_hidden_copy

    results = {}
    for kind in (".xlsx", suffix):
        root = make_data_dir(tmp_path / kind.strip(".") / "data")
        _figures_with_hidden_copy(root / S / "a.xlsx", "hidden")
        if kind != ".xlsx":
            {".ods": to_ods, ".xls": to_xls, ".xlsb": to_xlsb}[kind](root / S / "a.xlsx", root / S / f"a{kind}")
            (root / S / "a.xlsx").unlink()
        ds = intake.load(root)
        results[kind] = ds
        assert where(ds.problems, "sheet_hidden") == [(f"{S}/a{kind}", "Sheet2", None, None)]
        assert "工作表“Sheet2”已隐藏，未计入：其中的附件2（统计表二）未读取" in ds.problems["message"].iloc[0]
        assert ds.figures[["sheet", "kind", "fines_wan"]].values.tolist() == [
            ["统计表二", "本月数", 2.0], ["统计表二", "累计数", 5.0]]
        assert ds.files[["rows_read", "rows_accepted", "rows_rejected"]].values.tolist() == [[2, 2, 0]]
    assert _problem_keys(results[".xlsx"]) == _problem_keys(results[suffix])


def test_stray_workbook_changes_the_dataset_cache_key(tmp_path, monkeypatch):
    """Adding a workbook directly in DATA_DIR (or registry/) changes the cache key, so the cached dataset
    (without its file_outside_submissions warning) is not reused; removing it gives the first key back."""
    from evalkit.report import cache

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    cache.clear_memory()
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection()])
    first = cache.load_cached(root)
    assert "file_outside_submissions" not in set(first.problems["rule"])
    key = cache.dataset_key(root)
    shutil.copy(root / S / "a.xlsx", root / "石壁村5月.xlsx")
    assert cache.dataset_key(root) != key
    again = cache.load_cached(root)
    assert where(again.problems, "file_outside_submissions") == [("石壁村5月.xlsx", None, None, None)]
    (root / "石壁村5月.xlsx").rename(root / "registry" / "石壁村5月.xlsx")
    moved = cache.dataset_key(root)
    assert moved not in (key,) and where(cache.load_cached(root).problems, "file_outside_submissions") == [
        ("registry/石壁村5月.xlsx", None, None, None)]
    (root / "registry" / "石壁村5月.xlsx").unlink()
    assert cache.dataset_key(root) == key
    cache.clear_memory()
