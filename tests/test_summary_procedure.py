"""简易程序 (行政处罚法第五十一条, issue 11 B): a small fine decided on the spot needs no 立案案号."""

from __future__ import annotations

import pytest

from evalkit.audit.run import run_audit
from evalkit.intake.handling import (
    PERSON_TERMS,
    SUMMARY_FINE_LIMIT_WAN,
    SUMMARY_PROCEDURE_TERMS,
    is_summary_fine,
    summary_procedure,
)
from evalkit.intake.loader import load
from fixtures_audit import build, row
from intake_helpers import inspection, ledger_file, make_data_dir, where


# --------------------------------------------------------------------------- the vocabulary
def test_limits_are_the_law():
    """3000 元 = 0.3 万元 on an organisation, 200 元 = 0.02 万元 on a citizen."""
    assert SUMMARY_FINE_LIMIT_WAN == {"organisation": 0.3, "person": 0.02}


@pytest.mark.parametrize("term", SUMMARY_PROCEDURE_TERMS)
def test_each_term_records_the_summary_procedure(term):
    """Each term, in any of the three texts, records the 简易程序 (an organisation: limit 0.3)."""
    for texts in ((term, None, None), (None, f"《安全生产法》第九十九条；{term}", None), (None, None, f"（{term}）")):
        found = summary_procedure(*texts)
        assert found is not None and found.term == term and not found.on_person, texts
        assert found.limit_wan == 0.3


@pytest.mark.parametrize("term", SUMMARY_PROCEDURE_TERMS)
def test_each_term_negated_does_not(term):
    """“不适用…”, “未…” before a term: not recorded as done."""
    assert summary_procedure(f"不适用{term}") is None
    assert summary_procedure(f"未{term}") is None


@pytest.mark.parametrize("word", PERSON_TERMS)
def test_each_person_word_puts_the_fine_on_a_citizen(word):
    """A person word in any text lowers the limit to 0.02 万元 (200 元)."""
    found = summary_procedure("简易程序", None, f"{word}处以罚款")
    assert found.on_person and found.limit_wan == 0.02


def test_no_term_is_no_summary_procedure():
    """Blank texts, or texts without a term (当场整改 is a rectification), give None."""
    assert summary_procedure(None, None, None) is None
    assert summary_procedure("责令限期整改", "《安全生产法》第九十九条", "当场整改") is None


def test_full_width_and_spaces_are_read():
    """Full-width letters and spaces inside the words do not hide them."""
    assert summary_procedure("适用 简易 程序").term == "简易程序"


@pytest.mark.parametrize("fine, case_no, texts, expected", [
    (0.3, None, ("简易程序",), True),            # at the limit
    (0.3001, None, ("简易程序",), False),        # 3001 元: over
    (0.2, "狮蚶应急罚〔2024〕1号", ("简易程序",), False),  # has a case: not a case-less fine
    (0.02, None, ("对公民当场罚款",), True),
    (0.03, None, ("对公民当场罚款",), False),
    (0.2, None, ("责令改正",), False),           # no term
    (0, None, ("简易程序",), False),             # no fine
    (float("nan"), None, ("简易程序",), False),  # unknown fine
])
def test_is_summary_fine(fine, case_no, texts, expected):
    """A case-less fine above 0 and within the limit of a recorded 简易程序."""
    assert is_summary_fine(fine, case_no, *texts) is expected


# --------------------------------------------------------------------------- intake: fine_without_case
def _problems(tmp_path, **row):
    data = make_data_dir(tmp_path / "data")
    ledger_file(data, "a.xlsx", [inspection(**row)])
    return load(data).problems


@pytest.mark.parametrize("row", [
    dict(fine_wan="3000元", other_handling="简易程序，当场处罚"),                          # 0.3 万元, organisation
    dict(fine_wan=0.2, remarks="当场作出行政处罚决定（决定书 狮蚶应急简〔2024〕1号）"),  # with a 决定书 number
    dict(fine_wan=0.2, legal_basis="《中华人民共和国安全生产法》第九十九条，适用简易程序"),
    dict(fine_wan="200元", other_handling="对公民当场处罚"),                               # 0.02 万元, a citizen
])
def test_summary_fine_needs_no_case(tmp_path, row):
    """A 简易程序 fine within the limit, without 立案案号: no problem at all."""
    assert _problems(tmp_path, **row).empty


def test_summary_fine_over_the_organisation_limit(tmp_path):
    """0.5 万元 recorded as 简易程序: fine_without_case, saying the 简易程序 stops at 3000 元."""
    probs = _problems(tmp_path, fine_wan=0.5, remarks="简易程序")
    assert where(probs, "fine_without_case") == [("submissions/a.xlsx", "统计表一", 5, "立案案号")]
    assert probs.at[0, "message"] == (
        "有罚款 0.5 万元但立案案号为空：本行记为“简易程序”，但简易程序（当场处罚）只适用于"
        "对单位 3000 元（0.3 万元）以下的罚款（行政处罚法第五十一条），此罚款应立案查处，请补填立案案号")


def test_summary_fine_over_the_citizen_limit(tmp_path):
    """300 元 on a citizen by 当场处罚: over 200 元, fine_without_case naming the citizen limit."""
    probs = _problems(tmp_path, fine_wan="300元", other_handling="对公民当场处罚")
    assert list(probs["rule"]) == ["fine_without_case"]
    assert "对公民 200 元（0.02 万元）以下" in probs.at[0, "message"]


@pytest.mark.parametrize("row", [dict(fine_wan=0.2), dict(fine_wan=0.2, remarks="不适用简易程序")])
def test_fine_without_procedure_still_needs_a_case(tmp_path, row):
    """No 简易程序 recorded (or negated): the old message, 罚款应先立案."""
    probs = _problems(tmp_path, **row)
    assert list(probs["rule"]) == ["fine_without_case"]
    assert probs.at[0, "message"] == "有罚款 0.2 万元但立案案号为空：罚款应先立案，请补填立案案号"


# --------------------------------------------------------------------------- audit rule 7
def _rule7(fine):
    # 锦里村: four inspections with a new hazard and no case; two of them fined by 简易程序.
    h = ["未设置安全警示标志"]
    rows = [row("锦里村", 6, f"a{i}", f"2024-06-0{i}", h, ["限期整改"]) for i in (1, 2)]
    rows += [row("锦里村", 6, f"a{i}", f"2024-06-0{i}", h, ["已整改"], fine=fine, other="简易程序当场处罚")
             for i in (3, 4)]
    return run_audit(build(rows), "2024-06").findings


def test_summary_fines_are_penalties_not_rectification_only():
    """Rule 7: 2 of 4 inspections rectification only = 50% ≤ 80%: no finding when the two fines are
    0.2 万元 by 简易程序; fined 0.5 万元 (over the limit) they are uncased fines: 4 of 4 = 100%."""
    assert "rectification_instead_of_penalty" not in set(_rule7(0.2)["rule"])
    found = _rule7(0.5)
    d = found.loc[found["rule"] == "rectification_instead_of_penalty", "details"].iloc[0]
    assert (d["inspections_with_violations"], d["without_case"]) == (4, 4)
