"""Facts read off the ledger once, shared by the audit rules, scoring and typical cases.

``Facts(dataset, period, patterns)`` holds, for the rows up to the end of ``period``
(history) and the rows of ``period`` itself:

rows   one row per ledger row, indexed by row_id: unit, enterprise, year, month, period,
       date, case_no, has_case, fine (NaN -> 0), fine_blank, fine_unknown (the cell could not
       be read: intake kept the row, ``ledger.unreadable``; the fine is unknown, not 0),
       summary_fine (a fine without a case that the 简易程序 allows,
       ``intake.handling.is_summary_fine``), is_recheck, in_period, and the handling
       flags read from the text: suspended, closure, referral (criminal: 移送公安/司法,
       追究刑事责任, via ``evalkit.intake.handling`` so the audit and the metrics read the same
       words), daily_penalty (按日连续处罚), published (公示/公开), from_report (举报),
       dual_penalty (对主要负责人处…), referred_other (移送 another department, e.g.
       移送蚶江消防救援站; ``intake.handling``), heavier (从重处罚 written: ``patterns.heavier``),
       plus codes (catalogue codes of the row's items)
       and major (an item says 重大事故隐患).
items  ``Dataset.items`` for the history rows (assumed deadlines recomputed with the audit's
       ``overdue.assumed_days``), plus code (``catalogue.match_violation``),
       major, criminal_risk, refused (status overdue or 拒不 in the text) and
       hazard_status (``evalkit.metrics.hazards.hazard_status`` at the period end, with
       the audit's ``overdue.grace_days``): rectified | closed | overdue | open.

For rules that visit rows one at a time, ``row_values`` (``rows`` as NumPy arrays),
``row_positions`` (row_id -> position) and ``enterprise_positions`` (an enterprise's rows
by date, as positions) stand in for a pandas lookup per row.

History = rows whose submission month (年, 月 of the form) is not after the period's
last month: a later submission never adds rows to an audit of an earlier period. One
exception, the shared status rule: a 复查 dated on or before the period end closes its
item even when it was submitted in a later month (it was rectified in time).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from evalkit.core.catalogue import (
    codes_for_article,
    is_major_hazard,
    load_catalogue,
    match_violation,
    penalty_articles,
)
from evalkit.core.dataset import Dataset
from evalkit.core.periods import Period
from evalkit.intake.handling import is_summary_fine, parse_handling
from evalkit.metrics.hazards import hazard_status, with_assumed_days

#: Item statuses and text that mean the enterprise refused or missed the order to correct.
REFUSED_STATUS = "overdue"


@dataclass(frozen=True)
class Patterns:
    """Compiled text patterns (``patterns`` section of config/audit.yaml)."""

    daily_penalty: re.Pattern
    refusal: re.Pattern
    publication: re.Pattern
    report: re.Pattern
    dual_penalty: re.Pattern
    decision_date: re.Pattern
    heavier: re.Pattern

    @classmethod
    def from_config(cls, cfg: dict) -> Patterns:
        return cls(**{k: re.compile(cfg[k]) for k in cls.__dataclass_fields__})


def _text(*parts) -> str:
    return "；".join(str(p) for p in parts if isinstance(p, str) and p)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _unreadable(ledger: pd.DataFrame, key: str) -> list[bool]:
    """Per row: intake could not read its ``key`` cell (``ledger.unreadable``; absent -> False)."""
    if "unreadable" not in ledger:
        return [False] * len(ledger)
    return [isinstance(u, str) and key in u.split(";") for u in ledger["unreadable"]]


def history_mask(frame: pd.DataFrame, period: Period) -> pd.Series:
    """Rows submitted no later than the period's last month."""
    year = frame["year"].astype("Int64")
    month = frame["month"].astype("Int64")
    mask = (year < period.year) | ((year == period.year) & (month <= period.last_month))
    return mask.fillna(False).astype(bool)


def period_end(period: Period) -> pd.Timestamp:
    return pd.Timestamp(period.end)


#: The boolean columns of ``Facts.rows``.
ROW_FLAGS = ("has_case", "fine_blank", "fine_unknown", "summary_fine", "is_recheck", "in_period", "suspended",
             "closure", "referral", "daily_penalty", "published", "from_report", "dual_penalty", "major",
             "referred_other", "heavier")


class Facts:
    """Derived ledger facts for one audit period (see the module docstring).

    ``grace_days``: the audit's ``overdue.grace_days``, days after a deadline before an
    item counts as overdue (items.hazard_status). ``assumed_days``: the audit's
    ``overdue.assumed_days``, the period assumed where the text writes no deadline
    (``metrics.hazards.with_assumed_days``); None keeps intake's (30 days).
    """

    def __init__(self, dataset: Dataset, period: Period, patterns: Patterns, grace_days: int = 0,
                 assumed_days: int | None = None):
        self.dataset = dataset
        self.period = period
        self.patterns = patterns
        self.grace_days = grace_days
        self.assumed_days = assumed_days
        self.end = period_end(period)

    @classmethod
    def from_config(cls, dataset: Dataset, period: Period, cfg: dict) -> Facts:
        """Facts read with an audit config (``load_audit_config``): its patterns and its
        ``overdue`` grace_days and assumed_days."""
        overdue = cfg["overdue"]
        return cls(dataset, period, Patterns.from_config(cfg["patterns"]), int(overdue["grace_days"]),
                   int(overdue["assumed_days"]))

    def same_reading(self, other: Facts) -> bool:
        """True when ``other`` reads the ledger the same way (patterns, grace and assumed days)."""
        return (self.patterns == other.patterns and self.grace_days == other.grace_days
                and self.assumed_days == other.assumed_days)

    # ------------------------------------------------------------------ rows
    @cached_property
    def rows(self) -> pd.DataFrame:
        ledger = self.dataset.ledger
        cols = ["row_id", "unit", "enterprise", "year", "month", "period", "date", "case_no",
                "has_case", "fine", "fine_blank", "fine_unknown", "summary_fine", "legal_basis",
                "other_handling", "remarks",
                "is_recheck", "in_period", "suspended", "closure", "referral", "daily_penalty",
                "published", "from_report", "dual_penalty", "referred_other", "heavier", "codes", "major",
                "file", "sheet", "row"]
        if ledger is None or ledger.empty:
            empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
            empty = empty.astype({**{c: bool for c in ROW_FLAGS}, "fine": float, "date": "datetime64[ns]"})
            return empty.set_index("row_id")
        hist = ledger[history_mask(ledger, self.period)]
        p = self.patterns
        idx = hist.index
        fine = pd.to_numeric(hist["fine_wan"], errors="coerce")

        def text(col: str, strip: bool = False) -> list[str | None]:
            # str() of each value, None for blank. A list, not pandas' str dtype: it would turn None into NaN.
            return [None if _blank(v) else (str(v).strip() if strip else str(v)) for v in hist[col].tolist()]

        case_no, other = text("case_no", strip=True), text("other_handling")
        basis, remarks = text("legal_basis"), text("remarks")
        handled = [parse_handling(t) for t in other]
        all_text = [_text(o, b, r) for o, b, r in zip(other, basis, remarks, strict=True)]
        handling_text = [_text(o, r) for o, r in zip(other, remarks, strict=True)]
        out = pd.DataFrame({
            "row_id": hist["row_id"].astype(str),
            "unit": pd.Series(text("unit"), index=idx, dtype=object),
            "enterprise": pd.Series(text("enterprise_name"), index=idx, dtype=object),
            "year": hist["year"].astype(int),
            "month": hist["month"].astype(int),
            "period": hist["period"],
            "date": pd.to_datetime(hist["inspection_date"]),
            "case_no": pd.Series(case_no, index=idx, dtype=object),
            "fine": fine.fillna(0.0).astype(float),
            "fine_blank": fine.isna(),
            "fine_unknown": _unreadable(hist, "fine_wan"),
            "legal_basis": pd.Series(basis, index=idx, dtype=object),
            "other_handling": pd.Series(other, index=idx, dtype=object),
            "remarks": pd.Series(remarks, index=idx, dtype=object),
            "is_recheck": hist["is_recheck"].astype(bool),
            "file": hist["file"], "sheet": hist["sheet"], "row": hist["row"],
        })
        out["has_case"] = out["case_no"].notna()
        out["summary_fine"] = [is_summary_fine(f, c, o, b, r) for f, c, o, b, r in zip(
            out["fine"], out["case_no"], out["other_handling"], out["legal_basis"], out["remarks"], strict=True)]
        out["in_period"] = out["period"].isin(self.period.period_keys)
        out["suspended"] = [h.get("suspended", 0) > 0 for h in handled]
        out["closure"] = [h.get("closure_requested", 0) > 0 for h in handled]
        out["referral"] = [h.get("criminal_referrals", 0) > 0 for h in handled]
        out["daily_penalty"] = [bool(p.daily_penalty.search(t)) for t in all_text]
        out["published"] = [bool(p.publication.search(t)) for t in handling_text]
        out["from_report"] = [bool(p.report.search(t)) for t in handling_text]
        out["dual_penalty"] = [bool(p.dual_penalty.search(t)) for t in all_text]
        out["referred_other"] = [h.get("referred_other", 0) > 0 for h in handled]
        out["heavier"] = [bool(p.heavier.search(t)) for t in all_text]
        # The codes of each row's items, in item order, and whether one is 重大.
        items = self.items
        codes: dict[str, list] = {}
        major: set[str] = set()
        for rid, code, is_major in zip(items["row_id"].tolist(), items["code"].tolist(), items["major"].tolist(),
                                       strict=True):
            if isinstance(rid, str):
                codes.setdefault(rid, []).append(code)
                if is_major:
                    major.add(rid)
        out = out.set_index("row_id")
        out["codes"] = [codes.get(r, []) for r in out.index]
        out["major"] = [r in major for r in out.index]
        return out[[c for c in cols if c != "row_id"]]

    @property
    def period_rows(self) -> pd.DataFrame:
        return self.rows.loc[self.rows["in_period"].astype(bool)]

    @cached_property
    def by_enterprise(self) -> dict[str, pd.DataFrame]:
        """History rows of each enterprise, by date (rules look up an enterprise's other rows often)."""
        rows = self.rows.sort_values(["date"], kind="stable")
        return {ent: grp for ent, grp in rows.groupby("enterprise", sort=False)}

    def enterprise_rows(self, enterprise: str) -> pd.DataFrame:
        return self.by_enterprise.get(enterprise, self.rows.iloc[0:0])

    # Plain NumPy views of ``rows`` for the rules that look rows up one at a time: a pandas
    # .loc / boolean filter per item costs far more than the work itself.
    @cached_property
    def row_values(self) -> dict[str, np.ndarray]:
        """Each column of ``rows`` as a NumPy array (row order), plus "row_id" (the index)."""
        out = {c: self.rows[c].to_numpy() for c in self.rows.columns}
        for c in ROW_FLAGS:  # no rows in the history: the flag columns of an empty frame are object
            out[c] = out[c].astype(bool, copy=False)
        out["row_id"] = self.rows.index.to_numpy(dtype=object)
        return out

    @cached_property
    def row_positions(self) -> dict[str, int]:
        """row_id -> its position in ``rows`` (and in ``row_values``)."""
        return {rid: i for i, rid in enumerate(self.rows.index.tolist())}

    @cached_property
    def _enterprise_positions(self) -> dict[str, np.ndarray]:
        # the same sort and grouping as by_enterprise, on positions instead of whole rows
        order = pd.DataFrame({"date": self.rows["date"].to_numpy(), "enterprise": self.rows["enterprise"].to_numpy(),
                              "pos": np.arange(len(self.rows))}).sort_values(["date"], kind="stable")
        pos = order["pos"].to_numpy()
        return {ent: pos[idx] for ent, idx in order.groupby("enterprise", sort=False).indices.items()}

    def enterprise_positions(self, enterprise: str) -> np.ndarray:
        """Positions in ``rows`` of ``enterprise_rows(enterprise)``, in its order (by date)."""
        return self._enterprise_positions.get(enterprise, np.zeros(0, dtype=np.intp))

    @cached_property
    def items_by_row(self) -> dict[str, pd.DataFrame]:
        return {rid: grp for rid, grp in self.items.groupby("row_id", sort=False)}

    @cached_property
    def items_by_enterprise(self) -> dict[str, pd.DataFrame]:
        return {ent: grp for ent, grp in self.items.groupby("enterprise_name", sort=False)}

    # ------------------------------------------------------------------ items
    @cached_property
    def items(self) -> pd.DataFrame:
        items = self.dataset.items
        ledger = self.dataset.ledger
        extra = ["code", "major", "criminal_risk", "refused", "hazard_status", "in_period"]
        if items is None or items.empty or ledger is None or ledger.empty:
            return pd.DataFrame(columns=list(getattr(items, "columns", [])) + extra)
        hist_ids = set(ledger.loc[history_mask(ledger, self.period), "row_id"].astype(str))
        it = items[items["row_id"].astype(str).isin(hist_ids)].copy()
        it["row_id"] = it["row_id"].astype(str)
        it["inspection_date"] = pd.to_datetime(it["inspection_date"])
        it["deadline"] = pd.to_datetime(it["deadline"])
        if "deadline_basis" not in it.columns:  # a frame built without it: how the deadline was found is unknown
            it["deadline_basis"] = None
        it = with_assumed_days(it, self.assumed_days)
        cat = load_catalogue()
        hazards = it["hazard"].tolist()
        it["code"] = [match_violation(h) for h in hazards]
        it["major"] = [is_major_hazard(h) for h in hazards]
        risk = dict(zip(cat.index.tolist(), cat["criminal_risk"].tolist(), strict=True))
        it["criminal_risk"] = [risk[c] if c in risk else None for c in it["code"].tolist()]
        refusal = self.patterns.refusal
        it["refused"] = [(s == REFUSED_STATUS) or (isinstance(r, str) and bool(refusal.search(r)))
                         for s, r in zip(it["status"].tolist(), it["rectification"].tolist(), strict=True)]
        it["hazard_status"] = hazard_status(it, self.end, grace_days=self.grace_days)
        it["in_period"] = it["period"].isin(self.period.period_keys)
        return it


# ---------------------------------------------------------------------- fines
@dataclass(frozen=True)
class FineRange:
    """The legal fine range of one ledger row, in 万元.

    low    the lower bound: the smallest minimum of the violations (``any_item``: the ledger
           does not say which items were fined, so a fine is too low only when it is below
           every item's minimum), or the largest (``every_item``: all items fined)
    high   sum of the maximums (each violation fined separately, 分别裁量、合并处罚);
           None when some violation's maximum is unknown (unmatched item, V28)
    basis  "违法行为" (from the item texts) or "处罚依据" (from the cited articles)
    """

    low: float
    high: float | None
    basis: str
    codes: tuple[str, ...]


LOWER_BOUNDS = ("any_item", "every_item")


def fine_range(codes: list[str | None], legal_basis: str | None, lower: str = "any_item") -> FineRange | None:
    """The legal range for a row whose items match ``codes``; None when nothing is known.

    1. Items whose text matches a catalogue code: one range per item.
    2. No item matched: one range per article cited in 处罚依据 that the catalogue knows.
    An item that matches no code, or a code without a range, leaves the upper bound unknown.
    """
    return _fine_range(tuple(codes), legal_basis, lower)


@lru_cache(maxsize=65536)
def _fine_range(codes: tuple[str | None, ...], legal_basis: str | None, lower: str) -> FineRange | None:
    # fine_range, cached: rows repeat the same codes and 处罚依据, and the catalogue is fixed (as for match_violation)
    cat = load_catalogue()
    known = [c for c in codes if c is not None and c in cat.index and not pd.isna(cat.at[c, "fine_max_wan"])]
    if known:
        unknown = len(codes) - len(known)
        lows = [float(cat.at[c, "fine_min_wan"]) for c in known]
        highs = [float(cat.at[c, "fine_max_wan"]) for c in known]
        pick = max if lower == "every_item" else min
        return FineRange(pick(lows), None if unknown else sum(highs), "违法行为", tuple(known))
    ranges, arts = [], []
    for article in penalty_articles(legal_basis):
        found = [c for c in codes_for_article(article) if not pd.isna(cat.at[c, "fine_max_wan"])]
        if found:
            ranges.append((min(float(cat.at[c, "fine_min_wan"]) for c in found),
                           max(float(cat.at[c, "fine_max_wan"]) for c in found)))
            arts.append(found[0])
    if not ranges:
        return None
    pick = max if lower == "every_item" else min
    return FineRange(pick(r[0] for r in ranges), sum(r[1] for r in ranges), "处罚依据", tuple(arts))


@dataclass(frozen=True)
class FineCheck:
    """A row's fine against its legal range: ``within`` None when there is nothing to check."""

    range: FineRange | None
    high_used: float | None  # the upper bound applied (None: not checked)
    escalation: bool         # 复查 row or 按日连续处罚: only the minimum is checked
    below: bool
    above: bool

    @property
    def within(self) -> bool | None:
        return None if self.range is None else not (self.below or self.above)


def check_fine(row: pd.Series, lower: str = "any_item") -> FineCheck | None:
    """The fine of a ``Facts.rows`` row against ``fine_range``; None when the row has no fine.

    A row that escalates after a missed deadline (a 复查 row, or 按日连续处罚) is checked
    against the minimum only: the catalogue gives its higher limits as text (after_deadline).
    """
    if row["fine"] <= 0:
        return None
    fr = fine_range(row["codes"], row["legal_basis"], lower)
    escalation = bool(row["is_recheck"] or row["daily_penalty"])
    if fr is None:
        return FineCheck(None, None, escalation, False, False)
    high = None if escalation else fr.high
    below = bool(row["fine"] < fr.low - 1e-9)
    above = bool(high is not None and row["fine"] > high + 1e-9)
    return FineCheck(fr, high, escalation, below, above)


def escalated(later: pd.Series, earlier: pd.Series) -> list[str]:
    """Ways the ``later`` row is handled more heavily than ``earlier`` (empty: not heavier).

    Heavier = a higher fine; or 停产停业整顿 / 按日连续处罚 / 提请关闭 / 刑事移送 that the
    earlier row did not have; or a case (立案案号) where the earlier row had none. When either
    fine could not be read (``fine_unknown``) the fines cannot be compared: that counts as a
    way (“罚款金额无法识别”), so an unknown fine never makes a row “not heavier”.
    """
    ways = []
    if bool(later.get("fine_unknown", False)) or bool(earlier.get("fine_unknown", False)):
        ways.append("罚款金额无法识别，无法比较")
    elif later["fine"] > earlier["fine"] + 1e-9:
        ways.append(f"罚款提高（{earlier['fine']:g}→{later['fine']:g}万元）")
    for flag, name in (("suspended", "责令停产停业整顿"), ("daily_penalty", "按日连续处罚"),
                       ("closure", "提请关闭"), ("referral", "移送司法机关")):
        if later[flag] and not earlier[flag]:
            ways.append(name)
    if later["has_case"] and not earlier["has_case"]:
        ways.append("立案查处")
    return ways


def repeat_offences(facts: Facts, window_months: int = 12, in_period_only: bool = True) -> pd.DataFrame:
    """Each later occurrence of an enterprise's violation code within ``window_months``.

    One row per (later row, code) where the later row is in the period (any history row
    when ``in_period_only`` is False): later_row, first_row
    (the earliest occurrence of the code at the enterprise in the window before it), unit,
    enterprise, code, ways (how the later row is heavier; empty = not heavier).
    Only new hazards count (a 复查 item restating an earlier one is not a repeat).
    """
    cols = ["later_row", "first_row", "unit", "enterprise", "code", "first_date", "later_date", "ways"]
    it = facts.items
    if it.empty:
        return pd.DataFrame(columns=cols)
    it = it[it["counts_as_hazard"].astype(bool) & it["code"].notna()]
    occ = (it[["row_id", "enterprise_name", "code", "inspection_date"]]
           .drop_duplicates(["row_id", "code"]).sort_values(["inspection_date", "row_id"]))
    occ = occ[occ.duplicated(["enterprise_name", "code"], keep=False)]  # a code seen once is no repeat
    v, at = facts.row_values, facts.row_positions

    def row(rid: str) -> dict:  # what escalated() reads of a row
        i = at[rid]
        return {k: v[k][i] for k in ("fine", "fine_unknown", "suspended", "daily_penalty", "closure", "referral",
                                     "has_case")}

    out = []
    for (ent, code), grp in occ.groupby(["enterprise_name", "code"], sort=True):
        if len(grp) < 2:
            continue
        recs = list(grp.itertuples(index=False))
        for j, later in enumerate(recs):
            if in_period_only and not v["in_period"][at[later.row_id]]:
                continue
            start = later.inspection_date - pd.DateOffset(months=window_months)
            earlier = [r for r in recs[:j] if start <= r.inspection_date < later.inspection_date]
            if not earlier:
                continue
            first = earlier[0]
            out.append({
                "later_row": later.row_id, "first_row": first.row_id,
                "unit": v["unit"][at[later.row_id]], "enterprise": ent, "code": code,
                "first_date": first.inspection_date, "later_date": later.inspection_date,
                "ways": escalated(row(later.row_id), row(first.row_id)),
            })
    return pd.DataFrame(out, columns=cols)


def referral_due(facts: Facts, in_period_only: bool = True) -> pd.DataFrame:
    """Items whose violation may be a crime, so the case must be referred (移送).

    Due when a new hazard item's code carries a criminal risk in the catalogue (V17, V28);
    for V20 (未采取措施消除事故隐患, 危险作业罪 第（二）项) when the item — usually on the
    复查 row — is a 重大事故隐患 whose order to correct was refused or missed (status overdue,
    拒不…). One row per (row, code): row_id, unit, enterprise, code, criminal_risk, hazard,
    referred (a referral on a row of the same enterprise dated on or after the first time
    this hazard was found there, up to the period end), referral_row.
    """
    cols = ["row_id", "unit", "enterprise", "code", "criminal_risk", "hazard", "referred", "referral_row"]
    it = facts.items
    if it.empty:
        return pd.DataFrame(columns=cols)
    risky = it[it["criminal_risk"].notna()]
    if in_period_only:
        risky = risky[risky["in_period"]]
    # V17/V28: the new hazard is due (a 复查 restating it is not a second case); V20: the
    # refusal is what makes it a crime, and it usually shows on the 复查 row.
    new = risky["counts_as_hazard"].astype(bool)
    risky = risky[((risky["code"] != "V20") & new) | ((risky["code"] == "V20") & risky["major"] & risky["refused"])]
    v, at = facts.row_values, facts.row_positions
    risky = risky.drop_duplicates(["row_id", "code"])
    # the first time each hazard was found at each enterprise (any item of the history)
    found = it[it["enterprise_name"].isin(risky["enterprise_name"]) & it["hazard"].isin(risky["hazard"])]
    first_found = found.groupby(["enterprise_name", "hazard"])["inspection_date"].min().to_dict()
    out = []
    for rec in risky.itertuples(index=False):
        # A referral counts from the first time this hazard was found at the enterprise.
        own = at[rec.row_id]
        since = min(first_found.get((rec.enterprise_name, rec.hazard), pd.NaT), pd.Timestamp(v["date"][own]))
        refs = facts.enterprise_positions(rec.enterprise_name)
        refs = refs[v["referral"][refs]]
        same = refs[(v["row_id"][refs] == rec.row_id) | (v["date"][refs] >= since.to_datetime64())]
        out.append({
            "row_id": rec.row_id, "unit": v["unit"][own], "enterprise": rec.enterprise_name,
            "code": rec.code, "criminal_risk": rec.criminal_risk, "hazard": rec.hazard,
            "referred": len(same) > 0, "referral_row": v["row_id"][same[0]] if len(same) else None,
        })
    return pd.DataFrame(out, columns=cols)
