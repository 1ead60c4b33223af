"""True-cost polishing: improve any engine's routes under the exact cost.

The engines price a model of the cost: neither can price fuel that grows with the load
(domain.md §2.2), and PyVRP holds shelf life as conservative deadlines and hub service
approximately. Polishing works on the validated plan's own cost, in two phases:

1. across routes (``exchange.py``): serve what the engine left out, empty lightly used
   routes into the others (a vehicle's fixed cost saved), relocate orders, then ruin and
   recreate (with 2-opt* tail exchanges) until the phase's time is up;
2. within each trip (between two depot visits) of each route, where the load on each
   leg changes with the order (drop heavy parcels earlier, pick heavy produce later):
   *or-opt* moves one stop (a station's consecutive actions) elsewhere in the trip,
   *2-opt* reverses a run of stops.

Candidates are scored at once with numpy from the node matrices; the most promising
are re-timed and checked exactly, and a move is kept only when the validated cost
falls. Hard constraints are therefore never broken: the whole plan is validated again
after the cross-route phase and after every move within a trip.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.kpis import engine_km_rate
from optimizer.plan import Plan
from optimizer.routing.assemble import validated_plan
from optimizer.routing.engines import REQUIRED_PENALTY_CNY, EngineResult, EngineRoute
from optimizer.routing.exchange import Exchange
from optimizer.routing.problem import END, START, RoutingProblem
from optimizer.routing.timing import schedule

CHECKS_PER_ROUND = 4  # exact checks of the best-scored candidates of a trip
CROSS_SHARE = 0.75  # of the polishing time, for moves across routes
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
    """What candidate routes are compared on: the validated plan's total cost, each
    required order left unserved counted at ``REQUIRED_PENALTY_CNY``; inf when the plan
    breaks a rule (``allow_short``: except running fewer vehicles than ``min_used``)."""
    plan = validated_plan(problem, routes, allow=("min_used",) if allow_short else ())
    return math.inf if plan is None else plan_score(plan)


def plan_score(plan: Plan) -> float:
    """A valid plan's cost for comparing candidates (required orders unserved at their
    penalty)."""
    return plan.kpis.total_cost + REQUIRED_PENALTY_CNY * plan.kpis.required_unassigned


def polish(
    problem: RoutingProblem, result: EngineResult, seconds: float, seed: int = 0
) -> Polished:
    """``result`` improved under the exact cost within ``seconds`` (never made worse):
    cross-route moves first (emptying a route saves a vehicle), then moves within trips.
    Costs before and after are the plans' total costs."""
    started = time.perf_counter()
    routes = [EngineRoute(r.vehicle, list(r.nodes), list(r.times)) for r in result.routes]
    first = validated_plan(problem, routes)
    if first is None or not routes:
        cost = math.inf if first is None else first.kpis.total_cost
        return Polished(result, cost, cost, 0, time.perf_counter() - started)
    best, moves = first, 0
    exchanged = Exchange(problem, routes).run(started + seconds * CROSS_SHARE, seed)
    if exchanged.moves:
        plan = validated_plan(problem, exchanged.routes)  # the whole plan has the last word
        if plan is not None and plan_score(plan) < plan_score(best) - MIN_GAIN_CNY:
            routes, best, moves = exchanged.routes, plan, exchanged.moves
    routes, best, moves = _within_trips(problem, routes, best, moves, started + seconds)
    polished = EngineResult(routes, result.objective, result.status, result.seconds)
    return Polished(
        polished, first.kpis.total_cost, best.kpis.total_cost, moves, time.perf_counter() - started
    )


def _within_trips(
    problem: RoutingProblem,
    routes: list[EngineRoute],
    best: Plan,
    moves: int,
    deadline: float,
) -> tuple[list[EngineRoute], Plan, int]:
    """Or-opt and 2-opt within each trip until none saves or ``deadline``; ``best`` is
    the validated plan of ``routes``."""
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
                    plan = validated_plan(problem, trial)
                    if plan is not None and plan_score(plan) < plan_score(best) - MIN_GAIN_CNY:
                        routes, best, moves, improved = trial, plan, moves + 1, True
                        route = routes[r]
                        break
    return routes, best, moves


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
