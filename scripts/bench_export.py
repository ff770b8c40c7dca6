"""Benchmark ``evalkit export`` on a large month: 10k / 50k / 200k ledger rows.

Not a test. Run:  .venv/bin/python scripts/bench_export.py [--rows 10000 50000 200000] [--units 50]
[--enterprises 3000]

The rows are the synthetic ledger of ``bench_metrics.generate`` (same shape as a loaded
``Dataset``), all moved into June 2024, with long free text in every fourth row (a
32,767-character cell once per 10,000 rows, the longest a cell may hold) so the
personal-data scrub and the row-height fitting see the worst case. For each size it
times ``export_period`` (consolidated 附件2 and 附件1, the disclosure lists and the
review, one template per unit) and prints the wall time, the rows per second, the CPU
time of this process and of the worker (steadier than wall time on a shared machine), the
bytes written and the peak memory (``ru_maxrss``) of this process and of the worker. The
peaks are the largest so far, so run the sizes smallest first, as by default; this
process's includes generating the data. The consolidated 附件1 is the biggest part
(``export.ledger_stream``: xlsxwriter, one row in memory at a time); from
``official.LEDGER_WORKER_ROWS`` rows a worker process writes it while this one writes the
lists and templates. Budget (issue 9): 200k rows under 60 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_metrics import generate  # noqa: E402  (a sibling script, not a package)

from evalkit.export.official import export_period  # noqa: E402
from evalkit.intake.records import FIGURES_COLUMNS, SUBMISSION_COLUMNS  # noqa: E402

LONG = "负责人王五（电话139 1234 5678）称已整改，经林峰、陈伟现场检查发现消防通道堵塞。"


def june(n_rows: int, n_units: int, seed: int, n_enterprises: int = 3000):
    ds = generate(n_rows, n_enterprises, n_units, seed)
    led = ds.ledger
    rng = np.random.default_rng(seed)
    led["month"], led["period"] = 6, pd.array(["2024-06"] * len(led), dtype="str")
    led["inspection_date"] = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 30, len(led)), "D")
    remarks = np.full(len(led), None, dtype=object)
    remarks[::4] = LONG * 4
    remarks[::10_000] = (LONG * 800)[:32767]
    led["remarks"] = pd.array(remarks, dtype="str")
    led["legal_basis"] = pd.array(np.where(led["case_no"].notna(), "《中华人民共和国安全生产法》第九十九条", None),
                                  dtype="str")
    ds.items["period"] = "2024-06"
    ds.figures = pd.DataFrame(columns=FIGURES_COLUMNS)  # no unit sent a 附件2: all 未报送
    ds.submissions = pd.DataFrame(columns=SUBMISSION_COLUMNS)
    return ds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    p.add_argument("--units", type=int, default=50)
    p.add_argument("--enterprises", type=int, default=3000,
                   help="registry size; every unit's template lists them all (a town has 1-3 thousand)")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    for n in args.rows:
        ds = june(n, args.units, args.seed, args.enterprises)
        with tempfile.TemporaryDirectory() as out:
            start, before = time.perf_counter(), os.times()
            written = export_period(ds, "2024-06", out)
            took, after = time.perf_counter() - start, os.times()
            size = sum(Path(f).stat().st_size for f in written)
        cpu = after.user + after.system - before.user - before.system
        worker_cpu = after.children_user + after.children_system - before.children_user - before.children_system
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{n:>8,} rows: export {took:6.1f} s  ({n / took:,.0f} rows/s; CPU {cpu:.1f} s"
              f" + worker {worker_cpu:.1f} s), {len(written)} files, {size / 1e6:.1f} MB written,"
              f" peak {peak:,.0f} MiB + worker {worker_peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
