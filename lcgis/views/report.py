"""Exports: GeoPackage, GeoJSON, CSV and the printable Excel workbook, written atomically.

>>> reasons_zh("tax_per_mu_low;small_parcel")
'亩均税收偏低；用地面积过小'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from lcgis.access import masked
from lcgis.data.atomic import atomic_output
from lcgis.data.canonical import EXTRA_PREFIX
from lcgis.data.crs import DISPLAY_CRS
from lcgis.data.industry import division_names
from lcgis.data.schema import FIELDS
from lcgis.engine import assessment
from lcgis.engine.pipeline import ZONE_FIELDS, Result
from lcgis.errors import UsageError
from lcgis.rules import Rules, load_rules
from lcgis.views import summary
from lcgis.views.sanitize import csv_frame, export_frame
from lcgis.vocab import (
    ALL_REASON_LABELS,
    ASSESSMENT_LABELS,
    ASSESSMENT_YEAR_LABEL,
    CHAIN_OUTPUT_LABEL,
    COLUMN_LABELS,
    DISPOSITION_LABELS,
    DISPOSITIONS,
    EXTRA_HEADER,
    GROUP_LABELS,
    IDLE_ACTION_LABELS,
    ILLUSTRATIVE,
    INDICATOR_NAMES,
    OUTPUT_LABELS,
    PLAN_FIGURE_LABELS,
    PLAN_OTHER_LABELS,
    PLAN_SCOPE_LABELS,
    PLAN_SOURCE_LABELS,
    PLAN_STATUS_LABELS,
    SOURCE_LABELS,
    TENURE_LABELS,
    TIER_LABELS,
    TIERS,
    ZONE_FIT_LABELS,
    ZONE_FIT_NOTE,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from lcgis.plans import Plan

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
    # revision 2 (rules.md §8)
    "tax_per_mu_3y",
    "n_years_3y",
    "in_construction",
    "buyback_candidate",
    "disposition",
    "disposition_reasons",
    "priority",
    "tier",
]
#: Extra parcel fields kept after the contract's (useful for review and the app).
PARCEL_EXTRAS = [
    "main_credit_code",
    "main_industry_code",
    "tax_per_mu_prev",
    "tax_per_mu_growth",
    "potential_output_wan",
    "potential_tax_wan",
    "reclaim_candidate",
    "coverage_kind",
    "n_tall_buildings",
    "zone_role",
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
    # revision 2 (rules.md §8)
    "eval_group",
    "rank_in_group",
    "n_in_group",
    "tax_per_floor_m2",
]

#: Chinese headers with units, for the workbook and the app: the result's columns, then the
#: input fields' own labels and those of the evaluation's columns.
LABELS: dict[str, str] = dict(COLUMN_LABELS)
for _layer in ("parcels", "enterprises"):
    for _f in FIELDS[_layer].values():
        LABELS.setdefault(_f.name, _f.label)
for _k, _v in (*OUTPUT_LABELS.items(), *ZONE_FIT_LABELS.items()):
    LABELS.setdefault(_k, _v)
_SHARES = {
    "coverage",
    "far_utilization",
    "tax_per_mu_growth",
    "rd_ratio",
    "fit_land_share",
    "fit_output_share",
}


def _enum_names(layer: str) -> dict[str, dict[str, str]]:
    """Canonical enum values of a layer's fields back to Chinese (first spelling wins)."""
    return {
        f.name: {en: zh for zh, en in reversed(list(f.values.items())) if zh != en}
        for f in FIELDS[layer].values()
        if f.values
    }


#: Chinese text of coded values per output column (workbook, app, 体检表): never
#: ``industrial``, ``below_scale`` or ``near`` on a page a person reads.
VALUE_LABELS: dict[str, Mapping[str, str]] = {
    **_enum_names("parcels"),
    **_enum_names("buildings"),
    "tenure": TENURE_LABELS,
    "idle_action": IDLE_ACTION_LABELS,
    "disposition": DISPOSITION_LABELS,
    "tier": TIER_LABELS,
    "eval_group": GROUP_LABELS,
}


def reasons_zh(codes: object) -> str:
    """';'-joined reason codes written out in Chinese."""
    if not isinstance(codes, str) or not codes:
        return ""
    return "；".join(ALL_REASON_LABELS.get(c, c) for c in codes.split(";") if c)


def value_zh(column: str, value: object) -> object:
    """A coded value of ``column`` in Chinese (other values unchanged, missing as '').

    >>> value_zh("tier", "near"), value_zh("eval_group", "below_scale"), value_zh("tier", None)
    ('近期', '规下', '')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    names = VALUE_LABELS.get(column)
    return names.get(str(value), value) if names else value


def is_extra(column: object) -> bool:
    """Whether ``column`` is an input file's own column that no contract field took.

    >>> is_extra("extra:规划用途"), is_extra("extra_floor_area_m2")
    (True, False)
    """
    return isinstance(column, str) and column.startswith(EXTRA_PREFIX)


def extra_columns(result: Result, frame: pd.DataFrame) -> list[str]:
    """The unmapped input columns (``extra:…``) of ``frame`` that go into an export of
    ``result``: all of them, none for a role that does not see every figure (its policy
    hides them, :meth:`lcgis.access.Policy.hides`)."""
    return [c for c in frame.columns if is_extra(c) and not masked(result, c)]


def parcel_table(result: Result) -> gpd.GeoDataFrame:
    """Parcels with the output fields of data-contract §5, the canonical inputs, extras,
    then the input file's own unmapped columns (:func:`extra_columns`)."""
    p = result.parcels
    inputs = [f for f in FIELDS["parcels"] if f not in PARCEL_FIELDS and f in p]
    extras = [f for f in PARCEL_EXTRAS if f in p]
    cols = [c for c in PARCEL_FIELDS if c in p] + inputs + extras + extra_columns(result, p)
    # Selected with the geometry, not joined to it afterwards: under copy-on-write the
    # selection shares the parcels' columns instead of copying every one of them.
    table = p[[*cols, p.geometry.name]]
    return table if p.geometry.name == "geometry" else table.rename_geometry("geometry")


def enterprise_table(result: Result) -> pd.DataFrame:
    """Enterprises with the contract's fields, class history, scores and notes, then the
    input file's own unmapped columns (:func:`extra_columns`)."""
    e = result.enterprises
    cols = [c for c in ENTERPRISE_FIELDS if c in e]
    by_year = sorted(c for c in e.columns if c.startswith("class_") and c[6:].isdigit())
    history = ["class_before", "class_change", *by_year]
    scores = [c for c in e.columns if c.startswith("score_")]
    notes = ["position", "missing_indicators", "notes", "occupied_floor_m2", "sf_tenant"]
    notes += ["zone_role", "fits_zone"]
    extras = [c for c in history + scores + notes if c in e]
    return e[cols + extras + extra_columns(result, e)].reset_index(drop=True)


def field_names(columns: Iterable[object]) -> list[str]:
    """Column names for the GeoPackage, GeoJSON and CSV: the input files' own columns keep
    their ``extra:`` names (those the 数据质量 warning gives), numbered when one is taken
    regardless of case (GeoPackage column names are SQLite's, which ignore case); the
    other names unchanged.

    >>> field_names(["parcel_id", "extra:规划用途", "extra:Code", "extra:code", "extra:CODE_2"])
    ['parcel_id', 'extra:规划用途', 'extra:Code', 'extra:code_2', 'extra:CODE_2_2']
    """
    names = [str(c) for c in columns]
    taken = {n.lower() for n in names if not is_extra(n)}
    out = []
    for base in names:
        name, n = base, 1
        while is_extra(base) and name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        out.append(name)
    return out


def _fields(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` made plain (:func:`_plain`) with the names of :func:`field_names`."""
    out = _plain(df)
    out.columns = pd.Index(field_names(out.columns))
    return out


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
            table = gpd.GeoDataFrame(_fields(parcel_table(result)))
            table.to_crs(DISPLAY_CRS).to_file(tmp, driver="GeoJSON", layer=out.stem, **_arrow())
        elif ext == ".csv":
            _write_csv(parcel_table(result), tmp)
        else:
            write_workbook(result, tmp, out=out)
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable extension dtypes to plain ones that every driver writes, text held as
    Python objects in Arrow (:func:`_arrow_text`); clean text."""
    out = df.copy(deep=False)
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype) and not out[col].isna().any():
            out[col] = out[col].astype(bool)  # a true boolean field
        elif isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Float64").astype(float)  # 1 / 0 / NULL
        elif isinstance(dtype, pd.Int64Dtype | pd.Float64Dtype):
            out[col] = out[col].astype(float)
        elif pd.api.types.is_object_dtype(dtype):
            out[col] = _arrow_text(out[col])
    return export_frame(out)


def _arrow_text(s: pd.Series) -> pd.Series:
    """``s`` in Arrow when pyarrow is installed and Arrow takes every value for text or
    missing (written as the same text field and NULLs), else unchanged.  Converted once,
    in one pass that is also the check, the column is then checked for text to clean
    (:func:`~lcgis.views.sanitize.export_frame`) and handed to the writer without a
    pass over its Python objects each.

    >>> [str(_arrow_text(pd.Series(x, dtype=object)).dtype) for x in (["a", None], ["a", 1])]
    ['string', 'object']
    """
    from lcgis.data.readers import has_arrow

    if not has_arrow():
        return s
    import pyarrow as pa

    try:
        values = pa.array(s.to_numpy(), from_pandas=True)  # the type as Arrow infers it
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return s  # text mixed with numbers or other objects
    if not pa.types.is_string(values.type):
        return s  # numbers, bytes, nothing but missing values …
    return pd.Series(pd.arrays.ArrowStringArray(values), index=s.index, name=s.name)


def _write_gpkg(result: Result, path: Path) -> None:
    """Parcels, enterprises and zones as three layers, through Arrow when pyarrow is there
    (a missing value is then NULL in every field type, never the text '<NA>')."""
    arrow = _arrow()
    pyogrio.write_dataframe(
        _fields(parcel_table(result)), path, layer="parcels", driver="GPKG", **arrow
    )
    pyogrio.write_dataframe(
        _fields(enterprise_table(result)), path, layer="enterprises", driver="GPKG", **arrow
    )
    z = result.zones
    zones = _plain(z) if isinstance(z, gpd.GeoDataFrame) else _plain(zone_table(result))
    pyogrio.write_dataframe(zones, path, layer="zones", driver="GPKG", **arrow)


def _arrow() -> dict[str, Any]:
    """``use_arrow=True`` for pyogrio's writer when pyarrow is installed."""
    from lcgis.data.readers import has_arrow

    return {"use_arrow": True} if has_arrow() else {}


def _write_csv(parcels: gpd.GeoDataFrame, path: Path) -> None:
    table = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    table.columns = pd.Index(field_names(table.columns))
    lonlat = parcels.geometry.to_crs(DISPLAY_CRS)
    table["wkt"] = "SRID=4326;" + lonlat.to_wkt(rounding_precision=7)
    csv_frame(table).to_csv(path, index=False, encoding="utf-8-sig")


# --- the printable workbook -------------------------------------------------------------------


#: Sheets of the workbook, in order: data-contract §4's six, with 说明 first and the lists of
#: every disposition (rules.md §8) side by side.
SHEETS: tuple[str, ...] = (
    "说明",
    "宗地",
    "企业",
    "片区",
    "规划目标",
    *(DISPOSITION_LABELS[d] for d in DISPOSITIONS),
    "数据质量",
)
#: Columns of the disposal lists (无偿收回, 收储改造, 腾笼换鸟) and of the 零地增资 list.
DISPOSAL_COLUMNS = [
    "tier",
    "priority",
    "parcel_id",
    "zone_name",
    "main_name",
    "land_area_mu",
    "far",
    "coverage",
    "tax_per_mu",
    "tax_per_mu_3y",
    "n_years_3y",
    "parcel_class",
    "idle_years",
    "disposition_reasons",
    "potential_output_wan",
    "potential_tax_wan",
]
DENSIFY_COLUMNS = [
    "tier",
    "priority",
    "parcel_id",
    "zone_name",
    "main_name",
    "land_area_mu",
    "land_area_m2",
    "far",
    "max_far",
    "tax_per_mu_3y",
    "n_years_3y",
    "parcel_class",
    "target_far",
    "extra_floor_area_m2",
    "est_extra_output_wan",
    "est_extra_tax_wan",
    "disposition_reasons",
]
#: Name of the park total row of the 片区 sheet.
PARK_TOTAL = "园区合计"
#: Zone fields summed into the park total row (the rest are counted or taken of the sums).
_ZONE_SUMS = (
    "land_area_mu",
    "n_parcels",
    "output_wan",
    "tax_wan",
    "undeveloped_mu",
    "idle_mu",
    "inefficient_mu",
    "vacate_mu",
    "extra_floor_area_m2",
    "in_construction_mu",
    "reclaim_mu",
    "buyback_mu",
    "densify_mu",
    "known_land_mu",
    "fit_land_mu",
    "known_output_wan",
    "fit_output_wan",
)
#: Shares of the 片区 sheet's total row taken of the sums: share -> (part, whole).
_ZONE_SHARES = {
    "fit_land_share": ("fit_land_mu", "known_land_mu"),
    "fit_output_share": ("fit_output_wan", "known_output_wan"),
}


def _is_flag_column(values: pd.Series) -> bool:
    if isinstance(values.dtype, pd.BooleanDtype) or values.dtype == bool:
        return True
    if values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, bool | np.bool_) for v in present)


def _indicators_zh(codes: object) -> str:
    if not isinstance(codes, str) or not codes:
        return ""
    return "、".join(INDICATOR_NAMES.get(c, c) for c in codes.split(";") if c)


def _zh_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Chinese headers and Chinese values (reasons, coded values, 是/否); the input files'
    own columns (``extra:…``) as they were read, headed ``附加:…``."""
    out = pd.DataFrame(df).copy()
    for col in out.columns:
        if is_extra(col):
            continue
        if col.endswith("_reasons"):
            out[col] = out[col].map(reasons_zh)
        elif col == "missing_indicators":
            out[col] = out[col].map(_indicators_zh)
        elif col in VALUE_LABELS:
            out[col] = out[col].astype(object).map(lambda v, c=col: value_zh(c, v))
        elif _is_flag_column(out[col]):
            out[col] = out[col].map(lambda b: "" if pd.isna(b) else ("是" if b else "否"))
    return out.rename(columns=_label)


def _label(column: str) -> str:
    """Chinese header of an output column (class_2024 -> 2024年类别, extra:规划用途 ->
    附加:规划用途).

    >>> _label("class_2024"), _label("extra:规划用途"), _label("far")
    ('2024年类别', '附加:规划用途', '容积率')
    """
    if is_extra(column):
        return EXTRA_HEADER + column.removeprefix(EXTRA_PREFIX)
    if column.startswith("class_") and column[6:].isdigit():
        return f"{column[6:]}年类别"
    return LABELS.get(column, column)


def shortlist(parcels: pd.DataFrame, disposition: str) -> pd.DataFrame:
    """The parcels of one disposition list in its order: tier (近期, 中期, 储备), then
    priority (higher first), then parcel id."""
    if "disposition" not in parcels:
        return parcels.iloc[:0]
    p = parcels[parcels["disposition"].eq(disposition).fillna(False).astype(bool)]
    tier = p["tier"] if "tier" in p else pd.Series(None, index=p.index)
    prio = p["priority"] if "priority" in p else pd.Series(np.nan, index=p.index)
    key = pd.DataFrame(
        {
            "t": tier.map({t: i for i, t in enumerate(TIERS)}).fillna(len(TIERS)),
            "p": -pd.to_numeric(prio, errors="coerce"),
            "id": p["parcel_id"].astype(str),
        },
        index=p.index,
    )
    order = key.sort_values(["t", "p", "id"], na_position="last").index
    return p.loc[order]


def list_table(result: Result, disposition: str) -> pd.DataFrame:
    """One disposition list with its columns (English names), in list order."""
    p = pd.DataFrame(parcel_table(result).drop(columns="geometry"))
    p["main_name"] = summary.main_names(p, result.enterprises).to_numpy()
    rows = shortlist(p, disposition)
    cols = DENSIFY_COLUMNS if disposition == "densify" else DISPOSAL_COLUMNS
    return rows[[c for c in cols if c in rows]].reset_index(drop=True)


def enterprise_sheet(result: Result) -> pd.DataFrame:
    """The 企业 sheet's table: enterprises with the zone of their main parcel after the name."""
    e = enterprise_table(result)
    zone = summary.enterprise_main_zone(result).reset_index(drop=True)
    at = list(e.columns).index("name") + 1 if "name" in e else 0
    e.insert(at, "enterprise_zone", zone)
    return e


def zone_sheet(result: Result) -> pd.DataFrame:
    """The 片区 sheet's table: the zones with their role and leading industries (by name),
    firms per class by zone (each firm in the zone of its main parcel) and the park total
    row (sums; per-亩 figures, FAR and the zone-fit shares of the sums; enterprises counted
    once).  The zone-fit shares (:mod:`lcgis.engine.zonefit`): land and output of the firms
    that fit the zone ÷ those of the zone's firms with an industry code, where the zone names
    its leading industries."""
    z = zone_table(result).copy()
    names = z["zone_name"].astype(object).where(z["zone_name"].notna(), "").astype(str)
    names = names.where(~(z["zone_id"].astype(str).eq("") & names.eq("")), summary.OUTSIDE_ZONES)
    z["zone_name"] = names.to_numpy()
    firms = summary.enterprise_main_zone(result)
    order = list(z["zone_name"])
    if firms.eq(summary.NO_LAND).any():
        order.append(summary.NO_LAND)
    classes = result.enterprises.get("class", pd.Series(pd.NA, index=result.enterprises.index))
    counts = summary.class_table(classes, firms, order)
    counts.columns = [_class_column(c) for c in counts.columns]
    table = z.set_index("zone_name").reindex(order).join(counts).reset_index()
    table = table.rename(columns={"index": "zone_name"})
    p = result.parcels
    total: dict[str, Any] = {"zone_id": "", "zone_name": PARK_TOTAL}
    for col in _ZONE_SUMS:
        if col in table:
            total[col] = pd.to_numeric(table[col], errors="coerce").sum(min_count=1)
    for col in counts.columns:
        total[col] = int(table[col].sum())
    land = total.get("land_area_mu", np.nan)
    for per_mu, amount in (("output_per_mu", "output_wan"), ("tax_per_mu", "tax_wan")):
        total[per_mu] = total.get(amount, np.nan) / land if land and land > 0 else np.nan
    for share, (part, whole) in _ZONE_SHARES.items():
        den = total.get(whole, np.nan)
        total[share] = total.get(part, np.nan) / den if den and den > 0 else np.nan
    floor = pd.to_numeric(p.get("floor_area_m2"), errors="coerce").sum(min_count=1)
    land_m2 = pd.to_numeric(p.get("land_area_m2"), errors="coerce").sum(min_count=1)
    total["far"] = floor / land_m2 if land_m2 and land_m2 > 0 else np.nan
    alloc = result.allocation
    in_park = set(alloc["credit_code"]) if "credit_code" in alloc else set()
    total["n_enterprises"] = len(in_park)
    e = result.enterprises
    if "above_scale" in e:
        above = e["above_scale"].astype("boolean").fillna(False).astype(bool)
        total["n_above_scale"] = int(e.loc[above, "credit_code"].isin(in_park).sum())
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    if "leading_industries" in table:
        table["leading_industries"] = table["leading_industries"].map(division_names)
    first = ["zone_name", *(c for c in ("role", "leading_industries") if c in table)]
    table = table[first + [c for c in table.columns if c not in first]]
    return table.drop(columns=["zone_id"])


def _class_column(c: str) -> str:
    return f"{c}类企业(家)" if c in summary.CLASSES else f"{c}企业(家)"


def illustrative_statement(files: Mapping[str, Path]) -> str:
    """The dataset's own statement that it is illustrative (示意数据), '' when it makes none.

    The embedded demo (``lcgis.demo``) writes it into each GeoPackage layer's DESCRIPTION and
    the zones GeoJSON's top-level ``description``.
    """
    for layer, path in files.items():
        path = Path(path)
        text = ""
        try:
            if path.suffix.lower() == ".gpkg":
                meta = pyogrio.read_info(path).get("layer_metadata") or {}
                text = str(meta.get("DESCRIPTION", ""))
            elif layer == "zones" and path.suffix.lower() in (".geojson", ".json"):
                doc = json.loads(path.read_text(encoding="utf-8-sig"))
                text = str(doc.get("description", "")) if isinstance(doc, dict) else ""
        except (OSError, ValueError, pyogrio.errors.DataSourceError):
            continue
        if ILLUSTRATIVE in text:
            return text
    return ""


def rules_version(rules: Rules) -> str:
    """Which rules were applied: the default file or a user's, with the content digest."""
    default = rules.digest == load_rules().digest
    kind = "默认规则" if default else "自定义规则(按用户规则文件逐键覆盖默认规则)"
    return f"{kind}，规则摘要 {rules.digest}"


def sources_used(rules: Rules) -> list[str]:
    """The ``[sources]`` codes of the rules this evaluation applies (rules switched off in
    the rules file are left out), in the order of the workbook's 说明 sheet."""
    ine = rules.inefficient
    reasons = {
        "far_below_min": ine.far_below_min,
        "far_below_plan": ine.far_utilization_below is not None,
        "coverage_below_min": ine.coverage_below_min,
        "tax_per_mu_low": ine.tax_per_mu_below is not None
        or rules.buyback.tax_per_mu_below is not None,
        "output_per_mu_low": ine.output_per_mu_below is not None
        or ine.output_per_mu_below_zone_share is not None,
        "not_producing": ine.not_producing,
        "small_parcel": ine.small_parcel_mu_below is not None
        or rules.buyback.small_parcel_mu_below is not None,
        "industry_mismatch": ine.industry_mismatch,
        "mostly_leased": ine.leased_share_above is not None,
        "completion_overdue": ine.completion_overdue_years is not None,
    }
    codes = ["evaluation", "class_t", "small_group", "missing_indicator"]
    codes += [c for c, on in reasons.items() if on]
    codes += ["undeveloped", "idle", "government_reason", "in_construction", "class_d"]
    codes += ["reclaim", "buyback", "vacate", "densify", "priority", "chains", "plans"]
    return [c for c in codes if rules.source(c)]


def notes_sheet(result: Result) -> pd.DataFrame:
    """The 说明 sheet: what the data is (示意数据 when it says so), the year and date, the
    rules version and every source the evaluation applies."""
    r = result.rules
    demo = illustrative_statement(result.files)
    near, mid = r.priority.tier_shares
    rows: list[tuple[str, str]] = [
        ("标题", "鲤城高新区工业用地效益评价结果"),
        ("数据性质", demo if demo else "用户提供的数据"),
    ]
    if demo:
        rows.append(("注意", f"本工作簿为{ILLUSTRATIVE}的评价结果，不得用于实际评价或决策"))
    rows += [
        ("评价年度", f"{result.year}年" if result.year else "—"),
        ("评价基准日", result.as_of.isoformat()),
        (
            "评价口径",
            "企业按评价年度12月31日评价；基准日只影响闲置土地、在建等年限的计算。"
            "近三年亩均税收为评价年度及前两年中有数据年份的平均。",
        ),
        ("规则版本", rules_version(r)),
        ("数据文件", "、".join(sorted({Path(f).name for f in result.files.values()})) or "—"),
        (
            "处置方式",
            "每宗地至多一种，依次判定：无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资；"
            "在建宗地不列入任何清单。",
        ),
        (
            "梯队",
            f"各清单按优先级从高到低排列：前{near:.0%}为近期，至{mid:.0%}为中期，其余为储备。",
        ),
        (
            "潜力上限",
            "标注“潜力上限”的收益是按现状强度(片区亩均水平或现有单位建筑面积产出)估算的上限，"
            "不是预测；其合计同样只是潜力上限。",
        ),
        (
            "企业所属片区",
            "企业的片区为其用地最多的宗地所在片区；片区表中的各类企业数按此计数，合计等于各片区之和。"
            "“企业数”按在该片区有用地的企业计，跨片区企业在各片区各计一次，园区合计中只计一次。",
        ),
        ("片区主导产业", ZONE_FIT_NOTE),
    ]
    rows += _extras_note(result)
    rows += _plans_note(r)
    for code in sources_used(r):
        label = SOURCE_LABELS.get(code) or PLAN_SOURCE_LABELS.get(code, code)
        rows.append((f"依据：{label}", r.source(code)))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _extras_note(result: Result) -> list[tuple[str, str]]:
    """The 说明 line on the input files' own columns: what the ``附加:`` columns are, or that
    they are not exported for this role; none when the files have no such column."""
    frames = (result.parcels, result.enterprises)
    if not any(is_extra(c) for f in frames for c in f.columns):
        return []
    if any(extra_columns(result, f) for f in frames):
        text = (
            f"宗地表、企业表中表头以“{EXTRA_HEADER}”开头的列是输入文件自带、"
            "未对应到数据约定任何字段的列，按读入的原样保留，不参与计算。"
        )
    else:
        text = "输入文件自带、未对应到数据约定字段的列只向核查人员导出，本工作簿未包含。"
    return [("附加列", text)]


def _plans_note(rules: Rules) -> list[tuple[str, str]]:
    """The 说明 lines of the 规划目标 sheet: each plan with its period and source, and how
    the figures are counted."""
    rows = [
        (
            f"规划：{p.name}",
            f"{p.start}–{p.end}年；{p.source}" if p.source else f"{p.start}–{p.end}年",
        )
        for p in rules.plans
    ]
    if rows:
        rows.append(
            (
                "规划目标口径",
                "园区及各片区数字按企业年度数据统计(企业归入其用地最多的宗地所在片区，各年相同)；"
                "“超”为严格大于(产值恰为1亿元不计入产值超亿元企业)；高新技术产业产值以规上高新技术企业"
                "产值近似；产业链产值含规上、规下企业。目标范围为全区的，园区数字仅作参照，不判定是否达到；"
                "所需年均增速为从最新年度到规划期末达到目标所需的年均增长。",
            )
        )
    return rows


def figure_label(key: str, rules: Rules) -> str:
    """The Chinese name (with unit) of a plan figure or target key.

    >>> figure_label("chain_textile_yi", load_rules()), figure_label("gdp_yi", load_rules())
    ('纺织鞋服产业链产值(亿元)', '地区生产总值(亿元)')
    """
    for k, chain in rules.chains.items():
        if key == assessment.chain_figure(k):
            return CHAIN_OUTPUT_LABEL.format(name=chain.name)
    return PLAN_FIGURE_LABELS.get(key) or PLAN_OTHER_LABELS.get(key, key)


def plans_table(result: Result, plans: Sequence[Plan] | None = None) -> pd.DataFrame:
    """The assessment of ``plans`` (default: every plan of the result's rules) on the
    result's plan figures (English columns, codes)."""
    zones = result.zones
    ids = [str(z) for z in zones["zone_id"].dropna()] if "zone_id" in zones else []
    figures = result.plan_figures
    if figures.empty:
        figures = pd.DataFrame(columns=["scope", "year"])
    chosen = result.rules.plans if plans is None else plans
    parts = [assessment.assess(p, figures, ids) for p in chosen]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def scope_names(result: Result) -> dict[str, str]:
    """Scope code → name: 全区, 园区 and each zone id by its zone name."""
    zones = result.zones
    names: dict[str, str] = dict(PLAN_SCOPE_LABELS)
    if "zone_id" in zones and "zone_name" in zones:
        for zid, zname in zip(zones["zone_id"], zones["zone_name"], strict=True):
            if pd.notna(zid) and pd.notna(zname) and str(zname):
                names[str(zid)] = str(zname)
    return names


def plans_sheet(result: Result, plans: Sequence[Plan] | None = None) -> pd.DataFrame:
    """The 规划目标 sheet: each target and scope with the figures per year, the target, the
    share reached, the yearly growth needed and the status, in Chinese (``plans``: default
    every plan of the result's rules)."""
    t = plans_table(result, plans)
    if t.empty:
        return pd.DataFrame(columns=list(ASSESSMENT_LABELS.values()))
    rules = result.rules
    names = scope_names(result)
    plan_names = {p.key: p.name for p in (rules.plans if plans is None else plans)}
    t["plan"] = t["plan"].map(plan_names)
    t["target"] = t["target"].map(lambda k: figure_label(str(k), rules))
    for col in ("target_scope", "scope"):
        t[col] = t[col].map(lambda s: names.get(str(s), str(s)))
    t["status"] = t["status"].map(PLAN_STATUS_LABELS)
    years = [c for c in t.columns if c.startswith("value_")]
    head = ["plan", "target", "target_scope", "scope", "unit"]
    tail = ["target_value", "baseline_year", "baseline_value", "latest_year", "latest_value"]
    tail += ["share_reached", "growth_needed", "status", "wording"]
    t = t[head + years + tail]
    labels = dict(ASSESSMENT_LABELS)
    labels.update({c: ASSESSMENT_YEAR_LABEL.format(year=c[6:]) for c in years})
    return t.rename(columns=labels)


def workbook_sheets(result: Result) -> dict[str, pd.DataFrame]:
    """The sheets of the workbook (:data:`SHEETS`, Chinese headers and values), also offered
    as downloads."""
    p = pd.DataFrame(parcel_table(result).drop(columns="geometry"))
    p = p.drop(columns=[c for c in ("zone_id",) if c in p])
    sheets = {
        "说明": notes_sheet(result),
        "宗地": _zh_frame(p),
        "企业": _zh_frame(enterprise_sheet(result)),
        "片区": _zh_frame(zone_sheet(result)),
        "规划目标": plans_sheet(result),
    }
    for kind in DISPOSITIONS:
        sheets[DISPOSITION_LABELS[kind]] = _zh_frame(list_table(result, kind))
    sheets["数据质量"] = result.report.to_frame()
    return sheets


def _number_format(header: str) -> str | None:
    """Amounts by unit, shares as percentages, floor-area ratios and the priority; the input
    files' own columns (``附加:…``) general, as they were read.

    >>> _number_format("用地面积(亩)"), _number_format("附加:产值(万元)")
    ('#,##0.00', None)
    """
    from lcgis.views.sheets import PERCENT_FORMAT, number_format  # the workbook's only

    if header.startswith(EXTRA_HEADER):
        return None
    exact = {LABELS[s]: PERCENT_FORMAT for s in _SHARES if s in LABELS}
    exact.update(
        dict.fromkeys((LABELS[k] for k in ("far", "min_far", "max_far", "target_far")), "0.00")
    )
    exact[LABELS["priority"]] = "#,##0.0"
    for key in ("share_reached", "growth_needed"):
        exact[ASSESSMENT_LABELS[key]] = PERCENT_FORMAT
    return number_format(header, exact=exact)


#: The detail sheets (one row per parcel, per enterprise): above the rules' row limit
#: (``[workbook] max_rows``) written beside the workbook as CSV instead.
DETAIL_SHEETS = ("宗地", "企业")


def tables_beside(result: Result, out: str | Path) -> dict[str, Path]:
    """The detail sheets of ``result``'s workbook ``out`` that have more rows than the rules
    allow a sheet (``[workbook] max_rows``), each with the CSV written beside the workbook
    instead: ``评价结果.xlsx`` → ``评价结果.宗地.csv``.

    >>> from types import SimpleNamespace as NS
    >>> big = NS(rules=load_rules(), parcels=range(300_000), enterprises=range(10))
    >>> tables_beside(big, "out/评价结果.xlsx")
    {'宗地': PosixPath('out/评价结果.宗地.csv')}
    """
    out = Path(out)
    rows = {"宗地": len(result.parcels), "企业": len(result.enterprises)}
    limit = result.rules.workbook.max_rows
    over = [name for name in DETAIL_SHEETS if rows[name] > limit]
    return {name: out.with_name(f"{out.stem}.{name}.csv") for name in over}


def _beside_note(result: Result, beside: Mapping[str, Path]) -> list[tuple[str, str]]:
    """The 说明 lines naming the tables written beside the workbook."""
    limit = result.rules.workbook.max_rows
    rows = {"宗地": len(result.parcels), "企业": len(result.enterprises)}
    return [
        (
            f"完整表格：{name}",
            f"{name}表共 {rows[name]:,} 行，超过工作簿每表上限 {limit:,} 行"
            f"(规则 workbook.max_rows)，未放入本工作簿；完整表格另存为 {path.name}"
            "(与本工作簿在同一文件夹，UTF-8 编码的 CSV，表头与本工作簿相同)。"
            "带图形的完整结果可另行导出 .gpkg。",
        )
        for name, path in beside.items()
    ]


def write_workbook(result: Result, path: Path, *, out: str | Path | None = None) -> list[Path]:
    """The committee's workbook at ``path``: frozen headers, number formats, widths, print
    settings; the footer of every page says 示意数据 when the dataset does.  A detail sheet
    with more rows than the rules allow (:func:`tables_beside`) is written beside the
    workbook's final name ``out`` (default ``path``) as CSV instead, and the 说明 sheet says
    where; the CSV files written."""
    from lcgis.views.sheets import Book, write_sheet  # the workbook's only

    mark = f"({ILLUSTRATIVE})" if illustrative_statement(result.files) else ""
    footer = f"lcgis 评价结果{mark} {result.year or ''}年度 第 &P 页 共 &N 页"
    wide = ("宗地", "企业", *(DISPOSITION_LABELS[d] for d in DISPOSITIONS))
    if result.access is not None and not result.access.sees_all:
        footer += "(税收等涉密字段未导出)"
    beside = tables_beside(result, out if out is not None else path)
    sheets = workbook_sheets(result)
    if beside:
        notes = sheets["说明"]
        at = int(notes["项目"].isin(["数据性质", "注意"]).to_numpy().nonzero()[0].max()) + 1
        extra = pd.DataFrame(_beside_note(result, beside), columns=notes.columns)
        sheets["说明"] = pd.concat([notes.iloc[:at], extra, notes.iloc[at:]], ignore_index=True)
    written = []
    with Book(path) as book:
        for name in list(sheets):
            df = sheets.pop(name)  # each table is let go once written
            if name in beside:
                with atomic_output(beside[name]) as tmp:
                    csv_frame(df).to_csv(tmp, index=False, encoding="utf-8-sig")
                written.append(beside[name])
                continue
            write_sheet(
                book,
                name,
                df,
                freeze="B2" if name in wide else "A2",
                footer=footer,
                number_format=_number_format,
                auto_filter=name != "说明",
            )
    return written
