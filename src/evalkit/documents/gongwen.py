"""A 公文 (official document) written with python-docx in the layout of ``style.LAYOUT``.

``Gongwen`` builds one document: title, 主送机关, body paragraphs, first- and second-level
headings, tables, and the 发文机关署名 and 成文日期 at the end. Page size, margins, the
document grid (22 lines × 28 characters), the fonts (with their East Asian names, which
Word reads from ``w:rFonts/@w:eastAsia``) and the page numbers “— 1 —” (4号宋体, odd pages
right and even pages left: ``w:evenAndOddHeaders``) are all set from the ``Layout``.

Every text goes in as text (python-docx escapes it); a cell or paragraph beginning with
``=`` is still only text in Word (a .docx has no formulas in paragraphs).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from evalkit._text import display_width
from evalkit.core.atomic import atomic_write
from evalkit.documents.style import LAYOUT, Layout

#: Style names of the document's paragraphs (the built-in ones restyled, so Word's
#: navigation pane shows the headings).
BODY, TITLE, H1, H2 = "Normal", "Title", "Heading 1", "Heading 2"
TABLE_TEXT, TABLE_HEAD, PAGE_NUMBER = "EK Table Text", "EK Table Head", "EK Page Number"


#: Characters XML 1.0 does not allow (python-docx refuses them): control characters a cell
#: may carry, lone surrogates. Submitted text is written without them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


#: What follows w:spacing in w:rPr (ECMA-376 CT_RPr's sequence).
_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr",
                  "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                  "w:specVanish", "w:oMath")


def xml_safe(text) -> str:
    """``text`` as a string Word can hold (``_NOT_XML`` removed)."""
    return _NOT_XML.sub("", str(text))


def set_fonts(rpr_parent, font: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    """Name ``font`` for Latin, East Asian and complex scripts on a style or run (``.font``'s owner).

    python-docx's ``font.name`` sets only w:ascii and w:hAnsi; the Chinese text is drawn in
    the w:eastAsia font, so it is set here through the XML. Theme fonts are removed: they
    would override the names.
    """
    f = rpr_parent.font
    f.name = font
    if size_pt is not None:
        f.size = Pt(size_pt)
    if bold is not None:
        f.bold = bold
    rpr = _element(rpr_parent).get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)


def east_asia_font(rpr_parent) -> str | None:
    """The w:eastAsia font named on a style or run (None if none)."""
    rpr = _element(rpr_parent).rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def _element(obj):
    """The XML element of a style (``.element``) or a run (``._element``)."""
    el = getattr(obj, "element", None)
    return el if el is not None else obj._element


def character_spacing_twips(lay: Layout) -> int:
    """The body's character spacing (w:spacing, twentieths of a point) that fits
    ``chars_per_line`` characters of ``body_size_pt`` on a line: -5 (-0.25 pt) for 28 of 3号.
    Rounded down, so the line holds at least that many."""
    return math.floor((lay.char_pitch_pt - lay.body_size_pt) * 20)


def _exact_spacing(fmt, pitch_pt: float, before: float = 0, after: float = 0) -> None:
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(pitch_pt)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)


class Gongwen:
    """One 公文 being written. ``save(path)`` writes it atomically."""

    def __init__(self, layout: Layout = LAYOUT):
        self.layout = layout
        self.doc = Document()
        self._setup_page()
        self._setup_styles()
        self._setup_page_numbers()
        # style name -> id, looked up once: python-docx's ``paragraph.style = …`` searches the
        # styles part for the default style on every call (6 ms a paragraph)
        self._ids = {name: self.doc.styles[name].style_id for name in (BODY, TITLE, H1, H2, TABLE_TEXT, TABLE_HEAD)}

    def _add(self, text: str = "", style: str = BODY, container=None):
        """A new paragraph of ``style`` at the end of the body (or of ``container``: a cell)."""
        p = (self.doc if container is None else container).add_paragraph(xml_safe(text))
        self._style(p, style)
        return p

    def _style(self, paragraph, style: str) -> None:
        if style != BODY:
            paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = self._ids[style]

    # ------------------------------------------------------------------ setup
    def _setup_page(self) -> None:
        lay = self.layout
        sec = self.doc.sections[0]
        sec.start_type = WD_SECTION.NEW_PAGE
        sec.page_width, sec.page_height = Mm(lay.page_width_mm), Mm(lay.page_height_mm)
        sec.top_margin, sec.bottom_margin = Mm(lay.margin_top_mm), Mm(lay.margin_bottom_mm)
        sec.left_margin, sec.right_margin = Mm(lay.margin_left_mm), Mm(lay.margin_right_mm)
        sec.footer_distance = Mm(lay.footer_distance_mm)
        sec.header_distance = Mm(15)
        sec.gutter = Mm(0)
        # The line grid (文档网格 “只指定行网格”): line pitch in twips. The 28 characters a line
        # come from the body's character spacing (``character_spacing_twips``), not from a
        # character grid: LibreOffice gives a 16-pt character two cells of a 15.8-pt grid.
        grid = sec._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sec._sectPr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(lay.line_pitch_pt * 20)))
        grid.attrib.pop(qn("w:charSpace"), None)

    def _setup_styles(self) -> None:
        lay, styles = self.layout, self.doc.styles
        indent = Pt(lay.body_size_pt * lay.first_line_indent_chars)
        body = styles[BODY]
        set_fonts(body, lay.body_font, lay.body_size_pt, False)
        _exact_spacing(body.paragraph_format, lay.line_pitch_pt)
        body.paragraph_format.first_line_indent = indent
        body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        body.paragraph_format.widow_control = True
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(character_spacing_twips(lay)))
        rpr = body.element.get_or_add_rPr()
        rpr.insert_element_before(spacing, *_AFTER_SPACING)  # Word wants rPr's children in schema order
        # docDefaults: East Asian default too, so text outside any style is not 宋体 at 10.5 pt
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            rfonts = defaults.find(".//" + qn("w:rFonts"))
            if rfonts is not None:
                for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                    rfonts.attrib.pop(qn(attr), None)
                for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                    rfonts.set(qn(attr), lay.body_font)

        for name, font, size, align, first in (
                (TITLE, lay.title_font, lay.title_size_pt, WD_ALIGN_PARAGRAPH.CENTER, Pt(0)),
                (H1, lay.heading1_font, lay.body_size_pt, WD_ALIGN_PARAGRAPH.LEFT, indent),
                (H2, lay.heading2_font, lay.body_size_pt, WD_ALIGN_PARAGRAPH.LEFT, indent)):
            st = styles[name]
            set_fonts(st, font, size, False)
            st.font.italic = False
            st.font.color.rgb = None
            rpr = st.element.get_or_add_rPr()
            for tag in ("w:color", "w:kern", "w:spacing", "w:u", "w:caps", "w:i", "w:iCs"):
                for el in rpr.findall(qn(tag)):
                    rpr.remove(el)
            # the built-in Title draws a border under itself
            ppr = st.element.get_or_add_pPr()
            for el in ppr.findall(qn("w:pBdr")):
                ppr.remove(el)
            fmt = st.paragraph_format
            _exact_spacing(fmt, lay.line_pitch_pt if name != TITLE else max(lay.line_pitch_pt, lay.title_size_pt * 1.6))
            fmt.alignment = align
            fmt.first_line_indent = first
            fmt.left_indent = Pt(0)
            fmt.keep_with_next = name != TITLE

        for name, font in ((TABLE_TEXT, lay.table_font), (TABLE_HEAD, lay.table_header_font)):
            st = styles.add_style(name, 1)  # WD_STYLE_TYPE.PARAGRAPH
            st.base_style = styles[BODY]
            set_fonts(st, font, lay.table_size_pt, False)
            fmt = st.paragraph_format
            fmt.first_line_indent = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
            fmt.space_before = fmt.space_after = Pt(0)
            fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
        st = styles.add_style(PAGE_NUMBER, 1)
        st.base_style = styles[BODY]
        set_fonts(st, lay.page_number_font, lay.page_number_size_pt, False)
        st.paragraph_format.first_line_indent = Pt(0)
        st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    def _setup_page_numbers(self) -> None:
        """“— N —” in 4号宋体: odd pages right-aligned, one character in; even pages left, one in."""
        self.doc.settings.odd_and_even_pages_header_footer = True  # w:evenAndOddHeaders
        sec = self.doc.sections[0]
        one_char = Pt(self.layout.page_number_size_pt)
        for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT), (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.style = self.doc.styles[PAGE_NUMBER]
            p.alignment = align
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                p.paragraph_format.right_indent = one_char
            else:
                p.paragraph_format.left_indent = one_char
            p.add_run("— ")
            _add_field(p, "PAGE")
            p.add_run(" —")
        for header in (sec.header, sec.even_page_header):
            header.is_linked_to_previous = False

    # ------------------------------------------------------------------ content
    def title(self, text: str) -> None:
        """The title, centred; a "\\n" in ``text`` breaks the line there (a long title is set
        on two lines broken between meaningful words, as GB/T 9704 asks)."""
        p = self._add(style=TITLE)
        for i, line in enumerate(text.split("\n")):
            run = p.add_run(xml_safe(line))
            if i:
                run._r.insert(0, OxmlElement("w:br"))
        self._add()  # 标题下空一行

    def addressee(self, text: str) -> None:
        """主送机关: flush left, ending in a full-width colon."""
        p = self._add(text.rstrip("：:") + "：")
        p.paragraph_format.first_line_indent = Pt(0)

    def para(self, text: str) -> None:
        self._add(text)

    def h1(self, text: str) -> None:
        self._add(text, H1)

    def h2(self, text: str) -> None:
        self._add(text, H2)

    def labelled(self, label: str, text: str) -> None:
        """A paragraph starting with a 【label】 in the heading-2 font (典型案例 parts)."""
        p = self._add()
        run = p.add_run(f"【{xml_safe(label)}】")
        set_fonts(run, self.layout.heading2_font)
        p.add_run(xml_safe(text))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], caption: str | None = None,
              right: Sequence[bool] | None = None, widths_mm: Sequence[float] | None = None) -> None:
        """A grid table: header row in 黑体, cells in the table font; ``right`` marks numeric columns."""
        if caption:
            p = self._add(caption, TABLE_HEAD)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        t = self.doc.add_table(rows=1, cols=len(headers))
        t.style = self.doc.styles["Table Grid"]
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        right = list(right) if right is not None else [False] * len(headers)
        for cell, text in zip(t.rows[0].cells, headers, strict=True):
            self._style(cell.paragraphs[0], TABLE_HEAD)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cell.paragraphs[0].add_run(xml_safe(text))
        _repeat_header(t.rows[0])
        for row in rows:
            cells = t.add_row().cells
            for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
                para = cell.paragraphs[0]
                self._style(para, TABLE_TEXT)
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if right[i] else WD_ALIGN_PARAGRAPH.LEFT
                para.add_run(xml_safe(value))
        for row in t.rows:  # a row is never split across two pages
            row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        widths = list(widths_mm) if widths_mm else _fit_widths(headers, rows, self.layout.text_width_mm)
        _fix_widths(t, widths)
        self._add()

    def signature(self, issuer: str, date_text: str) -> None:
        """发文机关署名 centred over the 成文日期, which stands four characters in from the right."""
        size = self.layout.body_size_pt
        self._add()
        self._add()
        shift = max(0.0, (len(date_text) - len(issuer)) / 2)
        for text, chars in ((issuer, 4 + shift), (date_text, 4)):
            p = self._add(text)
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.right_indent = Pt(size * chars)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()

    def save(self, path) -> Path:
        return atomic_write(Path(path), self.to_bytes())


def _add_field(paragraph, instr: str) -> None:
    """A complex field (``PAGE``) with a placeholder result, as Word writes it."""
    def fld(kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    run = paragraph.add_run()
    run._r.append(fld("begin"))
    run = paragraph.add_run()
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {instr} "
    run._r.append(it)
    run = paragraph.add_run()
    run._r.append(fld("separate"))
    paragraph.add_run("1")
    run = paragraph.add_run()
    run._r.append(fld("end"))


def _fit_widths(headers, rows, total_mm: float, size_pt: float = 12.0) -> list[float]:
    """Column widths from their longest text (a header may wrap onto two lines): each column
    its natural width (one full-width character = the font size, plus padding); if they fit,
    widened in proportion to the text width, else the wide text columns are narrowed."""
    char_mm = size_pt / 72 * 25.4 / 2  # a half-width character
    natural = []
    for i, head in enumerate(headers):
        longest = max([display_width(str(r[i])) for r in rows] or [0])
        natural.append(max(longest, (display_width(str(head)) + 1) // 2, 4) * char_mm * 1.15 + 4.5)
    if sum(natural) <= total_mm:
        return [w * total_mm / sum(natural) for w in natural]
    narrow = [w for w in natural if w <= 25]
    room = total_mm - sum(narrow)
    wide_total = sum(w for w in natural if w > 25)
    return [w if w <= 25 else max(20.0, w * room / wide_total) for w in natural]


def _fix_widths(table, widths_mm) -> None:
    """Fixed column widths Word and LibreOffice both honour (tblGrid, tblW, every cell)."""
    table.autofit = False  # w:tblLayout fixed, in its place in w:tblPr
    tbl = table._tbl
    tblpr = tbl.tblPr
    width = tblpr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tblpr.append(width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(round(sum(widths_mm) / 25.4 * 1440)))
    for col, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(round(w / 25.4 * 1440)))
    for row in table.rows:
        for c, w in zip(row.cells, widths_mm, strict=True):
            c.width = Mm(w)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)
