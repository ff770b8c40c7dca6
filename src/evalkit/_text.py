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
                 percent_sign: bool = True) -> str:
    """One figure as text; ``missing`` (default 不适用) when there is no number.

    ``kind`` is one of ``KINDS`` (module docstring). ``percent_sign=False`` prints a rate
    without "%", for a column whose header already says (%).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    v = as_number(value)
    if v is None:
        return missing
    if kind == "rate":
        return f"{v:.2f}%" if percent_sign else f"{v:.2f}"
    if kind == "money":
        text = f"{v:.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if kind == "score":
        return f"{v:.2f}"
    if kind == "count":
        return f"{int(round(v))}"
    return f"{round(v, 4):g}"


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
