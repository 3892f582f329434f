"""Speed and size budget of the app's map on a dataset (default: the embedded demo park).

    python scripts/bench_app.py [DATA_DIR] [--repeat N]

Prints, and exits 1 when a budget is missed:

* map bytes per parcel: the map document the browser receives from st_folium (HTML, header
  with styles, the map script with the parcel data), divided by the number of parcels;
  budget < 300.  Leaflet itself is a static file served once and cached by the browser; its
  size is printed for information.
* map build: result -> classes, payload, folium map, rendered strings (what changing the
  indicator costs on a cache miss), median; budget < 300 ms.
* click-to-card: a rerun of the 地图 screen after a parcel is selected (AppTest, caches
  warm), median over several parcels; budget < 500 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_BYTES, BUDGET_BUILD_MS, BUDGET_CLICK_MS = 300.0, 300.0, 500.0


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def map_figures(data_dir: Path, repeat: int) -> tuple[int, float, dict[str, float]]:
    """(parcels, bytes per parcel of the worst indicator, build ms per indicator)."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    from lcgis.data.io import read_dataset
    from lcgis.engine.pipeline import run
    from lcgis.rules import load_rules
    from lcgis.views import maps

    res = run(read_dataset(data_dir), load_rules())
    p = res.parcels
    worst = 0.0
    build: dict[str, float] = {}
    for indicator in maps.INDICATORS:
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            classes = maps.classify_indicator(p, indicator, "natural_breaks", 5, res.rules)
            legend = maps.legend_for(indicator, classes, "natural_breaks")
            payload = maps.parcel_payload(
                p,
                indicator,
                classes,
                legend,
                names=maps.main_names(p, res.enterprises),
                zones=res.zones,
            )
            geoms = maps.display_geometry(p.geometry)
            fmap = maps.build_map(maps.to_json(payload), maps.bounds_of(geoms), basemap="osm")
            fmap.get_root().render()
            parts = (_get_html(fmap), _get_header(fmap), _get_map_string(fmap))
            samples.append(time.perf_counter() - t0)
        size = sum(len(s.encode("utf-8")) for s in parts) + sum(
            len(u) for u in ("/app/static/vendor/leaflet-1.9.4/leaflet.js", "leaflet.css")
        )
        worst = max(worst, size / len(p))
        build[indicator] = _ms(samples)
    return len(p), worst, build


def click_figures(data_dir: Path, clicks: int) -> list[float]:
    """Server time of the 地图 rerun after selecting a parcel (AppTest), seconds."""
    import os

    os.environ["LCGIS_DATA_DIR"] = str(data_dir)
    from streamlit.testing.v1 import AppTest

    from lcgis.data.io import read_dataset

    ids = read_dataset(data_dir).parcels["parcel_id"].astype(str).tolist()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("app_pages/map.py")
    at.run()
    at.session_state["lcgis_selected_parcel"] = ids[0]
    at.run()  # warm the card cache path once
    step = max(1, len(ids) // clicks)
    samples = []
    for pid in ids[1::step][:clicks]:
        at.session_state["lcgis_selected_parcel"] = pid
        t0 = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - t0)
        if at.exception:
            raise SystemExit(f"app error: {at.exception[0].message}")
    return samples


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("data_dir", nargs="?", default=str(ROOT / "data"))
    ap.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    args = ap.parse_args(argv)
    data_dir = Path(args.data_dir)

    n, per_parcel, build = map_figures(data_dir, args.repeat)
    clicks = click_figures(data_dir, max(5, args.repeat * 2))
    leaflet = ROOT / "static" / "vendor" / "leaflet-1.9.4"
    static_kb = sum(f.stat().st_size for f in leaflet.rglob("*") if f.is_file()) / 1024

    worst_build = max(build.values())
    click_ms = _ms(clicks)
    rows = [
        ("地图字节/宗地 (map bytes per parcel, worst indicator)", per_parcel, BUDGET_BYTES, ""),
        ("地图构建 (map build, slowest indicator, median)", worst_build, BUDGET_BUILD_MS, " ms"),
        ("点击到体检表 (click-to-card rerun, median)", click_ms, BUDGET_CLICK_MS, " ms"),
    ]
    print(f"数据 {data_dir}：宗地 {n} 宗")
    ok = True
    for label, value, budget, unit in rows:
        good = value < budget
        ok &= good
        verdict = "OK" if good else "超出"
        print(f"  {label}: {value:,.1f}{unit}  (预算 < {budget:,.0f}{unit}) {verdict}")
    print("  各指标地图构建 (ms): " + ", ".join(f"{k} {v:.0f}" for k, v in build.items()))
    print(f"  点击重跑 (ms): min {min(clicks) * 1000:.0f}, max {max(clicks) * 1000:.0f}")
    print(f"  Leaflet 静态文件 {static_kb:,.0f} KB(一次加载、浏览器缓存，不计入每次地图)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
