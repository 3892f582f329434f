"""An exact 0/1 packing programme solved with HiGHS (:mod:`highspy`), pruned by an LP bound.

Maximise ``v·x`` subject to ``A x ≤ b``, ``x ∈ {0, 1}``, with ``b ≥ 0`` (so x = 0 is a
plan).  Solved in three steps:

1. The LP relaxation gives row prices ``y ≥ 0``; the reduced value of a variable is
   ``d = v − Aᵀy`` and, by weak duality, ``UB = b·y + Σ max(d, 0)`` bounds every plan
   (computed here from y, so it holds whatever the LP's accuracy).
2. A first MIP over the variables with ``d ≥ −δ₀`` (the few that the LP prices near zero)
   gives a plan of value LB.
3. A plan with ``x_j = 1`` is worth at most ``UB + d_j``: a variable with
   ``UB + d_j < LB − tol`` is in no optimal plan and is dropped.  The final MIP over the rest,
   started from the plan of step 2, is solved to the requested gap; its optimum is the
   optimum of the whole programme, and its dual bound (no more than UB) bounds it.

When step 2 already meets ``UB − LB ≤ δ₀`` it was solved over every variable that could
matter and step 3 is skipped.  HiGHS runs without presolve and without its primal
heuristics here: the programmes are small after pruning, and the plan of step 2 is a start.
HiGHS is deterministic: the same programme gives the same plan.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Codes of :data:`lcgis.vocab.SOLVER_STATUS_LABELS`.
OPTIMAL, LIMIT, INFEASIBLE, UNBOUNDED, FAILED = 0, 1, 2, 3, 4
#: HiGHS options of every run (presolve and primal heuristics cost more than they save on
#: these pruned assignment programmes: measured in scripts/bench_relocation.py).
OPTIONS: dict[str, bool | int | float | str] = {
    "output_flag": False,
    "presolve": "off",
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}
_STATUS = {
    highspy.HighsModelStatus.kOptimal: OPTIMAL,
    highspy.HighsModelStatus.kTimeLimit: LIMIT,
    highspy.HighsModelStatus.kIterationLimit: LIMIT,
    highspy.HighsModelStatus.kSolutionLimit: LIMIT,
    highspy.HighsModelStatus.kInterrupt: LIMIT,
    highspy.HighsModelStatus.kInfeasible: INFEASIBLE,
    highspy.HighsModelStatus.kUnbounded: UNBOUNDED,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: UNBOUNDED,
}


@dataclass(frozen=True)
class Solution:
    """x: the chosen variables; status: a code above; gap: relative MIP gap (None when
    unknown); bound: an upper bound on the optimum; n_kept: variables of the final MIP."""

    x: np.ndarray
    status: int
    gap: float | None
    bound: float | None
    n_kept: int

    @property
    def optimal(self) -> bool:
        return self.status == OPTIMAL


def rel_gap(value: float, bound: float) -> float:
    """HiGHS's relative gap: (bound − value) / |value| (0 when both are 0).

    >>> rel_gap(80.0, 100.0), rel_gap(0.0, 0.0)
    (0.25, 0.0)
    """
    diff = max(bound - value, 0.0)
    return 0.0 if diff == 0 else diff / max(abs(value), 1e-12)


def _highs(
    a: sparse.csc_array, v: np.ndarray, b: np.ndarray, *, integer: bool, seconds: float | None
) -> highspy.Highs:
    """HiGHS with max v·x, A x ≤ b, 0 ≤ x ≤ 1 (binary when ``integer``), not yet run."""
    n, m = a.shape[1], a.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = -np.asarray(v, dtype=float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    lp.row_lower_ = np.full(m, -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(b, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    with _quiet_stdout():
        h = highspy.Highs()  # its constructor prints an English banner to the process's stdout
    for name, value in OPTIONS.items():
        h.setOptionValue(name, value)
    if seconds is not None:
        h.setOptionValue("time_limit", max(float(seconds), 0.01))
    h.passModel(lp)
    return h


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Standard output (the file descriptor, where HiGHS's C++ code writes) sent to the null
    device for the duration."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (captured): nothing to hide
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _mip(
    a: sparse.csc_array,
    v: np.ndarray,
    b: np.ndarray,
    cols: np.ndarray,
    *,
    gap: float,
    seconds: float | None,
    start: np.ndarray | None = None,
) -> tuple[np.ndarray, int, float | None]:
    """The MIP over the columns ``cols``: (x over all columns, status code, dual bound)."""
    h = _highs(a[:, cols].tocsc(), v[cols], b, integer=True, seconds=seconds)
    h.setOptionValue("mip_rel_gap", float(gap))
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start[cols].astype(float).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = _STATUS.get(h.getModelStatus(), FAILED)
    x = np.zeros(len(v), dtype=bool)
    info = h.getInfo()
    if info.primal_solution_status == 2:  # a feasible plan is known
        x[cols] = np.asarray(h.getSolution().col_value) > 0.5
    bound = -float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    return x, status, bound


def solve(
    a: sparse.sparray,
    v: np.ndarray,
    b: np.ndarray,
    *,
    time_limit_s: float | None = None,
    gap: float = 0.0,
    first_delta: float = 1e-6,
) -> Solution:
    """Maximise v·x subject to A x ≤ b over x ∈ {0, 1} (module docstring).

    ``first_delta``: δ₀ of step 2 relative to |UB| (plus 1e-6 absolute).

    >>> a = sparse.csc_array(np.array([[1, 1, 0], [0, 1, 1]]))  # x0 + x1 ≤ 1, x1 + x2 ≤ 1
    >>> s = solve(a, np.array([2.0, 3.0, 2.0]), np.ones(2))
    >>> s.x.tolist(), s.optimal, s.bound
    ([True, False, True], True, 4.0)
    """
    end = None if time_limit_s is None else time.monotonic() + float(time_limit_s)

    def left() -> float | None:
        return None if end is None else end - time.monotonic()

    a = sparse.csc_array(a)
    v, b = np.asarray(v, dtype=float), np.asarray(b, dtype=float)
    n = len(v)
    every = np.arange(n)
    lp = _highs(a, v, b, integer=False, seconds=left())
    lp.run()
    if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # the whole MIP, as it is
        x, status, bound = _mip(a, v, b, every, gap=gap, seconds=left())
        value = float(v[x].sum())
        return Solution(x, status, None if bound is None else rel_gap(value, bound), bound, n)
    y = np.maximum(-np.asarray(lp.getSolution().row_dual), 0.0)
    d = v - a.T @ y
    ub = float(b @ y + np.maximum(d, 0.0).sum())
    tol = 1e-9 * max(abs(ub), 1.0) + 1e-6
    delta = first_delta * abs(ub) + 1e-6
    near = np.flatnonzero(d >= -delta)
    x, status, bound = _mip(a, v, b, near, gap=gap, seconds=left())
    lb = float(v[x].sum())
    if status == OPTIMAL and ub - lb <= delta:
        bound = ub if bound is None else min(ub, max(bound, lb))
        return Solution(x, status, rel_gap(lb, bound), bound, len(near))
    if status != OPTIMAL:  # out of time already: the plan found, against the LP bound
        return Solution(x, status, rel_gap(lb, ub), ub, n)
    keep = np.flatnonzero(ub + d >= lb - tol)
    x2, status, bound = _mip(a, v, b, keep, gap=gap, seconds=left(), start=x)
    if float(v[x2].sum()) >= lb:
        x = x2
    value = float(v[x].sum())
    bound = ub if bound is None else min(ub, max(bound, value))
    return Solution(x, status, rel_gap(value, bound), bound, len(keep))


#: Measured model of the solve time (scripts/bench_relocation.py, CPU seconds on a 2-core
#: machine): 200 × 300 → 0.2 s, 500 × 1,000 → 0.4 s, 1,000 × 3,000 → 6 s; fitted as
#: ``0.2 + 1.15 · (movers × free parcels / 10⁶)^1.5``.
ESTIMATE_BASE_S, ESTIMATE_SCALE_S, ESTIMATE_POWER = 0.2, 1.15, 1.5
#: From this many movers × free parcels on, the screen says how long it expects.
NOTICE_FROM = 1_000_000


def estimate_seconds(n_movers: int, n_free: int) -> float:
    """Expected seconds of a plan for ``n_movers`` movers on ``n_free`` free parcels.

    >>> round(estimate_seconds(1000, 3000), 1), round(estimate_seconds(200, 300), 2)
    (6.2, 0.22)
    """
    size = max(n_movers, 0) * max(n_free, 0) / 1e6
    return ESTIMATE_BASE_S + ESTIMATE_SCALE_S * size**ESTIMATE_POWER
