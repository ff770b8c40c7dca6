"""Read a data folder into a validated ``Dataset``: ``load(data_dir)``.

What it reads and accepts, the money/date/item rules, the rule table and the fate
of a row are documented for users in docs/intake.md. In short:

1. ``registry.load_registry`` reads registry/ (a missing enterprises file raises
   DataDirError).
2. Every file under submissions/ is sniffed by content (never by name): empty,
   OLE (encrypted .xlsx or legacy .xls), zip without a workbook (.docx …), other
   (CSV, PDF, text) each give one file-level problem. Hidden and lock files
   (".*", "~$*", Thumbs.db, desktop.ini) are skipped with a file_skipped warning;
   links out of DATA_DIR, dangling links, linked folders and special files with a
   file_not_regular error (``listing``). Sizes are checked before anything is read
   and while the zip is decompressed (``workbooks``); sheets are read within fixed
   bounds (``grid``); hidden sheets are not counted.
3. Each sheet of a workbook is recognised by its header row (found by names,
   anywhere in the first 30 rows), its unit, month and year are read from the cells
   above the header, and its data rows are parsed with ``evalkit.intake.cells``.
4. Checks across files: duplicate submissions, lateness, duplicate 立案案号,
   the same enterprise inspected twice on one day; then the items table and the
   复查 linking (docs/design.md).

A row with an error is rejected (``Dataset.rejected``), a warning keeps it; an unreadable
fine only blanks its cell (the row is kept, ``ledger.unreadable`` names the cell; docs/intake.md
§8). Every file satisfies rows_read = rows_accepted + rows_rejected (asserted).

Workbooks are untrusted: openpyxl parses them with defusedxml (checked at import),
read-only and ``data_only=True`` so a formula yields its cached value and is never
evaluated; a formula without a cached value is blank with a warning.
"""


from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
from defusedxml import DefusedXmlException  # openpyxl parses with defusedxml when importable

from evalkit.core.dataset import Dataset
from evalkit.core.problems import make_problem, problems_frame
from evalkit.exceptions import DataDirError, InternalError, os_reason
from evalkit.intake import cells
from evalkit.intake.arrow_pool import use_system_pool
from evalkit.intake.columnar import release_shared_cache
from evalkit.intake.consolidated import supersede_relayed
from evalkit.intake.cross_file import mark_late, resolve_duplicates, settle_rows, unknown_received
from evalkit.intake.listing import list_files, stray_files
from evalkit.intake.parallel import read_files
from evalkit.intake.records import FileRead
from evalkit.intake.registry import REGISTRY_DIR, SUBMISSIONS_DIR, Registry, load_registry
from evalkit.intake.tables import (
    bookkeeping_tables,
    cross_row_checks,
    figures_frame,
    items_frame,
    ledger_frame,
    superseded_frame,
)
from evalkit.intake.workbooks import read_file


def _read_one(path: Path, rel: str, registry: Registry) -> FileRead:
    try:
        return read_file(path, rel, registry)
    except ImportError:  # this installation, not the file (ooxml: openpyxl without defusedxml)
        raise
    except Exception as exc:  # an unreadable workbook must not stop the other files
        result = FileRead(rel)
        result.problems.append(make_problem("file_unreadable", _unreadable_message(exc), file=rel))
        return result


def _unreadable_message(exc: BaseException) -> str:
    chain, seen = [], exc
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if any(isinstance(e, DefusedXmlException) for e in chain):
        return "工作簿含有不安全的 XML 内容（实体或 DTD 声明），为安全起见未读取：请在 Excel 中另存为 .xlsx 后报送"
    first = (str(exc).splitlines() or [""])[0][:120]
    return f"工作簿无法读取（{type(exc).__name__}: {first}）：请重新导出 .xlsx 后报送"


def _assert_nothing_lost(ds: Dataset) -> None:
    """Every row read is in ledger/figures or in rejected, file by file (internal check)."""
    kept = pd.concat([ds.ledger["file"], ds.figures["file"], ds.superseded["file"]]).value_counts().to_dict()
    dropped = ds.rejected["file"].value_counts().to_dict()
    for f in ds.files.to_dict("records"):
        out = kept.get(f["file"], 0), dropped.get(f["file"], 0)
        if (f["rows_accepted"], f["rows_rejected"]) != out or f["rows_read"] != f["rows_accepted"] + f["rows_rejected"]:
            raise InternalError(f"{f['file']} 的行数对不上（读取 {f['rows_read']}，接受 {f['rows_accepted']}，"
                                f"拒收 {f['rows_rejected']}，实际表中 {out}）")


def _check_listable(folder: Path, data_dir: Path, label: str) -> None:
    """DataDirError when ``folder`` cannot be listed (e.g. no read permission), which would
    otherwise be a traceback or a silently empty listing."""
    try:
        with os.scandir(folder):
            pass
    except OSError as exc:
        raise DataDirError(data_dir, f"{label}无法读取（{os_reason(exc)}）") from None


def load(data_dir, jobs: int | None = None) -> Dataset:
    """Read and validate ``data_dir`` (registry/ and submissions/) into a ``Dataset``.

    Files are parsed in ``jobs`` worker processes (default: one per core; see
    ``parallel.read_files``), with a progress bar on a terminal; the checks across files
    run after. Raises DataDirError when the folder, its registry/enterprises file or its
    submissions/ folder is missing. Everything else wrong with the data becomes a
    problem row; see docs/intake.md.
    """
    started = time.perf_counter()
    use_system_pool()  # freed table memory is reused, not taken fresh from the system (arrow_pool)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataDirError(data_dir, "目录不存在" if not data_dir.exists() else "不是目录")
    _check_listable(data_dir, data_dir, "")
    if (data_dir / REGISTRY_DIR).is_dir():
        _check_listable(data_dir / REGISTRY_DIR, data_dir, "registry/ 目录")
    registry = load_registry(data_dir)
    sub_dir = data_dir / SUBMISSIONS_DIR
    if not sub_dir.is_dir():
        raise DataDirError(data_dir, "缺少 submissions/ 目录（各单位报送的统计表）")
    _check_listable(sub_dir, data_dir, "submissions/ 目录")
    entries, skipped = list_files(sub_dir, data_dir)
    skipped += stray_files(data_dir)
    files = read_files(entries, registry, _read_one, jobs)
    release_shared_cache()
    for entry, f in zip(entries, files, strict=True):
        f.mtime = entry.mtime
    mark_late(files, registry)
    resolve_duplicates(files)
    supersede_relayed(files)  # a unit's own original wins over a town's consolidated rows for it
    settle_rows(files)
    ledger, figures = ledger_frame(files), figures_frame(files)
    problems = list(registry.problems) + skipped + unknown_received(files, registry, skipped)
    for f in files:
        problems += f.problems
        for s in f.sheets:
            problems += s.problems
            problems += s.block.row_problems()
    submissions, files_frame, rejected = bookkeeping_tables(files)
    superseded = superseded_frame(files)
    del files  # the tables hold everything now: the parsed columns are freed before the items are built
    problems += cross_row_checks(ledger)
    dataset = Dataset(
        data_dir=data_dir,
        enterprises=registry.enterprises,
        units=registry.units,
        plan=registry.plan,
        submissions=submissions,
        files=files_frame,
        ledger=ledger.reset_index(drop=True),
        items=items_frame(ledger),
        figures=figures,
        rejected=rejected,
        problems=problems_frame(problems),
        superseded=superseded,
        meta={"rectification_days": cells.DEFAULT_RECTIFICATION_DAYS},
    )
    _assert_nothing_lost(dataset)
    dataset.meta["load_seconds"] = round(time.perf_counter() - started, 3)
    return dataset

