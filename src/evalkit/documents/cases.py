"""典型案例: “……将上季度活动开展情况及典型案例”, each case as 【案例名称】【关键词】
【基本案情】【处理结果】【典型意义】.

The cases are the typical-cases report's (``assess.cases.case_candidates`` ranked by its
criteria; ``report.sections.case_writeup`` writes the five parts): the top positive cases
(正面典型) as 典型案例, then, as 反面典型 for internal warning, the cases the audit found fault
with (以罚代刑, a fine outside the legal range), whose 【典型意义】 says what was wrong.

Personal data: no 执法人员 is named (the text says “执法人员”), and the ledger's free text is
passed through ``export.personal_data.scrub`` (phone and ID numbers, e-mail, persons' names
as 张某). Enterprise names and case numbers stay: the document is internal and goes up the
chain, where the case has to be found.
"""

from __future__ import annotations

import re

from evalkit.documents.common import (
    Scope,
    candidates,
    clean,
    cn_number,
    date_text,
    due_date,
    known_persons,
    quarter_name,
)
from evalkit.documents.gongwen import Gongwen
from evalkit.report import sections

#: How many cases of each standing a document writes up (the notebook's default ``top``).
TOP_POSITIVE, TOP_NEGATIVE = 3, 2
PARTS = ("案例名称", "关键词", "基本案情", "处理结果", "典型意义")
_RULE_ID = re.compile(r"（核查规则\s*[a-z_]+）")


def cases_title(scope: Scope) -> str:
    return f"{scope.who}{quarter_name(scope.period)}\n安全生产执法典型案例"


def chosen_cases(scope: Scope, top_positive: int = TOP_POSITIVE, top_negative: int = TOP_NEGATIVE):
    """(positive, negative) candidates of the period (of the unit, for a unit's document)."""
    cands = candidates(scope.ds, scope.period)
    if scope.unit and len(cands):
        cands = cands[cands["unit"] == scope.unit]
    return (sections.positive_candidates(cands).head(top_positive),
            sections.negative_candidates(cands).head(top_negative))


def writeup(scope: Scope, case: dict, names: list[str]) -> dict[str, str]:
    """The five parts of one case, personal data removed; a 反面典型's 典型意义 says what the
    audit found (without its rule ids)."""
    parts = {k: clean(v, names) for k, v in sections.case_writeup(scope.ds, case).items()}
    warnings = [_RULE_ID.sub("", w).strip() for w in case.get("warnings") or []]
    if warnings:
        parts["典型意义"] = ("反面警示：" + "；".join(warnings) + "。该案暴露出执法中失之于宽、失之于软的问题，"
                         "须举一反三，依法纠正（方案四（一））。")
    return parts


def write_cases(scope: Scope, path) -> int:
    """The period's 典型案例 as a 公文 at ``path``; returns the number of cases written."""
    positive, negative = chosen_cases(scope)
    names = known_persons(scope.ds)
    g = Gongwen()
    g.title(cases_title(scope))
    g.addressee(scope.addressee)
    total = len(positive) + len(negative)
    g.para(f"根据{scope.plan_reference}要求，现将{scope.we}{scope.period.label}安全生产执法典型案例报送如下。"
           + ("案例由执法检查台账整理，已逐案核对。" if total else ""))
    n = 0
    if len(positive) == 0:
        g.para("本期没有可作为典型案例的案件。")
    for case in positive.to_dict("records"):
        n += 1
        parts = writeup(scope, case, names)
        g.h1(f"{cn_number(n)}、{parts['案例名称']}")
        for label in PARTS:
            g.labelled(label, parts[label])
    if len(negative):
        n += 1
        g.h1(f"{cn_number(n)}、反面典型（核查发现问题的案件）")
        for m, case in enumerate(negative.to_dict("records"), 1):
            parts = writeup(scope, case, names)
            g.h2(f"（{cn_number(m)}）{parts['案例名称']}")
            for label in PARTS:
                g.labelled(label, parts[label])
    g.signature(scope.issuer, date_text(due_date(scope.period)))
    g.save(path)
    return total
