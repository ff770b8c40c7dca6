"""核查 (audit): the plan's requirements checked against the submitted data.

``run_audit(dataset, period, config=None)`` runs the rules of ``AUDIT_RULES`` (17 ids
for the 13 rules of docs/audit.md; rules 1, 5, 10 and 13 have two ids) over one period and returns an
``AuditResult``:

findings  DataFrame, one row per finding: rule, rule_name, severity (高/中/低), unit,
          enterprise, period, message (Chinese), evidence (list of "file#sheet#row", or
          "registry/…#…" for registry rows), details (dict of rule-specific values such as
          reported / recomputed / metric).
notes     Chinese notes on rules that could not run (no plan, no metrics) and known limits.
tables    extra tables, e.g. ``fine_spread`` (rule 12: fines per violation code and unit).

The period (a month, quarter or year; ``periods.parse_period``) bounds what is audited;
rows submitted before it are history (repeats within 12 months, 累计数, deadlines); rows
submitted after its last month are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from evalkit.audit.facts import LOWER_BOUNDS, Facts
from evalkit.audit.rules import (
    AUDIT_RULES,
    FINDING_COLUMNS,
    RULES_REPORTS_AND_PLAN,
    SEVERITIES,
    Context,
)
from evalkit.audit.rules_consolidated import RULES_CONSOLIDATED
from evalkit.audit.rules_handling import RULES_HANDLING, group_overdue
from evalkit.config.loader import load_model
from evalkit.config.models import AuditFile
from evalkit.core.catalogue import load_catalogue
from evalkit.core.dataset import Dataset, within_data
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import InternalError
from evalkit.metrics.engine import MetricsEngine, MetricsResult

__all__ = ["run_audit", "AuditResult", "AUDIT_RULES", "load_audit_config", "RULE_FUNCTIONS"]

RULE_FUNCTIONS = {**RULES_REPORTS_AND_PLAN, **RULES_HANDLING, **RULES_CONSOLIDATED}
if list(RULE_FUNCTIONS) != list(AUDIT_RULES):
    raise InternalError(f"核查规则函数 {list(RULE_FUNCTIONS)} 与 AUDIT_RULES {list(AUDIT_RULES)} 不一致")

#: Limits the audit states in every result (shown under 说明).
STANDING_NOTES = (
    "行政处罚法第六十条（立案后90日内作出处罚决定）未核查：台账没有立案日期和决定日期。",
)

def load_audit_config(path=None) -> tuple[dict, str]:
    """(config, source) from config/audit.yaml merged with ``path``; ConfigError names the key.

    Validated by ``evalkit.config.models.AuditFile``; returned as the YAML's dict shape.
    """
    model, source = load_model("audit", AuditFile, path, context={
        "audit_rules": list(AUDIT_RULES), "lower_bounds": list(LOWER_BOUNDS),
        "violation_codes": list(load_catalogue().index)})
    return model.model_dump(), source


def as_period(period) -> Period:
    """A Period from a Period or its text (2024-06, 2024Q2, 2024)."""
    return period if isinstance(period, Period) else parse_period(period)


def _recompute_factory(dataset: Dataset, notes: list[str]):
    """(period text, scope) -> the metrics recomputed from the ledger (``MetricsResult``:
    ``frame`` and ``incomplete``); cached per call."""
    cache: dict[tuple[str, str], MetricsResult | None] = {}
    engine = None

    def recompute(period_text: str, scope: str) -> MetricsResult | None:
        nonlocal engine
        if (period_text, scope) not in cache:
            engine = engine or MetricsEngine(dataset)
            cache[(period_text, scope)] = engine.compute(period_text, scope=scope, source="ledger")
        return cache[(period_text, scope)]

    return recompute


@dataclass
class AuditResult:
    """Findings of one audit run; see the module docstring."""

    period: Period
    findings: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    config_source: str = ""

    @property
    def facts(self) -> Facts | None:
        """The ``Facts`` the rules read (``run_audit`` sets them), for callers that reuse them
        (scoring, typical cases) instead of reading the ledger again; None for a result built
        otherwise (e.g. read back from the report cache). Not a dataclass field, so it is in
        neither ``to_dict`` nor the cache, and does not take part in ``==``."""
        return self.__dict__.get("_facts")

    def counts(self) -> dict[str, int]:
        """Number of findings per rule id (every rule listed, 0 included)."""
        got = self.findings["rule"].value_counts() if len(self.findings) else {}
        return {r: int(got.get(r, 0)) for r in AUDIT_RULES}

    def for_unit(self, unit: str) -> pd.DataFrame:
        return self.findings[self.findings["unit"] == unit]

    def to_dict(self) -> dict:
        """JSON structure of ``evalkit audit --json``."""
        return {
            "period": self.period.text,
            "period_label": self.period.label,
            "findings": [_jsonable(r) for r in self.findings.to_dict("records")],
            "counts": self.counts(),
            "notes": list(self.notes),
            "config": self.config_source,
        }

    def to_text(self) -> str:
        """Readable Chinese report grouped by rule; rule 9 one line per enterprise (``group_overdue``)."""
        counts = self.counts()
        lines = [f"执法核查 {self.period.label}：共 {len(self.findings)} 条问题", ""]
        lines.append("规则汇总：")
        for rid, rule in AUDIT_RULES.items():
            lines.append(f"  {rule.title}（{rid}）：{counts[rid]} 条")
        lines.append("")
        for rid, rule in AUDIT_RULES.items():
            grp = self.findings[self.findings["rule"] == rid]
            if grp.empty:
                continue
            recs = list(grp.itertuples(index=False))
            head = f"【{rule.title}】{rid} — {len(grp)} 条"
            if rid == "overdue_not_escalated":  # one line per enterprise; the counts stay per item
                recs = list(group_overdue(grp).itertuples(index=False))
                head += f"（{len(recs)} 家企业，每家一行）"
            lines.append(f"{head}；依据：{rule.clause}")
            for rec in recs:
                who = rec.unit if isinstance(rec.unit, str) else "—"
                if isinstance(rec.enterprise, str) and rec.enterprise:
                    who += f" / {rec.enterprise}"
                ev = list(rec.evidence)
                shown = "；".join(ev[:3]) + (f" 等{len(ev)}条" if len(ev) > 3 else "")
                lines.append(f"  [{rec.severity}] {who}：{rec.message}")
                lines.append(f"        证据：{shown}")
            lines.append("")
        if self.notes:
            lines.append("说明：")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines).rstrip()


def _jsonable(record: dict) -> dict:
    out = {}
    for k, v in record.items():
        if isinstance(v, float) and v != v:
            v = None
        out[k] = v
    return out


def run_audit(dataset: Dataset, period, config=None) -> AuditResult:
    """Run every enabled audit rule over ``period`` (text or Period); see the module docstring.

    config  None (packaged config/audit.yaml) or a YAML path whose keys override it.
    """
    period = within_data(dataset, as_period(period))
    cfg, source = load_audit_config(config)
    notes: list[str] = []
    facts = Facts.from_config(dataset, period, cfg)
    ctx = Context(dataset, period, facts, cfg, _recompute_factory(dataset, notes), notes)
    rows: list[dict] = []
    for rid, fn in RULE_FUNCTIONS.items():
        if rid in cfg["disabled"]:
            notes.append(f"规则 {rid}（{AUDIT_RULES[rid].title}）已在配置中停用。")
            continue
        rows.extend(fn(ctx))
    notes.extend(STANDING_NOTES)
    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS, dtype=object)
    if not findings.empty:
        order = {r: i for i, r in enumerate(AUDIT_RULES)}
        sev = {s: i for i, s in enumerate(SEVERITIES)}
        findings = (findings.assign(_r=findings["rule"].map(order), _s=findings["severity"].map(sev))
                    .sort_values(["_r", "_s", "unit", "enterprise"], na_position="first", kind="stable")
                    .drop(columns=["_r", "_s"]).reset_index(drop=True))
    result = AuditResult(period, findings, notes, ctx.tables, source)
    result._facts = facts  # see AuditResult.facts
    return result
