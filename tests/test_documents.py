"""evalkit.documents: the quarterly 活动开展情况 and 典型案例 and the year-end 总结 as 公文.

Each .docx is opened with python-docx: page size and margins, the fonts of title, body and
headings (with their East Asian names), the 22 × 28 grid, the “— N —” page numbers on odd
(right) and even (left) footers, the 发文机关 and date at the end, and the figures in the
text parsed back and compared with ``compute_metrics`` (on data/sample), or with values
worked out by hand (on a four-enterprise fixture).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

import evalkit as ek
from evalkit._text import format_value
from evalkit.core.periods import parse_period
from evalkit.documents import plan_documents, write_documents
from evalkit.documents.activities import write_activities
from evalkit.documents.cases import PARTS, write_cases
from evalkit.documents.common import Scope, cn_number, due_date
from evalkit.documents.gongwen import east_asia_font
from evalkit.metrics.engine import get_metric
from fixtures_dataset import inspection, make_dataset

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
MM_TOLERANCE = Mm(0.1)


@pytest.fixture(scope="module")
def sample_docs(tmp_path_factory):
    """The documents of 2024Q2 (town and 蚶江村) and of 2024 (town), written once."""
    out = tmp_path_factory.mktemp("docs")
    q2 = write_documents(SAMPLE, "2024Q2", out / "2024Q2", units=["蚶江村"])
    year = write_documents(SAMPLE, "2024", out / "2024")
    return {p.name: p for p in [*q2, *year]}


def _text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def _figure(text: str, label: str, unit: str) -> str:
    m = re.search(re.escape(label) + r"(不适用|[0-9.]+)" + (re.escape(unit) if unit else ""), text)
    assert m, f"{label} not found"
    return m.group(1)


# --------------------------------------------------------------------------- layout
def test_quarter_and_year_write_the_documents_the_plan_asks_for(sample_docs):
    """2024Q2: 活动开展情况 and 典型案例 for the town and for 蚶江村; 2024: the Q4 pair and the 总结."""
    assert sorted(sample_docs) == sorted([
        "蚶江镇2024年第二季度安全生产执法提升专项行动开展情况.docx", "蚶江镇2024年第二季度安全生产执法典型案例.docx",
        "蚶江村2024年第二季度安全生产执法提升专项行动开展情况.docx", "蚶江村2024年第二季度安全生产执法典型案例.docx",
        "蚶江镇2024年第四季度安全生产执法提升专项行动开展情况.docx", "蚶江镇2024年第四季度安全生产执法典型案例.docx",
        "蚶江镇2024年安全生产执法提升专项行动总结.docx"])


def test_page_is_a4_with_the_gongwen_margins(sample_docs):
    """A4 portrait; margins top 37, bottom 35, left 28, right 26 mm (GB/T 9704-2012)."""
    for path in sample_docs.values():
        sec = Document(path).sections[0]
        for value, mm in ((sec.page_width, 210), (sec.page_height, 297), (sec.top_margin, 37),
                          (sec.bottom_margin, 35), (sec.left_margin, 28), (sec.right_margin, 26)):
            assert abs(value - Mm(mm)) <= MM_TOLERANCE, (path.name, mm)


def test_fonts_of_title_body_and_headings_with_east_asian_names(sample_docs):
    """Title 方正小标宋简体 22 pt (2号), body 仿宋_GB2312 16 pt (3号), 一、 黑体, （一） 楷体_GB2312."""
    for path in sample_docs.values():
        doc = Document(path)
        styles = doc.styles
        for name, font, size in (("Title", "方正小标宋简体", 22), ("Normal", "仿宋_GB2312", 16),
                                 ("Heading 1", "黑体", 16), ("Heading 2", "楷体_GB2312", 16)):
            st = styles[name]
            assert east_asia_font(st) == font, (path.name, name)
            assert st.font.name == font
            assert st.font.size == Pt(size)
        paras = doc.paragraphs
        assert paras[0].style.name == "Title"
        h1 = [p for p in paras if p.style.name == "Heading 1"]
        assert h1 and all(re.match(f"[{''.join(cn_number(n) for n in range(1, 11))}]+、", p.text) for p in h1)
        h2 = [p for p in paras if p.style.name == "Heading 2"]
        assert all(re.match(r"（[一二三四五六七八九十]+）", p.text) for p in h2)
        if "开展情况" in path.name or "总结" in path.name:
            assert len(h2) == 3  # the plan's three phases
        # no run overrides the style's fonts with another East Asian font
        for p in paras:
            for run in p.runs:
                assert east_asia_font(run) in (None, "楷体_GB2312"), (path.name, p.text[:20])


def test_22_lines_of_28_characters(sample_docs):
    """Exact line pitch 28.95 pt: 225 mm of text area / 22 lines; 156 mm / (16 pt + spacing) = 28 characters."""
    doc = Document(next(iter(sample_docs.values())))
    normal = doc.styles["Normal"]
    pitch = normal.paragraph_format.line_spacing.pt
    assert pitch == pytest.approx(28.95)  # 225 mm = 637.8 pt / 22 = 28.99 pt, down to 1/20 pt
    grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert int(grid.get(qn("w:linePitch"))) == 579  # twips
    assert int((225 / 25.4 * 72) // pitch) == 22
    spacing = normal.element.rPr.find(qn("w:spacing"))
    char_pitch = 16 + int(spacing.get(qn("w:val"))) / 20
    assert int((156 / 25.4 * 72) // char_pitch) == 28


def test_page_numbers_odd_right_even_left_in_4hao_songti(sample_docs):
    """Footers “— PAGE —” in 宋体 14 pt; odd right, even left; w:evenAndOddHeaders set."""
    doc = Document(next(iter(sample_docs.values())))
    assert doc.settings.element.find(qn("w:evenAndOddHeaders")) is not None
    sec = doc.sections[0]
    for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT), (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        assert p.alignment == align
        assert p.text == "— 1 —"  # the field's placeholder result between the dashes
        instr = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert east_asia_font(p.style) == "宋体" and p.style.font.size == Pt(14)


def test_issuer_and_date_at_the_end(sample_docs):
    """The town's documents end with 蚶江镇人民政府 and the plan's deadline; a unit's with its name."""
    for name, path in sample_docs.items():
        lines = [p.text for p in Document(path).paragraphs if p.text.strip()]
        issuer = "蚶江村" if name.startswith("蚶江村") else "蚶江镇人民政府"
        date = "2024年7月1日" if "第二季度" in name else "2024年12月20日"
        assert lines[-2:] == [issuer, date], name
        addressee = "镇应急保障股：" if name.startswith("蚶江村") else "石狮市安全生产委员会办公室："
        assert lines[1] == addressee


def test_due_dates_follow_the_plan():
    """Q1 before 4月1日, Q2 7月1日, Q3 10月1日; Q4 and the year 12月20日."""
    assert [str(due_date(parse_period(f"2024Q{q}"))) for q in range(1, 5)] == [
        "2024-04-01", "2024-07-01", "2024-10-01", "2024-12-20"]
    assert str(due_date(parse_period("2024"))) == "2024-12-20"


# --------------------------------------------------------------------------- figures
def test_key_figures_equal_evalkit_metrics_for_the_quarter(sample_docs):
    """The counts, fine and rates in the text and table equal compute_metrics for 2024Q2 and 1–6月 ytd."""
    doc = Document(sample_docs["蚶江镇2024年第二季度安全生产执法提升专项行动开展情况.docx"])
    text = _text(doc)
    ds = ek.load(SAMPLE)
    q = ek.compute_metrics(ds, "2024Q2").total
    ytd = ek.compute_metrics(ds, "2024-06", scope="ytd").total

    def shown(values, mid):
        return format_value(values[mid], get_metric(mid).text_kind, percent_sign=False)

    for label, unit, mid in (("共现场监督检查企业（单位）", "家", "inspected"), ("排查隐患", "处", "hazards_found"),
                             ("已整改", "处", "hazards_rectified"), ("隐患整改率", "%", "rectification_rate"),
                             ("立案", "家", "cases_filed"), ("罚款", "万元", "fines_wan"),
                             ("责令停产停业整顿", "家", "suspended"), ("移送追究刑事责任", "人", "criminal_referrals")):
        assert _figure(text, label, unit) == shown(q, mid), label
    cum = text[text.index("年初以来（截至6月）"):]
    assert _figure(cum, "检查覆盖率", "%") == shown(ytd, "coverage_rate")
    assert _figure(cum, "违法行为查处率", "%") == shown(ytd, "violation_handling_rate")
    # the 指标 table: one row per KPI, 本季度 and 年初以来 columns
    table = doc.tables[0]
    rows = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in table.rows[1:]}
    for mid in ("inspected", "coverage_rate", "fines_wan", "violation_handling_rate"):
        assert rows[get_metric(mid).header] == (shown(q, mid), shown(ytd, mid))


def test_unit_document_has_the_units_own_figures(sample_docs):
    """蚶江村's 活动开展情况: its own counts (compute_metrics' row), its score and rank."""
    text = _text(Document(sample_docs["蚶江村2024年第二季度安全生产执法提升专项行动开展情况.docx"]))
    ds = ek.load(SAMPLE)
    row = ek.compute_metrics(ds, "2024Q2").frame.loc["蚶江村"]
    assert _figure(text, "共现场监督检查企业（单位）", "家") == format_value(row["inspected"], "count")
    assert _figure(text, "排查隐患", "处") == format_value(row["hazards_found"], "count")
    score = ek.score_units(ds, "2024Q2").frame.loc["蚶江村"]
    assert f"排第{int(score['rank'])}名" in text


def test_year_summary_has_the_year_figures_to_the_latest_month(sample_docs):
    """The 总结 says 截至11月 (the sample's last month) and carries the year's totals."""
    text = _text(Document(sample_docs["蚶江镇2024年安全生产执法提升专项行动总结.docx"]))
    ds = ek.load(SAMPLE)
    year = ek.compute_metrics(ds, "2024").total
    assert "数据截至11月" in text
    assert _figure(text, "共现场监督检查企业（单位）", "家") == format_value(year["inspected"], "count")
    assert _figure(text, "罚款", "万元") == format_value(year["fines_wan"], "money")
    for head in ("一、工作开展情况", "三、评议考核情况", "五、长效机制建议"):
        assert head in text


def _tiny():
    """Two villages, four enterprises; Q2: 甲厂 (2 hazards, 1 rectified), 乙厂 (1 hazard rectified,
    a case with a 0.5 万元 fine and 停产停业整顿; a phone number in the ledger text), 丙厂 (no hazard)."""
    return make_dataset(
        registry=[("甲厂", "甲村"), ("乙厂", "甲村"), ("丙厂", "乙村"), ("丁厂", "乙村")],
        rows=[inspection("甲村", "甲厂", "2024-04-10", ["疏散通道堵塞", "灭火器过期"], ["已整改", "限期整改"]),
              inspection("甲村", "乙厂", "2024-05-08", ["消防设施损坏"], ["已整改"], case_no="狮蚶应急罚〔2024〕1号",
                         fine=0.5, other="责令停产停业整顿，联系电话13812345678", inspectors=("王小明",),
                         legal_basis="《中华人民共和国消防法》第六十条"),
              inspection("乙村", "丙厂", "2024-06-03")])


def test_hand_checked_figures_on_a_small_fixture(tmp_path):
    """By hand: 3 enterprises inspected of 4 (75.00%), 3 hazards, 2 rectified (66.67%), 1 case, 0.5 万元, 1 停产整顿."""
    ds = _tiny()
    path = tmp_path / "q2.docx"
    write_activities(Scope(ds, parse_period("2024Q2")), path)
    text = _text(Document(path))
    assert "全镇2个村和部门共现场监督检查企业（单位）3家，排查隐患3处，已整改2处，隐患整改率66.67%；立案1家，" \
           "罚款0.5万元，责令停产停业整顿1家，移送追究刑事责任0人" in text
    assert "检查覆盖率75.00%" in text


def test_zero_denominator_reads_not_applicable(tmp_path):
    """A unit with no hazard in the quarter: 隐患整改率 不适用, never 0 or 100."""
    ds = _tiny()
    path = tmp_path / "u.docx"
    write_activities(Scope(ds, parse_period("2024Q2"), "乙村"), path)
    text = _text(Document(path))
    assert "排查隐患0处，已整改0处，隐患整改率不适用" in text


# --------------------------------------------------------------------------- cases and personal data
def test_cases_have_the_five_parts_in_order(sample_docs):
    """Every case: 【案例名称】【关键词】【基本案情】【处理结果】【典型意义】, in that order."""
    doc = Document(sample_docs["蚶江镇2024年第二季度安全生产执法典型案例.docx"])
    labels = [m.group(1) for p in doc.paragraphs if (m := re.match(r"【(.+?)】", p.text))]
    assert labels and len(labels) % 5 == 0
    assert all(labels[i:i + 5] == list(PARTS) for i in range(0, len(labels), 5))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[0].startswith("一、") and any("反面典型" in h for h in heads)
    text = _text(doc)
    assert "核查规则" not in text and not re.search(r"[a-z]+_[a-z_]+", text)  # no rule ids


def test_no_phone_numbers_or_inspector_names(tmp_path, sample_docs):
    """Ledger free text loses phone numbers; 执法人员 are never named (fixture and sample)."""
    ds = _tiny()
    path = tmp_path / "cases.docx"
    assert write_cases(Scope(ds, parse_period("2024Q2")), path) == 1
    text = _text(Document(path))
    assert "乙厂" in text and "狮蚶应急罚〔2024〕1号" in text  # the case stays identifiable
    assert "13812345678" not in text and "王小明" not in text
    sample = ek.load(SAMPLE)
    names = {str(n) for persons in sample.ledger["inspectors"] for n in persons if n}
    for path in sample_docs.values():
        text = _text(Document(path)) + "".join(c.text for t in Document(path).tables for c in t._cells)
        assert not re.search(r"1[3-9]\d{9}", text), path.name
        assert not [n for n in names if len(n) >= 2 and n in text], path.name


def test_a_month_gets_its_quarters_documents_so_far():
    """2024-05 plans the Q2 documents cut at May; a year adds the 总结."""
    ds = _tiny()
    planned = plan_documents(ds, parse_period("2024-05"))
    assert [d.kind for d in planned] == ["activities", "cases"]
    assert planned[0].scope.period.through == 5
    assert [d.kind for d in plan_documents(ds, parse_period("2024"))] == ["summary"]  # no Q4 data: no Q4 pair


# --------------------------------------------------------------------------- LibreOffice
def _soffice_writer():
    soffice = shutil.which("soffice")
    if not soffice:
        return None
    program = Path(soffice).resolve().parent
    return soffice if any(program.glob("libswlo.so")) or (program / "swriter").exists() else None


@pytest.mark.skipif(_soffice_writer() is None, reason="LibreOffice Writer not installed (libreoffice-writer-nogui)")
def test_check_script_converts_the_documents(sample_docs, tmp_path):
    """scripts/check_libreoffice.sh converts each .docx to a PDF without errors."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for path in list(sample_docs.values())[:2]:
        shutil.copy(path, folder)
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(folder)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "LibreOffice: 2/2 documents converted to PDF" in run.stdout


@pytest.mark.skipif(_soffice_writer() is None, reason="LibreOffice Writer not installed (libreoffice-writer-nogui)")
def test_check_script_fails_on_a_broken_document(tmp_path):
    """A .docx LibreOffice cannot open is a FAIL line and exit status 1."""
    (tmp_path / "坏文件.docx").write_bytes("这不是 Word 文档".encode())  # Writer would open it as text
    run = subprocess.run(["bash", str(ROOT / "scripts" / "check_libreoffice.sh"), str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 1
    assert "FAIL  坏文件.docx" in run.stderr


def test_documents_choose_the_typical_cases_report_choice():
    """The 典型案例 document writes the same cases, in the same order, as the typical-cases report."""
    from evalkit.documents.cases import chosen_cases
    from evalkit.report import sections

    ds = sections.open_dataset(SAMPLE)
    p = sections.as_period("2024Q2", ds)
    report = sections.candidates(ds, p)
    positive, negative = chosen_cases(Scope(ds, p))
    assert list(positive["key"]) == list(sections.positive_candidates(report).head(3)["key"])
    assert list(negative["key"]) == list(sections.negative_candidates(report).head(2)["key"])


def test_submitted_text_with_control_characters_is_written(tmp_path):
    """A hazard text with a vertical tab or NUL (XML forbids them) is written without them, not refused."""
    ds = make_dataset(registry=[("甲厂", "甲村")], rows=[
        inspection("甲村", "甲厂", "2024-05-08", ["消防\x0b设施\x00损坏"], ["已整改"], case_no="狮蚶应急罚〔2024〕2号",
                   fine=1.0, other="责令停产停业整顿")])
    path = tmp_path / "c.docx"
    assert write_cases(Scope(ds, parse_period("2024Q2")), path) == 1
    assert "消防设施损坏" in _text(Document(path))


def test_problem_counts_are_bracketed_after_the_rule_name(sample_docs):
    """“…低于5%（2条）”, never “低于5%2条”: a rule name ending in a number stays readable."""
    text = _text(Document(sample_docs["蚶江镇2024年第二季度安全生产执法提升专项行动开展情况.docx"]))
    assert re.search(r"主要是：[^。]*（\d+条(，其中高风险\d+条)?）", text)
    assert "5%2条" not in text


def test_documents_of_a_city_folder_are_the_citys_not_the_towns():
    """A folder whose root is 石狮市 writes as the city: title, issuer, addressee, 我市 and its
    members; a town below it, or a town folder, keeps the town's words (hand-written expectations)."""
    from types import SimpleNamespace

    import pandas as pd

    from evalkit.core.periods import parse_period
    from evalkit.documents.common import Scope
    from evalkit.documents.style import TOWN_ADDRESSEE, TOWN_ISSUER, UNIT_ADDRESSEE

    city = pd.DataFrame({"unit": ["石狮市", "蚶江镇", "凤里街道", "锦里村", "市应急管理局"],
                         "kind": ["市", "镇", "街道", "村", "部门"],
                         "supervised_total": [0, 0, 0, 3, 2],
                         "parent": [None, "石狮市", "石狮市", "蚶江镇", "石狮市"]})
    q2 = parse_period("2024Q2")
    top = Scope(SimpleNamespace(units=city), q2)
    assert (top.who, top.issuer, top.we) == ("石狮市", "石狮市人民政府", "我市")
    assert top.addressee == "泉州市安全生产委员会办公室"
    assert top.members == "全市3个镇（街道）和部门"
    assert "石狮市2024年" in top.plan_reference and "狮蚶政" not in top.plan_reference
    assert Scope(SimpleNamespace(units=city), q2, "锦里村").addressee == UNIT_ADDRESSEE  # its parent is a 镇
    assert Scope(SimpleNamespace(units=city), q2, "市应急管理局").addressee == TOWN_ADDRESSEE  # reports to 市安办
    town = pd.DataFrame({"unit": ["锦里村", "综合执法队"], "kind": ["村", "部门"],
                         "supervised_total": [3, 2], "parent": [None, None]})
    own = Scope(SimpleNamespace(units=town), q2)
    assert (own.who, own.issuer, own.we, own.members) == ("蚶江镇", TOWN_ISSUER, "我镇", "全镇2个村和部门")
    assert "狮蚶政〔2024〕14号" in own.plan_reference
