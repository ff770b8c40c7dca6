"""Audit rule catalogue, the finding record, and rules 1–5 (reports and plan).

Each rule is a function ``check_<id>(ctx) -> list[dict]`` returning findings built by
``finding()``. Rules 6–12 (handling of violations) live in ``evalkit.audit.rules_handling``.
The plan clause each rule enforces is in ``AUDIT_RULES`` and docs/audit.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from evalkit._text import AUDIT_SEVERITIES, BLANK, NOT_APPLICABLE, as_number, format_value
from evalkit.audit.facts import Facts
from evalkit.audit.reconcile import COMPARED, SCOPE_OF_ROW, held_to, verdict
from evalkit.core import hierarchy
from evalkit.core.dataset import Dataset, covered_months
from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.periods import Period, submission_deadline
from evalkit.metrics.engine import MetricsResult
from evalkit.metrics.registry import CELL_COMPONENTS, list_metrics

Severity = Literal["高", "中", "低"]
SEVERITIES: tuple[str, ...] = AUDIT_SEVERITIES  # the one vocabulary (_text)


@dataclass(frozen=True)
class AuditRule:
    id: str
    title: str   # Chinese name shown in reports
    clause: str  # the plan / law clause it enforces
    severity: Severity  # default severity (some rules raise or lower it per finding)


_A = AuditRule
#: Stable rule ids, in report order.
AUDIT_RULES: dict[str, AuditRule] = {r.id: r for r in [
    _A("reconciliation_mismatch", "附件2报送数与台账重算数不符", "附件2 备注1、2；方案四（报送要求）", "中"),
    _A("reconciliation_incomplete", "附件2无法与台账核对（台账有无法识别的数字）",
       "附件2 备注1、2；方案四（报送要求）", "低"),
    _A("cumulative_inconsistent", "附件2累计数不一致", "附件2 本月数/累计数", "中"),
    _A("key_industry_uninspected", "重点行业企业年内未检查", "方案二（二）：重点行业领域执法检查全覆盖", "中"),
    _A("random_inspection_low", "“双随机”抽查比例低于5%", "方案二（二）：“双随机”抽查比例不低于5%", "中"),
    _A("plan_not_executed", "计划检查未实施", "方案二（二）：按执法计划编制现场检查方案", "中"),
    _A("submission_missing", "逾期未报送统计表", "方案四：每月30日前报送上月执法统计表（附件1、附件2）", "中"),
    _A("criminal_referral_missing", "以罚代刑：涉嫌犯罪未移送", "方案二（三）：不得以行政处罚代替移送", "高"),
    _A("rectification_instead_of_penalty", "以整改代替处罚", "方案二（五）：纠正以整改代替处罚", "中"),
    _A("repeat_not_escalated", "同一违法行为反复出现未从重",
       "方案二（五）：同一违法行为反复出现的，依法从重查处", "中"),
    _A("overdue_not_escalated", "逾期未整改且未加重处理",
       "方案二（五）：逾期未整改的依法从重查处；安全生产法第一百一十二条", "中"),
    _A("fine_out_of_range", "罚款超出法定幅度",
       "方案二（五）：严格依据法律法规实施处罚；违法行为目录（含逾期未改正、拒不执行后的幅度；安全生产法第一百一十二条）",
       "中"),
    _A("case_basis_missing", "立案无处罚依据或依据不明",
       "方案二（一）：完善自由裁量基准；行政处罚法第五十九条（处罚决定书应载明行政处罚的种类和依据）", "中"),
    _A("closure_due", "符合提请关闭情形",
       "安全生产法第一百一十三条第（一）项、第（四）项；方案二（四）：关闭取缔", "高"),
    _A("fine_disparity", "同案不同罚", "方案二（一）：完善自由裁量基准", "低"),
    _A("consolidated_total_mismatch", "汇总表合计与所列单位的数字不符",
       "附件2 备注1（本表由各镇（街道）及市各有关部门负责填报）；方案四（报送要求）", "中"),
    _A("consolidated_ledger_mismatch", "汇总表合计与所辖单位台账重算数不符",
       "附件2 备注1、2；方案四（报送要求）", "中"),
]}

FINDING_COLUMNS = ["rule", "rule_name", "severity", "unit", "enterprise", "period", "message",
                   "evidence", "details"]


@dataclass
class Context:
    """What a rule sees: the dataset, the period, derived facts, config, metrics access."""

    dataset: Dataset
    period: Period
    facts: Facts
    config: dict
    recompute: Callable[[str, str], MetricsResult | None]  # (period text, scope) -> ledger metrics
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def finding(ctx: Context, rule: str, *, unit, enterprise, message: str, evidence: list[str],
            details: dict | None = None, severity: Severity | None = None) -> dict:
    """One finding row; severity defaults to the rule's."""
    r = AUDIT_RULES[rule]
    return {
        "rule": rule, "rule_name": r.title, "severity": severity or r.severity,
        "unit": unit, "enterprise": enterprise, "period": ctx.period.text,
        "message": message, "evidence": list(evidence), "details": details or {},
    }


def fmt(value) -> str:
    """A number for a message (``format_value`` kind plain: 3, 0.5, 12.35); a NaN (a blank
    cell as read) reads 空白, None (an undefined value) 不适用."""
    return format_value(value, "plain", missing=BLANK if isinstance(value, float) else NOT_APPLICABLE)


def _figure_ref(row) -> str:
    return f"{row['file']}#{row['sheet']}#{int(row['row'])}"


# ------------------------------------------------------------------ rule 1
def _reconciled_cells(ctx: Context):
    """(附件2 row, scope, column, reported, recomputed, verdict, incomplete reason) for every
    compared cell of the period's 附件2 rows (``reconcile.verdict``), in unit, month, row order."""
    figs = ctx.dataset.figures
    if figs is None or figs.empty:
        return
    figs = figs[figs["period"].isin(ctx.period.period_keys)]
    # a consolidating unit's 合计 rows are checked against its children by rule 13 (rules_consolidated)
    figs = figs[~figs["unit"].isin(hierarchy.consolidating(ctx.dataset.units))]
    if "via" in figs:  # a row a town relayed, for a month without any 附件1 of the unit or the town: nothing to compare
        subs = ctx.dataset.submissions
        ledgers = set(zip(subs.loc[subs["form"] == LEDGER.id, "unit"], subs.loc[subs["form"] == LEDGER.id, "period"],
                          strict=True)) if len(subs) else set()
        relayed = figs["via"].notna()
        covered = [(u, p) in ledgers or (v, p) in ledgers for u, v, p in zip(figs["unit"], figs["via"], figs["period"],
                                                                             strict=True)]
        figs = figs[~relayed | pd.Series(covered, index=figs.index, dtype=bool)]
    columns: dict[int, dict] = {}  # id(result) -> compared column -> values (no lookup per cell)
    for fig in figs.sort_values(["unit", "period", "kind"]).to_dict("records"):
        scope = SCOPE_OF_ROW[fig["kind"]]
        result = ctx.recompute(fig["period"], scope)
        if result is None:
            continue
        frame, unit = result.frame, fig["unit"]
        if id(result) not in columns:
            columns[id(result)] = {c.key: frame[c.key].array for c in COMPARED if c.key in frame.columns}
        values = columns[id(result)]
        at = frame.index.get_loc(unit) if unit in frame.index else None
        for col in COMPARED:
            if col.key not in values:
                continue
            if at is None:
                rec = None
            elif isinstance(at, int):
                rec = values[col.key][at]
            else:
                rec = frame.at[unit, col.key]  # (a unit listed twice)
            why = result.is_incomplete(unit, col.key)
            rep = fig[col.key]
            if isinstance(at, int):  # another reading of the rate the unit may have followed
                rec = held_to(col.key, rep, rec, result.readings(unit), col.kind, ctx.config)
            yield fig, scope, col, rep, rec, verdict(rep, rec, col.kind, ctx.config, incomplete=why), why


def _scope_text(scope: str) -> str:
    return "当月" if scope == "month" else "年初至当月"


def check_reconciliation_mismatch(ctx: Context) -> list[dict]:
    """Rule 1. 附件2 本月数 vs the unit's 附件1 recomputed for the month; 累计数 vs year to date.

    For every 附件2 submission of the period and every count / rate / 万元 column, the
    reported value is compared with ``evalkit.metrics.engine.compute_metrics(source="ledger")``
    (scope ``month`` for 本月数, ``ytd`` for 累计数) by ``evalkit.audit.reconcile.differs``
    (blank = 0 or 不适用, a reported 0 = 不适用; tolerance: counts exact, rates 0.01
    percentage points, 万元 0.0001). A rate agrees when it matches another reading the unit may
    have followed (``reconcile.held_to``, ``MetricsResult.readings``): 检查覆盖率 by the form's
    printed formula (附件2 备注2: 现场监督检查企业数 / 监管企业总数), 违法行为查处率 by every documented
    variant (its footnote is garbled). One finding per differing cell, both values shown.
    A recomputed figure that is incomplete (``MetricsResult.incomplete``) is never a
    mismatch: rule 1b (``reconciliation_incomplete``) reports it.
    """
    cfg = ctx.config["reconciliation"]
    out = []
    for fig, scope, col, rep, rec, said, _ in _reconciled_cells(ctx):
        if said != "differs":
            continue
        tol = float(cfg[f"tolerance_{col.kind}"])
        rec_v, rep_v = as_number(rec), as_number(rep)
        diff = None if rec_v is None or rep_v is None else round(rep_v - rec_v, 6)
        out.append(finding(
            ctx, "reconciliation_mismatch", unit=fig["unit"], enterprise=None,
            message=(f"{fig['period']} {fig['kind']}「{col.header}」报送 {fmt(rep)}，"
                     f"按附件1台账重算 {fmt(rec_v)}（{_scope_text(scope)}），允许误差 {fmt(tol)}"),
            evidence=[_figure_ref(fig)],
            details={"metric": col.key, "kind": fig["kind"], "scope": scope, "month": fig["period"],
                     "reported": rep_v, "recomputed": rec_v, "difference": diff, "tolerance": tol},
        ))
    return out


def _unreadable_rows(ctx: Context, unit: str, month: str, scope: str, parts: tuple[str, ...]) -> list[str]:
    """Row ids of the unit's ledger rows in the scope whose unreadable cells feed a metric
    built from the components ``parts``."""
    ledger = ctx.dataset.ledger
    if ledger is None or ledger.empty or "unreadable" not in ledger:
        return []
    keys = [k for k, comps in CELL_COMPONENTS.items() if set(parts) & set(comps)]
    year, last = int(month[:4]), int(month[5:])
    months = {month} if scope == "month" else {f"{year}-{m:02d}" for m in range(1, last + 1)}
    mine = ledger[(ledger["unit"] == unit) & ledger["period"].isin(months) & ledger["unreadable"].notna()]
    hit = [any(k in str(u).split(";") for k in keys) for u in mine["unreadable"]]
    return [str(r) for r in mine.loc[hit, "row_id"]]


def check_reconciliation_incomplete(ctx: Context) -> list[dict]:
    """Rule 1b. A 附件2 cell rule 1 cannot check: the recomputed figure is incomplete.

    The unit's ledger in the cell's scope (the month for 本月数, January to the month for
    累计数) holds a cell intake kept the row for but could not read (a fine reading 待定,
    ``ledger.unreadable``), and the column is built from it (``MetricsResult.incomplete``).
    The row still counts as an inspection, so the other columns are checked as usual; this
    column is not, whatever the numbers. One finding per such cell (low severity, not scored),
    naming the reported value, the part recomputed from the cells that were read, and as
    evidence the 附件2 row and the ledger rows with the unreadable cells.
    """
    out = []
    for fig, scope, col, rep, rec, said, why in _reconciled_cells(ctx):
        if said != "incomplete":
            continue
        rec_v, rep_v = as_number(rec), as_number(rep)
        parts = ctx.recompute(fig["period"], scope).definitions[col.key].parts
        rows = _unreadable_rows(ctx, fig["unit"], fig["period"], scope, parts)
        out.append(finding(
            ctx, "reconciliation_incomplete", unit=fig["unit"], enterprise=None,
            message=(f"{fig['period']} {fig['kind']}「{col.header}」报送 {fmt(rep)}，未能核对：{why}"
                     f"（{_scope_text(scope)}已识别部分重算为 {fmt(rec_v)}）；请更正台账中无法识别的单元格"),
            evidence=[_figure_ref(fig), *rows],
            details={"metric": col.key, "kind": fig["kind"], "scope": scope, "month": fig["period"],
                     "reported": rep_v, "recomputed": rec_v, "reason": why, "ledger_rows": rows},
        ))
    return out


# ------------------------------------------------------------------ rule 2
#: Not ``reconcile.differs``: rule 2 checks reported cells against each other (mostly
#: inequalities, with the ``cumulative`` tolerances), not a reported cell against the ledger.
#: 隐患整改数 accumulates late closures: a 复查 in June closing a May hazard raises the June
#: 累计数 but neither month's 本月数 (evalkit.metrics.engine: only hazards found in the scope count,
#: rectified by its end). So 累计数(m) >= 累计数(m−1) + 本月数(m), and <= 累计 排查隐患数(m).
#: All from the metrics registry: CLOSING = MetricDef.closes; ADDITIVE = aggregation "sum";
#: DISTINCT = aggregation "distinct" (家: distinct enterprises; the stock 监管企业总数 is neither).
CLOSING = {d.id: d.closes for d in list_metrics() if d.closes}
ADDITIVE = [FIGURES.column(d.id) for d in list_metrics() if d.on_form and d.aggregation == "sum"]
DISTINCT = [FIGURES.column(d.id) for d in list_metrics() if d.on_form and d.aggregation == "distinct"]


def _val(row, key) -> float:
    """A 附件2 cell for arithmetic: blank counts as 0 (documented)."""
    v = as_number(row[key]) if row is not None else None
    return 0.0 if v is None else v


def check_cumulative_inconsistent(ctx: Context) -> list[dict]:
    """Rule 2. 累计数 arithmetic of 附件2, month by month.

    Additive columns (处, 件, 人, 起, 万元): 累计数(m) = 累计数(m−1) + 本月数(m); in January
    累计数 = 本月数; skipped when the previous month's 累计数 is missing. 隐患整改数 also
    counts later closures of earlier hazards, so for it: 累计数(m−1) + 本月数(m) <= 累计数(m)
    <= 累计 排查隐患数(m).
    家 columns (distinct enterprises, except the stock 监管企业总数):
    max(本月数 of months 1..m) <= 累计数(m) <= sum(本月数 1..m); the upper bound only when every
    month 1..m was submitted. Every count / 万元 column: 累计数 >= 本月数. Blank = 0.
    One finding per (unit, month, column) listing the broken checks.
    """
    figs = ctx.dataset.figures
    if figs is None or figs.empty:
        return []
    cfg = ctx.config["cumulative"]
    year = ctx.period.year
    figs = figs[(figs["year"] == year) & (figs["month"] <= ctx.period.last_month)]
    index = {(r["unit"], int(r["month"]), r["kind"]): r for r in figs.to_dict("records")}
    out = []
    units = sorted(figs.loc[figs["period"].isin(ctx.period.period_keys), "unit"].dropna().unique())
    for unit in units:
        for m in ctx.period.months:
            cum, cur = index.get((unit, m, "累计数")), index.get((unit, m, "本月数"))
            if cum is None or cur is None:
                continue
            prev = index.get((unit, m - 1, "累计数")) if m > 1 else None
            monthly = [index.get((unit, k, "本月数")) for k in range(1, m + 1)]
            for col in ADDITIVE + DISTINCT:
                tol = float(cfg["tolerance_money_wan"] if col.kind == "money_wan" else cfg["tolerance_count"]) + 1e-9
                c, n = _val(cum, col.key), _val(cur, col.key)
                broken, details, refs = [], {"metric": col.key, "month": f"{year}-{m:02d}",
                                             "cumulative": c, "monthly": n}, [_figure_ref(cum), _figure_ref(cur)]
                if c < n - tol:
                    broken.append(f"累计数 {fmt(c)} 小于本月数 {fmt(n)}")
                if col in ADDITIVE and (m == 1 or prev is not None):
                    p = _val(prev, col.key) if prev is not None else 0.0
                    details["previous_cumulative"] = p
                    if col.key in CLOSING:
                        found = _val(cum, CLOSING[col.key])
                        details["cumulative_found"] = found
                        if c < p + n - tol:
                            broken.append(f"累计数 {fmt(c)} 小于上月累计 {fmt(p)} + 本月 {fmt(n)} = {fmt(p + n)}")
                        if c > found + tol:
                            broken.append(f"累计数 {fmt(c)} 大于累计排查隐患数 {fmt(found)}")
                    elif abs(c - (p + n)) > tol:
                        broken.append(f"累计数 {fmt(c)} ≠ 上月累计 {fmt(p)} + 本月 {fmt(n)} = {fmt(p + n)}")
                    if prev is not None:
                        refs.append(_figure_ref(prev))
                if col in DISTINCT:
                    present = [_val(r, col.key) for r in monthly if r is not None]
                    low = max(present) if present else 0.0
                    high = sum(present) if all(r is not None for r in monthly) else None
                    details.update({"lower_bound": low, "upper_bound": high})
                    if c < low - tol:
                        broken.append(f"累计数 {fmt(c)} 小于各月最大值 {fmt(low)}")
                    if high is not None and c > high + tol:
                        broken.append(f"累计数 {fmt(c)} 大于各月之和 {fmt(high)}")
                if broken:
                    out.append(finding(
                        ctx, "cumulative_inconsistent", unit=unit, enterprise=None,
                        message=f"{year}-{m:02d}「{col.header}」：" + "；".join(dict.fromkeys(broken)),
                        evidence=list(dict.fromkeys(refs)), details=details,
                    ))
    return out


# ------------------------------------------------------------------ rule 3
#: Columns of ``tables["key_industry_pending"]`` (rule 3's 待检 list).
KEY_PENDING_COLUMNS = ["unit", "enterprise", "key_industry", "planned_month", "plan_unit", "method"]


def key_industry_coverage(ctx: Context) -> pd.DataFrame:
    """Every key-industry enterprise not inspected in the year by the period end, and its plan.

    One row per such enterprise (registry order by unit, name): unit, enterprise,
    key_industry, status, planned_month, plan_unit, method. Inspected = any ledger row of
    any unit for it, submitted in the period's year up to its last month. status:
    ``passed``   a plan row (any unit) for a month up to the period's last month: that
                 month went by without an inspection, which is rule 5 (plan_not_executed);
    ``pending``  otherwise a plan row for a later month of the year: 待检, not yet due;
    ``unplanned`` neither inspected nor planned.
    planned_month / plan_unit / method: the earliest passed plan row, else the earliest
    later one (None when unplanned).
    """
    cols = ["unit", "enterprise", "key_industry", "status", "planned_month", "plan_unit", "method"]
    ent = ctx.dataset.enterprises
    if ent is None or ent.empty:
        return pd.DataFrame(columns=cols)
    key = ent[ent["key_industry"].notna() & (ent["key_industry"].astype(str).str.strip() != "")]
    rows = ctx.facts.rows
    seen = set(rows.loc[rows["year"] == ctx.period.year, "enterprise"])
    plan = ctx.dataset.plan
    plans: dict[str, list[tuple[int, str, str]]] = {}
    if plan is not None and len(plan):
        for name, unit, month, method in zip(plan["name"], plan["unit"], plan["month"], plan["method"], strict=True):
            plans.setdefault(name, []).append((int(month), unit, method))
    last = ctx.period.last_month
    out = []
    for _, e in key.sort_values(["unit", "name"]).iterrows():
        if e["name"] in seen:
            continue
        mine = sorted(plans.get(e["name"], []))
        passed = [p for p in mine if p[0] <= last]
        later = [p for p in mine if p[0] > last]
        status, pick = ("passed", passed[0]) if passed else (("pending", later[0]) if later else ("unplanned", None))
        out.append({"unit": e["unit"], "enterprise": e["name"], "key_industry": e["key_industry"], "status": status,
                    "planned_month": pick[0] if pick else None, "plan_unit": pick[1] if pick else None,
                    "method": pick[2] if pick else None})
    return pd.DataFrame(out, columns=cols).astype({"planned_month": "Int64"})


def check_key_industry_uninspected(ctx: Context) -> list[dict]:
    """Rule 3. A key-industry enterprise neither inspected this year nor planned for later.

    Key industry = enterprises.key_industry not blank (危化品, 渔业船舶, 烟花爆竹, 民爆物品,
    重点建设施工项目, 两客一危, 校车). ``key_industry_coverage`` sorts those not inspected
    (any ledger row of any unit, submitted in the period's year up to its last month):

    * planned (registry/plan, any unit) for a later month of the year: 待检, not a finding
      (方案二（二）: full coverage is a target for the year, and the unit's own plan puts
      the inspection later); listed in ``tables["key_industry_pending"]`` and a note;
    * planned for a month that has passed: rule 5 ``plan_not_executed`` reports that plan
      row, so this rule does not (one finding per enterprise and month, not two) — unless
      rule 5 is disabled, then this rule reports it;
    * neither: a finding. Severity 高 from the month ``key_industry.high_from_month``
      (default 12: the year is over), else 中.
    """
    cover = key_industry_coverage(ctx)
    pending = cover[cover["status"] == "pending"]
    ctx.tables["key_industry_pending"] = pending[KEY_PENDING_COLUMNS].reset_index(drop=True)
    if len(pending):
        names = "、".join(f"{r.enterprise}（{int(r.planned_month)}月）" for r in pending.itertuples(index=False))
        ctx.notes.append(f"重点行业企业 {len(pending)} 家截至{ctx.period.end:%Y年%m月%d日}本年度尚未检查，"
                         f"已列入此后月份的执法计划（待检，不列为问题）：{names}。")
    due = ["unplanned"] + (["passed"] if "plan_not_executed" in ctx.config["disabled"] else [])
    high = ctx.period.last_month >= int(ctx.config["key_industry"]["high_from_month"])
    out = []
    for e in cover[cover["status"].isin(due)].itertuples(index=False):
        if e.status == "passed":
            month = int(e.planned_month)
            why = f"（计划{month}月由{e.plan_unit}{e.method}，未实施）"
            evidence = [f"registry/enterprises#{e.enterprise}", f"registry/plan#{e.enterprise}#{month}月"]
        else:
            why, evidence = "，也未列入本年度执法计划", [f"registry/enterprises#{e.enterprise}"]
        out.append(finding(
            ctx, "key_industry_uninspected", unit=e.unit, enterprise=e.enterprise,
            severity="高" if high else "中",
            message=(f"重点行业（{e.key_industry}）企业{e.enterprise}截至{ctx.period.end:%Y年%m月%d日}"
                     f"本年度未见现场检查记录{why}（要求执法检查全覆盖）"),
            evidence=evidence,
            details={"key_industry": e.key_industry, "year": ctx.period.year, "planned": e.status == "passed",
                     "planned_month": None if pd.isna(e.planned_month) else int(e.planned_month)},
        ))
    return out


# ------------------------------------------------------------------ rules 4, 5
def _plan(ctx: Context) -> pd.DataFrame | None:
    plan = ctx.dataset.plan
    if plan is None or plan.empty:
        note = "未提供年度执法计划（registry/plan），“双随机”比例和计划执行两条规则未运行。"
        if note not in ctx.notes:
            ctx.notes.append(note)
        return None
    return plan


def _carried_out(ctx: Context, name: str, unit: str, month: int, earlier: bool = False) -> list[str]:
    """Row ids of the unit's inspections of ``name`` in the period's year, up to period end: in or
    after plan ``month`` (submitted then, or dated on/after its 1st); ``earlier``: the others."""
    pos = ctx.facts.enterprise_positions(name)
    v = ctx.facts.row_values
    start = pd.Timestamp(ctx.period.year, int(month), 1).to_datetime64()
    mine = pos[(v["unit"][pos] == unit) & (v["year"][pos] == ctx.period.year)]
    done = (v["month"][mine] >= int(month)) | (v["date"][mine] >= start)
    return v["row_id"][mine[~done if earlier else done]].tolist()


def check_random_inspection_low(ctx: Context) -> list[dict]:
    """Rule 4. “双随机”抽查比例 = the unit's 双随机 plan enterprises ÷ its supervised total.

    planned share = distinct enterprises in the plan with 方式 双随机 ÷ supervised_total;
    executed share = those of them the unit actually inspected (in or after the planned
    month, up to the period end) ÷ supervised_total. Finding when the planned share is below
    ``min_share`` (5%), or, from month ``executed_check_from_month`` (12), the executed share
    is. supervised_total 0 -> 不适用, no finding. Both shares are always in the details.
    """
    plan = _plan(ctx)
    if plan is None:
        return []
    cfg = ctx.config["random_inspection"]
    floor = float(cfg["min_share"])
    check_exec = ctx.period.last_month >= int(cfg["executed_check_from_month"])
    out = []
    for _, u in ctx.dataset.units.sort_values("unit").iterrows():
        total = int(u["supervised_total"])
        if total <= 0:
            continue
        mine = plan[(plan["unit"] == u["unit"]) & (plan["method"] == "双随机")]
        mine = mine.sort_values("month").drop_duplicates("name")
        executed = [n for n, m in zip(mine["name"], mine["month"], strict=True)
                    if _carried_out(ctx, n, u["unit"], m)]
        planned_share, exec_share = len(mine) / total, len(executed) / total
        low_plan, low_exec = planned_share < floor - 1e-12, check_exec and exec_share < floor - 1e-12
        if not (low_plan or low_exec):
            continue
        what = "计划" if low_plan and not low_exec else ("实际执行" if not low_plan else "计划和实际执行")
        out.append(finding(
            ctx, "random_inspection_low", unit=u["unit"], enterprise=None,
            message=(f"“双随机”{what}抽查比例低于{floor:.0%}：计划 {len(mine)}/{total} = {planned_share:.1%}，"
                     f"已执行 {len(executed)}/{total} = {exec_share:.1%}"),
            evidence=[f"registry/plan#{u['unit']}#双随机"],
            details={"supervised_total": total, "planned": len(mine), "executed": len(executed),
                     "planned_share": round(planned_share, 6), "executed_share": round(exec_share, 6),
                     "min_share": floor},
        ))
    return out


def check_plan_not_executed(ctx: Context) -> list[dict]:
    """Rule 5. A plan row whose month is not after the period's last month, not carried out.

    Carried out = a ledger row by the plan's unit for the enterprise, submitted in the year
    in or after the planned month (or dated on/after its first day), up to the period end.
    An inspection earlier in the year does not carry out the plan, but the message names it
    (“此前有 N 次检查”, ``details.earlier_rows`` and the evidence): never “no record” when one exists.
    A key-industry enterprise not inspected by anyone this year whose planned month has
    passed is reported here only (rule 3 leaves it to this rule); the message says so.
    """
    plan = _plan(ctx)
    if plan is None:
        return []
    due = plan[plan["month"].astype(int) <= ctx.period.last_month].sort_values(["unit", "month", "name"])
    cover = key_industry_coverage(ctx)
    key_missed = dict(zip(cover.loc[cover["status"] == "passed", "enterprise"],
                          cover.loc[cover["status"] == "passed", "key_industry"], strict=True))
    out = []
    for _, p in due.iterrows():
        if _carried_out(ctx, p["name"], p["unit"], p["month"]):
            continue
        key = key_missed.get(p["name"])
        also = f"；该企业为重点行业（{key}）企业，本年度各单位均未检查" if key else ""
        earlier = _carried_out(ctx, p["name"], p["unit"], p["month"], earlier=True)
        seen = (f"{int(p['month'])}月及以后未见该单位检查记录（此前有 {len(earlier)} 次检查，不计为执行计划）"
                if earlier else "未见该单位检查记录")
        out.append(finding(
            ctx, "plan_not_executed", unit=p["unit"], enterprise=p["name"],
            message=(f"年度执法计划安排{int(p['month'])}月对{p['name']}开展{p['method']}，"
                     f"截至{ctx.period.end:%Y年%m月%d日}{seen}{also}"),
            evidence=[f"registry/plan#{p['name']}#{int(p['month'])}月", *earlier],
            details={"planned_month": int(p["month"]), "method": p["method"], "key_industry": key,
                     "earlier_rows": earlier},
        ))
    return out


def check_submission_missing(ctx: Context) -> list[dict]:
    """Rule 5b. A unit that sent no 附件1 or no 附件2 for a month of the period whose deadline
    (``periods.submission_deadline``: the 30th of the next month) has passed as of the data.

    "As of the data": a month before the latest month any unit submitted is past its
    deadline (that month's forms are filled after it ends, so after the earlier month's
    30th); the latest month itself only when a registered receipt date (received.csv) is
    after its deadline. Months outside the data's months are never expected: a year in
    progress does not make December missing, and a unit is never docked for a month whose
    deadline it can still meet.

    Who owes the forms (``core.hierarchy``): the units that keep a ledger (村, 社区, 部门); a town,
    街道 or the city never does. A form its town (or a unit above) sent for the month, a
    consolidated one, covers the unit.
    """
    ds = ctx.dataset
    months = covered_months(ds)
    if not months:
        return []
    subs = ds.submissions
    have = set(zip(subs["unit"], subs["period"], subs["form"], strict=True)) if len(subs) else set()
    received = pd.to_datetime(subs["received"], errors="coerce").max() if len(subs) else pd.NaT
    out = []
    # Only the units that keep a ledger owe the two forms; a town's or the city's figures are
    # consolidated from theirs (a town that sends none forwarded its units' originals). A
    # consolidated form of the unit's town (or any unit above it) covers the unit's month.
    tree = hierarchy.Tree(ds.units)
    reporting = [u for u in ds.units["unit"] if tree.keeps_ledger(str(u))]
    above: dict[str, list[str]] = {}
    for u in reporting:
        chain, here = [], tree.parent_of(u)
        while here is not None and len(chain) <= len(tree.order):
            chain.append(here)
            here = tree.parent_of(here)
        above[u] = chain
    for key in ctx.period.period_keys:
        if not months[0] <= key <= months[-1]:
            continue
        year, month = int(key[:4]), int(key[5:])
        deadline = submission_deadline(year, month)
        if not (key < months[-1] or (not pd.isna(received) and received.date() > deadline)):
            continue
        for unit in reporting:
            lacking = [name for form, name in ((LEDGER.id, "附件1（统计表一）"), (FIGURES.id, "附件2（统计表二）"))
                       if not any((who, key, form) in have for who in (unit, *above[unit]))]
            if not lacking:
                continue
            out.append(finding(
                ctx, "submission_missing", unit=unit, enterprise=None,
                message=f"未报送{year}年{month}月的{'、'.join(lacking)}：报送期限 {deadline.isoformat()} 已过",
                evidence=[], details={"month": key, "forms": lacking, "deadline": deadline.isoformat()},
            ))
    return out


RULES_REPORTS_AND_PLAN: dict[str, Callable[[Context], list[dict]]] = {
    "reconciliation_mismatch": check_reconciliation_mismatch,
    "reconciliation_incomplete": check_reconciliation_incomplete,
    "cumulative_inconsistent": check_cumulative_inconsistent,
    "key_industry_uninspected": check_key_industry_uninspected,
    "random_inspection_low": check_random_inspection_low,
    "plan_not_executed": check_plan_not_executed,
    "submission_missing": check_submission_missing,
}
