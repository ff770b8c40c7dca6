"""Hostile-input battery for `evalkit run` and its dataset cache (issue "hostile-input battery").

2  a swapped cache entry never executes code; the cache is Parquet + JSON, outside --out
12 the cache key covers exactly the files intake reads, and sees same-size, same-mtime edits
15 an unreadable submission does not crash the cache's hashing; intake reports it
18 Ctrl-C / SIGTERM stops workers and kernels: exit 130, one sentence, no half-written report
19 one writer per --out: a live lock refuses (exit 2), a stale lock is taken over

Each test builds its own small data folder (tests/intake_helpers.py) and, where it runs the
batch, tiny stub notebooks, so the real report notebooks are not executed here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from evalkit import cli
from evalkit.core import outdir
from evalkit.intake.loader import load
from evalkit.report import cache, cache_format
from intake_helpers import inspection, ledger_file, make_data_dir

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2024-05"
UNITS3 = [("石壁村", "村"), ("综合执法队", "部门"), ("莲塘村", "村")]
ENTERPRISES3 = [
    ("石狮市宏达五金厂", "五金", "石壁村", "否", "一般"),
    ("蚶江锦里制衣有限公司", "制衣", "石壁村", "否", "较高"),
    ("蚶江石湖港务有限公司", "港口物流", "综合执法队", "危化品", "高"),
    ("莲塘鞋材加工厂", "制鞋", "莲塘村", "否", "一般"),
]
ROOT_ONLY = pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads unreadable files")


# --------------------------------------------------------------------------- helpers
def make_data(root: Path) -> Path:
    """Three units; one 附件1 workbook with list-valued cells, two hazards and one rejected row."""
    data = make_data_dir(root, enterprises=ENTERPRISES3, units=UNITS3)
    ledger_file(data, "石壁村5月.xlsx", [
        inspection(),
        inspection(enterprise="蚶江锦里制衣有限公司", hazards=("消防通道堵塞", "电气线路私拉乱接"),
                   rectifications=("已整改", "限2024年6月10日前整改")),
        inspection(enterprise=None),  # rejected: its values are kept as a dict
    ])
    return data


def _params(source: str):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def make_notebooks(folder: Path, unit_code: str = "print('单位', unit)") -> Path:
    """The four report notebooks as stubs with the real parameters; ``unit_code`` runs in the unit report."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(name, params, code):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [_params('data_dir: str = "x"\n' + params), nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, folder / name)

    write("10-unit-report.ipynb", 'unit: str = "甲村"\nperiod: str = "2024-05"', unit_code)
    write("20-town-summary.ipynb", 'period: str = "2024-05"', "print('ok')")
    write("30-typical-cases.ipynb", 'quarter: str = "2024Q2"', "print('ok')")
    write("40-look-back.ipynb", 'period: str = "2024-05"\ncase_nos: list = None', "print('ok')")
    return folder


@pytest.fixture(autouse=True)
def kernels_import_this_source(monkeypatch):
    """Kernels start in the notebooks' folder: give them this checkout's source by absolute path."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "src"))


@pytest.fixture
def user_cache(tmp_path, monkeypatch):
    """The default cache location (no EVALKIT_CACHE_DIR) redirected into tmp_path; memory cleared."""
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.delenv(cache.PIN_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache.clear_memory()
    yield tmp_path / "xdg" / "evalkit"
    cache.clear_memory()


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _same_value(a, b) -> bool:
    """Equal and of the same types all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


def assert_same_dataset(fresh, cached) -> None:
    """Every table equal (assert_frame_equal, dtypes included) and object cells of the same types."""
    for f in dataclasses.fields(fresh):
        mine, theirs = getattr(fresh, f.name), getattr(cached, f.name)
        if isinstance(mine, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, theirs, check_exact=True, check_column_type=True,
                                          check_index_type=True, obj=f.name)
            for column in mine.columns:
                if mine[column].dtype == object:
                    assert all(_same_value(x, y) for x, y in zip(mine[column], theirs[column], strict=True)), \
                        (f.name, column)


class _Boom:
    """Unpickling this creates ``path``: proof that a pickle was executed."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


# --------------------------------------------------------------------------- 2: no pickle, no code
def test_cached_dataset_comes_back_exactly(tmp_path, user_cache):
    """A dataset read back from the Parquet/JSON entry equals a fresh load, table by table, dtypes included."""
    data = make_data(tmp_path / "data")
    fresh = load(data)
    assert fresh.ledger["hazards"].map(type).eq(list).all() and len(fresh.rejected) == 1
    cache.load_cached(data)  # writes the entry
    cache.clear_memory()
    cached = cache.load_cached(data)  # read from disk
    entry = user_cache / cached.meta["cache_key"] / "dataset"
    assert sorted(p.suffix for p in entry.iterdir()) == [".json"] + [".parquet"] * 11  # the 11 tables of a Dataset
    assert not list(user_cache.rglob("*.pkl"))
    assert_same_dataset(fresh, cached)
    assert isinstance(cached.rejected["values"].iloc[0], dict)
    assert {k: v for k, v in cached.meta.items() if k not in ("cache_key", "cache_dir", "load_seconds")} == \
        {k: v for k, v in fresh.meta.items() if k != "load_seconds"}


def test_swapped_cache_entries_never_execute(tmp_path, user_cache, monkeypatch, capsys):
    """Malicious pickles and garbage where the old and new entry files live: nothing runs, the run succeeds."""
    data, out = make_data(tmp_path / "data"), tmp_path / "out"
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Boom(marker))
    key = cache.dataset_key(data)
    entry = user_cache / key
    for path in (entry / "dataset.pkl", entry / "results" / "audit-2024-05-month.pkl",
                 out / ".cache" / key / "dataset.pkl", out / ".cache" / key / "results" / "scores.pkl"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(evil)
    (entry / "dataset").mkdir()
    (entry / "dataset" / "value.json").write_bytes(evil)
    (entry / "dataset" / "frame-0.parquet").write_bytes(evil)
    (entry / "results" / "scores").mkdir()
    (entry / "results" / "scores" / "value.json").write_text('{"evalkit_cache": 2, "value": {"$": "dataclass", '
                                                            '"type": "os:system", "v": {}}, "frames": []}')
    # the unit report reads the cache in its kernel, and a shared result beside it
    nbs = make_notebooks(tmp_path / "nbs", unit_code=(
        "from evalkit.report.cache import load_cached, cached_result\n"
        "ds = load_cached(data_dir)\n"
        "print(len(ds.ledger), cached_result(ds, 'scores', lambda: {'ok': 1}))"))
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: nbs)
    code, out_text, err = run_cli(capsys, "run", data, "--period", PERIOD, "--units", "石壁村", "--jobs", "1",
                                  "--out", out)
    assert code == 0, out_text + err
    assert not marker.exists()
    assert isinstance(cache_format.read_bundle(entry / "dataset"), type(load(data)))  # rebuilt
    assert cache_format.read_bundle(entry / "results" / "scores") == {"ok": 1}  # recomputed, stored as JSON
    report = json.loads((out / PERIOD / "unit-石壁村.ipynb").read_text(encoding="utf-8"))
    assert "2 {'ok': 1}" in json.dumps(report, ensure_ascii=False)
    assert not marker.exists()


def test_cache_is_kept_outside_the_report_folder(tmp_path, user_cache, monkeypatch, capsys):
    """Default cache: $XDG_CACHE_HOME/evalkit, created 0700; nothing under --out is a cache file."""
    data, out = make_data(tmp_path / "data"), tmp_path / "out"
    old = out / ".cache" / ("0" * 20)
    old.mkdir(parents=True)
    (old / "dataset.pkl").write_bytes(b"old pickle cache of an earlier version")
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
    code, _, err = run_cli(capsys, "run", data, "--period", PERIOD, "--units", "石壁村", "--jobs", "1", "--out", out)
    assert code == 0, err
    assert stat.S_IMODE(user_cache.stat().st_mode) == 0o700
    assert len(list(user_cache.glob("*/dataset/value.json"))) == 1
    under_out = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert not [p for p in under_out if ".cache" in p or p.endswith((".pkl", ".parquet", "value.json", ".lock"))]
    assert "2024-05/unit-石壁村.html" in under_out


def test_cached_result_stores_only_json_or_frames(tmp_path, user_cache):
    """JSON-able values and DataFrames are shared on disk; any other object is computed by each caller."""
    ds = cache.load_cached(make_data(tmp_path / "data"))
    results = user_cache / ds.meta["cache_key"] / "results"
    frame = pd.DataFrame({"unit": ["石壁村"], "items": [["a", ("b", 1)]], "when": [pd.Timestamp("2024-05-06")]})
    calls = []
    for name, value in (("json", {"甲": [1, 2.5, None]}), ("frame", frame), ("object", object())):
        for _ in range(2):
            cache.clear_memory()
            got = cache.cached_result(cache.load_cached(ds.data_dir), name,
                                      lambda v=value, n=name: calls.append(n) or v)
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(got, frame)
            assert got["items"].iloc[0] == ["a", ("b", 1)]
        elif name == "json":
            assert got == value
    assert calls == ["json", "frame", "object", "object"]
    assert sorted(p.name for p in results.iterdir() if not p.name.endswith(".lock")) == ["frame", "json"]


# --------------------------------------------------------------------------- 12: stale keys
def test_key_covers_tmp_submissions_and_skipped_names(tmp_path, user_cache):
    """A *.tmp workbook is read by intake, so its edits change the key; a new hidden file (skipped, warned) too."""
    data = make_data(tmp_path / "data")
    tmp_book = ledger_file(data, "综合执法队5月.xlsx.tmp", [inspection(enterprise="蚶江石湖港务有限公司")],
                           unit="综合执法队")
    first = cache.load_cached(data)
    assert "submissions/综合执法队5月.xlsx.tmp" in set(first.files["file"])
    rows = [inspection(enterprise="蚶江石湖港务有限公司"),
            inspection(enterprise="蚶江石湖港务有限公司", date=dt.date(2024, 5, 20))]
    ledger_file(data, "综合执法队5月.xlsx.tmp", rows, unit="综合执法队")
    second = cache.load_cached(data)
    assert second.meta["cache_key"] != first.meta["cache_key"]
    assert len(second.ledger) == len(first.ledger) + 1
    assert tmp_book.is_file()
    (data / "submissions" / ".~lock.石壁村5月.xlsx#").write_text("lock", encoding="utf-8")
    third = cache.load_cached(data)
    assert third.meta["cache_key"] != second.meta["cache_key"]
    assert "file_skipped" in set(third.problems["rule"])
    (data / "MANIFEST.json").write_text("{}", encoding="utf-8")  # not read by intake: same key
    (data / "registry" / "notes.txt").write_text("备忘", encoding="utf-8")
    assert cache.load_cached(data).meta["cache_key"] == third.meta["cache_key"]


def test_same_size_edit_with_restored_mtime_is_seen(tmp_path, user_cache):
    """In one process, an edit that keeps the size and mtime (touch -d) still gives the new data."""
    data = make_data(tmp_path / "data")
    path = data / "registry" / "enterprises.csv"
    before = cache.load_cached(data)
    st = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace("莲塘鞋材加工厂,制鞋,莲塘村,否,一般", "莲塘鞋材加工厂,制鞋,莲塘村,否,较高")
    assert edited != text and len(edited.encode()) == len(text.encode())
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_mtime_ns == st.st_mtime_ns and path.stat().st_size == st.st_size
    after = cache.load_cached(data)
    assert after.meta["cache_key"] != before.meta["cache_key"]
    risk = after.enterprises.set_index("name")["risk_level"]
    assert risk["莲塘鞋材加工厂"] == "较高"


# --------------------------------------------------------------------------- 15: unreadable files
def _deny(monkeypatch, denied: Path) -> None:
    """Simulate chmod 000 on ``denied`` for this process (tests may run as root, who reads anything):
    both ``Path.open`` and ``os.open`` (intake and the cache open files without blocking) refuse it."""
    real_open, real_os_open = Path.open, os.open

    def fake_open(self, *args, **kwargs):
        if Path(self) == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if os.fsdecode(path) == str(denied):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(Path, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)


def test_unreadable_submission_is_reported_not_a_crash(tmp_path, user_cache, monkeypatch, capsys):
    """`evalkit run` with an unreadable workbook: the hashing keys it by stat, intake reports file_unreadable."""
    data = make_data(tmp_path / "data")
    denied = ledger_file(data, "莲塘村5月.xlsx", [inspection(enterprise="莲塘鞋材加工厂")], unit="莲塘村")
    _deny(monkeypatch, denied)
    assert cache.content_digest(denied).startswith("unreadable:")
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
    code, _, err = run_cli(capsys, "run", data, "--period", PERIOD, "--units", "石壁村", "--jobs", "1",
                           "--out", tmp_path / "out")
    assert code == 0, err
    ds = cache.load_cached(data)
    problems = ds.problems[ds.problems["rule"] == "file_unreadable"]
    assert list(problems["file"]) == ["submissions/莲塘村5月.xlsx"]


@ROOT_ONLY
def test_unreadable_submission_chmod_000(tmp_path, user_cache, monkeypatch, capsys):
    """The same with a real chmod 000 file (skipped as root)."""
    data = make_data(tmp_path / "data")
    denied = ledger_file(data, "莲塘村5月.xlsx", [inspection(enterprise="莲塘鞋材加工厂")], unit="莲塘村")
    denied.chmod(0)
    try:
        monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
        code, _, err = run_cli(capsys, "run", data, "--period", PERIOD, "--units", "石壁村", "--jobs", "1",
                               "--out", tmp_path / "out")
        assert code == 0, err
        assert "file_unreadable" in set(cache.load_cached(data).problems["rule"])
    finally:
        denied.chmod(0o644)


# --------------------------------------------------------------------------- 18: Ctrl-C
DRIVER = """\
import sys
from pathlib import Path
from evalkit.report import batch
batch.default_notebooks_dir = lambda: Path(sys.argv[1])
from evalkit import cli
sys.exit(cli.main(sys.argv[2:]))
"""


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment holds ``marker`` (kernels and workers inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    status = (entry / "stat").read_text().rpartition(")")[2].split()[0]
                    if status != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_run_stops_cleanly(tmp_path, how):
    """Ctrl-C (SIGINT to the process group) or SIGTERM mid-run: exit 130, one sentence,
    no partial reports, no orphans."""
    data, out = make_data(tmp_path / "data"), tmp_path / "out"
    nbs = make_notebooks(tmp_path / "nbs", unit_code="import time\ntime.sleep(600)")
    (tmp_path / "drive.py").write_text(DRIVER, encoding="utf-8")
    marker = f"EVALKIT_TEST_MARKER={os.getpid()}-{time.time_ns()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "EVALKIT_CACHE_DIR": str(tmp_path / "cache"),
           marker.split("=")[0]: marker.split("=")[1]}
    proc = subprocess.Popen([sys.executable, str(tmp_path / "drive.py"), str(nbs), "run", str(data), "--period",
                             PERIOD, "--jobs", "2", "--out", str(out)], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = out / PERIOD
    try:
        deadline = time.monotonic() + 180  # poll until the three town-level reports are written
        while len(list(folder.glob("*.html"))) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.5)  # the unit reports are now sleeping in their kernels
        if how == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal does
        else:
            proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr + stdout
    found = re.findall(r"已中断：完成 (\d+) 份，未完成 (\d+) 份", stderr)
    assert len(found) == 1, stderr
    done, unfinished = map(int, found[0])
    assert (done, unfinished) == (3, 3)  # the 3 town-level reports finished, the 3 unit reports did not
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.startswith("unit-")], names
    assert not [n for n in names if ".tmp" in n], names
    assert len([n for n in names if n.endswith(".html") and n != "index.html"]) == done
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["reports"]) == sorted(n[:-5] for n in names if n.endswith(".html") and n != "index.html")
    assert not (out / outdir.LOCK_NAME).exists()
    deadline = time.monotonic() + 10
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []


# --------------------------------------------------------------------------- 19: one writer per --out
HOLDER = """\
import sys, time
from evalkit.core.outdir import output_lock
with output_lock(sys.argv[1], "test"):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def lock_holder(tmp_path):
    """A process holding the lock of tmp_path/out (started, and killed at the end, by the test)."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.stdout.readline().strip() == "held"
    yield out, proc.pid
    proc.kill()
    proc.wait()


def test_run_and_export_refuse_a_folder_in_use(tmp_path, user_cache, lock_holder, monkeypatch, capsys):
    """While another process holds --out, run and export exit 2 naming its pid; its in-flight files stay."""
    out, pid = lock_holder
    data = make_data(tmp_path / "data")
    in_flight = out / PERIOD / ".unit-石壁村.4242.tmp.ipynb"
    in_flight.parent.mkdir(parents=True)
    in_flight.write_text("{", encoding="utf-8")
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
    expected = f"evalkit: 输出目录 {out} 正由进程 {pid} 使用：请等待其完成或换用其他 --out\n"
    for command in (["run", data, "--period", PERIOD, "--jobs", "1", "--out", out],
                    ["export", data, "--period", PERIOD, "--out", out]):
        code, stdout, err = run_cli(capsys, *command)
        assert (code, stdout, err) == (2, "", expected)
    assert in_flight.is_file()
    assert not (out / PERIOD / "index.html").exists()


def test_live_pid_in_lock_file_refuses_even_without_flock(tmp_path):
    """A lock file naming a running process (written where flock is unavailable) is respected."""
    out = tmp_path / "out"
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / outdir.LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid}), encoding="utf-8")
        with pytest.raises(outdir.OutputBusyError, match=f"正由进程 {sleeper.pid} 使用"):
            with outdir.output_lock(out):
                pass
        assert (out / outdir.LOCK_NAME).is_file()  # not ours: left alone
    finally:
        sleeper.kill()
        sleeper.wait()


def test_stale_lock_is_taken_over_with_a_warning(tmp_path, user_cache, monkeypatch, capsys):
    """A lock left by a dead process is taken over (one warning line) and removed at the end of the run."""
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / outdir.LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "started": "2024-06-01T10:00:00"}),
                                        encoding="utf-8")
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
    code, _, err = run_cli(capsys, "run", make_data(tmp_path / "data"), "--period", PERIOD, "--units", "石壁村",
                           "--jobs", "1", "--out", out)
    assert code == 0
    assert err == (f"evalkit: 警告：输出目录 {out} 的锁文件属于已退出的进程 {dead.pid}"
                   "（2024-06-01T10:00:00 开始）：已接管\n")
    assert not (out / outdir.LOCK_NAME).exists()


def test_lock_is_released_on_error_and_reentrant(tmp_path, user_cache, monkeypatch, capsys):
    """A run that fails (unknown unit, exit 2) leaves no lock; nested use in one process shares the lock."""
    out = tmp_path / "out"
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: make_notebooks(tmp_path / "nbs"))
    code, _, err = run_cli(capsys, "run", make_data(tmp_path / "data"), "--period", PERIOD, "--units", "丙村",
                           "--out", out)
    assert code == 2 and "丙村" in err
    assert not (out / outdir.LOCK_NAME).exists()
    with outdir.output_lock(out) as lock:
        info = json.loads(lock.read_text(encoding="utf-8"))
        assert info["pid"] == os.getpid()
        with outdir.output_lock(out):
            assert lock.is_file()
        assert lock.is_file()
    assert not lock.exists()


def test_the_cache_key_never_opens_a_fifo_or_follows_a_link_out(tmp_path):
    """The key covers what intake reads (listing.list_files): a FIFO under submissions/ is not
    opened (it would block the run for ever) and a link out of DATA_DIR is not read."""
    import threading

    data = make_data(tmp_path / "data")
    os.mkfifo(data / "submissions" / "管道.xlsx")
    secret = tmp_path / "secret.xlsx"
    secret.write_bytes(b"outside")
    (data / "submissions" / "link.xlsx").symlink_to(secret)
    keys = []
    worker = threading.Thread(target=lambda: keys.append(cache.data_fingerprint(data)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert keys, "data_fingerprint blocked on the FIFO"
    secret.write_bytes(b"changed outside")  # not read, so not part of the key
    assert cache.data_fingerprint(data) == keys[0]
    assert cache.content_digest(data / "submissions" / "管道.xlsx").startswith("unreadable:")
