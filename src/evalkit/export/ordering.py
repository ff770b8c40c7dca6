"""The order rows and units appear in on every exported workbook (registry order first).

Shared by the consolidated forms, the disclosure lists and the fill-in workbooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evalkit.core.periods import Period


def unit_order(dataset) -> list[str]:
    """Units in the order of ``dataset.units`` (the registry's order), then any unit
    that appears only in the ledger."""
    units = [str(u) for u in dataset.units["unit"]] if len(dataset.units) else []
    extra = sorted(set(dataset.ledger["unit"].dropna().astype(str)) - set(units)) if len(dataset.ledger) else []
    return units + extra


def sorted_month_ledger(ledger: pd.DataFrame, period: Period, units: Sequence[str]) -> pd.DataFrame:
    """The month's accepted ledger rows, sorted by unit (registry order), then inspection
    date, then file and Excel row (stable)."""
    rows = ledger[ledger["period"] == period.text] if len(ledger) else ledger
    if rows.empty:
        return rows
    rank = {u: i for i, u in enumerate(units)}
    key = rows["unit"].map(lambda u: rank.get(u, len(rank)))
    return (rows.assign(_rank=key)
            .sort_values(["_rank", "unit", "inspection_date", "file", "row"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))
