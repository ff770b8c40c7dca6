"""The records intake fills while it reads: a row, a sheet, a file, and the problem helpers.

Every input row becomes one ``RowRead`` and ends accepted or rejected; the column lists
are the exact columns of the ``Dataset`` tables (``evalkit.core.dataset``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from evalkit.core.dataset import SUPERSEDED_COLUMNS as DATASET_SUPERSEDED_COLUMNS
from evalkit.core.forms import FIGURES, LEDGER, Column
from evalkit.core.problems import RULES, Problem, make_problem

# Required columns per form; 附件2 needs its 单位 column to tell 本月数 from 累计数.
REQUIRED_COLUMNS = {LEDGER.id: tuple(c.key for c in LEDGER.columns if c.required), FIGURES.id: ("label",)}


FORM_NAMES = {LEDGER.id: "附件1（统计表一）", FIGURES.id: "附件2（统计表二）"}


_SHEET_ERRORS = {r for r, rule in RULES.items() if rule.scope == "sheet" and rule.severity == "error"}


LEDGER_COLUMNS = ["row_id", "file", "sheet", "row", "unit", "year", "month", "period", "seq",
                  "enterprise", "enterprise_name", "registered", "inspection_date", "inspectors",
                  "inspector_count", "hazards", "rectifications", "case_no", "fine_wan",
                  "legal_basis", "other_handling", "remarks", "is_recheck", "unreadable", "via"]

#: 附件1 columns whose cell, when it cannot be read (an error such as number_unparseable), is
#: left unknown while the row is kept: the inspection, its enterprise and its hazards still
#: count, and ``ledger.unreadable`` names the cell. Every other error on a row rejects it
#: (docs/intake.md §8): the enterprise and the inspection date identify the inspection and
#: date its hazards. 附件2 rows are rejected on any error.
BLANKABLE_COLUMNS = ("fine_wan",)


ITEM_COLUMNS = ["row_id", "item_no", "hazard", "rectification", "unit", "period", "enterprise_name",
                "inspection_date", "case_no", "is_recheck", "status", "deadline",
                "counts_as_hazard", "closed_by", "closed_date", "rectified", "deadline_basis"]


FIGURE_KEYS = [c.key for c in FIGURES.columns if c.key != "label"]


FIGURES_COLUMNS = ["file", "sheet", "row", "unit", "year", "month", "period", "kind", *FIGURE_KEYS, "via"]

#: Rows a consolidating unit relayed for a unit that also sent its own original (``consolidated``).
SUPERSEDED_COLUMNS = DATASET_SUPERSEDED_COLUMNS


SUBMISSION_COLUMNS = ["file", "sheet", "form", "unit", "year", "month", "period", "filled_date",
                      "received", "late", "rows_read", "rows_accepted", "rows_rejected"]


FILE_COLUMNS = ["file", "rows_read", "rows_accepted", "rows_rejected"]


REJECTED_COLUMNS = ["file", "sheet", "row", "form", "reason", "values"]


@dataclass
class RowRead:
    """One data row: its raw values, its parsed record and its own problems."""

    row: int
    values: dict[str, str]
    record: dict
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rule ids; filled at the end
    #: Errors (also in ``problems``) that leave one cell unknown instead of rejecting the row.
    blanked: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)


@dataclass
class SheetRead:
    """One sheet: recognised (form set) or not, its header fields and its rows."""

    file: str
    sheet: str
    form: str | None
    unit: str | None = None
    unit_written: str | None = None
    year: int | None = None
    month: int | None = None
    filled_date: dt.date | None = None
    received: dt.date | None = None
    late: bool = False
    rows: list[RowRead] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def sheet_errors(self) -> list[str]:
        return list(dict.fromkeys(p.rule for p in self.problems if p.rule in _SHEET_ERRORS))

    @property
    def period(self) -> str | None:
        return f"{self.year}-{self.month:02d}" if self.year and self.month else None


@dataclass
class FileRead:
    file: str
    problems: list[Problem] = field(default_factory=list)
    sheets: list[SheetRead] = field(default_factory=list)
    mtime: int | None = None  # the file's modification time, whole seconds (resubmission ties)


def sheet_problem(rule: str, message: str, where: SheetRead | str, row=None, column=None, value=None) -> Problem:
    if isinstance(where, SheetRead):
        return make_problem(rule, message, file=where.file, sheet=where.sheet, row=row, column=column,
                            value=value)
    return make_problem(rule, message, file=where, row=row, column=column, value=value)


#: Characters of a value quoted in a message; a longer value is cut (the problem's value keeps 200).
QUOTE_CHARS = 60


def quoted(label: str, raw, detail: str) -> str:
    """"罚款金额 '待定' 不是数字：…" (or "罚款金额为空：…" without a value); a long value is cut to
    QUOTE_CHARS with "…"."""
    return f"{label}{detail}" if raw is None else f"{label} '{cut(raw)}' {detail}"


def cut(value) -> str:
    """``value`` as text for a message, cut to QUOTE_CHARS with "…"."""
    text = str(value)
    return text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"


def short_name(column: Column) -> str:
    """A header without its unit: 罚款金额(万) -> 罚款金额."""
    return column.header.split("(")[0]

