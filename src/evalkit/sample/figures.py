"""附件2 figures as a unit computes them from its own 附件1 (sample generator only).

Deliberately independent of ``evalkit.metrics.engine`` (the sample must be able to catch a
metrics bug), but the same definitions (docs/metrics.md). For a unit and a scope S (the
month, or January..month for 累计数) ending on day E, over the unit's 附件1 rows of S
(by the form's 月份):

- supervised_total   registry enterprises whose 监管单位 is the unit (both rows)
- inspected          distinct enterprise names written (a misspelt name is another name)
- coverage_rate      distinct inspected names in the unit's own registry / supervised × 100
- hazards_found      items that are new hazards (a 复查 item restating an earlier one is not)
- hazards_rectified  of those, the items rectified on their own row, or closed by a 复查
                     dated on or before E (so 累计数 is not the sum of the months)
- cases_filed        distinct names with a 立案案号 (家)
- case_ratio         cases_filed / inspected × 100
- violation_handling_rate  new hazard items 查处 by E / hazards_found × 100: on a row with a 立案案号,
                     or escalated by a later 复查 row with a 立案案号 dated on or before E (same
                     enterprise, an item with the same text or code, the hazard still open then)
- suspended, closure_requested, blacklisted, joint_punishment   distinct names (家)
- fines_wan          sum of 罚款金额 in 万元, 4 d.p.
- licenses_suspended (件), criminal_referrals (人), referred_other (起), reports_verified
  (件, rows whose 备注 says 举报): sums

Rates are rounded half up to 2 decimals; a zero denominator gives None (cell left blank).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

DISTINCT_KEYS = ("suspended", "closure_requested", "blacklisted", "joint_punishment")


@dataclass(frozen=True)
class FigRow:
    """What the figures need from one 附件1 row."""

    enterprise: str  # the name as written
    in_registry: bool  # the written name is in the unit's own registry
    new_hazards: int = 0
    fixed_on_row: int = 0  # new items rectified on this row
    closed_on: tuple[dt.date, ...] = ()  # dates of the 复查 that closed the row's other new items
    escalated_on: tuple[dt.date, ...] = ()  # per new item a later 复查 row filed a case for: its date
    has_case: bool = False
    fine_wan: float | None = None
    flags: frozenset[str] = field(default_factory=frozenset)  # DISTINCT_KEYS present
    licenses: int = 0
    criminal: int = 0
    referred: int = 0
    report: bool = False


def rate(numerator: float, denominator: float) -> float | None:
    """numerator / denominator × 100, half up to 2 decimals; None when the denominator is 0."""
    if not denominator:
        return None
    value = Decimal(str(numerator)) * 100 / Decimal(str(denominator))
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def money(values: Iterable[float | None]) -> float:
    total = sum((Decimal(str(v)) for v in values if v is not None), Decimal(0))
    return float(total.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _block(rows: Sequence[FigRow], supervised: int, end: dt.date) -> dict:
    inspected = {r.enterprise for r in rows}
    own = {r.enterprise for r in rows if r.in_registry}
    found = sum(r.new_hazards for r in rows)
    cases = {r.enterprise for r in rows if r.has_case}
    values = {
        "supervised_total": supervised,
        "inspected": len(inspected),
        "coverage_rate": rate(len(own), supervised),
        "hazards_found": found,
        "hazards_rectified": sum(r.fixed_on_row + sum(d <= end for d in r.closed_on) for r in rows),
        "cases_filed": len(cases),
        "case_ratio": rate(len(cases), len(inspected)),
        "violation_handling_rate": rate(sum(r.new_hazards if r.has_case else sum(d <= end for d in r.escalated_on)
                                            for r in rows), found),
        "fines_wan": money(r.fine_wan for r in rows),
        "licenses_suspended": sum(r.licenses for r in rows),
        "criminal_referrals": sum(r.criminal for r in rows),
        "referred_other": sum(r.referred for r in rows),
        "reports_verified": sum(1 for r in rows if r.report),
    }
    for key in DISTINCT_KEYS:
        values[key] = len({r.enterprise for r in rows if key in r.flags})
    return values


def unit_figures(by_month: dict[int, Sequence[FigRow]], supervised: int, month: int,
                 year: int = 2024) -> tuple[dict, dict]:
    """(本月数, 累计数) of ``month`` from the unit's rows of each month so far."""
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    current = list(by_month.get(month, ()))
    so_far = [r for m in sorted(by_month) if m <= month for r in by_month[m]]
    return _block(current, supervised, end), _block(so_far, supervised, end)
