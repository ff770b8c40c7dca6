"""evalkit: audit and evaluation suite for 蚶江镇's 2024 安全生产执法提升专项行动."""

from __future__ import annotations

from .dataset import Dataset
from .exceptions import (
    ConfigError,
    DataDirError,
    EvalkitError,
    ParameterError,
    ReportExecutionError,
    UnknownMetricError,
)
from .forms import FIGURES, FORMS, LEDGER, OCR_READINGS
from .periods import Period, parse_period
from .problems import RULES, Problem

__version__ = "0.1.0"

__all__ = [
    "Dataset", "ConfigError", "DataDirError", "EvalkitError", "ParameterError",
    "ReportExecutionError", "UnknownMetricError", "FIGURES", "FORMS", "LEDGER", "OCR_READINGS",
    "Period", "parse_period", "RULES", "Problem", "load",
]


def load(data_dir):
    """Read and validate a data folder; see ``evalkit.intake.load``."""
    from .intake import load as _load

    return _load(data_dir)
