"""The CLI's error contract: every failure a user can cause is one Chinese line on stderr and
exit 2 (3 for an internal error), never a traceback; argparse speaks Chinese; --debug re-raises."""

from __future__ import annotations

import argparse
import errno
import os
import re
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook

import evalkit.intake.loader as intake_loader
import evalkit.report.batch as batch
from evalkit.cli import build_parser, main
from evalkit.exceptions import InternalError
from intake_helpers import inspection, ledger_file, make_data_dir

HAN = re.compile(r"[\u4e00-\u9fff]")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def data_dir(tmp_path):
    """A small valid data folder with one May 2024 ledger workbook."""
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection()])
    return root


def one_line_error(capsys, args, expected: str, status: int = 2) -> str:
    """Run the CLI; assert ``status``, nothing on stdout and one Chinese stderr line holding ``expected``."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: ") and HAN.search(lines[0]), err
    assert expected in lines[0], err
    return lines[0]


def argparse_error(capsys, args) -> str:
    """Run the CLI expecting argparse to exit 2; return stderr."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ------------------------------------------------------------------ output paths
@pytest.mark.parametrize("command", [
    ["export", "{data}", "--period", "2024-05"],
    ["run", "{data}", "--period", "2024-05"],
    ["sample"],
])
def test_out_is_a_file(tmp_path, data_dir, capsys, command):
    """--out naming an existing file: exit 2 naming the file, before any work."""
    target = tmp_path / "report.txt"
    target.write_text("x", encoding="utf-8")
    args = [a.format(data=data_dir) for a in command] + ["--out", target]
    one_line_error(capsys, args, f"无法写入 {target}：这是文件而不是目录")


def test_out_below_a_file(tmp_path, data_dir, capsys):
    """--out inside a file (file/sub): the message names the file in the way."""
    target = tmp_path / "report.txt"
    target.write_text("x", encoding="utf-8")
    one_line_error(capsys, ["export", data_dir, "--period", "2024-05", "--out", target / "sub"],
                   f"无法写入 {target}：这是文件而不是目录")


@pytest.mark.parametrize("command", [["export", "{data}", "--period", "2024-05"], ["sample"],
                                     ["run", "{data}", "--period", "2024-05"]])
def test_out_read_only(tmp_path, data_dir, capsys, monkeypatch, command):
    """A read-only --out folder (os.access says no): exit 2, “只读”, naming the folder."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))  # not the user's cache
    out = tmp_path / "ro"
    out.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != out and real_access(p, mode, **kw))
    args = [a.format(data=data_dir) for a in command] + ["--out", out]
    one_line_error(capsys, args, f"无法写入 {out}：目录只读")


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
def test_out_read_only_for_real(tmp_path, data_dir, capsys):
    """A folder without write permission (chmod 555): exit 2, “只读”."""
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        one_line_error(capsys, ["export", data_dir, "--period", "2024-05", "--out", out / "x"], "只读")
    finally:
        out.chmod(0o755)


def test_permission_denied_while_writing(tmp_path, data_dir, capsys, monkeypatch):
    """A PermissionError from a workbook write is an OutputError naming that file."""
    def denied(self, filename):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(filename))

    monkeypatch.setattr(Workbook, "save", denied)
    line = one_line_error(capsys, ["export", data_dir, "--period", "2024-05", "--out", tmp_path / "out"],
                          "没有权限")
    assert f"无法写入 {tmp_path / 'out'}" in line and ".xlsx" in line


def test_disk_full_while_writing(tmp_path, data_dir, capsys, monkeypatch):
    """ENOSPC from a write (no file name attached): exit 2, “磁盘空间已满”, naming --out."""
    monkeypatch.setattr(Workbook, "save", _enospc)
    out = tmp_path / "out"
    one_line_error(capsys, ["export", data_dir, "--period", "2024-05", "--out", out],
                   f"无法写入 {out}：磁盘空间已满")


def test_missing_notebook(tmp_path, data_dir, capsys, monkeypatch):
    """`evalkit run` without its report notebooks: exit 2 naming the missing notebook."""
    empty = tmp_path / "notebooks"
    empty.mkdir()
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))  # not the user's cache
    monkeypatch.setattr(batch, "default_notebooks_dir", lambda: empty)
    one_line_error(capsys, ["run", data_dir, "--period", "2024-05", "--out", tmp_path / "out"], ".ipynb")


# ------------------------------------------------------------------ inputs
def deny_listing(monkeypatch, folder: Path) -> None:
    """Make os.scandir(folder) fail as a folder without read permission does (even for root)."""
    real_scandir = os.scandir

    def scandir(path="."):
        if Path(path) == folder:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)


def test_unreadable_data_folder(data_dir, capsys, monkeypatch):
    """A data folder that cannot be listed (PermissionError): exit 2 naming the folder, “无法读取”."""
    deny_listing(monkeypatch, data_dir)
    for command in ("validate", "metrics"):
        args = [command, data_dir] + (["--period", "2024-05"] if command == "metrics" else [])
        one_line_error(capsys, args, f"数据目录 {data_dir}：无法读取（没有权限")


def test_unreadable_submissions_folder(data_dir, capsys, monkeypatch):
    """submissions/ that cannot be listed is an error, not a silently empty month."""
    deny_listing(monkeypatch, data_dir / "submissions")
    one_line_error(capsys, ["validate", data_dir], "submissions/ 目录无法读取")


@pytest.mark.parametrize(("command", "text", "key"), [
    ("metrics", "reports_verified:\n  ledger: guess\n", "reports_verified.ledger"),
    ("audit", "reconciliation:\n  tolerance_rate: -1\n", "reconciliation.tolerance_rate"),
    ("score", "scope: week\n", "scope"),
])
def test_bad_config(tmp_path, data_dir, capsys, command, text, key):
    """A bad --config for metrics, audit and score: exit 2, one line naming the file and the key."""
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text, encoding="utf-8")
    line = one_line_error(capsys, [command, data_dir, "--period", "2024-05", "--config", cfg], f"'{key}'")
    assert f"配置文件 {cfg}" in line and "实际为" in line


def test_config_is_a_folder(tmp_path, data_dir, capsys):
    """--config naming a folder: exit 2, “是目录”."""
    one_line_error(capsys, ["audit", data_dir, "--period", "2024-05", "--config", tmp_path], "是目录")


def test_unreadable_config(tmp_path, data_dir, capsys, monkeypatch):
    """A config file that cannot be read (PermissionError): exit 2, “无法读取”, naming the file."""
    cfg = tmp_path / "a.yaml"
    cfg.write_text("disabled: []\n", encoding="utf-8")
    real_read = Path.read_text

    def read_text(self, *args, **kwargs):
        if self == cfg:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    one_line_error(capsys, ["audit", data_dir, "--period", "2024-05", "--config", cfg],
                   f"配置文件 {cfg}：无法读取")


def test_bad_period(data_dir, capsys):
    """An impossible --period: exit 2 naming the parameter and the allowed forms."""
    one_line_error(capsys, ["score", data_dir, "--period", "2024-13"], "period='2024-13'")


# ------------------------------------------------------------------ internal errors and --debug
def test_internal_error_is_one_line_with_status_3(data_dir, capsys, monkeypatch):
    """An InternalError shows as one line asking for a bug report, exit 3."""
    def broken(path, **_):
        raise InternalError("读取的行数与接收、拒收行数不符")

    monkeypatch.setattr(intake_loader, "load", broken)
    one_line_error(capsys, ["validate", data_dir], "请将此信息报告给 evalkit 维护者", status=3)


def test_unexpected_exception_is_an_internal_error(data_dir, capsys, monkeypatch):
    """Any other exception (a bug) is reported like an InternalError: one line, exit 3."""
    def broken(path, **_):
        raise KeyError("unit")

    monkeypatch.setattr(intake_loader, "load", broken)
    one_line_error(capsys, ["validate", data_dir], "内部错误：KeyError", status=3)


def test_rows_lost_check_raises_internal_error(data_dir):
    """The intake's rows-lost check raises InternalError (not assert) naming the file."""
    ds = intake_loader.load(data_dir)
    ds.files.loc[0, "rows_accepted"] += 1
    with pytest.raises(InternalError, match="submissions/a.xlsx.*请将此信息报告给 evalkit 维护者"):
        intake_loader._assert_nothing_lost(ds)


@pytest.mark.parametrize("where", ["before", "after", "env"])
def test_debug_reraises(tmp_path, capsys, monkeypatch, where):
    """--debug (before or after the command) or EVALKIT_DEBUG=1 re-raises the original exception."""
    args = ["export", str(tmp_path / "nope"), "--period", "2024-05"]
    if where == "env":
        monkeypatch.setenv("EVALKIT_DEBUG", "1")
    else:
        args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    with pytest.raises(Exception, match="目录不存在"):
        main(args)


def test_without_debug_env_zero(tmp_path, capsys, monkeypatch):
    """EVALKIT_DEBUG=0 keeps the one-line message."""
    monkeypatch.setenv("EVALKIT_DEBUG", "0")
    one_line_error(capsys, ["validate", tmp_path / "nope"], "目录不存在")


# ------------------------------------------------------------------ argparse in Chinese
def test_help_is_chinese(capsys):
    """`evalkit --help` and a command's -h: 用法, section titles and the -h line in Chinese; exit 0."""
    for args in (["--help"], ["export", "-h"]):
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("用法：evalkit") and "显示帮助并退出" in out and "选项" in out
        assert "usage" not in out and "show this help" not in out and "options" not in out
    main_help = build_parser().format_help()
    assert "子命令" in main_help
    assert "位置参数" in build_parser()._subparsers._group_actions[0].choices["export"].format_help()


def test_bad_choice_is_chinese(capsys):
    """An unknown command or --scope value: 用法, 错误 and 无效的选择 in Chinese, exit 2."""
    err = argparse_error(capsys, ["bogus"])
    assert err.startswith("用法：") and "evalkit：错误：" in err and "无效的选择：'bogus'" in err
    err = argparse_error(capsys, ["metrics", "d", "--period", "2024-05", "--scope", "week"])
    assert "参数 --scope：无效的选择：'week'" in err and "invalid" not in err


def test_missing_argument_is_chinese(capsys):
    """A missing --period or DATA_DIR: 必须提供参数, exit 2."""
    assert "必须提供参数：--period" in argparse_error(capsys, ["export", "d"])
    assert "必须提供参数：DATA_DIR" in argparse_error(capsys, ["validate"])
    assert "必须提供参数：命令" in argparse_error(capsys, [])


def test_bad_number_is_chinese(capsys):
    """--jobs 0 or x: a Chinese message from the option's own type, exit 2."""
    assert "参数 --jobs：应为正整数" in argparse_error(capsys, ["run", "d", "--period", "2024-05", "--jobs", "0"])
    assert "参数 --seed：应为整数，实际为 'x'" in argparse_error(capsys, ["sample", "--seed", "x"])


def test_every_option_has_help():
    """Every argument of every command has help text."""
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    for p in [parser, *commands.values()]:
        for action in p._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, (p.prog, action.dest)


def test_argparse_translation_is_restored(capsys):
    """After the CLI ran, other argparse parsers speak English again."""
    argparse_error(capsys, ["bogus"])
    assert argparse.ArgumentParser(prog="x").format_usage().startswith("usage: ")
