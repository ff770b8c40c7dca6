"""Issue 10 on the sample year: quarter and year figures a unit would accept, labels that say
what they cover, and every lost point traceable to a finding in the unit's report.

The expectations are independent of the code under test where it matters: the red cells
of a quarter are checked against the red cells of its three monthly reports (computed by
``reconcile.differs`` cell by cell, not from the audit's findings), and the points lost
against the score parts (weight − points), not against the deduction records themselves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evalkit.audit.reconcile import COMPARED
from evalkit.audit.run import run_audit
from evalkit.metrics.engine import compute_metrics
from evalkit.metrics.registry import get_metric, list_metrics
from evalkit.report import sections

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
RATES = [d.id for d in list_metrics() if d.kind == "rate"]


@pytest.fixture(scope="module")
def ds():
    if not (SAMPLE / "MANIFEST.json").exists():
        pytest.skip("data/sample not generated")
    from evalkit.intake.loader import load

    return load(SAMPLE)


@pytest.fixture(scope="module")
def units(ds):
    return [str(u) for u in ds.units["unit"]]


# --------------------------------------------------------------------------- quarter and year
@pytest.mark.parametrize("period", ["2024Q2", "2024"])
def test_no_reported_rate_exceeds_100(ds, period):
    res = compute_metrics(ds, period, source="reported")
    for rid in RATES:
        values = [*res.frame[rid].dropna(), res.total[rid]]
        assert all(v is None or 0 <= float(v) <= 100 for v in values), (rid, max(values, key=lambda v: v or 0))


def test_every_red_cell_of_a_quarter_is_one_audit_finding(ds, units):
    """For every unit of 2024Q2: the quarter report marks nothing in its totals table; its
    monthly list holds one row per differing cell of April, May and June (the cells the three
    monthly reports mark red), one red cell per row, and exactly the audit's findings."""
    q_findings = run_audit(ds, "2024Q2").findings
    total = 0
    for unit in units:
        expected = set()
        for month in ("2024-04", "2024-05", "2024-06"):
            table, marks = sections.figures_comparison(ds, month, unit)
            for col in marks.columns:
                for i in marks.index[marks[col]]:
                    expected.add((f"{int(month[5:])}月", col.split("·")[0], table.at[i, "项目"]))
        _, q_marks = sections.figures_comparison(ds, "2024Q2", unit)
        assert not q_marks.to_numpy().any(), unit
        rows, marks = sections.monthly_mismatches(ds, "2024Q2", unit)
        got = {(r["月份"], r["报表行"], r["项目"]) for r in rows.to_dict("records")}
        assert got == expected and len(rows) == len(got), unit
        assert int(marks.to_numpy().sum()) == len(rows) and marks["台账重算"].all()
        mine = q_findings[(q_findings["unit"] == unit) & (q_findings["rule"] == "reconciliation_mismatch")]
        assert len(mine) == len(rows), unit
        total += len(rows)
    assert total > 0, "the sample has planted reconciliation mismatches in Q2"


def test_quarter_enterprise_counts_are_not_comparable_in_the_report(ds):
    """A Q2 家 column cannot come from monthly forms: the report says 不可比, not a number."""
    table, _ = sections.figures_comparison(ds, "2024Q2", "综合执法队")
    reported = dict(zip(table["项目"], table["2024年第二季度·报送"], strict=True))
    assert reported[get_metric("inspected").header] == "不可比"
    assert reported[get_metric("coverage_rate").header] == "不可比"
    assert reported[get_metric("hazards_found").header] == "38"  # additive: the months' sum


def test_the_year_report_shows_january_to_november(ds, units):
    """December is not in: the year is 2024年（截至11月）, every unit has figures (its latest
    累计数), and the unit report's columns say so."""
    res = compute_metrics(ds, "2024", source="reported")
    assert res.period.label == "2024年（截至11月）" and res.period.months == tuple(range(1, 12))
    assert res.missing == {}
    assert res.frame["hazards_found"].notna().all()
    table, _ = sections.figures_comparison(ds, "2024", units[0])
    assert list(table.columns)[1:] == ["2024年（截至11月）·报送", "2024年（截至11月）·台账重算"]
    assert "未报送" not in set(table.iloc[:, 1])


def test_gushan_missing_february_is_a_finding_with_its_deduction(ds):
    """Its February audit has the finding; June's score (year to date) deducts for it and
    June's §七 lists it."""
    assert "古山村" in set(run_audit(ds, "2024-02").findings.query("rule == 'submission_missing'")["unit"])
    f = sections.scores(ds, "2024-06").audit.findings
    mine = f[(f["rule"] == "submission_missing") & (f["unit"] == "古山村")]
    assert len(mine) == 1 and "2024年2月" in mine.iloc[0]["message"]
    d = sections.deduction_table(ds, "2024-06", "古山村")
    row = d[d["问题类型"] == mine.iloc[0]["rule_name"]]
    assert list(row["月份"]) == ["2月"] and float(row["扣分"].iloc[0]) >= 1  # lateness costs 1
    s7 = sections.findings_table(ds, "2024-06", "古山村")
    assert list(s7.loc[s7["问题类型"] == mine.iloc[0]["rule_name"], "月份"]) == ["2月"]


# --------------------------------------------------------------------------- labels
@pytest.mark.parametrize(("period", "this", "cumulative"), [
    ("2024-06", "本月", "年初以来（截至6月）"),
    ("2024Q2", "本季度", "本季度"),
    ("2024", "年初以来（截至11月）", "年初以来（截至11月）"),
])
def test_every_headline_figure_says_what_it_covers(ds, period, this, cumulative):
    """Town and unit headline figures: each label names its span, and the value is that span's."""
    town = sections.town_summary(ds, period)
    assert set(town) == {"单位数", f"{this}检查企业数", f"{cumulative}检查覆盖率", f"{cumulative}隐患整改率",
                         f"{this}罚款金额", f"{this}核查问题"}
    scope = "ytd" if period == "2024-06" else None
    cum = compute_metrics(ds, period, scope=scope).total
    now = compute_metrics(ds, period).total
    assert town[f"{cumulative}检查覆盖率"] == f"{float(cum['coverage_rate']):.2f}%"
    assert town[f"{this}检查企业数"] == f"{int(now['inspected'])} 家"
    unit = sections.unit_summary(ds, period, "蚶江村")
    assert set(unit) == {"综合得分", "排名", "等级", f"{cumulative}检查覆盖率", f"{cumulative}隐患整改率"}
    text = sections.period_summary_text(ds, period)
    assert f"{this}全镇现场检查企业 {int(now['inspected'])} 家" in text
    if period == "2024Q2":
        # the quarter's own coverage (63.90 %) is 本季度; 年初以来 is January–June's 71.25 %
        assert "年初以来（截至6月）检查覆盖率 71.25%" in text and town["本季度检查覆盖率"] == "63.90%"
        assert "年初以来" not in "".join(town) + "".join(unit)


# --------------------------------------------------------------------------- traceable points
_HAZARD = re.compile(r"^「(.+?)」")
_DAYS = re.compile(r"已逾期(\d+)天")


@pytest.mark.parametrize("period", ["2024-06", "2024Q2"])
def test_every_lost_point_is_listed_in_the_findings_section(ds, units, period):
    """Per unit: the deduction table adds up to the points its deduction parts lost (from
    ``parts``: weight − points), and every row of it is on the §七 line its 见§七编号 names.

    That line has the same 问题类型, its 月份 include the row's, and its 扣分 is the sum of the
    deduction rows that point to it. A line of one finding has the row's 问题 itself; a 逾期未整改
    line groups an enterprise's items (issue 11), so it must name the row's hazard 「…」 with its
    days overdue (“逾期N天”), and it has as many items as rows point to it plus those past the cap
    (listed at 0, so not in the deduction table)."""
    res = sections.scores(ds, period)
    parts = res.parts[res.parts["type"] == "deduction"]
    grouped = 0
    for unit in units:
        mine = parts[parts["unit"] == unit]
        lost = float((mine["weight"] - mine["points"]).sum())
        deductions = sections.deduction_table(ds, period, unit)
        listed = sum(float(v) for v in deductions["扣分"])
        assert abs(listed - lost) < 0.011 * max(len(deductions), 1), unit
        section7 = sections.findings_table(ds, period, unit).set_index("编号")
        assert list(section7.index) == list(range(1, len(section7) + 1)), unit
        points: dict[int, float] = {}
        for r in deductions.to_dict("records"):
            line = section7.loc[int(r["见§七编号"])]
            assert line["问题类型"] == r["问题类型"], (unit, r)
            assert r["月份"] in line["月份"].split("、"), (unit, r)
            if line["问题"] != r["问题"]:
                hazard, days = _HAZARD.match(r["问题"]).group(1), _DAYS.search(r["问题"]).group(1)
                assert f"「{hazard}」" in line["问题"] and f"逾期{days}天" in line["问题"], (unit, r)
                grouped += 1
            points[int(r["见§七编号"])] = points.get(int(r["见§七编号"]), 0.0) + float(r["扣分"])
        for number, total in points.items():
            assert abs(float(section7.at[number, "扣分"]) - total) < 0.011, (unit, number)
    assert grouped > 0, "the sample has enterprises with several overdue items"


def test_the_findings_section_is_the_scoring_span(ds):
    """June's §七 lists the year-to-date findings scoring used, May's included (综合执法队 lost
    0.5 for a May reconciliation finding that June's audit alone does not have)."""
    s7 = sections.findings_table(ds, "2024-06", "综合执法队")
    may = s7[(s7["月份"] == "5月") & (s7["问题类型"] == "附件2报送数与台账重算数不符")]
    assert len(may) == 1 and may.iloc[0]["扣分"] == "0.50"
    month_only = run_audit(ds, "2024-06").findings
    assert not ((month_only["unit"] == "综合执法队") & (month_only["rule"] == "reconciliation_mismatch")
                & month_only["message"].str.startswith("2024-05")).any()


def test_no_rule_id_in_reviewer_text(ds):
    ids = json.loads(json.dumps(list(sections.AUDIT_RULES)))
    text = sections.findings_table(ds, "2024-06", "蚶江村").to_string()
    text += sections.deduction_table(ds, "2024-06", "蚶江村").to_string()
    assert not [r for r in ids if r in text]
    assert COMPARED  # the compared columns exist (guards the imports above)


def test_the_year_summary_lists_missing_submissions_and_says_where_data_stops(ds):
    assert sections.missing_submissions(ds, "2024") == ["古山村：2月（报送期限 2024-03-30）"]
    assert sections.missing_submissions(ds, "2024-06") == []  # June's forms all came in
    text = sections.year_end_summary(ds, "2024")
    assert "数据截至11月" in text and "年初以来（截至11月）现场检查企业" in text and "全年" not in text
