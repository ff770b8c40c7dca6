"""Consolidated forms a town sends up (intake.consolidated) and rule 13 (audit.rules_consolidated).

Hand-made workbooks in the layouts a clerk makes; expected values worked out by hand in each test.
The registry lists 石壁村 (村) and 综合执法队 (部门) without 上级单位, so both report to the default root 蚶江镇,
which units.csv does not list: intake still recognises 蚶江镇's forms (``hierarchy.root``).
"""

from __future__ import annotations

import datetime as dt
import math

from evalkit.audit.run import run_audit
from evalkit.core.forms import FIGURES
from evalkit.intake.loader import load
from intake_helpers import LEDGER_HEADER, grid_file, inspection, ledger_file, make_data_dir

HEADER = [c.header for c in FIGURES.columns]
TOP = [["附件2"], ["石狮市2024年安全生产执法提升专项行动情况统计表（二）"],
       ["填报地区（部门）：蚶江镇", None, None, None, None, None, None, None, "月份：5月"]]


def _fig(label, supervised, inspected, coverage, hazards, rectified, cases, ratio, handling, fines=0, *rest):
    """One 附件2 row: label then the 17 figure cells (the rest 0 unless given)."""
    tail = list(rest) + [0] * (8 - len(rest))
    return [label, supervised, inspected, coverage, hazards, rectified, cases, ratio, handling, 0, fines, *tail[:7]]


def _town_figures(data, rows, name="town.xlsx", top=TOP, header=HEADER):
    return grid_file(data, name, {"统计表二": [*top, header, *rows]})


def _values(ds, unit, kind, *keys):
    row = ds.figures[(ds.figures["unit"] == unit) & (ds.figures["kind"] == kind)].iloc[0]
    return [None if math.isnan(row[k]) else row[k] for k in keys]


def test_unit_and_label_in_one_cell_with_not_applicable_cells(tmp_path):
    """"石壁村 本月数" rows land under 石壁村 via 蚶江镇; 不适用, —, - and blank are NA; 合计 is 蚶江镇's row."""
    data = make_data_dir(tmp_path)
    _town_figures(data, [
        _fig("石壁村 本月数", 10, 0, 0, 0, 0, 0, "不适用", "—"),
        _fig("石壁村 累计数", 10, 4, 40, 6, 5, 1, 25, "-"),
        _fig("综合执法队本月数", 5, 2, 40, 3, 1, 1, 50, None),
        _fig("综合执法队 本年累计", 5, 3, 60, 7, 6, 2, 66.67, 28.57),
        _fig("合计 本月数", 15, 2, 13.33, 3, 1, 1, 50, None),
        _fig("合计 累计数", 15, 7, 46.67, 13, 11, 3, 42.86, 23.08),
        ["填报人签字："],
    ])
    ds = load(data, jobs=1)
    assert ds.error_count == 0, ds.problems.to_dict("records")
    assert (ds.rows_read, ds.rows_accepted) == (6, 6)
    assert _values(ds, "石壁村", "本月数", "case_ratio", "violation_handling_rate", "inspected") == [None, None, 0]
    assert _values(ds, "石壁村", "累计数", "violation_handling_rate", "hazards_found") == [None, 6]
    assert _values(ds, "综合执法队", "累计数", "cases_filed") == [2]
    assert _values(ds, "蚶江镇", "累计数", "inspected", "hazards_found") == [7, 13]
    via = dict(zip(ds.figures["unit"] + ds.figures["kind"], ds.figures["via"], strict=True))
    assert via["石壁村本月数"] == "蚶江镇" and via["综合执法队累计数"] == "蚶江镇"
    assert via["蚶江镇本月数"] is None or math.isnan(via["蚶江镇本月数"])


def test_a_lone_dash_is_not_a_negative_number_but_minus_five_is(tmp_path):
    """A "-" cell is NA; "-5" is still number_negative (that row rejected, the others kept)."""
    data = make_data_dir(tmp_path)
    _town_figures(data, [_fig("石壁村 本月数", 10, "-", 0, 0, 0, 0, 0, 0),
                         _fig("石壁村 累计数", 10, "-5", 0, 0, 0, 0, 0, 0)])
    ds = load(data, jobs=1)
    assert list(ds.problems["rule"]) == ["number_negative"]
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (2, 1, 1)


def test_unit_in_its_own_merged_column(tmp_path):
    """单位 | 项目 layout: the unit cell merged over its two rows carries down; an unknown unit is rejected."""
    data = make_data_dir(tmp_path)
    header = ["单位", "项目", *HEADER[1:]]
    rows = [["石壁村", "本月数", *_fig("", 10, 2, 20, 1, 1, 0, 0, 0)[1:]],
            [None, "累计数", *_fig("", 10, 5, 50, 4, 3, 1, 20, 25)[1:]],
            ["石湖村", "本月数", *_fig("", 1, 1, 100, 0, 0, 0, 0, 0)[1:]],
            [None, "累计数", *_fig("", 1, 1, 100, 0, 0, 0, 0, 0)[1:]],
            ["合计", "本月数", *_fig("", 11, 3, 27.27, 1, 1, 0, 0, 0)[1:]],
            [None, "累计数", *_fig("", 11, 6, 54.55, 4, 3, 1, 16.67, 25)[1:]]]
    path = data / "submissions" / "town.xlsx"
    grid_file(data, "town.xlsx", {"汇总": [*TOP, header, *rows]}, merges={"汇总": ["A5:A6", "A7:A8", "A9:A10"]})
    assert path.exists()
    ds = load(data, jobs=1)
    assert sorted(ds.problems.loc[ds.problems["severity"] == "error", "rule"]) == ["unit_unknown", "unit_unknown"]
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (6, 4, 2)
    assert _values(ds, "石壁村", "累计数", "inspected", "cases_filed") == [5, 1]
    assert _values(ds, "蚶江镇", "本月数", "supervised_total") == [11]


def test_consolidated_ledger_unit_column_and_marker_rows(tmp_path):
    """A town's 附件1 with a 所属单位 column, and one with 【单位】 marker rows: rows land under the named unit."""
    data = make_data_dir(tmp_path)
    top = [["附件1"], ["石狮市2024年安全生产执法提升专项行动情况统计表（一）"],
           ["填报部门（公章）：蚶江镇", None, None, None, "月份：5月"]]
    def row(seq, enterprise, date, unit=None, remarks=None):
        return [seq, enterprise, date, "张三、李四", None, None, None, None, None, None, remarks, unit]

    grid_file(data, "a.xlsx", {"台账": [*top, [*LEDGER_HEADER, "所属单位"],
                                        row(1, "石狮市宏达五金厂", "2024-05-06", "石壁村"),
                                        row(2, "蚶江渔业合作社", "2024-05-07", "综合执法队"),
                                        row(3, "蚶江渔业合作社", "2024-05-08")]})
    grid_file(data, "b.xlsx", {"台账": [top[0], top[1], ["填报部门（公章）：蚶江镇", None, None, None, "月份：6月"],
                                        LEDGER_HEADER, [None, "【石壁村】"],
                                        row(1, "石狮市宏达五金厂", "2024-06-03")[:11],
                                        row(2, "蚶江锦里制衣有限公司", "2024-06-04")[:11],
                                        ["【综合执法队】"],
                                        row(1, "蚶江渔业合作社", "2024-06-05", remarks="【综合执法队】复查")[:11]]})
    ds = load(data, jobs=1)
    assert list(ds.problems.loc[ds.problems["severity"] == "error", "rule"]) == ["unit_missing"]  # a.xlsx row 7
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (6, 5, 1)  # marker rows are not read
    got = sorted(zip(ds.ledger["period"], ds.ledger["unit"], ds.ledger["enterprise"], ds.ledger["via"], strict=True))
    assert got == [("2024-05", "石壁村", "石狮市宏达五金厂", "蚶江镇"),
                   ("2024-05", "综合执法队", "蚶江渔业合作社", "蚶江镇"),
                   ("2024-06", "石壁村", "石狮市宏达五金厂", "蚶江镇"),
                   ("2024-06", "石壁村", "蚶江锦里制衣有限公司", "蚶江镇"),
                   ("2024-06", "综合执法队", "蚶江渔业合作社", "蚶江镇")]
    assert ds.ledger.loc[ds.ledger["period"] == "2024-06", "is_recheck"].tolist() == [False, False, True]
    assert "复查" in ds.ledger["remarks"].dropna().tolist()


def test_own_original_wins_over_the_towns_row_which_is_kept_for_reconciliation(tmp_path):
    """石壁村 sent its own 附件2 and the town's form lists it too: counted once (the original); the town's
    row is in Dataset.superseded with a relayed_superseded warning."""
    data = make_data_dir(tmp_path)
    grid_file(data, "own.xlsx", {"统计表二": [TOP[0], TOP[1], ["填报地区（部门）：石壁村", None, None, None, None,
                                                              None, None, None, "月份：5月"], HEADER,
                                              _fig("本月数", 10, 3, 30, 2, 2, 0, 0, 0),
                                              _fig("累计数", 10, 5, 50, 6, 5, 1, 20, 16.67)]})
    _town_figures(data, [_fig("石壁村 本月数", 10, 2, 20, 2, 2, 0, 0, 0),  # the town copied 2, the unit wrote 3
                         _fig("石壁村 累计数", 10, 5, 50, 6, 5, 1, 20, 16.67),
                         _fig("合计 本月数", 10, 2, 20, 2, 2, 0, 0, 0),
                         _fig("合计 累计数", 10, 5, 50, 6, 5, 1, 20, 16.67)])
    ds = load(data, jobs=1)
    assert ds.error_count == 0
    assert (ds.rows_read, ds.rows_accepted) == (6, 6)
    mine = ds.figures[ds.figures["unit"] == "石壁村"]
    assert len(mine) == 2 and set(mine["file"]) == {"submissions/own.xlsx"}
    assert _values(ds, "石壁村", "本月数", "inspected") == [3]
    assert sorted(zip(ds.superseded["unit"], ds.superseded["kind"], ds.superseded["inspected"], strict=True)) == [
        ("石壁村", "本月数", 2), ("石壁村", "累计数", 5)]
    assert set(ds.superseded["superseded_by"]) == {"submissions/own.xlsx"}
    assert list(ds.problems["rule"]) == ["relayed_superseded"]
    # the town's 合计 agrees with its own rows (the superseded ones): no rule-13a finding
    audit = run_audit(ds, "2024-05")
    assert audit.counts()["consolidated_total_mismatch"] == 0


# ------------------------------------------------------------------ rule 13a, hand-computed
def _two_unit_month(total_inspected, total_hazards, total_coverage):
    """石壁村: 10 enterprises, 3 inspected (30%), 4 hazards; 综合执法队: 5, 3 inspected (60%), 2 hazards.
    Sums: supervised 15, inspected ≤ 6 (distinct: ≥ 3), hazards 6, coverage (3 + 3) / 15 = 40%."""
    return [_fig("石壁村 本月数", 10, 3, 30, 4, 4, 0, 0, 0), _fig("石壁村 累计数", 10, 3, 30, 4, 4, 0, 0, 0),
            _fig("综合执法队 本月数", 5, 3, 60, 2, 1, 1, 33.33, 50),
            _fig("综合执法队 累计数", 5, 3, 60, 2, 1, 1, 33.33, 50),
            # 违法行为查处率: (0 × 4 + 50% × 2) / 6 = 16.67; 立案比例 = 1 / 合计 inspected
            _fig("合计 本月数", 15, total_inspected, total_coverage, total_hazards, 5, 1,
                 round(100 / total_inspected, 2), round(100 / total_hazards, 2)),
            _fig("合计 累计数", 15, total_inspected, total_coverage, total_hazards, 5, 1,
                 round(100 / total_inspected, 2), round(100 / total_hazards, 2))]


def test_rule13_a_correct_total_with_a_shared_enterprise_gives_no_finding(tmp_path):
    """合计 inspected 5 < 3 + 3 (one enterprise inspected by both) is legitimate; 6 hazards, 40%: no finding."""
    data = make_data_dir(tmp_path)
    _town_figures(data, _two_unit_month(5, 6, 40))
    ds = load(data, jobs=1)
    assert ds.error_count == 0
    audit = run_audit(ds, "2024-05")
    assert audit.counts()["consolidated_total_mismatch"] == 0
    assert audit.counts()["reconciliation_mismatch"] == 0  # no 附件1 anywhere: relayed rows are not reconciled


def test_rule13_a_wrong_total_gives_one_finding_per_row(tmp_path):
    """合计 hazards 7 ≠ 4 + 2, inspected 7 > 3 + 3, coverage 45 ≠ 40: one finding per row naming the three."""
    data = make_data_dir(tmp_path)
    _town_figures(data, _two_unit_month(7, 7, 45))
    ds = load(data, jobs=1)
    found = run_audit(ds, "2024-05").findings
    found = found[found["rule"] == "consolidated_total_mismatch"]
    assert sorted(found["details"].map(lambda d: d["kind"])) == ["本月数", "累计数"]
    for details, message in zip(found["details"], found["message"], strict=True):
        assert set(details["columns"]) == {"inspected", "hazards_found", "coverage_rate", "violation_handling_rate"}
        assert details["columns"]["hazards_found"]["low"] == 6
        assert (details["columns"]["inspected"]["low"], details["columns"]["inspected"]["high"]) == (3, 6)
        assert details["columns"]["violation_handling_rate"]["low"] == 16.67  # 1 / 6, reported 1 / 7 = 14.29
        assert "排查隐患数(处) 报送 7，按各单位行应为 6" in message
        assert "现场监督检查企业(单位)数(家) 报送 7，按各单位行应为 3—6" in message
    assert set(found["unit"]) == {"蚶江镇"}


# ------------------------------------------------------------------ rule 13b, hand-computed
def _ledgers(data):
    """May ledgers: 石壁村 inspects 石狮市宏达五金厂 (2 hazards) and 蚶江锦里制衣有限公司 (none);
    综合执法队 inspects 蚶江石湖港务有限公司 (1 hazard). Town: 3 enterprises, 3 hazards; registry 2 + 2 = 4."""
    ledger_file(data, "sb.xlsx", [inspection(hazards=("消防通道堵塞", "灭火器过期"),
                                             rectifications=("已整改", "已整改")),
                                  inspection(enterprise="蚶江锦里制衣有限公司", date=dt.date(2024, 5, 7),
                                             hazards=None, rectifications=None)], unit="石壁村")
    ledger_file(data, "zf.xlsx", [inspection(enterprise="蚶江石湖港务有限公司", date=dt.date(2024, 5, 8),
                                             hazards=("无应急预案",), rectifications=("限期整改",))], unit="综合执法队")


def _town_only_total(inspected, hazards):
    """The town's 合计 pair alone (no unit rows): 4 registry enterprises, 2 hazards rectified."""
    return [_fig(f"合计 {label}", 4, inspected, round(inspected / 4 * 100, 2), hazards, 2, 0, 0, 0)
            for label in ("本月数", "累计数")]


def test_rule13_b_total_agreeing_with_the_ledger_gives_no_finding(tmp_path):
    """合计 3 enterprises (75%), 3 hazards, 2 rectified = the ledger of 石壁村 and 综合执法队: no finding."""
    data = make_data_dir(tmp_path)
    _ledgers(data)
    _town_figures(data, _town_only_total(3, 3))
    ds = load(data, jobs=1)
    assert ds.error_count == 0
    counts = run_audit(ds, "2024-05").counts()
    assert counts["consolidated_ledger_mismatch"] == 0 and counts["reconciliation_mismatch"] == 0


def test_rule13_b_total_disagreeing_with_the_ledger_gives_a_finding(tmp_path):
    """合计 本月数 says 4 hazards, the ledger has 2 + 1 = 3: one finding naming 排查隐患数. The 累计数 row is
    not compared: January–April have no 附件1 in the folder, so the year's ledger is not present."""
    data = make_data_dir(tmp_path)
    _ledgers(data)
    _town_figures(data, _town_only_total(3, 4))
    found = run_audit(load(data, jobs=1), "2024-05").findings
    found = found[found["rule"] == "consolidated_ledger_mismatch"]
    assert found["details"].tolist() == [
        {"kind": "本月数", "scope": "month", "columns": {"hazards_found": {"reported": 4.0, "recomputed": 3}}}]
    assert found["unit"].tolist() == ["蚶江镇"]


def test_rule13_b_total_by_another_reading_of_the_handling_rate_agrees(tmp_path):
    """石壁村's 2 hazards were fined 0.2 万元 by 简易程序, 综合执法队's one only ordered: 查处 2/3 = 66.67 by the
    default reading, 0.00 when only 立案 counts. A 合计 of 0 follows a documented reading (as a unit's
    would, rule 1): no finding; 50 follows none: one."""
    def town(handling):
        data = make_data_dir(tmp_path / str(handling))
        ledger_file(data, "sb.xlsx", [
            inspection(hazards=("消防通道堵塞", "灭火器过期"), rectifications=("已整改", "已整改"), fine_wan=0.2,
                       other_handling="简易程序当场处罚"),
            inspection(enterprise="蚶江锦里制衣有限公司", date=dt.date(2024, 5, 7), hazards=None, rectifications=None)],
            unit="石壁村")
        ledger_file(data, "zf.xlsx", [inspection(enterprise="蚶江石湖港务有限公司", date=dt.date(2024, 5, 8),
                                                 hazards=("无应急预案",), rectifications=("限期整改",))],
                    unit="综合执法队")
        _town_figures(data, [_fig(f"合计 {label}", 4, 3, 75, 3, 2, 0, 0, handling, 0.2)
                             for label in ("本月数", "累计数")])
        found = run_audit(load(data, jobs=1), "2024-05").findings
        return [d["columns"] for d in found.loc[found["rule"] == "consolidated_ledger_mismatch", "details"]]

    assert town(0) == [] and town(66.67) == []
    assert town(50) == [{"violation_handling_rate": {"reported": 50.0, "recomputed": 66.67}}]


def test_a_unit_of_another_town_is_flagged(tmp_path):
    """units.csv puts 综合执法队 under 祥芝镇: 蚶江镇's form listing it gets relayed_unit_outside (row kept)."""
    data = make_data_dir(tmp_path, units=None)
    (data / "registry" / "units.csv").write_text(
        "单位,类型,上级单位\n石狮市,市,\n蚶江镇,镇,石狮市\n祥芝镇,镇,石狮市\n石壁村,村,蚶江镇\n综合执法队,部门,祥芝镇\n",
        encoding="utf-8")
    _town_figures(data, [_fig("石壁村 本月数", 10, 2, 20, 1, 1, 0, 0, 0),  # rows 5-6; 综合执法队 rows 7-8
                         _fig("石壁村 累计数", 10, 2, 20, 1, 1, 0, 0, 0),
                         _fig("综合执法队 本月数", 5, 1, 20, 0, 0, 0, 0, 0),
                         _fig("综合执法队 累计数", 5, 1, 20, 0, 0, 0, 0, 0)])
    ds = load(data, jobs=1)
    assert ds.error_count == 0
    flagged = ds.problems[ds.problems["rule"] == "relayed_unit_outside"]
    assert flagged["row"].tolist() == [7, 8] and set(flagged["value"]) == {"综合执法队"}
    assert len(ds.figures[ds.figures["unit"] == "综合执法队"]) == 2


def test_a_rejected_original_does_not_supersede_the_towns_row(tmp_path):
    """石壁村's own 附件2 has no 月份 (a sheet error, all its rows rejected): the town's rows for it count."""
    data = make_data_dir(tmp_path)
    grid_file(data, "own.xlsx", {"统计表二": [TOP[0], TOP[1], ["填报地区（部门）：石壁村"], HEADER,
                                              _fig("本月数", 10, 3, 30, 2, 2, 0, 0, 0),
                                              _fig("累计数", 10, 5, 50, 6, 5, 1, 20, 16.67)]})
    _town_figures(data, [_fig("石壁村 本月数", 10, 2, 20, 2, 2, 0, 0, 0),
                         _fig("石壁村 累计数", 10, 5, 50, 6, 5, 1, 20, 16.67)])
    ds = load(data, jobs=1)
    assert list(ds.problems["rule"]) == ["month_missing"]
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (4, 2, 2)
    assert ds.superseded.empty
    assert _values(ds, "石壁村", "本月数", "inspected") == [2]
    assert set(ds.figures["via"]) == {"蚶江镇"}
