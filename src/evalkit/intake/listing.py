"""Entries under submissions/: which are read, the name each goes by, and reading one's bytes safely.

Rules (docs/intake.md, section 2, repeats them for users):

* The folder is walked without following symbolic links to folders. Regular files are
  read. A symbolic link to a regular file is read (under the link's own name) only when
  its target lies inside DATA_DIR; a link whose target is outside DATA_DIR, a dangling
  link or a link loop, a symbolic link to a folder (whatever its target), and a FIFO,
  socket or device are not read and each gives one ``file_not_regular`` error naming it.
  A FIFO is never opened (that would block): entries are classified by ``lstat`` first,
  and a file is opened non-blocking and checked with ``fstat`` before reading, so an
  entry swapped for a FIFO or a link in between is refused too.
* Hidden and lock files (".*", "~$*", Thumbs.db, desktop.ini, __MACOSX/) are skipped with
  a ``file_skipped`` warning.
* A file is never read whole before its size is known: ``os.fstat`` first, then at most
  ``MAX_FILE_BYTES`` + 1 bytes (a file growing while read is still refused).
* The name of a file (``relative_name``) is its path relative to DATA_DIR with forward
  slashes. A name that is not valid UTF-8 (a Windows archive unzipped on Linux gives GBK
  bytes, which Python carries as surrogate escapes) is shown decoded as GB18030 when it
  decodes, else with the undecodable bytes backslash-escaped (``\\xca``), so every problem,
  table and report can print it. Two entries that would get the same name (a GBK and a
  UTF-8 copy, or NFC and NFD spellings) are told apart by a " [2]", " [3]" … suffix.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from evalkit.core.problems import Problem, make_problem
from evalkit.exceptions import os_reason
from evalkit.intake.registry import REGISTRY_DIR, REGISTRY_FILES, SUBMISSIONS_DIR, submission_key

MAX_FILE_BYTES = 50 * 1024 * 1024

#: Names of the spreadsheet files units send (the content decides how each is read).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et", ".ett", ".xlt", ".xltx", ".xltm", ".fods")

_SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}

_SPECIAL = {stat.S_IFIFO: "命名管道（FIFO）", stat.S_IFSOCK: "套接字（socket）", stat.S_IFCHR: "字符设备",
            stat.S_IFBLK: "块设备"}


@dataclass(frozen=True)
class Entry:
    """A file to read: ``path`` is what is opened (a link's resolved target), ``name`` what it is called."""

    path: Path
    name: str
    mtime: int | None = None  # modification time in whole seconds (of the target, for a link)


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def readable_name(text: str) -> str:
    """``text`` (a path as Python gives it) printable: surrogate-escaped bytes decoded as GB18030,
    else backslash-escaped; each path component on its own. Valid text is returned unchanged."""
    if _is_text(text):
        return text
    parts = []
    for raw in text.encode("utf-8", "surrogateescape").split(b"/"):
        for encoding in ("utf-8", "gb18030"):
            try:
                parts.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            parts.append(raw.decode("utf-8", "backslashreplace"))
    return "/".join(parts)


def relative_name(path: Path, data_dir: Path) -> str:
    """The name of ``path`` in problems and tables: "submissions/…", readable (see ``readable_name``)."""
    # submission_key first: it turns \\ into /, which must not touch the escapes
    key = submission_key(path.relative_to(data_dir / SUBMISSIONS_DIR).as_posix())
    return unicodedata.normalize("NFC", readable_name(key))


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith((".", "~$")) or p == "__MACOSX" for p in parts) or parts[-1].lower() in _SKIP_NAMES


def _inside(target: str, roots: tuple[str, ...]) -> bool:
    return any(target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def list_files(sub_dir: Path, data_dir: Path) -> tuple[list[Entry], list[Problem]]:
    """The files under ``sub_dir`` to read, in path order, and a problem per entry not read."""
    roots = tuple(dict.fromkeys(os.path.realpath(p) for p in (data_dir, sub_dir)))
    entries: list[Entry] = []
    problems: list[Problem] = []
    paths = list(_walk(sub_dir))
    # A name written as is (valid UTF-8) keeps it; a decoded one that collides gets the suffix.
    exact = {p for p in paths if _is_text(str(p))}
    reserved = {relative_name(p, data_dir) for p in exact}
    names: set[str] = set()

    def unique(path: Path) -> str:
        name = candidate = relative_name(path, data_dir)
        n = 1
        while candidate in names or (path not in exact and candidate in reserved):
            n += 1
            candidate = f"{name} [{n}]"
        names.add(candidate)
        return candidate

    def refuse(path: Path, what: str) -> None:
        problems.append(make_problem(
            "file_not_regular", f"{what}：已跳过，未读取；请把报送的工作簿本身放在 submissions/ 中",
            file=unique(path)))

    for path in paths:
        try:
            st = path.lstat()
        except OSError as exc:
            refuse(path, f"无法查看（{os_reason(exc)}）")
            continue
        if stat.S_ISDIR(st.st_mode):
            continue  # walked into by _walk
        if _hidden(path.relative_to(sub_dir).parts):
            rel = unique(path)
            problems.append(make_problem("file_skipped", f"{readable_name(path.name)} 是隐藏文件或临时锁文件：已跳过，"
                                         "不计入报送", file=rel))
            continue
        if stat.S_ISREG(st.st_mode):
            entries.append(Entry(path, unique(path), int(st.st_mtime)))
        elif stat.S_ISLNK(st.st_mode):
            kind = _link_kind(path, roots)
            if isinstance(kind, Path):
                entries.append(Entry(kind, unique(path), _mtime(kind)))
            else:
                refuse(path, kind)
        else:
            refuse(path, f"不是普通文件，而是{_SPECIAL.get(stat.S_IFMT(st.st_mode), '特殊文件')}")
    return entries, problems


def _link_kind(path: Path, roots: tuple[str, ...]) -> Path | str:
    """A symbolic link's resolved target when it is read, else why it is not (a Chinese phrase)."""
    try:
        target = os.path.realpath(path, strict=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "是循环的符号链接"
        return "是符号链接，但链接的目标不存在"
    try:
        st = os.stat(target)
    except OSError as exc:
        return f"是符号链接，目标无法查看（{os_reason(exc)}）"
    if stat.S_ISDIR(st.st_mode):
        return "是指向文件夹的符号链接（不跟随链接的文件夹）"
    if not _inside(target, roots):
        return "是符号链接，指向数据目录之外的文件（为安全起见不读取）"
    if not stat.S_ISREG(st.st_mode):
        return f"是符号链接，指向{_SPECIAL.get(stat.S_IFMT(st.st_mode), '特殊文件')}"
    return Path(target)


def _mtime(path: Path) -> int | None:
    try:
        return int(path.stat().st_mtime)
    except OSError:
        return None


def _walk(folder: Path):
    """Every entry under ``folder`` in sorted path order, without entering linked folders."""
    try:
        with os.scandir(folder) as it:
            children = sorted(it, key=lambda e: e.name)
    except OSError:
        return  # an unlistable subfolder: its entries cannot be named (the top folder is checked by the loader)
    for child in children:
        path = Path(child.path)
        yield path
        try:
            is_dir = child.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(path)


class FileTooLarge(ValueError):
    """The file is larger than MAX_FILE_BYTES (``size`` is what was seen)."""

    def __init__(self, size: int):
        self.size = size
        super().__init__(size)


class NotRegularFile(ValueError):
    """The entry became something other than a regular file after it was listed."""


def read_bytes(path: Path) -> bytes:
    """The content of regular file ``path``, at most MAX_FILE_BYTES.

    Opened non-blocking and without following a link (``Entry.path`` is already
    resolved), checked with fstat before reading; raises FileTooLarge, NotRegularFile or
    OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(path) from None
        raise
    with os.fdopen(fd, "rb", buffering=0) as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path)
        if st.st_size > MAX_FILE_BYTES:
            raise FileTooLarge(st.st_size)
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:
            chunk = fh.read(min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise FileTooLarge(total)
        return b"".join(chunks)


def stray_files(data_dir: Path) -> list[Problem]:
    """A ``file_outside_submissions`` warning for each workbook placed directly in DATA_DIR or
    in registry/ (registry files themselves aside): it is not read, and must not vanish silently."""
    problems = []
    for folder, known in ((data_dir, ()), (data_dir / REGISTRY_DIR, REGISTRY_FILES)):
        try:
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if not e.is_dir(follow_symlinks=False))
        except OSError:
            continue
        for name in names:
            if name in known or _hidden((name,)) or not name.lower().endswith(WORKBOOK_SUFFIXES):
                continue
            rel = readable_name((folder / name).relative_to(data_dir).as_posix())
            problems.append(make_problem(
                "file_outside_submissions",
                f"{rel} 不在 submissions/ 下，未读取：报送的工作簿请放在 submissions/ 中"
                + ("（registry/ 只放名录文件）" if folder != data_dir else ""), file=rel))
    return problems
