"""Issue 11, rules 3, 5 and 9: deadlines (written, relative, assumed), escalation on the same or a
later row, grace and severity, grouping per enterprise in the reports; key-industry enterprises
planned for later (待检) versus unplanned, and no double finding with plan_not_executed.

Every expected value is worked out by hand in the comments (period end 2024-06-30 unless said)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalkit.audit.rules_handling import deadline_phrase, group_overdue
from evalkit.audit.run import run_audit
from evalkit.exceptions import ParameterError
from evalkit.intake import cells
from evalkit.metrics.hazards import with_assumed_days
from evalkit.report import sections
from fixtures_audit import build, row

A, B = "锦里村", "应急站"
D = dt.date
RULE = "overdue_not_escalated"


def _rule(result, rule=RULE):
    return result.findings[result.findings["rule"] == rule].reset_index(drop=True)


def _cfg(tmp_path, text: str):
    path = tmp_path / "audit.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ the deadline, read by intake
@pytest.mark.parametrize(("texts", "expected"), [
    (["限2024年7月20日前整改"], (D(2024, 7, 20), "written")),
    (["限7月20日前整改"], (D(2024, 7, 20), "written")),
    (["限期至2024年7月20日"], (D(2024, 7, 20), "written")),
    (["责令7日内整改"], (D(2024, 6, 10), "relative")),          # 06-03 + 7: the inspection day not counted
    (["限期七天"], (D(2024, 6, 10), "relative")),
    (["十五日内整改完毕"], (D(2024, 6, 18), "relative")),       # 06-03 + 15
    (["5个工作日内整改"], (D(2024, 6, 10), "relative")),       # Mon 06-03: Tu We Th Fr, Mon 06-10
    (["24小时内整改"], (D(2024, 6, 4), "relative")),
    (["限期整改", "消防通道堵塞"], (D(2024, 7, 3), "assumed")),  # 06-03 + 30
    ([None, None], (D(2024, 7, 3), "assumed")),
    (["限期0日"], (D(2024, 7, 3), "assumed")),                 # 0 days is a slip, not a period
    (["整改中", "限2024年6月20日前消除"], (D(2024, 6, 20), "written")),  # the hazard text is read second
])
def test_deadline_with_basis(texts, expected):
    """A written date first, then a period counted from the inspection, else inspection + 30 (assumed)."""
    assert cells.deadline_with_basis(texts, D(2024, 6, 3)) == expected


@pytest.mark.parametrize(("text", "status"), [("责令7日内整改", "pending"), ("三日内改正", "pending"),
                                              ("3日内未整改", "pending"), ("已于3日内整改完毕", "rectified")])
def test_relative_order_is_pending(text, status):
    """“7日内整改” is an order to correct (pending); negations and rectified words still win."""
    assert cells.rectification_status(text) == status


def test_with_assumed_days_changes_only_assumed_deadlines():
    """assumed 45 days: the assumed item 05-10 -> 06-24; the written one keeps 06-01; a frame
    without deadline_basis is returned as it is; a negative number is a usage error."""
    items = pd.DataFrame({"inspection_date": pd.to_datetime(["2024-05-10", "2024-05-10"]),
                          "deadline": pd.to_datetime(["2024-06-09", "2024-06-01"]),
                          "deadline_basis": ["assumed", "written"]})
    got = with_assumed_days(items, 45)
    assert list(got["deadline"].dt.strftime("%m-%d")) == ["06-24", "06-01"]
    assert list(items["deadline"].dt.strftime("%m-%d")) == ["06-09", "06-01"]  # not changed in place
    bare = items.drop(columns="deadline_basis")
    assert with_assumed_days(bare, 45) is bare and with_assumed_days(items, None) is items
    with pytest.raises(ParameterError, match="assumed_days"):
        with_assumed_days(items, -1)


# ------------------------------------------------------------------ rule 9: days, severity, message
def _days_ds():
    return build([
        # deadline 06-30 = the period end: not overdue
        row(A, 6, "甲厂", "2024-06-14", ["未设置安全警示标志"], ["限2024年6月30日前整改"], deadlines=["2024-06-30"]),
        # deadline 06-29: overdue 1 day (06-30), 低
        row(A, 6, "乙厂", "2024-06-14", ["未设置安全警示标志"], ["限2024年6月29日前整改"], deadlines=["2024-06-29"]),
        # deadline 06-23: 7 days, still 低 (low_severity_days 7)
        row(A, 6, "丙厂", "2024-06-03", ["未设置安全警示标志"], ["限2024年6月23日前整改"], deadlines=["2024-06-23"]),
        # deadline 06-22: 8 days, 中
        row(A, 6, "丁厂", "2024-06-03", ["未设置安全警示标志"], ["限2024年6月22日前整改"], deadlines=["2024-06-22"]),
        # major, 1 day: 高 whatever the days
        row(A, 6, "戊厂", "2024-06-14", ["重大事故隐患：疏散通道堵塞"], ["限2024年6月29日前整改"],
            deadlines=["2024-06-29"]),
        # nothing written: 05-10 + 30 = 06-09, 21 days, 中, the message says it was assumed
        row(A, 5, "己厂", "2024-05-10", ["未配劳动防护用品"], ["责令限期整改"]),
    ])


def test_days_overdue_count_from_the_day_after_the_deadline_and_severity():
    """甲 not overdue; 乙 1 day 低; 丙 7 低; 丁 8 中; 戊 1 day but major 高; 己 21 中."""
    found = _rule(run_audit(_days_ds(), "2024-06"))
    got = {e: (d["days_overdue"], s) for e, d, s in zip(found["enterprise"], found["details"], found["severity"],
                                                        strict=True)}
    assert got == {"乙厂": (1, "低"), "丙厂": (7, "低"), "丁厂": (8, "中"), "戊厂": (1, "高"), "己厂": (21, "中")}


def test_message_says_written_or_assumed_deadline():
    """乙's deadline is 台账写明; 己's is 推定 from 05-10 + 30 = 06-09; both name the period end."""
    found = _rule(run_audit(_days_ds(), "2024-06")).set_index("enterprise")
    assert "整改期限2024-06-29（台账写明）" in found.at["乙厂", "message"]
    assert "已逾期1天" in found.at["乙厂", "message"] and "截至期末（2024-06-30）" in found.at["乙厂", "message"]
    assert "台账未写整改期限，按检查（2024-05-10）后30日推定为2024-06-09" in found.at["己厂", "message"]
    d = found.at["己厂", "details"]
    assert (d["deadline"], d["deadline_basis"], d["assumed_days"], d["days_overdue"]) == ("2024-06-09", "assumed",
                                                                                           30, 21)
    assert "（台账写明的期间，自检查日2024-06-03起算）" in deadline_phrase("2024-06-10", "relative", 30,
                                                                         "2024-06-03")


def test_assumed_days_and_low_severity_days_from_config(tmp_path):
    """assumed_days 45: 己 05-10 + 45 = 06-24, 6 days -> 低 (written deadlines unchanged);
    low_severity_days 0: 乙 and 丙 become 中."""
    res = run_audit(_days_ds(), "2024-06", config=_cfg(tmp_path, "overdue:\n  assumed_days: 45\n"))
    ji = _rule(res).set_index("enterprise").loc["己厂"]
    assert (ji["details"]["deadline"], ji["details"]["days_overdue"], ji["severity"]) == ("2024-06-24", 6, "低")
    assert "按检查（2024-05-10）后45日推定为2024-06-24" in ji["message"]
    res = run_audit(_days_ds(), "2024-06", config=_cfg(tmp_path, "overdue:\n  low_severity_days: 0\n"))
    sev = dict(zip(_rule(res)["enterprise"], _rule(res)["severity"], strict=True))
    assert (sev["乙厂"], sev["丙厂"]) == ("中", "中")


def test_grace_days_are_stated_in_the_message(tmp_path):
    """grace 7: 丁 (06-22 + 7 = 06-29 < 06-30) and 己 remain, the message says the grace; 乙 and 丙 drop."""
    res = run_audit(_days_ds(), "2024-06", config=_cfg(tmp_path, "overdue:\n  grace_days: 7\n"))
    found = _rule(res)
    assert sorted(found["enterprise"]) == ["丁厂", "己厂"]
    assert all("已计入复查宽限7日" in m for m in found["message"])
    assert found.set_index("enterprise").at["丁厂", "details"]["days_overdue"] == 8  # counted from the deadline


def test_a_recheck_dated_before_the_end_on_a_later_form_closes_the_item():
    """Deadline 06-20; a 复查 dated 06-28 on the July form says 已整改: closed in June, no finding;
    one dated 07-01 does not close it in June (10 days overdue)."""
    first = (["未设置安全警示标志"], ["限2024年6月20日前整改"])
    rows = [row(A, 5, "甲厂", "2024-05-27", *first, deadlines=["2024-06-20"]),
            row(A, 7, "甲厂", "2024-06-28", ["未设置安全警示标志"], ["已整改"], remarks="复查（原检查2024-05-27）"),
            row(A, 5, "乙厂", "2024-05-27", *first, deadlines=["2024-06-20"]),
            row(A, 7, "乙厂", "2024-07-01", ["未设置安全警示标志"], ["已整改"], remarks="复查（原检查2024-05-27）")]
    found = _rule(run_audit(build(rows), "2024-06"))
    assert list(found["enterprise"]) == ["乙厂"] and found.at[0, "details"]["days_overdue"] == 10


# ------------------------------------------------------------------ rule 9: escalation
def _escalation_ds():
    dl = ["2024-06-10"]
    item = (["未设置安全警示标志"], ["限2024年6月10日前整改"])
    return build([
        # as 91号: case, 停产停业整顿 and 从重处罚 on the row that found it -> escalated
        row(A, 5, "甲厂", "2024-05-20", *item, deadlines=dl, case_no="C1", fine=1.0, other="责令停产停业整顿",
            remarks="从重处罚"),
        # a case (and fine) on its own row -> escalated (行政处罚法第二十八条)
        row(A, 5, "乙厂", "2024-05-20", *item, deadlines=dl, case_no="C2", fine=1.0),
        # 移送 another department on its own row -> escalated
        row(A, 5, "丙厂", "2024-05-20", *item, deadlines=dl, other="移送蚶江消防救援站"),
        # a later row of another hazard with a case but no fine, and a 移送: about other matters -> finding
        row(A, 5, "丁厂", "2024-05-20", *item, deadlines=dl),
        row(A, 6, "丁厂", "2024-06-15", ["叉车未经定期检验继续使用"], ["限期整改"], case_no="C3",
            other="移送蚶江市场监管所"),
        # the 复查 restating it files a case -> escalated
        row(A, 5, "戊厂", "2024-05-20", *item, deadlines=dl),
        row(A, 6, "戊厂", "2024-06-12", ["未设置安全警示标志"], ["逾期未整改"], remarks="复查", case_no="C4"),
        # a later row says 从重处罚 -> escalated; 未从重 does not count -> finding
        row(A, 5, "己厂", "2024-05-20", *item, deadlines=dl),
        row(A, 6, "己厂", "2024-06-14", remarks="从重处罚"),
        row(A, 5, "庚厂", "2024-05-20", *item, deadlines=dl),
        row(A, 6, "庚厂", "2024-06-14", remarks="未从重处罚"),
        # nothing at all -> finding
        row(A, 5, "辛厂", "2024-05-20", *item, deadlines=dl),
        # 停产停业整顿 on a later row, dated after the period end (submitted in June) -> not counted -> finding
        row(A, 5, "壬厂", "2024-05-20", *item, deadlines=dl),
        row(A, 6, "壬厂", "2024-07-01", other="责令停产停业整顿"),
    ])


def test_escalation_on_the_same_row_or_a_restating_row_is_recognised():
    """Findings: 丁 (unrelated later case/移送), 庚 (未从重), 辛 (nothing), 壬 (measure after the end)."""
    res = run_audit(_escalation_ds(), "2024-06")
    assert sorted(_rule(res)["enterprise"]) == ["丁厂", "壬厂", "庚厂", "辛厂"]
    table = res.tables["overdue_items"].set_index("enterprise")
    assert table.at["甲厂", "escalation"] == "责令停产停业整顿、从重处罚、立案查处"
    assert table.at["乙厂", "escalation"] == "立案查处"
    assert table.at["丙厂", "escalation"] == "移送有关部门"
    assert table.at["戊厂", "escalation"] == "立案查处"
    assert table.at["己厂", "escalation"] == "从重处罚"
    assert pd.isna(table.at["丁厂", "escalation"]) and table.at["丁厂", "days_overdue"] == 20  # 06-30 − 06-10
    assert any("9 项中，5 项" in n for n in res.notes)


# ------------------------------------------------------------------ rule 9: one line per enterprise
def _grouped_ds():
    return build([
        # 05-01 written: 60 days; 04-01 + 30 = 05-01 assumed: 60 days
        row(A, 4, "甲厂", "2024-04-01", ["未设置安全警示标志", "未配劳动防护用品"],
            ["限2024年5月1日前整改", "限期整改"], deadlines=["2024-05-01", None]),
        row(A, 6, "甲厂", "2024-06-03", ["消防设施损坏"], ["限2024年6月20日前整改"], deadlines=["2024-06-20"]),  # 10
        row(A, 6, "乙厂", "2024-06-03", ["消防设施损坏"], ["限2024年6月20日前整改"], deadlines=["2024-06-20"]),  # 10
    ])


def test_group_overdue_one_line_per_enterprise_items_longest_first():
    """甲: 3 items (60, 60, 10 days) on one line with ①②③; 乙: its own message; findings stay 4."""
    res = run_audit(_grouped_ds(), "2024-06")
    found = res.findings
    assert res.counts()[RULE] == 4
    groups = group_overdue(found).set_index("enterprise")
    assert len(groups) == 2 and len(groups.at["甲厂", "findings"]) == 3
    msg = groups.at["甲厂", "message"]
    assert msg.startswith("3项隐患逾期未整改，截至期末（2024-06-30）")
    assert "①「未设置安全警示标志」期限2024-05-01（台账写明），逾期60天" in msg
    assert "②「未配劳动防护用品」期限2024-05-01（未写期限，按检查后30日推定），逾期60天" in msg
    assert "③「消防设施损坏」期限2024-06-20（台账写明），逾期10天" in msg
    assert groups.at["乙厂", "message"] == found.loc[groups.at["乙厂", "findings"][0], "message"]
    assert len(groups.at["甲厂", "evidence"]) == 2  # the April row once, the June row
    text = res.to_text()
    assert "— 4 条（2 家企业，每家一行）" in text and text.count("[中] 锦里村 / 甲厂") == 1


def test_report_lines_group_and_deductions_point_to_them():
    """§七: 甲's 3 items on one line, 扣分 1+1+1 = 3.00, months 4月、6月; the deduction table keeps
    4 rows (1 point each), three of them 见 that line. Scoring: 4 findings × 1 = 4 points (cap 5)."""
    ds = _grouped_ds()
    s7 = sections.findings_table(ds, "2024-06", A)
    overdue = s7[s7["问题类型"] == "逾期未整改且未加重处理"].set_index("企业")
    assert overdue.at["甲厂", "扣分"] == "3.00" and overdue.at["甲厂", "月份"] == "4月、6月"
    assert overdue.at["乙厂", "扣分"] == "1.00"
    ded = sections.deduction_table(ds, "2024-06", A)
    mine = ded[ded["问题类型"] == "逾期未整改且未加重处理"]
    assert list(mine["扣分"]) == ["1.00"] * 4
    number = str(int(overdue.at["甲厂", "编号"]))
    assert (mine["见§七编号"] == number).sum() == 3
    town = sections.findings_table(ds, "2024-06")
    assert (town["规则"] == "逾期未整改且未加重处理").sum() == 2


# ------------------------------------------------------------------ rules 3 and 5
def _key_plan_ds(disabled: bool = False):
    ents = [{"name": "甲", "unit": A, "key_industry": "校车"},     # planned for October: 待检 in June
            {"name": "乙", "unit": A, "key_industry": "危化品"},   # planned for May, never inspected
            {"name": "丙", "unit": A, "key_industry": "渔业船舶"},  # not planned, never inspected
            {"name": "丁", "unit": A, "key_industry": "危化品"},   # planned for April by A, inspected by B
            {"name": "戊", "unit": B, "key_industry": "烟花爆竹"}]  # planned for March, inspected in March
    plan = [{"name": "甲", "unit": A, "month": 10, "method": "重点检查"},
            {"name": "乙", "unit": A, "month": 5, "method": "重点检查"},
            {"name": "丁", "unit": A, "month": 4, "method": "重点检查"},
            {"name": "戊", "unit": B, "month": 3, "method": "重点检查"}]
    rows = [row(B, 4, "丁", "2024-04-09"), row(B, 3, "戊", "2024-03-05")]
    return build(rows, enterprises=ents, plan=plan)


def test_key_industry_planned_later_is_pending_not_a_finding():
    """June: 甲 待检 (table, note); 丙 a finding (neither inspected nor planned); 乙 only plan_not_executed."""
    res = run_audit(_key_plan_ds(), "2024-06")
    key = _rule(res, "key_industry_uninspected")
    assert list(key["enterprise"]) == ["丙"] and "也未列入本年度执法计划" in key.at[0, "message"]
    pending = res.tables["key_industry_pending"]
    assert pending.to_dict("records") == [{"unit": A, "enterprise": "甲", "key_industry": "校车", "planned_month": 10,
                                           "plan_unit": A, "method": "重点检查"}]
    assert any("待检" in n and "甲（10月）" in n for n in res.notes)
    plan = _rule(res, "plan_not_executed").set_index("enterprise")
    assert sorted(plan.index) == ["丁", "乙"]  # 丁: B inspected it, not the planning unit A
    assert "重点行业（危化品）企业，本年度各单位均未检查" in plan.at["乙", "message"]
    assert "重点行业" not in plan.at["丁", "message"]


def test_key_industry_after_the_planned_month_is_one_finding():
    """November: 甲's October has passed: plan_not_executed, not key_industry_uninspected too."""
    res = run_audit(_key_plan_ds(), "2024-11")
    assert sorted(_rule(res, "key_industry_uninspected")["enterprise"]) == ["丙"]
    assert sorted(_rule(res, "plan_not_executed")["enterprise"]) == ["丁", "乙", "甲"]
    assert res.tables["key_industry_pending"].empty


def test_key_industry_reports_a_passed_plan_month_when_rule_5_is_disabled(tmp_path):
    """plan_not_executed disabled: 乙 (planned May) is then rule 3's finding, with its plan row as evidence."""
    res = run_audit(_key_plan_ds(), "2024-06", config=_cfg(tmp_path, "disabled: [plan_not_executed]\n"))
    key = _rule(res, "key_industry_uninspected").set_index("enterprise")
    assert sorted(key.index) == ["丙", "乙"]
    assert "计划5月" in key.at["乙", "message"] and "registry/plan#乙#5月" in key.at["乙", "evidence"]


def test_town_report_lists_pending_key_industry_enterprises():
    """The town report's 待检 table: 甲, 10月."""
    table = sections.key_industry_pending(_key_plan_ds(), "2024-06")
    assert table.to_dict("records") == [{"单位": A, "企业": "甲", "重点行业": "校车", "计划月份": "10月",
                                         "计划单位": A, "方式": "重点检查"}]
