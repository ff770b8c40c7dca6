"""The campaign's metrics: a registry of definitions and the engine that computes them per
unit and for the town, from the ledger (附件1) or from the reported figures (附件2)."""

from evalkit.metrics.engine import (
    MetricDef,
    MetricsResult,
    compute_metrics,
    get_metric,
    list_metrics,
    metric_ids,
)
from evalkit.metrics.hazards import hazard_status

__all__ = ["MetricDef", "MetricsResult", "compute_metrics", "get_metric", "list_metrics", "metric_ids",
           "hazard_status"]
