"""The OOXML names intake needs, and openpyxl loaded only when a file needs it.

Most submissions are read by calamine (``engines``); openpyxl reads only a workbook that
calamine may not (formulas, cells without references, … see ``scans.xlsx_sheet_is_plain``)
and an .xlsx registry. Importing openpyxl costs about 0.1 s, a sixteenth of
``evalkit validate`` on the sample, which needs it for none of its 329 files. So the part
names, content types and tags below are spelled out (ECMA-376; the same strings as
``openpyxl.xml.constants`` and ``openpyxl.worksheet._reader``, which
tests/test_ooxml.py checks) and ``load_workbook`` imports openpyxl on first use.

openpyxl must parse with defusedxml (no entity expansion, no DTD). It does when defusedxml
is importable, unless ``OPENPYXL_DEFUSEDXML`` is set to anything but "True". That is checked
here at import, without importing openpyxl, and again on openpyxl's own flag when it loads.
"""

from __future__ import annotations

import functools
import os

import defusedxml  # noqa: F401  the import fails loudly where it is missing

if os.environ.get("OPENPYXL_DEFUSEDXML", "True") != "True":
    raise ImportError("evalkit.intake 需要 openpyxl 以 defusedxml 解析报送的工作簿：请删除环境变量 OPENPYXL_DEFUSEDXML")

# package parts (openpyxl.xml.constants)
ARC_CONTENT_TYPES = "[Content_Types].xml"
ARC_ROOT_RELS = "_rels/.rels"
ARC_CORE = "docProps/core.xml"
ARC_APP = "docProps/app.xml"
ARC_CUSTOM = "docProps/custom.xml"
ARC_STYLE = "xl/styles.xml"

# namespaces and content types
CONTYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
SHARED_STRINGS = f"{_SPREADSHEETML}.sharedStrings+xml"
WORKSHEET_TYPE = f"{_SPREADSHEETML}.worksheet+xml"
THEME_TYPE = "application/vnd.openxmlformats-officedocument.theme+xml"
XLSX = f"{_SPREADSHEETML}.sheet.main+xml"
XLTX = f"{_SPREADSHEETML}.template.main+xml"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLTM = "application/vnd.ms-excel.template.macroEnabled.main+xml"

# worksheet tags (openpyxl.worksheet._reader)
ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"
FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"


@functools.lru_cache(maxsize=1 << 10)
def column_letter(index: int) -> str:
    """The letters of 1-based column ``index`` (1 -> "A", 28 -> "AB"), up to "ZZZ" as openpyxl."""
    if not 1 <= index <= 18_278:
        raise ValueError(f"列号应为 1–18278：{index}")
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """The 1-based column of ``letters`` ("A" -> 1, "AB" -> 28), upper-case A–Z only."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def load_workbook(source, **kwargs):
    """``openpyxl.load_workbook``, openpyxl imported on first use (and checked to parse with
    defusedxml; ImportError otherwise)."""
    import openpyxl  # lazy: about 0.1 s, needed by few submissions (module doc)
    from openpyxl.xml import DEFUSEDXML  # lazy: with openpyxl

    if not DEFUSEDXML:
        raise ImportError("evalkit.intake 需要 defusedxml 以安全解析报送的工作簿：pip install defusedxml")
    return openpyxl.load_workbook(source, **kwargs)
