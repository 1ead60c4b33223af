"""Progress reports of a solve: phases, and the cost of the best whole plan known.

The pipeline calls ``progress(phase, elapsed_s, cost)``. ``cost`` is the cost (CNY) of a
validated plan of the whole batch, or ``inf`` when the phase has none yet: while the
deliveries are planned alone there is no plan for the pickups, so a part's cost is not
a cost of the plan. ``BestSoFar`` folds the reports into what a person wants to see: the
current phase and the cheapest plan known so far, which never goes up.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[str, float, float], None]  # (phase, elapsed s, whole-plan cost CNY)


@dataclass
class BestSoFar:
    """The last phase reported and the cheapest whole plan reported so far (thread-safe:
    a display thread reads it while the solve reports)."""

    phase: str = ""
    best: float = math.inf
    reports: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, phase: str, elapsed: float, cost: float) -> None:
        with self._lock:
            self.phase = phase
            self.reports += 1
            if cost < self.best:
                self.best = cost

    def snapshot(self) -> tuple[str, float]:
        """(phase, best cost) at this moment; the cost is ``inf`` before any whole plan."""
        with self._lock:
            return self.phase, self.best


class PartsProgress:
    """Reports of a batch planned in two parts (deliveries alone, pickups alone) as costs
    of the whole: the sum of the parts' best costs once both have one, ``inf`` before."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.best: dict[str, float] = {}

    def part(self, name: str) -> Progress | None:
        """The ``progress`` of part ``name``'s search."""
        if self.progress is None:
            return None

        def report(phase: str, elapsed: float, cost: float) -> None:
            self.best[name] = min(cost, self.best.get(name, math.inf))
            total = sum(self.best.values()) if len(self.best) == 2 else math.inf
            self.progress(phase, elapsed, total)  # type: ignore[misc]

        return report

    def done(self, name: str, cost: float) -> None:
        """Part ``name`` is final at ``cost`` (after polishing, say)."""
        self.best[name] = cost


def shifted(progress: Progress | None, extra: float, prefix: str = "") -> Progress | None:
    """``progress`` for a sub-plan whose whole-plan cost is its own plus ``extra`` (e.g.
    the penalties of optional orders left out before solving; ``inf`` when the rest of
    the plan is not known yet), its phases prefixed with ``prefix``."""
    if progress is None:
        return None

    def report(phase: str, elapsed: float, cost: float) -> None:
        progress(prefix + phase, elapsed, cost + extra)

    return report
