"""Audit rules 7 (以整改代替处罚) and 12 (同案不同罚): hand-worked fixtures pinning both directions."""

from __future__ import annotations

import pytest

from evalkit.audit.run import run_audit
from evalkit.exceptions import ConfigError
from fixtures_audit import build, row

A, B = "锦里村", "应急站"
SIGN = "未设置安全警示标志"  # V14, 安全生产法第九十九条第（一）项: 责令限期改正，可以处五万元以下的罚款


def _rule(result, rule):
    return result.findings[result.findings["rule"] == rule].reset_index(drop=True)


# ------------------------------------------------------------------ rule 7
def _rule7_rows():
    return [
        # A: two inspections whose only hazard was corrected on the spot (excused), two ordered
        # corrected (a3, a5), one escalated at its 复查 with a case (a4), and a 复查 in June filing
        # a case for a hazard found in May (a6).
        row(A, 6, "a1", "2024-06-03", [SIGN], ["当场整改"]),
        row(A, 6, "a2", "2024-06-04", [SIGN], ["立行立改"]),
        row(A, 6, "a3", "2024-06-05", [SIGN], ["限期整改"]),
        row(A, 6, "a4", "2024-06-06", [SIGN], ["限期整改"]),
        row(A, 6, "a5", "2024-06-07", [SIGN], ["限期整改"]),
        row(A, 6, "a4", "2024-06-20", [SIGN], ["逾期未整改"], case_no="CA4", fine=1.0,
            remarks="复查（原检查2024-06-06）"),
        row(A, 5, "a6", "2024-05-10", [SIGN], ["限期整改"]),
        row(A, 6, "a6", "2024-06-12", [SIGN], ["逾期未整改"], case_no="CA6", fine=1.0,
            remarks="复查（原检查2024-05-10）"),
        # B: corrected on the spot, but not excusable: a 重大事故隐患 (b1), V24 拒绝阻碍检查 (b2, a
        # must-punish code), 未当场整改 (b3, a negation), a repeat of April's V14 at b4; b5 is
        # excusable; b6 says 已整改 only (not when).
        row(B, 4, "b4", "2024-04-10", [SIGN], ["已整改"]),
        row(B, 6, "b1", "2024-06-03", ["重大事故隐患：安全出口锁闭"], ["当场整改"]),
        row(B, 6, "b2", "2024-06-04", ["拒绝、阻碍执法人员依法实施监督检查"], ["当场改正"]),
        row(B, 6, "b3", "2024-06-05", [SIGN], ["未当场整改"]),
        row(B, 6, "b4", "2024-06-06", [SIGN], ["当场整改"]),
        row(B, 6, "b5", "2024-06-07", [SIGN], ["当场整改"]),
        row(B, 6, "b6", "2024-06-08", [SIGN], ["已整改"]),
    ]


def test_rule7_on_the_spot_excused_and_recheck_cases_credited():
    """A: counted a3, a4 (复查 case CA4), a5, a6's 复查 row (CA6); a1, a2 corrected on the spot are left
    out -> 2 of 4 = 50% <= 80%: no finding (the old count was 5 of 5 inspections without a case)."""
    res = run_audit(build(_rule7_rows()), "2024-06")
    assert A not in set(_rule(res, "rectification_instead_of_penalty")["unit"])


def test_rule7_must_punish_negation_and_repeat_still_count():
    """B: b1 (重大事故隐患), b2 (V24), b3 (未当场整改), b4 (V14 again since April), b6 (已整改) count, none
    penalised -> 5 of 5 = 100%: a finding; b5 alone is excused."""
    ds = build(_rule7_rows())
    found = _rule(run_audit(ds, "2024-06"), "rectification_instead_of_penalty")
    assert list(found["unit"]) == [B]
    d = found.at[0, "details"]
    assert (d["inspections_with_violations"], d["without_case"], d["share"]) == (5, 5, 1.0)
    ents = dict(zip(ds.ledger["row_id"], ds.ledger["enterprise"], strict=True))
    assert sorted(ents[r] for r in found.at[0, "evidence"]) == ["b1", "b2", "b3", "b4", "b6"]
    assert [ents[r] for r in d["excused_on_the_spot"]] == ["b5"]
    assert "另有 1 次检查的隐患均当场整改" in found.at[0, "message"]


def test_rule7_details_of_the_credited_cases(tmp_path):
    """With max_share 0.4, A's 2 of 4 = 50% is a finding: a4 credited by its 复查 row, a6's 复查 row counted."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("rectification_only:\n  max_share: 0.4\n", encoding="utf-8")
    ds = build(_rule7_rows())
    found = _rule(run_audit(ds, "2024-06", config=cfg), "rectification_instead_of_penalty")
    a = found[found["unit"] == A].iloc[0]
    ents = dict(zip(ds.ledger["row_id"], ds.ledger["enterprise"], strict=True))
    cases = dict(zip(ds.ledger["row_id"], ds.ledger["case_no"], strict=True))
    d = a["details"]
    assert (d["inspections_with_violations"], d["without_case"]) == (4, 2)
    assert sorted(ents[r] for r in a["evidence"]) == ["a3", "a5"]
    assert {ents[k]: cases[v] for k, v in d["escalated_later"].items()} == {"a4": "CA4"}
    assert [cases[r] for r in d["recheck_cases"]] == ["CA6"]
    assert sorted(ents[r] for r in d["excused_on_the_spot"]) == ["a1", "a2"]
    assert "已计入复查时立案 2 次" in a["message"]


def test_rule7_must_punish_codes_from_config(tmp_path):
    """must_punish_codes: [] makes b2 (V24) excusable too: B counts 4 of 4, excused b2 and b5."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("rectification_only:\n  must_punish_codes: []\n", encoding="utf-8")
    ds = build(_rule7_rows())
    found = _rule(run_audit(ds, "2024-06", config=cfg), "rectification_instead_of_penalty")
    d = found[found["unit"] == B].iloc[0]["details"]
    ents = dict(zip(ds.ledger["row_id"], ds.ledger["enterprise"], strict=True))
    assert d["inspections_with_violations"] == 4
    assert sorted(ents[r] for r in d["excused_on_the_spot"]) == ["b2", "b5"]


def test_rule7_unknown_must_punish_code_is_a_config_error(tmp_path):
    """A code that is not in the catalogue names the key."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("rectification_only:\n  must_punish_codes: [V99]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rectification_only.must_punish_codes"):
        run_audit(build(_rule7_rows()), "2024-06", config=cfg)


def test_rule7_a_recheck_case_after_the_period_does_not_count(tmp_path):
    """a4's 复查 case dated 07-02 (July form) is not seen in June: A counts a3, a4, a5 uncased + a6's
    复查 row = 3 of 4; in the year (to July) a4 is credited by CA4 and a6's May inspection by CA6:
    a3, a4, a5, a6 counted (a1, a2 excused), a3 and a5 uncased = 2 of 4."""
    rows = [r for r in _rule7_rows() if r["enterprise"] != "a4" or r["month"] != 6 or r["case_no"] is None]
    rows.append(row(A, 7, "a4", "2024-07-02", [SIGN], ["逾期未整改"], case_no="CA4", fine=1.0,
                    remarks="复查（原检查2024-06-06）"))
    ds = build(rows)
    cfg = tmp_path / "a.yaml"
    cfg.write_text("rectification_only:\n  max_share: 0.1\n", encoding="utf-8")
    june = _rule(run_audit(ds, "2024-06", config=cfg), "rectification_instead_of_penalty")
    dj = june[june["unit"] == A].iloc[0]["details"]
    assert (dj["inspections_with_violations"], dj["without_case"], dj["escalated_later"]) == (4, 3, {})
    year = _rule(run_audit(ds, "2024", config=cfg), "rectification_instead_of_penalty")
    dy = year[year["unit"] == A].iloc[0]["details"]
    assert (dy["inspections_with_violations"], dy["without_case"], len(dy["escalated_later"])) == (4, 2, 2)
    assert dy["recheck_cases"] == []


# ------------------------------------------------------------------ rule 12
V25 = ["消防设施损坏"]  # V25, 消防法第六十条第一款第（一）项: 五千元以上五万元以下


def _fines(unit, month, ent, date, fine, **kw):
    return row(unit, month, ent, date, V25, ["限期整改"], case_no=kw.pop("case_no", f"{ent}-{date}"), fine=fine, **kw)


def _rule12_rows():
    return [
        _fines("甲村", 4, "a1", "2024-04-01", 0.5), _fines("甲村", 5, "a2", "2024-05-01", 0.5),
        _fines("乙村", 5, "b1", "2024-05-02", 0.6), _fines("乙村", 5, "b2", "2024-05-03", 0.6),
        _fines("丁村", 5, "d1", "2024-05-04", 0.8),
        # 丙村: two first offences at 1.0, then four heavier fines that are not first offences
        _fines("丙村", 4, "c1", "2024-04-10", 1.0), _fines("丙村", 5, "c2", "2024-05-05", 1.0),
        _fines("丙村", 6, "c1", "2024-06-20", 3.0),                                     # repeat of c1 (04-10)
        row("丙村", 6, "c2", "2024-06-05", V25, ["逾期未整改"], case_no="c2-复查", fine=3.0,
            remarks="复查（原检查2024-05-05）"),                                          # 复查 row
        _fines("丙村", 6, "c3", "2024-06-06", 3.0, remarks="从重处罚"),                  # says 从重
        _fines("丙村", 6, "c4", "2024-06-07", 3.0, other="责令停产停业整顿"),            # 停产停业整顿
        _fines("戊村", 6, "e1", "2024-06-08", 5.0),                                     # one row only
        _fines("己村", 6, "f1", "2024-06-09", 3.0), _fines("己村", 6, "f2", "2024-06-10", 4.0),  # high
        _fines("庚村", 6, "g1", "2024-06-11", 0.1), _fines("庚村", 6, "g2", "2024-06-12", 0.1),  # low
    ]


def test_rule12_first_offences_only_and_outlier_rows_named():
    """First-offence V25 fines, unit medians: 甲 0.5, 乙 0.6, 丙 1.0 (its 3.0s are a repeat, a 复查 row,
    从重, 停产停业整顿), 丁 0.8, 戊 5.0 (1 row: not judged), 己 3.5, 庚 0.1. 己 vs the others' medians
    (0.5 0.6 1.0 0.8 5.0 0.1 -> 0.7): 3.5 > 2.1, both rows named; 庚 vs (0.5 0.6 1.0 0.8 5.0 3.5 -> 0.9):
    0.1 < 0.3. 丙 (1.0 vs 0.7) is not named; the old rule (all rows, town median 0.8) named 丙 (3.0) and 戊."""
    ds = build(_rule12_rows())
    res = run_audit(ds, "2024Q2")
    found = _rule(res, "fine_disparity")
    assert list(found["unit"]) == ["己村", "庚村"]
    hi, lo = found.iloc[0], found.iloc[1]
    ents = dict(zip(ds.ledger["row_id"], ds.ledger["enterprise"], strict=True))
    assert (hi["details"]["unit_median_wan"], hi["details"]["others_usual_wan"]) == (3.5, 0.7)
    assert (lo["details"]["unit_median_wan"], lo["details"]["others_usual_wan"]) == (0.1, 0.9)
    assert sorted(ents[r] for r in hi["evidence"]) == ["f1", "f2"]
    assert [o["case_no"] for o in hi["details"]["outliers"]] == ["f1-2024-06-09", "f2-2024-06-10"]
    assert "f1（f1-2024-06-09）3万元；f2（f2-2024-06-10）4万元" in hi["message"]
    assert "低于其他 6 个单位通常罚款 0.9 万元" in lo["message"]
    spread = res.tables["fine_spread"].set_index("code")
    assert (spread.at["V25", "rows"], spread.at["V25", "units"], spread.at["V25", "not_first_rows"]) == (12, 7, 4)


def test_rule12_reasons_a_fine_is_not_a_first_offence():
    """Each of 丙村's 3.0 fines is left out for its own reason."""
    from evalkit.audit.facts import Facts, Patterns
    from evalkit.audit.rules import Context
    from evalkit.audit.rules_handling import single_code_fines
    from evalkit.audit.run import as_period, load_audit_config

    ds = build(_rule12_rows())
    cfg, _ = load_audit_config()
    period = as_period("2024Q2")
    ctx = Context(ds, period, Facts(ds, period, Patterns.from_config(cfg["patterns"])), cfg, None)
    got = single_code_fines(ctx)
    why = {(r.enterprise, r.fine): r.not_first for r in got.itertuples() if r.unit == "丙村"}
    assert why == {("c1", 1.0): None, ("c2", 1.0): None, ("c1", 3.0): "12个月内再次违法",
                   ("c2", 3.0): "复查行（逾期未改正）", ("c3", 3.0): "写明从重", ("c4", 3.0): "责令停产停业整顿"}


def test_rule12_min_unit_rows_from_config(tmp_path):
    """min_unit_rows: 1 judges 戊村's single 5.0 too (vs 0.5 0.6 1.0 0.8 3.5 0.1 -> 0.7: 5 > 2.1)."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("fine_disparity:\n  min_unit_rows: 1\n", encoding="utf-8")
    found = _rule(run_audit(build(_rule12_rows()), "2024Q2", config=cfg), "fine_disparity")
    assert sorted(found["unit"]) == sorted(["己村", "庚村", "戊村"])


def test_rule12_two_units_cannot_say_who_is_odd():
    """Two units at 1.0 and 4.0 (two rows each): one other unit only (< min_units 2): no finding."""
    rows = [_fines("甲村", 6, "a1", "2024-06-01", 1.0), _fines("甲村", 6, "a2", "2024-06-02", 1.0),
            _fines("乙村", 6, "b1", "2024-06-03", 4.0), _fines("乙村", 6, "b2", "2024-06-04", 4.0)]
    assert _rule(run_audit(build(rows), "2024-06"), "fine_disparity").empty
