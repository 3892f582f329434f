"""A first guess at a dataset from files under their own names — which layer each input is,
which column is which field (and in which unit), how enum values recode, which CRS undeclared
coordinates are in — the questions left for a person, and the edits a person makes to it.

The guesses themselves are :mod:`lcgis.data.sniff`; a :class:`Proposal` keeps the frames it
was made from, so that the 数据 wizard can change a layer, a column, a value or the CRS and
see the questions that remain, and :meth:`Proposal.mapping_toml` writes what the loader reads.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from lcgis.data import guard
from lcgis.data import validate as v
from lcgis.data.crs import in_china, transformer
from lcgis.data.mapping import LayerMapping
from lcgis.data.readers import TABLE_EXTS, VECTOR_EXTS, geojson_declares_crs, read_raw
from lcgis.data.schema import FIELDS, SPATIAL_LAYERS
from lcgis.data.sniff import (
    ColumnGuess,
    CrsChoice,
    bounds,
    choose_layer,
    crs_choices,
    geometry_column,
    guess_columns,
    is_lonlat,
)
from lcgis.vocab import LAYER_LABELS, LAYERS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from lcgis.data.sniff import Declared

__all__ = ["ColumnGuess", "CrsChoice", "InputProposal", "Proposal", "propose", "zip_members"]

#: Layer files read from inside a zip (nested zips are the loader's business).
_MEMBER_EXTS = {e for e in (*VECTOR_EXTS, *TABLE_EXTS) if e != ".zip"}
#: Reader warnings a proposal repeats (how a sheet's header was found).
_READER_NOTES = ("title_rows_skipped", "merged_header")
#: Files that travel with a shapefile (read with it, never on their own).
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


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


@dataclass
class InputProposal:
    """What one input (a file, a zip member, a GeoPackage layer) most likely is.

    ``frame`` is the table as read; the questions are worked out from it and the current
    choices, so they follow every edit.
    """

    file: str
    source: str
    layer: str | None
    reason: str
    columns: dict[str, ColumnGuess] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    assume_crs: str | None = None
    crs_choices: list[CrsChoice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    crs_notes: list[str] = field(default_factory=list)
    problem: str = ""
    money_unit: str | None = None
    path: Path | None = None
    gpkg_layer: str | None = None
    zip_member: str | None = None
    frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    # --- what is known -------------------------------------------------------------------

    @property
    def undeclared(self) -> bool:
        """A spatial layer whose file declares no CRS."""
        f = self.frame
        return isinstance(f, gpd.GeoDataFrame) and f.crs is None and self.layer in SPATIAL_LAYERS

    def input_columns(self) -> list[str]:
        """The file's columns (not its geometry)."""
        f = self.frame
        if f is None:
            return []
        geom = f.geometry.name if isinstance(f, gpd.GeoDataFrame) else None
        return [str(c) for c in f.columns if c != geom]

    def unmapped(self) -> list[str]:
        """Columns no field takes (kept by the loader as extra attributes)."""
        taken = {g.column for g in self.columns.values()}
        return [c for c in self.input_columns() if c not in taken]

    def seen_values(self, name: str) -> list[str]:
        """The distinct values (up to 50) of the column mapped to enum field ``name``."""
        guess = self.columns.get(name)
        if self.frame is None or guess is None or guess.column not in self.frame:
            return []
        s = self.frame[guess.column].dropna().astype(str).str.strip()
        return sorted(x for x in s.unique() if x)[:50]

    def enum_fields(self) -> list[str]:
        layer = self.layer or ""
        return [n for n in self.columns if FIELDS[layer][n].kind == "enum"]

    @property
    def warnings(self) -> list[str]:
        out = self.notes + self.crs_notes
        for name, guess in self.columns.items():
            if guess.unit_reason.startswith("猜测"):
                out.append(
                    f"{self.file}：列 {guess.column} {guess.unit_reason}；mapping.toml 的 "
                    f"[{self.layer}.columns] 中这一行为 {column_line(name, guess)}，"
                    "不对时修改或删去这一行"
                )
        return out

    @property
    def questions(self) -> list[str]:
        if self.layer is None:
            return [f"{self.file}：{self.problem}"] if self.problem else []
        out = [q for n in self.enum_fields() for q in self._value_questions(n)]
        if self.undeclared and not self.assume_crs:
            out.append(self._crs_question())
        out += [
            f"{self.file}：没有找到必填字段 {f.name}({f.label})；在 mapping.toml 的 "
            f'[{self.layer}.columns] 中写 {f.name} = "列名"({self._candidates(f.name)})'
            for f in FIELDS[self.layer].values()
            if f.required and f.name not in self.columns
        ]
        return out

    def _candidates(self, name: str) -> str:
        """The columns that could be field ``name``: for an identifier, those whose values are
        all present and distinct; else the file's first columns."""
        if self.frame is not None and name in ("parcel_id", "building_id", "zone_id"):
            ids = [c for c in self.input_columns() if _unique(self.frame[c])]
            if ids:
                return f"值各不相同的列：{'、'.join(ids[:8])}"
        return f"文件中的列：{'、'.join(self.input_columns()[:20])}"

    def _value_questions(self, name: str) -> list[str]:
        layer = self.layer or ""
        f = FIELDS[layer][name]
        table = self.values.get(name, {})
        codes = "、".join(f"{val}({zh})" for zh, val in f.values.items() if zh != val)
        return [
            f"{self.file}：列 {self.columns[name].column} 的取值 {u!r} 不是{f.label}的标准取值"
            f'(可选 {codes})；在 mapping.toml 的 [{layer}.values.{name}] 中加一行 "{u}" = "代码"'
            for u in self.seen_values(name)
            if u not in table
        ]

    def _crs_question(self) -> str:
        where = f"在 mapping.toml 的 [{self.layer}] 中写 assume_crs"
        if self.crs_choices:
            options = "或".join(f'"{c.code}"({c.why})' for c in self.crs_choices)
            return f"{self.file}：没有坐标系，无法确定是哪一个；{where} = {options}"
        return f'{self.file}：没有坐标系，坐标范围无法判断；{where} = "EPSG:…"'

    # --- edits ---------------------------------------------------------------------------

    def set_layer(self, layer: str | None) -> None:
        """Treat the input as ``layer`` (None: not used): columns and values anew (the CRS is
        the proposal's business: :meth:`Proposal.set_layer`)."""
        self.layer = layer
        self.columns, self.values = {}, {}
        if layer is None or self.frame is None:
            return
        self.columns = guess_columns(layer, self.frame, self.money_unit)
        for name in self.enum_fields():
            self.values[name] = recode(layer, name, self.seen_values(name))

    def set_crs(self, code: str | None) -> None:
        """Assume ``code`` for undeclared coordinates (None: leave it a question)."""
        self.assume_crs = code

    def set_column(self, name: str, column: str | None, unit: str | None = None) -> None:
        """Map field ``name`` to ``column`` (None: to no column) in ``unit``."""
        layer = self.layer or ""
        if column is None:
            self.columns.pop(name, None)
            self.values.pop(name, None)
            return
        self.columns[name] = ColumnGuess(column, unit, "由用户指定" if unit else "")
        if FIELDS[layer][name].kind == "enum":
            self.values[name] = recode(layer, name, self.seen_values(name))

    def set_value(self, name: str, value: str, code: str | None) -> None:
        """Recode ``value`` of enum field ``name`` to ``code`` (None: leave it unrecoded)."""
        table = self.values.setdefault(name, {})
        if code is None:
            table.pop(value, None)
        else:
            table[value] = code

    def guess_crs(self, lon_hint: float | None, others: Sequence[Declared] = ()) -> None:
        """The CRS candidates of an undeclared layer; the first assumed when it is sure."""
        self.assume_crs, self.crs_choices, self.crs_notes = None, [], []
        b = bounds(self.frame) if self.undeclared and self.frame is not None else None
        if b is None:
            return
        self.crs_choices, sure = crs_choices(b, lon_hint, others)
        if sure and self.crs_choices:
            first = self.crs_choices[0]
            self.assume_crs = first.code
            self.crs_notes.append(f"{self.file}：没有坐标系，{first.why}，按 {first.code} 处理")
        if is_lonlat(b) and in_china((b[0] + b[2]) / 2, (b[1] + b[3]) / 2):
            self.crs_notes.append(gcj_note(self.file))


def _unique(s: pd.Series) -> bool:
    """Every value present and distinct (an identifier column); not a float measure."""
    return bool(s.notna().all() and s.is_unique and not pd.api.types.is_float_dtype(s))


def gcj_note(file: str) -> str:
    return f"{file}：经纬度坐标可能为 GCJ-02(网络地图坐标)，如是请先纠偏"


def recode(layer: str, name: str, seen: Iterable[str]) -> dict[str, str]:
    """Recodings of the distinct values of an enum column that a label or code matches.

    >>> recode("occupancy", "tenure", ["自有", "租赁", "借用"])
    {'自有': 'own', '租赁': 'lease'}
    """
    f = FIELDS[layer][name]
    known = {k.lower(): val for k, val in f.values.items()}
    chinese = {k: val for k, val in f.values.items() if k != val}
    table: dict[str, str] = {}
    for value in seen:
        if value.lower() in known:
            table[value] = known[value.lower()]
            continue
        near = {val for zh, val in chinese.items() if zh in value}
        if len(near) == 1:
            table[value] = near.pop()
    return table


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


@dataclass
class Proposal:
    """The proposal for all inputs; :meth:`mapping_toml` writes it for the loader."""

    inputs: list[InputProposal]
    notes: list[str] = field(default_factory=list)

    @property
    def questions(self) -> list[str]:
        out = [q for i in self.inputs for q in i.questions]
        first: dict[str, str] = {}
        for item in self.inputs:
            if item.layer is None:
                continue
            if item.layer in first:
                out.append(
                    f"{item.file} 也像{LAYER_LABELS[item.layer]}，已有 {first[item.layer]}；"
                    "只用第一个。如需改用它，请修改 mapping.toml 中该节的 source"
                )
            first.setdefault(item.layer, item.file)
        return out

    @property
    def warnings(self) -> list[str]:
        return self.notes + [w for i in self.inputs for w in i.warnings]

    def by_layer(self) -> dict[str, InputProposal]:
        """The first input proposed for each layer."""
        out: dict[str, InputProposal] = {}
        for item in self.inputs:
            if item.layer is not None and item.layer not in out:
                out[item.layer] = item
        return out

    def set_layer(self, index: int, layer: str | None) -> None:
        """Treat input ``index`` as ``layer``: its columns, values and CRS guessed anew."""
        item = self.inputs[index]
        item.set_layer(layer)
        item.reason = f"由用户指定为{LAYER_LABELS[layer]}" if layer else "由用户设为不使用"
        item.guess_crs(self.lon_hint(), declared(self.inputs))

    def apply(self, mapping: Mapping[str, LayerMapping]) -> None:
        """Take the layers, columns, units, values and CRS a (edited) mapping.toml gives: a
        section's ``source`` names the input by its file name."""
        for layer, lm in mapping.items():
            item = self._source_item(layer, lm)
            if item is None:
                continue
            for other in self.inputs:
                if other is not item and other.layer == layer:
                    other.set_layer(None)
            if item.layer != layer:
                item.set_layer(layer)
            for name, cm in lm.columns.items():
                item.columns[name] = ColumnGuess(cm.column, cm.unit)
            for name in item.enum_fields():
                item.values[name] = {
                    **recode(layer, name, item.seen_values(name)),
                    **lm.values.get(name, {}),
                }
            item.assume_crs = lm.assume_crs or item.assume_crs

    def _source_item(self, layer: str, lm: LayerMapping) -> InputProposal | None:
        if lm.source is None:
            return self.by_layer().get(layer)
        name = lm.source.name.lower()
        return next((i for i in self.inputs if i.source.lower() == name), None)

    def lon_hint(self) -> float | None:
        """The longitude of the first input that declares a CRS."""
        for item in self.inputs:
            f = item.frame
            b = bounds(f) if isinstance(f, gpd.GeoDataFrame) and f.crs is not None else None
            if b is not None and isinstance(f, gpd.GeoDataFrame):
                return float(
                    transformer(f.crs, 4326).transform((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)[0]
                )
        return None

    def mapping_toml(self) -> str:
        """A mapping.toml (read back by :func:`lcgis.data.mapping.read_mapping`)."""
        lines: list[str] = []
        for layer, item in sorted(self.by_layer().items(), key=lambda kv: LAYERS.index(kv[0])):
            lines += _section(layer, item)
        return "\n".join(lines) + "\n"


# --- reading the inputs --------------------------------------------------------------------


@dataclass
class _Part:
    """One layer read from an input file."""

    source: str
    frame: pd.DataFrame | None
    why: str = ""
    notes: tuple[str, ...] = ()
    gpkg_layer: str | None = None
    zip_member: str | None = None
    #: The money unit a workbook's title names.
    money_unit: str | None = None


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
    """One file read as the loader reads it: its frame (None when unreadable, with why),
    the reader's notes on how it was read, and a note on a GeoJSON's CRS."""
    report = v.QualityReport()
    table = path.suffix.lower() in (".csv", ".xlsx")
    raw = read_raw(path, "enterprises" if table else "parcels", LayerMapping(), report, tmp)
    if raw is not None and table and geometry_column(raw.frame):
        report = v.QualityReport()
        raw = read_raw(path, "parcels", LayerMapping(), report, tmp)
    why = "；".join(i.message for i in report.issues)
    if raw is None:
        return _Part(path.name, None, why, zip_member=member)
    notes = [f"{path.name}：{i.message}" for i in report.issues if i.code in _READER_NOTES]
    frame = raw.frame
    b = bounds(frame)
    geojson = path.suffix.lower() in (".geojson", ".json")
    undeclared = geojson and b and not is_lonlat(b) and not geojson_declares_crs(path)
    if undeclared and isinstance(frame, gpd.GeoDataFrame):
        # RFC 7946 implies WGS 84, but these coordinates are not degrees: undeclared
        frame = frame.set_crs(None, allow_override=True)
        notes.append(f"{path.name}：GeoJSON 没有声明坐标系(按规范应为经纬度)，但坐标不是经纬度")
    return _Part(path.name, frame, why, tuple(notes), zip_member=member, money_unit=raw.money_unit)


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


def sidecar_of(path: Path) -> Path | None:
    """The .shp a shapefile sidecar (.dbf, .shx, .prj, .shp.xml …) belongs with, else None.

    >>> sidecar_of(Path("a/宗地.dbf")), sidecar_of(Path("宗地.shp.xml")), sidecar_of(Path("x.csv"))
    (PosixPath('a/宗地.shp'), PosixPath('宗地.shp'), None)
    """
    name = path.name.lower()
    ext = next((e for e in SIDECARS if name.endswith(e)), None)
    if ext is None:
        return None
    return path.with_name(path.name[: -len(ext)] + ".shp")


def group_shapefiles(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """The inputs with each shapefile's sidecars folded into its .shp (they travel with it),
    and a note for a sidecar whose .shp was not given."""
    paths = list(paths)
    shps = {p.with_suffix(".shp").as_posix().lower() for p in paths if p.suffix.lower() == ".shp"}
    kept: list[Path] = []
    notes: list[str] = []
    for p in paths:
        shp = sidecar_of(p)
        if shp is None:
            kept.append(p)
        elif shp.as_posix().lower() not in shps:
            notes.append(f"{p.name} 是 Shapefile 的附属文件，但没有同名的 {shp.name}，未使用")
    return kept, notes


def propose(paths: Iterable[str | Path]) -> Proposal:
    """Propose a layer, column mapping, units, recodings and CRS for every input.

    Inputs are files (shapefile with or without its sidecars, zip, GeoPackage, GeoJSON, CSV,
    XLSX); each layer of a GeoPackage with several layers, and each layer file of a zip with
    several, is one input.
    """
    kept, notes = group_shapefiles(map(Path, paths))
    items: list[InputProposal] = []
    with tempfile.TemporaryDirectory(prefix="lcgis-propose-") as tmp:
        for path in kept:
            for part in _read(path, Path(tmp)):
                inner = part.gpkg_layer or part.zip_member
                file = f"{path.name}/{inner}" if inner else path.name
                items.append(_item(file, path, part))
    proposal = Proposal(items, notes)
    hint, others = proposal.lon_hint(), declared(items)
    for item in items:
        if item.undeclared:
            item.guess_crs(hint, others)
        elif isinstance(item.frame, gpd.GeoDataFrame) and item.frame.crs is not None:
            b = bounds(item.frame)
            if item.frame.crs.is_geographic and b and in_china((b[0] + b[2]) / 2, b[1]):
                item.notes.append(gcj_note(item.file))
    return proposal


def _item(file: str, path: Path, part: _Part) -> InputProposal:
    item = InputProposal(file, part.source, None, part.why, problem=part.why)
    item.path, item.gpkg_layer, item.zip_member = path, part.gpkg_layer, part.zip_member
    if part.frame is None:
        return item
    item.frame, item.money_unit = part.frame, part.money_unit
    item.notes += part.notes
    layer, item.reason = choose_layer(part.frame)
    item.set_layer(layer)  # the CRS is guessed once every input is read
    return item


def declared(items: Sequence[InputProposal]) -> list[Declared]:
    """(file, CRS, range) of the inputs that declare a projected CRS."""
    out = []
    for item in items:
        f = item.frame
        if isinstance(f, gpd.GeoDataFrame) and f.crs is not None and f.crs.is_projected:
            b = bounds(f)
            if b:
                out.append((item.file, crs_code(f.crs), b))
    return out


def crs_code(crs: pyproj.CRS) -> str:
    """``EPSG:n`` when the CRS has (or matches) an EPSG code, else its WKT.

    >>> crs_code(pyproj.CRS.from_epsg(4549))
    'EPSG:4549'
    """
    auth = crs.to_authority(min_confidence=70)
    return f"{auth[0]}:{auth[1]}" if auth else crs.to_wkt()
