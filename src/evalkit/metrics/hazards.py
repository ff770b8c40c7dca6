"""The status of a hazard item as of a date: the one rule metrics, audit, scoring and reports share.

``hazard_status(items, as_of, grace_days=0)`` says, for each row of a ``Dataset.items``
frame (or a selection of it), where the hazard stood on ``as_of``. Callers keep their own
*selection* of items (the scope's new hazards, the audit's history, the items due …) but
never decide the status themselves.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from evalkit.exceptions import ParameterError
from evalkit.intake.cells import DEADLINE_ASSUMED, STATUS_RECTIFIED

__all__ = ["RECTIFIED", "CLOSED", "OVERDUE", "OPEN", "HAZARD_STATUSES", "DONE", "hazard_status", "is_done", "done_on",
           "is_rectified", "is_past_due", "with_assumed_days"]

RECTIFIED, CLOSED, OVERDUE, OPEN = "rectified", "closed", "overdue", "open"
#: Every value ``hazard_status`` returns, in the order reports list them.
HAZARD_STATUSES = (RECTIFIED, CLOSED, OVERDUE, OPEN)
#: The statuses that mean "rectified as of the date" (隐患整改数 counts these).
DONE = (RECTIFIED, CLOSED)


def is_rectified(status):
    """True where the item's own 完成整改情况 says rectified (items.status == "rectified").

    ``status`` is a Series (-> bool Series; missing -> False) or one value (-> bool).
    """
    if isinstance(status, pd.Series):
        return status.eq(STATUS_RECTIFIED).fillna(False).astype(bool)
    return status == STATUS_RECTIFIED


def with_assumed_days(items: pd.DataFrame, days: int | None) -> pd.DataFrame:
    """``items`` with every assumed deadline recomputed as inspection_date + ``days``.

    An item whose text writes no deadline (items.deadline_basis "assumed") got intake's
    default, inspection + ``intake.cells.DEFAULT_RECTIFICATION_DAYS`` (30); the audit's
    ``overdue.assumed_days`` may assume another period. Written and relative deadlines are
    the text's and never change. ``days`` None, or no deadline_basis column (a frame built
    without it), returns ``items`` unchanged; otherwise a copy.
    """
    if days is None or "deadline_basis" not in items.columns or items.empty:
        return items
    if isinstance(days, bool) or not isinstance(days, numbers.Integral) or days < 0:
        raise ParameterError("assumed_days", days, "不小于 0 的整数天数")
    assumed = (items["deadline_basis"] == DEADLINE_ASSUMED).fillna(False).to_numpy(dtype=bool)
    if not assumed.any():
        return items
    out = items.copy()
    start = pd.to_datetime(out["inspection_date"]).dt.normalize()
    out["deadline"] = pd.to_datetime(out["deadline"]).where(~assumed, start + pd.Timedelta(days=int(days)))
    return out


def _day(as_of) -> pd.Timestamp:
    try:
        day = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        day = pd.NaT
    if pd.isna(day):
        raise ParameterError("as_of", as_of, "一个日期，如 2024-06-30")
    return day.normalize()


def _grace(grace_days) -> pd.Timedelta:
    if isinstance(grace_days, bool) or not isinstance(grace_days, numbers.Integral) or grace_days < 0:
        raise ParameterError("grace_days", grace_days, "不小于 0 的整数天数")
    return np.timedelta64(int(grace_days), "D")


def _days(column: pd.Series) -> np.ndarray:
    """A date column as numpy days (time of day dropped; NaT stays NaT and compares False)."""
    return pd.to_datetime(column).to_numpy(dtype="datetime64[D]")


def _past_due(items: pd.DataFrame, day: np.datetime64, grace_days) -> np.ndarray:
    return _days(items["deadline"]) + _grace(grace_days) < day


def is_past_due(items: pd.DataFrame, as_of, *, grace_days: int = 0) -> pd.Series:
    """True where the item's deadline + ``grace_days`` is before ``as_of`` (so it is due).

    On the deadline day itself (deadline + grace == as_of) the item is not yet due; one day
    later it is. A missing deadline (NaT) is never due. Whether the item was rectified is
    not looked at: that is ``hazard_status``'s job; this answers "had it to be done by then".
    """
    day = np.datetime64(_day(as_of).date(), "D")
    return pd.Series(_past_due(items, day, grace_days), index=items.index, dtype=bool)


def hazard_status(items: pd.DataFrame, as_of, *, grace_days: int = 0) -> pd.Series:
    """The status of each hazard item on the day ``as_of``, one of ``HAZARD_STATUSES``.

    ``items`` needs the ``Dataset.items`` columns status, deadline, closed_by and
    closed_date; the result has its index, dtype str, name "hazard_status". Checked in order:

    rectified  the item's own 完成整改情况 says rectified (items.status == "rectified"),
               whatever ``as_of`` is: the row is the unit's record of that inspection.
    closed     a later 复查 found it rectified (closed_by set) and that 复查's inspection
               date (closed_date) is on or before ``as_of``. The date of the 复查 counts,
               not the month it was submitted in: a 复查 done on 06-28 and reported on the
               July form closed the item in June. So a unit is never marked 逾期 for a
               hazard it had verified as rectified in time, and a 复查 reported early
               but dated after ``as_of`` does not count yet.
    overdue    neither, and past its deadline: deadline + ``grace_days`` < ``as_of``. On
               the deadline day the item is still open; the day after it is overdue.
    open       neither, and not yet due (also: no deadline, deadline NaT).

    Rules and edge cases:

    * The text 逾期未整改 / 拒不整改 (items.status == "overdue") does NOT make an item
      overdue by itself; only the deadline does. On an item that counts as a new hazard
      the text comes from a follow-up inspection whose original item is not in the data
      (found last year, worded differently, or the row not marked 复查), and intake gives
      it its own deadline (a date in the text, else that inspection + 30 days): counting
      it as overdue earlier would put a 逾期 finding on the unit that no date in the
      data supports, and a false 逾期 costs the unit points. The text still marks the
      refusal in the audit's own facts (``audit.facts.Facts.items.refused``).
    * A closure with closed_by set but no closed_date (NaT) cannot be dated, so it does not
      count on any date. (Intake always dates it: a 复查 row's 检查时间 is required.)
    * Items of 复查 rows linked to earlier items (counts_as_hazard False) get the status
      of their own text and deadline: they describe the restatement, not the hazard. The
      hazard's status is on the original item, which carries the closure (closed_by);
      callers counting hazards select items with counts_as_hazard.
    * ``grace_days`` (the audit's ``overdue.grace_days``: time allowed for the 复查) only
      moves the overdue line; a closure after the deadline but within the grace still
      closes the item, and a closure after ``as_of`` never does.
    * ``as_of`` is a day (date, Timestamp or "YYYY-MM-DD"; a time of day is dropped); the
      period's last day for a period's figures. Items found after ``as_of`` are the
      caller's selection to make: their own-row status still counts.
    """
    own, closed, late = _masks(items, as_of, grace_days)
    status = np.select([own, closed, late], [RECTIFIED, CLOSED, OVERDUE], OPEN)
    return pd.Series(status, index=items.index, dtype="str", name="hazard_status")


def is_done(items: pd.DataFrame, as_of) -> np.ndarray:
    """Bool array: ``hazard_status(items, as_of)`` is in ``DONE`` (rectified or closed).

    The same rule without building the status strings, which costs more than the rule
    itself on a large ledger (``done_on`` prepares it for many dates).
    """
    return done_on(items)(as_of)


def done_on(items: pd.DataFrame):
    """``is_done`` prepared once for many dates: returns ``at(as_of) -> bool array``.

    The columns are read once; each date costs one comparison. The metrics engine calls
    ``at`` once per scope."""
    own, closed, closed_day = _columns(items)

    def at(as_of) -> np.ndarray:
        day = np.datetime64(_day(as_of).date(), "D")
        return own | (closed & (closed_day <= day))
    return at


def _columns(items: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rectified on its own row, closed by a 复查, that 复查's day) as numpy arrays."""
    return (is_rectified(items["status"]).to_numpy(dtype=bool), items["closed_by"].notna().to_numpy(dtype=bool),
            _days(items["closed_date"]))


def _masks(items: pd.DataFrame, as_of, grace_days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rectified on its own row, closed by a dated 复查 by ``as_of``, past due) as numpy bools."""
    day = np.datetime64(_day(as_of).date(), "D")
    own, closed, closed_day = _columns(items)
    return own, closed & (closed_day <= day), _past_due(items, day, grace_days)
