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

from lcgis.data import guard
from lcgis.data import validate as v
from lcgis.data.crs import working_crs
from lcgis.data.guard import HostileFileError
from lcgis.data.schema import AREA_UNITS, FIELDS, MONEY_UNITS, SPATIAL_LAYERS, normalize_label
from lcgis.errors import DataError
from lcgis.vocab import LAYER_LABELS

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
    "950": "big5",
    "cp950": "big5",
    "big5": "big5",
    "ansi 950": "big5",
}
#: Language driver ids of a .dbf header (byte 29) that name a Chinese code page.
_DBF_LDID = {0x4D: "gb18030", 0x7A: "gb18030", 0x4F: "big5", 0x78: "big5"}


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


def read_toml_text(path: Path) -> str:
    """The text of a TOML file: UTF-8 (with or without BOM), or GBK/Big5 as Notepad saves it."""
    if path.stat().st_size > guard.MAX_TOML_BYTES:
        raise DataError(
            f"{path.name} 过大(超过 {guard.MAX_TOML_BYTES // 1024} KB)，不像是配置文件：请检查文件"
        )
    raw = path.read_bytes()
    try:
        return decode_text(raw)[0]
    except UnicodeError as exc:
        raise DataError(
            f"{path.name} 的编码无法识别(应为 UTF-8)：请用记事本“另存为 UTF-8”后重试"
        ) from exc


def _mapping_error(path: Path, where: str, what: str, fix: str) -> DataError:
    return DataError(f"{path.name} [{where}]：{what}。{fix}")


def _kind_zh(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"数值 {value!r}"
    if isinstance(value, str):
        return f"文本 {value!r}"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


def _text_key(path: Path, where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _mapping_error(
            path, where, f"{key} 应为文本，实际为{_kind_zh(value)}", f'写成 {key} = "…"'
        )
    if _CONTROL.search(value):
        raise _mapping_error(path, where, f"{key} 含控制字符", "删除不可见字符后重试")
    return value


def read_mapping(path: Path) -> dict[str, LayerMapping]:
    """Parse a mapping.toml into one :class:`LayerMapping` per layer.

    Every key is checked for its type; a wrong one raises :class:`DataError` naming the file,
    the section and the key.
    """
    try:
        data = tomllib.loads(read_toml_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name} 不是合法的 TOML：{exc}。请修正该文件") from exc
    except RecursionError as exc:
        raise DataError(f"{path.name} 不是合法的 TOML：嵌套过深。请修正该文件") from exc
    out: dict[str, LayerMapping] = {}
    for layer, spec in data.items():
        if layer not in LAYERS:
            raise DataError(
                f"{path.name}：未知的节 [{layer}]，可用的是 {', '.join(LAYERS)}。请改正节名"
            )
        if not isinstance(spec, dict):
            raise _mapping_error(
                path, layer, f"应为一节([{layer}])，实际为{_kind_zh(spec)}", f"写成 [{layer}] 一节"
            )
        unknown = set(spec) - {"source", "assume_crs", "geometry", "columns", "values"}
        if unknown:
            raise _mapping_error(
                path,
                layer,
                f"未知的键 {'、'.join(sorted(unknown))}",
                "可用的键：source、assume_crs、geometry、columns、values",
            )
        for key in ("columns", "values"):
            if not isinstance(spec.get(key, {}), dict):
                raise _mapping_error(
                    path,
                    f"{layer}.{key}",
                    f"应为一节，实际为{_kind_zh(spec[key])}",
                    f"写成 [{layer}.{key}] 一节",
                )
        columns: dict[str, ColumnMap] = {}
        for name, col in spec.get("columns", {}).items():
            where = f"{layer}.columns"
            if name not in FIELDS[layer]:
                raise DataError(
                    f"{path.name} [{where}]：{name} 不是{LAYER_LABELS[layer]}的标准字段。"
                    f"可用：{', '.join(FIELDS[layer])}"
                )
            if isinstance(col, str):
                columns[name] = ColumnMap(_text_key(path, where, name, col))
                continue
            if not isinstance(col, dict) or "column" not in col:
                raise _mapping_error(
                    path,
                    where,
                    f'{name} 应为列名文本或 {{ column = "列名", unit = "单位" }}，'
                    f"实际为{_kind_zh(col)}",
                    f'写成 {name} = "列名"',
                )
            extra = set(col) - {"column", "unit"}
            if extra:
                raise _mapping_error(
                    path,
                    where,
                    f"{name} 中有未知的键 {'、'.join(sorted(extra))}",
                    "只能用 column 和 unit",
                )
            unit = col.get("unit")
            unit_kind = FIELDS[layer][name].unit
            allowed = AREA_UNITS if unit_kind == "area" else MONEY_UNITS
            if unit is not None and (unit_kind is None or unit not in allowed):
                raise DataError(
                    f"{path.name} [{where}] {name}：未知单位 {unit!r}，"
                    + (f"可用 {', '.join(allowed)}" if unit_kind else "该字段没有单位，请删除 unit")
                )
            columns[name] = ColumnMap(_text_key(path, where, f"{name}.column", col["column"]), unit)
        values: dict[str, dict[str, str]] = {}
        for name, table in spec.get("values", {}).items():
            where = f"{layer}.values.{name}"
            if name not in FIELDS[layer]:
                raise DataError(
                    f"{path.name} [{where}]：{name} 不是{LAYER_LABELS[layer]}的标准字段。"
                    f"可用：{', '.join(FIELDS[layer])}"
                )
            if not isinstance(table, dict):
                raise _mapping_error(
                    path,
                    where,
                    f"应为一节，实际为{_kind_zh(table)}",
                    f'写成 [{where}] 下 "原值" = "新值"',
                )
            for a, b in table.items():
                if not isinstance(b, str | int | float) or isinstance(b, bool):
                    raise _mapping_error(
                        path,
                        where,
                        f"{a} 的新值应为文本，实际为{_kind_zh(b)}",
                        f'写成 "{a}" = "新值"',
                    )
            values[name] = {str(a): str(b) for a, b in table.items()}
        source = spec.get("source")
        if source is not None:
            _text_key(path, layer, "source", source)
            if guard.is_virtual_path(source):
                raise _mapping_error(
                    path,
                    layer,
                    f"source 不能是网址或 GDAL 虚拟路径({source})",
                    "先把文件下载到本地，写相对于 mapping.toml 的文件名",
                )
        for key in ("assume_crs", "geometry"):
            if spec.get(key) is not None:
                _text_key(path, layer, key, spec[key])
        out[layer] = LayerMapping(
            source=(path.parent / source) if source else None,
            assume_crs=spec.get("assume_crs"),
            geometry=spec.get("geometry"),
            columns=columns,
            values=values,
        )
    return out


# --- parsing values -------------------------------------------------------------------------


def _blank(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return s.isna() | (text == "") | text.str.lower().isin(["nan", "none", "null", "nat"])


def parse_numbers(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers from text (thousands separators, full-width digits); returns (values, bad).

    Infinite values ('inf', '1e400', ±∞ in a numeric column) are bad, not numbers.
    """
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        values = s.astype(float)
        bad = pd.Series(np.isinf(values.to_numpy(dtype=float)), index=s.index)
        return values.mask(bad), bad
    blank = _blank(s)
    if blank.all():  # an all-blank column: nothing to parse (and no text dtype to parse it)
        return pd.Series(np.nan, index=s.index, dtype="float64"), pd.Series(False, index=s.index)
    text = (
        s.astype("string")
        .map(lambda t: unicodedata.normalize("NFKC", t), na_action="ignore")
        .astype("string")
        .str.replace(",", "", regex=False)
        .str.strip()
    )
    with np.errstate(over="ignore"):
        values = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    finite = values.mask(np.isinf(values.to_numpy(dtype=float)))
    return finite, ~blank & finite.isna()


#: Dates outside these years are refused (pandas holds 1677–2262; land records far less).
DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31"))


def _to_timestamp(x: Any) -> Any:
    try:
        t = pd.Timestamp(x)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    if pd.isna(t):
        return pd.NaT
    if t.tzinfo is not None:
        t = t.tz_localize(None)
    return t if DATE_RANGE[0] <= t <= DATE_RANGE[1] else pd.NaT


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates written 2021-03-01, 2021/3/1, 2021年3月1日, or as Excel serial numbers.

    Dates before 1900 or after 2100 (such as 9999-12-31) are bad values, never an error of
    pandas.
    """
    blank = _blank(s)
    if pd.api.types.is_datetime64_any_dtype(s):
        s = pd.Series(s.to_numpy(dtype=object), index=s.index)  # any unit, no overflow
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    is_dt = s.map(lambda x: hasattr(x, "year") and not pd.isna(x)).astype(bool)
    if is_dt.any():
        out[is_dt] = pd.to_datetime(s[is_dt].map(_to_timestamp), errors="coerce")
    num = pd.to_numeric(s.where(~is_dt & ~blank).astype("string"), errors="coerce").astype(float)
    serial = num.between(1, 73050).fillna(False).astype(bool) & ~is_dt  # to 2099-12-31
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
        out[rest] = pd.to_datetime(text.map(_to_timestamp, na_action="ignore"), errors="coerce")
    out = out.where((out >= DATE_RANGE[0]) & (out <= DATE_RANGE[1]))
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


#: Control characters (C0 but tab/newline, DEL, C1) and bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_control(s: pd.Series) -> pd.Series:
    """True where a text value holds control characters (see :data:`_CONTROL`)."""
    text = s.astype("string")
    return text.str.contains(_CONTROL, na=False).astype(bool)


def parse_text(s: pd.Series, *, code: bool = False) -> pd.Series:
    """Text ids and codes: integral floats lose their '.0', spaces trimmed, control
    characters removed (tab and newline become a space)."""

    def one(x: Any) -> Any:
        if isinstance(x, float | np.floating) and float(x).is_integer():
            return str(int(x))
        if isinstance(x, int | np.integer) and not isinstance(x, bool):
            return str(x)
        text = unicodedata.normalize("NFKC", str(x))
        text = _CONTROL.sub("", text).replace("\t", " ").replace("\r", " ").replace("\n", " ")
        return text.strip()

    text = pd.Series(s.to_numpy(dtype=object), index=s.index).map(one, na_action="ignore")
    text = text.astype("string").mask(_blank(s))
    text = text.mask(text == "")
    return text.str.upper() if code else text


# --- reading files --------------------------------------------------------------------------


def _common_share(text: str, enc: str) -> float:
    """Share of the non-ASCII characters that are among the common hanzi of ``enc``."""
    chars = [ch for ch in text if ord(ch) > 127]
    if not chars:
        return 1.0
    common = 0
    for ch in chars:
        try:
            b = ch.encode("gb2312" if enc == "gb18030" else "big5")
        except UnicodeError:
            continue
        lead = b[0] if len(b) == 2 else 0
        common += (0xB0 <= lead <= 0xD7) if enc == "gb18030" else (0xA4 <= lead <= 0xC6)
    return common / len(chars)


def detect_encoding(raw: bytes) -> str:
    """utf-8-sig, utf-8, gb18030 (a superset of GBK) or big5, by what decodes and reads as
    common Chinese characters.

    >>> detect_encoding("宗地编号".encode("gbk")), detect_encoding("宗地編號".encode("big5"))
    ('gb18030', 'big5')
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"  # a sample cut inside a character
    sample = raw[: 1 << 16]
    gb = sample.decode("gb18030", errors="ignore")
    try:
        big5 = sample.decode("big5")
    except UnicodeDecodeError as exc:
        cut = len(sample) < len(raw) and exc.start >= len(sample) - 1  # a character cut in two
        if not cut:
            return "gb18030"
        big5 = sample[: exc.start].decode("big5")
    if _common_share(big5, "big5") > _common_share(gb, "gb18030") + 0.2:
        return "big5"
    return "gb18030"


def decode_text(raw: bytes) -> tuple[str, str]:
    """Text and encoding of a text file; :class:`UnicodeError` when no encoding fits."""
    enc = detect_encoding(raw)
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnicodeError(f"第 {line} 行有无法识别的字节(不是 UTF-8、GBK 或 Big5 编码)") from exc


def _shapefile_encoding(path: Path) -> str:
    """The .cpg's code page, else the .dbf header's language driver, else what decodes."""
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    if cpg.exists():
        with cpg.open("rb") as fh:
            name = fh.read(64).decode("ascii", errors="ignore").strip().lower()
        if name in _CODEPAGES:
            return _CODEPAGES[name]
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return "utf-8"
    with dbf.open("rb") as fh:
        raw = fh.read(1 << 20)  # the header and the first records tell the encoding
    if len(raw) > 29 and raw[29] in _DBF_LDID:
        return _DBF_LDID[raw[29]]
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    enc = detect_encoding(raw[header_len:])
    return "utf-8" if enc == "utf-8-sig" else enc


def _read_csv(path: Path) -> pd.DataFrame:
    from io import StringIO

    text, _ = decode_text(path.read_bytes())
    if "\x00" in text:
        raise HostileFileError("文件中有 NUL(\\x00)字节，不是文本表格", "用 Excel 另存为 CSV")
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, na_values=[""])


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
        report.flag(
            bad,
            "error",
            "bad_geometry_text",
            layer,
            "几何文本无法解析(应为 WKT 或十六进制 WKB)",
            file=file,
            field=column,
            fix="检查该列是否完整、未被截断",
            offset=2,
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


def _read_xlsx(
    path: Path, layer: str, report: v.QualityReport, limits: guard.Limits
) -> pd.DataFrame:
    """The first sheet of a workbook, header in row 1; formulas give their cached values.

    A formula without a cached value (a file written by a program, never opened in Excel)
    is an error naming its rows and column.  Rows and columns have caps, so a sheet that
    declares a million empty rows costs nothing.
    """
    import openpyxl

    guard.check_workbook(path, limits)
    values_wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    formula_wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        ws = values_wb.worksheets[0]
        fs = formula_wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        width = max((i + 1 for i, h in enumerate(header) if not _blank_cell(h)), default=0)
        if width > MAX_COLUMNS:
            raise guard.HostileFileError(
                f"表头列数过多({width} 列，上限 {MAX_COLUMNS})", "删除多余的列"
            )
        names = _header_names(header[:width])
        records: list[tuple[Any, ...]] = []
        lines: list[int] = []
        no_cache: dict[int, list[int]] = {}
        fcells = fs.iter_rows(min_row=2, max_col=max(width, 1))
        for line, (values, cells) in enumerate(
            zip(
                ws.iter_rows(min_row=2, max_col=max(width, 1), values_only=True),
                fcells,
                strict=False,
            ),
            start=2,
        ):
            if line - 1 > limits.max_rows:
                raise guard.HostileFileError(
                    f"行数过多(超过 {limits.max_rows:,} 行)", "拆分数据后分别处理"
                )
            values = tuple(
                None if isinstance(x, str) and x.strip() in _EXCEL_NA else x for x in values[:width]
            ) + (None,) * (width - len(values))
            for j, cell in enumerate(cells[:width]):
                if getattr(cell, "data_type", None) == "f" and _blank_cell(values[j]):
                    no_cache.setdefault(j, []).append(line)
            if all(_blank_cell(x) for x in values):
                continue
            records.append(values)
            lines.append(line)
    finally:
        values_wb.close()
        formula_wb.close()
    for j, bad_rows in no_cache.items():
        report.add(
            "error",
            "formula_without_value",
            layer,
            "单元格是公式，但文件中没有保存计算结果",
            file=path.name,
            rows=bad_rows,
            field=names[j],
            fix="在 Excel 中打开并保存一次，或把公式复制后“粘贴为数值”",
        )
    df = (
        pd.DataFrame.from_records(records, columns=names)
        if records
        else pd.DataFrame(columns=names)
    )
    return df.astype(object)


#: Columns read from one sheet at most.
MAX_COLUMNS = 500
#: Texts an Excel cell may hold for "no value" (those pandas' Excel reader treats as empty).
_EXCEL_NA = frozenset(
    ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
     "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
)  # fmt: skip


def _blank_cell(x: Any) -> bool:
    return x is None or (isinstance(x, str) and not x.strip())


def _header_names(header: tuple[Any, ...]) -> list[str]:
    """Header cells as unique column names (blank ones as 第N列, repeats with .1, .2 …)."""
    out: list[str] = []
    for i, h in enumerate(header):
        name = _CONTROL.sub("", str(h)).strip() if not _blank_cell(h) else f"第{i + 1}列"
        base, k = name, 0
        while name in out:
            k += 1
            name = f"{base}.{k}"
        out.append(name)
    return out


#: What each extension is read as (the reader is chosen by extension, never by content).
TABLE_READERS = {".csv", ".xlsx"}


def read_raw(
    path: Path, layer: str, lmap: LayerMapping, report: v.QualityReport, tmp: Path
) -> RawLayer | None:
    """Read one file as it is (no renaming), or record why it cannot be read.

    The reader is the one the extension names; the content must match it (see
    :mod:`lcgis.data.guard`).  Whatever a library raises on a bad file becomes an ``unreadable``
    error naming the file: no exception leaves this function for bad input.
    """
    return _read_raw(path, layer, lmap, report, tmp, path.name)


def _unreadable(report: v.QualityReport, layer: str, file: str, what: str, fix: str) -> None:
    report.add("error", "unreadable", layer, f"文件无法读取：{what}", file=file, fix=fix)


def _read_raw(
    path: Path,
    layer: str,
    lmap: LayerMapping,
    report: v.QualityReport,
    tmp: Path,
    file: str,
    budget: guard.Budget | None = None,
) -> RawLayer | None:
    ext = path.suffix.lower()
    spatial = layer in SPATIAL_LAYERS
    fix = "确认文件完整、格式受支持(gpkg/shp/zip/geojson/fgb/parquet/kml/csv/xlsx)"
    if ext == ".xls":
        why = "不支持旧版 Excel 格式 .xls"
        _unreadable(report, layer, file, why, "用 Excel 打开后“另存为” .xlsx 或 CSV")
        return None
    if ext not in (*VECTOR_EXTS, *TABLE_EXTS):
        _unreadable(report, layer, file, f"不支持的扩展名 {path.suffix or '(无)'}", fix)
        return None
    limits = guard.Limits.from_env()
    try:
        guard.check_file(path, limits)
        if ext == ".zip":
            return _read_zip(path, layer, lmap, report, tmp, file, budget or guard.Budget(limits))
        if ext in (".csv", ".xlsx"):
            df = _read_csv(path) if ext == ".csv" else _read_xlsx(path, layer, report, limits)
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
                    file=file,
                    fix="增加 wkt 列(WKT 或十六进制 WKB)，"
                    '或在 mapping.toml 中用 geometry = "列名" 指定',
                )
                return None
            return RawLayer(_geometry_from_text(df, gcol, file, layer, report), 2)
        if ext == ".parquet":
            guard.check_parquet(path, limits)
            gdf = gpd.read_parquet(path)
        else:
            guard.restrict_gdal_drivers()
            source = str(path.resolve())
            if ext in (".geojson", ".json") and not _geojson_declares_crs(path):
                # RFC 7946 implies WGS 84 when no "crs" member is present; treat it as
                # undeclared so that assume_crs can correct files written in a projected CRS.
                gdf = pyogrio.read_dataframe(source)
                gdf = gdf.set_crs(None, allow_override=True) if lmap.assume_crs else gdf
            elif ext == ".shp":
                gdf = pyogrio.read_dataframe(source, encoding=_shapefile_encoding(path))
            else:
                gdf = pyogrio.read_dataframe(source)
    except guard.HostileFileError as exc:
        _unreadable(report, layer, file, str(exc), exc.fix or fix)
        return None
    except UnicodeError as exc:
        _unreadable(report, layer, file, str(exc), "另存为 UTF-8 编码(Excel：“CSV UTF-8”)")
        return None
    except MemoryError:
        _unreadable(report, layer, file, "内存不足", "拆分数据后分别处理")
        return None
    except Exception as exc:  # the boundary: any library's error on a bad file
        why = f"文件已损坏、被截断或不是所声明的格式(详情：{_library_message(exc)})"
        _unreadable(report, layer, file, why, fix)
        return None
    if not spatial and isinstance(gdf, gpd.GeoDataFrame):
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return RawLayer(gdf, 1)


def _library_message(exc: BaseException) -> str:
    """A library's error as one short line (no paths of temporary folders)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"(/[^\s:;'\"]+)+/", "", text)  # keep file names, drop folders
    return text[:300]


def _geojson_declares_crs(path: Path) -> bool:
    """True when a GeoJSON file has a top-level "crs" member (before its features)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    features = head.find(b'"features"')
    found = head.find(b'"crs"')
    return found != -1 and (features == -1 or found < features)


def _read_zip(
    path: Path,
    layer: str,
    lmap: LayerMapping,
    report: v.QualityReport,
    tmp: Path,
    file: str,
    budget: guard.Budget,
) -> RawLayer | None:
    target = tmp / f"{path.stem}-{len(list(tmp.iterdir()))}"
    target.mkdir()
    guard.extract_zip(path, target, budget)
    inner = sorted(
        p
        for p in target.rglob("*")
        if p.is_file() and p.suffix.lower() in VECTOR_EXTS and p.suffix.lower() != ".zip"
    )
    shp = [p for p in inner if p.suffix.lower() == ".shp"]
    chosen = shp[0] if shp else (inner[0] if inner else None)
    if chosen is None:
        report.add(
            "error",
            "unreadable",
            layer,
            "压缩包中没有可读的图层文件",
            file=file,
            fix="压缩包应包含 .shp(及 .shx/.dbf/.prj)或其他受支持的格式",
        )
        return None
    inside = f"{file}/{chosen.relative_to(target).as_posix()}"
    return _read_raw(chosen, layer, lmap, report, tmp, inside, budget)


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
    from lcgis.data.schema import canonical_name

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
            report.flag(
                unknown.to_numpy(),
                "warning",
                "unknown_value",
                layer,
                f"{f.label} 有无法识别的取值(如 {sample})，"
                + ("按 other(其他) 处理" if fallback else "按空值处理"),
                file=file,
                field=name,
                fix=f"可用取值：{'、'.join(sorted(set(f.values)))}；"
                f"或在 mapping.toml 的 [{layer}.values.{name}] 中重新编码",
                offset=offset,
            )
            if fallback:
                out = out.mask(unknown, fallback)
        return out
    else:
        return _checked_text(s, layer, f, file, offset, report)
    if bad.any():
        report.flag(
            bad.to_numpy(),
            "error",
            "bad_value",
            layer,
            f"{f.label} 无法识别为{what}",
            file=file,
            field=name,
            fix="改正该值或留空",
            offset=offset,
        )
    if name in SHARE_FIELDS:
        out = _check_share(out, layer, f, file, offset, report)
    return out


#: Fields that are shares (0–1) in the data contract.
SHARE_FIELDS = ("developed_share", "invested_share")
#: A GB/T 4754-2017 industry code: 2 to 4 digits.
_INDUSTRY_CODE = re.compile(r"^\d{2,4}$")
_LIST_SPLIT = re.compile(r"[,，、;；/\s]+")


def _check_share(
    out: pd.Series, layer: str, f: Any, file: str, offset: int, report: v.QualityReport
) -> pd.Series:
    """A share outside 0–1 (such as 150, meant as percent) is an error; the value is dropped."""
    wrong = ((out < 0) | (out > 1)).to_numpy(dtype=bool, na_value=False)
    if wrong.any():
        report.flag(
            wrong,
            "error",
            "share_out_of_range",
            layer,
            f"{f.label} 应在 0–1 之间(如 {out[wrong].iloc[0]:g})",
            file=file,
            field=f.name,
            fix="比例写成小数：35% 写作 0.35",
            offset=offset,
        )
        out = out.mask(wrong)
    return out


def _checked_text(
    s: pd.Series, layer: str, f: Any, file: str, offset: int, report: v.QualityReport
) -> pd.Series:
    """Text with control characters removed (a warning), and industry codes checked."""
    ctl = has_control(s).to_numpy()
    if ctl.any():
        report.flag(
            ctl,
            "warning",
            "control_characters",
            layer,
            f"{f.label} 含不可见的控制字符，已删除",
            file=file,
            field=f.name,
            fix="在源数据中删除这些字符(常见于从网页或其他系统复制的文本)",
            offset=offset,
        )
    text = parse_text(s, code=f.kind == "code")
    if f.name == "industry_code":
        bad = (text.notna() & ~text.str.fullmatch(_INDUSTRY_CODE).fillna(False)).to_numpy(bool)
        if bad.any():
            sample = "、".join(text[bad].drop_duplicates().head(5).tolist())
            report.flag(
                bad,
                "warning",
                "bad_industry_code",
                layer,
                f"{f.label} 不是 2–4 位数字(如 {sample})，按行业未知处理",
                file=file,
                field=f.name,
                fix="填写 GB/T 4754-2017 行业代码，如 39 或 3911",
                offset=offset,
            )
            text = text.mask(bad)
    if f.name == "leading_industries":
        parts = text.map(lambda t: [c for c in _LIST_SPLIT.split(t) if c], na_action="ignore")
        bad = (
            parts.map(lambda cs: any(not _INDUSTRY_CODE.match(c) for c in cs), na_action="ignore")
            .fillna(False)
            .to_numpy(bool)
        )
        if bad.any():
            report.flag(
                bad,
                "warning",
                "bad_industry_code",
                layer,
                f"{f.label} 中有不是 2–4 位数字的行业代码，这些代码不参与产业匹配",
                file=file,
                field=f.name,
                fix="写成用逗号分隔的 GB/T 4754-2017 两位代码，如 39,40",
                offset=offset,
            )
    return text


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
    with tempfile.TemporaryDirectory(prefix="lcgis-") as tmp:
        for layer, path in files.items():
            lmap = maps.get(layer, LayerMapping())
            raw = read_raw(path, layer, lmap, report, Path(tmp))
            if raw is None:
                continue
            try:
                table = canonicalize(raw, layer, lmap, path.name, report)
                checked = _check_layer(table, layer, lmap, path.name, raw.offset, report)
            except Exception as exc:  # the boundary: a value no check foresaw
                report.add(
                    "error",
                    "unreadable",
                    layer,
                    f"文件内容无法处理：{_library_message(exc)}",
                    file=path.name,
                    fix="检查该文件的字段取值(数值、日期、几何)是否完整有效",
                )
                continue
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
    checked = v.check_geometries(frame, layer, file, report, polygons=True)
    if layer == "parcels":
        v.check_overlaps(checked, layer, file, report, offset)
    return checked


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
            f"宗地图层没有可用的坐标({_library_message(exc)})",
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


# GDAL opens nothing lcgis does not read (see lcgis.data.guard), from the first import on.
guard.restrict_gdal_drivers()


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
