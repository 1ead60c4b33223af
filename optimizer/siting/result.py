"""Result type and error type shared by every siting model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SitingError", "SitingResult", "Status"]


class SitingError(ValueError):
    """Bad or infeasible siting input, with a message that names the offending sites."""


class Status:
    """Solve status strings used in :class:`SitingResult` (plain strings for JSON output)."""

    OPTIMAL = "optimal"  # proven optimal (gap within tolerance)
    FEASIBLE = "feasible"  # a solution, not proven optimal (time limit or heuristic)
    INFEASIBLE = "infeasible"  # proven infeasible
    NO_SOLUTION = "no_solution"  # time limit reached before any solution


@dataclass
class SitingResult:
    """Outcome of a siting solve.

    ``assignment[j]`` is the candidate index serving demand point ``j`` (-1 when unserved,
    e.g. uncovered in a coverage model). For split-demand models ``flows[i, j]`` is the
    fraction of demand ``j`` served from candidate ``i`` and ``assignment`` is the largest
    share. ``gap`` is ``(objective - bound) / max(1, |objective|)`` for minimisation.
    """

    model: str
    status: str
    objective: float
    bound: float
    open_sites: np.ndarray
    assignment: np.ndarray
    time_s: float
    solver: str
    flows: np.ndarray | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative proven gap between objective and bound (0 when optimal)."""
        if not np.isfinite(self.objective) or not np.isfinite(self.bound):
            return float("inf")
        return abs(self.objective - self.bound) / max(1.0, abs(self.objective))

    @property
    def is_optimal(self) -> bool:
        return self.status == Status.OPTIMAL

    def summary(self) -> dict[str, Any]:
        """Plain-Python view (JSON-ready) for reports and the scenario-comparison layer."""
        def num(x: float) -> float | None:
            return float(x) if np.isfinite(x) else None

        return {
            "model": self.model,
            "status": self.status,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "open_sites": [int(i) for i in self.open_sites],
            "assignment": [int(i) for i in self.assignment],
            "time_s": round(self.time_s, 3),
            "solver": self.solver,
        }
