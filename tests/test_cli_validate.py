"""`evalkit validate`: one JSON object with --json, a Chinese text report, exit codes 0/1/2."""

from __future__ import annotations

import json

import pytest

from evalkit.cli import main
from intake_helpers import inspection, ledger_file, make_data_dir


@pytest.fixture
def clean_dir(tmp_path):
    data_dir = make_data_dir(tmp_path / "data")
    ledger_file(data_dir, "a.xlsx", [inspection(), inspection(enterprise="蚶江锦里制衣有限公司")])
    return data_dir


def test_json_is_one_object_with_counts(clean_dir, capsys):
    """--json prints exactly one JSON object with the counts; exit 0 without errors."""
    assert main(["validate", str(clean_dir), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in ("files", "rows_read", "rows_accepted", "rows_rejected")} == {
        "files": 1, "rows_read": 2, "rows_accepted": 2, "rows_rejected": 0}
    assert out["problems"] == []
    assert out["by_file"] == [{"file": "submissions/a.xlsx", "rows_read": 2, "rows_accepted": 2,
                               "rows_rejected": 0, "errors": 0, "warnings": 0}]


def test_json_problem_rows_and_exit_1(clean_dir, capsys):
    """An error gives exit 1 and a problem row with every field, row as an int."""
    ledger_file(clean_dir, "b.xlsx", [inspection(fine_wan="待定", case_no="狮蚶应急罚〔2024〕9号")],
                unit="综合执法队")
    assert main(["validate", str(clean_dir), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    # the unreadable fine is reported at its cell; the row is kept (its fine unknown)
    assert (out["files"], out["rows_read"], out["rows_accepted"], out["rows_rejected"]) == (2, 3, 3, 0)
    assert out["problems"] == [{
        "file": "submissions/b.xlsx", "sheet": "统计表一", "row": 5, "column": "罚款金额(万)",
        "rule": "number_unparseable", "severity": "error",
        "message": "罚款金额 '待定' 不是数字：请填写以万元为单位的数字，如 0.5"
                   "（本行仍计入检查，罚款金额按未知处理，不计为 0）",
        "value": "待定"}]


def test_warning_only_exits_0(clean_dir, capsys):
    """Warnings alone keep exit status 0."""
    ledger_file(clean_dir, "b.xlsx", [inspection(inspectors=["张三"])], unit="综合执法队")
    assert main(["validate", str(clean_dir), "--json"]) == 0
    assert [p["rule"] for p in json.loads(capsys.readouterr().out)["problems"]] == ["inspectors_fewer_than_two"]


def test_text_report(clean_dir, capsys):
    """The text report shows the file table, the problems by file and a summary line."""
    ledger_file(clean_dir, "b.xlsx", [inspection(date="上旬")], unit="综合执法队")
    assert main(["validate", str(clean_dir)]) == 1
    text = capsys.readouterr().out
    assert "按规则统计" in text and "各文件行数" in text and "问题明细" in text
    assert "■ submissions/b.xlsx" in text
    assert "错误 [统计表一] 第5行 “检查时间” date_unparseable：检查时间 '上旬' 不是日期" in text
    assert text.rstrip().splitlines()[-1].startswith("合计：错误 1 条，警告 0 条")


def test_nonexistent_dir_exits_2_without_traceback(tmp_path, capsys):
    """A missing DATA_DIR is a usage error: exit 2, one line on stderr."""
    assert main(["validate", str(tmp_path / "nope"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("evalkit: 数据目录") and "Traceback" not in captured.err


def test_missing_registry_exits_2(tmp_path, capsys):
    """A folder without registry/enterprises exits 2."""
    (tmp_path / "submissions").mkdir()
    assert main(["validate", str(tmp_path)]) == 2
    assert "registry" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    """validate without DATA_DIR is an argparse usage error (exit 2)."""
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == 2
