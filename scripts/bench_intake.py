"""Intake at national size: generate a year of submissions, time the raw calamine read and `evalkit validate`.

    PYTHONPATH=src python scripts/bench_intake.py                       # 1,000 units x 10 months x 100 rows
    PYTHONPATH=src python scripts/bench_intake.py --units 100 --rows 50 # a quick run

1. Generates DATA_DIR (default /tmp/evalkit-bench): registry/ (50 enterprises per unit) and
   submissions/<month>/<unit>.xlsx|.xls in the official layout (附件1 with ``--rows`` rows and
   附件2 with its 本月数/累计数 rows). The .xlsx are written as XML directly (openpyxl would
   take ~30 ms a file); a ``--xls-share`` of the files are .xls written by xlwt (LibreOffice is
   not needed). About 0.2% of the rows name an enterprise with a one-character slip (the
   sample's rate of unregistered names), so the near-miss lookup is exercised.
2. Times the raw read floor: python-calamine alone, every cell of every sheet into Python
   lists, one process; then ``evalkit validate DATA_DIR --json`` as a subprocess (its own
   ``--jobs``, one worker per core by default): wall time, user and system CPU, and peak RSS
   (the parent and its workers summed, sampled from /proc, and the largest single process).
3. Prints rows per second, the ratio to the floor, peak memory and the time per workbook.

This is a benchmark, not a test; its figures are in README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

LEDGER_HEADER = ["序号", "受检企业(单位)名称", "检查时间", "执法人员", "安全生产违法行为(隐患)", "完成整改情况",
                 "立案案号", "罚款金额(万)", "处罚依据(法律条款)", "其他查处(或移送)情况", "备注"]
FIGURES_TOP = ["单位", "监管企业(单位)总数(家)", "现场监督检查企业(单位)数(家)", "检查覆盖率(%)", "检查情况", None,
               "立案情况", None, None, "惩处情况", None, None, None, "曝光、惩戒情况", None, None, None, "举报奖励情况"]
FIGURES_SUB = [None, None, None, None, "排查隐患数(处)", "隐患整改数(处)", "立案数(家)",
               "占实际检查企业(单位)总数比例(%)", "违法行为查处率(%)", "责令停产停业整顿(家)", "罚款金额(万元)",
               "提请关闭企业(单位)(家)", "暂扣吊销有关证件(件)", "纳入黑名单(家)", "联合惩戒(家)",
               "移送追究刑事责任(人)", "移送其他部门(起)", "举报核查数(件)"]
HAZARDS = ["消防通道堵塞", "灭火器过期", "未对从业人员进行安全生产教育和培训", "安全出口锁闭", "电气线路私拉乱接"]
PEOPLE = ["张三", "李四", "王五", "赵六", "陈七", "林八"]
ENTERPRISES_PER_UNIT = 50
SLIP_RATE = 0.002

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '<Override PartName="/xl/worksheets/sheet2.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
       '<sheet name="统计表一" sheetId="1" r:id="rId1"/><sheet name="统计表二" sheetId="2" r:id="rId2"/>'
       '</sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet2.xml"/></Relationships>')


def _col(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_xml(rows: list[list]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, 1):
        parts.append(f'<row r="{r}">')
        for c, v in enumerate(row, 1):
            if v is None:
                continue
            ref = f"{_col(c)}{r}"
            if isinstance(v, int | float):
                parts.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def _content(unit: str, month: int, n_rows: int, names: list[str], rng: random.Random) -> tuple[list, list]:
    ledger = [["附件1"], ["石狮市2024年安全生产执法提升专项行动情况统计表（一）"],
              [f"填报部门（公章）：{unit}", None, None, None, f"月份：{month}月", None, None,
               "填报日期：2024年12月5日"],
              LEDGER_HEADER]
    for i in range(1, n_rows + 1):
        name = names[(i - 1) % len(names)]  # each enterprise at most once a day
        day = 1 + ((i - 1) // len(names)) % 28
        if rng.random() < SLIP_RATE:
            name = name[:3] + "某" + name[4:]  # a one-character slip
        k = rng.randint(0, 2)
        hazards = "\n".join(f"{j + 1}. {rng.choice(HAZARDS)}" for j in range(k)) or None
        rects = "\n".join(f"{j + 1}. 已整改" for j in range(k)) or None
        ledger.append([i, name, f"{month}月{day}日", "、".join(rng.sample(PEOPLE, 2)), hazards, rects,
                       None, None, None, None, None])
    ledger.append(["填报人：", None, None, "联系电话："])
    inspected = min(n_rows, ENTERPRISES_PER_UNIT)
    figures = [["附件2"], ["石狮市2024年安全生产执法提升专项行动情况统计表（二）"],
               [f"填报地区（部门）：{unit}", None, None, None, None, None, None, None, f"月份：{month}月"],
               FIGURES_TOP, FIGURES_SUB,
               ["本月数", ENTERPRISES_PER_UNIT, inspected, round(inspected / ENTERPRISES_PER_UNIT * 100, 2)] + [0] * 14,
               ["累计数", ENTERPRISES_PER_UNIT, inspected, round(inspected / ENTERPRISES_PER_UNIT * 100, 2)] + [0] * 14]
    return ledger, figures


def _write_xlsx(path: Path, ledger: list, figures: list) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", _sheet_xml(ledger))
        zf.writestr("xl/worksheets/sheet2.xml", _sheet_xml(figures))


def _write_xls(path: Path, ledger: list, figures: list) -> None:
    import xlwt  # lazy: only the benchmark's .xls share needs it

    book = xlwt.Workbook(encoding="utf-8")
    for title, rows in (("统计表一", ledger), ("统计表二", figures)):
        sheet = book.add_sheet(title)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    sheet.write(r, c, v)
    book.save(str(path))


def generate(out: Path, units: int, months: int, rows: int, xls_share: float, seed: int = 12) -> dict:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "registry").mkdir(parents=True)
    unit_names = [f"测试{i:04d}村" for i in range(1, units + 1)]
    enterprises = {u: [f"石狮市{u}第{k:02d}号制衣有限公司" for k in range(1, ENTERPRISES_PER_UNIT + 1)]
                   for u in unit_names}
    with open(out / "registry" / "enterprises.csv", "w", encoding="utf-8") as fh:
        fh.write("企业名称,监管单位\n")
        for u, names in enterprises.items():
            fh.writelines(f"{n},{u}\n" for n in names)
    with open(out / "registry" / "units.csv", "w", encoding="utf-8") as fh:
        fh.write("单位,类型\n" + "".join(f"{u},村\n" for u in unit_names))
    n_files = n_xls = 0
    for month in range(1, months + 1):
        folder = out / "submissions" / f"2024-{month:02d}"
        folder.mkdir(parents=True)
        for u in unit_names:
            ledger, figures = _content(u, month, rows, enterprises[u], rng)
            if rng.random() < xls_share:
                _write_xls(folder / f"{u}{month}月.xls", ledger, figures)
                n_xls += 1
            else:
                _write_xlsx(folder / f"{u}{month}月.xlsx", ledger, figures)
            n_files += 1
    return {"files": n_files, "xls": n_xls, "ledger_rows": n_files * rows}


def raw_floor(out: Path) -> tuple[float, int, float]:
    """Seconds (wall), cells and CPU seconds to read every cell of every sheet of every submission
    into Python lists (one process)."""
    import python_calamine as calamine

    started, cpu = time.perf_counter(), time.process_time()
    cells = 0
    for path in sorted((out / "submissions").rglob("*.xls*")):
        wb = calamine.CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            cells += sum(len(r) for r in rows)
        wb.close()
    return time.perf_counter() - started, cells, time.process_time() - cpu


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _tree_rss_kb(root: int) -> int:
    """RSS (kB) of ``root`` and all its descendants, from /proc (Linux; 0 elsewhere). Only the
    process tree is read (/proc/PID/task/TID/children), so sampling costs little CPU."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * page_kb
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(pid)
    return total


def validate(out: Path, jobs: int | None) -> dict:
    """``evalkit validate DATA_DIR --json`` in a subprocess: wall time, user and system CPU of
    it and its workers, the peak of the summed RSS of the whole process tree (parent + workers,
    sampled every 100 ms) and the largest single process's peak RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "evalkit.cli", "validate", str(out), "--json"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    started = time.perf_counter()
    with open(out.parent / f"{out.name}-validate.json", "w+") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, text=True, env={
            **os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
        peak_tree = 0
        while proc.poll() is None:
            peak_tree = max(peak_tree, _tree_rss_kb(proc.pid))
            time.sleep(0.1)
        stderr = proc.stderr.read()
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"evalkit validate failed ({proc.returncode}): {stderr[-2000:]}")
        sink.seek(0)
        result = json.load(sink)
    return {"wall": wall, "user": after.ru_utime - before.ru_utime, "sys": after.ru_stime - before.ru_stime,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_tree_mb": peak_tree / 1024, "peak_rss_mb": after.ru_maxrss / 1024, "rows_read": result["rows_read"],
            "rows_accepted": result["rows_accepted"], "problems": len(result["problems"])}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/evalkit-bench"))
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--months", type=int, default=10)
    ap.add_argument("--rows", type=int, default=100, help="附件1 rows per workbook")
    ap.add_argument("--xls-share", type=float, default=0.1)
    ap.add_argument("--jobs", type=int, default=None, help="evalkit validate --jobs (default: one per core)")
    ap.add_argument("--reuse", action="store_true", help="keep an existing --out folder")
    args = ap.parse_args(argv)
    if not (args.reuse and (args.out / "submissions").is_dir()):
        started = time.perf_counter()
        made = generate(args.out, args.units, args.months, args.rows, args.xls_share)
        print(f"generated {made['files']:,} workbooks ({made['xls']:,} .xls), {made['ledger_rows']:,} 附件1 rows "
              f"in {time.perf_counter() - started:.1f} s")
    files = sum(1 for _ in (args.out / "submissions").rglob("*.xls*"))
    floor, cells, floor_cpu = raw_floor(args.out)
    print(f"raw calamine read (1 process): {floor:.1f} s wall, {floor_cpu:.1f} s CPU, {cells:,} cells, "
          f"{files / floor:,.0f} workbooks/s")
    v = validate(args.out, args.jobs)
    print(f"evalkit validate: {v['wall']:.1f} s wall, {v['user']:.1f} s user + {v['sys']:.1f} s system CPU "
          f"(all processes); peak RSS {v['peak_tree_mb']:,.0f} MB (parent + workers, summed), "
          f"{v['peak_rss_mb']:,.0f} MB (largest process)")
    print(f"  rows read {v['rows_read']:,} (accepted {v['rows_accepted']:,}), problems {v['problems']:,}")
    print(f"  {v['rows_read'] / v['wall']:,.0f} rows/s, {v['wall'] / files * 1000:.1f} ms per workbook (wall), "
          f"ratio to the raw read: {v['wall'] / floor:.1f}x wall, {v['cpu'] / floor_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
