"""Benchmark of the review store: changes per second with concurrent writer processes.

    python scripts/bench_review.py [--writers 8] [--changes 200] [--parcels 20] [--pg URL]

Runs on a fresh SQLite file (WAL, synchronous=FULL) and on a fresh PostgreSQL database: the
server at ``--pg`` / env ``LCGIS_TEST_DATABASE_URL``, else a throw-away local cluster with
durable commits (fsync on), when the server programs are installed. Each writer process
makes ``--changes`` changes to random parcels, half of them stating the version they read;
every change (accepted or refused as stale) is one transaction appending one hash-chained
history entry. Prints changes/s and per-change latency, then checks the chain.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DS = "bench"  # the dataset the benchmark reviews
sys.path.insert(0, str(ROOT))


def _writer(url: str, worker: int, n: int, parcels: int, barrier: Any, queue: Any) -> None:
    from lcgis.errors import StaleVersionError
    from lcgis.review import STATUSES, ReviewStore, User

    store = ReviewStore(url)
    store.get("warm-up", dataset=DS)
    user = User(f"bench{worker}", "reviewer")
    rng = random.Random(worker)
    latencies: list[float] = []
    refused = 0
    barrier.wait()
    for i in range(n):
        parcel = f"P{rng.randrange(parcels):04d}"
        t0 = time.perf_counter()
        expect = None
        if rng.random() < 0.5:
            current = store.get(parcel, dataset=DS)
            expect = current.version if current else 0
        try:
            store.set_review(
                parcel,
                dataset=DS,
                by=user,
                status=rng.choice(STATUSES),
                note=f"{worker}-{i}",
                expect_version=expect,
            )
        except StaleVersionError:
            refused += 1
        latencies.append(time.perf_counter() - t0)
    store.close()
    queue.put((latencies, refused))


def run(url: str, writers: int, changes: int, parcels: int) -> dict[str, float]:
    """Time ``writers`` processes × ``changes`` changes on the store at ``url``."""
    from lcgis.review import ReviewStore

    with ReviewStore(url) as store:
        for w in range(writers):
            if store.get_user(f"bench{w}") is None:
                store.add_user(f"bench{w}", "bench-password", "reviewer")
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, w, changes, parcels, barrier, queue))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    results = [queue.get(timeout=600) for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    total = len(latencies)
    with ReviewStore(url) as store:
        check = store.verify()
    if not check.ok:
        raise SystemExit(f"verify failed: {check.message}")
    return {
        "changes": total,
        "refused": sum(r for _, r in results),
        "seconds": elapsed,
        "per_s": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(0.95 * (total - 1))] * 1000,
        "entries": check.entries,
    }


def _report(name: str, writers: int, r: dict[str, float]) -> None:
    print(
        f"{name:<11} {writers:>2} writers: {r['changes']:>5.0f} changes in {r['seconds']:6.2f} s = "
        f"{r['per_s']:7.0f} changes/s (refused as stale {r['refused']:.0f}; "
        f"latency p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--changes", type=int, default=200, help="changes per writer")
    parser.add_argument("--parcels", type=int, default=20)
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is created)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()

    from tests.pgserver import find_bindir, fresh_database, temporary_postgres

    print(f"CPU cores: {os.cpu_count()}; {args.changes} changes per writer, {args.parcels} parcels")
    with tempfile.TemporaryDirectory() as tmp:
        for writers in sorted({1, args.writers}):
            url = f"sqlite:///{tmp}/bench-{writers}.sqlite"
            _report("SQLite", writers, run(url, writers, args.changes, args.parcels))
    if args.no_pg:
        return
    with ExitStack() as stack:
        server = args.pg or os.environ.get("LCGIS_TEST_DATABASE_URL")
        if not server:
            if find_bindir() is None:
                print("PostgreSQL: no server given and none installed; skipped")
                return
            server = stack.enter_context(temporary_postgres(fast=False))
        for writers in sorted({1, args.writers}):
            with fresh_database(server, prefix="lcgis_bench") as url:
                _report("PostgreSQL", writers, run(url, writers, args.changes, args.parcels))


if __name__ == "__main__":
    main()
