"""``python -m evalkit.export._ledger_worker JOB_DIR``: write one consolidated 附件1.

Run by ``ledger_stream.LedgerJob`` in a fresh interpreter, so nothing of the calling
program runs again in it (as ``multiprocessing``'s spawn would re-import the caller's
``__main__``). ``JOB_DIR/job.pickle`` holds the arguments of
``ledger_stream.write_consolidated_ledger``; an error is pickled to ``JOB_DIR/error.pickle``
for the caller to raise, and the exit status is 1. SIGTERM (the caller giving up) ends the
write like an error, so the temporary file is removed.
"""

from __future__ import annotations

import pickle
import signal
import sys
import traceback
from pathlib import Path

from evalkit.export.ledger_stream import write_consolidated_ledger


def _terminated(signum, frame):
    raise SystemExit(f"附件1 写出被终止（信号 {signum}）")


def main(argv: list[str]) -> int:
    job = Path(argv[0])
    signal.signal(signal.SIGTERM, _terminated)
    try:
        with open(job / "job.pickle", "rb") as f:  # written by LedgerJob in a private folder
            kwargs = pickle.load(f)
        write_consolidated_ledger(kwargs.pop("path"), kwargs.pop("ledger"), **kwargs)
    except BaseException as exc:  # noqa: BLE001 (every error goes back to the caller)
        if not isinstance(exc, SystemExit):  # SIGTERM: the caller stopped us, and knows why
            traceback.print_exc()
        try:
            payload = pickle.dumps(exc)
        except Exception:  # noqa: BLE001 (an exception that cannot be pickled: its text)
            payload = pickle.dumps(RuntimeError("".join(traceback.format_exception(exc))))
        (job / "error.pickle").write_bytes(payload)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
