"""evalkit.report.batch / evalkit run: planning, fault isolation, incremental skips, offline HTML.

Most tests run the real batch machinery (worker pool, warm kernels, papermill, nbconvert)
on tiny stub notebooks and a two-unit data folder written into tmp_path, so they are
quick and do not depend on the report content. One test runs the real notebooks on
data/sample through the command line, for two units with two workers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from evalkit import cli
from evalkit.core.atomic import atomic_write
from evalkit.core.form_writer import write_submission
from evalkit.core.periods import parse_period
from evalkit.exceptions import DataDirError, ParameterError
from evalkit.report.batch import (
    ReportSpec,
    _source_cell_number,
    cases_period,
    check_parameters,
    plan_reports,
    run_batch,
)
from evalkit.report.html import external_links, external_references, headline_of, render_report
from evalkit.report.pdf import find_chromium

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
STUB_HEADLINE = "application/vnd.evalkit.headline+json"


# --------------------------------------------------------------------------- fixtures
def _nb(cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    return nb


def _params(source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def write_stub_notebooks(folder: Path, failing_unit: str | None = None, extra_unit_param: bool = True,
                         failure: str = "raise ValueError('故意出错')") -> Path:
    """Four tiny report notebooks with the real ones' parameters; one unit can be made to fail."""
    folder.mkdir(parents=True, exist_ok=True)
    code = nbformat.v4.new_code_cell
    unit_cells = [
        nbformat.v4.new_markdown_cell("# 单位报告（测试）"),
        _params('data_dir: str = "x"  # 数据目录\n' + ('unit: str = "甲村"  # 单位\n' if extra_unit_param else "")
                + 'period: str = "2024-06"  # 期间'),
        code(f"if unit == {failing_unit!r}:\n    {failure}" if failing_unit else "pass"),
        code("SECRET_SOURCE_MARKER = 1\nprint('单位', unit, period)"),
        code("from IPython.display import display\n"
             f"display({{{STUB_HEADLINE!r}: {{'得分': '90'}}, 'text/plain': '得分 90'}}, raw=True)"),
    ]
    nbformat.write(_nb(unit_cells), folder / "10-unit-report.ipynb")
    for name, extra in (("20-town-summary", 'period: str = "2024-06"  # 期间'),
                        ("30-typical-cases", 'quarter: str = "2024Q2"  # 季度'),
                        ("40-look-back", 'period: str = "2024-06"  # 期间\ncase_nos: list = None  # 案号')):
        nbformat.write(_nb([_params('data_dir: str = "x"  # 数据目录\n' + extra), code("print('ok')")]),
                       folder / f"{name}.ipynb")
    return folder


def write_tiny_data(folder: Path) -> Path:
    """A data folder with two units (甲村, 乙村) and one June 附件1 (甲村; a period without any
    data is refused)."""
    (folder / "registry").mkdir(parents=True, exist_ok=True)
    (folder / "submissions").mkdir(exist_ok=True)
    (folder / "registry" / "enterprises.csv").write_text(
        "企业名称,行业,监管单位,重点行业,风险等级\n甲厂,服装,甲村,否,一般\n乙厂,仓储,乙村,否,一般\n", encoding="utf-8")
    write_submission(folder / "submissions" / "甲村6月.xlsx", unit="甲村", year=2024, month=6, ledger_rows=[
        {"enterprise": "甲厂", "inspection_date": dt.date(2024, 6, 3), "inspectors": ["张三", "李四"],
         "hazards": ["消防通道堵塞"], "rectifications": ["已整改"]}])
    return folder


@pytest.fixture
def stub(tmp_path, monkeypatch):
    """(data_dir, notebooks_dir, out_dir) with the cache kept inside tmp_path."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    return (write_tiny_data(tmp_path / "data"), write_stub_notebooks(tmp_path / "nbs"), tmp_path / "out")


def _run(stub, **kw):
    data, nbs, out = stub
    return run_batch(data, "2024-06", jobs=kw.pop("jobs", 2), out_dir=out, notebooks_dir=nbs,
                     progress=False, **kw)


def _statuses(result) -> dict[str, str]:
    return {o.report_id: o.status for o in result.outcomes}


# --------------------------------------------------------------------------- planning
def test_plan_reports_one_per_unit_plus_town_cases_lookback(tmp_path):
    """A month plans the town summary, the quarter's typical cases, the look-back and one report per unit."""
    specs = plan_reports(tmp_path, parse_period("2024-06"), ["甲村", "乙/站"], tmp_path)
    assert [s.report_id for s in specs] == [
        "town-summary", "typical-cases-2024Q2", "look-back", "unit-甲村", "unit-乙_站~badbc3"]
    assert specs[1].params == {"data_dir": str(tmp_path), "quarter": "2024Q2"}
    assert specs[3].params == {"data_dir": str(tmp_path), "unit": "甲村", "period": "2024-06"}
    assert specs[3].title == "甲村2024年6月执法工作报告"


def test_cases_period_is_the_quarter_of_a_month():
    """2024-08 -> 2024Q3; a quarter or a year stays as it is."""
    assert cases_period(parse_period("2024-08")).text == "2024Q3"
    assert cases_period(parse_period("2024Q1")).text == "2024Q1"
    assert cases_period(parse_period("2024")).text == "2024"


def test_unknown_parameter_is_an_error(tmp_path):
    """A parameter the notebook does not declare is refused (papermill would only warn)."""
    spec = ReportSpec("unit-甲村", tmp_path / "10-unit-report.ipynb", {"data_dir": "d", "unit": "甲村"}, "t", "g")
    with pytest.raises(ParameterError, match="unit"):
        check_parameters(spec, ["data_dir", "period"])


def test_run_refuses_notebook_without_declared_parameter(stub, tmp_path):
    """run_batch inspects each parameters cell and names the undeclared parameter."""
    data, _, out = stub
    nbs = write_stub_notebooks(tmp_path / "nbs2", extra_unit_param=False)
    with pytest.raises(ParameterError, match="10-unit-report.ipynb 的参数.*unit"):
        run_batch(data, "2024-06", jobs=1, out_dir=out, notebooks_dir=nbs, progress=False)


def test_missing_data_dir_is_a_usage_error(stub, tmp_path):
    """A data folder that does not exist is a DataDirError (exit status 2), before any work."""
    _, nbs, out = stub
    with pytest.raises(DataDirError, match="不存在"):
        run_batch(tmp_path / "nope", "2024-06", out_dir=out, notebooks_dir=nbs, progress=False)
    assert cli.main(["run", str(tmp_path / "nope"), "--period", "2024-06", "--out", str(out)]) == 2


def test_unknown_unit_lists_the_known_ones(stub):
    """--units with a name not in the data is a usage error listing the units."""
    with pytest.raises(ParameterError, match="丙村.*甲村、乙村"):
        _run(stub, units=["丙村"])


# --------------------------------------------------------------------------- running
def test_failing_report_is_isolated_and_named(stub, tmp_path):
    """One unit's error fails only its report; the message names notebook, unit, cell and error."""
    data, _, out = stub
    nbs = write_stub_notebooks(tmp_path / "nbs_fail", failing_unit="乙村")
    result = run_batch(data, "2024-06", jobs=2, out_dir=out, notebooks_dir=nbs, progress=False)
    assert not result.ok
    assert _statuses(result) == {"town-summary": "done", "typical-cases-2024Q2": "done", "look-back": "done",
                                 "unit-甲村": "done", "unit-乙村": "failed"}
    failed = next(o for o in result.outcomes if o.status == "failed")
    assert failed.error.startswith("10-unit-report.ipynb 单位 乙村 第 3 个单元格出错：ValueError: 故意出错")
    folder = out / "2024-06"
    assert (folder / "unit-甲村.html").is_file()
    assert not (folder / "unit-乙村.html").exists()
    assert (folder / "unit-乙村.error.ipynb").is_file()
    assert "失败" in result.to_text() and "故意出错" in result.to_text()
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "故意出错" in index and 'href="unit-甲村.html"' in index


def test_dead_kernel_fails_one_report_and_the_next_gets_a_new_kernel(stub, tmp_path):
    """A report whose kernel dies fails alone; the same worker runs the next report in a fresh kernel."""
    data, _, out = stub
    nbs = write_stub_notebooks(tmp_path / "nbs_die", failing_unit="甲村", failure="import os; os._exit(1)")
    result = run_batch(data, "2024-06", jobs=1, out_dir=out, notebooks_dir=nbs, progress=False)
    statuses = _statuses(result)
    assert statuses.pop("unit-甲村") == "failed"
    assert set(statuses.values()) == {"done"}  # 乙村 ran after 甲村 in the only worker
    failed = next(o for o in result.outcomes if o.status == "failed")
    assert failed.error.startswith("10-unit-report.ipynb 单位 甲村 执行失败：")


def test_cli_run_exit_status(stub, tmp_path, monkeypatch, capsys):
    """`evalkit run` exits 1 when a report failed and 0 when all succeeded."""
    data, nbs, out = stub
    failing = write_stub_notebooks(tmp_path / "nbs_fail", failing_unit="甲村")
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: failing)
    assert cli.main(["run", str(data), "--period", "2024-06", "--jobs", "2", "--out", str(out)]) == 1
    monkeypatch.setattr("evalkit.report.batch.default_notebooks_dir", lambda: nbs)
    assert cli.main(["run", str(data), "--period", "2024-06", "--jobs", "2", "--out", str(out)]) == 0
    assert "完成" in capsys.readouterr().out


def test_rerun_skips_unchanged_and_force_reruns(stub):
    """A second run skips everything; changing a data file reruns all; --force reruns all."""
    data, nbs, out = stub
    first = _run(stub)
    assert set(_statuses(first).values()) == {"done"}
    again = _run(stub)
    assert set(_statuses(again).values()) == {"skipped"}
    assert "跳过 5" in again.to_text()
    forced = _run(stub, force=True)
    assert set(_statuses(forced).values()) == {"done"}
    (data / "registry" / "enterprises.csv").write_text(
        "企业名称,行业,监管单位,重点行业,风险等级\n甲厂,服装,甲村,否,一般\n乙厂,仓储,乙村,否,较大\n", encoding="utf-8")
    changed = _run(stub)
    assert set(_statuses(changed).values()) == {"done"}


def test_changed_notebook_reruns_only_its_reports(stub):
    """Editing the look-back notebook reruns the look-back alone."""
    _, nbs, _ = stub
    _run(stub)
    path = nbs / "40-look-back.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('新增')"))
    nbformat.write(nb, path)
    statuses = _statuses(_run(stub))
    assert statuses.pop("look-back") == "done"
    assert set(statuses.values()) == {"skipped"}


def test_subset_of_units_and_manifest(stub):
    """--units limits the unit reports; the manifest records each report's hash, status and headline."""
    _, _, out = stub
    result = _run(stub, units=["乙村"], jobs=1)
    assert sorted(_statuses(result)) == ["look-back", "town-summary", "typical-cases-2024Q2", "unit-乙村"]
    manifest = json.loads((out / "2024-06" / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["reports"]["unit-乙村"]
    assert entry["status"] == "ok" and re.fullmatch(r"[0-9a-f]{64}", entry["hash"])
    assert entry["params"]["unit"] == "乙村" and entry["headline"] == {"得分": "90"}
    index = (out / "2024-06" / "index.html").read_text(encoding="utf-8")
    assert "得分：90" in index and "unit-甲村" not in index


def test_index_flags_reports_left_behind_by_a_subset_run(stub):
    """After the data change, a run for 乙村 only marks 甲村's older page as not recomputed."""
    data, _, out = stub
    _run(stub)
    (data / "registry" / "enterprises.csv").write_text(
        "企业名称,行业,监管单位,重点行业,风险等级\n甲厂,服装,甲村,否,较大\n乙厂,仓储,乙村,否,一般\n", encoding="utf-8")
    _run(stub, units=["乙村"])
    index = (out / "2024-06" / "index.html").read_text(encoding="utf-8")
    row = re.search(r"<tr>.*?甲村2024年6月执法工作报告.*?</tr>", index).group(0)
    assert "输入已变化，未重算" in row
    assert "输入已变化" not in re.search(r"<tr>.*?乙村2024年6月执法工作报告.*?</tr>", index).group(0)


def test_leftover_temporary_files_are_removed(stub):
    """Temporary files of a killed run are cleaned up and never linked from the index."""
    _, _, out = stub
    folder = out / "2024-06"
    folder.mkdir(parents=True)
    (folder / ".unit-甲村.html.999.tmp").write_text("<html>half", encoding="utf-8")
    (folder / ".unit-甲村.999.tmp.ipynb").write_text("{", encoding="utf-8")
    _run(stub)
    assert not list(folder.glob(".*tmp*"))
    assert ".tmp" not in (folder / "index.html").read_text(encoding="utf-8")


def test_html_reports_have_no_code_and_load_nothing_remote(stub):
    """Each page hides code cells, carries its Chinese title and fetches nothing from another host."""
    _, _, out = stub
    _run(stub)
    page = (out / "2024-06" / "unit-甲村.html").read_text(encoding="utf-8")
    assert "<title>甲村2024年6月执法工作报告</title>" in page
    assert "单位 甲村 2024-06" in page  # the cell's output is there
    assert "SECRET_SOURCE_MARKER" not in page  # its source is not
    for html_file in (out / "2024-06").glob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        assert external_references(text) == [], html_file.name
        assert external_links(text) == [], html_file.name
        assert "<script" not in text


# --------------------------------------------------------------------------- pieces
def test_external_references_catches_cdn_resources():
    """The offline check finds scripts, stylesheets, @import, fonts and protocol-relative URLs."""
    page = """<html><head>
    <script src="https://cdn.example.org/mathjax.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/a.css">
    <style>@import url("http://x.org/b.css"); @font-face { src: url(https://x.org/f.woff2) }</style>
    </head><body><img src="data:image/png;base64,AAAA"><a href="https://gov.cn">link</a>
    <div style="background: url('http://x.org/bg.png')"></div></body></html>"""
    found = external_references(page)
    assert len(found) == 5
    assert external_links(page) == ["https://gov.cn"]


def test_render_report_embeds_images_and_hides_analyst_cells():
    """A PNG output becomes a data: URI; cells tagged hide-in-report are left out."""
    nb = _nb([nbformat.v4.new_markdown_cell("## 第一节"), nbformat.v4.new_markdown_cell("分析说明")])
    nb.cells[1].metadata["tags"] = ["hide-in-report"]
    cell = nbformat.v4.new_code_cell("plot()")
    cell.outputs = [nbformat.v4.new_output("display_data",
                                           data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]
    nb.cells.append(cell)
    page = render_report(nb, "测试报告")
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert "第一节" in page and "分析说明" not in page and "plot()" not in page


def test_headline_of_merges_published_figures():
    """headline_of collects the evalkit headline outputs of a notebook, later ones winning."""
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={STUB_HEADLINE: {"得分": "80", "排名": "2/5"}}),
                    nbformat.v4.new_output("display_data", data={STUB_HEADLINE: {"得分": "81"}})]
    assert headline_of(_nb([cell])) == {"得分": "81", "排名": "2/5"}


def test_source_cell_number_skips_injected_and_marker_cells():
    """The failing cell is numbered as in the notebook as written (1-based)."""
    md = nbformat.v4.new_markdown_cell
    marker = md("error")
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    injected = nbformat.v4.new_code_cell("unit = 'x'")
    injected.metadata["tags"] = ["injected-parameters"]
    bad = nbformat.v4.new_code_cell("1/0")
    bad.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]
    nb = _nb([marker, md("# t"), _params("unit = 'a'"), injected, marker, bad])
    assert _source_cell_number(nb) == 3


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    """If the final rename fails (a killed run), the previous file is intact and no temp file stays."""
    target = tmp_path / "r.html"
    atomic_write(target, "旧报告")

    def boom(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "新报告（未写完）")
    assert target.read_text(encoding="utf-8") == "旧报告"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# --------------------------------------------------------------------------- real notebooks
def test_evalkit_run_on_sample_two_units(tmp_path, monkeypatch, capsys):
    """`evalkit run data/sample` for 2 units with 2 workers writes every page and an index; a re-run skips."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", str(SAMPLE), "--period", "2024-06", "--units", "蚶江村", "石壁村", "--jobs", "2",
            "--out", str(tmp_path / "out")]  # PDFs by default
    assert cli.main(args) == 0, capsys.readouterr().out
    folder = tmp_path / "out" / "2024-06"
    names = {p.name for p in folder.iterdir()}
    for stem in ("town-summary", "typical-cases-2024Q2", "look-back", "unit-蚶江村", "unit-石壁村"):
        assert {f"{stem}.html", f"{stem}.ipynb"} <= names
    index = (folder / "index.html").read_text(encoding="utf-8")
    for title in ("蚶江镇2024年6月执法工作汇总", "蚶江村2024年6月执法工作报告", "2024年第二季度典型案例",
                  "2024年6月重点案件回头看"):
        assert title in index
    assert "综合得分" in index and "检查覆盖率" in index
    page = (folder / "unit-蚶江村.html").read_text(encoding="utf-8")
    assert external_references(page) == [] and "<img" in page and "views.open_dataset" not in page
    # the quarter's 公文 for the town and the two units (issue 15), linked from the index
    docs = sorted(p.name for p in (folder / "公文").glob("*.docx"))
    assert docs == sorted(f"{who}2024年第二季度安全生产执法{kind}.docx" for who in ("蚶江镇", "蚶江村", "石壁村")
                          for kind in ("提升专项行动开展情况", "典型案例"))
    assert all(f'href="公文/{name}"' in index for name in docs)
    if find_chromium():  # a PDF beside every page, linked; without Chromium the run says so
        for stem in ("town-summary", "typical-cases-2024Q2", "look-back", "unit-蚶江村", "unit-石壁村"):
            assert (folder / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
            assert f'href="{stem}.pdf"' in index
    capsys.readouterr()
    assert cli.main(args) == 0
    assert "完成 0，跳过 5，失败 0" in capsys.readouterr().out


def test_evalkit_run_no_pdf_writes_no_pdf(tmp_path, monkeypatch, capsys):
    """`evalkit run --no-pdf`: every page and document, no PDF, no link to one, nothing said about Chromium."""
    monkeypatch.setenv("EVALKIT_CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", str(SAMPLE), "--period", "2024-06", "--units", "石壁村", "--jobs", "1",
            "--out", str(tmp_path / "out"), "--no-pdf"]
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    folder = tmp_path / "out" / "2024-06"
    assert (folder / "unit-石壁村.html").is_file() and list((folder / "公文").glob("*.docx"))
    assert not list(folder.glob("*.pdf")) and ".pdf" not in (folder / "index.html").read_text(encoding="utf-8")
    assert "PDF" not in text and "Chromium" not in text


def test_a_rerun_with_current_pdfs_starts_no_browser(stub, monkeypatch):
    """Every PDF newer than its page: the re-run queues nothing, so no Chromium is started."""
    from evalkit.report import batch

    if not find_chromium():
        pytest.skip("Chromium not installed")
    first = _run(stub, pdf=True)
    assert first.pdfs == len(first.outcomes)
    started = []
    monkeypatch.setattr(batch, "PdfPrinter", lambda *a, **k: started.append(1))
    again = _run(stub, pdf=True)
    assert again.count("skipped") == len(again.outcomes) and again.pdfs == 0 and started == []


# --------------------------------------------------------------------------- cache
@pytest.fixture
def fixed_source(monkeypatch):
    """Keys depend on the data only (evalkit's own source may be edited while tests run)."""
    monkeypatch.setattr("evalkit.report.cache.source_fingerprint", lambda: "source")


def test_load_cached_reads_once_and_notices_changes(tmp_path, monkeypatch, fixed_source):
    """The workbooks are read once; a changed file gives a new key and a fresh read."""
    from evalkit.report import cache

    data = write_tiny_data(tmp_path / "data")
    calls = []
    real = cache.load
    monkeypatch.setattr(cache, "load", lambda d: calls.append(d) or real(d))
    cache.clear_memory()
    first = cache.load_cached(data, tmp_path / "c")
    cache.clear_memory()  # the next load comes from the entry on disk
    second = cache.load_cached(data, tmp_path / "c")
    assert len(calls) == 1 and first.meta["cache_key"] == second.meta["cache_key"]
    (data / "submissions" / "note.txt").write_text("新文件", encoding="utf-8")
    third = cache.load_cached(data, tmp_path / "c")
    assert len(calls) == 2 and third.meta["cache_key"] != first.meta["cache_key"]


def test_load_cached_hands_out_private_tables(tmp_path, fixed_source):
    """A column a notebook adds to its dataset does not appear in the next caller's dataset."""
    from evalkit.report import cache

    data = write_tiny_data(tmp_path / "data")
    mine = cache.load_cached(data, tmp_path / "c")
    mine.units["extra"] = 1
    assert "extra" not in cache.load_cached(data, tmp_path / "c").units.columns


def test_cached_result_is_computed_once_and_shared_on_disk(tmp_path, fixed_source):
    """cached_result computes a town-wide result once; a new process (memory cleared) reads it."""
    from evalkit.report import cache

    data = write_tiny_data(tmp_path / "data")
    ds = cache.load_cached(data, tmp_path / "c")
    calls = []
    assert cache.cached_result(ds, "scores-2024-06", lambda: calls.append(1) or {"甲村": 90}) == {"甲村": 90}
    cache.clear_memory()
    again = cache.load_cached(data, tmp_path / "c")
    assert cache.cached_result(again, "scores-2024-06", lambda: calls.append(1) or {}) == {"甲村": 90}
    assert calls == [1]


def test_index_lists_exported_workbooks(tmp_path):
    """index.html links the workbooks `evalkit export` wrote for the period, and only those."""
    from evalkit.report.batch import export_files
    from evalkit.report.html import external_references, render_index

    (tmp_path / "报表").mkdir()
    (tmp_path / "报表" / "蚶江镇_附件2_汇总_2024年6月.xlsx").write_bytes(b"x")
    (tmp_path / "报表" / "~$蚶江镇_附件2_汇总_2024年6月.xlsx").write_bytes(b"lock")
    (tmp_path / "下月模板").mkdir(parents=True)
    (tmp_path / "下月模板" / "蚶江镇_甲村_统计表_2024年7月.xlsx").write_bytes(b"x")
    files = export_files(tmp_path)
    assert files == [
        ("全镇汇总报表", "蚶江镇_附件2_汇总_2024年6月.xlsx", "报表/蚶江镇_附件2_汇总_2024年6月.xlsx"),
        ("下月填报模板", "蚶江镇_甲村_统计表_2024年7月.xlsx", "下月模板/蚶江镇_甲村_统计表_2024年7月.xlsx"),
    ]
    page = render_index("2024年6月", [], files=files)
    assert '<a href="下月模板/蚶江镇_甲村_统计表_2024年7月.xlsx">' in page
    assert external_references(page) == []
    assert "官方工作簿" not in render_index("2024年6月", [], files=[])


def test_report_notebooks_ship_inside_the_package():
    """`evalkit run` finds its notebooks as package data; notebooks/ links to those very files."""
    import tomllib

    import evalkit
    from evalkit.report.batch import (
        CASES_NOTEBOOK,
        LOOKBACK_NOTEBOOK,
        TOWN_NOTEBOOK,
        UNIT_NOTEBOOK,
        default_notebooks_dir,
    )

    folder = default_notebooks_dir()
    package = Path(evalkit.__file__).resolve().parent
    assert folder.resolve() == package / "report" / "notebooks"
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["evalkit"]
    assert "report/notebooks/*.ipynb" in data
    for name in (UNIT_NOTEBOOK, TOWN_NOTEBOOK, CASES_NOTEBOOK, LOOKBACK_NOTEBOOK):
        assert (folder / name).is_file()
        assert (ROOT / "notebooks" / name).resolve() == (folder / name).resolve()


# --------------------------------------------------------------------------- extra jobs (the 公文)
def _write_note(data_dir, period, out_dir, text="公文"):
    """An extra job writing one file under out_dir/公文/ (pickled by reference into a worker)."""
    return [atomic_write(Path(out_dir) / "公文" / f"{period}说明.docx", text)]


def _broken_job(data_dir, period, out_dir):
    raise ValueError("模板缺失")


def test_extra_jobs_run_beside_the_reports_and_are_skipped_when_unchanged(stub):
    """An ExtraJob's files are listed on the index; a failing one is a note and no report fails;
    a second run skips both the reports and the job."""
    from evalkit.report.batch import ExtraJob

    jobs = [ExtraJob("note", "说明", "报送文件", _write_note, {"text": "甲"}),
            ExtraJob("broken", "坏任务", "报送文件", _broken_job)]
    result = _run(stub, extra_jobs=jobs)
    assert result.ok and result.extra_files == ["公文/2024-06说明.docx"]
    assert any("坏任务生成失败：ValueError: 模板缺失" in n for n in result.notes)
    index = (result.out_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="公文/2024-06说明.docx"' in index
    written = (result.out_dir / "公文" / "2024-06说明.docx").stat().st_mtime_ns
    again = _run(stub, extra_jobs=jobs[:1])
    assert again.count("done") == 0 and again.extra_files == ["公文/2024-06说明.docx"]
    assert (result.out_dir / "公文" / "2024-06说明.docx").stat().st_mtime_ns == written  # not rewritten
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["extra"]["note"]["status"] == "ok" and manifest["extra"]["broken"]["status"] == "failed"


def test_pdf_without_chromium_is_a_note_not_a_failure(stub, monkeypatch):
    """--pdf on a machine without Chromium: every report is made, no PDF, and the result says why."""
    monkeypatch.setenv("EVALKIT_CHROMIUM", "/nonexistent/chromium")
    result = _run(stub, pdf=True)
    assert result.ok and result.pdfs == 0
    assert any("未找到 Chromium" in n for n in result.notes)
    assert not list(result.out_dir.glob("*.pdf"))
    assert "未找到 Chromium" in result.to_text()
