"""Counts read out of the free-text 其他查处(或移送)情况 column of 附件1, and the 简易程序.

The 简易程序 part (end of the module, ``summary_procedure``, ``is_summary_fine``) says whether
a row records a fine decided on the spot (行政处罚法第五十一条) that needs no 立案案号: intake's
fine_without_case, the audit's rule 7 and the sample's manifest all ask it.

Units write what else they did besides a fine in their own words: "责令停产整顿",
"移送公安机关2人", "纳入失信黑名单；暂扣安全生产许可证". This module turns such text
into counts for the seven 附件2 columns that have no column of their own in 附件1.

The vocabulary is data (``HANDLING_TERMS``): a regular expression per metric, the
unit of measure it counts in, and examples (the examples are tested). To recognise
a new phrasing, add a pattern or an example here; docs/metrics.md lists the table.

How a text is read (``parse_handling``):

1. The text is split into clauses at ，,；;。、 line breaks and the joiners 并 / 同时 /
   以及, so a number belongs to the action written next to it.
2. The terms are tried in the order of ``HANDLING_TERMS`` (specific before generic:
   移送公安 before the generic 移送…部门). A match is blanked out of the clause, so a
   later, more generic term cannot count the same words again.
3. A match preceded by a negation (未, 不, 无, 无需, 暂不, 不予, 免予, 拟) is not counted:
   "未移送" and "拟提请关闭" are not actions taken.
4. Count: the first "number + unit" after the match in the same clause, else the last one
   before it (``2人``, ``两名``, ``3件``, ``1起``); units must fit the metric (人/名 for
   people, 件/本/张/个/份 for certificates, 起/件/宗 for referrals). No number -> 1.
   A metric counts at most once per clause, so "移送司法机关追究刑事责任" is one referral.
5. The 家 metrics (停产停业整顿, 提请关闭, 黑名单, 联合惩戒) count enterprises: the
   metrics module counts each enterprise once per scope, whatever number is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from evalkit.core.forms import FIGURES


@dataclass(frozen=True)
class HandlingTerm:
    """One phrasing family: ``pattern`` (regex) -> ``metric``, counted in ``unit``.

    ``count_units`` are the measure words accepted after a number (empty: the metric
    counts enterprises, numbers are ignored). ``examples`` map a text to the count this
    term alone must read from it; tests/test_handling.py checks every one.
    """

    metric: str
    unit: str
    pattern: str
    count_units: str
    examples: tuple[tuple[str, int], ...]


# Targets that make a 移送 a criminal referral rather than a referral to another department.
_JUDICIAL = r"(?:公安|司法|检察|法院|派出所|刑侦)"
_REFER = r"(?:移送|移交|送交|转交|转送|抄告|抄送|函告)"

#: Tried in this order; specific phrasings first.
HANDLING_TERMS: tuple[HandlingTerm, ...] = (
    HandlingTerm(
        "criminal_referrals", "人",
        rf"{_REFER}?(?:司法机关|公安机关)?追究(?:其)?刑事责任|{_REFER}(?:至|到|给)?[^□]{{0,8}}?{_JUDICIAL}"
        r"|刑事(?:拘留|立案)|刑拘",
        "人名",
        (("移送公安机关2人", 2), ("移送公安机关", 1), ("移送司法机关追究刑事责任", 1),
         ("移交蚶江派出所处理两名", 2), ("移送追究刑事责任3人", 3), ("对2名责任人移送公安机关", 2),
         ("刑事拘留1人", 1)),
    ),
    HandlingTerm(
        "referred_other", "起",
        rf"{_REFER}(?:至|到|给)?(?:[^□]{{0,12}}?(?:局|部门|所|队|委|办|站|机关|单位|政府|中心|纪委|监委))?",
        "起件宗",
        (("移送市场监管局", 1), ("移交住建部门", 1), ("移送镇综合执法队2起", 2),
         ("移交纪检监察机关", 1), ("抄告消防救援站", 1), ("已移送", 1)),
    ),
    HandlingTerm(
        "closure_requested", "家",
        r"提请[^□]{0,10}?关闭|关闭取缔|予以关闭|依法关闭|责令关闭|取缔",
        "",
        (("提请关闭", 1), ("提请镇政府予以关闭", 1), ("依法关闭取缔", 1), ("取缔", 1)),
    ),
    HandlingTerm(
        "suspended", "家",
        r"(?:责令)?(?:停产停业|停产|停业|停工|停止施工|停止生产|停止营业)(?:整顿|整改|停业|停产)?",
        "",
        (("责令停产整顿", 1), ("责令停产停业整顿", 1), ("停业整顿", 1), ("责令停止施工", 1),
         ("停工整改", 1)),
    ),
    HandlingTerm(
        "licenses_suspended", "件",
        r"(?:暂扣|吊销|撤销|注销)[^□]{0,12}?(?:证|执照|资质)",
        "件本张个份",
        (("暂扣安全生产许可证", 1), ("吊销营业执照", 1), ("暂扣特种作业操作证2本", 2),
         ("暂扣有关证件3件", 3), ("暂扣道路运输证", 1)),
    ),
    HandlingTerm(
        "joint_punishment", "家",
        r"(?:失信)?联合(?:失信)?惩戒",
        "",
        (("联合惩戒", 1), ("实施联合惩戒", 1), ("纳入失信联合惩戒对象", 1)),
    ),
    HandlingTerm(
        "blacklisted", "家",
        r"黑名单|(?:严重)?失信(?:主体)?名单",
        "",
        (("纳入失信黑名单", 1), ("列入黑名单", 1), ("纳入严重失信主体名单", 1)),
    ),
)

#: Metric id -> unit of measure of the metrics the vocabulary reads, in 附件2 column order.
#: Derived from ``HANDLING_TERMS``; the metrics registry (``MetricDef.handling``) checks that
#: each metric it reads from this text is here with the same unit.
HANDLING_METRICS: dict[str, str] = {
    c.key: c.unit for c in FIGURES.columns if c.key in {t.metric for t in HANDLING_TERMS}}

# Just before a term: it was not done, or only proposed (建议移送, 待移送, 是否移送…).
_NEGATION = re.compile(r"(?:未|不|无|无需|暂不|不予|免予|拟|建议|应|应当|应予|待|准备|需|需要|是否)$")
# After a term, in its clause: it was tried and failed (移送石狮市公安局刑侦大队未果).
_FAILED = re.compile(r"(?:未果|未成功|被退回)")
_CLAUSE_SPLIT = re.compile(r"[，,；;。、\n\r]|并|同时|以及")
_NUM = r"(\d+|[一二两三四五六七八九十百]+)"
_BLANK = "□"  # replaces a consumed match; no pattern matches it
_SPACES = re.compile(r"\s+")
_COMPILED = tuple((t, re.compile(t.pattern)) for t in HANDLING_TERMS)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int:
    """Arabic digits or a small Chinese numeral (一 … 九十九, 百) as an int."""
    if text.isdigit():
        return int(text)
    if text == "百":
        return 100
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(text, 1)


def _count_near(clause: str, start: int, end: int, units: str) -> int:
    """The number written next to a match: first after it, else last before it; default 1."""
    if not units:
        return 1
    pattern = re.compile(_NUM + rf"\s*[{units}]")
    after = pattern.search(clause, end)
    if after:
        return _cn_number(after.group(1))
    before = pattern.findall(clause[:start])
    return _cn_number(before[-1]) if before else 1


def parse_handling(text: str | None) -> dict[str, int]:
    """Counts per handling metric read from one 其他查处(或移送)情况 cell.

    Returns only the metrics found, e.g. ``{"suspended": 1, "criminal_referrals": 2}``
    for "责令停产整顿；移送公安机关2人". Blank, None, NaN or "无" gives ``{}``.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return {}
    return dict(_parse_cached(str(text)))


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> tuple[tuple[str, int], ...]:
    # Cached: a column holds few distinct texts. A tuple so callers cannot alter the cache.
    counts: dict[str, int] = {}
    for clause in _CLAUSE_SPLIT.split(str(text)):
        clause = clause.strip()
        if not clause:
            continue
        for term, regex in _COMPILED:
            found = None
            for match in regex.finditer(clause):
                if _NEGATION.search(clause[: match.start()]) or _FAILED.search(clause, match.end()):
                    continue
                found = match
                break
            if found is None:
                continue
            # Blank out every match of this term so later, more generic terms skip the words.
            blanked = regex.sub(lambda m: _BLANK * len(m.group(0)), clause)
            counts[term.metric] = counts.get(term.metric, 0) + _count_near(
                clause, found.start(), found.end(), term.count_units)
            clause = blanked
    return tuple(counts.items())


def criminal_referrals(other, remarks) -> int:
    """People referred for criminal liability (移送公安/司法机关, 追究刑事责任) on one ledger row: as its
    其他查处(或移送)情况 says, else as its 备注 says (a referral written in the wrong column is as
    done). The one reading the audit's 以罚代刑 (rule 6) and the metric criminal_referrals share."""
    n = parse_handling(other).get("criminal_referrals", 0)
    return n if n else parse_handling(remarks).get("criminal_referrals", 0)


def handling_counts(texts: pd.Series) -> pd.DataFrame:
    """One row per cell of ``texts``, one int column per ``HANDLING_METRICS`` id.

    Vectorised: each distinct text is parsed once, then the rows are gathered by code.
    """
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    table = np.zeros((len(uniques) + 1, len(HANDLING_METRICS)), dtype=np.int64)
    metric_pos = {m: i for i, m in enumerate(HANDLING_METRICS)}
    for k, text in enumerate(uniques):
        for metric, n in parse_handling(str(text)).items():
            table[k, metric_pos[metric]] = n
    # NaN/None cells have code -1 -> the last, all-zero row.
    rows = table[np.where(codes < 0, len(uniques), codes)]
    return pd.DataFrame(rows, index=texts.index, columns=list(HANDLING_METRICS))


# --------------------------------------------------------------------------- 简易程序
# 行政处罚法第五十一条: a fact that is clear, with a legal basis, may be fined on the spot by the
# 简易程序 (当场作出行政处罚决定) without filing a case, when the fine is at most 200 元 on a
# citizen or 3,000 元 on a legal person or other organisation. Such a fine needs no 立案案号.

#: The words that record a fine as decided by the 简易程序, looked for in 其他查处(或移送)情况,
#: 处罚依据 and 备注 (compared after ``cells.norm``). docs/intake.md lists them; each is tested.
SUMMARY_PROCEDURE_TERMS: tuple[str, ...] = (
    "简易程序", "当场处罚", "当场罚款", "当场作出行政处罚决定", "当场作出处罚决定", "当场行政处罚决定书",
)
#: The words that put the fine on a citizen (a natural person) rather than the enterprise. When
#: the text says none of them, the fine is taken to fall on an organisation (the larger limit).
PERSON_TERMS: tuple[str, ...] = ("对公民", "公民个人", "对个人", "自然人", "对车主", "对驾驶员", "对驾驶人")
#: The most a 简易程序 fine may be, in 万元: 3,000 元 on an organisation, 200 元 on a citizen.
SUMMARY_FINE_LIMIT_WAN: dict[str, float] = {"organisation": 0.3, "person": 0.02}
#: A term preceded by one of these is not recorded as done: "不适用简易程序", "未当场处罚".
_SUMMARY_NEGATION = re.compile(r"(?:不适用|不得适用|不能适用|未按|不按|未|不|非|无)$")
_SUMMARY_KEYS = tuple(unicodedata.normalize("NFKC", t) for t in SUMMARY_PROCEDURE_TERMS)
_PERSON_KEYS = tuple(unicodedata.normalize("NFKC", t) for t in PERSON_TERMS)


@dataclass(frozen=True)
class SummaryProcedure:
    """A row recorded as a 简易程序 fine: the ``term`` found, whether the text puts the fine on a
    citizen (``on_person``) and so the ``limit_wan`` the law allows without a case."""

    term: str
    on_person: bool

    @property
    def limit_wan(self) -> float:
        return SUMMARY_FINE_LIMIT_WAN["person" if self.on_person else "organisation"]

    def allows(self, fine_wan) -> bool:
        """True for a fine (万元) the 简易程序 allows: above 0 and at most ``limit_wan``."""
        return fine_wan is not None and not pd.isna(fine_wan) and 0 < float(fine_wan) <= self.limit_wan + 1e-9

    @property
    def limit_text(self) -> str:
        """“对单位 3000 元（0.3 万元）以下” or “对公民 200 元（0.02 万元）以下”."""
        who = "对公民" if self.on_person else "对单位"
        return f"{who} {round(self.limit_wan * 10_000)} 元（{self.limit_wan:g} 万元）以下"


def _found(text: str, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        start = text.find(key)
        while start >= 0:
            if not _SUMMARY_NEGATION.search(text[:start]):
                return key
            start = text.find(key, start + 1)
    return None


def summary_procedure(*texts) -> SummaryProcedure | None:
    """The 简易程序 record of a row from its 其他查处(或移送)情况, 处罚依据 and 备注 texts, or None
    when none of ``SUMMARY_PROCEDURE_TERMS`` appears (a negated one, "不适用简易程序", does not
    count). ``on_person`` when a ``PERSON_TERMS`` word appears in the same texts."""
    text = _joined(texts)
    if not text:
        return None
    term = _found(text, _SUMMARY_KEYS)
    if term is None:
        return None
    return SummaryProcedure(term, fines_a_person(text))


#: Words that put a fine on the enterprise: with one of them, a fine is not a citizen's alone.
ORGANISATION_TERMS: tuple[str, ...] = ("对单位", "对企业", "对公司", "对该单位", "对该企业", "对该公司",
                                      "对生产经营单位")
_ORGANISATION_KEYS = tuple(unicodedata.normalize("NFKC", t) for t in ORGANISATION_TERMS)


def _joined(texts) -> str:
    return "；".join(_SPACES.sub("", unicodedata.normalize("NFKC", str(t)))
                    for t in texts if isinstance(t, str) and t.strip())


def fines_a_person(*texts) -> bool:
    """True when the texts (其他查处, 处罚依据, 备注) put the fine on a citizen: a ``PERSON_TERMS``
    word (对个人, 对车主 …), not negated (the 简易程序's 200 元 limit)."""
    text = _joined(texts)
    return bool(text) and _found(text, _PERSON_KEYS) is not None


def fines_only_a_person(*texts) -> bool:
    """``fines_a_person``, and no ``ORGANISATION_TERMS`` word (对单位罚款…，对个人罚款… fines both)."""
    return fines_a_person(*texts) and _found(_joined(texts), _ORGANISATION_KEYS) is None


def is_summary_fine(fine_wan, case_no, *texts) -> bool:
    """True for a fine without a 立案案号 that the 简易程序 allows (行政处罚法第五十一条): recorded
    as such in ``texts`` (其他查处, 处罚依据, 备注) and within its limit. Intake does not warn
    fine_without_case for it, and the audit counts it as a penalty, not 以整改代替处罚."""
    if isinstance(case_no, str) and case_no.strip():
        return False
    procedure = summary_procedure(*texts)
    return procedure is not None and procedure.allows(fine_wan)
