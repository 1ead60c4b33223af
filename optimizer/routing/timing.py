"""Service-start times along a node sequence, for routes that polishing rebuilds.

Engines give each route its own schedule; a route changed by a move needs a new one.
``schedule`` serves every node as early as its windows allow; ``tighten`` then
leaves the depot as late as that schedule's waiting allows, so the route is as short
as it can be (time is paid by the hour). The validator checks everything else.
"""

from __future__ import annotations

import itertools

import numpy as np

from optimizer.routing.problem import RoutingProblem


def schedule(
    problem: RoutingProblem, minutes: np.ndarray, start: float, nodes: list[int]
) -> list[float] | None:
    """Earliest service starts along ``nodes`` leaving at ``start``; None when a window
    is missed."""
    times = [start]
    for a, b in itertools.pairwise(nodes):
        arrival = times[-1] + float(minutes[a, b])
        windows = problem.node_windows[b]
        start = next((max(arrival, lo) for lo, hi in windows if arrival <= hi), None)
        if start is None:
            return None
        times.append(start)
    return times


def tighten(
    problem: RoutingProblem, minutes: np.ndarray, times: list[float], nodes: list[int]
) -> list[float]:
    """``times`` (a schedule of ``nodes``) with the departure delayed by as much of the
    waiting as every later window allows (Savelsbergh's forward time slack): same end,
    shorter route."""
    if len(nodes) < 2:
        return times
    t = np.asarray(times)
    idx = np.asarray(nodes)
    arrival = t[:-1] + minutes[idx[:-1], idx[1:]]
    waited = np.concatenate([[0.0], np.cumsum(t[1:] - arrival)])
    late = np.array([_window_end(problem, n, s) for n, s in zip(nodes, times, strict=True)])
    delay = float(min(waited[-1], np.min(waited + late - t)))
    if delay <= 1e-9:
        return times
    # Leaving ``delay`` later shifts each service by what the waiting before it does not
    # absorb; every start stays inside the window it used.
    return list(t + np.maximum(0.0, delay - waited))


def _window_end(problem: RoutingProblem, node: int, at: float) -> float:
    """End of the window of ``node`` that a service start at ``at`` uses."""
    return next((hi for lo, hi in problem.node_windows[node] if lo <= at <= hi), at)
