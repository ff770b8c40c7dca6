"""The violation catalogue (evalkit.core.catalogue): the law modelled whole, validated, as docs/audit.md states it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from evalkit.core.catalogue import (
    Band,
    citations,
    cited_codes,
    codes_for_article,
    load_catalogue,
    provision,
    validate_catalogue,
)

ROOT = Path(__file__).resolve().parents[1]


def _raw() -> pd.DataFrame:
    with resources.files("evalkit.core").joinpath("resources", "violations.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def test_packaged_catalogue_is_valid():
    """The packaged violations.csv passes validate_catalogue: 28 codes, no problem."""
    raw = _raw()
    assert validate_catalogue(raw) == []
    assert list(raw["code"]) == [f"V{n:02d}" for n in range(1, 29)]


def test_personal_fines_v22_v23():
    """V22 (第九十四条) fines the 主要负责人 2–5 万, 5–10 万 and 停产停业整顿 after 逾期未改正; V23 (第九十六条)
    fines 其他负责人和安全生产管理人员 1–3 万, no escalation."""
    v22, v23 = provision("V22"), provision("V23")
    assert v22.personal and v22.fined_party == "主要负责人"
    assert (v22.base, v22.after, v22.after_trigger) == (Band(2.0, 5.0), Band(5.0, 10.0), "逾期未改正")
    assert v22.band(True) == Band(5.0, 10.0) and v22.band(False) == Band(2.0, 5.0)
    assert "停产停业整顿" in v22.after_measure and v22.suspension_means_after
    assert v23.personal and v23.fined_party == "其他负责人和安全生产管理人员"
    assert (v23.base, v23.after_trigger, v23.band(True)) == (Band(1.0, 3.0), None, Band(1.0, 3.0))
    assert not provision("V01").personal


def test_after_deadline_ranges():
    """第九十七条 ≤10 → 10–20 (persons 2–5); 第九十九条 ≤5 → 5–20, 停产 only 情节严重; 第一百零二条 拒不执行:
    no new fine of the enterprise, persons 5–10; 第一百零五条: 停产停业整顿 only, persons ≤ 1 from the start."""
    v03, v18, v20, v01 = provision("V03"), provision("V18"), provision("V20"), provision("V01")
    assert (v03.base, v03.band(True), v03.persons_band(True)) == (Band(0, 10), Band(10, 20), Band(2, 5))
    assert v03.suspension_means_after
    assert (v18.base, v18.band(True), v18.persons_band(True)) == (Band(0, 5), Band(5, 20), Band(1, 2))
    assert not v18.suspension_means_after and v18.after_measure.startswith("情节严重")
    assert (v20.after_trigger, v20.band(True), v20.persons_band(True)) == ("拒不执行", Band(0, 5), Band(5, 10))
    assert (v01.band(True), v01.persons_band(False), v01.after_measure) == (Band(0, 5), Band(0, 1), "责令停产停业整顿")


def test_v28_cites_article_39_and_100():
    """V28's duty is 第三十九条第一款 (审批 of 危险物品 activities, not 第四十八条), its penalty 第一百条: no range."""
    cat = load_catalogue()
    assert cat.at["V28", "duty_article"] == "安全生产法第三十九条第一款"
    assert cat.at["V28", "penalty_article"].startswith("安全生产法第一百条")
    assert provision("V28").base is None and pd.isna(cat.at["V28", "fine_max_wan"])
    assert codes_for_article("安全生产法第一百条") == ["V28"]


@pytest.mark.parametrize("column, value, says", [
    ("fine_min_yuan", "60000", "大于 fine_max_yuan"),          # V01 min 6 万 > max 5 万
    ("fine_max_yuan", "5万", "不是整数元"),
    ("after_trigger", "", "未填 after_trigger"),                # V01 keeps its measure
    ("fined_party", "法定代表人", "fined_party"),
    ("suspension_means_after", "也许", "suspension_means_after 应为"),
    ("penalty_article", "依具体法规", "未写明"),
])
def test_validate_catalogue_refuses_a_broken_entry(column, value, says):
    """A broken V01 cell is named by validate_catalogue (load_catalogue would raise InternalError)."""
    raw = _raw()
    raw.loc[raw["code"] == "V01", column] = value
    problems = validate_catalogue(raw)
    assert any(p.startswith("V01") and says in p for p in problems), problems


def test_validate_catalogue_refuses_inconsistent_escalations():
    """An after range below the base range, a 情节严重 measure marked as meaning the escalation, a duplicate code."""
    raw = _raw()
    raw.loc[raw["code"] == "V03", ["after_min_yuan", "after_max_yuan"]] = ["0", "50000"]
    raw.loc[raw["code"] == "V14", "suspension_means_after"] = "是"
    raw.loc[raw["code"] == "V02", "code"] = "V01"
    problems = validate_catalogue(raw)
    assert any(p.startswith("V03") and "低于基础幅度" in p for p in problems)
    assert any(p.startswith("V14") and "不是无条件" in p for p in problems)
    assert any("重复的代码" in p for p in problems)


def test_citations_read_article_clause_item_and_the_same_law():
    """“第一百零五条第（二）项、第九十九条第（五）项” is two articles of 安全生产法; another regulation's
    article is not taken as one of the law's; 项 narrows the codes."""
    two = citations("《安全生产法》第一百零五条第（二）项、第九十九条第（五）项")
    assert [(c.article, c.item) for c in two] == [("安全生产法第一百零五条", "二"), ("安全生产法第九十九条", "五")]
    assert cited_codes("《安全生产法》第一百零五条第（二）项、第九十九条第（五）项") == ("V01", "V18")
    other = citations("《安全生产法》第九十九条，《福建省安全生产条例》第十条")
    assert [c.article for c in other] == ["安全生产法第九十九条"]
    assert cited_codes("《中华人民共和国消防法》第六十条第一款第（一）项") == ("V25",)
    assert cited_codes("安全生产法第一百零一条") == ("V09", "V10", "V11", "V12", "V13")
    assert cited_codes("依法处理") == ()


# ------------------------------------------------------------------ docs/audit.md agrees
def _band(text: str) -> Band | None:
    text = text.strip()
    if m := re.fullmatch(r"≤ ([\d.]+)", text):
        return Band(0.0, float(m.group(1)))
    if m := re.match(r"([\d.]+)–([\d.]+)", text):
        return Band(float(m.group(1)), float(m.group(2)))
    return None


def _doc_rows() -> list[list[str]]:
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    section = text.split("### The law in the catalogue", 1)[1].splitlines()
    start = next(i for i, line in enumerate(section) if line.startswith("| penalty article"))
    end = next((i for i, line in enumerate(section[start:]) if not line.startswith("|")), None)
    table = section[start + 2:start + end]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table]


def test_docs_article_table_matches_the_catalogue():
    """docs/audit.md lists every code once, under its penalty article, with the catalogue's fined party,
    base range, after range and persons' range."""
    seen = []
    for article, codes, fined, base, after, persons, _text in _doc_rows():
        for code in re.findall(r"V\d\d", codes):
            seen.append(code)
            prov = provision(code)
            assert prov.article.startswith(article.split("第（")[0]), (code, article)
            assert prov.fined_party == fined, code
            assert prov.base == _band(base), code
            arrow = after.split("→", 1)[1] if "→" in after else ""
            assert prov.after == _band(arrow), code
            assert (prov.after_trigger or "—") == (after.split(" →")[0] if "→" in after else "—"), code
            shown = persons.removeprefix("after: ")
            band = prov.persons_after if persons.startswith("after:") else prov.persons
            assert band == _band(shown), code
    assert sorted(seen) == [f"V{n:02d}" for n in range(1, 29)]
