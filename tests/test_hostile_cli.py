"""Property test: the whole CLI over generated hostile data folders (issue 9, "Done when").

Each example builds a small data folder whose every text column may hold markup, control
characters, very long or odd names; whose file names may be GBK or Latin-1 bytes; with
random-byte files, hidden sheets and duplicate submissions. Then it runs ``validate``,
``metrics``, ``audit``, ``score`` and ``export`` (and, for a few examples, ``run`` on one
unit) and checks the product's promises:

* exit status 0, 1 or 2 (3 would be an internal error, i.e. a bug) and no traceback on
  stdout or stderr;
* for every file, rows read = accepted + rejected;
* nothing is written outside ``--out`` (the data folder and its parent are unchanged);
* no HTML page carries active content or the raw markup.

``EVALKIT_FUZZ_EXAMPLES`` raises the number of examples (default 12, and 2 for ``run``).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from evalkit import cli
from evalkit.core.form_writer import write_submission
from evalkit.intake.loader import load
from evalkit.report.html import active_content

EXAMPLES = int(os.environ.get("EVALKIT_FUZZ_EXAMPLES", "12"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
RUN_SETTINGS = settings(max_examples=max(2, EXAMPLES // 6), deadline=None,
                        suppress_health_check=list(HealthCheck))

MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '"><svg onload=alert(1)>',
          "<iframe src=//x>", "javascript:alert(1)"]
ODD = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "../../etc/passwd", "a/b", "a:b", "a_b", "𡒄村", "🔥🧯",
       "\u202eRTL", "　全角　", "蚶" * 130, "", "合计", "本月数"]
CONTROL = ["\x00", "\x07", "\x1b[31m", "\x0b"]  # only a CSV registry can hold these


def _text(draw, *, control: bool = False, base: str = "") -> str:
    parts = [base] if base else []
    for _ in range(draw(st.integers(0, 2))):
        parts.append(draw(st.sampled_from(MARKUP + ODD + (CONTROL if control else []))))
    if draw(st.booleans()):
        parts.append(draw(st.text(max_size=8)))
    return "".join(parts)


@st.composite
def folders(draw):
    """A plan for one hostile data folder (written by ``_write``)."""
    units = []
    for i in range(draw(st.integers(1, 3))):
        name = _text(draw, control=False, base=f"单位{i}")
        units.append(name.replace("\n", "").replace("\r", "") or f"单位{i}")
    units = list(dict.fromkeys(units))
    enterprises = [(_text(draw, control=True, base=f"企业{i}"), draw(st.sampled_from(units)))
                   for i in range(draw(st.integers(1, 4)))]
    files = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["ledger", "ledger", "hidden_copy", "duplicate", "random_bytes"]))
        rows = [{
            "enterprise": draw(st.sampled_from([e for e, _ in enterprises] + [_text(draw)])),
            "inspection_date": dt.date(2024, 6, draw(st.integers(1, 30))),
            "inspectors": [_text(draw, base="林峰"), "陈　伟"],
            "hazards": [_text(draw, base="消防通道堵塞")],
            "rectifications": [draw(st.sampled_from(["已整改", "限期整改", "逾期未整改", _text(draw)]))],
            "case_no": draw(st.sampled_from([None, "狮蚶应急罚〔2024〕1号", _text(draw)])),
            "fine_wan": draw(st.sampled_from([None, 0.5, "待定", 1e309, -1, 9.3e12, _text(draw)])),
            "legal_basis": _text(draw), "other_handling": _text(draw), "remarks": _text(draw),
        } for _ in range(draw(st.integers(0, 4)))]
        name_kind = draw(st.sampled_from(["utf8", "gbk", "latin1", "spaces"]))
        files.append({"kind": kind, "unit": draw(st.sampled_from(units)), "rows": rows, "name": name_kind, "i": i})
    return {"units": units, "enterprises": enterprises, "files": files, "seed": draw(st.integers(0, 2**32 - 1))}


def _file_name(spec) -> bytes:
    stem = f"{spec['i']}_石壁村6月执法统计"
    if spec["name"] == "gbk":
        return stem.encode("gbk") + b".xlsx"
    if spec["name"] == "latin1":
        return f"{spec['i']}_café résumé".encode("latin-1") + b".xlsx"
    if spec["name"] == "spaces":
        return f"{spec['i']} 报送 (1).xlsx".encode()
    return stem.encode() + b".xlsx"


def _write(plan, root: Path) -> Path:
    data = root / "data"
    (data / "registry").mkdir(parents=True)
    sub = data / "submissions"
    sub.mkdir()
    with open(data / "registry" / "enterprises.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["企业名称", "行业", "监管单位", "重点行业", "风险等级"])
        for name, unit in plan["enterprises"]:
            w.writerow([name, "五金", unit, "否", "一般"])
    with open(data / "registry" / "units.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["单位", "类型"])
        for unit in plan["units"]:
            w.writerow([unit, "村"])
    rng = random.Random(plan["seed"])
    for spec in plan["files"]:
        target = os.path.join(os.fsencode(sub), _file_name(spec))
        plain = sub / f"plain{spec['i']}.xlsx"
        if spec["kind"] == "random_bytes":
            with open(target, "wb") as f:
                f.write(b"PK\x03\x04" + rng.randbytes(rng.randint(0, 2000)))
            continue
        write_submission(plain, unit=spec["unit"], year=2024, month=6, ledger_rows=spec["rows"])
        if spec["kind"] == "hidden_copy":
            wb = load_workbook(plain)
            copy = wb.copy_worksheet(wb.worksheets[0])
            copy.sheet_state = "veryHidden"
            wb.save(plain)
        if spec["kind"] == "duplicate":
            shutil.copy(plain, os.fsdecode(target.replace(b".xlsx", b" (2).xlsx")))
        os.rename(os.fsencode(plain), target)
    return data


def _cli(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, out.getvalue() + err.getvalue()


def _snapshot(root: Path, skip: Path) -> dict[str, int]:
    found = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            continue
        for name in filenames:
            path = os.path.join(dirpath, name)
            found[path] = os.stat(path).st_size
    return found


def _check_rows(data: Path) -> None:
    ds = load(data)
    for f in ds.files.to_dict("records"):
        assert f["rows_read"] == f["rows_accepted"] + f["rows_rejected"], f
    assert int(ds.files["rows_accepted"].sum()) == len(ds.ledger) + len(ds.figures)


def _check_pages(out: Path) -> None:
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert active_content(text) == [], page
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<iframe src=//x"):
            assert raw not in text, (page, raw)


@contextlib.contextmanager
def _hostile_folder(plan):
    """(data, out) of ``plan`` written in a temporary folder, the cache under --out; on leaving,
    asserts that nothing outside --out was written or changed."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = _write(plan, root)
        out = root / "out"
        before = _snapshot(root, out)
        os.environ["EVALKIT_CACHE_DIR"] = str(out / "cache")
        try:
            yield data, out
        finally:
            os.environ.pop("EVALKIT_CACHE_DIR", None)
        assert _snapshot(root, out) == before  # nothing written outside --out, nothing changed


@SETTINGS
@given(plan=folders())
def test_every_command_survives_a_hostile_folder(plan):
    with _hostile_folder(plan) as (data, out):
        for args in (["validate", data], ["validate", data, "--json"],
                     ["metrics", data, "--period", "2024-06"], ["audit", data, "--period", "2024-06"],
                     ["score", data, "--period", "2024-06"],
                     ["export", data, "--period", "2024-06", "--out", out]):
            code, printed = _cli(*args)
            assert code in (0, 1, 2), (args[0], code, printed[-2000:])
            assert "Traceback" not in printed, (args[0], printed[-2000:])
        _check_rows(data)


@RUN_SETTINGS
@given(plan=folders())
def test_run_on_one_unit_survives_a_hostile_folder(plan):
    with _hostile_folder(plan) as (data, out):
        units = list(load(data).units["unit"])
        code, printed = _cli("run", data, "--period", "2024-06", "--units", units[0], "--jobs", "1",
                             "--out", out)
        assert code in (0, 1, 2), printed[-3000:]
        assert "Traceback" not in printed, printed[-3000:]
        _check_pages(out)
