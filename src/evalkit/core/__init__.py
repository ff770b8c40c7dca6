"""Core facts every layer shares: the two official forms, periods and the plan's deadlines,
the problem record, the ``Dataset`` contract and the violation catalogue.

Nothing here imports another evalkit layer (import-linter checks it).
"""

from evalkit.core.catalogue import load_catalogue, match_violation
from evalkit.core.dataset import Dataset
from evalkit.core.forms import FIGURES, FORMS, LEDGER, OCR_READINGS, Column, Form
from evalkit.core.periods import Period, parse_period, submission_deadline
from evalkit.core.problems import RULES, Problem, make_problem, problems_frame

__all__ = [
    "Column", "Dataset", "FIGURES", "FORMS", "Form", "LEDGER", "OCR_READINGS", "Period", "Problem",
    "RULES", "load_catalogue", "make_problem", "match_violation", "parse_period", "problems_frame",
    "submission_deadline",
]
