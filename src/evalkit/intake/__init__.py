"""Intake: read a data folder (registry + submitted workbooks) into a validated ``Dataset``.

``load(data_dir)`` is the entry point; ``cells`` parses single cells, ``registry`` reads
registry/, ``handling`` reads the 其他查处 vocabulary, ``validation_report`` formats the
result of ``evalkit validate``.
"""

from evalkit.intake.loader import load, read_file
from evalkit.intake.validation_report import ValidationResult

__all__ = ["ValidationResult", "load", "read_file"]
