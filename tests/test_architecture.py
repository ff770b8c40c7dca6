"""The layout is the architecture: layers point one way, no cycles, no hidden imports."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "evalkit"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: A function-level import must say why on its own line: start-up time (or the platform).
LAZY_MARKERS = ("# lazy:", "# POSIX only")


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--config", str(cwd / "pyproject.toml"), "--no-cache"],
                          cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"})


def test_import_linter_contracts_are_kept():
    """`lint-imports` passes: the layers contract and the no-cycles contract in pyproject.toml."""
    run = _lint_imports(ROOT, ROOT / "src")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


@pytest.mark.parametrize("bad", [
    ("core/_upward.py", "from evalkit.report import sections\n"),   # a low layer importing a high one
    ("export/_cycle.py", "import evalkit.export.official\n"),       # a sibling cycle with official
])
def test_import_linter_fails_on_an_upward_import_or_a_cycle(tmp_path, bad):
    """The contracts can fail: a copy of the package with one bad import breaks one of them."""
    shutil.copytree(SRC, tmp_path / "src" / "evalkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    rel, code = bad
    (tmp_path / "src" / "evalkit" / rel).write_text(code, encoding="utf-8")
    if rel.startswith("export/"):
        # official imports the new module back, closing the cycle
        official = tmp_path / "src" / "evalkit" / "export" / "official.py"
        official.write_text(official.read_text(encoding="utf-8") + "\nfrom evalkit.export import _cycle  # noqa\n",
                            encoding="utf-8")
    run = _lint_imports(tmp_path, tmp_path / "src")
    assert run.returncode != 0
    assert "BROKEN" in run.stdout or "broken" in run.stdout


def _function_level_imports(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Import, ast.ImportFrom)):
                    # the comment may stand on the import or on the first import of its group just above
                    found.append((inner.lineno, " ".join(lines[max(inner.lineno - 3, 0):inner.end_lineno])))
    return found


def test_function_level_imports_say_why():
    """Every import inside a function carries a '# lazy: …' comment (start-up time), so none hides a dependency."""
    unexplained = []
    for path in sorted(SRC.rglob("*.py")):
        for lineno, line in _function_level_imports(path):
            if not any(m in line for m in LAZY_MARKERS):
                unexplained.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert unexplained == []


def test_no_assert_in_production_code():
    """Production code raises named errors; `assert` vanishes under python -O."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_folder_list_shows_the_layers():
    """src/evalkit holds the layer subpackages and only a few top-level modules."""
    subpackages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
    assert subpackages == sorted(["assess", "audit", "config", "core", "documents", "export", "intake", "metrics",
                                  "report", "sample"])
    modules = sorted(p.name for p in SRC.glob("*.py"))
    assert modules == ["__init__.py", "_text.py", "cli.py", "exceptions.py"]


def test_one_not_applicable_and_one_table_printer():
    """不适用 is defined once (``_text.NOT_APPLICABLE``) and terminal widths are measured once
    (``_text.display_width``): no module keeps a private copy of either."""
    copies = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "_text.py":
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if '= "不适用"' in line or "east_asian_width" in line or "wcswidth" in line:
                copies.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert copies == []
