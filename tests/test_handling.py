"""The 其他查处(或移送)情况 vocabulary: phrasings -> metric counts (evalkit.intake.handling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.core.forms import FIGURES
from evalkit.intake.handling import (
    HANDLING_METRICS,
    HANDLING_TERMS,
    handling_counts,
    parse_handling,
)

EXAMPLES = [(t.metric, text, n) for t in HANDLING_TERMS for text, n in t.examples]


@pytest.mark.parametrize(("metric", "text", "count"), EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_every_documented_example_reads_as_documented(metric, text, count):
    """Each example listed in HANDLING_TERMS gives exactly its metric and count."""
    assert parse_handling(text) == {metric: count}


def test_two_actions_in_one_cell_are_both_counted():
    """'责令停产整顿；移送公安机关2人' is one suspension and two people referred."""
    assert parse_handling("责令停产整顿；移送公安机关2人") == {"suspended": 1, "criminal_referrals": 2}


def test_joined_clauses_keep_their_own_numbers():
    """Numbers stay with the action written next to them, across 并 and commas."""
    text = "暂扣证件2件并移送公安机关3人，移送市场监管局"
    assert parse_handling(text) == {"licenses_suspended": 2, "criminal_referrals": 3, "referred_other": 1}


def test_referral_to_police_is_not_also_a_referral_to_another_department():
    """移送公安机关 counts under 移送追究刑事责任 only, not again under 移送其他部门."""
    assert parse_handling("移送公安机关") == {"criminal_referrals": 1}
    assert parse_handling("移送市场监管局") == {"referred_other": 1}


def test_the_same_metric_in_two_clauses_adds_up():
    """Two referrals to the police in separate clauses add their people: 2 + 1 = 3."""
    assert parse_handling("移送公安机关2人；另移送派出所1人") == {"criminal_referrals": 3}


@pytest.mark.parametrize("text", ["未移送", "拟提请关闭", "无需停产整顿", "暂不移送公安机关", "无", "", "  ", None,
                                  float("nan")])
def test_negated_blank_or_empty_text_counts_nothing(text):
    """Negations (未/拟/无需/暂不), 无, blanks, None and NaN give no counts."""
    assert parse_handling(text) == {}


@pytest.mark.parametrize("text", ["建议移送公安机关", "应移送公安机关", "待移送公安机关", "准备移送公安机关",
                                  "是否移送公安机关待定", "移送公安机关未果", "建议停产整顿",
                                  "移送石狮市公安局刑侦大队未果", "应予停产整顿"])
def test_a_proposal_or_a_failed_attempt_counts_nothing(text):
    """建议/应/待/准备/是否 before a measure proposes it; 未果 after it says it failed: nothing done."""
    assert parse_handling(text) == {}


def test_criminal_referrals_read_from_remarks_when_other_has_none():
    """其他查处 first; a referral written only in 备注 counts; a proposal in 备注 does not."""
    from evalkit.intake.handling import criminal_referrals
    assert criminal_referrals("移送公安机关2人", "移送公安机关1人") == 2
    assert criminal_referrals(None, "已移送公安机关追究刑事责任1人") == 1
    assert criminal_referrals("责令停产整顿", "建议移送公安机关") == 0


@pytest.mark.parametrize(("text", "count"), [("移送公安机关两人", 2), ("移送公安机关十二人", 12),
                                             ("移送公安机关二十名", 20), ("暂扣操作证三本", 3)])
def test_chinese_numerals_are_read(text, count):
    """两/十二/二十/三 next to 人/名/本 are read as numbers."""
    assert sum(parse_handling(text).values()) == count


def test_a_number_with_the_wrong_measure_word_is_ignored():
    """'移送公安机关3件' has no 人/名 count, so it is one person (the default)."""
    assert parse_handling("移送公安机关3件") == {"criminal_referrals": 1}


def test_the_result_is_a_fresh_dict():
    """Changing a returned dict does not change later results (the parse is cached)."""
    parse_handling("联合惩戒")["joint_punishment"] = 99
    assert parse_handling("联合惩戒") == {"joint_punishment": 1}


def test_handling_metrics_use_the_units_of_the_official_form():
    """家/件/人/起 of each handling metric match the 附件2 column's unit."""
    for metric, unit in HANDLING_METRICS.items():
        assert FIGURES.column(metric).unit == unit


def test_every_handling_metric_has_a_term_with_examples():
    """No handling metric is left without vocabulary or examples."""
    covered = {t.metric for t in HANDLING_TERMS if t.examples}
    assert covered == set(HANDLING_METRICS)


def test_handling_counts_is_one_row_per_cell_with_zeros_for_blanks():
    """The vectorised reader keeps the index and gives zeros for None/NaN cells."""
    texts = pd.Series(["责令停产整顿", None, "移送公安机关2人", np.nan], index=[10, 11, 12, 13])
    frame = handling_counts(texts)
    assert list(frame.index) == [10, 11, 12, 13]
    assert list(frame.columns) == list(HANDLING_METRICS)
    assert frame.loc[10, "suspended"] == 1
    assert frame.loc[12, "criminal_referrals"] == 2
    assert frame.loc[[11, 13]].to_numpy().sum() == 0


_PIECES = [text for _, text, _ in EXAMPLES] + ["无", "未移送", "罚款", "警告"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.sampled_from(_PIECES), min_size=1, max_size=3)
                          .map("；".join)), max_size=12))
def test_vectorised_reader_agrees_with_parsing_each_cell(cells):
    """handling_counts (parse once per distinct text) equals parse_handling cell by cell."""
    frame = handling_counts(pd.Series(cells, dtype=object))
    for k, text in enumerate(cells):
        expected = parse_handling(text)
        assert {m: int(v) for m, v in frame.iloc[k].items() if v} == expected


def test_docs_list_every_vocabulary_example():
    """docs/metrics.md shows every example of HANDLING_TERMS (the documented vocabulary)."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    missing = [text for _, text, _ in EXAMPLES if text not in docs]
    assert not missing, f"docs/metrics.md lacks examples: {missing}"
