"""The shared hazard-status rule (evalkit.metrics.hazards) and the four users that must agree on it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from evalkit.assess.scoring import score_units
from evalkit.audit.facts import Facts, Patterns
from evalkit.audit.run import load_audit_config, run_audit
from evalkit.core.periods import parse_period
from evalkit.exceptions import ParameterError
from evalkit.metrics.engine import compute_metrics
from evalkit.metrics.hazards import HAZARD_STATUSES, hazard_status, is_done, is_past_due, is_rectified
from evalkit.report.sections import rectification_items, rectification_status_table
from fixtures_audit import build, row

END = "2024-06-30"


def _items(*specs) -> pd.DataFrame:
    """Items frame from (status, deadline, closed_date) tuples; closed_by is set when closed_date is."""
    return pd.DataFrame({
        "status": [s for s, _, _ in specs],
        "deadline": pd.to_datetime([d for _, d, _ in specs]),
        "closed_by": [None if c is None else f"复查#{i}" for i, (_, _, c) in enumerate(specs)],
        "closed_date": pd.to_datetime([c for _, _, c in specs]),
    })


# ------------------------------------------------------------------ the function, by hand
def test_rectified_on_its_own_row_whatever_the_deadline():
    """Own row says 已整改: rectified, even with the deadline long past and no 复查."""
    assert hazard_status(_items(("rectified", "2024-05-01", None)), END).tolist() == ["rectified"]


def test_closed_by_a_recheck_before_on_and_after_as_of():
    """复查 06-20 and 06-30 close the item at 06-30; a 复查 on 07-01 does not (deadline 06-10 -> overdue)."""
    items = _items(("pending", "2024-06-10", "2024-06-20"), ("pending", "2024-06-10", "2024-06-30"),
                   ("pending", "2024-06-10", "2024-07-01"))
    assert hazard_status(items, END).tolist() == ["closed", "closed", "overdue"]


def test_is_done_is_rectified_or_closed_and_nothing_else():
    """The engine's fast path: rectified row, 复查 by as_of -> done; 复查 after, overdue, open -> not."""
    items = _items(("rectified", "2024-05-01", None), ("pending", "2024-06-10", "2024-06-20"),
                   ("pending", "2024-06-10", "2024-07-01"), ("pending", "2024-06-10", None),
                   ("overdue", "2024-07-10", None))
    assert is_done(items, END).tolist() == [True, True, False, False, False]
    assert is_done(items, END).tolist() == hazard_status(items, END).isin(["rectified", "closed"]).tolist()


def test_closed_after_as_of_and_not_yet_due_is_open():
    """Deadline 07-05, 复查 on 07-02: at 06-30 still open; at 07-02 closed."""
    items = _items(("pending", "2024-07-05", "2024-07-02"))
    assert hazard_status(items, END).tolist() == ["open"]
    assert hazard_status(items, "2024-07-02").tolist() == ["closed"]


def test_overdue_the_day_after_the_deadline_not_on_it():
    """Deadline 06-30 at as_of 06-30: open; deadline 06-29: overdue (06-29 < 06-30)."""
    items = _items(("pending", "2024-06-30", None), ("pending", "2024-06-29", None))
    assert hazard_status(items, END).tolist() == ["open", "overdue"]


def test_grace_days_move_only_the_overdue_line():
    """Deadline 06-25: grace 4 -> 06-29 < 06-30 overdue; grace 5 -> 06-30 open; a 复查 on 06-28 closes it either way."""
    items = _items(("pending", "2024-06-25", None), ("pending", "2024-06-25", "2024-06-28"))
    assert hazard_status(items, END, grace_days=4).tolist() == ["overdue", "closed"]
    assert hazard_status(items, END, grace_days=5).tolist() == ["open", "closed"]


def test_overdue_text_alone_does_not_make_an_item_overdue():
    """逾期未整改 (status overdue) with deadline 07-15: open at 06-30, overdue at 07-16."""
    items = _items(("overdue", "2024-07-15", None))
    assert hazard_status(items, END).tolist() == ["open"]
    assert hazard_status(items, "2024-07-16").tolist() == ["overdue"]


def test_no_deadline_no_text_and_undated_closure():
    """NaT deadline -> open; status None behaves as not rectified; closed_by without a date does not close."""
    items = _items((None, None, None), (None, "2024-06-01", None))
    items.loc[1, "closed_by"] = "复查#x"  # closed, but closed_date NaT
    assert hazard_status(items, END).tolist() == ["open", "overdue"]


def test_as_of_accepts_dates_and_drops_the_time_of_day():
    """date, Timestamp with a time and "YYYY-MM-DD" give the same day; index and name are kept."""
    items = _items(("pending", "2024-06-29", "2024-06-30")).set_axis([7])
    for as_of in (dt.date(2024, 6, 30), pd.Timestamp("2024-06-30 18:00"), "2024-06-30"):
        got = hazard_status(items, as_of)
        assert got.tolist() == ["closed"] and got.index.tolist() == [7] and got.name == "hazard_status"


def test_bad_as_of_or_grace_days_is_a_parameter_error():
    """No date, or a negative / fractional grace, is a named usage error."""
    items = _items(("pending", "2024-06-29", None))
    for bad in (None, "不是日期"):
        with pytest.raises(ParameterError, match="as_of"):
            hazard_status(items, bad)
    for bad in (-1, 1.5):
        with pytest.raises(ParameterError, match="grace_days"):
            hazard_status(items, END, grace_days=bad)


def test_empty_items_give_an_empty_series():
    """No items: an empty Series, no error."""
    assert hazard_status(_items(), END).empty


def test_helpers_is_rectified_and_is_past_due():
    """is_rectified reads the own-row text (missing -> False); is_past_due ignores closures."""
    assert is_rectified(pd.Series(["rectified", "pending", None])).tolist() == [True, False, False]
    assert is_rectified("rectified") and not is_rectified(None)
    items = _items(("rectified", "2024-06-29", None), ("pending", "2024-06-30", None), (None, None, None))
    assert is_past_due(items, END).tolist() == [True, False, False]


# ------------------------------------------------------------------ the four users agree
A = "锦里村"


def _agreement_ds():
    """One unit, eight new hazards; 丙's 复查 is dated 06-28 but submitted on the July form."""
    rows = [
        row(A, 5, "甲厂", "2024-05-06", ["疏散通道堵塞"], ["已整改"]),          # own row
        row(A, 5, "乙厂", "2024-05-10", ["灭火器过期"], ["限期整改"]),          # deadline 06-09
        row(A, 6, "乙厂", "2024-06-20", ["灭火器过期"], ["已整改"], remarks="复查"),  # on time
        row(A, 5, "丙厂", "2024-05-12", ["消防设施损坏"], ["限期整改"]),        # deadline 06-11
        row(A, 7, "丙厂", "2024-06-28", ["消防设施损坏"], ["已整改"], remarks="复查"),  # late form
        row(A, 5, "丁厂", "2024-05-15", ["未配劳动防护用品"], ["限期整改"]),    # deadline 06-14
        row(A, 5, "戊厂", "2024-05-31", ["未设置安全警示标志"], ["限期整改"]),  # deadline 06-30
        row(A, 5, "己厂", "2024-05-30", ["安全出口锁闭"], ["限期整改"]),        # deadline 06-29
        row(A, 6, "庚厂", "2024-06-10", ["配电箱无防护"], ["限期整改"]),        # deadline 07-10
        row(A, 7, "庚厂", "2024-07-02", ["配电箱无防护"], ["已整改"], remarks="复查"),
        # a 复查 whose original is not in the data: a new hazard; deadline 06-15 + 30 = 07-15
        row(A, 6, "辛厂", "2024-06-15", ["应急照明损坏"], ["逾期未整改"], remarks="复查（原检查2023-12-01）"),
    ]
    return build(rows)


#: Status of each enterprise's new hazard at 2024-06-30, worked out by hand.
EXPECTED = {
    "甲厂": "rectified",  # 已整改 on its own row
    "乙厂": "closed",     # 复查 06-20, on the June form
    "丙厂": "closed",     # 复查 06-28 on the July form: rectified in time (was overdue in the audit and scoring)
    "丁厂": "overdue",    # deadline 06-14, nothing since
    "戊厂": "open",       # deadline 06-30 = period end: due, not yet overdue
    "己厂": "overdue",    # deadline 06-29: one day late
    "庚厂": "open",       # deadline 07-10; its 复查 (07-02) is after the period end
    "辛厂": "open",       # 逾期未整改 text, own deadline 07-15 (was overdue in the report)
}


def test_metrics_audit_scoring_and_report_agree_item_by_item():
    """June 2024: report statuses = EXPECTED; 3 done of 8; audit overdue = 丁, 己; closure rate 2/4 = 50."""
    ds = _agreement_ds()
    report = rectification_items(ds, "2024-06", A)
    assert dict(zip(report["enterprise"], report["status"], strict=True)) == EXPECTED

    done = [e for e, s in EXPECTED.items() if s in ("rectified", "closed")]  # 甲 乙 丙
    metrics = compute_metrics(ds, "2024-06", scope="ytd")
    assert metrics.frame.at[A, "hazards_found"] == 8
    assert metrics.frame.at[A, "hazards_rectified"] == len(done) == 3
    assert metrics.frame.at[A, "rectification_rate"] == 37.5  # 3 / 8

    cfg, _ = load_audit_config(None)
    facts = Facts(ds, parse_period("2024-06", "ytd"), Patterns.from_config(cfg["patterns"]))
    new = facts.items[facts.items["counts_as_hazard"].astype(bool)]
    assert dict(zip(new["enterprise_name"], new["hazard_status"], strict=True)) == EXPECTED

    found = run_audit(ds, "2024-06").findings
    overdue = found[found["rule"] == "overdue_not_escalated"]
    assert sorted(overdue["enterprise"]) == sorted(e for e, s in EXPECTED.items() if s == "overdue")  # 丁 己

    # Due (not rectified on the row, deadline before 06-30): 乙 丙 丁 己; closed among them: 乙 丙.
    parts = score_units(ds, "2024-06").parts
    value = parts[(parts["unit"] == A) & (parts["part"] == "overdue_closure")]["value"].item()
    assert value == 50.0


def test_audit_grace_days_reach_the_facts_status():
    """grace_days 1 in Facts: 己厂 (deadline 06-29 + 1 = 06-30, not before 06-30) becomes open; 丁 stays overdue."""
    cfg, _ = load_audit_config(None)
    facts = Facts(_agreement_ds(), parse_period("2024-06", "ytd"), Patterns.from_config(cfg["patterns"]), 1)
    new = facts.items[facts.items["counts_as_hazard"].astype(bool)]
    got = dict(zip(new["enterprise_name"], new["hazard_status"], strict=True))
    assert (got["己厂"], got["丁厂"]) == ("open", "overdue")


def test_report_status_table_counts_each_status():
    """The 整改状态 table at June: 已整改 1, 经复查确认整改 2, 逾期 2, 整改中 3 (本期 June: 庚, 辛 open)."""
    table = rectification_status_table(_agreement_ds(), "2024-06", A).set_index("整改状态")
    assert table["年初以来发现(处)"].to_dict() == {"已整改": 1, "经复查确认整改": 2, "逾期未整改": 2,
                                                "整改中（未到期）": 3, "合计": 8}
    assert table["本期发现(处)"].to_dict() == {"已整改": 0, "经复查确认整改": 0, "逾期未整改": 0,
                                             "整改中（未到期）": 2, "合计": 2}


def test_statuses_are_the_documented_four():
    """HAZARD_STATUSES lists exactly the values hazard_status returns."""
    assert HAZARD_STATUSES == ("rectified", "closed", "overdue", "open")
