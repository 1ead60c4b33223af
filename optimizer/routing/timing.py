"""Service-start times along a node sequence, for routes that polishing rebuilds.

Engines give each route its own schedule; a route changed by a move needs a new one.
``schedule`` serves every node as early as its windows allow; ``tighten`` then
leaves the depot as late as that schedule's waiting allows, so the route is as short
as it can be (time is paid by the hour). With a vehicle type's rest rules, both place
the driver's rests stop by stop (``breaks.Driver``), as ``assemble_route`` does. The
validator checks everything else.
"""

from __future__ import annotations

import itertools

import numpy as np

from optimizer.model import RestRules
from optimizer.routing.breaks import Driver
from optimizer.routing.problem import LOAD, UNLOAD, RoutingProblem


def schedule(
    problem: RoutingProblem,
    minutes: np.ndarray,
    start: float,
    nodes: list[int],
    rules: RestRules | None = None,
) -> list[float] | None:
    """Earliest service starts along ``nodes`` leaving at ``start`` (with the driver's
    rests under ``rules``); None when a window is missed."""
    if rules is not None:
        driver = Driver.of(rules, start, meal=False)
        times = _schedule_resting(problem, minutes, start, nodes, driver)
        if times is not None and not driver.meal_missing(times[-1]):
            return times
        return _schedule_resting(problem, minutes, start, nodes, Driver.of(rules, start))
    times = [start]
    for a, b in itertools.pairwise(nodes):
        arrival = times[-1] + float(minutes[a, b])
        windows = problem.node_windows[b]
        start = next((max(arrival, lo) for lo, hi in windows if arrival <= hi), None)
        if start is None:
            return None
        times.append(start)
    return times


def _schedule_resting(
    problem: RoutingProblem,
    minutes: np.ndarray,
    start: float,
    nodes: list[int],
    driver: Driver,
) -> list[float] | None:
    """``schedule`` with rests: stops are runs of nodes as ``assemble_route`` groups
    them, and ``driver``'s rests are placed on leaving each (a rest before service moves
    the stop's service start)."""
    p = problem
    times = [start]
    stop, first, arrival = 0, 0, start  # the current stop: its index, first node, arrival
    for i, (a, b) in enumerate(itertools.pairwise(nodes), start=1):
        if p.node_site[a] == p.node_site[b] and p.node_shared[b]:
            at = times[-1] + float(minutes[a, b])
        else:
            acts = [k for k in range(first, i) if p.node_role[nodes[k]] in (LOAD, UNLOAD)]
            latest = min((window_end(p, nodes[k], times[k]) for k in acts), default=np.inf)
            served = times[-1]
            service = float(p.node_service[nodes[acts[0]]]) if acts else 0.0
            travel = float(p.travel.minutes[p.node_site[a], p.node_site[b]])
            begins, _, at = driver.leave(stop, arrival, served, service, latest, travel)
            for k in acts:
                times[k] = max(times[k], begins)
            stop, first, arrival = stop + 1, i, at
        start = next((max(at, lo) for lo, hi in p.node_windows[b] if at <= hi), None)
        if start is None:
            return None
        times.append(start)
    return times


def tighten(
    problem: RoutingProblem,
    minutes: np.ndarray,
    times: list[float],
    nodes: list[int],
    rules: RestRules | None = None,
) -> list[float]:
    """``times`` (a schedule of ``nodes``) with the departure delayed by as much of the
    waiting as every later window allows (Savelsbergh's forward time slack): same end,
    shorter route. With ``rules``, re-timed with rests from that departure (``times``
    when it then misses a window: waiting it used may have held a rest)."""
    if rules is not None:
        tight = tighten(problem, minutes, times, nodes)
        if tight is times:
            return times
        later = schedule(problem, minutes, tight[0], nodes, rules)
        if later is None or later[-1] - later[0] > times[-1] - times[0] + 1e-9:
            return times
        return later
    if len(nodes) < 2:
        return times
    t = np.asarray(times)
    idx = np.asarray(nodes)
    arrival = t[:-1] + minutes[idx[:-1], idx[1:]]
    waited = np.concatenate([[0.0], np.cumsum(t[1:] - arrival)])
    late = np.array([window_end(problem, n, s) for n, s in zip(nodes, times, strict=True)])
    delay = float(min(waited[-1], np.min(waited + late - t)))
    if delay <= 1e-9:
        return times
    # Leaving ``delay`` later shifts each service by what the waiting before it does not
    # absorb; every start stays inside the window it used.
    return list(t + np.maximum(0.0, delay - waited))


def window_end(problem: RoutingProblem, node: int, at: float) -> float:
    """End of the window of ``node`` that a service start at ``at`` uses."""
    return next((hi for lo, hi in problem.node_windows[node] if lo <= at <= hi), at)
