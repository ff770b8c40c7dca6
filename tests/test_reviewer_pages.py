"""Reviewer pages speak the reviewer's language: no rule ids, paths or commands; figures laid out to read.

The scan runs the real report notebooks on data/sample, once per kind of period (a month, a
quarter, the year; two units each, module-scoped), and checks every page they write. The
scanner itself is shown to fail on a page with a planted id.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from evalkit._text import HAZARD_STATUS_ZH, format_value, money_decimals
from evalkit.report import charts
from evalkit.report.html import css_string, page_css, render_index
from evalkit.report.jargon import developer_terms, visible_text
from evalkit.report.sections import (
    fine_text,
    header_text,
    notes_list,
    numeric_columns,
    part_target_text,
    part_value_text,
)

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PERIODS = ("2024-06", "2024Q2", "2024")
UNITS = ("蚶江村", "综合执法队")  # 综合执法队 reused 狮蚶综执罚[2024]8号 (validate warns case_no_duplicate)


# --------------------------------------------------------------------------- the scanner
@pytest.mark.parametrize("planted, kind", [
    ("<p>逾期未整改且未加重处理（overdue_not_escalated）3 条</p>", "规则或字段 id"),
    ("<table><tr><th>编号</th></tr><tr><td>fine_out_of_range</td></tr></table>", "规则或字段 id"),
    ("<p>计分办法见docs/scoring.md。</p>", "文档或源码路径"),
    ("<p>正式汇总表用 <code>evalkit export</code> 导出。</p>", "命令或参数"),
    ("<p>运行时加上 --period 2024-06</p>", "命令或参数"),
    ("<title>报告 (case_nos)</title><p>正文</p>", "规则或字段 id"),
])
def test_scanner_catches_a_planted_term(planted, kind):
    """A page with a rule id, a docs path or a command in its visible text is caught, with the kind named."""
    page = f"<html><head><style>.a{{}}</style></head><body>{planted}</body></html>"
    found = developer_terms(page)
    assert found and found[0][0] == kind


def test_scanner_leaves_markup_styles_and_evidence_alone():
    """Class names, styles, attributes, images and evidence file names are not the reader's text."""
    page = ('<html><head><meta name="generator" content="evalkit run"><style>.jp-Output_area{x:1}'
            ' @page { @bottom-center { content: "第 " counter(page) " 页" } }</style></head><body>'
            '<div class="jp-OutputArea-output" data-x="fine_out_of_range"><img src="data:image/png;base64,ab_cd">'
            '<p>证据：蚶江村6月执法统计.xlsx 统计表一 第21行；违法行为 V22；罚款 3.5 万元；比率 85.00%</p>'
            '<script>var rule_id = 1;</script></div></body></html>')
    assert developer_terms(page) == []
    assert "蚶江村6月执法统计.xlsx" in visible_text(page) and "rule_id" not in visible_text(page)


# --------------------------------------------------------------------------- the runs
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{period: its output folder}: `evalkit run` on data/sample for two units, per kind of period."""
    from evalkit.report.batch import run_batch

    base = tmp_path_factory.mktemp("reviewer-pages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALKIT_CACHE_DIR", str(base / "cache"))
        out = {}
        for period in PERIODS:
            result = run_batch(SAMPLE, period, units=list(UNITS), jobs=2, out_dir=base / "out", progress=False)
            assert result.ok, [o.error for o in result.outcomes if o.status == "failed"]
            out[period] = base / "out" / period
    return out


def _pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


@pytest.mark.parametrize("period", PERIODS)
def test_no_page_shows_developer_vocabulary(runs, period):
    """Every page of a month's, a quarter's and the year's run (units, town, cases, look-back, index)
    shows no snake_case id, docs/ or source path, and no command name."""
    pages = _pages(runs[period])
    assert len(pages) == 6, sorted(pages)  # 2 units + town + typical cases + look-back + index
    found = {name: developer_terms(page) for name, page in pages.items()}
    assert {name: terms for name, terms in found.items() if terms} == {}


def test_look_back_says_the_publication_note_once_and_flags_the_reused_case_number(runs):
    """June's 回头看: “台账未记录…公示情况” once, with the count; 狮蚶综执罚[2024]8号 marked 案号重复 and
    explained in one line naming both enterprises; the title says which cases it covers."""
    text = visible_text((runs["2024-06"] / "look-back.html").read_text(encoding="utf-8"))
    assert text.count("台账未记录行政处罚公示情况") == 1
    assert re.search(r"\d+ 件案件：台账未记录行政处罚公示情况（阳光执法），请核实", text)
    assert "狮蚶综执罚[2024]8号（案号重复）" in text
    assert text.count("立案案号重复：狮蚶综执罚[2024]8号用于") == 1
    assert "按典型案例入选标准排序的前 20 件重点案件" in text and "其余" in text


def test_pages_print_page_numbers_a_running_title_and_no_stray_separator(runs):
    """Each page's CSS carries its own title and “第 N 页，共 M 页” in the page margins; the “ · ” before the
    link back to the index is inside the element hidden in print; index statuses do not wrap."""
    folder = runs["2024-06"]
    unit = (folder / "unit-蚶江村.html").read_text(encoding="utf-8")
    assert 'content: "蚶江村2024年6月执法工作报告"' in unit and "counter(pages)" in unit
    assert '<span class="ek-back"> · <a href="index.html">' in unit
    assert re.search(r"\.ek-band a, \.ek-back \{ display: none; \}", unit)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'class="ek-status ek-status-ok"' in index and ".ek-status { white-space: nowrap; }" in index


def test_unit_report_has_the_scoring_appendix_it_refers_to(runs):
    """§八 refers to 本报告附录, and the appendix is there, with the deduction rules in Chinese."""
    text = visible_text((runs["2024-06"] / "unit-蚶江村.html").read_text(encoding="utf-8"))
    assert "计分办法见本报告附录" in text and "附录　评议考核计分办法" in text
    assert "罚款超出法定幅度每条扣 3 分、最多扣 9 分" in text


def test_town_summary_shows_the_figures_preview_in_two_blocks(runs):
    """The 18 columns of 附件2 are two tables of equal columns, each starting with 单位."""
    page = (runs["2024-06"] / "town-summary.html").read_text(encoding="utf-8")
    assert page.count('class="ek-table ek-fixed"') == 2
    assert "2024年6月（本期数）（一）" in page and "2024年6月（本期数）（二）" in page


# --------------------------------------------------------------------------- helpers, by hand
def test_numeric_columns_are_the_columns_of_figures():
    """Figures, rates, ranks and 不适用 / — are figures; names, months and 是/否 are not."""
    frame = pd.DataFrame({"单位": ["甲村", "乙村"], "覆盖率": ["85.00%", "不适用"], "排名": ["1/27", "—"],
                          "罚款": [0.5, None], "扣分": ["3.00", "0（已达上限）"], "月份": ["6月", "7月"],
                          "适用": [True, False], "空": [None, None]})
    assert numeric_columns(frame) == ["覆盖率", "排名", "罚款", "扣分"]


def test_header_breaks_before_its_unit_only():
    """立案数(家) may break before (家) and not inside it; the text is unchanged but for zero-width characters."""
    wj = "\u2060"
    assert header_text("立案数(家)") == f"立案数\u200b({wj}家{wj})"
    assert header_text("罚款金额（万元）") == f"罚款金额\u200b（{wj}万{wj}元{wj}）"
    assert header_text("(家)") == f"({wj}家{wj})" and header_text("企业") == "企业"
    assert header_text("监管企业(单位)总数(家)").replace(wj, "").split("\u200b") == ["监管企业", "(单位)总数", "(家)"]


def test_fine_text_dash_where_there_is_no_fine():
    """No fine (blank or 0) reads —, never 不适用; an unreadable cell says so; a fine is its amount."""
    assert [fine_text(None), fine_text(0), fine_text(float("nan"))] == ["—", "—", "—"]
    assert fine_text(None, unreadable=True) == "未能识别" and fine_text(0.25) == "0.25"


def test_money_side_by_side_has_one_precision():
    """8.3 beside 13.05 and a mean 2.7648 print as 8.30, 13.05, 2.76 (two decimals, the data's)."""
    places = money_decimals([8.3, 13.05, None, 0])
    assert places == 2
    assert [format_value(v, "money", decimals=places) for v in (8.3, 13.05, 2.7648)] == ["8.30", "13.05", "2.76"]
    assert format_value(2.7648, "money") == "2.7648"  # without decimals: unchanged


def test_score_part_texts_say_what_they_measure():
    """计分项明细: a rate with %, a count in 件, a deduction part as points deducted against full marks."""
    rate = {"type": "ratio", "value": 86.666, "target": 50.0, "measure": "%"}
    cases = {"type": "ratio", "value": 1.0, "target": 1.0, "measure": "件"}
    deduction = {"type": "deduction", "value": 5.0, "target": None, "measure": "分"}
    assert (part_value_text(rate), part_target_text(rate)) == ("86.67%", "50%")
    assert (part_value_text(cases), part_target_text(cases)) == ("1 件", "1 件")
    assert (part_value_text(deduction), part_target_text(deduction)) == ("扣 5 分", "不扣分（满分）")
    assert part_value_text({**deduction, "value": 0.0}) == "未扣分"
    assert part_value_text({**rate, "value": None}) == "不适用"


def test_notes_said_once_with_the_count():
    """Three cases without a recorded publication give one line with 3; other notes stay per case."""
    note = "台账未记录行政处罚公示情况（阳光执法），请核实"
    checks = pd.DataFrame({"case_no": ["A1", "A2", "A3"], "enterprise": ["甲", "乙", "丙"],
                           "notes": [[note], [note, "该案件行未记录违法行为(隐患)"], [note]]})
    assert notes_list(checks) == [f"全部 3 件案件：{note}（即“阳光执法公示”为“未记录”的案件）",
                                  "A2（乙）：该案件行未记录违法行为(隐患)"]


def test_css_string_cannot_close_the_style_element():
    """A hostile unit name in the running title stays inside its CSS string and its <style>."""
    text = css_string('乙村"; } </style><script>x</script>')
    assert "<" not in text and '"' not in text[1:-1] and "}" not in text and text.startswith('"乙村')
    assert "</style" not in page_css("</style>")


def test_unit_colours_are_never_the_town_grey():
    """No unit of 60 gets a grey (the town line's colour), and they stay distinct as far as the palette goes."""
    cols = charts.unit_colors([f"单位{i:02d}" for i in range(60)])
    assert not any(charts.is_greyish(c) for c in cols.values())
    assert charts.TOWN_COLOR not in cols.values() and charts.is_greyish(charts.TOWN_COLOR)
    assert len(set(list(cols.values())[:30])) == 30


def test_score_bars_are_coloured_by_grade_with_a_legend():
    """bar_by_unit with grade colours draws each bar in its grade's colour and names the grades in the legend."""
    from matplotlib.colors import to_hex

    values = pd.Series([91.0, 70.0, 40.0], index=["甲", "乙", "丙"])
    grade = {"甲": "优秀", "乙": "合格", "丙": "不合格"}
    ax = charts.bar_by_unit(values, colors={u: charts.GRADE_COLORS[g] for u, g in grade.items()}, title="t",
                            ylabel="分", reference=67.0, legend={g: charts.GRADE_COLORS[g] for g in grade.values()})
    assert [to_hex(b.get_facecolor()) for b in ax.patches[:3]] == [charts.GRADE_COLORS[g] for g in grade.values()]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["优秀", "合格", "不合格", "全镇 67.0"]


def test_status_vocabulary_is_one_mapping():
    """The report's status table uses the one vocabulary of _text."""
    from evalkit.report.sections import STATUS_ZH

    assert STATUS_ZH == HAZARD_STATUS_ZH


def test_index_page_has_no_command_names():
    """The index of exported files is headed in Chinese only."""
    page = render_index("2024年6月", [], files=[("报表", "附件2.xlsx", "excel/附件2.xlsx")])
    assert developer_terms(page) == [] and os.path.basename("excel/附件2.xlsx") in page
