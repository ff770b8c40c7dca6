"""Time the monthly report batch against doing it by hand (not a test).

    .venv/bin/python scripts/bench_batch.py [--data data/sample] [--period 2024-06]
                                            [--hand-units 6 | --hand-units all] [--jobs 2]
    .venv/bin/python scripts/bench_batch.py --city [data/sample-city]   # town vs city batch

1. ``evalkit run`` for every unit plus the town-level reports (``run_batch`` with
   ``force=True``), from a cold cache: warm kernels, shared dataset/result caches,
   in-process HTML rendering, ``--jobs`` workers.
2. The same reports the way a user would make them by hand: a sequential loop of the
   ``papermill`` command line and ``jupyter nbconvert --to html --no-input`` per report,
   also from a cold cache. The three town-level reports always run; unit reports run
   for the first ``--hand-units`` units and the unit total is extrapolated from their
   mean (say ``--hand-units all`` to run them all).
3. A re-run of ``evalkit run`` with nothing changed (command line, wall time).

With ``--city``: the town sample's batch (``--data``) and the city sample's (data/sample-city:
石狮市's summary, one report per town/街道 and city department), both cold with ``--force``,
one after the other; the target is the city's within 2× the town's. No by-hand loop.

Prints the wall times, the ratio and where the time goes (kernel start, imports and
data loading, execution, rendering) as Markdown for docs/notebooks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def cell_seconds(path: Path) -> tuple[float, float]:
    """(setup cell seconds, all cells seconds) from papermill's per-cell metadata.

    The setup cell is the first code cell after the parameters: imports and data loading.
    """
    nb = nbformat.read(path, as_version=4)
    durations, setup, seen_params = [], None, False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        d = float(cell.metadata.get("papermill", {}).get("duration") or 0)
        durations.append(d)
        if "parameters" in tags or "injected-parameters" in tags:
            seen_params = True
            continue
        if seen_params and setup is None:
            setup = d
    return setup or 0.0, sum(durations)


def run_batch_timed(data: Path, period: str, jobs: int, out: Path, cache: Path) -> dict:
    from evalkit.report.batch import run_batch

    os.environ["EVALKIT_CACHE_DIR"] = str(cache)
    started = time.perf_counter()
    result = run_batch(data, period, jobs=jobs, out_dir=out, force=True, progress=False)
    wall = time.perf_counter() - started
    assert result.ok, result.to_text()
    folder = out / result.period.text
    setup = execute = render = kernel = 0.0
    for o in result.outcomes:
        execute += o.timings.get("execute", 0)
        render += o.timings.get("render", 0) + o.timings.get("write", 0)
        kernel += o.timings.get("kernel_start", 0)
        setup += cell_seconds(folder / f"{o.report_id}.ipynb")[0]
    return {"wall": wall, "reports": len(result.outcomes), "kernel_start": kernel, "setup_cells": setup,
            "execute": execute, "render": render, "units": sum(o.unit is not None for o in result.outcomes)}


def run_by_hand(data: Path, period: str, hand_units, out: Path, cache: Path) -> dict:
    """Sequential papermill CLI + nbconvert CLI per report; unit reports sampled."""
    from evalkit.core.periods import parse_period
    from evalkit.report.batch import plan_reports
    from evalkit.report.cache import load_cached

    env = {**os.environ, "EVALKIT_CACHE_DIR": str(cache)}
    p = parse_period(period)
    units = [str(u) for u in load_cached(data, cache).units["unit"]]
    specs = plan_reports(data.resolve(), p, units, ROOT / "notebooks")
    town = [s for s in specs if s.unit is None]
    unit_specs = [s for s in specs if s.unit is not None]
    sampled = unit_specs if hand_units == "all" else unit_specs[: int(hand_units)]
    rows = []
    for spec in town + sampled:
        target = out / f"{spec.report_id}.ipynb"
        cmd = [str(BIN / "papermill"), str(spec.notebook), str(target), "--cwd", str(spec.notebook.parent)]
        for k, v in spec.params.items():
            cmd += ["-p", k, str(v)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        t1 = time.perf_counter()
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(target)],
                       check=True, capture_output=True, env=env)
        t2 = time.perf_counter()
        setup, cells = cell_seconds(target)
        rows.append({"unit": spec.unit, "papermill": t1 - t0, "nbconvert": t2 - t1, "setup": setup, "cells": cells})
    town_rows, unit_rows = rows[: len(town)], rows[len(town):]
    factor = len(unit_specs) / max(len(unit_rows), 1)

    def total(key, part):
        return sum(r[key] for r in part)

    est = {k: total(k, town_rows) + total(k, unit_rows) * factor for k in ("papermill", "nbconvert", "setup", "cells")}
    measured = sum(r["papermill"] + r["nbconvert"] for r in rows)
    return {"measured_wall": measured, "reports_run": len(rows), "units_run": len(unit_rows),
            "units_total": len(unit_specs), "wall": est["papermill"] + est["nbconvert"], **est,
            "unit_report_mean": (statistics.mean(r["papermill"] + r["nbconvert"] for r in unit_rows)
                                 if unit_rows else None)}


def rerun_wall(data: Path, period: str, jobs: int, out: Path, cache: Path) -> float:
    env = {**os.environ, "EVALKIT_CACHE_DIR": str(cache)}
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "evalkit"), "run", str(data), "--period", period, "--jobs", str(jobs),
                    "--out", str(out)], check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def compare_city(args) -> None:
    """The town's and the city's monthly batch, cold, the same --jobs (target: city <= 2 × town)."""
    with tempfile.TemporaryDirectory(prefix="bench-city-") as tmp:
        tmp = Path(tmp)
        town = run_batch_timed(args.data, args.period, args.jobs, tmp / "town", tmp / "cache-town")
        city = run_batch_timed(args.city, args.period, args.jobs, tmp / "city", tmp / "cache-city")
    ratio = city["wall"] / town["wall"]
    if args.json:
        print(json.dumps({"town": town, "city": city, "ratio": ratio}, indent=1))
        return
    print(f"""## 镇与市的月度批量（{args.period}，冷缓存，--force，{os.cpu_count()} 核，--jobs {args.jobs}）

| 样例 | 报告数 | 总用时 | 执行（各进程累计） |
|---|---|---|---|
| {args.data.name}（镇） | {town['reports']} | {town['wall']:.1f} 秒 | {town['execute']:.1f} 秒 |
| {args.city.name}（市） | {city['reports']} | {city['wall']:.1f} 秒 | {city['execute']:.1f} 秒 |
| 市 / 镇 | | **{ratio:.2f} 倍**（目标 ≤ 2） | |
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--period", default="2024-06")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--hand-units", default="6", help="unit reports to run by hand (or 'all')")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--city", nargs="?", type=Path, const=ROOT / "data" / "sample-city", default=None,
                    help="compare the town sample's batch with the city sample's (default data/sample-city)")
    args = ap.parse_args()
    if args.city is not None:
        compare_city(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        batch = run_batch_timed(args.data, args.period, args.jobs, tmp / "batch", tmp / "cache-batch")
        rerun = rerun_wall(args.data, args.period, args.jobs, tmp / "batch", tmp / "cache-batch")
        (tmp / "hand").mkdir()
        hand = run_by_hand(args.data, args.period, args.hand_units, tmp / "hand", tmp / "cache-hand")
    ratio = hand["wall"] / batch["wall"]
    if args.json:
        print(json.dumps({"batch": batch, "hand": hand, "rerun": rerun, "ratio": ratio}, indent=1))
        return
    n = batch["reports"]
    extrap = "" if hand["units_run"] == hand["units_total"] else (
        f"（单位报告实测 {hand['units_run']} 份，按平均每份 {hand['unit_report_mean']:.1f} 秒"
        f"外推到 {hand['units_total']} 份）")
    print(f"""## 批量生成耗时（{args.period}，{n} 份报告，{os.cpu_count()} 核，--jobs {args.jobs}）

| 方式 | 总用时 |
|---|---|
| 手工：逐份 `papermill` + `jupyter nbconvert --to html --no-input`{extrap} | {hand['wall']:.1f} 秒 |
| `evalkit run`（冷缓存，--force） | {batch['wall']:.1f} 秒 |
| 加速比 | **{ratio:.1f} 倍** |
| `evalkit run` 重跑（无变化，命令行总用时） | {rerun:.2f} 秒 |

手工方式的时间构成（估计全部 {n} 份）：papermill 命令 {hand['papermill']:.1f} 秒\
（其中单元格执行 {hand['cells']:.1f} 秒，
含导入与读数据单元格 {hand['setup']:.1f} 秒；\
其余 {hand['papermill'] - hand['cells']:.1f} 秒为进程启动、导入 papermill、启动内核），
nbconvert 命令 {hand['nbconvert']:.1f} 秒。

批量方式的时间构成（各进程累计，{args.jobs} 个进程并行）：内核启动 {batch['kernel_start']:.1f} 秒，
执行 {batch['execute'] - batch['kernel_start']:.1f} 秒（其中导入与读数据单元格 {batch['setup_cells']:.1f} 秒），\
渲染与写文件 {batch['render']:.1f} 秒。
""")


if __name__ == "__main__":
    main()
