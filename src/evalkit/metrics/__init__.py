"""The campaign's metrics: a registry of definitions (``evalkit.metrics.registry``) and the
engine that computes them per unit and for the town, from the ledger (附件1) or from the
reported figures (附件2) (``evalkit.metrics.engine``)."""

from evalkit.metrics.engine import MetricsResult, compute_metrics
from evalkit.metrics.hazards import hazard_status
from evalkit.metrics.registry import MetricDef, get_metric, list_metrics, metric_ids, register_metric

__all__ = ["MetricDef", "MetricsResult", "compute_metrics", "get_metric", "list_metrics", "metric_ids",
           "register_metric", "hazard_status"]
