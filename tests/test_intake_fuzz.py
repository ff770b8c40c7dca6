"""Property tests: hostile and odd cell values never crash intake and never lose a row.

Each example writes a small workbook (official layout, or a hand-laid grid with a
random header offset, junk above the header, blank and footer rows below) into a
fresh data folder and checks the product promise of docs/intake.md: no traceback,
rows_read = rows_accepted + rows_rejected per file, the frames agree with the file
counts, every problem names its file and rule, every rejected row has a reason,
every accepted ledger row has an enterprise and a real inspection date.
Regression tests for the bugs the properties found are at the end, with hand-made input.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.core.form_writer import write_submission
from evalkit.core.problems import RULES
from evalkit.intake import loader as intake
from intake_helpers import (
    ENTERPRISES,
    LEDGER_HEADER,
    grid_file,
    inspection,
    ledger_file,
    make_data_dir,
)

FUZZ = settings(max_examples=int(os.environ.get("EVALKIT_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=list(HealthCheck))

# --------------------------------------------------------------------------- strategies

# openpyxl refuses control characters other than tab and newline, so a workbook cannot hold them.
_UNICODE_JUNK = st.text(alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.just("\n")),
                        max_size=30)
_LOOKALIKES = st.sampled_from([
    "２０２４－０５－０６", "2024.5.6", "5月6日", "20240506", "2024/13/45", "0000-00-00", "9999-12-31",
    "1900-01-01", "2024年2月30日", "6日", "5.6", "1e5", "１２３", "1,234.5", "-0", "−5", "5000元", "0.5万",
    "¥-3", "NaN", "inf", "-inf", "#N/A", "#REF!", "#DIV/0!", "TRUE", "无", "/", "—", "暂无", "null",
    "填报人：张三", "合计", "本月无执法检查", "1. 2. 3. ...", "复查（原检查2024-05-06）", "均已整改",
    "=1+1", "=HYPERLINK(\"http://x\",\"点我\")", "+86 123", "-1", "@SUM(A1)", "\t制表", "\n\n",
    "🔥🧯", "石壁村\n综合执法队", "（１）消防通道堵塞（２）灭火器过期", "①漏电②无证", "　", " \u3000 ",
    "受检企业(单位)名称", "检查时间", "本月数", "累计数", "限9999年12月31日前整改", "限12月31日前整改",
])
_NUMBERS = st.one_of(
    st.integers(min_value=-10**20, max_value=10**20),
    st.sampled_from([0, 1, -1, 2**31, 2**53, 2**63, 10**30, -(10**30), 5.6, 5.1, 0.5, 45000, 45500.5,
                     19_999, 20_000, 79_999, 80_000, 20240506, 1e15, 1e300, -1e300]),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
_DATES = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2024, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
)
_JUNK = st.one_of(
    st.none(), st.booleans(), _NUMBERS, _DATES, _LOOKALIKES, _UNICODE_JUNK,
    st.text(alphabet="０１２３４５６７８９年月日．－／（）", max_size=12),
    st.text(alphabet="消防通道堵塞已整改1. 、\n", min_size=300, max_size=2000),  # very long strings
)
_ENTERPRISE = st.one_of(st.sampled_from([e[0] for e in ENTERPRISES]), _JUNK)
_DATE_CELL = st.one_of(st.dates(min_value=dt.date(2024, 5, 1), max_value=dt.date(2024, 5, 31)), _JUNK)


@st.composite
def ledger_records(draw):
    """A 附件1 record mixing valid values and junk, column by column."""
    return {
        "seq": draw(st.one_of(st.integers(1, 50), _JUNK)),
        "enterprise": draw(_ENTERPRISE),
        "inspection_date": draw(_DATE_CELL),
        "inspectors": draw(st.one_of(st.just("张三、李四"), _JUNK)),
        "hazards": draw(st.one_of(st.just("1. 消防通道堵塞\n2. 灭火器过期"), _JUNK)),
        "rectifications": draw(st.one_of(st.just("已整改"), _JUNK)),
        "case_no": draw(st.one_of(st.just("石蚶应急罚〔2024〕1号"), _JUNK)),
        "fine_wan": draw(st.one_of(st.just(0.5), _JUNK)),
        "legal_basis": draw(_JUNK),
        "other_handling": draw(_JUNK),
        "remarks": draw(st.one_of(st.just("复查（原检查2024-05-06）"), _JUNK)),
    }


_MONTH_CELL = st.one_of(st.integers(1, 12), st.just("5月"), st.just("9999年12月"), st.just("0000年5月"), _JUNK)
_UNIT_CELL = st.one_of(st.sampled_from(["石壁村", "综合执法队", "蚶江镇石壁村委会"]), _JUNK)


# --------------------------------------------------------------------------- the checks


def check_promise(ds) -> None:
    """The product promise of docs/intake.md, checked on one loaded Dataset."""
    files = ds.files
    assert (files["rows_read"] == files["rows_accepted"] + files["rows_rejected"]).all()
    kept = pd.concat([ds.ledger["file"], ds.figures["file"]]).value_counts()
    dropped = ds.rejected["file"].value_counts()
    for f in files.to_dict("records"):
        assert f["rows_accepted"] == kept.get(f["file"], 0), f
        assert f["rows_rejected"] == dropped.get(f["file"], 0), f
    assert ds.rows_read == len(ds.ledger) + len(ds.figures) + len(ds.rejected)
    for p in ds.problems.to_dict("records"):
        assert isinstance(p["file"], str) and p["file"], p
        assert p["rule"] in RULES and p["severity"] in ("error", "warning"), p
        assert isinstance(p["message"], str) and p["message"], p
        if p["file"].startswith("submissions/") and RULES[p["rule"]].scope in ("row", "cell"):
            assert isinstance(p["sheet"], str) and not pd.isna(p["row"]) and isinstance(p["column"], str), p
    for r in ds.rejected.to_dict("records"):
        reasons = r["reason"].split(";")
        assert reasons and all(RULES[x].severity == "error" for x in reasons), r
        assert isinstance(r["values"], dict), r
    for r in ds.ledger.to_dict("records"):
        assert isinstance(r["inspection_date"], pd.Timestamp) and not pd.isna(r["inspection_date"]), r
        assert isinstance(r["enterprise"], str) and r["enterprise"], r
    assert ds.submissions["rows_read"].sum() <= ds.rows_read


def _load(root: Path):
    ds = intake.load(root)
    check_promise(ds)
    return ds


def _safe_sheet_title(text) -> str:
    return "表" + "".join(ch for ch in str(text) if ch not in "[]:*?/\\'")[:20]


# --------------------------------------------------------------------------- properties


def _writable(rows):
    """layout numbers item lists; junk of another type goes into an items cell as text."""
    if rows is None:
        return None
    items = ("hazards", "rectifications")
    return [{k: (str(v) if k in items and v is not None and not isinstance(v, str) else v)
             for k, v in r.items()} for r in rows]


@FUZZ
@given(rows=st.lists(ledger_records(), max_size=6), month=st.integers(1, 12), unit=_UNIT_CELL)
def test_official_layout_with_junk_cells_keeps_the_promise(rows, month, unit):
    """附件1 in the official layout with junk in every column: no traceback, no row lost."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_data_dir(Path(tmp))
        path = root / "submissions" / "a.xlsx"
        write_submission(path, unit=str(unit), year=2024, month=month, ledger_rows=_writable(rows))
        ds = _load(root)
        assert len(ds.files) == 1


@st.composite
def ledger_grids(draw):
    """A hand-laid 附件1 grid: junk rows, header fields, header at a random offset,
    data rows with blank rows between them, then footer lines. Cells starting with
    "=" become formulas without a cached value (openpyxl writes them so)."""
    grid: list[list] = []
    for _ in range(draw(st.integers(0, 4))):
        grid.append(draw(st.lists(st.one_of(st.none(), _JUNK), max_size=4)))
    grid.append(["填报部门（公章）：", draw(_UNIT_CELL), None, "月份：", draw(_MONTH_CELL)])
    header = list(LEDGER_HEADER)
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    if draw(st.booleans()):
        header = [h for h in header if draw(st.booleans()) or h in ("受检企业(单位)名称",)]
    shift = draw(st.integers(0, 3))
    grid.append([None] * shift + header)
    for rec in draw(st.lists(ledger_records(), max_size=6)):
        for _ in range(draw(st.integers(0, 2))):
            grid.append([])
        by_header = dict(zip(LEDGER_HEADER, rec.values(), strict=True))
        grid.append([None] * shift + [by_header[h] for h in header])
    for _ in range(draw(st.integers(0, 3))):
        grid.append(draw(st.sampled_from([["填报人：张三", None, "联系电话：123"], ["合计", 5, 3],
                                          ["注：本表每月30日前报送"], [None, "审核人："], ["说明", "x", "y"]])))
    return grid


@FUZZ
@given(grids=st.lists(ledger_grids(), min_size=1, max_size=2), titles=st.lists(_UNICODE_JUNK, min_size=2, max_size=2))
def test_hand_laid_sheets_with_offsets_footers_and_formulas_keep_the_promise(grids, titles):
    """Random header offsets, junk above the header, blank/footer rows, formulas: the promise holds."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_data_dir(Path(tmp))
        sheets = {f"{i}{_safe_sheet_title(t)}": g for i, (t, g) in enumerate(zip(titles, grids, strict=False))}
        grid_file(root, "b.xlsx", sheets)
        grid_file(root, "dup.xlsx", sheets)  # same unit/month: duplicate handling
        ds = _load(root)
        assert sorted(ds.files["file"]) == ["submissions/b.xlsx", "submissions/dup.xlsx"]


_FIGURE_VALUE = st.one_of(st.integers(0, 100), _JUNK)


@FUZZ
@given(month_values=st.dictionaries(st.sampled_from(["supervised_total", "enterprises_inspected", "coverage_rate",
                                                     "fines_wan", "hazards_found"]), _FIGURE_VALUE),
       cumulative_values=st.dictionaries(st.sampled_from(["supervised_total", "fines_wan", "coverage_rate"]),
                                         _FIGURE_VALUE),
       rows=st.one_of(st.none(), st.lists(ledger_records(), max_size=3)),
       month=_MONTH_CELL)
def test_figures_with_junk_keep_the_promise(month_values, cumulative_values, rows, month):
    """附件2 (and optionally 附件1 beside it) with junk figures and odd months: the promise holds."""
    from evalkit.core.forms import FIGURES

    keys = {c.key for c in FIGURES.columns}
    month_values = {k: v for k, v in month_values.items() if k in keys}
    cumulative_values = {k: v for k, v in cumulative_values.items() if k in keys}
    with tempfile.TemporaryDirectory() as tmp:
        root = make_data_dir(Path(tmp))
        write_submission(root / "submissions" / "c.xlsx", unit="综合执法队", year=2024, month=month,
                         ledger_rows=_writable(rows), month_values=month_values, cumulative_values=cumulative_values)
        _load(root)


@FUZZ
@given(data=st.binary(max_size=200), prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                                                              b"%PDF", b"\xef\xbb\xbf"]),
       name=st.sampled_from(["x.xlsx", "x.xls", "x.csv", "x", "子目录/x.XLSX", "~$x.xlsx"]))
def test_random_bytes_as_a_workbook_keep_the_promise(data, prefix, name):
    """Random bytes under any name become one file-level problem (or a skip), never a traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_data_dir(Path(tmp))
        path = root / "submissions" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(prefix + data)
        ds = _load(root)
        assert ds.rows_read == 0


# --------------------------------------------------------------------------- regressions


def test_far_future_inspection_date_is_read_not_crashed(tmp_path):
    """检查时间 9999-12-31 (its +30-day deadline overflows) gives one warning, the row is kept."""
    root = make_data_dir(tmp_path)
    ledger_file(root, "a.xlsx", [inspection(date="9999-12-31")])
    ds = _load(root)
    assert ds.files.iloc[0][["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [1, 1, 0]
    assert list(ds.problems["rule"]) == ["date_outside_month"]
    assert ds.items["deadline"].iloc[0] == pd.Timestamp("9999-12-31")


def test_huge_seq_number_is_ignored_not_crashed(tmp_path):
    """序号 10**30 or 2**63 (beyond int64) is informative only: the rows are kept with seq <NA>."""
    root = make_data_dir(tmp_path)
    ledger_file(root, "a.xlsx", [inspection(seq=10**30), inspection(seq=2**63, date=dt.date(2024, 5, 7))])
    ds = _load(root)
    assert ds.files.iloc[0][["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [2, 2, 0]
    assert ds.ledger["seq"].isna().tolist() == [True, True]


def test_month_in_year_9999_with_a_received_date_is_read_not_crashed(tmp_path):
    """月份 “9999年12月” with a received date (its deadline would be in year 10000): no lateness, no crash."""
    root = make_data_dir(tmp_path, received={"a.xlsx": "2024-06-01"})
    ledger_file(root, "a.xlsx", [inspection(date=dt.date(9999, 12, 6))], month="9999年12")
    ds = _load(root)
    assert ds.files.iloc[0][["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [1, 1, 0]
    assert ds.submissions[["year", "month", "late"]].values.tolist() == [[9999, 12, False]]
    assert list(ds.problems["rule"]) == []


def _claim_dimension(path: Path, ref: str, far_row: int) -> None:
    """Rewrite sheet1's <dimension> to ``ref`` and add one cell 'x' in column A of ``far_row``."""
    import io
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), data)
                data = data.replace(b"</sheetData>", f'<row r="{far_row}"><c r="A{far_row}" t="inlineStr">'
                                    f'<is><t>x</t></is></c></row></sheetData>'.encode())
            zout.writestr(item, data)
    path.write_bytes(out.getvalue())


def test_false_sheet_dimension_does_not_pad_rows(tmp_path):
    """A sheet claiming <dimension ref="A1:XFD40"> (a 6 KB memory bomb at XFD1048576) is read as
    written: rows as long as their last cell (11 columns), not 16384; the row is still accepted."""
    from openpyxl import load_workbook

    from evalkit.intake.grid import read_grid

    root = make_data_dir(tmp_path)
    path = ledger_file(root, "a.xlsx", [inspection()])
    _claim_dimension(path, "A1:XFD40", 40)
    wb = load_workbook(path, read_only=True, data_only=True)
    grid = read_grid(wb.worksheets[0]).rows
    wb.close()
    assert len(grid) == 40 and max(len(r) for r in grid) == 11
    ds = _load(root)
    assert ds.files.iloc[0][["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [1, 1, 0]
