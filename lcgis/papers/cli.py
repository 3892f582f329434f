"""``python -m lcgis report`` and ``python -m lcgis dossier``: the committee papers as PDF.

Registered into :mod:`lcgis.cli` by :func:`add_parsers` and :data:`COMMANDS`.  The command
line is for authorised staff: it prints every figure (the app masks them by role).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lcgis.errors import DataError, UsageError
from lcgis.vocab import DISPOSITIONS, TIERS

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

#: The lists a dossier batch can take, and their tiers.
LISTS = DISPOSITIONS


def add_parsers(sub: Any, add_inputs: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``report`` and ``dossier`` to the subcommands ``sub`` of the main parser."""
    rp = sub.add_parser(
        "report", help="年度亩均效益评价报告(PDF：指标、类别、图件、处置清单、依据)"
    )
    add_inputs(rp)
    rp.add_argument("--out", required=True, metavar="F.pdf", help="输出的 PDF 文件")
    ds = sub.add_parser("dossier", help="宗地体检表(PDF：一宗一份，可按清单整批打印)")
    ds.add_argument("parcel_ids", nargs="*", metavar="宗地编号", help="要打印的宗地编号(可多个)")
    ds.add_argument("--list", choices=LISTS, dest="list_name", help="整张清单：reclaim 无偿收回、"
                    "buyback 收储改造、vacate 腾笼换鸟、densify 零地增资")  # fmt: skip
    ds.add_argument(
        "--tier", choices=TIERS, help="只取清单中的一期：near 近期、mid 中期、reserve 储备"
    )
    ds.add_argument(
        "--data", dest="data_dir", metavar="DIR", help="数据目录(默认 data/，内置示意数据)"
    )
    ds.add_argument(
        "--db",
        metavar="URL",
        help="审核库(默认环境变量 LCGIS_DATABASE_URL，否则本机状态目录中的审核库)",
    )
    ds.add_argument("--rules", metavar="F", help="规则文件(TOML，逐键覆盖默认规则)")
    ds.add_argument("--year", type=int, help="评价年度(默认最新一年)")
    ds.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                    help="评价基准日(默认评价年度的12月31日)")  # fmt: skip
    ds.add_argument("--out", required=True, metavar="F.pdf", help="输出的 PDF 文件")
    ds.set_defaults(parcels=None, buildings=None, enterprises=None, occupancy=None, zones=None,
                    mapping=None)  # fmt: skip


def _check_out(out: str) -> Path:
    path = Path(out)
    if path.suffix.lower() != ".pdf":
        raise UsageError(f"--out 的扩展名应为 .pdf：{out}")
    return path


def _evaluate(args: argparse.Namespace) -> tuple[Any, Any, frozenset[str]]:
    """(dataset, result, parcels delayed by the government) of the command's options."""
    from lcgis.arguments import load_inputs, rules_of
    from lcgis.engine.pipeline import run
    from lcgis.progress import print_progress
    from lcgis.review import government_delay

    rules = rules_of(args)
    ds = load_inputs(args)
    if ds.report.has_errors:
        raise DataError("数据有错误", ds.report)
    delayed = government_delay(rules.idle.government_reason, data_dir=args.data_dir or "data")
    result = run(
        ds,
        rules,
        year=args.year,
        as_of=args.as_of,
        progress=print_progress,
        government_delay=delayed,
    )
    return ds, result, delayed


def _rules_label(args: argparse.Namespace, digest: str) -> str:
    name = Path(args.rules).name if getattr(args, "rules", None) else "默认规则"
    return f"{name}(摘要 {digest[:8]})"


def previous_year(ds: Any, result: Any, delayed: frozenset[str]) -> Any:
    """The year before the evaluated one, judged alike (same distance from its year end)."""
    from lcgis.engine.pipeline import run

    years = [y for y in result.years if result.year is not None and y < result.year]
    if not years or result.year is None:
        return None
    prev = years[-1]
    shift = result.as_of - dt.date(result.year, 12, 31)
    return run(ds, result.rules, year=prev, as_of=dt.date(prev, 12, 31) + shift,
               government_delay=delayed)  # fmt: skip


def cmd_report(args: argparse.Namespace) -> int:
    from lcgis.papers import (
        ReportInfo,
        annual_report_pdf,
        is_illustrative,
        page_count,
        write_pdf,
    )

    out = _check_out(args.out)
    ds, result, delayed = _evaluate(args)
    print("[    ] 生成报告", file=sys.stderr, flush=True)
    data_dir = args.data_dir or "data"
    info = ReportInfo(
        dataset=str(data_dir),
        rules_label=_rules_label(args, result.rules.digest),
        illustrative=is_illustrative(result),
    )
    pdf = annual_report_pdf(result, previous=previous_year(ds, result, delayed), info=info)
    write_pdf(pdf, out)
    print(f"已写出 {out}：{page_count(pdf)} 页，{result.year or '-'} 年度，基准日 {result.as_of}")
    return 0


def cmd_dossier(args: argparse.Namespace) -> int:
    from lcgis.papers import (
        DossierInfo,
        dossiers_pdf,
        is_illustrative,
        list_parcels,
        page_count,
        read_reviews,
        write_pdf,
    )
    from lcgis.vocab import DISPOSITION_LABELS, TIER_LABELS

    out = _check_out(args.out)
    if not args.parcel_ids and not args.list_name:
        raise UsageError("请给出宗地编号，或用 --list 指定清单(reclaim、buyback、vacate、densify)")
    if args.tier and not args.list_name:
        raise UsageError("--tier 需与 --list 一起使用")
    ds, result, _ = _evaluate(args)
    ids = list(args.parcel_ids)
    title = ""
    if args.list_name:
        listed = list_parcels(result, args.list_name, args.tier)
        ids += [i for i in listed if i not in ids]
        tier = f"({TIER_LABELS[args.tier]})" if args.tier else ""
        title = f"{DISPOSITION_LABELS[args.list_name]}候选宗地体检表{tier}"
        if not listed:
            print(f"提示：{title.removesuffix('体检表')}清单为空。", file=sys.stderr)
    if not ids:
        raise DataError("没有要打印的宗地：清单为空，也没有给出宗地编号")
    data_dir = args.data_dir or "data"
    info = DossierInfo(
        title=title,
        dataset=str(data_dir),
        rules_label=_rules_label(args, result.rules.digest),
        illustrative=is_illustrative(result),
    )
    reviews = read_reviews(data_dir=data_dir, db=args.db)
    pdf = dossiers_pdf(result, ids, dataset=ds, reviews=reviews, info=info)
    write_pdf(pdf, out)
    print(f"已写出 {out}：宗地 {len(ids)} 宗，{page_count(pdf)} 页")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "report": cmd_report,
    "dossier": cmd_dossier,
}
