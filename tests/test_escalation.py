"""evalkit.metrics.escalation: hazards punished on a later 复查 row, and the 违法行为查处率 built on it."""

from __future__ import annotations

import pandas as pd

import evalkit.metrics.engine as M
from evalkit.metrics.escalation import recheck_escalations
from fixtures_dataset import inspection, make_dataset

U = "甲村"
V26 = "消防车通道被车辆占用"       # V26 (keyword 消防车通道)
V01 = "安全出口锁闭"               # V01 (keyword 安全出口)
V01B = "安全出口被货物封堵"         # V01, worded otherwise: intake does not link it
V26B = "占用、堵塞消防车通道"       # V26, another wording
V18 = "未为从业人员提供符合标准的劳动防护用品"

ROWS = [
    # r0 P 05-06 V26 ordered; r1 its 复查 06-04: 逾期未整改 (linked), case 立1 -> P escalated on 06-04.
    inspection(U, "P", "2024-05-06", [V26], ["限期整改"]),
    inspection(U, "P", "2024-06-04", [V26], ["逾期未整改"], case_no="立1", fine=1.0, remarks="复查"),
    # r2 Q 05-07 V01; r3 复查 06-05 words it otherwise (not linked, a new item), case 立2 -> Q escalated (same code).
    inspection(U, "Q", "2024-05-07", [V01], ["限期整改"]),
    inspection(U, "Q", "2024-06-05", [V01B], ["逾期未整改"], case_no="立2", fine=1.0, remarks="复查"),
    # r4 R 05-08 V18; r5 复查 05-20 rectified (closes it); r6 复查 06-10 with case 立3: R was closed before.
    inspection(U, "R", "2024-05-08", [V18], ["限期整改"]),
    inspection(U, "R", "2024-05-20", [V18], ["已整改"], remarks="复查"),
    inspection(U, "R", "2024-06-10", [V18], ["逾期未整改"], case_no="立3", fine=0.5, remarks="复查"),
    # r7 S 05-09 V01; r8 复查 06-12 case 立4 for another violation (V26): S is not escalated.
    inspection(U, "S", "2024-05-09", [V01], ["限期整改"]),
    inspection(U, "S", "2024-06-12", [V26B], ["逾期未整改"], case_no="立4", fine=0.5, remarks="复查"),
    # r9 T 05-10 V26; r10 复查 07-02 case 立5 -> escalated on 07-02 (after June).
    inspection(U, "T", "2024-05-10", [V26], ["限期整改"]),
    inspection(U, "T", "2024-07-02", [V26], ["逾期未整改"], case_no="立5", fine=1.0, remarks="复查"),
    # r11 U 05-13 V01; r12 复查 06-13 逾期未整改, no case: not escalated.
    inspection(U, "U", "2024-05-13", [V01], ["限期整改"]),
    inspection(U, "U", "2024-06-13", [V01], ["逾期未整改"], remarks="复查"),
    # r13 V 06-14: a 复查 row with a case, V01, but V has no earlier hazard: escalates nobody else's.
    inspection(U, "V", "2024-06-14", [V01], ["逾期未整改"], case_no="立6", fine=1.0, remarks="复查"),
    # r14 W 05-14 V01 rectified on the spot; r15 复查 06-03 same text with case 立7: W was never open.
    inspection(U, "W", "2024-05-14", [V01], ["当场整改"]),
    inspection(U, "W", "2024-06-03", [V01], ["逾期未整改"], case_no="立7", fine=1.0, remarks="复查"),
]
REGISTRY = [(e, U) for e in "PQRSTUVW"]


def _ds():
    return make_dataset(REGISTRY, ROWS)


def _by_enterprise(ds, esc):
    it = ds.items
    return {it.at[i, "enterprise_name"]: (rec.by_row, f"{rec.by_date:%m-%d}") for i, rec in esc.iterrows()}


def test_recheck_escalations_link_text_or_code_and_need_an_open_hazard():
    """P (linked) and Q (same code, other words) and T are escalated; R (closed before), S (other code),
    U (no case), V (no earlier hazard), W (rectified on the spot) are not."""
    ds = _ds()
    rid = ds.ledger["row_id"].tolist()
    got = _by_enterprise(ds, recheck_escalations(ds.items))
    assert got == {"P": (rid[1], "06-04"), "Q": (rid[3], "06-05"), "T": (rid[10], "07-02")}


def test_recheck_escalations_penalised_rows_chosen_by_the_caller():
    """Naming U's 复查 row as penalised (e.g. a 简易程序 fine) escalates U on 06-13; naming none, nobody."""
    ds = _ds()
    rid = ds.ledger["row_id"].tolist()
    got = _by_enterprise(ds, recheck_escalations(ds.items, penalised_rows={rid[12]}))
    assert got == {"U": (rid[12], "06-13")}
    assert recheck_escalations(ds.items, penalised_rows=set()).empty
    assert recheck_escalations(ds.items.iloc[0:0]).empty


def _rate(ds, period, scope, variant=None):
    config = None if variant is None else {"violation_handling_rate": {"variant": variant}}
    result = M.compute_metrics(ds, period, scope=scope, config=config)
    comp = result.components.loc[U]
    return (int(comp["handled_items"]), int(comp["case_items"]), int(comp["hazards_found"]),
            M._py(result.frame.at[U, "violation_handling_rate"]))


def test_violation_handling_rate_credits_the_recheck_case_by_the_scope_end():
    """May: 7 new hazards (P Q R S T U W), none 查处 by 05-31 -> 0/7. 1—6月: 12 hazards (the 7, plus the new
    items of the 复查 rows of Q, R 06-10, S, V, W, each on a case row = 5); 查处 = those 5 + P + Q = 7 ->
    58.33 (finding row only: 5/12 = 41.67). 1—7月: T too (07-02) -> 8/12 = 66.67."""
    ds = _ds()
    assert _rate(ds, "2024-05", "month") == (0, 0, 7, 0.0)
    assert _rate(ds, "2024-06", "ytd") == (7, 5, 12, 58.33)
    assert _rate(ds, "2024-06", "ytd", "case_items_per_hazard") == (7, 5, 12, 41.67)
    assert _rate(ds, "2024-07", "ytd") == (8, 5, 12, 66.67)
    # June alone: its 5 new items, all on case rows; P and Q are May's hazards, outside the month.
    assert _rate(ds, "2024-06", "month") == (5, 5, 5, 100.0)


def test_handled_items_never_exceed_hazards_and_sum_to_the_town():
    """handled_items <= hazards_found per unit, and the town's is the sum of the units'."""
    rows = [*ROWS, *[{**r, "unit": "乙村"} for r in ROWS]]
    ds = make_dataset(REGISTRY, rows, units=[U, "乙村"])
    result = M.compute_metrics(ds, "2024-07", scope="ytd")
    comp = result.components
    assert (comp["handled_items"] <= comp["hazards_found"]).all()
    assert int(result.components_total["handled_items"]) == int(comp["handled_items"].sum())
    assert pd.Series(result.frame["violation_handling_rate"]).between(0, 100).all()
