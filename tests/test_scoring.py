"""Unit scoring (evalkit.assess.scoring): components, re-weighting, ranks, grades, veto, config."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
import yaml

from evalkit.assess.scoring import grade_for, load_scoring_config, score_units
from evalkit.config.loader import packaged_default
from evalkit.core.periods import parse_period
from evalkit.exceptions import ConfigError
from fixtures_audit import build, row

GRADES = {"优秀": 90, "良好": 80, "合格": 60}

#: A small config whose arithmetic is easy to follow by hand.
SIMPLE = {
    "scope": "month",
    "dimensions": {
        "enforcement": {"name": "执法力度", "weight": 40, "parts": {
            "coverage": {"name": "检查覆盖率", "type": "ratio", "weight": 15, "metric": "coverage_rate", "target": 100},
            "rectification": {"name": "隐患整改率", "type": "ratio", "weight": 10, "metric": "rectification_rate",
                              "target": 100},
            "handling": {"name": "违法行为查处率", "type": "ratio", "weight": 15,
                         "metric": "violation_handling_rate", "target": 100}}},
        "case_quality": {"name": "办案质量", "weight": 35, "parts": {
            "d": {"name": "扣分", "type": "deduction", "weight": 35, "rules": {
                "fine_out_of_range": {"points": 5, "cap": 10},
                "inspectors_fewer_than_two": {"points": 1, "cap": 2, "source": "validation"}}}}},
        "effectiveness": {"name": "工作成效", "weight": 25, "parts": {
            "cases": {"name": "立案比例", "type": "ratio", "weight": 25, "metric": "case_ratio", "target": 50}}},
    },
    "veto": {"rules": ["criminal_referral_missing"], "flags": {}},
}


def _cfg(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _single(part: dict) -> dict:
    """A config with one dimension of 100 points made of ``part`` alone (total = its points)."""
    return {"scope": "ytd", "dimensions": {"only": {"name": "单项", "weight": 100, "parts": {
        "p": {"name": "单项", "weight": 100, **part}}}}, "veto": {"rules": [], "flags": {}}}


def _units_ds():
    pair = lambda u: [{"name": f"甲{u}", "unit": u}, {"name": f"乙{u}", "unit": u}]  # noqa: E731
    ents = pair("A") + pair("F") + pair("C") + pair("D") + [{"name": f"{k}B", "unit": "B"} for k in "甲乙丙丁"]
    ents += [{"name": "甲E", "unit": "E"}]
    two = ["未设置安全警示标志", "未配劳动防护用品"]
    rows = [
        row("A", 6, "甲A", "2024-06-03", two, ["已整改", "限期整改"], case_no="CA", fine=0.5,
            basis="安全生产法第九十九条"),
        row("A", 6, "乙A", "2024-06-04"),
        row("F", 6, "甲F", "2024-06-03", two, ["已整改", "限期整改"], case_no="CF", fine=0.5,
            basis="安全生产法第九十九条"),
        row("F", 6, "乙F", "2024-06-04"),
        row("B", 6, "甲B", "2024-06-05", two[:1], ["已整改"], case_no="CB", fine=6, basis="安全生产法第九十九条"),
        row("B", 6, "乙B", "2024-06-06", inspectors=["王五"]),
        row("C", 6, "甲C", "2024-06-07"),
        row("E", 6, "甲E", "2024-06-08", ["关闭、破坏监控报警设备"], ["已整改"], case_no="CE", fine=1,
            basis="安全生产法第九十九条"),
    ]
    problems = [{"file": "submissions/B_202406.xlsx", "sheet": "附件1", "row": 6, "column": "执法人员",
                 "rule": "inspectors_fewer_than_two", "severity": "warning", "message": "执法人员少于两人",
                 "value": "王五"}]
    return build(rows, enterprises=ents, problems=problems)


@pytest.fixture(scope="module")
def simple_result(tmp_path_factory):
    path = _cfg(tmp_path_factory.mktemp("cfg"), SIMPLE)
    return score_units(_units_ds(), "2024-06", config=path)


def test_dimension_scores_worked_by_hand(simple_result):
    """A: 15+5+15 | 35 | 25 = 95; B: 7.5+10+15 | 35−5−1 | 25 = 86.5; E: 100 (vetoed)."""
    f = simple_result.frame
    # A: coverage 2/2 → 15; rectified 1/2 → 10×0.5 = 5; 查处率 2/2 → 15; case_ratio 1/2 = 50% of target 50 → 25
    assert (f.at["A", "enforcement"], f.at["A", "case_quality"], f.at["A", "effectiveness"]) == (35, 35, 25)
    assert f.at["A", "total"] == 95 and f.at["F", "total"] == 95
    # B: coverage 2/4 → 7.5; 1/1 → 10; 1/1 → 15; fine 6 > 5 (V14) −5; one single-inspector row −1
    assert (f.at["B", "enforcement"], f.at["B", "case_quality"], f.at["B", "total"]) == (32.5, 29, 86.5)
    assert f.at["E", "total"] == 100


def test_not_applicable_rates_reweight_the_dimension(simple_result):
    """A None rate scores nothing and loses nothing: its weight is spread over the applicable parts."""
    # C: coverage 1/2 → 7.5 of 15 applicable → 40 × 7.5/15 = 20; case_ratio 0 → 0; total 20 + 35 + 0 = 55
    # D: no row: coverage 0 → 0; case_ratio 不适用 → 工作成效 dropped; total (0 + 35) × 100/75 = 46.67
    f = simple_result.frame
    assert (f.at["C", "enforcement"], f.at["C", "effectiveness"], f.at["C", "total"]) == (20, 0, 55)
    assert f.at["D", "total"] == 46.67 and f.at["D", "effectiveness"] is pd.NA
    c_text = "\n".join(f.at["C", "explanation"])
    assert "隐患整改率：不适用" in c_text and "40 × 7.50/15 = 20.00" in c_text
    assert "35.00 × 100/75 = 46.67" in "\n".join(f.at["D", "explanation"])


def test_ranks_ties_and_veto_order(simple_result):
    """A and F tie at 95 (both rank 1, next is 3: method min); vetoed E ranks last despite 100."""
    f = simple_result.frame
    assert f["rank"].to_dict() == {"A": 1, "F": 1, "B": 3, "C": 4, "D": 5, "E": 6}
    assert f["grade"].to_dict() == {"A": "优秀", "F": "优秀", "B": "良好", "C": "不合格", "D": "不合格",
                                    "E": "不合格"}
    assert bool(f.at["E", "vetoed"]) and "一票否决" in f.at["E", "explanation"][-1]


def test_explanation_cites_rule_and_evidence(simple_result):
    """B's lost points name the rule (in Chinese, for reviewers: no rule id), the finding count
    and the evidence count."""
    text = "\n".join(simple_result.frame.at["B", "explanation"])
    assert "办案质量·扣分：罚款超出法定幅度 1 条（证据 1 条），每条扣 5 分，扣 5.00 分" in text
    assert "办案质量·扣分：执法人员少于两人 1 条（证据 1 条），每条扣 1 分，扣 1.00 分" in text
    assert "fine_out_of_range" not in text and "inspectors_fewer_than_two" not in text
    assert "检查覆盖率：实际 50%，目标 100%，得 7.50/15，失 7.50 分" in text


@pytest.mark.parametrize("total, grade", [(100, "优秀"), (90, "优秀"), (89.99, "良好"), (89.995, "优秀"),
                                          (80, "良好"), (79.99, "合格"), (60, "合格"), (59.99, "不合格"),
                                          (59.994, "不合格"), (0, "不合格")])
def test_grade_boundaries(total, grade):
    """Lower bounds are inclusive (90 优秀, 89.99 良好, 60 合格, 59.99 不合格), after half-up rounding."""
    # 89.995 rounds to 90.00 → 优秀; 59.994 rounds to 59.99 → 不合格
    assert grade_for(total, GRADES) == grade


def test_veto_forces_fail_and_none_is_not_applicable():
    """A veto gives 不合格 whatever the total; no total at all gives 不适用."""
    assert grade_for(99, GRADES, vetoed=True) == "不合格"
    assert grade_for(None, GRADES) == "不适用"


def test_veto_flag_from_config(tmp_path):
    """A unit named under veto.flags (e.g. a fatal accident) is 不合格 with the reason shown."""
    data = copy.deepcopy(SIMPLE)
    data["veto"]["flags"] = {"A": "发生生产安全亡人事故"}
    res = score_units(_units_ds(), "2024-06", config=_cfg(tmp_path, data))
    assert res.frame.at["A", "grade"] == "不合格" and res.frame.at["A", "total"] == 95
    assert "发生生产安全亡人事故" in res.frame.at["A", "explanation"][-1]
    # not vetoed: F 95, B 86.5, C 55, D 46.67 → 1–4; vetoed, by total: E 100 → 5, A 95 → 6
    assert res.frame["rank"].to_dict() == {"F": 1, "B": 2, "C": 3, "D": 4, "E": 5, "A": 6}


def test_late_submission_deduction_via_submissions(tmp_path):
    """A submission_late problem is attributed to its sheet's unit and month: 100 − 2 = 98 for B only."""
    rows = [row("A", 6, "甲", "2024-06-01"), row("B", 6, "乙", "2024-06-02")]
    subs = [{"file": "submissions/B_202406.xlsx", "sheet": "附件2", "form": "figures", "unit": "B", "year": 2024,
             "month": 6, "period": "2024-06", "late": True},
            {"file": "submissions/B_202405.xlsx", "sheet": "附件2", "form": "figures", "unit": "B", "year": 2024,
             "month": 5, "period": "2024-05", "late": True}]
    probs = [{"file": s["file"], "sheet": "附件2", "row": None, "column": None, "rule": "submission_late",
              "severity": "warning", "message": "逾期报送", "value": None} for s in subs]
    data = _single({"type": "deduction", "rules": {"submission_late": {"points": 2, "cap": 3, "source": "validation"}}})
    data["scope"] = "month"  # June only: the May lateness is outside the span
    res = score_units(build(rows, submissions=subs, problems=probs), "2024-06", config=_cfg(tmp_path, data))
    assert (res.frame.at["A", "total"], res.frame.at["B", "total"]) == (100, 98)


def test_deduction_cap(tmp_path):
    """Three fines out of range × 5 points = 15, capped at 10: 100 − 10 = 90."""
    rows = [row("A", 6, f"e{i}", f"2024-06-0{i}", ["未设置安全警示标志"], case_no=f"K{i}", fine=9) for i in (1, 2, 3)]
    data = _single({"type": "deduction", "rules": {"fine_out_of_range": {"points": 5, "cap": 10}}})
    res = score_units(build(rows), "2024-06", config=_cfg(tmp_path, data))
    assert res.frame.at["A", "total"] == 90
    assert "3 条（证据 3 条），每条扣 5 分，扣 10.00 分，已达上限" in res.frame.at["A", "explanation"][0]


def test_prorated_target(tmp_path):
    """Jan–Jun: 2 of 5 enterprises inspected = 40%; target 100% × 6/12 = 50% → 100 × 40/50 = 80."""
    ents = [{"name": f"e{i}", "unit": "A"} for i in range(5)]
    rows = [row("A", 2, "e0", "2024-02-01"), row("A", 5, "e1", "2024-05-01")]
    data = _single({"type": "ratio", "metric": "coverage_rate", "target": 100, "prorate": True})
    res = score_units(build(rows, enterprises=ents), "2024-06", config=_cfg(tmp_path, data))
    assert res.frame.at["A", "total"] == 80
    assert "年度目标 100%×6/12" in res.frame.at["A", "explanation"][0]


def test_overdue_closure_rate_indicator(tmp_path):
    """到期隐患整改闭环率 = 限期整改 items due and closed ÷ items due; none due → 不适用."""
    # A: 甲 rectified on its row (no deadline to meet, left out); 乙 closed by 复查, 丙 open → 1/2 = 50
    # B: 戊's deadline 07-21 not reached → 不适用
    rows = [
        row("A", 5, "甲", "2024-05-01", ["未配劳动防护用品"], ["已整改"]),
        row("A", 5, "乙", "2024-05-02", ["未设置安全警示标志"], ["限期整改"]),
        row("A", 6, "乙", "2024-06-05", ["未设置安全警示标志"], ["已整改"], remarks="复查"),
        row("A", 5, "丙", "2024-05-03", ["疏散通道堵塞"], ["限期整改"]),
        row("A", 6, "丁", "2024-06-20", ["疏散通道堵塞"], ["限期整改"]),  # deadline 07-20: not due
        row("B", 6, "戊", "2024-06-21", ["疏散通道堵塞"], ["限期整改"]),
    ]
    data = _single({"type": "ratio", "indicator": "overdue_closure_rate", "target": 100})
    res = score_units(build(rows), "2024-06", config=_cfg(tmp_path, data))
    assert res.frame.at["A", "total"] == 50
    assert res.frame.at["B", "total"] is pd.NA and res.frame.at["B", "grade"] == "不适用"


def test_referral_rate_indicator(tmp_path):
    """A: two V17 items, one referred → 50; B: nothing due → 不适用 (not 0, not 100)."""
    v17 = ["关闭、破坏监控报警设备"]
    rows = [row("A", 6, "甲", "2024-06-01", v17, ["已整改"], other="移送公安机关1人"),
            row("A", 6, "乙", "2024-06-02", v17, ["已整改"], fine=1),
            row("B", 6, "丙", "2024-06-03", ["疏散通道堵塞"], ["已整改"])]
    data = _single({"type": "ratio", "indicator": "referral_rate", "target": 100})
    res = score_units(build(rows), "2024-06", config=_cfg(tmp_path, data))
    assert res.frame.at["A", "total"] == 50
    assert res.frame.at["B", "total"] is pd.NA


def test_typical_cases_indicator(tmp_path):
    """A has a case scoring 7 (referral 4 + major 3) ≥ 5 → 1 of target 2 → 50; B's case scores 3 → 0."""
    rows = [row("A", 6, "甲", "2024-06-01", ["重大事故隐患：疏散通道堵塞"], case_no="KA", fine=1,
                other="移送公安机关1人"),
            row("B", 6, "乙", "2024-06-02", ["重大事故隐患：疏散通道堵塞"], case_no="KB", fine=1)]
    data = _single({"type": "ratio", "indicator": "typical_cases", "target": 2, "min_score": 5})
    res = score_units(build(rows), "2024-06", config=_cfg(tmp_path, data))
    assert (res.frame.at["A", "total"], res.frame.at["B", "total"]) == (50, 0)


def test_typical_cases_indicator_counts_positive_examples_only(tmp_path):
    """B's case scores 8 (停产 3 + major 3 + 顶格 2) but is 以罚代刑 (V20 refused, no referral): 反面典型,
    not counted → 0 of target 1; A's referred case (7) counts → 100."""
    dust = ["重大事故隐患：粉尘积聚"]
    rows = [row("A", 6, "甲", "2024-06-01", ["重大事故隐患：疏散通道堵塞"], case_no="KA", fine=1,
                other="移送公安机关1人"),
            row("B", 5, "乙", "2024-05-20", dust, ["限期整改"]),
            row("B", 6, "乙", "2024-06-21", dust, ["拒不整改"], case_no="KB", fine=5, basis="安全生产法第一百零二条",
                other="责令停产停业整顿", remarks="复查")]
    data = _single({"type": "ratio", "indicator": "typical_cases", "target": 1, "min_score": 5})
    res = score_units(build(rows), "2024-06", config=_cfg(tmp_path, data))
    assert (res.frame.at["A", "total"], res.frame.at["B", "total"]) == (100, 0)


def test_default_config_runs_and_adds_up():
    """With the packaged weights (40/35/25) every total is within 0–100 and the dimensions add up."""
    res = score_units(_units_ds(), "2024-06")
    f = res.frame
    assert list(f.columns[:3]) == ["enforcement", "case_quality", "effectiveness"]
    for unit, r in f.iterrows():
        assert 0 <= r["total"] <= 100, unit
    full = f.dropna(subset=["enforcement", "case_quality", "effectiveness"])
    assert ((full[["enforcement", "case_quality", "effectiveness"]].sum(axis=1) - full["total"]).abs() < 0.02).all()
    assert res.span.label == "2024年1—6月（累计）"


def test_to_dict_and_to_text(simple_result):
    """to_dict is JSON-able with ranks/grades/explanations; to_text shows the ranking table."""
    out = simple_result.to_dict()
    json.dumps(out, ensure_ascii=False)
    a = next(u for u in out["units"] if u["unit"] == "A")
    assert (a["total"], a["rank"], a["grade"]) == (95, 1, "优秀")
    assert {p["part"] for p in a["parts"]} == {"coverage", "rectification", "handling", "d", "cases"}
    text = simple_result.to_text()
    assert "执法力度(40)" in text and "失分说明" in text and "（否决）" in text


def _broken(mutate):
    data = copy.deepcopy(SIMPLE)
    mutate(data)
    return data


@pytest.mark.parametrize("data, key", [
    (_broken(lambda d: d["dimensions"]["effectiveness"].update(weight=15)), "dimensions.effectiveness"),
    (_broken(lambda d: d["dimensions"]["enforcement"]["parts"]["coverage"].update(weight=20)),
     "dimensions.enforcement.parts"),
    (_broken(lambda d: d["dimensions"]["enforcement"]["parts"]["coverage"].update(metric="no_such")),
     "dimensions.enforcement.parts.coverage.metric"),
    (_broken(lambda d: d.update(typo=1)), "typo"),
    (_broken(lambda d: d["dimensions"]["case_quality"]["parts"]["d"]["rules"].update(no_rule={"points": 1, "cap": 1})),
     "dimensions.case_quality.parts.d.rules.no_rule"),
    (_broken(lambda d: d.update(grades={"优秀": 80, "良好": 90, "合格": 60})), "grades"),
    (_broken(lambda d: d.update(scope="week")), "scope"),
    (_broken(lambda d: d["dimensions"]["effectiveness"]["parts"]["cases"].update(type="bonus")),
     "dimensions.effectiveness.parts.cases.type"),
    (_broken(lambda d: d["dimensions"]["effectiveness"]["parts"]["cases"].update(target=0)),
     "dimensions.effectiveness.parts.cases.target"),
])
def test_config_errors_name_the_key(tmp_path, data, key):
    """An invalid scoring config raises ConfigError naming the offending key."""
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_scoring_config(_cfg(tmp_path, data))


def test_veto_flag_for_unknown_unit(tmp_path):
    """veto.flags naming a unit not in the registry is a ConfigError naming the key."""
    data = _broken(lambda d: d["veto"].update(flags={"不存在村": "事故"}))
    with pytest.raises(ConfigError, match=r"veto\.flags\.不存在村"):
        score_units(_units_ds(), "2024-06", config=_cfg(tmp_path, data))


def test_packaged_config_is_valid_and_sums_to_100():
    """The packaged scoring.yaml validates: 40 (15/10/15) + 35 + 25."""
    cfg, _ = load_scoring_config(None)
    dims = cfg["dimensions"]
    assert [dims[d]["weight"] for d in dims] == [40, 35, 25]
    assert [p["weight"] for p in dims["enforcement"]["parts"].values()] == [15, 10, 15]
    assert packaged_default("scoring")["veto"]["rules"] == ["criminal_referral_missing"]


def test_every_lost_point_of_a_deduction_is_listed_with_its_evidence(simple_result):
    """B lost 5 (罚款超出法定幅度, one finding) + 1 (执法人员少于两人, one problem) = 6 points in
    办案质量's deductions (35 − 29); ``deductions`` lists exactly those two, with evidence."""
    d = simple_result.deductions
    mine = d[d["unit"] == "B"]
    assert sorted(zip(mine["rule_name"], mine["points"], strict=True)) == [("执法人员少于两人", 1.0),
                                                                          ("罚款超出法定幅度", 5.0)]
    assert all(len(ev) >= 1 for ev in mine["evidence"]) and set(mine["month"]) == {"2024-06"}
    assert d[d["unit"] == "A"].empty  # A lost no deduction points
    unit_b = next(u for u in simple_result.to_dict()["units"] if u["unit"] == "B")
    assert sorted(x["rule"] for x in unit_b["deductions"]) == ["fine_out_of_range", "inspectors_fewer_than_two"]


def test_a_capped_rule_lists_its_later_findings_at_zero(tmp_path):
    """Cap 1.5 at 1 point each: three findings cost 1, 0.5 and 0; the listed points add up to the cap."""
    from evalkit.assess.scoring import _by_rule_and_unit, _deductions

    findings = pd.DataFrame({"rule": ["fine_out_of_range"] * 3, "unit": ["B"] * 3, "severity": ["中"] * 3,
                             "message": ["a", "b", "c"], "evidence": [["x#1"], ["x#2"], ["x#3"]],
                             "details": [{"month": "2024-05"}] * 3})
    part = {"rules": {"fine_out_of_range": {"points": 1, "cap": 1.5}}}
    total, _, items = _deductions(_units_ds(), parse_period("2024-06"), _by_rule_and_unit(findings), part, "B",
                                  "办案质量", {})
    assert total == 1.5 and [i["points"] for i in items] == [1.0, 0.5, 0.0]
    assert [i["month"] for i in items] == ["2024-05"] * 3


def test_on_the_sample_every_unit_s_listed_deductions_add_up_to_its_lost_points():
    """data/sample, 2024-06 (year to date): for every unit, the deduction table's points equal
    the weight its deduction parts lost; 古山村's missing February is among them."""
    from pathlib import Path

    from evalkit.intake.loader import load
    from evalkit.report import sections

    ds = load(Path(__file__).resolve().parent.parent / "data" / "sample")
    res = score_units(ds, "2024-06")
    parts = res.parts[res.parts["type"] == "deduction"]
    for unit in res.frame.index:
        mine = parts[parts["unit"] == unit]
        lost = float((mine["weight"] - mine["points"]).sum())
        listed = float(res.deductions.loc[res.deductions["unit"] == unit, "points"].sum())
        assert abs(lost - listed) < 1e-6, (unit, lost, listed)
        shown = sections.deduction_table(ds, "2024-06", unit)
        assert abs(sum(float(x) for x in shown["扣分"]) - lost) < 0.01 * max(len(shown), 1), unit
    gushan = sections.deduction_table(ds, "2024-06", "古山村")
    row = gushan[gushan["问题类型"] == "逾期未报送统计表"]
    assert list(row["月份"]) == ["2月"] and list(row["扣分"]) == ["2.00"]
    assert list(row["证据"]) == ["（无文件：未报送）"]


def test_scores_built_on_a_given_audit_equal_the_scores_that_run_their_own(monkeypatch):
    """score_units(audit=...) with the audit of the scored span gives the same result and runs no
    second audit; an audit of another span is refused, never silently mixed in."""
    import evalkit.assess.scoring as scoring
    from evalkit.assess.scoring import scored_span
    from evalkit.audit.run import run_audit

    ds = _units_ds()
    own = score_units(ds, "2024-06")
    span = scored_span(ds, "2024-06")
    assert span.text == "2024-06" and span.kind == "ytd"  # the packaged scope: year to date
    shared = run_audit(ds, span)
    calls = []
    monkeypatch.setattr(scoring, "run_audit", lambda *a, **k: calls.append(a) or run_audit(*a, **k))
    given = score_units(ds, "2024-06", audit=shared)
    assert calls == []
    pd.testing.assert_frame_equal(given.frame, own.frame)
    pd.testing.assert_frame_equal(given.parts, own.parts)
    with pytest.raises(ValueError, match="2024-06"):
        score_units(ds, "2024-06", audit=run_audit(ds, parse_period("2024-06")))  # the month, not the year to date
