"""True-cost polishing: improve any engine's routes under the exact cost, fuel included.

Neither engine can price fuel that grows with the load (domain.md §2.2): they see the
empty rate only. Polishing reorders each route's stations, where the load on each leg
changes with the order: it drops heavy parcels earlier and picks heavy produce later
when that saves more fuel than it costs in km and hours. Moves, within each trip
(between two depot visits) of each route:

- *or-opt*: move one stop (a station's consecutive actions) elsewhere in the trip;
- *2-opt*: reverse a run of stops.

Every candidate of a trip is scored at once with numpy (km and fuel along the new node
sequence, gathered from the node matrices); the most promising are re-timed (earliest
service starts) and checked exactly: the whole plan is rebuilt and validated, and a
move is kept only when the validated total cost falls. Hard constraints are therefore
never broken. Moves across routes are not made.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.kpis import engine_km_rate
from optimizer.routing.assemble import validated_plan
from optimizer.routing.ortools_engine import EngineResult, EngineRoute
from optimizer.routing.problem import END, START, RoutingProblem

CHECKS_PER_ROUND = 4  # exact checks of the best-scored candidates of a trip
MIN_GAIN_CNY = 0.01


@dataclass(frozen=True)
class Polished:
    result: EngineResult
    cost_before: float
    cost_after: float
    moves: int
    seconds: float


def exact_cost(
    problem: RoutingProblem, routes: list[EngineRoute], *, allow_short: bool = False
) -> float:
    """Total cost of the validated plan of ``routes``; inf when it breaks a rule
    (``allow_short``: except running fewer vehicles than ``min_used``)."""
    plan = validated_plan(problem, routes, allow=("min_used",) if allow_short else ())
    return math.inf if plan is None else plan.kpis.total_cost


def polish(problem: RoutingProblem, result: EngineResult, seconds: float) -> Polished:
    """``result`` improved under the exact cost within ``seconds`` (never made worse)."""
    started = time.perf_counter()
    deadline = started + seconds
    routes = [EngineRoute(r.vehicle, list(r.nodes), list(r.times)) for r in result.routes]
    best = before = exact_cost(problem, routes)
    moves = 0
    if best == math.inf or not routes:
        return Polished(result, before, before, 0, time.perf_counter() - started)
    scorer = _Scorer(problem)
    minutes = problem.node_times()
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for r, route in enumerate(routes):
            for lo, hi in _trips(problem, route.nodes):
                if time.perf_counter() >= deadline:
                    break
                candidates = _candidates(route.nodes, _stops(problem, route.nodes, lo, hi))
                if not candidates:
                    continue
                gains = scorer.gains(route, candidates)
                for c in np.argsort(-gains)[:CHECKS_PER_ROUND]:
                    if gains[c] <= MIN_GAIN_CNY:
                        break
                    nodes = candidates[c]
                    times = schedule(problem, minutes, route.times[0], nodes)
                    if times is None:
                        continue
                    moved = EngineRoute(route.vehicle, nodes, times)
                    trial = [*routes[:r], moved, *routes[r + 1 :]]
                    cost = exact_cost(problem, trial)
                    if cost < best - MIN_GAIN_CNY:
                        routes, best, moves, improved = trial, cost, moves + 1, True
                        route = routes[r]
                        break
    polished = EngineResult(routes, result.objective, result.status, result.seconds)
    return Polished(polished, before, best, moves, time.perf_counter() - started)


def _trips(problem: RoutingProblem, nodes: list[int]) -> list[tuple[int, int]]:
    """[lo, hi) position ranges of station nodes between two depot visits."""
    at_depot = problem.node_at_depot[nodes] | np.isin(problem.node_role[nodes], [START, END])
    out, lo = [], None
    for i, depot in enumerate(at_depot):
        if not depot and lo is None:
            lo = i
        elif depot and lo is not None:
            out.append((lo, i))
            lo = None
    return [(a, b) for a, b in out if b - a >= 2]


def _stops(problem: RoutingProblem, nodes: list[int], lo: int, hi: int) -> list[tuple[int, int]]:
    """[a, b) position ranges of the trip's stops: a single-visit station's nodes stay
    together, any other station node is a stop of its own."""
    out, a = [], lo
    for i in range(lo + 1, hi + 1):
        same = (
            i < hi
            and problem.node_site[nodes[i]] == problem.node_site[nodes[i - 1]]
            and problem.node_shared[nodes[i]]
        )
        if not same:
            out.append((a, i))
            a = i
    return out


def _candidates(nodes: list[int], stops: list[tuple[int, int]]) -> list[list[int]]:
    """Node sequences for every or-opt and 2-opt move of the trip's stops."""
    m = len(stops)
    if m < 2:
        return []
    lo, hi = stops[0][0], stops[-1][1]
    blocks = [nodes[a:b] for a, b in stops]
    head, tail = nodes[:lo], nodes[hi:]
    out: list[list[int]] = []
    for i in range(m):
        rest = blocks[:i] + blocks[i + 1 :]
        for j in range(m):
            if j == i:
                continue  # the trip as it is
            order = [*rest[:j], blocks[i], *rest[j:]]
            out.append(head + [n for b in order for n in b] + tail)
    for i in range(m - 1):
        for j in range(i + 2, m + 1):
            order = blocks[:i] + blocks[i:j][::-1] + blocks[j:]
            out.append(head + [n for b in order for n in b] + tail)
    return out


class _Scorer:
    """Estimated gain of candidate sequences: km at the engines' rate plus fuel, scored
    for all candidates of a trip in one numpy pass (times come from the exact check)."""

    def __init__(self, problem: RoutingProblem) -> None:
        self.problem = problem
        self.km = problem.node_km()
        self.price = problem.batch.options.fuel_price_cny_per_l

    def gains(self, route: EngineRoute, candidates: list[list[int]]) -> np.ndarray:
        vt = self.problem.vehicles[route.vehicle].type
        seqs = np.array([route.nodes, *candidates], dtype=np.int64)
        legs = self.km[seqs[:, :-1], seqs[:, 1:]]
        on_board = np.cumsum(self.problem.node_kg[seqs], axis=1)[:, :-1]
        cost = legs.sum(axis=1) * engine_km_rate(vt, self.price)
        if vt.has_fuel:
            assert vt.fuel_l_per_km_empty is not None and vt.fuel_l_per_km_full is not None
            extra = vt.fuel_l_per_km_full - vt.fuel_l_per_km_empty
            share = np.clip(on_board / vt.capacity_kg, 0.0, 1.0)
            cost = cost + (legs * share).sum(axis=1) * extra * self.price
        return cost[0] - cost[1:]


def schedule(
    problem: RoutingProblem, minutes: np.ndarray, start: float, nodes: list[int]
) -> list[float] | None:
    """Earliest service starts along ``nodes`` leaving at ``start``; None when a window
    is missed (the validator checks everything else)."""
    times = [start]
    for a, b in itertools.pairwise(nodes):
        arrival = times[-1] + float(minutes[a, b])
        windows = problem.node_windows[b]
        start = next((max(arrival, lo) for lo, hi in windows if arrival <= hi), None)
        if start is None:
            return None
        times.append(start)
    return times
