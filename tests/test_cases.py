"""Typical cases (evalkit.assess.cases): ranking, timeline, 回头看."""

from __future__ import annotations

import pytest

from evalkit.assess.cases import (
    CRITERIA,
    NEGATIVE,
    POSITIVE,
    case_candidates,
    case_timeline,
    key_case_numbers,
    lookback,
)
from evalkit.exceptions import ParameterError
from fixtures_audit import build, row

A, B = "锦里村", "应急站"


def _ranking_ds():
    ents = [{"name": n, "unit": A} for n in ("k1", "k3", "k4", "k5", "u1")]
    ents.append({"name": "k2", "unit": A, "key_industry": "危化品"})
    rows = [
        # K1: referral 4 + major 3 = 7
        row(A, 6, "k1", "2024-06-01", ["重大事故隐患：疏散通道堵塞"], case_no="K1", fine=1,
            basis="安全生产法第一百零五条", other="移送公安机关1人"),
        # K2: 停产整顿 3 + key industry 1 = 4, fine 2
        row(A, 6, "k2", "2024-06-02", ["未设置安全警示标志"], case_no="K2", fine=2,
            basis="安全生产法第九十九条", other="责令停产停业整顿"),
        # K3: 顶格 (V14 max 5 万元) 2 + 举报 1 = 3
        row(A, 6, "k3", "2024-06-03", ["未设置安全警示标志"], case_no="K3", fine=5,
            basis="安全生产法第九十九条", remarks="举报件"),
        # K4: 一案双罚 2 + repeat of V18 within 12 months 2 = 4, fine 1
        row(A, 3, "k4", "2024-03-03", ["未配劳动防护用品"], ["已整改"]),
        row(A, 6, "k4", "2024-06-04", ["未配劳动防护用品"], case_no="K4", fine=1,
            basis="安全生产法第九十九条", other="对主要负责人处0.2万元罚款"),
        # K5: nothing special = 0
        row(A, 6, "k5", "2024-06-05", ["未设置安全警示标志"], case_no="K5", fine=0.5, basis="安全生产法第九十九条"),
        # U1: no case number but a criminal referral: 4, fine 0
        row(A, 6, "u1", "2024-06-06", ["关闭、破坏监控报警设备"], other="移送公安机关2人"),
    ]
    return build(rows, enterprises=ents)


def test_criteria_weights_documented():
    """Every criterion has a Chinese title and a positive weight."""
    assert all(c.title and c.weight > 0 for c in CRITERIA.values())


def test_candidates_ranked_by_score_then_fine():
    """Scores K1 7; K2 4 (2 万元), K4 4 (1 万元), U1 4 (0); K3 3; K5 0 → that order."""
    cands = case_candidates(_ranking_ds(), "2024-06")
    assert list(cands["key"]) == ["K1", "K2", "K4", cands.iloc[3]["key"], "K3", "K5"]
    assert cands.iloc[3]["case_no"] is None and cands.iloc[3]["enterprise"] == "u1"
    assert list(cands["score"]) == [7, 4, 4, 4, 3, 0]
    assert list(cands["rank"]) == [1, 2, 3, 4, 5, 6]
    crit = dict(zip(cands["key"], cands["criteria"], strict=True))
    assert set(crit["K1"]) == {"criminal_referral", "major_hazard"}
    assert set(crit["K3"]) == {"top_fine", "from_report"}
    assert set(crit["K4"]) == {"dual_penalty", "repeat_offender"}
    assert crit["K5"] == []


def test_candidates_top_and_reasons():
    """top=2 keeps the two best; reasons are Chinese sentences."""
    cands = case_candidates(_ranking_ds(), "2024-06", top=2)
    assert list(cands["key"]) == ["K1", "K2"]
    assert any("重点行业：危化品" in r for r in cands.iloc[1]["reasons"])
    with pytest.raises(ParameterError):
        case_candidates(_ranking_ds(), "2024-06", top=0)


def _refused_ds():
    return build([
        row(A, 5, "甲", "2024-05-05", ["重大事故隐患：粉尘积聚"], ["限期整改"]),
        row(A, 6, "甲", "2024-06-01", ["重大事故隐患：粉尘积聚"], ["拒不整改"], case_no="R1", fine=5,
            basis="安全生产法第一百零二条", other="责令停产停业整顿", remarks="复查（原检查2024-05-05）"),
        row(A, 7, "甲", "2024-07-01", ["重大事故隐患：粉尘积聚"], ["已整改"], remarks="复查（原检查2024-05-05）"),
    ])


def test_case_timeline_for_a_case_filed_on_a_recheck():
    """A case filed on a 复查 row: original inspection first, the undated decision last."""
    tl = case_timeline(_refused_ds(), "R1")
    kinds = [(d, e.split("：")[0]) for d, e, _ in tl]
    assert kinds == [("2024-05-05", "现场检查（原检查）"), ("2024-06-01", "现场检查"), ("2024-06-01", "立案"),
                     ("2024-06-01", "其他查处"), ("2024-07-01", "复查"), (None, "处罚决定")]
    assert tl[-1][2].endswith("#附件1#5") and "决定日期未记录" in tl[-1][1]


def test_case_timeline_unknown_case():
    """An unknown case number is a ParameterError naming case_no."""
    with pytest.raises(ParameterError, match="case_no"):
        case_timeline(_refused_ds(), "NOPE")


def test_lookback_checks_each_case():
    """回头看 per case: rectified/verified, fine range, 从重, referral, publication, 闭环 status."""
    # L1 闭环 (closed by 复查, 公示); L2 rectified on its row but not verified; L3 V17 fined 6 > 5 and
    # not referred; L4 repeats L0's V18 with the same 0.5 万元 fine (从重 not applied)
    rows = [
        row(A, 5, "l1", "2024-05-02", ["未设置安全警示标志"], ["限期整改"], case_no="L1", fine=1,
            basis="安全生产法第九十九条", other="处罚决定已在网站公示"),
        row(A, 6, "l1", "2024-06-02", ["未设置安全警示标志"], ["已整改"], remarks="复查"),
        row(A, 5, "l2", "2024-05-03", ["疏散通道堵塞"], ["已整改"], case_no="L2", fine=1,
            basis="安全生产法第一百零五条"),
        row(A, 6, "l3", "2024-06-03", ["关闭、破坏监控报警设备"], ["当场整改"], case_no="L3", fine=6,
            basis="安全生产法第九十九条"),
        row(A, 1, "l4", "2024-01-04", ["未配劳动防护用品"], ["当场整改"], case_no="L0", fine=0.5,
            basis="安全生产法第九十九条"),
        row(A, 6, "l4", "2024-06-04", ["未配劳动防护用品"], ["当场整改"], case_no="L4", fine=0.5,
            basis="安全生产法第九十九条"),
    ]
    lb = lookback(build(rows), "2024Q2").set_index("case_no")
    assert list(lb.index) == ["L1", "L2", "L3", "L4"]
    assert lb.at["L1", "status"] == "闭环" and lb.at["L1", "published"] == "已公示"
    assert lb.at["L1", "open_items"] == [] and lb.at["L1", "fine_in_range"]
    assert lb.at["L2", "rectified"] and not lb.at["L2", "verified"] and lb.at["L2", "status"] == "未闭环"
    assert lb.at["L2", "published"] == "未记录" and any("阳光执法" in n for n in lb.at["L2", "notes"])
    assert lb.at["L3", "fine_in_range"] is False and lb.at["L3", "referral_made"] is False
    assert set(lb.at["L3", "open_items"]) == {"罚款超出法定幅度", "涉嫌犯罪，未移送司法机关"}
    assert lb.at["L4", "escalation_applied"] is False and lb.at["L1", "escalation_applied"] is None
    assert lb.at["L4", "referral_made"] is None


def test_reused_case_number_is_two_cases():
    """The same 立案案号 on two enterprises' rows gives two candidates and two 回头看 rows, not one."""
    rows = [row(A, 6, "甲", "2024-06-01", ["疏散通道堵塞"], case_no="D1", fine=1, basis="安全生产法第一百零五条"),
            row(A, 6, "乙", "2024-06-09", ["未设置安全警示标志"], case_no="D1", fine=2, basis="安全生产法第九十九条")]
    cands = case_candidates(build(rows), "2024-06")
    assert sorted(cands["key"]) == ["D1（乙）", "D1（甲）"] and list(cands["case_no"]) == ["D1", "D1"]
    assert [len(r) for r in cands["rows"]] == [1, 1]
    lb = lookback(build(rows), "2024-06")
    assert sorted(lb["enterprise"]) == ["乙", "甲"]
    assert case_timeline(build(rows), "D1", enterprise="乙")[0][2].endswith("#附件1#6")


def test_lookback_named_cases_and_unknown():
    """case_nos limits the review; an unknown number is a ParameterError."""
    lb = lookback(_refused_ds(), "2024Q2", case_nos=["R1"])
    assert list(lb["case_no"]) == ["R1"]
    # the refused major hazard (V20) was fined, not referred; the 07-01 复查 closed the hazard
    assert lb.at[0, "referral_made"] is False and lb.at[0, "rectified"]
    with pytest.raises(ParameterError):
        lookback(_refused_ds(), "2024Q2", case_nos=["X"])


def test_decision_date_read_from_text():
    """A decision date written in the text (“2024年6月20日作出处罚决定”) dates the decision event."""
    ds = build([row(A, 6, "甲", "2024-06-03", ["疏散通道堵塞"], case_no="T1", fine=1, basis="安全生产法第一百零五条",
                    other="2024年6月20日作出处罚决定并送达")])
    decision = [e for e in case_timeline(ds, "T1") if e[1].startswith("处罚决定")]
    assert decision == [("2024-06-20", "处罚决定：罚款 1 万元，依据安全生产法第一百零五条",
                         "submissions/锦里村_202406.xlsx#附件1#5")]


def test_case_numbers_sort_naturally():
    """Case numbers order by their numbers: 〔2024〕9号 before 〔2024〕10号 and 〔2024〕100号."""
    from evalkit.assess.cases import case_sort_key

    nos = ["狮蚶应急罚〔2024〕100号", "狮蚶应急罚〔2024〕9号", "狮蚶建罚〔2024〕2号", "狮蚶应急罚〔2024〕10号"]
    assert sorted(nos, key=case_sort_key) == [
        "狮蚶应急罚〔2024〕9号", "狮蚶应急罚〔2024〕10号", "狮蚶应急罚〔2024〕100号", "狮蚶建罚〔2024〕2号"]


# ------------------------------------------------------------------ 顶格 and 反面典型
SPECIAL = ["特种作业人员无证上岗"]  # V03, 第九十七条第（七）项: ≤ 10 万; 逾期未改正 10–20 万
ART97 = "《安全生产法》第九十七条第（七）项"


def _top_ds():
    recheck = dict(remarks="复查")
    return build([
        # T1: V25 + V16 fined 5 citing 消防法第六十条第一款第（一）项 (0.5–5): 顶格 of the cited article,
        # though the items' sum of maximums is 10
        row(A, 6, "t1", "2024-06-01", ["消防设施损坏", "安全设备未定期检测"], ["已整改", "已整改"], case_no="T1",
            fine=5, basis="《消防法》第六十条第一款第（一）项"),
        # T2: 复查 逾期未整改 under 第九十七条 fined 20: the after range's maximum → 顶格
        row(A, 5, "t2", "2024-05-02", SPECIAL, ["限期整改"]),
        row(A, 6, "t2", "2024-06-02", SPECIAL, ["逾期未整改"], case_no="T2", fine=20, basis=ART97,
            other="责令停产停业整顿", **recheck),
        # T3: the same fined 10: the base maximum, but the after range [10, 20] applies → not 顶格
        row(A, 5, "t3", "2024-05-03", SPECIAL, ["限期整改"]),
        row(A, 6, "t3", "2024-06-03", SPECIAL, ["逾期未整改"], case_no="T3", fine=10, basis=ART97,
            other="责令停产停业整顿", **recheck),
        # T4: a 复查 finding it rectified, fined 20: escalation unsure → not 顶格
        row(A, 5, "t4", "2024-05-04", SPECIAL, ["限期整改"]),
        row(A, 6, "t4", "2024-06-04", SPECIAL, ["已整改"], case_no="T4", fine=20, basis=ART97, **recheck),
        # T5: a first finding fined 10 under 第九十七条 (≤ 10) → 顶格
        row(A, 6, "t5", "2024-06-05", SPECIAL, ["限期整改"], case_no="T5", fine=10, basis=ART97),
    ])


def test_top_fine_is_the_maximum_of_the_cited_articles_applicable_range():
    """顶格: T1 (cited 消防法 max 5), T2 (after max 20), T5 (base max 10); not T3 (10 under the after range)
    nor T4 (escalation unsure)."""
    cands = case_candidates(_top_ds(), "2024-06")
    top = {k for k, c in zip(cands["key"], cands["criteria"], strict=True) if "top_fine" in c}
    assert top == {"T1", "T2", "T5"}
    reasons = dict(zip(cands["key"], cands["reasons"], strict=True))
    assert any("消防法第六十条第一款第（一）项" in r and "法定上限" in r for r in reasons["T1"])
    assert any("逾期未改正后" in r for r in reasons["T2"])


def test_flagged_cases_are_negative_examples_after_the_positive_ones():
    """N1 (V20 重大事故隐患 拒不整改, 5 万 and 停产停业整顿, no referral: 以罚代刑) scores 8 (severe 3 + major 3 +
    顶格 2) but is 反面典型, ranked after P1 (score 3: 停产停业整顿) with its warning; N2's 1.2 万 under the
    after range [10, 20] (T3-like) is 反面典型 too; P1 is 正面典型 with no warning."""
    dust = ["重大事故隐患：粉尘积聚"]
    ds = build([
        row(A, 5, "n1", "2024-05-20", dust, ["限期整改"]),
        row(A, 6, "n1", "2024-06-21", dust, ["拒不整改"], case_no="N1", fine=5, basis="《安全生产法》第一百零二条",
            other="责令停产停业整顿", remarks="复查；拒不执行整改指令"),
        row(A, 5, "n2", "2024-05-02", SPECIAL, ["限期整改"]),
        row(A, 6, "n2", "2024-06-02", SPECIAL, ["逾期未整改"], case_no="N2", fine=1.2, basis=ART97,
            other="责令停产停业整顿", remarks="复查"),
        row(A, 6, "p1", "2024-06-03", ["疏散通道堵塞"], ["限期整改"], case_no="P1", fine=1,
            basis="《安全生产法》第一百零五条第（二）项", other="责令停产停业整顿"),
    ])
    cands = case_candidates(ds, "2024-06")
    assert list(cands["key"]) == ["P1", "N1", "N2"]
    assert list(cands["standing"]) == [POSITIVE, NEGATIVE, NEGATIVE]
    assert list(cands["score"]) == [3, 8, 3]
    warn = dict(zip(cands["key"], cands["warnings"], strict=True))
    assert warn["P1"] == []
    assert len(warn["N1"]) == 1 and warn["N1"][0].startswith("以罚代刑：涉嫌危险作业罪")
    assert warn["N2"] == ["罚款 1.2 万元低于法定幅度［10，20］万元（逾期未改正后的幅度）"]
    assert "top_fine" in cands.iloc[1]["criteria"]


def test_lookback_flags_a_case_number_validation_found_reused():
    """A case number is flagged 案号重复 on both of its cases exactly when validation reported
    case_no_duplicate for it (the judgment is validation's), with one note naming both enterprises."""
    rows = [row(A, 6, "甲", "2024-06-01", ["疏散通道堵塞"], case_no="D1〔2024〕1号", fine=1,
                basis="安全生产法第一百零五条"),
            row(A, 6, "乙", "2024-06-09", ["未设置安全警示标志"], case_no="D1[2024]1号", fine=2,
                basis="安全生产法第九十九条"),
            row(A, 6, "丙", "2024-06-10", ["未设置安全警示标志"], case_no="D2", fine=2, basis="安全生产法第九十九条")]
    assert not lookback(build(rows), "2024-06")["duplicate_case_no"].any()  # validation said nothing
    dup = {"file": "f.xlsx", "sheet": "附件1", "row": 6, "column": "立案案号", "rule": "case_no_duplicate",
           "severity": "warning", "message": "立案案号重复", "value": "D1[2024]1号"}
    lb = lookback(build(rows, problems=[dup]), "2024-06").set_index("enterprise")
    assert lb["duplicate_case_no"].to_dict() == {"甲": True, "乙": True, "丙": False}
    notes = [n for n in lb.at["甲", "notes"] if n.startswith("立案案号重复")]
    assert notes == ["立案案号重复：D1〔2024〕1号用于甲、乙2家企业的案件（同一案号一年内只能用于一个案件），请核对"]
    assert [n for n in lb.at["丙", "notes"] if n.startswith("立案案号重复")] == []


def test_lookback_names_an_open_hazard_by_its_status():
    """An unrectified hazard of a case is listed as 隐患逾期未整改 or 隐患整改中（未到期）, the status words of
    every table (_text.HAZARD_STATUS_ZH), not a word of its own."""
    rows = [row(A, 5, "甲", "2024-05-02", ["疏散通道堵塞"], ["限2024年5月10日前整改"], case_no="O1", fine=1,
                basis="安全生产法第一百零五条"),
            row(A, 6, "乙", "2024-06-28", ["未设置安全警示标志"], ["限2024年7月20日前整改"], case_no="O2", fine=1,
                basis="安全生产法第九十九条")]
    lb = lookback(build(rows), "2024Q2").set_index("case_no")
    assert lb.at["O1", "open_items"] == ["隐患逾期未整改：「疏散通道堵塞」"]
    assert lb.at["O2", "open_items"] == ["隐患整改中（未到期）：「未设置安全警示标志」"]


def test_key_case_numbers_follow_the_typical_case_criteria():
    """Key cases rank by criteria score (negative ones included), then by fine: a 停产整顿 case (3) before
    a 顶格 fine-free case of score 0 with a larger fine."""
    rows = [row(A, 6, "甲", "2024-06-01", ["疏散通道堵塞"], ["限期整改"], case_no="K1", fine=4,
                basis="安全生产法第一百零五条"),
            row(A, 6, "乙", "2024-06-03", ["疏散通道堵塞"], ["限期整改"], case_no="K2", fine=1,
                basis="安全生产法第一百零五条", other="责令停产停业整顿"),
            row(A, 6, "丙", "2024-06-05", ["疏散通道堵塞"], ["限期整改"], case_no="K3", fine=2,
                basis="安全生产法第一百零五条")]
    assert key_case_numbers(build(rows), "2024-06") == ["K2", "K1", "K3"]
