"""Benchmark of the committee's workbook (.xlsx): seconds (CPU and wall) and peak memory.

    python scripts/bench_workbook.py                         # demo, city, 100k, province
    python scripts/bench_workbook.py --tiers demo city       # some tiers
    python scripts/bench_workbook.py --cache DIR             # keep data and results in DIR

Each tier's data is generated (``lcgis.synthetic``; the demo is the embedded one), the
pipeline runs once and its result is pickled into the cache folder (a temporary one unless
``--cache`` names one; a result already there is used again).  Then a fresh process loads
the result and times only the workbook (``lcgis.views.report.write``): CPU seconds
(``time.process_time``), wall seconds and the process's peak resident memory, with the
resident memory after loading the result beside it.  Goals (issue 14): city < 10 s,
province < 90 s in < 3 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = dt.date(2026, 11, 28)
TIERS = ("demo", "city", "100k", "province")
#: Wall-second and peak-memory (GB) goals by tier.
GOALS = {"city": (10.0, None), "province": (90.0, 3.0)}
#: Generated files are larger than the importer's default file cap.
ENV = {**os.environ, "LCGIS_MAX_FILE_MB": "4096"}


def _rss_mb() -> float:
    """The process's resident memory now (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(tier: str, cache: Path) -> Path:
    """The pickled result of ``tier`` in ``cache`` (made when missing)."""
    pkl = cache / f"{tier}.pkl"
    if pkl.exists():
        return pkl
    from lcgis.data import io
    from lcgis.engine.pipeline import run
    from lcgis.rules import load_rules
    from lcgis.synthetic import make_tier

    data = ROOT / "data"
    if tier != "demo":
        data = cache / f"{tier}-data"
        if not (data / "zones.geojson").exists():
            make_tier(data, tier)
    t0 = time.perf_counter()
    result = run(io.read_dataset(data), load_rules(), as_of=AS_OF)
    pkl.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    print(f"  {tier}: 评价用时 {time.perf_counter() - t0:.1f} s，结果存入 {pkl.name}", flush=True)
    return pkl


def measure(pkl: Path, out: Path) -> dict[str, float]:
    """Load the result, write the workbook; seconds and memory."""
    from lcgis.views import report

    result = pickle.loads(pkl.read_bytes())
    loaded = _rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    report.write(result, out)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    size = sum(f.stat().st_size for f in out.parent.glob(f"{out.stem}*"))
    return {
        "parcels": len(result.parcels),
        "cpu": cpu,
        "wall": wall,
        "peak_mb": _peak_mb(),
        "loaded_mb": loaded,
        "size_mb": size / 1e6,
    }


def _child(args: list[str]) -> str:
    cmd = [sys.executable, __file__, *args]
    done = subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.PIPE, text=True)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description="工作簿(.xlsx)基准测试")
    parser.add_argument("--tiers", nargs="+", choices=TIERS, default=list(TIERS))
    parser.add_argument("--cache", type=Path, help="数据与评价结果的缓存目录(默认临时目录)")
    parser.add_argument("--prepare", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.cache)
        return
    if args.measure:
        out = args.cache / "out" / f"{args.measure}.xlsx"
        out.parent.mkdir(exist_ok=True)
        for old in out.parent.glob(f"{out.stem}*"):
            old.unlink()
        print(json.dumps(measure(args.cache / f"{args.measure}.pkl", out)))
        return
    with tempfile.TemporaryDirectory(prefix="lcgis-bench-wb-") as tmp:
        cache = args.cache or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        print("准备评价结果(每个规模运行一次评价)…", flush=True)
        for tier in args.tiers:
            print(_child(["--prepare", tier, "--cache", str(cache)]), end="", flush=True)
        print(f"\n{'规模':<10}{'宗地':>9}{'CPU(s)':>9}{'墙钟(s)':>9}{'峰值内存(MB)':>14}"
              f"{'载入后(MB)':>12}{'文件(MB)':>10}  目标")  # fmt: skip
        for tier in args.tiers:
            m = json.loads(_child(["--measure", tier, "--cache", str(cache)]))
            goal = GOALS.get(tier)
            verdict = ""
            if goal:
                secs, gb = goal
                ok = m["wall"] < secs and (gb is None or m["peak_mb"] < gb * 1024)
                limit = f"< {secs:.0f} s" + (f"，< {gb:.0f} GB" if gb else "")
                verdict = f"{limit}：{'达到' if ok else '未达到'}"
            print(
                f"{tier:<10}{m['parcels']:>9,}{m['cpu']:>9.2f}{m['wall']:>9.2f}"
                f"{m['peak_mb']:>14,.0f}{m['loaded_mb']:>12,.0f}{m['size_mb']:>10.1f}  {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
