"""Save every output field of an evaluation, and compare two saves (for refactors that must
not move a number).

    python scripts/snapshot.py save DATA_DIR OUT.pkl [--engine dask]
    python scripts/snapshot.py compare A.pkl B.pkl      # exit 1 when a field differs

A save holds the result's parcels (geometry as WKB), enterprises, zones, allocation, history,
plan figures and the quality report.  Numbers are equal when both are missing or they agree
to 1e-9 (relative); everything else must be equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = dt.date(2026, 11, 28)
FRAMES = ("parcels", "enterprises", "zones", "allocation", "history", "plan_figures")


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame).copy()
    for col in out.columns:
        if str(out[col].dtype) == "geometry":
            out[col] = shapely.to_wkb(np.asarray(out[col], dtype=object))
    return pd.DataFrame(out)


def save(data_dir: Path, out: Path, engine: str = "local") -> None:
    from lcgis.data import io
    from lcgis.engine.pipeline import run
    from lcgis.rules import load_rules

    if engine == "dask":  # read on the cluster too
        from lcgis.engine import partitioned

        def read(reader: io.Reader) -> io.Dataset:
            return io.read_dataset(data_dir, reader=reader)

        result = partitioned.run_files(read, load_rules(), as_of=AS_OF)
    else:
        result = run(io.read_dataset(data_dir), load_rules(), as_of=AS_OF, engine=engine)
    snap = {name: _plain(getattr(result, name)) for name in FRAMES}
    snap["report"] = result.report.to_frame()
    out.write_bytes(pickle.dumps(snap))
    print(f"已保存 {out}：" + "，".join(f"{k} {len(v):,} 行" for k, v in snap.items()))


def _same(a: pd.Series, b: pd.Series) -> bool:
    both_na = a.isna().to_numpy() & b.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        if pd.api.types.is_bool_dtype(a) != pd.api.types.is_bool_dtype(b):
            return False
        x = a.to_numpy(dtype=float, na_value=np.nan)
        y = b.to_numpy(dtype=float, na_value=np.nan)
        close = np.isclose(x, y, rtol=1e-9, atol=0.0, equal_nan=False)
        return bool((close | both_na).all())
    eq = [_eq(x, y) for x, y in zip(a.astype(object), b.astype(object), strict=True)]
    return bool((np.asarray(eq, dtype=bool) | both_na).all())


def _eq(x: object, y: object) -> bool:
    if pd.api.types.is_scalar(x) and pd.api.types.is_scalar(y) and (pd.isna(x) or pd.isna(y)):
        return bool(pd.isna(x) and pd.isna(y))
    return bool(np.all(x == y))


def compare(a_path: Path, b_path: Path) -> int:
    a, b = pickle.loads(a_path.read_bytes()), pickle.loads(b_path.read_bytes())
    bad = 0
    for name in (*FRAMES, "report"):
        fa, fb = a[name], b[name]
        if list(fa.columns) != list(fb.columns):
            print(f"{name}: 列不同 {sorted(set(fa.columns) ^ set(fb.columns))}")
            bad += 1
        if len(fa) != len(fb) or not fa.index.equals(fb.index):
            print(f"{name}: 行不同 ({len(fa)} / {len(fb)})")
            bad += 1
            continue
        for col in [c for c in fa.columns if c in fb.columns]:
            if not _same(fa[col], fb[col]):
                print(f"{name}.{col}: 取值不同 ({fa[col].dtype} / {fb[col].dtype})")
                bad += 1
    print("完全一致" if not bad else f"不一致 {bad} 处")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("data_dir", type=Path)
    s.add_argument("out", type=Path)
    s.add_argument("--engine", default="local")
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = parser.parse_args()
    if args.cmd == "save":
        save(args.data_dir, args.out, args.engine)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
