"""The CJK font the PDF printer embeds: Noto Sans CJK SC cut down to what reports print, as TrueType.

Why a font of our own: Chromium's PDF backend (Skia) cannot embed a CFF-outline font such
as the installed Noto Sans CJK SC as a font, so it draws every glyph as a Type 3 procedure,
and it hands the whole 16 MB file to its print compositor for every document. A TrueType
copy that holds only what a report prints is embedded as an ordinary subset CID font:
measured on the June sample, each report costs about a third less of Chromium's CPU and its
PDF is a third of the size (scripts/bench_documents.py; docs/documents.md).

What it holds (``CHARSET``): Latin, punctuation and symbols, and all of the BMP's CJK
Unified Ideographs (U+4E00–U+9FFF: every 汉字 of GB2312 and GBK, and more). A character it
lacks (a 生僻字 of Extension A or B) is drawn, per character, by the next family of the
report stylesheet (Noto Sans CJK SC, then HanaMin), so nothing prints as a blank.

It is built once, by scripts/setup.sh (``python -m evalkit.report.pdf_fonts``; about 45 s
on two cores), into ``<venv>/share/evalkit/fonts`` (``$EVALKIT_FONT_DIR`` to move it), next
to a fontconfig file that adds that folder to the system's fonts for the printer's Chromium
alone (``FONTCONFIG_FILE``): nothing is installed system-wide. Without it the printer uses
Noto Sans CJK SC as before, only slower. The font keeps Noto's licence (SIL OFL 1.1) and,
as that licence asks of a modified font, another name (``FAMILY``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.sax.saxutils import escape

#: The family name the report stylesheet asks for first (report.css).
FAMILY = "evalkit Sans SC"
#: Where the installed source faces are found (fontconfig patterns), by the style we build.
SOURCES = {"Regular": "Noto Sans CJK SC:style=Regular", "Bold": "Noto Sans CJK SC:style=Bold"}
#: Code point ranges kept (inclusive): Latin, Greek and Cyrillic, punctuation and symbols, CJK.
#: The stamp records them, so setup rebuilds when they change; bump CHARSET_VERSION when the
#: building itself changes.
CHARSET = ((0x20, 0x7E), (0xA0, 0x52F), (0x2000, 0x2BFF), (0x3000, 0x33FF), (0x4E00, 0x9FFF),
           (0xF900, 0xFAFF), (0xFE10, 0xFE6F), (0xFF00, 0xFFEF))
CHARSET_VERSION = 1
#: OpenType features kept: what Chromium applies to horizontal Chinese text (ccmp, liga and
#: kern; halt/chws/palt for the punctuation spacing of text-spacing-trim). The language and
#: vertical forms (locl, vert) would double the glyphs and are never printed.
FEATURES = ("ccmp", "liga", "kern", "halt", "chws", "palt")
FONT_DIR_ENV = "EVALKIT_FONT_DIR"
STAMP = "stamp.json"
CONF = "fonts.conf"


class FontBuildError(RuntimeError):
    """The PDF font could not be built (the message says why)."""


def font_dir() -> Path:
    """Where the built font and its fontconfig file live."""
    env = os.environ.get(FONT_DIR_ENV)
    return Path(env) if env else Path(sys.prefix) / "share" / "evalkit" / "fonts"


def file_name(style: str) -> str:
    return f"{FAMILY.replace(' ', '')}-{style}.ttf"


def fontconfig_file(folder: Path | None = None) -> Path | None:
    """The fontconfig file to start the printer's Chromium with, or None when the font is not
    built (or is stale): the printer then uses the system's fonts as they are."""
    folder = folder or font_dir()
    conf = folder / CONF
    if not conf.is_file() or not all((folder / file_name(s)).is_file() for s in SOURCES):
        return None
    return conf


def find_source(pattern: str) -> Path | None:
    """The installed font file fontconfig gives for ``pattern``, if it is that family."""
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", pattern], capture_output=True,
                             text=True, timeout=30, check=True).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    family = pattern.split(":", 1)[0]
    if len(out) < 2 or family not in out[0].split(","):
        return None  # fontconfig substituted another family: not the font we cut down
    return Path(out[1])


def codepoints() -> list[int]:
    return [cp for lo, hi in CHARSET for cp in range(lo, hi + 1)]


def _stamp_of(sources: dict[str, Path]) -> dict:
    return {"version": CHARSET_VERSION, "family": FAMILY, "features": list(FEATURES),
            "charset": [list(r) for r in CHARSET],
            "sources": {style: [str(p), p.stat().st_size, int(p.stat().st_mtime)] for style, p in sources.items()}}


def _open_face(source: Path, family: str):
    from fontTools.ttLib import TTCollection, TTFont  # lazy: only building the font needs fontTools

    if source.suffix.lower() in (".ttc", ".otc"):
        for face in TTCollection(str(source)).fonts:
            if face["name"].getDebugName(1) == family:
                return face
        raise FontBuildError(f"{source} 中没有 {family} 字体")
    return TTFont(str(source))


def build_face(source: Path, style: str, out: Path, unicodes=None, family: str = "Noto Sans CJK SC") -> Path:
    """Cut ``source``'s ``family`` face down to ``unicodes`` (``CHARSET`` by default), turn its
    cubic CFF outlines into quadratic TrueType ones and save it as ``FAMILY`` ``style``."""
    from fontTools import subset  # lazy: only building the font needs fontTools
    from fontTools.pens.cu2quPen import Cu2QuPen  # lazy: as above
    from fontTools.pens.ttGlyphPen import TTGlyphPen  # lazy: as above
    from fontTools.ttLib import newTable  # lazy: as above

    face = _open_face(source, family)
    options = subset.Options()
    options.layout_features = list(FEATURES)
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints() if unicodes is None else unicodes)
    subsetter.subset(face)
    if "CFF " in face:  # PostScript outlines -> TrueType (max error 1 font unit)
        order, glyphs = face.getGlyphOrder(), face.getGlyphSet()
        glyf = newTable("glyf")
        glyf.glyphOrder, glyf.glyphs = order, {}
        for name in order:
            pen = TTGlyphPen(glyphs)
            glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
            glyf[name] = pen.glyph()
        face["glyf"], face["loca"] = glyf, newTable("loca")
        maxp = face["maxp"]
        maxp.tableVersion = 0x00010000
        for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                     "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
            setattr(maxp, attr, 0)
        maxp.maxZones = 1
        face["head"].indexToLocFormat = 0
        face["head"].glyphDataFormat = 0
        for table in ("CFF ", "VORG"):
            if table in face:
                del face[table]
        post = face["post"]
        post.formatType, post.extraNames, post.mapping = 2.0, [], {}
        face.sfntVersion = "\x00\x01\x00\x00"
    postscript = f"{FAMILY.replace(' ', '')}-{style}"
    for record in face["name"].names:  # OFL: a modified font does not keep the original's name
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (2, 17):
            record.string = style
        elif record.nameID == 3:
            record.string = f"{postscript};evalkit"
        elif record.nameID == 4:
            record.string = f"{FAMILY} {style}"
        elif record.nameID == 6:
            record.string = postscript
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    face.save(str(tmp))
    os.replace(tmp, out)
    return out


def _write_conf(folder: Path) -> Path:
    conf = folder / CONF
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- written by evalkit.report.pdf_fonts: the system's fonts plus the PDF font, "
        "for the PDF printer's Chromium only -->\n<fontconfig>\n"
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{escape(str(folder))}</dir>\n  <cachedir>{escape(str(folder / 'cache'))}</cachedir>\n"
        "</fontconfig>\n",
        encoding="utf-8")
    if shutil.which("fc-cache"):  # index the new folder now, not at every browser start
        subprocess.run(["fc-cache", str(folder)], env={**os.environ, "FONTCONFIG_FILE": str(conf)},
                       capture_output=True, timeout=300, check=False)
    return conf


def ensure(folder: Path | None = None, jobs: int = 2) -> tuple[str, Path | None]:
    """Build the font unless it is there and current. Returns (what happened, fontconfig file)."""
    folder = folder or font_dir()
    sources = {style: find_source(pattern) for style, pattern in SOURCES.items()}
    if not all(sources.values()):
        return "未找到 Noto Sans CJK SC（apt-get install fonts-noto-cjk）：PDF 使用系统字体", None
    stamp = _stamp_of(sources)
    stamp_path = folder / STAMP
    try:
        current = fontconfig_file(folder) is not None and json.loads(stamp_path.read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):  # no stamp, or a damaged one: build again
        current = False
    if current:
        return "PDF 字体已是最新", folder / CONF
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(sources)))) as pool:
        futures = [pool.submit(build_face, path, style, folder / file_name(style)) for style, path in sources.items()]
        for future in futures:
            future.result()
    conf = _write_conf(folder)
    stamp_path.write_text(json.dumps(stamp, ensure_ascii=False, indent=1), encoding="utf-8")
    return f"PDF 字体已生成：{folder}", conf


def main() -> int:
    try:
        message, _ = ensure()
    except Exception as exc:  # a font that will not build must not stop the setup: PDFs still print
        print(f"[setup] PDF 字体未生成（{type(exc).__name__}: {exc}）：PDF 使用系统字体，打印较慢")
        return 0
    print(f"[setup] {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
