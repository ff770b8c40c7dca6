"""Forms a consolidating unit sends up: a town's (镇/街道) or the city's consolidated 附件1 and 附件2.

A town consolidates its villages' and departments' forms and sends them to 市安办 in the same
two layouts (the forms' notes: "本表由各镇(街道)及市各有关部门负责填报"). Such a sheet's 填报单位 is
a consolidating unit (``core.hierarchy.PARENT_KINDS`` in the registry, or the tree's root, e.g.
蚶江镇 for a town folder whose units.csv does not list it); its rows name the unit they are about:

附件2 (``read_consolidated_figures``): one 本月数/累计数 pair per unit and a 合计 pair. The unit is
    written in the 单位 cell ("蚶江村 本月数", evalkit's own export), or in its own column left of the
    figures ("蚶江村" | "本月数", the 单位 cell often merged over both rows: the unit carries down).
    The 合计 (总计, 全镇合计 …) pair is the consolidating unit's own figures row.
附件1 (``assign_ledger_units``): each row's unit from a unit column (单位, 所属单位, 村(社区) …), a
    【蚶江村】 marker at the start of 备注 (evalkit's export), or a marker row 【蚶江村】 above a block.

Every row read from such a sheet lands under the unit it names with ``via`` = the consolidating
unit (None for a unit's own submission). When the named unit also sent its own original of the
same form and month, the original wins (``supersede_relayed``): the relayed row is not counted
again; it is kept in ``Dataset.superseded`` for reconciliation (docs/intake.md §6).
"""

from __future__ import annotations

import re

from evalkit._text import NOT_APPLICABLE
from evalkit.core import hierarchy
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.problems import make_problem
from evalkit.intake import cells
from evalkit.intake.header import Header
from evalkit.intake.records import FileRead, RowRead, SheetRead, cut, sheet_problem
from evalkit.intake.registry import Registry

#: Cell texts (after ``cells.norm``) that mean "not applicable" in a 附件2 cell: read as NaN (blank),
#: never 0 and never an error. 不适用 is what evalkit writes for a zero denominator; "-", "—", "/"
#: are blank placeholders already (``cells.NULL_MARKERS``; a lone "-" is no negative number).
NOT_APPLICABLE_MARKERS = frozenset({cells.norm(NOT_APPLICABLE), "不适用%", "无法计算", "n/a", "na"})

#: The 单位 words of a consolidated 附件2's total pair: the consolidating unit's own figures.
TOTAL_WORDS = ("合计", "总计", "汇总", "全镇合计", "全市合计", "全街道合计", "全镇", "全市", "全街道", "本级合计")

#: Header texts (normalised) of a unit column in a consolidated 附件1.
UNIT_COLUMN_NAMES = frozenset(cells.norm(n) for n in (
    "单位", "单位名称", "填报单位", "报送单位", "所属单位", "所属村(社区)", "村(社区)", "村居", "村(居)",
    "部门", "责任单位", "监管单位", "所属部门"))

_MARKER = re.compile(r"^\s*【([^】]{1,40})】\s*")
_LABEL_AT = re.compile(r"(本月数?|本年累计数?|年累计数?|累计数?)")


def is_not_applicable(value) -> bool:
    """True for a 附件2 cell reading 不适用 (or n/a …): not applicable, read as blank (NaN)."""
    return isinstance(value, str) and cells.norm(value).lower() in NOT_APPLICABLE_MARKERS


# --------------------------------------------------------------------------- the sending unit
def is_consolidating(registry: Registry, unit: str | None) -> bool:
    """True when ``unit`` consolidates (``hierarchy.consolidating``: 类型 镇/街道/市, or the tree's root)."""
    return bool(unit) and unit in _consolidating(registry)


def _consolidating(registry: Registry) -> set[str]:
    """``hierarchy.consolidating`` of the registry's units, computed once per registry (read per sheet)."""
    key = id(registry.units)
    cached = registry.__dict__.get("_consolidating_cache")
    if cached is None or cached[0] != key:
        cached = (key, hierarchy.consolidating(registry.units))
        registry.__dict__["_consolidating_cache"] = cached
    return cached[1]


def parent_named(registry: Registry, written: str | None) -> str | None:
    """The consolidating unit ``written`` names when the registry does not list it: the tree's
    root (``hierarchy.root``: 蚶江镇 for a town folder), written as is or with a leading 石狮市."""
    key = cells.normalise_name(cells.strip_stamp(written) or "")
    if not key:
        return None
    top = hierarchy.root(registry.units)
    return top if key and key in (cells.normalise_name(top), cells.normalise_name("石狮市" + top)) else None


def parent_in_title(registry: Registry, top_rows: list[list]) -> str | None:
    """A consolidating unit named in a 汇总 title above the header ("蚶江镇执法统计汇总表"), for a
    sheet whose 填报单位 cell is missing. The official title (石狮市2024年…统计表) names no one."""
    names = sorted(_consolidating(registry))
    for row in top_rows:
        for value in row:
            text = cells.norm(value) if isinstance(value, str) else ""
            if "汇总" not in text and "合计" not in text:
                continue
            found = [n for n in names if cells.norm(n) in text]
            if found:
                return max(found, key=len)
    return None


def below(registry: Registry, parent: str | None) -> set[str] | None:
    """The units ``parent`` may relay (its descendants), or None when units.csv names no 上级单位
    (every unit reports to the root); computed once per sheet."""
    units = registry.units
    if not parent or "parent" not in units or not units["parent"].notna().any():
        return None
    return set(hierarchy.descendants(units, parent))


def named_unit(read: RowRead, sheet: SheetRead, registry: Registry, name: str, column: str,
               allowed: set[str] | None, form: str) -> str:
    """The registry unit a consolidated row names; an unknown name rejects the row (unit_unknown,
    with the closest unit as a hint) and is kept as written; a known one is checked to sit below
    the sending unit (``check_below``). ``form`` names the sheet in the message (汇总表 / 汇总台账)."""
    unit, suggestion = registry.match_unit(name)
    if unit is None:
        hint = f"（是否为：{suggestion}？）" if suggestion else ""
        read.problems.append(sheet_problem(
            "unit_unknown", f"{form}中的单位 '{cut(name)}' 不在单位名录中{hint}：本行未计入，"
            "请填写单位名录中的单位全称", sheet, row=read.row, column=column, value=name))
        return name
    check_below(read, sheet, registry, unit, column, allowed)
    return unit


def check_below(read: RowRead, sheet: SheetRead, registry: Registry, unit: str, column: str,
                allowed: set[str] | None) -> None:
    """Warn (``relayed_unit_outside``) when units.csv places ``unit`` under another parent than the
    consolidating unit whose form names it (``allowed``, from ``below``): the city would count it twice."""
    units = registry.units
    if allowed is None or unit == sheet.unit:
        return
    if unit not in allowed and unit in set(units["unit"]):
        read.problems.append(sheet_problem(
            "relayed_unit_outside", f"{sheet.unit}的汇总表中有 {unit}，但单位名录中 {unit} 的上级单位是 "
            f"{hierarchy.parent_of(units, unit)}：请核对（本行照常计入 {unit}）", sheet, row=read.row, column=column,
            value=unit))


# --------------------------------------------------------------------------- 附件2
def split_label(text: str | None) -> tuple[str | None, str | None]:
    """"蚶江村 本月数" -> ("蚶江村", "本月数"); "本年累计" -> (None, "累计数"); "蚶江村" -> ("蚶江村", None)."""
    t = cells.norm(text) if text else ""
    if not t:
        return None, None
    m = _LABEL_AT.search(t)
    if m is None:
        return t, None
    label = "本月数" if m.group(1).startswith("本月") else "累计数"
    unit = t[: m.start()].rstrip("-_:：·、") or None
    return unit, label


def _is_total(name: str, parent: str) -> bool:
    return name in TOTAL_WORDS or name in (cells.norm(parent) + w for w in ("", "合计", "总计", "汇总"))


def is_total_row(row: list, filled: list[int]) -> bool:
    """A 合计 pair row of a consolidated 附件2 (a data row there, a footer elsewhere)."""
    unit, _ = split_label(cells.to_text(row[filled[0]]))
    return unit is not None and unit in TOTAL_WORDS and len(filled) >= 3


def label_cells(row: list, header: Header) -> list[str]:
    """The texts that may name the row's unit and 本月数/累计数: the 单位 cell and the unmapped
    cells left of the first figure column, in column order."""
    label_at = next((i for i, c in header.columns.items() if c.key == "label"), None)
    first_figure = min((i for i, c in header.columns.items() if c.key != "label"), default=len(row))
    out = []
    for i in range(min(first_figure, len(row))):
        if i != label_at and i in header.columns:
            continue
        value = row[i]
        if isinstance(value, str) and cells.to_text(value) and not cells.norm(value).isdigit():
            out.append(value)
    return out


class FiguresLabeler:
    """Reads the unit and label of each data row of a consolidated 附件2 (one per sheet)."""

    def __init__(self, sheet: SheetRead, registry: Registry, header: Header):
        self.sheet, self.registry, self.header = sheet, registry, header
        self.parent = sheet.unit
        self.current: str | None = None  # the unit of a merged 单位 cell carries down
        self.seen: dict[tuple[str, str], int] = {}
        self.allowed = below(registry, sheet.unit)

    def __call__(self, read: RowRead, row: list) -> str | None:
        """The row's label (本月数/累计数, None when unreadable); sets record unit/via; problems on read."""
        unit_text = label = None
        for text in label_cells(row, self.header):
            u, lab = split_label(text)
            unit_text = unit_text or u
            label = label or lab
        column = FIGURES.column("label").header
        shown = " ".join(cells.to_text(t) for t in label_cells(row, self.header)) or None
        if unit_text is not None:
            self.current = unit_text
        name = self.current
        sheet = self.sheet
        if label is None or name is None:
            what = "未写明单位" if name is None else "不是“本月数”或“累计数”"
            read.problems.append(sheet_problem(
                "figures_row_unrecognised",
                f"汇总表的行 '{cut(shown or '')}' {what}：每个单位应有“单位 本月数”“单位 累计数”两行，"
                "最后是“合计 本月数”“合计 累计数”", sheet, row=read.row, column=column, value=shown))
            read.record.update(unit=name or self.parent, via=self.parent)
            return label
        if _is_total(name, self.parent or ""):
            unit, via = self.parent, None
        else:
            unit = named_unit(read, sheet, self.registry, name, column, self.allowed, "汇总表")
            via = self.parent
        key = (unit, label)
        if key in self.seen:
            read.problems.append(sheet_problem(
                "figures_row_unrecognised",
                f"{unit} 的第二个“{label}”行（第一个在第 {self.seen[key]} 行）：汇总表中每个单位只应有一行{label}",
                sheet, row=read.row, column=column, value=shown))
        else:
            self.seen[key] = read.row
        read.record.update(unit=unit, via=via)
        return label

    def finish(self) -> None:
        """A unit with only one of its two rows: that row is rejected (figures_row_missing)."""
        units: dict[str, dict[str, int]] = {}
        for (unit, label), n in self.seen.items():
            units.setdefault(unit, {})[label] = n
        by_row = {r.row: r for r in self.sheet.rows}
        for unit, labels in units.items():
            missing = [lab for lab in FIGURES.row_labels if lab not in labels]
            for n in labels.values() if missing else ():
                by_row[n].problems.append(sheet_problem(
                    "figures_row_missing",
                    f"汇总表中 {unit} 缺少“{'”“'.join(missing)}”行：每个单位应有本月数、累计数两行",
                    self.sheet, row=n, column=FIGURES.column("label").header, value=unit))
        if not units:
            self.sheet.problems.append(sheet_problem(
                "figures_row_missing", "汇总表没有任何“单位 本月数”“单位 累计数”行", self.sheet, row=self.header.row))


# --------------------------------------------------------------------------- 附件1
def _unit_column(grid: list[list], header: Header) -> int | None:
    for r in range(header.top - 1, header.row):
        for i, value in enumerate(grid[r]):
            if i not in header.columns and isinstance(value, str) and cells.norm(value) in UNIT_COLUMN_NAMES:
                return i
    return None


def _marker(value) -> str | None:
    m = _MARKER.match(value) if isinstance(value, str) else None
    return m.group(1).strip() if m else None


def assign_ledger_units(sheet: SheetRead, grid: list[list], header: Header, registry: Registry) -> None:
    """Give each 附件1 row of a consolidated sheet the unit it names (unit column, 【单位】 at the
    start of 备注, or the last 【单位】 marker row above it) and ``via`` = the sheet's unit. A marker
    row is no data row: it is dropped from the rows read. A row naming no unit, or an unknown one,
    is rejected (unit_missing / unit_unknown on the row)."""
    unit_col = _unit_column(grid, header)
    remarks_col = next((i for i, c in header.columns.items() if c.key == "remarks"), None)
    markers: dict[int, str] = {}  # Excel row -> the marker row's unit in force
    current = None
    for n in range(header.row + 1, len(grid) + 1):
        row = grid[n - 1]
        filled = [v for v in row if cells.to_text(v) is not None]
        if len(filled) == 1 and (m := _marker(filled[0])) and _MARKER.sub("", filled[0]).strip() == "":
            current = m
            markers[n] = m
        elif current is not None:
            markers.setdefault(n, current)
    kept = []
    allowed = below(registry, sheet.unit)
    for read in sheet.rows:
        row = grid[read.row - 1]
        filled = [v for v in row if cells.to_text(v) is not None]
        if len(filled) == 1 and _marker(filled[0]) and _MARKER.sub("", filled[0]).strip() == "":
            continue  # a marker row was parsed as an inspection: it is none
        name = None
        if unit_col is not None and unit_col < len(row):
            name = cells.strip_stamp(cells.to_text(row[unit_col]))
        remark = row[remarks_col] if remarks_col is not None and remarks_col < len(row) else None
        if not name and (m := _marker(remark)):
            name = m
            rest = _MARKER.sub("", remark)
            read.record["remarks"] = cells.clean_text(rest)
        if not name:
            name = markers.get(read.row)
        column = LEDGER.column("remarks").header if unit_col is None else cells.to_text(grid[header.row - 1][unit_col])
        if not name:
            read.problems.append(sheet_problem(
                "unit_missing", f"{sheet.unit} 的汇总台账第 {read.row} 行未写明单位：请在单位列或备注开头写明"
                "“【单位名称】”", sheet, row=read.row, column=column))
            unit = sheet.unit
        else:
            unit = named_unit(read, sheet, registry, name, column, allowed, "汇总台账")
        read.record.update(unit=unit, via=sheet.unit)
        kept.append(read)
    sheet.rows = kept


# --------------------------------------------------------------------------- precedence
FORM_TITLES = {LEDGER.id: "附件1", FIGURES.id: "附件2"}


def supersede_relayed(files: list[FileRead]) -> None:
    """A unit's own submission wins over the rows a consolidating unit relays for it.

    For every (form, unit, year, month) that the unit sent itself (a sheet whose 填报单位 is
    the unit, free of sheet errors), the rows of consolidated sheets naming that unit for that
    form and month are marked ``record["superseded_by"]`` = the original's file: they are not
    counted again (not in ``Dataset.ledger`` / ``figures``), but kept in ``Dataset.superseded``
    so the consolidating unit's 合计 can still be reconciled with them. One warning
    ``relayed_superseded`` per consolidated sheet and unit.
    """
    own: dict[tuple, str] = {}
    for f in files:
        for s in f.sheets:
            if s.form and s.unit and s.period and not s.sheet_errors and not _is_relaying(s):
                own.setdefault((s.form, s.unit, s.period), s.file)
    for f in files:
        for s in f.sheets:
            if not _is_relaying(s) or s.period is None:
                continue
            block = s.block
            units, vias = block.columns["unit"], block.columns["via"]
            gone: list[str | None] = [None] * len(block)
            warned: set[str] = set()
            for i, (unit, via) in enumerate(zip(units, vias, strict=True)):
                original = own.get((s.form, unit, s.period)) if via else None
                if original is None:
                    continue
                gone[i] = original
                if unit not in warned:
                    warned.add(unit)
                    s.problems.append(make_problem(
                        "relayed_superseded",
                        f"{unit} {s.year}年{s.month}月的{FORM_TITLES[s.form]}也由本单位直接报送（{original}）："
                        f"以本单位的原表为准，{s.unit}汇总表中的 {unit} 各行不重复计入，只用于核对{s.unit}的合计",
                        file=s.file, sheet=s.sheet, row=block.rows[i], value=original))
            block.columns["superseded_by"] = gone


def _is_relaying(sheet: SheetRead) -> bool:
    """Rows read from a consolidated form carry ``via`` (a column of the packed ``RowBlock``)."""
    return sheet.block is not None and any(sheet.block.columns.get("via") or ())
