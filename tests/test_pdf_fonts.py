"""evalkit.report.pdf_fonts: the TrueType cut of Noto Sans CJK SC the PDF printer embeds.

Building a face from the installed Noto Sans CJK SC (fonts-noto-cjk, installed by
scripts/setup.sh) is checked on a few characters; the full build is setup's job, and the
printing test runs where setup has built it.
"""

from __future__ import annotations

import pytest

from evalkit.report import pdf_fonts
from evalkit.report.pdf import PdfPrinter, find_chromium

fontTools = pytest.importorskip("fontTools")
from fontTools.ttLib import TTFont  # noqa: E402

REGULAR = pdf_fonts.find_source(pdf_fonts.SOURCES["Regular"])
needs_noto = pytest.mark.skipif(REGULAR is None, reason="Noto Sans CJK SC not installed (fonts-noto-cjk)")


@needs_noto
def test_a_face_is_cut_to_the_characters_and_turned_into_truetype(tmp_path):
    """Only the characters asked for (and .notdef), TrueType outlines (glyf, no CFF), the
    family renamed, and the glyph of 蚶 still drawn (it has contours)."""
    out = pdf_fonts.build_face(REGULAR, "Regular", tmp_path / "cut.ttf", unicodes=[ord(c) for c in "蚶江镇A"])
    font = TTFont(out)
    assert "glyf" in font and "CFF " not in font
    assert set(font.getBestCmap()) == {ord(c) for c in "蚶江镇A"}
    assert font["name"].getDebugName(1) == "evalkit Sans SC" and font["name"].getDebugName(2) == "Regular"
    assert "Noto" not in (font["name"].getDebugName(4) or "")  # OFL: a modified font is renamed
    glyph = font["glyf"][font.getBestCmap()[ord("蚶")]]
    assert glyph.numberOfContours > 3
    assert not (tmp_path / "cut.ttf.tmp").exists()


def test_the_charset_covers_gb2312_and_common_punctuation():
    """Every 汉字 and symbol of GB2312, and the punctuation reports print, is in the cut."""
    kept = set(pdf_fonts.codepoints())
    gb2312 = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                gb2312.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    assert len(gb2312) > 7000 and gb2312 <= kept
    assert {ord(c) for c in "垵（）、。“”—…％※✓①"} <= kept
    assert 0x20000 not in kept  # Extension B falls back to the stylesheet's next family


def test_no_font_means_no_fontconfig_file(tmp_path, monkeypatch):
    """Nothing built: the printer gets no fontconfig file and uses the system's fonts; no Noto
    installed: ensure() says so and builds nothing."""
    assert pdf_fonts.fontconfig_file(tmp_path) is None
    monkeypatch.setattr(pdf_fonts, "find_source", lambda pattern: None)
    message, conf = pdf_fonts.ensure(tmp_path)
    assert conf is None and "fonts-noto-cjk" in message
    assert list(tmp_path.iterdir()) == []


@needs_noto
def test_ensure_builds_once_and_then_only_checks(tmp_path, monkeypatch):
    """ensure() builds both faces and the fontconfig file, stamps the sources, and on a second
    call builds nothing; a changed charset version rebuilds."""
    calls = []
    real = pdf_fonts.build_face

    def tiny(source, style, out, unicodes=None, family="Noto Sans CJK SC"):
        calls.append(style)
        return real(source, style, out, unicodes=[ord(c) for c in "蚶江"], family=family)

    monkeypatch.setattr(pdf_fonts, "build_face", tiny)
    monkeypatch.setattr(pdf_fonts, "ProcessPoolExecutor", _InlinePool)
    message, conf = pdf_fonts.ensure(tmp_path)
    assert conf == tmp_path / "fonts.conf" and sorted(calls) == ["Bold", "Regular"]
    assert f"<dir>{tmp_path}</dir>" in conf.read_text(encoding="utf-8")
    assert pdf_fonts.fontconfig_file(tmp_path) == conf
    assert pdf_fonts.ensure(tmp_path)[0] == "PDF 字体已是最新" and len(calls) == 2
    monkeypatch.setattr(pdf_fonts, "CHARSET_VERSION", pdf_fonts.CHARSET_VERSION + 1)
    pdf_fonts.ensure(tmp_path)
    assert len(calls) == 4
    (tmp_path / "stamp.json").write_text("{damaged", encoding="utf-8")  # a damaged stamp: built again
    pdf_fonts.ensure(tmp_path)
    assert len(calls) == 6


class _InlinePool:
    """ProcessPoolExecutor stand-in: the monkeypatched builder does not cross a fork."""

    def __init__(self, max_workers=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(fn(*args))
        return future


@pytest.mark.skipif(find_chromium() is None or pdf_fonts.fontconfig_file() is None,
                    reason="needs Chromium and the PDF font (scripts/setup.sh builds both)")
def test_printed_chinese_is_an_embedded_truetype_subset_not_type3(tmp_path):
    """With the font built, a report's Chinese text (body, bold, the running title in the margin
    boxes) is embedded as subset CID TrueType fonts of evalkit Sans SC: no Type 3 procedures."""
    import pypdf

    from evalkit.report.html import page_css, report_css

    page = tmp_path / "p.html"
    page.write_text(f'<html lang="zh-CN"><meta charset="utf-8"><style>{report_css()}\n{page_css("蚶江镇测试报告")}'
                    "</style><body><h1>蚶江镇执法报告</h1><p>排查隐患<b>955</b>处，整改率<b>不适用</b>。</p>"
                    '<p style="break-before: page">第二页</p></body></html>',
                    encoding="utf-8")
    with PdfPrinter() as printer:
        printer.print_pdf(page, tmp_path / "p.pdf")
    reader = pypdf.PdfReader(tmp_path / "p.pdf")
    fonts = [ref.get_object() for page in reader.pages
             for ref in ((page.get("/Resources") or {}).get("/Font") or {}).values()]
    names = {str(f.get("/BaseFont")) for f in fonts}
    assert any("+evalkitSansSC-Regular" in n for n in names) and any("+evalkitSansSC-Bold" in n for n in names), names
    assert not [f for f in fonts if f.get("/Subtype") == "/Type3"], names
    # the running title: in the margin box from page 2 on; page 1's band and H1 say it already
    assert len(reader.pages) == 2
    assert "蚶江镇测试报告" not in reader.pages[0].extract_text()
    assert "蚶江镇测试报告" in reader.pages[1].extract_text()


@pytest.mark.skipif(pdf_fonts.fontconfig_file() is None, reason="needs the PDF font (scripts/setup.sh builds it)")
def test_the_look_back_marks_are_in_the_pdf_font():
    """✓ × — of the 回头看 table print in evalkit Sans SC, regular and bold (a red cell is bold):
    ✗ U+2717, the mark before, is not in Noto Sans CJK and printed as a Type 3 fallback glyph."""
    from fontTools.ttLib import TTFont

    from evalkit.report.sections import _MARK

    for style in ("Regular", "Bold"):
        cmap = TTFont(pdf_fonts.font_dir() / pdf_fonts.file_name(style), lazy=True).getBestCmap()
        assert all(ord(mark) in cmap for mark in _MARK.values() if mark), style
