"""Time ``lcgis import`` on a generated 3,000-parcel / 20,000-building set: the proposal
(goal: under 5 s), and the library work behind each step of the 数据 wizard (goal: each
under 1 s) — the tables shown and the edits read back, the CRS previews on the basemap, and
the check that builds and loads the folder.

Run: ``python scripts/bench_import.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lcgis.data import importer
from lcgis.data.propose import propose
from lcgis.engine.pipeline import check
from lcgis.rules import load_rules
from lcgis.views import intake, maps

X0, Y0 = 355000.0, 2753500.0


def _grid(n: int, size: float, step: float) -> list[shapely.Polygon]:
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x, y = X0 + (i % side) * step, Y0 + (i // side) * step
    return list(shapely.box(x, y, x + size, y + size))


def main() -> None:
    warnings.filterwarnings("ignore", message="'crs' was not provided")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        parcels = Path(tmp) / "宗地.gpkg"
        buildings = Path(tmp) / "建筑.gpkg"
        n = 3000
        gpd.GeoDataFrame(
            {
                "宗地编号": [f"P{i:05d}" for i in range(n)],
                "土地面积": rng.uniform(5, 200, n).round(2),
                "建设状态": rng.choice(["未动工", "在建", "竣工", "搁置"], n),
                "约定动工日期": ["2021-03-01"] * n,
            },
            geometry=_grid(n, 90.0, 100.0),
        ).to_file(parcels)  # no CRS: the wizard's CRS step has candidates to draw
        m = 20000
        gpd.GeoDataFrame(
            {
                "建筑编号": [f"B{i:06d}" for i in range(m)],
                "层数": rng.integers(1, 10, m).astype(float),
                "建筑面积": rng.uniform(100, 5000, m).round(1),
            },
            geometry=_grid(m, 20.0, 38.0),
            crs=4549,
        ).to_file(buildings)
        start = time.perf_counter()
        proposal = propose([parcels, buildings])
        took = time.perf_counter() - start
        layers = "、".join(f"{i.file}→{i.layer}" for i in proposal.inputs)
        print(f"propose：{took:.2f} 秒(目标 < 5 秒)；{layers}")
        steps(proposal, [parcels, buildings], Path(tmp) / "out")


def _timed(name: str, fn: object) -> None:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    print(f"  {name}：{time.perf_counter() - start:.2f} 秒")


def steps(proposal: object, paths: list[Path], out: Path) -> None:
    """The wizard's steps on the proposal (goal: each under 1 s)."""
    from lcgis.data.propose import Proposal

    assert isinstance(proposal, Proposal)
    item = proposal.by_layer()["parcels"]
    print("向导各步(目标每步 < 1 秒)：")

    def layers() -> None:
        table = intake.layer_table(proposal)
        table.loc[1, "判断为"] = "宗地"
        intake.apply_layer_table(proposal, table)
        table.loc[1, "判断为"] = "建筑"
        intake.apply_layer_table(proposal, table)

    def fields() -> None:
        table = intake.field_table(item)
        table.loc[table["字段"] == "registered_area_m2", "单位"] = "平方米(m²)"
        intake.apply_field_table(item, table)

    def values() -> None:
        table = intake.value_table(item, "construction_status")
        table.loc[table["文件中的取值"] == "搁置", "对应的标准取值"] = "停工(suspended)"
        intake.apply_value_table(item, "construction_status", table)

    def crs() -> None:
        for choice in item.crs_choices:
            geoms = intake.preview(item, choice.code)
            if geoms is not None:
                maps.outline_map(geoms, basemap="none").get_root().render()
        item.set_crs("EPSG:4549")

    def build() -> None:
        _p, ds, tmp = importer.build(paths, out, proposal=proposal)
        outcome = importer.Outcome(proposal, check(ds, load_rules()))
        importer.commit(tmp, out)
        print(f"    {outcome.summary()}")

    for name, fn in (
        ("图层", layers),
        ("字段与单位", fields),
        ("取值", values),
        ("坐标系(各候选的底图预览)", crs),
        ("检查(生成并载入数据目录)", build),
    ):
        _timed(name, fn)


if __name__ == "__main__":
    main()
