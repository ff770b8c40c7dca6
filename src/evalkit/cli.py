"""Command line: parses arguments and forwards to the library. No logic lives here.

Exit status: 0 success, 1 the data has errors (validate) or a report failed (run),
2 a problem the user can fix (bad arguments, missing or unreadable folder, invalid
config, unwritable output, full disk), 3 an internal error (a bug: please report it),
130 interrupted (Ctrl-C). Every failure is one Chinese line on stderr, never a traceback;
``--debug`` (or ``EVALKIT_DEBUG=1``) re-raises the original exception instead.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evalkit.exceptions import EvalkitError, FileAccessError, InternalError, OutputError, os_reason

DEBUG_ENV = "EVALKIT_DEBUG"

#: argparse's own texts (looked up through its module-level gettext ``_``) in Chinese.
ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示帮助并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "the following arguments are required: %s": "必须提供参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "需要一个参数值",
    "expected at most one argument": "最多需要一个参数值",
    "expected at least one argument": "至少需要一个参数值",
    "expected %s argument": "需要 %s 个参数值",
    "expected %s arguments": "需要 %s 个参数值",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是：%(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "忽略了多余的参数值 %r",
    "one of the arguments %s is required": "必须提供以下参数之一：%s",
    "unexpected option string: %s": "意外的选项：%s",
}


def _zh(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def _zh_plural(singular: str, plural: str, n: int) -> str:
    return _zh(singular if n == 1 else plural)


@contextmanager
def _argparse_in_chinese() -> Iterator[None]:
    """Swap argparse's gettext functions for the Chinese table while evalkit's parser runs
    (restored afterwards, so other argparse users in the process are untouched)."""
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _zh, _zh_plural
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose framing (用法, 错误, -h help, section titles) is Chinese."""

    def __init__(self, *args, **kwargs):
        with _argparse_in_chinese():  # the -h help text and the section titles are set here
            super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        with _argparse_in_chinese():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with _argparse_in_chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_in_chinese():
            return super().format_help()

    def error(self, message: str):
        with _argparse_in_chinese():
            super().error(message)


def _positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为正整数，实际为 {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"应为正整数（不小于 1），实际为 {value}")
    return value


def _date(text: str):
    """An argparse type: a date written YYYY-MM-DD."""
    import datetime as dt  # lazy: start-up time (only export takes a date)

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为日期，如 2024-07-05，实际为 {text!r}") from None


def _integer(text: str) -> int:
    """An argparse type: a whole number."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数，实际为 {text!r}") from None


def _blocking_file(path: Path) -> Path | None:
    """The first component of ``path`` that exists and is not a folder, if any."""
    for part in reversed([path, *path.parents]):
        if part.exists() and not part.is_dir():
            return part
    return None


def check_output_dir(out: Path) -> None:
    """OutputError before any work when ``out`` cannot become a writable folder."""
    blocking = _blocking_file(out)
    if blocking is not None:
        raise OutputError(blocking, "这是文件而不是目录，请用 --out 指定一个目录")
    existing = next(p for p in [out, *out.parents] if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(existing, "目录只读（没有写入权限），请用 --out 指定一个可写的目录")


@contextmanager
def writing_to(out: Path) -> Iterator[None]:
    """Check ``out`` first; then turn an OSError while writing under it (or one without a
    path, as a full disk gives) into an OutputError naming the path."""
    check_output_dir(out)
    try:
        yield
    except OSError as exc:
        target = Path(exc.filename) if exc.filename else out
        if exc.filename and not target.absolute().is_relative_to(out.absolute()):
            raise
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):
            blocking = _blocking_file(target)
            if blocking is not None:
                raise OutputError(blocking, "这是文件而不是目录，请用 --out 指定一个目录") from exc
        raise OutputError(target, os_reason(exc)) from exc


def _emit(result, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(result.to_text() + "\n")


# Each command imports its layer when it runs: ``evalkit --help`` and a usage error answer
# without loading pandas, matplotlib or papermill (seconds on a cold start).
def cmd_validate(args) -> int:
    from evalkit.intake.loader import load  # lazy: `evalkit --help` stays fast (no pandas)
    from evalkit.intake.validation_report import ValidationResult

    result = ValidationResult(load(args.data_dir, jobs=getattr(args, "jobs", None)))
    _emit(result, args.json)
    return 1 if result.dataset.error_count else 0


def _load_covering(args):
    """The data folder loaded; PeriodNotCoveredError (exit 2) when ``--period`` holds none of its months."""
    from evalkit.core.dataset import require_covered  # lazy: start-up time, as above
    from evalkit.core.periods import parse_period  # lazy: start-up time, as above
    from evalkit.intake.loader import load  # lazy: start-up time, as above

    ds = load(args.data_dir, jobs=getattr(args, "jobs", None))
    require_covered(ds, parse_period(args.period))
    return ds


def _chosen(args, ds) -> list[str] | None:
    """The units ``--level``/``--unit`` choose (``core.hierarchy.select_units``), None for all."""
    from evalkit.core import hierarchy  # lazy: start-up time, as above
    from evalkit.exceptions import ParameterError  # lazy: start-up time, as above

    level, unit = getattr(args, "level", None), getattr(args, "unit", None)
    if level is None and unit is None:
        return None
    try:
        return hierarchy.select_units(ds.units, level, unit)
    except KeyError:
        names = [str(u) for u in ds.units["unit"]]
        raise ParameterError("unit", unit, "数据中的单位：" + "、".join(names)) from None


def _with_units_below(ds, units: list[str]) -> set[str]:
    from evalkit.core import hierarchy  # lazy: start-up time, as above

    tree = hierarchy.Tree(ds.units)
    return {m for u in units for m in (u, *tree.descendants(u))}


def cmd_metrics(args) -> int:
    from evalkit.core import hierarchy  # lazy: start-up time, as above
    from evalkit.metrics.engine import compute_metrics  # lazy: start-up time, as above

    ds = _load_covering(args)
    result = compute_metrics(ds, args.period, scope=args.scope, source=args.source, config=args.config)
    chosen = _chosen(args, ds)
    if chosen is not None:
        top = args.unit if args.unit and not hierarchy.Tree(ds.units).keeps_ledger(args.unit) else None
        result = result.for_units(chosen, top, top and hierarchy.total_label(ds.units, top))
    _emit(result, args.json)
    return 0


def cmd_audit(args) -> int:
    import dataclasses  # lazy: start-up time, as above

    from evalkit.audit.run import run_audit  # lazy: start-up time, as above

    ds = _load_covering(args)
    result = run_audit(ds, args.period, config=args.config)
    chosen = _chosen(args, ds)
    if chosen is not None:  # the chosen units' findings and those of every unit below them
        keep = _with_units_below(ds, chosen) | ({args.unit} if args.unit else set())
        result = dataclasses.replace(result, findings=result.findings[result.findings["unit"].isin(keep)])
    _emit(result, args.json)
    return 0


def cmd_score(args) -> int:
    import dataclasses  # lazy: start-up time, as above

    from evalkit.assess.scoring import score_units  # lazy: start-up time, as above

    ds = _load_covering(args)
    result = score_units(ds, args.period, config=args.config)
    chosen = _chosen(args, ds)
    if chosen is not None:  # ranks stay those within each unit's peer group (docs/scoring.md)
        result = dataclasses.replace(
            result, frame=result.frame[result.frame.index.isin(chosen)],
            parts=result.parts[result.parts["unit"].isin(chosen)],
            deductions=result.deductions[result.deductions["unit"].isin(chosen)])
    _emit(result, args.json)
    return 0


def cmd_export(args) -> int:
    from evalkit.export.official import (  # lazy: start-up time, as above
        ExportResult,
        export_level_figures,
        export_period,
    )

    ds = _load_covering(args)
    with writing_to(args.out):
        if getattr(args, "level", None) or getattr(args, "unit", None):
            _chosen(args, ds)  # an unknown --unit is a usage error
            written = ExportResult([export_level_figures(ds, args.period, args.out, unit=args.unit, level=args.level)])
        else:
            written = export_period(ds, args.period, out_dir=args.out, filled_date=args.filled_on)
    for path in written:
        print(path)
    for p in written.problems:  # what the clerk should fix before publishing
        where = "，".join(str(x) for x in (p.file, p.sheet and f"工作表“{p.sheet}”", p.row and f"第{p.row}行") if x)
        print(f"警告：{where}：{p.message}", file=sys.stderr)
    return 0


def cmd_run(args) -> int:
    from evalkit.documents import write_documents  # lazy: start-up time, as above
    from evalkit.report.batch import ExtraJob, run_batch  # lazy: start-up time, as above

    # the Word documents (公文) of the period, for the town and for each unit named by --units
    documents = ExtraJob("documents", "报送文件（公文）", "季度活动开展情况、典型案例与总结", write_documents,
                         {"units": list(args.units or [])})
    with writing_to(args.out):
        result = run_batch(args.data_dir, args.period, units=args.units, jobs=args.jobs,
                           out_dir=args.out, force=args.force, level=args.level, unit=args.unit,
                           extra_jobs=[documents], pdf=args.pdf)
    print(result.to_text())
    return 0 if result.ok else 1


def cmd_sample(args) -> int:
    from evalkit.sample.city import generate_city  # lazy: start-up time, as above
    from evalkit.sample.generate import generate  # lazy: start-up time, as above

    with writing_to(args.out):
        manifest = (generate_city if args.city else generate)(args.out, seed=args.seed)
    print(f"样例数据已写入 {args.out}：{manifest['summary']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = ChineseArgumentParser(prog="evalkit", description="安全生产执法提升专项行动：统计表校验、指标、评议考核与报告")
    debug_help = f"出错时显示完整的 Python 错误信息（供开发人员排查；也可设环境变量 {DEBUG_ENV}=1）"
    p.add_argument("--debug", action="store_true", help=debug_help)
    sub = p.add_subparsers(dest="command", required=True, title="子命令", metavar="命令")

    def command(name, help_text):
        sp = sub.add_parser(name, help=help_text, description=help_text)
        # SUPPRESS: without --debug here, the value given before the command stays
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
        return sp

    def data_dir(sp):
        sp.add_argument("data_dir", type=Path, metavar="DATA_DIR", help="数据目录（含 registry/ 与 submissions/）")

    def period(sp, required=True):
        sp.add_argument("--period", required=required, metavar="PERIOD", help="期间：2024-06、2024Q2 或 2024")

    def as_json(sp):
        sp.add_argument("--json", action="store_true", help="输出一个 JSON 对象（默认输出中文文字报告）")

    def level(sp):
        sp.add_argument("--level", choices=["市", "镇", "街道", "部门", "村"], default=None,
                        help="只报告这一级的单位：镇（含街道）、街道、部门、村（含社区）或 市")
        sp.add_argument("--unit", default=None, metavar="NAME",
                        help="只报告这个单位（镇、街道或市：其下属各单位，合计为该单位）")

    def out(sp, default, what):
        sp.add_argument("--out", type=Path, default=Path(default), metavar="DIR",
                        help=f"{what}写入的目录（默认 {default}）")

    sp = command("validate", "读取并校验报送的统计表")
    data_dir(sp)
    as_json(sp)
    sp.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                    help="并行读取报送文件的进程数（默认每个 CPU 核一个）")
    sp.set_defaults(func=cmd_validate)

    sp = command("metrics", "计算各单位指标")
    data_dir(sp)
    period(sp)
    sp.add_argument("--scope", choices=["month", "ytd", "quarter", "year"], default=None,
                    help="月份期间的统计范围（默认 month）")
    sp.add_argument("--source", choices=["ledger", "reported"], default="ledger",
                    help="ledger：由附件1台账重算；reported：附件2报送数")
    sp.add_argument("--config", type=Path, default=None, metavar="FILE",
                    help="指标配置 YAML（只写要改的项，默认 config/metrics.yaml）")
    level(sp)
    as_json(sp)
    sp.set_defaults(func=cmd_metrics)

    sp = command("audit", "核查：报表核对与方案要求")
    data_dir(sp)
    period(sp)
    sp.add_argument("--config", type=Path, default=None, metavar="FILE",
                    help="核查阈值配置 YAML（只写要改的项，默认 config/audit.yaml）")
    level(sp)
    as_json(sp)
    sp.set_defaults(func=cmd_audit)

    sp = command("score", "执法评议考核打分")
    data_dir(sp)
    period(sp)
    sp.add_argument("--config", type=Path, default=None, metavar="FILE",
                    help="权重配置 YAML（写出的顶层键整块替换默认值，默认 config/scoring.yaml）")
    level(sp)
    as_json(sp)
    sp.set_defaults(func=cmd_score)

    sp = command("export", "导出官方格式工作簿与阳光执法公示")
    data_dir(sp)
    sp.add_argument("--period", required=True, metavar="YYYY-MM", help="月份，如 2024-06（只接受月份）")
    sp.add_argument("--filled-on", type=_date, default=None, metavar="YYYY-MM-DD",
                    help="表头“填报日期”（默认：正在报送的月份为今天，否则为该月报送期限，即次月30日）")
    out(sp, "outputs", "工作簿与公示文件")
    level(sp)
    sp.set_defaults(func=cmd_export)

    sp = command("run", "批量生成各单位及全镇报告（papermill）")
    data_dir(sp)
    period(sp)
    sp.add_argument("--units", nargs="*", default=None, metavar="UNIT",
                    help="只生成这些单位的报告（默认全部），并为这些单位另写本单位的季度公文")
    sp.add_argument("--jobs", type=_positive_int, default=None, metavar="N", help="并行数（默认 CPU 核数）")
    out(sp, "outputs", "报告")
    sp.add_argument("--force", action="store_true", help="忽略缓存，全部重算")
    level(sp)
    # PDFs by default: the plan's submissions are printed and archived; they add about a tenth
    # to the batch (docs/documents.md). --pdf stays accepted (it was the opt-in before).
    sp.add_argument("--pdf", dest="pdf", action="store_true", default=True,
                    help="为每份报告另生成同名 PDF（默认即生成；需要 Chromium，没有时注明并跳过）")
    sp.add_argument("--no-pdf", dest="pdf", action="store_false", help="不生成 PDF")
    sp.set_defaults(func=cmd_run)

    sp = command("sample", "生成样例数据（固定随机种子）")
    out(sp, "data/sample", "样例数据")
    sp.add_argument("--seed", type=_integer, default=2024, metavar="N",
                    help="随机种子（默认 2024；同一种子生成相同数据）")
    sp.add_argument("--city", action="store_true",
                    help="生成石狮市样例（多个镇街与市直部门，写入 --out，如 data/sample-city）")
    sp.set_defaults(func=cmd_sample)
    return p


def _as_evalkit_error(exc: Exception) -> EvalkitError:
    """The one-line error the user sees for ``exc``."""
    if isinstance(exc, EvalkitError):
        return exc
    if isinstance(exc, OSError):
        return FileAccessError(exc.filename or "（未知路径）", os_reason(exc))
    first = (str(exc).splitlines() or [""])[0][:200]
    return InternalError(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:  # evalkit.exceptions.Interrupted says what was finished
        if debug:
            raise
        print(f"evalkit: {str(exc) or '已中断'}", file=sys.stderr)
        return 130
    except Exception as exc:  # the contract: one Chinese line, never a traceback
        if debug:
            raise
        error = _as_evalkit_error(exc)
        print(f"evalkit: {error}", file=sys.stderr)
        return error.exit_status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
