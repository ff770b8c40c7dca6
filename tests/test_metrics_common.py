"""Checks every registered metric must pass (sklearn test_common style): one test id per
metric and property. A metric added to evalkit.metrics.registry without an entry in the
hand-worked expectations below fails ``test_covered_by_the_hand_worked_fixture``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import evalkit.metrics.engine as M
from evalkit.audit import rules as audit_rules
from evalkit.intake import handling as vocabulary
from evalkit.metrics.registry import (
    AGGREGATIONS,
    REPORTED_COMBINE,
    MetricDef,
    ids_by_aggregation,
    list_metrics,
    metric_ids,
    register_metric,
    text_groups,
)
from fixtures_dataset import figures_row, inspection, make_dataset

METRICS = list_metrics()
IDS = [d.id for d in METRICS]
RATES = [d for d in METRICS if d.aggregation == "rate"]

# --------------------------------------------------------------------------- the fixture
# Registry: 甲村 E1 E2 E3 (3); 乙站 E4 (1); 丙村 none (0) -> town 4. X9 is unregistered.
REGISTRY = [("E1", "甲村"), ("E2", "甲村"), ("E3", "甲村"), ("E4", "乙站")]
UNITS = ["甲村", "乙站", "丙村"]
ROWS = [
    # r1 Jan 甲村 E1: 2 hazards (#1 rectified, #2 pending, closed by r2 on 02-05); case; 0.3 万元;
    #    停产整顿 (E1 suspended); 2 people to the police.
    inspection("甲村", "E1", "2024-01-10", ["通道堵塞", "灭火器过期"], ["已整改", "限期整改"], case_no="立1",
               fine=0.3, other="责令停产整顿；移送公安机关2人"),
    # r2 Feb 甲村 E1 复查: restates 灭火器过期 -> not a new hazard; closes r1 #2 on 02-05.
    inspection("甲村", "E1", "2024-02-05", ["灭火器过期"], ["已整改"], remarks="复查"),
    # r3 Feb 甲村 X9 (unregistered): 1 hazard rectified; 备注 举报.
    inspection("甲村", "X9", "2024-02-12", ["三合一"], ["已整改"], remarks="举报核查"),
    # r4 Feb 乙站 inspects E1 (甲村's): 1 hazard pending; case; 0.05 万元; 1 licence; blacklisted.
    inspection("乙站", "E1", "2024-02-20", ["电线老化"], ["整改中"], case_no="立2", fine=0.05,
               other="暂扣安全生产许可证；纳入失信黑名单"),
    # r5 Mar 乙站 E4: 1 hazard rectified; case; 0.125 万元; 提请关闭 + 联合惩戒.
    inspection("乙站", "E4", "2024-03-03", ["通道堵塞"], ["已整改"], case_no="立3", fine=0.125,
               other="提请关闭；联合惩戒"),
    # r6 Mar 甲村 E2: nothing found; referred to 市场监管局.
    inspection("甲村", "E2", "2024-03-15", other="移送市场监管局"),
    # r7 Feb 乙站 E4: 1 hazard ordered corrected, no case.
    inspection("乙站", "E4", "2024-02-22", ["消防车通道堵塞"], ["限期整改"]),
    # r8 Mar 乙站 E4 复查: r7's hazard 逾期未整改 (restated, not new), case 立4, 0.2 万元: r7's item is
    #    查处 from 03-20 on (escalated on its 复查 row), so in the ytd but not in February.
    inspection("乙站", "E4", "2024-03-20", ["消防车通道堵塞"], ["逾期未整改"], case_no="立4", fine=0.2,
               remarks="复查"),
]

# 附件2 as 甲村 submitted it (Q1 and Q2), and 丙村's February zeros (0 % written over 0).
_ZERO = dict(closure_requested=0, licenses_suspended=0, blacklisted=0, joint_punishment=0,
             criminal_referrals=0, referred_other=0, reports_verified=0, suspended=0, fines_wan=0)


def _fig(unit, period, kind, **values):
    return figures_row(unit, period, kind, **{**_ZERO, **values})


FIGS = [
    _fig("甲村", "2024-01", "本月数", supervised_total=3, inspected=1, coverage_rate=33.33, hazards_found=2,
         hazards_rectified=1, cases_filed=1, case_ratio=100, violation_handling_rate=100, suspended=1,
         fines_wan=0.3, criminal_referrals=2),
    _fig("甲村", "2024-02", "本月数", supervised_total=3, inspected=2, coverage_rate=33.33, hazards_found=1,
         hazards_rectified=1, cases_filed=0, case_ratio=0, violation_handling_rate=0, reports_verified=1),
    _fig("甲村", "2024-03", "本月数", supervised_total=3, inspected=1, coverage_rate=33.33, hazards_found=0,
         hazards_rectified=0, cases_filed=0, case_ratio=0, referred_other=1),  # 查处率 blank over 0 hazards
    _fig("甲村", "2024-03", "累计数", supervised_total=3, inspected=3, coverage_rate=66.67, hazards_found=3,
         hazards_rectified=3, cases_filed=1, case_ratio=33.33, violation_handling_rate=66.67, suspended=1,
         fines_wan=0.3, criminal_referrals=2, referred_other=1, reports_verified=1),
    _fig("甲村", "2024-04", "本月数", supervised_total=3, inspected=2, coverage_rate=66.67, hazards_found=2,
         hazards_rectified=1, cases_filed=1, case_ratio=50, violation_handling_rate=50, suspended=1,
         fines_wan=0.2, licenses_suspended=1, blacklisted=1),
    _fig("甲村", "2024-05", "本月数", supervised_total=3, inspected=2, coverage_rate=66.67, hazards_found=0,
         hazards_rectified=0, cases_filed=0, case_ratio=0),
    _fig("甲村", "2024-06", "本月数", supervised_total=4, inspected=3, coverage_rate=75, hazards_found=4,
         hazards_rectified=3, cases_filed=2, case_ratio=66.67, violation_handling_rate=25, suspended=1,
         fines_wan=0.5, closure_requested=1, joint_punishment=1),
    _fig("丙村", "2024-02", "本月数", supervised_total=0, inspected=0, coverage_rate=0, hazards_found=0,
         hazards_rectified=0, cases_filed=0, case_ratio=0, violation_handling_rate=0),
]


def village(extra_rows=(), extra_units=()):
    """The fixture above, optionally with more rows and units."""
    return make_dataset(REGISTRY, [*ROWS, *extra_rows], units=[*UNITS, *extra_units], figures=FIGS)


# --------------------------------------------------------------------------- worked by hand
# Ledger source, (甲村, 乙站, 丙村, 全镇合计): "feb" = 2024-02 month (r2 r3 r4), "ytd" = January to
# March (r1..r6). 丙村 has nothing, so every rate over it is None.
EXPECTED = {
    "supervised_total": {"feb": (3, 1, 0, 4), "ytd": (3, 1, 0, 4)},
    # feb: 甲 {E1, X9}; 乙 {E1, E4}; town union {E1, X9, E4} = 3, not 2 + 2.
    # ytd: 甲 {E1, X9, E2} (E1 in Jan and Feb once); 乙 {E1, E4}; town {E1, X9, E2, E4} = 4, not 5.
    "inspected": {"feb": (2, 2, 0, 3), "ytd": (3, 2, 0, 4)},
    # own-registry enterprises: feb 甲 {E1} 1/3, 乙 {E4} 1/1 (E1 is not its own), town {E1, E4} 2/4;
    # ytd 甲 {E1, E2} 2/3, 乙 {E4} 1/1, town {E1, E2, E4} 3/4.
    "coverage_rate": {"feb": (33.33, 100.0, None, 50.0), "ytd": (66.67, 100.0, None, 75.0)},
    # feb: 甲 r2 0 (restated) + r3 1; 乙 r4 1 + r7 1. ytd: 甲 2 + 0 + 1 + 0 = 3; 乙 1 + 1 + 1 (+ r8 0, restated) = 3.
    "hazards_found": {"feb": (1, 2, 0, 3), "ytd": (3, 3, 0, 6)},
    # feb: 甲 r3 1 (r2 closes a January hazard, outside the scope); 乙 pending 0.
    # ytd: 甲 r1#1 + r1#2 (closed 02-05) + r3 = 3; 乙 r5 1 (r7 still open); town 4.
    "hazards_rectified": {"feb": (1, 0, 0, 1), "ytd": (3, 1, 0, 4)},
    # feb 1/1, 0/2, None, 1/3; ytd 3/3, 1/3, None, 4/6.
    "rectification_rate": {"feb": (100.0, 0.0, None, 33.33), "ytd": (100.0, 33.33, None, 66.67)},
    # feb: 乙 {E1}. ytd: 甲 {E1}; 乙 {E1, E4}; town union {E1, E4} = 2, not 3.
    "cases_filed": {"feb": (0, 1, 0, 1), "ytd": (1, 2, 0, 2)},
    # feb 0/2, 1/2, None, 1/3; ytd 1/3, 2/2, None, 2/4.
    "case_ratio": {"feb": (0.0, 50.0, None, 33.33), "ytd": (33.33, 100.0, None, 50.0)},
    # 查处 items (case on the finding row, or on a later 复查 row by the scope's end) / hazards:
    # feb 甲 0/1, 乙 r4 1 of 2 (r7's 复查 case is dated 03-20, after February), None, 1/3;
    # ytd 甲 r1 2/3, 乙 r4 + r5 + r7 (escalated by r8) 3/3, town 5/6 (the old reading: 乙 2/3, 4/6).
    "violation_handling_rate": {"feb": (0.0, 50.0, None, 33.33), "ytd": (66.67, 100.0, None, 83.33)},
    "suspended": {"feb": (0, 0, 0, 0), "ytd": (1, 0, 0, 1)},  # r1 E1
    # feb 乙 0.05; ytd 甲 0.3, 乙 0.05 + 0.125 + 0.2 = 0.375, town 0.675.
    "fines_wan": {"feb": (0.0, 0.05, 0.0, 0.05), "ytd": (0.3, 0.375, 0.0, 0.675)},
    "closure_requested": {"feb": (0, 0, 0, 0), "ytd": (0, 1, 0, 1)},  # r5 E4
    "licenses_suspended": {"feb": (0, 1, 0, 1), "ytd": (0, 1, 0, 1)},  # r4
    "blacklisted": {"feb": (0, 1, 0, 1), "ytd": (0, 1, 0, 1)},  # r4 E1
    "joint_punishment": {"feb": (0, 0, 0, 0), "ytd": (0, 1, 0, 1)},  # r5 E4
    "criminal_referrals": {"feb": (0, 0, 0, 0), "ytd": (2, 0, 0, 2)},  # r1 2人
    "referred_other": {"feb": (0, 0, 0, 0), "ytd": (1, 0, 0, 1)},  # r6
    "reports_verified": {"feb": (1, 0, 0, 1), "ytd": (1, 0, 0, 1)},  # r3
}

# Reported source, 甲村, (2024Q1, 2024Q2), from FIGS by each metric's reported_combine.
# Q1 starts in January: 家 columns from March's 累计数. Q2 does not: 家 columns None.
EXPECTED_REPORTED = {
    "supervised_total": (3, 4),  # latest: March 3; June 4
    "inspected": (3, None),  # March 累计数 3 (1 + 2 + 1 = 4 would count E1 twice); Q2 not derivable
    "coverage_rate": (100.0, None),  # 3/3; Q2 over an undefined numerator
    "hazards_found": (3, 6),  # 2 + 1 + 0; 2 + 0 + 4
    "hazards_rectified": (3, None),  # March 累计数 3 (Σ 1 + 1 + 0 = 2 is a lower bound); Q2 not derivable
    "rectification_rate": (100.0, None),  # 3/3; Q2 over an undefined numerator
    "cases_filed": (1, None),  # March 累计数
    "case_ratio": (33.33, None),  # 1/3
    # rebuilt numerators: Q1 100%×2 + 0%×1 + 0 (no hazards in March) = 2 of 3;
    # Q2 50%×2 + 0 (none in May) + 25%×4 = 2 of 6 = 33.333
    "violation_handling_rate": (66.67, 33.33),
    "suspended": (1, None),
    "fines_wan": (0.3, 0.7),  # 0.3 + 0 + 0; 0.2 + 0 + 0.5
    "closure_requested": (0, None),
    "licenses_suspended": (0, 1),
    "blacklisted": (0, None),
    "joint_punishment": (0, None),
    "criminal_referrals": (2, 0),
    "referred_other": (1, 0),
    "reports_verified": (1, 0),
}


def _py(v):
    return M._py(v)


def _values(result, metric_id):
    return (*[_py(result.frame.at[u, metric_id]) for u in UNITS], _py(result.total[metric_id]))


@pytest.fixture(scope="module")
def engine():
    return M.MetricsEngine(village())


# --------------------------------------------------------------------------- per metric
@pytest.mark.parametrize("defn", METRICS, ids=IDS)
def test_documented(defn: MetricDef):
    """Chinese name, formula, plan clause, rounding, group; the function docstring and docs/metrics.md say them."""
    assert re.search(r"[\u4e00-\u9fff]", defn.name_zh)
    assert defn.formula and defn.unit and defn.rounding and defn.group
    assert re.search(r"方案|附件", defn.clause)
    assert defn.higher_is_better in (True, False, None)
    assert defn.aggregation in AGGREGATIONS and defn.reported_combine in REPORTED_COMBINE
    doc = getattr(M, defn.id).__doc__
    for part in (defn.formula, defn.clause, defn.rounding, defn.aggregation, defn.reported_combine):
        assert part in doc, part
    assert ("不适用" in doc) if defn.kind == "rate" else (">= 0" in doc)
    docs = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    row = next(line for line in docs.splitlines() if line.startswith(f"| `{defn.id}` |"))
    assert defn.formula in row and defn.clause in row
    assert f"`{defn.aggregation}`" in row and f"`{defn.reported_combine}`" in row


@pytest.mark.parametrize("defn", METRICS, ids=IDS)
def test_covered_by_the_hand_worked_fixture(defn: MetricDef, engine):
    """The metric equals the hand-worked values (ledger: Feb month, ytd March; reported: 甲村 Q1, Q2)."""
    assert defn.id in EXPECTED and defn.id in EXPECTED_REPORTED, f"{defn.id} 没有手算用例"
    assert _values(engine.compute("2024-02"), defn.id) == EXPECTED[defn.id]["feb"]
    assert _values(engine.compute("2024-03", scope="ytd"), defn.id) == EXPECTED[defn.id]["ytd"]
    q1, q2 = (_py(engine.compute(q, source="reported").frame.at["甲村", defn.id]) for q in ("2024Q1", "2024Q2"))
    assert (q1, q2) == EXPECTED_REPORTED[defn.id]


@pytest.mark.parametrize("defn", METRICS, ids=IDS)
def test_value_range(defn: MetricDef, engine):
    """Every value, per unit and town, every scope and source: rates in [0, 100], others >= 0, or None."""
    runs = [("2024-02", None, "ledger"), ("2024-03", "ytd", "ledger"), ("2024Q1", None, "ledger"),
            ("2024-02", None, "reported"), ("2024Q1", None, "reported"), ("2024Q2", None, "reported")]
    for period, scope, source in runs:
        result = engine.compute(period, scope=scope, source=source)
        for v in [*result.frame[defn.id], result.total[defn.id]]:
            v = _py(v)
            assert v is None or (0 <= v <= 100 if defn.kind == "rate" else v >= 0), (period, source, v)


@pytest.mark.parametrize("defn", RATES, ids=[d.id for d in RATES])
def test_rate_is_none_over_a_zero_denominator(defn: MetricDef, engine):
    """A zero denominator gives None (不适用), never 0 or 100: ledger components and a submitted 0 %."""
    result = engine.compute("2024-03", scope="ytd")
    zero = [u for u in UNITS if result.components.at[u, defn.denominator] == 0]
    assert zero, "the fixture needs a unit with a zero denominator"  # 丙村
    assert all(_py(result.frame.at[u, defn.id]) is None for u in zero)
    reported = engine.compute("2024-02", source="reported")  # 丙村 wrote 0 % over 0
    assert _py(reported.frame.at["丙村", defn.id]) is None


@pytest.mark.parametrize("defn", METRICS, ids=IDS)
def test_ytd_combines_months_by_aggregation(defn: MetricDef, engine):
    """ytd March from the months: sum = Σ months (a closing count: Σ <= ytd <= its target's ytd);
    distinct: max <= ytd <= Σ; stock: every month the same; rate: from the ytd components."""
    months = [engine.compute(f"2024-{m:02d}").table()[defn.id] for m in (1, 2, 3)]
    ytd_result = engine.compute("2024-03", scope="ytd")
    ytd = ytd_result.table()[defn.id]
    for key in ytd.index:
        vals, y = [_py(m[key]) for m in months], _py(ytd[key])
        if defn.aggregation == "sum" and defn.closes is None:
            assert y == pytest.approx(sum(vals), abs=1e-9), key
        elif defn.aggregation == "sum":
            assert sum(vals) <= y <= _py(ytd_result.table().at[key, defn.closes]), key
        elif defn.aggregation == "distinct":
            assert max(vals) <= y <= sum(vals), key
        elif defn.aggregation == "stock":
            assert vals == [y] * 3, key
        else:
            comp = ytd_result.components_total if key == M.TOTAL_LABEL else ytd_result.components.loc[key]
            assert y == M.rate(comp[defn.numerator], comp[defn.denominator]), key


@pytest.mark.parametrize("defn", METRICS, ids=IDS)
def test_town_total_is_the_sum_or_the_distinct_union(defn: MetricDef):
    """Total = Σ units (sum, stock) or the union of enterprises (distinct: a unit repeating 乙站's
    inspections adds nothing to it); a rate comes from the total's components."""
    mirror = [{**r, "unit": "镜站"} for r in ROWS if r["unit"] == "乙站"]
    base = M.compute_metrics(village(), "2024-03", scope="ytd")
    more = M.compute_metrics(village(mirror, ["镜站"]), "2024-03", scope="ytd")
    col, total = more.frame[defn.id], _py(more.total[defn.id])
    if defn.aggregation in ("sum", "stock"):
        assert total == pytest.approx(float(col.sum()), abs=1e-9)
    elif defn.aggregation == "distinct":
        assert total == _py(base.total[defn.id])  # 镜站's enterprises are already in the union
        assert _py(col["镜站"]) == _py(col["乙站"])
    else:
        comp = more.components_total
        assert total == M.rate(comp[defn.numerator], comp[defn.denominator])


# --------------------------------------------------------------------------- derived lists
def test_lists_elsewhere_are_derived_from_the_registry():
    """The audit's column lists, the handling metrics and the text groups follow the definitions."""
    assert [c.key for c in audit_rules.COMPARED] == [d.id for d in METRICS if d.on_form]
    assert [c.key for c in audit_rules.ADDITIVE] == ids_by_aggregation("sum", on_form=True)
    assert [c.key for c in audit_rules.DISTINCT] == ids_by_aggregation("distinct", on_form=True)
    assert audit_rules.CLOSING == {"hazards_rectified": "hazards_found"}
    assert M.HANDLING_METRICS == vocabulary.HANDLING_METRICS == {d.id: d.unit for d in METRICS if d.handling}
    assert [i for _, ids in text_groups() for i in ids] == metric_ids()
    assert set(M.__all__) >= set(metric_ids())


@pytest.mark.parametrize(("change", "message"), [
    ({"unit": "家"}, "家"),  # a 家 count must be distinct or stock
    ({"aggregation": "distinct"}, "不一致"),  # kind count with distinct aggregation
    ({"reported_combine": "recompute"}, "recompute"),
    ({"handling": True}, "词条"),  # no vocabulary reads it
    ({"closes": "nothing"}, "closes"),
])
def test_an_inconsistent_definition_is_refused(change, message):
    """register_metric rejects a definition whose declarations contradict each other."""
    base = dict(id="x_count", name_zh="某数", formula="某项之和", unit="件", higher_is_better=True,
                clause="附件2", kind="count", component="reports_verified")
    with pytest.raises(ValueError, match=message):
        register_metric(MetricDef(**{**base, **change}))
    assert "x_count" not in metric_ids()
