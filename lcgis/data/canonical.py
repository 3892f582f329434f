"""From a raw layer to the data contract: canonical field names (aliases, DBF-truncated names),
units, value recoding and per-field checks into the quality report.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from lcgis.data.industry import LIST_SPLIT
from lcgis.data.schema import AREA_UNITS, FIELDS, MONEY_UNITS, normalize_label
from lcgis.data.values import (
    has_control,
    once_per_distinct,
    parse_bools,
    parse_dates,
    parse_numbers,
    parse_text,
)

if TYPE_CHECKING:
    from lcgis.data import validate as v
    from lcgis.data.mapping import LayerMapping
    from lcgis.data.readers import RawLayer


def canonicalize(
    raw: RawLayer, layer: str, lmap: LayerMapping, file: str, report: v.QualityReport
) -> pd.DataFrame:
    """Rename to canonical fields, convert units and types, recode values.

    Columns no field takes are reported (``unmapped_columns``) and kept as extra
    attributes named ``EXTRA_PREFIX + column``.
    """
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

    unmapped: list[str] = []
    for col in df.columns:
        if col in rename or (isinstance(df, gpd.GeoDataFrame) and col == df.geometry.name):
            continue
        found = canonical_name(layer, str(col))
        if found is None:
            found = _truncated_dbf_name(layer, str(col))
            if found is not None and found not in rename.values():
                _report_truncated(layer, str(col), found, file, report)
        if found is not None and found not in rename.values():
            rename[col] = found
        else:
            unmapped.append(col)
    out = pd.DataFrame(index=df.index)
    for src, name in rename.items():
        out[name] = _convert(df[src], layer, name, units.get(name), lmap, file, raw.offset, report)
    if unmapped:
        _report_unmapped(layer, [str(c) for c in unmapped], file, report)
        for col in unmapped:
            out[f"{EXTRA_PREFIX}{col}"] = df[col].to_numpy()
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
        # the raw layer's GeoSeries, of the same index: pandas shares it (copy on write)
        # where it would copy an array of millions of shapes
        return gpd.GeoDataFrame(out, geometry=df.geometry, crs=df.crs)
    return out


#: Prefix of the input columns kept as extra attributes (no contract field takes them).
EXTRA_PREFIX = "extra:"
#: Encodings whose bytes a .dbf field name (10 bytes at most) is cut in.
_DBF_NAME_ENCODINGS = ("gb18030", "utf-8")
_DBF_NAME_BYTES = 10


def _dbf_cut(text: str, encoding: str) -> str:
    """``text`` as a .dbf keeps it: its first 10 bytes, a split character dropped.

    >>> _dbf_cut("约定动工日期", "gb18030"), _dbf_cut("约定动工日期", "utf-8")
    ('约定动工日', '约定动')
    """
    return text.encode(encoding)[:_DBF_NAME_BYTES].decode(encoding, errors="ignore")


def _truncated_dbf_name(layer: str, column: str) -> str | None:
    """A canonical name or alias cut to the 10 bytes a shapefile (.dbf) keeps, if unambiguous.

    ASCII names keep 10 characters, GBK names 5 Chinese characters, UTF-8 names 3.

    >>> _truncated_dbf_name("parcels", "registered"), _truncated_dbf_name("parcels", "agreed_sta")
    ('registered_area_m2', 'agreed_start_date')
    >>> _truncated_dbf_name("parcels", "约定动工日"), _truncated_dbf_name("parcels", "土地使用权")
    ('agreed_start_date', 'land_user')
    """
    key = normalize_label(column)
    if not key:
        return None
    hits: set[str] = set()
    for f in FIELDS[layer].values():
        for name in (f.name, *f.aliases):
            for enc in _DBF_NAME_ENCODINGS:
                try:
                    whole = name.encode(enc)
                except UnicodeEncodeError:
                    continue
                if len(whole) > _DBF_NAME_BYTES and normalize_label(_dbf_cut(name, enc)) == key:
                    hits.add(f.name)
    return hits.pop() if len(hits) == 1 else None


def _report_truncated(
    layer: str, column: str, name: str, file: str, report: v.QualityReport
) -> None:
    f = FIELDS[layer][name]
    report.add(
        "warning",
        "truncated_column",
        layer,
        f"列 {column} 是被 shapefile(.dbf)截断的列名，按 {f.label}({name})读取",
        file=file,
        field=name,
        fix=f'如不正确，在 mapping.toml 中写 [{layer}.columns] {name} = "正确的列名"；'
        "或改用 GeoPackage(.gpkg)保存，列名不会被截断",
    )


def _report_unmapped(layer: str, columns: list[str], file: str, report: v.QualityReport) -> None:
    shown = "、".join(columns[:20]) + (f" 等 {len(columns)} 列" if len(columns) > 20 else "")
    fields = "、".join(f"{f.name}({f.label})" for f in FIELDS[layer].values())
    report.add(
        "warning",
        "unmapped_columns",
        layer,
        f"以下列未对应到任何字段，不参与计算，作为附加属性(extra:列名)保留：{shown}",
        file=file,
        fix=f'如其中有需要的字段，在 mapping.toml 中写 [{layer}.columns] 字段名 = "列名"，'
        f'如 [{layer}.columns] {_example_field(layer)} = "{columns[0]}"；可用字段：{fields}',
    )


def _example_field(layer: str) -> str:
    """A field of ``layer`` to show in the mapping.toml example (an area field if any)."""
    names = [f.name for f in FIELDS[layer].values() if f.unit == "area"]
    return names[0] if names else next(iter(FIELDS[layer]))


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
        text, out = _enum_texts(s, values=f.values)
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


@once_per_distinct
def _enum_texts(s: pd.Series, *, values: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_text`'s text of each value and the field's value it names
    (:func:`_enum_values`), both answered once per distinct value of ``s`` (its distinct
    values are found once, not again among the texts).

    >>> [t.tolist() for t in _enum_texts(pd.Series([" Industrial", None]),
    ...     values={"industrial": "工业"})]
    [['Industrial', <NA>], ['工业', <NA>]]
    """
    text = parse_text(s)
    return text, _enum_values(text, values=values)


@once_per_distinct
def _enum_values(text: pd.Series, *, values: dict[str, str]) -> pd.Series:
    """The field's value each text names (letter case aside); NA where it names none.

    >>> _enum_values(pd.Series(["Industrial", "x", None]), values={"industrial": "工业"}).tolist()
    ['工业', <NA>, <NA>]
    """
    known = {k.lower(): val for k, val in values.items()}
    return text.str.lower().map(known, na_action="ignore").astype("string")


#: Fields that are shares (0–1) in the data contract.
SHARE_FIELDS = ("developed_share", "invested_share")
#: A GB/T 4754-2017 industry code: 2 to 4 digits.
_INDUSTRY_CODE = re.compile(r"^\d{2,4}$")


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
        parts = text.map(lambda t: [c for c in LIST_SPLIT.split(t) if c], na_action="ignore")
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
