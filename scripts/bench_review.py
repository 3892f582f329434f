"""Benchmark of the review store: changes per second with concurrent writer processes.

    python scripts/bench_review.py [--writers 8] [--changes 200] [--parcels 20] [--pg URL]
                                   [--no-sqlite] [--no-pg]

Runs on a fresh SQLite file (WAL, synchronous=FULL) and on fresh PostgreSQL databases. With
``--pg URL`` (or env ``LCGIS_TEST_DATABASE_URL``) on that server only, as it is configured;
else on two throw-away local clusters, when the server programs are installed:

* **CI settings**: ``fsync=off``, ``synchronous_commit=off``, ``full_page_writes=off`` (how
  the test suite runs its server);
* **durable**: the defaults (``fsync=on``, ``synchronous_commit=on``), as an installation's
  server runs. The goal (8 writers ≥ 150 changes/s) is meant for this one.

Each writer process makes ``--changes`` changes to random parcels, half of them stating the
version they read (a read, then the change); every change (accepted or refused as stale) is
one transaction appending one hash-chained history entry. Prints changes/s, per-change latency
(p50, p95, p99; wall time from before the read to after the change), the CPU seconds of the
writers and of the database server, then checks that the history holds exactly one entry per
change, in an unbroken sequence, and the result of :meth:`ReviewStore.verify`. The installation
state (chain key, witness) lives in a temporary folder.
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
GOAL_PER_S = 150.0  # issue 14: PostgreSQL, 8 writers
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
    cpu0 = time.process_time()
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
    cpu = time.process_time() - cpu0
    store.close()
    queue.put((latencies, refused, cpu))


def _server_cpu(url: str) -> float | None:
    """CPU seconds used so far by a local PostgreSQL server (postmaster, its live children and
    the children it has reaped), or ``None`` when its process cannot be read here."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            data_dir = conn.exec_driver_sql("SHOW data_directory").scalar()
        pid = int(Path(str(data_dir), "postmaster.pid").read_text().split()[0])
        tick = os.sysconf("SC_CLK_TCK")

        def fields(p: int) -> list[str]:
            text = Path(f"/proc/{p}/stat").read_text()
            return text[text.rindex(")") + 2 :].split()

        own = fields(pid)  # field 3 (index 0) is the state; utime is field 14 (index 11)
        total = sum(int(x) for x in own[11:15])
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(pid):
                try:
                    f = fields(int(entry.name))
                except OSError:
                    continue
                if int(f[1]) == pid:  # ppid
                    total += int(f[11]) + int(f[12])
        return total / tick
    except (OSError, ValueError, IndexError, sa.exc.SQLAlchemyError):
        return None
    finally:
        engine.dispose()


def _settings(url: str) -> str:
    """The server's durability settings, e.g. ``fsync=on synchronous_commit=on``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            names = ("fsync", "synchronous_commit", "full_page_writes")
            return " ".join(f"{n}={conn.exec_driver_sql(f'SHOW {n}').scalar()}" for n in names)
    finally:
        engine.dispose()


def run(url: str, writers: int, changes: int, parcels: int) -> dict[str, Any]:
    """Time ``writers`` processes × ``changes`` changes on the store at ``url``."""
    from lcgis.review import ReviewStore

    with ReviewStore(url) as store:
        for w in range(writers):
            if store.get_user(f"bench{w}") is None:
                store.add_user(f"bench{w}", "bench-password", "reviewer")
        seq0 = len(store.history())
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(url, w, changes, parcels, barrier, queue))
        for w in range(writers)
    ]
    for p in procs:
        p.start()
    server = _server_cpu(url) if url.startswith("postgresql") else None
    barrier.wait()
    start = time.perf_counter()
    results = [queue.get(timeout=1200) for _ in procs]
    elapsed = time.perf_counter() - start
    for p in procs:
        p.join()
    if server is not None:
        after = _server_cpu(url)
        server = None if after is None else after - server
    latencies = sorted(x for lat, _, _ in results for x in lat)
    total = len(latencies)
    with ReviewStore(url) as store:
        check = store.verify()
        history = store.history()
    seqs = [e.seq for e in history]
    notes = [e.new.get("note") for e in history[seq0:]]
    exact = (
        len(history) - seq0 == total
        and seqs == list(range(1, len(seqs) + 1))
        and len(set(notes)) == len(notes)
    )

    def pct(q: float) -> float:
        return latencies[min(total - 1, round(q * (total - 1)))] * 1000

    return {
        "changes": total,
        "refused": sum(r for _, r, _ in results),
        "seconds": elapsed,
        "per_s": total / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "writer_cpu_ms": sum(c for _, _, c in results) / total * 1000,
        "server_cpu_ms": None if server is None else server / total * 1000,
        "verify": check.ok,
        "verify_message": check.message,
        "entries": check.entries,
        "exact": exact,
    }


def _report(name: str, writers: int, r: dict[str, Any]) -> None:
    server = "-" if r["server_cpu_ms"] is None else f"{r['server_cpu_ms']:.2f}"
    print(
        f"{name:<22} {writers:>2} writers: {r['changes']:>5.0f} changes in {r['seconds']:6.2f} s"
        f" = {r['per_s']:6.0f} changes/s; latency p50 {r['p50_ms']:6.1f} ms, p95 "
        f"{r['p95_ms']:6.1f} ms, p99 {r['p99_ms']:6.1f} ms; CPU per change: writer "
        f"{r['writer_cpu_ms']:.2f} ms, server {server} ms; refused as stale {r['refused']:.0f}",
        flush=True,
    )
    verdict = "ok" if r["verify"] else f"FAILED: {r['verify_message']}"
    counts = "exact" if r["exact"] else "WRONG (lost, duplicated or out of sequence)"
    print(f"{'':<22}    verify {verdict} ({r['entries']} entries); history counts {counts}")
    if not r["verify"] or not r["exact"]:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--changes", type=int, default=200, help="changes per writer")
    parser.add_argument("--parcels", type=int, default=20)
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is created)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()

    from tests.pgserver import find_bindir, fresh_database, temporary_postgres

    print(f"CPU cores: {os.cpu_count()}; {args.changes} changes per writer, {args.parcels} parcels")
    counts = sorted({1, args.writers})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LCGIS_STATE_DIR"] = str(Path(tmp) / "state")  # inherited by the writers
        if not args.no_sqlite:
            for writers in counts:
                url = f"sqlite:///{tmp}/bench-{writers}.sqlite"
                _report("SQLite", writers, run(url, writers, args.changes, args.parcels))
        if args.no_pg:
            return
        with ExitStack() as stack:
            given = args.pg or os.environ.get("LCGIS_TEST_DATABASE_URL")
            if given:
                servers = [("PostgreSQL", given)]
            elif find_bindir() is None:
                print("PostgreSQL: no server given and none installed; skipped")
                return
            else:
                servers = [
                    ("PostgreSQL CI", stack.enter_context(temporary_postgres(fast=True))),
                    ("PostgreSQL durable", stack.enter_context(temporary_postgres(fast=False))),
                ]
            best: dict[str, float] = {}
            for name, server in servers:
                print(f"{name}: {_settings(server)}", flush=True)
                for writers in counts:
                    with fresh_database(server, prefix="lcgis_bench") as url:
                        result = run(url, writers, args.changes, args.parcels)
                    _report(name, writers, result)
                    if writers == args.writers:
                        best[name] = result["per_s"]
            for name, per_s in best.items():
                met = "met" if per_s >= GOAL_PER_S else "NOT met"
                print(
                    f"goal {name}, {args.writers} writers ≥ {GOAL_PER_S:.0f} changes/s: "
                    f"{per_s:.0f}/s, {met}"
                )


if __name__ == "__main__":
    main()
