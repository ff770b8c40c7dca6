"""One command, one folder of reports: ``evalkit run DATA_DIR --period 2024-06``.

``run_batch`` executes the report notebooks through papermill's Python API (the unit
report once per unit, then the town summary, the typical cases of the period's
quarter and the look-back review), renders each to an HTML page without code
(``evalkit.report.html``) and writes ``outputs/<period>/index.html``.

Why it is fast
    papermill starts a kernel per notebook, and each kernel then imports pandas,
    matplotlib and evalkit and loads the data: most of a report's time. Here each
    worker process keeps **one warm kernel** (``WarmKernelEngine``, a papermill engine
    handing nbclient a kernel manager it does not own), resets its namespace between
    notebooks, and the notebooks load the dataset through ``evalkit.report.cache`` (memory,
    then disk). HTML is rendered in the worker with one exporter per process.

Guarantees
    * fault isolation: a failing report is recorded (notebook, unit, cell, error as a
      ``ReportExecutionError`` message) and the others go on; ``BatchResult.ok`` is
      False if any failed;
    * atomic writes: every file goes through a temporary file and ``os.replace``; a
      failed report's old pages are removed, its executed notebook is kept as
      ``<report>.error.ipynb``;
    * incremental: a report whose notebook bytes, parameters, data files and evalkit
      source are unchanged is skipped (hashes in ``manifest.json``) unless ``force``;
    * parameters are checked against each notebook's ``parameters`` cell
      (``papermill.inspect_notebook``); an unknown name is a ``ParameterError``;
    * one writer per ``--out``: the folder is locked (``core.outdir.output_lock``) before
      the start-up clean-up, so a second run or export refuses instead of deleting this
      run's in-flight files;
    * Ctrl-C or SIGTERM: workers ignore the terminal's SIGINT; the batch process stops
      them with SIGTERM (each kills its kernel's process group first), removes temporary
      files, rewrites the index and raises ``Interrupted`` ("已中断：完成 N 份，未完成 M 份",
      exit status 130). An unfinished report leaves no file behind.

The dataset cache is the user's (``cache.default_cache_dir``), never inside ``--out``.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from evalkit._text import format_table
from evalkit.core import hierarchy
from evalkit.core.atomic import atomic_write
from evalkit.core.dataset import require_covered
from evalkit.core.file_names import file_stems
from evalkit.core.hierarchy import DEFAULT_ROOT
from evalkit.core.outdir import output_lock
from evalkit.core.periods import Period, parse_period
from evalkit.exceptions import Interrupted, ParameterError, ReportExecutionError
from evalkit.report.cache import (
    CACHE_ENV,
    data_fingerprint,
    default_cache_dir,
    load_cached,
    pin_environment,
    resolve_data_dir,
    source_fingerprint,
)
from evalkit.report.html import BAND, BAND_TEMPLATE, headline_of, render_index, render_report, warm_up
from evalkit.report.pdf import INSTALL_HINT, PdfError, PdfPrinter, find_chromium

UNIT_NOTEBOOK = "10-unit-report.ipynb"
TOWN_NOTEBOOK = "20-town-summary.ipynb"
CASES_NOTEBOOK = "30-typical-cases.ipynb"
LOOKBACK_NOTEBOOK = "40-look-back.ipynb"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
ENGINE_NAME = "evalkit_warm"
DEFAULT_TIMEOUT = 900  # seconds per cell; a hung cell fails its report, not the batch

GROUPS = ("全镇汇总", "单位报告", "典型案例", "重点案件回头看")


# --------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class ReportSpec:
    """One report to produce: which notebook, with which parameters, under which name."""

    report_id: str  # file stem under outputs/<period>/
    notebook: Path
    params: dict
    title: str
    group: str
    unit: str | None = None

    @property
    def html_name(self) -> str:
        return f"{self.report_id}.html"

    @property
    def ipynb_name(self) -> str:
        return f"{self.report_id}.ipynb"

    @property
    def error_name(self) -> str:
        return f"{self.report_id}.error.ipynb"


@dataclass(frozen=True)
class ExtraJob:
    """Work the batch runs in its pool beside the notebooks, e.g. the Word documents
    (``evalkit.documents.write_documents``, handed in by the CLI: this layer does not import it).

    ``func(data_dir, period, out_dir, **kwargs)`` returns the paths it wrote under
    ``out_dir``; they are listed on the index page under ``group``. Skipped, like a report,
    when the data, evalkit's source and ``kwargs`` are unchanged and its files exist.
    """

    job_id: str
    title: str
    group: str
    func: Callable
    kwargs: dict = field(default_factory=dict)


def cases_period(period: Period) -> Period:
    """The period of the typical-cases report: the quarter of a month, else the period itself."""
    if period.kind in ("month", "ytd"):
        return parse_period(f"{period.year}-{period.last_month:02d}", "quarter")
    return period


def plan_reports(data_dir: Path, period: Period, units: list[str], notebooks_dir: Path,
                 region: str = DEFAULT_ROOT) -> list[ReportSpec]:
    """The reports of one batch, the slow town-level ones first (better load balance);
    ``region`` is the data folder's root (``core.hierarchy.root``: the town, or the city)."""
    data = str(data_dir)
    quarter = cases_period(period)
    town_title = (f"{region}{period.label}安全生产执法提升专项行动总结" if period.kind == "year"
                  else f"{region}{period.label}执法工作汇总")
    specs = [
        ReportSpec("town-summary", notebooks_dir / TOWN_NOTEBOOK,
                   {"data_dir": data, "period": period.text}, town_title, GROUPS[0]),
        ReportSpec(f"typical-cases-{quarter.text}", notebooks_dir / CASES_NOTEBOOK,
                   {"data_dir": data, "quarter": quarter.text}, f"{quarter.label}典型案例", GROUPS[2]),
        ReportSpec("look-back", notebooks_dir / LOOKBACK_NOTEBOOK,
                   {"data_dir": data, "period": period.text}, f"{period.label}重点案件回头看", GROUPS[3]),
    ]
    stems = file_stems(units)  # safe, bounded and unique (core.file_names)
    for unit in units:
        specs.append(ReportSpec(f"unit-{stems[unit]}", notebooks_dir / UNIT_NOTEBOOK,
                                {"data_dir": data, "unit": unit, "period": period.text},
                                f"{unit}{period.label}执法工作报告", GROUPS[1], unit))
    return specs


def default_notebooks_dir() -> Path:
    """The report notebooks shipped inside the package (``evalkit/report/notebooks``).

    They are package data, so ``pip install .`` followed by ``evalkit run`` works outside
    a checkout; the repository's ``notebooks/`` links to the same files for analysts.
    """
    folder = Path(str(resources.files("evalkit.report").joinpath("notebooks")))
    if not (folder / UNIT_NOTEBOOK).is_file():
        raise ParameterError("notebooks_dir", str(folder), "含报告模板的目录（安装包内的 evalkit/report/notebooks）")
    return folder


# --------------------------------------------------------------------------- hashes
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def report_hash(notebook_sha: str, params: dict, data_sha: str, source_sha: str) -> str:
    """The content hash deciding whether a report is up to date."""
    blob = json.dumps({"notebook": notebook_sha, "params": params, "data": data_sha,
                       "source": source_sha}, sort_keys=True, ensure_ascii=False)
    return _sha(blob.encode("utf-8"))


def notebook_parameters(path: Path, known: dict | None = None) -> list[str]:
    """Names declared in a notebook's ``parameters`` cell (papermill.inspect_notebook).

    ``known`` maps notebook sha256 -> names from an earlier run, so an unchanged
    notebook is not inspected again (importing papermill alone takes a second).
    """
    sha = _sha(path.read_bytes())
    if known and sha in known:
        return list(known[sha])
    import papermill  # lazy: papermill/jupyter take seconds to import; only a batch run needs them

    names = list(papermill.inspect_notebook(str(path)).keys())
    if not names:
        raise ParameterError("notebook", str(path), "首个代码单元格带 parameters 标签的报告模板")
    if known is not None:
        known[sha] = names
    return names


def check_parameters(spec: ReportSpec, declared: list[str]) -> None:
    """Refuse a parameter the notebook does not declare (papermill would only warn)."""
    unknown = sorted(set(spec.params) - set(declared))
    if unknown:
        raise ParameterError(f"{spec.notebook.name} 的参数", "、".join(unknown),
                             f"该报告模板 parameters 单元格声明的参数：{'、'.join(declared)}")


# --------------------------------------------------------------------------- results
@dataclass
class ReportOutcome:
    """What happened to one report in this run."""

    report_id: str
    title: str
    group: str
    notebook: str
    unit: str | None
    status: str  # done | skipped | failed
    seconds: float = 0.0
    error: str | None = None
    headline: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


_STATUS_ZH = {"done": "完成", "skipped": "跳过（未变化）", "failed": "失败"}


@dataclass
class BatchResult:
    """The outcome of ``run_batch``: one ``ReportOutcome`` per planned report."""

    period: Period
    out_dir: Path
    outcomes: list[ReportOutcome]
    seconds: float
    jobs: int
    #: Files the extra jobs wrote (relative to out_dir), the PDFs written, and notes
    #: (a missing Chromium, a PDF or document that failed).
    extra_files: list[str] = field(default_factory=list)
    pdfs: int = 0
    notes: list[str] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(o.status != "failed" for o in self.outcomes)

    @property
    def index_path(self) -> Path:
        return self.out_dir / "index.html"

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def to_dict(self) -> dict:
        return {"period": self.period.text, "out_dir": str(self.out_dir), "ok": self.ok,
                "seconds": round(self.seconds, 2), "jobs": self.jobs,
                "done": self.count("done"), "skipped": self.count("skipped"),
                "failed": self.count("failed"), "reports": [asdict(o) for o in self.outcomes],
                "documents": list(self.extra_files), "pdfs": self.pdfs, "notes": list(self.notes),
                "timings": {k: round(v, 2) for k, v in self.timings.items()}}

    def to_text(self) -> str:
        rows = [[o.title, _STATUS_ZH[o.status], f"{o.seconds:.1f}" if o.status != "skipped" else "—"]
                for o in self.outcomes]
        lines = [f"{self.period.label} 报告批量生成：{self.out_dir}", "",
                 format_table(["报告", "状态", "用时(秒)"], rows, right=[False, False, True])]
        lines += ["", f"完成 {self.count('done')}，跳过 {self.count('skipped')}，失败 {self.count('failed')}，"
                      f"用时 {self.seconds:.1f} 秒（{self.jobs} 个并行进程）"]
        if self.extra_files:
            names = "、".join(Path(f).name for f in self.extra_files)
            lines.append(f"公文（Word）{len(self.extra_files)} 份：{names}")
        if self.pdfs:
            lines.append(f"PDF {self.pdfs} 份（与各报告同名，位于报告目录）")
        lines += [f"注意：{n}" for n in self.notes]
        failed = [o for o in self.outcomes if o.status == "failed"]
        if failed:
            lines.append("失败的报告（其余报告不受影响）：")
            lines += [f"  - {o.error}" for o in failed]
        lines.append(f"报告目录：{self.index_path}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- worker side
_WARM: dict = {}  # this worker's warm kernel: {"name", "km", "kc"}
_WORKER_STATS: dict[str, float] = {}

# Run in the kernel after each report: a clean namespace, no figures, default pandas display.
# Not %reset: it runs gc.collect(), about 0.1-0.4 s a report; refcounting frees the tables.
_RESET_CODE = """\
def _evalkit_reset(ip):
    ip.user_ns["Out"].clear()
    for name in [k for k in ip.user_ns if k not in ip.user_ns_hidden or k in ("_", "__", "___")]:
        del ip.user_ns[name]
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if "pandas" in sys.modules:
        sys.modules["pandas"].reset_option("display")
    ip.execution_count = 1
_evalkit_reset(get_ipython())
"""


def _run_sync(coro_fn):
    from jupyter_core.utils import (
        run_sync,  # lazy: papermill/jupyter take seconds to import; only a batch run needs them
    )

    return run_sync(coro_fn)


def _shutdown_kernel() -> None:
    km, kc = _WARM.pop("km", None), _WARM.pop("kc", None)
    _WARM.clear()
    if kc is not None:
        kc.stop_channels()
    if km is not None:
        try:
            _run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass


def _warm_kernel(kernel_name: str, start_timeout: float):
    """This process's (kernel manager, client), started on first use, replaced if it died.

    One client for the life of the kernel: a new client waits for the kernel to answer
    and flushes IOPub (about 0.2 s each time); nbclient ignores replies to other requests.
    """
    if _WARM and (_WARM["name"] != kernel_name or not _run_sync(_WARM["km"].is_alive)()):
        _shutdown_kernel()
    if not _WARM:
        from jupyter_client.manager import (
            AsyncKernelManager,  # lazy: papermill/jupyter take seconds to import; only a batch run needs them
        )

        started = time.perf_counter()
        km = AsyncKernelManager(kernel_name=kernel_name)
        # In-memory history, as nbclient does: two kernels writing one sqlite file contend.
        _run_sync(km.start_kernel)(cwd=os.getcwd(), extra_arguments=[
            "--HistoryManager.hist_file=:memory:",
            # the kernel is local; its TCP notice is noise in the batch log
            "--IPKernelApp.log_level=ERROR"])
        kc = km.client()
        kc.start_channels()

        warm_up()  # compile the HTML templates while the kernel boots
        try:
            _run_sync(kc.wait_for_ready)(timeout=start_timeout)
        except Exception:
            kc.stop_channels()
            _run_sync(km.shutdown_kernel)(now=True)
            raise
        kc.allow_stdin = False
        _WARM.update(name=kernel_name, km=km, kc=kc)
        _WORKER_STATS["kernel_start"] = _WORKER_STATS.get("kernel_start", 0) + time.perf_counter() - started
    return _WARM["km"], _WARM["kc"]


def _reset_kernel() -> None:
    """Clear the user namespace; a kernel that does not answer is shut down instead."""
    if not _WARM:
        return
    started = time.perf_counter()
    try:
        reply = _run_sync(_WARM["kc"].execute_interactive)(
            _RESET_CODE, store_history=False, timeout=60, output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            _shutdown_kernel()
    except Exception:
        _shutdown_kernel()
    _WORKER_STATS["reset"] = _WORKER_STATS.get("reset", 0) + time.perf_counter() - started


def _make_engine():
    # lazy: papermill/jupyter take seconds to import; only a batch run needs them
    from papermill.clientwrap import PapermillNotebookClient  # lazy: see above
    from papermill.engines import NBClientEngine  # lazy: see above
    from papermill.log import logger  # lazy: see above

    class WarmKernelEngine(NBClientEngine):
        """papermill engine running every notebook in this process's warm kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     **kwargs):
            km, kc = _warm_kernel(kernel_name, start_timeout)
            client = PapermillNotebookClient(
                nb_man, km=km, kernel_name=kernel_name, timeout=execution_timeout,
                startup_timeout=start_timeout, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc  # reuse: nbclient creates a client only when it has none
            try:
                return client.execute()
            except Exception:
                _shutdown_kernel()  # a timeout or a dead kernel: start afresh next time
                raise
            finally:
                client.kc = None
                _reset_kernel()

    return WarmKernelEngine


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the batch process dies, so no worker outlives it."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _kill_kernel_now() -> None:
    """Kill this worker's kernel (its whole process group) without the event loop.

    Called from a signal handler, which may interrupt nbclient's running event loop: the
    async ``shutdown_kernel`` cannot run there, a plain ``killpg`` can.
    """
    km = _WARM.get("km")
    provisioner = getattr(km, "provisioner", None)
    pgid, pid = getattr(provisioner, "pgid", None), getattr(provisioner, "pid", None)
    try:
        if pgid:
            os.killpg(pgid, signal.SIGKILL)
        elif pid:
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    with contextlib.suppress(Exception):
        km.cleanup_connection_file()


def _on_sigterm(signum, frame):  # exercised by the interrupt test, in a worker process
    _kill_kernel_now()
    os._exit(1)


def _worker_init(env: dict) -> None:
    # Ctrl-C reaches every process of the terminal's process group: the batch process
    # alone handles it (and stops the workers with SIGTERM), so no worker prints a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    os.environ.update(env)
    _die_with_parent()
    from papermill.engines import (
        papermill_engines,  # lazy: papermill/jupyter take seconds to import; only a batch run needs them
    )

    papermill_engines.register(ENGINE_NAME, _make_engine())
    multiprocessing.util.Finalize(None, _shutdown_kernel, exitpriority=10)


def _source_cell_number(nb) -> int | None:
    """1-based position, in the notebook as written, of the cell that raised.

    papermill's ``cell_index`` counts its injected-parameters cell; its error notebook
    also carries marker cells. Both are skipped here so the number matches what the
    author sees in JupyterLab.
    """
    number = 0
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        number += 1
        if cell.get("metadata", {}).get("papermill", {}).get("exception") or any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return number
    return None


def _remove(*paths: Path) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def execute_extra(job: dict) -> dict:
    """Run one ``ExtraJob`` (in a worker): ``func(data_dir, period, out_dir, **kwargs)``. Never raises."""
    started = time.perf_counter()
    result = {"report_id": job["job_id"], "status": "failed", "error": None, "files": [], "timings": {}}
    try:
        out = Path(job["out_dir"])
        written = job["func"](job["data_dir"], job["period"], out, **job.get("kwargs", {}))
        result["files"] = [Path(w).resolve().relative_to(out.resolve()).as_posix() for w in written]
        result["status"] = "done"
    except Exception as exc:  # a failed document is recorded; the reports go on
        last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
        result["error"] = f"{job['title']}生成失败：{type(exc).__name__}: {last}"
    result["seconds"] = time.perf_counter() - started
    return result


def execute_report(job: dict) -> dict:
    """Run one report (in a worker): execute, render, write atomically. Never raises.

    ``job`` carries a ``ReportSpec``'s fields plus ``out_dir``, ``subtitle``,
    ``kernel_name``, ``timeout`` and ``engine`` (None: papermill's default engine).
    """
    import nbformat  # lazy: papermill/jupyter take seconds to import; only a batch run needs them
    import papermill
    from papermill.exceptions import PapermillExecutionError


    started = time.perf_counter()
    out = Path(job["out_dir"])
    notebook = Path(job["notebook"])
    stem = job["report_id"]
    tmp_nb = out / f".{stem}.{os.getpid()}.tmp.ipynb"
    final_html, final_nb, error_nb = out / f"{stem}.html", out / f"{stem}.ipynb", out / f"{stem}.error.ipynb"
    before = dict(_WORKER_STATS)
    result = {"report_id": stem, "status": "failed", "error": None, "headline": {}, "timings": {}}

    def fail(cell, ename, evalue):
        err = ReportExecutionError(notebook.name, job.get("unit"), cell, ename, evalue)
        message = str(err) if cell is not None else (  # kernel death, timeout, rendering
            f"{notebook.name} {'单位 ' + job['unit'] + ' ' if job.get('unit') else ''}执行失败：{ename}: {evalue}")
        if tmp_nb.exists():
            os.replace(tmp_nb, error_nb)
            message += f"（执行记录见 {error_nb.name}）"
        # The old pages were made from other inputs: they must not pass for this run's.
        _remove(final_html, final_nb)
        result["error"] = message

    try:
        t0 = time.perf_counter()
        nb = papermill.execute_notebook(
            str(notebook), str(tmp_nb), parameters=job["params"], engine_name=job.get("engine"),
            kernel_name=job.get("kernel_name"), progress_bar=False, request_save_on_cell_execute=False,
            cwd=str(notebook.parent), execution_timeout=job.get("timeout"))
        result["timings"]["execute"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        page = render_report(nb, job["title"], job.get("subtitle", ""), region=job.get("region", DEFAULT_ROOT))
        result["timings"]["render"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        atomic_write(final_html, page)
        os.replace(tmp_nb, final_nb)
        _remove(error_nb)
        result["timings"]["write"] = time.perf_counter() - t0
        result["headline"] = headline_of(nb)
        result["status"] = "done"
    except PapermillExecutionError as exc:
        cell = None
        if tmp_nb.exists():
            try:
                cell = _source_cell_number(nbformat.read(tmp_nb, as_version=4))
            except Exception:
                cell = None
        fail(cell, exc.ename, exc.evalue)
    except Exception as exc:  # kernel death, timeout, rendering: still only this report
        fail(None, type(exc).__name__, str(exc).strip().splitlines()[-1] if str(exc).strip() else "")
    finally:
        _remove(tmp_nb)
    for key in ("kernel_start", "reset"):
        spent = _WORKER_STATS.get(key, 0) - before.get(key, 0)
        if spent:
            result["timings"][key] = spent
    result["seconds"] = time.perf_counter() - started
    return result


# --------------------------------------------------------------------------- manifest
def _read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("version") == MANIFEST_VERSION:
            return manifest
    except (OSError, ValueError):
        pass
    return {"version": MANIFEST_VERSION, "reports": {}, "notebook_parameters": {}}


def _write_manifest(path: Path, manifest: dict) -> None:
    atomic_write(path, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))


def _clean_stale_temps(out: Path) -> None:
    """Remove temporary files a killed run left behind (never mistaken for reports)."""
    for tmp in out.glob(".*.tmp*"):
        _remove(tmp)


# --------------------------------------------------------------------------- run
def _remove_old_pickle_cache(out_root: Path) -> None:
    """Delete the pickle cache older versions kept in ``<out>/.cache`` (inside the published folder).

    Only its own files: ``<20 hex>/dataset.pkl`` and ``<20 hex>/results/*.pkl|*.lock``,
    then the folders left empty.
    """
    old = out_root / ".cache"
    if not old.is_dir() or old.is_symlink():
        return
    for entry in old.iterdir():
        if not (entry.is_dir() and not entry.is_symlink() and re.fullmatch(r"[0-9a-f]{20}", entry.name)):
            continue
        for path in (entry / "dataset.pkl", *(entry / "results").glob("*")):
            if path.suffix in (".pkl", ".lock") and path.is_file() and not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.unlink()
        for folder in (entry / "results", entry):
            with contextlib.suppress(OSError):
                folder.rmdir()
    with contextlib.suppress(OSError):
        old.rmdir()


def run_batch(data_dir, period, units=None, jobs=None, out_dir="outputs", force=False, *,
              notebooks_dir=None, kernel_name="python3", timeout=DEFAULT_TIMEOUT,
              progress=None, engine=ENGINE_NAME, level=None, unit=None, extra_jobs=(), pdf=False) -> BatchResult:
    """Generate every report of ``period`` from ``data_dir`` into ``out_dir/<period>/``.

    units          only these units' reports (town-level reports are always made);
                   an unknown unit is a ``ParameterError`` listing the known ones
    jobs           worker processes (default ``os.cpu_count()``)
    force          re-run reports even when nothing changed
    notebooks_dir  where the report notebooks live (default: the repository's notebooks/)
    engine         papermill engine: ``evalkit_warm`` (a warm kernel per worker) or
                   None for papermill's default (a fresh kernel per report)
    progress       show a tqdm bar (default: when stderr is a terminal)
    level, unit    which units get a report (``core.hierarchy.select_units``: ``level="镇"`` one per
                   town and 街道, ``unit="蚶江镇"`` one per unit of that town); by default the
                   units that report to the root: every unit of a town folder, the towns, 街道
                   and city departments of a city folder. The root's summary is always made.
    extra_jobs     ``ExtraJob``s run in the same pool (the CLI passes the Word documents)
    pdf            print every report to ``<report>.pdf`` beside its HTML with one headless
                   Chromium (``report.pdf``), while the other reports are still running;
                   without Chromium no PDF is written and ``BatchResult.notes`` says so
                   (off by default here, so library callers choose; ``evalkit run`` prints
                   them unless ``--no-pdf``: about 0.2 s of Chromium CPU a report)

    ``out_dir`` is locked for the run (``core.outdir.output_lock``: another run or export
    on it is refused). Ctrl-C or SIGTERM stops the workers and their kernels, removes
    temporary files and raises ``Interrupted`` ("已中断：完成 N 份，未完成 M 份").
    """
    started = time.perf_counter()
    period = period if isinstance(period, Period) else parse_period(period)
    data_dir = resolve_data_dir(data_dir)
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else default_notebooks_dir()
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ParameterError("jobs", jobs, "正整数")
    out_root = Path(out_dir).resolve()
    with _sigterm_interrupts(), output_lock(out_root, "evalkit run"):  # SIGTERM unwinds like Ctrl-C
        out = out_root / period.text
        out.mkdir(parents=True, exist_ok=True)
        _clean_stale_temps(out)
        _remove_old_pickle_cache(out_root)
        cache_dir = default_cache_dir().absolute()  # the user's cache, never inside out_root

        ds = load_cached(data_dir, cache_dir)  # also warms the disk cache the kernels will read
        require_covered(ds, period)  # a typo'd period must not give a batch of empty-looking reports
        all_units = [str(u) for u in ds.units["unit"]]
        region = hierarchy.root(ds.units)
        if units:
            unknown = [u for u in units if u not in all_units]
            if unknown:
                raise ParameterError("units", "、".join(unknown), "数据中的单位：" + "、".join(all_units))
        try:
            chosen = hierarchy.select_units(ds.units, level, unit) if level or unit else None
        except KeyError as exc:
            name = "level" if level and exc.args[0] == level else "unit"
            raise ParameterError(name, exc.args[0], "、".join(hierarchy.LEVELS) if name == "level"
                                 else "数据中的单位：" + "、".join(all_units)) from None
        if chosen is not None:  # the root's own report is its summary, always made
            chosen = [u for u in chosen if u != region]
        default = hierarchy.children_of(ds.units, region)
        report_units = [u for u in all_units if u in set(default) | set(chosen or ()) | set(units or ())]
        selected = [u for u in report_units if (not units or u in units) and (chosen is None or u in chosen)]
        full_plan = plan_reports(data_dir, period, report_units, notebooks_dir, region)
        plan = [s for s in full_plan if s.unit is None or s.unit in selected]

        manifest_path = out / MANIFEST
        manifest = _read_manifest(manifest_path)
        known_params = manifest.setdefault("notebook_parameters", {})
        notebook_sha: dict[Path, str] = {}
        for spec in full_plan:
            if spec.notebook not in notebook_sha:
                if not spec.notebook.is_file():
                    raise ParameterError("notebooks_dir", str(notebooks_dir), f"含 {spec.notebook.name} 的报告模板目录")
                notebook_sha[spec.notebook] = _sha(spec.notebook.read_bytes())
            check_parameters(spec, notebook_parameters(spec.notebook, known_params))

        data_sha, source_sha = data_fingerprint(data_dir), source_fingerprint()
        hashes = {s.report_id: report_hash(notebook_sha[s.notebook], s.params, data_sha, source_sha)
                  for s in full_plan}
        entries = manifest.setdefault("reports", {})

        outcomes: dict[str, ReportOutcome] = {}
        todo: list[ReportSpec] = []
        for spec in plan:
            entry = entries.get(spec.report_id)
            fresh = (entry and entry.get("hash") == hashes[spec.report_id] and entry.get("status") == "ok"
                     and (out / spec.html_name).is_file() and (out / spec.ipynb_name).is_file())
            if fresh and not force:
                outcomes[spec.report_id] = ReportOutcome(
                    spec.report_id, spec.title, spec.group, spec.notebook.name, spec.unit, "skipped",
                    headline=entry.get("headline", {}))
            else:
                todo.append(spec)

        extra_hashes = {x.job_id: report_hash(_sha(f"{x.func.__module__}.{x.func.__qualname__}".encode()),
                                              {"period": period.text, **x.kwargs}, data_sha, source_sha)
                        for x in extra_jobs}
        extra_entries = manifest.setdefault("extra", {})
        extra_todo = []
        for x in extra_jobs:
            entry = extra_entries.get(x.job_id)
            fresh = (entry and entry.get("hash") == extra_hashes[x.job_id] and entry.get("status") == "ok"
                     and all((out / f).is_file() for f in entry.get("files", [])))
            if force or not fresh:
                extra_todo.append(x)
        notes: list[str] = []
        printer = _PdfQueue(out, notes, BAND_TEMPLATE.format(region=region)) if pdf else None
        if printer is not None:
            for spec in plan:  # reports kept from an earlier run whose PDF is missing or older
                if outcomes.get(spec.report_id) is not None and outcomes[spec.report_id].status == "skipped":
                    printer.submit_if_stale(spec)

        try:
            workers = min(jobs, len(todo) + len(extra_todo))
            if todo or extra_todo:
                _write_manifest(manifest_path, manifest)  # keep the inspected parameters even if killed
                env = {CACHE_ENV: str(cache_dir), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
                if ds.meta.get("cache_key"):
                    env.update(pin_environment(data_dir, ds.meta["cache_key"]))
                subtitle = f"数据指纹 {data_sha[:8]}"  # the folder name is not the reviewer's business
                jobs_of = [{**asdict(s), "notebook": str(s.notebook), "out_dir": str(out), "subtitle": subtitle,
                            "region": region,
                            "kernel_name": kernel_name, "timeout": timeout, "engine": engine} for s in todo]

                extra_of = [{"job_id": x.job_id, "title": x.title, "func": x.func, "kwargs": x.kwargs,
                             "data_dir": str(data_dir), "period": period.text, "out_dir": str(out)}
                            for x in extra_todo]

                def record_extra(x: ExtraJob, res: dict) -> None:
                    extra_entries[x.job_id] = {"hash": extra_hashes[x.job_id],
                                               "status": "ok" if res["status"] == "done" else "failed",
                                               "title": x.title, "group": x.group, "files": res["files"],
                                               "error": res["error"], "seconds": round(res["seconds"], 2)}
                    if res["error"]:
                        notes.append(res["error"])
                    _write_manifest(manifest_path, manifest)

                def record(spec: ReportSpec, res: dict) -> None:
                    outcomes[spec.report_id] = ReportOutcome(
                        spec.report_id, spec.title, spec.group, spec.notebook.name, spec.unit,
                        res["status"], res["seconds"], res["error"], res["headline"], res["timings"])
                    entries[spec.report_id] = {
                        "hash": hashes[spec.report_id], "status": "ok" if res["status"] == "done" else "failed",
                        "title": spec.title, "group": spec.group, "unit": spec.unit,
                        "notebook": spec.notebook.name, "params": spec.params, "error": res["error"],
                        "headline": res["headline"], "seconds": round(res["seconds"], 2),
                        "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
                    _write_manifest(manifest_path, manifest)  # a killed run keeps what finished
                    if printer is not None and res["status"] == "done":
                        printer.submit(spec)

                try:
                    _execute(todo, jobs_of, workers, env, progress, record, extra_todo, extra_of, record_extra)
                except KeyboardInterrupt:
                    with _signals_ignored():  # a second Ctrl-C must not cut the clean-up short
                        _clean_stale_temps(out)
                        with contextlib.suppress(Exception):
                            _write_index(out, period, full_plan, entries, hashes, outcomes, region)
                    done = sum(outcomes[s.report_id].status == "done" for s in todo if s.report_id in outcomes)
                    raise Interrupted(done, len(todo) - done) from None

        except BaseException:  # Ctrl-C, or a bug: no browser left behind
            if printer is not None:
                printer.stop()
            raise
        timings = {}
        if printer is not None:
            timings["pdf_wait"] = printer.finish()
            timings["pdf_print"] = printer.seconds
            if printer.cpu is not None:
                timings["pdf_cpu"] = printer.cpu
        documents = [(x.group, f) for x in extra_jobs for f in (extra_entries.get(x.job_id) or {}).get("files", [])
                     if (out / f).is_file()]
        files = [f for _, f in documents]
        _write_index(out, period, full_plan, entries, hashes, outcomes, region, documents)
    ordered = [outcomes[s.report_id] for s in plan]
    return BatchResult(period, out, ordered, time.perf_counter() - started, max(workers, 1), files,
                       printer.count if printer is not None else 0, notes, timings)


class _PdfQueue:
    """Reports printed to PDF by one Chromium in a background thread, as they finish.

    ``submit`` queues a finished report; ``finish`` waits for the queue (returns the seconds
    waited after the last report), ``stop`` abandons it (Ctrl-C). Without Chromium nothing is
    queued and a note says so; a page that fails leaves no PDF and a note.
    """

    def __init__(self, out: Path, notes: list[str], band: str = BAND):
        self.out, self.notes, self.count, self.seconds, self.cpu = out, notes, 0, 0.0, None
        self.band = band
        self._queue: list[ReportSpec] = []
        self._cond = threading.Condition()
        self._closing = False
        self._thread = None
        if find_chromium() is None:
            notes.append(f"未找到 Chromium 浏览器，未生成 PDF（安装：{INSTALL_HINT}）")
            return
        self._thread = threading.Thread(target=self._run, name="evalkit-pdf", daemon=True)
        self._thread.start()

    def submit(self, spec: ReportSpec) -> None:
        if self._thread is None:
            return
        with self._cond:
            self._queue.append(spec)
            self._cond.notify()

    def submit_if_stale(self, spec: ReportSpec) -> None:
        page, pdf = self.out / spec.html_name, self.out / pdf_name(spec)
        if page.is_file() and (not pdf.is_file() or pdf.stat().st_mtime < page.stat().st_mtime):
            self.submit(spec)

    def _next(self) -> ReportSpec | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            return self._queue.pop(0) if self._queue else None

    def _run(self) -> None:
        spec = self._next()
        if spec is None:  # nothing to print (a re-run with every PDF current): no browser started
            return
        try:
            with PdfPrinter() as printer:
                while spec is not None:
                    t0 = time.perf_counter()
                    try:
                        printer.print_pdf(self.out / spec.html_name, self.out / pdf_name(spec),
                                          title=spec.title, band=self.band)
                        self.count += 1
                    except (PdfError, OSError) as exc:
                        _remove(self.out / pdf_name(spec))
                        self.notes.append(f"{spec.title} 的 PDF 未生成：{exc}")
                    self.seconds += time.perf_counter() - t0
                    spec = self._next()
                self.cpu = printer.cpu_seconds()
        except (PdfError, OSError) as exc:
            self.notes.append(f"PDF 未生成：{exc}")

    def finish(self) -> float:
        t0 = time.perf_counter()
        if self._thread is not None:
            with self._cond:
                self._closing = True
                self._cond.notify()
            self._thread.join()
        return time.perf_counter() - t0

    def stop(self) -> None:
        with self._cond:
            self._queue.clear()
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(30)


def pdf_name(spec: ReportSpec) -> str:
    """The PDF beside a report's HTML page."""
    return f"{spec.report_id}.pdf"


@contextlib.contextmanager
def _signals_ignored():
    """SIGINT and SIGTERM ignored for the block (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts():
    """SIGTERM raises KeyboardInterrupt for the block, so it stops the batch the way Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved)


def _stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Cancel what has not started and end the workers: SIGTERM (each kills its kernel), then SIGKILL."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            if proc.is_alive():
                proc.terminate()
    deadline = time.monotonic() + grace
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(max(deadline - time.monotonic(), 0.1))
            if proc.is_alive():
                proc.kill()
                proc.join(1)
    with contextlib.suppress(Exception):
        pool.shutdown(wait=True)


def _execute(todo: list[ReportSpec], jobs_of: list[dict], workers: int, env: dict, progress, record,
             extra_todo=(), extra_of=(), record_extra=None) -> None:
    """Run ``jobs_of`` in a pool of ``workers`` processes; ``record(spec, result)`` as each finishes.

    On KeyboardInterrupt (SIGTERM raises it too, see ``run_batch``) or any other error the
    workers are stopped before it propagates.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    from tqdm.auto import tqdm  # lazy: only the interactive progress bar needs it

    bar = tqdm(total=len(jobs_of), desc="生成报告", unit="份",
               disable=(not sys.stderr.isatty()) if progress is None else not progress)
    pool = None
    try:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_worker_init, initargs=(env,))
        # the extra jobs first: they take longer than one report and need no kernel
        extras = {pool.submit(execute_extra, job): x for x, job in zip(extra_todo, extra_of, strict=True)}
        futures = [pool.submit(execute_report, job) for job in jobs_of]
        for future in as_completed([*extras, *futures]):
            if future in extras:
                x = extras[future]
                try:
                    res = future.result()
                except Exception as exc:  # the worker process itself died
                    res = {"status": "failed", "files": [], "seconds": 0.0,
                           "error": f"{x.title}生成失败：工作进程异常退出（{type(exc).__name__}: {exc}）"}
                record_extra(x, res)
                continue
            spec = todo[futures.index(future)]
            try:
                res = future.result()
            except Exception as exc:  # the worker process itself died
                where = f"单位 {spec.unit} " if spec.unit else ""
                res = {"report_id": spec.report_id, "status": "failed", "seconds": 0.0,
                       "error": (f"{spec.notebook.name} {where}执行失败："
                                 f"工作进程异常退出（{type(exc).__name__}: {exc}）"),
                       "headline": {}, "timings": {}}
            record(spec, res)
            bar.set_postfix_str(spec.title[:16], refresh=False)
            bar.update()
        pool.shutdown(wait=True)
    except BaseException:
        if pool is not None:
            with _signals_ignored():
                _stop_workers(pool)
        raise
    finally:
        bar.close()


def _write_index(out: Path, period: Period, full_plan: list[ReportSpec], entries: dict,
                 hashes: dict, outcomes: dict, region: str = DEFAULT_ROOT, documents=()) -> Path:
    rows = []
    for group in GROUPS:
        for spec in (s for s in full_plan if s.group == group):
            entry = entries.get(spec.report_id)
            if entry is None:
                continue
            if spec.report_id in outcomes:
                status = outcomes[spec.report_id].status
            elif entry.get("status") != "ok":
                status = "failed"
            else:
                status = "skipped" if entry.get("hash") == hashes[spec.report_id] else "stale"
            ok = entry.get("status") == "ok" and (out / spec.html_name).is_file()
            rows.append({"group": group, "title": spec.title, "status": status,
                         "href": (spec.html_name if ok
                                  else spec.error_name if (out / spec.error_name).is_file() else None),
                         "headline": entry.get("headline") or {},
                         "pdf_href": pdf_name(spec) if ok and (out / pdf_name(spec)).is_file() else None,
                         "error": entry.get("error") if status == "failed" else None})
    docs = [(group, Path(f).name, f) for group, f in documents]
    return atomic_write(out / "index.html", _render_index(period, rows, export_files(out), docs, region))


#: Sections of ``evalkit export``'s output folder, as the index lists them.
EXPORT_SECTIONS = (("报表", "*.xlsx", "全镇汇总报表"), ("公示", "*", "阳光执法公示"),
                   ("下月模板", "*.xlsx", "下月填报模板"))


def export_files(out: Path) -> list[tuple[str, str, str]]:
    """(section, file name, href relative to ``out``) of the exported workbooks that exist."""
    found = []
    for folder, pattern, section in EXPORT_SECTIONS:
        for path in sorted((out / folder).glob(pattern)):
            if path.is_file() and not path.name.startswith((".", "~$")):
                found.append((section, path.name, path.relative_to(out).as_posix()))
    return found


def _render_index(period: Period, rows: list[dict], files=None, documents=None, region: str = DEFAULT_ROOT) -> str:

    return render_index(period.label, rows, files=files, documents=documents, region=region)
