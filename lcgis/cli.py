"""The command line: ``python -m lcgis evaluate | validate | explain ...``.

Exit status: 0 done (warnings allowed); 1 the data has errors (report printed, nothing
written); 2 wrong usage.  Messages are in Chinese; no traceback reaches the user for bad data.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from lcgis.arguments import add_inputs, load_inputs, rules_of, seconds_arg
from lcgis.data.validate import QualityReport
from lcgis.engine.pipeline import Result, run
from lcgis.errors import DataError, LcgisError, RulesError, UsageError
from lcgis.progress import print_progress
from lcgis.rules import load_rules

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from lcgis.data.io import Dataset

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse speaking Chinese on errors (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"用法错误：{message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; for ``command``, one of :data:`COMMANDS`, the review
    store's and the committee papers' commands are left out (and their libraries — the
    database layer, the PDF typesetting — are not imported)."""
    parser = _Parser(prog="python -m lcgis", description="鲤城高新区 工业用地亩均效益评价")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ev = sub.add_parser("evaluate", help="评价并导出结果(.gpkg/.xlsx/.csv/.geojson)")
    add_inputs(ev)
    ev.add_argument("--out", required=True, metavar="OUT", help="输出文件")
    ev.add_argument("--sensitivity", metavar="F", help="另存权重与分类比例敏感性分析表(.csv/.xlsx)")
    ev.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="计算引擎：local 本机(默认)；dask 在 Dask 集群上分区计算(结果相同)",
    )
    ev.add_argument(
        "--scheduler", metavar="ADDRESS", help="已有 Dask 集群的调度器地址(含 --engine dask)"
    )
    va = sub.add_parser("validate", help="只检查数据，列出错误与警告")
    add_inputs(va, evaluation=False)
    ex = sub.add_parser("explain", help="打印一宗地的体检表")
    ex.add_argument("parcel_id", help="宗地编号")
    add_inputs(ex)
    se = sub.add_parser("sensitivity", help="权重±10分、分类比例±5个百分点时类别发生变化的企业")
    add_inputs(se)
    se.add_argument("--out", metavar="F", help="保存为 .csv 或 .xlsx(默认打印)")
    pl = sub.add_parser("plan", help="搬迁方案：把搬迁企业安排到空闲地块，园区税收(或产值)最大")
    add_inputs(pl)
    pl.add_argument("--movers", required=True, metavar="F", help="搬迁企业表(.csv/.xlsx)")
    pl.add_argument("--objective", choices=("tax", "output"), default="tax", help="税收或产值")
    pl.add_argument("--free", metavar="F", help="另行指定的空闲宗地(每行一个编号，或 parcel_id 列)")
    pl.add_argument("--exclude", metavar="F", help="不参与安排的宗地(格式同 --free)")
    pl.add_argument(
        "--time-limit", type=seconds_arg, dest="time_limit", metavar="S", help="求解时限(秒)"
    )
    pl.add_argument("--out", required=True, metavar="OUT", help="输出文件(.xlsx/.csv/.gpkg)")
    im = sub.add_parser("import", help="把原始文件整理成数据目录，并建议 mapping.toml")
    im.add_argument("files", nargs="+", metavar="FILE_OR_ZIP", help="shp/zip/gpkg/csv/xlsx 等文件")
    im.add_argument("--out", metavar="DATA_DIR", help="新建的数据目录(须不存在或为空)")
    im.add_argument(
        "--mapping-only", action="store_true", help="只打印建议的 mapping.toml 与问题，不写文件"
    )
    im.add_argument(
        "--mapping",
        metavar="FILE",
        help="改用这份(修改过的) mapping.toml，其中 source 写输入文件名",
    )
    if command not in COMMANDS:
        from lcgis.papers.cli import add_parsers as add_paper_parsers
        from lcgis.review.cli import add_parsers as add_review_parsers

        add_review_parsers(sub)  # review set|show|log|verify|export, users add|…
        add_paper_parsers(sub, add_inputs)  # report, dossier (PDF)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command named in ``argv`` (its first word that is no option).

    >>> _command_of(["evaluate", "data", "--out", "x.gpkg"]), _command_of(["-h"])
    ('evaluate', None)
    """
    return next((a for a in argv if not a.startswith("-")), None)


def _commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    """Every command, the review store's and the committee papers' too."""
    from lcgis.papers.cli import COMMANDS as PAPER_COMMANDS
    from lcgis.review.cli import COMMANDS as REVIEW_COMMANDS

    return {**COMMANDS, **REVIEW_COMMANDS, **PAPER_COMMANDS}


def _run(args: argparse.Namespace) -> Result:

    from lcgis.review import government_delay

    rules = rules_of(args)
    options: dict[str, Any] = {"year": args.year, "as_of": args.as_of, "progress": print_progress}
    scheduler = getattr(args, "scheduler", None)
    if scheduler or getattr(args, "engine", "local") == "dask":  # read on the cluster too
        from lcgis.engine import partitioned

        delayed = government_delay(rules.idle.government_reason, args.data_dir or "data")
        read = functools.partial(load_inputs, args)
        return partitioned.run_files(
            read, rules, scheduler=scheduler, government_delay=delayed, **options
        )
    ds = load_inputs(args)
    if ds.report.has_errors:
        raise DataError("数据有错误", ds.report)
    delayed = government_delay(rules.idle.government_reason, args.data_dir or "data")
    return run(ds, rules, government_delay=delayed, **options)


def cmd_validate(args: argparse.Namespace) -> int:
    return _print_validation(load_inputs(args))


def _print_validation(ds: Dataset) -> int:
    """The quality report of a loaded dataset (with the measures' checks) and the verdict."""
    from lcgis.engine.pipeline import check

    report = check(ds, load_rules())
    print(report.format())
    if report.has_errors:
        print("结论：数据有错误，请按提示修改后重试。", file=sys.stderr)
        return EXIT_DATA
    n = len(ds.parcels)
    print(f"结论：可以使用(宗地 {n} 宗，工作坐标系 {ds.crs.name if ds.crs else '-'})。")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lcgis.views.report import OUTPUT_FORMATS, tables_beside, write

    if Path(args.out).suffix.lower() not in OUTPUT_FORMATS:
        raise UsageError(f"--out 的扩展名应为 {'、'.join(OUTPUT_FORMATS)}：{args.out}")
    result = _run(args)
    out = write(result, args.out)
    if args.sensitivity:
        _write_sensitivity(result, Path(args.sensitivity))
    warnings = len(result.report.warnings)
    p = result.parcels
    print(
        f"已写出 {out}：宗地 {len(p)} 宗，企业 {len(result.enterprises)} 家，"
        f"评价年度 {result.year or '-'}，基准日 {result.as_of}，警告 {warnings} 条"
        + ("(详见数据质量)" if warnings else "")
    )
    if out.suffix.lower() == ".xlsx":
        for name, csv in tables_beside(result, out).items():
            print(f"{name}表超过工作簿每表行数上限(规则 workbook.max_rows)，完整表格已另存为 {csv}")
    return EXIT_OK


def _write_sensitivity(result: Result, out: Path) -> None:
    from lcgis.data.atomic import atomic_output
    from lcgis.engine.evaluate import sensitivity
    from lcgis.views.sanitize import csv_frame, excel_frame, neutralize_sheet

    table = sensitivity(result.enterprises, result.rules.evaluation, result.year_end)
    with atomic_output(out) as tmp:
        if out.suffix.lower() == ".xlsx":
            import pandas as pd

            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                excel_frame(table).to_excel(xw, index=False, sheet_name="敏感性分析")
                neutralize_sheet(xw.sheets["敏感性分析"])
        else:
            csv_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
    print(f"已写出敏感性分析 {out}：{len(table)} 行")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    result = _run(args)
    if args.out:
        _write_sensitivity(result, Path(args.out))
        return EXIT_OK
    from lcgis.engine.evaluate import sensitivity

    table = sensitivity(result.enterprises, result.rules.evaluation, result.year_end)
    print(table.to_string(index=False) if len(table) else "没有企业因参数变动而改变类别。")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from lcgis.views.explain import explain, format_text

    result = _run(args)
    card = explain(result, args.parcel_id)
    if card is None:
        print(f"找不到宗地 {args.parcel_id}：请检查编号", file=sys.stderr)
        return EXIT_DATA
    print(format_text(card))
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    """搬迁方案 (rules.md §7): movers onto free land, written to --out."""
    from lcgis.plan.movers import read_movers, read_parcel_ids
    from lcgis.plan.relocation import plan
    from lcgis.plan.report import PLAN_FORMATS, write_plan

    if Path(args.out).suffix.lower() not in PLAN_FORMATS:
        raise UsageError(f"--out 的扩展名应为 {'、'.join(PLAN_FORMATS)}：{args.out}")
    result = _run(args)
    known = set(result.parcels["parcel_id"].astype(str))
    movers, report = read_movers(args.movers, parcel_ids=known)
    include = read_parcel_ids(args.free, known, option="--free") if args.free else []
    exclude = read_parcel_ids(args.exclude, known, option="--exclude") if args.exclude else []
    rp = plan(
        result, movers, objective=args.objective, include=include, exclude=exclude,
        time_limit_s=args.time_limit, progress=print_progress,
    )  # fmt: skip
    for issue in report.issues + rp.report.issues:
        print(issue.format(), file=sys.stderr)
    files = write_plan(rp, args.out)
    print(rp.summary())
    print(f"已写出 {'、'.join(map(str, files))}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Files under their own names into a data folder with a proposed mapping.toml."""
    from lcgis.data import importer
    from lcgis.data.mapping import read_mapping
    from lcgis.data.propose import propose
    from lcgis.engine.pipeline import check

    paths = [Path(p) for p in args.files]
    if args.mapping_only:
        importer.check_inputs(paths)
        proposal = propose(paths)
        print(proposal.mapping_toml())
        _print_questions(proposal.warnings, proposal.questions)
        return EXIT_OK
    if not args.out:
        raise UsageError("请用 --out DATA_DIR 指定新建的数据目录(或用 --mapping-only 只查看建议)")
    out = Path(args.out)
    importer.check_inputs(paths)
    proposal = propose(paths)
    mapping = None
    if args.mapping:
        mapping = _mapping_text(args.mapping)
        proposal.apply(read_mapping(Path(args.mapping)))
    proposal, ds, tmp = importer.build(paths, out, mapping, proposal)
    outcome = importer.Outcome(proposal, check(ds, load_rules()))
    if outcome.report.has_errors:
        importer.discard(tmp)
    else:
        importer.commit(tmp, out)
        print(f"已写出数据目录 {out}(文件与 mapping.toml 在 {out / 'parcels'} 下)。")
    print(outcome.report.format())
    _print_questions(proposal.warnings, proposal.questions)
    print(outcome.summary())
    if outcome.report.has_errors:
        print(
            f"结论：数据有错误，未写出 {out}。可先用 --mapping-only 查看建议的 mapping.toml，"
            "改好后用 --mapping 文件 重新导入。",
            file=sys.stderr,
        )
        return EXIT_DATA
    n = len(ds.parcels)
    print(f"结论：可以使用(宗地 {n} 宗)。评价：python -m lcgis evaluate {out} --out 结果.xlsx")
    return EXIT_OK


def _mapping_text(path: str) -> str:
    from lcgis.data.mapping import read_toml_text

    try:
        return read_toml_text(Path(path))
    except OSError as exc:
        raise UsageError(f"无法读取 --mapping 文件 {path}：请确认文件存在") from exc


def _print_questions(warns: list[str], questions: list[str]) -> None:
    for w in warns:
        print(f"提示：{w}")
    if questions:
        print(f"待确认的问题({len(questions)} 个)：")
        for i, q in enumerate(questions, 1):
            print(f"  {i}. {q}")


#: The commands of this module (the review store's and the papers' are added on demand).
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "import": cmd_import,
    "evaluate": cmd_evaluate,
    "validate": cmd_validate,
    "explain": cmd_explain,
    "sensitivity": cmd_sensitivity,
    "plan": cmd_plan,
}


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_command_of(words)).parse_args(words)
    command = COMMANDS.get(args.command) or _commands()[args.command]
    try:
        with warnings.catch_warnings():
            if not os.environ.get("LCGIS_DEBUG"):  # libraries' English warnings are noise here
                warnings.simplefilter("ignore")
            return command(args)
    except DataError as exc:
        if isinstance(exc.report, QualityReport):
            print(exc.report.format(), file=sys.stderr)
        print(f"错误：{exc}。未写出任何文件。", file=sys.stderr)
        return EXIT_DATA
    except (UsageError, RulesError) as exc:
        print(f"用法错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except LcgisError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_DATA
    except OSError as exc:
        print(f"文件读写失败：{exc}。未写出任何文件。", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("已中断。未写出任何文件。", file=sys.stderr)
        return EXIT_DATA
    except Exception as exc:  # the last boundary: never a traceback for the user
        if os.environ.get("LCGIS_DEBUG"):
            raise
        print(
            f"错误：处理时出现意外问题({type(exc).__name__}：{' '.join(str(exc).split())[:300]})。"
            "请检查输入文件的内容；如仍出错，请把此信息报告给维护人员"
            "(设置环境变量 LCGIS_DEBUG=1 可看到详细信息)。未写出任何文件。",
            file=sys.stderr,
        )
        return EXIT_DATA
