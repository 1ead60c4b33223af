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

Within trips, every candidate is priced at once on route segments (``segments.py``,
compiled: km, load-dependent fuel and paid time with the departure as late as the
windows allow); across routes, insertions are estimated with numpy. The most promising
are re-timed and checked exactly route by route, and a move is kept only when the exact
cost falls. Hard constraints are therefore never broken: the whole plan is validated
again after each phase.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from optimizer.routing.assemble import plan_score, validated_plan
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.problem import RoutingProblem
from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.trips import within_trips

CROSS_SHARE = 0.75  # of the polishing time, for moves across routes


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


def polish(
    problem: RoutingProblem,
    result: EngineResult,
    seconds: float,
    seed: int = 0,
    *,
    search: Exchange | None = None,
    stall_s: float | None = None,
) -> Polished:
    """``result`` improved under the exact cost within ``seconds`` (never made worse):
    cross-route moves first (emptying a route saves a vehicle), then moves within trips.
    Costs before and after are the plans' total costs. ``search``: an ``Exchange``
    already over ``result``'s routes (building one takes a second at 1,000 villages).
    ``stall_s``: the cross-route phase hands its time back after that many seconds
    without a new best (``Exchange.run``); moves within trips follow at once."""
    started = time.perf_counter()
    routes = [EngineRoute(r.vehicle, list(r.nodes), list(r.times)) for r in result.routes]
    first = validated_plan(problem, routes)
    if first is None or not routes:
        cost = math.inf if first is None else first.kpis.total_cost
        return Polished(result, cost, cost, 0, time.perf_counter() - started)
    best, moves = first, 0
    search = search if search is not None else Exchange(problem, routes)
    exchanged = search.run(started + seconds * CROSS_SHARE, seed, kicks=True, stall_s=stall_s)
    if exchanged.moves:
        plan = validated_plan(problem, exchanged.routes)  # the whole plan has the last word
        if plan is not None and plan_score(plan) < plan_score(best) - MIN_GAIN_CNY:
            routes, best, moves = exchanged.routes, plan, exchanged.moves
    routes, best, moves = within_trips(search, routes, best, moves, started + seconds)
    polished = EngineResult(routes, result.objective, result.status, result.seconds)
    return Polished(
        polished, first.kpis.total_cost, best.kpis.total_cost, moves, time.perf_counter() - started
    )
