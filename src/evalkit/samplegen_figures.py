"""附件2 figures as a unit computes them from its own 附件1 (sample generator only).

Deliberately independent of ``evalkit.metrics``: the sample must be able to catch a
metrics bug, so the generator carries its own small implementation of the definitions.

For a unit, month m, and R(m) = its 附件1 rows of month m (the form's 月份):

- supervised_total   registry enterprises whose 监管单位 is the unit (both rows)
- inspected          distinct registered enterprises among R(m); 累计数: distinct over R(1..m)
- coverage_rate      inspected / supervised_total × 100
- hazards_found      items that count as new hazards (a 复查 item restating an earlier
                     item does not); 累计数: sum over months
- hazards_rectified  rectification events in the month: new items marked rectified on their
                     own row, plus 复查 items that close an earlier item; 累计数: sum
- cases_filed        distinct enterprises with a 立案案号 (家); 累计数: distinct over 1..m
- case_ratio         cases_filed / inspected × 100
- violation_handling_rate  违法行为查处数 / hazards_found × 100, where 违法行为查处数 = the new
                     hazard items on rows that carry a 立案案号
- suspended, closure_requested, blacklisted, joint_punishment   distinct enterprises (家)
                     whose 其他查处 says so; 累计数: distinct over 1..m
- fines_wan          sum of 罚款金额 in 万元 (4 d.p.); 累计数: sum
- licenses_suspended rows with 暂扣/吊销 (件); criminal_referrals persons (人);
  referred_other     rows referred to another department (起); reports_verified rows marked
                     举报 (件): all sums.

Rates are rounded half up to 2 decimals; a zero denominator gives None (cell left blank).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

DISTINCT_KEYS = ("suspended", "closure_requested", "blacklisted", "joint_punishment")
SUM_KEYS = ("licenses_suspended", "criminal_referrals", "referred_other", "reports_verified")


@dataclass(frozen=True)
class FigRow:
    """What the figures need from one 附件1 row."""

    enterprise: str
    registered: bool
    new_hazards: int = 0  # items counting as new hazards
    rectified_events: int = 0  # new items rectified on the row + earlier items closed by it
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


def _block(rows: Sequence[FigRow], supervised: int) -> dict:
    inspected = {r.enterprise for r in rows if r.registered}
    found = sum(r.new_hazards for r in rows)
    cases = {r.enterprise for r in rows if r.has_case}
    values = {
        "supervised_total": supervised,
        "inspected": len(inspected),
        "coverage_rate": rate(len(inspected), supervised),
        "hazards_found": found,
        "hazards_rectified": sum(r.rectified_events for r in rows),
        "cases_filed": len(cases),
        "case_ratio": rate(len(cases), len(inspected)),
        "violation_handling_rate": rate(sum(r.new_hazards for r in rows if r.has_case), found),
        "fines_wan": money(r.fine_wan for r in rows),
        "licenses_suspended": sum(r.licenses for r in rows),
        "criminal_referrals": sum(r.criminal for r in rows),
        "referred_other": sum(r.referred for r in rows),
        "reports_verified": sum(1 for r in rows if r.report),
    }
    for key in DISTINCT_KEYS:
        values[key] = len({r.enterprise for r in rows if key in r.flags})
    return values


def unit_figures(by_month: dict[int, Sequence[FigRow]], supervised: int, month: int) -> tuple[dict, dict]:
    """(本月数, 累计数) of ``month`` from the unit's rows of each month so far."""
    current = list(by_month.get(month, ()))
    so_far = [r for m in sorted(by_month) if m <= month for r in by_month[m]]
    return _block(current, supervised), _block(so_far, supervised)
