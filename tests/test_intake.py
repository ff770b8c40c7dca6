"""evalkit.intake.loader.load: small workbooks built in tmp_path, expected values worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
import os

import pandas as pd
import pytest
from openpyxl import Workbook

from evalkit.core.form_writer import write_figures_sheet
from evalkit.exceptions import DataDirError
from evalkit.intake import loader as intake
from evalkit.intake import records
from intake_helpers import LEDGER_HEADER, grid_file, inspection, ledger_file, make_data_dir, where

TITLE1 = "石狮市2024年安全生产执法提升专项行动情况统计表（一）"


@pytest.fixture
def data_dir(tmp_path):
    return make_data_dir(tmp_path / "data")


def rules(ds):
    return sorted(ds.problems["rule"])


# --------------------------------------------------------------------------- the official layout


def test_official_layout_rows_and_values(data_dir):
    """Two rows in the official layout come back with every column parsed."""
    ledger_file(data_dir, "a.xlsx", [
        inspection(hazards=["消防通道堵塞", "灭火器过期"], rectifications=["已整改", "限期整改"]),
        inspection(enterprise="蚶江锦里制衣有限公司", date=dt.date(2024, 5, 20), inspectors=["王五", "赵六", "钱七"],
                   hazards=["未按规定对从业人员进行安全生产教育和培训"], rectifications=["已整改"],
                   case_no="狮蚶应急罚〔2024〕3号", fine_wan="5000元", legal_basis="安全生产法第九十七条"),
    ], filled_date="2024-06-03")
    ds = intake.load(data_dir)
    assert ds.summary() == {"files": 1, "rows_read": 2, "rows_accepted": 2, "rows_rejected": 0}
    assert list(ds.problems["rule"]) == []
    first, second = ds.ledger.iloc[0], ds.ledger.iloc[1]
    assert first["row_id"] == "submissions/a.xlsx#统计表一#5"
    assert (first["row"], second["row"]) == (5, 6)  # header on row 4
    assert (first["unit"], first["year"], first["month"], first["period"]) == ("石壁村", 2024, 5, "2024-05")
    assert first["inspection_date"] == pd.Timestamp("2024-05-06")
    assert first["inspectors"] == ["张三", "李四"] and first["inspector_count"] == 2
    assert first["hazards"] == ["消防通道堵塞", "灭火器过期"]
    assert first["rectifications"] == ["已整改", "限期整改"]
    assert math.isnan(first["fine_wan"]) and pd.isna(first["case_no"])
    assert second["fine_wan"] == 0.5  # "5000元" -> 0.5 万元
    assert second["case_no"] == "狮蚶应急罚〔2024〕3号"
    assert second["inspector_count"] == 3 and bool(second["registered"])
    sub = ds.submissions.iloc[0]
    assert (sub["form"], sub["unit"], sub["period"], sub["filled_date"]) == ("ledger", "石壁村", "2024-05",
                                                                             dt.date(2024, 6, 3))


def test_frames_have_the_contract_columns(data_dir):
    """Every Dataset table has exactly the columns dataset.py promises, even when empty."""
    ds = intake.load(data_dir)
    assert list(ds.ledger.columns) == records.LEDGER_COLUMNS
    assert list(ds.items.columns) == records.ITEM_COLUMNS
    assert list(ds.figures.columns) == records.FIGURES_COLUMNS
    assert list(ds.submissions.columns) == records.SUBMISSION_COLUMNS
    assert list(ds.files.columns) == ["file", "rows_read", "rows_accepted", "rows_rejected"]
    assert list(ds.rejected.columns) == ["file", "sheet", "row", "form", "reason", "values"]
    assert list(ds.enterprises.columns) == ["name", "credit_code", "industry", "unit", "key_industry", "risk_level"]
    assert list(ds.units.columns) == ["unit", "kind", "supervised_total", "parent"]
    assert list(ds.plan.columns) == ["name", "unit", "month", "method"]
    assert ds.summary() == {"files": 0, "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0}


def test_both_forms_in_one_workbook(data_dir):
    """A workbook with 附件1 and 附件2 on two sheets gives two submissions."""
    ledger_file(data_dir, "石壁村五月.xlsx", [inspection()],
                month_values={"supervised_total": 2, "inspected": 1, "coverage_rate": 50, "fines_wan": "3000元"},
                cumulative_values={"supervised_total": 2, "inspected": 2, "coverage_rate": "100%"})
    ds = intake.load(data_dir)
    assert list(ds.submissions["form"]) == ["ledger", "figures"]
    assert ds.summary() == {"files": 1, "rows_read": 3, "rows_accepted": 3, "rows_rejected": 0}
    month, cumulative = ds.figures.iloc[0], ds.figures.iloc[1]
    assert (month["kind"], month["row"], cumulative["kind"], cumulative["row"]) == ("本月数", 6, "累计数", 7)
    assert (month["supervised_total"], month["inspected"], month["coverage_rate"]) == (2.0, 1.0, 50.0)
    assert month["fines_wan"] == pytest.approx(0.3)
    assert cumulative["coverage_rate"] == 100.0 and math.isnan(cumulative["hazards_found"])


# --------------------------------------------------------------------------- real-world layouts


def test_header_not_at_row_4_and_meta_in_separate_cells(data_dir):
    """Header found on row 7; unit and month as label cell + value cell; month '2024年5月'."""
    grid_file(data_dir, "x.xlsx", {"五月": [
        ["附件1"],
        [],
        [TITLE1],
        [],
        ["填报部门（公章）：", None, "石壁村", None, "月份", "2024年5月"],
        [],
        LEDGER_HEADER,
        [1, "石狮市宏达五金厂", "2024.5.6", "张三、李四", "1. 消防通道堵塞", "1. 已整改"],
    ]})
    ds = intake.load(data_dir)
    assert list(ds.problems["rule"]) == []
    assert list(ds.ledger["row"]) == [8]
    assert (ds.ledger["unit"].iloc[0], ds.ledger["period"].iloc[0]) == ("石壁村", "2024-05")


def test_month_as_bare_number_and_year_from_title(data_dir):
    """月份 as a bare 5 with a 2023 title gives period 2023-05."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["石狮市2023年安全生产执法提升专项行动情况统计表（一）"],
        ["填报部门：石壁村", "月份：", 5],
        LEDGER_HEADER,
        [1, "石狮市宏达五金厂", "5月6日", "张三 李四"],
    ]})
    ds = intake.load(data_dir)
    assert list(ds.ledger["period"]) == ["2023-05"]
    assert list(ds.ledger["inspection_date"]) == [pd.Timestamp("2023-05-06")]


def test_year_defaults_when_nowhere(data_dir):
    """Without a year in the title or 月份 the year is forms.DEFAULT_YEAR (2024)."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门：石壁村", "月份：5月"],
        LEDGER_HEADER,
        [1, "石狮市宏达五金厂", "5.6", "张三，李四"],
    ]})
    assert list(intake.load(data_dir).ledger["period"]) == ["2024-05"]


def test_header_aliases_and_fullwidth_brackets(data_dir):
    """Aliases and full-width brackets in the header are matched; column order may differ."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门（公章）：石壁村  月份：5月"],
        ["检查日期", "受检企业（单位）名称", "检查人员", "违法行为（隐患）", "整改情况", "罚款金额（万元）"],
        ["2024-05-06", "石狮市宏达五金厂", "张三、李四", "消防通道堵塞", "已整改", 0.2],
    ]})
    ds = intake.load(data_dir)
    row = ds.ledger.iloc[0]
    assert (row["enterprise"], row["fine_wan"], row["hazards"]) == ("石狮市宏达五金厂", 0.2, ["消防通道堵塞"])
    # the columns not written draw one warning each; the fine has no 立案案号
    absent = ds.problems[ds.problems["rule"] == "header_column_absent"]
    assert sorted(absent["column"]) == ["其他查处(或移送)情况", "处罚依据(法律条款)", "备注", "序号", "立案案号"]
    assert rules(ds) == ["fine_without_case"] + ["header_column_absent"] * 5


def test_fine_header_in_yuan(data_dir):
    """A submitted 罚款金额(元) header makes bare numbers 元: 5000 -> 0.5 万元."""
    header = [h if h != "罚款金额(万)" else "罚款金额(元)" for h in LEDGER_HEADER]
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门：石壁村", "月份：5月"], header,
        [1, "石狮市宏达五金厂", "2024-05-06", "张三、李四", None, None, "狮应急罚〔2024〕1号", 5000,
         "安全生产法第九十九条"],
    ]})
    ds = intake.load(data_dir)
    assert list(ds.ledger["fine_wan"]) == [0.5]
    assert list(ds.problems["rule"]) == []


def test_merged_title_meta_and_header(data_dir):
    """Merged title and meta cells, and a header merged over two rows, are read from their top-left cells."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        [TITLE1],
        ["填报部门（公章）：石壁村", None, None, None, "月份：5月"],
        LEDGER_HEADER,
        [],
        [1, "石狮市宏达五金厂", dt.datetime(2024, 5, 6), "张三、李四"],
    ]}, merges={"Sheet1": ["A1:K1", "A2:D2", "E2:K2"] + [f"{c}3:{c}4" for c in "ABCDEFGHIJK"]})
    ds = intake.load(data_dir)
    assert list(ds.ledger["row"]) == [5]
    assert ds.summary()["rows_read"] == 1


def test_figures_two_level_header(data_dir):
    """附件2's group row and merged ungrouped headers: every column is found."""
    path = data_dir / "submissions" / "f.xlsx"
    wb = Workbook()
    write_figures_sheet(wb.active, unit="综合执法队", year=2024, month=6,
                        month_values={"supervised_total": 40, "inspected": 10, "hazards_found": 7,
                                      "hazards_rectified": 5, "fines_wan": 1.2, "reports_verified": 1},
                        cumulative_values={"supervised_total": 40, "inspected": 30})
    wb.save(path)
    ds = intake.load(data_dir)
    assert list(ds.problems["rule"]) == []
    month = ds.figures.iloc[0]
    assert (month["unit"], month["period"]) == ("综合执法队", "2024-06")
    assert (month["supervised_total"], month["hazards_found"], month["hazards_rectified"]) == (40, 7, 5)
    assert (month["fines_wan"], month["reports_verified"]) == (1.2, 1)


def test_blank_template_and_footer_rows_not_counted(data_dir):
    """Blank rows, template rows (序号 only, '1. 2. 3. ...'), 合计, footer and notes are not rows read."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门（公章）：石壁村", None, "月份：5月"],
        LEDGER_HEADER,
        [1, "石狮市宏达五金厂", "2024-05-06", "张三、李四", "1. 2. 3. ...", "1. 2. 3. ..."],
        [],
        [2, None, None, None, "1. 2. 3. ...", "1. 2. 3. ..."],
        [3],
        [None, "蚶江锦里制衣有限公司", "2024-05-07", "张三、李四"],
        ["合计", None, None, None, None, None, None, 0],
        ["填报人签字：", None, "联系电话：", "12345"],
        ["备注：1. 本表由市各有关部门负责填报"],
        ["2. 以上填报数据应有《整改通知书》等佐证材料。"],
    ]})
    ds = intake.load(data_dir)
    assert ds.summary() == {"files": 1, "rows_read": 2, "rows_accepted": 2, "rows_rejected": 0}
    assert list(ds.ledger["row"]) == [3, 7]
    assert list(ds.ledger["hazards"]) == [[], []]


# --------------------------------------------------------------------------- names and units


def test_enterprise_name_normalised_to_registry(tmp_path):
    """Spaces and bracket width do not matter; ledger.enterprise_name is the registry spelling."""
    data_dir = make_data_dir(tmp_path, enterprises=[("石狮市海峡（蚶江）食品有限公司", "食品", "石壁村", "否", "一般")])
    ledger_file(data_dir, "a.xlsx", [inspection(enterprise="石狮市 海峡(蚶江)食品有限公司")])
    ds = intake.load(data_dir)
    row = ds.ledger.iloc[0]
    assert (row["enterprise"], row["enterprise_name"], bool(row["registered"])) == (
        "石狮市海峡(蚶江)食品有限公司", "石狮市海峡（蚶江）食品有限公司", True)
    assert list(ds.problems["rule"]) == []


def test_unregistered_enterprise_suggests_close_name(data_dir):
    """An unknown name (3 edits from the registry's) is kept with a warning that suggests the closest name."""
    ledger_file(data_dir, "a.xlsx", [inspection(enterprise="石狮宏达五金加工厂")])
    ds = intake.load(data_dir)
    assert where(ds.problems, "enterprise_unregistered") == [
        ("submissions/a.xlsx", "统计表一", 5, "受检企业(单位)名称")]
    assert "是否为：石狮市宏达五金厂？" in ds.problems["message"].iloc[0]
    row = ds.ledger.iloc[0]
    assert (row["enterprise_name"], bool(row["registered"])) == ("石狮宏达五金加工厂", False)


def test_near_miss_enterprise_counts_as_the_registered_one(data_dir):
    """石狮宏达五金厂 is one character (市) from 石狮市宏达五金厂 and no other registry name is as
    close: it is that enterprise, with a warning naming both spellings."""
    ledger_file(data_dir, "a.xlsx", [inspection(enterprise="石狮宏达五金厂")])
    ds = intake.load(data_dir)
    assert where(ds.problems, "enterprise_name_near_miss") == [
        ("submissions/a.xlsx", "统计表一", 5, "受检企业(单位)名称")]
    assert list(ds.problems["rule"]) == ["enterprise_name_near_miss"]
    message = ds.problems["message"].iloc[0]
    assert "'石狮宏达五金厂'" in message and "'石狮市宏达五金厂'" in message
    row = ds.ledger.iloc[0]
    assert (row["enterprise"], row["enterprise_name"], bool(row["registered"])) == (
        "石狮宏达五金厂", "石狮市宏达五金厂", True)


def test_unit_written_with_town_prefix_and_village_committee(data_dir):
    """'蚶江镇石壁村委会（盖章）' is the unit 石壁村."""
    ledger_file(data_dir, "a.xlsx", [inspection()], unit="蚶江镇石壁村委会（盖章）")
    ds = intake.load(data_dir)
    assert list(ds.ledger["unit"]) == ["石壁村"]
    assert list(ds.problems["rule"]) == []


# --------------------------------------------------------------------------- items and 复查


def test_single_rectification_text_applies_to_all_hazards(data_dir):
    """'均已整改' for two hazards: both items rectified."""
    ledger_file(data_dir, "a.xlsx", [inspection(hazards=["消防通道堵塞", "灭火器过期"], rectifications=None)])
    path = data_dir / "submissions" / "a.xlsx"
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb.active["F5"] = "均已整改"
    wb.save(path)
    items = intake.load(data_dir).items
    assert list(items["hazard"]) == ["消防通道堵塞", "灭火器过期"]
    assert list(items["rectification"]) == ["均已整改", "均已整改"]
    assert list(items["status"]) == ["rectified", "rectified"]
    assert list(items["rectified"]) == [True, True]


def test_item_status_and_deadline(data_dir):
    """Status from the vocabulary; deadline from the text, else date + 30 days."""
    ledger_file(data_dir, "a.xlsx", [inspection(
        hazards=["消防通道堵塞", "灭火器过期", "电线私拉乱接"],
        rectifications=["限2024年5月20日前整改", "逾期未整改", "已约谈负责人"])])
    items = intake.load(data_dir).items
    assert list(items["status"].astype(object).where(items["status"].notna(), None)) == ["pending", "overdue", None]
    assert list(items["deadline"]) == [pd.Timestamp("2024-05-20"), pd.Timestamp("2024-06-05"),
                                       pd.Timestamp("2024-06-05")]


def test_recheck_links_and_closes_open_items(data_dir):
    """A 复查 row links to the earlier open items of the same enterprise and closes the rectified one."""
    ledger_file(data_dir, "may.xlsx", [inspection(hazards=["消防通道堵塞", "灭火器过期"],
                                                  rectifications=["限期整改", "限期整改"])])
    ledger_file(data_dir, "june.xlsx", [inspection(
        date=dt.date(2024, 6, 4), hazards=["消防通道堵塞", "灭火器过期", "电线私拉乱接"],
        rectifications=["已整改", "未整改", "已整改"], remarks="复查（原检查2024-05-06）")], month=6)
    ds = intake.load(data_dir)
    items = ds.items.set_index(["row_id", "item_no"])
    may, june = "submissions/may.xlsx#统计表一#5", "submissions/june.xlsx#统计表一#5"
    assert bool(ds.ledger.set_index("row_id").loc[june, "is_recheck"])
    # the original 消防通道堵塞 is closed by the recheck on 6-04; 灭火器过期 stays open
    assert items.loc[(may, 1), "closed_by"] == june
    assert items.loc[(may, 1), "closed_date"] == pd.Timestamp("2024-06-04")
    assert bool(items.loc[(may, 1), "rectified"])
    assert items.loc[(may, 2), "closed_by"] is None and not bool(items.loc[(may, 2), "rectified"])
    # recheck items 1 and 2 restate old hazards; item 3 is new
    assert [bool(items.loc[(june, n), "counts_as_hazard"]) for n in (1, 2, 3)] == [False, False, True]


def test_recheck_without_open_original_is_a_new_hazard(data_dir):
    """A 复查 item with no earlier open item counts as a new hazard."""
    ledger_file(data_dir, "a.xlsx", [inspection(hazards=["消防通道堵塞"], rectifications=["已整改"],
                                                remarks="复查")])
    items = intake.load(data_dir).items
    assert list(items["counts_as_hazard"]) == [True]


# --------------------------------------------------------------------------- across files


def test_duplicate_submission_keeps_later_received(tmp_path):
    """Two files for 石壁村 May: the later received one is kept, the other's rows rejected."""
    data_dir = make_data_dir(tmp_path, received={"b.xlsx": "2024-06-10", "a.xlsx": "2024-06-20"})
    ledger_file(data_dir, "a.xlsx", [inspection(), inspection(enterprise="蚶江锦里制衣有限公司")])
    ledger_file(data_dir, "b.xlsx", [inspection()])
    ds = intake.load(data_dir)
    assert where(ds.problems, "submission_duplicate") == [("submissions/b.xlsx", "统计表一", None, None)]
    assert "以 submissions/a.xlsx 为准（收到日期更晚）" in ds.problems["message"].iloc[0]
    assert list(ds.rejected["reason"]) == ["submission_duplicate"]
    assert ds.files.set_index("file").loc["submissions/b.xlsx"].tolist() == [1, 0, 1]
    assert list(ds.ledger["file"]) == ["submissions/a.xlsx", "submissions/a.xlsx"]


def test_duplicate_submission_falls_back_to_file_name(data_dir):
    """Without received or 填报日期, with equal modification times and no copy suffix, the later file name wins."""
    for name in ("石壁村5月.xlsx", "石壁村5月v2.xlsx"):
        os.utime(ledger_file(data_dir, name, [inspection()]), (1_717_000_000, 1_717_000_000))
    ds = intake.load(data_dir)
    assert where(ds.problems, "submission_duplicate") == [("submissions/石壁村5月.xlsx", "统计表一", None, None)]
    assert "文件名排序在后" in ds.problems["message"].iloc[0]


def test_case_number_duplicate_across_files_names_first(data_dir):
    """The later use of a 立案案号 is flagged and the message names the first."""
    ledger_file(data_dir, "may.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕3号", fine_wan=0.5)])
    ledger_file(data_dir, "june.xlsx", [inspection(enterprise="蚶江锦里制衣有限公司", date=dt.date(2024, 6, 3),
                                                   case_no="狮蚶应急罚[2024]3号", fine_wan=1)], month=6)
    ds = intake.load(data_dir)
    assert where(ds.problems, "case_no_duplicate") == [("submissions/june.xlsx", "统计表一", 5, "立案案号")]
    assert "与 submissions/may.xlsx 统计表一 第 5 行重复" in ds.problems["message"].iloc[0]
    assert len(ds.ledger) == 2  # a warning keeps both rows


def test_recheck_repeating_its_own_case_is_not_a_duplicate(data_dir):
    """A 复查 row restating the case number of the same enterprise is not flagged."""
    ledger_file(data_dir, "may.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕3号", fine_wan=0.5)])
    ledger_file(data_dir, "june.xlsx", [inspection(date=dt.date(2024, 6, 3), case_no="狮蚶应急罚〔2024〕3号",
                                                   fine_wan=0.5, remarks="复查")], month=6)
    assert "case_no_duplicate" not in rules(intake.load(data_dir))


# --------------------------------------------------------------------------- files


def test_hidden_and_lock_files_skipped_with_warning(data_dir):
    """~$ lock files and .DS_Store are skipped with a warning and not listed as files."""
    ledger_file(data_dir, "a.xlsx", [inspection()])
    (data_dir / "submissions" / "~$a.xlsx").write_bytes(b"lock")
    (data_dir / "submissions" / ".DS_Store").write_bytes(b"\0\0")
    ds = intake.load(data_dir)
    assert list(ds.files["file"]) == ["submissions/a.xlsx"]
    assert where(ds.problems, "file_skipped") == [("submissions/.DS_Store", None, None, None),
                                                  ("submissions/~$a.xlsx", None, None, None)]


def test_files_in_subfolders_use_forward_slashes(data_dir):
    """A workbook in a subfolder is named relative to DATA_DIR with forward slashes."""
    ledger_file(data_dir, "石壁村/2024-05.xlsx", [inspection()])
    assert list(intake.load(data_dir).files["file"]) == ["submissions/石壁村/2024-05.xlsx"]


def test_unrecognised_sheet_beside_a_form_is_ignored_with_warning(data_dir):
    """A notes sheet in a workbook that also holds a form draws sheet_unrecognised, no rows."""
    path = ledger_file(data_dir, "a.xlsx", [inspection()])
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb.create_sheet("填表说明")["A1"] = "请按月填报"
    wb.create_sheet("Sheet3")  # empty: ignored silently
    wb.save(path)
    ds = intake.load(data_dir)
    assert where(ds.problems, "sheet_unrecognised") == [("submissions/a.xlsx", "填表说明", None, None)]
    assert ds.summary()["rows_read"] == 1


def test_rejected_rows_keep_raw_values(data_dir):
    """A rejected row keeps every raw value under its own header; its reason names the error
    that rejected it (the unreadable fine only blanks its cell, docs/intake.md §8)."""
    ledger_file(data_dir, "a.xlsx", [inspection(date="上旬", fine_wan="待定")])
    ds = intake.load(data_dir)
    rej = ds.rejected.iloc[0]
    assert rej["reason"] == "date_unparseable"
    assert sorted(ds.problems["rule"]) == ["date_unparseable", "number_unparseable"]
    assert rej["values"]["检查时间"] == "上旬" and rej["values"]["罚款金额(万)"] == "待定"
    assert rej["values"]["受检企业(单位)名称"] == "石狮市宏达五金厂"
    assert (rej["form"], rej["row"]) == ("ledger", 5)


def test_formula_text_is_never_evaluated(data_dir):
    """Text that looks like a formula stays literal text."""
    ledger_file(data_dir, "a.xlsx", [inspection(other_handling="=HYPERLINK(\"http://x\")")])
    assert list(intake.load(data_dir).ledger["other_handling"]) == ['=HYPERLINK("http://x")']


# --------------------------------------------------------------------------- the data folder


def test_nonexistent_data_dir(tmp_path):
    """A missing folder raises DataDirError."""
    with pytest.raises(DataDirError, match="目录不存在"):
        intake.load(tmp_path / "nope")


def test_missing_enterprises_file(tmp_path):
    """A folder without registry/enterprises raises DataDirError."""
    (tmp_path / "registry").mkdir()
    (tmp_path / "submissions").mkdir()
    with pytest.raises(DataDirError, match="enterprises"):
        intake.load(tmp_path)


def test_missing_submissions_folder(tmp_path):
    """A folder without submissions/ raises DataDirError."""
    data_dir = make_data_dir(tmp_path / "d")
    (data_dir / "submissions").rmdir()
    with pytest.raises(DataDirError, match="submissions"):
        intake.load(data_dir)


def test_nothing_to_report_note_is_not_a_row(data_dir):
    """A '本月无执法检查' line is not a data row: the submission exists with 0 rows."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门：石壁村", "月份：5月"], LEDGER_HEADER, [1, "本月无执法检查"],
    ]})
    ds = intake.load(data_dir)
    assert ds.summary() == {"files": 1, "rows_read": 0, "rows_accepted": 0, "rows_rejected": 0}
    assert list(ds.submissions["period"]) == ["2024-05"]
    assert list(ds.problems["rule"]) == []


def test_received_entry_for_a_missing_file(tmp_path):
    """received.csv naming a file that is not under submissions/ draws a warning."""
    data_dir = make_data_dir(tmp_path, received={"gone.xlsx": "2024-06-01"})
    assert where(intake.load(data_dir).problems, "received_file_unknown") == [
        ("registry/received.csv", None, 2, "文件")]


def test_every_intake_rule_is_documented():
    """Each rule id intake, registry or cells can emit has a row in docs/intake.md."""
    from pathlib import Path

    from evalkit.core.problems import RULES

    root = Path(__file__).resolve().parents[1]
    source = "".join(f.read_text(encoding="utf-8")
                     for f in sorted((root / "src" / "evalkit" / "intake").glob("*.py")))
    doc = (root / "docs" / "intake.md").read_text(encoding="utf-8")
    used = [rule for rule in RULES if f'"{rule}"' in source]
    assert len(used) >= 30
    assert [rule for rule in used if f"| {rule} |" not in doc] == []


def test_repeated_header_row_is_not_data(data_dir):
    """A header row repeated below the data (a second table) is skipped, not rejected."""
    grid_file(data_dir, "x.xlsx", {"Sheet1": [
        ["填报部门：石壁村", "月份：5月"], LEDGER_HEADER,
        [1, "石狮市宏达五金厂", "2024-05-06", "张三、李四"],
        LEDGER_HEADER,
        [2, "蚶江锦里制衣有限公司", "2024-05-07", "张三、李四"],
    ]})
    ds = intake.load(data_dir)
    assert list(ds.ledger["row"]) == [3, 5]
    assert ds.summary()["rows_rejected"] == 0


def test_xml_entity_bomb_is_refused(data_dir):
    """A workbook whose XML declares entities is refused by defusedxml: one file_unreadable."""
    import io
    import zipfile

    path = ledger_file(data_dir, "a.xlsx", [inspection()])
    src = path.read_bytes()
    out = io.BytesIO()
    doctype = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", doctype + b"<worksheet", 1)
            zout.writestr(item, data)
    path.write_bytes(out.getvalue())
    ds = intake.load(data_dir)
    assert where(ds.problems, "file_unreadable") == [("submissions/a.xlsx", None, None, None)]
    assert "不安全的 XML" in ds.problems["message"].iloc[0]
