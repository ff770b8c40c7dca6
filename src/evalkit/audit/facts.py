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
    Band,
    citations,
    cited_codes,
    codes_for_article,
    is_major_hazard,
    load_catalogue,
    match_violation,
    provision,
)
from evalkit.core.dataset import Dataset
from evalkit.core.periods import Period
from evalkit.intake.cells import STATUS_OVERDUE, STATUS_RECTIFIED, find_date
from evalkit.intake.handling import criminal_referrals, fines_only_a_person, is_summary_fine, parse_handling
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
    after_deadline: re.Pattern
    suspension_refused: re.Pattern
    heavier: re.Pattern

    @classmethod
    def from_config(cls, cfg: dict) -> Patterns:
        return cls(**{k: re.compile(cfg[k]) for k in cls.__dataclass_fields__})


def _text(*parts) -> str:
    return "；".join(str(p) for p in parts if isinstance(p, str) and p)


#: Words that, written just before a match, deny it ("未擅自恢复生产", "不存在拒不执行").
_DENIED = re.compile(r"(?:未|无|不|没有|未发现|未见|不存在|不属于|不构成|并非|并无)$")
#: 停产停业整顿 as the penalty (安全生产法第九十四条…第一百零五条), not 第六十五条's 暂时停产停业.
SUSPENSION_ORDER = re.compile(r"停产停业整顿|停产整顿|停业整顿")


def affirmed(pattern: re.Pattern, text: str | None) -> bool:
    """``pattern`` matches ``text`` at least once without a denial just before it (``_DENIED``)."""
    if not text:
        return False
    return any(not _DENIED.search(text[max(0, m.start() - 4):m.start()]) for m in pattern.finditer(text))


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
             "after_text", "suspension_order", "suspension_refused", "referred_other", "heavier", "refusal_text",
             "on_person")


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
                "after_text", "suspension_order", "suspension_refused", "refusal_text", "on_person", "escalated",
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
        out["on_person"] = [fines_only_a_person(o, b, r) for o, b, r in zip(other, basis, remarks, strict=True)]
        out["summary_fine"] = [is_summary_fine(f, c, o, b, r) for f, c, o, b, r in zip(
            out["fine"], out["case_no"], out["other_handling"], out["legal_basis"], out["remarks"], strict=True)]
        out["in_period"] = out["period"].isin(self.period.period_keys)
        out["suspended"] = [h.get("suspended", 0) > 0 for h in handled]
        out["closure"] = [h.get("closure_requested", 0) > 0 for h in handled]
        # A referral written in 备注 is as done as one in 其他查处: 以罚代刑 (a 一票否决) must not
        # turn on which column the clerk used.
        out["referral"] = [criminal_referrals(o, r) > 0 for o, r in zip(other, remarks, strict=True)]
        # 拒不整改 / 拒不执行 written on the row (其他查处 or 备注, not 处罚依据: it quotes the statute's
        # own 拒不执行的…), not denied (不存在拒不执行, 不属于拒不执行).
        out["refusal_text"] = [affirmed(p.refusal, t) for t in handling_text]
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
        out["after_text"] = [affirmed(p.after_deadline, t) for t in all_text]
        out["suspension_order"] = [bool(s) and affirmed(SUSPENSION_ORDER, o) for s, o in
                                   zip(out["suspended"], other, strict=True)]
        out["suspension_refused"] = [affirmed(p.suspension_refused, t) for t in all_text]
        out = out.set_index("row_id")
        out["codes"] = [codes.get(r, []) for r in out.index]
        out["major"] = [r in major for r in out.index]
        out["escalated"] = escalation_states(items, out, p)
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
        extra = ["code", "major", "criminal_risk", "refusal_written", "refused", "hazard_status", "in_period"]
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
        # written: the item's own 完成整改情况 says 拒不…; refused: that, or the deadline missed
        # (逾期未整改). Only the written refusal can make a crime (``referral_due``).
        it["refusal_written"] = [isinstance(r, str) and affirmed(refusal, r) for r in it["rectification"].tolist()]
        it["refused"] = [(s == REFUSED_STATUS) or w
                         for s, w in zip(it["status"].tolist(), it["refusal_written"].tolist(), strict=True)]
        it["hazard_status"] = hazard_status(it, self.end, grace_days=self.grace_days)
        it["in_period"] = it["period"].isin(self.period.period_keys)
        return it


# ---------------------------------------------------------------------- fines
#: The escalation state of an item (``Facts.rows.escalated``): which range of its article applies.
BASE, AFTER, EITHER = "base", "after", "either"


def _written_deadline(rect, hazard, deadline, year: int):
    """The item's deadline when its text writes a date (限…前整改), else None (an assumed deadline)."""
    if find_date(rect, year) is None and find_date(hazard, year) is None:
        return None
    return deadline


def escalation_states(items: pd.DataFrame, rows: pd.DataFrame, patterns: Patterns) -> list[list[str]]:
    """Per row of ``rows`` (``Facts.rows``, indexed by row_id), the escalation state of each item,
    in item order (as ``rows.codes``): which range of the item's penalty article applies.

    after   the article's 逾期未改正 / 拒不执行 branch: the item's own 完成整改情况 says 逾期未整改 /
            拒不… (status overdue, or ``patterns.after_deadline``); or the item is not rectified
            on the row and the row's texts (处罚依据, 其他查处, 备注) say 逾期未改正 / 拒不…
            (``rows.after_text``); or it is not rectified and the row orders 停产停业整顿 under an
            article where that measure exists only as the escalation (catalogue
            ``suspension_means_after``: 第九十四条, 第九十七条, 第一百零一条 …; not 第九十九条, whose
            停产停业整顿 is for 情节严重); or it is restated unrectified on a 复查 row dated after
            the original item's written deadline.
    either  the ledger does not say: restated unrectified on a 复查 row without a written deadline
            that has passed, or rectified on a 复查 row (in time, or late?), or rectified on a row
            whose texts say 逾期未改正. Checked against both ranges at once (lowest minimum,
            highest maximum), so neither reading makes a finding the other would not.
    base    otherwise: a first finding, rectified or still within its deadline; and always for a
            code whose article has no escalation (消防法第六十条, 特种设备安全法第八十四条 …).
    """
    out: dict[str, list[str]] = {}
    if items.empty:
        return [[] for _ in rows.index]
    first_seen: dict[tuple, tuple] = {}  # (enterprise, hazard) -> (date, written deadline) of the first new item
    ordered = items.sort_values(["inspection_date", "row_id", "item_no"], kind="stable")
    for rec in ordered.itertuples(index=False):
        if bool(rec.counts_as_hazard):
            key = (rec.enterprise_name, rec.hazard)
            if key not in first_seen and not pd.isna(rec.inspection_date):
                first_seen[key] = (rec.inspection_date, _written_deadline(
                    rec.rectification, rec.hazard, rec.deadline, rec.inspection_date.year))
    flags = {rid: (a, s, r, d, b) for rid, a, s, r, d, b in zip(
        rows.index, rows["after_text"], rows["suspension_order"], rows["is_recheck"], rows["date"],
        rows["legal_basis"], strict=True)}
    for rec in items.itertuples(index=False):
        if rec.row_id not in flags:
            continue
        after_text, suspension, recheck, date, basis = flags[rec.row_id]
        # the row's texts speak of the violations its 处罚依据 cites (all, when it cites none we know)
        cited = cited_codes(basis)
        if cited and rec.code not in cited:
            after_text = suspension = False
        rect = rec.rectification if isinstance(rec.rectification, str) else ""
        prov = provision(rec.code)
        rectified = rec.status == STATUS_RECTIFIED
        if rec.status == STATUS_OVERDUE or affirmed(patterns.after_deadline, rect):
            state = AFTER
        elif rectified:
            state = EITHER if (recheck and not bool(rec.counts_as_hazard)) or after_text else BASE
        elif after_text or (suspension and prov is not None and prov.suspension_means_after):
            state = AFTER
        elif recheck and not bool(rec.counts_as_hazard):
            seen = first_seen.get((rec.enterprise_name, rec.hazard))
            written = seen[1] if seen else None
            if written is not None and not pd.isna(written) and date > written:
                state = AFTER
            elif written is not None and not pd.isna(written):
                state = BASE  # restated before its written deadline: not yet 逾期
            else:
                state = EITHER
        else:
            state = BASE
        if prov is not None and prov.after_trigger is None:
            state = BASE  # the article has no escalation (消防法第六十条 …): one range whatever happened
        out.setdefault(rec.row_id, []).append(state)
    return [out.get(rid, []) for rid in rows.index]


@dataclass(frozen=True)
class FineRange:
    """The legal fine range of one ledger row, in 万元.

    low      the lower bound: the smallest minimum of the violations (``any_item``: the ledger
             does not say which items were fined, so a fine is too low only when it is below
             every item's minimum), or the largest (``every_item``: all items fined)
    high     sum of the maximums (each violation fined separately, 分别裁量、合并处罚), plus the
             persons' maximums when the row fines a person too (一案双罚 written on the row);
             None when some violation's maximum is unknown (unmatched item, V28)
    basis    "违法行为" (from the item texts) or "处罚依据" (from the cited articles)
    codes    the catalogue codes used, one per item (or per cited article)
    states   their escalation states (``BASE`` / ``AFTER`` / ``EITHER``, see ``escalation_states``)
    persons  the persons' maximum included in ``high`` (0: none)
    """

    low: float
    high: float | None
    basis: str
    codes: tuple[str, ...]
    states: tuple[str, ...] = ()
    persons: float = 0.0

    @property
    def escalated(self) -> bool:
        """Some violation is checked against its 逾期未改正 / 拒不执行 range."""
        return AFTER in self.states

    @property
    def ambiguous(self) -> bool:
        """Some violation may or may not be escalated (checked against both ranges)."""
        return EITHER in self.states


LOWER_BOUNDS = ("any_item", "every_item")


def _band_for(code: str, state: str) -> Band | None:
    """The fined party's range of ``code`` in escalation ``state`` (``EITHER``: the union)."""
    prov = provision(code)
    if prov is None or prov.base is None:
        return None
    if state == AFTER:
        return prov.band(True)
    if state == EITHER:
        after = prov.band(True)
        return Band(min(prov.base.low, after.low), max(prov.base.high, after.high))
    return prov.base


def _persons_max(code: str, state: str) -> float:
    """The highest fine of 直接负责的主管人员和其他直接责任人员 under ``code`` in ``state`` (0: none)."""
    prov = provision(code)
    if prov is None:
        return 0.0
    bands = {BASE: [prov.persons_band(False)], AFTER: [prov.persons_band(True)],
             EITHER: [prov.persons_band(False), prov.persons_band(True)]}[state]
    return max((b.high for b in bands if b is not None), default=0.0)


def fine_range(codes: list[str | None], legal_basis: str | None, lower: str = "any_item",
               states: list[str] | None = None, *, after_text: bool = False, suspension_order: bool = False,
               is_recheck: bool = False, persons: bool = False, by: str = "items") -> FineRange | None:
    """The legal range for a row whose items match ``codes``; None when nothing is known.

    1. Items whose text matches a catalogue code: one range per item, the item's escalation
       state (``states``, default all ``BASE``) choosing its base or after range.
    2. No item matched (or ``by="articles"``: the cited articles only, for 顶格): one range
       per article cited in 处罚依据 that the catalogue knows, in the row's state: after when
       an item is after, the texts say 逾期未改正 / 拒不… (``after_text``) or the row orders
       停产停业整顿 (``suspension_order``) under an article where it means the escalation; either
       when an item is, or the row is a 复查; else base.
    An item that matches no code, or a code without a range, leaves the upper bound unknown.
    ``persons``: the row fines a person too (一案双罚), so the persons' maximums are added.
    """
    states = tuple(states) if states is not None else (BASE,) * len(codes)
    if len(states) != len(codes):
        states = (BASE,) * len(codes)
    return _fine_range(tuple(codes), states, legal_basis, lower, after_text, suspension_order, is_recheck,
                       persons, by)


@lru_cache(maxsize=65536)
def _fine_range(codes: tuple[str | None, ...], states: tuple[str, ...], legal_basis: str | None, lower: str,
                after_text: bool, suspension_order: bool, is_recheck: bool, persons: bool,
                by: str) -> FineRange | None:
    # fine_range, cached: rows repeat the same codes and 处罚依据, and the catalogue is fixed (as for match_violation)
    pick = max if lower == "every_item" else min
    if by == "items":
        known = [(c, st) for c, st in zip(codes, states, strict=True) if _band_for(c, st) is not None]
        if known:
            bands = [_band_for(c, st) for c, st in known]
            extra = sum(_persons_max(c, st) for c, st in known) if persons else 0.0
            high = None if len(known) < len(codes) else sum(b.high for b in bands) + extra
            # the items the cited articles penalise were surely fined: the minimum is theirs
            cited = set(cited_codes(legal_basis))
            fined = [b for (c, _), b in zip(known, bands, strict=True) if c in cited] or bands
            return FineRange(pick(b.low for b in fined), high, "违法行为", tuple(c for c, _ in known),
                             tuple(st for _, st in known), extra if high is not None else 0.0)
    ranges, arts, used = [], [], []
    for cite in citations(legal_basis):
        found = [c for c in codes_for_article(cite) if _band_for(c, BASE) is not None]
        if not found:
            continue
        if AFTER in states or after_text or (suspension_order and any(provision(c).suspension_means_after
                                                                       for c in found)):
            state = AFTER
        elif EITHER in states or is_recheck:
            state = EITHER
        else:
            state = BASE
        bands = [_band_for(c, state) for c in found]
        extra = max(_persons_max(c, state) for c in found) if persons else 0.0
        ranges.append((min(b.low for b in bands), max(b.high for b in bands) + extra, extra))
        arts.append(found[0])
        used.append(state)
    if not ranges:
        return None
    return FineRange(pick(r[0] for r in ranges), sum(r[1] for r in ranges), "处罚依据", tuple(arts), tuple(used),
                     sum(r[2] for r in ranges))


@dataclass(frozen=True)
class FineCheck:
    """A row's fine against its legal range: ``within`` None when there is nothing to check.

    escalation  a violation is checked against its 逾期未改正 / 拒不执行 range
    daily       a 按日连续处罚 row: its total is not bounded by the article's range (第一百一十二条,
                checked by ``daily_penalty_checks`` against the original fine instead)
    cited       the range of the articles cited in 处罚依据 alone (for 顶格), None if none known
    """

    range: FineRange | None
    high_used: float | None  # the upper bound applied (None: not checked)
    escalation: bool
    below: bool
    above: bool
    daily: bool = False
    cited: FineRange | None = None
    fine: float = 0.0

    @property
    def within(self) -> bool | None:
        return None if self.range is None or self.daily else not (self.below or self.above)

    @property
    def top(self) -> bool:
        """顶格: within range and equal to the maximum of the cited article's applicable range
        (of the items' range when no cited article is known); never when the escalation is unsure."""
        if not self.within:
            return False
        ref = self.cited if self.cited is not None else self.range
        if ref is None or ref.high is None or ref.ambiguous:
            return False
        return abs(self.fine - (ref.high - ref.persons)) < 1e-9


def check_fine(row, lower: str = "any_item") -> FineCheck | None:
    """The fine of a ``Facts.rows`` row (a Series or a dict of its values) against ``fine_range``;
    None when the row has no fine.

    The items' escalation states (``rows.escalated``) pick base or after ranges; a fine below
    the applicable minimum or above the maximum is out of range. A 按日连续处罚 row is not
    range-checked (``daily``): its total is a multiple of the original fine. A fine the row puts
    on a citizen alone (``rows.on_person``: 对个人, 对车主 …, no 对单位/对企业; 消防法第六十条第二款
    fines a person at most 500 元) is not held to the minimum of an article that fines the
    enterprise: the catalogue's range there is the enterprise's, and its maximum, higher than a
    person's, is still a safe upper bound. Not when 对单位/对企业 is written too (both fined: the
    column holds the enterprise's fine), nor for an article that fines the person itself (V22
    第九十四条, V23 第九十六条).
    """
    fine = float(row["fine"])
    if fine <= 0:
        return None
    get = row.get
    codes = list(row["codes"])
    states = get("escalated")
    flags = {"after_text": bool(get("after_text", False)), "suspension_order": bool(get("suspension_order", False)),
             "is_recheck": bool(get("is_recheck", False))}
    fr = fine_range(codes, get("legal_basis"), lower, states, persons=bool(get("dual_penalty", False)), **flags)
    cited = fine_range(codes, get("legal_basis"), lower, states, by="articles", **flags)
    daily = bool(get("daily_penalty", False))
    if fr is None:
        return FineCheck(None, None, False, False, False, daily, cited, fine)
    if daily:
        return FineCheck(fr, None, True, False, False, True, cited, fine)
    # the range's own codes (from the items, or from 处罚依据 when no item matched) must fine the enterprise
    enterprise_range = all(p is None or p.fined_party == "单位" for p in map(provision, fr.codes))
    person_only = bool(get("on_person", False)) and enterprise_range
    below = bool(fine < fr.low - 1e-9) and not person_only
    above = bool(fr.high is not None and fine > fr.high + 1e-9)
    return FineCheck(fr, fr.high, fr.escalated, below, above, False, cited, fine)


# ------------------------------------------------------------------ 按日连续处罚
_DAY_SPAN = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日?(?:起)?(?:至|到|—|–|-|~|～)"
                       r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日")
_DAY_COUNT = re.compile(r"(?<![月\d])(\d{1,3})\s*(?:个)?(?:日|天)")
_CLAUSES = re.compile(r"[；;。\n]")


def daily_days(text: str | None, pattern: re.Pattern, year: int) -> int | None:
    """Days of a 按日连续处罚 written in the clause that names it: "自7月1日至7月10日" (both
    days counted: 10), "共10日", "10天"; None when not written."""
    for clause in _CLAUSES.split(text or ""):
        if not pattern.search(clause):
            continue
        span = _DAY_SPAN.search(clause)
        if span:
            y1, m1, d1, y2, m2, d2 = span.groups()
            try:
                start = pd.Timestamp(int(y1 or year), int(m1), int(d1))
                end = pd.Timestamp(int(y2 or y1 or year), int(m2), int(d2))
            except ValueError:
                return None
            return (end - start).days + 1 if end >= start else None
        count = _DAY_COUNT.search(clause)
        if count:
            return int(count.group(1)) or None
    return None


DAILY_COLUMNS = ["row_id", "unit", "enterprise", "fine", "original_row", "original_fine", "days", "expected", "ok"]


def daily_penalty_checks(facts: Facts, in_period_only: bool = True) -> pd.DataFrame:
    """安全生产法第一百一十二条: each 按日连续处罚 row with a fine, against the original fine.

    The law: an enterprise 被责令改正且受到罚款处罚，拒不改正的, may be fined again daily, at
    the original amount (按照原处罚数额), from the day after the order. Original = the latest
    earlier row of the same enterprise with a readable fine that is not itself 按日连续处罚,
    preferring rows that share a violation code with this one. ``days``: written in the text
    (``daily_days``), else None. ``expected`` = original × days. ``ok``: the fine equals the
    expected amount, or, without written days, is a whole multiple (≥ 1) of the original;
    None when it cannot be judged (no earlier fine in the data, or one that could not be read).
    """
    rows = facts.rows
    mask = rows["daily_penalty"] & (rows["fine"] > 0) & ~rows["fine_unknown"]
    if in_period_only:
        mask &= rows["in_period"]
    v = facts.row_values
    out = []
    for rid, row in rows[mask].iterrows():
        mine = facts.enterprise_positions(row["enterprise"])
        earlier = [i for i in mine if v["date"][i] < row["date"].to_datetime64() and not v["daily_penalty"][i]
                   and (v["fine"][i] > 0 or v["fine_unknown"][i])]
        codes = {c for c in row["codes"] if c}
        same = [i for i in earlier if codes & {c for c in v["codes"][i] if c}]
        pool = same or earlier
        orig = pool[-1] if pool else None
        days = daily_days(_text(row["other_handling"], row["legal_basis"], row["remarks"]),
                          facts.patterns.daily_penalty, int(row["year"]))
        fine = float(row["fine"])
        if orig is None or v["fine_unknown"][orig]:
            base, expected, ok = None, None, None
        else:
            base = float(v["fine"][orig])
            expected = round(base * days, 6) if days else None
            ratio = fine / base
            ok = abs(fine - expected) < 1e-6 if expected is not None else (
                ratio >= 1 - 1e-9 and abs(ratio - round(ratio)) < 1e-6)
        out.append({"row_id": rid, "unit": row["unit"], "enterprise": row["enterprise"], "fine": fine,
                    "original_row": None if orig is None else v["row_id"][orig], "original_fine": base,
                    "days": days, "expected": expected, "ok": ok})
    return pd.DataFrame(out, columns=DAILY_COLUMNS, dtype=object)  # object: None stays None, not NaN


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
    复查 row — is a 重大事故隐患 whose order to correct the ledger says was refused: 拒不整改 / 拒不
    执行 … (``patterns.refusal``, not denied) in the item's 完成整改情况 or in the row's 其他查处 or
    备注 (not 处罚依据: it quotes the statute's own 拒不执行的…).
    A deadline merely missed (逾期未整改) is not 拒不执行 (刑法第一百三十四条之一第（二）项; 两高
    解释（二）第四条: 无正当理由故意不执行): it is rule 9's overdue hazard and 第一百零二条's
    escalation, never on its own a 以罚代刑 veto. One row per (row, code): row_id, unit,
    enterprise, code, criminal_risk, hazard, referred (a referral, in 其他查处 or 备注, on a
    row of the same enterprise dated on or after the first time this hazard was found there,
    up to the period end), referral_row.
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
    v, at = facts.row_values, facts.row_positions
    refusal_rows = set(facts.rows.index[facts.rows["refusal_text"].to_numpy(dtype=bool)])
    written = risky["refusal_written"].astype(bool) | risky["row_id"].isin(refusal_rows)
    risky = risky[((risky["code"] != "V20") & new) | ((risky["code"] == "V20") & risky["major"] & written)]
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
