"""The registry folder: enterprises, reporting units, the annual plan, received dates.

``load_registry(data_dir)`` reads ``data_dir/registry/`` (layout in docs/design.md and
docs/intake.md) and returns a ``Registry``: the three tables in the columns
``evalkit.core.dataset`` promises, the received dates, the problems found, and the two
name matchers intake uses (``match_enterprise``, ``match_unit``).

A missing or unusable enterprises file raises ``DataDirError`` (exit status 2):
nothing can be validated without it. A bad row of any registry file becomes a
``registry_invalid`` problem; the row is left out when it cannot be used (no name,
no unit, a duplicate name, a bad plan month or method, an unreadable received date)
and kept otherwise (an unknown 重点行业 value is read as "not key").
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from evalkit.core import hierarchy
from evalkit.core.forms import DEFAULT_YEAR
from evalkit.core.problems import Problem, make_problem
from evalkit.exceptions import DataDirError
from evalkit.intake import cells
from evalkit.intake.ooxml import load_workbook

REGISTRY_DIR = "registry"
SUBMISSIONS_DIR = "submissions"
KEY_INDUSTRIES = ("危化品", "渔业船舶", "烟花爆竹", "民爆物品", "重点建设施工项目", "两客一危", "校车")
UNIT_KINDS = hierarchy.UNIT_KINDS
PLAN_METHODS = ("重点检查", "双随机")

ENTERPRISE_COLUMNS = ["name", "credit_code", "industry", "unit", "key_industry", "risk_level"]
UNIT_COLUMNS = ["unit", "kind", "supervised_total", "parent"]
PLAN_COLUMNS = ["name", "unit", "month", "method"]

# field -> accepted headers (compared after cells.norm); the first is the official one.
_ENTERPRISE_HEADERS = {
    "name": ("企业名称", "企业(单位)名称", "单位名称", "受检企业(单位)名称", "名称"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "industry": ("行业", "所属行业", "行业类别"),
    "unit": ("监管单位", "监管部门", "属地单位"),
    "key_industry": ("重点行业", "是否重点行业"),
    "risk_level": ("风险等级", "风险分级"),
}
_UNIT_HEADERS = {"unit": ("单位", "单位名称"), "kind": ("类型", "单位类型"),
                 "parent": ("上级单位", "上级", "所属单位")}
_PLAN_HEADERS = {"name": ("企业名称", "企业(单位)名称"), "unit": ("监管单位",),
                 "month": ("计划月份", "月份"), "method": ("方式", "检查方式")}
_RECEIVED_HEADERS = {"file": ("文件", "文件名"), "received": ("收到日期", "收文日期", "报送日期")}
_UNIT_PREFIXES = ("福建省", "泉州市", "石狮市", "蚶江镇")
_UNIT_SUFFIXES = (("村民委员会", "村"), ("村委会", "村"), ("村委", "村"))


@dataclass
class Table:
    """A registry file as text: the header map and (Excel/CSV row number, cells) rows."""

    path: str  # relative to data_dir, forward slashes
    columns: dict[str, int]  # field -> column index
    headers: dict[str, str]  # field -> header as written
    rows: list[tuple[int, list]]


@dataclass(eq=False)  # compared and hashed by identity: a cell judge's argument (columnar)
class Registry:
    enterprises: pd.DataFrame
    units: pd.DataFrame
    plan: pd.DataFrame
    received: dict[str, tuple[dt.date, int]]  # "submissions/..." -> (date, row in received.csv)
    problems: list[Problem] = field(default_factory=list)
    _enterprise_keys: dict[str, str] = field(default_factory=dict, repr=False)
    _unit_keys: dict[str, str] = field(default_factory=dict, repr=False)
    _suggest_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _near_cache: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict, repr=False)
    _choices: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self):
        self._enterprise_keys = {cells.normalise_name(n): n for n in self.enterprises["name"]}
        self._unit_keys = {cells.normalise_name(u): u for u in self.units["unit"]}

    def registered_name(self, written: str | None) -> str | None:
        """The registry name ``written`` matches after normalisation (NFKC, spaces, brackets),
        or None: ``match_enterprise`` without the search for a suggestion."""
        key = cells.normalise_name(written)
        return self._enterprise_keys.get(key) if key else None

    def match_enterprise(self, written: str | None) -> tuple[str | None, str | None]:
        """(registry name, None) when ``written`` matches after normalisation (NFKC,
        spaces, brackets); else (None, the closest registry name or None)."""
        name = self.registered_name(written)
        if name is not None:
            return name, None
        key = cells.normalise_name(written)
        if not key:
            return None, None
        if key not in self._suggest_cache:
            # rapidfuzz's ratio (the Indel similarity difflib's ratio approximates), in C++: difflib
            # took 0.6 s per name against 5,000 registry names
            close = process.extractOne(key, self._enterprise_choices(), scorer=fuzz.ratio, score_cutoff=75)
            self._suggest_cache[key] = self._enterprise_keys[close[0]] if close else None
        return None, self._suggest_cache[key]

    def _enterprise_choices(self) -> list[str]:
        if len(self._choices) != len(self._enterprise_keys):
            self._choices = list(self._enterprise_keys)
        return self._choices

    def near_miss(self, written: str | None) -> tuple[str | None, list[str]]:
        """(registry name, []) when ``written`` is within ``near_miss_edits`` characters of a
        registry name and no other registry name is as close (a typo: 莲中村 writes
        蚶江莲中雅琪标准场房 for 蚶江莲中雅琪标准厂房); (None, the tied names) when two or more
        are equally close (ambiguous: it stays unregistered); (None, []) when none is.

        rapidfuzz's Levenshtein distance (C++, with a cutoff) rather than difflib: "one or
        two characters" is an edit count, which difflib's ratio is not, and difflib costs
        about a second per name against a provincial registry of 10^5 names.
        """
        key = cells.normalise_name(written)
        if not key or key in self._enterprise_keys:
            return None, []
        if key not in self._near_cache:
            limit = near_miss_edits(key)
            found = process.extract(key, self._enterprise_choices(), scorer=Levenshtein.distance,
                                    score_cutoff=limit, limit=3) if limit else []
            best = [k for k, d, _ in found if d == found[0][1]] if found else []
            self._near_cache[key] = ((self._enterprise_keys[best[0]], []) if len(best) == 1
                                     else (None, [self._enterprise_keys[k] for k in best]))
        return self._near_cache[key]

    def match_unit(self, written: str | None) -> tuple[str | None, str | None]:
        """(unit, None) when ``written`` names a reporting unit; else (None, suggestion).

        Besides normalisation, a leading 石狮市/蚶江镇 and a 村委会/村民委员会 ending
        (for 村) are ignored: "蚶江镇石壁村委会" is 石壁村.
        """
        key = cells.strip_stamp(written) or ""
        if not key:
            return None, None
        for candidate in _unit_variants(key):
            if candidate in self._unit_keys:
                return self._unit_keys[candidate], None
        close = difflib.get_close_matches(key, list(self._unit_keys), n=1, cutoff=0.6)
        return None, (self._unit_keys[close[0]] if close else None)

    def unit_kind(self, unit: str) -> str | None:
        hit = self.units.loc[self.units["unit"] == unit, "kind"]
        return None if hit.empty else str(hit.iloc[0])


def near_miss_edits(key: str) -> int:
    """Edits (characters inserted, deleted or replaced) a near-miss name may differ by: 2 for a
    name of 8 characters or more, 1 for 4 to 7, none for shorter names (too little to tell)."""
    return 2 if len(key) >= 8 else 1 if len(key) >= 4 else 0


def _unit_variants(key: str) -> list[str]:
    out = [key]
    stripped = key
    changed = True
    while changed:
        changed = False
        for prefix in _UNIT_PREFIXES:
            if stripped.startswith(prefix) and len(stripped) > len(prefix):
                stripped, changed = stripped[len(prefix):], True
    out.append(stripped)
    for suffix, repl in _UNIT_SUFFIXES:
        for text in list(out):
            if text.endswith(suffix):
                out.append(text[: -len(suffix)] + repl)
    return out


# --------------------------------------------------------------------------- reading files


def _find(reg_dir: Path, stem: str, exts: tuple[str, ...]) -> Path | None:
    found = [reg_dir / f"{stem}.{ext}" for ext in exts if (reg_dir / f"{stem}.{ext}").is_file()]
    if len(found) > 1:
        raise DataDirError(reg_dir.parent, f"registry/ 中同时有 {' 和 '.join(p.name for p in found)}，请只保留一个")
    return found[0] if found else None


def _decode(data: bytes) -> str:
    """The text of a registry CSV: UTF-8 (with or without the BOM Excel writes), else GBK/GB18030
    (what Chinese Excel and WPS save as "CSV"). Strict, in that order: UTF-8 text never decodes
    as anything else by accident (GBK bytes are almost never valid UTF-8), and bytes valid in
    neither raise with a clear message rather than being guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("文件是 UTF-16 编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 GBK 的 CSV")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）：请另存为“CSV UTF-8（逗号分隔）”")


def _raw_rows(path: Path) -> list[tuple[int, list]]:
    """Non-blank rows of a CSV or the first sheet of an xlsx, with their row numbers."""
    if path.suffix.lower() == ".csv":
        text = _decode(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text)))
    else:

        wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # a false <dimension> would pad rows to billions of cells
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    return [(n, r) for n, r in enumerate(rows, 1) if any(cells.to_text(v) for v in r)]


# What a workbook cannot hold (openpyxl's rule): control characters other than tab, LF, CR.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _without_control(rel: str, raw: list[tuple[int, list]], header: list,
                     problems: list[Problem] | None) -> list[tuple[int, list]]:
    """Rows with control characters removed from text cells, one warning per cell naming it:
    a name holding NUL or an escape would break every workbook written from it."""
    out = []
    for n, row in raw:
        clean = []
        for index, value in enumerate(row):
            if isinstance(value, str) and _CONTROL.search(value):
                shown = "、".join(sorted({f"\\x{ord(c):02x}" for c in _CONTROL.findall(value)}))
                value = _CONTROL.sub("", value)
                if problems is not None:
                    column = cells.to_text(header[index]) if index < len(header) else None
                    problems.append(make_problem(
                        "registry_control_characters",
                        f"{rel} 第 {n} 行{('「' + column + '」') if column else ''}含不可见的控制字符（{shown}），"
                        f"已去除，按 {value!r} 读取：请在名录中改正", file=rel, row=n, column=column, value=value))
            clean.append(value)
        out.append((n, clean))
    return out


def _read_table(data_dir: Path, path: Path, spec: dict[str, tuple[str, ...]],
                problems: list[Problem] | None = None) -> Table:
    rel = path.relative_to(data_dir).as_posix()
    try:
        raw = _raw_rows(path)
    except Exception as exc:  # a registry file we cannot read at all
        raise DataDirError(data_dir, f"{rel} 无法读取（{type(exc).__name__}: {exc}）") from None
    if not raw:
        return Table(rel, {}, {}, [])
    wanted = {cells.norm(h): key for key, names in spec.items() for h in names}
    # The header is the row (of the first few) naming the most known columns: Excel users put a
    # title row, or a merged title over the header, above it. Rows above the header are not data.
    at = max(range(min(len(raw), _HEADER_SEARCH_ROWS)),
             key=lambda i: (len({wanted[cells.norm(v)] for v in raw[i][1] if cells.norm(v) in wanted}), -i))
    header_no, header = raw[at]
    raw = _without_control(rel, raw[at:], header, problems)
    header = raw[0][1]
    columns, headers = {}, {}
    for index, text in enumerate(header):
        key = wanted.get(cells.norm(text))
        if key and key not in columns:
            columns[key], headers[key] = index, cells.to_text(text)
    return Table(rel, columns, headers, [(n, r) for n, r in raw if n != header_no])


#: Rows of a registry file searched for its header (a title and a note or two may sit above it).
_HEADER_SEARCH_ROWS = 10


def _cell(table: Table, row: list, key: str):
    index = table.columns.get(key)
    return row[index] if index is not None and index < len(row) else None


def _problem(table: Table, row: int | None, key: str | None, message: str, value=None) -> Problem:
    column = table.headers.get(key) if key else None
    return make_problem("registry_invalid", message, file=table.path, sheet=None, row=row,
                        column=column, value=value)


# --------------------------------------------------------------------------- the tables


def _enterprises(data_dir: Path, reg_dir: Path, problems: list[Problem]) -> tuple[pd.DataFrame, str]:
    path = _find(reg_dir, "enterprises", ("csv", "xlsx"))
    if path is None:
        raise DataDirError(data_dir, "缺少企业名录 registry/enterprises.csv（或 .xlsx）")
    table = _read_table(data_dir, path, _ENTERPRISE_HEADERS, problems)
    missing = [names[0] for key, names in _ENTERPRISE_HEADERS.items()
               if key in ("name", "unit") and key not in table.columns]
    if missing:
        raise DataDirError(data_dir, f"{table.path} 缺少列：{'、'.join(missing)}")
    records, seen = [], {}
    for n, row in table.rows:
        name = cells.clean_name(_cell(table, row, "name"))
        unit = cells.clean_name(_cell(table, row, "unit"))
        if name is None:
            problems.append(_problem(table, n, "name", "企业名称为空：该行未计入名录，请填写企业名称"))
            continue
        if unit is None:
            problems.append(_problem(table, n, "unit", f"企业 {name} 的监管单位为空：该行未计入名录，请填写监管单位"))
            continue
        key = cells.normalise_name(name)
        if key in seen:
            problems.append(_problem(table, n, "name",
                                     f"企业名称 {name} 与第 {seen[key]} 行重复：该行未计入名录", name))
            continue
        seen[key] = n
        industry = cells.clean_text(_cell(table, row, "industry")) or ""
        records.append({
            "name": name,
            "credit_code": cells.clean_name(_cell(table, row, "credit_code")),
            "industry": industry,
            "unit": unit,
            "key_industry": _key_industry(table, n, _cell(table, row, "key_industry"), industry, problems),
            "risk_level": cells.clean_text(_cell(table, row, "risk_level")) or "",
        })
    return pd.DataFrame(records, columns=ENTERPRISE_COLUMNS), table.path


def _key_industry(table: Table, n: int, raw, industry: str, problems: list[Problem]) -> str | None:
    """是 -> the enterprise's 行业; 否/blank -> None; a key-industry name -> that name."""
    text = cells.clean_text(raw)
    if text is None or cells.norm(text) in ("否", "不是", "n", "no", "0"):
        return None
    if cells.norm(text) in ("是", "y", "yes", "1", "重点"):
        return industry or "是"
    for name in KEY_INDUSTRIES:
        if cells.norm(name) == cells.norm(text):
            return name
    problems.append(_problem(table, n, "key_industry",
                             f"重点行业 '{text}' 无法识别：应为 是/否 或 {'、'.join(KEY_INDUSTRIES)} 之一；"
                             "已按非重点行业处理",
                             text))
    return None


def _units(data_dir: Path, reg_dir: Path, enterprises: pd.DataFrame, enterprises_file: str,
           problems: list[Problem]) -> pd.DataFrame:
    counts = enterprises.groupby("unit").size().to_dict() if len(enterprises) else {}
    derived = {u: ("村" if u.endswith("村") else "部门") for u in enterprises["unit"]}
    path = reg_dir / "units.csv"
    units: dict[str, str] = {}
    parents: dict[str, tuple[str, int]] = {}  # unit -> (上级单位 as written, row)
    table = None
    if path.is_file():
        table = _read_table(data_dir, path, _UNIT_HEADERS, problems)
        if "unit" not in table.columns:
            raise DataDirError(data_dir, f"{table.path} 缺少列：单位")
        for n, row in table.rows:
            unit = cells.clean_name(_cell(table, row, "unit"))
            if unit is None:
                problems.append(_problem(table, n, "unit", "单位为空：该行未计入单位名录"))
                continue
            kind = cells.clean_name(_cell(table, row, "kind"))
            if kind not in UNIT_KINDS:
                fallback = "村" if unit.endswith("村") else "部门"
                problems.append(_problem(
                    table, n, "kind", f"单位 {unit} 的类型 '{kind or ''}' 应为 {'、'.join(UNIT_KINDS)} 之一："
                    f"已按 {fallback} 处理", kind))
                kind = fallback
            units.setdefault(unit, kind)
            parent = cells.clean_name(_cell(table, row, "parent")) if "parent" in table.columns else None
            if parent:
                parents.setdefault(unit, (parent, n))
        listed = {cells.normalise_name(u) for u in units}
        for unit in dict.fromkeys(enterprises["unit"]):
            if cells.normalise_name(unit) not in listed:
                problems.append(make_problem(
                    "registry_invalid",
                    f"企业名录中的监管单位 {unit} 不在 units.csv 中：已按 {derived[unit]} 加入单位名录",
                    file=enterprises_file, value=unit))
                units[unit] = derived[unit]
    else:
        units = derived
    frame = pd.DataFrame([{"unit": u, "kind": k, "supervised_total": int(counts.get(u, 0)), "parent": None}
                          for u, k in units.items()], columns=UNIT_COLUMNS)
    frame["parent"] = frame["parent"].astype(object)
    if parents and table is not None:
        _set_parents(frame, parents, table, problems)
    return frame


def _set_parents(frame: pd.DataFrame, parents: dict[str, tuple[str, int]], table: Table,
                 problems: list[Problem]) -> None:
    """Fill ``frame["parent"]`` from the 上级单位 column: a parent must be a listed unit, and
    following parents must never come back to where it started. A bad parent is reported and
    left empty (the unit then reports to the root), never guessed."""
    names = set(frame["unit"])
    for unit, (parent, n) in parents.items():
        if parent == unit:
            problems.append(_problem(table, n, "parent", f"单位 {unit} 的上级单位是它自己：已忽略", parent))
        elif parent not in names:
            problems.append(_problem(table, n, "parent",
                                     f"单位 {unit} 的上级单位 {parent} 不在 units.csv 中：已忽略", parent))
        else:
            frame.loc[frame["unit"] == unit, "parent"] = parent
    up = dict(zip(frame["unit"], frame["parent"], strict=True))
    for unit in frame["unit"]:
        seen, here = {unit}, up.get(unit)
        while here is not None and not pd.isna(here):
            if here in seen:
                _, n = parents[unit]
                problems.append(_problem(table, n, "parent",
                                         f"单位 {unit} 的上级单位形成循环（{unit} → … → {here}）：已忽略", up[unit]))
                frame.loc[frame["unit"] == unit, "parent"] = None
                up[unit] = None
                break
            seen.add(here)
            here = up.get(here)


def _plan(data_dir: Path, reg_dir: Path, registry: Registry, problems: list[Problem]) -> pd.DataFrame:
    path = _find(reg_dir, "plan", ("csv", "xlsx"))
    if path is None:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    table = _read_table(data_dir, path, _PLAN_HEADERS, problems)
    missing = [names[0] for key, names in _PLAN_HEADERS.items() if key != "unit" and key not in table.columns]
    if missing:
        problems.append(_problem(table, None, None, f"执法计划缺少列：{'、'.join(missing)}；计划未读取"))
        return pd.DataFrame(columns=PLAN_COLUMNS)
    by_name = registry.enterprises.set_index("name")["unit"].to_dict()
    records = []
    for n, row in table.rows:
        written = cells.clean_name(_cell(table, row, "name"))
        name, suggestion = registry.match_enterprise(written)
        if name is None:
            hint = f"（是否为：{suggestion}？）" if suggestion else ""
            problems.append(_problem(table, n, "name",
                                     f"计划中的企业 '{written or ''}' 不在企业名录中{hint}：该行未计入计划", written))
            continue
        try:
            _, month = cells.parse_month(_cell(table, row, "month"))
        except cells.CellError:
            raw = cells.to_text(_cell(table, row, "month"))
            problems.append(_problem(table, n, "month",
                                     f"计划月份 '{raw or ''}' 应为 1—12 的月份：该行未计入计划", raw))
            continue
        method = _plan_method(_cell(table, row, "method"))
        if method is None:
            raw = cells.to_text(_cell(table, row, "method"))
            problems.append(_problem(table, n, "method",
                                     f"方式 '{raw or ''}' 应为 重点检查 或 双随机：该行未计入计划", raw))
            continue
        unit = cells.clean_name(_cell(table, row, "unit")) or by_name[name]
        records.append({"name": name, "unit": unit, "month": month, "method": method})
    return pd.DataFrame(records, columns=PLAN_COLUMNS).astype({"month": "int64"})


def _plan_method(raw) -> str | None:
    text = cells.norm(raw)
    if not text:
        return None
    if text.startswith("重点"):
        return "重点检查"
    if text.startswith("双随机"):
        return "双随机"
    return None


def submission_key(path_text: str) -> str:
    """The key of a submission file: "submissions/<path>", NFC, forward slashes."""
    text = unicodedata.normalize("NFC", str(path_text).strip().replace("\\", "/"))
    while text.startswith("./"):
        text = text[2:]
    if not text.startswith(f"{SUBMISSIONS_DIR}/"):
        text = f"{SUBMISSIONS_DIR}/{text}"
    return text


def _received(data_dir: Path, reg_dir: Path, problems: list[Problem]) -> dict[str, tuple[dt.date, int]]:
    path = reg_dir / "received.csv"
    if not path.is_file():
        return {}
    table = _read_table(data_dir, path, _RECEIVED_HEADERS, problems)
    if set(table.columns) != {"file", "received"}:
        problems.append(_problem(table, None, None, "received.csv 应有 文件、收到日期 两列；收到日期未读取"))
        return {}
    out: dict[str, tuple[dt.date, int]] = {}
    for n, row in table.rows:
        file = cells.to_text(_cell(table, row, "file"))
        raw = _cell(table, row, "received")
        try:
            date = cells.parse_date(raw, DEFAULT_YEAR)
        except cells.CellError:
            date = None
        if file is None or date is None:
            problems.append(_problem(table, n, "received" if file else "file",
                                     f"收到日期行不完整或日期无法识别（'{cells.to_text(raw) or ''}'）："
                                     "应为 文件, YYYY-MM-DD",
                                     cells.to_text(raw)))
            continue
        out[submission_key(file)] = (date, n)
    return out


#: Every file ``load_registry`` may read, relative to registry/ (enterprises and plan: .csv or
#: .xlsx, see ``_find``). The dataset cache keys a data folder by exactly these and ``list_files``.
REGISTRY_FILES = ("enterprises.csv", "enterprises.xlsx", "units.csv", "plan.csv", "plan.xlsx", "received.csv")


def registry_files(data_dir: Path) -> list[Path]:
    """The files of ``REGISTRY_FILES`` that exist under ``data_dir/registry``."""
    reg_dir = Path(data_dir) / REGISTRY_DIR
    return [reg_dir / name for name in REGISTRY_FILES if (reg_dir / name).is_file()]


def load_registry(data_dir: Path) -> Registry:
    """Read ``data_dir/registry``; raises DataDirError when the enterprises file is
    missing or lacks 企业名称/监管单位."""
    data_dir = Path(data_dir)
    reg_dir = data_dir / REGISTRY_DIR
    if not reg_dir.is_dir():
        raise DataDirError(data_dir, "缺少 registry/ 目录（企业名录 registry/enterprises.csv）")
    problems: list[Problem] = []
    enterprises, enterprises_file = _enterprises(data_dir, reg_dir, problems)
    units = _units(data_dir, reg_dir, enterprises, enterprises_file, problems)
    registry = Registry(enterprises, units, pd.DataFrame(columns=PLAN_COLUMNS), {}, problems)
    registry.plan = _plan(data_dir, reg_dir, registry, problems)
    registry.received = _received(data_dir, reg_dir, problems)
    return registry
