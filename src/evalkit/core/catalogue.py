"""The violation catalogue: codes V01–V28 with duty and penalty articles and fine ranges.

Built from shared/reference/violations.csv (安全生产法 2021, 消防法, 特种设备安全法),
with four columns of our own: ``short`` (a short name for tables and charts),
``category`` (hazard category for charts), ``keywords`` (``|``-separated phrases that
identify the violation in free text) and ``major_hazard`` (是 = the violation can be a
重大事故隐患; a ledger item is treated as major when its text says 重大事故隐患).

Fines are converted from 元 to 万元 (÷ 10,000). ``fine_min_wan`` 0 means no statutory
minimum (“以下”); a missing range (V28, 依具体法规) is NaN: unknown, not zero.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

MAJOR_HAZARD_MARK = "重大事故隐患"


@lru_cache(maxsize=1)
def load_catalogue() -> pd.DataFrame:
    """The catalogue, indexed by code, with ``fine_min_wan``/``fine_max_wan`` in 万元."""
    with resources.files("evalkit.core").joinpath("resources", "violations.csv").open(encoding="utf-8") as f:
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    for side in ("min", "max"):
        yuan = pd.to_numeric(frame[f"fine_{side}_yuan"].replace("", None), errors="coerce")
        frame[f"fine_{side}_wan"] = yuan / 10_000
    frame["major_hazard"] = frame["major_hazard"].eq("是")
    frame["criminal_risk"] = frame["criminal_risk"].replace("", None)
    return frame.set_index("code")


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


_ARTICLE = re.compile(r"(安全生产法|消防法|特种设备安全法)第[一二三四五六七八九十百零]+条")


def penalty_articles(text: str | None) -> list[str]:
    """The penalty articles cited in a 处罚依据 text, e.g. ['安全生产法第一百零五条']."""
    if not text:
        return []
    plain = _norm(text).replace("《", "").replace("》", "").replace("中华人民共和国", "")
    return [m.group(0) for m in _ARTICLE.finditer(plain)]


def codes_for_article(article: str) -> list[str]:
    """Catalogue codes whose penalty article is ``article`` (e.g. 安全生产法第九十九条)."""
    cat = load_catalogue()
    return [code for code, pa in cat["penalty_article"].items() if _norm(pa).startswith(_norm(article))]
