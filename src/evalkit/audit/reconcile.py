"""附件2 报送数 vs 台账重算数: the one rule that says whether a reported cell differs.

Audit rule 1 (``reconciliation_mismatch``), the unit report's 附件2 comparison table
(``evalkit.report.sections.figures_comparison``) and the cell comments of the consolidated
附件2 (``evalkit.export.official``) all call ``differs``, so a cell the audit flags is the
cell the report highlights and the export comments, and no other.

Which pairs are compared is fixed as well (``SCOPE_OF_ROW``): a unit's 本月数 row of month m
against the ledger recomputed for month m (scope ``month``), its 累计数 row of month m
against the ledger from January to m (scope ``ytd``).

A recomputed figure the metrics mark incomplete (``MetricsResult.incomplete``: the scope holds
a cell intake could not read, such as a fine reading 待定) is not compared at all: ``verdict``
says ``incomplete``, never ``differs``. The audit reports it under rule
``reconciliation_incomplete``, the report's table reads 不完整, the export comments it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Literal

from evalkit._text import as_number
from evalkit.config.loader import packaged_default
from evalkit.core.forms import FIGURES

#: The 附件2 row (``FIGURES.row_labels``) and the ``compute_metrics`` scope it is compared with.
SCOPE_OF_ROW = {"本月数": "month", "累计数": "ytd"}

#: The FIGURES column kinds compared; kind k's tolerance is ``reconciliation.tolerance_<k>``.
KINDS = ("count", "rate", "money_wan")
#: The 附件2 columns compared (every column but 单位), in form order.
COMPARED = tuple(c for c in FIGURES.columns if c.kind in KINDS)
#: Absorbs binary floating point (99.99 − 100 is −0.010000000000005); far below any displayed digit.
_EPSILON = 1e-9


@cache
def _packaged_tolerances() -> dict[str, float]:
    section = packaged_default("audit")["reconciliation"]
    return {f"tolerance_{k}": float(section[f"tolerance_{k}"]) for k in KINDS}


def _tolerance(kind: str, tolerances: Mapping | None) -> float:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} (a FIGURES column kind), got {kind!r}")
    key = f"tolerance_{kind}"
    if tolerances is not None:
        section = tolerances.get("reconciliation", tolerances)
        if key in section:
            return float(section[key])
    return _packaged_tolerances()[key]


def differs(reported, recomputed, kind: str, tolerances: Mapping | None = None) -> bool:
    """True when a unit's reported 附件2 cell differs from the figure recomputed from 附件1.

    reported    the cell as the unit wrote it (``Dataset.figures``; float, NaN when blank)
    recomputed  the same column from ``compute_metrics(source="ledger")`` for the row's
                scope (``SCOPE_OF_ROW``); None / NA for an undefined rate (不适用)
    kind        the ``FIGURES`` column kind: ``count``, ``rate`` or ``money_wan``
    tolerances  the audit config (``load_audit_config`` / ``Context.config``, so ``--config``
                applies) or just its ``reconciliation`` section; None = the packaged
                config/audit.yaml. Keys not given fall back to the packaged values.

    Rule: differs when |reported − recomputed| > tolerance + 1e-9, where a missing value on
    either side counts as 0. So:

    * a blank reported cell equals a recomputed 0 or 不适用 (and differs from anything else);
    * a reported 0 equals a recomputed 不适用: a unit with nothing to divide by (no
      enterprise inspected, no hazard found) often writes 0% instead of 不适用;
    * blank vs 不适用 is equal.

    Why this one rule: after intake a blank cell and a cell reading 不适用 are both NaN, so
    they cannot be told apart, and units leave cells blank for "nothing this month". Each
    of the three cases above says "nothing happened" on both sides, so flagging them would
    only add noise; a real misstatement (a blank or 0 where the ledger has activity, a
    number where the ledger has none) still differs.

    Tolerances (config/audit.yaml ``reconciliation``): counts 0 (exact), rates 0.01
    percentage points (the form prints 2 decimals: 99.99 vs 100 is equal, 99.98 vs 100
    differs), 万元 0.0001 (1 元). The 1e-9 only absorbs floating-point noise.

    未报送 is not a difference: a unit that sent no 附件2 row for the period (or no 累计数
    row) has no reported cell, and callers must not call ``differs`` for it (passing None
    would read as a blank cell). The audit then has no finding, the report shows 未报送 and
    the export comments the row's label instead.
    """
    tol = _tolerance(kind, tolerances)
    rep, rec = as_number(reported), as_number(recomputed)
    return abs((rep or 0.0) - (rec or 0.0)) > tol + _EPSILON


def held_to(key: str, reported, recomputed, readings: Mapping, kind: str, tolerances: Mapping | None = None):
    """The recomputed value the reported cell ``key`` is compared with: ``recomputed``, or, when the
    reported value differs from it but agrees with another reading of the same rate that the unit
    may have followed (``readings``: ``MetricsResult.readings`` — 检查覆盖率 by the formula 附件2
    备注2 prints, 违法行为查处率 by each of its documented readings), that reading. A unit that
    filled the form by one of them has filled it right: no mismatch is said."""
    if not differs(reported, recomputed, kind, tolerances):
        return recomputed
    for other in readings.get(key, ()):
        if other is not None and not differs(reported, other, kind, tolerances):
            return other
    return recomputed


#: What ``verdict`` says about one pair of cells.
Verdict = Literal["same", "differs", "incomplete"]


def verdict(reported, recomputed, kind: str, tolerances: Mapping | None = None, *,
            incomplete: str | None = None) -> Verdict:
    """``differs`` (as ``differs`` judges it), ``same``, or ``incomplete`` when ``incomplete``
    gives a reason the recomputed figure is incomplete (``MetricsResult.is_incomplete``): a
    partial figure is never called a difference, whatever the numbers."""
    if incomplete:
        return "incomplete"
    return "differs" if differs(reported, recomputed, kind, tolerances) else "same"
