"""Exact p-median: heuristic upper bound, Lagrangian lower bound, reduction, then small MIPs.

The full assignment MIP of a 900-node instance has 810 000 variables. Here the assignment
constraints are relaxed with multipliers (Beasley 1993); with the best multipliers every
pair (site, client) whose forced Lagrangian bound exceeds the incumbent is dropped and most
sites are fixed open or closed. If what remains is still large (small p: LP gaps near 1 %),
a Lagrangian branch-and-reduce on sites follows: opening a site also removes every pair
farther than it, so after a few branchings the nodes are tiny and SCIP (OR-Tools) closes
them. Small reduced models go to SCIP directly (Elloumi's radius formulation by default).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

from ._inputs import as_matrix, as_vector, check_p, check_reachable, site_masks
from .heuristics import pmedian_assign, pmedian_greedy, pmedian_swap
from .mip import solve_mip
from .result import SitingError, SitingResult, Status

__all__ = ["pmedian_heuristic", "solve_pmedian"]


@dataclass
class _Lagrange:
    bound: float
    lam: np.ndarray
    ub: float
    ub_open: np.ndarray
    iters: int


def _choose(rho: np.ndarray, p: int, must: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Mask of must-open sites plus the p - |must| free sites of smallest rho."""
    chosen = must.copy()
    k = p - int(must.sum())
    if k > 0:
        idx = np.flatnonzero(free)
        pick = idx[np.argpartition(rho[idx], k - 1)[:k]] if k < idx.size else idx
        chosen[pick] = True
    return chosen


def _subgradient(
    w: np.ndarray,
    p: int,
    must: np.ndarray,
    allowed: np.ndarray,
    ub: float,
    ub_open: np.ndarray,
    integral: bool,
    deadline: float,
    max_iter: int = 3000,
    max_polish: int = 8,
    lam0: np.ndarray | None = None,
) -> _Lagrange:
    """Maximise the Lagrangian dual of the assignment constraints by subgradient steps."""
    free = allowed & ~must
    if lam0 is None:
        _, assign = pmedian_assign(w, ub_open)
        lam = w[assign, np.arange(w.shape[1])].astype(float)
        lam = np.where(np.isfinite(lam), lam, np.nanmax(np.where(np.isfinite(w), w, 0)))
    else:
        lam = lam0.copy()
    best = _Lagrange(-np.inf, lam.copy(), ub, ub_open, 0)
    f, stall = (2.0 if lam0 is None else 0.5), 0
    tried: set[bytes] = set()
    it = 0
    for it in range(max_iter):  # noqa: B007
        r = w - lam[None, :]
        neg = np.minimum(r, 0.0)
        rho = np.where(allowed, neg.sum(axis=1), np.inf)
        chosen = _choose(rho, p, must, free)
        lb = float(lam.sum() + rho[chosen].sum())
        cand = np.flatnonzero(chosen)
        cost = float(w[cand].min(axis=0).sum())
        if cost < best.ub:
            best.ub, best.ub_open = cost, cand
        if lb > best.bound + 1e-9 * max(1.0, abs(lb)):
            best.bound, best.lam, stall = lb, lam.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                f, stall = f / 2, 0
                # Lagrangian heuristic: polish the relaxed solution by vertex substitution.
                key = cand.tobytes()
                if key not in tried and len(tried) < max_polish:
                    tried.add(key)
                    cand = pmedian_swap(w, cand, must, allowed)
                    cost = float(w[cand].min(axis=0).sum())
                    if cost < best.ub:
                        best.ub, best.ub_open = cost, cand
        target = best.ub - (1.0 if integral else 0.0)
        if best.bound > target - 1e-7 * max(1.0, abs(best.ub)) or f < 1e-4:
            break
        if not np.isfinite(best.ub):  # no incumbent: Polyak steps are undefined
            break
        if time.perf_counter() > deadline:
            break
        g = 1.0 - (neg[chosen] < 0).sum(axis=0)
        gg = float(g @ g)
        if gg == 0:
            break
        lam = lam + f * (best.ub - lb) / gg * g
    best.iters = it + 1
    return best


def pmedian_heuristic(
    cost: np.ndarray,
    p: int,
    demand: np.ndarray | None = None,
    *,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
) -> SitingResult:
    """Greedy + vertex substitution p-median: fast, no optimality proof (bound = -inf)."""
    t0 = time.perf_counter()
    c = as_matrix(cost)
    m, n = c.shape
    d = as_vector(demand, n, "demand")
    must, allowed = site_masks(m, must_open, forbidden)
    p = check_p(p, must, allowed)
    check_reachable(np.isfinite(c), allowed, "(all costs are infinite)")
    w = c * d[None, :]
    w[:, d == 0] = np.where(np.isfinite(c[:, d == 0]), 0.0, np.inf)
    opened = pmedian_swap(w, pmedian_greedy(w, p, must, allowed), must, allowed)
    obj, assign = pmedian_assign(w, opened)
    return SitingResult(
        "p-median", Status.FEASIBLE, obj, -np.inf, opened, assign,
        time.perf_counter() - t0, "vertex-substitution",
    )


def solve_pmedian(
    cost: np.ndarray,
    p: int,
    demand: np.ndarray | None = None,
    *,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    opening_cost: np.ndarray | None = None,
    budget: float | None = None,
    max_cost: float | None = None,
    time_limit: float = 60.0,
    solver: str = "scip",
    reduce: bool = True,
    formulation: str = "radius",
    initial: np.ndarray | None = None,
) -> SitingResult:
    """Minimise Σ_j demand_j · cost[site(j), j] with exactly p open sites, proven optimal.

    ``cost`` is candidates × demand points (travel time, km or money per unit); +inf marks
    a pair that may not be used, and ``max_cost`` forbids pairs above a service limit.
    ``budget`` caps Σ opening_cost over open sites. Returns a :class:`SitingResult` with
    the nearest-open ``assignment``, objective, proven bound and status. ``initial`` is an
    optional feasible open set (p sites) to warm-start the incumbent.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    c = as_matrix(cost)
    m, n = c.shape
    d = as_vector(demand, n, "demand")
    must, allowed = site_masks(m, must_open, forbidden)
    p = check_p(p, must, allowed)
    if max_cost is not None:
        c = np.where(c <= max_cost, c, np.inf)
    check_reachable(np.isfinite(c), allowed, f"within {max_cost}" if max_cost else "")
    fcost = as_vector(opening_cost, m, "opening_cost", default=0.0)
    if budget is not None:
        cheapest = np.sort(fcost[allowed & ~must])[: p - int(must.sum())].sum() + fcost[must].sum()
        if cheapest > budget + 1e-9:
            raise SitingError(f"budget {budget:g} is below the cheapest {p} sites ({cheapest:g})")
    w = c * d[None, :]
    w[:, d == 0] = np.where(np.isfinite(c[:, d == 0]), 0.0, np.inf)
    w[~allowed] = np.inf
    fin = np.isfinite(w)
    integral = bool(np.all(w[fin] == np.round(w[fin])))

    ub, ub_open, lb = np.inf, np.zeros(0, np.int64), -np.inf
    stats: dict[str, float | int | str] = {}
    keep = fin.copy()
    y_lo = must.astype(float)
    y_hi = allowed.astype(float)
    if reduce and budget is None:
        ub_open = pmedian_swap(w, pmedian_greedy(w, p, must, allowed), must, allowed)
        ub, _ = pmedian_assign(w, ub_open)
        if initial is not None and len(initial) == p:
            init = np.asarray(initial, dtype=np.int64)
            if allowed[init].all() and must[init].sum() == must.sum():
                init = pmedian_swap(w, init, must, allowed)
                cost, _ = pmedian_assign(w, init)
                if cost < ub:
                    ub, ub_open = cost, init
        stats["heuristic_ub"] = ub
    if reduce and budget is None and np.isfinite(ub):
        lag = _subgradient(w, p, must, allowed, ub, ub_open, integral, t0 + 0.4 * time_limit)
        lb, ub, ub_open = lag.bound, lag.ub, lag.ub_open
        stats.update(lagrangian_lb=lb, lagrangian_iters=lag.iters)
        keep, y_lo, y_hi = _reduce(w, p, must, allowed, lag.lam, lb, ub, integral)
    stats.update(pairs_kept=int(keep.sum()), sites_free=int((y_hi > y_lo).sum()))

    target = ub - (1.0 if integral else 0.0)
    if lb > target + 1e-7 * max(1.0, abs(ub)) or not keep.any(axis=0).all():
        return _result(w, ub_open, ub, ub, Status.OPTIMAL, t0, "lagrangian", stats)

    if budget is None and reduce and np.isfinite(ub) and keep.sum() > LEAF_PAIRS:
        inc = _Incumbent(ub, ub_open)
        rows = np.flatnonzero(y_hi > 0)
        w_red = np.where(keep, w, np.inf)[rows]
        done = _branch(w, w_red, rows, p, (y_lo > 0)[rows], inc, integral, deadline, solver,
                       lag.lam, 0, stats)
        bound = inc.ub if done else lb
        status = Status.OPTIMAL if done else Status.FEASIBLE
        return _result(w, inc.ub_open, inc.ub, bound, status, t0, "lagrangian-b&b+" + solver,
                       stats)
    build = _solve_radius if formulation == "radius" else _solve_reduced
    sol = build(w, keep, y_lo, y_hi, p, fcost, budget, ub_open, deadline, solver)
    stats["mip_time_s"] = round(sol.time_s, 3)
    if sol.values is not None and sol.objective < ub:
        ub_open = np.flatnonzero(sol.values[:m] > 0.5)
        ub = pmedian_assign(w, ub_open)[0]
    closed = sol.status in (Status.OPTIMAL, Status.INFEASIBLE)
    bound = ub if closed else max(lb, min(ub, sol.bound))
    if not np.isfinite(ub):
        status = Status.NO_SOLUTION if sol.status != Status.INFEASIBLE else Status.INFEASIBLE
        return SitingResult(
            "p-median", status, np.inf, bound, ub_open, np.full(n, -1),
            time.perf_counter() - t0, solver, stats=stats,
        )
    gap_ok = ub - bound <= 1e-9 * max(1.0, abs(ub)) + (0.999 if integral else 0.0)
    status = Status.OPTIMAL if gap_ok else Status.FEASIBLE
    return _result(w, ub_open, ub, ub if gap_ok else bound, status, t0, solver, stats)


LEAF_PAIRS = 1000  # reduced models up to this many pairs go straight to SCIP


@dataclass
class _Incumbent:
    ub: float
    ub_open: np.ndarray


def _branch(
    w_full: np.ndarray,
    w: np.ndarray,
    ids: np.ndarray,
    p: int,
    must: np.ndarray,
    inc: _Incumbent,
    integral: bool,
    deadline: float,
    solver: str,
    lam: np.ndarray,
    depth: int,
    stats: dict,
) -> bool:
    """Lagrangian branch-and-reduce on sites; small nodes are closed by SCIP.

    ``w`` has one row per still-allowed site (``ids`` maps rows to original sites) and inf
    for pairs that cannot appear in a better solution. Opening a site b also drops every
    pair farther than b for that client (b serves it at least as well). Returns True when
    the subtree is fully explored (no better solution left in it).
    """
    stats["bb_nodes"] = stats.get("bb_nodes", 0) + 1
    if time.perf_counter() > deadline:
        return False
    if int(must.sum()) == p or w.shape[0] == p:
        opened = ids[must] if int(must.sum()) == p else ids
        cost = float(w_full[opened].min(axis=0).sum())
        if cost < inc.ub:
            inc.ub, inc.ub_open = cost, opened
        return True
    allowed = np.ones(w.shape[0], bool)
    lag = _subgradient(w, p, must, allowed, inc.ub, np.zeros(0, np.int64), integral, deadline,
                       max_iter=300, max_polish=1, lam0=lam)
    if lag.ub_open.size:
        cost = float(w_full[ids[lag.ub_open]].min(axis=0).sum())
        if cost < inc.ub:
            inc.ub, inc.ub_open = cost, ids[lag.ub_open]
    target = inc.ub - (1.0 if integral else 0.0)
    if lag.bound > target + 1e-7 * max(1.0, abs(inc.ub)):
        return True
    keep, y_lo, y_hi = _reduce(w, p, must, allowed, lag.lam, lag.bound, inc.ub, integral)
    if not keep.any(axis=0).all() or int(y_hi.sum()) < p or int(y_lo.sum()) > p:
        return True
    rows = np.flatnonzero(y_hi > 0)
    w = np.where(keep, w, np.inf)[rows]
    ids, must = ids[rows], (y_lo > 0)[rows]
    if keep.sum() <= LEAF_PAIRS or depth >= 40:
        sol = _solve_reduced(w, np.isfinite(w), must.astype(float), np.ones(rows.size), p,
                             np.zeros(rows.size), None, np.zeros(0, np.int64), deadline, solver)
        stats["mip_calls"] = stats.get("mip_calls", 0) + 1
        if sol.values is not None:
            opened = ids[sol.values[: rows.size] > 0.5]
            cost = float(w_full[opened].min(axis=0).sum())
            if cost < inc.ub:
                inc.ub, inc.ub_open = cost, opened
        return sol.status in (Status.OPTIMAL, Status.INFEASIBLE)
    rho = np.minimum(w - lag.lam[None, :], 0.0).sum(axis=1)
    chosen = _choose(rho, p, must, ~must)
    cand = np.flatnonzero(chosen & ~must)
    b = int(cand[np.argmin(rho[cand])])
    # child 1: open b; clients then never use a site farther than b
    must1 = must.copy()
    must1[b] = True
    w1 = np.where(w <= w[b][None, :], w, np.inf)
    w1[b] = w[b]
    done1 = _branch(w_full, w1, ids, p, must1, inc, integral, deadline, solver, lag.lam,
                    depth + 1, stats)
    # child 2: close b
    rest = np.arange(w.shape[0]) != b
    done2 = _branch(w_full, w[rest], ids[rest], p, must[rest], inc, integral, deadline, solver,
                    lag.lam, depth + 1, stats)
    return done1 and done2


def _reduce(
    w: np.ndarray,
    p: int,
    must: np.ndarray,
    allowed: np.ndarray,
    lam: np.ndarray,
    lb: float,
    ub: float,
    integral: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lagrangian reduced-cost fixing: kept pairs and site bounds that any better solution obeys.

    Forcing pair (i, j) costs at least ``max(0, w_ij - λ_j)`` plus, if i is not in the
    Lagrangian solution, the swap price ``ρ_i - ρ_(p)``; pairs and sites whose forced bound
    exceeds the incumbent (minus 1 for integral data) cannot appear in a better solution.
    """
    free = allowed & ~must
    r = w - lam[None, :]
    rho = np.where(allowed, np.minimum(r, 0.0).sum(axis=1), np.inf)
    chosen = _choose(rho, p, must, free)
    target = ub - (1.0 if integral else 0.0) + 1e-7 * max(1.0, abs(ub))
    fc, fu = chosen & free, ~chosen & free
    rho_p = rho[fc].max() if fc.any() else np.inf
    rho_p1 = rho[fu].min() if fu.any() else np.inf
    swap_in = np.where(chosen, 0.0, rho - rho_p if fc.any() else np.inf)
    y_hi = (allowed & (lb + np.maximum(swap_in, 0.0) <= target)).astype(float)
    y_lo = (must | (fc & (lb + rho_p1 - rho > target))).astype(float)
    keep = (lb + np.maximum(r, 0.0) + np.maximum(swap_in, 0.0)[:, None] <= target)
    keep &= np.isfinite(w) & (y_hi[:, None] > 0)
    return keep, y_lo, y_hi


def _solve_radius(
    w: np.ndarray,
    keep: np.ndarray,
    y_lo: np.ndarray,
    y_hi: np.ndarray,
    p: int,
    fcost: np.ndarray,
    budget: float | None,
    ub_open: np.ndarray,
    deadline: float,
    solver: str,
):
    """Elloumi's radius formulation on the kept pairs (same LP bound, no x variables).

    For client j with distinct kept costs D¹ < … < Dᴸ: Σ_{i∈K_j} y_i ≥ 1 and
    z_jk + Σ_{i: w_ij ≤ Dᵏ} y_i ≥ 1 for k < L; cost_j = D¹ + Σ_k (Dᵏ⁺¹ - Dᵏ) z_jk.
    """
    m, n = w.shape
    jj, ii = np.nonzero(keep.T)  # pairs grouped by client
    cost = w[ii, jj]
    order = np.lexsort((cost, jj))
    ii, jj, cost = ii[order], jj[order], cost[order]
    start = np.searchsorted(jj, np.arange(n))
    # level index of each pair inside its client (ties share a level)
    new_level = np.ones(ii.size, bool)
    new_level[1:] = (jj[1:] != jj[:-1]) | (cost[1:] != cost[:-1])
    lvl_global = np.cumsum(new_level) - 1
    first_lvl = lvl_global[start]
    lvl = lvl_global - first_lvl[jj]
    n_lvl = np.bincount(jj, weights=new_level, minlength=n).astype(np.int64)
    d_lvl = cost[new_level]  # level values in client order
    n_z = n_lvl - 1
    z_off = np.concatenate([[0], np.cumsum(n_z)])[:-1]
    nz = int(n_z.sum())
    # cover rows 0..n-1
    rows = [jj]
    cols = [ii]
    # level rows: pair (i, j, ℓ) enters rows k = ℓ..L_j-2 of client j
    reps = n_z[jj] - lvl
    reps = np.maximum(reps, 0)
    pr = np.repeat(np.arange(ii.size), reps)
    k = np.arange(pr.size) - np.repeat(np.cumsum(reps) - reps, reps) + lvl[pr]
    rows.append(n + z_off[jj[pr]] + k)
    cols.append(ii[pr])
    zr = n + np.arange(nz)
    rows.append(zr)
    cols.append(m + np.arange(nz))
    card = n + nz
    rows.append(np.full(m, card))
    cols.append(np.arange(m))
    vals = [np.ones(r.size) for r in rows]
    lo = np.concatenate([np.ones(n + nz), [p]])
    hi = np.concatenate([np.full(n + nz, np.inf), [p]])
    if budget is not None:
        rows.append(np.full(m, card + 1)), cols.append(np.arange(m)), vals.append(fcost)
        lo, hi = np.append(lo, -np.inf), np.append(hi, budget)
    a = csr_matrix(
        coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(lo.size, m + nz),
        )
    )
    lvl_start = np.concatenate([[0], np.cumsum(n_lvl)])[:-1]
    zk = np.arange(nz) - np.repeat(z_off, n_z)
    zj = np.repeat(np.arange(n), n_z)
    obj = np.concatenate([np.zeros(m), d_lvl[lvl_start[zj] + zk + 1] - d_lvl[lvl_start[zj] + zk]])
    offset = float(d_lvl[lvl_start].sum())
    hint = None
    if ub_open.size:
        hint = np.zeros(m + nz)
        hint[ub_open] = 1.0
        served = w[ub_open].min(axis=0)
        hint[m:] = (d_lvl[lvl_start[zj] + zk] < served[zj]).astype(float)
    integer = np.concatenate([np.ones(m, bool), np.zeros(nz, bool)])
    return solve_mip(
        obj, a, lo, hi,
        np.concatenate([y_lo, np.zeros(nz)]), np.concatenate([y_hi, np.ones(nz)]),
        integer, time_limit=max(0.1, deadline - time.perf_counter()), hint=hint, solver=solver,
        offset=offset,
    )


def _solve_reduced(
    w: np.ndarray,
    keep: np.ndarray,
    y_lo: np.ndarray,
    y_hi: np.ndarray,
    p: int,
    fcost: np.ndarray,
    budget: float | None,
    ub_open: np.ndarray,
    deadline: float,
    solver: str,
):
    """Strong formulation on kept pairs: y (m binaries) then x (one per kept pair)."""
    m, n = w.shape
    ii, jj = np.nonzero(keep)
    k = ii.size
    xs = m + np.arange(k)
    rows, cols, vals = [], [], []
    # assignment rows 0..n-1: Σ_i x_ij = 1
    rows.append(jj), cols.append(xs), vals.append(np.ones(k))
    # linking rows n..n+k-1: x_ij - y_i ≤ 0
    link = n + np.arange(k)
    rows += [link, link]
    cols += [xs, ii]
    vals += [np.ones(k), -np.ones(k)]
    # cardinality row, then optional budget row
    card = n + k
    rows.append(np.full(m, card)), cols.append(np.arange(m)), vals.append(np.ones(m))
    lo = np.concatenate([np.ones(n), np.full(k, -np.inf), [p]])
    hi = np.concatenate([np.ones(n), np.zeros(k), [p]])
    if budget is not None:
        rows.append(np.full(m, card + 1)), cols.append(np.arange(m)), vals.append(fcost)
        lo, hi = np.append(lo, -np.inf), np.append(hi, budget)
    a = csr_matrix(
        coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(lo.size, m + k),
        )
    )
    obj = np.concatenate([np.zeros(m), w[ii, jj]])
    hint = None
    if ub_open.size:
        hint = np.zeros(m + k)
        hint[ub_open] = 1.0
        _, assign = pmedian_assign(w, ub_open)
        hint[m:] = (assign[jj] == ii).astype(float)
    integer = np.concatenate([np.ones(m, bool), np.zeros(k, bool)])
    return solve_mip(
        obj, a, lo, hi,
        np.concatenate([y_lo, np.zeros(k)]), np.concatenate([y_hi, np.ones(k)]),
        integer, time_limit=max(0.1, deadline - time.perf_counter()), hint=hint, solver=solver,
    )


def _result(
    w: np.ndarray,
    open_idx: np.ndarray,
    obj: float,
    bound: float,
    status: str,
    t0: float,
    solver: str,
    stats: dict,
) -> SitingResult:
    _, assign = pmedian_assign(w, open_idx)
    return SitingResult(
        "p-median", status, obj, bound, np.sort(open_idx), assign,
        time.perf_counter() - t0, solver, stats=stats,
    )
