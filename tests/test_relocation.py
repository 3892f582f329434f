"""Relocation planning: exact optimum against brute force, constraints, reasons, I/O, CLI.

Parcels are rectangles in EPSG:4549 (metres); a 100 m × 66.6667 m box is 10 亩.  The brute
force below is written independently of lcgis.plan.relocation / lcgis.plan.sites: its own free set,
its own adjacency (shapely pairwise), its own connected subsets (itertools + BFS), its own
values, and an exhaustive search over every assignment.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from lcgis.cli import main
from lcgis.data.schema import M2_PER_MU
from lcgis.data.validate import QualityReport
from lcgis.errors import DataError, RulesError
from lcgis.plan.before_after import NEW_CLASS, before_after
from lcgis.plan.movers import (
    check_movers,
    given_up_figures,
    industry_benchmarks,
    read_movers,
    read_parcel_ids,
)
from lcgis.plan.relocation import plan_parcels
from lcgis.plan.sites import adjacent_pairs, connected_sets
from lcgis.rules import RelocationRules, load_rules
from lcgis.vocab import RELOCATION_REASON_LABELS as REASONS

from .conftest import code, rect

if TYPE_CHECKING:
    from pathlib import Path

RULES = load_rules().relocation
LEADING = {"A": "39,40,38", "B": "18,19"}
H10 = 200 / 3  # metres: a 100 m wide box this high is 10 亩


# --- building instances ---------------------------------------------------------------------------


def parcel(pid: str, x: float, y: float, w: float, h: float, **kw: Any) -> dict[str, Any]:
    zone = kw.pop("zone", "A")
    row = {
        "parcel_id": pid,
        "geometry": rect(x, y, w, h),
        "zone_id": zone,
        "zone_name": f"{zone}片区",
        "zone_leading_industries": LEADING.get(zone),
        "idle": False,
        "undeveloped": False,
        "vacate_candidate": False,
        "tax_wan": np.nan,
        "output_wan": np.nan,
        "n_occupants": 0,
        "main_credit_code": None,
        "main_industry_code": None,
        "parcel_class": None,
    }
    row.update(kw)
    return row


def park(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Parcels as the evaluation leaves them: an idle parcel here is one to take back
    (disposition reclaim), a vacate candidate has disposition vacate (rules.md §8)."""
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=4549)
    gdf["land_area_mu"] = gdf.geometry.area / M2_PER_MU
    if "disposition" not in gdf:
        kinds = [gdf["idle"].astype(bool), gdf["vacate_candidate"].astype(bool)]
        gdf["disposition"] = pd.Series(np.select(kinds, ["reclaim", "vacate"], ""), dtype=object)
        gdf["disposition"] = gdf["disposition"].replace("", None)
    return gdf


def movers(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Movers through the input checks (canonical columns, types)."""
    base = {"name": "企业", "credit_code": None, "current_parcel_id": None}
    raw = pd.DataFrame([{**base, "name": f"企业{r['mover_id']}", **r} for r in rows])
    out, report = check_movers(raw, file="movers.csv")
    assert not report.has_errors, report.format()
    return out


def solve(p: gpd.GeoDataFrame, m: pd.DataFrame, rules: RelocationRules = RULES, **kw: Any):
    return plan_parcels(p, m, rules, **kw)


# --- the independent brute force ------------------------------------------------------------------


def brute_force(  # noqa: C901  (the independent oracle: plain loops on purpose)
    p: gpd.GeoDataFrame,
    m: pd.DataFrame,
    rules: RelocationRules,
    objective: str = "tax",
) -> tuple[float, list[Any]]:
    """Best objective over all assignments, and one best assignment (site tuple or None)."""
    money = {"tax": "tax_wan", "output": "output_wan"}[objective]
    rate_col = {"tax": "expected_tax_per_mu", "output": "expected_output_per_mu"}[objective]
    pid = list(p["parcel_id"])
    land = dict(zip(pid, p["land_area_mu"], strict=True))
    zone = dict(zip(pid, p["zone_id"], strict=True))
    lead = {r.zone_id: set(str(r.zone_leading_industries or "").split(",")) for r in p.itertuples()}
    figure = {i: (0.0 if pd.isna(v) else float(v)) for i, v in zip(pid, p[money], strict=True)}
    current = {str(c) for c in m["current_parcel_id"].dropna()}
    held = set(
        p.loc[p.get("in_construction", pd.Series(False, index=p.index)).eq(True), "parcel_id"]
    )
    free = [
        i
        for i, d, b in zip(pid, p["disposition"], p["undeveloped"], strict=True)
        if (
            (i not in held)
            and (
                (d == "reclaim" and rules.use_reclaim)
                or (d == "buyback" and rules.use_buyback)
                or (d == "vacate" and rules.use_vacate)
                or (b and rules.use_undeveloped)
            )
        )
        or i in current
    ]
    geom = dict(zip(pid, p.geometry, strict=True))

    def touching(a: str, b: str) -> bool:
        line = geom[a].boundary.intersection(geom[b].boundary)
        return zone[a] == zone[b] and line.length >= rules.min_shared_boundary_m

    def connected(group: tuple[str, ...]) -> bool:
        seen, todo = {group[0]}, [group[0]]
        while todo:
            a = todo.pop()
            for b in group:
                if b not in seen and touching(a, b):
                    seen.add(b)
                    todo.append(b)
        return len(seen) == len(group)

    # what in-park movers give up: here the whole current parcel (no allocation given)
    given_up = [figure[c] if isinstance(c, str) else 0.0 for c in m["current_parcel_id"]]
    displaced = {i: (0.0 if i in current else figure[i]) for i in free}
    options: list[list[tuple[tuple[str, ...], float]]] = []
    for k, row in m.reset_index(drop=True).iterrows():
        need, ind = float(row["need_mu"]), str(row["industry_code"])[:2]
        own = row["current_parcel_id"] if isinstance(row["current_parcel_id"], str) else None

        def fits(group: tuple[str, ...], need: float = need, ind: str = ind, own=own) -> bool:
            total = sum(land[g] for g in group)
            ok_zone = ind in lead[zone[group[0]]] or not rules.require_zone_industry
            lo, hi = need * (1 - rules.area_tolerance), need * (1 + rules.area_tolerance)
            return lo - 1e-9 <= total <= hi + 1e-9 and ok_zone and own not in group

        singles = [(g,) for g in free if fits((g,))]
        groups = list(singles)
        if not singles:
            for size in range(2, rules.max_site_parcels + 1):
                for g in itertools.combinations(free, size):
                    if len({zone[x] for x in g}) == 1 and connected(g) and fits(g):
                        groups.append(g)
        opts = []
        for g in groups:
            total = sum(land[x] for x in g)
            y = float(row[rate_col]) * total
            if ind not in lead[zone[g[0]]]:
                y *= 1 - rules.industry_mismatch_penalty_share
            disp = sum(displaced[x] for x in g) if rules.count_displaced else 0.0
            opts.append((g, y - disp - given_up[k]))
        options.append(opts)
    owner_of = {c: k for k, c in enumerate(m["current_parcel_id"]) if isinstance(c, str)}
    best, best_pick = 0.0, [None] * len(m)
    for pick in itertools.product(*[[None, *o] for o in options]):
        used: list[str] = [x for c in pick if c is not None for x in c[0]]
        if len(used) != len(set(used)):
            continue
        if any(x in owner_of and pick[owner_of[x]] is None for x in used):
            continue
        total = sum(c[1] for c in pick if c is not None)
        if total > best + 1e-7:
            best, best_pick = total, [None if c is None else c[0] for c in pick]
    return best, best_pick


def check_constraints(rp, p: gpd.GeoDataFrame, m: pd.DataFrame, rules: RelocationRules) -> None:
    """Every constraint of rules.md §7 holds in the plan."""
    t = rp.plan
    land = dict(zip(p["parcel_id"], p["land_area_mu"], strict=True))
    zone = dict(zip(p["parcel_id"], p["zone_id"], strict=True))
    lead = dict(zip(p["zone_id"], p["zone_leading_industries"], strict=True))
    free = set(rp.free["parcel_id"])
    placed = t["parcel_ids"].ne("")
    used = [x for s in t.loc[placed, "parcel_ids"] for x in s.split(";")]
    assert len(used) == len(set(used)), "a parcel given twice"
    assert set(used) <= free
    for _, row in t[placed].iterrows():
        site = row["parcel_ids"].split(";")
        total = sum(land[x] for x in site)
        assert row["land_mu"] == pytest.approx(total)
        need = row["need_mu"]
        assert need * (1 - rules.area_tolerance) - 1e-9 <= total
        assert total <= need * (1 + rules.area_tolerance) + 1e-9
        assert len({zone[x] for x in site}) == 1 and row["zone_id"] == zone[site[0]]
        matches = row["industry_code"][:2] in str(lead[zone[site[0]]]).split(",")
        assert bool(row["industry_match"]) == matches
        if rules.require_zone_industry:
            assert matches
        assert row["current_parcel_id"] not in site
        if len(site) > 1:  # touching along ≥ 1 m, checked pairwise
            g = p.set_index("parcel_id").geometry
            pairs = {
                (a, b)
                for a in site
                for b in site
                if a != b and g[a].boundary.intersection(g[b].boundary).length >= 1.0
            }
            assert _is_connected(site, pairs)
    moved = set(t.loc[placed, "current_parcel_id"]) - {""}
    for cur in set(m["current_parcel_id"].dropna()):
        if cur in used:
            assert cur in moved, "a linked parcel was given while its firm stays"
    assert t.loc[placed, "objective_wan"].sum() == pytest.approx(rp.objective_value_wan)
    assert t.loc[~placed, "reason"].isin(REASONS.values()).all()
    assert len(t) == len(m)  # nobody dropped


# --- geometry -------------------------------------------------------------------------------------


def test_adjacency_needs_a_shared_edge_of_one_metre() -> None:
    g = np.array(
        [
            rect(0, 0, 10, 10),
            rect(10, 0, 10, 10),  # shares a 10 m edge with 0
            rect(20, 10, 10, 10),  # touches 1 at a corner only
            rect(20, -9.5, 10, 10),  # shares 0.5 m of edge with 1
            rect(0, 10, 10, 10),  # shares 10 m with 0, a corner with 1
        ]
    )
    pairs = adjacent_pairs(g, 1.0)
    assert list(zip(pairs["i"], pairs["j"], strict=True)) == [(0, 1), (0, 4)]
    assert pairs["shared_m"].tolist() == pytest.approx([10.0, 10.0])
    assert len(adjacent_pairs(g, 0.4)) == 3  # the 0.5 m edge counts below 0.5 m


def test_connected_sets_are_connected_and_complete() -> None:
    edges = pd.DataFrame({"i": [0, 0, 1], "j": [1, 2, 3]})  # a star-ish tree
    sets = connected_sets(5, edges, 3)
    assert sets == [(0, 1), (0, 2), (1, 3), (0, 1, 2), (0, 1, 3)]
    links = {(a, b) for a, b in zip(edges["i"], edges["j"], strict=True)}
    links |= {(b, a) for a, b in links}
    brute = [
        c
        for k in (2, 3)
        for c in itertools.combinations(range(5), k)
        if _is_connected(list(c), links)
    ]
    assert sorted(sets) == sorted(brute)


def _is_connected(nodes: list[Any], links: set[tuple[Any, Any]]) -> bool:
    seen, todo = {nodes[0]}, [nodes[0]]
    while todo:
        a = todo.pop()
        for b in nodes:
            if b not in seen and ((a, b) in links or (b, a) in links):
                seen.add(b)
                todo.append(b)
    return len(seen) == len(nodes)


def test_corner_only_touching_parcels_are_not_merged() -> None:
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, idle=True),
            parcel("P2", 100, H10, 100, H10, idle=True),  # corner to P1
            parcel("P3", 300, 0, 100, H10, idle=True),
            parcel("P4", 400, 0, 100, H10, idle=True),  # shares 66.7 m with P3
        ]
    )
    m = movers(
        [{"mover_id": "M1", "need_mu": 20, "industry_code": "3911", "expected_tax_per_mu": 30}]
    )
    rp = solve(p, m)
    assert rp.plan.loc[0, "parcel_ids"] == "P3;P4"
    assert rp.plan.loc[0, "reason"].startswith("已安排(拼合2宗相邻地块)")
    assert rp.plan.geometry.iloc[0].area == pytest.approx(20 * M2_PER_MU)
    only_corner = p[p["parcel_id"].isin(["P1", "P2"])]
    rp = solve(only_corner, m)
    assert rp.plan.loc[0, "parcel_ids"] == "" and rp.plan.loc[0, "reason"] == REASONS["no_parcel"]


# --- exact optimum --------------------------------------------------------------------------------


def small_instance() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """4 movers × 5 free parcels; M4 needs 20 亩 that only P4+P5 together offer, P3 (5 亩)
    fits nobody, so M1–M3 share P1 and P2: one of them is outbid."""
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, idle=True),  # 10 亩
            parcel("P2", 150, 0, 100, H10 * 1.1, undeveloped=True),  # 11 亩
            parcel("P3", 300, 0, 100, H10 * 0.5, vacate_candidate=True, tax_wan=18.0),  # 5 亩
            parcel("P4", 500, 0, 100, H10 * 1.05, idle=True),  # 10.5 亩
            parcel("P5", 600, 0, 100, H10 * 0.95, idle=True),  # 9.5 亩, touches P4
        ]
    )
    m = movers(
        [
            {"mover_id": "M1", "need_mu": 10, "industry_code": "3911", "expected_tax_per_mu": 30},
            {"mover_id": "M2", "need_mu": 10, "industry_code": "4011", "expected_tax_per_mu": 25},
            {"mover_id": "M3", "need_mu": 9.5, "industry_code": "3821", "expected_tax_per_mu": 40},
            {"mover_id": "M4", "need_mu": 20, "industry_code": "3911", "expected_tax_per_mu": 20},
        ]
    )
    return p, m


def test_small_instance_equals_brute_force() -> None:
    p, m = small_instance()
    rp = solve(p, m)
    best, pick = brute_force(p, m, RULES)
    assert rp.optimal and rp.status == "已证明最优"
    assert rp.objective_value_wan == pytest.approx(best)
    assert rp.plan.set_index("mover_id").loc["M4", "parcel_ids"] == "P4;P5"
    check_constraints(rp, p, m, RULES)
    reasons = rp.plan.set_index("mover_id")["reason"]
    assert (reasons == REASONS["outbid"]).sum() == 1
    assert (rp.plan["parcel_ids"] != "").sum() == 3
    assert [";".join(c) if c else "" for c in pick].count("") == 1


def test_objective_output_equals_brute_force() -> None:
    p, m = small_instance()
    m["expected_output_per_mu"] = [900.0, 1200.0, 800.0, 1000.0]
    p["output_wan"] = p["tax_wan"] * 30
    rp = solve(p, m, objective="output")
    assert rp.objective_value_wan == pytest.approx(brute_force(p, m, RULES, "output")[0])
    assert rp.plan["expected_output_wan"].notna().sum() == 3


def random_instance(seed: int) -> tuple[gpd.GeoDataFrame, pd.DataFrame, RelocationRules]:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(6):  # a 3 × 2 grid of parcels of 5–15 亩, two zones
        x, y = (k % 3) * 100.0, (k // 3) * 100.0
        h = float(rng.uniform(0.5, 1.5)) * H10
        kind = rng.choice(["idle", "undeveloped", "vacate_candidate", "busy"])
        busy = kind in ("busy", "vacate_candidate")
        rows.append(
            parcel(
                f"P{k}",
                x,
                y,
                100,
                h,
                zone="A" if k % 3 < 2 else "B",
                **({kind: True} if kind != "busy" else {}),
                tax_wan=float(rng.uniform(5, 200)) if busy else np.nan,
                n_occupants=int(busy),
            )
        )
    p = park(rows)
    busy_ids = list(p.loc[p["n_occupants"] > 0, "parcel_id"])
    ms = []
    for j in range(int(rng.integers(3, 6))):
        size = float(p["land_area_mu"].iloc[int(rng.integers(6))])
        need = size * float(rng.uniform(0.9, 1.1)) * (2 if rng.random() < 0.2 else 1)
        row = {
            "mover_id": f"M{j}",
            "need_mu": round(need, 2),
            "industry_code": str(rng.choice(["3911", "4011", "1811", "2710"])),
            "expected_tax_per_mu": round(float(rng.uniform(5, 40)), 1),
        }
        if busy_ids and rng.random() < 0.35:
            row["current_parcel_id"] = busy_ids.pop(int(rng.integers(len(busy_ids))))
        ms.append(row)
    rules = replace(
        RULES,
        require_zone_industry=bool(rng.random() < 0.6),
        industry_mismatch_penalty_share=float(rng.choice([0.0, 0.3, 0.5])),
        area_tolerance=float(rng.choice([0.1, 0.2, 0.3])),
    )
    return p, movers(ms), rules


@pytest.mark.parametrize("seed", range(40))
def test_random_instances_optimal_and_feasible(seed: int) -> None:
    p, m, rules = random_instance(seed)
    rp = solve(p, m, rules)
    assert rp.optimal
    check_constraints(rp, p, m, rules)
    assert rp.objective_value_wan == pytest.approx(brute_force(p, m, rules)[0], abs=1e-6)
    if rules.industry_mismatch_penalty_share == 0:
        park_row = rp.before_after.query("zone_id == 'park' and figure == 'tax_wan'").iloc[0]
        assert park_row["change"] == pytest.approx(rp.objective_value_wan, abs=1e-6)


# --- in-park movers, penalties, reasons -----------------------------------------------------------


def test_in_park_mover_frees_its_parcel_for_another() -> None:
    """T1 sits on P1 (10 亩, 60 万元 now); P2 (12.5 亩) is idle.  N1 needs 10 亩: only P1
    fits.  Moving T1 to P2 alone loses 12.5×4 − 60 = −10, but frees P1 for N1 (+300)."""
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, tax_wan=60.0, n_occupants=1, main_credit_code="C1",
                   parcel_class="C"),
            parcel("P2", 200, 0, 100, H10 * 1.25, idle=True),  # 12.5 亩: too big for N1
        ]
    )  # fmt: skip
    m = movers(
        [
            {"mover_id": "T1", "need_mu": 11, "industry_code": "3911", "expected_tax_per_mu": 4,
             "current_parcel_id": "P1", "credit_code": "C1"},
            {"mover_id": "N1", "need_mu": 10, "industry_code": "4011", "expected_tax_per_mu": 30},
        ]
    )  # fmt: skip
    rp = solve(p, m)
    t = rp.plan.set_index("mover_id")
    assert t.loc["T1", "parcel_ids"] == "P2" and t.loc["N1", "parcel_ids"] == "P1"
    assert t.loc["T1", "given_up_tax_wan"] == pytest.approx(60.0)
    assert t.loc["T1", "net_tax_wan"] == pytest.approx(-10.0)
    assert "其他搬迁企业腾出" in t.loc["N1", "reason"]
    assert rp.objective_value_wan == pytest.approx(290.0)
    assert rp.objective_value_wan == pytest.approx(brute_force(p, m, RULES)[0])
    ba = rp.before_after.set_index(["zone_id", "figure"])
    assert ba.loc[("park", "tax_wan"), "change"] == pytest.approx(290.0)
    assert ba.loc[("park", "n_new"), "after"] == 2
    assert ba.loc[("park", "n_class_c"), "after"] == 0  # P1's class C left with T1
    # without N1 the losing move is not made, and P1 is not offered to anybody
    rp = solve(p, m.iloc[:1])
    assert rp.plan.loc[0, "parcel_ids"] == "" and rp.plan.loc[0, "reason"] == REASONS["not_worth"]
    assert rp.n_variables == 0


def test_linked_parcel_stays_closed_when_its_firm_does_not_move() -> None:
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, tax_wan=500.0, n_occupants=1),
            parcel("P2", 200, 0, 100, H10 * 1.25, idle=True),
        ]
    )
    m = movers(
        [
            {"mover_id": "T1", "need_mu": 11, "industry_code": "3911", "expected_tax_per_mu": 4,
             "current_parcel_id": "P1"},
            {"mover_id": "N1", "need_mu": 10, "industry_code": "4011", "expected_tax_per_mu": 30},
        ]
    )  # fmt: skip
    rp = solve(p, m)
    assert rp.plan["parcel_ids"].tolist() == ["", ""]
    assert rp.plan["reason"].tolist() == [REASONS["not_worth"], REASONS["not_freed"]]
    assert any(i.code == "mover_not_occupant" for i in rp.report.warnings)


def test_zone_industry_rule_and_mismatch_penalty() -> None:
    p = park(
        [
            parcel("PA", 0, 0, 100, H10, idle=True, zone="A"),  # leads 39, 40
            parcel("PB", 300, 0, 100, H10 * 1.1, idle=True, zone="B"),  # leads 18, 19
        ]
    )
    m = movers(
        [{"mover_id": "M1", "need_mu": 10, "industry_code": "2710", "expected_tax_per_mu": 30}]
    )
    rp = solve(p, m)
    assert rp.plan.loc[0, "reason"] == REASONS["no_zone"] and rp.n_variables == 0
    loose = replace(RULES, require_zone_industry=False, industry_mismatch_penalty_share=0.4)
    rp = solve(p, m, loose)
    row = rp.plan.iloc[0]
    assert row["parcel_ids"] == "PB"  # 11 亩 yields more; both are mismatches
    assert not row["industry_match"] and "罚减" in row["reason"]
    assert row["expected_tax_wan"] == pytest.approx(330.0)  # gross yield
    assert row["penalty_wan"] == pytest.approx(0.4 * 330.0)
    assert rp.objective_value_wan == pytest.approx(0.6 * 330.0)
    assert rp.objective_value_wan == pytest.approx(brute_force(p, m, loose)[0])
    # a matching site wins over a bigger mismatched one once the penalty bites
    m2 = movers(
        [{"mover_id": "M1", "need_mu": 10, "industry_code": "1811", "expected_tax_per_mu": 30}]
    )
    big = park(
        [
            parcel("PA", 0, 0, 100, H10 * 1.2, idle=True, zone="A"),
            parcel("PB", 300, 0, 100, H10 * 0.9, idle=True, zone="B"),
        ]
    )
    assert solve(big, m2, loose).plan.loc[0, "parcel_ids"] == "PB"  # 9×30 > 12×30×0.6
    free = replace(loose, industry_mismatch_penalty_share=0.0)
    assert solve(big, m2, free).plan.loc[0, "parcel_ids"] == "PA"


def test_unplaced_movers_are_reported_not_dropped() -> None:
    p, m = small_instance()
    extra = movers(
        [
            {"mover_id": "X1", "need_mu": 500, "industry_code": "3911", "expected_tax_per_mu": 9},
            {"mover_id": "X2", "need_mu": 10, "industry_code": "2710", "expected_tax_per_mu": 99},
        ]
    )
    m = pd.concat([m, extra], ignore_index=True)
    rp = solve(p, m)
    t = rp.plan.set_index("mover_id")
    assert len(t) == 6
    assert t.loc["X1", "reason"] == "没有面积合适的地块"
    assert t.loc["X2", "reason"] == "没有以该行业为主导产业的片区"
    assert t.loc[["X1", "X2"], "parcel_ids"].tolist() == ["", ""]
    assert t.loc[["X1", "X2"], "land_mu"].isna().all()
    assert "合适地块已分配给收益更高的企业" in set(t["reason"])


def test_free_land_switches_include_and_exclude() -> None:
    p, m = small_instance()
    no_vacate = replace(RULES, use_vacate=False)
    assert "P3" not in set(solve(p, m, no_vacate).free["parcel_id"])
    rp = solve(p, m, exclude=["P4"])
    assert "P4" not in set(rp.free["parcel_id"])
    assert rp.plan.set_index("mover_id").loc["M4", "reason"] == REASONS["no_parcel"]
    p.loc[p["parcel_id"] == "P1", "disposition"] = None
    assert "P1" not in set(solve(p, m).free["parcel_id"])
    rp = solve(p, m, include=["P1"])
    assert rp.free.set_index("parcel_id").loc["P1", "kinds_zh"] == "指定"


def test_displaced_occupants_count_unless_switched_off() -> None:
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, idle=True),
            parcel("P2", 200, 0, 100, H10, vacate_candidate=True, tax_wan=250.0, n_occupants=1),
        ]
    )
    m = movers(
        [{"mover_id": "M1", "need_mu": 10, "industry_code": "3911", "expected_tax_per_mu": 30}]
    )
    assert solve(p, m).plan.loc[0, "parcel_ids"] == "P1"  # 300 vs 300 − 250
    gross = replace(RULES, count_displaced=False)
    rp = solve(p, m, gross)
    assert rp.objective_value_wan == pytest.approx(300.0)


# --- figures of the movers ------------------------------------------------------------------------


def test_benchmark_used_for_missing_expected_figures() -> None:
    p = park(
        [
            parcel("P1", 0, 0, 100, H10, tax_wan=200.0, output_wan=6000.0, n_occupants=1,
                   main_industry_code="3911"),
            parcel("P2", 100, 0, 100, H10, tax_wan=100.0, output_wan=2000.0, n_occupants=1,
                   main_industry_code="4011"),
            parcel("P3", 300, 0, 100, H10, idle=True),
            parcel("P4", 0, 300, 100, H10, zone="B", tax_wan=50.0, n_occupants=1,
                   main_industry_code="1811"),
            parcel("P5", 300, 300, 100, H10 * 1.5, zone="B", idle=True),
        ]
    )  # fmt: skip
    m = movers(
        [
            {"mover_id": "M1", "need_mu": 10, "industry_code": "3911"},  # zone A, industry 39
            {"mover_id": "M2", "need_mu": 15, "industry_code": "1911"},  # zone B, no 19: zone
        ]
    )
    rp = solve(p, m)
    t = rp.plan.set_index("mover_id")
    assert t.loc["M1", "expected_tax_per_mu"] == pytest.approx(20.0)  # 200 / 10 亩
    assert t.loc["M1", "expected_output_per_mu"] == pytest.approx(600.0)
    assert t.loc["M1", "benchmark_used"] == "亩均产值、亩均税收：A片区·39行业基准"
    assert t.loc["M2", "expected_tax_per_mu"] == pytest.approx(5.0)  # zone B: 50 / 10 亩
    assert "B片区基准" in t.loc["M2", "benchmark_used"]
    b = industry_benchmarks(p)
    assert b.query("level == 'park'")["tax_per_mu"].iloc[0] == pytest.approx(350 / 30)


def test_given_up_is_the_firms_share_of_its_current_parcel() -> None:
    p = park([parcel("P1", 0, 0, 100, H10), parcel("P2", 100, 0, 100, H10 * 3)])
    alloc = pd.DataFrame(
        {"credit_code": ["C1", "C1"], "parcel_id": ["P1", "P2"], "alloc_land_m2": [1000.0, 3000.0]}
    )
    ent = pd.DataFrame({"credit_code": ["C1"], "tax_wan": [80.0], "output_wan": [2000.0]})
    m = movers(
        [{"mover_id": "T1", "need_mu": 5, "industry_code": "3911", "credit_code": "C1",
          "current_parcel_id": "P1"}]
    )  # fmt: skip
    report = QualityReport()
    gu = given_up_figures(m, p, alloc, ent, report)
    assert gu.loc[0, "given_up_tax_wan"] == pytest.approx(20.0)
    assert gu.loc[0, "given_up_output_wan"] == pytest.approx(500.0)
    assert not gu.loc[0, "whole_parcel"] and not report.issues


def test_before_after_classes_and_targets() -> None:
    p, m = small_instance()
    p.loc[p["parcel_id"] == "P1", ["parcel_class", "n_occupants"]] = ["D", 1]
    rules = replace(RULES, targets={"tax_per_mu": 20.0, "A": {"idle_undeveloped_mu": 0.0}})
    rp = solve(p, m, rules)
    ba = rp.before_after.set_index(["zone_id", "figure"])
    assert ba.loc[("park", "n_class_d"), "before"] == 1
    assert ba.loc[("park", "n_class_d"), "after"] == 0  # P1 is taken: 新入驻
    assert ba.loc[("park", "n_new"), "after"] == rp.plan["n_parcels"].sum() == 4
    tax = ba.loc[("park", "tax_per_mu")]
    assert tax["target"] == 20.0 and tax["to_target"] == pytest.approx(20.0 - tax["after"])
    idle = ba.loc[("A", "idle_undeveloped_mu")]
    assert idle["to_target"] == pytest.approx(idle["after"])  # lower is better
    assert np.isnan(ba.loc[("A", "tax_wan"), "target"])
    assert list(rp.before_after["zone_name"].unique()) == ["A片区", "全园"]
    again = before_after(p, rp.plan, given_up_figures(m, p, None, None, QualityReport()), {})
    assert again["after"].equals(rp.before_after["after"])
    assert NEW_CLASS == "新入驻"


def test_targets_in_rules_file_are_checked() -> None:
    r = load_rules(
        overrides={"relocation": {"targets": {"tax_per_mu": 25, "north": {"tax_wan": 9}}}}
    )
    assert r.relocation.targets == {"tax_per_mu": 25, "north": {"tax_wan": 9}}
    with pytest.raises(RulesError, match=r"relocation\.targets\.tax_per_m"):
        load_rules(overrides={"relocation": {"targets": {"tax_per_m": 25}}})
    assert load_rules().relocation.targets == {}  # no 十四五 figure found: none invented
    with pytest.raises(RulesError, match="area_tolerance"):
        p, m = small_instance()
        solve(p, m, replace(RULES, area_tolerance=1.5))


# --- input files ----------------------------------------------------------------------------------


def test_movers_file_chinese_aliases_gbk_and_xlsx(tmp_path: Path) -> None:
    raw = pd.DataFrame(
        {
            "搬迁企业编号": ["M1", "M2"],
            "企业名称": ["甲公司", "乙公司"],
            "统一社会信用代码": ["", code("91350502MA0000001")],
            "需求用地(亩)": ["12.5", "８"],
            "行业代码": ["3911", "1811"],
            "预期亩均产值": ["900", ""],
            "预期亩均税收": ["30", ""],
            "现用宗地编号": ["", "P2"],
        }
    )
    gbk = tmp_path / "movers.csv"
    gbk.write_bytes(raw.to_csv(index=False).encode("gbk"))
    m, report = read_movers(gbk, parcel_ids={"P1", "P2"})
    assert not report.issues
    assert m["name"].tolist() == ["甲公司", "乙公司"]
    assert m["need_mu"].tolist() == [12.5, 8.0]
    assert m["credit_code"].isna().tolist() == [True, False]
    assert np.isnan(m.loc[1, "expected_tax_per_mu"])
    xlsx = tmp_path / "movers.xlsx"
    raw.to_excel(xlsx, index=False)
    assert read_movers(xlsx)[0]["current_parcel_id"].tolist()[1] == "P2"


def test_movers_file_errors_name_file_row_field_and_fix(tmp_path: Path) -> None:
    f = tmp_path / "搬迁企业.csv"
    pd.DataFrame(
        {
            "mover_id": ["M1", "M1", "M3", "M4"],
            "name": ["甲", "乙", "", "丁"],
            "need_mu": ["10", "-2", "abc", ""],
            "industry_code": ["3911", "39a", "", "18"],
            "expected_tax_per_mu": ["-1", "", "", ""],
            "current_parcel_id": ["", "", "NOPE", ""],
        }
    ).to_csv(f, index=False, encoding="utf-8-sig")
    with pytest.raises(DataError) as exc:
        read_movers(f, parcel_ids={"P1"})
    text = exc.value.report.format()
    for part in (
        "搬迁企业.csv 第2、3行 字段 mover_id：搬迁企业编号重复",
        "第4行 字段 name：企业名称为空",
        "第3行 字段 need_mu：需求用地(亩)不大于0",
        "第4行 字段 need_mu：需求用地(亩)无法识别为数值",
        "第5行 字段 need_mu：需求用地(亩)为空",
        "第3行 字段 industry_code：行业代码不是 2–4 位数字",
        "第4行 字段 industry_code：行业代码为空",
        "第2行 字段 expected_tax_per_mu：预期亩均税收(万元/亩)为负数",
        "第4行 字段 current_parcel_id：现用宗地编号在宗地图层中不存在(如 NOPE)",
    ):
        assert part in text, part
    assert "处理：" in text
    f.write_text("编号,名称\nM1,甲\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_movers(f)
    assert "缺少必填字段 need_mu(需求用地(亩))" in exc.value.report.format()


def test_parcel_id_lists(tmp_path: Path) -> None:
    txt = tmp_path / "free.txt"
    txt.write_text("# 指定空闲地块\nP1\n\n P2 \nP1\n", encoding="utf-8")
    assert read_parcel_ids(txt, ["P1", "P2", "P3"]) == ["P1", "P2"]
    csv = tmp_path / "free.csv"
    pd.DataFrame({"宗地编号": ["P3"], "备注": ["x"]}).to_csv(csv, index=False)
    assert read_parcel_ids(csv, ["P3"]) == ["P3"]
    txt.write_text("P1\nP9\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_parcel_ids(txt, ["P1"], option="--free")
    assert "free.txt 第2行 字段 parcel_id：--free 指定的宗地编号在宗地图层中不存在(如 P9)" in (
        exc.value.report.format()
    )


# --- command line ---------------------------------------------------------------------------------

AS_OF = ["--as-of", "2026-11-28"]
#: The toy park's firms are alone in their groups: with groups of any size 甲 (rank 1 of 1)
#: is class D, so P1 (FAR 0.14 < 1.0) is a 腾笼换鸟 parcel.
ANY_GROUP = "[evaluation]\nmin_group_size = 1\n"


def any_group_rules(folder: Path) -> list[str]:
    f = folder / "any_group.toml"
    f.write_text(ANY_GROUP, encoding="utf-8")
    return ["--rules", str(f)]


def toy_movers(folder: Path) -> Path:
    f = folder / "movers.csv"
    pd.DataFrame(
        {
            "企业编号": ["M1", "M2", "M3"],
            "企业名称": ["迁入甲", "迁入乙", "迁入丙"],
            "需求用地(亩)": [14, 7, 10],
            "行业代码": ["3911", "4011", "1811"],
            "预期亩均税收": [30, 25, 40],
            "预期亩均产值": [900, 800, 1000],
            "remark": "示意数据",
        }
    ).to_csv(f, index=False, encoding="utf-8-sig")
    return f


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code_ = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code_, out, err


def test_cli_plan_xlsx(toy: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "plan.xlsx"
    code_, stdout, _ = run_cli(
        capsys, "plan", toy, "--movers", toy_movers(tmp_path), "--out", out, *AS_OF,
        *any_group_rules(tmp_path),
    )  # fmt: skip
    assert code_ == 0 and "已证明最优" in stdout and "已写出" in stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["搬迁方案", "前后对比"]
    ws = wb["搬迁方案"]
    headers = [c.value for c in ws[1]]
    assert headers[:5] == [
        "搬迁企业编号",
        "企业名称",
        "统一社会信用代码",
        "行业代码",
        "需求用地(亩)",
    ]
    assert {"安排宗地编号", "安排用地(亩)", "预期税收(万元)", "说明"} <= set(headers)
    assert ws.freeze_panes == "C2" and wb["前后对比"].freeze_panes == "A2"
    rows = {
        r[0]: dict(zip(headers, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    }
    assert rows["M1"]["安排宗地编号"] == "P1"  # P1 (15 亩) is a 腾笼换鸟 candidate
    assert rows["M1"]["预期税收(万元)"] == pytest.approx(450.0)
    assert rows["M2"]["说明"] == "没有面积合适的地块"
    assert rows["M3"]["说明"] == "没有以该行业为主导产业的片区"
    ba = [c.value for c in wb["前后对比"][1]]
    assert ba == ["片区", "指标", "搬迁前", "搬迁后", "变化", "规划目标", "距目标"]


def test_cli_plan_csv_gpkg_free_exclude_objective(toy: Path, tmp_path: Path, capsys) -> None:
    movers_f = toy_movers(tmp_path)
    free = tmp_path / "free.txt"
    free.write_text("P2\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    args = (
        "plan", toy, "--movers", movers_f, "--free", free, "--objective", "output", *AS_OF,
        *any_group_rules(tmp_path),
    )  # fmt: skip
    assert run_cli(capsys, *args, "--out", out)[0] == 0
    plan = pd.read_csv(out, encoding="utf-8-sig", dtype={"parcel_ids": str}).set_index("mover_id")
    assert plan.loc["M2", "parcel_ids"] == "P2"
    ba = pd.read_csv(tmp_path / "plan_before_after.csv", encoding="utf-8-sig")
    assert set(ba["zone_id"]) == {"north", "park"}
    gpkg = tmp_path / "plan.gpkg"
    exclude = tmp_path / "exclude.csv"
    pd.DataFrame({"parcel_id": ["P1"]}).to_csv(exclude, index=False)
    assert run_cli(capsys, *args, "--exclude", exclude, "--out", gpkg)[0] == 0
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"plan", "before_after"}
    g = gpd.read_file(gpkg, layer="plan").set_index("mover_id")
    assert g.crs.to_epsg() == 4549
    assert g.loc["M1", "reason"] == "没有面积合适的地块"  # P1 excluded
    assert g.loc["M2", "geometry"].area == pytest.approx(5000.0)


def test_cli_plan_exit_codes_and_nothing_written(toy: Path, tmp_path: Path, capsys) -> None:
    movers_f = toy_movers(tmp_path)
    out = tmp_path / "plan.xlsx"
    with pytest.raises(SystemExit) as exc:
        main(["plan", str(toy), "--out", str(out)])  # --movers missing
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["plan", str(toy), "--movers", str(movers_f), "--out", str(out), "--objective", "x"])
    assert exc.value.code == 2
    code_, _, err = run_cli(capsys, "plan", toy, "--movers", movers_f, "--out", tmp_path / "p.pdf")
    assert code_ == 2 and ".xlsx" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("mover_id,name,need_mu,industry_code\nM1,甲,-3,3911\n", encoding="utf-8")
    code_, _, err = run_cli(capsys, "plan", toy, "--movers", bad, "--out", out, *AS_OF)
    assert code_ == 1 and "bad.csv 第2行 字段 need_mu" in err and "Traceback" not in err
    free = tmp_path / "free.txt"
    free.write_text("P9\n", encoding="utf-8")
    code_, _, err = run_cli(capsys, "plan", toy, "--movers", movers_f, "--free", free, "--out", out)
    assert code_ == 1 and "P9" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.csv",
        "free.txt",
        "movers.csv",
        "toy",
    ]


def test_plan_on_a_pipeline_result_for_screens(toy: Path) -> None:
    from lcgis.data.io import read_dataset
    from lcgis.engine.pipeline import run
    from lcgis.plan.relocation import plan

    rules = load_rules(overrides={"evaluation": {"min_group_size": 1}})
    result = run(read_dataset(toy), rules, as_of=pd.Timestamp("2026-11-28").date())
    raw = pd.DataFrame(  # as a screen's data editor would give it: Chinese headers, text
        {"企业编号": ["M1"], "企业名称": ["甲"], "需求用地(亩)": ["14"], "行业代码": ["3911"],
         "预期亩均税收": ["30"]}
    )  # fmt: skip
    stages: list[tuple[str, float]] = []
    rp = plan(result, raw, progress=lambda name, share: stages.append((name, share)))
    assert stages[0][1] == 0.0 and stages[-1] == ("完成", 1.0)
    row = rp.plan.iloc[0]
    assert row["parcel_ids"] == "P1"  # the 腾笼换鸟 candidate
    assert row["expected_tax_wan"] == pytest.approx(450.0)
    assert row["displaced_tax_wan"] == pytest.approx(150.0)  # 甲 makes way
    assert row["expected_output_per_mu"] == pytest.approx(200.0)  # P1: 3000 / 15 亩
    assert row["benchmark_used"] == "亩均产值：北片区·39行业基准"
    # at the benchmark of the firm it would displace, moving in gains nothing
    same = plan(result, raw.drop(columns="预期亩均税收")).plan.iloc[0]
    assert same["reason"] == REASONS["not_worth"]
    assert plan(result, raw, use_vacate=False).plan.loc[0, "reason"] == REASONS["no_parcel"]
    with pytest.raises(DataError) as exc:
        plan(result, raw.assign(现用宗地编号=["P9"]))
    assert "现用宗地编号在宗地图层中不存在" in exc.value.report.format()


def test_free_land_follows_dispositions_never_construction_or_fee_stage() -> None:
    """rules.md §8: only 无偿收回, 收储改造, 腾笼换鸟 and truly free land are offered; a parcel in
    construction or held by a rights holder in the idle-fee stage only when added by hand."""
    p = park(
        [
            parcel("R", 0, 0, 100, H10, disposition="reclaim"),
            parcel("B", 200, 0, 100, H10, disposition="buyback", n_occupants=1, tax_wan=20.0),
            parcel("V", 400, 0, 100, H10, disposition="vacate", n_occupants=1, tax_wan=20.0),
            parcel("U", 600, 0, 100, H10, undeveloped=True),  # never granted, nobody on it
            parcel("G", 800, 0, 100, H10, undeveloped=True, land_user="某公司"),  # granted
            parcel("C", 1000, 0, 100, H10, undeveloped=True, in_construction=True),
            parcel("F", 1200, 0, 100, H10, disposition="vacate", idle=True, idle_action="fee"),
            parcel("D", 1400, 0, 100, H10, disposition="densify", n_occupants=1, tax_wan=90.0),
        ]
    )
    m = movers(
        [{"mover_id": "M1", "need_mu": 10, "industry_code": "3911", "expected_tax_per_mu": 30}]
    )
    free = solve(p, m).free.set_index("parcel_id")
    assert sorted(free.index) == ["B", "R", "U", "V"]
    assert free.loc["B", "kinds_zh"] == "收储改造" and free.loc["U", "kinds_zh"] == "未出让空地"
    # by hand: in construction and in the fee stage can still be offered
    added = solve(p, m, include=["C", "F"]).free.set_index("parcel_id")
    assert {"C", "F"} <= set(added.index) and added.loc["C", "kinds_zh"] == "指定"
    no_buyback = replace(RULES, use_buyback=False)
    assert "B" not in set(solve(p, m, no_buyback).free["parcel_id"])


def test_zone_fit_constraint_goes_through_the_shared_zone_fit_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import lcgis.plan.relocation as relocation
    from lcgis.data import industry

    seen: list[list[object]] = []

    def spy(codes: pd.Series, leading: list[object]) -> np.ndarray:
        seen.append(list(leading))
        return industry.fit_matrix(codes, leading)

    monkeypatch.setattr(relocation, "fit_matrix", spy)
    # zone B's list written with a full-width semicolon: 18 and 19 (the shared parser's)
    both = [
        parcel("PA", 0, 0, 100, H10, idle=True, zone="A"),  # leads 39, 40, 38
        parcel("PB", 300, 0, 100, H10, idle=True, zone="B", zone_leading_industries="18；19"),
    ]
    m = movers(
        [
            {"mover_id": "M1", "need_mu": 10, "industry_code": "1811", "expected_tax_per_mu": 30},
            {"mover_id": "M2", "need_mu": 10, "industry_code": "3911", "expected_tax_per_mu": 20},
        ]
    )
    rp = solve(park(both), m)
    assert seen == [["39,40,38", "18；19"]]
    assert rp.plan["parcel_ids"].tolist() == ["PB", "PA"]
    assert rp.plan["industry_match"].tolist() == [True, True]
    # the 18 mover does not fit zone A: with only PA free it is not placed
    only_a = solve(park(both[:1]), m.iloc[:1].reset_index(drop=True))
    assert only_a.plan["parcel_ids"].tolist() == [""]
    assert only_a.plan.loc[0, "reason"] == REASONS["no_zone"]


def test_the_time_estimate_follows_the_measured_model() -> None:
    from lcgis.plan import solver

    assert solver.estimate_seconds(1000, 3000) == pytest.approx(0.2 + 1.15 * 3.0**1.5)
    assert solver.estimate_seconds(0, 3000) == pytest.approx(0.2)
    assert solver.estimate_seconds(2000, 3000) > solver.estimate_seconds(1000, 3000)


@pytest.mark.parametrize("seed", range(6))
def test_the_pruned_solve_finds_the_optimum_of_the_whole_programme(seed: int) -> None:
    """Random packing programmes with overlapping sets: the LP-pruned solve reaches the value
    that scipy's milp (HiGHS over every variable, no pruning) proves optimal."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    from lcgis.plan import solver

    rng = np.random.default_rng(seed)
    n, m = 300, 60
    a = sparse.random(m, n, density=0.05, random_state=seed, data_rvs=np.ones).tocsc()
    v = rng.uniform(-1, 10, n).round(2)
    b = np.ones(m)
    rows = LinearConstraint(a, -np.inf, b)
    exact = {"mip_rel_gap": 0.0}
    want = milp(-v, integrality=np.ones(n), bounds=Bounds(0, 1), constraints=rows, options=exact)
    got = solver.solve(a, v, b)
    assert got.optimal and want.status == 0
    assert (a @ got.x <= b + 1e-9).all()
    assert float(v[got.x].sum()) == pytest.approx(-want.fun, rel=1e-9, abs=1e-6)
