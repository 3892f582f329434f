"""Write ``data/movers_example.csv``: illustrative movers (示意数据) for the demo park.

    python scripts/make_movers_example.py [DATA_DIR] [--seed N]

The movers are drawn by :func:`demo_movers` from the evaluated demo data (same seed, same
file); regenerate the file whenever the demo data changes, since in-park movers name parcels
of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcgis.data.atomic import atomic_output
from lcgis.data.io import read_dataset
from lcgis.demo import DEFAULT_SEED, REFERENCE_DATE
from lcgis.engine.pipeline import run
from lcgis.rules import load_rules


def demo_movers(
    parcels: pd.DataFrame, n_outside: int = 10, n_inside: int = 4, seed: int = 350502
) -> pd.DataFrame:
    """Illustrative movers (示意数据) for the demo park, reproducible by ``seed``.

    Outside firms get a need near the land of a free parcel of a zone whose leading
    industries include theirs (two leave their expected figures empty, one needs the land of
    two touching parcels, one has an industry no zone leads, one needs more land than any
    site offers); in-park firms are main occupants of low-yield parcels, moving with their
    credit code and current parcel.  Land in its agreed construction period (在建) is not
    free, though nothing may stand on it yet.  ``parcels`` is ``Result.parcels`` of the demo.
    """
    rng = np.random.default_rng(seed)
    p = parcels.reset_index(drop=True)
    free = (
        p["idle"].fillna(False).astype(bool)
        | p["undeveloped"].fillna(False).astype(bool)
        | p["vacate_candidate"].fillna(False).astype(bool)
    ) & p["zone_leading_industries"].notna()
    if "in_construction" in p:
        free &= ~p["in_construction"].fillna(False).astype(bool)
    pool = p[free].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    rows: list[dict[str, object]] = []
    for k in range(n_outside):
        site = pool.iloc[k % len(pool)]
        codes = str(site["zone_leading_industries"]).replace("，", ",").split(",")
        ind = str(rng.choice(codes)).strip()
        need = float(site["land_area_mu"]) * rng.uniform(0.92, 1.08)
        tax = round(float(rng.uniform(18, 45)), 1)
        rows.append(
            {
                "mover_id": f"M{k + 1:03d}",
                "name": f"示意迁入企业{k + 1}",
                "credit_code": "",
                "need_mu": round(need, 1),
                "industry_code": ind + f"{rng.integers(10, 99)}",
                "expected_output_per_mu": round(tax * rng.uniform(25, 40), 0),
                "expected_tax_per_mu": tax,
                "current_parcel_id": "",
            }
        )
    for k in (2, 5):  # expected figures left empty: the zone benchmark is used
        if k < len(rows):
            rows[k]["expected_output_per_mu"] = np.nan
            rows[k]["expected_tax_per_mu"] = np.nan
    if len(rows) > 3:
        rows[3]["industry_code"] = "2110"  # 木质家具制造: no zone leads it
    if len(rows) > 4:
        rows[4]["need_mu"] = round(float(p["land_area_mu"].sum()) / 3, 1)  # too large anywhere
    if len(rows) > 6:
        rows[6].update(_merge_need(p, free, rng))
    low = p[
        p["main_credit_code"].notna()
        & p["n_occupants"].fillna(0).eq(1)
        & p["parcel_class"].isin(["C", "D"])
        & ~free
    ].sort_values("tax_per_mu")
    low = low.drop_duplicates("main_credit_code")
    for k, (_, par) in enumerate(low.head(n_inside).iterrows()):
        tax = round(float(par["zone_tax_per_mu"]) * rng.uniform(1.6, 2.4), 1)
        rows.append(
            {
                "mover_id": f"T{k + 1:03d}",
                "name": f"示意腾挪企业{k + 1}",
                "credit_code": str(par["main_credit_code"]),
                "need_mu": round(float(par["land_area_mu"]) * rng.uniform(1.0, 1.15), 1),
                "industry_code": str(par["main_industry_code"]),
                "expected_output_per_mu": round(tax * rng.uniform(25, 40), 0),
                "expected_tax_per_mu": tax,
                "current_parcel_id": str(par["parcel_id"]),
            }
        )
    out = pd.DataFrame(rows)
    out["remark"] = "示意数据"
    return out


def _merge_need(p: pd.DataFrame, free: pd.Series, rng: np.random.Generator) -> dict[str, object]:
    """Need and industry of a mover that only two touching free parcels of a zone can house."""
    f = p[free].reset_index(drop=True)
    g = np.asarray(f.geometry.values, dtype=object)
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    keep = (i < j) & (f["zone_id"].to_numpy()[i] == f["zone_id"].to_numpy()[j])
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(g[i]), shapely.boundary(g[j])))
    land, zone = f["land_area_mu"].to_numpy(), f["zone_id"].to_numpy()
    both = land[i] + land[j]
    # a pair whose total no single free parcel of its zone comes within ±22% of
    ok = [
        k
        for k in np.flatnonzero(shared >= 1.0)
        if not np.any((zone == zone[i[k]]) & (land >= both[k] * 0.78) & (land <= both[k] * 1.22))
    ]
    if not ok:
        return {}
    k = ok[int(rng.integers(len(ok)))]
    codes = str(f["zone_leading_industries"].iloc[i[k]]).replace("，", ",").split(",")
    return {"need_mu": round(float(both[k]), 1), "industry_code": codes[0].strip() + "11"}


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", nargs="?", default=str(root / "data"))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    data = Path(args.data_dir)
    result = run(read_dataset(data), load_rules(), as_of=REFERENCE_DATE)
    movers = demo_movers(result.parcels, seed=args.seed)
    out = data / "movers_example.csv"
    with atomic_output(out) as tmp:
        movers.to_csv(tmp, index=False, encoding="utf-8-sig")
    print(f"已写出 {out}：搬迁企业 {len(movers)} 家(示意数据，基准日 {REFERENCE_DATE})")


if __name__ == "__main__":
    main()
