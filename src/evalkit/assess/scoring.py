"""执法评议考核 (unit scoring): 执法力度, 办案质量, 工作成效 → a score out of 100.

``score_units(dataset, period, config=None)`` scores every unit of ``Dataset.units``
under the weights and formulas of config/scoring.yaml (docs/scoring.md explains them):

* a month period is scored year to date (``scope: ytd``; ``scope: month`` scores the month
  alone); a quarter or a year is scored as such. The audit (``evalkit.audit.run``) runs over
  the same span, and its findings feed the deductions.
* ratio part:      points = weight × min(value / target, 1); ``prorate`` scales the
                   target by months/12. A value that is None (不适用) scores nothing and
                   loses nothing: the dimension is re-weighted over its applicable parts.
* deduction part:  points = max(weight − Σ min(points × n, cap), 0) over the listed rules.
* dimension:       weight × (Σ points of applicable parts) / (Σ weights of applicable parts);
                   a dimension with no applicable part is left out and the total is
                   re-weighted to 100 over the others.
* level:           a town's (街道's, the city's) figures are the union of its units' ledgers
                   (``core.hierarchy.ledger_units``, as in the metrics) and its deductions the
                   findings of itself and every unit below it; units are ranked within their
                   peer group (``core.hierarchy.peer_groups``: towns and 街道 among themselves,
                   a town's villages and departments within the town, city departments among
                   themselves; a town folder is one group).
* total:           rounded to 2 decimals; rank by total within the peer group (ties share the best rank,
                   ``method="min"``: 1, 2, 2, 4), vetoed units after all others; grade from
                   ``grades`` (≥90 优秀, ≥80 良好, ≥60 合格, else 不合格); a veto (一票否决)
                   forces 不合格.

Every point lost is explained in Chinese in ``explanation`` (list per unit), citing the
findings behind it (rule id, count, evidence count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from evalkit._text import NOT_APPLICABLE, format_table, format_value, is_missing
from evalkit.assess.cases import POSITIVE, case_candidates
from evalkit.audit.facts import Facts, referral_due
from evalkit.audit.rules import AUDIT_RULES, SEVERITIES
from evalkit.audit.run import AuditResult, as_period, load_audit_config, run_audit
from evalkit.config.loader import load_model
from evalkit.config.models import ScoringFile
from evalkit.core import hierarchy
from evalkit.core.dataset import Dataset, within_data
from evalkit.core.periods import Period, parse_period
from evalkit.core.problems import RULES as VALIDATION_RULES
from evalkit.exceptions import ConfigError
from evalkit.metrics.engine import compute_metrics, rate, round_half_up
from evalkit.metrics.hazards import CLOSED, RECTIFIED, is_past_due
from evalkit.metrics.registry import metric_ids

__all__ = ["score_units", "ScoreResult", "load_scoring_config", "grade_for", "INDICATORS",
           "GRADE_NAMES"]

GRADE_NAMES = ("优秀", "良好", "合格")
FAIL = "不合格"


# ------------------------------------------------------------------ built-in indicators
def overdue_closure_rate(ctx: ScoringContext) -> pd.Series:
    """到期隐患整改闭环率 = 限期整改 items due by the period end and closed by then ÷ items due × 100.

    Items: new hazards (counts_as_hazard) found in the scoring span that were not rectified
    on their own row (they were given a deadline) and whose deadline + the audit's
    ``overdue.grace_days`` is before the period end (``metrics.hazards.is_past_due``).
    Closed: hazard_status "closed" at the period end (a 复查 dated on or before it found the
    item rectified); every other item due is "overdue", so the rate is closed ÷ (closed +
    overdue) and agrees with the audit's overdue items. Items rectified on the spot are left
    out: they never had a deadline to meet. No item due -> None (不适用).
    """
    it = ctx.facts.items
    if it.empty:
        return pd.Series(dtype=object)
    on_row = it["hazard_status"] == RECTIFIED
    due = it[it["in_period"] & it["counts_as_hazard"].astype(bool) & ~on_row
             & is_past_due(it, ctx.facts.end, grace_days=ctx.facts.grace_days)]
    rows = ctx.facts.rows
    due = due.assign(unit=[rows.at[r, "unit"] for r in due["row_id"]])
    return pd.Series({u: rate(int((grp["hazard_status"] == CLOSED).sum()), len(grp))
                      for u, grp in _by_level(ctx, due)}, dtype=object)


def referral_rate(ctx: ScoringContext) -> pd.Series:
    """涉嫌犯罪案件移送率 = due referrals made ÷ referrals due × 100 (rule 6's test of 'due').

    None (不适用) when the unit had nothing to refer: having no criminal case is neither
    good nor bad.
    """
    due = referral_due(ctx.facts)
    return pd.Series({u: rate(int(g["referred"].sum()), len(g)) for u, g in _by_level(ctx, due)}, dtype=object)


def typical_cases(ctx: ScoringContext, min_score: float = 5) -> pd.Series:
    """Number of the unit's positive 典型案例 candidates (``evalkit.assess.cases``: standing 正面典型,
    no audit finding against the case) with score >= ``min_score``."""
    cands = case_candidates(ctx.dataset, ctx.period, with_timeline=False, facts=ctx.facts)
    good = cands[(cands["score"] >= min_score) & (cands["standing"] == POSITIVE)] if len(cands) else cands
    counts = good.groupby("unit").size() if len(good) else pd.Series(dtype=int)
    return pd.Series({u: int(sum(counts.get(m, 0) for m in ctx.leaves.get(u, [u]))) for u in ctx.units},
                     dtype=object)


def _by_level(ctx: ScoringContext, frame: pd.DataFrame):
    """(unit, its rows of ``frame``) for every unit with rows: a leaf's own, a parent's those of
    its leaves (``hierarchy.ledger_units``); in a town folder, ``groupby("unit")``."""
    if frame.empty:
        return
    if all(ctx.leaves.get(u, [u]) == [u] for u in ctx.units):
        yield from frame.groupby("unit")
        return
    for u in ctx.units:
        sub = frame[frame["unit"].isin(ctx.leaves.get(u, [u]))]
        if len(sub):
            yield u, sub


#: Built-in indicator id -> (Chinese name, unit of measure, function).
INDICATORS: dict[str, tuple[str, str, Callable]] = {
    "overdue_closure_rate": ("到期隐患整改闭环率", "%", overdue_closure_rate),
    "referral_rate": ("涉嫌犯罪案件移送率", "%", referral_rate),
    "typical_cases": ("典型案例候选数", "件", typical_cases),
}


def _round2(value: float) -> float:
    """Half-up to 2 decimals, as the metrics round (89.995 -> 90.0)."""
    return round_half_up(value, 2)


# ------------------------------------------------------------------ config
def load_scoring_config(path=None) -> tuple[dict, str]:
    """(validated config, source). Top-level keys in ``path`` replace the packaged ones.

    Validated by ``evalkit.config.models.ScoringFile``; returned as the YAML's dict shape.
    """
    model, source = load_model("scoring", ScoringFile, path, whole_sections=True, context={
        "audit_rules": list(AUDIT_RULES), "validation_rules": list(VALIDATION_RULES),
        "metrics": metric_ids(), "indicators": list(INDICATORS), "severities": list(SEVERITIES)})
    return model.model_dump(by_alias=True), source


# ------------------------------------------------------------------ helpers
def grade_for(total: float | None, grades: dict, vetoed: bool = False) -> str:
    """The grade of a total (rounded to 2 decimals first): lower bounds are inclusive.

    A veto gives 不合格; a total of None (no applicable dimension, only possible with a
    config without deduction parts) gives 不适用.
    """
    if vetoed:
        return FAIL
    if total is None:
        return NOT_APPLICABLE
    t = _round2(float(total))
    for name in GRADE_NAMES:
        if t >= float(grades[name]) - 1e-9:
            return name
    return FAIL


def scoring_period(period: Period, scope: str) -> Period:
    """The span scored: a month becomes year to date under ``scope: ytd``."""
    if period.kind == "month" and scope == "ytd":
        return parse_period(period.text, scope="ytd")
    return period


@dataclass
class ScoringContext:
    dataset: Dataset
    period: Period
    facts: Facts
    audit: AuditResult
    units: list[str]
    metrics: pd.DataFrame | None = None
    #: unit -> the leaf units whose ledgers make up its figures (``hierarchy.ledger_groups``)
    leaves: dict[str, list[str]] = field(default_factory=dict)


def _problem_counts(dataset: Dataset, period: Period, rule: str) -> tuple[pd.Series, dict[str, list[str]]]:
    """Validation problems of ``rule`` per unit in the span: (count, evidence refs)."""
    probs = dataset.problems
    if probs is None or probs.empty:
        return pd.Series(dtype=int), {}
    probs = probs[probs["rule"] == rule]
    subs = dataset.submissions
    where: dict[tuple, tuple] = {}
    if subs is not None and len(subs):
        where = {(f, s): (u, p) for f, s, u, p in zip(subs["file"].tolist(), subs["sheet"].tolist(),
                                                      subs["unit"].tolist(), subs["period"].tolist(), strict=True)}
    led = dataset.ledger
    by_row = {}
    if led is not None and len(led):
        by_row = {r: (u, p) for r, u, p in zip(led["row_id"].tolist(), led["unit"].tolist(), led["period"].tolist(),
                                               strict=True)}
    counts: dict[str, int] = {}
    refs: dict[str, list[tuple[str, str, str]]] = {}  # unit -> (ref, month, message)
    keys = set(period.period_keys)
    for f, s, r, msg in zip(probs["file"], probs["sheet"], probs["row"], probs["message"], strict=True):
        ref = f"{f}#{s}#{int(r)}" if not pd.isna(r) else f"{f}#{s}"
        unit, per = where.get((f, s)) or by_row.get(ref) or (None, None)
        if unit is None or per not in keys:
            continue
        counts[unit] = counts.get(unit, 0) + 1
        refs.setdefault(unit, []).append((ref, per, str(msg)))
    return pd.Series(counts, dtype=int), refs


# ------------------------------------------------------------------ result
#: ``finding`` is the row's index in ``ScoreResult.audit.findings`` (None for a validation
#: problem, e.g. a late submission); a finding past its rule's cap is listed at 0 points.
DEDUCTION_COLUMNS = ["unit", "dimension", "part", "part_name", "rule", "rule_name", "finding", "month", "message",
                     "evidence", "points"]


@dataclass
class ScoreResult:
    """Scores of every unit. ``frame``: index unit; one column per dimension id, then total,
    rank, grade, vetoed, explanation (list of Chinese strings), peer_group (the group the rank is
    within, ``core.hierarchy.peer_groups``). ``parts``: one row per
    (unit, part) with value, target, weight, points, applicable, measure ("%", "件", or
    "分" for a deduction part, whose value is the points deducted and which has no target)."""

    period: Period
    span: Period
    frame: pd.DataFrame
    parts: pd.DataFrame
    dimensions: dict[str, dict]
    audit: AuditResult
    config_source: str
    notes: list[str] = field(default_factory=list)
    #: One row per finding or problem that cost a unit points (``DEDUCTION_COLUMNS``): which
    #: part, rule, month, message and evidence, and the points it cost after the rule's cap
    #: and the part's weight. Per unit, the points add up to what its deduction parts lost.
    deductions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DEDUCTION_COLUMNS))

    def to_dict(self) -> dict:
        """JSON structure of ``evalkit score --json``."""
        units = []
        for unit, row in self.frame.iterrows():
            units.append({
                "unit": unit,
                "dimensions": {d: _py(row[d]) for d in self.dimensions},
                "total": _py(row["total"]), "rank": int(row["rank"]), "grade": row["grade"],
                "vetoed": bool(row["vetoed"]), "explanation": list(row["explanation"]),
                "peer_group": row["peer_group"],
                "parts": [{k: _py(v) for k, v in r.items() if k != "unit"}
                          for r in self.parts[self.parts["unit"] == unit].to_dict("records")],
                "deductions": [{k: (list(v) if k == "evidence" else _py(v)) for k, v in r.items() if k != "unit"}
                               for r in self.deductions[self.deductions["unit"] == unit].to_dict("records")],
            })
        return {
            "period": self.period.text, "span": self.span.label,
            "dimensions": {d: {"name": v["name"], "weight": v["weight"]} for d, v in self.dimensions.items()},
            "units": units, "config": self.config_source, "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """Readable Chinese ranking table and, per unit, the explanation of lost points."""
        dims = list(self.dimensions)
        heads = ["名次", "单位", *[f"{self.dimensions[d]['name']}({self.dimensions[d]['weight']:g})" for d in dims],
                 "总分", "等级"]
        lines = [f"执法评议考核 {self.period.label}（评分范围：{self.span.label}）", ""]
        groups = list(dict.fromkeys(self.frame["peer_group"]))  # ranks are within each group (docs/scoring.md)
        for group in groups:
            mine = self.frame[self.frame["peer_group"] == group]
            body = []
            for unit, row in mine.sort_values(["rank", "total"], ascending=[True, False]).iterrows():
                body.append([str(int(row["rank"])), str(unit), *[format_value(row[d], "score") for d in dims],
                             format_value(row["total"], "score"), row["grade"] + ("（否决）" if row["vetoed"] else "")])
            if len(groups) > 1:
                lines.append(f"【{group}】")
            lines += [format_table(heads, body), ""]
        lines.append("失分说明：")
        for unit, row in self.frame.sort_values("rank").iterrows():
            lines.append(f"■ {unit}（{format_value(row['total'], 'score')} 分，{row['grade']}）")
            lines += [f"    - {e}" for e in row["explanation"]] or ["    - 未失分"]
        lines.append("")
        lines.append("排名：总分相同者名次相同（如 1、2、2、4）；一票否决的单位列于其余单位之后。"
                     "“不适用”的指标不计分也不扣分，其分值按同一维度其余指标折算。")
        lines += [f"说明：{n}" for n in self.notes]
        return "\n".join(lines).rstrip()


def _py(v):
    """A JSON-ready scalar: None, NaN and pd.NA -> None; numpy scalars -> Python."""
    if is_missing(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


# ------------------------------------------------------------------ scoring
def _ratio_part(ctx: ScoringContext, part: dict, cache: dict) -> tuple[dict, str]:
    """(value per unit, Chinese label of what was measured) for a ratio part."""
    if "metric" in part:
        if ctx.metrics is None:
            ctx.metrics = compute_metrics(ctx.dataset, ctx.period, source="ledger").frame
        col = ctx.metrics[part["metric"]]
        return {u: _py(col.get(u)) for u in ctx.units}, "%"
    ind = part["indicator"]
    key = (ind, part.get("min_score"))
    if key not in cache:
        fn = INDICATORS[ind][2]
        cache[key] = fn(ctx, part["min_score"]) if ind == "typical_cases" and "min_score" in part else fn(ctx)
    series = cache[key]
    return {u: _py(series.get(u)) if u in series.index else None for u in ctx.units}, INDICATORS[ind][1]


def scored_span(dataset: Dataset, period, config=None) -> Period:
    """The span ``score_units`` scores for ``period`` (a month is the year to date under
    ``scope: ytd``), cut to the months the data covers."""
    cfg, _ = load_scoring_config(config)
    return scoring_period(within_data(dataset, as_period(period)), cfg["scope"])


def shares_audit(cfg: dict) -> bool:
    """Whether scores under ``cfg`` (a loaded scoring config) can be built on the shared audit of
    their span, which runs the packaged audit config: yes unless ``cfg`` sets its own
    ``audit_config``."""
    return cfg.get("audit_config") is None


def score_units(dataset: Dataset, period, config=None, audit: AuditResult | None = None) -> ScoreResult:
    """Score every unit for ``period`` (text or Period); see the module docstring.

    audit  the ``run_audit`` result the scores are built on, when the caller already has it
           (report.sections shares one per span): it must be of ``scored_span``, and the
           scoring config must allow it (``shares_audit``); None runs it.
    """
    cfg, source = load_scoring_config(config)
    asked = within_data(dataset, as_period(period))
    span = scoring_period(asked, cfg["scope"])
    if audit is not None and (audit.period != span or not shares_audit(cfg)):
        raise ValueError(f"score_units: the audit given is of {audit.period.text} ({audit.config_source}); "
                         f"the scores need {span.text} with audit_config {cfg.get('audit_config')!r}")
    units = [str(u) for u in dataset.units["unit"]] if len(dataset.units) else []
    flags = cfg["veto"]["flags"]
    for unit in flags:
        if unit not in units:
            raise ConfigError(source, f"键 'veto.flags.{unit}'：单位不在名录中；名录单位：{'、'.join(units)}")
    if audit is None:
        audit = run_audit(dataset, span, config=cfg.get("audit_config"))
    facts = audit.facts or audit_facts_for(dataset, span, cfg.get("audit_config"))  # the audit's: same span, config
    ctx = ScoringContext(dataset, span, facts, audit, units,
                         leaves=hierarchy.ledger_groups(dataset.units) if units else {})
    findings = audit.findings
    grouped = _by_rule_and_unit(findings)  # once per run: filtering per unit and rule was half the time
    below = _below(dataset, units)
    grouped = _with_units_below(grouped, below)
    indicator_cache: dict = {}
    problem_cache: dict = {}  # validation rule -> per-unit counts, computed once per run
    part_rows: list[dict] = []
    deduction_rows: list[dict] = []
    dim_scores: dict[str, dict[str, float | None]] = {}
    expl: dict[str, list[str]] = {u: [] for u in units}
    factor = len(span.months) / 12
    for did, dim in cfg["dimensions"].items():
        dweight = float(dim["weight"])
        earned = {u: 0.0 for u in units}
        applicable = {u: 0.0 for u in units}
        lost_lines: dict[str, list[str]] = {u: [] for u in units}
        na_lines: dict[str, list[str]] = {u: [] for u in units}
        for pid, part in dim["parts"].items():
            pw = float(part["weight"])
            label = f"{dim['name']}·{part['name']}"
            if part["type"] == "ratio":
                values, unit_of = _ratio_part(ctx, part, indicator_cache)
                target = float(part["target"]) * (factor if part.get("prorate") else 1)
                for u in units:
                    v = values.get(u)
                    if v is None:
                        part_rows.append(_part_row(u, did, pid, part, None, target, pw, None, False, unit_of))
                        na_lines[u].append(f"{label}：不适用（分母为0），其 {pw:g} 分按本维度其余适用指标折算")
                        continue
                    pts = pw * min(float(v) / target, 1.0)
                    earned[u] += pts
                    applicable[u] += pw
                    part_rows.append(_part_row(u, did, pid, part, float(v), target, pw, pts, True, unit_of))
                    if pw - pts > 1e-9:
                        tnote = (f"（年度目标 {float(part['target']):g}{unit_of}×{len(span.months)}/12）"
                                 if part.get("prorate") and factor != 1 else "")
                        lost_lines[u].append(
                            f"{label}：实际 {float(v):g}{unit_of}，目标 {target:g}{unit_of}{tnote}，"
                            f"得 {pts:.2f}/{pw:g}，失 {pw - pts:.2f} 分")
            else:
                for u in units:
                    ded, lines, items = _deductions(dataset, span, grouped, part, u, label, problem_cache, below.get(u))
                    pts = max(pw - ded, 0.0)
                    left = pw  # a part cannot lose more than its weight: later items then cost 0
                    for item in items:
                        cost = min(item["points"], max(left, 0.0))
                        left -= cost
                        deduction_rows.append({"unit": u, "dimension": did, "part": pid, "part_name": label,
                                               **item, "points": round(cost, 4)})
                    earned[u] += pts
                    applicable[u] += pw
                    part_rows.append(_part_row(u, did, pid, part, ded, None, pw, pts, True, "分"))
                    lost_lines[u] += lines
                    if ded > pw + 1e-9:
                        lost_lines[u].append(f"{label}：扣分合计 {ded:g} 超过分值 {pw:g}，按 {pw:g} 计（最低 0 分）")
        dim_scores[did] = {}
        for u in units:
            if applicable[u] <= 0:
                dim_scores[did][u] = None
                expl[u].append(f"{dim['name']}：各项均不适用，本维度不计分，总分按其余维度折算为百分制")
                continue
            score = dweight * earned[u] / applicable[u]
            dim_scores[did][u] = score
            expl[u] += lost_lines[u] + na_lines[u]
            if applicable[u] < dweight - 1e-9:
                expl[u].append(f"{dim['name']}：按适用指标折算，{dweight:g} × {earned[u]:.2f}/{applicable[u]:g}"
                               f" = {score:.2f} 分")
    frame = _assemble(cfg, units, dim_scores, expl, findings, flags, hierarchy.peer_groups(dataset.units), below)
    notes = [f"评分范围：{span.label}；核查问题 {len(findings)} 条（evalkit audit）。"]
    parts = pd.DataFrame(part_rows, columns=["unit", "dimension", "part", "name", "type", "value", "target",
                                             "weight", "points", "applicable", "measure"])
    deductions = pd.DataFrame(deduction_rows, columns=DEDUCTION_COLUMNS)
    return ScoreResult(asked, span, frame, parts,
                       {d: {"name": v["name"], "weight": float(v["weight"])} for d, v in cfg["dimensions"].items()},
                       audit, source, notes, deductions)


def audit_facts_for(dataset: Dataset, span: Period, audit_config=None) -> Facts:
    """Ledger facts for the built-in indicators, read with the audit's text patterns."""
    cfg, _ = load_audit_config(audit_config)
    return Facts.from_config(dataset, span, cfg)


def _part_row(u, did, pid, part, value, target, weight, points, applicable, measure) -> dict:
    """One (unit, part) row; ``measure`` is what value and target are counted in: "%" or
    "件" for a ratio part, "分" (the points deducted) for a deduction part."""
    return {"unit": u, "dimension": did, "part": pid, "name": part["name"], "type": part["type"],
            "value": value, "target": target, "weight": weight,
            "points": None if points is None else round(points, 4), "applicable": applicable,
            "measure": measure}


def _by_rule_and_unit(findings: pd.DataFrame) -> dict[tuple, list[tuple[int, dict]]]:
    """(rule, unit) -> [(row index in ``findings``, finding record)], in findings order."""
    out: dict[tuple, list[tuple[int, dict]]] = {}
    for i, f in zip(findings.index, findings.to_dict("records"), strict=True):
        out.setdefault((f["rule"], f["unit"]), []).append((int(i), f))
    return out


def _deductions(dataset: Dataset, span: Period, findings: dict, part: dict, unit: str,
                label: str, cache: dict, members: list[str] | None = None) -> tuple[float, list[str], list[dict]]:
    """Total deduction of one unit for a deduction part, a Chinese line per rule, and one
    record per finding or problem with the points it cost (the rule's cap applied in order:
    the findings after the cap cost 0). ``findings``: ``_by_rule_and_unit`` of the audit."""
    total, lines, items = 0.0, [], []
    for rid, spec in part["rules"].items():
        points, cap = float(spec["points"]), float(spec["cap"])
        if spec.get("source", "audit") == "validation":
            if rid not in cache:
                cache[rid] = _problem_counts(dataset, span, rid)
            counts, refs = cache[rid]
            mine_refs = [r for m in (members or [unit]) for r in refs.get(m, [])]
            n, n_ev = int(sum(counts.get(m, 0) for m in (members or [unit]))), len(mine_refs)
            title = VALIDATION_RULES[rid].title
            records = [(None, month, message, [ref]) for ref, month, message in mine_refs]
        else:
            mine = findings.get((rid, unit), [])
            if spec.get("severity"):
                mine = [(i, f) for i, f in mine if f["severity"] in spec["severity"]]
            n = len(mine)
            n_ev = int(sum(len(f["evidence"]) for _, f in mine))
            title = AUDIT_RULES[rid].title
            records = [(i, finding_month(dataset, f), f["message"], list(f["evidence"])) for i, f in mine]
        if n == 0 or points == 0:
            continue
        ded = min(points * n, cap)
        total += ded
        capped = "，已达上限" if points * n > cap + 1e-9 else ""
        # reviewers read the rule's Chinese title; the id stays in the structured (--json) output
        lines.append(f"{label}：{title} {n} 条（证据 {n_ev} 条），每条扣 {points:g} 分，"
                     f"扣 {ded:.2f} 分{capped}")
        left = cap
        for index, month, message, evidence in records:
            cost = min(points, max(left, 0.0))
            left -= cost
            items.append({"rule": rid, "rule_name": title, "finding": index, "month": month, "message": message,
                          "evidence": evidence, "points": cost})
    return total, lines, items


def finding_month(dataset: Dataset, finding: dict) -> str | None:
    """The month a finding belongs to: its details' month, else the months of its ledger and
    附件2 evidence rows, "YYYY-MM" when one, "YYYY-MM/YYYY-MM" (first/last) when they span
    several (a pattern over the period, e.g. 以整改代替处罚); None without dated evidence."""
    details = finding.get("details") or {}
    if isinstance(details, dict) and details.get("month"):
        return str(details["month"])
    refs = set(finding.get("evidence") or [])
    found: set[str] = set()
    led = dataset.ledger
    if refs and len(led):
        hit = led["row_id"].isin(refs)
        found.update(str(p) for p in led.loc[hit, "period"])
    if not found:
        return None
    first, last = min(found), max(found)
    return first if first == last else f"{first}/{last}"


def _below(dataset: Dataset, units: list[str]) -> dict[str, list[str]]:
    """unit -> itself and every unit below it (whose findings and problems are its own too)."""
    if not units:
        return {}
    tree = hierarchy.Tree(dataset.units)
    return {u: [u, *tree.descendants(u)] for u in units}


def _with_units_below(grouped: dict, below: dict[str, list[str]]) -> dict:
    """``_by_rule_and_unit`` with each parent's entry holding its own findings and those below it."""
    parents = {u: ms for u, ms in below.items() if len(ms) > 1}
    if not parents:
        return grouped
    out = dict(grouped)
    rules = {rid for rid, _ in grouped}
    for u, members in parents.items():
        for rid in rules:
            merged = [f for m in members for f in grouped.get((rid, m), [])]
            if merged:
                out[(rid, u)] = sorted(merged, key=lambda x: x[0])
    return out


def _assemble(cfg: dict, units: list[str], dim_scores: dict, expl: dict, findings: pd.DataFrame,
              flags: dict, groups: dict[str, str] | None = None,
              below: dict[str, list[str]] | None = None) -> pd.DataFrame:
    dims = cfg["dimensions"]
    recs = []
    for u in units:
        got = {d: dim_scores[d][u] for d in dims}
        applicable = sum(float(dims[d]["weight"]) for d in dims if got[d] is not None)
        raw = sum(v for v in got.values() if v is not None)
        total = None if applicable <= 0 else raw * 100 / applicable
        veto_reasons = []
        for rid in cfg["veto"]["rules"]:
            mine = (below or {}).get(u, [u])
            n = int(((findings["rule"] == rid) & findings["unit"].isin(mine)).sum()) if len(findings) else 0
            if n:
                veto_reasons.append(f"{AUDIT_RULES[rid].title} {n} 条")
        if u in flags:
            veto_reasons.append(flags[u])
        lines = list(expl[u])
        if applicable and applicable < 100 - 1e-9:
            lines.append(f"总分按适用维度折算：{raw:.2f} × 100/{applicable:g} = {total:.2f}")
        if veto_reasons:
            lines.append("一票否决：" + "；".join(veto_reasons) + " → 等级为不合格")
        recs.append({"unit": u, **{d: None if v is None else _round2(v) for d, v in got.items()},
                     "total": None if total is None else _round2(total), "vetoed": bool(veto_reasons),
                     "explanation": lines})
    frame = pd.DataFrame(recs, columns=["unit", *dims, "total", "vetoed", "explanation"]).set_index("unit")
    for d in [*dims, "total"]:
        frame[d] = frame[d].astype("Float64")
    # Vetoed units rank after the others: shift their key below any possible total.
    key = frame["total"].fillna(-1).astype(float) - frame["vetoed"].astype(float) * 1000
    peer = pd.Series([(groups or {}).get(u, "") for u in frame.index], index=frame.index)
    frame["rank"] = key.groupby(peer).rank(ascending=False, method="min").astype(int)
    frame["peer_group"] = peer
    frame["grade"] = [grade_for(None if pd.isna(t) else float(t), cfg["grades"], v)
                      for t, v in zip(frame["total"], frame["vetoed"], strict=True)]
    return frame[[*dims, "total", "rank", "grade", "vetoed", "explanation", "peer_group"]].sort_values(
        ["rank"], kind="stable")
