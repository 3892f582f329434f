"""A first guess at a dataset from files under their own names: which layer each input is,
which column is which field (and in which unit), how enum values recode, which CRS undeclared
coordinates are in, and the questions left for a person.

>>> _gk_from_easting(39_500_000.0), _gk_from_easting(500_000.0)
('EPSG:4527', None)
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from lcgis.data import guard
from lcgis.data import validate as v
from lcgis.data.crs import gk_epsg
from lcgis.data.mapping import LayerMapping
from lcgis.data.readers import GEOMETRY_COLUMNS, TABLE_EXTS, VECTOR_EXTS, read_raw
from lcgis.data.schema import (
    FIELDS,
    SPATIAL_LAYERS,
    canonical_name,
    header_unit,
    normalize_label,
)
from lcgis.vocab import LAYER_LABELS, LAYERS

if TYPE_CHECKING:
    from collections.abc import Iterable

#: A unified social credit code (GB 32100-2015): 18 characters, no I, O, S, V, Z.
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_AREA_CODES = {"m2", "ha", "mu"}
#: Land-area fields whose magnitude tells 亩 from m².
_LAND_AREAS = ("registered_area_m2", "land_area_m2")
#: Layer files read from inside a zip (nested zips are the loader's business).
_MEMBER_EXTS = {e for e in (*VECTOR_EXTS, *TABLE_EXTS) if e != ".zip"}
#: Reader warnings a proposal repeats (how a sheet's header was found).
_READER_NOTES = ("title_rows_skipped", "merged_header")
#: Geometry types as GeoPandas names them.
_POLYGONS = {"Polygon", "MultiPolygon"}


@dataclass(frozen=True)
class ColumnGuess:
    """One column proposed for one field, with its unit and why."""

    column: str
    unit: str | None = None
    unit_reason: str = ""


@dataclass
class InputProposal:
    """What one input (a file, a zip, a GeoPackage layer) most likely is."""

    file: str
    source: str
    layer: str | None
    reason: str
    columns: dict[str, ColumnGuess] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    assume_crs: str | None = None
    warnings: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    path: Path | None = None
    gpkg_layer: str | None = None
    zip_member: str | None = None


@dataclass
class Proposal:
    """The proposal for all inputs; :meth:`mapping_toml` writes it for the loader."""

    inputs: list[InputProposal]

    @property
    def questions(self) -> list[str]:
        return [q for i in self.inputs for q in i.questions]

    @property
    def warnings(self) -> list[str]:
        return [w for i in self.inputs for w in i.warnings]

    def by_layer(self) -> dict[str, InputProposal]:
        """The first input proposed for each layer."""
        out: dict[str, InputProposal] = {}
        for item in self.inputs:
            if item.layer is not None and item.layer not in out:
                out[item.layer] = item
        return out

    def mapping_toml(self) -> str:
        """A mapping.toml (read back by :func:`lcgis.data.mapping.read_mapping`)."""
        lines: list[str] = []
        for layer, item in sorted(self.by_layer().items(), key=lambda kv: LAYERS.index(kv[0])):
            lines += _section(layer, item)
        return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    """A TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def column_line(name: str, guess: ColumnGuess) -> str:
    """The mapping.toml line of one column.

    >>> column_line("registered_area_m2", ColumnGuess("面积", "mu"))
    'registered_area_m2 = { column = "面积", unit = "mu" }'
    """
    if guess.unit is None:
        return f"{name} = {_q(guess.column)}"
    return f"{name} = {{ column = {_q(guess.column)}, unit = {_q(guess.unit)} }}"


def _section(layer: str, item: InputProposal) -> list[str]:
    lines = [f"# {LAYER_LABELS[layer]}：{item.reason}", f"[{layer}]", f"source = {_q(item.source)}"]
    if item.assume_crs:
        lines.append(f"assume_crs = {_q(item.assume_crs)}")
    lines.append("")
    if item.columns:
        lines.append(f"[{layer}.columns]")
        for name, guess in item.columns.items():
            note = f"  # {guess.unit_reason}" if guess.unit_reason else ""
            lines.append(column_line(name, guess) + note)
        lines.append("")
    for name, table in item.values.items():
        if table:
            lines.append(f"[{layer}.values.{name}]")
            lines += [f"{_q(a)} = {_q(b)}" for a, b in table.items()]
            lines.append("")
    return lines


# --- reading the inputs --------------------------------------------------------------------


@dataclass
class _Part:
    """One layer read from an input file."""

    source: str
    frame: pd.DataFrame | None
    why: str = ""
    gpkg_layer: str | None = None
    zip_member: str | None = None
    #: The money unit a workbook's title names, and the reader's warnings.
    money_unit: str | None = None
    notes: tuple[str, ...] = ()


def _read(path: Path, tmp: Path) -> list[_Part]:
    """Every layer of ``path``: GeoPackage layers and zip members each on their own."""
    ext = path.suffix.lower()
    layers = _gpkg_layers(path) if ext == ".gpkg" else []
    if len(layers) > 1:
        return [
            _Part(f"{path.stem}.{n}.gpkg", pyogrio.read_dataframe(path, layer=n), gpkg_layer=n)
            for n in layers
        ]
    target = tmp / f"zip-{len(list(tmp.iterdir()))}"
    members = zip_members(path, target) if ext == ".zip" else []
    if len(members) > 1:
        return [_read_file(m, tmp, m.relative_to(target).as_posix()) for m in members]
    return [_read_file(path, tmp)]


def _read_file(path: Path, tmp: Path, member: str | None = None) -> _Part:
    report = v.QualityReport()
    table = path.suffix.lower() in (".csv", ".xlsx")
    raw = read_raw(path, "enterprises" if table else "parcels", LayerMapping(), report, tmp)
    if raw is not None and table and _geometry_column(raw.frame):
        report = v.QualityReport()
        raw = read_raw(path, "parcels", LayerMapping(), report, tmp)
    why = "；".join(i.message for i in report.issues)
    if raw is None:
        return _Part(path.name, None, why, zip_member=member)
    notes = tuple(i.message for i in report.issues if i.code in _READER_NOTES)
    return _Part(path.name, raw.frame, why, None, member, raw.money_unit, notes)


def zip_members(path: Path, target: Path) -> list[Path]:
    """Extract a zip (with the loader's checks) into ``target``; its layer files, or none when
    the zip is bad (the loader then says why)."""
    try:
        target.mkdir(parents=True)
        guard.extract_zip(path, target, guard.Budget(guard.Limits.from_env()))
    except Exception:  # a bad zip: read_raw records why
        return []
    return sorted(p for p in target.rglob("*") if p.is_file() and p.suffix.lower() in _MEMBER_EXTS)


def _gpkg_layers(path: Path) -> list[str]:
    """The layers of a GeoPackage that passes the loader's file checks (else none: the loader
    then reads it and says what is wrong)."""
    try:
        guard.check_file(path, guard.Limits.from_env())
        guard.restrict_gdal_drivers()
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception:  # a bad file: read_raw records why
        return []


def _geometry_column(df: pd.DataFrame) -> bool:
    wanted = {normalize_label(c) for c in GEOMETRY_COLUMNS}
    return any(normalize_label(c) in wanted for c in df.columns)


# --- columns -------------------------------------------------------------------------------


def _dbf_prefixes(alias: str) -> set[str]:
    """What a shapefile keeps of ``alias``: its first 10 bytes in GBK or UTF-8."""
    out = set()
    for enc in ("gbk", "utf-8"):
        raw = alias.encode(enc, errors="ignore")
        if len(raw) > 10:
            out.add(raw[:10].decode(enc, errors="ignore"))
    return out


def _truncated_name(layer: str, column: str) -> str | None:
    """A field whose alias (or English name) a DBF cut to ``column``, if only one fits."""
    key = normalize_label(column)
    hits = {
        f.name
        for f in FIELDS[layer].values()
        for a in (*f.aliases, f.name)
        if key in {normalize_label(p) for p in _dbf_prefixes(a)} or (key == a[:10].lower())
    }
    return hits.pop() if len(hits) == 1 else None


def match_column(layer: str, column: str) -> tuple[str | None, str | None]:
    """The field ``column`` names in ``layer`` and the unit its header gives.

    >>> match_column("parcels", "约定动工日"), match_column("parcels", "宗地面积(亩)")
    (('agreed_start_date', None), ('registered_area_m2', 'mu'))
    """
    base, unit = header_unit(column)
    name = canonical_name(layer, base) or canonical_name(layer, column)
    name = name or _truncated_name(layer, base)
    return name, unit


def _columns(layer: str, df: pd.DataFrame, money_unit: str | None = None) -> dict[str, ColumnGuess]:
    """The column proposed for each field; a money column whose header names no unit takes
    ``money_unit`` (the unit a workbook's title names) when given."""
    out: dict[str, ColumnGuess] = {}
    for col in df.columns:
        if isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name:
            continue
        name, unit = match_column(layer, str(col))
        if name is None or name in out:
            continue
        f = FIELDS[layer][name]
        if f.unit is None:
            out[name] = ColumnGuess(str(col))
        elif unit is not None and (unit in _AREA_CODES) == (f.unit == "area"):
            out[name] = ColumnGuess(str(col), unit, "单位取自表头")
        elif unit is None and f.unit == "money" and money_unit is not None:
            out[name] = ColumnGuess(str(col), money_unit, "单位取自表格标题")
        else:
            out[name] = _magnitude_unit(name, f.unit, df[col], str(col))
    return out


def _median(s: pd.Series) -> float:
    num = pd.to_numeric(s, errors="coerce")
    return float(num.median()) if num.notna().any() else float("nan")


def _magnitude_unit(name: str, kind: str | None, s: pd.Series, col: str) -> ColumnGuess:
    """The unit of a column whose header names none, guessed from its median."""
    med = _median(s)
    if kind == "area" and name in _LAND_AREAS and 1 <= med <= 500:
        return ColumnGuess(col, "mu", f"猜测：中位数 {med:g}，像是亩而不是平方米，请核对")
    if kind == "money" and med >= 1e6:
        return ColumnGuess(col, "yuan", f"猜测：中位数 {med:g}，像是元而不是万元，请核对")
    return ColumnGuess(col)


# --- the layer -----------------------------------------------------------------------------


def _credit_code_columns(df: pd.DataFrame) -> list[str]:
    out = []
    for col in df.columns:
        if isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name:
            continue
        text = df[col].dropna().astype(str).str.strip().str.upper().head(200)
        if len(text) and text.str.fullmatch(CREDIT_CODE).mean() >= 0.8:
            out.append(str(col))
    return out


def _geometry_kind(df: pd.DataFrame) -> str:
    """'polygon', 'point' or 'none'."""
    if not isinstance(df, gpd.GeoDataFrame):
        return "none"
    types = set(df.geom_type.dropna())
    return "polygon" if types and types <= _POLYGONS else ("point" if types else "none")


def choose_layer(df: pd.DataFrame) -> tuple[str, str]:
    """The most likely layer of a frame, and why (in Chinese)."""
    geom = _geometry_kind(df)
    codes = _credit_code_columns(df)
    scores: dict[str, float] = {}
    for layer in LAYERS:
        spatial = layer in SPATIAL_LAYERS
        if (geom == "polygon") != spatial:
            continue
        found = _columns(layer, df)
        scores[layer] = len(found) + 2 * ("parcel_id" in found and layer == "parcels")
    if geom != "polygon" and codes:
        has_parcel = "parcel_id" in _columns("occupancy", df)
        has_year = "year" in _columns("enterprises", df)
        scores["occupancy"] += 5 if has_parcel and not has_year else 0
        scores["enterprises"] += 5 if has_year or not has_parcel else 0
    best = max(scores, key=lambda k: (scores[k], -LAYERS.index(k) if k != "parcels" else 1))
    return best, _reason(best, geom, codes, _columns(best, df))


def _reason(layer: str, geom: str, codes: list[str], found: dict[str, ColumnGuess]) -> str:
    parts = [{"polygon": "面状图形", "point": "点状图形", "none": "无图形(表格)"}[geom]]
    if codes:
        parts.append(f"列 {'、'.join(codes)} 是 18 位统一社会信用代码")
    if found:
        parts.append(f"识别出字段 {'、'.join(c.column for c in found.values())}")
    return f"判断为{LAYER_LABELS[layer]}({layer})：" + "；".join(parts)


# --- values and CRS -------------------------------------------------------------------------


def _recode(layer: str, name: str, s: pd.Series, file: str) -> tuple[dict[str, str], list[str]]:
    """Recodings of the distinct values of an enum column, and questions for the unmatched."""
    f = FIELDS[layer][name]
    known = {k.lower(): val for k, val in f.values.items()}
    chinese = {k: val for k, val in f.values.items() if k != val}
    table: dict[str, str] = {}
    unmatched: list[str] = []
    for value in sorted(s.dropna().astype(str).str.strip().unique())[:50]:
        if not value:
            continue
        if value.lower() in known:
            table[value] = known[value.lower()]
            continue
        near = {val for zh, val in chinese.items() if zh in value}
        if len(near) == 1:
            table[value] = near.pop()
        else:
            unmatched.append(value)
    codes = "、".join(f"{val}({zh})" for zh, val in chinese.items())
    questions = [
        f"{file}：列 {s.name} 的取值 {u!r} 不是{f.label}的标准取值(可选 {codes})；"
        f'在 mapping.toml 的 [{layer}.values.{name}] 中加一行 "{u}" = "代码"'
        for u in unmatched
    ]
    return table, questions


def _bounds(df: pd.DataFrame) -> tuple[float, float, float, float] | None:
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry.isna().all():
        return None
    b = df.geometry.total_bounds
    return None if not np.isfinite(b).all() else (b[0], b[1], b[2], b[3])


def _gk_from_easting(x: float) -> str | None:
    """An 8-digit easting with the zone prefix (25–45) names its EPSG code (4513–4533)."""
    zone = int(x // 1_000_000)
    if 1e7 <= x < 1e8 and 25 <= zone <= 45 and 300_000 <= x % 1_000_000 <= 700_000:
        return f"EPSG:{4513 + zone - 25}"
    return None


def guess_crs(
    df: pd.DataFrame, file: str, layer: str, lon_hint: float | None
) -> tuple[str | None, list[str], list[str]]:
    """(assume_crs, warnings, questions) for a layer whose file declares no CRS."""
    b = _bounds(df)
    where = f"在 mapping.toml 的 [{layer}] 中写 assume_crs"
    if b is None:
        return None, [], []
    x0, y0, x1, y1 = b
    if x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90:
        warn = (
            f"{file}：没有坐标系，坐标像经纬度，按 CGCS2000 经纬度(EPSG:4490)处理；"
            "可能为 GCJ-02(网络地图坐标)，如是请先纠偏"
        )
        return "EPSG:4490", [warn], []
    cx = (x0 + x1) / 2
    prefixed = _gk_from_easting(cx)
    if prefixed:
        return prefixed, [f"{file}：没有坐标系，东坐标带 8 位带号，按 {prefixed} 处理"], []
    if x0 >= 1e5 and x1 <= 9e5 and y0 > 0 and y1 < 6.5e6:
        if lon_hint is not None:
            code = f"EPSG:{gk_epsg(lon_hint)}"
            return code, [f"{file}：没有坐标系，按经度 {lon_hint:.2f}°E 所在 3 度带 {code}"], []
        ask = (
            f"{file}：没有坐标系，坐标像 CGCS2000 3 度带高斯-克吕格(不带带号，EPSG:4534–4554)，"
            f'无法判断中央经线；{where} = "EPSG:4549"(中央经线 120°E，鲤城一带)'
            '或 "EPSG:4548"(117°E)等'
        )
        return None, [], [ask]
    return None, [], [f'{file}：没有坐标系，坐标范围无法判断；{where} = "EPSG:…"']


def _lon_hint(frames: Iterable[pd.DataFrame]) -> float | None:
    for df in frames:
        if isinstance(df, gpd.GeoDataFrame) and df.crs is not None and _bounds(df):
            c = df.to_crs(4326).geometry.union_all().centroid
            return float(c.x)
    return None


# --- the proposal --------------------------------------------------------------------------


def _propose_one(
    file: str, source: str, df: pd.DataFrame, lon_hint: float | None, money_unit: str | None = None
) -> InputProposal:
    layer, reason = choose_layer(df)
    item = InputProposal(file, source, layer, reason, columns=_columns(layer, df, money_unit))
    for name, guess in item.columns.items():
        if FIELDS[layer][name].kind == "enum":
            table, questions = _recode(layer, name, df[guess.column].rename(guess.column), file)
            item.values[name] = table
            item.questions += questions
        if guess.unit_reason.startswith("猜测"):
            item.warnings.append(
                f"{file}：列 {guess.column} {guess.unit_reason}；mapping.toml 的 [{layer}.columns] "
                f"中这一行为 {column_line(name, guess)}，单位不对时改 unit 或删去"
            )
    if isinstance(df, gpd.GeoDataFrame) and df.crs is None and layer in SPATIAL_LAYERS:
        item.assume_crs, warns, questions = guess_crs(df, file, layer, lon_hint)
        item.warnings += warns
        item.questions += questions
    elif isinstance(df, gpd.GeoDataFrame) and df.crs is not None and df.crs.is_geographic:
        item.warnings.append(f"{file}：经纬度坐标可能为 GCJ-02(网络地图坐标)，如是请先纠偏")
    missing = [f for f in FIELDS[layer].values() if f.required and f.name not in item.columns]
    item.questions += [
        f"{file}：没有找到必填字段 {f.name}({f.label})；在 mapping.toml 的 [{layer}.columns] 中写 "
        f'{f.name} = "列名"(文件中的列：{"、".join(map(str, df.columns[:20]))})'
        for f in missing
    ]
    return item


def propose(paths: Iterable[str | Path]) -> Proposal:
    """Propose a layer, column mapping, units, recodings and CRS for every input.

    Inputs are files (shapefile, zip, GeoPackage, GeoJSON, CSV, XLSX); each layer of a
    GeoPackage with several layers, and each layer file of a zip with several, is one input.
    """
    read: list[tuple[Path, _Part]] = []
    with tempfile.TemporaryDirectory(prefix="lcgis-propose-") as tmp:
        for p in map(Path, paths):
            read += [(p, part) for part in _read(p, Path(tmp))]
    hint = _lon_hint(part.frame for _, part in read if part.frame is not None)
    items: list[InputProposal] = []
    seen: dict[str, str] = {}
    for path, part in read:
        inner = part.gpkg_layer or part.zip_member
        file = f"{path.name}/{inner}" if inner else path.name
        if part.frame is None:
            items.append(
                InputProposal(file, part.source, None, part.why, questions=[f"{file}：{part.why}"])
            )
            continue
        item = _propose_one(file, part.source, part.frame, hint, part.money_unit)
        item.warnings[:0] = [f"{file}：{note}" for note in part.notes]
        item.path, item.gpkg_layer, item.zip_member = path, part.gpkg_layer, part.zip_member
        if item.layer in seen:
            item.questions.append(
                f"{file} 也像{LAYER_LABELS[item.layer or '']}，已有 {seen[item.layer or '']}；"
                "只用第一个。如需改用它，请修改 mapping.toml 中该节的 source"
            )
        seen.setdefault(item.layer or "", file)
        items.append(item)
    return Proposal(items)
