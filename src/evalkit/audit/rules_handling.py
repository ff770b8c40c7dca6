"""Audit rules 6–12: how violations were handled (移送, 立案, 从重, 整改, 罚款, 关闭).

Each ``check_<id>(ctx)`` returns findings (see ``evalkit.audit.rules.finding``). The
derived facts (codes, handling flags, fine ranges) come from ``evalkit.audit.facts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from evalkit.audit.facts import (
    AFTER,
    EITHER,
    SUSPENSION_ORDER,
    check_fine,
    daily_penalty_checks,
    referral_due,
    repeat_offences,
)
from evalkit.audit.rules import Context, finding, fmt
from evalkit.core.catalogue import load_catalogue, penalty_articles, provision
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


def check_rectification_instead_of_penalty(ctx: Context) -> list[dict]:
    """Rule 7. 以整改代替处罚: share of violation-bearing inspections closed without a case.

    Per unit: share = inspections with new hazards and no 立案案号 ÷ inspections with new
    hazards, over the period. A fine by the 简易程序 within its limit (``summary_fine``,
    行政处罚法第五十一条) needs no case and is a penalty, so it is not counted as rectification
    only. Finding when share > ``max_share`` (0.8) and there are at least
    ``min_inspections`` (3) such inspections. Zero inspections -> 不适用, no finding.
    """
    cfg = ctx.config["rectification_only"]
    limit, least = float(cfg["max_share"]), int(cfg["min_inspections"])
    viol = violation_inspections(ctx)
    out = []
    for unit, grp in viol.groupby("unit", sort=True):
        n = len(grp)
        uncased = grp[~grp["has_case"] & ~grp["summary_fine"]]
        share = len(uncased) / n
        if n < least or share <= limit + 1e-12:
            continue
        out.append(finding(
            ctx, "rectification_instead_of_penalty", unit=unit, enterprise=None,
            message=(f"发现违法行为的检查 {n} 次，其中 {len(uncased)} 次仅责令整改、未立案，"
                     f"占 {share:.1%}，高于 {limit:.0%}"),
            evidence=list(uncased.index),
            details={"inspections_with_violations": n, "without_case": len(uncased),
                     "share": round(share, 6), "max_share": limit},
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
def _range_text(fr) -> str:
    """How a range was built, for a message: the codes and which of them are on their 逾期 / 拒不 range."""
    cat = load_catalogue()
    parts = []
    for code, state in zip(fr.codes, fr.states or ("base",) * len(fr.codes), strict=True):
        prov = provision(code)
        trigger = prov.after_trigger if prov is not None else None
        shown = _short(code)
        if state == AFTER and trigger:
            shown += f"，{trigger}后的幅度"
        elif state == EITHER and trigger:
            shown += f"，是否{trigger}不明，按两种幅度之宽"
        if code in cat.index and cat.at[code, "personal"]:
            shown += f"，罚款对象为{cat.at[code, 'fined_party']}"
        parts.append(f"{shown}（{cat.at[code, 'penalty_article']}）" if code in cat.index else shown)
    persons = f"；含对直接责任人员的罚款上限 {fmt(fr.persons)} 万元" if fr.persons else ""
    return f"按{fr.basis}：{'、'.join(parts)}{persons}"


def check_fine_out_of_range(ctx: Context) -> list[dict]:
    """Rule 10a. A fine below the minimum or above the maximum of the applicable legal range,
    and a 按日连续处罚 that is not the original fine per day.

    Range (``audit.facts.fine_range``, the catalogue's provisions): one range per item matched
    to a catalogue code, else per article cited in 处罚依据. Which range of the article: the
    base range (责令限期改正，处…), or the 逾期未改正 / 拒不执行 range when the row is that
    escalation for the item (``Facts.rows.escalated``: a 复查 row finding it unrectified, the
    texts saying 逾期未改正 / 拒不…, or 停产停业整顿 under an article where it exists only as the
    escalation, e.g. 第九十七条: 十万元以上二十万元以下), or both at once when the ledger does not
    say. allowed = [lower, sum of maximums] (a row with several items may sum per-item fines);
    lower (``fines.lower_bound``) = the smallest minimum of the items the cited articles
    penalise (of all items when it cites none of them) by default, or the largest
    (``every_item``). Unknown maximum (unmatched item, V28) -> only the minimum is checked. A
    row that also fines a person (一案双罚 written) may add the persons' maximum.

    按日连续处罚 (安全生产法第一百一十二条; ``audit.facts.daily_penalty_checks``): the fine must be
    the original fine × the days written, or a whole multiple of it when no days are written;
    one without an earlier fine of the enterprise in the data is not judged (a note says so).
    """
    out = []
    lower = ctx.config["fines"]["lower_bound"]
    rows = ctx.facts.period_rows
    for rid, row in rows[rows["fine"] > 0].iterrows():  # check_fine: nothing to check without a fine
        chk = check_fine(row, lower)
        if chk is None or chk.range is None or chk.within is not False:
            continue
        fr = chk.range
        shown_high = "未知" if fr.high is None else fmt(fr.high)
        out.append(finding(
            ctx, "fine_out_of_range", unit=row["unit"], enterprise=row["enterprise"],
            message=(f"罚款 {fmt(row['fine'])} 万元{'低于' if chk.below else '高于'}法定幅度"
                     f"［{fmt(fr.low)}，{shown_high}］万元（{_range_text(fr)}）"),
            evidence=[rid],
            details={"fine_wan": float(row["fine"]), "low_wan": fr.low, "high_wan": chk.high_used,
                     "codes": list(fr.codes), "states": list(fr.states), "range_from": fr.basis,
                     "side": "below" if chk.below else "above", "escalated": bool(fr.escalated),
                     "case_no": row["case_no"]},
        ))
    daily = daily_penalty_checks(ctx.facts)
    unjudged = []
    for rec in daily.itertuples(index=False):
        if rec.ok is None:
            unjudged.append(rec.row_id)
            continue
        if rec.ok:
            continue
        row = rows.loc[rec.row_id]
        should = (f"应为原处罚数额 {fmt(rec.original_fine)} 万元 × {rec.days} 日 = {fmt(rec.expected)} 万元"
                  if rec.days else f"不是原处罚数额 {fmt(rec.original_fine)} 万元的整数倍")
        out.append(finding(
            ctx, "fine_out_of_range", unit=rec.unit, enterprise=rec.enterprise,
            message=(f"按日连续处罚罚款 {fmt(rec.fine)} 万元，{should}"
                     "（安全生产法第一百一十二条：按照原处罚数额按日连续处罚）"),
            evidence=[rec.row_id, rec.original_row],
            details={"fine_wan": rec.fine, "daily": True, "original_row": rec.original_row,
                     "original_fine_wan": rec.original_fine, "days": rec.days, "expected_wan": rec.expected,
                     "side": "daily", "case_no": row["case_no"]},
        ))
    if unjudged:
        ctx.notes.append(f"按日连续处罚 {len(unjudged)} 行未见该企业此前的罚款记录（或其金额无法识别），"
                         "未核对其金额（第一百一十二条以“受到罚款处罚”为前提）：" + "、".join(unjudged))
    return out


_ANY_ARTICLE = re.compile(r"(?:《[^》]{2,40}》|[法例定则法]\s*)第[一二三四五六七八九十百零〇\d]+条")


def cites_article(text: str | None) -> bool:
    """True when a 处罚依据 text names an article: of the three laws of the catalogue, or of
    any 《法律法规》 (e.g. 《烟花爆竹安全管理条例》第三十六条)."""
    return bool(text) and (bool(penalty_articles(text)) or bool(_ANY_ARTICLE.search(text)))


def check_case_basis_missing(ctx: Context) -> list[dict]:
    """Rule 10b. A case (立案案号) of the period with no legal basis, or one we cannot read.

    行政处罚法第五十九条: the decision (行政处罚决定书) states 行政处罚的种类和依据; the ledger's
    处罚依据 is where the unit records it. Per distinct case number: all its rows (up to the
    period end) have a blank 处罚依据 ->
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

    (一) 存在重大事故隐患，一百八十日内三次或者一年内四次受到本法规定的行政处罚: penalties are
    ledger rows up to the period end, dated within ``long_window_days`` before it, with a
    重大事故隐患 item and a case or a fine (one per case number, else per row). Met:
    ``short_count`` (3) penalties with the last at most ``short_window_days`` (180) days after
    the first, or ``long_count`` (4) within ``long_window_days`` (365).
    (四) 拒不执行负有安全生产监督管理职责的部门作出的停产停业整顿决定: a row dated within
    ``long_window_days`` before the period end whose texts say the enterprise refused or
    broke an order to 停产停业整顿 (``patterns.suspension_refused``: 拒不执行停产停业整顿决定,
    停产整顿期间擅自恢复生产 …; not when denied, “未擅自恢复生产”), after an order to 停产停业整顿
    recorded on a row of the enterprise dated on or before it (its 其他查处), or named in
    the refusal text itself.
    One row per enterprise: enterprise, unit, rows (evidence), dates, rule (the tests met, in
    words), tests (short: "180日内3次", "一年内4次", "拒不执行停产停业整顿决定"), items (["一"],
    ["四"] or both), requested (a row of the enterprise up to the period
    end mentions 提请关闭), request_rows.
    """
    cfg = ctx.config["closure"]
    rows = ctx.facts.rows
    cols = ["enterprise", "unit", "rows", "dates", "rule", "tests", "items", "requested", "request_rows"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    since = ctx.facts.end - pd.Timedelta(days=int(cfg["long_window_days"]))
    met: dict[str, dict] = {}
    pen = rows[rows["major"] & (rows["has_case"] | (rows["fine"] > 0)) & (rows["date"] > since)]
    pen = pen.assign(key=pen["case_no"].fillna(pd.Series(pen.index, index=pen.index)))
    pen = pen.sort_values("date").drop_duplicates("key")
    for ent, grp in pen.groupby("enterprise", sort=True):
        dates = list(grp["date"])
        test = None
        for i, d in enumerate(dates):
            # "180日内": the last penalty at most 180 days after the first (start day not counted)
            short = sum(1 for x in dates[i:] if (x - d).days <= int(cfg["short_window_days"]))
            long = sum(1 for x in dates[i:] if (x - d).days <= int(cfg["long_window_days"]))
            if short >= int(cfg["short_count"]):
                test = f"{cfg['short_window_days']}日内{short}次"
                break
            if long >= int(cfg["long_count"]):
                test = f"一年内{long}次"
        if test is not None:
            met[ent] = {"unit": grp["unit"].iloc[-1], "rows": list(grp.index), "dates": [_date(d) for d in dates],
                        "rule": [f"存在重大事故隐患，{test}受到行政处罚（{'、'.join(_date(d) for d in dates)}）"],
                        "tests": [test], "items": ["一"]}
    refused = rows[rows["suspension_refused"] & (rows["date"] > since)].sort_values("date", kind="stable")
    for rid, row in refused.iterrows():
        mine = ctx.facts.enterprise_rows(row["enterprise"])
        orders = mine[mine["suspension_order"] & (mine["date"] <= row["date"]) & (mine.index != rid)]
        named = bool(SUSPENSION_ORDER.search(_all_text(row)))
        if orders.empty and not named:
            continue
        entry = met.setdefault(row["enterprise"], {"unit": row["unit"], "rows": [], "dates": [], "rule": [],
                                                   "tests": [], "items": []})
        if "四" in entry["items"]:
            continue
        order_text = (f"{_date(orders['date'].iloc[-1])}责令停产停业整顿后" if len(orders) else "")
        entry["rows"] += [r for r in [*orders.index[-1:], rid] if r not in entry["rows"]]
        entry["dates"].append(_date(row["date"]))
        entry["rule"].append(f"{order_text}{_date(row['date'])}拒不执行停产停业整顿决定")
        entry["tests"].append("拒不执行停产停业整顿决定")
        entry["items"].append("四")
    out = []
    for ent in sorted(met):
        e = met[ent]
        asks = ctx.facts.enterprise_positions(ent)
        asks = asks[ctx.facts.row_values["closure"][asks]]
        out.append({"enterprise": ent, "unit": e["unit"], "rows": e["rows"], "dates": e["dates"],
                    "rule": "；".join(e["rule"]), "tests": "；".join(e["tests"]), "items": e["items"],
                    "requested": len(asks) > 0,
                    "request_rows": ctx.facts.row_values["row_id"][asks].tolist()})
    return pd.DataFrame(out, columns=cols)


def _all_text(row) -> str:
    return "；".join(t for t in (row["other_handling"], row["legal_basis"], row["remarks"]) if isinstance(t, str))


def check_closure_due(ctx: Context) -> list[dict]:
    """Rule 11. 提请关闭: report every enterprise meeting 第一百一十三条 (一) or (四)
    (``closure_candidates``), and whether closure was requested (高 if not requested, 低 if it was)."""
    out = []
    for rec in closure_candidates(ctx).itertuples(index=False):
        state = "已提请关闭" if rec.requested else "未见提请关闭记录"
        items = "、".join(f"第（{i}）项" for i in rec.items)
        out.append(finding(
            ctx, "closure_due", unit=rec.unit, enterprise=rec.enterprise,
            severity="低" if rec.requested else "高",
            message=f"{rec.enterprise}{rec.rule}，符合安全生产法第一百一十三条{items}提请关闭情形；{state}",
            evidence=list(rec.rows) + [r for r in rec.request_rows if r not in rec.rows],
            details={"penalty_dates": list(rec.dates), "test": rec.tests, "items": list(rec.items),
                     "requested": bool(rec.requested)},
        ))
    return out


# ------------------------------------------------------------------ rule 12
def single_code_fines(ctx: Context) -> pd.DataFrame:
    """Period rows with a fine whose items all match one and the same catalogue code."""
    rows = ctx.facts.period_rows
    recs = []
    for rid, row in rows[rows["fine"] > 0].iterrows():
        codes = row["codes"]
        if codes and None not in codes and len(set(codes)) == 1 and not row["daily_penalty"]:
            recs.append({"row_id": rid, "unit": row["unit"], "code": codes[0], "fine": float(row["fine"])})
    return pd.DataFrame(recs, columns=["row_id", "unit", "code", "fine"])


def check_fine_disparity(ctx: Context) -> list[dict]:
    """Rule 12. 同案不同罚: for one violation code, a unit's median fine far from the town's.

    Only rows whose items all match a single code (so the fine belongs to that violation),
    without 按日连续处罚. Per code with at least ``min_rows`` (3) such rows from at least
    ``min_units`` (2) units: town median of all its fines; a unit whose median fine is above
    ``ratio`` (3) × the town median or below town median ÷ ratio is named. The spread table
    (per code: n, units, min, max, town median, unit medians) is kept as ``tables['fine_spread']``.
    """
    cfg = ctx.config["fine_disparity"]
    ratio, min_rows, min_units = float(cfg["ratio"]), int(cfg["min_rows"]), int(cfg["min_units"])
    fines = single_code_fines(ctx)
    spread, out = [], []
    for code, grp in fines.groupby("code", sort=True):
        medians = grp.groupby("unit")["fine"].median()
        town = float(grp["fine"].median())
        spread.append({"code": code, "violation": _short(code), "rows": len(grp), "units": len(medians),
                       "min_wan": float(grp["fine"].min()), "max_wan": float(grp["fine"].max()),
                       "town_median_wan": town, "unit_medians": {u: float(m) for u, m in medians.items()}})
        if len(grp) < min_rows or len(medians) < min_units or town <= 0:
            continue
        for unit, med in medians.items():
            high, low = med > ratio * town + 1e-9, med < town / ratio - 1e-9
            if not (high or low):
                continue
            mine = grp[grp["unit"] == unit]
            out.append(finding(
                ctx, "fine_disparity", unit=unit, enterprise=None,
                message=(f"「{_short(code)}」本单位罚款中位数 {fmt(med)} 万元，"
                         f"{'高于' if high else '低于'}全镇中位数 {fmt(town)} 万元的"
                         f"{f'{ratio:g}倍' if high else f'1/{ratio:g}'}"
                         f"（全镇 {len(grp)} 起，{fmt(grp['fine'].min())}–{fmt(grp['fine'].max())} 万元）"),
                evidence=list(mine["row_id"]),
                details={"code": code, "unit_median_wan": float(med), "town_median_wan": town,
                         "town_min_wan": float(grp["fine"].min()), "town_max_wan": float(grp["fine"].max()),
                         "rows": len(grp), "unit_rows": len(mine)},
            ))
    ctx.tables["fine_spread"] = pd.DataFrame(
        spread, columns=["code", "violation", "rows", "units", "min_wan", "max_wan", "town_median_wan",
                         "unit_medians"])
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
