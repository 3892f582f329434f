"""The demo park's confidential figures, and a search for them in what the app shows.

The figures are the demo's real values, computed by ``lcgis.engine.pipeline.run`` (not taken from
the app): every enterprise's tax, output, revenue, value added, R&D, energy, electricity and
employees (all years, as loaded), and every figure computed from them for a parcel, an
enterprise, a zone and the park (the columns named below, written out here, not asked of
:mod:`lcgis.access`).

A shown number *leaks* when it equals a confidential figure at the precision it is shown
with and equals no public figure of the result at that precision (so a floor area that
happens to equal a tax figure does not count) — where confidential figures are sparse: with
tens of thousands of them, almost every two-decimal number between 10 and 100 is one, so
there a hit says nothing (:data:`MAX_DENSITY`).  Such short figures are searched for with
the few confidential figures of one parcel (:func:`figures_of_parcel`), or row by row.
Numbers are searched for in text (``1,234.5``, ``23.46``, JSON ``23.4567``), in the numeric
cells of tables, and in the cells and text of downloaded files (.xlsx, .gpkg, .csv).
"""

from __future__ import annotations

import io
import math
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lcgis.engine import assessment
from lcgis.views import summary

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lcgis.data.io import Dataset
    from lcgis.engine.pipeline import Result

#: The enterprises' own confidential figures (data-contract field names).
#: Plan figures (park and zone totals per year) that derive from output, revenue or value
#: added: confidential totals for a guest; the firm counts by honour or size are public.
PLAN_SECRET = (
    "above_scale_output_yi", "high_tech_output_yi", "high_tech_output_share",
    "industry_value_added_yi", "firms_output_over_1yi", "firms_output_over_10yi",
    "firms_revenue_over_10yi",
)  # fmt: skip
RAW = (
    "output_wan",
    "revenue_wan",
    "tax_wan",
    "value_added_wan",
    "rd_wan",
    "energy_tce",
    "electricity_kwh",
    "employees",
)
#: Indicators computed from them.
INDICATORS = (
    "tax_per_mu",
    "value_added_per_mu",
    "value_added_per_energy",
    "value_added_per_emission",
    "labor_productivity",
    "rd_ratio",
    "tax_per_kwh",
    "output_per_mu",
    "revenue_per_mu",
    "tax_per_floor_m2",
)
ENTERPRISE = (
    *RAW,
    *INDICATORS,
    *(f"benchmark_{i}" for i in INDICATORS),
    *(f"score_{i}" for i in INDICATORS),
)
PARCEL = (
    "output_wan",
    "revenue_wan",
    "tax_wan",
    "value_added_wan",
    "output_per_mu",
    "tax_per_mu",
    "value_added_per_mu",
    "revenue_per_mu",
    "tax_per_mu_prev",
    "tax_per_mu_growth",
    "potential_output_wan",
    "potential_tax_wan",
    "est_extra_output_wan",
    "est_extra_tax_wan",
    "tax_per_mu_3y",
    "priority",  # land × zone tax per 亩 − tax: tells the tax of a parcel
)
#: Zone and park totals (and the zone means repeated on each parcel).
ZONE = ("output_wan", "tax_wan", "output_per_mu", "tax_per_mu")
PARCEL_ZONE = ("zone_output_per_mu", "zone_tax_per_mu")
PARK = ("output_wan", "tax_wan", "output_per_mu", "tax_per_mu")

MAX_DECIMALS = 6
#: Numbers as people read them: thousands separators, or a decimal point.
_NUMBER = re.compile(
    r"(?<![\d.,])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\d])"
    r"|(?<![\d.,])-?\d+(?:\.\d+)?e[-+]?\d+(?![\d])"
)
#: Numbers in JSON or CSV, where a comma separates values.
_PLAIN_NUMBER = re.compile(r"(?<![\d.])-?\d+\.\d+(?:e[-+]?\d+)?(?![\d])|(?<![\d.])-?\d+e[-+]?\d+")


def _finite(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, bool | np.bool_) or v is None or v is pd.NA:
            continue
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(x) and x != 0.0:
            out.append(x)
    return out


def _significant(x: float, decimals: int) -> int:
    """Significant digits of ``x`` shown with ``decimals`` (trailing decimal zeros not counted).

    >>> _significant(1234.0, 0), _significant(0.0123, 4), _significant(120.0, 6)
    (4, 3, 3)
    """
    text = f"{abs(x):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return len(text.replace(".", "").lstrip("0"))


#: A hit counts only where confidential figures are sparse: fewer than this share of all the
#: numbers of that magnitude and precision are confidential (else any number would "hit").
MAX_DENSITY = 0.01


@dataclass
class Figures:
    """Confidential and public figures, by the decimals they are compared at."""

    secret: dict[int, set[int]] = field(default_factory=dict)
    public: dict[int, set[int]] = field(default_factory=dict)
    n_secret: int = 0
    _bands: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    def add(self, values: Iterable[Any], *, secret: bool) -> None:
        target = self.secret if secret else self.public
        for x in _finite(values):
            if secret:
                self.n_secret += 1
            for d in range(MAX_DECIMALS + 1):
                target.setdefault(d, set()).add(round(x * 10**d))
        if secret:
            self._bands.clear()

    def _density(self, key: int, d: int) -> float:
        """Share of the numbers with ``d`` decimals of ``key``'s magnitude that are secret."""
        band = len(str(abs(key)))
        if not self._bands:
            for dd, keys in self.secret.items():
                for k in keys:
                    b = (dd, len(str(abs(k))))
                    self._bands[b] = self._bands.get(b, 0) + 1
        size = 9 * 10 ** (band - 1)
        return self._bands.get((d, band), 0) / size

    def leaks_value(self, x: float) -> bool:
        """Whether the number ``x`` (a table cell) gives away a confidential figure, at the
        precision it has (a whole number is compared as one)."""
        text = repr(float(x))
        if "e" in text:
            d = 0 if float(x).is_integer() else MAX_DECIMALS
        else:
            d = len(text.split(".", 1)[1].rstrip("0")) if "." in text else 0
        return self.leaks(x, d)

    def leaks(self, x: float, decimals: int) -> bool:
        """Whether ``x`` shown with ``decimals`` gives away a confidential figure."""
        d = min(decimals, MAX_DECIMALS)
        if _significant(x, d) < 3:
            return False
        k = round(x * 10**d)
        if k not in self.secret.get(d, set()) or k in self.public.get(d, set()):
            return False
        return self._density(k, d) < MAX_DENSITY


def _numeric_columns(df: pd.DataFrame) -> list[str]:
    return [
        c
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]


def figures(
    results: Iterable[Result], datasets: Iterable[Dataset] = (), *, totals_secret: bool = True
) -> Figures:
    """The confidential figures of ``results`` (and the raw inputs of ``datasets``);
    ``totals_secret``: zone and park totals count as confidential (a guest's view)."""
    f = Figures()
    for ds in datasets:
        e = ds.enterprises
        if e is not None:
            f.add(np.ravel(e[[c for c in RAW if c in e]].to_numpy()), secret=True)
    for r in results:
        frames: list[tuple[pd.DataFrame, tuple[str, ...]]] = [
            (r.parcels, PARCEL + (PARCEL_ZONE if totals_secret else ())),
            (r.enterprises, ENTERPRISE),
            (pd.DataFrame(r.zones), ZONE if totals_secret else ()),
        ]
        for df, secret_cols in frames:
            for c in _numeric_columns(df):
                f.add(df[c].to_numpy(), secret=c in secret_cols)
        park = summary.park_summary(r)
        for k, v in park.items():
            f.add([v], secret=totals_secret and k in PARK)
        _plan_figures(f, r, totals_secret)
    return f


def _plan_secret(key: str) -> bool:
    return key in PLAN_SECRET or key.startswith("chain_")


def _plan_figures(f: Figures, r: Result, totals_secret: bool) -> None:
    """The plan figures and what the assessment derives from them (shares reached, growth
    needed): secret when their figure is (see :data:`PLAN_SECRET`)."""
    figs = getattr(r, "plan_figures", None)
    if figs is None or figs.empty:
        return
    for c in _numeric_columns(figs):
        f.add(figs[c].to_numpy(), secret=totals_secret and _plan_secret(str(c)))
    zone_ids = list(pd.DataFrame(r.zones).get("zone_id", []))
    for plan in r.rules.plans:
        table = assessment.assess(plan, figs, zone_ids)
        for key, rows in table.groupby("target"):
            for c in _numeric_columns(rows):
                f.add(rows[c].to_numpy(), secret=totals_secret and _plan_secret(str(key)))


def figures_of_parcel(result: Result, parcel_id: str, public: Figures) -> Figures:
    """The confidential figures of one parcel and its occupants (few, so sparse at any
    precision), with ``public``'s public figures."""
    f = Figures(public=public.public)
    p = result.parcels[result.parcels["parcel_id"].astype(str) == parcel_id]
    f.add(np.ravel(p[[c for c in PARCEL + PARCEL_ZONE if c in p]].to_numpy()), secret=True)
    codes = set(result.allocation.loc[result.allocation["parcel_id"] == parcel_id, "credit_code"])
    e = result.enterprises[result.enterprises["credit_code"].isin(codes)]
    f.add(np.ravel(e[[c for c in ENTERPRISE if c in e]].to_numpy()), secret=True)
    return f


# --- what was shown ------------------------------------------------------------------------


def leaks_in_payload(payload_json: str, result: Result, public: Figures) -> list[str]:
    """Confidential figures in the map payload, row by row: each parcel's row is searched for
    the figures of that parcel and its occupants (at the precision the row has them), less
    the public figures of ``public``."""
    import json

    found: list[str] = []
    rows = json.loads(payload_json)["p"]
    for row in rows:
        pid = str(row[0])
        mine = figures_of_parcel(result, pid, public)
        for v in row[1:8]:
            if isinstance(v, float) and mine.leaks_value(v):
                found.append(f"{pid}:{v!r}")
    return found


def numbers_in(text: str, *, thousands: bool = True) -> list[tuple[float, int]]:
    """(value, decimals shown) of every number with a decimal point or (``thousands``: text
    for people, not JSON or CSV) a thousands separator.

    >>> numbers_in("税收 1,234.5 万元，亩均 23.46")
    [(1234.5, 1), (23.46, 2)]
    >>> numbers_in('{"p":[12,345,6.5]}', thousands=False)
    [(6.5, 1)]
    """
    out = []
    for m in (_NUMBER if thousands else _PLAIN_NUMBER).finditer(text):
        s = m.group(0).replace(",", "")
        try:
            x = float(s)
        except ValueError:
            continue
        if not math.isfinite(x):
            continue
        if "e" in s.lower():
            decimals = MAX_DECIMALS if "." in s else 0
        else:
            decimals = len(s.split(".", 1)[1]) if "." in s else 0
        out.append((x, decimals))
    return out


def leaks_in_text(text: str, f: Figures, *, thousands: bool = True) -> list[str]:
    """The confidential figures shown in ``text`` (see :func:`numbers_in`)."""
    return [
        f"{x:.{min(d, MAX_DECIMALS)}f}"
        for x, d in numbers_in(text, thousands=thousands)
        if f.leaks(x, d)
    ]


def leaks_in_frame(df: pd.DataFrame, f: Figures, where: str = "") -> list[str]:
    found: list[str] = []
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            found += [f"{where}[{c}]={x!r}" for x in _finite(col) if f.leaks_value(x)]
        else:
            for v in col.dropna().astype(str):
                found += [f"{where}[{c}]:{hit}" for hit in leaks_in_text(v, f)]
    found += [f"{where}(header):{hit}" for hit in leaks_in_text(" ".join(map(str, df.columns)), f)]
    return found


def leaks_in_file(data: bytes, name: str, f: Figures) -> list[str]:
    """Confidential figures in a downloaded file (.xlsx, .gpkg, .csv, .geojson or text)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx" or data[:2] == b"PK":
        return _leaks_in_xlsx(data, f, name)
    if suffix == ".gpkg" or data[:16] == b"SQLite format 3\x00":
        return _leaks_in_sqlite(data, f, name)
    text = data.decode("utf-8-sig", "replace")
    return [f"{name}:{hit}" for hit in leaks_in_text(text, f, thousands=False)]


def _leaks_in_xlsx(data: bytes, f: Figures, name: str) -> list[str]:
    from openpyxl import load_workbook

    found: list[str] = []
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, int | float) and not isinstance(v, bool):
                    if f.leaks_value(float(v)):
                        found.append(f"{name}/{ws.title}:{v!r}")
                elif isinstance(v, str):
                    found += [f"{name}/{ws.title}:{hit}" for hit in leaks_in_text(v, f)]
    # text the cells do not hold (headers and footers, shared strings, charts)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for member in zf.namelist():
            if member.endswith(".xml") and "worksheets/sheet" not in member:
                text = zf.read(member).decode("utf-8", "replace")
                hits = leaks_in_text(text, f, thousands=False)
                found += [f"{name}/{member}:{hit}" for hit in hits]
    return found


def _leaks_in_sqlite(data: bytes, f: Figures, name: str) -> list[str]:
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "file.gpkg"
        path.write_bytes(data)
        con = sqlite3.connect(path)
        try:
            tables = [
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for t in tables:
                for row in con.execute(f'SELECT * FROM "{t}"'):
                    for v in row:
                        if isinstance(v, int | float) and not isinstance(v, bool):
                            if f.leaks_value(float(v)):
                                found.append(f"{name}/{t}:{v!r}")
                        elif isinstance(v, str):
                            found += [f"{name}/{t}:{hit}" for hit in leaks_in_text(v, f)]
        finally:
            con.close()
    return found
