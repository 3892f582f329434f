"""The one composition: ``run(dataset, rules, year=, as_of=) -> Result``.

measure (areas, buildings, zones) -> allocate land -> evaluate enterprises -> land rules
-> candidates -> zone summaries.  Every screen and command goes through here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from lcgis.data.frame import is_in, ratio
from lcgis.data.validate import QualityReport, credit_codes_valid
from lcgis.engine import assessment, candidates, evaluate, land, metrics, zonefit
from lcgis.errors import DataError, UsageError
from lcgis.progress import Progress, Steps

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

    import pyproj

    from lcgis.access import Policy
    from lcgis.data.io import Dataset
    from lcgis.rules import MeasureRules, Rules


class Kernels(Protocol):
    """The steps :func:`run` may compute elsewhere: :mod:`lcgis.engine.metrics` itself, or
    their partitioned equivalents (``lcgis.engine.partitioned``, ``--engine dask``)."""

    def parcel_building_totals(
        self, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, rules: MeasureRules, /
    ) -> pd.DataFrame: ...

    def assign_zones(self, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, /) -> pd.Series: ...

    def allocate_land(
        self, occupancy: pd.DataFrame, parcels: pd.DataFrame, at: np.ndarray | None = None, /
    ) -> pd.DataFrame: ...

    def enterprise_land(self, alloc: pd.DataFrame, /) -> pd.DataFrame: ...


def _step(kernels: Kernels, name: str, default: Any) -> Any:
    """``kernels``' own ``name`` when it has one (``indicators``, ``assess_land``: the
    partitioned engine's), else ``default`` (the single-machine function)."""
    return getattr(kernels, name, default)


#: Zone output fields of data-contract §5, in order.
ZONE_FIELDS = (
    "zone_id", "zone_name", "land_area_mu", "n_parcels", "n_enterprises", "n_above_scale",
    "output_wan", "tax_wan", "output_per_mu", "tax_per_mu", "far", "undeveloped_mu",
    "idle_mu", "inefficient_mu", "vacate_mu", "extra_floor_area_m2",
    "in_construction_mu", "reclaim_mu", "buyback_mu", "densify_mu",
    "role", "leading_industries", *zonefit.FIT_FIELDS,
)  # fmt: skip


@dataclass
class Result:
    """Everything one evaluation produced."""

    parcels: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    zones: gpd.GeoDataFrame | pd.DataFrame
    allocation: pd.DataFrame
    report: QualityReport
    rules: Rules
    year: int | None
    years: list[int]
    as_of: dt.date
    crs: pyproj.CRS | None
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict[str, float] = field(default_factory=dict)
    #: The input files by layer (as read), e.g. to tell the demo's 示意数据 in exports.
    files: dict[str, Path] = field(default_factory=dict)
    #: The figures the plans' targets count, per scope (园区, zone id) and year, from every
    #: year of the enterprise data (``lcgis.engine.assessment.plan_figures``).
    plan_figures: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def year_end(self) -> dt.date:
        """31 December of the evaluated year: the date enterprises are judged at (§8)."""
        return dt.date(self.year, 12, 31) if self.year is not None else self.as_of

    #: The access policy this copy was masked for (lcgis.access); None: the full result.
    access: Policy | None = None


_Frame = TypeVar("_Frame", pd.DataFrame, pd.Series)


def _take(frame: _Frame, rows: np.ndarray) -> _Frame:
    """``frame``'s rows at ``rows`` (as from :func:`metrics.positions`; -1 gives a missing
    row), with the dtypes ``reindex`` on the labels gives (the index is ``rows``)."""
    return frame.reset_index(drop=True).reindex(rows)


def _rows_of(mask: pd.Series) -> list[int]:
    return (np.flatnonzero(mask.to_numpy(dtype=bool, na_value=False)) + 1).tolist()


def check(ds: Dataset, rules: Rules) -> QualityReport:
    """The report of reading and, when reading found no error, of evaluating the latest year
    (areas, FAR, allocation, classes …): what ``validate``, ``import``, the upload check and
    the import wizard show before data is used — the same report as the 数据 screen's after."""
    if ds.report.has_errors:
        return ds.report
    try:
        return run(ds, rules).report
    except DataError as exc:
        if isinstance(exc.report, QualityReport):
            return exc.report
        raise


def measure(
    ds: Dataset, rules: Rules, report: QualityReport, kernels: Kernels = metrics
) -> gpd.GeoDataFrame:
    """Areas, floor area and footprint, FAR, coverage and zone of every parcel."""
    p = ds.parcels.copy(deep=False)  # copy-on-write: the columns set here are its own
    file = ds.files["parcels"].name if "parcels" in ds.files else ""
    for name in (
        "registered_area_m2", "floor_area_m2", "footprint_area_m2", "max_far", "min_far",
        "structure_area_m2", "yard_area_m2",
    ):  # fmt: skip
        if name not in p:
            p[name] = np.nan
    p["geom_area_m2"] = metrics.geom_area_m2(p.geometry)
    p["land_area_m2"] = metrics.land_area_m2(p["registered_area_m2"], p["geom_area_m2"])
    p["land_area_mu"] = metrics.to_mu(p["land_area_m2"])
    p["area_mismatch"] = metrics.area_mismatch(
        p["registered_area_m2"], p["geom_area_m2"], rules.measure.area_mismatch_share
    )
    if p["area_mismatch"].any():
        report.add(
            "warning",
            "area_mismatch",
            "parcels",
            f"登记面积与实测面积相差超过{rules.measure.area_mismatch_share:.0%}",
            file=file,
            rows=_rows_of(p["area_mismatch"]),
            field="registered_area_m2",
            fix="核对登记面积或宗地图形；计算仍以登记面积为准",
        )
    zero = p["registered_area_m2"].eq(0)
    if zero.any():
        report.add(
            "warning",
            "zero_area",
            "parcels",
            "登记面积为 0：容积率和亩均指标无法计算(留空)",
            file=file,
            rows=_rows_of(zero),
            field="registered_area_m2",
            fix="填写正确的登记面积，或留空以采用实测面积",
        )
    own_floor, own_fp = p["floor_area_m2"].astype(float), p["footprint_area_m2"].astype(float)
    p["floor_area_m2_given"], p["footprint_area_m2_given"] = own_floor, own_fp
    if ds.buildings is not None and not ds.buildings.empty:
        b = ds.buildings
        assumed = metrics.assumed_one_storey(b, rules.measure)
        if assumed.any():
            report.add(
                "warning",
                "storeys_assumed",
                "buildings",
                "建筑既无层数也无高度，按一层计算建筑面积",
                file=ds.files["buildings"].name,
                rows=_rows_of(assumed),
                field="floors",
                fix="补充层数(floors)或高度(height_m)",
            )
        totals = kernels.parcel_building_totals(p, b, rules.measure)
        p["floor_area_m2"] = own_floor.fillna(totals["floor_area_m2"])
        p["footprint_area_m2"] = own_fp.fillna(totals["footprint_area_m2"])
        p["n_tall_buildings"] = totals["n_tall_buildings"].where(own_floor.isna(), 0)
    else:
        p["n_tall_buildings"] = 0
    p["far"] = metrics.far(p["floor_area_m2"], p["land_area_m2"])
    p["coverage"] = metrics.coverage(
        p["footprint_area_m2"], p["land_area_m2"], p["structure_area_m2"], p["yard_area_m2"]
    )
    p["coverage_kind"] = metrics.coverage_kind(p["structure_area_m2"], p["yard_area_m2"])
    p["far_utilization"] = ratio(p["far"], p["max_far"])
    return _join_zones(p, ds, report, file, kernels)


def _join_zones(
    p: gpd.GeoDataFrame, ds: Dataset, report: QualityReport, file: str, kernels: Kernels
) -> gpd.GeoDataFrame:
    zones = ds.zones
    if zones is None or zones.empty or "zone_id" not in zones:
        p["zone_id"] = pd.Series(pd.NA, index=p.index, dtype="string")
        p["zone_name"] = pd.Series(pd.NA, index=p.index, dtype="string")
        p["zone_leading_industries"] = pd.Series(pd.NA, index=p.index, dtype="string")
        p["zone_role"] = pd.Series(pd.NA, index=p.index, dtype="string")
        return p
    p["zone_id"] = kernels.assign_zones(p, zones)
    info = zones.drop(columns=zones.geometry.name).set_index("zone_id")
    for col, src in (
        ("zone_name", "zone_name"),
        ("zone_leading_industries", "leading_industries"),
        ("zone_role", "role"),
    ):
        p[col] = info[src].reindex(p["zone_id"]).to_numpy() if src in info else pd.NA
        p[col] = p[col].astype("string")
    outside = p["zone_id"].isna()
    if outside.any():
        report.add(
            "warning",
            "outside_zones",
            "parcels",
            "宗地不在任何片区内，无片区归属",
            file=file,
            rows=_rows_of(outside),
            fix="核对宗地位置或片区范围",
        )
    return p


def choose_year(enterprises: pd.DataFrame | None, year: int | None) -> tuple[int | None, list[int]]:
    """The evaluated year (default: the latest) and all years present."""
    if enterprises is None or "year" not in enterprises or enterprises["year"].isna().all():
        return year, []
    years = sorted(int(y) for y in enterprises["year"].dropna().unique())
    if year is None:
        return years[-1], years
    if year not in years:
        raise UsageError(f"企业数据中没有 {year} 年度：可选 {', '.join(map(str, years))}")
    return year, years


def firms_of_year(enterprises: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """One row per enterprise for ``year`` (the last row wins for a duplicated code)."""
    e = (
        enterprises
        if year is None or "year" not in enterprises
        else enterprises[enterprises["year"] == year]
    )
    return e.drop_duplicates("credit_code", keep="last").set_index("credit_code", drop=False)


def allocate(
    ds: Dataset, parcels: pd.DataFrame, report: QualityReport, kernels: Kernels = metrics
) -> tuple[pd.DataFrame, np.ndarray]:
    """Occupancy rows with the land each occupant uses (m²), unknown parcels dropped; and
    the parcel of each of those rows, as its row in ``parcels``.

    The parcel ids are looked up once (one Arrow hash of them) for whether a row's parcel
    is known, for the over-allocated parcels and for the steps after.
    """
    occ = ds.occupancy
    if occ is None or occ.empty:
        empty = pd.DataFrame(columns=["credit_code", "parcel_id", "alloc_land_m2", "alloc_method"])
        return empty, np.zeros(0, dtype=np.intp)
    file = ds.files["occupancy"].name
    at = metrics.positions(occ["parcel_id"], parcels["parcel_id"])
    known = pd.Series((at >= 0) & occ["parcel_id"].notna().to_numpy(), index=occ.index)
    if (~known).any():
        report.add(
            "warning",
            "unknown_parcel",
            "occupancy",
            "用地关系中的宗地编号在宗地图层中不存在，已忽略",
            file=file,
            rows=(np.flatnonzero(~known.to_numpy()) + 2).tolist(),
            field="parcel_id",
            fix="核对宗地编号",
        )
    parcel_of = at[known.to_numpy()]
    alloc = kernels.allocate_land(occ[known], parcels, parcel_of)
    for method, code, text in (
        ("no_land", "no_land_left", "宗地用地已被其他企业占满：该企业用地留空，不参与亩均评价"),
        ("equal_share", "equal_share", "按宗地剩余用地平均分摊"),
    ):
        hit = alloc["alloc_method"].eq(method)
        if hit.any():
            report.add(
                "warning",
                code,
                "occupancy",
                f"未给出用地面积或使用建筑面积，{text}",
                file=file,
                rows=(alloc.index[hit.to_numpy()] + 2).tolist(),
                field="land_area_m2",
                fix="补充 land_area_m2(用地面积)或 floor_area_m2(使用建筑面积)",
            )
    over = _over_allocated(alloc, parcels, parcel_of)
    if over:
        report.add(
            "warning",
            "over_allocated",
            "occupancy",
            f"分摊到企业的用地超过宗地面积：{'、'.join(over[:10])}",
            file=file,
            field="land_area_m2",
            fix="核对各企业的用地面积",
        )
    return alloc, parcel_of


def _over_allocated(
    alloc: pd.DataFrame, parcels: pd.DataFrame, parcel_of: np.ndarray | None = None
) -> list[str]:
    """Sorted ids of the parcels whose allocated land exceeds their area by more than 1 %.

    ``parcel_of``: the row in ``parcels`` of each allocation row, when the caller has it.
    The land is summed by that row number rather than by the id's text: each sum adds the
    same values in the same (row) order, so it is the same to the last bit.

    >>> a = pd.DataFrame({"parcel_id": ["P2", "P1", "P2", None],
    ...                   "alloc_land_m2": [60.0, 10.0, 50.0, 5.0]})
    >>> p = pd.DataFrame({"parcel_id": ["P1", "P2"], "land_area_m2": [100.0, 100.0]})
    >>> _over_allocated(a, p)
    ['P2']
    """
    if parcel_of is None:
        parcel_of = metrics.positions(alloc["parcel_id"], parcels["parcel_id"])
    summed = (parcel_of >= 0) & alloc["parcel_id"].notna().to_numpy()
    used = alloc["alloc_land_m2"][summed].groupby(parcel_of[summed]).sum()
    land_m2 = parcels["land_area_m2"].to_numpy(dtype=float)[used.index]
    over = used.index[used.to_numpy() > land_m2 * 1.01]
    return sorted(parcels["parcel_id"].iloc[over].astype(str))


def run(
    ds: Dataset,
    rules: Rules,
    *,
    year: int | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    government_delay: Collection[str] = (),
    engine: str = "local",
    scheduler: str | None = None,
    kernels: Kernels = metrics,
) -> Result:
    """Evaluate a checked dataset.  Raises DataError when its report has errors.

    The evaluation is of a year (rules.md §8): enterprises are judged at 31 December of the
    evaluated year; ``as_of`` (default that same day) moves the idle-land clocks only.
    ``government_delay`` names the parcels whose idleness a review decided was caused by the
    government (政府原因): no fee and no 无偿收回.
    ``engine="dask"`` computes the geometric steps and the per-row rules on a Dask cluster
    (``scheduler``, else a local one) with identical results (:mod:`lcgis.engine.partitioned`;
    its ``run_files`` reads the files on the cluster too).
    """
    if ds.report.has_errors:
        raise DataError("数据有错误，未进行评价", ds.report)
    if engine != "local":
        from lcgis.engine import partitioned

        if engine != "dask":
            raise UsageError(f"未知的计算引擎：{engine}(可选 local、dask)")
        return partitioned.run(
            ds, rules, scheduler=scheduler, year=year, as_of=as_of, progress=progress,
            government_delay=government_delay,
        )  # fmt: skip
    report = QualityReport(list(ds.report.issues))
    step = Steps(progress)
    step("测量面积与建筑", 0.0)
    parcels = measure(ds, rules, report, kernels)
    year, years = choose_year(ds.enterprises, year)
    year_end = dt.date(year, 12, 31) if year is not None else dt.date.today()
    as_of = as_of or year_end
    step("分摊用地", 0.3)
    alloc, parcel_of = allocate(ds, parcels, report, kernels)
    firms = firms_of_year(ds.enterprises, year) if ds.enterprises is not None else None
    step("企业评价", 0.45)
    lands = _lands(alloc, kernels)
    ent = _evaluate_enterprises(firms, alloc, rules, year_end, lands, kernels)
    _report_unrated(ent, ds, report)
    history = _history(ds, alloc, rules, years, lands, {year: ent} if year is not None else {})
    ent = with_history(ent, history, year)
    # Each firm's main parcel, for its zone (twice), as its row in ``parcels`` (the steps
    # below keep their order): found once.
    main_rows = zonefit.main_rows(alloc)
    main, main_at = zonefit.main_parcels(alloc, main_rows), parcel_of[main_rows]
    ent = zonefit.with_zone_fit(ent, alloc, parcels, main=main, main_at=main_at)
    step("宗地指标与规则", 0.65)
    parcels = _parcel_figures(parcels, alloc, ent, ds.occupancy is not None, parcel_of)
    parcels = tax_history(parcels, ds, alloc, year, years)
    parcels["government_delay"] = parcels["parcel_id"].isin(set(government_delay))
    parcels = _step(kernels, "assess_land", land.assess_land)(parcels, as_of, rules)
    parcels = apply_candidates(parcels, rules, as_of)
    step("片区汇总", 0.9)
    zones = zone_summary(parcels, ent, alloc, ds.zones, parcel_of=parcel_of)
    zone_of = assessment.firm_zones(alloc, parcels, main=main, main_at=main_at)
    figures = assessment.plan_figures(ds.enterprises, rules.chains, zone_of)
    step("完成", 1.0)
    return Result(
        parcels=parcels,
        enterprises=ent,
        zones=zones,
        allocation=alloc,
        report=report,
        rules=rules,
        year=year,
        years=years,
        as_of=as_of,
        crs=ds.crs,
        history=history,
        timings=step.timings,
        files=dict(ds.files),
        plan_figures=figures,
    )


_LAND_COLUMNS = ["land_area_m2", "land_area_mu", "occupied_floor_m2", "parcel_ids", "sf_tenant"]


def _lands(alloc: pd.DataFrame, kernels: Kernels = metrics) -> pd.DataFrame:
    if alloc.empty:
        return pd.DataFrame(columns=_LAND_COLUMNS)
    return kernels.enterprise_land(alloc)


def _evaluate_enterprises(
    firms: pd.DataFrame | None,
    alloc: pd.DataFrame,
    rules: Rules,
    as_of: dt.date,
    lands: pd.DataFrame | None = None,
    kernels: Kernels = metrics,
) -> pd.DataFrame:
    if firms is None or firms.empty:
        return pd.DataFrame(columns=["credit_code", "name", "class"])
    lands = _lands(alloc) if lands is None else lands
    e = firms.reset_index(drop=True).join(lands, on="credit_code")
    e["credit_code_valid"] = credit_codes_valid(e["credit_code"])
    ind = _step(kernels, "indicators", evaluate.indicators)(e)
    return evaluate.classify(e, rules.evaluation, as_of, ind)


def _report_unrated(ent: pd.DataFrame, ds: Dataset, report: QualityReport) -> None:
    """List the firms whose class is empty for want of data (rules.md §8)."""
    if "class" not in ent or ent.empty:
        return
    empty = ent["class"].isna()
    reason = ent["class_reason"].astype(str)
    file = ds.files["enterprises"].name if "enterprises" in ds.files else ""
    for code, words, fix in (
        ("no_annual_data", evaluate.NO_DATA, "补充该年度的工业总产值、实缴税金或工业增加值"),
        ("no_land_data", "缺少用地", "在用地关系中补充该企业的宗地、用地面积或使用建筑面积"),
    ):
        hit = empty & reason.str.startswith(words)
        if hit.any():
            names = "、".join(ent.loc[hit, "name"].astype(str).head(10))
            more = f"等 {int(hit.sum())} 家" if hit.sum() > 10 else ""
            report.add(
                "warning",
                code,
                "enterprises",
                f"{words}，未评类别：{names}{more}",
                file=file,
                field="tax_wan" if code == "no_annual_data" else "credit_code",
                fix=fix,
            )


def _history(
    ds: Dataset,
    alloc: pd.DataFrame,
    rules: Rules,
    years: list[int],
    lands: pd.DataFrame | None = None,
    classified: dict[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Class of every enterprise per year and its change from the year before, each year
    judged at its own 31 December (rules.md §8).  ``classified``: the evaluated year's
    enterprises, classified already (not classified again)."""
    if ds.enterprises is None or not years or alloc.empty:
        return pd.DataFrame()
    lands = _lands(alloc) if lands is None else lands
    by_year = ds.enterprises.join(lands.drop(columns=["parcel_ids"]), on="credit_code")
    done = {y: e for y, e in (classified or {}).items() if "score" in e and "credit_code" in e}
    return evaluate.class_changes(by_year, rules.evaluation, classified=done)


def with_history(ent: pd.DataFrame, history: pd.DataFrame, year: int | None) -> pd.DataFrame:
    """Add class_before / class_change of the evaluated year and class_<year> per year.

    As joins on the credit code would add them: class_before / class_change from the
    firm's first row of the evaluated year (a missing code finds a missing code), and
    class_<year> the firm's last known class of that year (as a pivot table: no column for
    a year without any known class, missing codes left out).  The codes are hashed once —
    the history's distinct codes, and where each enterprise's code is among them — and
    every year is then looked up by those integer codes.
    """
    if history.empty or "credit_code" not in ent or year is None:
        return ent
    h = history[history["year"].notna()]
    firm, codes = pd.factorize(h["credit_code"], use_na_sentinel=False)
    at = metrics.positions(ent["credit_code"], codes)  # -1: the firm has no history
    years = h["year"].to_numpy()
    now = _row_per_firm(firm, np.flatnonzero(years == year), len(codes), last=False)
    out = ent.copy(deep=False)  # copy-on-write: the columns set here are its own
    for col in ("class_before", "class_change"):
        out[col] = _take(h[col], _lookup(now, at)).set_axis(out.index)
    classes = h["class"]
    known = classes.notna().to_numpy() & pd.notna(codes).take(firm)
    for y in np.unique(years):
        rows = np.flatnonzero(known & (years == y))
        if len(rows):
            last = _row_per_firm(firm, rows, len(codes), last=True)
            out[f"class_{int(y)}"] = _take(classes, _lookup(last, at)).set_axis(out.index)
    return out


def _row_per_firm(firm: np.ndarray, rows: np.ndarray, n: int, *, last: bool) -> np.ndarray:
    """Per firm code 0 … n-1, the first (or last) of ``rows`` whose ``firm`` it is; -1 when
    none is.

    >>> _row_per_firm(np.array([1, 0, 1, 1]), np.array([0, 2, 3]), 3, last=True).tolist()
    [-1, 3, -1]
    """
    out = np.full(n, -1, dtype=np.intp)
    ordered = rows[::-1] if last else rows
    held, first = np.unique(firm[ordered], return_index=True)
    out[held] = ordered[first]
    return out


def _lookup(table: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``table[at]``, -1 where ``at`` is -1."""
    return np.append(table, -1)[at]


def _parcel_figures(
    parcels: gpd.GeoDataFrame,
    alloc: pd.DataFrame,
    ent: pd.DataFrame,
    has_occupancy: bool,
    parcel_of: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """The occupants' figures per parcel.  ``parcel_of``: each allocation row's row in
    ``parcels``; the parcels are then grouped and joined on those rows, not on their ids."""
    p = parcels
    firms = ent.set_index("credit_code") if "credit_code" in ent else pd.DataFrame()
    if not alloc.empty and not firms.empty:
        econ = metrics.parcel_economics(alloc, firms, parcel_of)
    elif not alloc.empty:
        none = pd.DataFrame(index=pd.Index([], name="credit_code"))
        econ = metrics.parcel_economics(alloc, none, parcel_of)
    else:
        econ = pd.DataFrame()
    cols = [
        *metrics.MONEY_FIELDS,
        "producing",
        "n_occupants",
        "main_credit_code",
        "main_industry_code",
        "leased_floor_area_m2",
        "occupied_floor_area_m2",
    ]
    if not alloc.empty and metrics.by_rows(alloc["parcel_id"], parcel_of):
        at = metrics.rows_of_keys(np.asarray(parcel_of), len(p))
    else:
        at = metrics.positions(p["parcel_id"], econ.index)
    joined = _take(econ, at)
    for col in cols:
        p[col] = joined[col].to_numpy() if col in joined else np.nan
    for col in metrics.MONEY_FIELDS:
        p[col] = p[col].astype(float)
    n = pd.Series(p["n_occupants"]).astype("Float64").fillna(0 if has_occupancy else pd.NA)
    p["n_occupants"] = n.astype("Int64")
    p["producing"] = pd.Series(p["producing"]).astype("boolean")
    p["main_industry_code"] = pd.Series(p["main_industry_code"]).astype("string")
    for name in ("output", "tax", "value_added", "revenue"):
        p[f"{name}_per_mu"] = metrics.per_mu(p[f"{name}_wan"], p["land_area_mu"])
    classes = firms["class"] if "class" in firms else pd.Series(dtype="string")
    p["parcel_class"] = _take(
        classes, metrics.positions(p["main_credit_code"], classes.index)
    ).to_numpy()
    p["parcel_class"] = p["parcel_class"].astype("string")
    p["zone_output_per_mu"] = land.zone_benchmark_per_mu(p, "output_wan")
    p["zone_tax_per_mu"] = land.zone_benchmark_per_mu(p, "tax_wan")
    return p


def _firms_per_zone(zone: np.ndarray, firm: np.ndarray, n_zones: int) -> np.ndarray:
    """The number of distinct firms (numbers ≥ 0) of each zone 0 … n_zones-1, from rows of
    (zone, firm) numbers; a row numbered -1 in either counts nowhere.

    >>> _firms_per_zone(np.array([0, 0, 1, 1, -1, 0]), np.array([3, 3, 3, -1, 2, 1]), 3).tolist()
    [2, 1, 0]
    """
    kept = (zone >= 0) & (firm >= 0)
    width = int(firm.max()) + 1 if kept.any() else 1
    pairs = pd.unique(zone[kept].astype(np.int64) * width + firm[kept])  # by hash, no sort
    return np.bincount(pairs // width, minlength=n_zones)


def apply_candidates(p: gpd.GeoDataFrame, rules: Rules, as_of: dt.date) -> gpd.GeoDataFrame:
    """One disposition per parcel, its priority and tier (rules.md §8)."""
    p = p.copy(deep=False)  # copy-on-write: the columns set here are its own
    for col, values in candidates.dispositions(p, rules, as_of).items():
        p[col] = values
    p["priority"] = candidates.priority(p, rules)
    p["tier"] = candidates.tiers(p, rules)
    return p


def tax_history(
    p: gpd.GeoDataFrame, ds: Dataset, alloc: pd.DataFrame, year: int | None, years: list[int]
) -> gpd.GeoDataFrame:
    """Parcel tax per 亩 over the last three years (rules.md §8, 13号 近三年) and growth.

    ``tax_per_mu_3y`` = mean of the parcel's tax per 亩 over the evaluated year and up to
    two years before, over the years that have a figure (``n_years_3y`` of them); every year
    uses the evaluated year's allocation.  ``tax_per_mu_prev`` is the year before,
    ``tax_per_mu_growth`` the change from it (a share; empty without it).
    """
    p = p.copy(deep=False)  # copy-on-write: the columns set here are its own
    per_year = {year: p["tax_per_mu"].astype(float)} if year is not None else {}
    window = [y for y in years if year is not None and year - 2 <= y < year]
    if window and ds.enterprises is not None and not alloc.empty:
        for y in window:
            firms = firms_of_year(ds.enterprises, y).set_index("credit_code", drop=True)
            econ = metrics.parcel_economics(alloc, firms)
            tax = econ["tax_wan"].reindex(p["parcel_id"].to_numpy()).to_numpy(dtype=float)
            per_year[y] = metrics.per_mu(pd.Series(tax, index=p.index), p["land_area_mu"])
    table = pd.DataFrame(per_year, index=p.index)
    p["tax_per_mu_3y"] = table.mean(axis=1) if not table.empty else np.nan
    p["n_years_3y"] = table.notna().sum(axis=1).astype(int) if not table.empty else 0
    prev = year - 1 if year is not None else None
    p["tax_per_mu_prev"] = table.get(prev, np.nan)
    p["tax_per_mu_growth"] = ratio(p["tax_per_mu"] - p["tax_per_mu_prev"], p["tax_per_mu_prev"])
    return p


def zone_summary(
    parcels: gpd.GeoDataFrame,
    ent: pd.DataFrame,
    alloc: pd.DataFrame,
    zones: gpd.GeoDataFrame | None,
    *,
    parcel_of: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-zone figures of data-contract §5 (one row per zone, plus parcels without one).

    ``parcel_of``: the row in ``parcels`` of each allocation row, when the caller has it.
    """
    p = parcels
    key = p["zone_id"].astype("str").fillna("")  # Arrow text: grouped without Python strings
    mu = p["land_area_mu"]
    g = pd.DataFrame(
        {
            "zone_id": key,
            "land_area_mu": mu,
            "output_wan": p["output_wan"],
            "tax_wan": p["tax_wan"],
            "floor_area_m2": p["floor_area_m2"],
            "land_area_m2": p["land_area_m2"],
            "undeveloped_mu": mu.where(p["undeveloped"].fillna(False).astype(bool), 0.0),
            "idle_mu": mu.where(p["idle"].fillna(False).astype(bool), 0.0),
            "inefficient_mu": mu.where(p["inefficient"].fillna(False).astype(bool), 0.0),
            "vacate_mu": mu.where(p["vacate_candidate"].fillna(False).astype(bool), 0.0),
            "extra_floor_area_m2": p["extra_floor_area_m2"].where(
                p["densify_candidate"].fillna(False).astype(bool), 0.0
            ),
            "in_construction_mu": mu.where(p["in_construction"].astype(bool), 0.0),
            "reclaim_mu": mu.where(p["disposition"].eq("reclaim"), 0.0),
            "buyback_mu": mu.where(p["disposition"].eq("buyback"), 0.0),
            "densify_mu": mu.where(p["disposition"].eq("densify"), 0.0),
        }
    ).groupby("zone_id", sort=False)
    out = g.sum(min_count=1)
    out["n_parcels"] = g.size()
    out["output_per_mu"] = metrics.per_mu(out["output_wan"], out["land_area_mu"])
    out["tax_per_mu"] = metrics.per_mu(out["tax_wan"], out["land_area_mu"])
    out["far"] = metrics.far(out["floor_area_m2"], out["land_area_m2"])
    if not alloc.empty:
        if parcel_of is None:
            parcel_of = metrics.positions(alloc["parcel_id"], p["parcel_id"])
        # Firms counted per zone on integers: each allocation row's zone as its number in
        # ``out`` (-1: no parcel), its firm as the number of its credit code (-1: none).
        zone = np.append(g.ngroup().to_numpy(), -1)[parcel_of]
        firm = pd.factorize(alloc["credit_code"])[0]
        out["n_enterprises"] = _firms_per_zone(zone, firm, len(out))
        if "above_scale" in ent:
            above = ent.loc[ent["above_scale"].fillna(False).astype(bool), "credit_code"]
            listed = is_in(alloc["credit_code"], above)
            out["n_above_scale"] = _firms_per_zone(zone[listed], firm[listed], len(out))
    for col in ("n_enterprises", "n_above_scale"):
        out[col] = out[col].fillna(0).astype(int) if col in out else 0
    names = (
        zones.drop(columns=zones.geometry.name).set_index("zone_id")
        if zones is not None and "zone_id" in zones
        else pd.DataFrame()
    )
    order = [z for z in names.index if z in out.index] + [
        z for z in out.index if z not in names.index
    ]
    out = out.reindex(order)
    for col in ("zone_name", "role", "leading_industries"):
        out[col] = names[col].reindex(out.index) if col in names else pd.NA
    out.loc[out.index == "", "zone_name"] = "片区外"
    out = out.join(zonefit.zone_fit(ent))
    out = out.reset_index()
    out = out[list(ZONE_FIELDS)]
    if zones is not None and "zone_id" in zones:
        geo = zones.set_index("zone_id").geometry.reindex(out["zone_id"]).to_numpy()
        return gpd.GeoDataFrame(out, geometry=list(geo), crs=zones.crs)
    return out
