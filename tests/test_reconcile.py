"""附件2 报送数 vs 台账重算数: ``evalkit.audit.reconcile.differs`` and the three places that use it."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from evalkit.audit.reconcile import COMPARED, differs
from evalkit.audit.run import load_audit_config, run_audit
from evalkit.core.form_writer import write_submission
from evalkit.core.forms import FIGURES
from evalkit.export.official import FIGURES_SHEET, export_period
from evalkit.intake.loader import load
from evalkit.report.sections import figures_comparison

NAN = math.nan


# --------------------------------------------------------------------------- differs, by hand
def test_blank_equals_zero():
    """A blank reported cell equals a recomputed 0 (a unit leaves “nothing” blank)."""
    assert not differs(NAN, 0, "count")
    assert not differs(None, 0.0, "rate")


def test_blank_equals_not_applicable():
    """A blank reported cell equals a recomputed 不适用 (None or NA)."""
    assert not differs(NAN, None, "rate")
    assert not differs(None, pd.NA, "rate")


def test_zero_equals_not_applicable_but_a_number_does_not():
    """A reported 0 equals 不适用 (nothing to divide by); a reported 5 does not."""
    assert not differs(0, None, "rate")
    assert differs(5, None, "rate")


def test_blank_differs_from_activity():
    """A blank cell where the ledger has 2 is a difference (blank reads as 0)."""
    assert differs(NAN, 2, "count")


def test_rate_within_one_hundredth():
    """Rates: 99.99 vs 100 is within 0.01 points (float noise absorbed); 100 vs 99.98 is not."""
    assert not differs(99.99, 100.0, "rate")
    assert differs(100.0, 99.98, "rate")


def test_money_within_one_yuan():
    """万元: 0.5001 vs 0.5 is within 0.0001 (1 元); 0.5002 vs 0.5 is not."""
    assert not differs(0.5001, 0.5, "money_wan")
    assert differs(0.5002, 0.5, "money_wan")


def test_counts_are_exact():
    """Counts: 1 vs 2 differs, 2 vs 2.0 does not."""
    assert differs(1, 2, "count")
    assert not differs(2, 2.0, "count")


def test_user_config_tolerance(tmp_path):
    """A --config file's tolerances apply, as the full audit config or its reconciliation section."""
    path = tmp_path / "audit.yaml"
    path.write_text("reconciliation:\n  tolerance_count: 1\n  tolerance_rate: 0.5\n", encoding="utf-8")
    cfg, _ = load_audit_config(path)
    assert not differs(1, 2, "count", cfg) and differs(1, 3, "count", cfg)
    assert not differs(99.5, 100, "rate", cfg) and differs(99.4, 100, "rate", cfg)
    # money not in the file: the packaged 0.0001
    assert differs(0.5002, 0.5, "money_wan", cfg)
    assert not differs(1, 2, "count", {"tolerance_count": 1})


def test_unknown_kind_is_refused():
    """Only the FIGURES kinds count, rate and money_wan are compared."""
    with pytest.raises(ValueError, match="money_wan"):
        differs(1, 1, "money")


# --------------------------------------------------------------------------- one fixture, three places
# June 2024, written with the official-layout writer and read back by intake.
# Registry: 石壁村 甲厂 乙厂 丙厂 (3); 锦里村 丁厂 戊厂 (2); 综合执法队 己店 (1).
# Ledger:
#   石壁村 May  甲厂 2024-05-10  1 hazard 已整改
#   石壁村 June 甲厂 2024-06-03  2 hazards (限期整改, 已整改), case 1号, fine 0.5
#   石壁村 June 乙厂 2024-06-12  no hazard
#   综合执法队 June 己店 2024-06-25  no hazard (and no 附件2: 未报送)
#   锦里村 no inspection
# Recomputed, 石壁村 June: supervised 3, inspected 2, coverage 2/3 = 66.67, hazards 2,
#   rectified 1, cases 1, case_ratio 1/2 = 50.00, 查处率 2 case items/2 = 100.00, fines 0.5.
# 石壁村 Jan–June: inspected 2 (甲厂 once), coverage 66.67, hazards 3, rectified 2 (May's and
#   安全出口堵塞), cases 1, case_ratio 50.00, 查处率 2/3 = 66.67, fines 0.5.
# 锦里村 June and Jan–June: supervised 2, everything else 0; case_ratio and 查处率 不适用 (0/0).
SHIBI_MONTH = dict(
    supervised_total=3, inspected=2,
    coverage_rate=66.66,        # near miss: |Δ| 0.01
    hazards_found=3,            # PLANTED: ledger 2
    hazards_rectified=1, cases_filed=1,
    case_ratio=50.02,           # PLANTED: |Δ| 0.02
    violation_handling_rate=100,
    suspended=None,             # blank vs 0: equal
    fines_wan=0.5001,           # near miss: |Δ| 0.0001
    closure_requested=0, licenses_suspended=None,
    blacklisted=1,              # PLANTED: ledger 0
    joint_punishment=0, criminal_referrals=0, referred_other=0, reports_verified=None)
SHIBI_YTD = dict(
    supervised_total=3, inspected=2, coverage_rate=66.67, hazards_found=3,
    hazards_rectified=None,     # PLANTED: blank vs 2
    cases_filed=1, case_ratio=50,
    violation_handling_rate=66.68,  # near miss: |Δ| 0.01
    suspended=0,
    fines_wan=0.5002,           # PLANTED: |Δ| 0.0002
    closure_requested=0, licenses_suspended=0, blacklisted=0, joint_punishment=0,
    criminal_referrals=0, referred_other=0, reports_verified=0)
JINLI_MONTH = dict(
    supervised_total=2, inspected=0,
    coverage_rate=None,         # blank vs 0.00: equal
    hazards_found=0, hazards_rectified=0, cases_filed=0,
    case_ratio=0,               # 0 vs 不适用: equal
    violation_handling_rate=100,  # PLANTED: a number where the ledger says 不适用
    suspended=0, fines_wan=0, closure_requested=0, licenses_suspended=0, blacklisted=0,
    joint_punishment=0, criminal_referrals=0, referred_other=0,
    reports_verified=1)         # PLANTED: ledger 0
JINLI_YTD = dict(supervised_total=2)  # all else blank: blank vs 0 and blank vs 不适用, all equal

#: The cells all three must flag, worked out above.
EXPECTED = {
    ("石壁村", "hazards_found", "本月数"), ("石壁村", "case_ratio", "本月数"), ("石壁村", "blacklisted", "本月数"),
    ("石壁村", "hazards_rectified", "累计数"), ("石壁村", "fines_wan", "累计数"),
    ("锦里村", "violation_handling_rate", "本月数"), ("锦里村", "reports_verified", "本月数"),
}


def _ledger_row(enterprise, date, hazards=(), rects=(), **extra) -> dict:
    return {"enterprise": enterprise, "inspection_date": dt.date.fromisoformat(date),
            "inspectors": ["张三", "李四"], "hazards": list(hazards) or None,
            "rectifications": list(rects) or None, **extra}


def _write_data_dir(root: Path) -> Path:
    (root / "registry").mkdir(parents=True)
    (root / "submissions").mkdir()
    registry = [("甲厂", "石壁村"), ("乙厂", "石壁村"), ("丙厂", "石壁村"), ("丁厂", "锦里村"), ("戊厂", "锦里村"),
                ("己店", "综合执法队")]
    pd.DataFrame([(n, "制造业", u, "否", "一般") for n, u in registry],
                 columns=["企业名称", "行业", "监管单位", "重点行业", "风险等级"]).to_csv(
        root / "registry" / "enterprises.csv", index=False, encoding="utf-8")
    pd.DataFrame({"单位": ["石壁村", "锦里村", "综合执法队"], "类型": ["村", "村", "部门"]}).to_csv(
        root / "registry" / "units.csv", index=False, encoding="utf-8")
    sub = root / "submissions"
    write_submission(sub / "石壁村_2024-05.xlsx", unit="石壁村", year=2024, month=5,
                     ledger_rows=[_ledger_row("甲厂", "2024-05-10", ["未按规定配备灭火器"], ["已整改"])])
    write_submission(sub / "石壁村_2024-06.xlsx", unit="石壁村", year=2024, month=6, ledger_rows=[
        _ledger_row("甲厂", "2024-06-03", ["特种作业人员无证上岗", "安全出口堵塞"], ["限期整改", "已整改"],
                    case_no="狮蚶应急罚〔2024〕1号", fine_wan=0.5,
                    legal_basis="《中华人民共和国安全生产法》第九十七条"),
        _ledger_row("乙厂", "2024-06-12")], month_values=SHIBI_MONTH, cumulative_values=SHIBI_YTD)
    write_submission(sub / "锦里村_2024-06.xlsx", unit="锦里村", year=2024, month=6,
                     month_values=JINLI_MONTH, cumulative_values=JINLI_YTD)
    write_submission(sub / "综合执法队_2024-06.xlsx", unit="综合执法队", year=2024, month=6,
                     ledger_rows=[_ledger_row("己店", "2024-06-25")])
    return root


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The fixture data folder, read by intake."""
    return load(_write_data_dir(tmp_path_factory.mktemp("reconcile") / "data"))


def _audit_cells(ds) -> set:
    f = run_audit(ds, "2024-06").findings
    f = f[f["rule"] == "reconciliation_mismatch"]
    return {(r.unit, r.details["metric"], r.details["kind"]) for r in f.itertuples()}


def _report_cells(ds, unit: str) -> set:
    table, marked = figures_comparison(ds, "2024-06", unit)
    keys = [c.key for c in COMPARED]
    return {(unit, keys[i], label) for label in FIGURES.row_labels
            for i, hit in enumerate(marked[f"{label}·台账重算"]) if hit}


def _export_comments(ds, out: Path) -> tuple[set, set]:
    """(commented figure cells as (unit, key, row label), units whose label cell is commented)."""
    ws = load_workbook(export_period(ds, "2024-06", out, filled_date=dt.date(2024, 7, 5))[0])[FIGURES_SHEET]
    cells, labels = set(), set()
    for row in ws.iter_rows(min_row=6):
        unit, _, label = str(row[0].value or "").rpartition(" ")
        if label not in FIGURES.row_labels:
            break
        labels |= {unit} if row[0].comment else set()
        cells |= {(unit, FIGURES.keys[j], label) for j, c in enumerate(row[1:len(FIGURES.keys)], 1) if c.comment}
    return cells, labels


def test_fixture_reads_as_written(dataset):
    """Intake read 石壁村's and 锦里村's 附件2 rows (blank cells as NaN) and no 附件2 of 综合执法队."""
    figs = dataset.figures.set_index(["unit", "kind"])
    assert sorted(figs.index) == [("石壁村", "本月数"), ("石壁村", "累计数"),
                                  ("锦里村", "本月数"), ("锦里村", "累计数")]
    assert math.isnan(figs.at[("石壁村", "本月数"), "suspended"])
    assert figs.at[("石壁村", "本月数"), "hazards_found"] == 3


def test_audit_flags_the_planted_cells(dataset):
    """Audit rule 1 flags exactly the 7 planted cells, none of the near misses."""
    assert _audit_cells(dataset) == EXPECTED


def test_report_highlights_the_planted_cells(dataset):
    """The unit report's 附件2 table marks the same 7 cells; 综合执法队 shows 未报送, nothing marked."""
    got = set().union(*(_report_cells(dataset, u) for u in ("石壁村", "锦里村", "综合执法队")))
    assert got == EXPECTED
    table, _ = figures_comparison(dataset, "2024-06", "综合执法队")
    assert set(table["本月数·报送"]) == {"未报送"} and set(table["累计数·报送"]) == {"未报送"}


def test_export_comments_the_planted_cells(dataset, tmp_path):
    """The consolidated 附件2 comments the same 7 cells, and only 综合执法队's labels (未报送)."""
    cells, labels = _export_comments(dataset, tmp_path)
    assert cells == EXPECTED
    assert labels == {"综合执法队"}


def test_audit_config_override_reaches_rule_1(dataset, tmp_path):
    """With tolerance_count 1 in a --config file, 3 vs 2 hazards and 1 vs 0 are no longer findings."""
    path = tmp_path / "audit.yaml"
    path.write_text("reconciliation:\n  tolerance_count: 1\n", encoding="utf-8")
    f = run_audit(dataset, "2024-06", config=path).findings
    got = {(r.unit, r.details["metric"], r.details["kind"])
           for r in f[f["rule"] == "reconciliation_mismatch"].itertuples()}
    # hazards_rectified blank vs 2 still differs (|0 − 2| > 1)
    assert got == EXPECTED - {("石壁村", "hazards_found", "本月数"), ("石壁村", "blacklisted", "本月数"),
                              ("锦里村", "reports_verified", "本月数")}


def test_report_table_names_the_other_reading_the_unit_followed():
    """锦里村's 2 hazards were fined 0.2 万元 by 简易程序 (no case): 查处率 100.00 by default, 0.00 counting 立案
    only. Its 附件2 says 0: the report shows the ledger's 100.00 with the reading that agrees, unmarked;
    a 附件2 of 50 (no reading) is marked."""
    from fixtures_audit import build, figure, row

    unit = "锦里村"
    rows = [row(unit, 6, "甲厂", "2024-06-03", ["未设置安全警示标志", "未配劳动防护用品"], ["已整改", "已整改"],
                fine=0.2, other="简易程序当场处罚")]

    def cell(reported):
        figs = [figure(unit, 6, "本月数", row=6, supervised_total=1, inspected=1, coverage_rate=100, hazards_found=2,
                       hazards_rectified=2, fines_wan=0.2, violation_handling_rate=reported)]
        table, marked = figures_comparison(build(rows, figures=figs), "2024-06", unit)
        at = [c.key for c in COMPARED].index("violation_handling_rate")
        return table.at[at, "本月数·台账重算"], bool(marked.at[at, "本月数·台账重算"])

    assert cell(0) == ("100.00%（按另一口径为 0.00%，与报送相符）", False)
    assert cell(50) == ("100.00%", True)
