"""One submission file: sniffing by content, checking its zip parts, and reading its sheets.

Workbooks are untrusted: openpyxl parses them with defusedxml (checked at import and when
openpyxl loads, ``ooxml``), read-only and ``data_only=True`` so a formula yields its cached value and is never
evaluated; a formula without a cached value is blank with a warning.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import python_calamine as calamine
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring
from defusedxml.ElementTree import iterparse

from evalkit.core.forms import FIGURES, LEDGER
from evalkit.core.problems import Problem, make_problem
from evalkit.exceptions import os_reason
from evalkit.intake import cells, ole, scans
from evalkit.intake.engines import Encrypted, SheetSource, calamine_sheets
from evalkit.intake.grid import MAX_COLUMNS, MAX_ROWS, Budget, Grid, SheetTooComplex, read_grid
from evalkit.intake.header import find_header
from evalkit.intake.listing import MAX_FILE_BYTES, WORKBOOK_SUFFIXES, FileTooLarge, NotRegularFile, read_bytes
from evalkit.intake.ooxml import (
    ARC_APP,
    ARC_CONTENT_TYPES,
    ARC_CORE,
    ARC_CUSTOM,
    ARC_ROOT_RELS,
    ARC_STYLE,
    CONTYPES_NS,
    PKG_REL_NS,
    SHARED_STRINGS,
    THEME_TYPE,
    WORKSHEET_TYPE,
    XLSM,
    XLSX,
    XLTM,
    XLTX,
    column_letter,
    load_workbook,
)
from evalkit.intake.records import FORM_NAMES, FileRead, RowRead, SheetRead, sheet_problem
from evalkit.intake.registry import Registry
from evalkit.intake.rows import nonblank
from evalkit.intake.scans import SheetScan, scan_biff, xlsx_percent_cells, xlsx_percent_styles, xlsx_sheet_is_plain
from evalkit.intake.sheets import is_template_sheet, read_sheet

#: Total bytes of a workbook's zip members once decompressed (zip-bomb guard).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
#: One worksheet's XML (streamed by ``grid.read_grid``, so only time grows with it).
MAX_SHEET_PART_BYTES = 100 * 1024 * 1024
#: The shared-strings table and binary parts (images): openpyxl keeps every shared string.
MAX_LARGE_PART_BYTES = 32 * 1024 * 1024
#: Every other XML part (workbook, styles, relationships, properties …), which openpyxl
#: parses whole into objects.
MAX_XML_PART_BYTES = 8 * 1024 * 1024
#: Elements in all those other XML parts together. A styles part of 64,000 cell formats
#: (Excel's maximum) has about 200,000; 300,000 empty ones cost openpyxl about 200 MB.
MAX_TREE_ELEMENTS = 300_000
#: Elements of the shared-strings part (two or three per string; openpyxl keeps them all).
MAX_STRING_ELEMENTS = 1_500_000
_SMALL_XML_BYTES = 1024 * 1024  # the content types and the workbook's relationships
#: Non-empty cells kept from one workbook, over all its sheets (grid.MAX_ROWS x
#: grid.MAX_COLUMNS is 400,000 per sheet); a workbook with more is refused.
MAX_FILE_CELLS = 500_000
#: Entries of a workbook's zip and the bytes of its central directory (an .xlsx has a few
#: dozen parts; one with many sheets and pictures a few hundred).
MAX_ZIP_ENTRIES = 10_000
MAX_CENTRAL_DIRECTORY_BYTES = 4 * 1024 * 1024


OLE_MAGIC = ole.OLE_MAGIC

_CT_NS = f"{{{CONTYPES_NS}}}"
_REL_NS = f"{{{PKG_REL_NS}}}"
_WORKBOOK_TYPES = {XLSX, XLSM, XLTX, XLTM}
_CALC_CHAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
#: Parts openpyxl reads at fixed paths and parses whole, whatever their declared type.
_TREE_PARTS = (ARC_STYLE, ARC_CORE, ARC_APP, ARC_CUSTOM, ARC_ROOT_RELS)


ENCRYPTED_MESSAGE = "工作簿设置了打开密码：evalkit 不尝试密码，请取消打开密码后另存再报送"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


def _sniff(data: bytes, rel: str) -> tuple[str | None, object, Problem | None]:
    """(kind, detail, None) for a workbook to read, kind one of "xlsx", "xls", "xlsb", "ods"
    (detail: the BIFF stream of an .xls); (None, None, problem) otherwise."""
    suffix = Path(rel).suffix.lower()
    if not data:
        return None, None, make_problem("file_empty", "文件为空（0 字节）：请重新报送填好的工作簿", file=rel)
    if data.startswith(OLE_MAGIC):
        content = ole.inspect(data)
        if content.kind == "encrypted" or (content.kind != "xls" and suffix in (".xlsx", ".xlsm", ".xlsb")):
            # an encrypted .xlsx/.xlsb is an OLE container; one olefile cannot list is taken by its name
            return None, None, make_problem("file_encrypted", ENCRYPTED_MESSAGE, file=rel)
        if content.kind == "xls":
            return "xls", content.workbook, None
        if content.kind == "damaged" and suffix in (".xls", ".xlt", ".et"):
            return None, None, make_problem(
                "file_unreadable", "文件已损坏（旧版 .xls 的目录无法读取）：请重新导出后报送", file=rel)
        return None, None, make_problem(
            "file_not_excel", "不是 Excel 工作簿（旧版 Office 文档）：请报送统计表的工作簿", file=rel)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        entries, cd_size = _central_directory(data)
        if entries > MAX_ZIP_ENTRIES or cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
            return None, None, make_problem(
                "file_unreadable", f"压缩包登记的文件过多（{entries:,} 个，目录 {cd_size:,} 字节）："
                "工作簿只有几十个部件，疑似损坏或恶意文件，未读取", file=rel)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                names = {i.filename.lower() for i in infos}
                mimetype = zf.open("mimetype").read(200) if "mimetype" in names else b""
                manifest = (zf.open("META-INF/manifest.xml").read(_SMALL_XML_BYTES)
                            if "meta-inf/manifest.xml" in names else b"")
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError, zlib.error, EOFError):
            return None, None, make_problem(
                "file_unreadable", "文件已损坏（压缩包不完整）：请重新导出工作簿后报送", file=rel)
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            return None, None, make_problem("file_unreadable", "工作簿解压后过大：疑似损坏或恶意文件，未读取", file=rel)
        if "xl/workbook.bin" in names:
            return "xlsb", None, None
        if "xl/workbook.xml" in names:
            return "xlsx", None, None
        if mimetype.strip() == _ODS_MIME and "content.xml" in names:
            if b"encryption-data" in manifest:
                return None, None, make_problem("file_encrypted", ENCRYPTED_MESSAGE, file=rel)
            return "ods", None, None
        kind = ("Word 文档" if "word/document.xml" in names else
                "PowerPoint 文档" if "ppt/presentation.xml" in names else
                "OpenDocument 文本或演示文稿" if mimetype.startswith(b"application/vnd.oasis") else "压缩包")
        return None, None, make_problem("file_not_excel", f"不是 Excel 工作簿（是{kind}）：请报送统计表的工作簿",
                                        file=rel)
    if data.startswith(b"%PDF"):
        kind = "PDF 文件"
    elif suffix == ".csv":
        kind = "CSV 文件，不接受"
    elif _is_text(data[:4096]):
        kind = "文本文件"
    else:
        kind = "其他格式的文件"
    if suffix in WORKBOOK_SUFFIXES and not kind.startswith("CSV"):
        kind += f"，只是扩展名为 {suffix}"
    return None, None, make_problem(
        "file_not_excel", f"不是 Excel 工作簿（{kind}）：请报送 .xlsx、.xls、.ods 等格式的统计表", file=rel)


def _central_directory(data: bytes) -> tuple[int, int]:
    """(entries, bytes) the zip's end record declares for its central directory, read before
    zipfile builds one object per entry (a 36 MB zip of 400,000 empty entries costs it 300 MB).

    Found as zipfile finds it: the last end-of-central-directory signature in the final
    64 KB; ZIP64 sizes are followed. (0, 0) when there is none (zipfile then refuses it).
    """
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return 0, 0
    entries, size = struct.unpack_from("<H", data, pos + 10)[0], struct.unpack_from("<I", data, pos + 12)[0]
    locator = pos - 20
    if (entries == 0xFFFF or size == 0xFFFFFFFF) and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", data, locator + 8)[0]
        if record + 56 <= len(data) and data[record:record + 4] == b"PK\x06\x06":
            entries, size = struct.unpack_from("<QQ", data, record + 32)
    return entries, size


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


class _TooLarge(ValueError):
    """A part (or the whole workbook) passes a limit while being decompressed or counted."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(what)


class _Counted(io.RawIOBase):
    """A zip member read through a byte budget: raises _TooLarge past ``limit`` or the file's total."""

    def __init__(self, fh, limit: int, name: str, totals: dict):
        self.fh, self.limit, self.name, self.totals, self.size = fh, limit, name, totals, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(1 << 20 if n is None or n < 0 else min(n, 1 << 20))
        self.size += len(chunk)
        self.totals["bytes"] += len(chunk)
        if self.size > self.limit:
            raise _TooLarge(f"其中的 {self.name[:80]} 解压后超过 {self.limit // 1024 // 1024} MB")
        if self.totals["bytes"] > MAX_UNZIPPED_BYTES:
            raise _TooLarge(f"解压后超过 {MAX_UNZIPPED_BYTES // 1024 // 1024} MB")
        return chunk


def _count_elements(stream, name: str, totals: dict, key: str, budget: int) -> None:
    """Stream-parse one XML part, counting its elements into ``totals[key]`` (at most ``budget``).

    Only memory is judged here: malformed or unsafe XML ends the count quietly (openpyxl
    refuses it later if it reads that part at all).
    """
    stack = []
    try:
        for event, el in iterparse(stream, events=("start", "end")):
            if event == "start":
                totals[key] += 1
                if totals[key] > budget:
                    raise _TooLarge(f"的 XML 元素超过 {budget:,} 个（{name[:80]}）")
                stack.append(el)
            else:
                stack.pop()
                el.clear()
                if stack:
                    del stack[-1][:]
    except (ParseError, DefusedXmlException, UnicodeError):
        pass


def _small_xml(zf: zipfile.ZipFile, name: str):
    """A small XML part read whole and parsed (the content types and the workbook's relationships)."""
    if name not in zf.NameToInfo:
        return None
    with zf.open(name) as fh:
        data = fh.read(_SMALL_XML_BYTES + 1)
    if len(data) > _SMALL_XML_BYTES:
        raise _TooLarge(f"其中的 {name[:80]} 超过 {_SMALL_XML_BYTES // 1024} KB")
    try:
        return defused_fromstring(data)
    except (ParseError, DefusedXmlException, UnicodeError):
        return None


@dataclass
class _Roles:
    sheets: set[str]  # worksheets, streamed by grid.read_grid
    strings: str | None  # the shared-strings part
    unread: set[str]  # parts openpyxl never parses (the calculation chain; the theme, kept as bytes)


def _roles(zf: zipfile.ZipFile) -> _Roles:
    """The parts whose handling differs from "parsed whole", as openpyxl finds them.

    A worksheet is a target of a worksheet relationship of the workbook part; the shared
    strings, the calculation chain and the theme are found by their declared types. A part that also
    has any other role (the workbook, styles, properties, another relationship's target,
    another declared type) keeps the strict treatment: it may be parsed whole.
    """
    types = _small_xml(zf, ARC_CONTENT_TYPES)
    overrides = {} if types is None else {
        (e.get("PartName") or "").lstrip("/"): e.get("ContentType") for e in types.iter(f"{_CT_NS}Override")}
    workbook = next((p for p, t in overrides.items() if t in _WORKBOOK_TYPES), "xl/workbook.xml")
    folder, base = posixpath.split(workbook)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    rels = _small_xml(zf, rels_name)
    targets: dict[str, set[str]] = {"worksheet": set(), "calcChain": set(), "theme": set(), "other": set()}
    for r in ([] if rels is None else rels.iter(f"{_REL_NS}Relationship")):
        target = r.get("Target") or ""
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        kind = (r.get("Type") or "").rsplit("/", 1)[-1]
        targets[kind if kind in targets else "other"].add(target)
    strings = next((p for p, t in overrides.items() if t == SHARED_STRINGS), None)
    fixed = {ARC_CONTENT_TYPES, workbook, rels_name, *_TREE_PARTS, strings}
    sheets = {p for p in targets["worksheet"] if overrides.get(p, WORKSHEET_TYPE) == WORKSHEET_TYPE}
    unread = ({p for p in targets["calcChain"] if overrides.get(p) == _CALC_CHAIN_TYPE}
              | {p for p in targets["theme"] if overrides.get(p) == THEME_TYPE})
    return _Roles(sheets - targets["other"] - unread - fixed, strings,
                  unread - targets["other"] - targets["worksheet"] - fixed)


def _check_parts(data: bytes, rel: str) -> Problem | None:
    """Decompress every zip part once, counting, before openpyxl sees the file.

    The sizes the zip declares are not trusted: each part is streamed in 1 MB chunks and
    the file is refused as soon as a part passes its byte limit or all parts together pass
    MAX_UNZIPPED_BYTES. Worksheets (streamed by ``grid.read_grid``), the calculation
    chain (never opened by openpyxl; Excel writes one entry per formula) and the theme
    (kept as bytes) are only byte-limited; the shared strings and every other XML part are parsed here as a stream
    and their elements counted (MAX_STRING_ELEMENTS, MAX_TREE_ELEMENTS), since openpyxl
    keeps each shared string and parses every other XML part into objects (a 1 MB styles
    part of empty cell formats costs it over 100 MB). A part whose content does not match
    its declared size or checksum (zipfile stops at the declared size, then checks the
    CRC) is a damaged file.
    """
    totals = {"bytes": 0, "tree": 0, "strings": 0}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            roles = _roles(zf)
            strings = roles.strings
            for info in zf.infolist():
                name = info.filename
                if info.is_dir():
                    continue
                if name in roles.sheets or name in roles.unread:
                    with zf.open(info) as fh:
                        limit = MAX_SHEET_PART_BYTES if name in roles.sheets else MAX_LARGE_PART_BYTES
                        stream = _Counted(fh, limit, name, totals)
                        while stream.read(1 << 20):
                            pass
                    continue
                with zf.open(info) as fh:
                    head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
                is_xml = head.startswith(b"<") or name == strings
                limit = MAX_LARGE_PART_BYTES if name == strings or not is_xml else MAX_XML_PART_BYTES
                with zf.open(info) as fh:
                    stream = _Counted(fh, limit, name, totals)
                    if name == strings:
                        _count_elements(stream, name, totals, "strings", MAX_STRING_ELEMENTS)
                    elif is_xml:
                        _count_elements(stream, name, totals, "tree", MAX_TREE_ELEMENTS)
                    while stream.read(1 << 20):  # the rest (or all, for a binary part): its CRC is checked
                        pass
    except _TooLarge as exc:
        return make_problem("file_unreadable", f"工作簿{exc.what}：疑似损坏或恶意文件，未读取；"
                            "请在 Excel 中另存为 .xlsx 后重新报送", file=rel)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError, zlib.error) as exc:
        detail = ("其中文件的大小或校验和与压缩包目录不符" if "CRC" in str(exc) or isinstance(exc, EOFError)
                  else "压缩包中的内容无法解压")
        return make_problem("file_unreadable", f"文件已损坏（{detail}）：请重新导出 .xlsx 后报送", file=rel)
    return None


def _read_data(path: Path, rel: str) -> tuple[bytes | None, Problem | None]:
    try:
        return read_bytes(path), None
    except FileTooLarge as exc:
        return None, make_problem("file_unreadable", f"文件过大（{exc.size / 1024 / 1024:.0f} MB）：统计表应小于 "
                                  f"{MAX_FILE_BYTES // 1024 // 1024} MB，未读取", file=rel)
    except NotRegularFile:
        return None, make_problem("file_not_regular", "读取时已不是普通文件（被替换为链接或特殊文件）：已跳过，未读取",
                                  file=rel)
    except OSError as exc:
        return None, make_problem("file_unreadable", f"文件无法读取（{os_reason(exc)}）", file=rel)


def read_file(path: Path, rel: str, registry: Registry) -> FileRead:
    """Read one submission file into its sheets (see ``_read_file``); each sheet's rows come
    back packed into columns (``SheetRead.block``)."""
    result = _read_file(path, rel, registry)
    for sheet in result.sheets:
        sheet.pack()
    return result


def _read_file(path: Path, rel: str, registry: Registry) -> FileRead:
    """Read one submission file into its sheets; file-level problems for non-workbooks.

    .xlsx/.xlsm go through calamine when ``scans.xlsx_sheet_is_plain`` holds for every sheet,
    else through openpyxl (all bounds of docs/intake.md); .xls, .xlsb and .ods through
    calamine after their scan. Hidden and very hidden sheets are not counted: each non-empty
    one gives a ``sheet_hidden`` warning and none of its rows is read. Cells beyond the
    bounds give one ``sheet_cells_ignored`` warning per sheet.
    """
    result = FileRead(rel)
    data, problem = _read_data(path, rel)
    kind = detail = None
    if problem is None:
        kind, detail, problem = _sniff(data, rel)
    sources = None
    if problem is None:
        budget = Budget()
        if kind == "xlsx":
            fast = _scan_xlsx(data, rel)
            if isinstance(fast, Problem):
                problem = fast
            elif fast is not None:
                sources = calamine_sheets(data, fast, budget, default=SheetScan(extent=(MAX_ROWS, MAX_COLUMNS)))
            else:
                problem = _check_parts(data, rel)
                if problem is None:
                    sources = _openpyxl_sheets(data, budget)
        elif kind == "xls":
            book = scan_biff(detail)
            if book.encrypted:
                problem = make_problem("file_encrypted", ENCRYPTED_MESSAGE, file=rel)
            elif book.unreadable:
                problem = make_problem("file_unreadable", f"文件已损坏（{book.unreadable}）：请重新导出后报送",
                                       file=rel)
            else:
                sources = calamine_sheets(data, {sc.name: sc for sc in book.sheets}, budget)
        else:
            scanned = _scan_zip(data, rel, kind)
            if isinstance(scanned, Problem):
                problem = scanned
            else:
                sources = calamine_sheets(data, scanned, budget)
    if problem is not None:
        result.problems.append(problem)
        return result
    try:
        _read_sources(result, sources, rel, registry)
    except Encrypted:
        result.sheets = []
        result.problems = [make_problem("file_encrypted", ENCRYPTED_MESSAGE, file=rel)]
    except calamine.CalamineError as exc:
        result.sheets = []
        first = (str(exc).splitlines() or [""])[0][:120]
        result.problems = [make_problem("file_unreadable", f"工作簿无法读取（{first}）：请重新导出后报送", file=rel)]
    return result


def _openpyxl_sheets(data: bytes, budget: Budget) -> Iterator[SheetSource]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            try:
                grid = read_grid(ws, budget)
            except SheetTooComplex as exc:
                exc.sheet = ws.title
                raise
            yield SheetSource(ws.title, ws.sheet_state, grid)
    finally:
        wb.close()


def _read_sources(result: FileRead, sources: Iterator[SheetSource], rel: str, registry: Registry) -> None:
    unrecognised: list[tuple[SheetRead, list]] = []
    hidden, cells = 0, 0
    title = None
    try:
        for source in sources:
            title, grid = source.title, source.grid
            cells += grid.cells
            if cells > MAX_FILE_CELLS:
                result.sheets = []
                result.problems = [make_problem(
                    "file_unreadable",
                    f"工作簿的非空单元格超过 {MAX_FILE_CELLS:,} 个：远超统计表的规模，疑似损坏或恶意文件，"
                    "未读取；请只报送本单位本月的统计表", file=rel)]
                return
            if is_template_sheet(title, grid.rows):  # the fill-in template's 填表说明 / 名录
                continue
            if source.state != "visible":
                if grid.non_empty() or grid.cells_beyond or grid.rows_beyond:
                    hidden += 1
                    result.problems.append(_hidden_problem(source, grid, rel))
                continue
            ignored = _ignored_cells_problem(grid, rel, title)
            if not grid.non_empty():
                if ignored is not None:
                    result.problems.append(ignored)
                continue
            sheet = read_sheet(grid.rows, rel, title, registry, grid.formulas, grid.percent)
            if ignored is not None:
                sheet.problems.append(ignored)
            if sheet.form:
                result.sheets.append(sheet)
            else:
                unrecognised.append((sheet, grid.rows))
    except SheetTooComplex as exc:
        result.sheets = []
        title = getattr(exc, "sheet", title)
        where = f"工作表“{title}”" if title is not None else "工作簿"
        result.problems = [make_problem(
            "file_unreadable", f"{where}的结构异常（{exc}）：疑似损坏或恶意文件，未读取；"
            "请在 Excel 中另存为 .xlsx 后重新报送", file=rel, sheet=title)]
        return
    if not result.sheets and not unrecognised:
        message = ("工作簿中只有隐藏的工作表有内容：隐藏的工作表不计入；"
                   "请取消隐藏，或把统计表放在可见的工作表中后重新报送"
                   if hidden else "工作簿中没有任何内容：请填写统计表后再报送")
        result.problems.append(make_problem("file_empty", message, file=rel))
        return
    recognised = bool(result.sheets)
    for sheet, rows in unrecognised:
        if recognised:  # a notes or scratch sheet beside a recognised form
            sheet.problems.append(sheet_problem(
                "sheet_unrecognised", f"工作表“{sheet.sheet}”不是附件1或附件2：已忽略，其内容未读取", sheet))
        else:
            _reject_unrecognised(sheet, rows)
        result.sheets.append(sheet)


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _attrs(text: bytes) -> dict[str, str]:
    return {k.decode("ascii", "replace").rsplit(":", 1)[-1]: html.unescape(v.decode("utf-8", "replace"))
            for k, v in _ATTR.findall(text)}


def _sheet_parts(workbook: bytes | None, rels: bytes | None, folder: str) -> dict[str, str]:
    """Sheet name -> part name, from workbook.xml and its relationships (regular expressions:
    only used to place percent cells; a file they cannot read simply has none)."""
    if not workbook or not rels:
        return {}
    targets = {}
    for attrs in map(_attrs, _REL_TAG.findall(rels)):
        target = attrs.get("Target", "")
        targets[attrs.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                    else posixpath.normpath(posixpath.join(folder, target)))
    out = {}
    for attrs in map(_attrs, _SHEET_TAG.findall(workbook)):
        if attrs.get("name") is not None and attrs.get("id") in targets:
            out[attrs["name"]] = targets[attrs["id"]]
    return out


def _stream_parts(zf: zipfile.ZipFile, keep, limits, tags: dict[str, int] | None = None) -> dict[str, bytes]:
    """Decompress every part once within its byte limit (``limits(name)``), checking each CRC;
    the parts ``keep(name)`` selects are returned whole. ``tags`` receives, per XML part, the
    number of start tags (``<`` not followed by ``/``): its elements, counted at C speed."""
    totals = {"bytes": 0}
    kept: dict[str, bytes] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = info.filename
        count = tags is not None and name.lower().endswith((".xml", ".rels", ".vml"))
        n = 0
        with zf.open(info) as fh:
            stream = _Counted(fh, limits(name), name, totals)
            chunks = [] if keep(name) else None
            while chunk := stream.read(1 << 20):
                if count:
                    n += chunk.count(b"<") - chunk.count(b"</")
                if chunks is not None:
                    chunks.append(chunk)
            if chunks is not None:
                kept[name] = b"".join(chunks)
        if count:
            tags[name] = n
    return kept


def _zip_problem(exc: BaseException, rel: str) -> Problem:
    if isinstance(exc, _TooLarge):
        return make_problem("file_unreadable", f"工作簿{exc.what}：疑似损坏或恶意文件，未读取；"
                            "请在 Excel 中另存为 .xlsx 后重新报送", file=rel)
    detail = ("其中文件的大小或校验和与压缩包目录不符" if "CRC" in str(exc) or isinstance(exc, EOFError)
              else "压缩包中的内容无法解压")
    return make_problem("file_unreadable", f"文件已损坏（{detail}）：请重新导出工作簿后报送", file=rel)


_ZIP_ERRORS = (_TooLarge, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
               RuntimeError, zlib.error)


def _scan_xlsx(data: bytes, rel: str) -> dict[str, SheetScan] | Problem | None:
    """The per-sheet scans for the calamine fast path; None when the openpyxl reader must read
    the file (see ``scans.xlsx_sheet_is_plain``); a problem for a zip past its limits."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            roles = _roles(zf)
            wanted = roles.sheets | {ARC_STYLE, "xl/workbook.xml", "xl/_rels/workbook.xml.rels"}

            def limits(name):
                if name in roles.sheets:
                    return MAX_SHEET_PART_BYTES
                return MAX_LARGE_PART_BYTES if name == roles.strings or name in roles.unread else MAX_XML_PART_BYTES

            tags: dict[str, int] = {}
            parts = _stream_parts(zf, wanted.__contains__, limits, tags)
    except _ZIP_ERRORS:
        return None  # the openpyxl reader's checks name the problem
    tree = sum(n for name, n in tags.items() if name not in roles.sheets and name != roles.strings
               and name not in roles.unread)
    if tree > MAX_TREE_ELEMENTS or tags.get(roles.strings, 0) > MAX_STRING_ELEMENTS:
        return None  # the openpyxl reader's element counts refuse it, naming the part
    for name in roles.sheets:
        if not xlsx_sheet_is_plain(parts.get(name, b"")):
            return None
    if not roles.sheets:
        return None
    styles = xlsx_percent_styles(parts.get(ARC_STYLE))
    out: dict[str, SheetScan] = {}
    for title, part in _sheet_parts(parts.get("xl/workbook.xml"), parts.get("xl/_rels/workbook.xml.rels"),
                                    "xl").items():
        scan = SheetScan(title, extent=(MAX_ROWS, MAX_COLUMNS))
        scan.percent = xlsx_percent_cells(parts.get(part, b""), styles)
        out[title] = scan
    return out


def _xlsb_sheet_names(workbook: bytes) -> list[tuple[str, str]]:
    """(relationship id, sheet name) of each BrtBundleSh record of an .xlsb workbook part."""
    out, pos, size = [], 0, len(workbook)
    try:
        while pos < size:
            rtype, pos = scans.b12_varint(workbook, pos, 2)
            length, pos = scans.b12_varint(workbook, pos, 4)
            body, pos = pos, pos + length
            if rtype == 156 and length >= 12:  # BrtBundleSh: hsState, iTabID, strRelID, strName
                n = struct.unpack_from("<I", workbook, body + 8)[0]
                rid = workbook[body + 12: body + 12 + 2 * n].decode("utf-16-le", "replace")
                at = body + 12 + 2 * n
                m = struct.unpack_from("<I", workbook, at)[0]
                out.append((rid, workbook[at + 4: at + 4 + 2 * m].decode("utf-16-le", "replace")))
    except (IndexError, struct.error):
        pass
    return out


def _scan_zip(data: bytes, rel: str, kind: str) -> dict[str, SheetScan] | Problem:
    """Byte limits and the scan of an .xlsb or .ods (see ``scans``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if kind == "ods":
                parts = _stream_parts(zf, {"content.xml"}.__contains__,
                                      lambda n: MAX_SHEET_PART_BYTES if n == "content.xml" else MAX_LARGE_PART_BYTES)
                try:
                    book = scans.scan_ods(io.BytesIO(parts.get("content.xml", b"")))
                except (ParseError, DefusedXmlException, ValueError) as exc:
                    if isinstance(exc, DefusedXmlException):
                        return make_problem("file_unreadable", "工作簿含有不安全的 XML 内容（实体或 DTD 声明），"
                                            "为安全起见未读取：请另存后报送", file=rel)
                    return make_problem("file_unreadable", "文件已损坏（content.xml 无法解析）：请重新导出后报送",
                                        file=rel)
                return {sc.name: sc for sc in book.sheets}
            parts = _stream_parts(zf, lambda n: n.endswith((".bin", ".rels")),
                                  lambda n: MAX_SHEET_PART_BYTES if n.startswith("xl/worksheets/")
                                  else MAX_LARGE_PART_BYTES)
    except _ZIP_ERRORS as exc:
        return _zip_problem(exc, rel)
    targets = {}
    for attrs in map(_attrs, _REL_TAG.findall(parts.get("xl/_rels/workbook.bin.rels", b""))):
        targets[attrs.get("Id")] = posixpath.normpath(posixpath.join("xl", attrs.get("Target", "")))
    out = {}
    for rid, name in _xlsb_sheet_names(parts.get("xl/workbook.bin", b"")):
        part = targets.get(rid)
        out[name] = scans.scan_biff12(parts.get(part, b""), name) if part in parts else SheetScan(
            name, extent=(MAX_ROWS + 1, scans.MAX_DENSE_CELLS))  # unknown: refused by the dense bound
    return out


def _hidden_problem(ws: SheetSource, grid: Grid, rel: str) -> Problem:
    """The sheet_hidden warning: its rows are not read (a hidden copy must not count twice)."""
    state = "深度隐藏（veryHidden）" if ws.state == "veryHidden" else "隐藏"
    header = find_header(grid.rows)
    if header is None:  # e.g. the 名录 list behind a template's drop-downs
        what = "其内容不是附件1或附件2，未读取"
    else:
        what = f"其中的{FORM_NAMES[header.form.id]}未读取；如需报送，请取消隐藏后重新报送"
    return make_problem("sheet_hidden", f"工作表“{ws.title}”已{state}，未计入：{what}", file=rel, sheet=ws.title)


def _ignored_cells_problem(grid: Grid, rel: str, title: str) -> Problem | None:
    """One warning for the cells of a sheet beyond the columns and rows read, if any is non-empty."""
    if not (grid.cells_beyond or grid.rows_beyond):
        return None
    row, col = grid.first_beyond
    parts = []
    if grid.cells_beyond:
        parts.append(f"第 {column_letter(MAX_COLUMNS)} 列以右有 {grid.cells_beyond} 个非空单元格")
    if grid.rows_beyond:
        parts.append(f"第 {MAX_ROWS} 行以下还有内容")
    return make_problem(
        "sheet_cells_ignored",
        f"工作表“{title}”{'，'.join(parts)}：统计表最多 {max(len(LEDGER.columns), len(FIGURES.columns))} "
        f"列，只读取前 {column_letter(MAX_COLUMNS)} 列、前 {MAX_ROWS} 行，其余已忽略，未读取；"
        "请删除多余内容后重新报送",
        file=rel, sheet=title, row=row, column=column_letter(col))


def _reject_unrecognised(sheet: SheetRead, grid: list) -> None:
    """No form on any sheet of the file: every non-blank row is read and rejected."""
    sheet.problems.append(sheet_problem(
        "form_unrecognised",
        f"工作表“{sheet.sheet}”无法识别为附件1或附件2：未找到表头行（如 序号、受检企业(单位)名称、检查时间 或 "
        "单位、监管企业(单位)总数(家)、检查覆盖率(%)）；请使用官方表格", sheet))
    for n, row in enumerate(grid, 1):
        if filled := nonblank(row):
            for i in filled:
                sheet.labels.setdefault(i, column_letter(i + 1))
            sheet.rows.append(RowRead(n, [cells.to_text(v) for v in row], {}))
