"""The parcel map in Chromium: payload build, first frame and pan at generated tiers.

    python scripts/bench_map.py RESULT.pkl [RESULT.pkl ...]

Each RESULT.pkl is a pickled evaluation (``lcgis.engine.pipeline.Result``) of a generated
tier (``python -m lcgis.synthetic OUT --tier city|100k|province``), evaluated once.  For each
it prints the CPU and wall time of the classification (natural breaks) and of the map's
files, then serves the map page with the app's static layout on a local port and measures in
headless Chromium (Playwright): the first frame (navigation start to the frame after every
visible tile is drawn, with its parts: the page's script starting, the geometry and
colour files fetched, read, the visible tiles drawn) and a programmatic pan of 300 px
(performance.now() around ``panBy`` until the frame after the new tiles are drawn).  The
files are packed as the app publishes them (gzip, ``lcgis.views.maps.pack``).  With
``--mbps N`` it measures again over a network of N Mbit/s (Chromium's throttling), as a
browser on the park's network fetches the map's files from the app.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import pickle
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(f, *a, **k):  # type: ignore[no-untyped-def]
    c, w = time.process_time(), time.perf_counter()
    out = f(*a, **k)
    return out, (time.process_time() - c) * 1000, (time.perf_counter() - w) * 1000


def build(res, folder: Path) -> None:  # type: ignore[no-untyped-def]
    from lcgis.views import maps

    p = res.parcels
    classes, c1, w1 = _timed(
        maps.classify_indicator, p, "tax_per_mu", "natural_breaks", 5, res.rules
    )
    legend = maps.legend_for("tax_per_mu", classes, "natural_breaks")
    names = maps.main_names(p, res.enterprises)
    (geo, origin), c2, w2 = _timed(maps.geometry_file, p)
    att, c3, w3 = _timed(maps.attribute_file, p, names)
    col, c4, w4 = _timed(maps.colour_file, p, "tax_per_mu", classes)
    data = folder / "app" / "static" / "maps"
    data.mkdir(parents=True)
    for name, blob in (("geo.bin", geo), ("att.json", att), ("col.json", col)):
        packed, c5, _ = _timed(maps.pack, blob)
        (data / name).write_bytes(packed)
        mb = f"{len(blob) / 1e6:.1f} → {len(packed) / 1e6:.1f} MB"
        print(f"  {name} 压缩 {mb}，CPU {c5:.0f} ms")
    src = {
        k: f"/app/static/maps/{k}.{e}"
        for k, e in (("geo", "bin"), ("att", "json"), ("col", "json"))
    }
    pay = maps.tiles_payload(
        p, "tax_per_mu", classes, legend, origin=origin, src=src, zones=res.zones
    )
    if maps.map_mode(len(p)) != "tiles":
        pay, c2, w2 = _timed(
            maps.parcel_payload, p, "tax_per_mu", classes, legend, names=names, zones=res.zones
        )
    bounds = maps.bounds_of(maps.display_geometry(p.geometry))
    m = maps.build_map(
        maps.to_json(pay), bounds, basemap="none", assets_url="/app/static/vendor/leaflet-1.9.4"
    )
    html = m.get_root().render()
    (folder / "index.html").write_text(html, encoding="utf-8")
    shutil.copytree(ROOT / "static" / "vendor", data.parent / "vendor")
    print(
        f"  宗地 {len(p):,}：自然断点分级 CPU {c1:.0f} ms / 墙钟 {w1:.0f} ms；"
        f"几何文件 {len(geo) / 1e6:.1f} MB CPU {c2:.0f} / {w2:.0f} ms；"
        f"属性 {len(att) / 1e6:.1f} MB CPU {c3:.0f} / {w3:.0f} ms；着色 CPU {c4:.0f} / {w4:.0f} ms"
    )


FIRST = """async () => {
  const map = Object.values(window).find(v => v && v._container && v.panBy);
  await window.lcgisParcels.ready;
  const g = window.lcgisParcels.grid;
  await new Promise(r => { if (!g || !g.isLoading()) r(); else g.once('load', r); });
  await new Promise(r => requestAnimationFrame(() => r()));
  const t = window.lcgisParcels.times || {};
  return [performance.now(), t.start, t.fetched, t.loaded];
}"""
PAN = """async (dx) => {
  const map = Object.values(window).find(v => v && v._container && v.panBy);
  const g = window.lcgisParcels.grid;
  const t0 = performance.now();
  map.panBy([dx, 0], {animate: false});
  await new Promise(r => requestAnimationFrame(() => r()));
  const frame = performance.now() - t0;
  await new Promise(r => { if (!g || !g.isLoading()) r(); else g.once('load', r); });
  await new Promise(r => requestAnimationFrame(() => r()));
  return [frame, performance.now() - t0];
}"""


def measure(folder: Path, mbps: float = 0.0) -> None:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/index.html"
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=["--headless", "--no-sandbox"])
        page = b.new_page(viewport={"width": 800, "height": 650})
        if mbps:  # a network of that many megabits a second (Chromium's own throttling)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            rate = mbps * 1e6 / 8
            conditions = {"offline": False, "latency": 5, "downloadThroughput": rate}
            cdp.send("Network.emulateNetworkConditions", {**conditions, "uploadThroughput": rate})
        page.goto(url)
        first, start, fetched, loaded = page.evaluate(FIRST)
        pans = [page.evaluate(PAN, dx) for dx in (300, -300, 300, -300, 300)]
        page.mouse.click(400, 320)
        b.close()
    srv.shutdown()
    frames = sorted(p[0] for p in pans)
    done = sorted(p[1] for p in pans)
    if start is not None:
        print(
            f"  首帧分解：脚本开始 {start:.0f} ms，取得文件 +{fetched - start:.0f} ms，"
            f"解析 +{loaded - fetched:.0f} ms，绘制可见瓦片 +{first - loaded:.0f} ms"
        )
    print(
        f"  首帧 {first:.0f} ms；平移 下一帧 {frames[len(frames) // 2]:.0f} ms，"
        f"新瓦片画完 {done[len(done) // 2]:.0f} ms(中位数)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument(
        "--mbps", type=float, default=0.0, help="measure over a network of MBPS Mbit/s too"
    )
    args = ap.parse_args(argv)
    for path in args.results:
        res = pickle.loads(path.read_bytes())
        with tempfile.TemporaryDirectory() as tmp:
            build(res, Path(tmp))
            measure(Path(tmp))
            if args.mbps:
                print(f"  网络 {args.mbps:g} Mbit/s：")
                measure(Path(tmp), args.mbps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
