"""`evalkit validate` on hostile data folders: exit 1 or 2, a Chinese message, never a traceback."""

from __future__ import annotations

import os
import re

import pytest

from evalkit.cli import main
from intake_helpers import inspection, ledger_file, make_data_dir

HAN = re.compile(r"[\u4e00-\u9fff]")


def run(capsys, *args) -> tuple[int, str, str]:
    """Run the CLI; return (exit status, stdout, stderr), checking no traceback leaked."""
    code = main(["validate", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def usage_error(capsys, data_dir, expected: str) -> None:
    """Exit 2 with one Chinese line on stderr containing ``expected``."""
    code, out, err = run(capsys, data_dir)
    assert code == 2
    assert out == ""
    assert HAN.search(err) and expected in err, err


def test_data_dir_is_a_file(tmp_path, capsys):
    """DATA_DIR naming a file: exit 2, “不是目录”."""
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK\x03\x04")
    usage_error(capsys, path, "不是目录")


def test_data_dir_missing(tmp_path, capsys):
    """DATA_DIR that does not exist: exit 2, “目录不存在”."""
    usage_error(capsys, tmp_path / "nope", "目录不存在")


def test_empty_data_dir(tmp_path, capsys):
    """An empty folder: exit 2, naming the missing registry/."""
    usage_error(capsys, tmp_path, "缺少 registry/ 目录")


def test_registry_without_required_columns(tmp_path, capsys):
    """enterprises.csv without 监管单位: exit 2 naming the missing column."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").write_text("企业名称,行业\n宏达五金厂,五金\n", encoding="utf-8")
    usage_error(capsys, root, "缺少列：监管单位")


def test_registry_enterprises_csv_empty(tmp_path, capsys):
    """A 0-byte enterprises.csv: exit 2 naming both required columns."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").write_bytes(b"")
    usage_error(capsys, root, "缺少列：企业名称、监管单位")


def test_registry_enterprises_csv_undecodable(tmp_path, capsys):
    """enterprises.csv in neither UTF-8 nor GBK (0xFF bytes): exit 2, “无法读取”."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").write_bytes(b"\xff\xfe\xff\xff,\xff\n")
    usage_error(capsys, root, "无法读取")


def test_registry_enterprises_xlsx_corrupt(tmp_path, capsys):
    """A corrupt registry/enterprises.xlsx (zip header, garbage body): exit 2, “无法读取”."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").unlink()
    (root / "registry" / "enterprises.xlsx").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    usage_error(capsys, root, "registry/enterprises.xlsx 无法读取")


def test_registry_enterprises_xlsx_is_text(tmp_path, capsys):
    """enterprises.xlsx that is really a text file: exit 2, “无法读取”."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").unlink()
    (root / "registry" / "enterprises.xlsx").write_text("企业名称,监管单位\n", encoding="utf-8")
    usage_error(capsys, root, "registry/enterprises.xlsx 无法读取")


def test_registry_csv_and_xlsx_both(tmp_path, capsys):
    """enterprises.csv and enterprises.xlsx side by side: exit 2 asking to keep one."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.xlsx").write_bytes(b"")
    usage_error(capsys, root, "请只保留一个")


def test_registry_enterprises_csv_is_a_directory(tmp_path, capsys):
    """registry/enterprises.csv/ being a folder counts as no registry: exit 2."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "enterprises.csv").unlink()
    (root / "registry" / "enterprises.csv").mkdir()
    usage_error(capsys, root, "缺少企业名录")


def test_corrupt_optional_plan_is_a_usage_error(tmp_path, capsys):
    """A corrupt registry/plan.xlsx stops the run with exit 2 naming the file (as registry.py documents)."""
    root = make_data_dir(tmp_path)
    (root / "registry" / "plan.xlsx").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    usage_error(capsys, root, "registry/plan.xlsx 无法读取")


def test_submissions_is_a_file(tmp_path, capsys):
    """submissions being a file, not a folder: exit 2 naming submissions/."""
    root = make_data_dir(tmp_path)
    (root / "submissions").rmdir()
    (root / "submissions").write_text("x", encoding="utf-8")
    usage_error(capsys, root, "缺少 submissions/ 目录")


def test_folder_named_like_a_workbook(tmp_path, capsys):
    """submissions/x.xlsx/ is a folder: not a file itself; the text file inside it is file_not_excel, exit 1."""
    root = make_data_dir(tmp_path)
    (root / "submissions" / "x.xlsx").mkdir()
    (root / "submissions" / "x.xlsx" / "y.xlsx").write_text("不是工作簿", encoding="utf-8")
    code, out, err = run(capsys, root, "--json")
    assert code == 1 and err == ""
    assert '"file": "submissions/x.xlsx/y.xlsx"' in out and '"rule": "file_not_excel"' in out
    assert '"files": 1' in out


def test_symlink_loops(tmp_path, capsys):
    """A folder symlinked to its parent and two files linked to each other: the one real workbook is
    read once, the loops are not files; exit 1 because of the one error in the real workbook."""
    root = make_data_dir(tmp_path)
    ledger_file(root, "a.xlsx", [inspection(enterprise=None)])
    try:
        os.symlink(root / "submissions", root / "submissions" / "loop")
        os.symlink(root / "submissions" / "c.xlsx", root / "submissions" / "b.xlsx")
        os.symlink(root / "submissions" / "b.xlsx", root / "submissions" / "c.xlsx")
    except (OSError, NotImplementedError):
        pytest.skip("symlinks not supported here")
    code, out, err = run(capsys, root, "--json")
    assert code == 1 and err == ""
    assert '"rule": "enterprise_missing"' in out
    assert '"files": 1' in out and '"rows_read": 1' in out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_workbook(tmp_path, capsys):
    """A workbook without read permission: file_unreadable, exit 1, the other file still read."""
    root = make_data_dir(tmp_path)
    ledger_file(root, "a.xlsx", [inspection()])
    locked = ledger_file(root, "b.xlsx", [inspection()])
    locked.chmod(0)
    try:
        code, out, err = run(capsys, root, "--json")
    finally:
        locked.chmod(0o644)
    assert code == 1 and '"rule": "file_unreadable"' in out and '"rows_read": 1' in out


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_registry(tmp_path, capsys):
    """enterprises.csv without read permission: exit 2, “无法读取”."""
    root = make_data_dir(tmp_path)
    path = root / "registry" / "enterprises.csv"
    path.chmod(0)
    try:
        usage_error(capsys, root, "无法读取")
    finally:
        path.chmod(0o644)


def test_text_report_on_hostile_content(tmp_path, capsys):
    """The Chinese text report survives emoji, formulas-as-text and long values: exit 1, no traceback."""
    root = make_data_dir(tmp_path)
    ledger_file(root, "a.xlsx", [inspection(enterprise="=HYPERLINK(\"http://x\",\"🔥\")", fine_wan="x" * 5000,
                                            case_no="案\n号")])
    code, out, err = run(capsys, root)
    assert code == 1 and err == ""
    assert "number_unparseable" in out or "数字无法识别" in out
