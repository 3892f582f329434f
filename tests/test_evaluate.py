"""Tests of lcgis.engine.evaluate (rules.md §1), with hand-computed answers."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lcgis.engine.evaluate import _scenarios, class_changes, classify, indicators, sensitivity
from lcgis.errors import DataError
from lcgis.rules import EvaluationRules, load_rules
from lcgis.vocab import INDICATOR_LABELS, INDICATORS

AS_OF = date(2025, 6, 30)


def _ev(**changes: Any) -> EvaluationRules:
    """Default evaluation rules with some fields replaced (any group size unless given)."""
    changes.setdefault("min_group_size", 1)
    return dataclasses.replace(load_rules().evaluation, **changes)


def _tax_only(**changes: Any) -> EvaluationRules:
    """Rules where the score is tax_per_mu alone, weight 100, in every group; any group size."""
    return _ev(
        weights_above_scale={"tax_per_mu": 100.0},
        weights_below_scale={"tax_per_mu": 100.0},
        weights_small={"tax_per_mu": 100.0},
        **changes,
    )


def _firms(
    tax_per_mu: list[float], above: bool = True, prefix: str = "F", **cols: Any
) -> pd.DataFrame:
    """Firms on 10 亩 each, in production since 2010, with the given tax per 亩."""
    n = len(tax_per_mu)
    data: dict[str, Any] = {
        "credit_code": [f"{prefix}{i:03d}" for i in range(n)],
        "name": [f"企业{prefix}{i}" for i in range(n)],
        "year": 2024,
        "above_scale": above,
        "exempt": False,
        "production_start_date": pd.Timestamp("2010-01-01"),
        "land_area_mu": 10.0,
        "tax_wan": [10.0 * t for t in tax_per_mu],
    }
    data.update(cols)
    return pd.DataFrame(data)


# --------------------------------------------------------------------------- indicators


def test_indicators_formulas_units_and_nan() -> None:
    ent = pd.DataFrame(
        {
            "land_area_mu": [10.0, np.nan, 0.0],
            "land_area_m2": [np.nan, 2000.0, 0.0],
            "tax_wan": [50.0, 6.0, 5.0],
            "value_added_wan": [400.0, np.nan, 5.0],
            "output_wan": [1000.0, np.nan, 5.0],
            "revenue_wan": [100.0, np.nan, 0.0],
            "rd_wan": [3.0, 1.0, 1.0],
            "energy_tce": [200.0, np.nan, 0.0],
            "emission_t": [0.0, np.nan, 0.0],
            "electricity_kwh": [2_000_000.0, np.nan, 0.0],
            "employees": [80.0, np.nan, 0.0],
        }
    )
    out = indicators(ent)
    assert list(out.columns) == list(INDICATORS)
    row = out.iloc[0]
    assert row["tax_per_mu"] == 5.0
    assert row["value_added_per_mu"] == 40.0
    assert row["output_per_mu"] == 100.0
    assert row["revenue_per_mu"] == 10.0
    assert row["value_added_per_energy"] == 2.0
    assert np.isnan(row["value_added_per_emission"])  # emission 0 -> NaN, not inf
    assert row["labor_productivity"] == 5.0
    assert row["rd_ratio"] == pytest.approx(0.03)
    assert row["tax_per_kwh"] == pytest.approx(0.25)  # 50 万元 / 2e6 kWh = 0.25 元/kWh
    # land from m²: 2000 m² = 3 亩
    assert out.iloc[1]["tax_per_mu"] == pytest.approx(2.0)
    # every denominator zero: all NaN, never inf or 0
    assert out.iloc[2].isna().all()
    assert not np.isinf(out.to_numpy()).any()


def test_indicators_missing_columns_give_nan() -> None:
    out = indicators(pd.DataFrame({"land_area_mu": [10.0], "tax_wan": [20.0]}))
    assert out.loc[0, "tax_per_mu"] == 2.0
    assert out.drop(columns="tax_per_mu").iloc[0].isna().all()


def test_labels_cover_every_indicator() -> None:
    assert set(INDICATOR_LABELS) == set(INDICATORS)
    assert INDICATOR_LABELS["tax_per_mu"] == "亩均税收(万元/亩)"
    assert INDICATOR_LABELS["tax_per_kwh"] == "单位电耗税收(元/千瓦时)"


# --------------------------------------------------------------------------- classify


def test_input_not_mutated_and_index_kept() -> None:
    ent = _firms([3.0, 1.0, 2.0])
    ent.index = pd.Index([10, 10, 30])  # non-unique on purpose
    before = ent.copy()
    out = classify(ent, _tax_only(), AS_OF)
    pd.testing.assert_frame_equal(ent, before)
    assert list(out.index) == [10, 10, 30]
    assert out["credit_code"].tolist() == ent["credit_code"].tolist()
    assert out["rank_in_group"].tolist() == [1, 3, 2]


def test_score_is_capped() -> None:
    # tax per 亩 3, 0, 0 -> mean 1; the first is 3x the benchmark -> 1.5 x 100
    out = classify(_firms([3.0, 0.0, 0.0]), _tax_only(), AS_OF)
    assert out["benchmark_tax_per_mu"].tolist() == [1.0, 1.0, 1.0]
    assert out["score_tax_per_mu"].tolist() == [150.0, 0.0, 0.0]
    assert out["score"].tolist() == [150.0, 0.0, 0.0]


def test_score_floored_at_zero() -> None:
    # tax per 亩 -1, 2, 2 -> mean 1; the refund scores 0, not -100
    out = classify(_firms([-1.0, 2.0, 2.0]), _tax_only(), AS_OF)
    assert out.loc[0, "tax_per_mu"] == -1.0
    assert out["score_tax_per_mu"].tolist() == [0.0, 150.0, 150.0]


def test_tie_shares_best_rank_and_class() -> None:
    # fixed benchmark 10 -> score = 10 x tax per 亩: 50, 50, 30, 20, 10
    ev = _tax_only(fixed_benchmarks={"tax_per_mu": 10.0})
    out = classify(_firms([5.0, 5.0, 3.0, 2.0, 1.0]), ev, AS_OF)
    assert out["rank_in_group"].tolist() == [1, 1, 3, 4, 5]
    # rank 1 of 5 -> p 0.2 -> A for both, although two firms are 40% of the group
    assert out["class"].tolist() == ["A", "A", "B", "C", "D"]


def test_tie_survives_float_rounding() -> None:
    # 0.1 + 0.2 != 0.3 in binary floating point; the two totals must still tie
    ev = _ev(
        weights_above_scale={"tax_per_mu": 1.0, "value_added_per_mu": 1.0},
        fixed_benchmarks={"tax_per_mu": 1.0, "value_added_per_mu": 1.0},
    )
    ent = _firms([0.1, 0.3, 0.05], value_added_wan=[2.0, 0.0, 0.0])
    out = classify(ent, ev, AS_OF)
    assert out.loc[0, "score"] != out.loc[1, "score"]  # the premise of the test
    assert out["rank_in_group"].tolist() == [1, 1, 3]


def test_missing_value_scores_zero_and_is_listed() -> None:
    ev = _ev(weights_above_scale={"tax_per_mu": 50.0, "value_added_per_mu": 50.0})
    # value added per 亩 2, 4, missing -> benchmark mean 3 over the two with a value
    ent = _firms([1.0, 1.0, 1.0], value_added_wan=[20.0, 40.0, np.nan])
    out = classify(ent, ev, AS_OF)
    assert out["benchmark_value_added_per_mu"].tolist() == [3.0, 3.0, 3.0]
    assert out["score_value_added_per_mu"].tolist() == pytest.approx([100 / 3, 200 / 3, 0.0])
    assert out["score"].tolist() == pytest.approx([50 + 100 / 3, 50 + 200 / 3, 50.0])
    assert out["missing_indicators"].tolist() == ["", "", "value_added_per_mu"]
    assert "缺少数据记0分：亩均增加值" in out.loc[2, "class_reason"]
    assert out.loc[2, "class"] != "T"


def test_missing_indicators_joined_with_semicolon() -> None:
    out = classify(_firms([1.0, 2.0]), load_rules().evaluation, AS_OF)
    assert out.loc[0, "missing_indicators"] == (
        "value_added_per_mu;value_added_per_energy;value_added_per_emission;"
        "labor_productivity;rd_ratio"
    )


def test_class_t_reasons() -> None:
    ent = pd.DataFrame(
        {
            "credit_code": list("abcdefghij"),
            "name": list("abcdefghij"),
            "above_scale": pd.array(
                [True, True, True, False, False, False, True, None, True, True], dtype="boolean"
            ),
            "exempt": pd.array(
                [True, False, False, False, False, False, False, False, None, True],
                dtype="boolean",
            ),
            "production_start_date": pd.to_datetime(
                [
                    "2010-01-01",
                    "2023-07-01",  # 1 year 364 days before 2025-06-30
                    "2023-06-30",  # exactly 2 years
                    "2010-01-01",
                    "2010-01-01",
                    "2010-01-01",
                    None,
                    "2010-01-01",
                    "2010-01-01",
                    "2024-01-01",
                ]
            ),
            "land_area_mu": [10.0, 10.0, 10.0, 2.9, 3.0, np.nan, 10.0, 10.0, np.nan, 10.0],
            "land_area_m2": [np.nan] * 5 + [2000.0] + [np.nan] * 4,  # 2000 m² = 3 亩
            "tax_wan": [10.0] * 10,
        }
    )
    out = classify(ent, _tax_only(), AS_OF).set_index("credit_code")
    cls = out["class"].to_dict()
    reason = out["class_reason"].to_dict()
    assert cls["a"] == "T" and reason["a"] == "不参评"
    assert cls["b"] == "T" and reason["b"] == "投产不满2年(投产日期2023-07-01)"
    assert cls["c"] != "T"
    # 规下 under 3 亩: not T any more but the small group (rules.md §8)
    assert cls["d"] != "T" and out.loc["d", "eval_group"] == "small"
    assert cls["e"] != "T"
    assert cls["f"] != "T"  # 3 亩 via m²: float error must not push it under the threshold
    # production date missing: rated, and said so
    assert cls["g"] != "T" and "投产日期缺失" in reason["g"]
    # above_scale missing: evaluated as below scale, and said so
    assert out.loc["h", "eval_group"] == "below_scale" and "是否规上未填写" in reason["h"]
    # exempt missing: not exempt; above scale without land: no class (never a silent 0)
    assert cls["i"] is None and reason["i"] == "缺少用地数据，无法计算亩均指标"
    # several reasons: all of them
    assert reason["j"] == "不参评；投产不满2年(投产日期2024-01-01)"
    # not rated: no score, no rank
    assert out.loc["a", ["score", "position"]].isna().all()
    assert out.loc["a", "rank_in_group"] is pd.NA and out.loc["a", "n_in_group"] is pd.NA
    # rated: above scale c, g; below scale e, f, h; small d
    assert out.loc["c", "n_in_group"] == 2 and out.loc["e", "n_in_group"] == 3
    assert out.loc["d", "n_in_group"] == 1


def test_benchmark_mean_median_fixed_and_only_rated() -> None:
    # tax per 亩 1, 2, 6 (+ an exempt firm with 100 that must not enter the benchmark)
    ent = _firms([1.0, 2.0, 6.0, 100.0], exempt=[False, False, False, True])
    mean = classify(ent, _tax_only(), AS_OF)
    assert mean["benchmark_tax_per_mu"].iloc[0] == 3.0
    assert mean["score"].iloc[:3].tolist() == pytest.approx([100 / 3, 200 / 3, 150.0])
    median = classify(ent, _tax_only(benchmark="median"), AS_OF)
    assert median["benchmark_tax_per_mu"].iloc[0] == 2.0
    assert median["score"].iloc[:3].tolist() == [50.0, 100.0, 150.0]
    fixed = classify(ent, _tax_only(fixed_benchmarks={"tax_per_mu": 4.0}), AS_OF)
    assert fixed["benchmark_tax_per_mu"].iloc[0] == 4.0
    assert fixed["score"].iloc[:3].tolist() == [25.0, 50.0, 150.0]


def test_benchmark_not_positive_scores_zero_for_all() -> None:
    ev = _ev(weights_above_scale={"tax_per_mu": 50.0, "value_added_per_mu": 50.0})
    # tax per 亩 -1, -2, 0 -> mean -1: the tax indicator scores 0 everywhere
    ent = _firms([-1.0, -2.0, 0.0], value_added_wan=[10.0, 20.0, 30.0])
    out = classify(ent, ev, AS_OF)
    assert out["benchmark_tax_per_mu"].iloc[0] == -1.0
    assert out["score_tax_per_mu"].tolist() == [0.0, 0.0, 0.0]
    assert out["score"].tolist() == [25.0, 50.0, 75.0]
    assert out["notes"].str.contains("基准值无效(≤0或无数据)记0分：亩均税收", regex=False).all()


@pytest.mark.parametrize(
    ("n", "shares", "expected"),
    [
        (20, (0.20, 0.60, 0.95), {4: "A", 5: "B", 12: "B", 13: "C", 19: "C", 20: "D"}),
        (100, (0.20, 0.60, 0.95), {20: "A", 21: "B", 60: "B", 61: "C", 95: "C", 96: "D"}),
        # 0.29 x 100 = 28.999999999999996 and 0.58 x 100 = 57.99999999999999 in floats
        (100, (0.29, 0.58, 0.95), {29: "A", 30: "B", 58: "B", 59: "C"}),
    ],
)
def test_class_boundaries_exact(
    n: int, shares: tuple[float, float, float], expected: dict[int, str]
) -> None:
    ent = _firms([float(n - i) for i in range(n)])  # rank i + 1
    # a fixed benchmark above every value: no cap, so no ties
    ev = _tax_only(class_shares=shares, fixed_benchmarks={"tax_per_mu": 1000.0})
    out = classify(ent, ev, AS_OF)
    assert out["rank_in_group"].tolist() == list(range(1, n + 1))
    for rank, cls in expected.items():
        assert out.loc[rank - 1, "class"] == cls, rank
    if shares[0] == 0.20:
        assert out.loc[int(0.2 * n) - 1, "position"] == 0.2


def test_groups_ranked_separately() -> None:
    above = _firms([1.0, 2.0, 3.0], above=True, prefix="U")
    below = _firms([10.0, 20.0, 30.0], above=False, prefix="L")
    out = classify(pd.concat([above, below], ignore_index=True), _tax_only(), AS_OF)
    assert out["eval_group"].tolist() == ["above_scale"] * 3 + ["below_scale"] * 3
    assert out["benchmark_tax_per_mu"].tolist() == [2.0] * 3 + [20.0] * 3
    assert out["rank_in_group"].tolist() == [3, 2, 1, 3, 2, 1]
    assert out["n_in_group"].tolist() == [3] * 6
    # n = 3: rank 1 -> p 1/3 -> B; rank 2 -> C; rank 3 -> D, in each group
    assert out["class"].tolist() == ["D", "C", "B", "D", "C", "B"]
    assert out.loc[2, "class_reason"] == "规上组第1名/共3家(前33.3%)，得分150.0"
    assert out.loc[5, "class_reason"] == "规下组第1名/共3家(前33.3%)，得分150.0"


def test_unweighted_indicator_has_no_score_in_that_group() -> None:
    # default rules: tax_per_kwh is weighted below scale only
    ent = pd.concat(
        [_firms([1.0], above=True, prefix="U"), _firms([1.0], above=False, prefix="L")],
        ignore_index=True,
    )
    out = classify(ent, load_rules().evaluation, AS_OF)
    assert np.isnan(out.loc[0, "score_tax_per_kwh"]) and np.isnan(
        out.loc[0, "benchmark_tax_per_kwh"]
    )
    assert out.loc[1, "score_tax_per_kwh"] == 0.0
    assert "tax_per_kwh" in out.loc[1, "missing_indicators"]


def test_empty_input() -> None:
    ent = _firms([1.0]).iloc[:0]
    out = classify(ent, load_rules().evaluation, AS_OF)
    assert len(out) == 0 and {"score", "class", "class_reason"} <= set(out.columns)
    assert len(sensitivity(ent, load_rules().evaluation, AS_OF)) == 0


# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_finds_the_firms_that_flip() -> None:
    ev = _ev(
        weights_above_scale={"tax_per_mu": 50.0, "value_added_per_mu": 50.0},
        fixed_benchmarks={"tax_per_mu": 1.0, "value_added_per_mu": 1.0},
    )
    # score = 50 x tax/亩 + 50 x VA/亩: X 60 + 36 = 96 (A), Y 40 + 55 = 95 (B), P 30 (B),
    # Q 20 (C), R 10 (D)
    ent = pd.DataFrame(
        {
            "credit_code": list("XYPQR"),
            "name": ["甲", "乙", "丙", "丁", "戊"],
            "above_scale": True,
            "land_area_mu": 10.0,
            "tax_wan": [12.0, 8.0, 3.0, 2.0, 1.0],
            "value_added_wan": [7.2, 11.0, 3.0, 2.0, 1.0],
        }
    )
    assert classify(ent, ev, AS_OF)["class"].tolist() == ["A", "B", "B", "C", "D"]
    out = sensitivity(ent, ev, AS_OF)
    assert list(out.columns) == [
        "credit_code",
        "name",
        "scenario",
        "parameter",
        "delta",
        "class_before",
        "class_after",
    ]
    got = {
        (r.credit_code, r.parameter, round(r.delta, 6), r.class_before, r.class_after)
        for r in out.itertuples()
    }
    tax = "evaluation.weights.above_scale.tax_per_mu"
    va = "evaluation.weights.above_scale.value_added_per_mu"
    assert got == {
        # tax weight 40: X 48 + 36 = 84, Y 32 + 55 = 87
        ("X", tax, -10.0, "A", "B"),
        ("Y", tax, -10.0, "B", "A"),
        # VA weight 60: X 60 + 43.2 = 103.2, Y 40 + 66 = 106
        ("X", va, 10.0, "A", "B"),
        ("Y", va, 10.0, "B", "A"),
        # A share 0.15: rank 1 of 5 (p 0.2) is B
        ("X", "evaluation.class_shares[0]", -0.05, "A", "B"),
        # B share 0.55: rank 3 (p 0.6) is C
        ("P", "evaluation.class_shares[1]", -0.05, "B", "C"),
        # C share 1.00: rank 5 (p 1.0) is C
        ("R", "evaluation.class_shares[2]", 0.05, "D", "C"),
    }
    scenarios = set(out["scenario"])
    assert "规上权重 亩均税收 -10(50→40)" in scenarios
    assert "规上权重 亩均增加值 +10(50→60)" in scenarios
    assert "A类比例 -5个百分点(20%→15%)" in scenarios
    assert out.loc[out["credit_code"] == "X", "name"].iloc[0] == "甲"


def test_sensitivity_weight_floor() -> None:
    # a weight of 5 moves down to 0 (delta -5), not to -5
    ev = _ev(
        weights_above_scale={"tax_per_mu": 5.0, "value_added_per_mu": 50.0},
        fixed_benchmarks={"tax_per_mu": 10.0, "value_added_per_mu": 10.0},
        class_shares=(0.20, 0.22, 0.95),
    )
    # score = 0.5 x tax/亩 + 5 x VA/亩: a 1 + 25 = 26, c 0.5 + 24.75 = 25.25, b 0 + 25 = 25;
    # n = 10, A = rank <= 2: a, c are A, b is C.  Tax weight 0: a 25, c 24.75, b 25.
    ent = pd.DataFrame(
        {
            "credit_code": ["a", "b", "c"] + [f"z{i}" for i in range(7)],
            "name": "n",
            "above_scale": True,
            "land_area_mu": 10.0,
            "tax_wan": [20.0, 0.0, 10.0] + [1.0] * 7,
            "value_added_wan": [50.0, 50.0, 49.5] + [1.0] * 7,
        }
    )
    assert classify(ent, ev, AS_OF)["class"].tolist()[:3] == ["A", "C", "A"]
    out = sensitivity(ent, ev, AS_OF)
    floor = out[out["parameter"] == "evaluation.weights.above_scale.tax_per_mu"]
    assert floor["delta"].tolist() == [-5.0, -5.0]
    assert floor["credit_code"].tolist() == ["b", "c"]
    assert floor["class_after"].tolist() == ["A", "C"]
    assert floor["scenario"].iloc[0] == "规上权重 亩均税收 -5(5→0)"


def test_sensitivity_scenarios_keep_shares_ordered() -> None:
    ev = _ev(
        weights_above_scale={"tax_per_mu": 0.0},
        weights_below_scale={},
        weights_small={},
        class_shares=(0.20, 0.22, 0.97),
    )
    moves = {(p, round(d, 6)) for _, p, d, _ in _scenarios(ev, 10.0, 0.05)}
    assert moves == {
        ("evaluation.weights.above_scale.tax_per_mu", 10.0),  # 0 cannot move down
        ("evaluation.class_shares[0]", 0.02),  # A stops at B's 0.22
        ("evaluation.class_shares[0]", -0.05),
        ("evaluation.class_shares[1]", 0.05),
        ("evaluation.class_shares[1]", -0.02),  # B stops at A's 0.20
        ("evaluation.class_shares[2]", 0.03),  # C stops at 1
        ("evaluation.class_shares[2]", -0.05),
    }
    changed = {p: r for _, p, d, r in _scenarios(ev, 10.0, 0.05) if d > 0}
    assert changed["evaluation.class_shares[0]"].class_shares == (0.22, 0.22, 0.97)
    assert changed["evaluation.weights.above_scale.tax_per_mu"].weights_above_scale == {
        "tax_per_mu": 10.0
    }
    assert ev.class_shares == (0.20, 0.22, 0.97)  # the rules passed in are untouched


# --------------------------------------------------------------------------- years


def test_class_changes_per_year() -> None:
    ev = _tax_only(fixed_benchmarks={"tax_per_mu": 10.0})
    y23 = _firms([5.0, 4.0, 3.0, 2.0, 1.0], year=2023)  # F000..F004: A B B C D
    y23["credit_code"] = list("QPRSU")
    y24 = _firms([5.0, 6.0, 3.0, 2.0, 1.0, 0.5], year=2024)  # n = 6: A B B C C D
    y24["credit_code"] = list("QPRSUN")
    rows = pd.concat([y23, y24], ignore_index=True)
    rows.index = rows.index + 100
    out = class_changes(rows, ev)
    assert list(out.index) == list(rows.index)
    got = out.set_index(["credit_code", "year"])
    assert got.loc[("P", 2023), "class"] == "B"
    assert got.loc[("P", 2024), "class"] == "A"
    assert got.loc[("P", 2024), "class_change"] == "B→A"
    assert got.loc[("P", 2024), "class_before"] == "B"
    assert got.loc[("Q", 2024), "class_change"] == "A→B"
    assert got.loc[("R", 2024), "class_change"] == ""  # B both years
    assert got.loc[("U", 2024), "class_change"] == "D→C"
    assert got.loc[("N", 2024), "class_before"] == "" and got.loc[("N", 2024), "class_change"] == ""
    assert (got.xs(2023, level="year")["class_change"] == "").all()


def test_class_changes_as_of_per_year_and_duplicates() -> None:
    # production from 2022-06-30: young at 2023-12-31 (T), rated at 2024-12-31
    rows = pd.concat(
        [
            _firms([1.0, 2.0], year=2023, production_start_date=pd.Timestamp("2022-06-30")),
            _firms([1.0, 2.0], year=2024, production_start_date=pd.Timestamp("2022-06-30")),
        ],
        ignore_index=True,
    )
    out = class_changes(rows, _tax_only())
    assert out["class"].tolist() == ["T", "T", "D", "B"]
    assert out["class_change"].tolist() == ["", "", "T→D", "T→B"]
    later = class_changes(rows, _tax_only(), {2023: date(2024, 6, 30), 2024: date(2024, 12, 31)})
    assert later["class"].tolist() == ["D", "B", "D", "B"]
    assert later["class_change"].tolist() == ["", "", "", ""]
    same = class_changes(rows, _tax_only(), date(2030, 1, 1))  # one date for every year
    assert same["class"].tolist() == ["D", "B", "D", "B"]
    with pytest.raises(DataError, match="同一企业同一年度有多行"):
        class_changes(pd.concat([rows, rows.iloc[:1]]), _tax_only())


def test_class_changes_reuses_a_classified_year_only_for_the_same_firms() -> None:
    ev = _tax_only(fixed_benchmarks={"tax_per_mu": 10.0})
    y23 = _firms([5.0, 4.0, 3.0, 2.0, 1.0], year=2023)  # A B B C D
    y24 = _firms([1.0, 2.0, 3.0, 4.0, 5.0], year=2024)  # D C B B A
    rows = pd.concat([y23, y24], ignore_index=True)
    # a stand-in for 2024 holding other classes: used only when its codes match in order
    stand_in = y24[["credit_code"]].assign(score=0.0, klass="X", class_reason="reused")
    stand_in = stand_in.rename(columns={"klass": "class"})
    out = class_changes(rows, ev, classified={2024: stand_in})
    assert out["class"].tolist() == ["A", "B", "B", "C", "D", "X", "X", "X", "X", "X"]
    assert out["class_change"].tolist()[5:] == ["A→X", "B→X", "B→X", "C→X", "D→X"]
    shuffled = stand_in.iloc[::-1]
    again = class_changes(rows, ev, classified={2024: shuffled})
    assert again["class"].tolist()[5:] == ["D", "C", "B", "B", "A"]  # classified afresh
    assert again["class_change"].tolist()[5:] == ["A→D", "B→C", "", "C→B", "D→A"]


#: Column -> typical size, for random figures.
_SCALES = {"tax_wan": 50.0, "value_added_wan": 400.0, "output_wan": 2000.0, "revenue_wan": 2500.0,
           "energy_tce": 300.0, "employees": 80.0, "electricity_kwh": 2e6, "rd_wan": 40.0,
           "emission_t": 10.0}  # fmt: skip


def _mixed_years(seed: int = 7) -> pd.DataFrame:
    """Four years of 60 firms in all three groups, with gaps, refunds, zero land, exempt and
    young firms, and start dates written as text in another format each year."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, year in enumerate((2021, 2022, 2023, 2024)):
        n = 60
        start = pd.to_datetime("2015-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), "D")
        fmt = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d")[k]
        f = pd.DataFrame(
            {
                "credit_code": [f"C{i:03d}" for i in range(n)],
                "name": [f"企业{i}" for i in range(n)],
                "year": year,
                "above_scale": pd.Series(rng.integers(0, 3, n)).map({0: True, 1: False}),
                "sf_tenant": rng.random(n) < 0.2,
                "exempt": rng.random(n) < 0.05,
                "production_start_date": [d.strftime(fmt) for d in start],
                "land_area_mu": rng.choice([0.0, 1.0, 2.5, 4.0, 12.0, 30.0], n),
                "occupied_floor_m2": rng.choice([0.0, 500.0, 1200.0, 8000.0], n),
            }
        )
        for col, scale in _SCALES.items():
            v = rng.random(n) * scale
            v[rng.random(n) < 0.1] = np.nan
            f[col] = v
        f.loc[rng.random(n) < 0.05, "tax_wan"] *= -1
        frames.append(f.sample(frac=1.0, random_state=k))
    rows = pd.concat(frames, ignore_index=True)
    no_year = rows.index[::37]  # rows without a year: left out
    rows.loc[no_year, "year"] = np.nan
    rows.loc[no_year, "credit_code"] = [f"N{i:03d}" for i in range(len(no_year))]
    rows.index = rows.index * 2 + 5
    return rows


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"benchmark": "median", "min_group_size": 3},
        {"missing_indicator": {"tax_per_mu": "group_mean", "rd_ratio": "group_mean"}},
        {"fixed_benchmarks": {"tax_per_mu": 2.0}, "min_group_size": 5},
    ],
)
def test_class_changes_all_years_at_once_equal_each_year_apart(changes: dict[str, Any]) -> None:
    ev = dataclasses.replace(load_rules().evaluation, **changes)
    rows = _mixed_years()
    as_of = {2021: date(2021, 12, 31), 2022: date(2022, 6, 30), 2023: date(2023, 12, 31),
             2024: date(2025, 3, 1)}  # fmt: skip
    out = class_changes(rows, ev, as_of)
    for year in sorted(rows["year"].dropna().unique()):
        part = rows[rows["year"] == year]
        alone = classify(part, ev, as_of[int(year)])
        got = out.loc[part.index]
        pd.testing.assert_series_equal(got["score"], alone["score"], check_names=False)
        pd.testing.assert_series_equal(got["class"], alone["class"], check_names=False)
        pd.testing.assert_series_equal(
            got["class_reason"], alone["class_reason"], check_names=False
        )
    assert out.loc[rows["year"].isna(), "class"].isna().all()
    assert set(out["class"].dropna()) >= {"A", "B", "C", "D", "T"}


def test_no_annual_data_is_empty_not_t() -> None:
    # rules.md §8: a firm with no tax, output or value added at all has no class (not T);
    # a reported 0 is data and is rated.
    ent = pd.DataFrame(
        {
            "credit_code": ["a", "b", "c"],
            "name": ["甲", "乙", "丙"],
            "above_scale": True,
            "land_area_mu": 10.0,
            "tax_wan": [np.nan, 5.0, 0.0],
            "output_wan": [np.nan, 100.0, np.nan],
            "production_start_date": pd.to_datetime([None, None, "2020-01-01"]),
        }
    )
    out = classify(ent, _tax_only(), AS_OF)
    assert out["class"].iloc[0] is None
    assert out["class_reason"].iloc[0] == "缺少年度数据(产值、税收和增加值均未填报)"
    assert np.isnan(out["score"].iloc[0])
    assert out["class"].iloc[1] in {"A", "B", "C", "D"}  # producing, date unknown: rated
    assert out["class"].iloc[2] == "D"  # produced nothing but reported 0: rated, scores 0


# --------------------------------------------------------------------------- revision 2 (§8)


def test_three_groups_and_small_rated_on_floor_area() -> None:
    # every standard-factory tenant (规上 or not) and every 规下 firm under 3 亩 is small;
    # 规下 ≥ 3 亩 below_scale; other 规上 above_scale
    ent = pd.DataFrame(
        {
            "credit_code": list("abcdef"),
            "name": list("abcdef"),
            "above_scale": [True, True, False, False, False, False],
            "sf_tenant": [False, True, False, False, True, True],
            "land_area_mu": [20.0, 1.0, 3.0, 2.0, 10.0, 0.5],
            # small: tax 5, 10, 10, 10 万元 on 800, 1000, 2000, 500 m² -> 62.5, 100, 50, 200 元/m²
            "occupied_floor_m2": [20000.0, 800.0, 4000.0, 1000.0, 2000.0, 500.0],
            "tax_wan": [200.0, 5.0, 30.0, 10.0, 10.0, 10.0],
        }
    )
    out = classify(ent, _ev(), date(2025, 12, 31)).set_index("credit_code")
    assert out["eval_group"].tolist() == [
        "above_scale", "small", "below_scale", "small", "small", "small",
    ]  # fmt: skip
    small = out[out["eval_group"] == "small"]
    assert small["tax_per_floor_m2"].tolist() == [62.5, 100.0, 50.0, 200.0]
    # benchmark = mean 412.5 / 4; score = min(v / bench, 1.5) x 100
    bench = 412.5 / 4
    assert small["benchmark_tax_per_floor_m2"].tolist() == pytest.approx([bench] * 4)
    assert small["score"].tolist() == pytest.approx(
        [62.5 / bench * 100, 100 / bench * 100, 50 / bench * 100, 150.0]
    )
    assert small["rank_in_group"].tolist() == [3, 2, 4, 1]
    assert small["n_in_group"].tolist() == [4, 4, 4, 4]
    # the small group ranks on its own: its best firm is ranked 1 whatever the others do
    assert out.loc["f", "class_reason"].startswith("小微组第1名/共4家")


def test_min_group_size_leaves_small_groups_unclassed() -> None:
    ev = _tax_only(min_group_size=5)
    four = _firms([4.0, 3.0, 2.0, 1.0], above=True, prefix="U")
    five = _firms([5.0, 4.0, 3.0, 2.0, 1.0], above=False, prefix="L")
    out = classify(pd.concat([four, five], ignore_index=True), ev, AS_OF)
    assert out["class"].tolist()[:4] == [None] * 4
    assert out.loc[0, "class_reason"] == "规上组参评企业不足5家(4家)，不分类"
    assert out["score"].iloc[:4].notna().all()  # scored, only not classed
    assert out["class"].tolist()[4:] == ["A", "B", "B", "C", "D"]


def test_missing_indicator_group_mean() -> None:
    # energy missing for firm c: it scores the group's mean energy score (黄岩 2022), while a
    # missing value added would score 0.
    ev = _ev(
        weights_above_scale={"tax_per_mu": 50.0, "value_added_per_energy": 50.0},
        fixed_benchmarks={"tax_per_mu": 1.0, "value_added_per_energy": 1.0},
    )
    ent = _firms(
        [1.0, 1.0, 1.0],
        value_added_wan=[100.0, 100.0, 100.0],
        energy_tce=[100.0, 200.0, np.nan],  # VA per tce 1.0 and 0.5 -> scores 50 and 25
    )
    out = classify(ent, ev, AS_OF)
    assert out["score_value_added_per_energy"].tolist() == [50.0, 25.0, 37.5]
    assert out["missing_indicators"].tolist() == ["", "", "value_added_per_energy"]
    assert "缺少数据按组内平均分计：单位能耗增加值" in out.loc[2, "class_reason"]
    zero = classify(ent, _ev(**{**dataclasses.asdict(ev), "missing_indicator": {}}), AS_OF)
    assert zero["score_value_added_per_energy"].tolist() == [50.0, 25.0, 0.0]


def test_no_land_gives_empty_class_not_zero() -> None:
    ent = _firms([2.0, 3.0], land_area_mu=[10.0, np.nan])
    out = classify(ent, _tax_only(), AS_OF)
    assert out["class"].tolist()[1] is None
    assert out.loc[1, "class_reason"] == "缺少用地数据，无法计算亩均指标"
    assert out.loc[0, "n_in_group"] == 1  # the firm without land is not counted as rated


# --------------------------------------------------------------------------- text fast paths


@pytest.mark.parametrize(
    "rows",
    [
        [("a", "b", "c"), ("", "b", ""), (None, "", "c"), ("", "", ""), (None, None, None)],
        [("甲；乙", "丙", ""), ("；", "", "；"), (" ", "", " ")],  # the separator, blanks
        [("only", "", "")],
        [],
    ],
)
def test_join_is_the_plain_join(rows: list[tuple[str | None, ...]]) -> None:
    """The Arrow join gives, row by row, the non-empty texts joined by the separator."""
    from lcgis.engine.evaluate import _join

    parts = [pd.Series([r[k] for r in rows], dtype="str", index=range(5, 5 + len(rows)))
             for k in range(3)]  # fmt: skip
    got = _join(parts, "；")
    expected = ["；".join(t for t in r if t) for r in rows]
    assert got.tolist() == expected
    assert str(got.dtype) == "str" and list(got.index) == list(parts[0].index)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([1.5, -0.0, 0.0, 1.5, np.nan, np.inf, -np.inf, 1e16, 1e-7, 2.0]),
        pd.Series([], dtype="float64"),
        pd.Series(
            pd.to_datetime(["2020-01-01 00:00", None, "2020-01-01 00:00", "1999-12-31 13:00"])
        ),
        pd.Series(["x", None, "x"], dtype=object),
    ],
)
def test_per_value_is_element_wise(values: pd.Series) -> None:
    """A conversion worked out once per distinct value equals the conversion of every row."""
    from lcgis.engine.evaluate import _per_value, _round_text

    def text(v: pd.Series) -> pd.Series:
        return v.astype("str") if v.dtype.kind != "M" else v.dt.strftime("%Y-%m-%d")

    got = _per_value(values.set_axis(range(3, 3 + len(values))), text)
    expected = text(values).astype("str")
    pd.testing.assert_series_equal(got, expected.set_axis(got.index))
    if values.dtype == "float64":
        rounded = values.round(1).astype("str").str.replace(r"\.0$", "", regex=True)
        pd.testing.assert_series_equal(_round_text(values, 1), rounded)


def test_distinct_rows_stand_for_their_rows() -> None:
    """Each row has the masks of its combination's row; the combinations are distinct."""
    from lcgis.engine.evaluate import _distinct_rows

    rng = np.random.default_rng(7)
    masks = [rng.random(500) < share for share in (0.5, 0.1, 0.0, 1.0, 0.02)]
    first, combination = _distinct_rows(masks, 500)
    table = np.column_stack(masks)
    assert (table[first][combination] == table).all()
    assert len({tuple(row) for row in table[first]}) == len(first)
    empty_first, empty_combination = _distinct_rows([], 3)
    assert empty_first.tolist() == [0] and empty_combination.tolist() == [0, 0, 0]
    assert _distinct_rows([np.array([], dtype=bool)], 0)[0].tolist() == []


def test_notes_of_missing_and_bad_indicators_per_firm() -> None:
    """Firms with different gaps get each their own notes and missing codes."""
    ev = _ev(weights_above_scale={"tax_per_mu": 60.0, "value_added_per_mu": 40.0})
    ent = pd.DataFrame(
        {
            "credit_code": list("abcd"),
            "above_scale": True,
            "land_area_mu": 10.0,
            "tax_wan": [50.0, None, 30.0, None],
            "value_added_wan": [None, 40.0, 30.0, None],
            "output_wan": 1.0,
        }
    )
    out = classify(ent, ev, AS_OF)
    assert out["missing_indicators"].tolist() == [
        "value_added_per_mu", "tax_per_mu", "", "tax_per_mu;value_added_per_mu",
    ]  # fmt: skip
    assert out["notes"].str.startswith("缺少数据").tolist() == [True, True, False, True]
    assert out["notes"][0] != out["notes"][1]


def test_concat_is_plus() -> None:
    """One Arrow pass gives what a chain of + gives, missing wherever a part is missing."""
    from lcgis.engine.evaluate import _concat

    a = pd.Series(["规上", None, "", "小微", "x"], dtype="str", index=list("vwxyz"))
    b = pd.Series(["1", "2", None, "", "；"], dtype="str", index=list("vwxyz"))
    expected = a + "组第" + b + "名" + a
    pd.testing.assert_series_equal(_concat(a, "组第", b, "名", a), expected)
    assert _concat(a.iloc[:0], "x").tolist() == []


def test_change_per_pair_is_row_wise() -> None:
    """Every pair of classes (known or '') gives the change text of the row-wise rule."""
    from lcgis.engine.evaluate import _change

    classes = ["A", "B", "C", "D", "T", ""]
    pairs = [(b, n) for b in classes for n in classes] * 2
    before = pd.Series([b for b, _ in pairs], dtype="str", index=range(10, 10 + len(pairs)))
    now = pd.Series([n for _, n in pairs], dtype=object, index=before.index)
    expected = (before + "→" + now).where((before != "") & (now != "") & (before != now), "")
    pd.testing.assert_series_equal(_change(before, now), expected)
    assert _change(before.iloc[:0], now.iloc[:0]).tolist() == []


def test_reason_built_per_kind_of_firm_is_the_reason_of_every_row() -> None:
    """The reasons built on the ranked, too-small-group and unrated firms apart, then laid
    out, are the texts built on every row and chosen row by row."""
    from lcgis.engine import evaluate as ev

    starts = ["2010-01-01", None, "2025-06-01"] + ["2015-01-01"] * 7
    ent = pd.DataFrame(
        {
            "above_scale": [True, True, True, False, False, None, True, False, True, False],
            "land_area_mu": [10.0, 20.0, 30.0, 40.0, 0.0, 12.0, 10.0, 50.0, np.nan, 1.0],
            "occupied_floor_m2": [9e3, 9e3, 9e3, 9e3, np.nan, 900.0, 9e3, 9e3, 9e3, 500.0],
            "tax_wan": [50.0, 40.0, 40.0, 30.0, 5.0, 8.0, np.nan, 20.0, 10.0, 3.0],
            "exempt": [False] * 7 + [True, False, False],
            "production_start_date": pd.to_datetime(starts),
        }
    )
    rules = _tax_only(min_group_size=2)
    g = ev._grade(ent, rules, date(2025, 12, 31))
    label = g.group.map(ev.GROUP_LABELS)
    rank = g.ranks.rank.astype("Int64").astype("str")
    n = g.ranks.n_in_group.astype("Int64").astype("str")
    share = ev._round_text(g.ranks.position * 100, 1)
    score = ev._per_value(g.score.round(1), lambda v: v.astype("str"))
    rated = ev._concat(label, "组第", rank, "名/共", n, "家(前", share, "%)，得分", score)
    small = ev._concat(label, "组参评企业不足2家(", n, "家)，不分类")
    unrated = ev._unrated_reason(g.group, g.scope, rules)
    expected = rated.where(g.ranks.enough, small).where(g.scope.rated, unrated)
    got = ev._reason(g.group, g.score, g.scope, g.ranks, rules)
    assert got.str.contains("不足2家").any() and got.str.contains("名/共").any()
    assert {"不参评", "缺少用地数据，无法计算亩均指标"} <= set(got)
    pd.testing.assert_series_equal(got, expected)
