"""Hazards punished on a later 复查 row: the one rule the metrics and the audit share.

A unit orders a hazard corrected; at the 复查 it finds the order missed (逾期未整改) and files
a case on the 复查 row — the escalation the plan asks for (方案二（五）：逾期未整改的依法从重
查处). The 立案案号 sits on the 复查 row, not on the row that found the hazard, so a reading
that looks only at the finding row never credits the hazard as 查处. ``recheck_escalations``
finds, for each new hazard item, the earliest later 复查 row that carries a penalty for it.

Used by the 违法行为查处率 (``metrics.engine``: component ``handled_items``) and by audit
rule 7 (以整改代替处罚: a case filed later on the 复查 row is a penalty).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.core.catalogue import match_violation
from evalkit.intake.cells import norm
from evalkit.metrics.hazards import is_rectified

__all__ = ["ESCALATION_COLUMNS", "recheck_escalations", "hazard_key"]

#: Columns of ``recheck_escalations``'s result (index: the escalated items' index).
ESCALATION_COLUMNS = ["by_row", "by_date"]


def hazard_key(text) -> str:
    """A hazard text as intake compares it to link a 复查 item to its original (``norm``, trailing
    punctuation dropped)."""
    return norm(text).rstrip("。.;；")


def _nonblank(values: pd.Series) -> np.ndarray:
    # each distinct text tested once (case numbers repeat little, but blanks are most of the column)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    flags = np.array([isinstance(u, str) and u.strip() != "" for u in uniques] + [False], dtype=bool)
    return flags[codes]


def recheck_escalations(items: pd.DataFrame, penalised_rows=None) -> pd.DataFrame:
    """The new hazard items that a later 复查 row escalated with a penalty, and by which row.

    ``items`` is a ``Dataset.items`` frame (or a selection holding both the hazards and the
    复查 rows' items). ``penalised_rows``: row ids that count as a penalty; default (None) the
    rows with a 立案案号 (items.case_no not blank); the metrics and audit rule 7 pass those and
    the 简易程序 fines (``intake.handling.is_summary_fine``).

    An item T (items.counts_as_hazard) is escalated by a 复查 row R when:

    * R is a 复查 row (items.is_recheck) of the same enterprise (enterprise_name), dated after
      T's inspection (a later visit, as intake's 复查 link requires), and is penalised;
    * R holds an item that restates T: the same hazard text as intake compares it
      (``hazard_key``; the item intake links to T) or the same catalogue code
      (``catalogue.match_violation``; the 复查 worded it differently);
    * T was still open when R came: not rectified on its own row, and not closed by a 复查
      dated before R (a hazard already corrected is not what R punishes).

    Returns one row per escalated item, index = ``items``' index: by_row (the earliest such R),
    by_date (its inspection date). Items with no such R are absent. The caller chooses the
    date up to which R counts (the metrics: the scope's end; the audit: the period's end).
    """
    empty = pd.DataFrame({"by_row": pd.Series(dtype=object), "by_date": pd.Series(dtype="datetime64[ns]")})
    if items is None or items.empty:
        return empty
    if penalised_rows is None:
        penalised = _nonblank(items["case_no"])
    else:
        penalised = items["row_id"].astype(str).isin(set(penalised_rows)).to_numpy()
    recheck = items["is_recheck"].astype(bool).to_numpy() & penalised
    if not recheck.any():
        return empty
    # Only the enterprises with such a 复查 row can have an escalated hazard: work on their items.
    mine = items["enterprise_name"].isin(set(items.loc[recheck, "enterprise_name"])).to_numpy()
    items, recheck = items[mine], recheck[mine]
    new = items["counts_as_hazard"].astype(bool).to_numpy()
    if not new.any():
        return empty
    row_ids = items["row_id"].astype(str)
    hazards = items["hazard"].tolist()
    keys = {h: hazard_key(h) for h in set(hazards)}
    codes = {h: match_violation(h) if isinstance(h, str) else None for h in keys}
    frame = pd.DataFrame({
        "ent": items["enterprise_name"].to_numpy(dtype=object),
        "date": pd.to_datetime(items["inspection_date"]).to_numpy(),
        "row": row_ids.to_numpy(dtype=object),
        "text": [keys[h] for h in hazards],
        "code": [codes[h] for h in hazards],
    }, index=items.index)
    later = frame[recheck]
    target = frame[new].assign(
        own=is_rectified(items.loc[new, "status"]).to_numpy(),
        closed=pd.to_datetime(items.loc[new, "closed_date"]).to_numpy())
    target = target[~target["own"]]
    if target.empty:
        return empty
    target = target.reset_index(names="item")
    pairs = pd.concat([
        target.merge(later[["ent", "text", "date", "row"]], on=["ent", "text"], suffixes=("", "_r")),
        target[target["code"].notna()].merge(later.loc[later["code"].notna(), ["ent", "code", "date", "row"]],
                                             on=["ent", "code"], suffixes=("", "_r")),
    ], ignore_index=True)
    pairs = pairs[(pairs["date_r"] > pairs["date"]) & (pairs["row_r"] != pairs["row"])
                  & ~(pairs["closed"] < pairs["date_r"])]  # NaT (never closed) compares False: still open
    if pairs.empty:
        return empty
    first = pairs.sort_values(["date_r", "row_r"], kind="stable").drop_duplicates("item")
    out = pd.DataFrame({"by_row": first["row_r"].to_numpy(dtype=object),
                        "by_date": first["date_r"].to_numpy()}, index=pd.Index(first["item"].to_numpy()))
    out.index.name = items.index.name
    return out.sort_index()
