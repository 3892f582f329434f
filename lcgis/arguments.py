"""The command line's shared arguments: the inputs a command reads, and loading them.

Used by :mod:`lcgis.cli` and the commands it registers (:mod:`lcgis.papers.cli`).
"""

from __future__ import annotations

import argparse
import datetime as dt

from lcgis.data.io import Dataset, Reader, read_dataset, read_raw
from lcgis.rules import Rules, load_rules


def date_arg(text: str) -> dt.date:
    """A date option (YYYY-MM-DD, years 1900–2100)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD：{text}") from exc
    if not 1900 <= day.year <= 2100:
        raise argparse.ArgumentTypeError(f"日期应在 1900–2100 年之间：{text}")
    return day


def year_arg(text: str) -> int:
    """A year option (1900–2100)."""
    try:
        year = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"年度应为四位整数，如 2025：{text}") from exc
    if not 1900 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"年度应在 1900–2100 之间：{text}")
    return year


def seconds_arg(text: str) -> float:
    """A time limit in seconds (above 0)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"求解时限应为大于 0 的秒数：{text}")
    return value


def add_inputs(sp: argparse.ArgumentParser, *, evaluation: bool = True) -> None:
    """The input options of a command: the data folder, layer files, mapping, and for an
    evaluation the rules, the year and the date."""
    sp.add_argument("data_dir", nargs="?", default=None, help="数据目录(默认 data/，内置示意数据)")
    for layer, zh in (
        ("parcels", "宗地"),
        ("buildings", "建筑"),
        ("enterprises", "企业年度数据"),
        ("occupancy", "用地关系"),
        ("zones", "片区"),
    ):
        sp.add_argument(f"--{layer}", metavar="F", help=f"{zh}文件(覆盖数据目录中的同名图层)")
    sp.add_argument("--mapping", metavar="F", help="字段映射 mapping.toml")
    if evaluation:
        sp.add_argument("--rules", metavar="F", help="规则文件(TOML，逐键覆盖默认规则)")
        sp.add_argument("--year", type=year_arg, help="评价年度(默认最新一年)")
        sp.add_argument(
            "--as-of",
            type=date_arg,
            dest="as_of",
            help="评价基准日 YYYY-MM-DD(默认评价年度的12月31日；只影响闲置土地等时限)",
        )


def load_inputs(args: argparse.Namespace, reader: Reader = read_raw) -> Dataset:
    """The dataset the command's input options name (``data`` when none), each file read by
    ``reader`` (``--engine dask``: the cluster's)."""
    data_dir = args.data_dir
    explicit = any(getattr(args, k, None) for k in ("parcels",))
    if data_dir is None and not explicit:
        data_dir = "data"
    return read_dataset(
        data_dir,
        parcels=args.parcels,
        buildings=args.buildings,
        enterprises=args.enterprises,
        occupancy=args.occupancy,
        zones=args.zones,
        mapping=args.mapping,
        reader=reader,
    )


def rules_of(args: argparse.Namespace) -> Rules:
    """The rules file of ``--rules``, else the default rules."""
    return load_rules(args.rules) if getattr(args, "rules", None) else load_rules()
