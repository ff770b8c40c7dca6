"""典型案例 (typical cases): candidates for the quarterly report, case timelines, 回头看.

The plan asks for 典型案例 with every quarterly report (方案 四, 报送要求) and says the
town will 对重点案件进行回头看 (方案 四（一）). Three functions:

``case_candidates(dataset, period, top=None)``
    The period's cases ranked by the weighted criteria of ``CRITERIA``. A case is a
    distinct 立案案号 with a ledger row in the period (all its rows up to the period end
    belong to it); an uncased row of the period with a criminal referral, 停产停业整顿,
    按日连续处罚 or 提请关闭 is a candidate of its own. score = sum of the weights of the
    criteria met; ties by total fine (higher first), then date, then key.
``case_timeline(dataset, case_no)``
    The case's events as (date, event, evidence) tuples: inspection, filing, decision,
    other handling, rectification, 复查.
``lookback(dataset, period, case_nos=None)``
    The 回头看 check of each case: hazards rectified and verified, fine within range,
    从重 applied where due, referral made where due, publication, a case number validation
    found reused, closed-loop status.
``key_case_numbers(dataset, period)``
    The period's case numbers ranked by the same criteria, for the 回头看 of key cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit._text import HAZARD_STATUS_ZH
from evalkit.audit.facts import Facts, check_fine, daily_penalty_checks, referral_due, repeat_offences
from evalkit.audit.run import as_period, load_audit_config
from evalkit.core.catalogue import load_catalogue
from evalkit.core.dataset import Dataset
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import ParameterError
from evalkit.intake.cells import normalise_case_no, rectified_on_the_spot
from evalkit.metrics.hazards import CLOSED, DONE, RECTIFIED, is_rectified

__all__ = ["CRITERIA", "case_candidates", "case_timeline", "lookback", "key_case_numbers",
           "duplicate_case_numbers", "CANDIDATE_COLUMNS", "LOOKBACK_COLUMNS", "POSITIVE", "NEGATIVE"]


@dataclass(frozen=True)
class Criterion:
    title: str
    weight: int


#: Criteria of a typical case, weights summed into the candidate's score. Heavier weight for
#: what the plan stresses most: 移送 (方案二（三）), 停产整顿 / 关闭 / 按日 (二（四）), 重大隐患.
CRITERIA: dict[str, Criterion] = {
    "criminal_referral": Criterion("移送司法机关追究刑事责任", 4),
    "severe_measure": Criterion("按日连续处罚、责令停产停业或提请关闭", 3),
    "major_hazard": Criterion("涉及重大事故隐患", 3),
    "top_fine": Criterion("顶格处罚", 2),
    "dual_penalty": Criterion("一案双罚", 2),
    "repeat_offender": Criterion("屡查屡犯（12个月内同一违法行为再次出现）", 2),
    "key_industry": Criterion("重点行业领域", 1),
    "from_report": Criterion("举报查实", 1),
}

CANDIDATE_COLUMNS = ["rank", "key", "case_no", "unit", "enterprise", "date", "fine_wan", "score",
                     "criteria", "reasons", "standing", "warnings", "timeline", "rows"]
#: ``standing`` of a candidate: a positive example, or one the audit found fault with.
POSITIVE, NEGATIVE = "正面典型", "反面典型"
#: The ``Facts.rows`` values ``check_fine`` reads.
_FINE_KEYS = ("fine", "codes", "escalated", "legal_basis", "is_recheck", "daily_penalty", "after_text",
              "suspension_order", "dual_penalty")
LOOKBACK_COLUMNS = ["case_no", "unit", "enterprise", "date", "hazards", "rectified", "verified",
                    "fine_wan", "fine_in_range", "escalation_applied", "referral_made", "published",
                    "duplicate_case_no", "status", "open_items", "notes"]
#: The note of a case whose ledger rows record no publication (``lookback``'s notes): the
#: report says it once, with the number of cases, not once per case.
PUBLICATION_NOT_RECORDED = "台账未记录行政处罚公示情况（阳光执法），请核实"
#: The start of the note of a case whose number validation found reused (``duplicate_case_numbers``);
#: the note is the same for every case that shares the number.
DUPLICATE_CASE_NO = "立案案号重复"


def _facts(dataset: Dataset, period: Period, reuse: Facts | None = None) -> Facts:
    """Facts of ``period`` read with the packaged audit config: ``reuse`` when it is exactly
    that (same dataset object, period, patterns, grace and assumed days), else built anew."""
    cfg, _ = load_audit_config(None)
    fresh = Facts.from_config(dataset, period, cfg)  # cheap: its tables are computed on first use
    if reuse is not None and reuse.dataset is dataset and reuse.period == period and reuse.same_reading(fresh):
        return reuse
    return fresh


def _latest_period(dataset: Dataset, at_least: Period | None = None) -> Period:
    """A year-to-date period ending at the latest submitted month (or ``at_least``'s end)."""
    led = dataset.ledger
    keys = [(int(y), int(m)) for y, m in zip(led["year"], led["month"], strict=True)] if len(led) else []
    if at_least is not None:
        keys.append((at_least.year, at_least.last_month))
    y, m = max(keys) if keys else (2024, 12)
    return parse_period(f"{y}-{m:02d}", scope="ytd")


def _date(ts) -> str | None:
    return None if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


def case_rows(rows: pd.DataFrame, case_no: str) -> list[list[str]]:
    """Row ids of case ``case_no``, one list per enterprise (by first date).

    A case number reused for another enterprise (validation warns case_no_duplicate) is two
    cases, not one: their rows are kept apart.
    """
    mine = rows[rows["case_no"] == case_no].sort_values("date", kind="stable")
    return [list(grp.index) for _, grp in mine.groupby("enterprise", sort=False)]


def case_sort_key(case_no: str) -> tuple:
    """Natural order of case numbers: 狮蚶应急罚〔2024〕9号 before 〔2024〕10号."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", str(case_no)))


def _case_parts(facts: Facts) -> dict[str, list[list[str]]]:
    """``case_rows(facts.rows, case)`` of every case number at once: one pass, not one filter per case."""
    rows = facts.rows
    cased = rows[rows["case_no"].notna()].sort_values("date", kind="stable")
    parts: dict[str, dict[str, list[str]]] = {}
    for rid, case, ent in zip(cased.index.tolist(), cased["case_no"].tolist(), cased["enterprise"].tolist(),
                              strict=True):
        if not pd.isna(ent):  # as groupby in case_rows: a row without an enterprise belongs to no part
            parts.setdefault(case, {}).setdefault(ent, []).append(rid)
    return {case: list(by_ent.values()) for case, by_ent in parts.items()}


def _groups(facts: Facts) -> list[tuple[str, str | None, list[str]]]:
    """(key, case_no, row_ids) of the period's cases and uncased serious rows."""
    prow = facts.period_rows
    v, at = facts.row_values, facts.row_positions
    parts_of = _case_parts(facts)
    out = []
    for case in sorted(prow["case_no"].dropna().unique(), key=case_sort_key):
        parts = [ids for ids in parts_of.get(case, []) if any(v["in_period"][at[r]] for r in ids)]
        for ids in parts:
            key = case if len(parts) == 1 else f"{case}（{v['enterprise'][at[ids[0]]]}）"
            out.append((key, case, ids))
    serious = prow[prow["case_no"].isna() & (prow["referral"] | prow["suspended"] | prow["closure"]
                                             | prow["daily_penalty"])]
    out += [(rid, None, [rid]) for rid in serious.sort_values("date").index]
    return out


def _key_industries(dataset: Dataset) -> dict[str, str]:
    """Enterprise name -> its first key industry in the registry (blank ones skipped)."""
    ents = dataset.enterprises
    out: dict[str, str] = {}
    if len(ents):
        for name, key in zip(ents["name"].tolist(), ents["key_industry"].tolist(), strict=True):
            if not pd.isna(key) and str(key).strip() and not pd.isna(name):
                out.setdefault(name, key)
    return out


def _criteria(facts: Facts, ids: list[str], repeats: list[tuple[str, str]],
              key_industries: dict[str, str]) -> tuple[list[str], list[str]]:
    """(criterion ids met, Chinese reasons) for the rows ``ids`` of one case.

    ``repeats``: (later_row, code) of ``repeat_offences``, in its order; ``key_industries``:
    ``_key_industries`` of the dataset.
    """
    v = facts.row_values
    pos = np.array([facts.row_positions[r] for r in ids], dtype=np.intp)
    met, reasons = [], []
    ent = v["enterprise"][pos[0]]
    referral = v["referral"][pos]
    if referral.any():
        text = v["other_handling"][pos[referral]][0]
        met.append("criminal_referral")
        reasons.append(f"移送司法机关：{text}")
    measures = [name for flag, name in (("daily_penalty", "按日连续处罚"), ("suspended", "责令停产停业整顿"),
                                        ("closure", "提请关闭")) if v[flag][pos].any()]
    if measures:
        met.append("severe_measure")
        reasons.append("采取" + "、".join(measures))
    if v["major"][pos].any():
        met.append("major_hazard")
        reasons.append("涉及重大事故隐患")
    for i in pos:
        chk = check_fine({k: v[k][i] for k in _FINE_KEYS})
        if chk is not None and chk.top:
            ref = chk.cited if chk.cited is not None else chk.range
            cat = load_catalogue()
            arts = "、".join(dict.fromkeys(cat.at[c, "penalty_article"] for c in ref.codes))
            met.append("top_fine")
            reasons.append(f"顶格处罚：罚款 {chk.fine:g} 万元，等于{arts}{'逾期未改正后' if ref.escalated else ''}"
                           f"的法定上限")
            break
    if v["dual_penalty"][pos].any():
        met.append("dual_penalty")
        reasons.append("一案双罚（对单位及其负责人均予处罚）")
    mine = set(ids)
    rep = [code for later, code in repeats if later in mine]
    if rep:
        cat = load_catalogue()
        names = "、".join(dict.fromkeys(f"{c} {cat.at[c, 'short']}" for c in rep))
        met.append("repeat_offender")
        reasons.append(f"屡查屡犯：{names} 12个月内再次出现")
    if ent in key_industries:
        met.append("key_industry")
        reasons.append(f"重点行业：{key_industries[ent]}")
    if v["from_report"][pos].any():
        met.append("from_report")
        reasons.append("源于举报并查实")
    return met, reasons


def _warnings(facts: Facts, ids: list[str], unreferred: dict[str, list[str]], daily_bad: set[str]) -> list[str]:
    """What the audit finds against the rows ``ids`` of one case, in Chinese (empty: nothing).

    以罚代刑 (rule criminal_referral_missing: ``unreferred`` maps a row to the crimes it may
    amount to, with no referral), a fine outside the applicable range, or a 按日连续处罚 that is
    not the original fine per day (rule fine_out_of_range: ``check_fine``, ``daily_bad``).
    The text is for reviewers: it says what was found, in words, and names no rule id.
    """
    v, out = facts.row_values, []
    for rid in ids:
        for risk in unreferred.get(rid, []):
            out.append(f"以罚代刑：涉嫌{risk}，未见移送司法机关记录")
        chk = check_fine({k: v[k][facts.row_positions[rid]] for k in _FINE_KEYS})
        if chk is not None and chk.within is False:
            high = "未知" if chk.range.high is None else f"{chk.range.high:g}"
            side = "低于" if chk.below else "高于"
            out.append(f"罚款 {chk.fine:g} 万元{side}法定幅度［{chk.range.low:g}，{high}］万元"
                       f"{'（逾期未改正后的幅度）' if chk.range.escalated else ''}")
        if rid in daily_bad:
            out.append("按日连续处罚金额不是原处罚数额按日计算（安全生产法第一百一十二条）")
    return list(dict.fromkeys(out))


def case_candidates(dataset: Dataset, period, top: int | None = None, *,
                    with_timeline: bool = True, facts: Facts | None = None) -> pd.DataFrame:
    """The period's cases ranked for 典型案例 (see the module docstring and ``CRITERIA``).

    Columns: rank (1 = best), key (case number, or row_id of an uncased row), case_no,
    unit, enterprise, date (first row), fine_wan (sum over the case's rows), score, criteria
    (ids), reasons (Chinese), standing (``POSITIVE`` 正面典型, or ``NEGATIVE`` 反面典型 when the
    audit finds fault with the case: 以罚代刑, a fine out of range; ``_warnings``), warnings
    (those findings, Chinese), timeline (list of (date, event, evidence); empty when
    ``with_timeline`` is False, which scoring uses to save time), rows (row ids).
    Positive candidates rank first (by score, fine, date, key), then the negative ones in the
    same order: a case the audit flags is never offered as a positive example.

    ``facts``: ledger facts already read (e.g. ``AuditResult.facts``), reused when they are
    those of ``dataset`` and ``period`` under the packaged audit config, the config the
    candidates are always read with; otherwise ignored. Only saves time: the result is the same.
    """
    period = as_period(period)
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ParameterError("top", top, "正整数或 None")
    facts = _facts(dataset, period, reuse=facts)
    if facts.rows.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    reps = repeat_offences(facts)
    repeats = list(zip(reps["later_row"].tolist(), reps["code"].tolist(), strict=True))
    key_industries = _key_industries(dataset)
    due = referral_due(facts, in_period_only=False)
    unreferred: dict[str, list[str]] = {}
    for rid, risk in zip(due.loc[~due["referred"].astype(bool), "row_id"],
                         due.loc[~due["referred"].astype(bool), "criminal_risk"], strict=True):
        unreferred.setdefault(rid, []).append(risk)
    daily = daily_penalty_checks(facts, in_period_only=False)
    daily_bad = {r for r, ok in zip(daily["row_id"], daily["ok"], strict=True) if ok is False}
    v = facts.row_values
    recs = []
    for key, case_no, ids in _groups(facts):
        met, reasons = _criteria(facts, ids, repeats, key_industries)
        warnings = _warnings(facts, ids, unreferred, daily_bad)
        pos = np.array([facts.row_positions[r] for r in ids], dtype=np.intp)
        dates = v["date"][pos]
        dates = dates[~np.isnat(dates)]
        recs.append({
            "key": key, "case_no": case_no, "unit": v["unit"][pos[0]],
            "enterprise": v["enterprise"][pos[0]], "date": pd.Timestamp(dates.min()) if len(dates) else pd.NaT,
            "fine_wan": round(float(v["fine"][pos].sum()), 6),
            "score": sum(CRITERIA[c].weight for c in met), "criteria": met, "reasons": reasons,
            "standing": NEGATIVE if warnings else POSITIVE, "warnings": warnings,
            "timeline": _timeline(facts, ids, case_no) if with_timeline else [], "rows": ids,
        })
    out = pd.DataFrame(recs, columns=[c for c in CANDIDATE_COLUMNS if c != "rank"])
    out["case_no"] = pd.Series([r["case_no"] for r in recs], index=out.index, dtype=object)  # keep None
    if out.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    out = out.assign(_negative=out["standing"].eq(NEGATIVE))
    out = out.sort_values(["_negative", "score", "fine_wan", "date", "key"], ascending=[True, False, False, True, True],
                          kind="stable").drop(columns="_negative").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.head(top) if top else out


# ------------------------------------------------------------------ timeline
def _timeline(facts: Facts, ids: list[str], case_no: str | None) -> list[tuple[str | None, str, str]]:
    rows = facts.rows
    crows = rows.loc[ids]
    first_id = ids[0]
    first = rows.loc[first_id]
    ent = first["enterprise"]
    items = facts.items_by_enterprise.get(ent, facts.items.iloc[0:0])
    events: list[tuple[str | None, str, str]] = []
    mine = items[items["row_id"].isin(ids)]
    # A case filed on a 复查 row: its items restate hazards found at an earlier inspection.
    restated = mine[~mine["counts_as_hazard"].astype(bool)]
    if not restated.empty:
        orig = items[(items["enterprise_name"] == ent) & items["counts_as_hazard"].astype(bool)
                     & items["hazard"].isin(restated["hazard"]) & (items["inspection_date"] < first["date"])]
        for rid in dict.fromkeys(orig.sort_values("inspection_date")["row_id"]):
            n = int((orig["row_id"] == rid).sum())
            events.append((_date(rows.at[rid, "date"]), f"现场检查（原检查）：发现{n}项违法行为(隐患)", rid))
    hz = mine[mine["row_id"] == first_id]["hazard"].tolist()
    events.append((_date(first["date"]), f"现场检查：{'；'.join(hz) if hz else '未记录违法行为'}", first_id))
    if case_no:
        events.append((_date(first["date"]), f"立案：{case_no}（立案日期未单独记录，以该行检查时间计）", first_id))
    for rid, row in crows.iterrows():
        if row["fine"] > 0 or row["legal_basis"]:
            what = f"罚款 {row['fine']:g} 万元" if row["fine"] > 0 else "处罚"
            basis = f"，依据{row['legal_basis']}" if row["legal_basis"] else ""
            found = facts.patterns.decision_date.search(
                "；".join(t for t in (row["other_handling"], row["remarks"]) if t))
            when = None
            if found:
                try:
                    when = _date(pd.Timestamp(int(found.group(1)), int(found.group(2)), int(found.group(3))))
                except ValueError:
                    when = None
            note = "" if when else "（决定日期未记录）"
            events.append((when, f"处罚决定：{what}{basis}{note}", rid))
        if row["other_handling"]:
            events.append((_date(row["date"]), f"其他查处：{row['other_handling']}", rid))
    for rec in mine[mine["row_id"] == first_id].itertuples(index=False):
        if is_rectified(rec.status):
            events.append((_date(rec.inspection_date), f"整改：「{rec.hazard}」{rec.rectification}", rec.row_id))
    later = facts.enterprise_rows(ent)
    later = later[later["is_recheck"] & (later["date"] > first["date"])]
    for rid, row in later.sort_values("date").iterrows():
        its = items[items["row_id"] == rid]
        said = "；".join(f"「{h}」{r if isinstance(r, str) and r else '未记录'}"
                        for h, r in zip(its["hazard"], its["rectification"], strict=True))
        events.append((_date(row["date"]), f"复查：{said or '未记录整改情况'}", rid))
    order = {e: i for i, e in enumerate(events)}
    return sorted(events, key=lambda e: (e[0] is None, e[0] or "", order[e]))


def case_timeline(dataset: Dataset, case_no: str, enterprise: str | None = None
                  ) -> list[tuple[str | None, str, str]]:
    """The events of case ``case_no`` over all the data: (date 'YYYY-MM-DD' or None, event, row_id).

    Inspection (and the original inspection when the case was filed on a 复查 row), filing
    (the row with the case number; its date stands for the filing date), decision (date
    only when the text gives one), other handling, rectification on the spot, and later
    复查 rows of the enterprise. Sorted by date; undated events last. A case number used
    for several enterprises: ``enterprise`` picks one (default: the first recorded).
    """
    facts = _facts(dataset, _latest_period(dataset))
    case = str(case_no).strip()
    parts = case_rows(facts.rows, case)
    if enterprise is not None:
        parts = [ids for ids in parts if facts.rows.at[ids[0], "enterprise"] == enterprise]
    if not parts:
        known = sorted(facts.rows["case_no"].dropna().unique(), key=case_sort_key)
        raise ParameterError("case_no", case_no, "台账中已有的立案案号，如 " + "、".join(known[:3]) if known
                             else "台账中已有的立案案号（当前台账没有立案记录）")
    return _timeline(facts, parts[0], case)


# ------------------------------------------------------------------ 回头看
def key_case_numbers(dataset: Dataset, period, candidates: pd.DataFrame | None = None) -> list[str]:
    """The period's 立案案号, key cases first: by the typical-case criteria (``CRITERIA``: the
    candidate's score, higher first), then the fine (higher first), date and key, whether or
    not the audit found fault with the case (a 反面典型 is a key case of a 回头看 too).

    ``candidates``: ``case_candidates(dataset, period)`` already computed (saves time).
    """
    cands = case_candidates(dataset, period, with_timeline=False) if candidates is None else candidates
    if cands is None or cands.empty:
        return []
    cased = cands[cands["case_no"].notna()]
    ordered = cased.sort_values(["score", "fine_wan", "date", "key"], ascending=[False, False, True, True],
                                kind="stable")
    return list(dict.fromkeys(str(c) for c in ordered["case_no"]))


def duplicate_case_numbers(dataset: Dataset) -> set[str]:
    """The 立案案号 (``intake.cells.normalise_case_no``) that validation found reused for another
    case within a year (rule case_no_duplicate of ``intake.tables.cross_row_checks``): the
    judgment is validation's, read from ``Dataset.problems``, never made again here."""
    probs = dataset.problems
    if probs is None or not len(probs):
        return set()
    dup = probs[probs["rule"] == "case_no_duplicate"]
    return {normalise_case_no(v) for v in dup["value"] if isinstance(v, str) and v.strip()}


def lookback(dataset: Dataset, period, case_nos: list[str] | None = None) -> pd.DataFrame:
    """回头看 of the period's cases (or ``case_nos``), using all data up to the latest month.

    Per case: rectified (every hazard item of its rows rectified, by its own text or a
    复查), verified (each closed by a 复查, or rectified on the spot: 当场整改/立行立改 seen by
    the inspectors), fine_in_range (None: no fine or range unknown), escalation_applied
    (从重 where the violation repeated within 12 months; None: not a repeat),
    referral_made (None: no referral due), published ("已公示" when 其他查处/备注 say 公示/
    公开, else "未记录": we have no publication register), duplicate_case_no (validation found
    the case number reused for another case: ``duplicate_case_numbers``), status 闭环 / 未闭环
    and the open items (an unrectified hazard is named by its status, ``_text.HAZARD_STATUS_ZH``).
    Publication "未记录" (``PUBLICATION_NOT_RECORDED``) and a reused case number are notes, not
    open items (absence of a record is not proof; the number is for the unit to correct).
    """
    period = as_period(period)
    facts = _facts(dataset, _latest_period(dataset, period))
    rows, items = facts.rows, facts.items
    if case_nos is None:
        in_p = rows["period"].isin(period.period_keys)
        case_nos = sorted(rows.loc[in_p, "case_no"].dropna().unique(), key=case_sort_key)
    repeats = repeat_offences(facts, in_period_only=False)
    due = referral_due(facts, in_period_only=False)
    duplicates = duplicate_case_numbers(dataset)
    recs = []
    groups = []
    for case in case_nos:
        parts = case_rows(rows, str(case).strip())
        if not parts:
            raise ParameterError("case_nos", case, "台账中已有的立案案号")
        groups += [(case, ids) for ids in parts]
    for case, ids in groups:
        crows = rows.loc[ids]
        mine = items[items["row_id"].isin(ids)]
        open_items, notes = [], []
        rectified = verified = True
        for rec in mine.itertuples(index=False):
            state = _resolve(items, rec)
            if not state["rectified"]:
                rectified = verified = False
                open_items.append(f"隐患{HAZARD_STATUS_ZH.get(state['status'], '未整改')}：「{rec.hazard}」")
            elif not state["verified"]:
                verified = False
                open_items.append(f"整改未经复查确认：「{rec.hazard}」")
        checks = [c for c in (check_fine(r) for _, r in crows.iterrows()) if c is not None]
        known = [c.within for c in checks if c.within is not None]
        fine_ok = None if not known else all(known)
        if fine_ok is False:
            open_items.append("罚款超出法定幅度")
        rep = repeats[repeats["later_row"].isin(ids)]
        esc = None if rep.empty else bool(all(len(w) > 0 for w in rep["ways"]))
        if esc is False:
            open_items.append("同一违法行为反复出现，未依法从重")
        ref = due[due["row_id"].isin(ids)]
        made = None if ref.empty else bool(ref["referred"].all())
        if made is False:
            open_items.append("涉嫌犯罪，未移送司法机关")
        published = "已公示" if crows["published"].any() else "未记录"
        if published == "未记录":
            notes.append(PUBLICATION_NOT_RECORDED)
        duplicate = normalise_case_no(case) in duplicates
        if duplicate:
            users = list(dict.fromkeys(str(e) for c, e in zip(rows["case_no"], rows["enterprise"], strict=True)
                                       if isinstance(c, str) and normalise_case_no(c) == normalise_case_no(case)
                                       and not pd.isna(e)))
            notes.append(f"{DUPLICATE_CASE_NO}：{case}用于{'、'.join(users)}{len(users)}家企业的案件"
                         "（同一案号一年内只能用于一个案件），请核对")
        if not len(mine):
            notes.append("该案件行未记录违法行为(隐患)")
        recs.append({
            "case_no": case, "unit": crows["unit"].iloc[0], "enterprise": crows["enterprise"].iloc[0],
            "date": crows["date"].min(), "hazards": int(len(mine)), "rectified": rectified,
            "verified": verified, "fine_wan": round(float(crows["fine"].sum()), 6),
            "fine_in_range": fine_ok, "escalation_applied": esc, "referral_made": made,
            "published": published, "duplicate_case_no": duplicate, "status": "未闭环" if open_items else "闭环",
            "open_items": open_items, "notes": notes,
        })
    out = pd.DataFrame(recs, columns=LOOKBACK_COLUMNS)
    # Tri-state columns (True / False / None) stay Python objects, so None is not lost.
    for col in ("rectified", "verified", "fine_in_range", "escalation_applied", "referral_made"):
        out[col] = pd.Series([r[col] for r in recs], index=out.index, dtype=object)
    return out


def _resolve(items: pd.DataFrame, rec) -> dict:
    """Rectified / verified state of one item; a restated 复查 item follows its original.

    Rectified: hazard_status (``evalkit.metrics.hazards``) at the look-back's end is
    rectified or closed. Verified: closed (a 复查 confirmed it), or rectified on the spot.
    """
    target = rec
    if not bool(rec.counts_as_hazard):
        orig = items[(items["enterprise_name"] == rec.enterprise_name) & (items["hazard"] == rec.hazard)
                     & items["counts_as_hazard"].astype(bool) & (items["inspection_date"] < rec.inspection_date)]
        if not orig.empty:
            target = next(orig.sort_values("inspection_date").itertuples(index=False))
    text = target.rectification if isinstance(target.rectification, str) else ""
    spot = target.hazard_status == RECTIFIED and rectified_on_the_spot(text)  # intake.cells.ON_THE_SPOT_TERMS
    return {"rectified": target.hazard_status in DONE, "verified": target.hazard_status == CLOSED or spot,
            "status": target.hazard_status}
