"""A period with no data is refused (issue 10, "No data, no report"), by hand-made fixtures."""

from __future__ import annotations

import datetime as dt

import pytest

from evalkit import cli
from evalkit.core.dataset import covered_months, describe_months, require_covered
from evalkit.core.periods import parse_period
from evalkit.exceptions import PeriodNotCoveredError
from evalkit.intake.loader import load
from intake_helpers import inspection, ledger_file, make_data_dir


@pytest.mark.parametrize(("months", "text"), [
    (["2024-01", "2024-02", "2024-03"], "2024年1—3月"),
    (["2024-05"], "2024年5月"),
    (["2023-11", "2023-12", "2024-01", "2024-03"], "2023年11—12月、2024年1月、2024年3月"),
    ([], "（无任何月份）"),
])
def test_describe_months(months, text):
    assert describe_months(months) == text


@pytest.fixture
def data(tmp_path):
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "5月.xlsx", [inspection(date=dt.date(2024, 5, 6))], month=5)
    ledger_file(root, "6月.xlsx", [inspection(date=dt.date(2024, 6, 6))], month=6)
    return root


def test_covered_months_and_overlap(data):
    ds = load(data)
    assert covered_months(ds) == ["2024-05", "2024-06"]
    for inside in ("2024-05", "2024Q2", "2024"):  # a period that overlaps the data is fine
        require_covered(ds, parse_period(inside))
    for outside in ("2023-06", "2024-07", "2024Q1", "2023"):
        with pytest.raises(PeriodNotCoveredError, match="数据覆盖 2024年5—6月"):
            require_covered(ds, parse_period(outside))


@pytest.mark.parametrize("command", ["metrics", "audit", "score", "export", "run"])
def test_every_command_refuses_a_period_without_data(data, tmp_path, capsys, monkeypatch, command):
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = [command, str(data), "--period", "2023-06"]
    if command in ("export", "run"):
        args += ["--out", str(tmp_path / "out")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.strip() == "evalkit: 2023年6月没有任何报送数据：数据覆盖 2024年5—6月；请检查 --period"
    assert not list((tmp_path / "out").rglob("*.html")) and not list((tmp_path / "out").rglob("*.xlsx"))


def test_the_quarter_summary_says_year_to_date_for_january_to_the_quarter_end(tmp_path):
    """石壁村 has 2 registered enterprises, 综合执法队 2 (4 in the town). 宏达五金厂 inspected in
    January, 锦里制衣 in May: Q2 coverage is 1/4 = 25.00%, January–May 2/4 = 50.00%. The data
    stops in May, so the quarter is in progress: labelled 截至5月, and the year-to-date figure
    is January–May's 50.00%."""
    from evalkit.report import sections

    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "1月.xlsx", [inspection(date=dt.date(2024, 1, 8))], month=1)
    ledger_file(root, "5月.xlsx", [inspection("蚶江锦里制衣有限公司", dt.date(2024, 5, 6))], month=5)
    ds = load(root)
    text = sections.period_summary_text(ds, "2024Q2")
    assert text.startswith("2024年第二季度（截至5月），")
    assert "年初以来（截至5月）检查覆盖率 50.00%" in text
    assert "本季度（截至5月）全镇现场检查企业 1 家" in text
    month = sections.period_summary_text(ds, "2024-05")
    assert "年初以来（截至5月）检查覆盖率 50.00%" in month


def test_a_year_in_progress_does_not_call_later_months_missing(tmp_path, monkeypatch):
    """Data for May and June only (石壁村 both, 综合执法队 June only): the year report warns
    综合执法队 about May, nobody about July–December or January–April."""
    from evalkit.report import sections

    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "5月.xlsx", [inspection(date=dt.date(2024, 5, 6))], month=5)
    ledger_file(root, "6月.xlsx", [inspection(date=dt.date(2024, 6, 6))], month=6)
    ledger_file(root, "综6月.xlsx", [inspection("蚶江渔业合作社", dt.date(2024, 6, 7))], unit="综合执法队", month=6)
    ds = load(root)
    shown = []
    monkeypatch.setattr(sections, "warn", shown.append)
    monkeypatch.setattr(sections, "note", shown.append)
    sections.submission_warning(ds, "2024", "石壁村")
    assert shown == []
    sections.submission_warning(ds, "2024", "综合执法队")
    assert len(shown) == 1 and "未报送 5月 的统计表" in shown[0] and "12月" not in shown[0]


# ------------------------------------------------------------------ submission_missing (issue 10)
def _figures(root, unit, month):
    from evalkit.core.form_writer import write_submission

    write_submission(root / "submissions" / f"{unit}{month}月附件2.xlsx", unit=unit, year=2024, month=month,
                     month_values={"inspected": 1}, cumulative_values={"inspected": 1})


def _june_gap(tmp_path, july_figures: bool = False):
    """石壁村: both forms for May, June and July. 综合执法队: May's two forms, nothing for June,
    July's 附件1 (and its 附件2 when ``july_figures``)."""
    root = make_data_dir(tmp_path / "data")
    for month in (5, 6, 7):
        ledger_file(root, f"石壁村{month}月.xlsx", [inspection(date=dt.date(2024, month, 6))], month=month)
        _figures(root, "石壁村", month)
    ledger_file(root, "综5月.xlsx", [inspection("蚶江渔业合作社", dt.date(2024, 5, 7))], unit="综合执法队", month=5)
    _figures(root, "综合执法队", 5)
    ledger_file(root, "综7月.xlsx", [inspection("蚶江渔业合作社", dt.date(2024, 7, 7))], unit="综合执法队", month=7)
    if july_figures:
        _figures(root, "综合执法队", 7)
    return root


def test_a_missing_month_is_a_finding_only_once_its_deadline_has_passed(tmp_path):
    """Data for May, June and July. 石壁村 sent both forms every month. 综合执法队 sent May's
    two forms, nothing for June, and only 附件1 for July. As of the data (July is the latest
    month, no receipt dates), June is past its deadline (07-30) and July is not."""
    from evalkit.audit.run import run_audit

    ds = load(_june_gap(tmp_path))
    found = run_audit(ds, "2024").findings
    mine = found[found["rule"] == "submission_missing"]
    assert list(mine["unit"]) == ["综合执法队"]
    assert mine["message"].iloc[0] == "未报送2024年6月的附件1（统计表一）、附件2（统计表二）：报送期限 2024-07-30 已过"
    assert run_audit(ds, "2024-07").findings.query("rule == 'submission_missing'").empty  # July: not yet due


def test_a_missing_month_costs_points_in_scoring(tmp_path):
    """The same 综合执法队, scored for July year to date: 2 points (scoring.yaml) for June."""
    from evalkit.assess.scoring import score_units

    res = score_units(load(_june_gap(tmp_path, july_figures=True)), "2024-07")
    lines = res.frame.at["综合执法队", "explanation"]
    assert "办案质量·扣分项：逾期未报送统计表 1 条（证据 0 条），每条扣 2 分，扣 2.00 分" in lines
    assert not any("逾期未报送" in line for line in res.frame.at["石壁村", "explanation"])


# --------------------------------------------------------------------------- a year in progress
def _year_in_progress():
    """Data from January to March. 石壁村 (4 enterprises) sent 附件2 for January and March but
    not February; its March 累计数 row says 3 inspected (75%), 6 hazards, 4 rectified
    (66.67%, recomputed: not on the form), 0.5 万元.
    锦里村 (2 enterprises) sent January and February only: its latest 累计数 (February) says
    1 inspected, 2 hazards, 1 rectified."""
    from fixtures_dataset import figures_row, inspection, make_dataset

    reg = [(f"甲{i}", "石壁村") for i in range(4)] + [("乙0", "锦里村"), ("乙1", "锦里村")]
    figs = []
    for m, (ins, haz, rec, fine) in {1: (1, 2, 1, 0.2), 3: (3, 6, 4, 0.5)}.items():
        figs.append(figures_row("石壁村", f"2024-0{m}", "累计数", supervised_total=4, inspected=ins,
                                hazards_found=haz, hazards_rectified=rec, fines_wan=fine,
                                coverage_rate=ins / 4 * 100))
        figs.append(figures_row("石壁村", f"2024-0{m}", "本月数", supervised_total=4, inspected=1,
                                hazards_found=2, hazards_rectified=1, fines_wan=0.2))
    for m in (1, 2):
        figs.append(figures_row("锦里村", f"2024-0{m}", "累计数", supervised_total=2, inspected=1,
                                hazards_found=2, hazards_rectified=1, fines_wan=0, coverage_rate=50))
        figs.append(figures_row("锦里村", f"2024-0{m}", "本月数", supervised_total=2, inspected=1 if m == 1 else 0,
                                hazards_found=2 if m == 1 else 0, hazards_rectified=1 if m == 1 else 0))
    rows = [inspection("石壁村", "甲0", "2024-03-04")]
    return make_dataset(reg, rows, figures=figs, units=["石壁村", "锦里村"])


def test_the_year_in_progress_is_cut_at_the_latest_month_and_says_so():
    from evalkit.metrics.engine import compute_metrics

    res = compute_metrics(_year_in_progress(), "2024", source="reported")
    assert res.period.months == (1, 2, 3) and res.period.label == "2024年（截至3月）"
    row = res.frame.loc["石壁村"]
    # the latest 累计数 (March), not a sum of the months (February is missing)
    assert (row["inspected"], row["hazards_found"], row["hazards_rectified"]) == (3, 6, 4)
    assert row["coverage_rate"] == 75.0 and row["rectification_rate"] == 66.67 and row["fines_wan"] == 0.5
    assert res.frame.loc["锦里村", "inspected"] == 1 and res.as_of == {"锦里村": "2024-02"}
    assert res.missing == {}
    # town: (3 + 1) / (4 + 2) = 66.67 %; hazards 8, rectified 5 -> 62.50 %
    assert res.total["coverage_rate"] == 66.67 and res.total["rectification_rate"] == 62.5
    assert res.to_dict()["through"] == "2024-03" and "锦里村（截至2月）" in res.to_text()


def test_a_quarter_in_progress_covers_its_submitted_months():
    """2024Q1 is complete at March; 2024Q2 has no data and is refused; a year of which the
    data has nothing (2023) is unchanged and refused."""
    from evalkit.core.dataset import within_data

    ds = _year_in_progress()
    q1 = within_data(ds, parse_period("2024Q1"))
    assert q1.through is None and q1.label == "2024年第一季度"
    assert within_data(ds, parse_period("2024Q2")) == parse_period("2024Q2")
    with pytest.raises(PeriodNotCoveredError, match="数据覆盖 2024年1—3月"):
        require_covered(ds, parse_period("2024Q2"))
    assert within_data(ds, parse_period("2024-02", "ytd")).months == (1, 2)
    assert within_data(ds, parse_period("2024-12", "ytd")).label == "2024年1—3月（累计）"
