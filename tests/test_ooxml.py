"""evalkit.intake.ooxml: openpyxl is imported only when a file needs it, and the OOXML names
spelled out there are openpyxl's own.

``evalkit validate`` on the sample needs openpyxl for none of its files (calamine reads them
all); importing it anyway cost about 0.1 s of a 1.6 s run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl.worksheet._reader as openpyxl_reader
import openpyxl.xml.constants as openpyxl_constants
import pytest
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from evalkit.intake import ooxml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.mark.parametrize("name", ["ARC_CONTENT_TYPES", "ARC_ROOT_RELS", "ARC_CORE", "ARC_APP", "ARC_CUSTOM",
                                  "ARC_STYLE", "CONTYPES_NS", "PKG_REL_NS", "SHEET_MAIN_NS", "SHARED_STRINGS",
                                  "WORKSHEET_TYPE", "THEME_TYPE", "XLSX", "XLTX", "XLSM", "XLTM"])
def test_part_names_and_types_are_openpyxls(name):
    assert getattr(ooxml, name) == getattr(openpyxl_constants, name)


@pytest.mark.parametrize("name", ["ROW_TAG", "CELL_TAG", "FORMULA_TAG"])
def test_worksheet_tags_are_openpyxls(name):
    assert getattr(ooxml, name) == getattr(openpyxl_reader, name)


def test_column_letters_both_ways_as_openpyxl():
    for index in range(1, 18_279):
        letters = get_column_letter(index)
        assert ooxml.column_letter(index) == letters
        assert ooxml.column_index(letters) == column_index_from_string(letters) == index
    assert (ooxml.column_letter(1), ooxml.column_letter(28), ooxml.column_letter(40)) == ("A", "AB", "AN")
    for bad in (0, 18_279):
        with pytest.raises(ValueError):
            ooxml.column_letter(bad)


def _python(code: str, **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env}, cwd=ROOT)


def test_validating_the_sample_imports_neither_openpyxl_nor_tqdm():
    """Every sample file is read by calamine, and stderr is no terminal: neither module loads."""
    done = _python("import sys\n"
                   "from evalkit.intake.loader import load\n"
                   f"ds = load({str(SAMPLE)!r})\n"
                   "print(len(ds.files), 'openpyxl' in sys.modules, 'tqdm' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["329", "False", "False"]


def test_a_workbook_with_a_formula_still_loads_openpyxl(tmp_path):
    """The openpyxl reader is used, and imported, for the file that needs it."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "企业名称", "检查时间", "执法人员"])
    ws.append([1, "某某公司", "=TODAY()", "张三"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    code = ("import sys\n"
            "from evalkit.intake.registry import load_registry\n"
            "from evalkit.intake.workbooks import read_file\n"
            f"f = read_file({str(path)!r}, 'f.xlsx', load_registry({str(SAMPLE)!r}))\n"
            "rules = {p.rule for s in f.sheets for p in s.problems}\n"
            "print('openpyxl' in sys.modules, 'formula_no_cached_value' in rules)")
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_openpyxl_without_defusedxml_is_refused_at_import():
    """OPENPYXL_DEFUSEDXML=False would make openpyxl parse submissions with the plain XML parser."""
    done = _python("import evalkit.intake.loader", OPENPYXL_DEFUSEDXML="False")
    assert done.returncode != 0
    assert "ImportError" in done.stderr and "defusedxml" in done.stderr.lower()


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from evalkit.intake import parallel

    class Tty:
        def isatty(self):
            return True

        def write(self, text):
            return len(text)

        def flush(self):
            pass

    assert isinstance(parallel._progress_bar(10), parallel._NoBar)  # pytest's stderr is no terminal
    monkeypatch.setattr(sys, "stderr", Tty())
    bar = parallel._progress_bar(10)
    assert type(bar).__name__ == "tqdm"
    bar.close()
    assert isinstance(parallel._progress_bar(1), parallel._NoBar)


def test_openpyxl_without_defusedxml_is_refused_when_it_loads(monkeypatch, tmp_path):
    """openpyxl's own flag is checked again on load (openpyxl imported before evalkit, say)."""
    import openpyxl.xml

    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(ImportError, match="defusedxml"):
        ooxml.load_workbook(tmp_path / "any.xlsx", read_only=True)
