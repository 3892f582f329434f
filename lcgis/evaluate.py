"""Comprehensive evaluation of enterprises (亩均效益综合评价), rules.md §1.

One row per enterprise for one year goes in; indicators, scores, benchmarks, ranks and the
classes A/B/C/D (rated) or T (not rated) come out, aligned on the input index.  Nothing here
mutates its input or loops over rows: the loops run over the handful of indicators, years
and sensitivity scenarios.

Units: money in 万元, land in 亩, energy in tce (吨标煤), emissions in t, electricity in kWh.
``tax_per_kwh`` is in **元/kWh** (tax 万元 × 10000 ÷ kWh), so that it reads like 0.25 rather
than 0.000025; a fixed benchmark for it in the rules file is therefore also in 元/kWh.

Decisions where rules.md is silent (documented here, also listed in each firm's ``notes``):

- ``above_scale`` missing (NA): the firm is evaluated as below scale (规下: the land threshold
  and the below-scale weights apply), since a firm that is not on the statistics bureau's
  规上 list is 规下 by default; the note says so.
- ``exempt`` missing: not exempt.
- ``production_start_date`` missing (NaT) and no output, revenue, tax or value added: not yet in
  production, so in production for less than ``min_years_in_production`` (class T, reason
  尚未投产).
- ``production_start_date`` missing with figures: rated (it cannot be shown to be younger than
  ``min_years_in_production``); the note says so (no note when the column is absent
  altogether: that is a data-quality matter for the whole table).  Years are calendar years
  (``min_years_in_production`` × 12 months, added with :class:`pandas.DateOffset`): a firm
  that started exactly N years before ``as_of`` is rated, one day less is class T.
- Below-scale firm without land data: treated as under the land threshold (class T).
- An indicator is computed only when its denominator is positive; otherwise it is missing.
- Scores are ranked after rounding to 1e-9, so that sums equal in exact arithmetic tie.
- Class boundaries: class A when rank ≤ share_A × n (+1e-9), so rank 20 of 100 is A.

>>> from datetime import date
>>> from lcgis.rules import load_rules
>>> ent = pd.DataFrame({"credit_code": ["a", "b"], "above_scale": [True, False],
...                     "land_area_mu": [20.0, 2.9], "tax_wan": [100.0, 50.0]})
>>> classify(ent, load_rules().evaluation, date(2025, 6, 30))["class_reason"].tolist()[1]
'规下企业用地不足3亩(用地2.9亩)'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from .errors import DataError
from .rules import INDICATORS, EvaluationRules
from .schema import M2_PER_MU

ABOVE = "above_scale"
BELOW = "below_scale"
#: Chinese names of the two evaluation groups.
GROUP_LABELS: dict[str, str] = {ABOVE: "规上", BELOW: "规下"}

#: Short Chinese names of the indicators (for sentences such as sensitivity scenarios).
INDICATOR_NAMES: dict[str, str] = {
    "tax_per_mu": "亩均税收",
    "value_added_per_mu": "亩均增加值",
    "value_added_per_energy": "单位能耗增加值",
    "value_added_per_emission": "单位排放增加值",
    "labor_productivity": "全员劳动生产率",
    "rd_ratio": "研发经费投入强度",
    "tax_per_kwh": "单位电耗税收",
    "output_per_mu": "亩均产值",
    "revenue_per_mu": "亩均营业收入",
}
#: Units of the indicators.
INDICATOR_UNITS: dict[str, str] = {
    "tax_per_mu": "万元/亩",
    "value_added_per_mu": "万元/亩",
    "value_added_per_energy": "万元/吨标煤",
    "value_added_per_emission": "万元/吨",
    "labor_productivity": "万元/人",
    "rd_ratio": "研发经费/营业收入",
    "tax_per_kwh": "元/千瓦时",
    "output_per_mu": "万元/亩",
    "revenue_per_mu": "万元/亩",
}
#: Chinese labels with units, for exports and the app.
INDICATOR_LABELS: dict[str, str] = {
    key: f"{name}({INDICATOR_UNITS[key]})" for key, name in INDICATOR_NAMES.items()
}
#: Chinese labels of the other columns :func:`classify` adds.
OUTPUT_LABELS: dict[str, str] = {
    **INDICATOR_LABELS,
    **{f"score_{k}": f"{v}得分" for k, v in INDICATOR_NAMES.items()},
    **{f"benchmark_{k}": f"{v}基准值" for k, v in INDICATOR_NAMES.items()},
    "group": "评价组",
    "score": "综合得分",
    "missing_indicators": "缺失指标",
    "rank": "组内排名",
    "n_rated": "组内参评企业数",
    "position": "排名位置(名次/家数)",
    "class": "评价类别",
    "class_reason": "分类说明",
    "notes": "备注",
    "class_before": "上年类别",
    "class_change": "类别变化",
}

_EPS = 1e-9
_RANK_DECIMALS = 9
_SEP = "；"


# --------------------------------------------------------------------------- helpers


def _num(ent: pd.DataFrame, column: str) -> pd.Series:
    """Column as float64 (NA -> NaN); all NaN when the column is absent."""
    if column not in ent.columns:
        return pd.Series(np.nan, index=ent.index, dtype="float64")
    return pd.to_numeric(ent[column], errors="coerce").astype("float64")


def _flag(ent: pd.DataFrame, column: str) -> pd.Series:
    """Column as nullable boolean; all NA when the column is absent."""
    if column not in ent.columns:
        return pd.Series(pd.NA, index=ent.index, dtype="boolean")
    return ent[column].astype("boolean")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num ÷ den where den > 0, else NaN (never inf)."""
    out = num / den.where(den > 0)
    return out.where(np.isfinite(out))


def _land_mu(ent: pd.DataFrame) -> pd.Series:
    """Allocated land in 亩: land_area_mu, else land_area_m2 ÷ (10000/15)."""
    return _num(ent, "land_area_mu").fillna(_num(ent, "land_area_m2") / M2_PER_MU)


def _text(value: pd.Series | str, where: pd.Series) -> pd.Series:
    """``value`` (a string or string Series) where ``where`` holds, else ''."""
    base = pd.Series(value, index=where.index, dtype="str")
    return base.where(where.to_numpy(dtype=bool), "")


def _join(parts: list[pd.Series], sep: str) -> pd.Series:
    """Element-wise join of string Series, skipping empty strings."""
    out = parts[0].fillna("")
    for part in parts[1:]:
        p = part.fillna("")
        both = (out != "") & (p != "")
        out = out.where(~both, out + sep) + p
    return out


def _fmt(x: float) -> str:
    """Short number: 2.0 -> '2', 2.5 -> '2.5'."""
    return f"{x:g}"


def _round_text(values: pd.Series, decimals: int) -> pd.Series:
    """Numbers rounded for display; a trailing '.0' is dropped."""
    return values.round(decimals).astype("str").str.replace(r"\.0$", "", regex=True)


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

    A missing value, or a denominator that is zero, negative or missing, gives NaN (never 0,
    never inf).  A negative numerator (a tax refund) gives a negative indicator.

    >>> ent = pd.DataFrame({"land_area_mu": [10.0, 0.0], "tax_wan": [50.0, 8.0],
    ...                     "value_added_wan": [400.0, 30.0], "employees": [80.0, 0.0],
    ...                     "electricity_kwh": [2_000_000.0, None]})
    >>> out = indicators(ent)
    >>> out.loc[0, ["tax_per_mu", "labor_productivity", "tax_per_kwh"]].tolist()
    [5.0, 5.0, 0.25]
    >>> out.loc[1, ["tax_per_mu", "labor_productivity", "tax_per_kwh"]].isna().all()
    np.True_
    """
    mu = _land_mu(ent)
    tax = _num(ent, "tax_wan")
    va = _num(ent, "value_added_wan")
    revenue = _num(ent, "revenue_wan")
    cols = {
        "tax_per_mu": _ratio(tax, mu),
        "value_added_per_mu": _ratio(va, mu),
        "value_added_per_energy": _ratio(va, _num(ent, "energy_tce")),
        "value_added_per_emission": _ratio(va, _num(ent, "emission_t")),
        "labor_productivity": _ratio(va, _num(ent, "employees")),
        "rd_ratio": _ratio(_num(ent, "rd_wan"), revenue),
        "tax_per_kwh": _ratio(tax * 10000.0, _num(ent, "electricity_kwh")),
        "output_per_mu": _ratio(_num(ent, "output_wan"), mu),
        "revenue_per_mu": _ratio(revenue, mu),
    }
    return pd.DataFrame({k: cols[k] for k in INDICATORS}, index=ent.index)


# --------------------------------------------------------------------------- classify


def _weighted_indicators(rules: EvaluationRules) -> list[str]:
    """Indicators named in either group's weights, in the canonical order."""
    named = set(rules.weights_above_scale) | set(rules.weights_below_scale)
    return [i for i in INDICATORS if i in named]


def classify(ent: pd.DataFrame, rules: EvaluationRules, as_of: date) -> pd.DataFrame:
    """Score, rank and class every enterprise (rules.md §1); a new frame on ``ent.index``.

    Columns added to ``ent``'s: the :func:`indicators`; ``group`` (``above_scale`` /
    ``below_scale``); ``benchmark_<i>`` and ``score_<i>`` for every indicator ``i`` weighted
    in either group (NaN where it is not weighted in the firm's group); ``score``;
    ``missing_indicators`` (``;``-joined); ``rank``, ``n_rated`` (Int64); ``position``;
    ``class``; ``class_reason``; ``notes``.

    - Scope: class T (not rated) for ``exempt`` firms, firms with as_of < production start +
      ``min_years_in_production`` years, below-scale firms with land < ``min_land_mu_below_scale``
      亩.  All reasons that apply are given in ``class_reason``.
    - Score of indicator i = max(0, min(value ÷ benchmark, ``score_cap``) × weight); a missing
      value scores 0 and is listed in ``missing_indicators``.  Benchmark = mean (or median, per
      ``rules.benchmark``) of i over the rated firms of the group that have a value, unless
      ``rules.fixed_benchmarks`` gives one; a benchmark ≤ 0 or missing scores 0 for every firm
      (said in the ``notes`` of the firms that have a value for it).  ``score`` = sum over
      the group's weights (NaN for class T).
    - Within each group: rank by score, best first, ties share the best rank; n = rated firms
      of the group; A if rank ≤ shares[0] × n, B if ≤ shares[1] × n, C if ≤ shares[2] × n,
      else D (so position p = rank ÷ n is compared with the shares without float error).

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0})
    >>> ent = pd.DataFrame({"credit_code": list("abcde"), "above_scale": [True] * 5,
    ...                     "land_area_mu": [10.0] * 5, "tax_wan": [50.0, 40.0, 30.0, 20.0, 10.0]})
    >>> out = classify(ent, ev, date(2025, 6, 30))
    >>> out["benchmark_tax_per_mu"].iloc[0], out["score"].round(1).tolist()
    (np.float64(3.0), [150.0, 133.3, 100.0, 66.7, 33.3])
    >>> out["class"].tolist()
    ['A', 'B', 'B', 'C', 'D']
    >>> out.loc[1, "class_reason"]
    '规上组第2名/共5家(前40%)，得分133.3'
    """
    work = ent.reset_index(drop=True)
    idx = work.index
    ind = indicators(work)
    as_of_ts = pd.Timestamp(as_of)

    # ---- groups and scope
    above_raw = _flag(work, "above_scale")
    above = above_raw.fillna(False).astype(bool)
    group = pd.Series(np.where(above, ABOVE, BELOW), index=idx, dtype="str")
    exempt = _flag(work, "exempt").fillna(False).astype(bool)

    has_start = "production_start_date" in work.columns
    if has_start:
        start = pd.to_datetime(work["production_start_date"])
        if isinstance(start.dtype, pd.DatetimeTZDtype):
            start = start.dt.tz_localize(None)
    else:
        start = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    months = round(rules.min_years_in_production * 12)
    if months > 0:
        young = (start + pd.DateOffset(months=months) > as_of_ts).fillna(False).astype(bool)
    else:
        young = pd.Series(False, index=idx)

    # No production date and no output, revenue, tax or value added: not yet in production.
    figures = [_num(work, c) for c in ("output_wan", "revenue_wan", "tax_wan", "value_added_wan")]
    active = pd.concat(figures, axis=1).fillna(0).gt(0).any(axis=1)
    not_started = start.isna() & ~active & (months > 0)

    land_mu = _land_mu(work)
    min_land = rules.min_land_mu_below_scale
    small = ~above & ~(land_mu >= min_land - _EPS) & (min_land > 0)

    rated = ~exempt & ~young & ~not_started & ~small

    years_txt = _fmt(rules.min_years_in_production)
    land_txt = ("用地" + _round_text(land_mu, 2) + "亩").where(land_mu.notna(), "无用地数据")
    t_reason = _join(
        [
            _text("不参评", exempt),
            _text(f"投产不满{years_txt}年(投产日期" + start.dt.strftime("%Y-%m-%d") + ")", young),
            _text(
                f"尚未投产(无投产日期，且无产值、营收、税收和增加值)，不满{years_txt}年",
                not_started,
            ),
            _text(f"规下企业用地不足{_fmt(min_land)}亩(" + land_txt + ")", small),
        ],
        _SEP,
    )

    # ---- scores
    weights = {ABOVE: rules.weights_above_scale, BELOW: rules.weights_below_scale}
    total = pd.Series(0.0, index=idx)
    new_cols: dict[str, pd.Series] = {k: ind[k] for k in INDICATORS}
    new_cols["group"] = group
    bench_cols: dict[str, pd.Series] = {}
    score_cols: dict[str, pd.Series] = {}
    missing = pd.Series("", index=idx, dtype="str")
    missing_zh = pd.Series("", index=idx, dtype="str")
    bad_zh = pd.Series("", index=idx, dtype="str")
    for i in _weighted_indicators(rules):
        value = ind[i]
        w = group.map({g: float(weights[g].get(i, np.nan)) for g in weights}).astype("float64")
        in_group = w.notna()
        if i in rules.fixed_benchmarks:
            bench = pd.Series(float(rules.fixed_benchmarks[i]), index=idx).where(in_group)
        else:
            pool = value.where(rated & in_group)
            stat: Literal["mean", "median"] = "median" if rules.benchmark == "median" else "mean"
            bench = pool.groupby(group).transform(stat).where(in_group)
        bench_ok = bench > 0
        s = (value / bench.where(bench_ok)).clip(upper=rules.score_cap) * w
        s = s.clip(lower=0.0).fillna(0.0).where(rated & in_group)
        bench_cols[f"benchmark_{i}"] = bench
        score_cols[f"score_{i}"] = s
        total = total + s.fillna(0.0)
        counted = rated & in_group & (w > 0)
        missing = _join([missing, _text(i, counted & value.isna())], ";")
        missing_zh = _join([missing_zh, _text(INDICATOR_NAMES[i], counted & value.isna())], "、")
        bad_zh = _join(
            [bad_zh, _text(INDICATOR_NAMES[i], counted & value.notna() & ~bench_ok)], "、"
        )
    score = total.where(rated)
    new_cols.update(bench_cols)
    new_cols.update(score_cols)
    new_cols["score"] = score
    new_cols["missing_indicators"] = missing

    # ---- ranks and classes
    rank = score.round(_RANK_DECIMALS).groupby(group).rank(method="min", ascending=False)
    n_rated = rated.astype("float64").groupby(group).transform("sum").where(rated)
    position = rank / n_rated
    cls = pd.Series(
        np.select(
            [rank <= share * n_rated + _EPS for share in rules.class_shares],
            ["A", "B", "C"],
            "D",
        ),
        index=idx,
        dtype="str",
    ).where(rated, "T")

    notes = _join(
        [
            _text("是否规上未填写，按规下企业评价", above_raw.isna()),
            _text(f"投产日期缺失，按投产已满{years_txt}年参评", rated & start.isna() & has_start),
            _text("缺少数据记0分：" + missing_zh, missing_zh != ""),
            _text("基准值无效(≤0或无数据)记0分：" + bad_zh, bad_zh != ""),
        ],
        _SEP,
    )
    rated_reason = (
        group.map(GROUP_LABELS)
        + "组第"
        + rank.astype("Int64").astype("str")
        + "名/共"
        + n_rated.astype("Int64").astype("str")
        + "家(前"
        + _round_text(position * 100, 1)
        + "%)，得分"
        + score.round(1).astype("str")
    )
    reason = _join([rated_reason.where(rated, t_reason), notes], _SEP)

    new_cols["rank"] = rank.astype("Int64")
    new_cols["n_rated"] = n_rated.astype("Int64")
    new_cols["position"] = position
    new_cols["class"] = cls
    new_cols["class_reason"] = reason
    new_cols["notes"] = notes

    added = pd.DataFrame(new_cols, index=idx)
    kept = work.drop(columns=[c for c in work.columns if c in added.columns])
    out = pd.concat([kept, added], axis=1)
    out.index = ent.index
    return out


# --------------------------------------------------------------------------- years


def _as_of_function(
    as_of_for_year: date | Mapping[int, date] | Callable[[int], date] | None,
) -> Callable[[int], date]:
    if as_of_for_year is None:
        return lambda year: date(year, 12, 31)
    if isinstance(as_of_for_year, date):
        fixed = as_of_for_year
        return lambda year: fixed
    if isinstance(as_of_for_year, Mapping):
        table = as_of_for_year
        return lambda year: table[year]
    return as_of_for_year


def class_changes(
    by_year: pd.DataFrame,
    rules: EvaluationRules,
    as_of_for_year: date | Mapping[int, date] | Callable[[int], date] | None = None,
) -> pd.DataFrame:
    """Each enterprise's class per year and its change from the year before.

    ``by_year`` holds one row per (credit_code, year), with the columns :func:`classify`
    reads.  Each year is classified on its own (:func:`classify`) with ``as_of`` =
    ``as_of_for_year[year]`` (a mapping or a function of the year; default 31 December of
    that year, so "in production for 2 years" is judged as at the end of each evaluated
    year).  A single date is also accepted and used for every year.
    Result, aligned on ``by_year.index``: credit_code, name, year, score, class,
    class_reason, class_before (the class in year − 1, '' when the firm has no row that
    year) and class_change ('B→A'; '' when unchanged or without a year before).

    >>> from lcgis.rules import load_rules
    >>> ev = dataclasses.replace(load_rules().evaluation, weights_above_scale={"tax_per_mu": 100.0})
    >>> rows = pd.DataFrame({"credit_code": ["x", "y", "x", "y"], "name": ["X", "Y", "X", "Y"],
    ...                      "year": [2023, 2023, 2024, 2024], "above_scale": True,
    ...                      "land_area_mu": 10.0, "tax_wan": [10.0, 20.0, 30.0, 20.0]})
    >>> class_changes(rows, ev)[["year", "class", "class_change"]].values.tolist()
    [[2023, 'D', ''], [2023, 'B', ''], [2024, 'B', 'D→B'], [2024, 'D', 'B→D']]
    """
    as_of = _as_of_function(as_of_for_year)
    work = by_year.reset_index(drop=True)
    dup = work.duplicated(["credit_code", "year"], keep=False)
    if dup.any():
        codes = "、".join(sorted(set(work.loc[dup, "credit_code"].astype(str)))[:5])
        raise DataError(
            f"企业年度数据中同一企业同一年度有多行(如 {codes})：请每个企业每年只保留一行"
        )
    years = pd.to_numeric(work["year"])
    cols = ["score", "class", "class_reason"]
    parts = [
        classify(part, rules, as_of(int(y)))[cols] for y, part in work.groupby(years, sort=True)
    ]
    if parts:
        res = pd.concat(parts).reindex(work.index)
    else:
        res = pd.DataFrame({c: pd.Series(dtype="str") for c in cols}, index=work.index)
        res["score"] = res["score"].astype("float64")

    known = years.notna()
    by_key = pd.Series(
        res.loc[known, "class"].to_numpy(),
        index=pd.MultiIndex.from_arrays([work.loc[known, "credit_code"], years[known]]),
    )
    prev_key = pd.MultiIndex.from_arrays([work["credit_code"], years - 1])
    before = pd.Series(by_key.reindex(prev_key).to_numpy(), index=work.index, dtype="str")
    before = before.fillna("")
    now = res["class"].fillna("")
    change = (before + "→" + now).where((before != "") & (now != "") & (before != now), "")

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


# --------------------------------------------------------------------------- sensitivity


def _scenarios(
    rules: EvaluationRules, weight_step: float, share_step: float
) -> list[tuple[str, str, float, EvaluationRules]]:
    """(scenario text, parameter key, delta, changed rules) for every one-at-a-time move."""
    out: list[tuple[str, str, float, EvaluationRules]] = []
    for attr, key, label in (
        ("weights_above_scale", "above_scale", GROUP_LABELS[ABOVE]),
        ("weights_below_scale", "below_scale", GROUP_LABELS[BELOW]),
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
                moved = {**weights, ind: new}
                if attr == "weights_above_scale":
                    changed = dataclasses.replace(rules, weights_above_scale=moved)
                else:
                    changed = dataclasses.replace(rules, weights_below_scale=moved)
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
