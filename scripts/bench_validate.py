"""Time `evalkit validate` on a data folder, N runs (not a test): the issue-12 budget for the
bundled sample is under 1.5 s wall on this 2-core machine.

    .venv/bin/python scripts/bench_validate.py [--data data/sample] [--runs 10] [--jobs N]

Each run is a fresh `evalkit validate` process (interpreter start and imports included, as a
clerk sees it), its output discarded. Prints every run's wall and CPU (user + system of the
process and its workers), then the best and the median, and the load average: on a shared
machine the median moves with the neighbours, so both are given.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 1.5


def one_run(data: Path, jobs: int | None) -> tuple[float, float]:
    exe = Path(sys.executable).with_name("evalkit")
    args = [str(exe), "validate", str(data)] + (["--jobs", str(jobs)] if jobs else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the data has errors (the sample's planted ones)
        raise SystemExit(f"evalkit validate 退出码 {done.returncode}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    one_run(args.data, args.jobs)  # warm the page cache and the .pyc files
    walls, cpus = [], []
    for i in range(args.runs):
        wall, cpu = one_run(args.data, args.jobs)
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {i + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
    best, median = min(walls), statistics.median(walls)
    verdict = "met" if median < BUDGET else ("met by the best run only" if best < BUDGET else "missed")
    print(f"\nevalkit validate {args.data}: best {best:.2f} s, median {median:.2f} s wall "
          f"(CPU median {statistics.median(cpus):.2f} s); budget {BUDGET} s: {verdict}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
