"""Command line: parses arguments and forwards to the library. No logic lives here.

Exit status: 0 success, 1 the data has errors (validate) or a report failed (run),
2 usage error (bad arguments, missing folder, invalid config).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from evalkit.exceptions import EvalkitError


def _emit(result, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
    else:
        sys.stdout.write(result.to_text() + "\n")


def cmd_validate(args) -> int:
    from evalkit.intake.loader import load
    from evalkit.intake.validation_report import ValidationResult

    result = ValidationResult(load(args.data_dir))
    _emit(result, args.json)
    return 1 if result.dataset.error_count else 0


def cmd_metrics(args) -> int:
    from evalkit.intake.loader import load
    from evalkit.metrics.engine import compute_metrics

    result = compute_metrics(load(args.data_dir), args.period, scope=args.scope,
                             source=args.source, config=args.config)
    _emit(result, args.json)
    return 0


def cmd_audit(args) -> int:
    from evalkit.audit.run import run_audit
    from evalkit.intake.loader import load

    _emit(run_audit(load(args.data_dir), args.period, config=args.config), args.json)
    return 0


def cmd_score(args) -> int:
    from evalkit.assess.scoring import score_units
    from evalkit.intake.loader import load

    _emit(score_units(load(args.data_dir), args.period, config=args.config), args.json)
    return 0


def cmd_export(args) -> int:
    from evalkit.export.official import export_period
    from evalkit.intake.loader import load

    for path in export_period(load(args.data_dir), args.period, out_dir=args.out):
        print(path)
    return 0


def cmd_run(args) -> int:
    from evalkit.report.batch import run_batch

    result = run_batch(args.data_dir, args.period, units=args.units, jobs=args.jobs,
                       out_dir=args.out, force=args.force)
    print(result.to_text())
    return 0 if result.ok else 1


def cmd_sample(args) -> int:
    from evalkit.sample.generate import generate

    manifest = generate(args.out, seed=args.seed)
    print(f"样例数据已写入 {args.out}：{manifest['summary']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description="安全生产执法提升专项行动：统计表校验、指标、评议考核与报告")
    sub = p.add_subparsers(dest="command", required=True)

    def data_dir(sp):
        sp.add_argument("data_dir", type=Path, help="数据目录（含 registry/ 与 submissions/）")

    def period(sp, required=True):
        sp.add_argument("--period", required=required, help="期间：2024-06、2024Q2 或 2024")

    sp = sub.add_parser("validate", help="读取并校验报送的统计表")
    data_dir(sp)
    sp.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("metrics", help="计算各单位指标")
    data_dir(sp)
    period(sp)
    sp.add_argument("--scope", choices=["month", "ytd", "quarter", "year"], default=None,
                    help="月份期间的统计范围（默认 month）")
    sp.add_argument("--source", choices=["ledger", "reported"], default="ledger",
                    help="ledger：由附件1台账重算；reported：附件2报送数")
    sp.add_argument("--config", type=Path, default=None, help="指标配置 YAML")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_metrics)

    sp = sub.add_parser("audit", help="核查：报表核对与方案要求")
    data_dir(sp)
    period(sp)
    sp.add_argument("--config", type=Path, default=None)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_audit)

    sp = sub.add_parser("score", help="执法评议考核打分")
    data_dir(sp)
    period(sp)
    sp.add_argument("--config", type=Path, default=None, help="权重配置 YAML")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_score)

    sp = sub.add_parser("export", help="导出官方格式工作簿与阳光执法公示")
    data_dir(sp)
    period(sp)
    sp.add_argument("--out", type=Path, default=Path("outputs"))
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("run", help="批量生成各单位及全镇报告（papermill）")
    data_dir(sp)
    period(sp)
    sp.add_argument("--units", nargs="*", default=None, help="只生成这些单位")
    sp.add_argument("--jobs", type=int, default=None, help="并行数（默认 CPU 核数）")
    sp.add_argument("--out", type=Path, default=Path("outputs"))
    sp.add_argument("--force", action="store_true", help="忽略缓存，全部重算")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("sample", help="生成样例数据（固定随机种子）")
    sp.add_argument("--out", type=Path, default=Path("data/sample"))
    sp.add_argument("--seed", type=int, default=2024)
    sp.set_defaults(func=cmd_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        return args.func(args)
    except EvalkitError as exc:
        print(f"evalkit: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
