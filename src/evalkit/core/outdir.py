"""One writer per output folder: ``with output_lock(out, "evalkit run"): ...``.

``evalkit run`` and ``evalkit export`` write into ``--out`` and, at start-up, remove the
temporary files a killed run left there; two of them on one folder would delete each
other's in-flight files. So each holds the folder's lock file ``<out>/.evalkit.lock``
while it writes, and a second one refuses with ``OutputBusyError`` (exit status 2):
"输出目录 … 正由进程 1234 使用：请等待其完成或换用其他 --out".

How the lock works
    * the lock file holds JSON: the owner's pid, its process start time (from /proc, so
      a reused pid is not mistaken for the owner), host, command and start date;
    * the owner keeps an exclusive ``fcntl.flock`` on the file for as long as it writes.
      The kernel drops a flock when its process dies, however it dies (SIGKILL too), so
      a crashed owner never blocks the next run. A file whose lock is free but which
      names another live process (a lock taken where flock does not work) still refuses;
    * where flock is not available (Windows, some network file systems) the file is
      created with ``O_CREAT | O_EXCL`` and the pid it names decides;
    * a lock file left by a process that is gone (stale) is taken over, with a warning
      on stderr naming the dead pid;
    * the file is removed when the ``with`` block ends, on every exit path (error,
      Ctrl-C); nested use in one process (a run that exports) shares the one lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from evalkit.exceptions import OutputBusyError

LOCK_NAME = ".evalkit.lock"
_BUSY_RETRIES = 20  # a lock file just created by another process is written within milliseconds

_HELD: dict[str, tuple[int, int]] = {}  # resolved folder -> (owner pid, depth); the pid guards forked children


def _process_start(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the command name may hold spaces and parentheses
    try:
        return int(fields[19])  # field 22 of proc(5); fields[0] is field 3
    except (IndexError, ValueError):
        return None


def pid_alive(pid, start: int | None = None) -> bool:
    """Whether process ``pid`` exists (and, when ``start`` is known, is the one that started then)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to another user
        pass
    except OSError:
        return False
    if start is not None:
        now = _process_start(pid)
        if now is not None and now != start:
            return False  # the pid was reused by another process
    return True


def _owner_info(command: str) -> dict:
    return {"pid": os.getpid(), "start": _process_start(os.getpid()), "host": socket.gethostname(),
            "command": command, "started": dt.datetime.now().isoformat(timespec="seconds")}


def _read_info(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data.decode("utf-8")) if data.strip() else {}
    except (OSError, ValueError):
        return {"pid": "未知"}
    return info if isinstance(info, dict) else {"pid": "未知"}


def _held_by_other(info: dict) -> bool:
    """The lock file names another process that is still running (on this host)."""
    pid = info.get("pid")
    if not info or pid == os.getpid():
        return False
    if info.get("host") not in (None, socket.gethostname()):
        return True  # cannot check a process on another machine: assume it is running
    return pid_alive(pid, info.get("start") if isinstance(info.get("start"), int) else None)


def _warn_stale(folder: Path, info: dict) -> None:
    when = f"（{info['started']} 开始）" if info.get("started") else ""
    print(f"evalkit: 警告：输出目录 {folder} 的锁文件属于已退出的进程 {info.get('pid', '未知')}{when}：已接管",
          file=sys.stderr)


def _write_info(fd: int, info: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(info, ensure_ascii=False) + "\n").encode("utf-8"), 0)
    os.fsync(fd)


def _same_file(path: Path, fd: int) -> bool:
    try:
        st, mine = os.stat(path), os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _acquire_flock(folder: Path, path: Path, command: str) -> int | None:
    """The locked fd; None when this file system has no flock (use ``_acquire_exclusive``)."""
    try:
        import fcntl  # POSIX only: imported where it is used so Windows still loads
    except ImportError:  # pragma: no cover - Windows
        return None
    for _ in range(_BUSY_RETRIES):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read_info(fd)
            os.close(fd)
            if not info:  # created an instant ago, its owner has not written it yet
                time.sleep(0.05)
                continue
            raise OutputBusyError(folder, info.get("pid", "未知")) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                return None
            raise
        if not _same_file(path, fd):  # the previous owner removed it between our open and flock
            os.close(fd)
            continue
        info = _read_info(fd)
        if _held_by_other(info):
            os.close(fd)
            raise OutputBusyError(folder, info.get("pid", "未知"))
        if info and info.get("pid") != os.getpid():
            _warn_stale(folder, info)
        _write_info(fd, _owner_info(command))
        return fd
    raise OutputBusyError(folder, "未知")


def _acquire_exclusive(folder: Path, path: Path, command: str) -> int:
    """Without flock: create the file exclusively; take over one whose process is gone."""
    for _ in range(_BUSY_RETRIES):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        except FileExistsError:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            info = _read_info(fd)
            os.close(fd)
            if not info:
                time.sleep(0.05)
                continue
            if _held_by_other(info):
                raise OutputBusyError(folder, info.get("pid", "未知")) from None
            _warn_stale(folder, info)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            continue
        _write_info(fd, _owner_info(command))
        return fd
    raise OutputBusyError(folder, "未知")


@contextlib.contextmanager
def output_lock(out_dir, command: str = "evalkit") -> Iterator[Path]:
    """Hold ``<out_dir>/.evalkit.lock`` for the block (creates ``out_dir``); yields the lock path.

    Raises ``OutputBusyError`` when another live process holds it. Re-entrant in one process.
    """
    folder = Path(out_dir).absolute()
    key = str(folder)
    held = _HELD.get(key)
    if held and held[0] == os.getpid():
        _HELD[key] = (held[0], held[1] + 1)
        try:
            yield folder / LOCK_NAME
        finally:
            _HELD[key] = (held[0], _HELD[key][1] - 1)
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    fd = _acquire_flock(folder, path, command)
    if fd is None:
        fd = _acquire_exclusive(folder, path, command)
    _HELD[key] = (os.getpid(), 1)
    try:
        yield path
    finally:
        _HELD.pop(key, None)
        try:
            if _same_file(path, fd):
                os.unlink(path)  # before the flock goes: a waiter then sees a new file, never ours
        except OSError:
            pass
        os.close(fd)  # releases the flock
