"""The reporting hierarchy read from registry/units.csv (上级单位) and core.hierarchy."""

from __future__ import annotations

import pandas as pd

from evalkit.core import hierarchy
from evalkit.intake.registry import load_registry

ENTERPRISES = "企业名称,行业,监管单位,重点行业\n甲厂,服装,锦里村,否\n乙厂,服装,祥芝村,否\n丙站,危化品,市应急管理局,是\n"


def _registry(tmp_path, units_csv: str):
    reg = tmp_path / "registry"
    reg.mkdir()
    (reg / "enterprises.csv").write_text(ENTERPRISES, encoding="utf-8")
    (reg / "units.csv").write_text(units_csv, encoding="utf-8")
    return load_registry(tmp_path)


def test_city_tree_from_parent_column(tmp_path):
    reg = _registry(tmp_path, "单位,类型,上级单位\n石狮市,市,\n蚶江镇,镇,石狮市\n祥芝镇,镇,石狮市\n"
                              "锦里村,村,蚶江镇\n祥芝村,村,祥芝镇\n市应急管理局,部门,石狮市\n")
    units = reg.units
    assert not [p for p in reg.problems if p.rule == "registry_invalid"]
    assert hierarchy.root(units) == "石狮市"
    assert hierarchy.parent_of(units, "锦里村") == "蚶江镇"
    assert hierarchy.parent_of(units, "石狮市") is None
    assert hierarchy.children_of(units, "石狮市") == ["蚶江镇", "祥芝镇", "市应急管理局"]
    assert hierarchy.descendants(units, "石狮市") == ["蚶江镇", "祥芝镇", "锦里村", "祥芝村", "市应急管理局"]
    # a parent's figures are its leaves' ledgers; a leaf's are its own
    assert hierarchy.ledger_units(units, "蚶江镇") == ["锦里村"]
    assert hierarchy.ledger_units(units, "石狮市") == ["锦里村", "祥芝村", "市应急管理局"]
    assert hierarchy.ledger_units(units, "市应急管理局") == ["市应急管理局"]
    assert [hierarchy.level_of(units, u) for u in ("石狮市", "蚶江镇", "锦里村")] == [0, 1, 2]


def test_town_folder_without_parent_column_reports_to_default_root(tmp_path):
    reg = _registry(tmp_path, "单位,类型\n锦里村,村\n祥芝村,村\n市应急管理局,部门\n")
    units = reg.units
    assert units["parent"].isna().all()
    assert hierarchy.root(units) == hierarchy.DEFAULT_ROOT == "蚶江镇"
    assert hierarchy.children_of(units, "蚶江镇") == ["锦里村", "祥芝村", "市应急管理局"]
    assert hierarchy.ledger_units(units, "蚶江镇") == ["锦里村", "祥芝村", "市应急管理局"]


def test_bad_parents_are_reported_not_guessed(tmp_path):
    reg = _registry(tmp_path, "单位,类型,上级单位\n蚶江镇,镇,\n锦里村,村,锦里村\n祥芝村,村,祥芝镇\n"
                              "市应急管理局,部门,甲\n甲,部门,市应急管理局\n")
    messages = [p.message for p in reg.problems if p.rule == "registry_invalid"]
    assert any("锦里村 的上级单位是它自己" in m for m in messages)
    assert any("上级单位 祥芝镇 不在 units.csv 中" in m for m in messages)
    assert any("形成循环" in m for m in messages)
    units = reg.units
    # every ignored parent falls back to the root, so no unit is lost from the town's figures
    assert pd.isna(units.set_index("unit").loc["锦里村", "parent"])
    assert hierarchy.root(units) == "蚶江镇"
    assert set(hierarchy.ledger_units(units, "蚶江镇")) == {"锦里村", "祥芝村", "市应急管理局", "甲"}


def test_consolidating_units_are_the_parent_kinds_and_the_root(tmp_path):
    """镇/街道/市 consolidate, and so does the root even when units.csv does not list it."""
    reg = _registry(tmp_path, "单位,类型,上级单位\n石狮市,市,\n蚶江镇,镇,石狮市\n锦里村,村,蚶江镇\n"
                              "市应急管理局,部门,石狮市\n")
    assert hierarchy.consolidating(reg.units) == {"石狮市", "蚶江镇"}
    (tmp_path / "town").mkdir()
    town = _registry(tmp_path / "town", "单位,类型\n锦里村,村\n祥芝村,村\n")
    assert hierarchy.consolidating(town.units) == {"蚶江镇"}
