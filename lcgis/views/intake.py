"""The import wizard's tables: a :class:`~lcgis.data.propose.Proposal` shown as editable
tables (inputs and their layers, fields and their columns and units, enum values and their
codes, CRS candidates and where each puts the data) and the edits read back from them.

>>> import geopandas as gpd, shapely
>>> from lcgis.data.propose import InputProposal, Proposal
>>> frame = gpd.GeoDataFrame({"宗地编号": ["A"], "状态": ["在建"]},
...     geometry=[shapely.box(0, 0, 10, 10)], crs=4549)
>>> item = InputProposal("x.shp", "x.shp", None, "", frame=frame)
>>> item.set_layer("parcels")
>>> p = Proposal([item])
>>> layer_table(p)[["输入", "判断为"]].to_dict("records")
[{'输入': 'x.shp', '判断为': '宗地'}]
>>> t = field_table(item)
>>> t.loc[t["字段"] == "parcel_id", ["对应的列", "单位"]].to_dict("records")
[{'对应的列': '宗地编号', '单位': '—'}]
>>> t.loc[t["字段"] == "construction_status", "对应的列"] = "状态"
>>> apply_field_table(item, t)
>>> value_table(item, "construction_status").to_dict("records")
[{'文件中的取值': '在建', '对应的标准取值': '在建(under_construction)'}]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyproj

from lcgis.data.schema import FIELDS
from lcgis.vocab import IMPORT_HEADERS as H
from lcgis.vocab import LAYER_LABELS, LAYERS, NO_UNIT, NOT_USED, UNIT_LABELS

if TYPE_CHECKING:
    from lcgis.data.propose import InputProposal, Proposal

#: Parcels drawn in a CRS preview at most (a sample: enough to see where the data land).
PREVIEW_MAX = 400


def layer_options() -> list[str]:
    """The layer choices of an input, by name, then 不使用."""
    return [LAYER_LABELS[k] for k in LAYERS] + [NOT_USED]


def layer_table(proposal: Proposal) -> pd.DataFrame:
    """One row per input: its name, the layer it is taken as, why, and its rows."""
    return pd.DataFrame(
        {
            H["file"]: [i.file for i in proposal.inputs],
            H["layer"]: [LAYER_LABELS.get(i.layer or "", NOT_USED) for i in proposal.inputs],
            H["reason"]: [i.reason for i in proposal.inputs],
            H["rows"]: [0 if i.frame is None else len(i.frame) for i in proposal.inputs],
        }
    )


def apply_layer_table(proposal: Proposal, table: pd.DataFrame) -> None:
    """Take the layers chosen in :func:`layer_table`'s table (an unreadable input stays out)."""
    by_label = {v: k for k, v in LAYER_LABELS.items()}
    for i, label in enumerate(table[H["layer"]]):
        item = proposal.inputs[i]
        layer = by_label.get(str(label))
        if layer != item.layer and item.frame is not None:
            proposal.set_layer(i, layer)


def _unit_labels(name: str, layer: str) -> dict[str, str]:
    kind = FIELDS[layer][name].unit
    return dict(UNIT_LABELS.get(kind or "", {}))


def unit_options() -> list[str]:
    """Every unit label after :data:`~lcgis.vocab.NO_UNIT` (the table's unit column offers them
    all; a wrong kind is ignored)."""
    return [NO_UNIT] + [label for table in UNIT_LABELS.values() for label in table.values()]


def field_table(item: InputProposal) -> pd.DataFrame:
    """One row per field of the input's layer: its column in the file and its unit."""
    layer = item.layer or ""
    rows = []
    for f in FIELDS[layer].values():
        guess = item.columns.get(f.name)
        unit = _unit_labels(f.name, layer).get(guess.unit or "", NO_UNIT) if guess else NO_UNIT
        rows.append(
            {
                H["label"]: f.label,
                H["field"]: f.name,
                H["required"]: f.required,
                H["column"]: guess.column if guess else NOT_USED,
                H["unit"]: unit,
            }
        )
    return pd.DataFrame(rows)


def apply_field_table(item: InputProposal, table: pd.DataFrame) -> None:
    """Take the columns and units of :func:`field_table`'s table; a unit of the wrong kind
    (亩 for money) is dropped."""
    layer = item.layer or ""
    for row in table.to_dict("records"):
        name, column = str(row[H["field"]]), row[H["column"]]
        column = None if column in (None, NOT_USED, "") or pd.isna(column) else str(column)
        codes = {v: k for k, v in _unit_labels(name, layer).items()}
        unit = codes.get(str(row[H["unit"]] or ""))
        old = item.columns.get(name)
        if old is None and column is None:
            continue
        if old is None or column is None or (old.column, old.unit) != (column, unit):
            item.set_column(name, column, unit)


def value_options(item: InputProposal, name: str) -> list[str]:
    """The codes of enum field ``name`` as ``中文(code)``, then 不使用."""
    f = FIELDS[item.layer or ""][name]
    return [f"{zh}({code})" for zh, code in f.values.items() if zh != code] + [NOT_USED]


def value_table(item: InputProposal, name: str) -> pd.DataFrame:
    """One row per distinct value of the column of enum field ``name``, with its code."""
    f = FIELDS[item.layer or ""][name]
    label = {code: f"{zh}({code})" for zh, code in f.values.items() if zh != code}
    table = item.values.get(name, {})
    seen = item.seen_values(name)
    return pd.DataFrame(
        {
            H["value"]: seen,
            H["code"]: [label.get(table.get(v, ""), NOT_USED) for v in seen],
        }
    )


def apply_value_table(item: InputProposal, name: str, table: pd.DataFrame) -> None:
    for value, label in zip(table[H["value"]], table[H["code"]], strict=True):
        text = str(label or "")
        code = text[text.rfind("(") + 1 : -1] if text.endswith(")") else None
        item.set_value(name, str(value), code)


def preview(item: InputProposal, code: str) -> gpd.GeoSeries | None:
    """A sample of the input's shapes in lon/lat, as if its coordinates were in ``code``
    (None when ``code`` is not a CRS or the shapes do not transform)."""
    frame = item.frame
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        return None
    step = max(1, len(frame) // PREVIEW_MAX)
    geoms = frame.geometry.iloc[::step].simplify(0)
    try:
        out = geoms.set_crs(pyproj.CRS.from_user_input(code), allow_override=True).to_crs(4326)
    except (pyproj.exceptions.CRSError, ValueError):
        return None
    b = out.total_bounds
    ok = pd.notna(b).all() and -180 <= b[0] <= b[2] <= 180 and -90 <= b[1] <= b[3] <= 90
    return out if ok else None


def lands(geoms: gpd.GeoSeries | None, park: gpd.GeoSeries | None = None) -> str:
    """Where a preview lies: its centre in degrees and, given ``park`` (the park in use, in
    any CRS), how far that is from it — or that it lies nowhere.

    >>> import shapely
    >>> here = gpd.GeoSeries([shapely.box(118.5, 24.8, 118.6, 24.9)], crs=4326)
    >>> lands(here)
    '118.550°E，24.850°N'
    >>> lands(here, gpd.GeoSeries([shapely.Point(118.55, 25.85)], crs=4326))
    '118.550°E，24.850°N，距当前园区约 111 km'
    """
    if geoms is None:
        return "无法换算到经纬度(坐标超出该坐标系的范围)"
    x0, y0, x1, y1 = geoms.total_bounds
    x, y = (x0 + x1) / 2, (y0 + y1) / 2
    text = f"{abs(x):.3f}°{'E' if x >= 0 else 'W'}，{abs(y):.3f}°{'N' if y >= 0 else 'S'}"
    if park is None or park.empty or park.crs is None:
        return text
    px0, py0, px1, py1 = park.to_crs(4326).total_bounds
    km = _GEOD.inv(x, y, (px0 + px1) / 2, (py0 + py1) / 2)[2] / 1000
    return text + (f"，距当前园区约 {km:,.0f} km" if km >= 10 else f"，距当前园区约 {km:.1f} km")


_GEOD = pyproj.Geod(ellps="GRS80")
