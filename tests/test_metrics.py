"""evalkit.metrics.engine: every metric on a hand-worked town, rounding, scopes, config, sources, CLI."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import evalkit.metrics.engine as M
from evalkit.cli import main
from evalkit.core.forms import FIGURES
from evalkit.exceptions import ConfigError, ParameterError, UnknownMetricError
from evalkit.metrics.engine import (
    TOTAL_LABEL,
    MetricDef,
    MetricsEngine,
    compute_metrics,
    get_metric,
    list_metrics,
    load_config,
    metric_ids,
    money_wan,
    rate,
    register_metric,
    round_half_up,
)
from fixtures_dataset import figures_row, inspection, make_dataset

# --------------------------------------------------------------------------- the hand-worked town
# Registry (supervised_total): 石壁村 A厂 B厂 C厂 D厂 (4); 锦里村 E厂 F厂 G厂 (3);
# 综合执法队 H工地 (1); 古山村 I厂 J厂 (2) -> town 10.
REGISTRY = [("A厂", "石壁村"), ("B厂", "石壁村"), ("C厂", "石壁村"), ("D厂", "石壁村"),
            ("E厂", "锦里村"), ("F厂", "锦里村"), ("G厂", "锦里村"), ("H工地", "综合执法队"),
            ("I厂", "古山村"), ("J厂", "古山村")]
UNITS = ["石壁村", "锦里村", "综合执法队", "古山村"]
ROWS = [
    # April
    # r0 石壁村 A厂: 2 hazards; #1 rectified, #2 pending (closed by the 复查 r2 on 05-08).
    inspection("石壁村", "A厂", "2024-04-10", ["疏散通道堵塞", "灭火器过期"], ["已整改", "限期整改"]),
    # r1 锦里村 E厂: 1 hazard pending; case; 0.5 万元; 停产整顿 (E厂 suspended).
    inspection("锦里村", "E厂", "2024-04-12", ["三合一"], ["限期整改"], case_no="狮蚶应急立〔2024〕1号",
               fine=0.5, other="责令停产整顿"),
    # May
    # r2 石壁村 A厂 复查: restates 灭火器过期 -> linked, not a new hazard; closes r0 #2 on 05-08.
    inspection("石壁村", "A厂", "2024-05-08", ["灭火器过期"], ["已整改"], remarks="复查（原检查2024-04-10）"),
    # r3 石壁村 B厂: 3 hazards (rectified, pending, overdue); case; 1.2 万元; 2 people to police,
    #    2 certificates; 备注 mentions 举报.
    inspection("石壁村", "B厂", "2024-05-09", ["电线私拉乱接", "未开展培训", "特种作业无证"],
               ["已整改", "整改中", "逾期未整改"], case_no="狮蚶应急立〔2024〕5号", fine=1.2,
               other="移送公安机关2人；暂扣特种作业操作证2本", remarks="群众举报核查"),
    # r4 石壁村 Z店 (not in the registry): inspected, nothing found.
    inspection("石壁村", "Z店", "2024-05-10"),
    # r5 锦里村 E厂 again: 1 hazard rectified; case; 0.125 万元; blacklisted and suspended (again).
    inspection("锦里村", "E厂", "2024-05-15", ["消防设施缺失"], ["已整改"], case_no="狮蚶应急立〔2024〕6号",
               fine=0.125, other="纳入失信黑名单；责令停产停业整顿"),
    # r6 锦里村 inspects A厂 (石壁村's enterprise): 1 hazard rectified on the spot; referral; 联合惩戒.
    inspection("锦里村", "A厂", "2024-05-16", ["堆放杂物"], ["当场整改"], other="移送市场监管局；联合惩戒"),
    # r7 综合执法队 H工地: 2 hazards not rectified; case; 2.0 万元; 停止施工 + 提请关闭 + 移交住建.
    inspection("综合执法队", "H工地", "2024-05-20", ["高处作业无防护", "脚手架不合格"], ["未整改", "未整改"],
               case_no="狮蚶综执立〔2024〕2号", fine=2.0, other="责令停止施工，提请关闭；移交住建部门"),
    # r8 综合执法队 inspects A厂 after a report: nothing found.
    inspection("综合执法队", "A厂", "2024-05-21", remarks="举报核查，未发现问题"),
]


def town():
    """The hand-worked town above (古山村 has no inspections)."""
    return make_dataset(REGISTRY, ROWS, units=UNITS)


# Expected values, worked out by hand from ROWS: (石壁村, 锦里村, 综合执法队, 古山村, 全镇合计).
# 2024-05, scope month. Rows r2..r8.
EXPECTED_MAY = {
    "supervised_total": (4, 3, 1, 2, 10),
    # 石壁 {A,B,Z}; 锦里 {E,A}; 综执 {H,A}; town union {A,B,Z,E,H} = 5 (not 3+2+2 = 7)
    "inspected": (3, 2, 2, 0, 5),
    # in own registry: 石壁 {A,B} 2/4; 锦里 {E} 1/3; 综执 {H} 1/1; 古山 0/2; town {A,B,E,H} 4/10
    "coverage_rate": (50.0, 33.33, 100.0, 0.0, 40.0),
    # 石壁 r2 linked (0) + r3 3; 锦里 r5 1 + r6 1; 综执 r7 2; town 7
    "hazards_found": (3, 2, 2, 0, 7),
    # 石壁 r3 #1; 锦里 r5 + r6 (当场整改); 综执 none; town 3
    "hazards_rectified": (1, 2, 0, 0, 3),
    # 1/3 = 33.333; 2/2; 0/2 = 0.00 (defined); 0/0 None; 3/7 = 42.857
    "rectification_rate": (33.33, 100.0, 0.0, None, 42.86),
    # 石壁 {B}; 锦里 {E}; 综执 {H}; town 3
    "cases_filed": (1, 1, 1, 0, 3),
    # 1/3; 1/2; 1/2; 0/0 None; 3/5
    "case_ratio": (33.33, 50.0, 50.0, None, 60.0),
    # new items on case rows / hazards: 3/3; 1/2; 2/2; None; 6/7 = 85.714
    "violation_handling_rate": (100.0, 50.0, 100.0, None, 85.71),
    # 锦里 {E}; 综执 {H} (停止施工); town {E,H}
    "suspended": (0, 1, 1, 0, 2),
    # 1.2; 0.125; 2.0; 0; 1.2 + 0.125 + 2.0 = 3.325
    "fines_wan": (1.2, 0.125, 2.0, 0.0, 3.325),
    "closure_requested": (0, 0, 1, 0, 1),
    "licenses_suspended": (2, 0, 0, 0, 2),
    "blacklisted": (0, 1, 0, 0, 1),
    "joint_punishment": (0, 1, 0, 0, 1),
    "criminal_referrals": (2, 0, 0, 0, 2),
    # 锦里 移送市场监管局; 综执 移交住建部门
    "referred_other": (0, 1, 1, 0, 2),
    # 备注 with 举报: r3 (石壁), r8 (综执)
    "reports_verified": (1, 0, 1, 0, 2),
}

# 2024-05, scope ytd (January–May): rows r0..r8.
EXPECTED_YTD = {
    "supervised_total": (4, 3, 1, 2, 10),
    # A厂 inspected by 石壁村 in April and May counts once: 石壁 {A,B,Z} = 3
    "inspected": (3, 2, 2, 0, 5),
    "coverage_rate": (50.0, 33.33, 100.0, 0.0, 40.0),
    # 石壁 r0 2 + r3 3 = 5; 锦里 r1 1 + r5 1 + r6 1 = 3; 综执 2; town 10
    "hazards_found": (5, 3, 2, 0, 10),
    # 石壁 r0#1 + r0#2 (closed 05-08 <= 05-31) + r3#1 = 3; 锦里 r5 + r6 = 2; town 5
    "hazards_rectified": (3, 2, 0, 0, 5),
    # 3/5; 2/3 = 66.667; 0/2; None; 5/10
    "rectification_rate": (60.0, 66.67, 0.0, None, 50.0),
    # E厂 filed in April and May counts once
    "cases_filed": (1, 1, 1, 0, 3),
    "case_ratio": (33.33, 50.0, 50.0, None, 60.0),
    # 石壁 3/5; 锦里 (r1 1 + r5 1)/3 = 66.667; 综执 2/2; town 7/10
    "violation_handling_rate": (60.0, 66.67, 100.0, None, 70.0),
    # E厂 suspended in April and May counts once
    "suspended": (0, 1, 1, 0, 2),
    # 锦里 0.5 + 0.125 = 0.625; town 1.2 + 0.625 + 2.0 = 3.825
    "fines_wan": (1.2, 0.625, 2.0, 0.0, 3.825),
    "closure_requested": (0, 0, 1, 0, 1),
    "licenses_suspended": (2, 0, 0, 0, 2),
    "blacklisted": (0, 1, 0, 0, 1),
    "joint_punishment": (0, 1, 0, 0, 1),
    "criminal_referrals": (2, 0, 0, 0, 2),
    "referred_other": (0, 1, 1, 0, 2),
    "reports_verified": (1, 0, 1, 0, 2),
}


def _observed(result, metric_id):
    return (*[result.frame.at[u, metric_id] for u in UNITS], result.total[metric_id])


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b)


@pytest.mark.parametrize("scope,expected", [("month", EXPECTED_MAY), ("ytd", EXPECTED_YTD)])
@pytest.mark.parametrize("metric_id", list(EXPECTED_MAY))
def test_every_metric_matches_the_hand_worked_town(metric_id, scope, expected):
    """Each metric, per unit and for the town, equals the value worked out by hand."""
    result = compute_metrics(town(), "2024-05", scope=scope)
    got = tuple(M._py(v) for v in _observed(result, metric_id))
    assert all(_same(g, e) for g, e in zip(got, expected[metric_id], strict=True)), (got, expected[metric_id])


def test_a_recheck_closure_after_the_scope_end_does_not_count():
    """In April, A厂's 灭火器过期 is still open (closed 05-08): 石壁村 rectified 1 of 2 = 50.00."""
    result = compute_metrics(town(), "2024-04")
    assert result.frame.at["石壁村", "hazards_rectified"] == 1
    assert result.frame.at["石壁村", "rectification_rate"] == 50.0
    # town in April: 石壁 2 hazards + 锦里 1 = 3; rectified 1 -> 33.33
    assert result.total["rectification_rate"] == 33.33


def test_a_summary_procedure_fine_is_a_penalty_in_the_handling_rate():
    """行政处罚法第五十一条: A厂's 2 hazards fined 0.2 万元 on the spot (简易程序, no case) are 查处; B厂's
    0.5 万元 "简易程序" exceeds the 0.3 万元 limit on an organisation (not one); C厂's 0.02 万元 on a citizen
    is within 200 元; D厂 only ordered. 查处 2 + 0 + 1 + 0 = 3 of 2 + 1 + 1 + 1 = 5 hazards: 60.00."""
    h2, h1 = ["灭火器过期", "疏散通道堵塞"], ["灭火器过期"]
    rows = [inspection("石壁村", "A厂", "2024-05-03", h2, ["已整改", "已整改"], fine=0.2, other="简易程序当场处罚"),
            inspection("石壁村", "B厂", "2024-05-04", h1, ["已整改"], fine=0.5, other="简易程序当场处罚"),
            inspection("石壁村", "C厂", "2024-05-05", h1, ["已整改"], fine=0.02,
                       remarks="适用简易程序，对个人当场罚款"),
            inspection("石壁村", "D厂", "2024-05-06", h1, ["限期整改"])]
    ds = make_dataset([(e, "石壁村") for e in ("A厂", "B厂", "C厂", "D厂")], rows)
    result = compute_metrics(ds, "2024-05")
    comp = result.components.loc["石壁村"]
    assert (int(comp["handled_items"]), int(comp["case_items"]), int(comp["hazards_found"])) == (3, 0, 5)
    assert int(comp["case_handled_items"]) == 0
    assert result.frame.at["石壁村", "violation_handling_rate"] == 60.0
    # the readings a unit's 附件2 may follow: coverage by the printed formula 4/4; 查处率 by each variant
    # (3/5; 立案 only 0/5; case rows 0/5; cases among violating 0/4; per order 0/4)
    assert result.readings("石壁村") == {"coverage_rate": [100.0],
                                         "violation_handling_rate": [60.0, 0.0, 0.0, 0.0, 0.0]}


def test_ytd_counts_an_enterprise_inspected_in_two_months_once():
    """A厂 inspected in April and May: 1 + 1 in the months, 1 in the ytd (inspected, 家)."""
    ds = make_dataset([("A厂", "石壁村")], [inspection("石壁村", "A厂", "2024-04-03"),
                                            inspection("石壁村", "A厂", "2024-05-03")])
    april = compute_metrics(ds, "2024-04").frame.at["石壁村", "inspected"]
    may = compute_metrics(ds, "2024-05").frame.at["石壁村", "inspected"]
    ytd = compute_metrics(ds, "2024-05", scope="ytd").frame.at["石壁村", "inspected"]
    assert (april, may, ytd) == (1, 1, 1)


def test_quarter_scope_covers_april_to_june():
    """2024Q2 on data of April and May only equals the January–May ytd."""
    q2 = compute_metrics(town(), "2024Q2").to_dict()
    ytd = compute_metrics(town(), "2024-05", scope="ytd").to_dict()
    assert (q2["period"], q2["scope"]) == ("2024Q2", "quarter")
    assert q2["units"] == ytd["units"] and q2["total"] == ytd["total"]


def test_period_attribution_follows_the_form_month_not_the_inspection_date():
    """A row dated 04-30 but submitted on the May form counts in May, not April."""
    ds = make_dataset([("A厂", "石壁村")], [inspection("石壁村", "A厂", "2024-04-30", period="2024-05")])
    assert compute_metrics(ds, "2024-05").frame.at["石壁村", "inspected"] == 1
    assert compute_metrics(ds, "2024-04").frame.at["石壁村", "inspected"] == 0


# --------------------------------------------------------------------------- rounding and None
@pytest.mark.parametrize(("num", "den", "expected"), [
    (1, 3, 33.33), (2, 3, 66.67), (1, 8, 12.5),
    (1, 800, 0.13),  # 0.125 -> 0.13 half-up (Python's round gives 0.12)
    (5, 400, 1.25), (1, 6, 16.67), (0, 5, 0.0), (7, 7, 100.0),
])
def test_rate_rounds_half_up_to_two_decimals(num, den, expected):
    """rate() = num/den × 100 with ROUND_HALF_UP at 2 decimals."""
    assert rate(num, den) == expected


@pytest.mark.parametrize(("num", "den"), [(0, 0), (3, 0), (None, 4), (4, None), (float("nan"), 2)])
def test_rate_with_zero_or_unknown_denominator_is_none(num, den):
    """A zero denominator or a missing side gives None (不适用), never 0 or 100."""
    assert rate(num, den) is None


def test_round_half_up_differs_from_python_round():
    """0.125 -> 0.13 and 2.675 -> 2.68 (round() gives 0.12 and 2.67); 0.12345 -> 0.1235 at 4 d.p."""
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(2.675, 2) == 2.68
    assert round_half_up(0.12345, 4) == 0.1235
    assert round_half_up(None, 2) is None


def test_money_is_summed_exactly_and_rounded_half_up_to_four_decimals():
    """Fines 0.12345 + 0.1 + 0.2 万元 = 0.42345 -> 0.4235 (float sums would drift)."""
    ds = make_dataset([("A厂", "石壁村")], [
        inspection("石壁村", "A厂", "2024-05-01", case_no="立1", fine=0.12345),
        inspection("石壁村", "A厂", "2024-05-02", case_no="立2", fine=0.1),
        inspection("石壁村", "A厂", "2024-05-03", case_no="立3", fine=0.2),
    ])
    assert compute_metrics(ds, "2024-05").total["fines_wan"] == 0.4235
    assert money_wan(125_000) == 0.125
    assert money_wan(50) == 0.0001  # 0.00005 万元 rounds half-up


def test_zero_denominators_give_none_in_frame_json_and_text():
    """A unit with no registry enterprises and no inspections: rates None, JSON null, text 不适用."""
    ds = make_dataset([("A厂", "石壁村")], [inspection("石壁村", "A厂", "2024-05-02")],
                      units=["石壁村", "消防救援站"])
    result = compute_metrics(ds, "2024-05")
    row = result.to_dict()["units"]["消防救援站"]
    assert row["supervised_total"] == 0 and row["inspected"] == 0
    for rid in ("coverage_rate", "rectification_rate", "case_ratio", "violation_handling_rate"):
        assert row[rid] is None
        assert pd.isna(result.frame.at["消防救援站", rid])
    line = next(x for x in result.to_text().splitlines() if x.startswith("消防救援站"))
    assert "不适用" in line
    assert json.loads(json.dumps(result.to_dict()))["units"]["消防救援站"]["coverage_rate"] is None


def test_a_unit_without_data_gets_zero_counts():
    """古山村 (no inspections) is listed with 0 for counts and its registry supervised_total."""
    result = compute_metrics(town(), "2024-05")
    assert list(result.frame.index) == UNITS
    row = result.to_dict()["units"]["古山村"]
    assert row["supervised_total"] == 2
    assert all(row[d.id] == 0 for d in list_metrics() if d.kind in ("count", "distinct") and d.id != "supervised_total")


def test_an_empty_ledger_and_an_empty_unit_list_do_not_fail():
    """No inspections: counts 0, 检查覆盖率 0.00 (1 registered, 0 inspected), other rates None;
    no units at all: only the 全镇合计 row, with None rates."""
    empty = compute_metrics(make_dataset([("A厂", "石壁村")], []), "2024-05").to_dict()
    assert empty["total"]["inspected"] == 0 and empty["total"]["coverage_rate"] == 0.0
    assert empty["total"]["case_ratio"] is None
    none = compute_metrics(make_dataset([], [], units=[]), "2024")
    assert none.to_dict()["units"] == {} and none.total["coverage_rate"] is None
    assert "全镇合计" in none.to_text()


def test_rows_of_an_unlisted_unit_are_ignored():
    """Ledger rows of a unit not in Dataset.units count nowhere, not even in the total."""
    ds = make_dataset([("A厂", "石壁村")], [inspection("石壁村", "A厂", "2024-05-02"),
                                            inspection("外来单位", "B厂", "2024-05-02")], units=["石壁村"])
    result = compute_metrics(ds, "2024-05")
    assert list(result.frame.index) == ["石壁村"] and result.total["inspected"] == 1


# --------------------------------------------------------------------------- config
VARIANT_CASES = [
    # May. per violating enterprise: 石壁 {B}/{B}; 锦里 {E}/{E,A}; 综执 {H}/{H}; town {B,E,H}/{A,B,E,H}
    ("cases_per_violating_enterprise", "month", (100.0, 50.0, 100.0, None, 75.0)),
    # ytd: 石壁 {B}/{A,B} = 50; 锦里 {E}/{E,A}; 综执 1/1; town 3/4
    ("cases_per_violating_enterprise", "ytd", (50.0, 50.0, 100.0, None, 75.0)),
    # ytd per 责令整改 (rows with a new hazard): 石壁 1/(r0,r3); 锦里 1/(r1,r5,r6) = 33.33;
    # 综执 1/(r7); town 3/6
    ("cases_per_rectification_order", "ytd", (50.0, 33.33, 100.0, None, 50.0)),
    # 立案 only: no 简易程序 fine in this town, so the default's values (EXPECTED_YTD)
    ("case_handled_items_per_hazard", "ytd", (60.0, 66.67, 100.0, None, 70.0)),
]


@pytest.mark.parametrize(("variant", "scope", "expected"), VARIANT_CASES)
def test_violation_handling_rate_alternatives_are_selected_by_config(variant, scope, expected):
    """The YAML option violation_handling_rate.variant switches the formula; values by hand."""
    result = compute_metrics(town(), "2024-05", scope=scope, config={"violation_handling_rate": {"variant": variant}})
    assert tuple(M._py(v) for v in _observed(result, "violation_handling_rate")) == expected
    assert result.definitions["violation_handling_rate"].formula == M.VIOLATION_HANDLING_VARIANTS[variant][2]


def test_config_file_selects_a_variant(tmp_path):
    """A user YAML holding only the changed key is merged over the packaged defaults."""
    path = tmp_path / "m.yaml"
    path.write_text("violation_handling_rate:\n  variant: cases_per_violating_enterprise\n", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.violation_handling_rate == "cases_per_violating_enterprise"
    assert cfg.reports_verified_ledger == "remarks"
    assert compute_metrics(town(), "2024-05", config=path).total["violation_handling_rate"] == 75.0


def test_packaged_defaults_are_the_documented_ones():
    """Without --config: 被查处的隐患项数（含复查行立案）/ 排查隐患数, and 举报 read from 备注."""
    cfg = load_config(None)
    assert (cfg.violation_handling_rate, cfg.reports_verified_ledger) == ("handled_items_per_hazard", "remarks")
    assert next(iter(M.VIOLATION_HANDLING_VARIANTS)) == cfg.violation_handling_rate


@pytest.mark.parametrize(("text", "match"), [
    ("violation_handling_rate:\n  variant: 立案率\n", "violation_handling_rate.variant"),
    ("colour: red\n", "未知的键"),
    ("violation_handling_rate:\n  variantt: x\n", "未知的键"),
    ("reports_verified:\n  ledger: guess\n", "reports_verified.ledger"),
    ("- a\n- b\n", "映射"),
    ("a: [1\n", "YAML"),
])
def test_invalid_config_raises_config_error(tmp_path, text, match):
    """Bad values, unknown keys, non-mappings and broken YAML raise ConfigError naming the problem."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_config(path)


def test_missing_config_file_raises_config_error(tmp_path):
    """A --config path that does not exist is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="不存在"):
        load_config(tmp_path / "nope.yaml")


def test_reports_verified_can_be_switched_off():
    """reports_verified.ledger: none -> None for every unit and the town."""
    result = compute_metrics(town(), "2024-05", config={"reports_verified": {"ledger": "none"}})
    assert result.frame["reports_verified"].isna().all() and result.total["reports_verified"] is None


# --------------------------------------------------------------------------- registry and sweep
def test_unknown_metric_lists_the_valid_ids():
    """get_metric('x') raises UnknownMetricError whose message lists every valid id."""
    with pytest.raises(UnknownMetricError, match="coverage_rate") as info:
        get_metric("覆盖率")
    assert info.value.known == metric_ids()


def test_registering_an_id_twice_is_refused():
    """A second definition with an existing id is rejected."""
    with pytest.raises(ValueError, match="已注册"):
        register_metric(get_metric("inspected"))


def test_a_definition_must_name_known_components(monkeypatch):
    """A new rate over an unknown component is refused before it is registered."""
    monkeypatch.setattr(M, "_REGISTRY", dict(M._REGISTRY))
    bad = MetricDef("x_rate", "某率", "a / b", "%", True, "附件2", "rate", numerator="a", denominator="b")
    with pytest.raises(ValueError, match="未知的组成量"):
        register_metric(bad)


def test_every_form_column_is_a_metric_in_form_order():
    """The 附件2 columns are metrics in the form's order; 隐患整改率 sits after 隐患整改数."""
    form_ids = [k for k in FIGURES.keys if k != "label"]
    ids = metric_ids()
    assert [i for i in ids if i != "rectification_rate"] == form_ids
    assert ids.index("rectification_rate") == ids.index("hazards_rectified") + 1


def test_every_registered_metric_is_documented_and_hand_tested():
    """Sweep (sklearn test_common style): docs, Chinese name, formula, clause, rounding, a
    same-named function, and an entry in the hand-worked expectations."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for d in list_metrics():
        assert cjk.search(d.name_zh), d.id
        assert d.formula and d.clause and d.unit and d.rounding, d.id
        assert d.higher_is_better in (True, False, None), d.id
        func = getattr(M, d.id)
        assert func.__name__ == d.id and d.formula in func.__doc__ and d.clause in func.__doc__, d.id
        assert d.id in EXPECTED_MAY and d.id in EXPECTED_YTD, f"{d.id} 未在手算用例中覆盖"
    assert set(EXPECTED_MAY) == set(metric_ids()) == set(EXPECTED_YTD)


def test_docs_table_lists_every_metric_with_its_formula_and_clause():
    """docs/metrics.md has a row per registered metric giving its formula and clause."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    rows: dict[str, str] = {}
    for line in docs.splitlines():
        if line.startswith("| `"):
            rows.setdefault(line.split("|")[1].strip(" `"), line)  # the metric table comes first
    for d in list_metrics():
        assert d.id in rows, d.id
        assert d.formula in rows[d.id] and d.clause in rows[d.id], d.id


def test_plain_functions_give_a_unit_value_or_the_town_total():
    """coverage_rate(ds, '2024-05', unit=...) is the unit's value; unit=None the town's."""
    ds = town()
    assert M.coverage_rate(ds, "2024-05", unit="石壁村") == 50.0
    assert M.coverage_rate(ds, "2024-05") == 40.0
    assert M.inspected(ds, "2024-05", scope="ytd", unit="锦里村") == 2
    with pytest.raises(ParameterError, match="unit"):
        M.inspected(ds, "2024-05", unit="不存在村")


@pytest.mark.parametrize(("kwargs", "name"), [({"source": "guess"}, "source"), ({"scope": "week"}, "scope")])
def test_bad_arguments_raise_parameter_error(kwargs, name):
    """An unknown source or scope is refused with the parameter's name."""
    with pytest.raises(ParameterError, match=name):
        compute_metrics(town(), "2024-05", **kwargs)


def test_an_engine_serves_several_periods_with_the_same_results():
    """A reused MetricsEngine gives what a fresh compute_metrics gives."""
    engine = MetricsEngine(town())
    for scope in ("month", "ytd"):
        assert compute_metrics(engine, "2024-05", scope=scope).to_dict() == \
            compute_metrics(town(), "2024-05", scope=scope).to_dict()


# --------------------------------------------------------------------------- result object
def test_result_shapes_frame_total_and_json():
    """frame: index unit, columns metric ids; total: Series; to_dict: the CLI's JSON shape."""
    result = compute_metrics(town(), "2024-05")
    assert list(result.frame.columns) == metric_ids() and result.frame.index.name == "unit"
    assert list(result.total.index) == metric_ids()
    data = result.to_dict()
    assert list(data) == ["period", "scope", "source", "units", "total"]
    assert (data["period"], data["scope"], data["source"]) == ("2024-05", "month", "ledger")
    assert data["units"]["石壁村"]["coverage_rate"] == 50.0 and data["total"]["inspected"] == 5
    assert isinstance(data["units"]["石壁村"]["inspected"], int)
    table = result.table()
    assert list(table.index) == [*UNITS, TOTAL_LABEL]


def test_text_output_has_chinese_headers_and_the_town_total():
    """to_text prints Chinese headers, one row per unit, a 全镇合计 row and 不适用."""
    text = compute_metrics(town(), "2024-05").to_text()
    assert "检查覆盖率(%)" in text and "罚款金额(万元)" in text and "全镇合计" in text
    assert "不适用" in text and "2024年5月" in text
    assert re.search(r"石壁村\s+4\s+3\s+50\.00", text)


def test_components_expose_numerators_and_denominators():
    """components show inspected_in_registry, so inspected − it = enterprises outside the list."""
    result = compute_metrics(town(), "2024-05")
    comp = result.components
    # 石壁村 inspected {A,B,Z}, in its registry {A,B}: one enterprise outside
    assert comp.at["石壁村", "inspected"] - comp.at["石壁村", "inspected_in_registry"] == 1
    assert result.components_total["fines_micro"] == 3_325_000


# --------------------------------------------------------------------------- reported source
def _reported_town():
    """The town with 附件2 figures: 石壁村 April–June, 锦里村 May, 古山村 May (zero registry
    written as 0 %), 综合执法队 nothing."""
    base = dict(closure_requested=0, licenses_suspended=0, blacklisted=0, joint_punishment=0,
                criminal_referrals=0, referred_other=0, reports_verified=0, suspended=0)
    figs = [
        figures_row("石壁村", "2024-04", "本月数", **base, supervised_total=4, inspected=1, coverage_rate=25,
                    hazards_found=2, hazards_rectified=1, cases_filed=0, case_ratio=0,
                    violation_handling_rate=0, fines_wan=0),
        figures_row("石壁村", "2024-04", "累计数", **base, supervised_total=4, inspected=1, coverage_rate=25,
                    hazards_found=2, hazards_rectified=1, cases_filed=0, case_ratio=0,
                    violation_handling_rate=0, fines_wan=0),
        figures_row("石壁村", "2024-05", "本月数", **{**base, "licenses_suspended": 2, "criminal_referrals": 2,
                    "reports_verified": 1}, supervised_total=4, inspected=3, coverage_rate=75,
                    hazards_found=3, hazards_rectified=1, cases_filed=1, case_ratio=33.333,
                    violation_handling_rate=100, fines_wan=1.2),
        figures_row("石壁村", "2024-05", "累计数", **{**base, "licenses_suspended": 2, "criminal_referrals": 2,
                    "reports_verified": 1}, supervised_total=4, inspected=3, coverage_rate=75,
                    hazards_found=5, hazards_rectified=2, cases_filed=1, case_ratio=33.33,
                    violation_handling_rate=60, fines_wan=1.2),
        figures_row("石壁村", "2024-06", "本月数", **{**base, "suspended": 1}, supervised_total=5, inspected=1,
                    coverage_rate=20, hazards_found=4, hazards_rectified=4, cases_filed=1, case_ratio=100,
                    violation_handling_rate=50, fines_wan=0.3),
        figures_row("石壁村", "2024-06", "累计数", **{**base, "suspended": 1}, supervised_total=5, inspected=4,
                    coverage_rate=80, hazards_found=9, hazards_rectified=6, cases_filed=2, case_ratio=50,
                    violation_handling_rate=55.56, fines_wan=1.5),
        figures_row("锦里村", "2024-05", "本月数", **{**base, "suspended": 1, "blacklisted": 1},
                    supervised_total=3, inspected=2, coverage_rate=66.67, hazards_found=2, hazards_rectified=2,
                    cases_filed=1, case_ratio=50, violation_handling_rate=50, fines_wan=0.125),
        figures_row("锦里村", "2024-05", "累计数", **{**base, "suspended": 1, "blacklisted": 1},
                    supervised_total=3, inspected=2, coverage_rate=66.67, hazards_found=3, hazards_rectified=2,
                    cases_filed=1, case_ratio=50, violation_handling_rate=66.67, fines_wan=0.625),
        figures_row("古山村", "2024-05", "本月数", **base, supervised_total=0, inspected=0, coverage_rate=0,
                    hazards_found=0, hazards_rectified=0, cases_filed=0, fines_wan=0),
        figures_row("古山村", "2024-05", "累计数", **base, supervised_total=0, inspected=0, coverage_rate=0,
                    hazards_found=0, hazards_rectified=0, cases_filed=0, fines_wan=0),
    ]
    return make_dataset(REGISTRY, ROWS, units=UNITS, figures=figs)


def test_reported_month_takes_the_submitted_figures():
    """Month: the 本月数 row as submitted (33.333 -> 33.33); 整改率 recomputed 1/3; missing unit None."""
    result = compute_metrics(_reported_town(), "2024-05", source="reported")
    data = result.to_dict()
    sb = data["units"]["石壁村"]
    assert (sb["inspected"], sb["coverage_rate"], sb["case_ratio"], sb["rectification_rate"]) == (3, 75.0, 33.33, 33.33)
    assert (sb["fines_wan"], sb["licenses_suspended"], sb["reports_verified"]) == (1.2, 2, 1)
    assert all(v is None for v in data["units"]["综合执法队"].values())
    assert result.missing == {"综合执法队": ["2024-05"]}
    # 古山村 wrote 0 % over 0 enterprises: a zero denominator is 不适用, not 0
    assert data["units"]["古山村"]["coverage_rate"] is None and data["units"]["古山村"]["case_ratio"] is None
    assert "未报送" in result.to_text()


def test_reported_total_sums_the_submitting_units_and_recomputes_rates():
    """Town (石壁 + 锦里 + 古山): supervised 4+3+0 = 7, inspected 3+2+0 = 5 -> 71.43; 整改 3/5 = 60;
    立案 2/5 = 40; 查处率 (100%×3 + 50%×2)/(3+2) = 80 (古山 has no rate); 罚款 1.325."""
    total = compute_metrics(_reported_town(), "2024-05", source="reported").total
    assert (total["supervised_total"], total["inspected"], total["coverage_rate"]) == (7, 5, 71.43)
    assert (total["rectification_rate"], total["case_ratio"], total["violation_handling_rate"]) == (60.0, 40.0, 80.0)
    assert total["fines_wan"] == 1.325


def test_reported_ytd_takes_the_cumulative_row_of_the_last_month():
    """ytd May: 石壁村 累计数 row: 隐患 5, 整改 2 -> 40.00, 查处率 60 as submitted."""
    sb = compute_metrics(_reported_town(), "2024-05", scope="ytd", source="reported").to_dict()["units"]["石壁村"]
    assert (sb["hazards_found"], sb["hazards_rectified"], sb["rectification_rate"]) == (5, 2, 40.0)
    assert sb["violation_handling_rate"] == 60.0


def test_reported_quarter_sums_months_and_recomputes_rates():
    """Q2 石壁村: 隐患 2+3+4 = 9; 整改 None (1+1+4 = 6 is only a lower bound: a later 复查
    closes an earlier month's hazard without entering any 本月数), so 整改率 None; supervised
    June's 5 (a stock); 家 columns None (Q2 does not start in January: 1+3+1 would count an
    enterprise inspected in two months twice), so 覆盖率 and 立案占比 None, with the reasons; 查处率
    (0×2 + 100×3 + 50×4)/100 = 5 of 9 -> 55.56; 罚款 1.5; 锦里村 misses April and June."""
    result = compute_metrics(_reported_town(), "2024Q2", source="reported")
    sb = result.to_dict()["units"]["石壁村"]
    assert (sb["hazards_found"], sb["hazards_rectified"], sb["rectification_rate"]) == (9, None, None)
    assert (sb["supervised_total"], sb["inspected"], sb["coverage_rate"]) == (5, None, None)
    assert (sb["cases_filed"], sb["case_ratio"], sb["violation_handling_rate"]) == (None, None, 55.56)
    assert (sb["fines_wan"], sb["suspended"]) == (1.5, None)
    assert set(result.not_applicable) == {"inspected", "cases_filed", "suspended", "closure_requested",
                                          "blacklisted", "joint_punishment", "coverage_rate", "case_ratio",
                                          "hazards_rectified", "rectification_rate"}
    assert "不从1月开始" in result.not_applicable["inspected"] and "不从1月开始" in result.to_text()
    assert "家数" in result.not_applicable["inspected"] and "复查" in result.not_applicable["hazards_rectified"]
    assert result.to_dict()["not_applicable"] == result.not_applicable
    assert result.missing["锦里村"] == ["2024-04", "2024-06"]
    assert result.to_dict()["units"]["锦里村"]["inspected"] is None


def test_reported_first_quarter_takes_enterprise_counts_from_the_cumulative_row():
    """Q1: 家 columns from March's 累计数 (3, the distinct count), not the months' sum 2+2+2."""
    figs = [figures_row("石壁村", f"2024-0{m}", "本月数", supervised_total=4, inspected=2, hazards_found=1,
                        hazards_rectified=1, cases_filed=1) for m in (1, 2, 3)]
    figs.append(figures_row("石壁村", "2024-03", "累计数", supervised_total=4, inspected=3, hazards_found=3,
                            hazards_rectified=3, cases_filed=2))
    ds = make_dataset([("A厂", "石壁村")], [], figures=figs)
    sb = compute_metrics(ds, "2024Q1", source="reported").to_dict()["units"]["石壁村"]
    # inspected 3 (累计数), hazards 1+1+1 = 3 (summed), coverage 3/4 = 75, case ratio 2/3 = 66.67
    assert (sb["inspected"], sb["hazards_found"], sb["coverage_rate"], sb["case_ratio"]) == (3, 3, 75.0, 66.67)


# --------------------------------------------------------------------------- CLI
@pytest.fixture
def fake_load(monkeypatch):
    """``evalkit.intake.loader.load`` returning the hand-worked town."""
    import evalkit.intake.loader as intake

    ds = _reported_town()
    monkeypatch.setattr(intake, "load", lambda data_dir, **_: ds)
    return ds


def test_cli_json_prints_one_object_with_the_documented_shape(fake_load, tmp_path, capsys):
    """`evalkit metrics DIR --period 2024-05 --json` prints exactly one JSON object."""
    assert main(["metrics", str(tmp_path), "--period", "2024-05", "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert out.count("\n") == 1
    assert (data["period"], data["scope"], data["source"]) == ("2024-05", "month", "ledger")
    assert list(data["units"]) == UNITS
    assert data["units"]["石壁村"]["coverage_rate"] == 50.0 and data["total"]["inspected"] == 5
    assert data["units"]["古山村"]["rectification_rate"] is None


def test_cli_forwards_scope_source_and_config(fake_load, tmp_path, capsys):
    """--scope ytd --source reported and --config reach compute_metrics."""
    cfg = tmp_path / "m.yaml"
    cfg.write_text("violation_handling_rate: cases_per_violating_enterprise\n", encoding="utf-8")
    assert main(["metrics", str(tmp_path), "--period", "2024-05", "--scope", "ytd", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["units"]["石壁村"]["hazards_found"] == 5
    assert main(["metrics", str(tmp_path), "--period", "2024-05", "--source", "reported", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["units"]["石壁村"]["coverage_rate"] == 75.0
    assert main(["metrics", str(tmp_path), "--period", "2024-05", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["violation_handling_rate"] == 75.0


def test_cli_text_output_and_usage_errors(fake_load, tmp_path, capsys):
    """Without --json a Chinese table; a bad --config or --period exits 2 with one line, no traceback."""
    assert main(["metrics", str(tmp_path), "--period", "2024-05"]) == 0
    assert "检查覆盖率(%)" in capsys.readouterr().out
    assert main(["metrics", str(tmp_path), "--period", "2024-05", "--config", str(tmp_path / "no.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evalkit: 配置文件") and "Traceback" not in err
    assert main(["metrics", str(tmp_path), "--period", "2024-13"]) == 2
    assert "period" in capsys.readouterr().err


def test_cli_on_generated_sample_data(tmp_path, capsys):
    """End to end on the sample generator's data: one JSON object listing every unit."""
    from evalkit.intake import loader as intake
    from evalkit.sample.generate import generate

    generate(tmp_path / "data", seed=2024, months=[5])  # one month keeps it quick
    units = [str(u) for u in intake.load(tmp_path / "data").units["unit"]]
    assert main(["metrics", str(tmp_path / "data"), "--period", "2024-05", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["units"]) == units
    rates = [v for row in [*data["units"].values(), data["total"]] for k, v in row.items() if k.endswith("rate")]
    assert all(v is None or 0 <= v <= 100 for v in rates)


# --------------------------------------------------------------------------- properties
_P_REGISTRY = [("E0", "甲村"), ("E1", "甲村"), ("E2", "乙村"), ("E3", "乙村"), ("E4", "丙站"), ("E5", "丙站")]
_P_UNITS = ["甲村", "乙村", "丙站", "丁村"]
_HANDLING = [None, None, "责令停产整顿", "移送公安机关2人", "暂扣安全生产许可证；纳入失信黑名单",
             "提请关闭；联合惩戒", "移送市场监管局"]
_RECT = ["已整改", "限期整改", "逾期未整改", None]


@st.composite
def _rows(draw):
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        month = draw(st.integers(1, 3))
        n = draw(st.integers(0, 3))
        hazards = [draw(st.sampled_from(["通道堵塞", "灭火器过期", "三合一"])) for _ in range(n)]
        rects = [r for r in (draw(st.sampled_from(_RECT)) for _ in range(n)) if r is not None][:n]
        has_case = draw(st.booleans())
        rows.append(inspection(
            draw(st.sampled_from(_P_UNITS[:3])), draw(st.sampled_from(["E0", "E1", "E2", "E3", "E4", "E5", "X9"])),
            f"2024-{month:02d}-{draw(st.integers(1, 28)):02d}", hazards, rects,
            case_no=f"立{len(rows)}" if has_case else None,
            fine=draw(st.integers(0, 50_000)) / 10_000 if has_case else None,
            other=draw(st.sampled_from(_HANDLING)),
            remarks=draw(st.sampled_from([None, "复查", "举报核查"]))))
    return rows


_PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ADDITIVE = [d.id for d in list_metrics() if d.aggregation == "sum" and d.closes is None]
_DISTINCT = [d.id for d in list_metrics() if d.aggregation == "distinct"]


@_PROPS
@given(_rows(), st.sampled_from(list(M.VIOLATION_HANDLING_VARIANTS)))
def test_property_rates_are_within_0_and_100_or_none(rows, variant):
    """Every ledger rate, per unit and for the town, in every scope and variant, is in [0, 100] or None."""
    engine = MetricsEngine(make_dataset(_P_REGISTRY, rows, units=_P_UNITS),
                           {"violation_handling_rate": {"variant": variant}})
    for period, scope in [("2024-02", "month"), ("2024-03", "ytd"), ("2024Q1", None)]:
        result = engine.compute(period, scope=scope)
        for d in list_metrics():
            if d.kind == "rate":
                for v in [*result.frame[d.id], result.total[d.id]]:
                    assert M._py(v) is None or 0 <= v <= 100, (d.id, v)


@_PROPS
@given(_rows())
def test_property_ytd_is_the_sum_of_months_for_additive_columns(rows):
    """ytd March = Jan + Feb + Mar for additive columns; for 家 columns max(months) <= ytd <= sum."""
    engine = MetricsEngine(make_dataset(_P_REGISTRY, rows, units=_P_UNITS))
    months = [engine.compute(f"2024-{m:02d}").table() for m in (1, 2, 3)]
    ytd = engine.compute("2024-03", scope="ytd").table()
    for col in _ADDITIVE:
        summed = sum(m[col].astype(float) for m in months)
        assert ytd[col].astype(float).tolist() == pytest.approx(summed.tolist(), abs=1e-9), col
    for col in _DISTINCT:
        stacked = pd.concat([m[col].astype(int) for m in months], axis=1)
        assert (stacked.max(axis=1) <= ytd[col].astype(int)).all(), col
        assert (ytd[col].astype(int) <= stacked.sum(axis=1)).all(), col


@_PROPS
@given(_rows(), st.sampled_from([("2024-02", "month"), ("2024-03", "ytd")]))
def test_property_town_total_is_the_sum_or_the_distinct_union(rows, where):
    """Summed counts: total = Σ units. 家 counts: max <= total <= Σ, and inspected = distinct names
    in the scope's rows. Rates of the total come from the total's components."""
    ds = make_dataset(_P_REGISTRY, rows, units=_P_UNITS)
    result = compute_metrics(ds, where[0], scope=where[1])
    for d in list_metrics():
        col = result.frame[d.id]
        if d.kind in ("count", "money"):
            assert result.total[d.id] == pytest.approx(float(col.sum()), abs=1e-9), d.id
        elif d.kind == "distinct":
            assert int(col.max()) <= result.total[d.id] <= int(col.sum()), d.id
        else:
            comp = result.components_total
            assert result.total[d.id] == rate(comp[d.numerator], comp[d.denominator]), d.id
    keys = set(result.period.period_keys)
    assert result.total["inspected"] == len({r["enterprise"] for r in rows if r["period"] in keys})
