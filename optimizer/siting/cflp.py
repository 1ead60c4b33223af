"""Capacitated facility location (split demand): opening cost + transport cost, proven optimal.

Model: min Σ f_i y_i + Σ a_ij x_ij  s.t.  Σ_i x_ij = 1,  Σ_j d_j x_ij ≤ s_i y_i,  x_ij ≤ y_i,
Σ s_i y_i ≥ D,  x ≥ 0,  y binary. ``a_ij`` is the cost of serving *all* of j's demand from i.

Before the MIP, the demand constraints are relaxed with multipliers (each site then solves a
continuous knapsack; the sites to open solve a covering knapsack on capacity). The best
multipliers give a lower bound and, with the Lagrangian-heuristic incumbent, fix most sites
open or closed, so SCIP only sees the few undecided sites (Beasley 1988, 1993).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix

from ._inputs import as_matrix, as_vector, check_reachable, name_list, site_masks
from .mip import solve_mip
from .result import SitingError, SitingResult, Status

__all__ = ["cflp_heuristic", "solve_cflp", "transport"]


@dataclass
class _Problem:
    a: np.ndarray  # (m, n) cost of serving all of j from i (inf = not allowed)
    d: np.ndarray
    s: np.ndarray
    f: np.ndarray
    must: np.ndarray
    allowed: np.ndarray


def _prepare(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    cost_per_unit: bool,
    must_open: list[int] | None,
    forbidden: list[int] | None,
    max_cost: float | None,
) -> _Problem:
    """Validate and normalise CFLP input; raises :class:`SitingError` naming the sites."""
    c = as_matrix(cost)
    m, n = c.shape
    d = as_vector(demand, n, "demand")
    s = as_vector(capacity, m, "capacity")
    f = as_vector(opening_cost, m, "opening_cost", default=0.0)
    must, allowed = site_masks(m, must_open, forbidden)
    if max_cost is not None:
        c = np.where(c <= max_cost, c, np.inf)
    check_reachable(np.isfinite(c), allowed, f"within {max_cost}" if max_cost else "")
    total_cap, total_dem = float(s[allowed].sum()), float(d.sum())
    if total_cap < total_dem - 1e-9:
        raise SitingError(
            f"total capacity {total_cap:g} of the allowed sites is below total demand "
            f"{total_dem:g} (short by {total_dem - total_cap:g})"
        )
    reach_cap = (np.isfinite(c) & allowed[:, None]) * s[:, None]
    short = np.flatnonzero(reach_cap.sum(axis=0) < d - 1e-9)
    if short.size:
        raise SitingError(
            f"demand points {name_list(short)} exceed the total capacity of the sites "
            "that can reach them"
        )
    a = c * d[None, :] if cost_per_unit else c.copy()
    a[:, d == 0] = np.where(np.isfinite(c[:, d == 0]), 0.0, np.inf)
    a[~allowed] = np.inf
    return _Problem(a, d, s, f, must, allowed)


def transport(
    a: np.ndarray, d: np.ndarray, s: np.ndarray, open_idx: np.ndarray
) -> tuple[float, np.ndarray | None]:
    """Optimal split-demand allocation to an open set (LP); ``(inf, None)`` if infeasible.

    Returns the transport cost and ``flows`` of shape (m, n): fraction of j served by i.
    """
    m, n = a.shape
    open_idx = np.asarray(open_idx, dtype=np.int64)
    sub = a[open_idx]
    ok = np.isfinite(sub)
    if not ok.any(axis=0).all() or s[open_idx].sum() < d.sum() - 1e-9:
        return np.inf, None
    ii, jj = np.nonzero(ok)
    k = ii.size
    a_eq = csr_matrix((np.ones(k), (jj, np.arange(k))), shape=(n, k))
    a_ub = csr_matrix((d[jj], (ii, np.arange(k))), shape=(len(open_idx), k))
    res = linprog(
        sub[ii, jj], A_ub=a_ub, b_ub=s[open_idx], A_eq=a_eq, b_eq=np.ones(n),
        bounds=(0, 1), method="highs",
    )
    if res.status != 0:
        return np.inf, None
    flows = np.zeros((m, n))
    flows[open_idx[ii], jj] = res.x
    return float(res.fun), flows


def _cover(
    v: np.ndarray, s: np.ndarray, need: float, must: np.ndarray, allowed: np.ndarray
) -> tuple[float, np.ndarray]:
    """min Σ v_i y_i s.t. Σ s_i y_i ≥ need: exact when free capacities are equal, else the LP
    value (a valid lower bound) with the last fractional site rounded up in ``y``."""
    y = must | (allowed & (v < 0))
    val = float(v[y].sum())
    rest = need - float(s[y].sum())
    if rest <= 1e-9:
        return val, y
    idx = np.flatnonzero(allowed & ~y)
    if idx.size == 0:
        return np.inf, y
    cap = s[idx]
    if np.all(cap == cap[0]):
        k = int(np.ceil(rest / cap[0] - 1e-9))
        if k > idx.size:
            return np.inf, y
        pick = idx[np.argsort(v[idx], kind="stable")[:k]]
        y[pick] = True
        return val + float(v[pick].sum()), y
    order = idx[np.argsort(v[idx] / np.maximum(s[idx], 1e-12), kind="stable")]
    cum = np.cumsum(s[order])
    last = int(np.searchsorted(cum, rest - 1e-9))
    if last >= order.size:
        return np.inf, y
    before = cum[last - 1] if last > 0 else 0.0
    frac = (rest - before) / s[order[last]]
    y[order[: last + 1]] = True
    return val + float(v[order[:last]].sum()) + frac * float(v[order[last]]), y


def _knapsacks(pb: _Problem, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-site continuous knapsack: value v_i (with f_i) and the fractions x_ij taken."""
    r = pb.a - lam[None, :]
    neg = r < 0
    dsafe = np.maximum(pb.d, 1e-300)
    ratio = np.where(neg, r / dsafe[None, :], 0.0)
    ratio[:, pb.d == 0] = np.where(neg[:, pb.d == 0], -np.inf, 0.0)
    order = np.argsort(ratio, axis=1, kind="stable")
    ds = pb.d[order]
    negs = np.take_along_axis(neg, order, 1)
    used = np.cumsum(ds * negs, axis=1) - ds * negs
    room = pb.s[:, None] - used
    take_s = np.where(
        negs,
        np.where(ds > 0, np.clip(room / np.maximum(ds, 1e-300), 0.0, 1.0), 1.0),
        0.0,
    )
    take = np.empty_like(take_s)
    np.put_along_axis(take, order, take_s, 1)
    rf = np.where(np.isfinite(r), r, 0.0)
    v = pb.f + (rf * take).sum(axis=1)
    v[~pb.allowed] = np.inf
    return v, take


@dataclass
class _Lag:
    bound: float
    lam: np.ndarray
    ub: float
    ub_open: np.ndarray
    ub_flows: np.ndarray | None
    iters: int


def _lagrangian(
    pb: _Problem, deadline: float, max_iter: int = 1500, max_eval: int = 12, min_step: float = 1e-4
) -> _Lag:
    """Subgradient on the demand constraints, with a Lagrangian heuristic for the incumbent."""
    fin = np.where(np.isfinite(pb.a), pb.a, np.inf)
    share = pb.f[:, None] * pb.d[None, :] / np.maximum(pb.s, 1e-12)[:, None]
    lam = np.min(fin + share, axis=0)
    need = float(pb.d.sum())
    best = _Lag(-np.inf, lam.copy(), np.inf, np.zeros(0, np.int64), None, 0)
    seen: set[bytes] = set()
    f_step, stall, it = 2.0, 0, 0
    for it in range(max_iter):  # noqa: B007
        v, take = _knapsacks(pb, lam)
        kval, y = _cover(v, pb.s, need, pb.must, pb.allowed)
        lb = float(lam.sum()) + kval
        if lb > best.bound + 1e-9 * max(1.0, abs(lb)):
            best.bound, best.lam, stall = lb, lam.copy(), 0
        else:
            stall += 1
        key = np.flatnonzero(y).tobytes()
        if stall % 10 == 5 and key not in seen and len(seen) < max_eval:
            seen.add(key)
            cost, flows = _improve(pb, np.flatnonzero(y), deadline)
            if cost < best.ub:
                best.ub, best.ub_open, best.ub_flows = cost, _open_of(flows), flows
        if stall >= 20:
            f_step, stall = f_step / 2, 0
        if f_step < min_step or time.perf_counter() > deadline:
            break
        if np.isfinite(best.ub) and best.ub - best.bound <= 1e-9 * max(1.0, abs(best.ub)):
            break
        g = 1.0 - (take * y[:, None]).sum(axis=0)
        gg = float(g @ g)
        if gg < 1e-12:
            break
        ref = best.ub if np.isfinite(best.ub) else lb * 1.05 + 1.0
        lam = lam + f_step * max(ref - lb, 1e-9 * abs(lb)) / gg * g
    if max_eval and not np.isfinite(best.ub) and time.perf_counter() < deadline:
        v, _ = _knapsacks(pb, best.lam)
        _, y = _cover(v, pb.s, need, pb.must, pb.allowed)
        best.ub, best.ub_flows = _improve(pb, np.flatnonzero(y), deadline)
        best.ub_open = _open_of(best.ub_flows)
    best.iters = it + 1
    return best


def _open_of(flows: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, np.int64) if flows is None else np.flatnonzero(flows.sum(axis=1) > 1e-9)


def _total(pb: _Problem, open_idx: np.ndarray, deadline: float) -> tuple[float, np.ndarray | None]:
    tc, flows = transport(pb.a, pb.d, pb.s, open_idx)
    return tc + float(pb.f[open_idx].sum()), flows


def _improve(
    pb: _Problem, open_idx: np.ndarray, deadline: float
) -> tuple[float, np.ndarray | None]:
    """Drop sites that serve nothing, then try closing each open site (first improvement)."""
    cost, flows = _total(pb, open_idx, deadline)
    if flows is None:
        return cost, flows
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        cur = _open_of(flows)
        cur = np.union1d(cur, np.flatnonzero(pb.must))
        c2, f2 = _total(pb, cur, deadline)
        if c2 < cost - 1e-9:
            cost, flows = c2, f2
        # try closing the sites with the least saving per unit of opening cost first
        load = flows.sum(axis=1)
        for i in cur[np.argsort(load[cur])]:
            if pb.must[i]:
                continue
            trial = cur[cur != i]
            if pb.s[trial].sum() < pb.d.sum():
                continue
            c3, f3 = _total(pb, trial, deadline)
            if c3 < cost - 1e-9 * max(1.0, cost):
                cost, flows, improved = c3, f3, True
                break
    return cost, flows


def cflp_heuristic(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    *,
    cost_per_unit: bool = True,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    max_cost: float | None = None,
    time_limit: float = 10.0,
) -> SitingResult:
    """Lagrangian heuristic + close-site local search; returns the Lagrangian bound too."""
    t0 = time.perf_counter()
    pb = _prepare(cost, demand, capacity, opening_cost, cost_per_unit, must_open, forbidden,
                  max_cost)
    lag = _lagrangian(pb, t0 + time_limit, max_iter=300, max_eval=6)
    status = Status.FEASIBLE if lag.ub_flows is not None else Status.NO_SOLUTION
    return _result(pb, lag.ub, lag.bound, lag.ub_flows, status, t0, "lagrangian-heuristic",
                   {"lagrangian_iters": lag.iters})


def solve_cflp(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    *,
    cost_per_unit: bool = True,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    budget: float | None = None,
    max_cost: float | None = None,
    time_limit: float = 60.0,
    solver: str = "scip",
    reduce: bool | None = None,
) -> SitingResult:
    """Capacitated facility location with split demand, solved to proven optimality.

    ``cost`` is candidates × demand points: per unit of demand when ``cost_per_unit``
    (e.g. yuan per kg), else for the whole demand of the point (OR-Library convention).
    ``budget`` caps total opening cost. ``flows[i, j]`` in the result is the fraction of
    demand j served by site i. ``reduce`` (default: only when m·n ≥ 20 000) runs the
    Lagrangian bound and site fixing first; small models go straight to the MIP.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    pb = _prepare(cost, demand, capacity, opening_cost, cost_per_unit, must_open, forbidden,
                  max_cost)
    y_lo, y_hi = pb.must.copy(), pb.allowed.copy()
    lb, ub, ub_flows = -np.inf, np.inf, None
    stats: dict[str, float | int] = {}
    if budget is not None:
        if pb.f[pb.must].sum() > budget + 1e-9:
            raise SitingError(
                f"opening cost {pb.f[pb.must].sum():g} of the must_open sites "
                f"({name_list(np.flatnonzero(pb.must))}) exceeds the budget {budget:g}"
            )
    elif reduce or (reduce is None and pb.a.size >= 20_000):
        lag = _lagrangian(pb, t0 + 0.3 * time_limit, max_eval=0, min_step=1e-3)
        lb, ub, ub_flows = lag.bound, lag.ub, lag.ub_flows
        stats.update(lagrangian_lb=lb, lagrangian_iters=lag.iters, heuristic_ub=ub)
        if lb >= ub - 1e-9 * max(1.0, abs(ub)):
            return _result(pb, ub, ub, ub_flows, Status.OPTIMAL, t0, "lagrangian", stats)
        # Guessed target T ≤ ub: every solution costing ≤ T survives the fixing, so an
        # optimum ≤ T of the reduced MIP is global; otherwise T is a new lower bound.
        step = 1e-3 * max(1.0, abs(lb))
        while True:
            target = min(ub, lb + step)
            y_lo, y_hi = _fix_sites(pb, lag.lam, lag.bound, target)
            stats.update(target=target, sites_free=int((y_hi & ~y_lo).sum()),
                         sites_open_fixed=int(y_lo.sum()))
            stats["mip_rounds"] = stats.get("mip_rounds", 0) + 1
            sol, cols = _solve_mip(pb, y_lo, y_hi, budget, ub_flows, deadline, solver)
            stats["mip_time_s"] = round(stats.get("mip_time_s", 0.0) + sol.time_s, 3)
            if sol.values is not None and _improves(sol.objective, ub):
                ub, ub_flows = sol.objective, _flows(pb, sol.values, cols)
            done = sol.status in (Status.OPTIMAL, Status.INFEASIBLE)
            if done and target >= ub - 1e-9 * abs(ub):
                return _result(pb, ub, ub, ub_flows, Status.OPTIMAL, t0, solver, stats)
            if not done or time.perf_counter() > deadline:
                # the restricted model holds every solution ≤ target, nothing more
                bound = max(lb, min(target, sol.bound)) if not done else max(lb, target)
                return _result(pb, ub, bound, ub_flows, Status.FEASIBLE, t0, solver, stats)
            lb, step = max(lb, target), step * 4  # nothing at or below the target exists
    stats.update(sites_free=int((y_hi & ~y_lo).sum()), sites_open_fixed=int(y_lo.sum()))
    sol, cols = _solve_mip(pb, y_lo, y_hi, budget, ub_flows, deadline, solver)
    stats["mip_time_s"] = round(sol.time_s, 3)
    if sol.values is not None and _improves(sol.objective, ub):
        ub, ub_flows = sol.objective, _flows(pb, sol.values, cols)
    closed = sol.status in (Status.OPTIMAL, Status.INFEASIBLE)
    bound = ub if closed else max(lb, min(ub, sol.bound))
    if ub_flows is None:
        status = Status.INFEASIBLE if sol.status == Status.INFEASIBLE else Status.NO_SOLUTION
        return _result(pb, np.inf, bound, None, status, t0, solver, stats)
    ok = ub - bound <= 1e-9 * max(1.0, abs(ub))
    return _result(pb, ub, ub if ok else bound, ub_flows,
                   Status.OPTIMAL if ok else Status.FEASIBLE, t0, solver, stats)


def _improves(obj: float, ub: float) -> bool:
    return not np.isfinite(ub) or obj < ub - 1e-9 * abs(ub)


def _flows(pb: _Problem, values: np.ndarray, cols: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    m = pb.a.shape[0]
    flows = np.zeros_like(pb.a)
    flows[cols[0], cols[1]] = values[m:]
    return flows


def _fix_sites(
    pb: _Problem, lam: np.ndarray, lb: float, ub: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fix y_i = 0 / 1 when forcing the opposite pushes the Lagrangian bound above ub."""
    y_lo, y_hi = pb.must.copy(), pb.allowed.copy()
    if not np.isfinite(ub):
        return y_lo, y_hi
    v, _ = _knapsacks(pb, lam)
    need = float(pb.d.sum())
    base = float(lam.sum())
    tol = 1e-9 * max(1.0, abs(ub))
    for i in np.flatnonzero(pb.allowed & ~pb.must):
        must_i = pb.must.copy()
        must_i[i] = True
        if base + _cover(v, pb.s, need, must_i, pb.allowed)[0] > ub + tol:
            y_hi[i] = False
            continue
        allowed_i = pb.allowed.copy()
        allowed_i[i] = False
        if base + _cover(v, pb.s, need, pb.must, allowed_i)[0] > ub + tol:
            y_lo[i] = True
    return y_lo, y_hi


def _solve_mip(
    pb: _Problem,
    y_lo: np.ndarray,
    y_hi: np.ndarray,
    budget: float | None,
    ub_flows: np.ndarray | None,
    deadline: float,
    solver: str,
):
    """Strong formulation over the sites not fixed closed; links only for undecided sites."""
    m, n = pb.a.shape
    ii, jj = np.nonzero(np.isfinite(pb.a) & y_hi[:, None])
    k = ii.size
    xs = m + np.arange(k)
    free_pair = np.flatnonzero(~y_lo[ii])
    nl = free_pair.size
    rows, cols, vals = [jj], [xs], [np.ones(k)]  # demand rows 0..n-1
    cap_r = n + np.arange(m)  # capacity rows: Σ d_j x_ij - s_i y_i ≤ 0
    rows += [n + ii, cap_r]
    cols += [xs, np.arange(m)]
    vals += [pb.d[jj], -pb.s]
    agg = n + m  # aggregate capacity row
    rows.append(np.full(m, agg)), cols.append(np.arange(m)), vals.append(pb.s.astype(float))
    link = agg + 1 + np.arange(nl)
    rows += [link, link]
    cols += [xs[free_pair], ii[free_pair]]
    vals += [np.ones(nl), -np.ones(nl)]
    lo = np.concatenate([np.ones(n), np.full(m, -np.inf), [pb.d.sum()], np.full(nl, -np.inf)])
    hi = np.concatenate([np.ones(n), np.zeros(m), [np.inf], np.zeros(nl)])
    if budget is not None:
        rows.append(np.full(m, lo.size)), cols.append(np.arange(m)), vals.append(pb.f)
        lo, hi = np.append(lo, -np.inf), np.append(hi, budget)
    a = csr_matrix(
        coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(lo.size, m + k),
        )
    )
    obj = np.concatenate([pb.f, pb.a[ii, jj]])
    hint = None
    if ub_flows is not None:
        hint = np.concatenate([(ub_flows.sum(axis=1) > 1e-9).astype(float), ub_flows[ii, jj]])
    integer = np.concatenate([np.ones(m, bool), np.zeros(k, bool)])
    sol = solve_mip(
        obj, a, lo, hi,
        np.concatenate([y_lo.astype(float), np.zeros(k)]),
        np.concatenate([y_hi.astype(float), np.ones(k)]),
        integer, time_limit=max(0.1, deadline - time.perf_counter()), hint=hint, solver=solver,
    )
    return sol, (ii, jj)


def _result(
    pb: _Problem,
    obj: float,
    bound: float,
    flows: np.ndarray | None,
    status: str,
    t0: float,
    solver: str,
    stats: dict,
) -> SitingResult:
    n = pb.a.shape[1]
    if flows is None:
        open_idx, assign = np.zeros(0, np.int64), np.full(n, -1)
    else:
        open_idx = _open_of(flows)
        assign = np.argmax(flows, axis=0)
    return SitingResult(
        "cflp", status, obj, bound, open_idx, assign, time.perf_counter() - t0, solver,
        flows=flows, stats=stats,
    )
