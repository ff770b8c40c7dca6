"""Audit rules 6–12: how violations were handled (移送, 立案, 从重, 整改, 罚款, 关闭).

Each ``check_<id>(ctx)`` returns findings (see ``evalkit.audit.rules.finding``). The
derived facts (codes, handling flags, fine ranges) come from ``evalkit.audit.facts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from evalkit.audit.facts import check_fine, referral_due, repeat_offences
from evalkit.audit.rules import Context, finding, fmt
from evalkit.core.catalogue import load_catalogue, penalty_articles
from evalkit.intake.cells import rectified_on_the_spot
from evalkit.metrics.escalation import recheck_escalations
from evalkit.metrics.hazards import OVERDUE


def _short(code: str | None) -> str:
    cat = load_catalogue()
    return f"{code} {cat.at[code, 'short']}" if code in cat.index else "未识别"


def _date(ts) -> str:
    return "未知" if pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


# ------------------------------------------------------------------ rule 6
def check_criminal_referral_missing(ctx: Context) -> list[dict]:
    """Rule 6. 以罚代刑: a violation that may be a crime, with no referral recorded.

    Due: an item of the period whose catalogue code has a criminal risk (V17 关闭、破坏监控
    报警设备, V28 非法从事高危作业: always; V20: only a 重大事故隐患 whose order to correct was
    refused or missed). Referred: 其他查处 of this row, or of a later row of the same
    enterprise up to the period end, names a criminal referral (移送公安/司法机关, 追究刑事
    责任; read by ``evalkit.intake.handling``). Severity 高; a 一票否决 condition in scoring.
    """
    due = referral_due(ctx.facts)
    rows = ctx.facts.rows
    out = []
    for rec in due[~due["referred"].astype(bool)].itertuples(index=False):
        out.append(finding(
            ctx, "criminal_referral_missing", unit=rec.unit, enterprise=rec.enterprise,
            message=(f"{rec.enterprise}「{rec.hazard}」（{_short(rec.code)}）涉嫌{rec.criminal_risk}，"
                     f"未见移送司法机关记录（罚款 {fmt(rows.at[rec.row_id, 'fine'])} 万元）"),
            evidence=[rec.row_id],
            details={"code": rec.code, "criminal_risk": rec.criminal_risk, "hazard": rec.hazard,
                     "fine_wan": float(rows.at[rec.row_id, "fine"])},
        ))
    return out


# ------------------------------------------------------------------ rule 7
def violation_inspections(ctx: Context) -> pd.DataFrame:
    """The period's ledger rows with at least one new hazard (items.counts_as_hazard)."""
    it = ctx.facts.items
    rows = ctx.facts.period_rows
    if it.empty or rows.empty:
        return rows.iloc[0:0]
    ids = set(it.loc[it["counts_as_hazard"].astype(bool), "row_id"])
    return rows[rows.index.isin(ids)]


#: ``rectification_only_judgments`` columns, one row per counted or excused inspection.
RECTIFICATION_COLUMNS = ["unit", "enterprise", "kind", "penalised", "escalated_by", "excused", "reason"]


def excusable_items(ctx: Context) -> pd.Series:
    """Per new hazard item of the period (Facts.items index): may it lawfully go unpunished?

    行政处罚法第三十三条: a minor violation corrected in time, with no harm done, is not punished,
    and a first violation with slight consequences corrected in time may go unpunished. The
    ledger shows the correction, not the harm, so an item is excusable only when all hold:

    * its 完成整改情况 says it was corrected on the spot (``intake.cells.rectified_on_the_spot``:
      当场整改, 立行立改, 现场整改完毕, 当场改正 …; not 未当场整改, not 责令当场改正);
    * it is not a 重大事故隐患 (the item says so) and its code is not one the config lists as
      always punished (``rectification_only.must_punish_codes``: by default V17 关闭、破坏监控
      报警设备, V24 拒绝、阻碍监督检查, V28 非法从事高危作业 — deliberate acts or crimes, never
      “minor”), and the order was not refused (拒不…, 第一百零二条);
    * it is a first violation: not a repeat of the same code at the same enterprise within
      ``repeat_offence.window_months`` (``facts.repeat_offences``, rule 8).
    """
    it = ctx.facts.items
    if it.empty:
        return pd.Series(dtype=bool)
    new = it[it["counts_as_hazard"].astype(bool) & it["in_period"].astype(bool)]
    must = set(ctx.config["rectification_only"]["must_punish_codes"])
    reps = repeat_offences(ctx.facts, int(ctx.config["repeat_offence"]["window_months"]))
    repeats = set(zip(reps["later_row"], reps["code"], strict=True))
    spot = [rectified_on_the_spot(t) for t in new["rectification"].tolist()]
    ok = [s and not major and not refused and code not in must and (rid, code) not in repeats
          for s, major, refused, code, rid in zip(spot, new["major"].tolist(), new["refused"].tolist(),
                                                   new["code"].tolist(), new["row_id"].tolist(), strict=True)]
    return pd.Series(ok, index=new.index, dtype=bool)


def rectification_only_judgments(ctx: Context) -> pd.DataFrame:
    """Rule 7's view of the period: the inspections that found violations, and how each was handled.

    Index: row_id. kind "inspection" (a row of the period with a new hazard) or "recheck_case" (a
    复查 row of the period that filed a case or a 简易程序 fine for a hazard found before the
    period: the escalation of 方案二（五）, a penalty the period's counts must include).
    penalised: the row has a 立案案号 or a 简易程序 fine within its limit (``summary_fine``,
    行政处罚法第五十一条). escalated_by: a later 复查 row (up to the period end) that penalised one of
    the row's hazards (``metrics.escalation.recheck_escalations``: same enterprise, same hazard
    text or code). excused: not penalised, not escalated, and every new hazard on the row may go
    unpunished (``excusable_items``); such rows are not counted. reason: Chinese, for the report.
    """
    facts = ctx.facts
    rows, it = facts.rows, facts.items
    viol = violation_inspections(ctx)
    if viol.empty and (rows.empty or not (rows["in_period"] & rows["is_recheck"]).any()):
        return pd.DataFrame(columns=RECTIFICATION_COLUMNS)
    penalty = rows.index[rows["has_case"] | rows["summary_fine"]]
    esc = recheck_escalations(it, penalised_rows=set(penalty))
    esc = esc[esc["by_date"] <= facts.end]
    by_item = esc.join(it[["row_id"]], how="left").sort_values(["by_date", "by_row"], kind="stable")
    escalated = by_item.drop_duplicates("row_id").set_index("row_id")["by_row"].to_dict()
    excusable = excusable_items(ctx)
    row_of = it.loc[excusable.index, "row_id"]
    all_excused = excusable.groupby(row_of.to_numpy()).all().to_dict() if len(excusable) else {}
    out = []
    for rid, r in viol.iterrows():
        penalised = bool(r["has_case"] or r["summary_fine"])
        by = escalated.get(rid)
        excused = not penalised and by is None and bool(all_excused.get(rid, False))
        if penalised:
            reason = "已立案" if r["has_case"] else "简易程序当场处罚"
        elif by is not None:
            reason = "复查时立案（逾期未整改）"
        elif excused:
            reason = "隐患均当场整改，可不予处罚（行政处罚法第三十三条）"
        else:
            reason = "仅责令整改"
        out.append({"row_id": rid, "unit": r["unit"], "enterprise": r["enterprise"], "kind": "inspection",
                    "penalised": penalised, "escalated_by": by, "excused": excused, "reason": reason})
    # 复查 rows of the period penalising a hazard found before the period: counted as penalised.
    credited = {escalated[rid] for rid in viol.index if rid in escalated}
    restated = set(it.loc[~it["counts_as_hazard"].astype(bool), "row_id"])
    cases = rows[rows["in_period"] & rows["is_recheck"] & (rows["has_case"] | rows["summary_fine"])]
    for rid, r in cases.iterrows():
        if rid in viol.index or rid in credited or rid not in restated:
            continue
        out.append({"row_id": rid, "unit": r["unit"], "enterprise": r["enterprise"], "kind": "recheck_case",
                    "penalised": True, "escalated_by": None, "excused": False,
                    "reason": "复查时立案（原检查在本期之前）" if r["has_case"] else "复查时简易程序处罚"})
    return pd.DataFrame(out, columns=["row_id", *RECTIFICATION_COLUMNS]).set_index("row_id")


def check_rectification_instead_of_penalty(ctx: Context) -> list[dict]:
    """Rule 7. 以整改代替处罚: share of violation-bearing inspections closed without a penalty.

    Per unit, over the period (``rectification_only_judgments``): counted = the inspections with
    new hazards, less those whose every hazard may lawfully go unpunished (corrected on the spot,
    first and minor: 行政处罚法第三十三条, ``excusable_items``), plus the 复查 rows that filed a
    case for a hazard found before the period. Penalised = a 立案案号 or a 简易程序 fine within its
    limit (行政处罚法第五十一条) on the row, or a case filed on a later 复查 row (up to the period
    end) for the same enterprise and hazard. share = counted and not penalised ÷ counted.
    Finding when share > ``max_share`` (0.8) and counted ≥ ``min_inspections`` (3). Zero
    counted -> 不适用, no finding. The message says what was added and what was left out.
    """
    cfg = ctx.config["rectification_only"]
    limit, least = float(cfg["max_share"]), int(cfg["min_inspections"])
    judged = rectification_only_judgments(ctx)
    out = []
    for unit, grp in judged.groupby("unit", sort=True):
        counted = grp[~grp["excused"]]
        n = len(counted)
        uncased = counted[~counted["penalised"] & counted["escalated_by"].isna()]
        if n < least or len(uncased) / n <= limit + 1e-12:
            continue
        share = len(uncased) / n
        later = counted[counted["escalated_by"].notna()]
        rechecks = counted[counted["kind"] == "recheck_case"]
        excused = grp[grp["excused"]]
        notes = []
        if len(later) or len(rechecks):
            notes.append(f"已计入复查时立案 {len(later) + len(rechecks)} 次")
        if len(excused):
            notes.append(f"另有 {len(excused)} 次检查的隐患均当场整改、可不予处罚（行政处罚法第三十三条），未计入")
        out.append(finding(
            ctx, "rectification_instead_of_penalty", unit=unit, enterprise=None,
            message=(f"发现违法行为的检查 {n} 次，其中 {len(uncased)} 次仅责令整改、未立案，"
                     f"占 {share:.1%}，高于 {limit:.0%}" + (f"（{'；'.join(notes)}）" if notes else "")),
            evidence=list(uncased.index),
            details={"inspections_with_violations": n, "without_case": len(uncased),
                     "share": round(share, 6), "max_share": limit,
                     "escalated_later": {rid: by for rid, by in later["escalated_by"].items()},
                     "recheck_cases": list(rechecks.index), "excused_on_the_spot": list(excused.index)},
        ))
    return out


# ------------------------------------------------------------------ rule 8
def check_repeat_not_escalated(ctx: Context) -> list[dict]:
    """Rule 8. 从重: the same enterprise, same violation code again within 12 months, not heavier.

    Occurrences are new hazard items (not 复查 restatements) matched to a catalogue code.
    For each occurrence in the period with an earlier one of the same enterprise and code
    within ``window_months`` (12), the later row must be heavier than the first one in the
    window: a higher fine, or 停产停业整顿 / 按日连续处罚 / 提请关闭 / 刑事移送 added, or a
    case where the first had none. Otherwise a finding naming both rows.
    """
    reps = repeat_offences(ctx.facts, int(ctx.config["repeat_offence"]["window_months"]))
    v, at = ctx.facts.row_values, ctx.facts.row_positions

    def row(rid: str) -> dict:
        return {"fine": v["fine"][at[rid]], "has_case": v["has_case"][at[rid]]}

    out = []
    for rec in reps.itertuples(index=False):
        if rec.ways:
            continue
        first, later = row(rec.first_row), row(rec.later_row)
        out.append(finding(
            ctx, "repeat_not_escalated", unit=rec.unit, enterprise=rec.enterprise,
            message=(f"{rec.enterprise}「{_short(rec.code)}」{_date(rec.first_date)}已查出，"
                     f"{_date(rec.later_date)}再次出现，处理未加重（首次：罚款{fmt(first['fine'])}万元"
                     f"{'、已立案' if first['has_case'] else '、未立案'}；本次：罚款{fmt(later['fine'])}万元"
                     f"{'、已立案' if later['has_case'] else '、未立案'}）"),
            evidence=[rec.first_row, rec.later_row],
            details={"code": rec.code, "first_row": rec.first_row, "first_date": _date(rec.first_date),
                     "first_fine_wan": float(first["fine"]), "later_fine_wan": float(later["fine"])},
        ))
    return out


# ------------------------------------------------------------------ rule 9
def overdue_items(ctx: Context) -> pd.DataFrame:
    """New hazard items (rows submitted up to the period end) overdue at the period end.

    Overdue is ``evalkit.metrics.hazards.hazard_status`` (Facts.items.hazard_status, with
    ``overdue.grace_days``): not rectified on the row, not closed by a 复查 dated on or
    before the period end, and deadline + grace_days before the period end.
    """
    it = ctx.facts.items
    if it.empty:
        return it
    return it[it["counts_as_hazard"].astype(bool) & (it["hazard_status"] == OVERDUE)]


def check_overdue_not_escalated(ctx: Context) -> list[dict]:
    """Rule 9. An item past its deadline, not rectified by the period end, and not escalated.

    Items: new hazards of rows submitted up to the period end whose deadline (date in the
    text, else inspection + 30 days) plus ``overdue.grace_days`` (default 0; time allowed for
    the 复查) is before the period end and that are neither rectified on their row nor
    closed by a 复查 dated on or before the period end, whichever month it was submitted in
    (``overdue_items``: hazard_status "overdue"). Escalated: a later row (later
    inspection date) of the same enterprise with 停产停业整顿, 按日连续处罚, 提请关闭, a
    criminal referral, or a higher fine than the item's row. Severity 高 for a 重大事故隐患.
    """
    late = overdue_items(ctx)
    v, at = ctx.facts.row_values, ctx.facts.row_positions
    heavy = v["suspended"] | v["daily_penalty"] | v["closure"] | v["referral"]
    out = []
    for rec in late.sort_values(["unit", "enterprise_name", "deadline", "row_id", "item_no"]).itertuples(index=False):
        own = at[rec.row_id]
        mine = ctx.facts.enterprise_positions(rec.enterprise_name)
        later = mine[v["date"][mine] > v["date"][own]]
        # an unreadable fine (on the item's row or a later one) cannot be compared: not a finding
        unknown = v["fine_unknown"][later] | (bool(v["fine_unknown"][own]) & (v["fine"][later] > 0))
        if (heavy[later] | (v["fine"][later] > v["fine"][own] + 1e-9) | unknown).any():
            continue
        days = (ctx.facts.end - rec.deadline).days
        out.append(finding(
            ctx, "overdue_not_escalated", unit=v["unit"][own], enterprise=rec.enterprise_name,
            severity="高" if rec.major else "中",
            message=(f"「{rec.hazard}」整改期限{_date(rec.deadline)}已过{days}天，截至期末未见整改完成，"
                     f"也未见停产整顿、按日连续处罚或加重罚款"),
            evidence=[rec.row_id],
            details={"hazard": rec.hazard, "item_no": int(rec.item_no), "deadline": _date(rec.deadline),
                     "days_overdue": days, "status": rec.status, "major": bool(rec.major),
                     "later_rows": v["row_id"][later].tolist()},
        ))
    return out


# ------------------------------------------------------------------ rule 10
def check_fine_out_of_range(ctx: Context) -> list[dict]:
    """Rule 10a. A fine outside the legal range of the violations it punishes.

    Range (``audit_facts.fine_range``): one range per item matched to a catalogue code, else
    per article cited in 处罚依据; allowed = [lower, sum of maximums] because a row with
    several items may sum per-item fines. lower (``fines.lower_bound``) = the smallest item
    minimum by default (the ledger does not say which items were fined: only a fine below
    every item's minimum is surely too low), or the largest (``every_item``: the stricter
    reading that every item was fined). Unknown maximum (unmatched item, V28) -> only the
    minimum is checked. A row that escalates after a missed deadline (复查 row, or 按日
    连续处罚) is checked against the minimum only: its higher limits are in the catalogue's
    after_deadline text, not as numbers. Fines of persons (一案双罚) are not separated.
    """
    out = []
    lower = ctx.config["fines"]["lower_bound"]
    rows = ctx.facts.period_rows
    for rid, row in rows[rows["fine"] > 0].iterrows():  # check_fine: nothing to check without a fine
        chk = check_fine(row, lower)
        if chk is None or chk.range is None or chk.within:
            continue
        fr = chk.range
        shown_high = "不限（加重处罚）" if chk.escalation else ("未知" if fr.high is None else fmt(fr.high))
        out.append(finding(
            ctx, "fine_out_of_range", unit=row["unit"], enterprise=row["enterprise"],
            message=(f"罚款 {fmt(row['fine'])} 万元{'低于' if chk.below else '高于'}法定幅度"
                     f"［{fmt(fr.low)}，{shown_high}］万元（按{fr.basis}：{'、'.join(_short(c) for c in fr.codes)}）"),
            evidence=[rid],
            details={"fine_wan": float(row["fine"]), "low_wan": fr.low, "high_wan": chk.high_used,
                     "codes": list(fr.codes), "range_from": fr.basis, "case_no": row["case_no"]},
        ))
    return out


_ANY_ARTICLE = re.compile(r"(?:《[^》]{2,40}》|[法例定则法]\s*)第[一二三四五六七八九十百零〇\d]+条")


def cites_article(text: str | None) -> bool:
    """True when a 处罚依据 text names an article: of the three laws of the catalogue, or of
    any 《法律法规》 (e.g. 《烟花爆竹安全管理条例》第三十六条)."""
    return bool(text) and (bool(penalty_articles(text)) or bool(_ANY_ARTICLE.search(text)))


def check_case_basis_missing(ctx: Context) -> list[dict]:
    """Rule 10b. A case (立案案号) of the period with no legal basis, or one we cannot read.

    Per distinct case number: all its rows (up to the period end) have a blank 处罚依据 ->
    中 "未填写"; no text names an article (``cites_article``: 《…》第…条, or an article of
    安全生产法 / 消防法 / 特种设备安全法) -> 低 "依据不明". A cited article the catalogue lacks is
    accepted: the catalogue is not complete.
    """
    rows = ctx.facts.rows
    period_cases = ctx.facts.period_rows["case_no"].dropna().unique()
    of_case: dict[str, list[int]] = {}  # case_no -> positions of its rows, in row order
    for i, c in enumerate(ctx.facts.row_values["case_no"].tolist()):
        if c is not None:
            of_case.setdefault(c, []).append(i)
    basis = ctx.facts.row_values["legal_basis"]
    out = []
    for case in sorted(period_cases):
        texts = [t for t in basis[of_case.get(case, [])] if t]
        if texts and any(cites_article(t) for t in texts):
            continue
        grp = rows.iloc[of_case.get(case, [])]
        first = grp.sort_values("date").iloc[0]
        if not texts:
            msg, sev = f"案件 {case} 未填写处罚依据（法律条款）", "中"
        else:
            msg, sev = f"案件 {case} 的处罚依据「{texts[0]}」未能识别出具体法律条款", "低"
        out.append(finding(
            ctx, "case_basis_missing", unit=first["unit"], enterprise=first["enterprise"], severity=sev,
            message=msg, evidence=list(grp.index[grp["in_period"]]),
            details={"case_no": case, "legal_basis": texts[0] if texts else None},
        ))
    return out


# ------------------------------------------------------------------ rule 11
def closure_candidates(ctx: Context) -> pd.DataFrame:
    """Enterprises meeting 安全生产法第一百一十三条 as of the period end.

    Penalties: ledger rows up to the period end, dated within ``long_window_days`` before it,
    with a 重大事故隐患 item and a case or a fine (one per case number, else per row).
    Met: ``short_count`` (3) penalties with the last at most ``short_window_days`` (180) days
    after the first, or ``long_count`` (4) within ``long_window_days`` (365). Columns: enterprise,
    unit, rows, dates, rule (which test met), requested (a row of the enterprise up to the period
    end mentions 提请关闭).
    """
    cfg = ctx.config["closure"]
    rows = ctx.facts.rows
    cols = ["enterprise", "unit", "rows", "dates", "rule", "requested", "request_rows"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    since = ctx.facts.end - pd.Timedelta(days=int(cfg["long_window_days"]))
    pen = rows[rows["major"] & (rows["has_case"] | (rows["fine"] > 0)) & (rows["date"] > since)]
    pen = pen.assign(key=pen["case_no"].fillna(pd.Series(pen.index, index=pen.index)))
    pen = pen.sort_values("date").drop_duplicates("key")
    out = []
    for ent, grp in pen.groupby("enterprise", sort=True):
        dates = list(grp["date"])
        met = None
        for i, d in enumerate(dates):
            # "180日内": the last penalty at most 180 days after the first (start day not counted)
            short = sum(1 for x in dates[i:] if (x - d).days <= int(cfg["short_window_days"]))
            long = sum(1 for x in dates[i:] if (x - d).days <= int(cfg["long_window_days"]))
            if short >= int(cfg["short_count"]):
                met = f"{cfg['short_window_days']}日内{short}次"
                break
            if long >= int(cfg["long_count"]):
                met = f"一年内{long}次"
        if met is None:
            continue
        asks = ctx.facts.enterprise_positions(ent)
        asks = asks[ctx.facts.row_values["closure"][asks]]
        out.append({"enterprise": ent, "unit": grp["unit"].iloc[-1], "rows": list(grp.index),
                    "dates": [_date(d) for d in dates], "rule": met, "requested": len(asks) > 0,
                    "request_rows": ctx.facts.row_values["row_id"][asks].tolist()})
    return pd.DataFrame(out, columns=cols)


def check_closure_due(ctx: Context) -> list[dict]:
    """Rule 11. 提请关闭: report every enterprise meeting 第一百一十三条, and whether closure
    was requested (高 if not requested, 低 if it was)."""
    out = []
    for rec in closure_candidates(ctx).itertuples(index=False):
        state = "已提请关闭" if rec.requested else "未见提请关闭记录"
        out.append(finding(
            ctx, "closure_due", unit=rec.unit, enterprise=rec.enterprise,
            severity="低" if rec.requested else "高",
            message=(f"{rec.enterprise}存在重大事故隐患，{rec.rule}受到行政处罚"
                     f"（{'、'.join(rec.dates)}），符合安全生产法第一百一十三条提请关闭情形；{state}"),
            evidence=list(rec.rows) + [r for r in rec.request_rows if r not in rec.rows],
            details={"penalty_dates": list(rec.dates), "test": rec.rule, "requested": bool(rec.requested)},
        ))
    return out


# ------------------------------------------------------------------ rule 12
SINGLE_CODE_COLUMNS = ["row_id", "unit", "enterprise", "case_no", "code", "fine", "not_first"]


def single_code_fines(ctx: Context) -> pd.DataFrame:
    """Period rows with a fine whose items all match one and the same catalogue code.

    One row per such ledger row: row_id, unit, enterprise, case_no, code, fine (万元), and
    not_first — why the fine is not a first-offence fine (None: it is one). Rule 12 compares
    first-offence fines only; a heavier fine for a repeat or a missed deadline is the law's
    escalation, not a disparity. Not a first offence:

    * a 复查 row: its fine punishes the missed deadline (逾期未改正), whose range is the
      article's after-deadline range (e.g. 第九十九条: 五万元以上二十万元以下);
    * 责令停产停业整顿, 提请关闭 or 按日连续处罚 on the row (the after-deadline measures);
    * a refusal (拒不…, ``patterns.refusal``) in the row's text or an item refused;
    * the text says 从重 (``fine_disparity.aggravation``, in 处罚依据, 其他查处 or 备注);
    * a repeat: the same code at the same enterprise within ``repeat_offence.window_months``
      (``facts.repeat_offences``, rule 8), where 方案二（五） asks for 从重.

    A fine that could not be read (``fine_unknown``) counts as no fine.
    """
    rows = ctx.facts.period_rows
    cfg = ctx.config["fine_disparity"]
    aggravation = re.compile(cfg["aggravation"])
    refusal = ctx.facts.patterns.refusal
    fined = rows[(rows["fine"] > 0) & ~rows["fine_unknown"]]
    if fined.empty:
        return pd.DataFrame(columns=SINGLE_CODE_COLUMNS)
    reps = repeat_offences(ctx.facts, int(ctx.config["repeat_offence"]["window_months"]))
    repeats = set(zip(reps["later_row"], reps["code"], strict=True))
    it = ctx.facts.items
    refused_rows = set(it.loc[it["refused"].astype(bool), "row_id"]) if not it.empty else set()
    recs = []
    for rid, row in fined.iterrows():
        codes = row["codes"]
        if not codes or None in codes or len(set(codes)) != 1:
            continue
        code = codes[0]
        text = "；".join(t for t in (row["legal_basis"], row["other_handling"], row["remarks"]) if isinstance(t, str))
        if row["is_recheck"]:
            why = "复查行（逾期未改正）"
        elif row["daily_penalty"]:
            why = "按日连续处罚"
        elif row["suspended"] or row["closure"]:
            why = "责令停产停业整顿" if row["suspended"] else "提请关闭"
        elif rid in refused_rows or refusal.search(text):
            why = "拒不整改"
        elif aggravation.search(text):
            why = "写明从重"
        elif (rid, code) in repeats:
            why = "12个月内再次违法"
        else:
            why = None
        recs.append({"row_id": rid, "unit": row["unit"], "enterprise": row["enterprise"],
                     "case_no": row["case_no"], "code": code, "fine": float(row["fine"]), "not_first": why})
    out = pd.DataFrame(recs, columns=SINGLE_CODE_COLUMNS)
    out["not_first"] = pd.Series([r["not_first"] for r in recs], index=out.index, dtype=object)  # None, not NaN
    return out


def _named(rec) -> str:
    case = rec.case_no if isinstance(rec.case_no, str) and rec.case_no else "无案号"
    return f"{rec.enterprise}（{case}）{fmt(rec.fine)}万元"


def check_fine_disparity(ctx: Context) -> list[dict]:
    """Rule 12. 同案不同罚: for one violation code, a unit's first-offence fines far from the other units'.

    Only first-offence fines are compared (``single_code_fines``: rows whose items all match one
    code, so the fine belongs to that violation; no 复查 row, no repeat within 12 months, no 从重,
    拒不, 停产停业整顿 or 按日连续处罚). Per code with at least ``min_rows`` (3) such rows in the
    town, a unit with at least ``min_unit_rows`` (2) of them (one fine is not a practice) is
    compared with the other units: their usual fine = the median of their unit medians (each
    unit one voice, so one unit's many rows do not set the town's norm, and the unit judged does
    not set its own), taken when at least ``min_units`` (2) other units have such fines. The unit
    is named when its median is above ``ratio`` (3) × that or below it ÷ ratio, with its outlier
    rows (enterprise, case number, fine: its rows beyond the same bound) in the message and as
    evidence. The spread table (per code: first-offence rows, units, min, max, town median,
    unit medians, rows left out as not first offences) is kept as ``tables['fine_spread']``.
    """
    cfg = ctx.config["fine_disparity"]
    ratio, min_rows, min_units = float(cfg["ratio"]), int(cfg["min_rows"]), int(cfg["min_units"])
    min_unit_rows = int(cfg["min_unit_rows"])
    every = single_code_fines(ctx)
    fines = every[every["not_first"].isna()]
    left_out = every[every["not_first"].notna()].groupby("code").size().to_dict()
    spread, out = [], []
    for code, grp in fines.groupby("code", sort=True):
        medians = grp.groupby("unit")["fine"].median()
        sizes = grp.groupby("unit").size()
        town = float(grp["fine"].median())
        spread.append({"code": code, "violation": _short(code), "rows": len(grp), "units": len(medians),
                       "min_wan": float(grp["fine"].min()), "max_wan": float(grp["fine"].max()),
                       "town_median_wan": town, "unit_medians": {u: float(m) for u, m in medians.items()},
                       "not_first_rows": int(left_out.get(code, 0))})
        if len(grp) < min_rows or len(medians) - 1 < min_units:
            continue
        for unit, med in medians.items():
            others = medians.drop(unit)
            usual = float(others.median())
            if sizes[unit] < min_unit_rows or usual <= 0:
                continue
            high, low = med > ratio * usual + 1e-9, med < usual / ratio - 1e-9
            if not (high or low):
                continue
            mine = grp[grp["unit"] == unit]
            odd = mine[mine["fine"] > ratio * usual + 1e-9] if high else mine[mine["fine"] < usual / ratio - 1e-9]
            out.append(finding(
                ctx, "fine_disparity", unit=unit, enterprise=None,
                message=(f"「{_short(code)}」初次违法罚款本单位 {len(mine)} 起，中位数 {fmt(med)} 万元，"
                         f"{'高于' if high else '低于'}其他 {len(others)} 个单位通常罚款 {fmt(usual)} 万元"
                         f"（各单位中位数的中位数）的{f'{ratio:g}倍' if high else f'1/{ratio:g}'}"
                         f"（全镇初次违法 {len(grp)} 起，{fmt(grp['fine'].min())}–{fmt(grp['fine'].max())} 万元）："
                         + "；".join(_named(r) for r in odd.itertuples(index=False))),
                evidence=list(odd["row_id"]),
                details={"code": code, "unit_median_wan": float(med), "others_usual_wan": usual,
                         "other_units": len(others), "town_median_wan": town,
                         "town_min_wan": float(grp["fine"].min()), "town_max_wan": float(grp["fine"].max()),
                         "rows": len(grp), "unit_rows": len(mine),
                         "outliers": [{"row": r.row_id, "enterprise": r.enterprise, "case_no": r.case_no,
                                       "fine_wan": r.fine} for r in odd.itertuples(index=False)]},
            ))
    ctx.tables["fine_spread"] = pd.DataFrame(
        spread, columns=["code", "violation", "rows", "units", "min_wan", "max_wan", "town_median_wan",
                         "unit_medians", "not_first_rows"])
    return out


RULES_HANDLING: dict[str, Callable[[Context], list[dict]]] = {
    "criminal_referral_missing": check_criminal_referral_missing,
    "rectification_instead_of_penalty": check_rectification_instead_of_penalty,
    "repeat_not_escalated": check_repeat_not_escalated,
    "overdue_not_escalated": check_overdue_not_escalated,
    "fine_out_of_range": check_fine_out_of_range,
    "case_basis_missing": check_case_basis_missing,
    "closure_due": check_closure_due,
    "fine_disparity": check_fine_disparity,
}
