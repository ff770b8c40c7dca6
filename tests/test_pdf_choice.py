"""Which Chromium prints the PDFs (report.pdf.find_chromium), and that none is left behind: no browser needed.

The headless shell comes first: it prints the same pages with about half the CPU of a full
``chromium --headless`` (docs/documents.md), so a machine with both uses the shell.
"""

from __future__ import annotations

import os
import stat

import pytest

from evalkit.report.pdf import find_chromium


def _fake(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_headless_shell_is_preferred_to_a_full_chromium(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_CHROMIUM", raising=False)
    full = _fake(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == full  # only the full browser: it is used
    shell = _fake(tmp_path, "chromium-headless-shell")
    assert find_chromium() == shell


def test_evalkit_chromium_overrides_the_search(tmp_path, monkeypatch):
    _fake(tmp_path, "chromium-headless-shell")
    chosen = _fake(tmp_path, "my-chrome")
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("EVALKIT_CHROMIUM", chosen)
    assert find_chromium() == chosen


def test_no_chromium_at_all_is_none(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() is None


def test_a_browser_that_never_answers_is_killed_with_its_children(tmp_path):
    """A launcher script that runs the browser as its child (as Debian's chromium-headless-shell
    does) and a browser that never replies: the read times out, and closing kills the child too."""
    import time

    from evalkit.report.pdf import PdfError, PdfPrinter

    child = tmp_path / "child.pid"
    launcher = tmp_path / "chromium-headless-shell"
    launcher.write_text(f"#!/bin/sh\nsleep 600 &\necho $! > {child}\nwait\n", encoding="utf-8")
    launcher.chmod(0o755)
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    printer = PdfPrinter(str(launcher), timeout=1)
    with pytest.raises(PdfError, match="未响应"):
        printer.print_pdf(page, tmp_path / "p.pdf")
    pid = int(child.read_text())
    for _ in range(50):  # SIGKILL is delivered at once; reaping by init may take a moment
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid)
    printer.close()


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
