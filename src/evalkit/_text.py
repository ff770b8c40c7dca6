"""How evalkit writes values as text: one "不适用", one number formatter, one terminal table.

Every layer (metrics, audit, scoring, exports, reports, the CLI) formats through these, so
a rate reads "85.00%" and an undefined value reads "不适用" everywhere.

Kinds (``format_value``):
  count  whole number: 3
  rate   percentage, 2 decimals (the metrics round half-up before; this only prints): 85.00%
  money  万元, up to 4 decimals with trailing zeros dropped: 0.5, 1.2345
  score  2 decimals: 84.83
  plain  the shortest form of the number (``:g``): 3, 0.5, 12.35
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd
from wcwidth import wcswidth

#: An undefined value: a rate whose denominator is zero (plan: never 0% or 100%).
NOT_APPLICABLE = "不适用"
#: A unit that sent no 附件2 for the period.
NOT_SUBMITTED = "未报送"
#: A reported figure monthly forms cannot give honestly (a quarter's 家 columns).
NOT_COMPARABLE = "不可比"
#: A blank cell (nothing was written), as opposed to an undefined rate.
BLANK = "空白"
#: A figure recomputed from a ledger with a cell intake could not read (a fine reading 待定):
#: it counts only what was read, so it is not compared (``MetricsResult.incomplete``).
INCOMPLETE = "不完整"

KINDS = ("count", "rate", "money", "score", "plain")
#: A cell with nothing to report in a column of figures (no fine, no case number), as opposed
#: to 不适用 (a rate whose denominator is zero).
NONE_RECORDED = "—"

# --------------------------------------------------------------------------- vocabulary
# One set of Chinese words per kind of status, used by every table, message and report.
#: Severity of a validation problem (``core.problems.Rule.severity``).
VALIDATION_SEVERITY_ZH = {"error": "错误", "warning": "警告"}
#: Severities of an audit finding (``audit.rules``), most severe first; they are Chinese already.
AUDIT_SEVERITIES = ("高", "中", "低")
#: Status of a hazard item as of a date (``metrics.hazards.hazard_status``), in table order.
HAZARD_STATUS_ZH = {"rectified": "已整改", "closed": "经复查确认整改", "overdue": "逾期未整改",
                    "open": "整改中（未到期）"}


def severity_rank(severity) -> int:
    """Sort key of an audit severity: 高 0, 中 1, 低 2, anything else after."""
    return AUDIT_SEVERITIES.index(severity) if severity in AUDIT_SEVERITIES else len(AUDIT_SEVERITIES)


def is_missing(value) -> bool:
    """True for None, pandas NA/NaT and float NaN: a value with nothing to show."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def as_number(value) -> float | None:
    """The value as a float, or None when it is missing or not a number."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def format_value(value, kind: str = "plain", *, missing: str = NOT_APPLICABLE,
                 percent_sign: bool = True, decimals: int | None = None) -> str:
    """One figure as text; ``missing`` (default 不适用) when there is no number.

    ``kind`` is one of ``KINDS`` (module docstring). ``percent_sign=False`` prints a rate
    without "%", for a column whose header already says (%). ``decimals`` fixes the
    decimals of a money figure (trailing zeros kept), so that figures side by side line up
    (``money_decimals``).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    v = as_number(value)
    if v is None:
        return missing
    if kind == "rate":
        return f"{v:.2f}%" if percent_sign else f"{v:.2f}"
    if kind == "money":
        if decimals is not None:
            return f"{v:.{decimals}f}"
        text = f"{v:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if kind == "score":
        return f"{v:.2f}"
    if kind == "count":
        return f"{int(round(v))}"
    return f"{round(v, 4):g}"


def money_decimals(values) -> int:
    """The decimals ``format_value(v, "money")`` shows for the most precise of ``values``
    (0 to 4): the precision the figures were written with, for printing a mean beside them."""
    most = 0
    for value in values:
        text = format_value(value, "money", missing="")
        if "." in text:
            most = max(most, len(text.split(".", 1)[1]))
    return most


# --------------------------------------------------------------------------- terminal tables
def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a CJK character takes two (wcwidth)."""
    width = wcswidth(text)
    # wcswidth is -1 for a control character; count such text per character instead
    return width if width >= 0 else sum(max(wcswidth(ch), 0) for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal columns (right-aligned if asked)."""
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *,
                 right: Sequence[bool] | None = None, indent: str = "", gap: str = "  ") -> str:
    """A plain-text table whose columns line up with CJK text (one header line, a rule, rows).

    ``right`` says per column whether to right-align (numbers); cells are ``str()``-ed and
    None becomes "".
    """
    body = [["" if c is None else str(c) for c in row] for row in rows]
    head = [str(h) for h in headers]
    n = len(head)
    if any(len(r) != n for r in body):
        raise ValueError(f"every row needs {n} cells, as many as the headers")
    right = list(right) if right is not None else [False] * n
    widths = [max([display_width(head[i])] + [display_width(r[i]) for r in body]) for i in range(n)]

    def line(cells):
        return (indent + gap.join(pad(c, widths[i], right=right[i]) for i, c in enumerate(cells))).rstrip()

    out = [line(head), indent + gap.join("-" * w for w in widths)]
    out += [line(r) for r in body]
    return "\n".join(out)
