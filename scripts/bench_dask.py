"""Benchmark of ``--engine dask`` beside the single-machine path, per stage.

    python scripts/bench_dask.py                       # city and province tiers, generated
    python scripts/bench_dask.py --tier city           # one tier
    python scripts/bench_dask.py --data DIR [--data DIR2]   # dataset folders instead
    python scripts/bench_dask.py --processes           # a LocalCluster of worker processes
    python scripts/bench_dask.py --scheduler tcp://host:8786   # an existing cluster

Per path, wall and CPU seconds of every stage: reading the files (the Dask path: the
parcels and buildings by the workers, in pieces), the data layer's checks and projection
(the same code on the gathered tables, in both paths), then the evaluation's stages; and
the start of the cluster.  CPU is this process's (the threads of an in-process cluster
included) plus the workers' processes when there are any.  Then every output field and the
report of the two results are compared as ``scripts/snapshot.py compare`` does.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import pickle
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcgis.data import io
from lcgis.engine import partitioned, pipeline
from lcgis.rules import load_rules
from lcgis.synthetic import TIERS, make_tier

ROOT = Path(__file__).resolve().parents[1]


def _snapshot() -> Any:
    spec = importlib.util.spec_from_file_location("snapshot", ROOT / "scripts" / "snapshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


snapshot = _snapshot()


class Clock:
    """Wall and CPU seconds; ``workers`` adds the CPU of a cluster's worker processes."""

    def __init__(self, client: Any = None) -> None:
        self.client = client
        self.wall, self.cpu = time.perf_counter(), self._cpu()

    def _cpu(self) -> float:
        own = time.process_time()
        if self.client is None:
            return own
        import os

        here = os.getpid()
        times = self.client.run(lambda: (os.getpid(), time.process_time()))
        return own + sum(cpu for pid, cpu in times.values() if pid != here)

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), self._cpu()
        out = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return out


class Timed:
    """A reader that adds up the wall and CPU seconds spent in it (reading the files)."""

    def __init__(self, reader: io.Reader, client: Any) -> None:
        self.reader, self.client = reader, client
        self.wall = self.cpu = 0.0

    def __call__(self, *args: Any) -> Any:
        clock = Clock(self.client)
        try:
            return self.reader(*args)
        finally:
            wall, cpu = clock.lap()
            self.wall, self.cpu = self.wall + wall, self.cpu + cpu


Stages = list[tuple[str, float, float]]


def _read(data: Path, reader: io.Reader, client: Any) -> tuple[io.Dataset, Stages]:
    timed = Timed(reader, client)
    clock = Clock(client)
    ds = io.read_dataset(data, reader=timed)
    wall, cpu = clock.lap()
    return ds, [
        ("读取文件", timed.wall, timed.cpu),
        ("检查与投影", wall - timed.wall, cpu - timed.cpu),
    ]


def _evaluate(ds: io.Dataset, kernels: Any, client: Any) -> tuple[Any, Stages]:
    rules = load_rules()
    clock = Clock(client)
    marks: Stages = []

    def progress(name: str, _share: float) -> None:
        wall, cpu = clock.lap()
        marks.append((name, wall, cpu))

    args: dict[str, Any] = {} if kernels is None else {"kernels": kernels}
    result = pipeline.run(ds, rules, as_of=snapshot.AS_OF, progress=progress, **args)
    stages = [(a[0], b[1], b[2]) for a, b in itertools.pairwise(marks)]
    return result, stages


def _save(result: pipeline.Result, out: Path) -> Path:
    snap = {name: snapshot._plain(getattr(result, name)) for name in snapshot.FRAMES}
    snap["report"] = result.report.to_frame()
    out.write_bytes(pickle.dumps(snap))
    return out


def _cells(name: str, *cells: float | str) -> str:
    """One line of the table: the name padded to 16 columns (a Chinese character is two
    wide), then cells of 11.

    >>> _cells("企业评价", 1.0, "CPU")
    '企业评价               1.00        CPU'
    """
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in name)
    text = [f"{c:.2f}" if isinstance(c, float) else c for c in cells]
    out = name + " " * max(0, 16 - width)
    for t in text:
        w = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in t)
        out += " " * max(1, 11 - w) + t
    return out


def _table(local: Stages, spread: Stages) -> None:
    print(_cells("阶段", "本机 墙钟", "本机 CPU", "Dask 墙钟", "Dask CPU"))
    sums: dict[str, list[float]] = {"读取合计": [0.0] * 4, "评价合计": [0.0] * 4}
    for i, ((name, lw, lc), (_, dw, dc)) in enumerate(zip(local, spread, strict=True)):
        print(_cells(name, lw, lc, dw, dc))
        part = sums["读取合计" if i < 2 else "评价合计"]
        for j, value in enumerate((lw, lc, dw, dc)):
            part[j] += value
    total = [a + b for a, b in zip(*sums.values(), strict=True)]
    for name, row in [*sums.items(), ("全部合计", total)]:
        print(_cells(name, *row))
    print(f"Dask / 本机(全部)：墙钟 {total[2] / total[0]:.2f} 倍，CPU {total[3] / total[1]:.2f} 倍")


def bench(data: Path, label: str, args: argparse.Namespace) -> None:
    print(f"\n== {label}")
    ds, local_read = _read(data, io.read_raw, None)
    n_b = 0 if ds.buildings is None else len(ds.buildings)
    n_e = 0 if ds.enterprises is None else len(ds.enterprises)
    print(f"宗地 {len(ds.parcels):,} 宗，建筑 {n_b:,} 栋，企业 {n_e:,} 条")
    local, local_stages = _evaluate(ds, None, None)
    del ds
    start = Clock()
    with partitioned.client_for(args.scheduler, processes=args.processes) as client:
        up = start.lap()
        counted = client if args.processes else None
        reader = partitioned.PieceReader(client, args.per_piece)
        ds, dask_read = _read(data, reader, counted)
        kernels = partitioned.Partitioned(client, args.per_partition)
        spread, dask_stages = _evaluate(ds, kernels, counted)
        del ds
        workers = len(client.nthreads())
        threads = sum(client.nthreads().values())
        n_parts = len(kernels._parts[1]) if kernels._parts else 0
    pieces = "、".join(f"{k} {v} 片" for k, v in reader.pieces.items() if v)
    print(f"Dask：{workers} 个 worker、{threads} 个线程；由 worker 分片读取：{pieces or '无'}；"
          f"{n_parts} 个空间分区；集群启动 墙钟 {up[0]:.2f} 秒，CPU {up[1]:.2f} 秒")  # fmt: skip
    _table(local_read + local_stages, dask_read + dask_stages)
    if args.no_compare:
        return
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _save(local, Path(tmp) / "local.pkl"), _save(spread, Path(tmp) / "dask.pkl")
        print("逐字段比较(含检查报告)：", end="", flush=True)
        bad = snapshot.compare(a, b)
    if bad:
        raise SystemExit("Dask 路径的结果与本机不同")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", action="append", choices=sorted(TIERS), help="规模(可重复)")
    parser.add_argument("--data", type=Path, action="append", help="改用这个数据目录(可重复)")
    parser.add_argument("--processes", action="store_true", help="本机集群用多个进程")
    parser.add_argument("--scheduler", help="已有集群的调度器地址")
    parser.add_argument(
        "--per-partition", type=int, default=partitioned.PARCELS_PER_PARTITION, help="每区宗地数"
    )
    parser.add_argument(
        "--per-piece", type=int, default=partitioned.FEATURES_PER_PIECE, help="每片读取要素数"
    )
    parser.add_argument("--no-compare", action="store_true", help="不逐字段比较")
    args = parser.parse_args()
    if args.data:
        for data in args.data:
            bench(data, data.name, args)
        return
    for tier in args.tier or ["city", "province"]:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            make_tier(Path(tmp), tier)
            print(f"\n(生成 {tier} 数据 {time.perf_counter() - t:.1f} 秒)")
            bench(Path(tmp), f"{tier}(生成数据)", args)


if __name__ == "__main__":
    main()
