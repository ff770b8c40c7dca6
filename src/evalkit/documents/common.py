"""What every document shares: who writes to whom, the period's words, figures as text.

Figures come from the report sections (``evalkit.report.sections``: the same memoised
``compute_metrics``, ``run_audit``, ``score_units`` and ``case_candidates`` as the HTML
reports) and are written with ``_text.format_value`` (不适用 for a zero denominator), never
typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from evalkit._text import NOT_APPLICABLE, format_value
from evalkit.assess.cases import case_candidates
from evalkit.core import hierarchy
from evalkit.core.periods import Period, parse_period
from evalkit.documents.style import (
    ADDRESSEE_OF_KIND,
    ISSUER_OF_KIND,
    PLAN_OF_OTHER_ROOT,
    PLAN_REFERENCE,
    TOWN_ISSUER,
    UNIT_ADDRESSEE_OF_KIND,
)
from evalkit.export.personal_data import scrub_personal
from evalkit.metrics.engine import get_metric
from evalkit.report import sections

CN_NUMBERS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (heading and case numbers)."""
    if n <= 10:
        return CN_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUMBERS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMBERS[ones - 1] if ones else "")


def date_text(day: dt.date) -> str:
    """成文日期 in Arabic numerals, as GB/T 9704-2012 writes it: 2024年7月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


def due_date(period: Period) -> dt.date:
    """The plan's deadline for a period's documents (方案 四, 报送要求): a quarter's
    活动开展情况 and 典型案例 “二、三、四季度第一个月1日前” (the first day of the next
    quarter's first month: Q2 -> 7月1日); the fourth quarter's and the year's 总结
    “12月20日前”. The documents are dated on that day."""
    if period.kind == "year" or period.quarter == 4:
        return dt.date(period.year, 12, 20)
    return dt.date(period.year, 3 * period.quarter + 1, 1)


def quarter_of(period: Period) -> Period:
    """The quarter a document of ``period`` covers: a month's quarter up to that month, a
    quarter itself; a year's fourth quarter."""
    if period.kind == "year":
        return parse_period(f"{period.year}Q4")
    if period.kind in ("month", "ytd"):
        return parse_period(f"{period.year}-{period.last_month:02d}", "quarter").up_to(period.last_month)
    return period


def quarter_name(period: Period) -> str:
    """2024年第二季度 (without the 截至 note the label carries)."""
    return f"{period.year}年第{CN_NUMBERS[period.quarter - 1]}季度"


@dataclass(frozen=True)
class Scope:
    """Whose document: the town (``unit`` None) or one unit's, for ``period`` (cut at the data)."""

    ds: object
    period: Period
    unit: str | None = None

    @property
    def root(self) -> str:
        """The folder's top unit: 蚶江镇 for a town folder, 石狮市 for the city's."""
        return hierarchy.root(self.ds.units)

    @property
    def root_kind(self) -> str:
        """镇, 街道 or 市: the level the root writes as (a folder that does not list its root is a 镇)."""
        kind = hierarchy.kind_of(self.ds.units, self.root)
        return kind if kind in ISSUER_OF_KIND else "镇"

    @property
    def who(self) -> str:
        return self.unit or self.root

    @property
    def issuer(self) -> str:
        if self.unit:
            return self.unit
        if self.root == hierarchy.DEFAULT_ROOT:
            return TOWN_ISSUER
        return ISSUER_OF_KIND[self.root_kind].format(name=self.root)

    @property
    def addressee(self) -> str:
        if self.unit:
            parent = hierarchy.parent_of(self.ds.units, self.unit)
            kind = hierarchy.kind_of(self.ds.units, parent) if parent else None
            return UNIT_ADDRESSEE_OF_KIND.get(kind or self.root_kind, UNIT_ADDRESSEE_OF_KIND["镇"])
        return ADDRESSEE_OF_KIND[self.root_kind]

    @property
    def plan_reference(self) -> str:
        return PLAN_REFERENCE if self.root == hierarchy.DEFAULT_ROOT else PLAN_OF_OTHER_ROOT.format(name=self.root)

    @property
    def we(self) -> str:
        """How the text names its writer: 我镇 (我街道, 我市), or the unit (我村 / 我单位)."""
        if self.unit is None:
            return f"我{self.root_kind}"
        return "我村" if self.unit.endswith("村") else "我单位"

    @property
    def members(self) -> str:
        """The units below the writer, as the text counts them: 全镇27个村和部门, 全市8个镇（街道）和部门."""
        children = hierarchy.children_of(self.ds.units, self.root)
        if self.root_kind == "市":
            return f"全市{len(children)}个镇（街道）和部门"
        return f"全{self.root_kind}{len(children)}个村和部门"

    def values(self, result):
        """The town total or the unit's row of a ``MetricsResult``."""
        if self.unit is None:
            return result.total
        return result.frame.loc[self.unit] if self.unit in result.frame.index else None

    def metrics(self, period=None, scope: str | None = None):
        return sections.metrics(self.ds, period or self.period, scope=scope)

    def ytd_period(self) -> Period:
        """January to the period's last month (年初以来)."""
        return parse_period(f"{self.period.year}-{self.period.last_month:02d}", "ytd")


def figure(values, metric_id: str, *, with_unit: bool = True) -> str:
    """One figure as text in its metric's kind, with its unit (400家, 12.5万元, 63.90%);
    不适用 (no unit) where the value is undefined, e.g. a rate with a zero denominator."""
    if values is None:
        return NOT_APPLICABLE
    d = get_metric(metric_id)
    text = format_value(values[metric_id], d.text_kind)
    if text == NOT_APPLICABLE or not with_unit or d.unit == "%":
        return text
    return f"{text}{d.unit}"


def cell(values, metric_id: str) -> str:
    """A table cell: the metric's kind, no unit (the header carries it), 不适用 as elsewhere."""
    if values is None:
        return NOT_APPLICABLE
    return format_value(values[metric_id], get_metric(metric_id).text_kind, percent_sign=False)


def known_persons(ds) -> list[str]:
    """The ledger's 执法人员 (masked wherever they appear in a document's free text)."""
    led = ds.ledger
    names: set[str] = set()
    if len(led) and "inspectors" in led:
        for persons in led["inspectors"]:
            if isinstance(persons, (list, tuple)) or hasattr(persons, "__iter__") and not isinstance(persons, str):
                names.update(str(p) for p in persons if p)
    return sorted(names)


def clean(text: str, names: list[str]) -> str:
    """Free text from the ledger without personal data (``export.personal_data.scrub``):
    phone and ID numbers, e-mail, and persons' names become 张某 (documents go up the chain
    and into archives; the case number identifies a case for whoever may read its file)."""
    out = scrub_personal(text, names)
    return "" if out is None else out


_CANDIDATES: dict[tuple, object] = {}


def candidates(ds, period: Period):
    """``assess.cases.case_candidates`` of the period, ranked exactly as the typical-cases
    report ranks them, without the timelines (which the documents do not print and which
    are most of its cost), reading the ledger facts of the period's audit."""
    key = (str((ds.meta or {}).get("cache_key") or id(ds)), period.text, period.kind, period.through)
    if key not in _CANDIDATES:
        if len(_CANDIDATES) > 16:
            _CANDIDATES.clear()
        facts = getattr(sections.audit(ds, period), "facts", None)
        _CANDIDATES[key] = case_candidates(ds, period, with_timeline=False, facts=facts)
    return _CANDIDATES[key]
