"""evalkit: audit and evaluation suite for 蚶江镇's 2024 安全生产执法提升专项行动.

The public surface, one import away::

    import evalkit as ek
    ds = ek.load("data/sample")                      # intake + validation
    ek.compute_metrics(ds, "2024-06", scope="ytd")   # metrics
    ek.run_audit(ds, "2024-06"); ek.score_units(ds, "2024-06")
    ek.case_candidates(ds, "2024Q2"); ek.lookback(ds, "2024-06")
    ek.export_period(ds, "2024-06", "outputs")       # official workbooks
    ek.run_batch("data/sample", "2024-06")           # papermill reports

Heavy modules (papermill, nbconvert) load on first use, so ``import evalkit`` stays fast.
"""

from __future__ import annotations

import importlib

# Defined before the imports below, so any submodule may import it at load time.
__version__ = "0.1.0"

from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES, FORMS, LEDGER, OCR_READINGS
from evalkit.core.periods import Period, parse_period
from evalkit.core.problems import RULES, Problem
from evalkit.exceptions import (
    ConfigError,
    DataDirError,
    EvalkitError,
    ParameterError,
    ReportExecutionError,
    UnknownMetricError,
)

# name -> module that defines it; imported on first access
_LAZY = {
    "load": "intake.loader",
    "compute_metrics": "metrics.engine",
    "get_metric": "metrics.engine",
    "list_metrics": "metrics.engine",
    "MetricsResult": "metrics.engine",
    "run_audit": "audit.run",
    "AuditResult": "audit.run",
    "score_units": "assess.scoring",
    "ScoreResult": "assess.scoring",
    "case_candidates": "assess.cases",
    "case_timeline": "assess.cases",
    "lookback": "assess.cases",
    "export_period": "export.official",
    "run_batch": "report.batch",
    "load_cached": "report.cache",
    "load_catalogue": "core.catalogue",
}

__all__ = [
    "Dataset", "ConfigError", "DataDirError", "EvalkitError", "ParameterError",
    "ReportExecutionError", "UnknownMetricError", "FIGURES", "FORMS", "LEDGER", "OCR_READINGS",
    "Period", "parse_period", "RULES", "Problem", *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
