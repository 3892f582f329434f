"""Comprehensive evaluation of enterprises (亩均效益综合评价), rules.md §1 and §8.

One row per enterprise for one year goes in; indicators, scores, benchmarks, ranks and the
classes A/B/C/D (rated), T (not rated) or empty (no data) come out, aligned on the input
index.  Nothing here mutates its input or loops over rows: the loops run over the handful of
indicators, groups, years and sensitivity scenarios.

Units: money in 万元, land in 亩, energy in tce (吨标煤), emissions in t, electricity in kWh.
``tax_per_kwh`` is in **元/kWh** (tax 万元 × 10000 ÷ kWh), so that it reads like 0.25 rather
than 0.000025, and ``tax_per_floor_m2`` in **元/m²** of occupied floor area; fixed benchmarks
for them in the rules file use the same units.

全覆盖 (rules.md §8): every firm in production for ``min_years_in_production`` years is rated,
in one of three groups ranked on their own: ``above_scale`` (规上), ``below_scale`` (规下 with at
least ``min_land_mu_below_scale`` 亩 of allocated land) and ``small`` (the other 规下 firms and
every tenant of a standard factory, ``sf_tenant``, above scale or not), rated on tax per m² of
occupied floor area.  Class T only for ``exempt`` and too-young firms.

Decisions where the rules are silent (documented here, also listed in each firm's ``notes``):

- ``above_scale`` missing (NA): the firm is evaluated as below scale; the note says so.
- ``exempt`` missing: not exempt.
- "No data" (class empty, 缺少年度数据) means output, tax and value added all missing; a
  reported 0 is data (it scores 0).
- A firm whose group indicator has no denominator (no allocated land, or for the small group
  no occupied floor area) gets an empty class (缺少用地数据), never a silent 0 score.
- ``production_start_date`` missing: rated (it cannot be shown to be younger than
  ``min_years_in_production``); the note says so when the column exists.  Years are calendar
  years (``min_years_in_production`` × 12 months): a firm that started exactly N years before
  ``as_of`` is rated, one day less is class T.
- An indicator is computed only when its denominator is positive; otherwise it is missing.
- Scores are ranked after rounding to 1e-9, so that sums equal in exact arithmetic tie.
- Class boundaries: class A when rank ≤ share_A × n (+1e-9), so rank 20 of 100 is A.

>>> from datetime import date
>>> from lcgis.rules import load_rules
>>> ent = pd.DataFrame({"credit_code": ["a", "b"], "above_scale": [True, False],
...                     "land_area_mu": [20.0, 2.9], "occupied_floor_m2": [9000.0, 1000.0],
...                     "tax_wan": [100.0, 50.0]})
>>> out = classify(ent, load_rules().evaluation, date(2025, 12, 31))
>>> out[["eval_group", "tax_per_floor_m2"]].values.tolist()
[['above_scale', 111.11111111111111], ['small', 500.0]]
>>> out["class_reason"].tolist()[1]
'小微组参评企业不足5家(1家)，不分类'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lcgis.data.frame import boolean, column, numeric, ratio
from lcgis.data.schema import M2_PER_MU
from lcgis.errors import DataError
from lcgis.vocab import GROUP_LABELS, GROUPS, INDICATOR_NAMES, INDICATORS

if TYPE_CHECKING:
    from lcgis.rules import EvaluationRules

ABOVE, BELOW, SMALL = GROUPS
#: Reason of an empty class for a firm without any figure of the year.
NO_DATA = "缺少年度数据"

_EPS = 1e-9
_RANK_DECIMALS = 9
_SEP = "；"


# --------------------------------------------------------------------------- helpers


def _land_mu(ent: pd.DataFrame) -> pd.Series:
    """Allocated land in 亩: land_area_mu, else land_area_m2 ÷ (10000/15)."""
    return numeric(ent, "land_area_mu").fillna(numeric(ent, "land_area_m2") / M2_PER_MU)


def _text(value: pd.Series | str, where: pd.Series) -> pd.Series:
    """``value`` (a string or string Series) where ``where`` holds, else ''.

    >>> _text(pd.Series(["a", "b", None]), pd.Series([True, False, True])).tolist()
    ['a', '', nan]
    """
    mask = where.to_numpy(dtype=bool)
    if isinstance(value, str):  # two texts, taken row by row
        return pd.Series(pd.array(["", value], dtype="str").take(mask.astype(np.intp)), where.index)
    base = pd.Series(value, index=where.index, dtype="str")
    return base.where(mask, "")


def _concat(*parts: pd.Series | str) -> pd.Series:
    """Texts and string Series (on one index) concatenated row by row, missing where a part
    is (as with ``+``), in one pass over Arrow columns instead of one per ``+``."""
    index = next(p.index for p in parts if isinstance(p, pd.Series))
    arrays = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else _arrow(p) for p in parts]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", pa.large_string()))
    return pd.Series(pd.array(joined, dtype="str"), index=index)


def _arrow(part: pd.Series) -> pa.ChunkedArray:
    """A string Series as Arrow large_string (the type of pandas' str)."""
    return pa.array(part.astype("str").array).cast(pa.large_string())


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Element-wise join of string Series, skipping empty and missing strings.

    On whole Arrow columns: a Python string per row would cost far more.

    >>> s = lambda *v: pd.Series(v, dtype="str")
    >>> _join([s("a", "", "", None), s("b", "b", "", "c"), s("", "c", "", "")], "、").tolist()
    ['a、b', 'b、c', '', 'c']
    """
    out = pc.fill_null(_arrow(parts[0]), "")
    nothing, separator = pa.scalar("", out.type), pa.scalar(sep, out.type)
    for part in parts[1:]:
        p = pc.fill_null(_arrow(part), "")
        if not pc.any(pc.not_equal(p, "")).as_py():  # all empty: nothing to add
            continue
        both = pc.and_(pc.not_equal(out, ""), pc.not_equal(p, ""))
        out = pc.binary_join_element_wise(out, pc.if_else(both, separator, nothing), p, nothing)
    return pd.Series(pd.array(out, dtype="str"), index=parts[0].index)


def _fmt(x: float) -> str:
    """Short number: 2.0 -> '2', 2.5 -> '2.5'."""
    return f"{x:g}"


def _round_text(values: pd.Series, decimals: int) -> pd.Series:
    """Numbers rounded for display; a trailing '.0' is dropped."""
    return _per_value(
        values.round(decimals), lambda v: v.astype("str").str.replace(r"\.0$", "", regex=True)
    )


def _per_value(values: pd.Series, text: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``text(values)``, an element-wise conversion to str, called on one row of each distinct
    value: Python formats every number or date on its own, and few of them differ.

    Floats are told apart by their bits, so that -0.0 keeps its sign.

    >>> _per_value(pd.Series([1.5, -0.0, 1.5, np.nan, 0.0]), lambda v: v.astype("str")).tolist()
    ['1.5', '-0.0', '1.5', nan, '0.0']
    """
    keys = values.to_numpy()
    if keys.dtype == np.float64:
        keys = keys.view(np.int64)
    codes, _ = pd.factorize(keys, use_na_sentinel=False)
    # Codes are numbered in order of first appearance: a value's first row is where their
    # running maximum grows (no sort needed).
    grows = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.r_[len(codes) > 0, grows[1:] != grows[:-1]])
    texts = text(values.iloc[first]).astype("str").array
    return pd.Series(texts.take(codes), index=values.index)


# --------------------------------------------------------------------------- indicators


def indicators(ent: pd.DataFrame) -> pd.DataFrame:
    """Efficiency indicators of each enterprise, aligned on ``ent.index``.

    Land is the firm's allocated land in 亩 (``land_area_mu``, else ``land_area_m2`` ÷ 666.67).

    - tax_per_mu = tax_wan ÷ 亩; value_added_per_mu, output_per_mu, revenue_per_mu alike
      (万元/亩)
    - value_added_per_energy = value_added_wan ÷ energy_tce (万元/吨标煤)
    - value_added_per_emission = value_added_wan ÷ emission_t (万元/吨)
    - labor_productivity = value_added_wan ÷ employees (万元/人)
    - rd_ratio = rd_wan ÷ revenue_wan (a share, 0–1)
    - tax_per_kwh = tax_wan × 10000 ÷ electricity_kwh (**元/千瓦时**)
    - tax_per_floor_m2 = tax_wan × 10000 ÷ occupied_floor_m2 (**元/m²** of floor space used)

    A missing value, or a denominator that is zero, negative or missing, gives NaN (never 0,
    never inf).  A negative numerator (a tax refund) gives a negative indicator.

    >>> ent = pd.DataFrame({"land_area_mu": [10.0, 0.0], "tax_wan": [50.0, 8.0],
    ...                     "value_added_wan": [400.0, 30.0], "employees": [80.0, 0.0],
    ...                     "electricity_kwh": [2_000_000.0, None],
    ...                     "occupied_floor_m2": [5000.0, 400.0]})
    >>> out = indicators(ent)
    >>> out.loc[0, ["tax_per_mu", "labor_productivity", "tax_per_kwh", "tax_per_floor_m2"]].tolist()
    [5.0, 5.0, 0.25, 100.0]
    >>> out.loc[1, ["tax_per_mu", "labor_productivity", "tax_per_kwh"]].isna().all()
    np.True_
    """
    mu = _land_mu(ent)
    tax = numeric(ent, "tax_wan")
    va = numeric(ent, "value_added_wan")
    revenue = numeric(ent, "revenue_wan")
    cols = {
        "tax_per_mu": ratio(tax, mu),
        "value_added_per_mu": ratio(va, mu),
        "value_added_per_energy": ratio(va, numeric(ent, "energy_tce")),
        "value_added_per_emission": ratio(va, numeric(ent, "emission_t")),
        "labor_productivity": ratio(va, numeric(ent, "employees")),
        "rd_ratio": ratio(numeric(ent, "rd_wan"), revenue),
        "tax_per_kwh": ratio(tax * 10000.0, numeric(ent, "electricity_kwh")),
        "output_per_mu": ratio(numeric(ent, "output_wan"), mu),
        "revenue_per_mu": ratio(revenue, mu),
        "tax_per_floor_m2": ratio(tax * 10000.0, numeric(ent, "occupied_floor_m2")),
    }
    return pd.DataFrame({k: cols[k] for k in INDICATORS}, index=ent.index)


# --------------------------------------------------------------------------- classify


def _weighted_indicators(rules: EvaluationRules) -> list[str]:
    """Indicators named in any group's weights, in the canonical order."""
    named = {i for g in GROUPS for i in rules.weights(g)}
    return [i for i in INDICATORS if i in named]


def _production_start(work: pd.DataFrame, batch: pd.Series | None = None) -> pd.Series:
    """``production_start_date`` as naive datetimes (NaT when missing or absent).

    Text dates are parsed per ``batch`` (each year on its own, as :func:`classify` would
    parse that year's rows: the format is inferred from a batch's first date).
    """
    raw = column(work, "production_start_date", pd.NaT)
    if batch is not None and not pd.api.types.is_datetime64_any_dtype(raw.dtype):
        parts = [_naive(pd.to_datetime(part)) for _, part in raw.groupby(batch, sort=False)]
        return pd.concat(parts).reindex(raw.index) if parts else _naive(pd.to_datetime(raw))
    return _naive(pd.to_datetime(raw))


def _naive(start: pd.Series) -> pd.Series:
    """Datetimes without their time zone."""
    if isinstance(start.dtype, pd.DatetimeTZDtype):
        start = start.dt.tz_localize(None)
    return start


def eval_groups(ent: pd.DataFrame, rules: EvaluationRules) -> pd.Series:
    """The evaluation group of each firm (rules.md §8).

    ``small`` for every tenant of a standard factory (``sf_tenant``), above scale or not: its
    allocated land is a share of a shared building, so it is rated on floor area (rules.md
    §8, 园中园 practice); else ``above_scale`` when above_scale is true; else ``small`` when the
    firm has less than ``min_land_mu_below_scale`` 亩 (or no land figure); else ``below_scale``.

    >>> from lcgis.rules import load_rules
    >>> ent = pd.DataFrame({"above_scale": [True, True, False, False, False, None],
    ...                     "land_area_mu": [1.0, 20.0, 3.0, 2.99, 10.0, 12.0],
    ...                     "sf_tenant": [True, False, False, False, True, False]})
    >>> eval_groups(ent, load_rules().evaluation).tolist()
    ['small', 'above_scale', 'below_scale', 'small', 'small', 'below_scale']
    """
    above = boolean(ent, "above_scale").fillna(False).astype(bool)
    tenant = boolean(ent, "sf_tenant").fillna(False).astype(bool)
    enough = _land_mu(ent) >= rules.min_land_mu_below_scale - _EPS
    group = np.where(tenant, SMALL, np.where(above, ABOVE, np.where(~enough, SMALL, BELOW)))
    return pd.Series(group, index=ent.index, dtype="str", name="eval_group")


def _scores(
    ind: pd.DataFrame, group: pd.Series, key: pd.Series, rated: pd.Series, rules: EvaluationRules
) -> tuple[dict[str, pd.Series], pd.Series, pd.Series]:
    """Benchmark and score columns, the missing codes and the Chinese notes of missing/bad;
    benchmarks and group means are taken within each ``key`` (the group, or (year, group)).

    The element-wise steps run on arrays; the two group statistics (benchmarks, and the
    group mean scores standing in for missing values) on all the indicators at once.
    """
    idx = ind.index
    names = _weighted_indicators(rules)
    is_rated = rated.to_numpy(dtype=bool)
    codes = pd.Categorical(group, categories=list(GROUPS)).codes
    value = {i: ind[i].to_numpy(dtype="float64", na_value=np.nan) for i in names}
    weight = {}
    for i in names:
        table = [float(rules.weights(g).get(i, np.nan)) for g in GROUPS] + [np.nan]
        weight[i] = np.asarray(table, dtype="float64")[codes]  # code -1 (no group): NaN
    in_group = {i: ~np.isnan(weight[i]) for i in names}
    pooled = [i for i in names if i not in rules.fixed_benchmarks]
    stat: Literal["mean", "median"] = "median" if rules.benchmark == "median" else "mean"
    pools = pd.DataFrame(
        {i: np.where(is_rated & in_group[i], value[i], np.nan) for i in pooled}, index=idx
    )
    pool_stat = pools.groupby(key).transform(stat) if pooled else pools
    cap = rules.score_cap
    bench: dict[str, np.ndarray] = {}
    score: dict[str, np.ndarray] = {}
    absent: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    for i in names:
        v, w, member = value[i], weight[i], in_group[i] & is_rated
        if i in rules.fixed_benchmarks:
            b = np.where(in_group[i], float(rules.fixed_benchmarks[i]), np.nan)
        else:
            b = np.where(in_group[i], pool_stat[i].to_numpy(dtype="float64"), np.nan)
        bench_ok = b > 0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            x = v / np.where(bench_ok, b, np.nan)
            x = np.where(x > cap, cap, x) * w  # Series.clip: NaN stays NaN
        x = np.where(x < 0.0, 0.0, x)
        counted = member & (w > 0)
        bench[i] = b
        score[i] = np.where(member, x, np.nan)
        absent[i] = counted & np.isnan(v)
        bad[i] = counted & ~np.isnan(v) & ~bench_ok
    averaged = [i for i in names if rules.missing_indicator.get(i, "zero") == "group_mean"]
    if averaged:
        known = pd.DataFrame(
            {i: np.where(np.isnan(value[i]), np.nan, score[i]) for i in averaged}, index=idx
        )
        means = known.groupby(key).transform("mean")
        for i in averaged:
            mean = np.where(absent[i], means[i].to_numpy(dtype="float64"), np.nan)
            score[i] = np.where(np.isnan(score[i]), mean, score[i])
    member_any = {i: in_group[i] & is_rated for i in names}
    for i in names:
        score[i] = np.where(member_any[i] & np.isnan(score[i]), 0.0, score[i])
    # Few firms differ in which indicators are missing or bad: each combination's texts are
    # built once, on one row of it, and taken for every row.
    first, combination = _distinct_rows([*absent.values(), *bad.values()], len(idx))
    missing, notes = _score_texts(
        {i: absent[i][first] for i in names},
        {i: bad[i][first] for i in names},
        averaged,
        len(first),
    )
    columns = {f"benchmark_{i}": pd.Series(bench[i], index=idx) for i in names}
    columns |= {f"score_{i}": pd.Series(score[i], index=idx) for i in names}
    return (
        columns,
        pd.Series(pd.array(missing, dtype="str").take(combination), index=idx),
        pd.Series(pd.array(notes, dtype="str").take(combination), index=idx),
    )


def _distinct_rows(masks: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """One row of each distinct combination of the ``n``-row boolean ``masks`` (at most 63),
    and the number of each row's combination.

    >>> a, b = np.array([True, False, True, False]), np.array([True, False, True, True])
    >>> _distinct_rows([a, b], 4)
    (array([1, 3, 0]), array([2, 0, 2, 1]))
    """
    if len(masks) > 63:
        raise ValueError("at most 63 masks: each is one bit of a row's combination")
    bits = np.zeros(n, dtype=np.int64)
    for bit, mask in enumerate(masks):
        bits |= mask.astype(np.int64) << bit
    _, first, combination = np.unique(bits, return_index=True, return_inverse=True)
    return first, combination


def _score_texts(
    absent: dict[str, np.ndarray], bad: dict[str, np.ndarray], averaged: list[str], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """The missing codes (``;``-joined) and the Chinese notes of the missing and bad
    indicators (``absent``, ``bad``: ``n``-row masks by indicator), as object arrays of str."""
    zero = [i for i in absent if i not in averaged]
    missing_zh = _join_names([(INDICATOR_NAMES[i], absent[i]) for i in zero], "、", n)
    averaged_zh = _join_names([(INDICATOR_NAMES[i], absent[i]) for i in averaged], "、", n)
    bad_zh = _join_names([(INDICATOR_NAMES[i], bad[i]) for i in bad], "、", n)
    missing = _join_names([(i, absent[i]) for i in absent], ";", n)
    notes = _join_arrays(
        [
            _prefixed("缺少数据记0分：", missing_zh),
            _prefixed("缺少数据按组内平均分计：", averaged_zh),
            _prefixed("基准值无效(≤0或无数据)记0分：", bad_zh),
        ],
        _SEP,
    )
    return missing, notes


def _join_names(named: list[tuple[str, np.ndarray]], sep: str, n: int) -> np.ndarray:
    """Per row, the names whose mask holds, ``sep``-joined (an object array of str).

    >>> _join_names([("a", np.array([True, False])), ("b", np.array([True, True]))], "、", 2)
    array(['a、b', 'b'], dtype=object)
    """
    out = np.full(n, "", dtype=object)
    for name, mask in named:
        if mask.any():
            out = np.where(mask, np.where(out != "", out + (sep + name), name), out)
    return out


def _join_arrays(parts: list[np.ndarray], sep: str) -> np.ndarray:
    """Element-wise join of object arrays of str, skipping empty strings."""
    out = parts[0]
    for p in parts[1:]:
        filled = p != ""
        if filled.any():
            out = np.where(filled & (out != ""), out + sep + p, out + p)
    return out


def _prefixed(prefix: str, text: np.ndarray) -> np.ndarray:
    """``prefix + text`` where ``text`` is not empty, else ''."""
    return np.where(text != "", prefix + text, "").astype(object)


#: Indicators that divide by allocated land, and by occupied floor area.
_PER_LAND = ("tax_per_mu", "value_added_per_mu", "output_per_mu", "revenue_per_mu")
_PER_FLOOR = ("tax_per_floor_m2",)


def _area_missing(work: pd.DataFrame, group: pd.Series, rules: EvaluationRules) -> pd.Series:
    """The land or floor area that the group's weighted indicators divide by is missing."""
    no_land = ~(_land_mu(work) > 0)
    no_floor = ~(numeric(work, "occupied_floor_m2") > 0)
    missing = pd.Series(False, index=work.index)
    for g in GROUPS:
        weighted = {i for i, w in rules.weights(g).items() if w > 0}
        need_land = bool(weighted & set(_PER_LAND))
        need_floor = bool(weighted & set(_PER_FLOOR))
        gap = (no_land & need_land) | (no_floor & need_floor)
        missing = missing | (gap & (group == g))
    return missing


def classify(
    ent: pd.DataFrame, rules: EvaluationRules, as_of: date, ind: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Score, rank and class every enterprise (rules.md §1, §8); a new frame on ``ent.index``.

    Columns added to ``ent``'s: the :func:`indicators`; ``eval_group`` (:func:`eval_groups`);
    ``benchmark_<i>`` and ``score_<i>`` for every indicator ``i`` weighted in any group (NaN
    where it is not weighted in the firm's group); ``score``; ``missing_indicators``
    (``;``-joined); ``rank_in_group``, ``n_in_group`` (Int64); ``position``; ``class``;
    ``class_reason``; ``notes``.

    - Class T (not rated) for ``exempt`` firms and firms with as_of < production start +
      ``min_years_in_production`` years.
    - Class empty (None) for a firm with no output, tax and value added at all
      (:data:`NO_DATA`), or without the land (floor area) its group's indicators divide by.
    - Score of indicator i = max(0, min(value ÷ benchmark, ``score_cap``) × weight); a missing
      value scores 0, or the group's mean score of i when ``missing_indicator[i]`` is
      ``group_mean``; listed in ``missing_indicators``.  Benchmark = mean (or median) of i over
      the rated firms of the group that have a value, unless ``fixed_benchmarks`` gives one; a
      benchmark ≤ 0 or missing scores 0 for every firm.  ``score`` = sum over the group's
      weights (NaN when not rated).
    - Within each group: rank by score, best first, ties share the best rank; n = rated firms
      of the group; A if rank ≤ shares[0] × n, B if ≤ shares[1] × n, C if ≤ shares[2] × n,
      else D.  A group with fewer than ``min_group_size`` rated firms gets no classes.

    ``ind``: the :func:`indicators` of ``ent``'s rows, computed already (``--engine dask``:
    on partitions of the firms).

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0})
    >>> ent = pd.DataFrame({"credit_code": list("abcde"), "above_scale": [True] * 5,
    ...                     "land_area_mu": [10.0] * 5, "tax_wan": [50.0, 40.0, 30.0, 20.0, 10.0]})
    >>> out = classify(ent, ev, date(2025, 12, 31))
    >>> out["benchmark_tax_per_mu"].iloc[0], out["score"].round(1).tolist()
    (np.float64(3.0), [150.0, 133.3, 100.0, 66.7, 33.3])
    >>> out["class"].tolist()
    ['A', 'B', 'B', 'C', 'D']
    >>> out.loc[1, "class_reason"]
    '规上组第2名/共5家(前40%)，得分133.3'
    """
    work = ent.reset_index(drop=True)
    g = _grade(work, rules, as_of, ind=ind)
    added = pd.DataFrame({k: g.ind[k] for k in INDICATORS}, index=work.index)
    added["eval_group"] = g.group
    for name, col in g.scored.items():
        added[name] = col
    added["score"] = g.score
    added["missing_indicators"] = g.missing.where(g.scope.rated, "")
    added["rank_in_group"] = g.ranks.rank.where(g.ranks.enough).astype("Int64")
    added["n_in_group"] = g.ranks.n_in_group.astype("Int64")
    added["position"] = g.ranks.position
    added["class"] = g.classes
    added["class_reason"] = g.reason
    added["notes"] = g.notes
    kept = work.drop(columns=[c for c in work.columns if c in added.columns])
    out = pd.concat([kept, added], axis=1)
    out.index = ent.index
    return out


@dataclasses.dataclass(frozen=True)
class _Graded:
    """What :func:`classify` works out, before it is laid out as columns."""

    ind: pd.DataFrame
    group: pd.Series
    scope: _Scope
    scored: dict[str, pd.Series]
    missing: pd.Series
    score: pd.Series
    ranks: _Ranks
    classes: pd.Series
    notes: pd.Series
    reason: pd.Series


def _grade(
    work: pd.DataFrame,
    rules: EvaluationRules,
    as_of: date | pd.Series,
    batch: pd.Series | None = None,
    ind: pd.DataFrame | None = None,
) -> _Graded:
    """Score, rank and class ``work`` (:func:`classify`'s steps).

    With ``batch`` (e.g. the year of each row), each batch is judged on its own, as if
    classified apart: benchmarks, group means and ranks are taken within (batch, group) and
    text dates parsed per batch; ``as_of`` is then a datetime Series on ``work.index`` (each
    row's own date).  One pass over all the batches gives what one :func:`classify` per batch
    would, row for row.  ``ind``: :func:`indicators` of ``work``'s rows, computed already.
    """
    ind = indicators(work) if ind is None else ind.set_axis(work.index)
    group = eval_groups(work, rules)
    key = _batch_key(batch, group)
    scope = _scope(work, group, rules, as_of, _production_start(work, batch))
    scored, missing, score_notes = _scores(ind, group, key, scope.rated, rules)
    score = _total(scored, scope.rated)
    ranks = _ranks(score, key, scope.rated, rules)
    notes = _notes(work, scope, score_notes, rules)
    reason = _join([_reason(group, score, scope, ranks, rules), notes], _SEP)
    return _Graded(
        ind=ind,
        group=group,
        scope=scope,
        scored=scored,
        missing=missing,
        score=score,
        ranks=ranks,
        classes=_classes(scope, ranks, rules),
        notes=notes,
        reason=reason,
    )


def _batch_key(batch: pd.Series | None, group: pd.Series) -> pd.Series:
    """One integer per group, or per (batch, group) pair, on ``group.index``: the firms
    are grouped on these numbers rather than on the groups' text (the same groups, so the
    same statistics and ranks, without hashing a text per firm each time).

    >>> _batch_key(pd.Series([2024, 2025, 2024]), pd.Series(["small", "small", "above_scale"]))
    0    2
    1    5
    2    0
    dtype: int64
    >>> _batch_key(None, pd.Series(["small", "below_scale"])).tolist()
    [2, 1]
    """
    groups = pd.Categorical(group, categories=list(GROUPS)).codes.astype("int64")
    if batch is None:
        return pd.Series(groups, index=group.index)
    batches = pd.factorize(batch, sort=True)[0].astype("int64")
    return pd.Series(batches * len(GROUPS) + groups, index=group.index)


@dataclasses.dataclass(frozen=True)
class _Scope:
    """Who is rated: the reasons a firm is not (each a boolean Series on the firm index)."""

    exempt: pd.Series
    young: pd.Series
    no_data: pd.Series
    no_land: pd.Series
    start: pd.Series

    def at(self, rows: np.ndarray) -> _Scope:
        """The scope of the firms at ``rows`` (a boolean mask)."""
        return _Scope(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})

    @property
    def t_class(self) -> pd.Series:
        """Class T: exempt or in production for too short a time."""
        return self.exempt | self.young

    @property
    def rated(self) -> pd.Series:
        """Rated: neither class T nor short of figures or land."""
        return ~self.t_class & ~self.no_data & ~self.no_land


def _too_young(start: pd.Series, rules: EvaluationRules, as_of: date | pd.Series) -> pd.Series:
    """In production for less than ``min_years_in_production`` calendar years at ``as_of``
    (one date, or each row's date)."""
    months = round(rules.min_years_in_production * 12)
    if months <= 0:
        return pd.Series(False, index=start.index)
    limit = as_of if isinstance(as_of, pd.Series) else pd.Timestamp(as_of)
    return (start + pd.DateOffset(months=months) > limit).fillna(False).astype(bool)


def _scope(
    work: pd.DataFrame,
    group: pd.Series,
    rules: EvaluationRules,
    as_of: date | pd.Series,
    start: pd.Series,
) -> _Scope:
    """Class T, no data and no land of every firm, each excluding the ones before."""
    exempt = boolean(work, "exempt").fillna(False).astype(bool)
    young = _too_young(start, rules, as_of)
    t_class = exempt | young
    figures = [numeric(work, c) for c in ("output_wan", "tax_wan", "value_added_wan")]
    no_data = pd.concat(figures, axis=1).isna().all(axis=1) & ~t_class
    no_land = _area_missing(work, group, rules) & ~t_class & ~no_data
    return _Scope(exempt=exempt, young=young, no_data=no_data, no_land=no_land, start=start)


def _total(scored: dict[str, pd.Series], rated: pd.Series) -> pd.Series:
    """The sum of the indicator scores of each rated firm (NaN when not rated)."""
    total = np.zeros(len(rated))
    for name, col in scored.items():
        if name.startswith("score_"):
            values = col.to_numpy(dtype="float64")
            total = total + np.where(np.isnan(values), 0.0, values)
    return pd.Series(np.where(rated.to_numpy(dtype=bool), total, np.nan), index=rated.index)


@dataclasses.dataclass(frozen=True)
class _Ranks:
    """Rank within the group, rated firms of the group, whether it is big enough, position."""

    rank: pd.Series
    n_in_group: pd.Series
    enough: pd.Series
    position: pd.Series


def _ranks(score: pd.Series, key: pd.Series, rated: pd.Series, rules: EvaluationRules) -> _Ranks:
    """Rank by score within each group (each ``key``), best first, ties sharing the best rank."""
    rank = score.round(_RANK_DECIMALS).groupby(key).rank(method="min", ascending=False)
    n_rated = rated.astype("float64").groupby(key).transform("sum")
    enough = n_rated >= rules.min_group_size
    n_in_group = n_rated.where(rated)
    position = (rank / n_in_group).where(enough)
    return _Ranks(rank=rank, n_in_group=n_in_group, enough=enough, position=position)


def _classes(scope: _Scope, ranks: _Ranks, rules: EvaluationRules) -> pd.Series:
    """A/B/C/D by the rank's share of the group (``class_shares``), T, or None."""
    cut = [ranks.rank <= share * ranks.n_in_group + _EPS for share in rules.class_shares]
    letters = np.select(cut, ["A", "B", "C"], "D")
    cls = pd.Series(letters, index=ranks.rank.index, dtype="object")
    return cls.where(scope.rated & ranks.enough, None).where(~scope.t_class, "T")


def _notes(
    work: pd.DataFrame, scope: _Scope, score_notes: pd.Series, rules: EvaluationRules
) -> pd.Series:
    """The decisions taken where data was missing (above_scale, start date, indicators)."""
    years_txt = _fmt(rules.min_years_in_production)
    no_start = scope.rated & scope.start.isna() & ("production_start_date" in work.columns)
    return _join(
        [
            _text("是否规上未填写，按规下企业评价", boolean(work, "above_scale").isna()),
            _text(f"投产日期缺失，按投产已满{years_txt}年参评", no_start),
            score_notes.where(scope.rated, ""),
        ],
        _SEP,
    )


def _unrated_reason(group: pd.Series, scope: _Scope, rules: EvaluationRules) -> pd.Series:
    """Why a firm is not rated (不参评, 投产不满N年, no data, no land)."""
    years_txt = _fmt(rules.min_years_in_production)
    young = _per_value(
        scope.start, lambda d: f"投产不满{years_txt}年(投产日期" + d.dt.strftime("%Y-%m-%d") + ")"
    )
    no_area = pd.array(
        ["缺少用地数据，无法计算亩均指标", "缺少用地或使用建筑面积数据，无法计算亩均指标"],
        dtype="str",
    ).take((group == SMALL).to_numpy(dtype=np.intp))
    return _join(
        [
            _text("不参评", scope.exempt),
            _text(young, scope.young),
            _text(NO_DATA + "(产值、税收和增加值均未填报)", scope.no_data),
            _text(pd.Series(no_area, index=group.index), scope.no_land),
        ],
        _SEP,
    )


def _reason(
    group: pd.Series, score: pd.Series, scope: _Scope, ranks: _Ranks, rules: EvaluationRules
) -> pd.Series:
    """The class reason: the rank in the group, a group too small, or why not rated.

    Each of the three texts is built on its own firms only (every firm needs one of them),
    and they are then laid out in the firms' order.
    """
    rated = scope.rated.to_numpy(dtype=bool)
    enough = ranks.enough.to_numpy(dtype=bool)
    ranked, small, unrated = rated & enough, rated & ~enough, ~rated
    codes = pd.Categorical(group, categories=list(GROUPS)).codes  # the labels taken by code
    labels = pd.array([GROUP_LABELS[g] for g in GROUPS], dtype="str")
    label = pd.Series(labels.take(codes, allow_fill=True), index=group.index)
    n = ranks.n_in_group.astype("Int64").astype("str")
    r = ranks.rank[ranked].astype("Int64").astype("str")
    share = _round_text(ranks.position[ranked] * 100, 1)
    score_text = _per_value(score[ranked].round(1), lambda v: v.astype("str"))
    in_group = _concat(
        label[ranked], "组第", r, "名/共", n[ranked], "家(前", share, "%)，得分", score_text
    )
    too_few = _concat(
        label[small], f"组参评企业不足{rules.min_group_size}家(", n[small], "家)，不分类"
    )
    why_not = _unrated_reason(group[unrated], scope.at(unrated), rules)
    return _laid_out([(ranked, in_group), (small, too_few), (unrated, why_not)], group.index)


def _laid_out(parts: list[tuple[np.ndarray, pd.Series]], index: pd.Index) -> pd.Series:
    """One text Series on ``index`` from texts built on disjoint rows: each part is a
    boolean mask of the rows and the texts of those rows, in order; together they cover
    every row.

    >>> s = lambda *v: pd.Series(v, dtype="str")
    >>> _laid_out([(np.array([True, False, True]), s("a", "c")),
    ...            (np.array([False, True, False]), s("b"))], pd.RangeIndex(3)).tolist()
    ['a', 'b', 'c']
    """
    rows = np.concatenate([np.flatnonzero(mask) for mask, _ in parts])
    texts = pd.concat([text.astype("str") for _, text in parts], ignore_index=True)
    where = np.empty(len(rows), dtype=np.intp)
    where[rows] = np.arange(len(rows))
    return pd.Series(texts.array.take(where), index=index)


# --------------------------------------------------------------------------- years


def _as_of_function(
    as_of_for_year: date | Mapping[int, date] | Callable[[int], date] | None,
) -> Callable[[int], date]:
    if as_of_for_year is None:
        return lambda year: date(year, 12, 31)
    if isinstance(as_of_for_year, date):
        fixed = as_of_for_year
        return lambda _year: fixed
    if isinstance(as_of_for_year, Mapping):
        table = as_of_for_year
        return lambda year: table[year]
    return as_of_for_year


def class_changes(
    by_year: pd.DataFrame,
    rules: EvaluationRules,
    as_of_for_year: date | Mapping[int, date] | Callable[[int], date] | None = None,
    classified: Mapping[int, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Each enterprise's class per year and its change from the year before.

    ``by_year`` holds one row per (credit_code, year), with the columns :func:`classify`
    reads.  Each year is classified on its own (as by :func:`classify`; all the years in one
    pass) with ``as_of`` =
    ``as_of_for_year[year]`` (a mapping or a function of the year; default 31 December of
    that year, so "in production for 2 years" is judged as at the end of each evaluated
    year).  A single date is also accepted and used for every year.
    ``classified`` may hold a year's :func:`classify` result computed already (columns
    credit_code, score, class, class_reason; judged at that year's ``as_of``): it is used
    instead of classifying the year again when its credit codes are the year's rows of
    ``by_year`` in the same order.
    Result, aligned on ``by_year.index``: credit_code, name, year, score, class,
    class_reason, class_before (the class in year − 1, '' when the firm has no row that
    year) and class_change ('B→A'; '' when unchanged or without a year before).

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0},
    ...                          min_group_size=2)
    >>> rows = pd.DataFrame({"credit_code": ["x", "y", "x", "y"], "name": ["X", "Y", "X", "Y"],
    ...                      "year": [2023, 2023, 2024, 2024], "above_scale": True,
    ...                      "land_area_mu": 10.0, "tax_wan": [10.0, 20.0, 30.0, 20.0]})
    >>> class_changes(rows, ev)[["year", "class", "class_change"]].values.tolist()
    [[2023, 'D', ''], [2023, 'B', ''], [2024, 'B', 'D→B'], [2024, 'D', 'B→D']]
    """
    as_of = _as_of_function(as_of_for_year)
    work = by_year.reset_index(drop=True)
    # The firm as an integer (its text hashed once), a missing code as a firm of its own.
    firm = pd.Series(pd.factorize(work["credit_code"], use_na_sentinel=False)[0])
    dup = pd.DataFrame({"firm": firm, "year": work["year"]}).duplicated(keep=False)
    if dup.any():
        codes = "、".join(sorted(set(work.loc[dup, "credit_code"].astype(str)))[:5])
        raise DataError(
            f"企业年度数据中同一企业同一年度有多行(如 {codes})：请每个企业每年只保留一行"
        )
    years = pd.to_numeric(work["year"])
    cols = ["score", "class", "class_reason"]
    done = classified or {}
    reused: dict[int, pd.DataFrame] = {}
    for y in sorted(years.dropna().unique()):
        earlier = done.get(int(y))
        rows = years == y
        if earlier is not None and _same_codes(
            earlier["credit_code"], work.loc[rows, "credit_code"]
        ):
            reused[int(y)] = earlier[cols].set_axis(work.index[rows])
    todo = years.notna() & ~years.isin(list(reused))
    fresh = _classify_years(work[todo], years[todo], rules, as_of)
    parts = []
    for y in sorted(years.dropna().unique()):
        parts.append(reused[int(y)] if int(y) in reused else fresh[years[todo] == y])
    if parts:
        res = pd.concat(parts).reindex(work.index)
    else:
        res = pd.DataFrame({c: pd.Series(dtype="str") for c in cols}, index=work.index)
        res["score"] = res["score"].astype("float64")

    known = years.notna()
    by_key = pd.Series(
        res.loc[known, "class"].to_numpy(),
        index=pd.MultiIndex.from_arrays([firm[known], years[known]]),
    )
    prev_key = pd.MultiIndex.from_arrays([firm, years - 1])
    before = pd.Series(by_key.reindex(prev_key).to_numpy(), index=work.index, dtype="str")
    before = before.fillna("")
    now = res["class"].fillna("")
    change = _change(before, now)

    out = pd.DataFrame(index=work.index)
    for c in ("credit_code", "name", "year"):
        if c in work.columns:
            out[c] = work[c]
    out["score"] = res["score"]
    out["class"] = res["class"]
    out["class_reason"] = res["class_reason"]
    out["class_before"] = before
    out["class_change"] = change
    out.index = by_year.index
    return out


def _change(before: pd.Series, now: pd.Series) -> pd.Series:
    """'B→A' where the class before and now (texts, '' when unknown) are known and differ,
    else ''; worked out once per distinct pair of classes, of which there are a handful.

    >>> _change(pd.Series(["B", "B", "", "C"]), pd.Series(["A", "B", "A", "A"])).tolist()
    ['B→A', '', '', 'C→A']
    """
    b_code, _ = pd.factorize(before)
    n_code, n_distinct = pd.factorize(now)
    pair = b_code.astype(np.int64) * max(len(n_distinct), 1) + n_code
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    b, n = before.iloc[first], now.iloc[first]
    text = (b + "→" + n).where((b != "") & (n != "") & (b != n), "")
    return pd.Series(text.astype("str").array.take(inverse), index=before.index)


def _classify_years(
    work: pd.DataFrame, years: pd.Series, rules: EvaluationRules, as_of: Callable[[int], date]
) -> pd.DataFrame:
    """score, class and class_reason of every row, each year classified on its own at
    ``as_of(year)`` — in one pass over all the years (see :func:`_grade`).

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0},
    ...                          min_group_size=2)
    >>> rows = pd.DataFrame({"credit_code": ["x", "y", "x", "y"], "above_scale": True,
    ...                      "land_area_mu": 10.0, "tax_wan": [10.0, 20.0, 30.0, 20.0]})
    >>> years = pd.Series([2023, 2023, 2024, 2024])
    >>> _classify_years(rows, years, ev, lambda y: date(y, 12, 31))["class"].tolist()
    ['D', 'B', 'B', 'D']
    """
    if work.empty:
        return pd.DataFrame(columns=["score", "class", "class_reason"], index=work.index)
    stamps = {y: pd.Timestamp(as_of(int(y))) for y in years.unique()}
    limit = pd.Series(pd.DatetimeIndex([stamps[y] for y in years]), index=work.index)
    g = _grade(work, rules, limit, batch=years)
    return pd.DataFrame(
        {"score": g.score, "class": g.classes, "class_reason": g.reason}, index=work.index
    )


def _same_codes(a: pd.Series, b: pd.Series) -> bool:
    """The same credit codes in the same order (missing codes in the same places).

    >>> _same_codes(pd.Series(["a", None]), pd.Series(["a", None], index=[5, 6]))
    True
    >>> _same_codes(pd.Series(["a", "b"]), pd.Series(["b", "a"]))
    False
    >>> _same_codes(pd.Series(["a", None], dtype="string"), pd.Series(["a", np.nan], dtype=object))
    True
    >>> _same_codes(pd.Series([1, 2]), pd.Series([1.0, 2.0]))
    True
    """
    if len(a) != len(b):
        return False
    try:  # text: compared as Arrow arrays, without a Python string per code
        return _arrow_codes(a).equals(_arrow_codes(b))
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # codes that are not all text
        x, y = a.astype(object).to_numpy(), b.astype(object).to_numpy()
        x_na, y_na = pd.isna(x), pd.isna(y)
        return bool((x_na == y_na).all() and (x[~x_na] == y[~y_na]).all())


def _arrow_codes(codes: pd.Series) -> pa.Array | pa.ChunkedArray:
    """Text codes as one Arrow type (missing codes as nulls); raises for other values."""
    return pa.array(codes, type=pa.large_string(), from_pandas=True)


# --------------------------------------------------------------------------- sensitivity


def _scenarios(
    rules: EvaluationRules, weight_step: float, share_step: float
) -> list[tuple[str, str, float, EvaluationRules]]:
    """(scenario text, parameter key, delta, changed rules) for every one-at-a-time move."""
    out: list[tuple[str, str, float, EvaluationRules]] = []
    for attr, key, label in (
        ("weights_above_scale", ABOVE, GROUP_LABELS[ABOVE]),
        ("weights_below_scale", BELOW, GROUP_LABELS[BELOW]),
        ("weights_small", SMALL, GROUP_LABELS[SMALL]),
    ):
        weights: Mapping[str, float] = getattr(rules, attr)
        for ind, w in weights.items():
            for sign in (1.0, -1.0):
                new = max(w + sign * weight_step, 0.0)
                if new == w:
                    continue
                delta = new - w
                text = (
                    f"{label}权重 {INDICATOR_NAMES.get(ind, ind)} {delta:+g}({_fmt(w)}→{_fmt(new)})"
                )
                moved: dict[str, Any] = {attr: {**weights, ind: new}}
                changed = dataclasses.replace(rules, **moved)
                out.append((text, f"evaluation.weights.{key}.{ind}", delta, changed))
    shares = rules.class_shares
    for k, letter in enumerate("ABC"):
        low = shares[k - 1] if k > 0 else 0.0
        high = shares[k + 1] if k < 2 else 1.0
        for sign in (1.0, -1.0):
            new = round(min(max(shares[k] + sign * share_step, low), high), 10)
            if new == shares[k]:
                continue
            delta = round(new - shares[k], 10)
            text = (
                f"{letter}类比例 {delta * 100:+.4g}个百分点"
                f"({shares[k] * 100:.4g}%→{new * 100:.4g}%)"
            )
            moved_shares = [*shares]
            moved_shares[k] = new
            new_shares = (moved_shares[0], moved_shares[1], moved_shares[2])
            changed = dataclasses.replace(rules, class_shares=new_shares)
            out.append((text, f"evaluation.class_shares[{k}]", delta, changed))
    return out


def sensitivity(
    ent: pd.DataFrame,
    rules: EvaluationRules,
    as_of: date,
    *,
    weight_step: float = 10.0,
    share_step: float = 0.05,
) -> pd.DataFrame:
    """Enterprises whose class changes when one weight or one class share moves.

    Scenarios, one at a time: every weight of each group ± ``weight_step`` points (floored at
    0; no renormalisation — scaling all weights alike would not change a rank), and each of the
    three class shares ± ``share_step`` (kept within its neighbours and [0, 1]).  A move that
    changes nothing (a weight of 0 moved down) is skipped.  Benchmarks do not depend on the
    weights, so each scenario only re-scores and re-ranks.

    Result (long, RangeIndex, only the rows where the class changes): credit_code, name,
    scenario (Chinese), parameter (rules-file key), delta (the move applied), class_before,
    class_after.

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0})
    >>> ent = pd.DataFrame({"credit_code": list("abcde"), "name": list("ABCDE"),
    ...                     "above_scale": True, "land_area_mu": 10.0,
    ...                     "tax_wan": [50.0, 40.0, 30.0, 20.0, 10.0]})
    >>> out = sensitivity(ent, ev, date(2025, 6, 30))
    >>> out[["credit_code", "scenario", "class_before", "class_after"]].values.tolist()[0]
    ['a', 'A类比例 -5个百分点(20%→15%)', 'A', 'B']
    """
    columns = [
        "credit_code",
        "name",
        "scenario",
        "parameter",
        "delta",
        "class_before",
        "class_after",
    ]
    work = ent.reset_index(drop=True)
    before = classify(work, rules, as_of)["class"]
    frames: list[pd.DataFrame] = []
    for text, parameter, delta, changed in _scenarios(rules, weight_step, share_step):
        after = classify(work, changed, as_of)["class"]
        flip = after != before
        if not flip.any():
            continue
        frames.append(
            pd.DataFrame(
                {
                    "credit_code": work.loc[flip, "credit_code"] if "credit_code" in work else "",
                    "name": work.loc[flip, "name"] if "name" in work else "",
                    "scenario": text,
                    "parameter": parameter,
                    "delta": delta,
                    "class_before": before[flip],
                    "class_after": after[flip],
                }
            )
        )
    if not frames:
        empty = {c: pd.Series(dtype="float64" if c == "delta" else "str") for c in columns}
        return pd.DataFrame(empty)
    return pd.concat(frames, ignore_index=True)[columns]
