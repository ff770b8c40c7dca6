"""A cell error keeps the inspection (issue 11 A): an unreadable fine is unknown, not 0, and the
metrics, the audit, the report and the export say which figures it leaves incomplete."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.audit.reconcile import verdict
from evalkit.audit.run import run_audit
from evalkit.core.form_writer import write_submission
from evalkit.core.forms import FIGURES
from evalkit.export.official import FIGURES_SHEET, export_period
from evalkit.intake.loader import load
from evalkit.intake.records import BLANKABLE_COLUMNS
from evalkit.metrics.engine import compute_metrics
from evalkit.metrics.registry import CELL_COMPONENTS, list_metrics
from evalkit.report.sections import figures_comparison
from fixtures_audit import build, figure, row
from fixtures_dataset import inspection as fx_inspection
from fixtures_dataset import make_dataset
from intake_helpers import inspection, ledger_file, make_data_dir, where

REASON_1 = "台账有 1 处罚款金额无法识别，重算不完整"


# --------------------------------------------------------------------------- intake: which errors reject
@pytest.mark.parametrize("fine, rule", [("待定", "number_unparseable"), (-0.5, "number_negative"),
                                        (200000, "number_implausible")])
def test_unreadable_fine_keeps_the_row(tmp_path, fine, rule):
    """A fine that cannot be read is an error at its cell, but the row is kept: 1 read, 1 accepted,
    0 rejected; the inspection keeps its enterprise and both hazards, the fine is NaN and
    ``unreadable`` names it."""
    data = make_data_dir(tmp_path / "data")
    ledger_file(data, "a.xlsx", [inspection(hazards=["消防通道堵塞", "灭火器过期"], rectifications=["已整改", "已整改"],
                                            case_no="狮蚶应急罚〔2024〕1号", fine_wan=fine)])
    ds = load(data)
    assert ds.summary() == {"files": 1, "rows_read": 1, "rows_accepted": 1, "rows_rejected": 0}
    assert ds.rejected.empty
    assert where(ds.problems, rule) == [("submissions/a.xlsx", "统计表一", 5, "罚款金额(万)")]
    assert list(ds.problems["severity"]) == ["error"]  # no case_without_penalty: the fine is unknown, not 0
    led = ds.ledger.iloc[0]
    assert led["enterprise_name"] == "石狮市宏达五金厂" and math.isnan(led["fine_wan"])
    assert led["unreadable"] == "fine_wan"
    assert list(ds.items["hazard"]) == ["消防通道堵塞", "灭火器过期"]


def test_blank_fine_is_not_unreadable(tmp_path):
    """A blank fine cell is no error and not unreadable (it counts as 0); a readable fine neither."""
    data = make_data_dir(tmp_path / "data")
    ledger_file(data, "a.xlsx", [inspection(), inspection("蚶江锦里制衣有限公司", case_no="X1", fine_wan="5000元")])
    ds = load(data)
    assert ds.ledger["unreadable"].isna().all()
    assert list(ds.ledger["fine_wan"].fillna(-1)) == [-1, 0.5]


@pytest.mark.parametrize("spec, rule", [(dict(enterprise=None), "enterprise_missing"),
                                        (dict(date=None), "date_unparseable"),
                                        (dict(date="上旬"), "date_unparseable")])
def test_no_enterprise_or_no_date_still_rejects(tmp_path, spec, rule):
    """Without an enterprise or an inspection date there is no inspection: the row is rejected,
    whatever its fine (here a readable 0.5 and an unreadable 待定 on a second row)."""
    data = make_data_dir(tmp_path / "data")
    ledger_file(data, "a.xlsx", [inspection(**{"case_no": "X1", "fine_wan": 0.5, **spec}),
                                 inspection(**{"enterprise": "蚶江锦里制衣有限公司", "fine_wan": "待定", **spec})])
    ds = load(data)
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (2, 0, 2)
    assert list(ds.rejected["reason"]) == [rule, rule]  # the unreadable fine is not what rejected the row


def test_figures_cell_error_still_rejects_the_row(tmp_path):
    """附件2 is unchanged: a 本月数 row with an unreadable cell is rejected whole (the 累计数 row is kept)."""
    data = make_data_dir(tmp_path / "data")
    write_submission(data / "submissions" / "b.xlsx", unit="石壁村", year=2024, month=5,
                     month_values={"hazards_found": "待定", "inspected": 1}, cumulative_values={"inspected": 1})
    ds = load(data)
    assert (ds.rows_read, ds.rows_accepted, ds.rows_rejected) == (2, 1, 1)
    assert list(ds.figures["kind"]) == ["累计数"]


# --------------------------------------------------------------------------- metrics: incomplete
def test_blankable_cells_and_the_metrics_they_feed_agree():
    """Every cell intake may blank says which components it feeds, and they exist: fine_wan ->
    fines_micro, the only metric on it being 罚款金额."""
    assert tuple(CELL_COMPONENTS) == BLANKABLE_COLUMNS == ("fine_wan",)
    assert CELL_COMPONENTS["fine_wan"] == ("fines_micro",)
    assert [d.id for d in list_metrics() if "fines_micro" in d.parts] == ["fines_wan"]


def _metrics_ds():
    # 石壁村 May: 甲 fine 0.5, 乙 fine 待定 (unreadable); June: 甲 fine 0.2. 锦里村 May: 丙 fine 1.0.
    return make_dataset(
        registry=[("甲厂", "石壁村"), ("乙厂", "石壁村"), ("丙厂", "锦里村")],
        rows=[fx_inspection("石壁村", "甲厂", "2024-05-06", ["消防通道堵塞"], ["已整改"], case_no="C1", fine=0.5),
              fx_inspection("石壁村", "乙厂", "2024-05-08", ["灭火器过期"], ["已整改"], case_no="C2",
                            unreadable="fine_wan"),
              fx_inspection("石壁村", "甲厂", "2024-06-03", ["未设置安全警示标志"], ["已整改"], case_no="C3", fine=0.2),
              fx_inspection("锦里村", "丙厂", "2024-05-10", ["消防通道堵塞"], ["已整改"], case_no="C4", fine=1.0)])


def test_unreadable_fine_marks_fines_incomplete_for_its_unit_and_scopes():
    """May: 石壁村 fines 0.5 (甲 only) incomplete, 锦里村 1.0 complete, town 1.5 incomplete; the row
    still counts: 石壁村 inspected 2, hazards 2, cases 2. June alone: complete; ytd June and Q2:
    石壁村 0.7 incomplete."""
    may = compute_metrics(_metrics_ds(), "2024-05")
    assert may.frame.at["石壁村", "fines_wan"] == 0.5 and may.total["fines_wan"] == 1.5
    assert (may.frame.at["石壁村", "inspected"], may.frame.at["石壁村", "hazards_found"],
            may.frame.at["石壁村", "cases_filed"]) == (2, 2, 2)
    assert may.incomplete == {"石壁村": {"fines_wan": REASON_1}, "全镇合计": {"fines_wan": REASON_1}}
    assert may.is_incomplete("锦里村", "fines_wan") is None
    assert may.is_incomplete("石壁村", "inspected") is None
    assert compute_metrics(_metrics_ds(), "2024-06").incomplete == {}
    for period, scope in (("2024-06", "ytd"), ("2024Q2", None), ("2024", None)):
        res = compute_metrics(_metrics_ds(), period, scope=scope)
        assert res.frame.at["石壁村", "fines_wan"] == 0.7, period
        assert set(res.incomplete) == {"石壁村", "全镇合计"}, period


def test_two_unreadable_fines_are_counted_in_the_reason():
    """Two 待定 fines of one unit in May: “台账有 2 处…”; the reported source has no incomplete."""
    ds = make_dataset(registry=[("甲厂", "石壁村"), ("乙厂", "石壁村")],
                      rows=[fx_inspection("石壁村", "甲厂", "2024-05-06", unreadable="fine_wan"),
                            fx_inspection("石壁村", "乙厂", "2024-05-07", unreadable="fine_wan")])
    res = compute_metrics(ds, "2024-05")
    assert res.incomplete["石壁村"] == {"fines_wan": "台账有 2 处罚款金额无法识别，重算不完整"}
    assert res.frame.at["石壁村", "fines_wan"] == 0
    assert compute_metrics(ds, "2024-05", source="reported").incomplete == {}


def test_incomplete_in_json_and_text():
    """--json carries ``incomplete``; the text marks the value with * and names the reason."""
    res = compute_metrics(_metrics_ds(), "2024-05")
    assert res.to_dict()["incomplete"] == {"石壁村": {"fines_wan": REASON_1}, "全镇合计": {"fines_wan": REASON_1}}
    text = res.to_text()
    assert f"* 石壁村 罚款金额(万元)：{REASON_1}" in text
    assert "0.5*" in text and "1.5*" in text
    assert "incomplete" not in compute_metrics(_metrics_ds(), "2024-06").to_dict()


# --------------------------------------------------------------------------- audit: rule 1 and 1b
def test_verdict():
    """verdict: an incomplete figure is never a difference, whatever the numbers."""
    assert verdict(0.8, 0.5, "money_wan") == "differs"
    assert verdict(0.5, 0.5, "money_wan") == "same"
    assert verdict(0.8, 0.5, "money_wan", incomplete=REASON_1) == "incomplete"
    assert verdict(0.5, 0.5, "money_wan", incomplete=REASON_1) == "incomplete"


A = "石壁村"


def _audit_ds():
    # June: 甲 2 hazards (1 rectified), case C1, fine 待定; 乙 1 hazard rectified, case C2, fine 0.5.
    # Recomputed for the month (and ytd, June only): supervised 2, inspected 2, coverage 100,
    # hazards 3, rectified 2, cases 2, case_ratio 100, 查处率 3/3 = 100, fines 0.5 (incomplete).
    rows = [row(A, 6, "甲厂", "2024-06-03", ["未设置安全警示标志", "未配劳动防护用品"], ["已整改", "限期整改"],
                case_no="C1", unreadable="fine_wan"),
            row(A, 6, "乙厂", "2024-06-04", ["消防通道堵塞"], ["已整改"], case_no="C2", fine=0.5)]
    good = dict(supervised_total=2, inspected=2, coverage_rate=100, hazards_rectified=2, cases_filed=2,
                case_ratio=100, violation_handling_rate=100)
    figs = [figure(A, 6, "本月数", row=6, hazards_found=3, fines_wan=1.3, **good),  # 1.3: the unit knew 甲's fine
            figure(A, 6, "累计数", row=7, hazards_found=4, fines_wan=0.5, **good)]  # hazards 4 ≠ 3: a real mismatch
    return build(rows, figures=figs)


def test_incomplete_column_is_no_mismatch_but_the_others_are_checked():
    """Rule 1 flags only 累计数 hazards_found (4 vs 3); fines (1.3 and 0.5 vs 0.5 read) is not a mismatch."""
    f = run_audit(_audit_ds(), "2024-06").findings
    mism = f[f["rule"] == "reconciliation_mismatch"]
    assert [(d["kind"], d["metric"], d["reported"], d["recomputed"]) for d in mism["details"]] == [
        ("累计数", "hazards_found", 4.0, 3.0)]


def test_reconciliation_incomplete_names_month_column_and_rows():
    """Rule 1b: one low finding per incomplete cell (本月数 and 累计数 fines), with the reported
    value, the part read (0.5), the reason and, as evidence, the 附件2 row and 甲's ledger row."""
    f = run_audit(_audit_ds(), "2024-06").findings
    inc = f[f["rule"] == "reconciliation_incomplete"].reset_index(drop=True)
    assert list(inc["severity"]) == ["低", "低"] and list(inc["unit"]) == [A, A]
    got = [(d["kind"], d["metric"], d["month"], d["reported"], d["recomputed"], d["reason"]) for d in inc["details"]]
    assert got == [("本月数", "fines_wan", "2024-06", 1.3, 0.5, REASON_1),
                   ("累计数", "fines_wan", "2024-06", 0.5, 0.5, REASON_1)]
    ledger_row = f"submissions/{A}_202406.xlsx#附件1#5"
    assert list(inc["evidence"]) == [[f"submissions/{A}_202406.xlsx#附件2#6", ledger_row],
                                     [f"submissions/{A}_202406.xlsx#附件2#7", ledger_row]]
    assert inc.at[0, "message"] == (f"2024-06 本月数「罚款金额(万元)」报送 1.3，未能核对：{REASON_1}"
                                    "（当月已识别部分重算为 0.5）；请更正台账中无法识别的单元格")


def test_a_later_month_cumulative_is_incomplete_too():
    """July 累计数 (Jan–Jul) holds June's 待定 fine: incomplete; July 本月数 does not: checked (equal)."""
    ds = _audit_ds()
    extra = build([row(A, 7, "乙厂", "2024-07-02", case_no="C9", fine=0.1)],
                  figures=[figure(A, 7, "本月数", row=6, inspected=1, supervised_total=2, coverage_rate=50,
                                  cases_filed=1, case_ratio=100, fines_wan=0.1),
                           figure(A, 7, "累计数", row=7, fines_wan=0.6)])
    ds.ledger = pd.concat([ds.ledger, extra.ledger], ignore_index=True)
    ds.figures = pd.concat([ds.figures, extra.figures], ignore_index=True)
    f = run_audit(ds, "2024-07").findings
    inc = f[f["rule"] == "reconciliation_incomplete"]
    assert [(d["kind"], d["metric"]) for d in inc["details"]] == [("累计数", "fines_wan")]
    mism = f[(f["rule"] == "reconciliation_mismatch")]
    assert "fines_wan" not in {d["metric"] for d in mism["details"]}


# --------------------------------------------------------------------------- end to end: workbooks
#: 石壁村 June as the unit counts it: the 待定 row is an inspection with 2 hazards (1 rectified)
#: and a case; its fine is not known yet, so the unit's 附件2 fine is 乙's 0.5.
SHIBI = dict(supervised_total=2, inspected=2, coverage_rate=100, hazards_found=3, hazards_rectified=2,
             cases_filed=2, case_ratio=100, violation_handling_rate=100, fines_wan=0.5)


@pytest.fixture(scope="module")
def shibi(tmp_path_factory):
    """A data folder: 石壁村 June, one row with 罚款 待定, its 附件2 right (the sample's 石壁村 November)."""
    data = make_data_dir(tmp_path_factory.mktemp("cells") / "data")
    write_submission(data / "submissions" / "石壁村6月.xlsx", unit="石壁村", year=2024, month=6, ledger_rows=[
        inspection(date=dt.date(2024, 6, 3), hazards=["未设置安全警示标志", "未配劳动防护用品"],
                   rectifications=["已整改", "限期整改"], case_no="狮蚶应急罚〔2024〕3号", fine_wan="待定",
                   legal_basis="《中华人民共和国安全生产法》第九十九条"),
        inspection("蚶江锦里制衣有限公司", dt.date(2024, 6, 5), hazards=["消防通道堵塞"], rectifications=["已整改"],
                   case_no="狮蚶应急罚〔2024〕4号", fine_wan=0.5, legal_basis="《中华人民共和国消防法》第六十条")],
        month_values=SHIBI, cumulative_values=SHIBI)
    return load(data)


def test_right_figures_give_no_mismatch(shibi):
    """The 附件2 agrees with the kept row: no reconciliation_mismatch; two reconciliation_incomplete
    (本月数 and 累计数 罚款金额), the ledger row 5 in their evidence."""
    f = run_audit(shibi, "2024-06").findings
    assert f[f["rule"] == "reconciliation_mismatch"].empty
    inc = f[f["rule"] == "reconciliation_incomplete"]
    assert [(d["kind"], d["metric"]) for d in inc["details"]] == [("本月数", "fines_wan"), ("累计数", "fines_wan")]
    assert all(ev[1] == "submissions/石壁村6月.xlsx#统计表一#5" for ev in inc["evidence"])


def test_report_table_says_incomplete_unmarked(shibi):
    """The unit report's 附件2 table reads 0.5（不完整） for the recomputed fines, and marks nothing."""
    table, marked = figures_comparison(shibi, "2024-06", "石壁村")
    fines = list(table["项目"]).index("罚款金额(万元)")
    for label in FIGURES.row_labels:
        assert table.at[fines, f"{label}·台账重算"] == "0.5（不完整）"
        assert table.at[fines, f"{label}·报送"] == "0.5"
        assert not any(marked[f"{label}·台账重算"])
    assert table.at[list(table["项目"]).index("排查隐患数(处)"), "本月数·台账重算"] == "3"


def test_export_comments_the_incomplete_cell(shibi, tmp_path):
    """The consolidated 附件2 comments only the fines cells of 石壁村 and the town, with the reason."""
    ws = load_workbook(export_period(shibi, "2024-06", tmp_path, filled_date=dt.date(2024, 7, 5))[0])[FIGURES_SHEET]
    col = FIGURES.keys.index("fines_wan") + 1
    commented = {(str(ws.cell(c.row, 1).value), c.column) for r in ws.iter_rows(min_row=6) for c in r
                 if c.comment and c.column > 1}
    assert commented == {(f"{u} {k}", col) for u in ("石壁村", "合计") for k in FIGURES.row_labels}
    assert ws.cell(6, col).comment.text == f"单位报送数：0.5\n台账汇总数不完整：{REASON_1}"


# --------------------------------------------------------------------------- audit: rules 8 and 9
def test_repeat_with_an_unknown_fine_is_not_judged():
    """Rule 8: 甲厂 V01 in January (0.5 万元) and June (待定) cannot be compared: no finding, the
    repeat's ways say so; with June's fine a known 0.5 it is 未从重 (as in test_audit)."""
    def ds(**june):
        return build([row(A, 1, "甲厂", "2024-01-10", ["疏散通道堵塞"], ["已整改"], case_no="J1", fine=0.5),
                      row(A, 6, "甲厂", "2024-06-05", ["疏散通道堵塞"], ["已整改"], case_no="J2", **june)])
    found = run_audit(ds(unreadable="fine_wan"), "2024-06").findings
    assert "repeat_not_escalated" not in set(found["rule"])
    found = run_audit(ds(fine=0.5), "2024-06").findings
    assert list(found.loc[found["rule"] == "repeat_not_escalated", "enterprise"]) == ["甲厂"]


def test_overdue_with_a_later_unknown_fine_is_not_judged():
    """Rule 9: 甲厂's May hazard is overdue at June's end (05-10 + 30 = 06-09); a later row with a
    case and a fine 待定 may be the heavier penalty: no finding. With no fine on it: a finding."""
    def ds(**later):
        return build([row(A, 5, "甲厂", "2024-05-10", ["未配劳动防护用品"], ["限期整改"]),
                      row(A, 6, "甲厂", "2024-06-20", case_no="J3", **later)])
    found = run_audit(ds(unreadable="fine_wan"), "2024-06").findings
    assert "overdue_not_escalated" not in set(found["rule"])
    found = run_audit(ds(), "2024-06").findings
    assert list(found.loc[found["rule"] == "overdue_not_escalated", "enterprise"]) == ["甲厂"]
