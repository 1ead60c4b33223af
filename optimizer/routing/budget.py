"""Time budgets by measured progress: a search that stops improving gives its time back.

Fixed shares of the time limit were tuned on one generator; on other instances the time
given to a search that had already converged was lost. ``Stall`` ends a search at its
deadline or once its best cost has not improved for as long as ``patience`` times the
time it took to reach it (at least ``min_s``), and the caller hands what is left on.
"""

from __future__ import annotations

import math
import time

STALL_PATIENCE = 1.0  # idle time allowed, as a multiple of the time to the current best
STALL_MIN_S = 1.0
STALL_REL = 1e-4  # an improvement smaller than this share of the cost does not count


class Stall:
    """A stopping rule for searches that report their best cost (PyVRP's ``stop``)."""

    def __init__(
        self,
        deadline: float,
        *,
        patience: float | None = STALL_PATIENCE,
        min_s: float = STALL_MIN_S,
        rel: float = STALL_REL,
    ) -> None:
        """``deadline``: ``time.perf_counter()`` value at which the search ends anyway;
        ``patience`` None: only the deadline counts."""
        self.deadline = deadline
        self.patience = patience
        self.min_s = min_s
        self.rel = rel
        self.started = self.improved_at = time.perf_counter()
        self.best = math.inf
        self.stalled = False

    def __call__(self, cost: float) -> bool:
        now = time.perf_counter()
        if cost < self.best and (
            not math.isfinite(self.best) or cost < self.best - self.rel * abs(self.best)
        ):
            self.best, self.improved_at = cost, now
        if now >= self.deadline:
            return True
        if self.patience is None or not math.isfinite(self.best):
            return False
        idle = now - self.improved_at
        self.stalled = idle > max(self.min_s, self.patience * (self.improved_at - self.started))
        return self.stalled
