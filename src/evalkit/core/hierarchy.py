"""The reporting hierarchy: who reports to whom.

石狮市's two forms flow up the chain: villages (村) and town departments report to their
town or 街道, towns and 街道 send their consolidated forms to the city's 市安办, and city
departments report to the city directly. ``registry/units.csv`` may say so in an optional
上级单位 column; ``Dataset.units`` then has one row per unit with ``parent`` set.

A data folder describes one tree. Its root is the one unit listed without a 上级单位
whose 类型 is 市, 镇 or 街道; when none is listed (a town's folder that lists only its
villages and departments, like data/sample) the root is ``DEFAULT_ROOT``, and every
listed unit without a 上级单位 reports to it. The functions here are the one place that
answers "whose figures roll up into this unit's": a unit's own figures are its own ledger,
a parent's are the union of its descendants' ledgers.
"""

from __future__ import annotations

import pandas as pd

DEFAULT_ROOT = "蚶江镇"
# 类型 values: the leaves that keep a ledger, and the levels that consolidate
LEAF_KINDS = ("村", "社区", "部门")
PARENT_KINDS = ("镇", "街道", "市")
UNIT_KINDS = LEAF_KINDS + PARENT_KINDS


def root(units: pd.DataFrame) -> str:
    """The unit at the top of the tree: the listed 市/镇/街道 without a parent, else ``DEFAULT_ROOT``."""
    if len(units) and "parent" in units:
        tops = units[units["parent"].isna() & units["kind"].isin(PARENT_KINDS)]
        if len(tops):
            return str(tops["unit"].iloc[0])
    return DEFAULT_ROOT


def consolidating(units: pd.DataFrame) -> set[str]:
    """The units that consolidate rather than keep a ledger: those of 类型 镇/街道/市, and the root
    (listed or not: a town folder's units.csv need not list 蚶江镇 for its forms to be read)."""
    listed = units.loc[units["kind"].isin(PARENT_KINDS), "unit"] if len(units) else []
    return {str(u) for u in listed} | {root(units)}


def parent_of(units: pd.DataFrame, unit: str) -> str | None:
    """The unit ``unit`` reports to (None for the root)."""
    top = root(units)
    if unit == top:
        return None
    hit = units.loc[units["unit"] == unit, "parent"] if "parent" in units else pd.Series(dtype=object)
    if hit.empty or pd.isna(hit.iloc[0]):
        return top
    return str(hit.iloc[0])


def children_of(units: pd.DataFrame, unit: str) -> list[str]:
    """The units that report to ``unit`` directly, in registry order."""
    return [u for u in units["unit"] if u != unit and parent_of(units, u) == unit]


def descendants(units: pd.DataFrame, unit: str) -> list[str]:
    """Every unit below ``unit`` (children, their children, …), in registry order."""
    below: list[str] = []
    todo = [unit]
    seen = {unit}
    while todo:
        for child in children_of(units, todo.pop(0)):
            if child not in seen:  # a cycle in 上级单位 is reported by the registry reader
                seen.add(child)
                below.append(child)
                todo.append(child)
    order = {u: i for i, u in enumerate(units["unit"])}
    return sorted(below, key=lambda u: order.get(u, len(order)))


def ledger_units(units: pd.DataFrame, unit: str) -> list[str]:
    """The units whose 附件1 rows make up ``unit``'s figures: itself if it keeps a ledger,
    else its leaf descendants."""
    if unit != root(units) and kind_of(units, unit) in LEAF_KINDS:
        return [unit]
    return [u for u in descendants(units, unit) if kind_of(units, u) in LEAF_KINDS]


def kind_of(units: pd.DataFrame, unit: str) -> str | None:
    hit = units.loc[units["unit"] == unit, "kind"]
    return None if hit.empty else str(hit.iloc[0])


def level_of(units: pd.DataFrame, unit: str) -> int:
    """0 for the root, 1 for who reports to it, …"""
    depth, here = 0, unit
    while (up := parent_of(units, here)) is not None and depth <= len(units):
        depth, here = depth + 1, up
    return depth
