"""Hostile inputs from the intake review: links and special files, memory and size bombs, hidden
sheets, non-finite and huge numbers, resubmission ties, undecodable file names, bad CLI arguments.

Each input is built inside the test. Memory is measured in a fresh Python process (its own peak
RSS from ``resource.getrusage``), so other tests cannot disturb the figure; the figure is printed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit.core.form_writer import write_submission
from evalkit.intake import listing
from evalkit.intake import loader as intake
from evalkit.intake.grid import MAX_COLUMNS, MAX_ROWS
from intake_helpers import inspection, ledger_file, make_data_dir, where

ROOT = Path(__file__).resolve().parents[1]
S = "submissions"
A = f"{S}/a.xlsx"
L1, L2 = "统计表一", "统计表二"
RSS_LIMIT_MB = 500

# The child's own peak: VmHWM belongs to the process image exec created. ru_maxrss would not
# do: Linux carries it across exec, so it reported the forking pytest worker's size instead.
_CHILD = """
import json, resource, sys
from evalkit.intake.loader import load
ds = load(sys.argv[1])
def peak_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({
    "rss_mb": peak_mb(),
    "files": ds.files.values.tolist(),
    "problems": ds.problems[["file", "sheet", "rule", "message"]].values.tolist(),
}, ensure_ascii=False, default=str))
"""


def child_load(data_dir: Path, timeout: int = 300) -> dict:
    """Load ``data_dir`` in a fresh process: its peak RSS in MB, the files table and the problems."""
    pytest.importorskip("resource")
    run = subprocess.run([sys.executable, "-c", _CHILD, str(data_dir)], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    out = json.loads(run.stdout)
    print(f"\npeak RSS {out['rss_mb']:.0f} MB for {sorted(p.name for p in (data_dir / S).iterdir())}")
    return out


def edit_part(path: Path, name: str, edit) -> None:
    """Rewrite zip member ``name`` of workbook ``path`` with ``edit(bytes) -> bytes`` (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item.filename, edit(data) if item.filename == name else data, compresslevel=9)
    path.write_bytes(out.getvalue())


def add_rows(path: Path, xml: str, sheet: str = "xl/worksheets/sheet1.xml") -> None:
    edit_part(path, sheet, lambda d: d.replace(b"</sheetData>", xml.encode() + b"</sheetData>"))


def counts(ds, file=A):
    return ds.files.set_index("file").loc[file, ["rows_read", "rows_accepted", "rows_rejected"]].tolist()


def rules(ds) -> list[str]:
    return list(ds.problems["rule"])


# --------------------------------------------------------------------------- 4. links and special files


def test_links_out_of_the_data_folder_are_not_followed(tmp_path):
    """A link to /etc/passwd and one to another folder's workbook are refused, each named by a
    file_not_regular error; neither is read nor listed in the files table."""
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection()])
    other = make_data_dir(tmp_path / "other")
    foreign = ledger_file(other, "b.xlsx", [inspection(enterprise="蚶江锦里制衣有限公司")])
    os.symlink("/etc/passwd", root / S / "passwd.xlsx")
    os.symlink(foreign, root / S / "b.xlsx")
    ds = intake.load(root)
    assert where(ds.problems, "file_not_regular") == [(f"{S}/b.xlsx", None, None, None),
                                                      (f"{S}/passwd.xlsx", None, None, None)]
    assert all("数据目录之外" in m for m in ds.problems.loc[ds.problems["rule"] == "file_not_regular", "message"])
    assert list(ds.files["file"]) == [A]
    assert list(ds.ledger["enterprise_name"]) == ["石狮市宏达五金厂"]


def test_link_to_a_file_inside_the_data_folder_is_read_under_its_own_name(tmp_path):
    """Rule chosen: a link whose target lies inside DATA_DIR is read, named by the link's path."""
    root = make_data_dir(tmp_path / "data")
    target = ledger_file(root, "x.xlsx", [inspection()])
    (root / "archive").mkdir()
    target.rename(root / "archive" / "x.xlsx")
    os.symlink("../archive/x.xlsx", root / S / "a.xlsx")
    ds = intake.load(root)
    assert list(ds.files["file"]) == [A] and counts(ds) == [1, 1, 0]
    assert "file_not_regular" not in rules(ds)


def test_dangling_link_loop_fifo_socket_and_linked_folder_are_each_named(tmp_path):
    """Each skipped entry gets its own problem row naming it; the FIFO is never opened (the load
    runs in a child process with a timeout, so a blocking open would fail the test, not hang it)."""
    root = make_data_dir(tmp_path / "data")
    sub = root / S
    ledger_file(root, "a.xlsx", [inspection()])
    os.symlink(sub / "nowhere.xlsx", sub / "dangling.xlsx")
    os.symlink(sub / "loop2.xlsx", sub / "loop1.xlsx")
    os.symlink(sub / "loop1.xlsx", sub / "loop2.xlsx")
    os.mkfifo(sub / "pipe.xlsx")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    ledger_file(make_data_dir(tmp_path / "x"), "c.xlsx", [inspection()]).rename(outside / "c.xlsx")
    os.symlink(outside, sub / "linked")
    os.symlink(sub, sub / "self")
    expected = {"dangling.xlsx": "目标不存在", "loop1.xlsx": "循环", "loop2.xlsx": "循环",
                "pipe.xlsx": "命名管道", "linked": "文件夹", "self": "文件夹"}
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sub / "s.sock"))
        expected["s.sock"] = "套接字"
    except OSError:  # a path too long for AF_UNIX: the socket case is skipped
        pass
    try:
        out = child_load(root, timeout=120)
    finally:
        sock.close()
    found = {f.removeprefix(f"{S}/"): m for f, _, r, m in out["problems"] if r == "file_not_regular"}
    assert sorted(found) == sorted(expected)
    for name, fragment in expected.items():
        assert fragment in found[name], (name, found[name])
    assert out["files"] == [[A, 1, 1, 0]]


def test_entry_swapped_for_a_fifo_is_refused_without_blocking(tmp_path):
    """read_bytes on a FIFO (an entry replaced after listing) refuses it: opened non-blocking, fstat checked."""
    fifo = tmp_path / "p.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(listing.NotRegularFile):
        listing.read_bytes(fifo)


# --------------------------------------------------------------------------- 5. sparse-cell memory bombs


def test_sparse_cells_in_column_xfd_are_bounded(tmp_path):
    """A ~130 KB workbook with a cell in column XFD on 12,000 rows (main reached 1.7 GB and 70 s):
    read within A..AN and 10,000 rows, one sheet_cells_ignored warning, peak RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    add_rows(path, "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="XFD{r}"><v>1</v></c></row>'
                           for r in range(20, 12_020)))
    edit_part(path, "xl/worksheets/sheet1.xml",  # and one on the data row itself
              lambda d: d.replace(b'</row><row r="7"', b'<c r="XFD5"><v>7</v></c></row><row r="7"', 1))
    assert path.stat().st_size < 200_000
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    assert out["files"] == [[A, 1, 1, 0]]
    ignored = [p for p in out["problems"] if p[2] == "sheet_cells_ignored"]
    assert len(ignored) == 1 and ignored[0][:2] == [A, L1]
    assert f"第 AN 列以右有 {MAX_ROWS - 20 + 1 + 1} 个非空单元格" in ignored[0][3]
    assert f"第 {MAX_ROWS} 行以下还有内容" in ignored[0][3]


def test_data_far_below_a_declared_million_rows_is_bounded(tmp_path):
    """<dimension ref="A1:K1048576"> and one cell in row 1,048,576: rows are read up to 10,000
    only, the far cell draws the warning, the real row is accepted, RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    edit_part(path, "xl/worksheets/sheet1.xml", lambda d: re.sub(rb'<dimension ref="[^"]*"',
                                                                b'<dimension ref="A1:K1048576"', d))
    add_rows(path, '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    assert out["files"] == [[A, 1, 1, 0]]
    ds = intake.load(root)
    assert where(ds.problems, "sheet_cells_ignored") == [(A, L1, 1_048_576, "A")]


def test_cells_within_the_margin_are_kept(tmp_path):
    """A note in column AN (the last column read) is kept with the row; AO is not (one warning)."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    assert MAX_COLUMNS == 40
    edit_part(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(
        b'</row><row r="7"', b'<c r="AN5" t="inlineStr"><is><t>note</t></is></c>'
                             b'<c r="AO5" t="inlineStr"><is><t>far</t></is></c></row><row r="7"', 1))
    ds = intake.load(root)
    assert counts(ds) == [1, 1, 0]
    assert where(ds.problems, "sheet_cells_ignored") == [(A, L1, 5, "AO")]
    assert "第 AN 列以右有 1 个非空单元格" in ds.problems["message"].iloc[0]


def test_one_long_shared_string_in_many_cells_is_refused(tmp_path):
    """A 32,000-character shared string referenced by 100,000 cells (every row would copy it: 3.2e9
    characters): the workbook's text budget (16 million characters, counted per cell) refuses the
    file while streaming; peak RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    edit_part(path, "[Content_Types].xml", lambda d: d.replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>')))
    add_rows(path, "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}" t="s"><v>0</v></c>' for c in "BCDEFGHIJK")
                           + "</row>" for r in range(20, 10_020)))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                           f'<si><t>{"危" * 32_000}</t></si></sst>')
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    [(file, sheet, rule, message)] = out["problems"]
    assert rule == "file_unreadable" and "文字超过 16,000,000 个字符" in message


# --------------------------------------------------------------------------- 6. size checks before reading


def test_sparse_3gb_file_is_refused_before_it_is_read(tmp_path):
    """A 3 GB (sparse, never written) file: refused from os.fstat, peak RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    with open(root / S / "big.xlsx", "wb") as fh:
        fh.write(b"PK\x03\x04")
        fh.truncate(3 * 1024 ** 3)
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    assert out["files"] == [[f"{S}/big.xlsx", 0, 0, 0]]
    [(file, sheet, rule, message)] = out["problems"]
    assert rule == "file_unreadable" and "文件过大（3072 MB）：统计表应小于 50 MB" in message


def _lying_zip(path: Path, real: int = 1 << 30, declared: int = 1000) -> None:
    """A workbook whose sheet1.xml says it is ``declared`` bytes but inflates to ``real`` bytes of zeros."""
    write_submission(path, unit="石壁村", year=2024, month=5, ledger_rows=[inspection()])
    src = path.read_bytes()
    name = "xl/worksheets/sheet1.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != name:
                zout.writestr(item.filename, zin.read(item.filename))
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(info, "w") as fh:
                fh.write(zin.read(name).replace(b"</worksheet>", b""))
                zeros = b"\0" * (16 << 20)
                for _ in range(real // len(zeros)):
                    fh.write(zeros)
    data = bytearray(out.getvalue())
    raw = name.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if data[pos + name_at: pos + name_at + n] == raw:
                struct.pack_into("<I", data, pos + size_at, declared)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def test_zip_lying_about_a_member_size_is_refused_with_bounded_memory(tmp_path):
    """sheet1.xml declared as 1,000 bytes but inflating to 1 GB of zeros (~1 MB on disk; main
    reached 2.2 GB): the streaming check stops at the declared size, the CRC fails, the file is
    refused as damaged, peak RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    _lying_zip(root / S / "a.xlsx")
    assert (root / S / "a.xlsx").stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(root / S / "a.xlsx") as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    assert out["files"] == [[A, 0, 0, 0]]
    [(file, sheet, rule, message)] = out["problems"]
    assert rule == "file_unreadable" and "大小或校验和与压缩包目录不符" in message


def test_part_over_its_limit_is_refused_while_streaming(tmp_path):
    """An honestly declared 9 MB styles part (limit 8 MB; the whole file is well under 200 MB): refused
    by the streaming count, naming the part."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    edit_part(path, "xl/styles.xml", lambda d: d.replace(b"</styleSheet>", b"<!--" + b" " * (9 << 20) + b"-->"
                                                                             b"</styleSheet>"))
    ds = intake.load(root)
    assert rules(ds) == ["file_unreadable"] and counts(ds) == [0, 0, 0]
    assert "xl/styles.xml 解压后超过 8 MB" in ds.problems["message"].iloc[0]


def test_styles_part_of_empty_formats_is_refused(tmp_path):
    """2 MB of empty <xf/> cell formats (400,000; openpyxl would build one object each, over
    200 MB): refused by the element count before openpyxl parses it; peak RSS under 500 MB."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])

    def bloat(data: bytes) -> bytes:
        head, tail = data.split(b"</cellXfs>", 1)
        return head + b"<xf/>" * 400_000 + b"</cellXfs>" + tail

    edit_part(path, "xl/styles.xml", bloat)
    out = child_load(root)
    assert out["rss_mb"] < RSS_LIMIT_MB
    [(file, sheet, rule, message)] = out["problems"]
    assert rule == "file_unreadable" and "XML 元素超过 300,000 个" in message


def test_large_calculation_chain_is_not_counted_as_parsed_xml(tmp_path):
    """Excel's calcChain.xml (one entry per formula; openpyxl never opens it) with 400,000 entries is
    only size-checked: the workbook is read as usual."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    calc = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    edit_part(path, "[Content_Types].xml", lambda d: d.replace(
        b"</Types>", f'<Override PartName="/xl/calcChain.xml" ContentType="{calc}"/></Types>'.encode()))
    edit_part(path, "xl/_rels/workbook.xml.rels", lambda d: d.replace(b"</Relationships>", (
        b'<Relationship Id="rIdCalc" Target="calcChain.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/calcChain"/></Relationships>')))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                        + '<c r="H5" i="1"/>' * 400_000 + "</calcChain>")
    ds = intake.load(root)
    assert rules(ds) == [] and counts(ds) == [1, 1, 0]


def test_zip_with_too_many_entries_is_refused_before_zipfile_lists_them(tmp_path):
    """20,000 empty entries (a 36 MB zip of 400,000 cost zipfile 300 MB to list): refused from the
    zip's end record, before any entry object is built."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(20_000):
            zf.writestr(f"x/{i}", b"")
    ds = intake.load(root)
    assert rules(ds) == ["file_unreadable"] and counts(ds) == [0, 0, 0]
    assert "压缩包登记的文件过多（20,009 个" in ds.problems["message"].iloc[0]


# --------------------------------------------------------------------------- 9. hidden sheets


def _figures_with_hidden_copy(path: Path, state: str) -> None:
    write_submission(path, unit="石壁村", year=2024, month=5,
                     month_values={"supervised_total": 10, "inspected": 4, "fines_wan": 2.0},
                     cumulative_values={"supervised_total": 10, "inspected": 9, "fines_wan": 5.0})
    wb = load_workbook(path)
    copy = wb.copy_worksheet(wb[L2])
    copy.title = "Sheet2"
    copy.sheet_state = state
    wb.save(path)


@pytest.mark.parametrize("state, shown", [("veryHidden", "已深度隐藏（veryHidden），未计入"),
                                          ("hidden", "已隐藏，未计入")])
def test_hidden_copy_of_a_sheet_is_not_counted(tmp_path, state, shown):
    """A hidden or very hidden copy of the 附件2 sheet does not double the unit's figures (fines stay
    2.0 万元); it gets one sheet_hidden warning and none of its rows is read (counts still add up)."""
    root = make_data_dir(tmp_path / "data")
    _figures_with_hidden_copy(root / S / "a.xlsx", state)
    ds = intake.load(root)
    assert where(ds.problems, "sheet_hidden") == [(A, "Sheet2", None, None)]
    expected = f"工作表“Sheet2”{shown}：其中的附件2（统计表二）未读取；如需报送，请取消隐藏后重新报送"
    assert expected in ds.problems["message"].iloc[0]
    assert ds.figures[["sheet", "kind", "fines_wan"]].values.tolist() == [[L2, "本月数", 2.0], [L2, "累计数", 5.0]]
    assert counts(ds) == [2, 2, 0]
    from evalkit.metrics.engine import compute_metrics
    assert compute_metrics(ds, "2024-05", source="reported").frame.loc["石壁村", "fines_wan"] == 2.0


def test_workbook_whose_only_content_is_hidden_is_empty(tmp_path):
    """Every non-empty sheet hidden (a form and a drop-down list): a sheet_hidden warning each, saying
    which held a form, plus file_empty saying so; 0 rows."""
    root = make_data_dir(tmp_path / "data")
    path = ledger_file(root, "a.xlsx", [inspection()])
    wb = load_workbook(path)
    wb.create_sheet("说明")
    wb[L1].sheet_state = "hidden"
    wb.create_sheet("名录").append(["石狮市宏达五金厂"])
    wb["名录"].sheet_state = "hidden"
    wb.save(path)
    ds = intake.load(root)
    assert sorted(rules(ds)) == ["file_empty", "sheet_hidden", "sheet_hidden"]
    assert "工作表“名录”已隐藏，未计入：其内容不是附件1或附件2，未读取" in ds.problems["message"].tolist()
    assert "只有隐藏的工作表有内容" in ds.problems.set_index("rule").loc["file_empty", "message"]
    assert counts(ds) == [0, 0, 0]


# --------------------------------------------------------------------------- 8. non-finite and huge numbers


def _ledger_with_fine_xml(root: Path, xml_value: str) -> None:
    """A 附件1 row whose fine cell holds ``xml_value`` in the sheet XML (as a hostile writer could)."""
    path = ledger_file(root, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan=0.75,
                                                   legal_basis="安全生产法第九十九条")])
    edit_part(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"<v>0.75</v>", f"<v>{xml_value}</v>".encode()))


@pytest.mark.parametrize("xml_value, rule, fragment", [
    ("1e309", "number_unparseable", "不是有效的数字（无穷大或超出数值范围）"),
    ("-1e309", "number_unparseable", "不是有效的数字（无穷大或超出数值范围）"),
    ("9.3e12", "number_implausible", "超出合理范围（折合 9.3e+12 万元，罚款金额不应超过 100,000 万元即 10 亿元）"),
    ("100001", "number_implausible", "罚款金额不应超过 100,000 万元"),
])
def test_non_finite_or_huge_fine_blanks_the_cell(tmp_path, xml_value, rule, fragment):
    """A fine of 1e309 (infinite once parsed) or above 1e5 万元: an error on the cell, which is left
    unknown (the row is kept, docs/intake.md §8); the metric fines count 0 of it and are marked
    incomplete (main gave fines_wan = -9,223,372,036,854.275 with exit 0)."""
    root = make_data_dir(tmp_path / "data")
    _ledger_with_fine_xml(root, xml_value)
    ds = intake.load(root)
    assert where(ds.problems, rule) == [(A, L1, 5, "罚款金额(万)")]
    assert fragment in ds.problems.set_index("rule").loc[rule, "message"]
    assert counts(ds) == [1, 1, 0] and ds.rejected.empty
    assert ds.ledger["fine_wan"].isna().all() and list(ds.ledger["unreadable"]) == ["fine_wan"]
    from evalkit.metrics.engine import compute_metrics
    result = compute_metrics(ds, "2024-05")
    assert result.total["fines_wan"] == 0.0 and "fines_wan" in result.incomplete["全镇合计"]


def test_fine_just_below_the_bound_is_kept_with_the_yuan_warning(tmp_path):
    """100,000 万元 exactly is accepted (the bound is inclusive) with the existing fine_implausible warning."""
    root = make_data_dir(tmp_path / "data")
    _ledger_with_fine_xml(root, "100000")
    ds = intake.load(root)
    assert rules(ds) == ["fine_implausible"] and counts(ds) == [1, 1, 0]
    assert list(ds.ledger["fine_wan"]) == [100_000.0]


def test_figures_infinite_fine_and_huge_count_are_rejected(tmp_path):
    """附件2: fines 1e309 in the XML, a count of 20,000,000 and a rate of 5000%: each an error, the row rejected."""
    root = make_data_dir(tmp_path / "data")
    path = root / S / "a.xlsx"
    write_submission(path, unit="石壁村", year=2024, month=5,
                     month_values={"supervised_total": 10, "inspected": 20_000_000, "coverage_rate": 5000,
                                   "fines_wan": 2.5},
                     cumulative_values={"supervised_total": 10, "inspected": 9, "fines_wan": 5.0})
    edit_part(path, "xl/worksheets/sheet1.xml", lambda d: d.replace(b"<v>2.5</v>", b"<v>1e309</v>"))
    ds = intake.load(root)
    errors = ds.problems[ds.problems["severity"] == "error"]
    assert sorted(zip(errors["rule"], errors["column"], strict=True)) == [
        ("number_implausible", "检查覆盖率(%)"), ("number_implausible", "现场监督检查企业(单位)数(家)"),
        ("number_unparseable", "罚款金额(万元)")]
    messages = " ".join(errors["message"])
    assert "不应超过 10,000,000" in messages and "百分比不应超过 100）" in messages
    assert counts(ds) == [2, 1, 1]
    assert ds.figures["kind"].tolist() == ["累计数"]


def test_text_with_hundreds_of_digits_is_not_a_number(tmp_path):
    """A 400-digit text fine (float() gives inf): number_unparseable, not an infinite fine."""
    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan="9" * 400)])
    ds = intake.load(root)
    assert where(ds.problems, "number_unparseable") == [(A, L1, 5, "罚款金额(万)")]


def test_metric_money_sums_do_not_wrap_and_round_half_up(tmp_path):
    """Money is summed as float 1e-6 万元 steps, never through int64: a hand-built ledger with a
    9.3e12 万元 fine sums to 9.3e12 (int64 gave -9,223,372,036,854.275); 0.11125 rounds half-up to
    0.1113; an infinite amount (possible only by hand) is None, not a crash."""
    from evalkit.metrics.engine import compute_metrics

    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection(case_no="狮蚶应急罚〔2024〕1号", fine_wan=0.5)])
    ds = intake.load(root)
    ds.ledger["fine_wan"] = [9.3e12]
    assert compute_metrics(ds, "2024-05").total["fines_wan"] == 9.3e12
    ds.ledger["fine_wan"] = [0.11125]
    result = compute_metrics(ds, "2024-05")
    assert result.total["fines_wan"] == 0.1113 and result.frame.loc["石壁村", "fines_wan"] == 0.1113
    ds.ledger["fine_wan"] = [float("inf")]
    assert compute_metrics(ds, "2024-05").total["fines_wan"] is None


# --------------------------------------------------------------------------- 10. resubmissions: the tie levels

OLD, NEW = "石壁村6月执法统计.xlsx", "石壁村6月执法统计 (1).xlsx"
T0 = 1_717_000_000  # a fixed modification time (2024-05-29)


def _june(root: Path, name: str, *, filled=dt.date(2024, 7, 5), mtime=T0, n=1) -> None:
    rows = [inspection(date=dt.date(2024, 6, 3))] + [inspection(enterprise="蚶江锦里制衣有限公司",
                                                                date=dt.date(2024, 6, 4))] * (n - 1)
    path = ledger_file(root, name, rows, month=6, filled_date=filled)
    os.utime(path, (mtime, mtime))


def _kept(ds) -> tuple[str, str]:
    """(the file kept, the duplicate message) of a two-file duplicate group."""
    [message] = ds.problems.loc[ds.problems["rule"] == "submission_duplicate", "message"].tolist()
    kept = set(ds.ledger["file"])
    assert len(kept) == 1
    return kept.pop(), message


def test_received_date_decides_first(tmp_path):
    """Level 1: different received dates decide, whatever the 填报日期 and modification times say."""
    root = make_data_dir(tmp_path / "data", received={OLD: "2024-07-20", NEW: "2024-07-10"})
    _june(root, OLD, filled=dt.date(2024, 7, 1), mtime=T0)
    _june(root, NEW, filled=dt.date(2024, 7, 9), mtime=T0 + 3600)
    kept, message = _kept(intake.load(root))
    assert kept == f"{S}/{OLD}"
    assert f"以 {S}/{OLD} 为准（收到日期更晚）：2024-07-20，本文件为 2024-07-10" in message


def test_same_received_date_then_filled_date_decides(tmp_path):
    """Level 2: received dates equal, the later 填报日期 wins."""
    root = make_data_dir(tmp_path / "data", received={OLD: "2024-07-10", NEW: "2024-07-10"})
    _june(root, OLD, filled=dt.date(2024, 7, 8), mtime=T0 + 3600)
    _june(root, NEW, filled=dt.date(2024, 7, 2), mtime=T0)
    kept, message = _kept(intake.load(root))
    assert kept == f"{S}/{OLD}" and "（填报日期更晚）：2024-07-08，本文件为 2024-07-02" in message


def test_same_filled_date_then_modification_time_decides(tmp_path):
    """Level 3, the reviewed case: "石壁村6月执法统计 (1).xlsx" with the same 填报日期 as the original
    and saved later wins because it was modified later (main kept the old file, saying 填报日期更晚)."""
    root = make_data_dir(tmp_path / "data")
    _june(root, OLD, mtime=T0)
    _june(root, NEW, mtime=T0 + 90, n=2)
    ds = intake.load(root)
    kept, message = _kept(ds)
    assert kept == f"{S}/{NEW}" and len(ds.ledger) == 2
    assert "（文件修改时间更晚）：" in message and "填报日期更晚" not in message
    assert where(ds.problems, "submission_duplicate") == [(f"{S}/{OLD}", L1, None, None)]


def test_same_modification_time_then_copy_number_decides(tmp_path):
    """Level 4: same dates and modification time (to the second): the higher copy number wins,
    so " (1)" beats the original although the original sorts later by path."""
    root = make_data_dir(tmp_path / "data")
    _june(root, OLD)
    _june(root, NEW, n=2)
    kept, message = _kept(intake.load(root))
    assert kept == f"{S}/{NEW}"
    assert "（文件名的副本编号更大）：副本编号 1，本文件为 原件（无副本编号）" in message


def test_everything_equal_then_path_order_decides(tmp_path):
    """Level 5: same dates, time and copy number: the later path wins, and the message says why."""
    root = make_data_dir(tmp_path / "data")
    _june(root, "石壁村6月 - 副本.xlsx")
    _june(root, "石壁村6月 (1).xlsx", n=2)
    kept, message = _kept(intake.load(root))
    assert kept == f"{S}/石壁村6月 - 副本.xlsx"  # "-" sorts after "("
    assert "（文件名排序在后）：收到日期、填报日期、修改时间与副本编号都相同" in message


def test_a_level_known_for_only_some_candidates_is_skipped(tmp_path):
    """A received date for one file only cannot compare the two: the next level (填报日期) decides."""
    root = make_data_dir(tmp_path / "data", received={OLD: "2024-07-20"})
    _june(root, OLD, filled=dt.date(2024, 7, 1))
    _june(root, NEW, filled=dt.date(2024, 7, 9))
    kept, message = _kept(intake.load(root))
    assert kept == f"{S}/{NEW}" and "（填报日期更晚）" in message


@pytest.mark.parametrize("name, number", [
    ("石壁村6月执法统计.xlsx", 0), ("石壁村6月执法统计 (1).xlsx", 1), ("石壁村6月执法统计(2).xlsx", 2),
    ("石壁村6月执法统计（3）.xlsx", 3), ("石壁村6月执法统计 - 副本.xlsx", 1), ("石壁村6月执法统计副本.xlsx", 1),
    ("石壁村6月执法统计 - 副本 (2).xlsx", 2), ("石壁村6月执法统计_1.xlsx", 1), ("石壁村6月执法统计_2024.xlsx", 0),
    ("a - Copy.xlsx", 1), ("a copy 3.xlsx", 3), ("2024-06/石壁村 (12).xlsx", 12),
])
def test_copy_number_of_a_name(name, number):
    """The copy suffixes Windows, macOS and browsers add, and what each counts as."""
    from evalkit.intake.cross_file import copy_number
    assert copy_number(f"{S}/{name}") == number


# --------------------------------------------------------------------------- 14. file names that are not UTF-8

GBK_NAME = "石壁村5月报表.xlsx"


def _gbk_data_dir(tmp_path: Path) -> Path:
    """A data folder whose workbook is named in GBK bytes (a Windows archive unzipped on Linux), with a
    warning in 附件1 and a 附件2 that disagrees with it (so validate and audit both name the file), and
    a text file whose name decodes neither as UTF-8 nor as GB18030."""
    root = make_data_dir(tmp_path / "data")
    sub = os.fsencode(str(root / S))
    tmp = root / S / "tmp.xlsx"
    write_submission(tmp, unit="石壁村", year=2024, month=5, ledger_rows=[inspection(inspectors=("张三",))],
                     month_values={"supervised_total": 2, "inspected": 5},
                     cumulative_values={"supervised_total": 2, "inspected": 5})
    os.rename(os.fsencode(str(tmp)), sub + b"/" + GBK_NAME.encode("gbk"))
    fd = os.open(sub + b"/" + b"\xff\xfe" + "坏".encode("gbk") + b".xlsx", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, "不是工作簿".encode())
    os.close(fd)
    return root


def test_gbk_file_name_is_read_and_shown_decoded(tmp_path):
    """The GBK-named workbook is read and named decoded; the undecodable one with its bytes escaped."""
    root = _gbk_data_dir(tmp_path)
    ds = intake.load(root)
    assert sorted(ds.files["file"]) == [f"{S}/\\xff\\xfe\\xbb\\xb5.xlsx", f"{S}/{GBK_NAME}"]
    assert counts(ds, f"{S}/{GBK_NAME}") == [3, 3, 0]
    assert where(ds.problems, "inspectors_fewer_than_two") == [(f"{S}/{GBK_NAME}", L1, 5, "执法人员")]
    assert where(ds.problems, "file_not_excel") == [(f"{S}/\\xff\\xfe\\xbb\\xb5.xlsx", None, None, None)]


def test_gbk_and_utf8_copies_of_one_name_stay_apart(tmp_path):
    """A UTF-8 and a GBK file of the same name: the UTF-8 one keeps it, the GBK one gets " [2]"; no
    rows are lost (each file's counts add up)."""
    root = _gbk_data_dir(tmp_path)
    os.utime(ledger_file(root, GBK_NAME, [inspection(enterprise="蚶江锦里制衣有限公司")]), (T0 + 60, T0 + 60))
    os.utime(os.fsencode(str(root / S)) + b"/" + GBK_NAME.encode("gbk"), (T0, T0))
    ds = intake.load(root)
    assert sorted(ds.files["file"]) == [f"{S}/\\xff\\xfe\\xbb\\xb5.xlsx", f"{S}/{GBK_NAME}", f"{S}/{GBK_NAME} [2]"]
    assert counts(ds, f"{S}/{GBK_NAME}") == [1, 1, 0]
    assert counts(ds, f"{S}/{GBK_NAME} [2]") == [3, 2, 1]  # its 附件1 is a duplicate (same unit, month; older)
    assert f"以 {S}/{GBK_NAME} 为准（文件修改时间更晚）" in ds.problems.set_index("rule").loc["submission_duplicate",
                                                                                      "message"]


@pytest.mark.parametrize("args", [
    ["validate", "{root}", "--json"], ["validate", "{root}"], ["metrics", "{root}", "--period", "2024-05"],
    ["metrics", "{root}", "--period", "2024-05", "--json"], ["audit", "{root}", "--period", "2024-05"],
    ["audit", "{root}", "--period", "2024-05", "--json"], ["export", "{root}", "--period", "2024-05", "--out", "{out}"],
    ["run", "{root}", "--period", "2024-05", "--out", "{out}"],
])
def test_cli_commands_survive_a_gbk_file_name(tmp_path, args):
    """Every command (as a subprocess, stdout a pipe) exits 0 or 1 without a traceback; validate and
    audit show the name decoded (main: UnicodeEncodeError … surrogates not allowed)."""
    root = _gbk_data_dir(tmp_path)
    argv = [a.format(root=root, out=tmp_path / "out") for a in args]
    code = "import sys; from evalkit.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run([sys.executable, "-c", code,
                          *argv], capture_output=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONIOENCODING": "utf-8"})
    out, err = run.stdout.decode("utf-8"), run.stderr.decode("utf-8")
    assert run.returncode in (0, 1), err
    assert "Traceback" not in out + err and "UnicodeEncodeError" not in out + err
    shown = out.replace("\\\\", "\\") if "--json" in args else out  # JSON doubles the backslashes
    if args[0] in ("validate", "audit"):
        assert f"{S}/{GBK_NAME}" in shown
    if args[0] == "validate":
        assert "\\xff\\xfe\\xbb\\xb5.xlsx" in shown
    if args[0] == "run":
        assert run.returncode == 0, out
        html = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.html"))
        assert "\udcb1" not in html and "UnicodeEncodeError" not in html


# --------------------------------------------------------------------------- 17. CLI arguments

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("command, period", [
    ("metrics", "0000-01"), ("audit", "0000-01"), ("score", "0000"), ("export", "0000-01"), ("run", "0000-01"),
    ("metrics", "0000Q1"), ("audit", "2101-01"),
])
def test_impossible_period_year_is_one_chinese_line_exit_2(tmp_path, capsys, command, period):
    """--period with year 0 (or beyond 2100): one Chinese line naming the allowed years, exit 2
    (main: an internal error, exit 3, "year 0 is out of range")."""
    from evalkit.cli import main

    root = make_data_dir(tmp_path / "data")
    ledger_file(root, "a.xlsx", [inspection()])
    extra = ["--out", str(tmp_path / "out")] if command in ("export", "run") else []
    code = main([command, str(root), "--period", period, *extra])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert line == (f"evalkit: 参数 period='{period}' 无效：应为 年份在 1900—2100 之间的 YYYY-MM、YYYYQn 或 YYYY"
                    "（如 2024-06）")


@pytest.mark.parametrize("jobs, shown", [("0", "0"), ("-3", "-3"), ("x", "'x'")])
def test_jobs_zero_or_negative_is_a_chinese_usage_error_exit_2(capsys, jobs, shown):
    """--jobs 0, negative or not a number (already checked by its argparse type): exit 2 before any
    work; the error line (after argparse's usage line) is one Chinese sentence."""
    from evalkit.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["run", "d", "--period", "2024-05", "--jobs", jobs])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("evalkit run：错误：参数 --jobs：应为正整数") and last.endswith(shown) and HAN.search(last)
