"""Rule 13: a consolidating unit's (镇/街道/市) reported 合计 against its children (docs/audit.md).

A town's consolidated 附件2 carries a 合计 pair (``Dataset.figures`` rows with unit = the town, via None).
Two checks, each judged by the one function ``audit.reconcile.differs`` / ``verdict``:

``consolidated_total_mismatch``
    the 合计 against the children's rows **of the same form** (``figures`` rows with via = the town,
    and the relayed rows a unit's own original superseded, ``Dataset.superseded``), combined by each
    column's metric definition (``metrics.registry``): ``sum`` and ``stock`` columns are the sum of the
    children; a ``distinct`` column (家: distinct enterprises) may legitimately be less than the sum
    (an enterprise two units inspected counts once in the town), so it must lie between the largest
    child and the sum (config ``consolidated.distinct``: ``bounds``; ``sum`` demands the sum); a rate is
    recomputed from the 合计's own numerator and denominator when both are 家 (立案比例 = 立案数 / 检查企业数),
    otherwise from the children's numerators rebuilt as rate × denominator / 100 over the summed denominator
    (检查覆盖率: the ledger counts only enterprises of each unit's own registry, which add up across units;
    违法行为查处率: the form has no numerator column, and items add up).
``consolidated_ledger_mismatch``
    the 合计 against the figures recomputed from the ledger of the town's leaf units
    (``core.hierarchy.ledger_units``: a consolidated 附件1 or the forwarded originals), when that ledger
    is present: a 附件1 submission of the town or one of its leaves for the month (累计数: for every month
    from January). The recomputation is ``MetricsEngine`` over those units only, so 家 columns are the
    union of enterprises, as for any unit. A figure the metrics mark incomplete is not compared.

One finding per (town, month, 本月数/累计数 row) listing the columns that disagree.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from evalkit._text import as_number
from evalkit.audit.reconcile import COMPARED, SCOPE_OF_ROW, differs, held_to, verdict
from evalkit.audit.rules import Context, finding, fmt
from evalkit.core import hierarchy
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.metrics.engine import TOTAL_LABEL, MetricsEngine, rate
from evalkit.metrics.registry import get_metric

_LABELS = {c.key: c.header for c in FIGURES.columns}


def _totals(ctx: Context) -> list[dict]:
    """The period's 合计 rows: figures rows of a consolidating unit (its own, via None)."""
    figs = ctx.dataset.figures
    if figs is None or figs.empty:
        return []
    parents = hierarchy.consolidating(ctx.dataset.units)
    via = figs["via"] if "via" in figs else pd.Series(None, index=figs.index, dtype=object)
    rows = figs[figs["unit"].isin(parents) & via.isna() & figs["period"].isin(ctx.period.period_keys)]
    return rows.sort_values(["unit", "period", "kind"]).to_dict("records")


def _children_rows(ctx: Context, town: str, period: str, kind: str) -> list[dict]:
    """The rows the town's own form gives for its children (counted or superseded by an original)."""
    out = []
    for frame in (ctx.dataset.figures, getattr(ctx.dataset, "superseded", None)):
        if frame is None or frame.empty or "via" not in frame:
            continue
        hit = frame[(frame["via"] == town) & (frame["period"] == period) & (frame["kind"] == kind)]
        if "form" in hit:
            hit = hit[hit["form"] == FIGURES.id]
        out += hit.to_dict("records")
    return out


def _value(row: dict, key: str) -> float | None:
    v = as_number(row.get(key))
    return None if v is None or v != v else float(v)


def expected_from_children(total: dict, children: list[dict], distinct: str = "bounds") -> dict[str, tuple]:
    """Column key -> (low, high) the 合计 may take given the children's rows (low == high unless a 家
    column under ``bounds``); a rate from the 合计's own parts, or the children's rebuilt numerators."""
    out: dict[str, tuple] = {}
    for col in COMPARED:
        d = get_metric(col.key)
        vals = [_value(r, col.key) or 0.0 for r in children]
        if d.kind == "rate":
            num, den = d.reported_pair
            if num is not None and get_metric(den).aggregation == "distinct":
                # 立案比例 = 立案数 / 检查企业数, both distinct: from the 合计's own parts
                value = rate(_value(total, num) or 0, _value(total, den) or 0)
            else:
                # 检查覆盖率 (its numerator, enterprises of the unit's own registry, adds up across units) and
                # 违法行为查处率 (no numerator column; items add up): each child's numerator rebuilt as
                # rate × denominator / 100, summed, over the summed denominator
                parts = [((_value(r, col.key) or 0.0) * (_value(r, den) or 0.0) / 100) for r in children]
                value = rate(round(sum(parts), 6), sum(_value(r, den) or 0.0 for r in children))
            out[col.key] = (value, value)
        elif d.aggregation == "distinct" and distinct == "bounds":
            out[col.key] = (max(vals, default=0.0), sum(vals))
        else:
            out[col.key] = (sum(vals), sum(vals))
    return out


def check_consolidated_total_mismatch(ctx: Context) -> list[dict]:
    """Rule 13a: a town's 合计 vs the combination of its children's rows in the same form."""
    distinct = ctx.config.get("consolidated", {}).get("distinct", "bounds")
    out = []
    for total in _totals(ctx):
        town, period, kind = total["unit"], total["period"], total["kind"]
        children = _children_rows(ctx, town, period, kind)
        if not children:
            continue  # the town sent no unit rows in this form: nothing to add up
        bad = {}
        for key, (low, high) in expected_from_children(total, children, distinct).items():
            col = FIGURES.column(key)
            rep = total.get(key)
            if low == high:
                off = differs(rep, low, col.kind, ctx.config)
            else:
                r = as_number(rep) or 0.0
                off = (r > high and differs(r, high, col.kind, ctx.config)) or (
                    r < low and differs(r, low, col.kind, ctx.config))
            if off:
                bad[key] = {"reported": rep, "low": low, "high": high}
        if not bad:
            continue
        parts = []
        for key, b in bad.items():
            want = fmt(b["low"]) if b["low"] == b["high"] else f"{fmt(b['low'])}—{fmt(b['high'])}"
            parts.append(f"{_LABELS[key]} 报送 {fmt(b['reported'])}，按各单位行应为 {want}")
        evidence = [f"{total['file']}#{total['sheet']}#{int(total['row'])}"] + [
            f"{r['file']}#{r['sheet']}#{int(r['row'])}" for r in children]
        out.append(finding(
            ctx, "consolidated_total_mismatch", unit=town, enterprise=None,
            message=(f"{town} {period} 汇总表的合计{kind}与表中 {len(children)} 个单位的{kind}不符："
                     + "；".join(parts) + "（家数为不同企业数，合计可小于各单位之和，但不能大于之和、小于最大的单位）"),
            evidence=evidence, details={"kind": kind, "columns": bad, "children": len(children)}))
    return out


def _ledger_present(ctx: Context, group: list[str], town: str, months: list[str]) -> bool:
    subs = ctx.dataset.submissions
    if subs is None or subs.empty:
        return False
    got = set(subs.loc[(subs["form"] == LEDGER.id) & subs["unit"].isin([*group, town]), "period"].dropna())
    return all(m in got for m in months)


def _group_metrics(ctx: Context, group: list[str], cache: dict, period: str, scope: str):
    """The group's ledger metrics (``MetricsEngine`` over the group's units only: its total is their union)."""
    key = (tuple(group), period, scope)
    if key not in cache:
        ds = ctx.dataset
        sub = dataclasses.replace(
            ds, units=ds.units[ds.units["unit"].isin(group)].reset_index(drop=True),
            ledger=ds.ledger[ds.ledger["unit"].isin(group)].reset_index(drop=True),
            items=ds.items[ds.items["unit"].isin(group)].reset_index(drop=True))
        cache[key] = MetricsEngine(sub).compute(period, scope=scope, source="ledger")
    return cache[key]


def check_consolidated_ledger_mismatch(ctx: Context) -> list[dict]:
    """Rule 13b: a town's 合计 vs the figures recomputed from its leaves' ledger, where that ledger is present."""
    out, cache = [], {}
    units = ctx.dataset.units
    for total in _totals(ctx):
        town, period, kind = total["unit"], total["period"], total["kind"]
        group = hierarchy.ledger_units(units, town)
        scope = SCOPE_OF_ROW[kind]
        year, month = int(period[:4]), int(period[5:])
        months = [period] if scope == "month" else [f"{year}-{m:02d}" for m in range(1, month + 1)]
        if not group or not _ledger_present(ctx, group, town, months):
            continue
        result = _group_metrics(ctx, group, cache, period, scope)
        readings = result.readings(TOTAL_LABEL)  # the other readings a 合计 may follow, as a unit's (rule 1)
        bad = {}
        for col in COMPARED:
            rec = held_to(col.key, total.get(col.key), result.total.get(col.key), readings, col.kind, ctx.config)
            why = result.is_incomplete(TOTAL_LABEL, col.key)
            if verdict(total.get(col.key), rec, col.kind, ctx.config, incomplete=why) == "differs":
                bad[col.key] = {"reported": total.get(col.key), "recomputed": rec}
        if not bad:
            continue
        parts = [f"{_LABELS[k]} 报送 {fmt(b['reported'])}，台账重算 {fmt(b['recomputed'])}" for k, b in bad.items()]
        out.append(finding(
            ctx, "consolidated_ledger_mismatch", unit=town, enterprise=None,
            message=(f"{town} {period} 汇总表的合计{kind}与所辖 {len(group)} 个单位的台账重算数不符："
                     + "；".join(parts)),
            evidence=[f"{total['file']}#{total['sheet']}#{int(total['row'])}"],
            details={"kind": kind, "scope": scope, "columns": bad}))
    return out


RULES_CONSOLIDATED = {
    "consolidated_total_mismatch": check_consolidated_total_mismatch,
    "consolidated_ledger_mismatch": check_consolidated_ledger_mismatch,
}
