"""Benchmark of ``--engine dask`` beside the single-machine path, on generated tiers.

    python scripts/bench_dask.py                       # city and province tiers
    python scripts/bench_dask.py --tier city           # one tier
    python scripts/bench_dask.py --data DIR            # a dataset folder instead
    python scripts/bench_dask.py --processes           # a LocalCluster of worker processes
    python scripts/bench_dask.py --scheduler tcp://host:8786   # an existing cluster

Per path: wall and CPU seconds of the evaluation (reading is the same code for both and is
timed once), by stage, and the start of the cluster.  CPU is this process's (the threads of
an in-process cluster included) plus the workers' processes when there are any.  Then every
output field of the two results is compared as ``scripts/snapshot.py compare`` does.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import pickle
import sys
import tempfile
import time
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


def _evaluate(
    ds: io.Dataset, kernels: Any, client: Any
) -> tuple[Any, list[tuple[str, float, float]]]:
    rules = load_rules()
    clock = Clock(client)
    marks: list[tuple[str, float, float]] = []

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


def bench(data: Path, label: str, args: argparse.Namespace) -> None:
    print(f"\n== {label}")
    t = time.perf_counter()
    ds = io.read_dataset(data)
    n_b = 0 if ds.buildings is None else len(ds.buildings)
    n_e = 0 if ds.enterprises is None else len(ds.enterprises)
    print(f"宗地 {len(ds.parcels):,} 宗，建筑 {n_b:,} 栋，企业 {n_e:,} 条；读取与检查 "
          f"{time.perf_counter() - t:.1f} 秒(两种路径相同)")  # fmt: skip
    local, local_stages = _evaluate(ds, None, None)
    start = Clock()
    with partitioned.client_for(args.scheduler, processes=args.processes) as client:
        up = start.lap()
        kernels = partitioned.Partitioned(client, args.per_partition)
        spread, dask_stages = _evaluate(ds, kernels, client if args.processes else None)
        workers = len(client.nthreads())
        threads = sum(client.nthreads().values())
        n_parts = len(kernels._parts[1]) if kernels._parts else 0
    print(f"Dask：{workers} 个 worker、{threads} 个线程，{n_parts} 个分区；集群启动 "
          f"墙钟 {up[0]:.2f} 秒，CPU {up[1]:.2f} 秒")  # fmt: skip
    print(f"{'阶段':<14}{'本机 墙钟':>10}{'本机 CPU':>10}{'Dask 墙钟':>11}{'Dask CPU':>10}")
    total = [0.0, 0.0, 0.0, 0.0]
    for (name, lw, lc), (_, dw, dc) in zip(local_stages, dask_stages, strict=True):
        print(f"{name:<14}{lw:>10.2f}{lc:>10.2f}{dw:>11.2f}{dc:>10.2f}")
        for i, v in enumerate((lw, lc, dw, dc)):
            total[i] += v
    print(f"{'评价合计':<14}{total[0]:>10.2f}{total[1]:>10.2f}{total[2]:>11.2f}{total[3]:>10.2f}")
    print(f"Dask / 本机：墙钟 {total[2] / total[0]:.2f} 倍，CPU {total[3] / total[1]:.2f} 倍")
    if args.no_compare:
        return
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _save(local, Path(tmp) / "local.pkl"), _save(spread, Path(tmp) / "dask.pkl")
        print("逐字段比较：", end="", flush=True)
        bad = snapshot.compare(a, b)
    if bad:
        raise SystemExit("Dask 路径的结果与本机不同")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", action="append", choices=sorted(TIERS), help="规模(可重复)")
    parser.add_argument("--data", type=Path, help="改用这个数据目录")
    parser.add_argument("--processes", action="store_true", help="本机集群用多个进程")
    parser.add_argument("--scheduler", help="已有集群的调度器地址")
    parser.add_argument(
        "--per-partition", type=int, default=partitioned.PARCELS_PER_PARTITION, help="每区宗地数"
    )
    parser.add_argument("--no-compare", action="store_true", help="不逐字段比较")
    args = parser.parse_args()
    if args.data:
        bench(args.data, str(args.data), args)
        return
    for tier in args.tier or ["city", "province"]:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            make_tier(Path(tmp), tier)
            print(f"\n(生成 {tier} 数据 {time.perf_counter() - t:.1f} 秒)")
            bench(Path(tmp), f"{tier}(生成数据)", args)


if __name__ == "__main__":
    main()
