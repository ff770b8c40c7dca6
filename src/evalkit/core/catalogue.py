"""The violation catalogue: codes V01–V28 with duty and penalty articles and fine ranges.

Built from shared/reference/violations.csv (安全生产法 2021, 消防法, 特种设备安全法),
with four columns of our own: ``short`` (a short name for tables and charts),
``category`` (hazard category for charts), ``keywords`` (``|``-separated phrases that
identify the violation in free text) and ``major_hazard`` (是 = the violation can be a
重大事故隐患; a ledger item is treated as major when its text says 重大事故隐患).

The penalty article is modelled whole, as data (columns of violations.csv, amounts in 元):

``fine_min_yuan`` / ``fine_max_yuan``   the base range of the fined party (责令限期改正，处…罚款)
``fined_party``                         who that fine falls on: 单位 (the enterprise), or a person:
                                        主要负责人 (第九十四条, V22) or 其他负责人和安全生产管理人员
                                        (第九十六条, V23)
``after_trigger``                       逾期未改正 / 拒不执行: the article's escalation, blank if none
``after_min_yuan`` / ``after_max_yuan`` the fined party's range once triggered; blank = the article
                                        sets no new fine, the base range still applies (第一百零五条,
                                        第一百零二条: 停产停业整顿 and the persons' fine only)
``after_measure``                       the measure that comes with the escalation (责令停产停业整顿)
``suspension_means_after``              是 = under this article 停产停业整顿 exists only as the
                                        escalation, so a row ordering it is on the after range
                                        (第九十七条, 第一百零一条 …); 否 for 第九十九条 (情节严重的)
``persons_min_yuan`` / ``persons_max_yuan``              the fine of 直接负责的主管人员和其他直接
``persons_after_min_yuan`` / ``persons_after_max_yuan``  责任人员, base and after the trigger

``load_catalogue`` parses and validates them once (``validate_catalogue``; a broken packaged
file is an ``InternalError``) and adds the same amounts in 万元 (÷ 10,000): ``fine_min_wan``,
``after_max_wan``, ``persons_after_min_wan`` … ``provision(code)`` gives one entry as a
``Provision``. A minimum of 0 means no statutory minimum (“以下”); a missing range (V28,
第一百条: 依照危险物品安全管理的法律、行政法规) is NaN: unknown, not zero.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from evalkit.exceptions import InternalError

MAJOR_HAZARD_MARK = "重大事故隐患"

#: Who a catalogue fine falls on (``fined_party``): the enterprise, or one of two persons.
FINED_PARTIES = ("单位", "主要负责人", "其他负责人和安全生产管理人员")
#: The escalations an article provides (``after_trigger``).
AFTER_TRIGGERS = ("逾期未改正", "拒不执行")
#: The amount columns, in 元, as (min column, max column) pairs.
AMOUNT_PAIRS = (("fine_min_yuan", "fine_max_yuan"), ("after_min_yuan", "after_max_yuan"),
                ("persons_min_yuan", "persons_max_yuan"), ("persons_after_min_yuan", "persons_after_max_yuan"))
_YES_NO = ("是", "否")
_LAWS = ("安全生产法", "消防法", "特种设备安全法")


@dataclass(frozen=True)
class Band:
    """A fine range in 万元 (``low`` 0: no statutory minimum)."""

    low: float
    high: float


@dataclass(frozen=True)
class Provision:
    """One catalogue entry's penalty provision (amounts in 万元; see the module docstring)."""

    code: str
    article: str
    fined_party: str
    base: Band | None
    after_trigger: str | None
    after: Band | None
    after_measure: str | None
    suspension_means_after: bool
    persons: Band | None
    persons_after: Band | None

    @property
    def personal(self) -> bool:
        """The fine falls on a person (V22 主要负责人, V23 其他负责人), not on the enterprise."""
        return self.fined_party != "单位"

    def band(self, escalated: bool = False) -> Band | None:
        """The fined party's applicable range: the after range once escalated (when the
        article sets one), else the base range; None when unknown (V28)."""
        if escalated and self.after_trigger and self.after is not None:
            return self.after
        return self.base

    def persons_band(self, escalated: bool = False) -> Band | None:
        """The range of 直接负责的主管人员和其他直接责任人员 (after the trigger when escalated)."""
        return self.persons_after if escalated and self.after_trigger else self.persons


def _amount(text: str) -> float | None:
    """A 元 amount cell: a non-negative whole number, or blank (None); anything else raises ValueError."""
    if text == "":
        return None
    if not re.fullmatch(r"\d+", text):
        raise ValueError(text)
    return float(text)


def validate_catalogue(frame: pd.DataFrame) -> list[str]:
    """Problems of a catalogue frame as read from violations.csv (all columns str); [] = valid.

    Codes unique (V + two digits); every amount a whole number of 元 or blank, each min/max
    pair both given or both blank with min <= max; an after range only with a trigger and
    not below the base range; a trigger with something to escalate to (a range, a measure
    or a persons' range); ``fined_party`` one of ``FINED_PARTIES``; ``suspension_means_after``
    是 only for an unconditional 停产停业整顿 measure; ``major_hazard`` 是/否; the penalty
    article names a law of the catalogue and an article.
    """
    problems: list[str] = []
    if frame["code"].duplicated().any():
        problems.append("重复的代码：" + "、".join(frame.loc[frame["code"].duplicated(), "code"]))
    for rec in frame.to_dict("records"):
        code = rec["code"]
        say = problems.append
        if not re.fullmatch(r"V\d\d", code):
            say(f"{code}：代码应为 V 加两位数字")
        amounts: dict[str, float | None] = {}
        for lo_col, hi_col in AMOUNT_PAIRS:
            try:
                lo, hi = _amount(rec[lo_col]), _amount(rec[hi_col])
            except ValueError as exc:
                say(f"{code}：金额“{exc}”不是整数元")
                continue
            if (lo is None) != (hi is None):
                say(f"{code}：{lo_col} 与 {hi_col} 须同时填写或同时留空")
            elif lo is not None and lo > hi:
                say(f"{code}：{lo_col} {lo:g} 大于 {hi_col} {hi:g}")
            amounts[lo_col], amounts[hi_col] = lo, hi
        trigger, measure = rec["after_trigger"], rec["after_measure"]
        if trigger and trigger not in AFTER_TRIGGERS:
            say(f"{code}：after_trigger “{trigger}”应为 {'、'.join(AFTER_TRIGGERS)} 之一或留空")
        escalates = [amounts.get("after_min_yuan"), amounts.get("persons_after_min_yuan")]
        if not trigger and (measure or any(v is not None for v in escalates)):
            say(f"{code}：有逾期/拒不执行后的幅度或措施，但未填 after_trigger")
        if trigger and not measure and all(v is None for v in escalates):
            say(f"{code}：after_trigger 已填，但没有加重后的幅度或措施")
        base_lo, base_hi = amounts.get("fine_min_yuan"), amounts.get("fine_max_yuan")
        after_lo, after_hi = amounts.get("after_min_yuan"), amounts.get("after_max_yuan")
        if after_lo is not None and (base_lo is None or after_lo < base_lo or after_hi < base_hi):
            say(f"{code}：逾期后的幅度低于基础幅度")
        if rec["fined_party"] not in FINED_PARTIES:
            say(f"{code}：fined_party “{rec['fined_party']}”应为 {'、'.join(FINED_PARTIES)} 之一")
        for col in ("suspension_means_after", "major_hazard"):
            if rec[col] not in _YES_NO:
                say(f"{code}：{col} 应为 是 或 否")
        if rec["suspension_means_after"] == "是" and ("停产停业整顿" not in measure or measure.startswith("情节")):
            say(f"{code}：suspension_means_after 为 是，但 after_measure 不是无条件的责令停产停业整顿")
        if not penalty_articles(rec["penalty_article"]):
            say(f"{code}：penalty_article “{rec['penalty_article']}”未写明{'/'.join(_LAWS)}的条款")
    return problems


@lru_cache(maxsize=1)
def load_catalogue() -> pd.DataFrame:
    """The catalogue, indexed by code, validated (``validate_catalogue``), amounts also in 万元.

    Adds ``fine_min_wan``/``fine_max_wan`` and the same for ``after_``, ``persons_``,
    ``persons_after_`` (NaN = blank), ``suspension_means_after`` / ``major_hazard`` as bools and
    ``personal`` (the fine falls on a person). A problem in the packaged file is an InternalError.
    """
    with resources.files("evalkit.core").joinpath("resources", "violations.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    problems = validate_catalogue(frame)
    if problems:
        raise InternalError("违法行为目录 violations.csv 有误：" + "；".join(problems))
    for lo_col, hi_col in AMOUNT_PAIRS:
        for col in (lo_col, hi_col):
            yuan = pd.to_numeric(frame[col].replace("", None), errors="coerce")
            frame[col.removesuffix("_yuan") + "_wan"] = yuan / 10_000
    frame["major_hazard"] = frame["major_hazard"].eq("是")
    frame["suspension_means_after"] = frame["suspension_means_after"].eq("是")
    frame["personal"] = frame["fined_party"].ne("单位")
    frame["criminal_risk"] = frame["criminal_risk"].replace("", None)
    for col in ("after_trigger", "after_measure"):
        frame[col] = frame[col].replace("", None)
    return frame.set_index("code")


def _opt(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _band(lo, hi) -> Band | None:
    return None if lo is None or hi is None or math.isnan(lo) or math.isnan(hi) else Band(float(lo), float(hi))


@lru_cache(maxsize=64)
def provision(code: str | None) -> Provision | None:
    """The penalty provision of catalogue ``code`` (None for an unknown code)."""
    cat = load_catalogue()
    if code is None or code not in cat.index:
        return None
    r = cat.loc[code]
    return Provision(
        code=code, article=r["penalty_article"], fined_party=r["fined_party"],
        base=_band(r["fine_min_wan"], r["fine_max_wan"]),
        after_trigger=_opt(r["after_trigger"]), after=_band(r["after_min_wan"], r["after_max_wan"]),
        after_measure=_opt(r["after_measure"]), suspension_means_after=bool(r["suspension_means_after"]),
        persons=_band(r["persons_min_wan"], r["persons_max_wan"]),
        persons_after=_band(r["persons_after_min_wan"], r["persons_after_max_wan"]),
    )


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


@lru_cache(maxsize=65536)
def match_violation(text: str | None) -> str | None:
    """The catalogue code a free-text hazard describes, or None.

    First the full catalogue wording contained in the text; then the keyword with the
    longest match wins (ties: lowest code). Cached: ledgers repeat the same texts.
    """
    if not text:
        return None
    norm = _norm(text)
    cat = load_catalogue()
    for code, wording in cat["violation"].items():
        if _norm(wording) in norm:
            return code
    best: tuple[int, str] | None = None
    for code, keywords in cat["keywords"].items():
        for kw in keywords.split("|"):
            kw = _norm(kw)
            if kw and kw in norm and (best is None or len(kw) > best[0]):
                best = (len(kw), code)
    return best[1] if best else None


def is_major_hazard(text: str | None) -> bool:
    """True when an item's text marks it as a 重大事故隐患."""
    return bool(text) and MAJOR_HAZARD_MARK in _norm(text)


_CITATION = re.compile(r"(安全生产法|消防法|特种设备安全法)?第([一二三四五六七八九十百零]+)条"
                       r"(?:第([一二三四五六七八九十]+)款)?(?:第\(?([一二三四五六七八九十]+)\)?项)?")
#: What may stand between two citations of the same law ("第一百零五条、第九十九条").
_JOINER = re.compile(r"[、,和及与并]*")


@dataclass(frozen=True)
class Citation:
    """One article cited in a text: ``article`` (e.g. 安全生产法第九十九条), 款 and 项 if written."""

    article: str
    clause: str | None = None
    item: str | None = None


def citations(text: str | None) -> list[Citation]:
    """The articles of 安全生产法 / 消防法 / 特种设备安全法 cited in ``text``, in order.

    "《安全生产法》第一百零五条第（二）项、第九十九条第（五）项" gives two citations: a bare
    第…条 takes the law named before it when only 、 , 和 及 与 并 stand between them (after
    any other text, e.g. another regulation's name, it is not taken as this law's).
    """
    if not text:
        return []
    plain = _norm(text).replace("《", "").replace("》", "").replace("中华人民共和国", "")
    out, law, end = [], None, 0
    for m in _CITATION.finditer(plain):
        if m.group(1):
            law = m.group(1)
        elif law is None or not _JOINER.fullmatch(plain[end:m.start()]):
            law, end = None, m.end()
            continue
        out.append(Citation(f"{law}第{m.group(2)}条", m.group(3), m.group(4)))
        end = m.end()
    return out


def penalty_articles(text: str | None) -> list[str]:
    """The penalty articles cited in a 处罚依据 text, e.g. ['安全生产法第一百零五条'] (``citations``)."""
    return [c.article for c in citations(text)]


@lru_cache(maxsize=1)
def _code_citations() -> dict[str, Citation]:
    return {code: citations(pa)[0] for code, pa in load_catalogue()["penalty_article"].items()}


def codes_for_article(article: str | Citation) -> list[str]:
    """Catalogue codes whose penalty article is ``article`` (e.g. 安全生产法第九十九条); for a
    ``Citation`` with 款 / 项, only the codes of that 款 / 项 (a code without one matches any)."""
    cite = article if isinstance(article, Citation) else Citation(_norm(article))
    out = []
    for code, own in _code_citations().items():
        if own.article != cite.article:
            continue
        if cite.item and own.item and cite.item != own.item:
            continue
        if cite.clause and own.clause and cite.clause != own.clause:
            continue
        out.append(code)
    return out


@lru_cache(maxsize=4096)
def cited_codes(text: str | None) -> tuple[str, ...]:
    """The catalogue codes that the articles cited in ``text`` penalise (by article, 款 and 项)."""
    return tuple(dict.fromkeys(c for cite in citations(text) for c in codes_for_article(cite)))
