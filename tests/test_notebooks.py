"""The notebooks: committed clean, parameters documented, and every one runs under nbval.

``test_notebooks_run_under_nbval`` runs ``pytest --nbval-lax notebooks/`` in a subprocess
on data/sample: every cell must run, and the few cells marked ``# NBVAL_CHECK_OUTPUT``
(headline figures) must print what is committed, after tests/nbval_sanitize.cfg.

When the sample data or a computation changes on purpose, refresh the committed outputs::

    .venv/bin/python tests/test_notebooks.py --refresh
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECK = "# NBVAL_CHECK_OUTPUT"
EXPECTED = ["01-explore", "10-unit-report", "20-town-summary", "30-typical-cases", "40-look-back"]


def _code_cells(path: Path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_five_notebooks_exist():
    """The suite is 01-explore, 10-unit-report, 20-town-summary, 30-typical-cases, 40-look-back."""
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_declares_typed_documented_parameters(path):
    """The first code cell is tagged parameters; each parameter has a type and a # help comment."""
    first = _code_cells(path)[0]
    assert "parameters" in first.metadata.get("tags", [])
    params = papermill.inspect_notebook(str(path))
    assert "data_dir" in params
    for name, info in params.items():
        assert info["inferred_type_name"] not in (None, "None"), name
        assert info["help"], name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_except_checked_cells(path):
    """Only the NBVAL_CHECK_OUTPUT cells carry committed outputs; the others are clean."""
    checked = 0
    for cell in _code_cells(path):
        if cell.source.startswith(CHECK):
            checked += 1
            assert cell.outputs, f"{path.name}: checked cell without committed output"
        else:
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert checked >= 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plot_cells_end_with_show(path):
    """A cell that draws ends with plt.show() or ';' so its outputs are stable."""
    for cell in _code_cells(path):
        draws = "plot_" in cell.source or "plt." in cell.source.replace("import matplotlib.pyplot as plt", "")
        if draws:
            last = cell.source.strip().splitlines()[-1].strip()
            assert last == "plt.show()" or last.endswith(";"), cell.source[:80]


def test_default_data_dir_resolves_from_notebooks_and_root(monkeypatch):
    """The notebooks' default ../data/sample is found from notebooks/ and from the repository root."""
    from evalkit.report.cache import resolve_data_dir

    monkeypatch.chdir(ROOT / "notebooks")
    assert resolve_data_dir("../data/sample") == (ROOT / "data" / "sample").resolve()
    monkeypatch.chdir(ROOT)
    assert resolve_data_dir("../data/sample") == (ROOT / "data" / "sample").resolve()


def test_notebooks_run_under_nbval(tmp_path):
    """pytest --nbval-lax notebooks/ passes: every cell runs on data/sample, checked outputs match."""
    env = {**os.environ, "EVALKIT_CACHE_DIR": str(tmp_path / "cache"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
           "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "notebooks/"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


# --------------------------------------------------------------------------- refresh
def refresh_outputs() -> None:
    """Execute each notebook on data/sample; keep only the checked cells' outputs."""
    from nbclient import NotebookClient

    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in nb.cells:
            # nbval compares only cells that were run: checked cells keep their execution count.
            if cell.cell_type == "code" and not cell.source.startswith(CHECK):
                cell.execution_count = None
                cell.outputs = []
            cell.metadata.pop("execution", None)
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
        print("refreshed", path.name)


if __name__ == "__main__":
    if "--refresh" in sys.argv:
        refresh_outputs()
    else:
        print(__doc__)
