"""Siting models for collection centres (产地仓) and village pickup points.

All models take numpy matrices (candidates × demand points) and vectors, so any travel-time
or cost source (straight-line, road matrix) can feed them. Exact models report objective,
proven bound, gap and status: p-median and coverage with OR-Tools' SCIP after Lagrangian
reduction; capacitated facility location with a Lagrangian branch and bound over the
sites whose allocation LPs OR-Tools' GLOP solves (SCIP with a budget).
"""

from .cflp import cflp_heuristic, solve_cflp, transport
from .coverage import solve_lscp, solve_mclp
from .pickup_points import solve_pickup_points
from .pmedian import pmedian_heuristic, solve_pmedian
from .result import SitingError, SitingResult, Status

__all__ = [
    "SitingError",
    "SitingResult",
    "Status",
    "cflp_heuristic",
    "pmedian_heuristic",
    "solve_cflp",
    "solve_lscp",
    "solve_mclp",
    "solve_pickup_points",
    "solve_pmedian",
    "transport",
]
