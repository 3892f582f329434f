"""Reading files into raw layers: formats (shapefile, GeoPackage, GeoJSON, CSV, XLSX, zip),
text encodings (GBK/GB18030/UTF-8, DBF code pages), geometry from text columns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from lcgis.data import guard, workbook
from lcgis.data import validate as v
from lcgis.data.encoding import decode_text, detect_encoding
from lcgis.data.guard import HostileFileError
from lcgis.data.schema import SPATIAL_LAYERS, UNIT_TOKENS, normalize_label
from lcgis.data.values import CONTROL_CHARS
from lcgis.vocab import LIBRARY_MESSAGES

if TYPE_CHECKING:
    from pathlib import Path

    from lcgis.data.mapping import LayerMapping

# GDAL opens nothing lcgis does not read (see lcgis.data.guard), from the first import on.
guard.restrict_gdal_drivers()


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

    raw = path.read_bytes()
    text, enc = decode_text(raw)
    utf8 = raw if enc == "utf-8" else text.encode("utf-8")  # the text's UTF-8 bytes
    if b"\x00" in utf8:
        raise HostileFileError("文件中有 NUL(\\x00)字节，不是文本表格", "用 Excel 另存为 CSV")
    fast = _read_plain_csv(utf8)
    if fast is not None:
        return fast
    try:
        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        quote = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if quote is None:
            raise
        line = int(quote.group(1)) + 1  # rows count from the header, 0
        raise HostileFileError(
            f"第 {line} 行开始的英文双引号没有闭合，其后的内容都被当成了一个值",
            '在该行补上缺少的双引号；值中的双引号要写成两个("")',
        ) from exc


#: A line of spaces and tabs only (between line breaks of any kind): pandas' reader skips it.
#: Searched in UTF-8 bytes, where these ASCII bytes stand only for these characters.
_BLANK_LINE = re.compile(rb"(?:^|[\r\n])[ \t]+(?:[\r\n]|$)")


#: Bytes :func:`_line_starts_indented` looks at at once: small arrays, reused from one slice
#: to the next, instead of four new ones as long as the file (tens of MB, every page new).
BLANK_LINE_SLICE = 1 << 18


def _line_starts_indented(codes: np.ndarray) -> bool:
    """True when a line break (CR or LF) in the bytes ``codes`` is followed by a space or a
    tab; found for all bytes of a slice at once (four searches of a two-byte string take
    longer).  Slices overlap by a byte, so that no line break is parted from its next byte.

    >>> _line_starts_indented(np.frombuffer(b"a\\n b", dtype=np.uint8))
    True
    """
    for start in range(0, len(codes) - 1, BLANK_LINE_SLICE):
        part = codes[start : start + BLANK_LINE_SLICE + 1]
        line_break = (part[:-1] == ord("\n")) | (part[:-1] == ord("\r"))
        indent = (part[1:] == ord(" ")) | (part[1:] == ord("\t"))
        if (line_break & indent).any():
            return True
    return False


def _has_blank_line(utf8: bytes) -> bool:
    """True when the UTF-8 text ``utf8`` has a line of spaces and tabs only
    (:data:`_BLANK_LINE`); the expression is searched only when a line starts with a space
    or a tab.

    >>> [_has_blank_line(t) for t in (b"a\\n \\t\\n1", b"a\\n 1\\n", b" \\r\\na", b"a\\r\\n", b"")]
    [True, False, True, False, False]
    """
    indented = utf8[:1] in (b" ", b"\t") or _line_starts_indented(np.frombuffer(utf8, np.uint8))
    return indented and _BLANK_LINE.search(utf8) is not None


def _read_plain_csv(utf8: bytes) -> pd.DataFrame | None:
    """The UTF-8 text ``utf8`` through pyarrow's CSV reader, the same table as
    :func:`_read_csv`'s reader gives, when the text has no double quote and no line of
    spaces only (where the two readers could differ); None when it has, when pyarrow is
    missing, or when pyarrow refuses it (a row of another width: the other reader then
    tells what is wrong).

    >>> _read_plain_csv(b"a,b\\n1,\\n").to_dict("list")
    {'a': ['1'], 'b': [nan]}
    >>> _read_plain_csv(b'a\\n"x"\\n') is None, _read_plain_csv(b"a,b\\n1\\n") is None
    (True, True)
    """
    if b'"' in utf8 or _has_blank_line(utf8) or not has_arrow():
        return None
    from io import BytesIO

    try:
        return pd.read_csv(
            BytesIO(utf8),
            engine="pyarrow",
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
    except Exception:  # the boundary: the row-by-row reader decides and explains
        return None


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
    #: The money unit a workbook's title names ("wan", "yuan", "yi"), if any.
    money_unit: str | None = None


def _find_geometry_column(df: pd.DataFrame, wanted: str | None) -> str | None:
    names = {normalize_label(c): c for c in df.columns}
    if wanted:
        return names.get(normalize_label(wanted))
    return next((names[g] for g in GEOMETRY_COLUMNS if g in names), None)


def _read_xlsx(
    path: Path, layer: str, report: v.QualityReport, limits: guard.Limits, lmap: LayerMapping
) -> RawLayer:
    """The first sheet of a workbook; formulas give their cached values.

    The header is found among the first rows (see :func:`lcgis.data.workbook.find_header`):
    title rows above it are skipped and two header rows with merged cells become one name per
    column, each said in a warning.  A formula without a cached value (a file written by a
    program, never opened in Excel) is an error naming its rows and column.  Rows and columns
    have caps, so a sheet that declares a million empty rows costs nothing.
    """
    import openpyxl

    guard.check_workbook(path, limits)
    values_wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    formula_wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        ws = values_wb.worksheets[0]
        top = list(ws.iter_rows(max_row=workbook.HEADER_SEARCH_ROWS, values_only=True))
        member = str(getattr(ws, "_worksheet_path", ""))
        merges = workbook.merged_ranges(path, member, workbook.HEADER_SEARCH_ROWS)
        extra = [*(c.column for c in lmap.columns.values()), *GEOMETRY_COLUMNS]
        extra += [lmap.geometry] if lmap.geometry else []
        head = workbook.find_header(top, merges, layer, extra)
        width = max((i + 1 for i, h in enumerate(head.names) if h.strip()), default=0)
        if width > MAX_COLUMNS:
            raise guard.HostileFileError(
                f"表头列数过多({width} 列，上限 {MAX_COLUMNS})", "删除多余的列"
            )
        names = _header_names(tuple(h or None for h in head.names[:width]))
        records, lines, no_cache = _sheet_rows(
            ws, formula_wb.worksheets[0], head.first_data_row, width, limits
        )
    finally:
        values_wb.close()
        formula_wb.close()
    _report_header(head, names, path.name, layer, report)
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
    # object columns as the cells hold them: no inference (an integer stays an integer)
    df = pd.DataFrame(records, columns=names, dtype=object)
    first = lines[0] if lines else head.first_data_row
    return RawLayer(df, first, head.money_unit)


def _sheet_rows(
    ws: Any, fs: Any, start: int, width: int, limits: guard.Limits
) -> tuple[list[tuple[Any, ...]], list[int], dict[int, list[int]]]:
    """The records from row ``start`` on (blank rows skipped), their row numbers, and the rows
    of each column where a formula has no cached value."""
    records: list[tuple[Any, ...]] = []
    lines: list[int] = []
    no_cache: dict[int, list[int]] = {}
    cols = max(width, 1)
    for line, (values, cells) in enumerate(
        zip(
            ws.iter_rows(min_row=start, max_col=cols, values_only=True),
            fs.iter_rows(min_row=start, max_col=cols),
            strict=False,
        ),
        start=start,
    ):
        if line - start + 1 > limits.max_rows:
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
    return records, lines, no_cache


def _report_header(
    head: workbook.Header, names: list[str], file: str, layer: str, report: v.QualityReport
) -> None:
    """Warnings for a header not in row 1 (with the unit its title names) and for merged
    header cells."""
    unit = next((t for t, code in UNIT_TOKENS if code == head.money_unit), None)
    if head.row > 1:
        shown = "；".join(head.title)
        shown = f"(“{shown[:120]}{'…' if len(shown) > 120 else ''}”)" if shown else ""
        note = (
            f"；标题注明金额单位为{unit}(lcgis import 据此写入 mapping.toml；"
            "直接读取时金额列按 mapping.toml 写明的单位换算，未写明的按万元)"
            if unit
            else ""
        )
        report.add(
            "warning",
            "title_rows_skipped",
            layer,
            f"第 {head.row} 行起为表头，上方 {head.row - 1} 行标题已跳过{shown}{note}",
            file=file,
            rows=range(1, head.row),
            fix="如表头识别有误，删去表头上方的标题行和空行，使表头位于第 1 行",
        )
    if head.rows == 2 or head.spans:
        what = (
            f"第 {head.row}–{head.row + 1} 行是两层表头(含合并单元格)，已合并为一行列名"
            if head.rows == 2
            else f"表头有跨列合并的单元格({'、'.join(head.spans)})，其后各列按同名加序号"
        )
        dropped = f"；上层表头 {'、'.join(head.dropped)} 未计入列名" if head.dropped else ""
        report.add(
            "warning",
            "merged_header",
            layer,
            f"{what}：{'、'.join(names[:30])}{' 等' if len(names) > 30 else ''}{dropped}",
            file=file,
            rows=range(head.row, head.first_data_row),
            fix="如列名不对，取消合并单元格、把表头改为一行；或在 mapping.toml 中按上述列名指定",
        )


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
        name = CONTROL_CHARS.sub("", str(h)).strip() if not _blank_cell(h) else f"第{i + 1}列"
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
            return _read_table(path, layer, lmap, report, file, limits)
        gdf = _read_vector(path, lmap, limits)
    except guard.HostileFileError as exc:
        _unreadable(report, layer, file, str(exc), exc.fix or fix)
        return None
    except UnicodeError as exc:
        if ext != ".shp":
            _unreadable(report, layer, file, str(exc), "另存为 UTF-8 编码(Excel：“CSV UTF-8”)")
            return None
        gdf = _read_shp_lenient(path, layer, report, file)
    except MemoryError:
        _unreadable(report, layer, file, "内存不足", "拆分数据后分别处理")
        return None
    except Exception as exc:  # the boundary: any library's error on a bad file
        if ext == ".shp" and _shx_broken(exc):
            gdf = _read_shp_restored(path, layer, report, tmp, file)
            if gdf is None:
                return None
        else:
            why, how = explain_error(exc)
            _unreadable(report, layer, file, why, how or fix)
            return None
    if not spatial and isinstance(gdf, gpd.GeoDataFrame):
        gdf = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    return RawLayer(gdf, 1)


def _read_table(
    path: Path,
    layer: str,
    lmap: LayerMapping,
    report: v.QualityReport,
    file: str,
    limits: guard.Limits,
) -> RawLayer | None:
    """A CSV or XLSX table; for a spatial layer its geometry from a text column."""
    ext = path.suffix.lower()
    raw = (
        RawLayer(_read_csv(path), 2)
        if ext == ".csv"
        else _read_xlsx(path, layer, report, limits, lmap)
    )
    df = raw.frame
    df.columns = [str(c).strip() for c in df.columns]
    if layer not in SPATIAL_LAYERS:
        return RawLayer(df, raw.offset, raw.money_unit)
    gcol = _find_geometry_column(df, lmap.geometry)
    if gcol is None:
        report.add(
            "error",
            "no_geometry_column",
            layer,
            f"表格中没有几何列(可用列名：{'、'.join(GEOMETRY_COLUMNS)})",
            file=file,
            fix='增加 wkt 列(WKT 或十六进制 WKB)，或在 mapping.toml 中用 geometry = "列名" 指定',
        )
        return None
    return RawLayer(_geometry_from_text(df, gcol, file, layer, report), raw.offset)


def _read_vector(path: Path, lmap: LayerMapping, limits: guard.Limits) -> gpd.GeoDataFrame:
    """A GeoParquet file, or a vector file through GDAL (only the drivers lcgis reads)."""
    ext = path.suffix.lower()
    if ext == ".parquet":
        guard.check_parquet(path, limits)
        return gpd.read_parquet(path)
    guard.restrict_gdal_drivers()
    source = str(path.resolve())
    arrow: dict[str, Any] = (
        {"use_arrow": True, "arrow_to_pandas_kwargs": ARROW_TO_PANDAS}
        if ext in ARROW_EXTS and has_arrow()
        else {}
    )
    if ext in (".geojson", ".json") and not geojson_declares_crs(path):
        # RFC 7946 implies WGS 84 when no "crs" member is present; treat it as
        # undeclared so that assume_crs can correct files written in a projected CRS.
        gdf = pyogrio.read_dataframe(source, **arrow)
        return gdf.set_crs(None, allow_override=True) if lmap.assume_crs else gdf
    if ext == ".shp":
        return pyogrio.read_dataframe(source, encoding=_shapefile_encoding(path))
    return pyogrio.read_dataframe(source, **arrow)


#: How the Arrow table becomes pandas columns.  The geometry comes as a column of WKB
#: bytes; pyarrow would look each value up in a hash table to share the objects of equal
#: ones (3M buildings: 1.2 s), which never occur in a geometry and change no value.
ARROW_TO_PANDAS = {"deduplicate_objects": False}

#: Formats read through GDAL's Arrow stream (UTF-8 by definition).  Shapefiles and KML keep
#: the row-by-row reader: their text may be in a legacy code page, which Arrow refuses, and
#: the lenient re-decoding of a shapefile relies on that reader's errors.
ARROW_EXTS = (".gpkg", ".fgb", ".geojson", ".json")


@functools.cache
def has_arrow() -> bool:
    """True when pyarrow is installed (pyogrio then reads and writes through Arrow).

    >>> isinstance(has_arrow(), bool)
    True
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _raw_message(exc: BaseException) -> str:
    """A library's error as one short line (no paths of temporary folders)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = re.sub(r"(/[^\s:;'\"]+)+/", "", text)  # keep file names, drop folders
    return text[:300]


def explain_error(exc: BaseException) -> tuple[str, str]:
    """A library's error as (Chinese message, fix); the fix is empty when none is known.

    >>> explain_error(RuntimeError("sqlite3 failed: database disk image is malformed"))[0]
    'GeoPackage(SQLite 数据库)已损坏或被截断'
    >>> explain_error(ValueError("Expected 2 fields in line 3, saw 4"))[0]
    '第 3 行有 4 个值，而表头只有 2 列'
    >>> explain_error(OSError("boom"))
    ('文件已损坏、被截断或不是所声明的格式(原文：boom)', '')
    """
    raw = _raw_message(exc)
    for pattern, message, fix in LIBRARY_MESSAGES:
        found = re.search(pattern, raw)
        if found:
            return found.expand(message), fix
    return f"文件已损坏、被截断或不是所声明的格式(原文：{raw[:160]})", ""


def library_message(exc: BaseException) -> str:
    """A library's error as one short Chinese line (the original text when none is known)."""
    return explain_error(exc)[0]


def _redecode(text: Any, encoding: str) -> Any:
    """Text GDAL read as Latin-1, decoded again in ``encoding``; a split last character dropped.

    >>> _redecode("约定动工日期".encode("utf-8")[:10].decode("latin-1"), "utf-8")
    '约定动'
    """
    if not isinstance(text, str):
        return text
    out = text.encode("latin-1", errors="replace").decode(encoding, errors="replace")
    return out.rstrip("\ufffd")


def _read_shp_lenient(
    path: Path, layer: str, report: v.QualityReport, file: str
) -> gpd.GeoDataFrame:
    """A shapefile whose names or values do not decode: read byte for byte, decoded again with
    undecodable bytes replaced (a warning names the encoding).
    """
    enc = _shapefile_encoding(path)
    gdf = pyogrio.read_dataframe(str(path.resolve()), ENCODING="LATIN1")  # bytes as they are
    geom = gdf.geometry.name
    gdf = gdf.rename(columns={c: _redecode(c, enc) for c in gdf.columns if c != geom})
    for col in gdf.columns:
        if col != geom and gdf[col].dtype == object:
            gdf[col] = gdf[col].map(lambda t: _redecode(t, enc))
    report.add(
        "warning",
        "undecodable_text",
        layer,
        f"部分列名或文字无法按 {enc} 编码识别(编码由 .cpg、.dbf 头部与内容判断；"
        "常见原因是 .dbf 把列名截断在一个汉字中间)，"
        "无法识别的字节以 � 代替",
        file=file,
        fix="附上写明编码的 .cpg 文件(如 GBK 或 UTF-8)，或用 GIS 软件另存为 GeoPackage(.gpkg)",
    )
    return gdf


def _shx_broken(exc: BaseException) -> bool:
    """True when GDAL failed on a shapefile's missing or broken .shx index."""
    text = str(exc)
    return "SHAPE_RESTORE_SHX" in text or ".shx" in text.lower()


def _read_shp_restored(
    path: Path, layer: str, report: v.QualityReport, tmp: Path, file: str
) -> gpd.GeoDataFrame | None:
    """A shapefile read again with its .shx rebuilt by GDAL (SHAPE_RESTORE_SHX=YES), from a
    copy in ``tmp`` so the user's folder is never written; a warning says so.
    """
    import glob
    import shutil

    target = tmp / f"shx-{path.stem}-{len(list(tmp.iterdir()))}"
    target.mkdir()
    for side in path.parent.glob(glob.escape(path.stem) + ".*"):
        if side.is_file() and side.suffix.lower() != ".shx":
            shutil.copy2(side, target / side.name)
    copy = target / path.name
    before = pyogrio.get_gdal_config_option("SHAPE_RESTORE_SHX")
    pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": "YES"})
    try:
        gdf = pyogrio.read_dataframe(str(copy), encoding=_shapefile_encoding(copy))
    except Exception as exc:  # the boundary: the rebuilt index did not help
        why, how = explain_error(exc)
        _unreadable(report, layer, file, f".shx 缺失或损坏，自动重建后仍无法读取：{why}", how)
        return None
    finally:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": before})
    report.add(
        "warning",
        "shx_restored",
        layer,
        "shapefile 的索引文件 .shx 缺失或损坏，已按 .shp 自动重建后读取(SHAPE_RESTORE_SHX=YES)",
        file=file,
        fix="请把完整的 .shx 一起提供，或用 GIS 软件重新导出 shapefile",
    )
    return gdf


def geojson_declares_crs(path: Path) -> bool:
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
