"""Exports: GeoPackage, GeoJSON, CSV and the printable Excel workbook, written atomically.

>>> reasons_zh("tax_per_mu_low;small_parcel")
'亩均税收偏低；用地面积过小'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from openpyxl.utils import get_column_letter

from .crs import DISPLAY_CRS
from .errors import UsageError
from .evaluate import INDICATOR_LABELS, OUTPUT_LABELS
from .io import atomic_output
from .land import REASON_LABELS
from .pipeline import ZONE_FIELDS, Result
from .schema import FIELDS

OUTPUT_FORMATS = (".gpkg", ".xlsx", ".csv", ".geojson")

#: Parcel output fields of data-contract §5, in order.
PARCEL_FIELDS = [
    "parcel_id",
    "zone_id",
    "zone_name",
    "geom_area_m2",
    "land_area_m2",
    "land_area_mu",
    "area_mismatch",
    "floor_area_m2",
    "footprint_area_m2",
    "far",
    "coverage",
    "min_far",
    "max_far",
    "far_utilization",
    "n_occupants",
    "output_wan",
    "revenue_wan",
    "tax_wan",
    "value_added_wan",
    "output_per_mu",
    "tax_per_mu",
    "value_added_per_mu",
    "parcel_class",
    "undeveloped",
    "idle",
    "idle_years",
    "idle_action",
    "idle_fee_wan",
    "inefficient",
    "inefficient_reasons",
    "vacate_candidate",
    "vacate_reasons",
    "densify_candidate",
    "target_far",
    "extra_floor_area_m2",
    "est_extra_output_wan",
    "est_extra_tax_wan",
]
#: Extra parcel fields kept after the contract's (useful for review and the app).
PARCEL_EXTRAS = [
    "main_credit_code",
    "main_industry_code",
    "tax_per_mu_prev",
    "tax_per_mu_growth",
    "potential_output_wan",
    "potential_tax_wan",
]
ENTERPRISE_FIELDS = [
    "credit_code",
    "credit_code_valid",
    "name",
    "year",
    "industry_code",
    "above_scale",
    "parcel_ids",
    "land_area_m2",
    "land_area_mu",
    "tax_per_mu",
    "value_added_per_mu",
    "output_per_mu",
    "revenue_per_mu",
    "value_added_per_energy",
    "value_added_per_emission",
    "labor_productivity",
    "rd_ratio",
    "tax_per_kwh",
    "score",
    "class",
    "class_reason",
]

#: Chinese headers with units, for the workbook and the app.
LABELS: dict[str, str] = {
    "parcel_id": "宗地编号",
    "zone_id": "片区编号",
    "zone_name": "片区",
    "geom_area_m2": "实测面积(m²)",
    "land_area_m2": "用地面积(m²)",
    "land_area_mu": "用地面积(亩)",
    "area_mismatch": "面积不符",
    "floor_area_m2": "建筑面积(m²)",
    "footprint_area_m2": "建筑占地面积(m²)",
    "far": "容积率",
    "coverage": "建筑系数",
    "min_far": "容积率下限",
    "max_far": "容积率上限",
    "far_utilization": "容积率利用率",
    "n_occupants": "用地企业数(家)",
    "output_wan": "工业总产值(万元)",
    "revenue_wan": "营业收入(万元)",
    "tax_wan": "税收(万元)",
    "value_added_wan": "工业增加值(万元)",
    "output_per_mu": "亩均产值(万元/亩)",
    "tax_per_mu": "亩均税收(万元/亩)",
    "value_added_per_mu": "亩均增加值(万元/亩)",
    "revenue_per_mu": "亩均营业收入(万元/亩)",
    "parcel_class": "宗地类别",
    "undeveloped": "未开发",
    "idle": "闲置",
    "idle_years": "闲置年限(年)",
    "idle_action": "闲置处置",
    "idle_fee_wan": "土地闲置费(万元)",
    "inefficient": "低效",
    "inefficient_reasons": "低效原因",
    "vacate_candidate": "腾笼换鸟候选",
    "vacate_reasons": "腾笼换鸟理由",
    "densify_candidate": "零地增资候选",
    "target_far": "目标容积率",
    "extra_floor_area_m2": "可增建筑面积(m²)",
    "est_extra_output_wan": "预计新增产值(万元)",
    "est_extra_tax_wan": "预计新增税收(万元)",
    "main_credit_code": "主要用地企业信用代码",
    "main_industry_code": "主要企业行业代码",
    "tax_per_mu_prev": "上年亩均税收(万元/亩)",
    "tax_per_mu_growth": "亩均税收增长率",
    "potential_output_wan": "按片区标准可产出产值(万元)",
    "potential_tax_wan": "按片区标准可产出税收(万元)",
    "credit_code": "统一社会信用代码",
    "credit_code_valid": "代码校验通过",
    "name": "企业名称",
    "year": "年度",
    "industry_code": "行业代码",
    "above_scale": "规上",
    "parcel_ids": "宗地编号",
    "score": "综合得分(分)",
    "class": "类别",
    "class_reason": "分类说明",
    "n_parcels": "宗地数(宗)",
    "n_enterprises": "企业数(家)",
    "n_above_scale": "规上企业数(家)",
    "undeveloped_mu": "未开发(亩)",
    "idle_mu": "闲置(亩)",
    "inefficient_mu": "低效(亩)",
    "vacate_mu": "腾笼换鸟(亩)",
    **INDICATOR_LABELS,
}
for _layer in ("parcels", "enterprises"):
    for _f in FIELDS[_layer].values():
        LABELS.setdefault(_f.name, _f.label)
for _k, _v in OUTPUT_LABELS.items():
    LABELS.setdefault(_k, _v)
_ACTIONS = {"fee": "征收闲置费", "reclaim": "无偿收回"}
_SHARES = {"coverage", "far_utilization", "tax_per_mu_growth", "rd_ratio"}


def reasons_zh(codes: object) -> str:
    """';'-joined reason codes written out in Chinese."""
    if not isinstance(codes, str) or not codes:
        return ""
    return "；".join(REASON_LABELS.get(c, c) for c in codes.split(";") if c)


def parcel_table(result: Result) -> gpd.GeoDataFrame:
    """Parcels with the output fields of data-contract §5, the canonical inputs, extras."""
    p = result.parcels
    inputs = [f for f in FIELDS["parcels"] if f not in PARCEL_FIELDS and f in p]
    extras = [f for f in PARCEL_EXTRAS if f in p]
    cols = [c for c in PARCEL_FIELDS if c in p] + inputs + extras
    return gpd.GeoDataFrame(p[cols], geometry=p.geometry, crs=p.crs)


def enterprise_table(result: Result) -> pd.DataFrame:
    e = result.enterprises
    cols = [c for c in ENTERPRISE_FIELDS if c in e]
    by_year = sorted(c for c in e.columns if c.startswith("class_") and c[6:].isdigit())
    history = ["class_before", "class_change", *by_year]
    scores = [c for c in e.columns if c.startswith("score_") or c in ("group", "rank", "n_rated")]
    extras = [c for c in history + scores if c in e]
    return e[cols + extras].reset_index(drop=True)


def zone_table(result: Result) -> pd.DataFrame:
    z = result.zones
    return pd.DataFrame(z[[c for c in ZONE_FIELDS if c in z]])


def write(result: Result, out: str | Path) -> Path:
    """Write the result to ``out`` (.gpkg, .xlsx, .csv or .geojson), atomically."""
    out = Path(out)
    ext = out.suffix.lower()
    if ext not in OUTPUT_FORMATS:
        raise UsageError(
            f"不支持的输出格式 {out.suffix or '(无扩展名)'}：可用 {'、'.join(OUTPUT_FORMATS)}"
        )
    with atomic_output(out) as tmp:
        if ext == ".gpkg":
            _write_gpkg(result, tmp)
        elif ext == ".geojson":
            table = gpd.GeoDataFrame(_plain(parcel_table(result)))
            table.to_crs(DISPLAY_CRS).to_file(tmp, driver="GeoJSON")
        elif ext == ".csv":
            _write_csv(parcel_table(result), tmp)
        else:
            write_workbook(result, tmp)
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes to plain ones that every driver writes."""
    out = df.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype) and not out[col].isna().any():
            out[col] = out[col].astype(bool)  # a true boolean field
        elif isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Float64").astype(float)  # 1 / 0 / NULL
        elif isinstance(dtype, pd.Int64Dtype | pd.Float64Dtype):
            out[col] = out[col].astype(float)
    return out


def _write_gpkg(result: Result, path: Path) -> None:
    pyogrio.write_dataframe(_plain(parcel_table(result)), path, layer="parcels", driver="GPKG")
    pyogrio.write_dataframe(
        _plain(enterprise_table(result)), path, layer="enterprises", driver="GPKG"
    )
    z = result.zones
    zones = _plain(z) if isinstance(z, gpd.GeoDataFrame) else _plain(zone_table(result))
    pyogrio.write_dataframe(zones, path, layer="zones", driver="GPKG")


def _write_csv(parcels: gpd.GeoDataFrame, path: Path) -> None:
    table = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    lonlat = parcels.geometry.to_crs(DISPLAY_CRS)
    table["wkt"] = "SRID=4326;" + lonlat.to_wkt(rounding_precision=7)
    table.to_csv(path, index=False, encoding="utf-8-sig")


# --- the printable workbook -------------------------------------------------------------------


def _zh_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(df).copy()
    for col in out.columns:
        if col.endswith("_reasons"):
            out[col] = out[col].map(reasons_zh)
        elif col == "idle_action":
            out[col] = out[col].map(lambda a: _ACTIONS.get(a, "") if isinstance(a, str) else "")
        elif isinstance(out[col].dtype, pd.BooleanDtype) or out[col].dtype == bool:
            out[col] = out[col].map(lambda b: "" if pd.isna(b) else ("是" if b else "否"))
    return out.rename(columns=_label)


def _label(column: str) -> str:
    """Chinese header of an output column (class_2024 -> 2024年类别)."""
    if column.startswith("class_") and column[6:].isdigit():
        return f"{column[6:]}年类别"
    return LABELS.get(column, column)


def workbook_sheets(result: Result) -> dict[str, pd.DataFrame]:
    """The six sheets of the workbook (Chinese headers), also offered as downloads."""
    p = pd.DataFrame(parcel_table(result).drop(columns="geometry"))
    vac = (
        p[p["vacate_candidate"].fillna(False).astype(bool)]
        if "vacate_candidate" in p
        else p.iloc[:0]
    )
    den = (
        p[p["densify_candidate"].fillna(False).astype(bool)]
        if "densify_candidate" in p
        else p.iloc[:0]
    )
    vac_cols = [
        "parcel_id",
        "zone_name",
        "land_area_mu",
        "far",
        "coverage",
        "tax_per_mu",
        "output_per_mu",
        "parcel_class",
        "main_credit_code",
        "vacate_reasons",
        "potential_output_wan",
        "potential_tax_wan",
    ]
    den_cols = [
        "parcel_id",
        "zone_name",
        "land_area_mu",
        "land_area_m2",
        "far",
        "max_far",
        "tax_per_mu",
        "parcel_class",
        "target_far",
        "extra_floor_area_m2",
        "est_extra_output_wan",
        "est_extra_tax_wan",
    ]
    vac = vac.sort_values("tax_per_mu", na_position="first")
    den = den.sort_values("extra_floor_area_m2", ascending=False)
    return {
        "宗地": _zh_frame(p),
        "企业": _zh_frame(enterprise_table(result)),
        "片区": _zh_frame(zone_table(result)),
        "腾笼换鸟": _zh_frame(vac[[c for c in vac_cols if c in vac]]),
        "零地增资": _zh_frame(den[[c for c in den_cols if c in den]]),
        "数据质量": result.report.to_frame(),
    }


def _number_format(header: str) -> str | None:
    if any(unit in header for unit in ("(m²)", "(亩)", "万元")):
        return "#,##0.00"
    if header in {LABELS[s] for s in _SHARES if s in LABELS}:
        return "0.0%"
    if header in (LABELS["far"], LABELS["min_far"], LABELS["max_far"], LABELS["target_far"]):
        return "0.00"
    return None


def write_workbook(result: Result, path: Path) -> None:
    """The committee's workbook: frozen headers, number formats, widths, print settings."""
    footer = f"lcgis 评价结果 {result.year or ''}年度 第 &P 页 共 &N 页"
    if result.access is not None and not result.access.sees_all:
        footer += "(税收等涉密字段未导出)"
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in workbook_sheets(result).items():
            df.to_excel(xw, sheet_name=name, index=False)
            freeze = "B2" if name in ("宗地", "企业", "腾笼换鸟", "零地增资") else "A2"
            format_sheet(xw.sheets[name], df, freeze=freeze, footer=footer)


def format_sheet(
    ws: Any,
    df: pd.DataFrame,
    *,
    freeze: str,
    footer: str,
    number_format: Callable[[str], str | None] | None = None,
    auto_filter: bool = True,
) -> None:
    """Make a written sheet printable: frozen header, print titles, landscape fit to width,
    page footer, number formats by header (units), column widths, filters."""
    fmt_of = number_format or _number_format
    ws.freeze_panes = freeze
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = footer
    for i, header in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        fmt = fmt_of(str(header))
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        widths = [_display_width(_shown(x)) for x in df[header] if not _blank(x)]
        text_len = int(np.percentile(widths, 90)) if widths else 0
        width = max(_display_width(str(header)), min(text_len, 40)) + 2
        ws.column_dimensions[letter].width = min(width, 50)
    if auto_filter and len(df):
        ws.auto_filter.ref = ws.dimensions


def _shown(value: object) -> str:
    """A cell as Excel shows it (numbers with two decimals), for the column width."""
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
