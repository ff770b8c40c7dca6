"""Which Chromium prints the PDFs (report.pdf.find_chromium): no browser needed to test it.

The headless shell comes first: it prints the same pages with about half the CPU of a full
``chromium --headless`` (docs/documents.md), so a machine with both uses the shell.
"""

from __future__ import annotations

import os
import stat

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
