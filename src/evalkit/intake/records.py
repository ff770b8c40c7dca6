"""The records intake fills while it reads: a row, a sheet, a file, and the problem helpers.

Every input row becomes one ``RowRead`` while its sheet is parsed; the sheet's rows are then
packed into one ``RowBlock`` (columns) and end accepted or rejected; the column lists are the
exact columns of the ``Dataset`` tables (``evalkit.core.dataset``).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from dataclasses import dataclass, field

import pyarrow as pa

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

#: 附件1 fields that hold only text or blanks (the cell parsers return ``str`` or None): a sheet's
#: block carries each as one pyarrow array (``text_array``), built in the worker while its
#: texts are at hand, so the parent joins arrays instead of converting a million scattered
#: Python texts (about 1 µs each at national size, most of it cache misses).
TEXT_COLUMNS = ("enterprise", "enterprise_name", "case_no", "legal_basis", "other_handling", "remarks",
                "unreadable")

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
    """One data row: its raw texts, its parsed record and its own problems. ``values`` holds the
    text of each cell by column position (None: blank); the sheet's ``labels`` name the columns."""

    row: int
    values: list[str | None]
    record: dict
    problems: list[Problem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # rule ids; filled at the end
    #: Errors (also in ``problems``) that leave one cell unknown instead of rejecting the row.
    blanked: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)


class RowBlock:
    """The rows of one sheet, column by column: what a worker sends back for a sheet.

    ``rows`` holds the Excel row numbers; ``columns`` the parsed record, one list per field
    (``RowRead.record``'s keys); ``values`` every row's raw texts and the sheet's column labels,
    as one zlib-compressed JSON document for the sheet (decoded only when a row is rejected,
    ``values_of``: a row's non-blank texts by label); ``problems``, ``blanked`` and ``errors``
    are sparse: row position -> that row's problems, its blanked problems, its error rules
    (``cross_file.settle_rows``; a row with errors is rejected). One object per column instead
    of several per row keeps the parent's memory and the pickling small.
    """

    __slots__ = ("rows", "columns", "values", "problems", "blanked", "errors")

    def __init__(self, rows: list[int], columns: dict[str, list], values: bytes,
                 problems: dict[int, list[Problem]], blanked: dict[int, list[Problem]]):
        self.rows, self.columns, self.values = rows, columns, values
        self.problems, self.blanked = problems, blanked
        self.errors: dict[int, list[str]] = {}

    @classmethod
    def from_rows(cls, rows: list[RowRead], labels: dict[int, str]) -> RowBlock:
        """``labels``: column position -> the name a row's text in that column is kept under (every
        position where a row has a text)."""
        columns = _columns([r.record for r in rows])
        for key in TEXT_COLUMNS:
            if key in columns:
                columns[key] = text_array(columns[key])
        width = max((len(r.values) for r in rows), default=0)
        names = [labels.get(i) for i in range(max(width, max(labels, default=-1) + 1))]
        # lists of texts, not a dict per row: the labels are written once (half the JSON to encode)
        values = json.dumps([names, [r.values for r in rows]], ensure_ascii=False, separators=(",", ":"))
        return cls([r.row for r in rows], columns, zlib.compress(values.encode(), 1),
                   {i: r.problems for i, r in enumerate(rows) if r.problems},
                   {i: r.blanked for i, r in enumerate(rows) if r.blanked})

    def __len__(self) -> int:
        return len(self.rows)

    def __getstate__(self):
        return self.rows, self.columns, self.values, self.problems, self.blanked, self.errors

    def __setstate__(self, state) -> None:
        self.rows, self.columns, self.values, self.problems, self.blanked, self.errors = state

    def values_of(self, i: int) -> dict[str, str]:
        return self.all_values()[i]

    def all_values(self) -> list[dict[str, str]]:
        """Every row's non-blank texts by column label, in column order (a label two columns share
        keeps the later text, at the first one's place)."""
        names, rows = json.loads(zlib.decompress(self.values))
        return [{names[i]: text for i, text in enumerate(texts) if text is not None} for texts in rows]

    def row_problems(self) -> list[Problem]:
        """Every row's own problems, in row order."""
        return [p for i in sorted(self.problems) for p in self.problems[i]]

    def drop_row_problems(self) -> None:
        self.problems, self.blanked = {}, {}

    @property
    def n_rejected(self) -> int:
        return len(self.errors)

    def accepted(self) -> list[int]:
        """Positions of the accepted rows, in order."""
        errors = self.errors
        return [i for i in range(len(self.rows)) if i not in errors] if errors else list(range(len(self.rows)))


def text_array(values: list) -> pa.Array | list:
    """A column of texts and blanks as a pyarrow string array (None: null), as it travels from
    a worker (int32 offsets: half the bytes of large_string for a sheet's hundred rows); a column
    of blanks only, or holding anything else (pyarrow refuses it), stays the list it is."""
    if values.count(None) == len(values):
        return values
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return values


def _columns(records: list[dict]) -> dict[str, list]:
    """The records as columns, keyed by the first record's fields (in its order)."""
    if not records:
        return {}
    keys = tuple(records[0])
    if all(tuple(r) == keys for r in records):  # the usual case: transposed at C speed
        return dict(zip(keys, map(list, zip(*(r.values() for r in records), strict=True)), strict=True))
    # .get: a consolidated sheet's rejected rows may lack the unit/via its other rows carry
    return {k: [r.get(k) for r in records] for k in keys}


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
    rows: list[RowRead] = field(default_factory=list)  # while the sheet is parsed; then ``block``
    labels: dict[int, str] = field(default_factory=dict)  # column position -> the label of its raw texts
    problems: list[Problem] = field(default_factory=list)
    block: RowBlock | None = None

    def pack(self) -> None:
        """Move ``rows`` into ``block`` (columns), as the file's reader returns it."""
        self.block, self.rows, self.labels = RowBlock.from_rows(self.rows, self.labels), [], {}

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

