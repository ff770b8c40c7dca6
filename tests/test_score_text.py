"""评议考核 scores print with two decimals everywhere: 34.00 beside 30.32, never 34 or 25.9.

The ranking and score tables keep numbers (analysts sort them, the chart plots them); the
columns holding scores are marked (``sections.with_kinds``) and ``show`` and ``cell_texts``
(the Word tables) print them through ``format_value(v, "score")``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from evalkit.intake.loader import load
from evalkit.report import sections

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TWO_DECIMALS = re.compile(r"^\d+\.\d{2}$")


def _shown(monkeypatch, frame) -> str:
    out = []
    monkeypatch.setattr(sections, "_display", lambda obj, raw=False: out.append(obj))
    sections.show(frame)
    return out[0].to_html()


def test_a_score_column_prints_two_decimals_and_not_applicable(monkeypatch):
    frame = sections.with_kinds(pd.DataFrame({"单位": ["<b>甲村</b>", "乙村", "丙村", "丁村"],
                                              "总分": [34.0, 30.32, 25.9, math.nan],
                                              "立案数": [3, 0, 1, 2]}), 总分="score")
    page = _shown(monkeypatch, frame)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    assert cells == ["&lt;b&gt;甲村&lt;/b&gt;", "34.00", "3", "乙村", "30.32", "0", "丙村", "25.90", "1",
                     "丁村", "不适用", "2"]
    assert sections.cell_texts(frame) == [["<b>甲村</b>", "34.00", "3"], ["乙村", "30.32", "0"],
                                          ["丙村", "25.90", "1"], ["丁村", "不适用", "2"]]
    assert frame["总分"].dtype == float  # the numbers themselves are untouched


@pytest.fixture(scope="module")
def ds():
    return load(SAMPLE)


def test_the_ranking_prints_every_score_with_two_decimals(ds):
    table = sections.ranking_table(ds, "2024-06")
    scored = [c for c in table.columns if c == "总分" or c.endswith(")")]
    assert len(scored) == 4  # 执法力度(40), 办案质量(35), 工作成效(25), 总分
    texts = sections.cell_texts(table)
    columns = list(table.columns)
    for row in texts:
        for c in scored:
            assert TWO_DECIMALS.match(row[columns.index(c)]) or row[columns.index(c)] == "不适用", row
    # whole scores exist in the sample (办案质量 34 for 锦里村), and print as 34.00
    whole = [v for c in scored for v in table[c] if float(v).is_integer()]
    assert whole, "the sample should have a whole-number score to check"
    assert all(table[c].dtype.kind == "f" for c in scored)


def test_a_units_score_table_prints_two_decimals(ds):
    unit = sections.ranking_table(ds, "2024-06")["单位"].iloc[0]
    dims, parts, _ = sections.score_tables(ds, "2024-06", unit)
    assert all(TWO_DECIMALS.match(r[2]) for r in sections.cell_texts(dims))
    points = [r[list(parts.columns).index("得分")] for r in sections.cell_texts(parts)]
    assert all(TWO_DECIMALS.match(t) or t == "不适用" for t in points), points
    assert "34.00" in points  # a whole score among the parts prints as 34.00, not 34
