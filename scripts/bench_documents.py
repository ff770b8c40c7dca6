"""Time what the Word documents and the PDFs add to a month's batch (not a test).

    .venv/bin/python scripts/bench_documents.py [--data data/sample] [--period 2024-06] [--jobs 2] [--repeat 3]

Runs ``run_batch`` cold (an empty dataset cache, ``force=True``) twice: without extras (what
``scripts/bench_batch.py`` times) and with the period's documents (``evalkit.documents``, as
``evalkit run`` passes them) and the PDFs (one headless Chromium, as plain ``evalkit run`` prints
them; ``--no-pdf`` times the documents alone, i.e. ``evalkit run --no-pdf``). CPU is this process and
its reaped children (workers, kernels) plus Chromium's session read from /proc. Prints both wall times, the
increase, and where the added time goes: the documents job (in the worker pool), printing
(Chromium, in a thread while the reports run) and the wait for the last PDFs after the last report.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds() -> float:
    """CPU time of this process and of every finished child (workers, their kernels, Chromium)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(data: Path, period: str, jobs: int, out: Path, cache: Path, extras: bool, pdf: bool = True) -> dict:
    os.environ["EVALKIT_CACHE_DIR"] = str(cache)
    from evalkit.documents import write_documents
    from evalkit.report.batch import ExtraJob, run_batch

    extra = [ExtraJob("documents", "公文", "公文", write_documents, {"units": []})] if extras else []
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    result = run_batch(data, period, jobs=jobs, out_dir=out, force=True, progress=False,
                       extra_jobs=extra, pdf=extras and pdf)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    manifest = json.loads((out / result.period.text / "manifest.json").read_text(encoding="utf-8"))
    docs = manifest.get("extra", {}).get("documents", {})
    return {"wall": wall, "cpu": cpu, "reports": len(result.outcomes), "failed": result.count("failed"),
            "pdfs": result.pdfs, "documents": len(result.extra_files), "documents_seconds": docs.get("seconds"),
            "pdf_print": result.timings.get("pdf_print"), "pdf_wait": result.timings.get("pdf_wait"),
            "pdf_cpu": result.timings.get("pdf_cpu"),
            "notes": result.notes}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--period", default="2024-06")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--order", choices=("base-first", "full-first"), default="base-first",
                    help="which run goes first (the machine's load drifts; run both orders)")
    ap.add_argument("--no-pdf", action="store_true", help="time the documents alone (evalkit run --no-pdf)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="pairs of runs, the order alternating; the pair with the median increase is shown")
    args = ap.parse_args()
    pairs = []
    for i in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            runs = [("base", False), ("full", True)]
            if (args.order == "full-first") != (i % 2 == 1):
                runs.reverse()
            got = {name: timed(args.data, args.period, args.jobs, tmp / name, tmp / f"cache-{name}", extras=flag,
                               pdf=not args.no_pdf)
                   for name, flag in runs}
        pairs.append((got["full"]["wall"] / got["base"]["wall"] - 1, got))
        print(f"pair {i + 1}: reports {got['base']['wall']:.1f} s, "
              f"with documents and PDFs {got['full']['wall']:.1f} s, "
              f"+{100 * pairs[-1][0]:.0f}%", file=sys.stderr)
    pairs.sort(key=lambda pair: pair[0])
    base, full = pairs[len(pairs) // 2][1]["base"], pairs[len(pairs) // 2][1]["full"]
    if len(pairs) > 1:
        print(f"{len(pairs)} pairs, increases " + ", ".join(f"{100 * inc:.0f}%" for inc, _ in pairs)
              + "; the median pair:\n")
    load = os.getloadavg()[0]
    print(f"| batch {args.period}, {base['reports']} reports, cold | wall (s) | CPU (s) |")
    print("|---|---:|---:|")
    print(f"| reports only | {base['wall']:.1f} | {base['cpu']:.1f} |")
    print(f"| reports + {full['documents']} documents + {full['pdfs']} PDFs | {full['wall']:.1f} | {full['cpu']:.1f} |")
    full_cpu = full["cpu"] + (full["pdf_cpu"] or 0)  # Chromium's renderers are not our children
    print(f"| increase | {100 * (full['wall'] / base['wall'] - 1):.0f}% (target ≤ 30%) "
          f"| {100 * (full_cpu / base['cpu'] - 1):.0f}% (with Chromium's {full['pdf_cpu'] or 0:.1f} s) |")
    print(f"\nwhere the added time goes: documents job {full['documents_seconds']} s (a worker, in parallel)"
          + (f"; Chromium printing {full['pdf_print']:.1f} s in all (a thread, while reports run); "
             f"wait for the PDFs after the last report {full['pdf_wait']:.1f} s" if full["pdfs"] else "")
          + f"; load average {load:.1f}")
    if full["notes"]:
        print("notes:", *full["notes"], sep="\n  ")
    return 0 if not (base["failed"] or full["failed"]) else 1


if __name__ == "__main__":
    sys.exit(main())
