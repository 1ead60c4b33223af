"""Coverage models: maximal covering (MCLP) and minimum set cover (LSCP).

A demand point is covered when an open site is within ``radius`` (same unit as the matrix:
minutes of road time, km). MCLP opens at most p sites and/or stays within an opening budget.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix

from ._inputs import as_matrix, as_vector, check_reachable, name_list, site_masks
from .mip import solve_mip
from .result import SitingError, SitingResult, Status

__all__ = ["solve_lscp", "solve_mclp"]


def _cover_rows(reach: np.ndarray, first_row: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse (row, site) entries of Σ_{i covers j} y_i, one row per demand point."""
    ii, jj = np.nonzero(reach)
    return first_row + jj, ii


def _nearest_open(c: np.ndarray, open_idx: np.ndarray, radius: float) -> np.ndarray:
    """Nearest open site within the radius for every demand point (-1 when none)."""
    if open_idx.size == 0:
        return np.full(c.shape[1], -1)
    sub = c[open_idx]
    near = np.argmin(sub, axis=0)
    ok = sub[near, np.arange(c.shape[1])] <= radius
    return np.where(ok, open_idx[near], -1)


def solve_mclp(
    cost: np.ndarray,
    radius: float,
    p: int | None = None,
    demand: np.ndarray | None = None,
    *,
    opening_cost: np.ndarray | None = None,
    budget: float | None = None,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    skip_uncoverable: bool = False,
    time_limit: float = 60.0,
    solver: str = "scip",
) -> SitingResult:
    """Maximise demand covered within ``radius`` with at most ``p`` sites and/or a budget.

    Demand points no allowed site can reach within the radius raise :class:`SitingError`
    (naming them) unless ``skip_uncoverable``; they are then simply never covered.
    """
    t0 = time.perf_counter()
    c = as_matrix(cost)
    m, n = c.shape
    d = as_vector(demand, n, "demand")
    must, allowed = site_masks(m, must_open, forbidden)
    f = as_vector(opening_cost, m, "opening_cost", default=0.0)
    if p is None and budget is None:
        raise SitingError("MCLP needs p (number of sites) or budget (opening cost cap)")
    if p is not None:
        if p < 1:
            raise SitingError(f"p must be ≥ 1, got {p}")
        if int(must.sum()) > p:
            raise SitingError(f"{int(must.sum())} must_open sites exceed p={p}")
    if budget is not None and f[must].sum() > budget + 1e-9:
        raise SitingError(
            f"opening cost {f[must].sum():g} of must_open sites "
            f"({name_list(np.flatnonzero(must))}) exceeds the budget {budget:g}"
        )
    reach = (c <= radius) & allowed[:, None]
    coverable = reach.any(axis=0)
    if not skip_uncoverable:
        check_reachable(reach, allowed, f"within radius {radius:g}")
    cols = np.flatnonzero(coverable & (d > 0))
    k = cols.size
    # variables: y (m) then z (k); rows: z_j - Σ y_i ≤ 0 per kept j, then p / budget
    r_y, c_y = _cover_rows(reach[:, cols], 0)
    rows = [r_y, np.arange(k)]
    cidx = [c_y, m + np.arange(k)]
    vals = [-np.ones(r_y.size), np.ones(k)]
    lo, hi = [np.full(k, -np.inf)], [np.zeros(k)]
    nrow = k
    if p is not None:
        rows.append(np.full(m, nrow)), cidx.append(np.arange(m)), vals.append(np.ones(m))
        lo.append([-np.inf]), hi.append([p])
        nrow += 1
    if budget is not None:
        rows.append(np.full(m, nrow)), cidx.append(np.arange(m)), vals.append(f)
        lo.append([-np.inf]), hi.append([budget])
        nrow += 1
    a = csr_matrix(coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cidx))), shape=(nrow, m + k)
    ))
    sol = solve_mip(
        np.concatenate([np.zeros(m), d[cols]]), a, np.concatenate(lo), np.concatenate(hi),
        np.concatenate([must.astype(float), np.zeros(k)]),
        np.concatenate([allowed.astype(float), np.ones(k)]),
        np.concatenate([np.ones(m, bool), np.zeros(k, bool)]),
        time_limit=time_limit, maximize=True, solver=solver,
    )
    if sol.values is None:
        return SitingResult("mclp", sol.status, -np.inf, sol.bound, np.zeros(0, np.int64),
                            np.full(n, -1), time.perf_counter() - t0, solver)
    open_idx = np.flatnonzero(sol.values[:m] > 0.5)
    assign = _nearest_open(c, open_idx, radius)
    covered = float(d[assign >= 0].sum())
    return SitingResult(
        "mclp", sol.status, covered, max(covered, sol.bound), open_idx, assign,
        time.perf_counter() - t0, solver,
        stats={"covered_share": covered / max(float(d.sum()), 1e-300),
               "uncoverable": np.flatnonzero(~coverable).tolist(),
               "opening_cost": float(f[open_idx].sum())},
    )


def solve_lscp(
    cost: np.ndarray,
    radius: float,
    *,
    opening_cost: np.ndarray | None = None,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    time_limit: float = 60.0,
    solver: str = "scip",
) -> SitingResult:
    """Fewest sites (or least opening cost, if given) so every demand point is within radius."""
    t0 = time.perf_counter()
    c = as_matrix(cost)
    m, n = c.shape
    must, allowed = site_masks(m, must_open, forbidden)
    f = as_vector(opening_cost, m, "opening_cost", default=1.0)
    reach = (c <= radius) & allowed[:, None]
    check_reachable(reach, allowed, f"within radius {radius:g}")
    r, s = _cover_rows(reach, 0)
    a = csr_matrix(coo_matrix((np.ones(r.size), (r, s)), shape=(n, m)))
    sol = solve_mip(
        f, a, np.ones(n), np.full(n, np.inf), must.astype(float), allowed.astype(float),
        np.ones(m, bool), time_limit=time_limit, solver=solver,
    )
    if sol.values is None:
        return SitingResult("lscp", sol.status, np.inf, sol.bound, np.zeros(0, np.int64),
                            np.full(n, -1), time.perf_counter() - t0, solver)
    open_idx = np.flatnonzero(sol.values > 0.5)
    status = sol.status if sol.status != Status.INFEASIBLE else Status.INFEASIBLE
    return SitingResult(
        "lscp", status, float(f[open_idx].sum()), sol.bound, open_idx,
        _nearest_open(c, open_idx, radius), time.perf_counter() - t0, solver,
    )
