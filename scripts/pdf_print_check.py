"""Check what LibreOffice printed: page size and orientation, printed font sizes and fonts.

Usage: python scripts/pdf_print_check.py PDF...   (scripts/check_libreoffice.sh runs it)

For each PDF: every page A4 landscape (842 x 595 pt, the 填表说明 sheet of a template may be
portrait); every text run at least MIN_NOTE_PT (the notes), and on every sheet (known by the
footer's sheet name) the size most characters are printed in at least MIN_BODY_PT (the body);
no DejaVu font (a style that names no font falls back to it; every exported style names 宋体
or 黑体). Prints one line per PDF: pages, pages and body size per sheet (the first six), the body
size over all, the smallest size and the fonts. Exit status 1 when any PDF fails, 2 when pypdf is
missing.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

MIN_BODY_PT, MIN_NOTE_PT = 9.0, 8.0
A4 = (841.9, 595.3)
PORTRAIT_SHEETS = ("填表说明",)  # sheets printed portrait on purpose


def measure(path: Path) -> dict:
    import pypdf  # lazy: only this script needs it

    reader = pypdf.PdfReader(str(path))
    sizes: Counter = Counter()
    by_sheet: dict[str, Counter] = {}
    fonts: set[str] = set()
    pages, bad_pages = [], []
    for n, page in enumerate(reader.pages, 1):
        box = page.mediabox
        w, h = float(box.width), float(box.height)
        runs: list[tuple[float, float, float, str]] = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                runs.append((round(tm[5] * cm[3] + cm[5]), tm[4] * cm[0] + cm[4], size, text))
                if font:
                    fonts.add(str(font.get("/BaseFont", "?")).split("+")[-1])

        page.extract_text(visitor_text=visit)
        # the footer's left part is the sheet's name (&A): the lowest line, left third of the page
        low = min((r[0] for r in runs), default=0)
        sheet = "".join(r[3] for r in sorted(runs) if r[0] == low and r[1] < w / 3).strip() or "?"
        sheet_sizes = by_sheet.setdefault(sheet, Counter())
        for _, _, size, text in runs:
            sizes[round(size * 2) / 2] += len(text.strip())
            sheet_sizes[round(size * 2) / 2] += len(text.strip())
        landscape = abs(w - A4[0]) < 2 and abs(h - A4[1]) < 2
        portrait = abs(w - A4[1]) < 2 and abs(h - A4[0]) < 2
        if not (landscape or (portrait and sheet in PORTRAIT_SHEETS)):
            bad_pages.append(f"第{n}页 {w:.0f}x{h:.0f}pt（{sheet}）")
        pages.append(sheet)
        for _, _, size, text in runs:
            if size < MIN_NOTE_PT - 0.05:
                bad_pages.append(f"第{n}页 文字 {size:.1f}pt：{text.strip()[:20]}")
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    smallest = min(sizes) if sizes else 0.0
    problems = list(bad_pages)
    bodies = {sheet: c.most_common(1)[0][0] for sheet, c in by_sheet.items() if c}
    for sheet, size in bodies.items():
        if size < MIN_BODY_PT - 0.05:
            problems.append(f"“{sheet}”正文 {size:.1f}pt，低于 {MIN_BODY_PT}pt")
    if any("DejaVu" in f for f in fonts):
        problems.append("有未命名字体的文字（DejaVu）")
    per_sheet = Counter(pages)
    return {"pages": len(pages), "per_sheet": dict(per_sheet), "bodies": bodies, "body": body, "smallest": smallest,
            "fonts": sorted(fonts), "problems": problems}


def main(argv: list[str]) -> int:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        print("pypdf is not installed (pip install pypdf)", file=sys.stderr)
        return 2
    failed = 0
    for name in argv:
        m = measure(Path(name))
        sheets = "，".join(f"{s} {n}页 {m['bodies'].get(s, 0):.1f}pt" for s, n in list(m["per_sheet"].items())[:6])
        more = "…" if len(m["per_sheet"]) > 6 else ""
        status = "ok  " if not m["problems"] else "FAIL"
        print(f"{status} {Path(name).name}: {m['pages']} 页（{sheets}{more}）；正文 {m['body']:.1f}pt，"
              f"最小 {m['smallest']:.1f}pt；字体 {', '.join(m['fonts'])}")
        for p in m["problems"][:10]:
            print(f"      {p}")
        failed += bool(m["problems"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
