"""The column-wise intake equals the cell-by-cell one: same records, same problems, same tables.

``columnar.ColumnCache`` parses each distinct value of a column once with the one per-cell
parser; ``columnar.direct`` is its cell-by-cell twin. ``tables.items_frame`` and
``tables.cross_row_checks`` work on whole columns; ``_items_reference`` and
``_cross_reference`` below are the row-by-row loops they replaced (the rules of
docs/design.md, written as plainly as possible), kept here as the oracle. Hypothesis feeds
all of them random and hostile cells and ledgers. Also: ``--jobs 1`` and ``--jobs 2`` give
the same ``validate --json`` and ``metrics --json`` on data/sample.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.cli import main
from evalkit.core.forms import LEDGER
from evalkit.core.problems import make_problem
from evalkit.intake import cells, parallel
from evalkit.intake.columnar import ColumnCache, direct, direct_column, shared_cache
from evalkit.intake.ledger_rows import parse_ledger_rows
from evalkit.intake.records import FileRead, RowBlock, RowRead, SheetRead, cut
from evalkit.intake.registry import load_registry
from evalkit.intake.tables import cross_row_checks, items_frame, ledger_frame
from intake_helpers import make_data_dir

PROPERTY = settings(max_examples=int(os.environ.get("EVALKIT_FUZZ_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=list(HealthCheck))
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

# --------------------------------------------------------------------------- hostile cells

WORDS = ["", " ", "无", "/", "-", "—", "暂无", "nan", "N/A", "0", "-0", "5", "5.0", "5.1", "5.10", "1e309", "1e5",
         "5000元", "0.5万", "0.5万元", "¥1,000", "５０００元", "-3", "待定", "85%", "5家", "5月6日", "2024.5.6",
         "2024-05-06", "20240506", "6日", "13月1日", "2月30日", "5/6", "已整改", "未整改", "逾期未整改",
         "限2024年6月10日前整改", "7日内整改", "1. 消防通道堵塞\n2. 灭火器过期", "1、堵塞 2、过期", "①堵塞②过期",
         "存在问题：1. 堵塞", "1.5米", "复查（原检查2024-05-06）", "张三、李四", "张三 张三", "张三/李四,王五",
         "石狮市宏达五金厂", "石狮市宏达五金厂 ", "石狮市宏达五金场", "蚶江锦里制衣有限公司", "（有限公司）",
         "=1+1", "+1", "@x", "\u3000石壁村\u3000", "\ufeff5", "狮蚶应急罚〔2024〕1号", "狮蚶应急罚[2024]1号",
         "简易程序", "当场处罚 对公民", "填报人：", "合计", "本月无执法检查", "本月数", "累计数"]

cell = st.one_of(
    st.none(), st.sampled_from(WORDS), st.text(max_size=12), st.booleans(),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 5.1, 5.6, 45413.0, 1e309]),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)

PARSERS = [
    (cells.to_text, ()), (cells.is_null, ()), (cells.clean_text, ()), (cells.clean_name, ()),
    (cells.parse_count, ()), (cells.parse_rate, ()), (cells.parse_money, ("万元",)), (cells.parse_money, ("元",)),
    (cells.parse_date, (2024, 5)), (cells.parse_date, (2024, None)), (cells.ambiguous_numeric_date, (2024,)),
    (cells.split_items, ()), (cells.split_persons, ()), (cells.is_footer_text, ()), (cells.is_nothing_note, ()),
]


def _outcome(fn, value, *args, call=direct):
    try:
        return "ok", call(fn, value, *args)
    except cells.CellError as exc:
        return "error", exc.rule, exc.detail


@PROPERTY
@given(st.lists(cell, min_size=1, max_size=8))
def test_column_cache_gives_what_each_parser_gives(values):
    """Every parser through ColumnCache (first and repeated values) returns or raises exactly what it does alone."""
    cache = ColumnCache()
    for fn, args in PARSERS:
        for value in values + values:
            expected = _outcome(fn, value, *args)
            got = _outcome(fn, value, *args, call=cache)
            assert repr(got) == repr(expected), (fn.__name__, value, args)


def test_column_cache_keeps_lookalike_values_apart():
    """True, 1 and 1.0, and 0.0 and -0.0, are different cells to the cache (they print differently)."""
    cache = ColumnCache()
    assert [cache(cells.to_text, v) for v in (1, True, 1.0, 1.5)] == ["1", "是", "1", "1.5"]
    assert repr(cache(cells.parse_money, -0.0)) == repr(cells.parse_money(-0.0))
    assert repr(cache(cells.parse_money, 0.0)) == repr(cells.parse_money(0.0))


def test_shared_cache_starts_empty_for_another_registry(tmp_path):
    """A cache filled against one registry is emptied when cells are read against another."""
    first = load_registry(make_data_dir(tmp_path / "a"))
    second = load_registry(make_data_dir(tmp_path / "b"))
    cache = shared_cache(first)
    cache(first.match_enterprise, "石狮市宏达五金厂")
    assert len(shared_cache(first)) == 1
    assert len(shared_cache(second)) == 0


def test_column_cache_bounded():
    """A bounded cache starts again from empty when full, still giving the parser's answers."""
    cache = ColumnCache(max_entries=3)
    assert [cache(cells.to_text, v) for v in range(10)] == [str(v) for v in range(10)]
    assert len(cache) <= 3


# --------------------------------------------------------------------------- ledger rows

_REGISTRY = {}


def _registry():
    if "r" not in _REGISTRY:
        _REGISTRY["r"] = load_registry(make_data_dir(Path(tempfile.mkdtemp()) / "data"))
    return _REGISTRY["r"]


ROW_KEYS = [c.key for c in LEDGER.columns]


@st.composite
def ledger_sheet(draw):
    """A sheet's cells by field: the header's columns (a random subset of the form's), each a column of cells."""
    keys = draw(st.lists(st.sampled_from(ROW_KEYS), unique=True, max_size=len(ROW_KEYS)))
    n = draw(st.integers(min_value=1, max_value=12))
    return n, {k: draw(st.lists(cell, min_size=n, max_size=n)) for k in keys}


@PROPERTY
@given(ledger_sheet(), st.booleans(), st.sampled_from([None, 5, 12]))
def test_ledger_rows_column_wise_equal_cell_by_cell(sheet_cells, yuan, month):
    """parse_ledger_rows with one ColumnCache over the sheet gives every row the record and problems
    (rule, row, column, message, value) that it gives cell by cell; twice, so repeated values are hits."""
    n, raw = sheet_cells
    raw = {k: v + v for k, v in raw.items()}
    registry = _registry()
    sheet = SheetRead("submissions/a.xlsx", "统计表一", LEDGER.id, unit="石壁村", year=2024, month=month)
    cache = ColumnCache()
    one = [RowRead(r, [], {}) for r in range(5, 5 + 2 * n)]
    two = [RowRead(r, [], {}) for r in range(5, 5 + 2 * n)]
    parse_ledger_rows(one, raw, sheet, registry, yuan, direct_column)
    parse_ledger_rows(two, raw, sheet, registry, yuan, cache.column)
    for a, b in zip(one, two, strict=True):
        assert repr(b.record) == repr(a.record)
        assert [p.to_dict() for p in b.problems] == [p.to_dict() for p in a.problems]
        assert [p.to_dict() for p in b.blanked] == [p.to_dict() for p in a.blanked]


def test_enterprise_judged_once_per_distinct_name(monkeypatch):
    """The registry is a cell judge's argument: it hashes by identity, so a sheet's six rows naming
    two enterprises look the registry up twice, not six times."""
    registry = load_registry(make_data_dir(Path(tempfile.mkdtemp()) / "data"))
    names = list(registry.enterprises["name"])[:2]
    looked_up = []
    original = registry.registered_name
    monkeypatch.setattr(registry, "registered_name", lambda w: looked_up.append(w) or original(w))
    sheet = SheetRead("submissions/a.xlsx", "统计表一", LEDGER.id, unit="石壁村", year=2024, month=5)
    reads = [RowRead(r, [], {}) for r in range(5, 11)]
    parse_ledger_rows(reads, {"enterprise": names * 3}, sheet, registry, False, ColumnCache().column)
    assert looked_up == names
    assert [r.record["enterprise_name"] for r in reads] == names * 3


@PROPERTY
@given(st.lists(cell, min_size=0, max_size=10))
def test_column_gives_what_each_cell_gives(values):
    """ColumnCache.column over a column equals the parser cell by cell: the same values, or the
    CellError of the first cell that raises one."""
    cache = ColumnCache()
    for fn, args in PARSERS:
        for _ in range(2):
            expected = [_outcome(fn, v, *args) for v in values]
            first_error = next((o for o in expected if o[0] == "error"), None)
            try:
                got = [("ok", r) for r in cache.column(fn, values, *args)]
            except cells.CellError as exc:
                assert first_error == ("error", exc.rule, exc.detail), (fn.__name__, values)
            else:
                assert first_error is None
                assert repr(got) == repr(expected), (fn.__name__, values, args)


def _held(cache: ColumnCache) -> int:
    return len(cache._memo) + sum(map(len, cache._texts.values())) + sum(map(len, cache._floats.values()))


@PROPERTY
@given(st.lists(st.lists(cell, max_size=6), min_size=1, max_size=8), st.integers(min_value=1, max_value=5))
def test_bounded_cache_holds_no_more_than_it_counts(columns, bound):
    """A bounded cache filled column by column holds at most ``max_entries`` results after each column
    (a slot emptied mid-column starts again), and still gives every parser's answers."""
    cache = ColumnCache(max_entries=bound)
    for values in columns:
        for fn in (cells.clean_text, cells.to_text):
            assert repr(cache.column(fn, values)) == repr([fn(v) for v in values])
            assert _held(cache) <= bound
            assert len(cache) <= bound


def test_ledger_sheet_by_hand():
    """Three rows by hand: a repeated date and enterprise parse once and land on each row; the single
    inspector and the fine without a case are flagged on their own rows; 复查 in 完成整改情况 counts."""
    registry = _registry()
    name = next(iter(registry.enterprises["name"]))
    sheet = SheetRead("submissions/a.xlsx", "统计表一", LEDGER.id, unit="石壁村", year=2024, month=5)
    raw = {"enterprise": [name, name, None], "inspection_date": ["2024-05-06", "2024-05-06", "5月7日"],
           "inspectors": ["张三、李四", "张三", "张三、李四"], "hazards": ["1. 堵塞", "1. 灭火器过期", None],
           "rectifications": ["已整改", "复查：已整改", None], "fine_wan": [None, "0.5", None]}
    reads = [RowRead(r, [], {}) for r in (5, 6, 7)]
    cache = ColumnCache()
    parse_ledger_rows(reads, raw, sheet, registry, False, cache.column)
    assert [r.record["inspection_date"] for r in reads] == [dt.date(2024, 5, 6)] * 2 + [dt.date(2024, 5, 7)]
    assert [r.record["enterprise_name"] for r in reads] == [name, name, None]
    assert [r.record["is_recheck"] for r in reads] == [False, True, False]
    assert [r.record["fine_wan"] for r in reads][1] == 0.5
    assert [sorted(p.rule for p in r.problems) for r in reads] == [
        [], ["fine_without_case", "inspectors_fewer_than_two"], ["enterprise_missing"]]
    assert all(p.row == r.row for r in reads for p in r.problems)
    assert reads[1].record["seq"] is None and "seq" not in raw
    assert [r.record["inspector_count"] for r in reads] == [2, 1, 2]


def test_rectification_that_reads_no_status_is_named():
    """"已约谈" says neither rectified nor ordered: a warning naming it (the hazard counts as open);
    "整改到位" and "限期整改" read, so no warning; a blank one is no text to judge."""
    registry = _registry()
    name = next(iter(registry.enterprises["name"]))
    sheet = SheetRead("submissions/a.xlsx", "统计表一", LEDGER.id, unit="石壁村", year=2024, month=5)
    raw = {"enterprise": [name] * 3, "inspection_date": ["2024-05-06"] * 3, "inspectors": ["张三、李四"] * 3,
           "hazards": ["1. 堵塞\n2. 灭火器过期", "1. 堵塞", "1. 堵塞"],
           "rectifications": ["1. 已约谈\n2. 整改到位", "限期整改", None]}
    reads = [RowRead(r, [], {}) for r in (5, 6, 7)]
    parse_ledger_rows(reads, raw, sheet, registry, False, ColumnCache().column)
    assert [[p.rule for p in r.problems] for r in reads] == [["rectification_unclear"], [], []]
    assert "“已约谈”" in reads[0].problems[0].message


def test_stated_number_of_inspectors_is_two():
    """"黄文龙等2人" states two officers (行政处罚法第四十二条 is met): no problem, count 2; "黄文龙" is one."""
    registry = _registry()
    name = next(iter(registry.enterprises["name"]))
    sheet = SheetRead("submissions/a.xlsx", "统计表一", LEDGER.id, unit="石壁村", year=2024, month=5)
    raw = {"enterprise": [name, name], "inspection_date": ["2024-05-06", "2024-05-06"],
           "inspectors": ["黄文龙等2人", "黄文龙"]}
    reads = [RowRead(r, [], {}) for r in (5, 6)]
    parse_ledger_rows(reads, raw, sheet, registry, False, ColumnCache().column)
    assert [r.record["inspector_count"] for r in reads] == [2, 1]
    assert [[p.rule for p in r.problems] for r in reads] == [[], ["inspectors_fewer_than_two"]]


# --------------------------------------------------------------------------- items and cross-row checks


def _order(ledger):
    return ledger.sort_values(["inspection_date", "file", "sheet", "row"], kind="stable")


def _cross_reference(ledger: pd.DataFrame) -> list:
    """The row-by-row loop: the first occurrence of a key is remembered, every later one flagged."""
    problems = []
    first_case: dict = {}
    first_visit: dict = {}
    for r in _order(ledger).to_dict("records"):
        where = dict(file=r["file"], sheet=r["sheet"], row=int(r["row"]))
        if isinstance(r["case_no"], str) and r["case_no"]:
            key = (r["year"], cells.normalise_case_no(r["case_no"]))
            first = first_case.get(key)
            if first is None:
                first_case[key] = r
            elif not (r["is_recheck"] and r["enterprise_name"] == first["enterprise_name"]):
                problems.append(make_problem(
                    "case_no_duplicate",
                    f"立案案号 {cut(r['case_no'])} 与 {first['file']} {first['sheet']} 第 {first['row']} 行重复："
                    "同一案号一年内只能用于一个案件，请核对", column=LEDGER.column("case_no").header,
                    value=r["case_no"], **where))
        key = (r["unit"], cells.normalise_name(r["enterprise_name"]), r["inspection_date"])
        first = first_visit.get(key)
        if first is None:
            first_visit[key] = r
        else:
            problems.append(make_problem(
                "enterprise_date_duplicate",
                f"{cut(r['enterprise_name'])} 在 {r['inspection_date'].date().isoformat()} 的检查已填报于 "
                f"{first['file']} {first['sheet']} 第 {first['row']} 行：同一企业同一天只应填报一次",
                column=LEDGER.column("enterprise").header, value=r["enterprise"], **where))
    return problems


def _items_reference(ledger: pd.DataFrame, days: int = cells.DEFAULT_RECTIFICATION_DAYS) -> pd.DataFrame:
    """The row-by-row loop: each item in inspection order; a 复查 item takes the earliest earlier
    open item of the same enterprise and hazard text, and closes it when it says rectified."""
    items: list[dict] = []
    open_items: dict = defaultdict(list)
    for r in _order(ledger).to_dict("records"):
        date = r["inspection_date"].date()
        pairs = cells.pair_items(r["hazards"], r["rectifications"])
        for no, (hazard, rect) in enumerate(zip(r["hazards"], pairs, strict=True), 1):
            status = cells.rectification_status(rect)
            deadline, basis = cells.deadline_with_basis([rect, hazard], date, days)
            item = {
                "row_id": r["row_id"], "item_no": no, "hazard": hazard, "rectification": rect,
                "unit": r["unit"], "period": r["period"], "enterprise_name": r["enterprise_name"],
                "inspection_date": r["inspection_date"], "case_no": r["case_no"],
                "is_recheck": bool(r["is_recheck"]), "status": status,
                "deadline": pd.Timestamp(deadline), "deadline_basis": basis,
                "counts_as_hazard": True, "closed_by": None, "closed_date": pd.NaT,
                "rectified": status == cells.STATUS_RECTIFIED,
            }
            key = (cells.normalise_name(r["enterprise_name"]), cells.norm(hazard).rstrip("。.;；"))
            if r["is_recheck"] and open_items[key]:
                original = items[open_items[key][0]]
                item["counts_as_hazard"] = False
                if status == cells.STATUS_RECTIFIED:
                    original["closed_by"], original["closed_date"] = r["row_id"], r["inspection_date"]
                    original["rectified"] = True
                    open_items[key].pop(0)
            elif status != cells.STATUS_RECTIFIED:
                open_items[key].append(len(items))
            items.append(item)
    frame = pd.DataFrame(items, columns=list(items_frame(ledger.iloc[0:0]).columns))
    frame["item_no"] = frame["item_no"].astype("int64")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    frame["closed_date"] = pd.to_datetime(frame["closed_date"])
    frame["closed_by"] = frame["closed_by"].astype(object).where(frame["closed_by"].notna(), None)
    for key in ("is_recheck", "counts_as_hazard", "rectified"):
        frame[key] = frame[key].astype(bool)
    return frame.sort_values(["row_id", "item_no"], kind="stable").reset_index(drop=True)


NAMES = ["石狮市宏达五金厂", "石狮市宏达五金厂", "石狮市 宏达五金厂", "蚶江锦里制衣有限公司", "蚶江（锦里）制衣",
         "蚶江(锦里)制衣"]
CASES = [None, None, "狮蚶应急罚〔2024〕1号", "狮蚶应急罚[2024]1号", "狮蚶应急罚（2024）1号", "狮蚶应急罚〔2024〕2号"]
HAZARDS = ["消防通道堵塞", "消防通道堵塞。", "灭火器过期", "安全出口锁闭；"]
RECTS = ["已整改", "未整改", "逾期未整改", "限2024年6月10日前整改", "7日内整改", "整改中", "均已整改", "当场整改"]

ledger_row = st.fixed_dictionaries({
    "unit": st.sampled_from(["石壁村", "综合执法队"]),
    "enterprise_name": st.sampled_from(NAMES),
    "date": st.sampled_from([dt.date(2024, 5, d) for d in (1, 6, 20)] + [dt.date(2024, 6, 3), dt.date(2025, 1, 2)]),
    "case_no": st.sampled_from(CASES),
    "is_recheck": st.booleans(),
    "hazards": st.lists(st.sampled_from(HAZARDS), max_size=3),
    "rectifications": st.lists(st.sampled_from(RECTS), max_size=3),
    "file": st.sampled_from(["submissions/a.xlsx", "submissions/b.xls"]),
})


def _ledger(rows: list[dict]) -> pd.DataFrame:
    """The rows as ledger_frame builds them from what the reader returns (one sheet per file)."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    files = []
    for name, mine in by_file.items():
        records = [{"seq": None, "enterprise": r["enterprise_name"], "enterprise_name": r["enterprise_name"],
                    "registered": True, "inspection_date": r["date"], "inspectors": ["张三", "李四"],
                    "inspector_count": 2, "hazards": r["hazards"], "rectifications": r["rectifications"][:len(
                        r["hazards"])] if len(r["rectifications"]) > 1 else r["rectifications"],
                    "case_no": r["case_no"], "fine_wan": float("nan"), "legal_basis": None, "other_handling": None,
                    "remarks": "复查" if r["is_recheck"] else None, "is_recheck": r["is_recheck"],
                    "unreadable": None} for r in mine]
        reads = [RowRead(5 + i, [], rec) for i, rec in enumerate(records)]
        sheet = SheetRead(name, "统计表一", LEDGER.id, unit=mine[0]["unit"], year=2024, month=5,
                          block=RowBlock.from_rows(reads, {}))
        files.append(FileRead(name, sheets=[sheet]))
    return ledger_frame(files)


@PROPERTY
@given(st.lists(ledger_row, max_size=14))
def test_items_and_cross_row_checks_equal_the_row_by_row_loops(rows):
    """items_frame (status, deadline, 复查 linking) and cross_row_checks (duplicate case numbers, one
    enterprise twice a day) give exactly what the row-by-row loops give, on random ledgers."""
    ledger = _ledger(rows)
    pd.testing.assert_frame_equal(items_frame(ledger), _items_reference(ledger), check_exact=True)
    assert [p.to_dict() for p in cross_row_checks(ledger)] == [p.to_dict() for p in _cross_reference(ledger)]


def test_recheck_linking_by_hand():
    """By hand: a 复查 of 消防通道堵塞 closes the open item of the same enterprise (name written with a
    space), does not count as a new hazard, and leaves the other enterprise's same hazard open."""
    rows = [
        {"unit": "石壁村", "enterprise_name": "石狮市宏达五金厂", "date": dt.date(2024, 5, 1), "case_no": None,
         "is_recheck": False, "hazards": ["消防通道堵塞"], "rectifications": ["限2024年5月10日前整改"],
         "file": "submissions/a.xlsx"},
        {"unit": "石壁村", "enterprise_name": "蚶江锦里制衣有限公司", "date": dt.date(2024, 5, 1), "case_no": None,
         "is_recheck": False, "hazards": ["消防通道堵塞"], "rectifications": ["未整改"], "file": "submissions/a.xlsx"},
        {"unit": "石壁村", "enterprise_name": "石狮市 宏达五金厂", "date": dt.date(2024, 5, 20), "case_no": None,
         "is_recheck": True, "hazards": ["消防通道堵塞。"], "rectifications": ["已整改"], "file": "submissions/b.xls"},
    ]
    items = items_frame(_ledger(rows)).set_index(["row_id", "item_no"])
    first = items.loc[("submissions/a.xlsx#统计表一#5", 1)]
    assert (first["closed_by"], first["closed_date"], bool(first["rectified"])) == (
        "submissions/b.xls#统计表一#5", pd.Timestamp("2024-05-20"), True)
    assert first["deadline"] == pd.Timestamp("2024-05-10") and first["deadline_basis"] == "written"
    other = items.loc[("submissions/a.xlsx#统计表一#6", 1)]
    assert other["closed_by"] is None and not other["rectified"]
    recheck = items.loc[("submissions/b.xls#统计表一#5", 1)]
    assert not recheck["counts_as_hazard"]


def test_duplicate_case_numbers_by_hand():
    """By hand: 〔2024〕1号 and [2024]1号 are one case number; the later row is flagged naming the first,
    unless it is a 复查 of the same enterprise."""
    base = {"unit": "石壁村", "hazards": [], "rectifications": [], "file": "submissions/a.xlsx"}
    rows = [
        {**base, "enterprise_name": "石狮市宏达五金厂", "date": dt.date(2024, 5, 1), "case_no": "狮蚶应急罚〔2024〕1号",
         "is_recheck": False},
        {**base, "enterprise_name": "石狮市宏达五金厂", "date": dt.date(2024, 5, 6), "case_no": "狮蚶应急罚[2024]1号",
         "is_recheck": True},
        {**base, "enterprise_name": "蚶江锦里制衣有限公司", "date": dt.date(2024, 5, 6),
         "case_no": "狮蚶应急罚(2024)1号", "is_recheck": False},
    ]
    found = [(p.rule, p.row) for p in cross_row_checks(_ledger(rows))]
    assert found == [("case_no_duplicate", 7)]


# --------------------------------------------------------------------------- jobs


@pytest.mark.skipif(not (SAMPLE / "submissions").is_dir(), reason="data/sample not present")
def test_sample_same_with_one_and_two_workers(monkeypatch, capsys):
    """data/sample: validate --json (every problem) and metrics --json for 2024-06 are identical with
    --jobs 1 and --jobs 2 (workers in other processes, results put back in file order)."""
    outputs = {}
    for jobs in (1, 2):
        monkeypatch.setattr(parallel, "default_jobs", lambda jobs=jobs: jobs)
        main(["validate", str(SAMPLE), "--json", "--jobs", str(jobs)])
        validate = json.loads(capsys.readouterr().out)
        assert main(["metrics", str(SAMPLE), "--period", "2024-06", "--json"]) == 0
        outputs[jobs] = validate, json.loads(capsys.readouterr().out)
    (v1, m1), (v2, m2) = outputs[1], outputs[2]
    assert v1["rows_read"] == v2["rows_read"] > 4000
    assert len(v1["problems"]) >= 30  # the planted defects
    assert v1 == v2
    assert m1 == m2


def test_column_cache_parses_unhashable_arguments_on_their_own():
    """A value or an argument that cannot be a key is parsed without the cache, text or not."""
    cache = ColumnCache()

    def joined(value, parts):
        return f"{value}:{'/'.join(parts)}"

    assert cache(joined, "a", ["x", "y"]) == "a:x/y"
    assert cache(joined, None, ["x"]) == "None:x"
    assert cache(joined, 1.5, ["x"]) == "1.5:x"
    assert cache(cells.to_text, ["not", "a", "cell"]) == "['not', 'a', 'cell']"
    assert len(cache) == 0


@PROPERTY
@given(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["2024-05", "石壁村", "a.xlsx", ""]),
                                    st.integers(min_value=0, max_value=2024), st.booleans()),
                          st.integers(min_value=0, max_value=4)), min_size=1, max_size=8))
def test_sheet_fields_built_by_code_equal_the_whole_list(pairs):
    """tables._repeated (one value per sheet, taken by code) gives the Series pandas builds from
    every row's value: the same values and the same dtype."""
    from evalkit.intake.tables import _repeated

    values, counts = [v for v, _ in pairs], [c for _, c in pairs]
    whole = pd.Series([v for v, c in pairs for _ in range(c)])
    if not len(whole):
        whole = whole.astype(object)
    got = _repeated(values, counts)
    pd.testing.assert_series_equal(got, whole if len(whole) else got.iloc[:0])
    if len(whole):
        assert got.dtype == whole.dtype


text_or_blank = st.one_of(
    st.none(), st.sampled_from(["石壁村", "a.xlsx#统计表一#10", "a.xlsx#统计表一#9", "Z", "é", "😀", ""]),
    st.text(max_size=6))


@PROPERTY
@given(st.lists(st.one_of(text_or_blank, st.integers(min_value=0, max_value=9), st.booleans(),
                          st.floats(allow_nan=True), st.lists(st.just("x"), max_size=1)), max_size=8),
       st.booleans())
def test_text_columns_built_by_pyarrow_equal_what_pandas_infers(values, texts_only):
    """tables._as_column gives the column pandas infers from the same list: a str column when all
    values are texts or blanks (at least one text), the untouched list otherwise (pandas infers it)."""
    from evalkit.intake.tables import _as_column

    if texts_only:
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    got = pd.DataFrame({"c": _as_column(list(values))}) if values else pd.DataFrame({"c": []})
    pd.testing.assert_frame_equal(got, pd.DataFrame({"c": list(values)}), check_exact=True)


@PROPERTY
@given(st.lists(text_or_blank, max_size=10))
def test_text_ranks_are_the_sorted_factorize_codes(values):
    """tables._text_ranks ranks texts as pandas' sorted factorize numbers them (ties equal, code point
    order, blanks and all-blank columns handed to pandas)."""
    from evalkit.intake.tables import _text_ranks

    series = pd.Series(values, dtype="str")
    assert _text_ranks(series).tolist() == pd.factorize(series, sort=True)[0].tolist()


def test_text_ranks_by_hand():
    """By hand: "#10" sorts before "#9" as text, equal texts share a rank, CJK after ASCII."""
    from evalkit.intake.tables import _text_ranks

    series = pd.Series(["a#9", "a#10", "石壁村", "a#9", "Z"], dtype="str")
    assert _text_ranks(series).tolist() == [2, 1, 3, 2, 0]


@PROPERTY
@given(st.lists(st.tuples(st.lists(st.one_of(st.none(), st.sampled_from(["石壁村", "a", ""])), max_size=4),
                          st.booleans()), max_size=4))
def test_sheets_text_pieces_join_as_pandas_infers_their_values(pieces):
    """tables._joined: the sheets' pieces of a text column (pyarrow arrays from the workers, or lists)
    give the column pandas infers from all their values: str, or object when every value is blank."""
    from evalkit.intake.records import text_array
    from evalkit.intake.tables import _joined

    parts = [text_array(list(values)) if as_array else list(values) for values, as_array in pieces]
    every = [v for values, _ in pieces for v in values]
    got = _joined(parts)
    pd.testing.assert_frame_equal(pd.DataFrame({"c": got}) if every else pd.DataFrame({"c": []}),
                                  pd.DataFrame({"c": every}), check_exact=True)


def test_block_values_by_label_as_written():
    """A block keeps each row's raw texts with the sheet's labels once; a row's values come back as
    its non-blank texts by label in column order, a label two columns share keeping the later text."""
    rows = [RowRead(5, ["1", None, "石狮市宏达五金厂", "上旬"], {}), RowRead(6, [None, "x", None], {}),
            RowRead(7, [], {}), RowRead(8, ["2", "早", "某厂", "晚"], {})]
    block = RowBlock.from_rows(rows, {0: "序号", 1: "说明", 2: "受检企业(单位)名称", 3: "说明"})
    got = block.all_values()
    assert [list(v.items()) for v in got] == [
        [("序号", "1"), ("受检企业(单位)名称", "石狮市宏达五金厂"), ("说明", "上旬")], [("说明", "x")], [],
        [("序号", "2"), ("说明", "晚"), ("受检企业(单位)名称", "某厂")]]
    assert block.values_of(1) == {"说明": "x"}
