"""Reading a dataset: find the layers of a folder, read, check and assemble them into a
:class:`Dataset` in one projected working CRS.
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from lcgis import collector
from lcgis.data import guard
from lcgis.data import validate as v
from lcgis.data.canonical import canonicalize
from lcgis.data.crs import crs_advice, lonlat_centre, working_crs
from lcgis.data.mapping import LayerMapping, read_mapping
from lcgis.data.readers import VECTOR_EXTS, RawLayer, library_message, read_raw
from lcgis.data.schema import FIELDS, SPATIAL_LAYERS
from lcgis.errors import DataError
from lcgis.vocab import LAYER_LABELS, LAYERS


@dataclass
class Dataset:
    """A loaded, checked dataset: spatial layers in one projected working CRS."""

    parcels: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame | None = None
    enterprises: pd.DataFrame | None = None
    occupancy: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    crs: pyproj.CRS | None = None
    report: v.QualityReport = field(default_factory=v.QualityReport)
    files: dict[str, Path] = field(default_factory=dict)


#: Reads one file as :func:`lcgis.data.readers.read_raw` does (its arguments, its result).
Reader = Callable[[Path, str, LayerMapping, v.QualityReport, Path], RawLayer | None]


def find_layer(data_dir: Path, layer: str) -> Path | None:
    """``DATA_DIR/parcels/<layer>.<ext>`` (zones also ``DATA_DIR/zones.<ext>``)."""
    folders = [data_dir / "parcels", data_dir]
    for folder in folders:
        for ext in (*VECTOR_EXTS, ".xls"):
            for cand in (folder / f"{layer}{ext}", folder / f"{layer}.shp{ext}"):
                if cand.is_file():
                    return cand
    return None


def read_dataset(
    data_dir: str | Path | None = None,
    *,
    parcels: str | Path | None = None,
    buildings: str | Path | None = None,
    enterprises: str | Path | None = None,
    occupancy: str | Path | None = None,
    zones: str | Path | None = None,
    mapping: str | Path | None = None,
    reader: Reader = read_raw,
) -> Dataset:
    """Load a dataset folder (explicit files override it); the report holds what is wrong.

    Spatial layers come back projected to the working CRS chosen from the parcels.
    ``reader`` reads each file (``--engine dask``: on the cluster's workers, in pieces).
    """
    report = v.QualityReport()
    root = Path(data_dir) if data_dir is not None else None
    explicit = {
        "parcels": parcels,
        "buildings": buildings,
        "enterprises": enterprises,
        "occupancy": occupancy,
        "zones": zones,
    }
    map_path = Path(mapping) if mapping else (root / "parcels" / "mapping.toml" if root else None)
    maps: dict[str, LayerMapping] = {}
    if map_path is not None and map_path.is_file():
        try:
            maps = read_mapping(map_path)
        except DataError as exc:
            report.add("error", "bad_mapping", "parcels", str(exc), file=map_path.name)
    elif mapping:
        report.add("error", "missing_file", "parcels", f"找不到映射文件 {mapping}")
    files: dict[str, Path] = {}
    for layer in LAYERS:
        lmap = maps.get(layer, LayerMapping())
        given = explicit[layer]
        path = (
            Path(given) if given else (lmap.source or (find_layer(root, layer) if root else None))
        )
        if path is None:
            continue
        if guard.is_virtual_path(str(given or path)):
            report.add(
                "error",
                "unreadable",
                layer,
                f"不读取网址或 GDAL 虚拟路径：{given or path}",
                file=path.name,
                fix="先把文件下载、解压到本地，再指定本地文件",
            )
            continue
        if not path.exists():
            report.add(
                "error",
                "missing_file",
                layer,
                f"找不到文件 {path}",
                file=path.name,
                fix="检查路径，或把文件放到数据目录的 parcels/ 下",
            )
            continue
        files[layer] = path
    if "parcels" not in files and not report.has_errors:
        where = f"{root / 'parcels'}" if root else "(未指定数据目录)"
        report.add(
            "error",
            "missing_file",
            "parcels",
            f"找不到宗地图层：{where} 下没有 parcels.<扩展名>",
            fix="把宗地文件命名为 parcels.gpkg / parcels.shp / parcels.csv 等，或用 --parcels 指定",
        )
    frames: dict[str, pd.DataFrame] = {}
    collecting = gc.isenabled()
    with collector.paused(), tempfile.TemporaryDirectory(prefix="lcgis-") as tmp:
        for layer, path in files.items():
            lmap = maps.get(layer, LayerMapping())
            raw = reader(path, layer, lmap, report, Path(tmp))
            if raw is None:
                continue
            try:
                table = canonicalize(raw, layer, lmap, path.name, report)
                checked = _check_layer(table, layer, lmap, path.name, raw.offset, report, frames)
            except Exception as exc:  # the boundary: a value no check foresaw
                report.add(
                    "error",
                    "unreadable",
                    layer,
                    f"文件内容无法处理：{library_message(exc)}",
                    file=path.name,
                    fix="检查该文件的字段取值(数值、日期、几何)是否完整有效",
                )
                continue
            if checked is not None:
                frames[layer] = checked
        if collecting:
            # the millions of shapes made while the collector was paused are traversed once
            # here and settle in its oldest generation, instead of once in each generation
            # they would age through after it is back on
            gc.collect()
    return _assemble(frames, files, report)


def _check_layer(
    frame: pd.DataFrame,
    layer: str,
    lmap: LayerMapping,
    file: str,
    offset: int,
    report: v.QualityReport,
    others: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame | None:
    if layer == "parcels" and "parcel_id" in frame.columns:
        v.check_duplicates(frame, "parcel_id", layer, file, offset, report)
    if layer == "zones" and "zone_id" in frame.columns:
        v.check_duplicates(frame, "zone_id", layer, file, offset, report)
    v.check_non_negative(frame, layer, file, offset, report)
    if layer == "enterprises":
        v.check_credit_codes(frame, layer, file, offset, report)
        keys = [c for c in ("credit_code", "year") if c in frame.columns]
        dup = frame.duplicated(keys, keep=False) & frame["credit_code"].notna() if keys else None
        if dup is not None and dup.any():
            report.flag(
                dup.to_numpy(),
                "error",
                "duplicate_id",
                layer,
                "同一企业同一年度有多行",
                file=file,
                field="credit_code",
                fix="每个企业每个年度只保留一行",
                offset=offset,
            )
        for name in ("credit_code", "name"):
            if name in frame.columns and frame[name].isna().any():
                report.flag(
                    frame[name].isna().to_numpy(),
                    "error",
                    "missing_value",
                    layer,
                    f"{FIELDS[layer][name].label}为空",
                    file=file,
                    field=name,
                    fix="每行都必须填写",
                    offset=offset,
                )
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    if frame.crs is None:
        if lmap.assume_crs:
            try:
                frame = frame.set_crs(lmap.assume_crs)
            except pyproj.exceptions.CRSError:
                report.add(
                    "error",
                    "bad_crs",
                    layer,
                    f"assume_crs 无法识别：{lmap.assume_crs}",
                    file=file,
                    fix="写成 EPSG:4549 这样的形式",
                )
                return None
        else:
            advice = crs_advice(tuple(frame.total_bounds), _lon_hint(others or {}))
            report.add(
                "error",
                "no_crs",
                layer,
                f"{LAYER_LABELS[layer]}图层没有坐标系",
                file=file,
                fix=f"补上 .prj 文件，或在 mapping.toml 的 [{layer}] 中写 {advice}",
            )
            return None
    if not v.check_crs_plausible(frame, layer, file, report):
        return None
    checked, usable = v.check_geometries(frame, layer, file, report, polygons=True)
    if layer == "parcels":
        v.check_overlaps(checked, layer, file, report, offset, usable)
    return checked


def _lon_hint(frames: dict[str, pd.DataFrame]) -> float | None:
    """The longitude of the first layer read that has a CRS (the zone of a GK layer without)."""
    for frame in frames.values():
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and not frame.empty:
            try:
                return lonlat_centre(frame)[0]
            except ValueError:
                continue
    return None


def _in_crs(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """The layer in ``crs``; the layer itself when it is in it already (``to_crs`` would
    then copy every shape to change none)."""
    if gdf.crs is not None and gdf.crs.is_exact_same(crs):
        return gdf
    return gdf.to_crs(crs)


def _assemble(
    frames: dict[str, pd.DataFrame], files: dict[str, Path], report: v.QualityReport
) -> Dataset:
    parcels = frames.get("parcels")
    if not isinstance(parcels, gpd.GeoDataFrame) or parcels.empty:
        if "parcels" in frames and not report.has_errors:
            report.add(
                "error", "empty_layer", "parcels", "宗地图层没有任何要素", fix="检查文件内容"
            )
        empty = gpd.GeoDataFrame({"parcel_id": pd.Series(dtype="string")}, geometry=[], crs=None)
        return Dataset(parcels=empty, report=report, files=files)
    ok = ~(parcels.geometry.isna() | parcels.geometry.is_empty)
    try:
        crs = working_crs(parcels[ok])
    except ValueError as exc:  # no usable coordinates at all
        report.add(
            "error",
            "empty_layer",
            "parcels",
            f"宗地图层没有可用的坐标({library_message(exc)})",
            file=files["parcels"].name if "parcels" in files else "",
            field="geometry",
            fix="检查宗地图形是否完整",
        )
        empty = gpd.GeoDataFrame({"parcel_id": pd.Series(dtype="string")}, geometry=[], crs=None)
        return Dataset(parcels=empty, report=report, files=files)
    projected: dict[str, Any] = {}
    for layer in SPATIAL_LAYERS:
        gdf = frames.get(layer)
        if isinstance(gdf, gpd.GeoDataFrame):
            projected[layer] = _in_crs(gdf, crs).reset_index(drop=True)
    return Dataset(
        parcels=projected["parcels"],
        buildings=projected.get("buildings"),
        zones=projected.get("zones"),
        enterprises=frames.get("enterprises"),
        occupancy=frames.get("occupancy"),
        crs=crs,
        report=report,
        files=files,
    )
