"""Metrics at any level of the hierarchy: a parent's figures are the union of its leaves' ledgers."""

from __future__ import annotations

import pandas as pd

from evalkit.core import hierarchy
from evalkit.metrics.engine import compute_metrics
from fixtures_dataset import figures_row, inspection, make_dataset

# 石狮市 → 蚶江镇 (锦里村, 石壁村), 祥芝镇 (祥芝村), 市应急管理局 (reports to the city directly)
PARENTS = {"蚶江镇": "石狮市", "祥芝镇": "石狮市", "锦里村": "蚶江镇", "石壁村": "蚶江镇",
           "祥芝村": "祥芝镇", "市应急管理局": "石狮市"}
UNITS = ["石狮市", "蚶江镇", "锦里村", "石壁村", "祥芝镇", "祥芝村", "市应急管理局"]
REGISTRY = [("甲厂", "锦里村"), ("乙厂", "石壁村"), ("丙厂", "祥芝村"), ("丁站", "市应急管理局")]


def city(figures=()):
    rows = [
        inspection("锦里村", "甲厂", "2024-05-06", ["疏散通道堵塞"], ["已整改"]),
        inspection("锦里村", "乙厂", "2024-05-07", ["灭火器过期", "电线乱拉"], ["限期整改", "已整改"]),
        inspection("石壁村", "乙厂", "2024-05-08"),  # 乙厂: two villages of one town
        inspection("石壁村", "丙厂", "2024-05-09", ["未设警示标志"], ["限期整改"], case_no="狮蚶立〔2024〕1号",
                   fine=0.5),  # 丙厂: one village of each town
        inspection("祥芝村", "丙厂", "2024-05-10"),
        inspection("市应急管理局", "丁站", "2024-05-13", ["储罐无标识"], ["已整改"]),
    ]
    return make_dataset(REGISTRY, rows, units=UNITS, parents=PARENTS, figures=figures)


def test_an_enterprise_inspected_by_two_villages_counts_once_for_their_town():
    """乙厂 (锦里村 and 石壁村) is one enterprise for 蚶江镇: 3 inspected, not 4."""
    res = compute_metrics(city(), "2024-05")
    f = res.frame
    assert [int(f.at[u, "inspected"]) for u in ("锦里村", "石壁村", "祥芝村", "市应急管理局")] == [2, 2, 1, 1]
    assert int(f.at["蚶江镇", "inspected"]) == 3
    assert int(f.at["祥芝镇", "inspected"]) == 1
    # summed counts add up: 蚶江镇 3 + 1 hazards, 1 case, 0.5 万元
    assert int(f.at["蚶江镇", "hazards_found"]) == 4
    assert int(f.at["蚶江镇", "cases_filed"]) == 1
    assert float(f.at["蚶江镇", "fines_wan"]) == 0.5
    # a rate of a parent from its own numerator and denominator: 2 rectified of 4 = 50.00
    assert float(f.at["蚶江镇", "rectification_rate"]) == 50.0
    # 监管企业 is a stock: 蚶江镇 supervises 甲厂 and 乙厂
    assert int(f.at["蚶江镇", "supervised_total"]) == 2


def test_an_enterprise_inspected_in_two_towns_counts_once_for_the_city():
    """丙厂 (石壁村 of 蚶江镇 and 祥芝村 of 祥芝镇) is one enterprise for 石狮市: 4 inspected, not 5."""
    res = compute_metrics(city(), "2024-05")
    assert int(res.frame.at["石狮市", "inspected"]) == 4
    assert int(res.total["inspected"]) == 4  # the total is the root's
    assert int(res.total["hazards_found"]) == 5
    assert int(res.total["supervised_total"]) == 4
    assert float(res.total["rectification_rate"]) == 60.0  # 3 of 5
    assert res.total_label == "全市合计"
    assert "全市合计" in res.to_text()


def test_a_town_folder_keeps_its_total():
    """Without 上级单位 the root is the town and the total is the union of every unit, as before."""
    ds = make_dataset(REGISTRY[:2], [inspection("锦里村", "甲厂", "2024-05-06"),
                                     inspection("石壁村", "甲厂", "2024-05-07")])
    res = compute_metrics(ds, "2024-05")
    assert int(res.total["inspected"]) == 1
    assert res.total_label == "全镇合计"


def test_reported_figures_of_a_parent_that_sent_none_combine_its_units_rows():
    """祥芝镇 sent its own 合计 (kept as sent); 蚶江镇 sent none (its villages' rows summed)."""
    figs = [figures_row("锦里村", "2024-05", "本月数", inspected=2, hazards_found=3, supervised_total=1),
            figures_row("石壁村", "2024-05", "本月数", inspected=2, hazards_found=1, supervised_total=1),
            figures_row("祥芝村", "2024-05", "本月数", inspected=1, hazards_found=0, supervised_total=1),
            figures_row("祥芝镇", "2024-05", "本月数", inspected=7, hazards_found=0, supervised_total=1),
            figures_row("市应急管理局", "2024-05", "本月数", inspected=1, hazards_found=1, supervised_total=1)]
    res = compute_metrics(city(figs), "2024-05", source="reported")
    assert int(res.frame.at["蚶江镇", "inspected"]) == 4  # 2 + 2: the rows as reported
    assert int(res.frame.at["祥芝镇", "inspected"]) == 7  # its own 合计, as sent
    assert "蚶江镇" not in res.missing
    # the city total combines the leaves' rows: 2 + 2 + 1 + 1
    assert int(res.total["inspected"]) == 6


def test_select_units_by_level_and_unit():
    """--level and --unit choose the rows: towns, one town's villages, the city departments."""
    units = city().units
    assert hierarchy.select_units(units, level="镇") == ["蚶江镇", "祥芝镇"]
    assert hierarchy.select_units(units, unit="蚶江镇") == ["锦里村", "石壁村"]
    assert hierarchy.select_units(units, level="部门") == ["市应急管理局"]
    assert hierarchy.select_units(units, level="村", unit="祥芝镇") == ["祥芝村"]
    assert hierarchy.select_units(units, unit="市应急管理局") == ["市应急管理局"]
    groups = hierarchy.peer_groups(units)
    assert groups["蚶江镇"] == groups["祥芝镇"] != groups["市应急管理局"]
    assert groups["锦里村"] == groups["石壁村"] != groups["祥芝村"]


def test_scores_rank_within_the_level():
    """Towns rank among towns, a town's villages within the town, city departments among themselves."""
    from evalkit.assess.scoring import score_units

    res = score_units(city(), "2024-05")
    rank = res.frame["rank"].to_dict()
    assert sorted([rank["蚶江镇"], rank["祥芝镇"]]) in ([1, 2], [1, 1])
    assert sorted([rank["锦里村"], rank["石壁村"]]) in ([1, 2], [1, 1])
    assert rank["祥芝村"] == 1 and rank["市应急管理局"] == 1
    # a town's figures are its villages' union: its ratio parts read the metrics' parent row
    town = res.parts[res.parts["unit"] == "蚶江镇"].set_index("part")["value"]
    assert float(town["coverage"]) == 100.0  # 甲厂, 乙厂 of 2 supervised
    rect = res.parts[(res.parts["unit"] == "蚶江镇") & (res.parts["type"] == "ratio")
                     & (res.parts["name"].str.contains("整改"))]
    assert 50.0 in [float(v) for v in rect["value"] if not pd.isna(v)]  # 2 of 4 hazards rectified


def test_a_subset_of_units_reports_to_the_root():
    """Units whose 上级单位 is not among the listed units (a subset of a city) report to the root."""
    ds = city()
    sub = ds.units[ds.units["unit"].isin(["锦里村", "石壁村"])].reset_index(drop=True)
    assert hierarchy.parent_of(sub, "锦里村") == hierarchy.DEFAULT_ROOT
    assert hierarchy.ledger_units(sub, hierarchy.root(sub)) == ["锦里村", "石壁村"]
