"""Reading datasets (formats, encodings, mapping.toml, units) and writing atomically.

>>> parse_dates(pd.Series(["2021-03-01", "2021/3/1", "2021年3月1日", 44256, "x"]))[0].dt.strftime(
...     "%Y-%m-%d").tolist()
['2021-03-01', '2021-03-01', '2021-03-01', '2021-03-01', nan]
>>> parse_numbers(pd.Series(["1,234.5", "", "abc", 7]))[0].tolist()
[1234.5, nan, nan, 7.0]
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import tomllib
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from . import validate as v
from .crs import working_crs
from .errors import DataError
from .schema import AREA_UNITS, FIELDS, LAYER_LABELS, MONEY_UNITS, SPATIAL_LAYERS, normalize_label

LAYERS = ("zones", "parcels", "buildings", "enterprises", "occupancy")
VECTOR_EXTS = (
    ".gpkg",
    ".shp",
    ".zip",
    ".geojson",
    ".json",
    ".fgb",
    ".parquet",
    ".kml",
    ".csv",
    ".xlsx",
)
TABLE_EXTS = (".csv", ".xlsx", ".gpkg", ".parquet", ".json", ".geojson", ".shp", ".zip")
#: Column names recognised as geometry in CSV and Excel files.
GEOMETRY_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "wkb", "shape", "几何", "图形", "坐标串")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TRUE = {"是", "true", "1", "1.0", "y", "yes", "t", "规上", "√", "对"}
_FALSE = {"否", "false", "0", "0.0", "n", "no", "f", "规下", "×", "错"}
_CODEPAGES = {
    "936": "gb18030",
    "cp936": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "ansi 936": "gb18030",
    "65001": "utf-8",
    "utf8": "utf-8",
    "utf-8": "utf-8",
}


# --- mapping.toml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    column: str
    unit: str | None = None


@dataclass(frozen=True)
class LayerMapping:
    """What mapping.toml says about one layer."""

    source: Path | None = None
    assume_crs: str | None = None
    geometry: str | None = None
    columns: Mapping[str, ColumnMap] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def read_mapping(path: Path) -> dict[str, LayerMapping]:
    """Parse a mapping.toml into one :class:`LayerMapping` per layer."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name} 不是合法的 TOML：{exc}。请修正该文件") from exc
    out: dict[str, LayerMapping] = {}
    for layer, spec in data.items():
        if layer not in LAYERS:
            raise DataError(
                f"{path.name}：未知的节 [{layer}]，可用的是 {', '.join(LAYERS)}。请改正节名"
            )
        columns: dict[str, ColumnMap] = {}
        for name, col in spec.get("columns", {}).items():
            if name not in FIELDS[layer]:
                raise DataError(
                    f"{path.name} [{layer}.columns]：{name} 不是{LAYER_LABELS[layer]}的标准字段。"
                    f"可用：{', '.join(FIELDS[layer])}"
                )
            if isinstance(col, str):
                columns[name] = ColumnMap(col)
                continue
            unit = col.get("unit")
            allowed = AREA_UNITS if FIELDS[layer][name].unit == "area" else MONEY_UNITS
            if unit is not None and unit not in allowed:
                raise DataError(
                    f"{path.name} [{layer}.columns] {name}：未知单位 {unit!r}，"
                    f"可用 {', '.join(allowed)}"
                )
            columns[name] = ColumnMap(str(col["column"]), unit)
        source = spec.get("source")
        out[layer] = LayerMapping(
            source=(path.parent / source) if source else None,
            assume_crs=spec.get("assume_crs"),
            geometry=spec.get("geometry"),
            columns=columns,
            values={
                k: {str(a): str(b) for a, b in m.items()} for k, m in spec.get("values", {}).items()
            },
        )
    return out


# --- parsing values -------------------------------------------------------------------------


def _blank(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return s.isna() | (text == "") | text.str.lower().isin(["nan", "none", "null", "nat"])


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from text (thousands separators, full-width digits); returns (values, bad)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype(float), pd.Series(False, index=s.index)
    blank = _blank(s)
    if blank.all():  # an all-blank column: nothing to parse (and no text dtype to parse it)
        return pd.Series(np.nan, index=s.index, dtype="float64"), pd.Series(False, index=s.index)
    text = (
        s.astype("string")
        .map(lambda t: unicodedata.normalize("NFKC", t), na_action="ignore")
        .str.replace(",", "", regex=False)
        .str.strip()
    )
    values = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    bad = ~blank & values.isna()
    return values, bad


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates written 2021-03-01, 2021/3/1, 2021年3月1日, or as Excel serial numbers."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]"), pd.Series(False, index=s.index)
    blank = _blank(s)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_dt = s.map(lambda x: hasattr(x, "year") and not pd.isna(x)).astype(bool)
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].astype(object), errors="coerce")
    num = pd.to_numeric(s.where(~is_dt & ~blank).astype("string"), errors="coerce").astype(float)
    serial = num.between(1, 2958465).fillna(False).astype(bool) & ~is_dt
    if serial.any():
        out[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(
            num[serial].astype(float).round(), unit="D"
        )
    rest = ~blank & ~is_dt & ~serial
    if rest.any():
        parts = s[rest].astype("string").str.extract(_DATE)
        compact = s[rest].astype("string").str.extract(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
        parts = parts.fillna(compact)
        text = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
        out[rest] = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = ~blank & out.isna()
    return out, bad


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, true/false, 1/0, Y/N, 规上/规下 into a nullable boolean."""
    blank = _blank(s)
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False)] = True
    out[text.isin(_FALSE).fillna(False)] = False
    out[blank] = pd.NA
    bad = ~blank & out.isna()
    return out, bad


def parse_text(s: pd.Series, *, code: bool = False) -> pd.Series:
    """Text ids and codes: integral floats lose their '.0', spaces trimmed."""

    def one(x: Any) -> Any:
        if isinstance(x, float | np.floating) and float(x).is_integer():
            return str(int(x))
        if isinstance(x, int | np.integer) and not isinstance(x, bool):
            return str(x)
        return unicodedata.normalize("NFKC", str(x)).strip()

    text = s.map(one, na_action="ignore").astype("string")
    text = text.mask(_blank(s))
    return text.str.upper() if code else text


# --- reading files --------------------------------------------------------------------------


def detect_encoding(raw: bytes) -> str:
    """utf-8-sig, utf-8 or gb18030 (a superset of GBK), by what decodes."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _shapefile_encoding(path: Path) -> str:
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    if cpg.exists():
        name = cpg.read_text(errors="ignore").strip().lower()
        if name in _CODEPAGES:
            return _CODEPAGES[name]
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return "utf-8"
    raw = dbf.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    enc = detect_encoding(raw[header_len:])
    return "utf-8" if enc == "utf-8-sig" else enc


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    enc = detect_encoding(raw)
    from io import StringIO

    return pd.read_csv(StringIO(raw.decode(enc)), dtype=str, keep_default_na=False, na_values=[""])


def _geometry_from_text(
    df: pd.DataFrame, column: str, file: str, layer: str, report: v.QualityReport
) -> gpd.GeoDataFrame:
    """Geometry from a WKT / EWKT / hex (E)WKB column; the SRID of EWKB is the CRS."""
    text = df[column].astype("string").str.strip()
    srid = text.str.extract(r"^SRID=(\d+);", expand=False)
    body = text.str.replace(r"^SRID=\d+;", "", regex=True)
    is_hex = body.str.match(_HEX).fillna(False).to_numpy(dtype=bool)
    values = np.array(body.astype(object).where(body.notna(), None), dtype=object)
    geoms = np.full(len(df), None, dtype=object)
    if is_hex.any():
        geoms[is_hex] = shapely.from_wkb(values[is_hex], on_invalid="ignore")
    wkt = ~is_hex & pd.notna(body).to_numpy()
    if wkt.any():
        geoms[wkt] = shapely.from_wkt(values[wkt], on_invalid="ignore")
    bad = pd.notna(body).to_numpy() & pd.isna(geoms)
    if bad.any():
        report.add(
            "error",
            "bad_geometry_text",
            layer,
            "几何文本无法解析(应为 WKT 或十六进制 WKB)",
            file=file,
            rows=v.rownums(np.flatnonzero(bad), 2),
            field=column,
            fix="检查该列是否完整、未被截断",
        )
    srids = set(shapely.get_srid(geoms[is_hex & ~bad]).tolist()) | set(srid.dropna().astype(int))
    srids.discard(0)
    crs = pyproj.CRS.from_epsg(srids.pop()) if len(srids) == 1 else None
    return gpd.GeoDataFrame(df.drop(columns=[column]), geometry=list(geoms), crs=crs)


@dataclass
class RawLayer:
    frame: pd.DataFrame
    offset: int  # file row number of the first record (2 for tables with a header line)


def _find_geometry_column(df: pd.DataFrame, wanted: str | None) -> str | None:
    names = {normalize_label(c): c for c in df.columns}
    if wanted:
        return names.get(normalize_label(wanted))
    return next((names[g] for g in GEOMETRY_COLUMNS if g in names), None)


def read_raw(
    path: Path, layer: str, lmap: LayerMapping, report: v.QualityReport, tmp: Path
) -> RawLayer | None:
    """Read one file as it is (no renaming), or record why it cannot be read."""
    ext = path.suffix.lower()
    spatial = layer in SPATIAL_LAYERS
    try:
        if ext == ".zip":
            return _read_zip(path, layer, lmap, report, tmp)
        if ext in (".csv", ".xlsx", ".xls"):
            df = _read_csv(path) if ext == ".csv" else pd.read_excel(path, dtype=object)
            df.columns = [str(c).strip() for c in df.columns]
            if not spatial:
                return RawLayer(df, 2)
            gcol = _find_geometry_column(df, lmap.geometry)
            if gcol is None:
                report.add(
                    "error",
                    "no_geometry_column",
                    layer,
                    f"表格中没有几何列(可用列名：{'、'.join(GEOMETRY_COLUMNS)})",
                    file=path.name,
                    fix="增加 wkt 列(WKT 或十六进制 WKB)，"
                    '或在 mapping.toml 中用 geometry = "列名" 指定',
                )
                return None
            return RawLayer(_geometry_from_text(df, gcol, path.name, layer, report), 2)
        if ext in (".geojson", ".json") and not _geojson_declares_crs(path):
            # RFC 7946 implies WGS 84 when no "crs" member is present; treat it as undeclared
            # so that assume_crs can correct files written in a projected CRS.
            gdf = pyogrio.read_dataframe(path)
            gdf = gdf.set_crs(None, allow_override=True) if lmap.assume_crs else gdf
        elif ext == ".parquet":
            gdf = gpd.read_parquet(path)
        elif ext == ".shp":
            gdf = pyogrio.read_dataframe(path, encoding=_shapefile_encoding(path))
        else:
            gdf = pyogrio.read_dataframe(path)
    except (
        OSError,
        ValueError,
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
    ) as exc:
        report.add(
            "error",
            "unreadable",
            layer,
            f"文件无法读取：{exc}",
            file=path.name,
            fix="确认文件完整、格式受支持(gpkg/shp/zip/geojson/fgb/parquet/kml/csv/xlsx)",
        )
        return None
    if not spatial and isinstance(gdf, gpd.GeoDataFrame):
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return RawLayer(gdf, 1)


def _geojson_declares_crs(path: Path) -> bool:
    """True when a GeoJSON file has a top-level "crs" member (before its features)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    features = head.find(b'"features"')
    found = head.find(b'"crs"')
    return found != -1 and (features == -1 or found < features)


def _read_zip(
    path: Path, layer: str, lmap: LayerMapping, report: v.QualityReport, tmp: Path
) -> RawLayer | None:
    target = tmp / path.stem
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.flag_bits & 0x800 == 0:  # names not flagged UTF-8 are often GBK
                with contextlib.suppress(UnicodeError):
                    name = name.encode("cp437").decode("gb18030")
            dest = (target / name).resolve()
            if not str(dest).startswith(str(target.resolve())):
                continue  # never write outside the temporary folder
            if info.is_dir():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(zf.read(info))
    inner = sorted(
        p
        for p in target.rglob("*")
        if p.suffix.lower() in VECTOR_EXTS and p.suffix.lower() != ".zip"
    )
    shp = [p for p in inner if p.suffix.lower() == ".shp"]
    chosen = shp[0] if shp else (inner[0] if inner else None)
    if chosen is None:
        report.add(
            "error",
            "unreadable",
            layer,
            "压缩包中没有可读的图层文件",
            file=path.name,
            fix="压缩包应包含 .shp(及 .shx/.dbf/.prj)或其他受支持的格式",
        )
        return None
    return read_raw(chosen, layer, lmap, report, tmp)


# --- canonical names, units, values ---------------------------------------------------------


def canonicalize(
    raw: RawLayer, layer: str, lmap: LayerMapping, file: str, report: v.QualityReport
) -> pd.DataFrame:
    """Rename to canonical fields, convert units and types, recode values; drop the rest."""
    df = raw.frame
    by_label = {normalize_label(c): c for c in df.columns}
    rename: dict[str, str] = {}
    units: dict[str, str | None] = {}
    for name, cmap in lmap.columns.items():
        src = by_label.get(normalize_label(cmap.column))
        if src is None:
            report.add(
                "error",
                "mapped_column_missing",
                layer,
                f"mapping.toml 指定的列 {cmap.column} 不在文件中",
                file=file,
                field=name,
                fix=f"文件中的列为：{'、'.join(map(str, df.columns[:30]))}",
            )
            continue
        rename[src] = name
        units[name] = cmap.unit
    from .schema import canonical_name

    for col in df.columns:
        if col in rename or (isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name):
            continue
        found = canonical_name(layer, str(col)) or _truncated_dbf_name(layer, str(col))
        if found is not None and found not in rename.values():
            rename[col] = found
    out = pd.DataFrame(index=df.index)
    for src, name in rename.items():
        out[name] = _convert(df[src], layer, name, units.get(name), lmap, file, raw.offset, report)
    for f in FIELDS[layer].values():
        if f.required and f.name not in out.columns:
            report.add(
                "error",
                "missing_column",
                layer,
                f"缺少必填字段 {f.name}({f.label})",
                file=file,
                field=f.name,
                fix=f"增加该列，或在 mapping.toml 的 [{layer}.columns] 中指定对应列",
            )
    if isinstance(df, gpd.GeoDataFrame):
        return gpd.GeoDataFrame(out, geometry=df.geometry.values, crs=df.crs)
    return out


def _truncated_dbf_name(layer: str, column: str) -> str | None:
    """A canonical name cut to the 10 characters a shapefile (.dbf) keeps, if unambiguous.

    >>> _truncated_dbf_name("parcels", "registered"), _truncated_dbf_name("parcels", "agreed_sta")
    ('registered_area_m2', 'agreed_start_date')
    """
    if len(column) != 10:
        return None
    hits = [f for f in FIELDS[layer] if len(f) > 10 and f[:10].lower() == column.lower()]
    return hits[0] if len(hits) == 1 else None


def _convert(
    s: pd.Series,
    layer: str,
    name: str,
    unit: str | None,
    lmap: LayerMapping,
    file: str,
    offset: int,
    report: v.QualityReport,
) -> pd.Series:
    f = FIELDS[layer][name]
    recode = dict(lmap.values.get(name, {}))
    if recode:
        text = parse_text(s)
        mapped = text.map(lambda t: recode.get(t, recode.get(t.lstrip("0"), t)), na_action="ignore")
        s = mapped.astype("string")
    bad = pd.Series(False, index=s.index)
    what = ""
    if f.kind in ("float", "int"):
        out, bad = parse_numbers(s)
        factor = (AREA_UNITS if f.unit == "area" else MONEY_UNITS).get(unit or "", 1.0)
        out = out * factor
        what = "数值"
    elif f.kind == "date":
        out, bad = parse_dates(s)
        what = "日期(如 2021-03-01、2021/3/1、2021年3月1日)"
    elif f.kind == "bool":
        out, bad = parse_bools(s)
        what = "是/否"
    elif f.kind == "enum":
        text = parse_text(s)
        key = text.str.lower()
        known = {k.lower(): val for k, val in f.values.items()}
        out = key.map(known, na_action="ignore").astype("string")
        unknown = text.notna() & out.isna()
        if unknown.any():
            fallback = "other" if "other" in f.values else None
            sample = "、".join(text[unknown].drop_duplicates().head(5).tolist())
            report.add(
                "warning",
                "unknown_value",
                layer,
                f"{f.label} 有无法识别的取值(如 {sample})，"
                + ("按 other(其他) 处理" if fallback else "按空值处理"),
                file=file,
                rows=v.rownums(np.flatnonzero(unknown.to_numpy()), offset),
                field=name,
                fix=f"可用取值：{'、'.join(sorted(set(f.values)))}；"
                f"或在 mapping.toml 的 [{layer}.values.{name}] 中重新编码",
            )
            if fallback:
                out = out.mask(unknown, fallback)
        return out
    else:
        return parse_text(s, code=f.kind == "code")
    if bad.any():
        report.add(
            "error",
            "bad_value",
            layer,
            f"{f.label} 无法识别为{what}",
            file=file,
            rows=v.rownums(np.flatnonzero(bad.to_numpy()), offset),
            field=name,
            fix="改正该值或留空",
        )
    return out


# --- the dataset ----------------------------------------------------------------------------


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
) -> Dataset:
    """Load a dataset folder (explicit files override it); the report holds what is wrong.

    Spatial layers come back projected to the working CRS chosen from the parcels.
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
    with tempfile.TemporaryDirectory(prefix="lcgis-") as tmp:
        for layer, path in files.items():
            lmap = maps.get(layer, LayerMapping())
            raw = read_raw(path, layer, lmap, report, Path(tmp))
            if raw is None:
                continue
            table = canonicalize(raw, layer, lmap, path.name, report)
            checked = _check_layer(table, layer, lmap, path.name, raw.offset, report)
            if checked is not None:
                frames[layer] = checked
    return _assemble(frames, files, report)


def _check_layer(
    frame: pd.DataFrame,
    layer: str,
    lmap: LayerMapping,
    file: str,
    offset: int,
    report: v.QualityReport,
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
            report.add(
                "error",
                "duplicate_id",
                layer,
                "同一企业同一年度有多行",
                file=file,
                rows=v.rownums(np.flatnonzero(dup.to_numpy()), offset),
                field="credit_code",
                fix="每个企业每个年度只保留一行",
            )
        for name in ("credit_code", "name"):
            if name in frame.columns and frame[name].isna().any():
                report.add(
                    "error",
                    "missing_value",
                    layer,
                    f"{FIELDS[layer][name].label}为空",
                    file=file,
                    rows=v.rownums(np.flatnonzero(frame[name].isna().to_numpy()), offset),
                    field=name,
                    fix="每行都必须填写",
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
            report.add(
                "error",
                "no_crs",
                layer,
                f"{LAYER_LABELS[layer]}图层没有坐标系",
                file=file,
                fix=f'补上 .prj 文件，或在 mapping.toml 的 [{layer}] 中写 assume_crs = "EPSG:4549"',
            )
            return None
    if not v.check_crs_plausible(frame, layer, file, report):
        return None
    return v.check_geometries(frame, layer, file, report, polygons=True)


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
    crs = working_crs(parcels[ok])
    projected: dict[str, Any] = {}
    for layer in SPATIAL_LAYERS:
        gdf = frames.get(layer)
        if isinstance(gdf, gpd.GeoDataFrame):
            projected[layer] = gdf.to_crs(crs).reset_index(drop=True)
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


# --- atomic writing -------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output(out: str | Path) -> Iterator[Path]:
    """A temporary path beside ``out``; renamed onto ``out`` only if the block succeeds."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers create the file themselves (GDAL refuses to open an empty one)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
