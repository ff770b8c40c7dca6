"""Audit rules 6–12: how violations were handled (移送, 立案, 从重, 整改, 罚款, 关闭).

Each ``check_<id>(ctx)`` returns findings (see ``evalkit.audit.rules.finding``). The
derived facts (codes, handling flags, fine ranges) come from ``evalkit.audit.facts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from evalkit._text import severity_rank
from evalkit.audit.facts import (
    AFTER,
    EITHER,
    SUSPENSION_ORDER,
    affirmed,
    check_fine,
    daily_penalty_checks,
    referral_due,
    repeat_offences,
)
from evalkit.audit.rules import Context, finding, fmt
from evalkit.core.catalogue import citations, cited_codes, load_catalogue, penalty_articles, provision
from evalkit.intake.cells import DEADLINE_ASSUMED, DEADLINE_RELATIVE, DEADLINE_WRITTEN, rectified_on_the_spot
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
    报警设备, V28 非法从事高危作业: always; V20: only a 重大事故隐患 whose order to correct the
    ledger says was refused, 拒不…; a missed deadline alone is not 拒不执行, ``facts.referral_due``).
    Referred: 其他查处 or 备注 of this row, or of a later row of the same enterprise up to the
    period end, names a criminal referral (移送公安/司法机关, 追究刑事责任; read by
    ``evalkit.intake.handling``). Severity 高; a 一票否决 condition in scoring.
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
    ``overdue.grace_days`` and ``overdue.assumed_days``): not rectified on the row, not
    closed by a 复查 dated on or before the period end (whatever month it was submitted
    in), and deadline + grace_days before the period end (the deadline day itself is not
    overdue).
    """
    it = ctx.facts.items
    if it.empty:
        return it
    return it[it["counts_as_hazard"].astype(bool) & (it["hazard_status"] == OVERDUE)]


#: What rule 9 accepts as the overdue item's escalation (``Facts.rows`` flags, with their
#: words). Measures on the enterprise (停产停业整顿, 从重处罚, 按日连续处罚, 提请关闭, a
#: criminal referral) count on the row that found the item or any later row of the
#: enterprise up to the period end; a case or a referral to another department is about
#: the matters of its row, so it counts on the item's own row or on a later row that
#: restates the item (its 复查).
ENTERPRISE_ESCALATIONS = (("suspended", "责令停产停业整顿"), ("heavier", "从重处罚"),
                          ("daily_penalty", "按日连续处罚"), ("closure", "提请关闭"), ("referral", "移送司法机关"))
ITEM_ESCALATIONS = (("has_case", "立案查处"), ("referred_other", "移送有关部门"))
#: The escalations named in a finding's message (what was looked for and not seen).
_NOT_SEEN = "停产停业整顿、从重处罚、立案、按日连续处罚、提请关闭、移送或提高罚款"


def _hazard_key(text) -> str:
    return str(text).strip().rstrip("。.;；")


def _escalations(ctx: Context, row_id: str, restating: set[str]) -> tuple[list[str], list[str]]:
    """(ways, later row ids) for an overdue item on ``row_id``: how the enterprise's handling
    was escalated on that row or a later one (dated on or after it, up to the period end).

    Ways: an ``ENTERPRISE_ESCALATIONS`` flag on any of these rows; an ``ITEM_ESCALATIONS``
    flag on the item's row or on a later row in ``restating`` (rows that restate the item);
    a later row's fine above the item's row's fine; or an unreadable fine that could be one
    (a later row's fine unknown, or the item's own fine unknown and a later row fined): not
    comparable, so not "not heavier". Empty: not escalated.
    """
    v, at = ctx.facts.row_values, ctx.facts.row_positions
    own = at[row_id]
    mine = ctx.facts.enterprise_positions(v["enterprise"][own])
    end = ctx.facts.end.to_datetime64()
    later = mine[(v["date"][mine] >= v["date"][own]) & (v["date"][mine] <= end) & (mine != own)]
    rows = np.concatenate([[own], later]).astype(np.intp)
    about = np.array([own] + [i for i in later if v["row_id"][i] in restating], dtype=np.intp)
    ways = [name for flag, name in ENTERPRISE_ESCALATIONS if v[flag][rows].any()]
    ways += [name for flag, name in ITEM_ESCALATIONS if v[flag][about].any()]
    if (v["fine"][later] > v["fine"][own] + 1e-9).any():
        ways.append("罚款提高")
    if (v["fine_unknown"][later] | (bool(v["fine_unknown"][own]) & (v["fine"][later] > 0))).any():
        ways.append("罚款金额无法识别，无法比较")
    return ways, v["row_id"][later].tolist()


def deadline_phrase(deadline: str, basis: str | None, assumed_days: int | None, inspected: str) -> str:
    """How a finding states the deadline: written, counted from a written period, or assumed."""
    if basis == DEADLINE_ASSUMED:
        return f"台账未写整改期限，按检查（{inspected}）后{assumed_days}日推定为{deadline}"
    if basis == DEADLINE_RELATIVE:
        return f"整改期限{deadline}（台账写明的期间，自检查日{inspected}起算）"
    if basis == DEADLINE_WRITTEN:
        return f"整改期限{deadline}（台账写明）"
    return f"整改期限{deadline}"


def check_overdue_not_escalated(ctx: Context) -> list[dict]:
    """Rule 9. An item past its deadline, not rectified by the period end, and not escalated.

    Items (``overdue_items``): new hazards of rows submitted up to the period end, neither
    rectified on their row nor closed by a 复查 dated on or before the period end (whatever
    month it was submitted in), whose deadline + ``overdue.grace_days`` (default 0) is
    before the period end. The deadline is the item's (``intake.cells.deadline_with_basis``):
    a date written in the text ("限7月20日前", "限期至2024年7月20日"; that day is the last day
    allowed), a period written from the inspection ("7日内整改"), or, where none is written,
    the inspection + ``overdue.assumed_days`` (30), and the message says it was assumed.
    Days overdue = period end − deadline (the deadline day is not overdue; the next day is 1).

    Escalated (``_escalations``; no finding): the row that found the item, or a later row of
    the enterprise up to the period end, records 责令停产停业整顿, 从重处罚, 按日连续处罚,
    提请关闭 or a criminal referral; or the item's row, or a later row restating the item
    (its 复查), has a case (立案案号: the order to correct is then part of the penalty
    procedure, 行政处罚法第二十八条, and its decision is not in the ledger) or a referral to
    another department (移送…: the matter is that department's); or a later row fines more
    than the item's row (an unreadable fine: not comparable, no finding). Every overdue item
    with its handling is in ``tables["overdue_items"]``.

    Severity: 高 for a 重大事故隐患; 低 when at most ``overdue.low_severity_days`` (7) days
    overdue (the deadline fell in the period's last days; overdue by law all the same);
    else 中. One finding per item (scoring counts findings); the reports group them per
    enterprise (``group_overdue``).
    """
    cfg = ctx.config["overdue"]
    grace, assumed, low_days = int(cfg["grace_days"]), int(cfg["assumed_days"]), int(cfg["low_severity_days"])
    late = overdue_items(ctx)
    v, at = ctx.facts.row_values, ctx.facts.row_positions
    end = ctx.facts.end
    it = ctx.facts.items
    rows_with: dict[tuple[str, str], set[str]] = {}  # (enterprise, hazard text) -> rows that state it
    if len(late):
        wanted = set(late["enterprise_name"])
        sel = it[it["enterprise_name"].isin(wanted)]
        for ent, hazard, rid in zip(sel["enterprise_name"], sel["hazard"], sel["row_id"], strict=True):
            rows_with.setdefault((ent, _hazard_key(hazard)), set()).add(rid)
    out, table = [], []
    for rec in late.sort_values(["unit", "enterprise_name", "deadline", "row_id", "item_no"]).itertuples(index=False):
        own = at[rec.row_id]
        restating = rows_with.get((rec.enterprise_name, _hazard_key(rec.hazard)), set()) - {rec.row_id}
        ways, later_rows = _escalations(ctx, rec.row_id, restating)
        days = int((end - rec.deadline).days)
        basis = rec.deadline_basis if isinstance(rec.deadline_basis, str) else None
        deadline, inspected = _date(rec.deadline), _date(rec.inspection_date)
        table.append({"unit": v["unit"][own], "enterprise": rec.enterprise_name, "hazard": rec.hazard,
                      "row_id": rec.row_id, "item_no": int(rec.item_no), "inspection_date": inspected,
                      "deadline": deadline, "deadline_basis": basis, "days_overdue": days,
                      "major": bool(rec.major), "escalation": "、".join(ways) or None})
        if ways:
            continue
        severity = "高" if rec.major else ("低" if days <= low_days else "中")
        waited = f"（已计入复查宽限{grace}日）" if grace else ""
        out.append(finding(
            ctx, "overdue_not_escalated", unit=v["unit"][own], enterprise=rec.enterprise_name,
            severity=severity,
            message=(f"「{rec.hazard}」{deadline_phrase(deadline, basis, assumed, inspected)}，"
                     f"截至期末（{_date(end)}）已逾期{days}天{waited}，未见整改完成或复查确认，"
                     f"也未见{_NOT_SEEN}"),
            evidence=[rec.row_id],
            details={"hazard": rec.hazard, "item_no": int(rec.item_no), "inspection_date": inspected,
                     "deadline": deadline, "deadline_basis": basis,
                     "assumed_days": assumed if basis == DEADLINE_ASSUMED else None,
                     "days_overdue": days, "grace_days": grace, "as_of": _date(end), "status": rec.status,
                     "major": bool(rec.major),
                     "later_rows": later_rows},
        ))
    ctx.tables["overdue_items"] = pd.DataFrame(table, columns=[
        "unit", "enterprise", "hazard", "row_id", "item_no", "inspection_date", "deadline", "deadline_basis",
        "days_overdue", "major", "escalation"])
    handled = sum(1 for r in table if r["escalation"])
    if handled:
        ctx.notes.append(f"逾期未整改的隐患 {len(table)} 项中，{handled} 项所在检查或其后检查已停产停业整顿、从重处罚、"
                         f"立案、按日连续处罚、提请关闭、移送或提高罚款，视为已加重处理，不列为问题"
                         f"（明细见 tables['overdue_items']）。")
    return out


def overdue_item_phrase(details: dict) -> str:
    """One overdue item in a grouped line: 「隐患」期限2024-06-10（台账写明），逾期20天."""
    basis = details.get("deadline_basis")
    how = {DEADLINE_ASSUMED: f"（未写期限，按检查后{details.get('assumed_days')}日推定）",
           DEADLINE_RELATIVE: "（按台账写明的期间起算）", DEADLINE_WRITTEN: "（台账写明）"}.get(basis, "")
    return f"「{details['hazard']}」期限{details['deadline']}{how}，逾期{details['days_overdue']}天"


def group_overdue(findings: pd.DataFrame) -> pd.DataFrame:
    """Rule 9's findings grouped per (unit, enterprise), for the reports; one row per group.

    Columns: unit, enterprise, findings (the index labels of its findings in ``findings``,
    in order), severity (the most severe), message (the item's own message for one item;
    for several, “N项隐患逾期未整改且未加重处理：①「…」期限…，逾期…天；②…”, longest overdue
    first), evidence (their evidence rows, once each). The findings themselves stay one per
    item (``--json``, scoring); a group only changes how they are shown.
    """
    cols = ["unit", "enterprise", "findings", "severity", "message", "evidence"]
    if findings is None or findings.empty:
        return pd.DataFrame(columns=cols)
    mine = findings[findings["rule"] == "overdue_not_escalated"]
    out = []
    for (unit, ent), grp in mine.groupby(["unit", "enterprise"], sort=False, dropna=False):
        order = sorted(grp.index, key=lambda i: (-int(grp.at[i, "details"].get("days_overdue", 0)), i))
        severity = min(grp["severity"], key=severity_rank)
        if len(order) == 1:
            message = grp.at[order[0], "message"]
        else:
            marks = "①②③④⑤⑥⑦⑧⑨⑩"
            parts = [f"{marks[k] if k < len(marks) else f'({k + 1})'}{overdue_item_phrase(grp.at[i, 'details'])}"
                     for k, i in enumerate(order)]
            as_of = grp.at[order[0], "details"].get("as_of")
            when = f"（{as_of}）" if as_of else ""
            message = (f"{len(order)}项隐患逾期未整改，截至期末{when}未见整改完成或复查确认，"
                       f"也未见{_NOT_SEEN}：" + "；".join(parts))
        evidence = list(dict.fromkeys(e for i in order for e in grp.at[i, "evidence"]))
        out.append({"unit": unit, "enterprise": ent, "findings": list(order), "severity": severity,
                    "message": message, "evidence": evidence})
    return pd.DataFrame(out, columns=cols)


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


def _escalated_by_suspension_only(row, chk, lower: str, refused: bool) -> bool:
    """A fine found below its 逾期未改正 range only because the row orders 停产停业整顿: not a 复查, no
    逾期未改正 / 拒不 written on the row or its items (``refused``), and within the article's base
    range. The row is inconsistent either way; the message says which fact would clear the fine,
    so the unit is not blamed for the wrong one."""
    if not (chk.below and chk.escalation and row["suspension_order"]) or row["after_text"] or row["is_recheck"]:
        return False
    if refused:
        return False
    base = check_fine({**row.to_dict(), "escalated": None, "suspension_order": False}, lower)
    return base is not None and base.within is True


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
    it = ctx.facts.items
    overdue_items = set()  # rows with an item that itself says 逾期未整改 / 拒不…: its own escalation
    if not it.empty:
        after = ctx.facts.patterns.after_deadline
        said = [bool(r) or (isinstance(t, str) and affirmed(after, t))
                for r, t in zip(it["refused"], it["rectification"], strict=True)]
        overdue_items = set(it.loc[np.array(said, dtype=bool), "row_id"])
    for rid, row in rows[rows["fine"] > 0].iterrows():  # check_fine: nothing to check without a fine
        chk = check_fine(row, lower)
        if chk is None or chk.range is None or chk.within is not False:
            continue
        fr = chk.range
        shown_high = "未知" if fr.high is None else fmt(fr.high)
        message = (f"罚款 {fmt(row['fine'])} 万元{'低于' if chk.below else '高于'}法定幅度"
                   f"［{fmt(fr.low)}，{shown_high}］万元（{_range_text(fr)}）")
        by_suspension = _escalated_by_suspension_only(row, chk, lower, rid in overdue_items)
        if by_suspension:
            message += ("；按逾期未改正后的幅度核对，只因本行责令停产停业整顿（该条中这是逾期未改正后的处罚），"
                        "而本行不是复查、也未写逾期未改正：若检查时尚未逾期，罚款在基本幅度内，需核查的是停产停业整顿的依据")
        out.append(finding(
            ctx, "fine_out_of_range", unit=row["unit"], enterprise=row["enterprise"],
            message=message,
            evidence=[rid],
            details={"fine_wan": float(row["fine"]), "low_wan": fr.low, "high_wan": chk.high_used,
                     "codes": list(fr.codes), "states": list(fr.states), "range_from": fr.basis,
                     "side": "below" if chk.below else "above", "escalated": bool(fr.escalated),
                     "case_no": row["case_no"], "escalated_by_suspension_only": by_suspension},
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
def under_work_safety_law(legal_basis: str | None, codes) -> bool:
    """Whether a row's penalty was imposed under 安全生产法 (第一百一十三条第（一）项 counts 受到本法规定的
    行政处罚 only): the penalty articles its 处罚依据 cites decide (``cited_codes``: a violated duty
    article, 违反《安全生产法》第四十二条, is no penalty article); with none cited, its items'
    catalogue penalty articles; with neither known, True (重大事故隐患 is 安全生产法's own term)."""
    cited = cited_codes(legal_basis)
    if not cited:  # a penalty article the catalogue has no code for still names its law
        laws = [c.article for c in citations(legal_basis) if c.article not in _duty_articles()]
        if laws:
            return any(a.startswith("安全生产法") for a in laws)
    known = [p.article for p in map(provision, cited or codes or ()) if p is not None]
    return not known or any(a.startswith("安全生产法") for a in known)


@lru_cache(maxsize=1)
def _duty_articles() -> frozenset[str]:
    """The catalogue's duty articles (安全生产法第四十二条 …): cited as 违反…, they name no penalty."""
    return frozenset(c.article for text in load_catalogue()["duty_article"] if isinstance(text, str)
                     for c in citations(text))


def closure_candidates(ctx: Context) -> pd.DataFrame:
    """Enterprises meeting 安全生产法第一百一十三条 as of the period end.

    (一) 存在重大事故隐患，一百八十日内三次或者一年内四次受到本法规定的行政处罚: penalties are
    ledger rows up to the period end, dated within ``long_window_days`` before it, with a
    重大事故隐患 item and a case or a fine (one per case number, else per row), imposed under
    本法, 安全生产法 (``under_work_safety_law``: a penalty under 消防法 or 特种设备安全法 is not one). Met:
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
    pen = pen[np.array([under_work_safety_law(b, c) for b, c in zip(pen["legal_basis"], pen["codes"], strict=True)],
                       dtype=bool)]
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
        elif rid in refused_rows or row["refusal_text"]:
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
