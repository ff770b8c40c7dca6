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


class Tree:
    """The tree of ``units`` read once (dicts), so that asking about every unit stays linear.

    Every function of this module answers through it; it holds no rule of its own beyond
    "a unit without a listed parent reports to the root" (the registry reader's fallback for a
    parent not in units.csv, applied here too to a subset of the units)."""

    def __init__(self, units: pd.DataFrame):
        self.top = root(units)
        names = [str(u) for u in units["unit"]] if len(units) else []
        self.order = {u: i for i, u in enumerate(names)}
        self.kinds = dict(zip(names, (str(k) for k in units["kind"]), strict=True)) if names else {}
        parents = list(units["parent"]) if "parent" in units and names else [None] * len(names)
        self.parent: dict[str, str | None] = {}
        listed = set(names)
        for u, p in zip(names, parents, strict=True):
            # no parent, or one not listed (a subset of the units, a frame built by hand): the root
            known = p is not None and not pd.isna(p) and str(p) in listed | {self.top}
            self.parent[u] = None if u == self.top else (str(p) if known else self.top)
        self.children: dict[str, list[str]] = {}
        for u in names:  # registry order
            up = self.parent[u]
            if up is not None and u != up:
                self.children.setdefault(up, []).append(u)

    def parent_of(self, unit: str) -> str | None:
        return None if unit == self.top else self.parent.get(unit, self.top)

    def descendants(self, unit: str) -> list[str]:
        below: list[str] = []
        todo, seen = [unit], {unit}
        while todo:
            for child in self.children.get(todo.pop(0), []):
                if child not in seen:  # a cycle in 上级单位 is reported by the registry reader
                    seen.add(child)
                    below.append(child)
                    todo.append(child)
        return sorted(below, key=lambda u: self.order.get(u, len(self.order)))

    def keeps_ledger(self, unit: str) -> bool:
        """A leaf kind (村, 社区, 部门) other than the root: its 附件1 rows are its own figures."""
        return unit != self.top and self.kinds.get(unit) in LEAF_KINDS

    def ledger_units(self, unit: str) -> list[str]:
        if self.keeps_ledger(unit):
            return [unit]
        return [u for u in self.descendants(unit) if self.kinds.get(u) in LEAF_KINDS]

    def level_of(self, unit: str) -> int:
        depth, here = 0, unit
        while (up := self.parent_of(here)) is not None and depth <= len(self.order):
            depth, here = depth + 1, up
        return depth


def parent_of(units: pd.DataFrame, unit: str) -> str | None:
    """The unit ``unit`` reports to (None for the root)."""
    return Tree(units).parent_of(unit)


def children_of(units: pd.DataFrame, unit: str) -> list[str]:
    """The units that report to ``unit`` directly, in registry order."""
    return list(Tree(units).children.get(unit, []))


def descendants(units: pd.DataFrame, unit: str) -> list[str]:
    """Every unit below ``unit`` (children, their children, …), in registry order."""
    return Tree(units).descendants(unit)


def ledger_units(units: pd.DataFrame, unit: str) -> list[str]:
    """The units whose 附件1 rows make up ``unit``'s figures: itself if it keeps a ledger,
    else its leaf descendants."""
    return Tree(units).ledger_units(unit)


def ledger_groups(units: pd.DataFrame) -> dict[str, list[str]]:
    """``ledger_units`` of every listed unit and of the root (listed or not), in one pass
    over the tree: unit -> the leaf units whose ledgers make up its figures."""
    tree = Tree(units)
    names = [str(u) for u in units["unit"]] if len(units) else []
    return {u: tree.ledger_units(u) for u in dict.fromkeys([*names, tree.top])}


def kind_of(units: pd.DataFrame, unit: str) -> str | None:
    hit = units.loc[units["unit"] == unit, "kind"]
    return None if hit.empty else str(hit.iloc[0])


def level_of(units: pd.DataFrame, unit: str) -> int:
    """0 for the root, 1 for who reports to it, …"""
    return Tree(units).level_of(unit)


# ------------------------------------------------------------------ levels: what a command reports on
#: ``--level`` values -> the 类型 they select. 镇 and 街道 are the same level (both report to the
#: city and consolidate their villages); ``镇`` selects both, ``街道`` only the 街道.
LEVELS: dict[str, tuple[str, ...]] = {"市": ("市",), "镇": ("镇", "街道"), "街道": ("街道",),
                                      "部门": ("部门",), "村": ("村", "社区")}
#: The label of a unit's consolidated figures, by its 类型 (the 合计 row of what it sends up).
TOTAL_LABELS = {"市": "全市合计", "镇": "全镇合计", "街道": "全街道合计"}


def total_label(units: pd.DataFrame, unit: str | None = None) -> str:
    """“全镇合计”, “全市合计” …: the name of ``unit``'s (default: the root's) consolidated figures."""
    unit = root(units) if unit is None else unit
    kind = kind_of(units, unit) if len(units) else None
    if kind is None:  # the root of a town folder (data/sample) is not listed: it is a town
        return TOTAL_LABELS["镇"] if unit == DEFAULT_ROOT or unit.endswith("镇") else f"{unit}合计"
    return TOTAL_LABELS.get(kind, f"{unit}合计")


def select_units(units: pd.DataFrame, level: str | None = None, unit: str | None = None) -> list[str]:
    """The units a command reports on, in registry order.

    Neither: every listed unit but the root. ``unit``: the unit itself when it keeps a
    ledger, else its descendants. ``level`` (a key of ``LEVELS``): only units of those 类型
    (within ``unit`` when both are given). An unknown level or unit raises ``KeyError``
    (the CLI names the choices)."""
    tree = Tree(units)
    names = [str(u) for u in units["unit"]] if len(units) else []
    if unit is not None and unit not in tree.order and unit != tree.top:
        raise KeyError(unit)
    if level is not None and level not in LEVELS:
        raise KeyError(level)
    if unit is None:
        pool = [u for u in names if u != tree.top]
    elif tree.keeps_ledger(unit):
        pool = [unit]
    else:
        pool = tree.descendants(unit)
    if level is not None:
        here = unit if unit is not None else tree.top  # --level 市: the city itself
        pool = [u for u in pool if tree.kinds.get(u) in LEVELS[level]] or (
            [here] if tree.kinds.get(here) in LEVELS[level] else [])
    return pool


def peer_groups(units: pd.DataFrame) -> dict[str, str]:
    """unit -> the name of the group it is ranked in (docs/scoring.md): towns and 街道 among
    themselves, villages and town departments within their town, city departments among
    themselves. The key is the parent and whether the unit keeps a ledger, so in a town
    folder (data/sample) every unit is in one group, as before the hierarchy existed."""
    tree = Tree(units)
    out = {}
    for u in tree.order:
        if u == tree.top:
            out[u] = u
            continue
        up = tree.parent_of(u) or tree.top
        out[u] = f"{up}所属{'单位' if tree.keeps_ledger(u) else '镇（街道）'}"
    return out
