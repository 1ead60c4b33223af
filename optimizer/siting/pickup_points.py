"""Village pickup points: every farm within a distance limit of a point, fewest points first,
then least kg-weighted distance (lexicographic), with the farm → point assignment.

Stage 1 is a set cover (fewest points); stage 2 is a p-median with p fixed to that minimum
and pairs beyond the limit forbidden, so the second objective never costs an extra point.
"""

from __future__ import annotations

import time

import numpy as np

from ._inputs import as_matrix, as_vector, site_masks
from .coverage import solve_lscp
from .pmedian import solve_pmedian
from .result import SitingError, SitingResult, Status

__all__ = ["solve_pickup_points"]


def solve_pickup_points(
    dist: np.ndarray,
    kg: np.ndarray,
    limit: float,
    *,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    time_limit: float = 60.0,
    solver: str = "scip",
) -> SitingResult:
    """Choose pickup points for farms.

    ``dist`` is candidates × farms (pass the farm-to-farm matrix to use farms as candidates),
    ``kg`` the daily produce per farm, ``limit`` the longest allowed farm → point distance.
    The result's ``objective`` is Σ kg·distance, ``stats['n_points']`` the number of points
    and ``assignment[j]`` the point serving farm j. Farms no allowed candidate reaches within
    the limit raise :class:`SitingError` naming them.
    """
    t0 = time.perf_counter()
    c = as_matrix(dist, "dist")
    m, n = c.shape
    w = as_vector(kg, n, "kg")
    site_masks(m, must_open, forbidden)  # validates the lists early
    if limit < 0:
        raise SitingError(f"limit must be ≥ 0, got {limit}")
    stage1 = solve_lscp(c, limit, must_open=must_open, forbidden=forbidden,
                        time_limit=time_limit / 2, solver=solver)
    if stage1.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return SitingResult("pickup-points", stage1.status, np.inf, -np.inf, stage1.open_sites,
                            stage1.assignment, time.perf_counter() - t0, solver)
    k = int(stage1.open_sites.size)
    remaining = max(0.1, time_limit - (time.perf_counter() - t0))
    stage2 = solve_pmedian(c, k, w, must_open=must_open, forbidden=forbidden, max_cost=limit,
                           time_limit=remaining, solver=solver, initial=stage1.open_sites)
    status = Status.OPTIMAL
    if stage1.status != Status.OPTIMAL or stage2.status != Status.OPTIMAL:
        status = Status.FEASIBLE
    load = np.bincount(stage2.assignment, weights=w, minlength=m)
    return SitingResult(
        "pickup-points", status, stage2.objective, stage2.bound, stage2.open_sites,
        stage2.assignment, time.perf_counter() - t0, solver,
        stats={
            "n_points": k,
            "n_points_bound": float(np.ceil(stage1.bound - 1e-6)),
            "kg_per_point": {int(i): float(load[i]) for i in stage2.open_sites},
            "max_distance": float(c[stage2.assignment, np.arange(n)].max()),
        },
    )
