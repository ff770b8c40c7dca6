"""Audit rules (evalkit.audit.run): each rule on a small hand-built fixture, config, output."""

from __future__ import annotations

import json

import pytest

from evalkit.audit.run import AUDIT_RULES, RULE_FUNCTIONS, load_audit_config, run_audit
from evalkit.exceptions import ConfigError
from fixtures_audit import build, figure, row

A, B, C = "锦里村", "应急站", "水头村"


def _rule(result, rule):
    return result.findings[result.findings["rule"] == rule].reset_index(drop=True)


# ------------------------------------------------------------------ catalogue of rules
def test_every_rule_has_function_title_clause_and_docstring():
    """Every rule id has a check function with a docstring, a Chinese title and a plan clause."""
    assert list(RULE_FUNCTIONS) == list(AUDIT_RULES)
    for rid, fn in RULE_FUNCTIONS.items():
        assert fn.__doc__ and len(fn.__doc__) > 80, rid
        assert AUDIT_RULES[rid].title and AUDIT_RULES[rid].clause, rid
        assert AUDIT_RULES[rid].severity in ("高", "中", "低")


# ------------------------------------------------------------------ rule 1
def _reconciliation_ds():
    # June: 甲 2 hazards (1 rectified), case C1, fine 0.5; 乙 no hazards. Recomputed for the month:
    # supervised 2, inspected 2, coverage 2/2 = 100.00, hazards 2, rectified 1, cases 1,
    # case_ratio 1/2 = 50.00, 违法行为查处率 = items on cased rows / hazards = 2/2 = 100.00, fines 0.5.
    rows = [row(A, 6, "甲厂", "2024-06-03", ["未设置安全警示标志", "未配劳动防护用品"], ["已整改", "限期整改"],
                case_no="C1", fine=0.5, basis="安全生产法第九十九条"),
            row(A, 6, "乙厂", "2024-06-04")]
    good = dict(supervised_total=2, inspected=2, hazards_rectified=1, cases_filed=1,
                violation_handling_rate=100)
    figs = [
        # 本月数: hazards 3 (≠2), coverage 99.99 (|Δ| 0.01 ≤ 0.01, ok), case_ratio 50.02 (|Δ| 0.02 > 0.01),
        # fines 0.5001 (|Δ| 0.0001 ≤ 0.0001, ok)
        figure(A, 6, "本月数", row=6, hazards_found=3, coverage_rate=99.99, case_ratio=50.02,
               fines_wan=0.5001, **good),
        # 累计数 (ytd = June only): all correct
        figure(A, 6, "累计数", row=7, hazards_found=2, coverage_rate=100, case_ratio=50, fines_wan=0.5, **good),
    ]
    return build(rows, figures=figs)


def test_reconciliation_mismatch_names_metric_and_both_values():
    """附件2 vs recomputed 附件1: only hazards_found (3 vs 2) and case_ratio (50.02 vs 50) differ."""
    found = _rule(run_audit(_reconciliation_ds(), "2024-06"), "reconciliation_mismatch")
    got = {(f["details"]["metric"], f["details"]["kind"]): (f["details"]["reported"], f["details"]["recomputed"])
           for f in found.to_dict("records")}
    assert got == {("hazards_found", "本月数"): (3.0, 2.0), ("case_ratio", "本月数"): (50.02, 50.0)}
    assert set(found["unit"]) == {A}
    assert all(ev == [f"submissions/{A}_202406.xlsx#附件2#6"] for ev in found["evidence"])


def test_coverage_following_the_printed_formula_is_no_mismatch():
    """附件2 备注2: 检查覆盖率 = 现场监督检查企业数 / 监管企业总数. 锦里村 supervises 甲厂 and 乙厂 and inspected
    甲厂 and 丙厂 (丙厂 is 水头村's): the metric gives 1/2 = 50.00, the printed formula 2/2 = 100.00; a report of
    either agrees, 75 matches neither."""
    rows = [row(A, 6, "甲厂", "2024-06-03"), row(A, 6, "丙厂", "2024-06-04")]
    ents = [{"name": "甲厂", "unit": A}, {"name": "乙厂", "unit": A}, {"name": "丙厂", "unit": C}]

    def found(reported):
        figs = [figure(A, 6, "本月数", row=6, supervised_total=2, inspected=2, coverage_rate=reported)]
        res = _rule(run_audit(build(rows, figures=figs, enterprises=ents), "2024-06"), "reconciliation_mismatch")
        return [(f["details"]["metric"], f["details"]["recomputed"]) for f in res.to_dict("records")]

    assert found(50) == [] and found(100) == []
    assert found(75) == [("coverage_rate", 50.0)]


def test_handling_rate_by_any_reading_is_no_mismatch():
    """甲厂's 2 hazards were fined 0.2 万元 by 简易程序 (no case): 查处 2/2 = 100.00 by default, 0.00 when only
    立案 counts. The garbled footnote allows either: a report of 100 or 0 agrees; 50 matches no reading."""
    rows = [row(A, 6, "甲厂", "2024-06-03", ["未设置安全警示标志", "未配劳动防护用品"], ["已整改", "已整改"],
                fine=0.2, other="简易程序当场处罚")]

    def found(reported):
        figs = [figure(A, 6, "本月数", row=6, supervised_total=1, inspected=1, hazards_found=2, hazards_rectified=2,
                       coverage_rate=100, fines_wan=0.2, violation_handling_rate=reported)]
        res = _rule(run_audit(build(rows, figures=figs), "2024-06"), "reconciliation_mismatch")
        return [(f["details"]["metric"], f["details"]["recomputed"]) for f in res.to_dict("records")]

    assert found(100) == [] and found(0) == []
    assert found(50) == [("violation_handling_rate", 100.0)]


def test_reconciliation_tolerance_from_config(tmp_path):
    """A wider rate tolerance (0.05) accepts 50.02 vs 50.00; the count still differs."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("reconciliation:\n  tolerance_rate: 0.05\n", encoding="utf-8")
    found = _rule(run_audit(_reconciliation_ds(), "2024-06", config=cfg), "reconciliation_mismatch")
    assert [f["metric"] for f in found["details"]] == ["hazards_found"]


# ------------------------------------------------------------------ rule 2
def test_cumulative_inconsistent_additive_and_distinct_bounds():
    """Feb: 处 累计 1 < 本月 2 and ≠ 4+2; 家 累计 8 > 3+4; 家 累计 0 < Jan's 1: three findings."""
    figs = [
        figure(A, 1, "本月数", row=6, inspected=3, hazards_found=4, cases_filed=1),
        figure(A, 1, "累计数", row=7, inspected=3, hazards_found=4, cases_filed=1),
        figure(A, 2, "本月数", row=6, inspected=4, hazards_found=2, cases_filed=0),
        figure(A, 2, "累计数", row=7, inspected=8, hazards_found=1, cases_filed=0),
    ]
    ds = build([row(A, 2, "甲厂", "2024-02-05")], figures=figs)
    found = _rule(run_audit(ds, "2024-02"), "cumulative_inconsistent")
    by_metric = {d["metric"]: m for d, m in zip(found["details"], found["message"], strict=True)}
    assert set(by_metric) == {"inspected", "hazards_found", "cases_filed"}
    assert "大于各月之和 7" in by_metric["inspected"]  # 3 + 4 = 7
    assert "小于本月数 2" in by_metric["hazards_found"] and "= 6" in by_metric["hazards_found"]  # 4 + 2
    assert "小于各月最大值 1" in by_metric["cases_filed"]


def test_cumulative_rectified_counts_late_closures():
    """隐患整改数 累计 may exceed last 累计 + 本月 (late closures) but not fall below it or exceed 累计排查."""
    # A: 7 ≥ 3 + 2 and ≤ 8: fine (a Feb 复查 closed a Jan hazard); B: 4 < 3 + 2; C: 9 > 累计排查 8
    figs = []
    for unit, cum in ((A, 7), (B, 4), (C, 9)):
        figs += [figure(unit, 1, "本月数", hazards_found=5, hazards_rectified=3),
                 figure(unit, 1, "累计数", row=7, hazards_found=5, hazards_rectified=3),
                 figure(unit, 2, "本月数", hazards_found=3, hazards_rectified=2),
                 figure(unit, 2, "累计数", row=7, hazards_found=8, hazards_rectified=cum)]
    ds = build([row(A, 2, "甲厂", "2024-02-05")], figures=figs)
    found = _rule(run_audit(ds, "2024-02"), "cumulative_inconsistent")
    assert dict(zip(found["unit"], [d["metric"] for d in found["details"]], strict=True)) == {
        B: "hazards_rectified", C: "hazards_rectified"}
    assert "小于上月累计 3 + 本月 2 = 5" in found[found["unit"] == B].iloc[0]["message"]
    assert "大于累计排查隐患数 8" in found[found["unit"] == C].iloc[0]["message"]


def test_cumulative_consistent_gives_no_finding():
    """Jan 本月 2 万元 / 累计 2; Feb 本月 1.5 / 累计 3.5 (= 2 + 1.5): no finding."""
    figs = [figure(A, 1, "本月数", fines_wan=2), figure(A, 1, "累计数", row=7, fines_wan=2),
            figure(A, 2, "本月数", fines_wan=1.5), figure(A, 2, "累计数", row=7, fines_wan=3.5)]
    ds = build([row(A, 2, "甲厂", "2024-02-05")], figures=figs)
    assert _rule(run_audit(ds, "2024-02"), "cumulative_inconsistent").empty


# ------------------------------------------------------------------ rule 3
def _key_ds(december: bool = True):
    ents = [{"name": "甲厂", "unit": A, "key_industry": "危化品"}, {"name": "乙厂", "unit": A},
            {"name": "丙厂", "unit": A, "key_industry": "渔业船舶"},
            {"name": "丁厂", "unit": B, "key_industry": "校车"}]
    rows = [row(A, 3, "甲厂", "2024-03-05"), row(A, 7, "丙厂", "2024-07-08")]
    if december:  # the year's data is complete
        rows.append(row(A, 12, "乙厂", "2024-12-03"))
    return build(rows, enterprises=ents)


def test_key_industry_uninspected_by_period_end():
    """At 2024-06: 丙厂 (inspected only in July) and 丁厂 (never) are open, severity 中."""
    found = _rule(run_audit(_key_ds(), "2024-06"), "key_industry_uninspected")
    assert sorted(found["enterprise"]) == ["丁厂", "丙厂"]
    assert set(found["severity"]) == {"中"}


def test_key_industry_uninspected_year_end_is_high():
    """For the year 2024 only 丁厂 remains, severity 高 (the year is over)."""
    found = _rule(run_audit(_key_ds(), "2024"), "key_industry_uninspected")
    assert list(found["enterprise"]) == ["丁厂"] and list(found["severity"]) == ["高"]


def test_key_industry_uninspected_year_in_progress_is_not_year_end():
    """Data up to July only: the year 2024 is 2024年（截至7月）, not over, so 丁厂 is 中."""
    res = run_audit(_key_ds(december=False), "2024")
    assert res.period.label == "2024年（截至7月）" and res.period.months == tuple(range(1, 8))
    found = _rule(res, "key_industry_uninspected")
    assert list(found["enterprise"]) == ["丁厂"] and list(found["severity"]) == ["中"]


# ------------------------------------------------------------------ rules 4, 5
def _plan_ds():
    plan = [
        {"name": "e1", "unit": A, "month": 3, "method": "双随机"},   # done by A in April
        {"name": "e2", "unit": A, "month": 5, "method": "双随机"},   # A inspected it in April only: too early
        {"name": "e3", "unit": A, "month": 7, "method": "重点检查"},  # not due at June
        {"name": "e4", "unit": A, "month": 6, "method": "重点检查"},  # inspected by B, not A
        {"name": "f1", "unit": B, "month": 2, "method": "双随机"},
        {"name": "f2", "unit": B, "month": 2, "method": "双随机"},
    ]
    rows = [row(A, 4, "e1", "2024-04-02"), row(A, 4, "e2", "2024-04-03"), row(B, 6, "e4", "2024-06-03"),
            row(B, 2, "f1", "2024-02-10"), row(B, 3, "f2", "2024-03-10")]
    units = [{"unit": A, "supervised_total": 40}, {"unit": B, "supervised_total": 50}]
    return build(rows, plan=plan, units=units)


def test_plan_not_executed():
    """Due by June and not done by the planning unit in/after the planned month: e2 and e4."""
    found = _rule(run_audit(_plan_ds(), "2024-06"), "plan_not_executed")
    assert sorted(found["enterprise"]) == ["e2", "e4"]
    # e2 was inspected by A in April, before its planned May: named, never “no record”
    by = dict(zip(found["enterprise"], found["message"], strict=True))
    assert "5月及以后未见该单位检查记录（此前有 1 次检查" in by["e2"]
    assert by["e4"].endswith("截至2024年06月30日未见该单位检查记录")
    e2 = found[found["enterprise"] == "e2"].iloc[0]
    # A's April file: e1 on row 5, e2 on row 6
    assert e2["details"]["earlier_rows"] == [f"submissions/{A}_202404.xlsx#附件1#6"] == e2["evidence"][1:]


def test_random_inspection_share_planned():
    """Planned 双随机: A 2/40 = 5% (not below), B 2/50 = 4% (below): one finding, B."""
    found = _rule(run_audit(_plan_ds(), "2024-06"), "random_inspection_low")
    assert list(found["unit"]) == [B]
    d = found.at[0, "details"]
    assert (d["planned"], d["executed"], d["planned_share"], d["executed_share"]) == (2, 2, 0.04, 0.04)


def test_random_inspection_share_executed_at_year_end():
    """In December the executed share counts too: A executed 1/40 = 2.5% < 5%."""
    found = _rule(run_audit(_plan_ds(), "2024-12"), "random_inspection_low")
    assert sorted(found["unit"]) == sorted([A, B])
    a = found[found["unit"] == A].iloc[0]["details"]
    assert (a["planned_share"], a["executed_share"]) == (0.05, 0.025)


def test_plan_rules_skipped_without_plan():
    """No plan file: rules 4 and 5 give no finding and a note says why."""
    res = run_audit(build([row(A, 6, "甲厂", "2024-06-03")]), "2024-06")
    assert _rule(res, "plan_not_executed").empty and _rule(res, "random_inspection_low").empty
    assert any("执法计划" in n for n in res.notes)


# ------------------------------------------------------------------ rule 6
def test_criminal_referral_missing():
    """V17 always due; V20 only when major and a refusal is written; a later referral row counts."""
    rows = [
        row(A, 6, "乙厂", "2024-06-02", ["关闭、破坏监控报警设备"], ["已整改"], fine=1),          # due, not referred
        row(A, 6, "丁厂", "2024-06-03", ["关闭、破坏监控报警设备"], ["已整改"], other="移送公安机关1人"),
        row(A, 6, "丙厂", "2024-06-04", ["重大事故隐患：粉尘积聚"], ["限期整改"]),               # not refused
        row(A, 6, "戊厂", "2024-06-05", ["粉尘积聚"], ["拒不整改"]),                            # not major
        row(A, 6, "己厂", "2024-06-06", ["重大事故隐患：粉尘积聚"], ["拒不整改"]),               # due ...
        row(A, 6, "己厂", "2024-06-20", other="移送公安机关追究刑事责任"),                        # ... referred later
        row(A, 6, "庚厂", "2024-06-07", ["重大事故隐患：粉尘积聚"], ["拒不整改"], fine=2),       # due, not referred
        row(A, 5, "辛厂", "2024-05-08", ["关闭、破坏监控报警设备"], ["限期整改"], other="移送公安机关1人"),
        # restated: referred in May
        row(A, 6, "辛厂", "2024-06-08", ["关闭、破坏监控报警设备"], ["已整改"], remarks="复查"),
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "criminal_referral_missing")
    assert sorted(found["enterprise"]) == ["乙厂", "庚厂"]
    assert set(found["severity"]) == {"高"}
    assert {d["code"] for d in found["details"]} == {"V17", "V20"}


def test_missed_deadline_alone_is_no_refusal_for_the_crime():
    """刑法第一百三十四条之一第（二）项 needs 拒不执行: a 重大事故隐患 only 逾期未整改 on its 复查 (fined,
    停产停业整顿 ordered) is not due; the same row with 拒不执行整改指令 in 备注 is, and so is
    拒不 in 其他查处; 不存在拒不执行 in 备注 is no refusal."""
    def case(**texts):
        return [row(A, 6, "宝隆厂", "2024-06-05", ["重大事故隐患：粉尘积聚"], ["限2024年6月20日前整改"]),
                row(A, 6, "宝隆厂", "2024-06-24", ["重大事故隐患：粉尘积聚"], ["逾期未整改"], case_no="B1",
                    fine=5, **{"remarks": "复查（原检查2024-06-05）", **texts})]

    def due(rows):
        return list(_rule(run_audit(build(rows), "2024-06"), "criminal_referral_missing")["enterprise"])

    assert due(case(other="责令停产停业整顿")) == []
    assert due(case(other="责令停产停业整顿", remarks="复查（原检查2024-06-05），拒不执行整改指令")) == ["宝隆厂"]
    assert due(case(other="拒不执行，责令停产停业整顿")) == ["宝隆厂"]
    assert due(case(other="责令停产停业整顿", remarks="复查（原检查2024-06-05），不存在拒不执行情形")) == []
    # no refusal of the order to correct: refusing to sign, a denial, the statute quoted in 处罚依据
    assert due(case(other="责令停产停业整顿", remarks="复查（原检查2024-06-05），企业负责人拒不签字，已留置送达")) == []
    assert due(case(other="责令停产停业整顿", remarks="复查（原检查2024-06-05），经核查不属于拒不执行")) == []
    assert due(case(other="责令停产停业整顿",
                    basis="《安全生产法》第一百零二条（生产经营单位拒不执行的，责令停产停业整顿）")) == []
    # refusals of the order in other words (second review): each is due
    for said in ("企业拒不按要求整改", "拒不进行整改", "拒不履行整改义务", "拒不配合整改", "拒绝按期整改"):
        assert due(case(other="责令停产停业整顿", remarks=f"复查（原检查2024-06-05），{said}")) == ["宝隆厂"], said


def test_referral_written_in_remarks_counts():
    """A V17 case referred in 备注 (not 其他查处) was referred: no 以罚代刑; 未移送 in 备注 is none."""
    base = dict(case_no="J1", fine=1)
    referred = row(A, 6, "乙厂", "2024-06-02", ["关闭、破坏监控报警设备"], ["已整改"],
                   remarks="涉嫌危险作业罪，已移送公安机关追究刑事责任", **base)
    not_yet = row(A, 6, "乙厂", "2024-06-02", ["关闭、破坏监控报警设备"], ["已整改"], remarks="未移送公安机关", **base)
    proposed = row(A, 6, "乙厂", "2024-06-02", ["关闭、破坏监控报警设备"], ["已整改"],
                   remarks="涉嫌危险作业罪，建议移送公安机关", **base)
    assert _rule(run_audit(build([referred]), "2024-06"), "criminal_referral_missing").empty
    assert list(_rule(run_audit(build([not_yet]), "2024-06"), "criminal_referral_missing")["enterprise"]) == ["乙厂"]
    assert list(_rule(run_audit(build([proposed]), "2024-06"), "criminal_referral_missing")["enterprise"]) == ["乙厂"]
    # the 附件2 recompute reads the same referral: 1 person reported, 1 recomputed, no mismatch
    figs = [figure(A, 6, "本月数", row=6, supervised_total=0, inspected=1, hazards_found=1, hazards_rectified=1,
                   cases_filed=1, case_ratio=100, violation_handling_rate=100, fines_wan=1, criminal_referrals=1)]
    res = _rule(run_audit(build([referred], figures=figs), "2024-06"), "reconciliation_mismatch")
    assert "criminal_referrals" not in [f["metric"] for f in res["details"]]


# ------------------------------------------------------------------ rule 7
def test_rectification_instead_of_penalty_share_above_threshold():
    """A 4/5 = 80% (not above 80%; its 复查 row is no new inspection); B 4/4 = 100%; C n=2 < 3."""
    h = ["未设置安全警示标志"]
    rows = [row(A, 6, f"a{i}", f"2024-06-0{i}", h, ["限期整改"]) for i in range(1, 5)]
    rows += [row(A, 6, "a5", "2024-06-05", h, ["已整改"], case_no="CA", fine=0.5),
             row(A, 6, "a1", "2024-06-20", h, ["未整改"], remarks="复查（原检查2024-06-01）")]
    rows += [row(B, 6, f"b{i}", f"2024-06-0{i}", h, ["已整改"]) for i in range(1, 5)]
    rows += [row(B, 6, "b9", "2024-06-09")]  # no hazard: not counted
    rows += [row(C, 6, f"c{i}", f"2024-06-0{i}", h, ["已整改"]) for i in range(1, 3)]
    found = _rule(run_audit(build(rows), "2024-06"), "rectification_instead_of_penalty")
    assert list(found["unit"]) == [B]
    d = found.at[0, "details"]
    assert (d["inspections_with_violations"], d["without_case"], d["share"]) == (4, 4, 1.0)
    assert len(found.at[0, "evidence"]) == 4


def test_rectification_instead_of_penalty_threshold_from_config(tmp_path):
    """With max_share 0.7, A's 80% is a finding too."""
    h = ["未设置安全警示标志"]
    rows = [row(A, 6, f"a{i}", f"2024-06-0{i}", h, ["限期整改"]) for i in range(1, 5)]
    rows += [row(A, 6, "a5", "2024-06-05", h, ["已整改"], case_no="CA", fine=0.5)]
    cfg = tmp_path / "a.yaml"
    cfg.write_text("rectification_only:\n  max_share: 0.7\n", encoding="utf-8")
    found = _rule(run_audit(build(rows), "2024-06", config=cfg), "rectification_instead_of_penalty")
    assert list(found["unit"]) == [A] and found.at[0, "details"]["share"] == 0.8


# ------------------------------------------------------------------ rule 8
def test_repeat_not_escalated():
    """Only 甲厂 (V01 again in 5 months, same 0.5 万元 fine) lacks heavier handling."""
    rows = [
        row(A, 1, "甲厂", "2024-01-10", ["疏散通道堵塞"], ["已整改"], case_no="J1", fine=0.5),
        row(A, 6, "甲厂", "2024-06-05", ["疏散通道堵塞"], ["已整改"], case_no="J2", fine=0.5),
        row(A, 3, "乙厂", "2024-03-01", ["未安装可燃气体报警装置"], ["已整改"]),
        row(A, 6, "乙厂", "2024-06-10", ["未安装可燃气体报警装置"], ["已整改"], case_no="Y1", fine=0.5),  # case added
        row(A, 5, "丙厂", "2023-05-01", ["疏散通道堵塞"], ["已整改"], year=2023),
        row(A, 6, "丙厂", "2024-06-12", ["疏散通道堵塞"], ["已整改"]),  # 13 months later: outside window
        row(A, 5, "丁厂", "2024-05-02", ["未设置安全警示标志"], ["已整改"]),
        row(A, 6, "丁厂", "2024-06-03", ["未设置安全警示标志"], ["限期整改"], other="责令停产停业整顿"),
        row(A, 5, "戊厂", "2024-05-03", ["疏散通道堵塞"], ["限期整改"]),
        row(A, 6, "戊厂", "2024-06-04", ["疏散通道堵塞"], ["已整改"], remarks="复查（原检查2024-05-03）"),  # restated
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "repeat_not_escalated")
    assert list(found["enterprise"]) == ["甲厂"]
    assert found.at[0, "evidence"] == [f"submissions/{A}_202401.xlsx#附件1#5", f"submissions/{A}_202406.xlsx#附件1#5"]


# ------------------------------------------------------------------ rule 9
def _overdue_ds():
    rows = [
        # deadline 05-10 + 30 = 06-09, passed, nothing since
        row(A, 5, "甲厂", "2024-05-10", ["未配劳动防护用品"], ["限期整改"]),
        # deadline 06-10 passed, but a later 停产整顿 row: escalated
        row(A, 5, "乙厂", "2024-05-20", ["重大事故隐患：疏散通道堵塞"], ["限2024年6月10日前整改"],
            deadlines=["2024-06-10"]),
        row(A, 6, "乙厂", "2024-06-15", other="责令停产停业整顿"),
        # deadline 07-05: not passed at June
        row(A, 6, "丙厂", "2024-06-05", ["未设置安全警示标志"], ["限期整改"]),
        # closed by a 复查 on 06-03
        row(A, 5, "丁厂", "2024-05-02", ["未安装可燃气体报警装置"], ["限期整改"]),
        row(A, 6, "丁厂", "2024-06-03", ["未安装可燃气体报警装置"], ["已整改"], remarks="复查"),
        # closed only by a 复查 dated 07-02 (after June's end), submitted in July
        row(A, 5, "戊厂", "2024-05-03", ["消防设施损坏"], ["限期整改"]),
        row(A, 7, "戊厂", "2024-07-02", ["消防设施损坏"], ["已整改"], remarks="复查"),
        # major, 复查 says overdue, no escalation
        row(A, 5, "己厂", "2024-05-04", ["重大事故隐患：粉尘积聚"], ["限期整改"]),
        row(A, 6, "己厂", "2024-06-10", ["重大事故隐患：粉尘积聚"], ["逾期未整改"], remarks="复查"),
    ]
    return build(rows)


def test_overdue_not_escalated_june():
    """At June: 甲厂 (中), 戊厂 (中, its 复查 is dated 07-02), 己厂 (高, major)."""
    found = _rule(run_audit(_overdue_ds(), "2024-06"), "overdue_not_escalated")
    assert dict(zip(found["enterprise"], found["severity"], strict=True)) == {"甲厂": "中", "戊厂": "中", "己厂": "高"}
    jia = found[found["enterprise"] == "甲厂"].iloc[0]["details"]
    assert (jia["deadline"], jia["days_overdue"]) == ("2024-06-09", 21)  # 06-30 − 06-09


@pytest.mark.parametrize("grace, expected", [(20, {"甲厂", "戊厂", "己厂"}), (22, {"戊厂", "己厂"}), (30, set())])
def test_overdue_grace_days(tmp_path, grace, expected):
    """grace_days shifts the deadline: 甲 06-09 (+20 = 06-29 < 06-30; +22 = 07-01 not), 戊 06-02, 己 06-03."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text(f"overdue:\n  grace_days: {grace}\n", encoding="utf-8")
    found = _rule(run_audit(_overdue_ds(), "2024-06", config=cfg), "overdue_not_escalated")
    assert set(found["enterprise"]) == expected


def test_overdue_not_escalated_july():
    """At July: 戊厂 closed; 丙厂's deadline 07-05 has passed; 甲厂 and 己厂 remain."""
    found = _rule(run_audit(_overdue_ds(), "2024-07"), "overdue_not_escalated")
    assert sorted(found["enterprise"]) == ["丙厂", "己厂", "甲厂"]


# ------------------------------------------------------------------ rule 10
def test_fine_out_of_range():
    """Ranges: V01 [0,5]; V01+V18 [0,10]; V22 [2,5]; 第九十九条 [0,5]; a 复查 row 逾期未整改 on V01: [0,5].

    F6 used to pass ("复查 row: minimum only"); that was the wrong judgment: 第一百零五条's 逾期未改正
    branch adds 停产停业整顿, not a higher fine, so 8 万元 is above its 5 万元 maximum."""
    rows = [
        row(A, 6, "r1", "2024-06-01", ["疏散通道堵塞"], case_no="F1", fine=6, basis="安全生产法第一百零五条"),  # > 5
        row(A, 6, "r2", "2024-06-02", ["疏散通道堵塞", "未配劳动防护用品"], case_no="F2", fine=8,
            basis="安全生产法第一百零五条、第九十九条"),                                             # ≤ 5+5
        row(A, 6, "r3", "2024-06-03", ["主要负责人未履行安全生产管理职责"], case_no="F3", fine=1,
            basis="安全生产法第九十四条"),                                                          # < 2
        row(A, 6, "r4", "2024-06-04", ["其他问题"], case_no="F4", fine=100, basis="依法"),         # unknown
        row(A, 6, "r5", "2024-06-05", ["其他问题"], case_no="F5", fine=6, basis="《安全生产法》第九十九条"),  # > 5
        row(A, 6, "r6", "2024-06-06", ["疏散通道堵塞"], ["逾期未整改"], case_no="F6", fine=8, remarks="复查"),
        row(A, 6, "r7", "2024-06-07", ["疏散通道堵塞", "其他问题"], case_no="F7", fine=7,
            basis="安全生产法第一百零五条"),                                                        # max unknown
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "fine_out_of_range")
    got = {f["case_no"]: (f["low_wan"], f["high_wan"]) for f in found["details"]}
    assert got == {"F1": (0.0, 5.0), "F3": (2.0, 5.0), "F5": (0.0, 5.0), "F6": (0.0, 5.0)}


def test_fine_on_a_person_is_not_held_to_the_enterprise_minimum():
    """消防法第六十条第二款 fines a person (at most 500 元) for blocking a fire lane: 0.02 万元 on the 车主 is
    not below V26's enterprise range [0.5, 5]; the same fine with no person named is; 6 万元 on a
    person is still above the enterprise maximum 5."""
    lane, basis = ["占用、堵塞消防车通道"], "《消防法》第六十条第二款"
    rows = [row(A, 6, "甲", "2024-06-01", lane, ["当场整改"], case_no="P1", fine=0.02, basis=basis,
                remarks="对车主当场处罚200元"),
            row(A, 6, "乙", "2024-06-02", lane, ["当场整改"], case_no="P2", fine=0.02, basis=basis),
            row(A, 6, "丙", "2024-06-03", lane, ["当场整改"], case_no="P3", fine=6, basis=basis, remarks="对个人处罚"),
            # both fined (对单位…，对个人…): the column holds the enterprise's fine too, held to its minimum
            row(A, 6, "丁", "2024-06-04", lane, case_no="P4", fine=0.3, basis="消防法第六十条第一款第（五）项",
                other="对单位罚款0.2万元，对个人罚款0.1万元"),
            # 第九十四条 fines the 主要负责人 (V22, [2, 5] 万元): a person's own range, still held to its minimum
            row(A, 6, "戊", "2024-06-05", ["主要负责人未履行安全生产管理职责"], case_no="P5", fine=1,
                basis="安全生产法第九十四条", other="对个人（主要负责人）罚款1万元")]
    found = _rule(run_audit(build(rows), "2024-06"), "fine_out_of_range")
    assert {f["case_no"]: f["side"] for f in found["details"]} == {"P2": "below", "P3": "above", "P4": "below",
                                                                    "P5": "below"}
    # the plainest wordings of a citizen's fine (second review): no finding; 第九十四条 cited with no item the
    # catalogue matches still fines the person (V22's [2, 5] from 处罚依据): below
    for said in ("对个人罚款200元", "对个人处200元罚款", "对个人（车主）处罚200元"):
        one = [row(A, 6, "己", "2024-06-06", lane, ["当场整改"], case_no="P6", fine=0.02, basis=basis, other=said)]
        assert _rule(run_audit(build(one), "2024-06"), "fine_out_of_range").empty, said
    for items in ([], ["其他问题"]):
        one = [row(A, 6, "庚", "2024-06-07", items, case_no="P7", fine=1, basis="安全生产法第九十四条",
                   other="对公民罚款1万元")]
        got = _rule(run_audit(build(one), "2024-06"), "fine_out_of_range")
        assert [(d["low_wan"], d["side"]) for d in got["details"]] == [(2.0, "below")], items


def test_fine_below_the_after_range_only_because_of_a_suspension_says_so():
    """第九十七条 has 停产停业整顿 only after the deadline (逾期未改正 → 10–20 万元): a first inspection, deadline
    06-19 not yet passed, 0.8 万元 (within ≤ 10) with 责令停产停业整顿 is still below [10, 20], and the message
    says the suspension is the fact to check; with 逾期未改正 written in 备注 the plain finding stays."""
    def found(**texts):
        rows = [row(A, 6, "华峰厂", "2024-06-04", ["未制定生产安全事故应急救援预案"], ["限2024年6月19日前整改"],
                    case_no="H1", fine=0.8, basis="安全生产法第九十七条第（六）项", other="责令停产停业整顿", **texts)]
        f = _rule(run_audit(build(rows), "2024-06"), "fine_out_of_range")
        return [(d["low_wan"], d["escalated_by_suspension_only"], "需核查的是停产停业整顿的依据" in m)
                for d, m in zip(f["details"], f["message"], strict=True)]

    assert found() == [(10.0, True, True)]
    assert found(remarks="逾期未改正") == [(10.0, False, False)]

    def found_with(rect):  # the item itself says it is overdue: that is the escalation, not the suspension
        rows = [row(A, 6, "华峰厂", "2024-06-04", ["未制定生产安全事故应急救援预案"], [rect],
                    case_no="H1", fine=0.8, basis="安全生产法第九十七条第（六）项", other="责令停产停业整顿")]
        f = _rule(run_audit(build(rows), "2024-06"), "fine_out_of_range")
        return [d["escalated_by_suspension_only"] for d in f["details"]]

    assert found_with("逾期仍未整改") == [False] and found_with("逾期不改正") == [False]


def test_fine_lower_bound_any_or_every_item(tmp_path):
    """V22 (min 2) + V14 (min 0) fined 1 万元, citing both articles: fine under any_item (min of minimums 0),
    too low under every_item (2). Citing 第九十四条 alone: V22 was surely fined, so 1 < 2 is too low either way.

    The single-citation row used to pass under any_item; that ignored the 处罚依据, which names the fined
    violation (V22): its minimum applies whatever else the fine covers."""
    both = [row(A, 6, "r1", "2024-06-01", ["主要负责人未履行安全生产管理职责", "未设置安全警示标志"],
                case_no="F1", fine=1, basis="安全生产法第九十四条、第九十九条")]
    assert _rule(run_audit(build(both), "2024-06"), "fine_out_of_range").empty
    cfg = tmp_path / "a.yaml"
    cfg.write_text("fines:\n  lower_bound: every_item\n", encoding="utf-8")
    found = _rule(run_audit(build(both), "2024-06", config=cfg), "fine_out_of_range")
    assert [(d["low_wan"], d["high_wan"]) for d in found["details"]] == [(2.0, 10.0)]  # 5 + 5
    one = [row(A, 6, "r1", "2024-06-01", ["主要负责人未履行安全生产管理职责", "未设置安全警示标志"],
               case_no="F1", fine=1, basis="安全生产法第九十四条")]
    found = _rule(run_audit(build(one), "2024-06"), "fine_out_of_range")
    assert [(d["low_wan"], d["high_wan"], d["side"]) for d in found["details"]] == [(2.0, 10.0, "below")]


def test_case_basis_missing():
    """Blank basis -> 中; text without any article -> 低; a regulation's article or a later row's basis is fine."""
    rows = [
        row(A, 6, "b1", "2024-06-01", ["疏散通道堵塞"], case_no="X1", fine=1),
        row(A, 6, "b2", "2024-06-02", ["疏散通道堵塞"], case_no="X2", fine=1, basis="依法处理"),
        row(A, 6, "b3", "2024-06-03", ["其他问题"], case_no="X3", fine=1, basis="《烟花爆竹安全管理条例》第三十六条"),
        row(A, 6, "b4", "2024-06-04", ["疏散通道堵塞"], case_no="X4"),
        row(A, 6, "b4", "2024-06-14", ["疏散通道堵塞"], ["已整改"], case_no="X4", fine=1,
            basis="安全生产法第一百零五条", remarks="复查"),
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "case_basis_missing")
    severity = {d["case_no"]: s for d, s in zip(found["details"], found["severity"], strict=True)}
    assert severity == {"X1": "中", "X2": "低"}


def _fine_findings(rows):
    found = _rule(run_audit(build(rows), "2024-06"), "fine_out_of_range")
    return {d["case_no"]: (d.get("low_wan"), d.get("high_wan"), d["side"]) for d in found["details"]}, found


SPECIAL = ["特种作业人员无证上岗"]  # V03, 安全生产法第九十七条第（七）项: ≤ 10 万; 逾期未改正 10–20 万
ART97 = "《安全生产法》第九十七条第（七）项"


def test_fine_after_deadline_range():
    """逾期未改正 / 拒不执行 ranges, hand-worked (万元):
    E1 复查 逾期未整改, 第九十七条 + 停产 → [10,20], 1.2 below; E2 the same at 12 → within;
    E3 a first finding (限期整改) at 1.2 → base [0,10], within; E4 a first finding with 停产停业整顿 under
    第九十七条 (only the escalation has it) → [10,20], 2 below; E5 第九十九条 with 停产 (情节严重, not the
    escalation) → base [0,5], 2 within; E6 第九十四条 逾期 → the 主要负责人's [5,10], 3.5 below;
    E7 第一百零二条 拒不整改 → the enterprise keeps [0,5] (5 within), E8 6 above; E9 a 复查 finding it
    rectified (late? unknown) → both ranges [0,20]: 1.2 within, E10 25 above."""
    ded, dust = ["主要负责人未履行安全生产管理职责"], ["重大事故隐患：粉尘积聚"]
    recheck = dict(remarks="复查")
    rows = [
        row(A, 5, "甲", "2024-05-10", SPECIAL, ["限期整改"]),
        row(A, 6, "甲", "2024-06-12", SPECIAL, ["逾期未整改"], case_no="E1", fine=1.2, basis=ART97,
            other="责令停产停业整顿", **recheck),
        row(A, 5, "乙", "2024-05-10", SPECIAL, ["限期整改"]),
        row(A, 6, "乙", "2024-06-12", SPECIAL, ["逾期未整改"], case_no="E2", fine=12, basis=ART97, **recheck),
        row(A, 6, "丙", "2024-06-03", SPECIAL, ["限期整改"], case_no="E3", fine=1.2, basis=ART97),
        row(A, 6, "丁", "2024-06-04", SPECIAL, ["限期整改"], case_no="E4", fine=2, basis=ART97,
            other="责令停产停业整顿"),
        row(A, 6, "戊", "2024-06-05", ["未配劳动防护用品"], ["限期整改"], case_no="E5", fine=2,
            basis="《安全生产法》第九十九条第（五）项", other="责令停产停业整顿"),
        row(A, 5, "己", "2024-05-20", ded, ["限期整改"]),
        row(A, 6, "己", "2024-06-20", ded, ["逾期未整改"], case_no="E6", fine=3.5, basis="《安全生产法》第九十四条",
            **recheck),
        row(A, 5, "庚", "2024-05-20", dust, ["限期整改"]),
        row(A, 6, "庚", "2024-06-21", dust, ["拒不整改"], case_no="E7", fine=5, basis="《安全生产法》第一百零二条",
            other="责令停产停业整顿；移送公安机关1人", **recheck),
        row(A, 5, "辛", "2024-05-20", dust, ["限期整改"]),
        row(A, 6, "辛", "2024-06-21", dust, ["拒不整改"], case_no="E8", fine=6, basis="《安全生产法》第一百零二条",
            other="移送公安机关1人", **recheck),
        row(A, 5, "壬", "2024-05-10", SPECIAL, ["限期整改"]),
        row(A, 6, "壬", "2024-06-12", SPECIAL, ["已整改"], case_no="E9", fine=1.2, basis=ART97, **recheck),
        row(A, 5, "癸", "2024-05-10", SPECIAL, ["限期整改"]),
        row(A, 6, "癸", "2024-06-12", SPECIAL, ["已整改"], case_no="E10", fine=25, basis=ART97, **recheck),
    ]
    got, found = _fine_findings(rows)
    assert got == {"E1": (10.0, 20.0, "below"), "E4": (10.0, 20.0, "below"), "E6": (5.0, 10.0, "below"),
                   "E8": (0.0, 5.0, "above"), "E10": (0.0, 20.0, "above")}
    msg = dict(zip([d["case_no"] for d in found["details"]], found["message"], strict=True))
    assert "逾期未改正后的幅度" in msg["E1"] and "罚款对象为主要负责人" in msg["E6"]


def test_fine_recheck_against_the_written_deadline():
    """A 复查 finding it 未整改: after the written deadline (06-10, 复查 06-20) → [10,20], 1.2 below (W1);
    before it (06-30) → base [0,10], within (W2); no written deadline → both ranges [0,20], within (W3)."""
    rows = [
        row(A, 5, "甲", "2024-05-10", SPECIAL, ["限2024年6月10日前整改"], deadlines=["2024-06-10"]),
        row(A, 6, "甲", "2024-06-20", SPECIAL, ["未整改"], case_no="W1", fine=1.2, basis=ART97, remarks="复查"),
        row(A, 5, "乙", "2024-05-10", SPECIAL, ["限2024年6月30日前整改"], deadlines=["2024-06-30"]),
        row(A, 6, "乙", "2024-06-20", SPECIAL, ["未整改"], case_no="W2", fine=1.2, basis=ART97, remarks="复查"),
        row(A, 5, "丙", "2024-05-10", SPECIAL, ["限期整改"]),
        row(A, 6, "丙", "2024-06-20", SPECIAL, ["未整改"], case_no="W3", fine=1.2, basis=ART97, remarks="复查"),
    ]
    got, _ = _fine_findings(rows)
    assert got == {"W1": (10.0, 20.0, "below")}


def test_daily_penalty_is_the_original_fine_per_day():
    """第一百一十二条: 甲 2 万 × 5 日 = 10 (right, though above 第九十九条's 5: a daily total is not range-bound);
    乙 8 for 2 × 5 → finding (expected 10); 丙 1.5 = 3 × 0.5 (no days written) → right; 丁 1.2 is not a
    multiple of 0.5 → finding; 戊 has no earlier fine → not judged, a note names the row."""
    dev, art = ["安全设备未定期检测"], "《安全生产法》第九十九条第（三）项"
    daily = "复查；拒不改正，按日连续处罚：自6月1日至6月5日共5日"
    rows = []
    for ent, first, later, days in (("甲", 2, 10, True), ("乙", 2, 8, True), ("丙", 0.5, 1.5, False),
                                    ("丁", 0.5, 1.2, False)):
        rows += [row(A, 5, ent, "2024-05-10", dev, ["限期整改"], case_no=f"{ent}0", fine=first, basis=art),
                 row(A, 6, ent, "2024-06-05", dev, ["逾期未整改"], case_no=f"{ent}1", fine=later,
                     basis=art + "、第一百一十二条", remarks=daily if days else "复查；拒不改正，按日连续处罚")]
    rows.append(row(A, 6, "戊", "2024-06-05", dev, ["逾期未整改"], case_no="戊1", fine=3, remarks=daily))
    result = run_audit(build(rows), "2024-06")
    found = _rule(result, "fine_out_of_range")
    got = {d["case_no"]: (d["original_fine_wan"], d["days"], d["expected_wan"]) for d in found["details"]}
    assert got == {"乙1": (2.0, 5, 10.0), "丁1": (0.5, None, None)}
    assert all(d["side"] == "daily" for d in found["details"])
    assert any("按日连续处罚 1 行" in n for n in result.notes)


# ------------------------------------------------------------------ rule 11
def test_closure_due_180_days_and_one_year():
    """第一百一十三条: 3 major-hazard penalties in 180 days or 4 in a year; requested or not sets severity."""
    # 甲: 3 in 162 days (01-10 → 06-20), not requested → 高; 乙: 4 in 274 days, 3-in-180 not met
    # (184 and 182 days), requested → 低; 丙: third penalty after June; 丁: not major
    major, plain = ["重大事故隐患：疏散通道堵塞"], ["疏散通道堵塞"]
    rows = [
        row(A, 1, "甲", "2024-01-10", major, case_no="J1", fine=1),
        row(A, 3, "甲", "2024-03-01", major, case_no="J2"),
        row(A, 6, "甲", "2024-06-20", major, fine=2),
        row(A, 8, "乙", "2023-08-01", major, case_no="Y1", fine=1, year=2023),
        row(A, 11, "乙", "2023-11-01", major, case_no="Y2", fine=1, year=2023),
        row(A, 2, "乙", "2024-02-01", major, case_no="Y3", fine=1),
        row(A, 5, "乙", "2024-05-01", major, case_no="Y4", fine=1, other="提请镇人民政府予以关闭"),
        row(A, 1, "丙", "2024-01-02", major, case_no="B1", fine=1),
        row(A, 3, "丙", "2024-03-02", major, case_no="B2", fine=1),
        row(A, 7, "丙", "2024-07-02", major, case_no="B3", fine=1),
        *[row(A, m, "丁", f"2024-0{m}-03", plain, case_no=f"D{m}", fine=1) for m in (2, 3, 4)],
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "closure_due")
    assert dict(zip(found["enterprise"], found["severity"], strict=True)) == {"甲": "高", "乙": "低"}
    yi = found[found["enterprise"] == "乙"].iloc[0]["details"]
    assert yi["test"] == "一年内4次" and yi["requested"] is True


def test_closure_due_counts_penalties_under_this_law_only():
    """第一百一十三条 counts 受到本法（安全生产法）规定的行政处罚: three major-hazard penalties under 消防法
    are no closure case; the same three under 安全生产法第一百零五条 are; 丙's two under 消防法 and one under
    安全生产法 are not (1 < 3); 丁's three cite a duty article of 安全生产法 but fine under 消防法: none."""
    fire = ["重大事故隐患：占用、堵塞消防车通道"]  # V26, 消防法第六十条第一款第（五）项
    exits = ["重大事故隐患：疏散通道堵塞"]  # V01, 安全生产法第一百零五条第（二）项
    basis_fire, basis_safety = "《消防法》第六十条第一款第（五）项", "《安全生产法》第一百零五条第（二）项"
    rows = [row(A, m, "甲", f"2024-0{m}-10", fire, case_no=f"J{m}", fine=1, basis=basis_fire) for m in (2, 4, 6)]
    rows += [row(A, m, "乙", f"2024-0{m}-11", exits, case_no=f"Y{m}", fine=1, basis=basis_safety) for m in (2, 4, 6)]
    rows += [row(A, m, "丙", f"2024-0{m}-12", fire, case_no=f"B{m}", fine=1) for m in (2, 4)]  # no basis: V26's law
    rows += [row(A, 6, "丙", "2024-06-12", exits, case_no="B6", fine=1)]
    duty = "违反《安全生产法》第四十二条第二款，依据《消防法》第六十条第一款第（五）项"
    rows += [row(A, m, "丁", f"2024-0{m}-13", fire, case_no=f"D{m}", fine=1, basis=duty) for m in (2, 4, 6)]
    # 戊: a 消防法 项 the catalogue has no code for, and an item it cannot match: the cited law still decides
    hydrant = ["重大事故隐患：埋压、圈占、遮挡消火栓"]
    rows += [row(A, m, "戊", f"2024-0{m}-14", hydrant, case_no=f"W{m}", fine=1,
                 basis="《消防法》第六十条第一款第（二）项") for m in (2, 4, 6)]
    found = _rule(run_audit(build(rows), "2024-06"), "closure_due")
    assert list(found["enterprise"]) == ["乙"]


def test_closure_due_refused_suspension_113_4():
    """第一百一十三条(四): 甲 ordered 停产停业整顿 04-10, producing again 06-12 → 高; 乙 擅自复工 with no order on
    record → none; 丙 “未擅自恢复生产” (denied) → none; 丁 refused, then 提请关闭 → 低; 戊 the refusal itself
    names the decision → 高; 己 order and refusal in 2023, more than 365 days before 06-30 → none."""
    order = dict(case_no=None, other="责令停产停业整顿")
    rows = [
        row(A, 4, "甲", "2024-04-10", ["疏散通道堵塞"], ["限期整改"], fine=1, basis="安全生产法第一百零五条", **order),
        row(A, 6, "甲", "2024-06-12", remarks="回访检查：停产停业整顿期间擅自恢复生产"),
        row(A, 6, "乙", "2024-06-12", remarks="回访检查：擅自复工"),
        row(A, 4, "丙", "2024-04-10", **order),
        row(A, 6, "丙", "2024-06-12", remarks="经查未擅自恢复生产"),
        row(A, 4, "丁", "2024-04-10", **order),
        row(A, 5, "丁", "2024-05-15", remarks="拒不执行停产停业整顿决定"),
        row(A, 6, "丁", "2024-06-01", other="提请镇人民政府予以关闭"),
        row(A, 6, "戊", "2024-06-10", remarks="拒不执行停产停业整顿决定"),
        row(A, 5, "己", "2023-05-01", year=2023, **order),
        row(A, 5, "己", "2023-05-20", year=2023, remarks="停产停业整顿期间擅自恢复生产"),
    ]
    found = _rule(run_audit(build(rows), "2024-06"), "closure_due")
    assert dict(zip(found["enterprise"], found["severity"], strict=True)) == {"甲": "高", "丁": "低", "戊": "高"}
    assert all(d["items"] == ["四"] for d in found["details"])
    jia = found[found["enterprise"] == "甲"].iloc[0]
    assert "第（四）项" in jia["message"] and "2024-04-10责令停产停业整顿后" in jia["message"]
    assert len(jia["evidence"]) == 2


def test_case_basis_missing_cites_the_decision_article():
    """The rule cites 行政处罚法第五十九条 (what a decision states), not 第四十四条 (the prior notice)."""
    clause = AUDIT_RULES["case_basis_missing"].clause
    assert "行政处罚法第五十九条" in clause and "第四十四条" not in clause



# ------------------------------------------------------------------ rule 12
def test_fine_disparity_names_outlier_unit():
    """V25 fines A 0.5,0.5; B 0.6; C 2.0,2.0 -> town median 0.6; C's 2.0 > 3×0.6 = 1.8."""
    v25, v14 = ["消防设施损坏"], ["未设置安全警示标志"]
    rows = [row(A, 4, "a1", "2024-04-01", v25, case_no="A1", fine=0.5),
            row(A, 5, "a2", "2024-05-01", v25, case_no="A2", fine=0.5),
            row(B, 5, "b1", "2024-05-02", v25, case_no="B1", fine=0.6),
            row(C, 6, "c1", "2024-06-01", v25, case_no="C1", fine=2.0),
            row(C, 6, "c2", "2024-06-02", v25, case_no="C2", fine=2.0),
            row(C, 6, "c3", "2024-06-03", v25 + v14, case_no="C3", fine=9.0),      # two codes: excluded
            *[row(A, 6, f"a{i}", f"2024-06-1{i}", v14, case_no=f"A1{i}", fine=f)
              for i, f in ((3, 0.1), (4, 3.0), (5, 4.0))]]
    res = run_audit(build(rows), "2024Q2")
    found = _rule(res, "fine_disparity")
    assert list(found["unit"]) == [C]
    d = found.at[0, "details"]
    assert (d["code"], d["unit_median_wan"], d["town_median_wan"]) == ("V25", 2.0, 0.6)
    spread = res.tables["fine_spread"].set_index("code")
    assert spread.at["V25", "rows"] == 5 and spread.at["V14", "units"] == 1  # V14: one unit, not compared


# ------------------------------------------------------------------ period, output, config
def test_rows_after_the_period_are_ignored():
    """A July row cannot change a June audit (the V17 row is in July)."""
    rows = [row(A, 7, "乙厂", "2024-07-02", ["关闭、破坏监控报警设备"], ["已整改"], fine=1)]
    assert run_audit(build(rows), "2024-06").findings.empty


def test_to_dict_and_to_text():
    """to_dict has period, findings, counts for every rule (JSON-able); to_text groups by rule title."""
    res = run_audit(_overdue_ds(), "2024-06")
    out = res.to_dict()
    json.dumps(out, ensure_ascii=False, default=str)
    assert out["period"] == "2024-06" and set(out["counts"]) == set(AUDIT_RULES)
    assert out["counts"]["overdue_not_escalated"] == 3 == len(out["findings"]) - sum(
        v for k, v in out["counts"].items() if k != "overdue_not_escalated")
    first = out["findings"][0]
    assert set(first) == {"rule", "rule_name", "severity", "unit", "enterprise", "period", "message",
                          "evidence", "details"}
    text = res.to_text()
    assert "【逾期未整改且未加重处理】" in text and "行政处罚法第六十条" in text


def test_disabled_rule_is_not_run(tmp_path):
    """A rule listed under disabled gives no finding and a note."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("disabled: [overdue_not_escalated]\n", encoding="utf-8")
    res = run_audit(_overdue_ds(), "2024-06", config=cfg)
    assert _rule(res, "overdue_not_escalated").empty
    assert any("overdue_not_escalated" in n for n in res.notes)


@pytest.mark.parametrize("text, key", [
    ("nonsense_key: 1\n", "nonsense_key"),
    ("closure:\n  short_count: -1\n", "closure.short_count"),
    ("rectification_only:\n  max_share: 高\n", "rectification_only.max_share"),
    ("fine_disparity:\n  typo: 1\n", "fine_disparity.typo"),
    ("disabled: [no_such_rule]\n", "disabled"),
    ("fines:\n  lower_bound: average\n", "fines.lower_bound"),
    ("overdue:\n  grace_days: 1.5\n", "overdue.grace_days"),
    ("patterns:\n  report: '(举报'\n", "patterns.report"),
])
def test_config_errors_name_the_key(tmp_path, text, key):
    """An invalid audit config raises ConfigError naming the key."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_audit_config(cfg)


def test_config_missing_file(tmp_path):
    """A missing config file is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="不存在"):
        run_audit(_overdue_ds(), "2024-06", config=tmp_path / "none.yaml")


def test_empty_ledger_runs():
    """No ledger row at all: rules that need rows find nothing; registry and plan rules still run.

    The key-industry 甲, planned for January and never inspected, is one finding, plan_not_executed
    (issue 11: it used to be reported twice, also as key_industry_uninspected, for the same month)."""
    ds = build([], enterprises=[{"name": "甲", "unit": A, "key_industry": "校车"}],
               plan=[{"name": "甲", "unit": A, "month": 1, "method": "重点检查"}])
    counts = run_audit(ds, "2024-06").counts()
    # the only plan row is 重点检查, so the 双随机 share is 0/1 = 0% < 5%
    assert {k: v for k, v in counts.items() if v} == {"plan_not_executed": 1, "random_inspection_low": 1}
