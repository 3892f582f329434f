"""Speed and memory of the committee papers (PDF) on a dataset (default: the embedded demo).

    python scripts/bench_pdf.py [DATA_DIR] [--parcels 60]

Each job runs in a fresh Python process, as the command line does (cold: fonts, imports,
evaluation), and prints its stages.  Budgets (exit 1 when one is missed):

* annual report: read + evaluate the year and the year before + typeset, < 15 s;
* dossiers of a 60-parcel list (the lists in order: 收储改造, 腾笼换鸟, 零地增资, …):
  read + evaluate + typeset, < 30 s;
* peak memory of each process (resident set), < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_REPORT_S, BUDGET_DOSSIERS_S, BUDGET_MB = 15.0, 30.0, 1024.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def job(kind: str, data_dir: str, n: int) -> dict[str, float]:
    """One job in this process: its stage times (s), pages, size and peak memory."""
    t0 = time.perf_counter()
    from lcgis import papers
    from lcgis.data.io import read_dataset
    from lcgis.engine.pipeline import run
    from lcgis.papers.cli import previous_year
    from lcgis.rules import load_rules

    ds = read_dataset(data_dir)
    rules = load_rules()
    result = run(ds, rules)
    t1 = time.perf_counter()
    out: dict[str, float] = {"read_evaluate_s": t1 - t0}
    if kind == "report":
        prev = previous_year(ds, result, frozenset())
        t2 = time.perf_counter()
        out["previous_year_s"] = t2 - t1
        pdf = papers.annual_report_pdf(
            result, previous=prev, info=papers.ReportInfo(dataset=str(data_dir))
        )
    else:
        ids: list[str] = []
        for d in ("reclaim", "buyback", "vacate", "densify"):
            ids += papers.list_parcels(result, d)
        ids = ids[:n]
        out["parcels"] = len(ids)
        t2 = time.perf_counter()
        pdf = papers.dossiers_pdf(result, ids, dataset=ds)
    t3 = time.perf_counter()
    out.update(
        pdf_s=t3 - t2,
        total_s=t3 - t0,
        pages=papers.page_count(pdf),
        size_mb=len(pdf) / 1e6,
        peak_mb=_peak_mb(),
    )
    return out


def run_job(kind: str, data_dir: str, n: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, data_dir, "--job", kind, "--parcels", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", default=str(ROOT / "data"))
    ap.add_argument("--parcels", type=int, default=60)
    ap.add_argument("--job", choices=("report", "dossiers"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.job:
        print(json.dumps(job(args.job, args.data_dir, args.parcels)))
        return 0
    ok = True
    report = run_job("report", args.data_dir, args.parcels)
    print(
        f"annual report: read+evaluate {report['read_evaluate_s']:.1f} s, year before "
        f"{report['previous_year_s']:.1f} s, PDF {report['pdf_s']:.1f} s, total "
        f"{report['total_s']:.1f} s (budget {BUDGET_REPORT_S:.0f} s); {report['pages']:.0f} pages, "
        f"{report['size_mb']:.1f} MB; peak memory {report['peak_mb']:.0f} MB"
    )
    ok &= report["total_s"] < BUDGET_REPORT_S and report["peak_mb"] < BUDGET_MB
    dossiers = run_job("dossiers", args.data_dir, args.parcels)
    print(
        f"dossiers of {dossiers['parcels']:.0f} parcels: read+evaluate "
        f"{dossiers['read_evaluate_s']:.1f} s, PDF {dossiers['pdf_s']:.1f} s "
        f"({dossiers['pdf_s'] / max(dossiers['parcels'], 1):.2f} s a parcel), total "
        f"{dossiers['total_s']:.1f} s (budget {BUDGET_DOSSIERS_S:.0f} s); "
        f"{dossiers['pages']:.0f} pages, {dossiers['size_mb']:.1f} MB; "
        f"peak memory {dossiers['peak_mb']:.0f} MB"
    )
    ok &= dossiers["total_s"] < BUDGET_DOSSIERS_S and dossiers["peak_mb"] < BUDGET_MB
    print("within budget" if ok else "OVER BUDGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
