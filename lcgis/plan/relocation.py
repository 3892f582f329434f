"""Relocation planning (退城入园, 腾挪, rules.md §7): movers onto free land, solved exactly.

Free land and sites: :mod:`lcgis.plan.sites`.  A site is one free parcel; for a mover whose need
no single free parcel meets (in a zone it may go to), also a connected set of touching free
parcels of one zone.  The model has a binary x[m, s] for each *feasible* pair only: site
land within ``need · (1 ± area_tolerance)``, s not holding m's own parcel and, when
``require_zone_industry``, m's 2-digit industry among the leading industries of s's zone.
With F = tax (or output) in 万元 and rates in 万元/亩::

    yield[m, s] = rate[m, zone(s)] · land_s
    value[m, s] = yield · (1 − penalty_share · mismatch[m, s])
                  − Σ_{p ∈ s} displaced_p        (count_displaced = true)
                  − given_up_m                    (in-park movers)
    maximise    Σ value · x
    subject to  Σ_s x[m, s] ≤ 1                  each mover at most one site
                Σ_{(m, s): p ∈ s} x[m, s] ≤ 1    each free parcel in at most one chosen site
                Σ_{(m', s): q ∈ s} x[m', s] ≤ Σ_s x[o, s]
                                                 q, the current parcel of in-park mover o,
                                                 only when o moves (for each o on q)

rate: the mover's expected figure per 亩, else the benchmark of its industry in the site's
zone (Σ F ÷ Σ 亩 over the zone's parcels whose main occupant has the same 2-digit industry),
else the zone's, else the park's (``benchmark_used`` says which).  given_up_m: what the
mover's present figures contribute to its current parcel = firm figure × its allocated land
there ÷ all its allocated land (the pipeline's own apportioning; the firm's whole figure when
it uses one parcel; the parcel's whole figure, with a warning, when the firm is not among the
parcel's occupants).  displaced_p: what parcel p yields now without the in-park movers'
shares — its occupants make way (腾笼换鸟).  With count_displaced the objective is the park's
net change, so the before/after table adds up to it (plus the mismatch penalty, a preference
rather than money).  A pair that cannot help (value ≤ 0, and not a move that frees a parcel
another mover could use) is not a variable.  HiGHS solves to a relative gap of 0 by default
(:mod:`lcgis.plan.solver`: the LP relaxation's prices first drop the pairs that are in no
optimal plan); the plan says whether optimality was proven, else the solver's status and the
MIP gap, a bound on how far the plan may be from the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from lcgis.data.frame import numbers
from lcgis.data.industry import fit_matrix
from lcgis.data.validate import QualityReport
from lcgis.errors import DataError, RulesError, UsageError
from lcgis.plan import solver
from lcgis.plan.before_after import before_after
from lcgis.plan.movers import (
    MONEY,
    MOVER_FIELDS,
    check_movers,
    expected_rates,
    given_up_figures,
    industry_benchmarks,
)
from lcgis.plan.sites import (
    Sites,
    build_sites,
    free_parcels,
    kinds_zh,
    zone_key,
)
from lcgis.plan.sites import zone_names as _zone_names
from lcgis.progress import Progress, Steps
from lcgis.vocab import OBJECTIVE_LABELS as OBJECTIVE_ZH
from lcgis.vocab import RELOCATION_REASON_LABELS as REASONS
from lcgis.vocab import SOLVER_STATUS_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lcgis.engine.pipeline import Result
    from lcgis.rules import RelocationRules

#: Objective name -> money field (万元); the Chinese names are in :mod:`lcgis.vocab`.
OBJECTIVES = {"tax": "tax_wan", "output": "output_wan"}
#: Columns of the plan table, in order (money in 万元, land in 亩, rates in 万元/亩).
PLAN_COLUMNS = [
    "mover_id",
    "name",
    "credit_code",
    "industry_code",
    "need_mu",
    "parcel_ids",
    "n_parcels",
    "zone_id",
    "zone_name",
    "land_mu",
    "fit",
    "expected_output_per_mu",
    "expected_tax_per_mu",
    "expected_output_wan",
    "expected_tax_wan",
    "given_up_output_wan",
    "given_up_tax_wan",
    "displaced_output_wan",
    "displaced_tax_wan",
    "net_output_wan",
    "net_tax_wan",
    "industry_match",
    "penalty_wan",
    "objective_wan",
    "benchmark_used",
    "current_parcel_id",
    "reason",
]
_EPS = 1e-9


@dataclass
class RelocationPlan:
    """A solved plan: tables for screens and exports, and how it was solved.

    plan: one row per mover (site geometry, CRS of the parcels); before_after: long table
    (:func:`lcgis.plan.before_after.before_after`); free: the free parcels, their kinds and who
    takes them; candidates: every feasible mover–site pair with its value (万元).
    """

    plan: gpd.GeoDataFrame
    before_after: pd.DataFrame
    free: gpd.GeoDataFrame
    candidates: pd.DataFrame
    objective: str
    objective_value_wan: float
    optimal: bool
    status: str
    mip_gap: float | None
    n_variables: int
    n_constraints: int
    n_sites: int
    seconds: float
    report: QualityReport = field(default_factory=QualityReport)
    #: variables of the last MIP, after the LP bound dropped those in no optimal plan
    n_solved: int = 0

    def summary(self) -> str:
        """A few lines in Chinese: what was placed, the gain, and how it was solved."""
        placed = self.plan["parcel_ids"].astype(str).ne("")
        zh = OBJECTIVE_ZH[self.objective]
        gap = "" if self.mip_gap is None else f"，MIP 相对差距 {self.mip_gap:.2%}"
        return "\n".join(
            [
                f"搬迁企业 {len(self.plan)} 家：安排 {int(placed.sum())} 家，"
                f"未安排 {int((~placed).sum())} 家；空闲地块 {len(self.free)} 宗，"
                f"候选地块(含拼合) {self.n_sites} 个",
                f"目标：园区{zh}最大；目标值(净增{zh}) {self.objective_value_wan:,.2f} 万元",
                f"求解：{self.status}{gap}；变量 {self.n_variables} 个"
                f"(按线性规划界剔除后 {self.n_solved} 个)，"
                f"约束 {self.n_constraints} 个，用时 {self.seconds:.2f} 秒",
            ]
        )


# --- the model -----------------------------------------------------------------------------------


@dataclass
class _Inputs:
    """Everything the pairs, the solver and the plan table share."""

    parcels: gpd.GeoDataFrame
    movers: pd.DataFrame
    rules: RelocationRules
    objective: str
    free: pd.DataFrame
    zones: list[str]
    names: dict[str, str]
    match: np.ndarray  # movers × zones: industry among the zone's leading industries
    own: np.ndarray  # free position of each mover's current parcel, −1 for none
    given_up: pd.DataFrame
    displaced: dict[str, np.ndarray]  # per free parcel (万元)
    rates: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def fpos(self) -> np.ndarray:
        return self.free["pos"].to_numpy(dtype=int)

    @property
    def allowed(self) -> np.ndarray:
        return self.match if self.rules.require_zone_industry else np.ones_like(self.match)


def _prepare(
    parcels: gpd.GeoDataFrame,
    movers: pd.DataFrame,
    rules: RelocationRules,
    objective: str,
    allocation: pd.DataFrame | None,
    enterprises: pd.DataFrame | None,
    include: Iterable[str],
    exclude: Iterable[str],
    report: QualityReport,
) -> _Inputs:
    cur = movers["current_parcel_id"].astype("string").fillna("").to_numpy(dtype=object)
    free = free_parcels(parcels, rules, current=cur[cur != ""], include=include, exclude=exclude)
    zone_all = zone_key(parcels)
    zones = sorted(set(zone_all.tolist()))
    lead = pd.DataFrame({"z": zone_all, "l": parcels.get("zone_leading_industries")})
    lead = lead[lead["z"].ne("") & lead["l"].notna()].drop_duplicates("z")
    texts = dict(zip(lead["z"], lead["l"], strict=True))
    match = fit_matrix(movers["industry_code"], [texts.get(z) for z in zones])
    pos_of = {pid: k for k, pid in enumerate(free["parcel_id"])}
    own = np.array([pos_of.get(c, -1) for c in cur], dtype=int)
    gu = given_up_figures(movers, parcels, allocation, enterprises, report)
    displaced = {}
    for money in MONEY:
        d = np.nan_to_num(numbers(parcels, money))[free["pos"].to_numpy(dtype=int)]
        np.subtract.at(d, own[own >= 0], gu[f"given_up_{money}"].to_numpy()[own >= 0])
        displaced[money] = np.clip(d, 0.0, None) * (1.0 if rules.count_displaced else 0.0)
    names = _zone_names(parcels)
    rates = expected_rates(movers, zones, industry_benchmarks(parcels), names)
    return _Inputs(
        parcels, movers, rules, objective, free, zones, names,
        match.reshape(len(movers), len(zones)), own, gu, displaced, rates,
    )  # fmt: skip


def _sites_and_fit(inp: _Inputs) -> tuple[Sites, np.ndarray, np.ndarray]:
    """Sites, the movers × sites feasibility matrix, and which movers needed merged sites."""
    rules, fpos = inp.rules, inp.fpos
    need = numbers(inp.movers, "need_mu")
    lo = need * (1 - rules.area_tolerance) - _EPS
    hi = need * (1 + rules.area_tolerance) + _EPS
    land = numbers(inp.parcels, "land_area_mu")[fpos]
    zidx = {z: k for k, z in enumerate(inp.zones)}
    zone = np.array([zidx[z] for z in zone_key(inp.parcels)[fpos]], dtype=int)
    has_own = inp.own >= 0
    single = (land >= lo[:, None]) & (land <= hi[:, None]) & inp.allowed[:, zone]
    single[np.flatnonzero(has_own), inp.own[has_own]] = False
    merge = ~single.any(axis=1) & (need > 0)
    geoms = inp.parcels.geometry.values[fpos]
    sites = build_sites(
        geoms, land, zone, rules, merge_up_to_mu=float(hi[merge].max()) if merge.any() else None
    )
    fit = (sites.land >= lo[:, None]) & (sites.land <= hi[:, None]) & inp.allowed[:, sites.zone]
    fit &= np.where(sites.size > 1, merge[:, None], True)
    if has_own.any():  # no site holding the mover's own parcel
        rows, parcel = sites.members_of(np.arange(len(sites.members)))
        for m in np.flatnonzero(has_own):  # the few in-park movers
            fit[m, rows[parcel == inp.own[m]]] = False
    return sites, fit, merge


def _pairs(inp: _Inputs, sites: Sites, fit: np.ndarray) -> pd.DataFrame:
    """Feasible pairs with yields, penalty, displaced, value (万元) and whether modelled."""
    pm, ps = np.nonzero(fit)
    pz = sites.zone[ps]
    out = pd.DataFrame({"m": pm, "s": ps, "mismatch": ~inp.match[pm, pz]})
    for money in MONEY:
        out[f"yield_{money}"] = np.nan_to_num(inp.rates[money][0][pm, pz]) * sites.land[ps]
        out[f"displaced_{money}"] = sites.sum_over(inp.displaced[money])[ps]
    money = OBJECTIVES[inp.objective]
    out["penalty"] = (
        inp.rules.industry_mismatch_penalty_share * out[f"yield_{money}"] * out["mismatch"]
    )
    out["value"] = (
        out[f"yield_{money}"]
        - out["penalty"]
        - out[f"displaced_{money}"]
        - inp.given_up[f"given_up_{money}"].to_numpy()[pm]
    )
    # a losing move still counts when it frees a parcel another mover could take
    rows, parcel = sites.members_of(ps)
    frees = np.zeros(len(inp.movers), dtype=bool)
    for q in np.unique(inp.own[inp.own >= 0]):  # the few in-park movers' parcels
        owners = np.flatnonzero(inp.own == q)
        if np.setdiff1d(pm[rows[parcel == q]], owners).size:
            frees[owners] = True
    out["in_model"] = (out["value"] > _EPS) | frees[pm]
    return out


def _matrix(pairs: pd.DataFrame, sites: Sites, inp: _Inputs) -> tuple[sparse.csc_array, np.ndarray]:
    """The rows of the module docstring (A, b of A x ≤ b) over the modelled pairs."""
    pm, ps, n = pairs["m"].to_numpy(), pairs["s"].to_numpy(), len(pairs)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    movers, mrow = np.unique(pm, return_inverse=True)
    rows.append(mrow)
    cols.append(np.arange(n))
    vals.append(np.ones(n))
    ub = [np.ones(len(movers))]
    nrow = len(movers)
    rep, parcel = sites.members_of(ps)
    linked = np.isin(parcel, inp.own[inp.own >= 0])
    used, prow = np.unique(parcel[~linked], return_inverse=True)
    rows.append(nrow + prow)
    cols.append(rep[~linked])
    vals.append(np.ones(len(prow)))
    ub.append(np.ones(len(used)))
    nrow += len(used)
    for o in np.flatnonzero(inp.own >= 0):  # one row per in-park mover whose parcel is wanted
        takers = rep[parcel == inp.own[o]]
        if len(takers):
            mine = np.flatnonzero(pm == o)
            rows.append(np.full(len(takers) + len(mine), nrow))
            cols.append(np.concatenate([takers, mine]))
            vals.append(np.concatenate([np.ones(len(takers)), -np.ones(len(mine))]))
            ub.append(np.zeros(1))
            nrow += 1
    a = sparse.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, n)
    )
    return a, np.concatenate(ub)


def _solve(
    pairs: pd.DataFrame, sites: Sites, inp: _Inputs, time_limit_s: float | None, gap: float
) -> dict[str, Any]:
    """The programme of the module docstring, solved by :func:`lcgis.plan.solver.solve`."""
    a, ub = _matrix(pairs, sites, inp)
    sol = solver.solve(
        a, pairs["value"].to_numpy(dtype=float), ub, time_limit_s=time_limit_s, gap=gap
    )
    status = SOLVER_STATUS_LABELS[sol.status]
    if sol.status == solver.LIMIT and not sol.x.any():
        status += "(未找到可行方案)"
    x = _tie_break(pairs, sol.x, inp)
    return {"x": x, "optimal": sol.optimal, "status": status, "rows": a.shape[0],
            "gap": sol.gap, "kept": sol.n_kept}  # fmt: skip


def _matchable(sites: list[int], movers: list[int], fits: dict[int, set[int]]) -> bool:
    """Whether every site can go to a different one of ``movers`` that fits it (Kuhn).

    >>> fits = {0: {1, 2}, 1: {1}}
    >>> _matchable([1, 2], [0, 1], fits), _matchable([1, 2], [0, 1], {0: {1}, 1: {1}})
    (True, False)
    """
    holder: dict[int, int] = {}

    def place(s: int, seen: set[int]) -> bool:
        for m in movers:
            if s in fits[m] and m not in seen:
                seen.add(m)
                if m not in holder or place(holder[m], seen):
                    holder[m] = s
                    return True
        return False

    return all(place(s, set()) for s in sites)


def _tie_break(pairs: pd.DataFrame, x: np.ndarray, inp: _Inputs) -> np.ndarray:
    """The plan ``x`` with ties between like movers broken in a fixed order.

    Movers with the same rates and industry fit in every zone value a site alike (up to what
    each gives up, the same wherever it goes), so an optimal plan stays optimal when placed
    ones trade sites where each fits the other's; the solver's choice among such ties is
    arbitrary.  Here the placed movers of each such class get the class's sites in a fixed
    order: the lowest-numbered site goes to the lowest-numbered of them that fits it while
    the other sites can still be placed, and so on.  Who is placed stays the solver's choice.
    """
    money = OBJECTIVES[inp.objective]
    pm, ps = pairs["m"].to_numpy(), pairs["s"].to_numpy()
    rate = np.nan_to_num(inp.rates[money][0], nan=-1.0)
    placed = np.unique(pm[x]).tolist()
    classes: dict[bytes, list[int]] = {}
    for m in placed:  # one short key per placed mover
        classes.setdefault(rate[m].tobytes() + inp.match[m].tobytes(), []).append(m)
    x = x.copy()
    for members in classes.values():
        if len(members) < 2:
            continue
        rows = np.flatnonzero(np.isin(pm, members))
        taken = sorted(ps[rows[x[rows]]].tolist())
        fits = {m: set(ps[rows[pm[rows] == m]].tolist()) for m in members}
        free, given = list(members), {}
        for k, site in enumerate(taken):  # the few sites of one class
            for m in free:
                rest = [f for f in free if f != m]
                if site in fits[m] and _matchable(taken[k + 1 :], rest, fits):
                    given[m], free = site, rest
                    break
        x[rows] = False
        for m, site in given.items():
            x[rows[(pm[rows] == m) & (ps[rows] == site)]] = True
    return x


def _check_rules(r: RelocationRules) -> None:
    if not 0 <= r.area_tolerance < 1:
        raise RulesError("规则 relocation.area_tolerance 应在 0 与 1 之间(如 0.20)")
    if not 0 <= r.industry_mismatch_penalty_share <= 1:
        raise RulesError("规则 relocation.industry_mismatch_penalty_share 应在 0 与 1 之间")
    if r.max_site_parcels < 1 or r.min_shared_boundary_m < 0:
        raise RulesError("规则 relocation.max_site_parcels 应≥1，min_shared_boundary_m 应≥0")


def plan(
    result: Result,
    movers: pd.DataFrame,
    *,
    objective: str = "tax",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    use_reclaim: bool | None = None,
    use_buyback: bool | None = None,
    use_vacate: bool | None = None,
    use_undeveloped: bool | None = None,
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    progress: Progress | None = None,
) -> RelocationPlan:
    """The optimal relocation plan for ``movers`` on the free land of an evaluated park.

    ``result``: :class:`lcgis.engine.pipeline.Result`; ``movers``: from
    :func:`lcgis.plan.movers.read_movers` or :func:`lcgis.plan.movers.check_movers`; ``objective``:
    ``"tax"`` or ``"output"``; ``include`` / ``exclude``: parcel ids; ``use_*`` override
    ``[relocation]`` of the result's rules; ``progress(stage, share)`` is called per stage.
    """
    switches = {
        "use_reclaim": use_reclaim,
        "use_buyback": use_buyback,
        "use_vacate": use_vacate,
        "use_undeveloped": use_undeveloped,
    }
    given: dict[str, Any] = {k: v for k, v in switches.items() if v is not None}
    rules = replace(result.rules.relocation, **given)
    return plan_parcels(
        result.parcels,
        movers,
        rules,
        allocation=result.allocation,
        enterprises=result.enterprises,
        objective=objective,
        include=include,
        exclude=exclude,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        progress=progress,
    )


def plan_parcels(
    parcels: gpd.GeoDataFrame,
    movers: pd.DataFrame,
    rules: RelocationRules,
    *,
    allocation: pd.DataFrame | None = None,
    enterprises: pd.DataFrame | None = None,
    objective: str = "tax",
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    time_limit_s: float | None = None,
    mip_rel_gap: float = 0.0,
    progress: Progress | None = None,
) -> RelocationPlan:
    """:func:`plan` on a parcel table (``Result.parcels`` or a frame with its columns).

    Needs parcel_id, land_area_mu and polygons in a projected CRS (metres); uses when present
    zone_id, zone_name, zone_leading_industries, idle, undeveloped, vacate_candidate,
    output_wan, tax_wan, main_industry_code, main_credit_code, n_occupants, parcel_class.
    """
    if objective not in OBJECTIVES:
        raise UsageError(f"目标应为 tax(税收) 或 output(产值)：{objective}")
    _check_rules(rules)
    step = Steps(progress)
    report = QualityReport()
    parcels = parcels.reset_index(drop=True)
    movers = _checked(movers, parcels)
    step("整理空闲地块与企业数据", 0.0)
    inp = _prepare(
        parcels, movers, rules, objective, allocation, enterprises, include, exclude, report
    )
    _warn_in_park(inp, allocation, report)
    step("生成候选地块(含相邻拼合)", 0.15)
    sites, fit, _ = _sites_and_fit(inp)
    step("建立模型", 0.35)
    pairs = _pairs(inp, sites, fit)
    _warn_no_rate(inp, pairs, sites, report)
    model = pairs[pairs["in_model"]]
    step("求解", 0.45)
    if len(model):
        sol = _solve(model, sites, inp, time_limit_s, mip_rel_gap)
    else:
        sol = {"x": np.zeros(0, dtype=bool), "optimal": True, "rows": 0, "gap": None, "kept": 0,
               "status": "没有可行的企业—地块组合，无需求解"}  # fmt: skip
    pairs["chosen"] = False
    pairs.loc[model.index[sol["x"]], "chosen"] = True
    step("汇总方案与前后对比", 0.85)
    table = _plan_table(inp, sites, pairs, sol["optimal"])
    result = RelocationPlan(
        plan=table,
        before_after=before_after(parcels, table, inp.given_up, rules.targets),
        free=_free_table(inp, table),
        candidates=_candidates(inp, sites, pairs),
        objective=objective,
        objective_value_wan=float(pairs.loc[pairs["chosen"], "value"].sum()),
        optimal=bool(sol["optimal"]),
        status=str(sol["status"]),
        mip_gap=sol["gap"],
        n_variables=len(model),
        n_constraints=int(sol["rows"]),
        n_sites=len(sites.members),
        seconds=0.0,
        report=report,
        n_solved=int(sol["kept"]),
    )
    step("完成", 1.0)
    result.seconds = step.elapsed
    return result


def _file(movers: pd.DataFrame) -> str:
    return str(movers.attrs.get("file", "搬迁企业表"))


def _checked(movers: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
    """Movers as :func:`lcgis.plan.movers.check_movers` makes them (a frame from a screen is
    checked here); a current parcel not in ``parcels`` is an error."""
    movers = movers.reset_index(drop=True)
    ids = set(parcels["parcel_id"].astype(str))
    if not set(MOVER_FIELDS) <= set(movers.columns):
        attrs = dict(movers.attrs)
        movers, report = check_movers(movers, file=_file(movers), parcel_ids=ids)
        movers.attrs.update(attrs)
    else:
        cur = movers["current_parcel_id"].astype("string")
        unknown = (cur.notna() & ~cur.isin(ids)).to_numpy(dtype=bool)
        report = QualityReport()
        if unknown.any():
            report.add(
                "error",
                "bad_value",
                "movers",
                "现用宗地编号在宗地图层中不存在",
                file=_file(movers),
                rows=(np.flatnonzero(unknown) + 2).tolist(),
                field="current_parcel_id",
                fix="核对宗地编号；园区外新引进企业留空",
            )
    if report.has_errors:
        raise DataError("搬迁企业表有错误", report)
    return movers


def _warn_in_park(inp: _Inputs, allocation: pd.DataFrame | None, report: QualityReport) -> None:
    """Warnings: a firm with land in the park but no current parcel; a shared current parcel."""
    code = inp.movers["credit_code"].astype("string")
    cur = inp.movers["current_parcel_id"].astype("string")
    if allocation is not None and "credit_code" in allocation:
        known = code.isin(set(allocation["credit_code"].astype(str))).fillna(False)
        rows = np.flatnonzero((known & cur.isna()).to_numpy(dtype=bool))
        if len(rows):
            report.add(
                "warning",
                "in_park_without_parcel",
                "movers",
                "企业在园区已有用地，但未填现用宗地编号：按新引进企业计算，原用地不腾出",
                file=_file(inp.movers),
                rows=(rows + 2).tolist(),
                field="current_parcel_id",
                fix="如企业整体搬迁，填写其现用宗地编号",
            )
    occ = pd.Series(
        numbers(inp.parcels, "n_occupants"), index=inp.parcels["parcel_id"].astype(str).to_numpy()
    )
    shared = cur.notna().to_numpy() & (occ.reindex(cur.fillna("").to_numpy()).to_numpy() > 1)
    if shared.any():
        report.add(
            "warning",
            "shared_current_parcel",
            "movers",
            "现用宗地还有其他企业：只有搬迁企业的份额随其迁出；"
            "该宗地再安排给别的企业时，其余企业一并腾退",
            file=_file(inp.movers),
            rows=(np.flatnonzero(shared) + 2).tolist(),
            field="current_parcel_id",
        )


def _warn_no_rate(inp: _Inputs, pairs: pd.DataFrame, sites: Sites, report: QualityReport) -> None:
    pm, pz = pairs["m"].to_numpy(), sites.zone[pairs["s"].to_numpy()]
    missing = np.zeros(len(pm), dtype=bool)
    for rate, _ in inp.rates.values():
        missing |= np.isnan(rate[pm, pz])
    if missing.any():
        report.add(
            "warning",
            "no_benchmark",
            "movers",
            "预期亩均产值或税收未填，且园区没有可用的基准：按 0 计算",
            file=_file(inp.movers),
            rows=(np.unique(pm[missing]) + 2).tolist(),
            field="expected_tax_per_mu",
            fix="填写预期亩均产值与预期亩均税收",
        )


# --- result tables -------------------------------------------------------------------------------


def _plan_table(inp: _Inputs, sites: Sites, pairs: pd.DataFrame, optimal: bool) -> gpd.GeoDataFrame:
    """One row per mover: its site (or none, with the reason) and the figures (万元)."""
    mv, n = inp.movers, len(inp.movers)
    ch = pairs[pairs["chosen"]].set_index("m").reindex(range(n))
    placed = ch["s"].notna().to_numpy()
    s_of = ch["s"].fillna(len(sites.members)).to_numpy(dtype=int)  # one past: no site
    z_of = np.append(sites.zone, -1)[s_of]
    ids = inp.parcels["parcel_id"].astype(str).to_numpy()[inp.fpos]
    site_ids = [
        ";".join(ids[list(sites.members[s])]) if p else ""
        for s, p in zip(s_of, placed, strict=True)
    ]
    inside = mv["current_parcel_id"].astype("string").notna().to_numpy()
    t = pd.DataFrame(
        {
            "mover_id": mv["mover_id"].astype(str).to_numpy(),
            "name": mv["name"].to_numpy(),
            "credit_code": mv["credit_code"].astype("string").fillna("").to_numpy(),
            "industry_code": mv["industry_code"].to_numpy(),
            "need_mu": numbers(mv, "need_mu"),
            "parcel_ids": site_ids,
            "n_parcels": np.append(sites.size, 0)[s_of],
            "zone_id": [inp.zones[z] if z >= 0 else "" for z in z_of],
            "zone_name": [inp.names.get(inp.zones[z], "") if z >= 0 else "" for z in z_of],
            "land_mu": np.append(sites.land, np.nan)[s_of],
        }
    )
    t["fit"] = t["land_mu"] / t["need_mu"]
    for money, per_mu in zip(MONEY, ("expected_output_per_mu", "expected_tax_per_mu"), strict=True):
        rate = inp.rates[money][0][np.arange(n), np.maximum(z_of, 0)]
        t[per_mu] = np.where(placed, rate, numbers(mv, per_mu))
    for money in MONEY:
        t[f"expected_{money}"] = ch[f"yield_{money}"].to_numpy()
    for money in MONEY:
        t[f"given_up_{money}"] = np.where(inside, inp.given_up[f"given_up_{money}"], np.nan)
        t[f"displaced_{money}"] = ch[f"displaced_{money}"].to_numpy()
    for money in MONEY:
        lost = t[f"displaced_{money}"] + t[f"given_up_{money}"].fillna(0.0)
        t[f"net_{money}"] = t[f"expected_{money}"] - lost
    t["industry_match"] = pd.array(
        [not bool(x) if p else None for p, x in zip(placed, ch["mismatch"], strict=True)],
        dtype="boolean",
    )
    t["penalty_wan"] = ch["penalty"].to_numpy()
    t["objective_wan"] = ch["value"].to_numpy()
    t["benchmark_used"] = _benchmark_used(inp, z_of)
    t["current_parcel_id"] = mv["current_parcel_id"].astype("string").fillna("").to_numpy()
    t["reason"] = _reasons(inp, sites, pairs, placed, optimal)
    geoms = inp.parcels.geometry.values[inp.fpos]
    shapes = [
        shapely.union_all(geoms[list(sites.members[s])]) if p else None
        for s, p in zip(s_of, placed, strict=True)
    ]  # the few chosen sites
    return gpd.GeoDataFrame(t[PLAN_COLUMNS], geometry=shapes, crs=inp.parcels.crs)


def _benchmark_used(inp: _Inputs, z_of: np.ndarray) -> list[str]:
    """Which benchmark stood in for a missing expected figure ('' when the mover gave both)."""
    out = []
    for m in range(len(inp.movers)):  # a short text per mover
        parts: dict[str, list[str]] = {}
        for money, zh in zip(MONEY, ("亩均产值", "亩均税收"), strict=True):
            source = inp.rates[money][1][m, z_of[m]] if z_of[m] >= 0 else ""
            if np.isnan(numbers(inp.movers, f"expected_{money[:-4]}_per_mu")[m]):
                parts.setdefault(str(source or "未落位，按落位片区基准"), []).append(zh)
        out.append("；".join(f"{'、'.join(v)}：{k}" for k, v in parts.items()))
    return out


def _reasons(
    inp: _Inputs, sites: Sites, pairs: pd.DataFrame, placed: np.ndarray, optimal: bool
) -> list[str]:
    """Why a mover has no site (REASONS); for a placed one, what kind of placement it is."""
    n = len(inp.movers)
    led = [k for k, z in enumerate(inp.zones) if z != ""]
    has_zone = np.asarray(inp.allowed[:, led].any(axis=1) if led else np.zeros(n), dtype=bool)
    n_fit = np.bincount(pairs["m"], minlength=n)
    good = pairs[pairs["value"] > _EPS]
    n_good = np.bincount(good["m"], minlength=n)
    chosen = pairs[pairs["chosen"]]
    taken = {k for s in chosen["s"] for k in sites.members[int(s)]}
    vacated = {int(inp.own[m]) for m in np.flatnonzero(placed & (inp.own >= 0))}
    outbid = np.zeros(n, dtype=bool)
    for m, s in zip(good["m"], good["s"], strict=True):  # unplaced movers' options
        outbid[m] |= not placed[m] and bool(taken & set(sites.members[int(s)]))
    site_of = dict(zip(chosen["m"].tolist(), chosen["s"].tolist(), strict=True))
    mismatch_of = dict(zip(chosen["m"].tolist(), chosen["mismatch"].tolist(), strict=True))
    out = []
    for m in range(n):
        if placed[m]:
            members = sites.members[site_of[m]]
            text = "已安排" + (f"(拼合{len(members)}宗相邻地块)" if len(members) > 1 else "")
            if mismatch_of[m]:
                text += "；行业不属该片区主导产业，目标中按罚减计"
            if set(members) & vacated:
                text += "；使用其他搬迁企业腾出的地块"
        elif not has_zone[m]:
            text = REASONS["no_zone"]
        elif n_fit[m] == 0:
            text = REASONS["no_parcel"]
        elif n_good[m] == 0:
            text = REASONS["not_worth"]
        elif outbid[m]:
            text = REASONS["outbid"]
        else:
            text = REASONS["not_freed" if optimal else "not_proven"]
        out.append(text)
    return out


def _free_table(inp: _Inputs, table: pd.DataFrame) -> gpd.GeoDataFrame:
    who = {
        pid: mid
        for mid, pids in zip(table["mover_id"], table["parcel_ids"], strict=True)
        for pid in str(pids).split(";")
        if pid
    }
    f = inp.free
    return gpd.GeoDataFrame(
        {
            "parcel_id": f["parcel_id"],
            "zone_id": zone_key(inp.parcels)[inp.fpos],
            "land_mu": numbers(inp.parcels, "land_area_mu")[inp.fpos],
            "kinds": f["kinds"],
            "kinds_zh": [kinds_zh(k) for k in f["kinds"]],
            "taken_by": [who.get(p, "") for p in f["parcel_id"]],
        },
        geometry=inp.parcels.geometry.values[inp.fpos],
        crs=inp.parcels.crs,
    )


def _candidates(inp: _Inputs, sites: Sites, pairs: pd.DataFrame) -> pd.DataFrame:
    ids = inp.parcels["parcel_id"].astype(str).to_numpy()[inp.fpos]
    ps = pairs["s"].to_numpy(dtype=int)
    return pd.DataFrame(
        {
            "mover_id": inp.movers["mover_id"].astype(str).to_numpy()[pairs["m"].to_numpy()],
            "parcel_ids": [";".join(ids[list(sites.members[s])]) for s in ps],
            "zone_id": np.asarray(inp.zones, dtype=object)[sites.zone[ps]],
            "land_mu": sites.land[ps],
            "value_wan": pairs["value"].to_numpy(),
            "industry_match": ~pairs["mismatch"].to_numpy(dtype=bool),
            "in_model": pairs["in_model"].to_numpy(dtype=bool),
            "chosen": pairs["chosen"].to_numpy(dtype=bool),
        }
    )
