"""evalkit.report.pdf: every HTML report printed to PDF by headless Chromium.

The tests need Chromium (Debian: apt-get install chromium-headless-shell; scripts/setup.sh installs it, so
CI runs them) and skip with that reason where it is missing. Each PDF: A4 pages within the
expected range, every font embedded (a FontFile2/FontFile3 stream, or a Type 3 font whose
glyphs are drawn in the file itself), the running title and page numbers, and no missing
glyph: the text extracted again holds the page's Chinese characters and no U+FFFD.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from evalkit.report.html import render_report
from evalkit.report.pdf import PdfPrinter, find_chromium

pypdf = pytest.importorskip("pypdf")

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="Chromium not installed (apt-get install chromium-headless-shell; "
                                       "scripts/setup.sh does it)")

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


#: Text a printed page does not show: the head, and the band's 返回报告目录 link (print CSS).
_NOT_PRINTED = ("style", "title", "script", "a")
#: CJK Radicals Supplement: the font's ToUnicode maps a few glyphs to these code points
#: (⻅ U+2EC5 for 见), which NFKC does not fold.
RADICALS = re.compile(r"[\u2e80-\u2eff]")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in _NOT_PRINTED

    def handle_endtag(self, tag):
        self._skip -= tag in _NOT_PRINTED

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "".join(parser.parts)


def _report(tmp_path: Path, rows: int = 120) -> Path:
    """A report page (our template) with Chinese prose, a long table and a 生僻字 (𠀋, Ext. B)."""
    nb = nbformat.v4.new_notebook()
    table = "| 单位 | 检查企业数(家) | 隐患整改率(%) |\n|---|---:|---:|\n" + "\n".join(
        f"| 蚶江村第{i}组 | {i} | 不适用 |" for i in range(rows))
    nb.cells = [nbformat.v4.new_markdown_cell("# 蚶江镇2024年6月执法工作汇总\n\n"
                                              "全镇现场监督检查企业（单位）400家，排查隐患955处，石狮市𠀋测试。"),
                nbformat.v4.new_markdown_cell(table)]
    path = tmp_path / "report.html"
    path.write_text(render_report(nb, "蚶江镇2024年6月执法工作汇总"), encoding="utf-8")
    return path


def _fonts(reader) -> list[dict]:
    found = {}
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            found[id(font)] = font
    return list(found.values())


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return "/CharProcs" in font  # the glyphs are drawn in the PDF itself
    for desc_font in ([d.get_object() for d in font.get("/DescendantFonts", [])] or [font]):
        desc = desc_font.get("/FontDescriptor")
        desc = desc.get_object() if desc is not None else {}
        if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            return False
    return True


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pdf")
    page = _report(tmp)
    with PdfPrinter() as printer:
        printer.print_pdf(page, tmp / "report.pdf", title="蚶江镇2024年6月执法工作汇总", band="蚶江镇专项行动")
    return page, tmp / "report.pdf"


def test_pdf_is_a4_with_the_expected_page_count(printed):
    """120 table rows print on 2–6 A4 pages."""
    reader = pypdf.PdfReader(printed[1])
    assert 2 <= len(reader.pages) <= 6
    for page in reader.pages:
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2


def test_every_font_is_embedded(printed):
    """No font is only named: each is a Type 3 font with its glyphs or has a FontFile stream."""
    fonts = _fonts(pypdf.PdfReader(printed[1]))
    assert fonts
    assert all(_embedded(f) for f in fonts)


def test_no_missing_glyph_and_the_running_title_and_page_numbers(printed):
    """The extracted text holds every Chinese character of the page (no tofu, no U+FFFD), the
    running title on each page and “第 N 页，共 M 页” once (the page's own margin boxes; Chromium's
    footer is not drawn over them)."""
    page, pdf = printed
    reader = pypdf.PdfReader(pdf)
    # NFKC: the font's ToUnicode maps a few glyphs it shares with a Kangxi radical (⽉ U+2F49)
    # to the radical's code point; the glyph drawn is the ideograph's (月 U+6708)
    texts = [unicodedata.normalize("NFKC", p.extract_text()) for p in reader.pages]
    whole = "".join(texts)
    wanted = set(CJK.findall(html_text(page.read_text(encoding="utf-8"))))
    got = set(CJK.findall(whole))
    missing = wanted - got
    # a character is missing only if no radical code point of the text can stand for it
    assert wanted and len(missing) <= len(set(RADICALS.findall(whole))), sorted(missing)[:20]
    assert len(missing) <= 3
    assert "\ufffd" not in whole and "\x00" not in whole  # a glyph no font has extracts as NUL (.notdef)
    n = len(reader.pages)
    for i, text in enumerate(texts, 1):
        assert "蚶江镇2024年6月执法工作汇总" in text
        assert re.search(rf"第\s*{i}\s*[页⻚]\s*[，,]\s*共\s*{n}\s*[页⻚]", text), text[-80:]  # ⻚: see RADICALS
        assert len(re.findall(r"第\s*\d+\s*[页⻚]", text)) == 1, text[-80:]
        assert "/ 共" not in text  # Chromium's own footer is not drawn as well


def test_a_missing_chromium_is_a_clear_error(tmp_path, monkeypatch):
    """EVALKIT_CHROMIUM pointing nowhere: find_chromium() is None and the printer says what to install."""
    from evalkit.report.pdf import PdfError

    monkeypatch.setenv("EVALKIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert find_chromium() is None
    with pytest.raises(PdfError, match="Chromium"):
        PdfPrinter()


def test_a_character_no_font_has_is_detected(tmp_path):
    """The check can fail: characters of CJK Extension I (U+2EBF0, no installed font) print as
    .notdef boxes, which extract as NUL, so they are missing from the text read back."""
    page = tmp_path / "tofu.html"
    page.write_text('<html><meta charset="utf-8"><body><p>测试\U0002EBF0结束</p></body></html>', encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print_pdf(page, tmp_path / "tofu.pdf")
    text = pypdf.PdfReader(tmp_path / "tofu.pdf").pages[0].extract_text()
    assert "测试" in text and "\U0002EBF0" not in text and "\x00" in text


def test_pages_print_in_one_tab_and_each_shows_its_own_content(tmp_path):
    """Every page is printed in the same tab: the second of two pages, and a page printed again
    after it changed, show their own text, not the page before."""
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    first.write_text('<html><meta charset="utf-8"><body><p>第一页内容</p></body></html>', encoding="utf-8")
    second.write_text('<html><meta charset="utf-8"><body><p>第二页内容</p></body></html>', encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print_pdf(first, tmp_path / "a.pdf")
        printer.print_pdf(second, tmp_path / "b.pdf")
        tab = printer._tab
        second.write_text('<html><meta charset="utf-8"><body><p>改过的内容</p></body></html>', encoding="utf-8")
        printer.print_pdf(second, tmp_path / "b2.pdf")
        assert printer._tab == tab
    text = {name: pypdf.PdfReader(tmp_path / name).pages[0].extract_text() for name in ("a.pdf", "b.pdf", "b2.pdf")}
    assert "第一页内容" in text["a.pdf"] and "第二页内容" in text["b.pdf"] and "改过的内容" in text["b2.pdf"]


def test_a_page_without_margin_boxes_gets_chromiums_header_and_footer(tmp_path):
    """A page with no ``@page`` page numbers of its own (written by an older evalkit) still
    prints with the running title and “第 N 页 / 共 M 页” from Chromium's header and footer."""
    page = tmp_path / "old.html"
    page.write_text('<html><meta charset="utf-8"><body>' + "<p>旧版报告</p>" * 5 + "</body></html>", encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print_pdf(page, tmp_path / "old.pdf", title="旧版报告标题", band="专项行动")
    text = pypdf.PdfReader(tmp_path / "old.pdf").pages[0].extract_text()
    assert "旧版报告标题" in text and re.search(r"第\s*1\s*[页⻚]\s*/\s*共\s*1\s*[页⻚]", text), text


def test_a_missing_page_is_an_error_not_a_printed_error_page(tmp_path):
    """A page that is not there raises PdfError; the printer then prints the next page normally."""
    from evalkit.report.pdf import PdfError

    page = tmp_path / "ok.html"
    page.write_text('<html><meta charset="utf-8"><body><p>正常页面</p></body></html>', encoding="utf-8")
    with PdfPrinter() as printer:
        with pytest.raises(PdfError, match="找不到"):
            printer.print_pdf(tmp_path / "gone.html", tmp_path / "gone.pdf")
        printer.print_pdf(page, tmp_path / "ok.pdf")
    assert not (tmp_path / "gone.pdf").exists()
    assert "正常页面" in pypdf.PdfReader(tmp_path / "ok.pdf").pages[0].extract_text()
