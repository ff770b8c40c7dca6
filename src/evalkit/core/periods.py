"""Reporting periods: a month (2024-06), a quarter (2024Q2) or a year (2024).

A *scope* turns a month into the set of months to aggregate:
``month`` that month, ``ytd`` January through it (累计), ``quarter`` its quarter,
``year`` the whole year. ``Period.months`` lists the months covered.

A quarter, a year or a year-to-date still in progress covers what has been submitted:
``Period.up_to(m)`` cuts its months at m (``core.dataset.within_data`` does it at the data's
latest month) and records ``through``, so every label says “（截至11月）”.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from evalkit.exceptions import ParameterError

SCOPES = ("month", "ytd", "quarter", "year")
#: Years a period may name. Year 0 does not exist (``--period 0000-01`` was an internal error);
#: the bounds also keep every derived date (deadlines in the next year) representable.
MIN_YEAR, MAX_YEAR = 1900, 2100
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})\s*[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    year: int
    months: tuple[int, ...]
    kind: str  # month | ytd | quarter | year
    text: str  # canonical text: 2024-06, 2024Q2, 2024
    #: The last month a period in progress covers (its months were cut there), else None.
    through: int | None = None

    @property
    def last_month(self) -> int:
        return self.months[-1]

    @property
    def label(self) -> str:
        """Chinese label for report titles: 2024年6月, 2024年1—6月（累计）, 2024年第二季度,
        2024年; a period in progress adds where it stops: 2024年（截至11月）."""
        if self.kind == "month":
            return f"{self.year}年{self.months[0]}月"
        if self.kind == "ytd":
            return f"{self.year}年1—{self.last_month}月（累计）"
        upto = f"（截至{self.through}月）" if self.through else ""
        if self.kind == "quarter":
            return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度{upto}"
        return f"{self.year}年{upto}"

    @property
    def quarter(self) -> int:
        """The quarter (1–4) of the period's first month."""
        return (self.months[0] - 1) // 3 + 1

    def up_to(self, month: int) -> Period:
        """This period cut at ``month`` when it runs past it (a quarter, year or ytd still in
        progress), with ``through`` set; unchanged when it ends by then, when ``month`` is
        before its first month (nothing to cover: the caller refuses it), or for a month."""
        if self.kind == "month" or self.last_month <= month or month < self.months[0]:
            return self
        return Period(self.year, tuple(m for m in self.months if m <= month), self.kind, self.text, month)

    @property
    def period_keys(self) -> list[str]:
        """The ``YYYY-MM`` keys covered, matching ``Dataset.ledger['period']``."""
        return [f"{self.year}-{m:02d}" for m in self.months]

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.months[0], 1)

    @property
    def end(self) -> dt.date:
        m = self.last_month
        return dt.date(self.year, m, calendar.monthrange(self.year, m)[1])


def parse_period(text: str, scope: str | None = None) -> Period:
    """Parse ``2024-06``, ``2024Q2`` or ``2024``; apply ``scope`` to a month.

    ``scope`` is only meaningful for a month: ``month`` (default), ``ytd``,
    ``quarter`` or ``year``. For a quarter or a year the scope must be omitted or
    match (``quarter``/``year``). The year must lie in MIN_YEAR..MAX_YEAR. Raises
    ParameterError (the CLI shows it as one Chinese line, exit 2).
    """
    raw = str(text).strip()
    if scope is not None and scope not in SCOPES:
        raise ParameterError("scope", scope, " | ".join(SCOPES))
    if m := _MONTH.match(raw):
        year, month = _check_year(int(m.group(1)), text), int(m.group(2))
        if not 1 <= month <= 12:
            raise ParameterError("period", text, "YYYY-MM（月份 1—12）、YYYYQn 或 YYYY")
        scope = scope or "month"
        if scope == "month":
            return Period(year, (month,), "month", f"{year}-{month:02d}")
        if scope == "ytd":
            return Period(year, tuple(range(1, month + 1)), "ytd", f"{year}-{month:02d}")
        if scope == "quarter":
            q = (month - 1) // 3 + 1
            return Period(year, tuple(range(3 * q - 2, 3 * q + 1)), "quarter", f"{year}Q{q}")
        return Period(year, tuple(range(1, 13)), "year", f"{year}")
    if m := _QUARTER.match(raw):
        if scope not in (None, "quarter"):
            raise ParameterError("scope", scope, "quarter（或省略），因为 period 是季度")
        year, q = _check_year(int(m.group(1)), text), int(m.group(2))
        return Period(year, tuple(range(3 * q - 2, 3 * q + 1)), "quarter", f"{year}Q{q}")
    if m := _YEAR.match(raw):
        if scope not in (None, "year"):
            raise ParameterError("scope", scope, "year（或省略），因为 period 是年份")
        year = _check_year(int(m.group(1)), text)
        return Period(year, tuple(range(1, 13)), "year", f"{year}")
    raise ParameterError("period", text, "YYYY-MM（如 2024-06）、YYYYQn（如 2024Q2）或 YYYY（如 2024）")


def _check_year(year: int, text) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ParameterError("period", text,
                             f"年份在 {MIN_YEAR}—{MAX_YEAR} 之间的 YYYY-MM、YYYYQn 或 YYYY（如 2024-06）")
    return year


def submission_deadline(year: int, month: int) -> dt.date:
    """Deadline for the report on ``month``: the 30th of the next month.

    The plan: “每月30日前报送上月执法统计表”. We read “30日前” as *on or before*
    the 30th; in a month without a 30th (February) the deadline is its last day.
    """
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.date(y, m, min(30, calendar.monthrange(y, m)[1]))
