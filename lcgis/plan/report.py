"""Exports of a relocation plan: .xlsx, .csv (two files) and .gpkg, written atomically.

.xlsx: sheets 搬迁方案 (one row per mover), 前后对比 (per zone and 全园) and 求解说明
(objective, solver status, proven optimal or the MIP gap, model size); Chinese headers with
units, frozen header, number formats, column widths.  .csv: the plan, plus
``<name>_before_after.csv`` beside it (UTF-8 with BOM).  .gpkg: layer ``plan`` (site
geometry in the working CRS, empty for a mover without a site) and table ``before_after``.

>>> sorted(PLAN_LABELS)[:3]
['benchmark_used', 'credit_code', 'current_parcel_id']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

from lcgis.data.atomic import atomic_output
from lcgis.errors import UsageError
from lcgis.views.sanitize import csv_frame, export_frame
from lcgis.views.sheets import (
    COUNT_FORMAT,
    PERCENT_FORMAT,
    Book,
    no_number_format,
    number_format,
    write_sheet,
)
from lcgis.vocab import BEFORE_AFTER_LABELS, PLAN_LABELS
from lcgis.vocab import OBJECTIVE_LABELS as OBJECTIVE_ZH

if TYPE_CHECKING:
    from lcgis.plan.relocation import RelocationPlan

PLAN_FORMATS = (".xlsx", ".csv", ".gpkg")
_NUMBER_HEADERS = ("(亩)", "万元", "搬迁前", "搬迁后", "变化", "规划目标", "距目标")


def plan_sheets(rp: RelocationPlan) -> dict[str, pd.DataFrame]:
    """The workbook's sheets with Chinese headers: 搬迁方案, 前后对比, 求解说明."""
    # zones by name only (片区编号 such as "north" is for files, not for people)
    t = pd.DataFrame(rp.plan.drop(columns=[rp.plan.geometry.name, "zone_id"]))
    t["industry_match"] = t["industry_match"].map(
        lambda b: "" if pd.isna(b) else ("是" if b else "否")
    )
    ba = rp.before_after.drop(columns=["figure", "zone_id"]).rename(columns=BEFORE_AFTER_LABELS)
    zh = OBJECTIVE_ZH[rp.objective]
    info = pd.DataFrame(
        [
            ("目标", f"园区{zh}最大"),
            ("求解状态", rp.status),
            ("已证明最优", "是" if rp.optimal else "否"),
            ("MIP 相对差距", "" if rp.mip_gap is None else f"{rp.mip_gap:.4%}"),
            (f"目标值(净增{zh}，万元)", f"{rp.objective_value_wan:,.2f}"),
            ("变量数", str(rp.n_variables)),
            ("约束数", str(rp.n_constraints)),
            ("空闲地块(宗)", str(len(rp.free))),
            ("候选地块，含拼合(个)", str(rp.n_sites)),
            ("用时(秒)", f"{rp.seconds:.2f}"),
            *((f"提示：{i.code}", i.format()) for i in rp.report.issues),
        ],
        columns=["项目", "内容"],
    )
    return {"搬迁方案": t.rename(columns=PLAN_LABELS), "前后对比": ba, "求解说明": info}


def write_plan(rp: RelocationPlan, out: str | Path) -> list[Path]:
    """Write the plan to ``out`` (.xlsx, .csv or .gpkg) atomically; the files written."""
    out = Path(out)
    ext = out.suffix.lower()
    if ext not in PLAN_FORMATS:
        raise UsageError(
            f"--out 的扩展名应为 {'、'.join(PLAN_FORMATS)}：{out.suffix or '(无扩展名)'}"
        )
    table = _plain(pd.DataFrame(rp.plan.drop(columns=rp.plan.geometry.name)))
    if ext == ".csv":
        second = out.with_name(f"{out.stem}_before_after.csv")
        with atomic_output(out) as tmp, atomic_output(second) as tmp2:
            csv_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
            csv_frame(rp.before_after).to_csv(tmp2, index=False, encoding="utf-8-sig")
        return [out, second]
    with atomic_output(out) as tmp:
        if ext == ".gpkg":
            geo = gpd.GeoDataFrame(table, geometry=rp.plan.geometry.values, crs=rp.plan.crs)
            pyogrio.write_dataframe(geo, tmp, layer="plan", driver="GPKG")
            ba = export_frame(rp.before_after)
            pyogrio.write_dataframe(ba, tmp, layer="before_after", driver="GPKG")
        else:
            _write_workbook(rp, tmp)
    return [out]


def _write_workbook(rp: RelocationPlan, path: Path) -> None:
    footer = f"lcgis 搬迁方案：{rp.status} 第 &P 页 共 &N 页"
    with Book(path) as book:
        for name, df in plan_sheets(rp).items():
            notes = name == "求解说明"
            counts: dict[tuple[int, int], str] = {}
            if name == "前后对比":  # counts of parcels without decimals
                for r, label in enumerate(df["指标"]):
                    if str(label).endswith("(宗)"):
                        counts.update({(r, c): COUNT_FORMAT for c in range(3, len(df.columns))})
            write_sheet(
                book,
                name,
                df,
                freeze="C2" if name == "搬迁方案" else "A2",
                footer=footer,
                number_format=no_number_format if notes else _number_format,
                auto_filter=not notes,
                cell_formats=counts,
            )


def _number_format(header: str) -> str | None:
    """The fit as a percentage, amounts (also the before/after columns) with two decimals."""
    return number_format(
        header, exact={PLAN_LABELS["fit"]: PERCENT_FORMAT}, amounts=_NUMBER_HEADERS
    )


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Nullable booleans to plain objects that every writer takes; clean text."""
    out = export_frame(df)
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out
