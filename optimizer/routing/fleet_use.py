"""Run at least ``min_used`` vehicles of a type: split routes until enough trucks run.

Neither engine holds a lower bound on the vehicles used (PyVRP cannot express it; OR-Tools
could, but its warm starts would then be rejected). A plan that runs too few vehicles of
a type is repaired here: among all ways to hand the orders served after some station of
some route over to an idle vehicle of that type (the orders keep their relative order,
their hub and centre actions go with them), the cheapest whose re-timed plan passes the
validator is kept, until enough vehicles run or no split is valid.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.polish import exact_cost
from optimizer.routing.problem import LOAD, UNLOAD, RoutingProblem
from optimizer.routing.timing import schedule


def short_types(problem: RoutingProblem, routes: list[EngineRoute]) -> dict[str, int]:
    """Per vehicle type, how many more vehicles must run."""
    running: dict[str, int] = {}
    for r in routes:
        if len(r.nodes) > 2:
            vt = problem.vehicles[r.vehicle].type.id
            running[vt] = running.get(vt, 0) + 1
    return {
        vt.id: vt.min_used - running.get(vt.id, 0)
        for vt in problem.batch.fleet
        if vt.min_used > running.get(vt.id, 0)
    }


def ensure_min_used(problem: RoutingProblem, result: EngineResult) -> EngineResult:
    """``result`` with routes split until every type runs its ``min_used`` vehicles
    (as it is when it already does, or when no valid split is found)."""
    if not short_types(problem, result.routes):
        return result
    minutes = problem.node_times()
    routes = [r for r in result.routes if len(r.nodes) > 2]
    while short := short_types(problem, routes):
        busy = {r.vehicle for r in routes}
        best: tuple[float, list[EngineRoute]] | None = None
        for type_id in short:
            idle = [
                k for k, v in enumerate(problem.vehicles) if v.type.id == type_id and k not in busy
            ]
            if not idle:
                continue
            for r, route in enumerate(routes):
                for first, second in _splits(problem, route):
                    new = _route_for(problem, minutes, idle[0], route, second)
                    old = _route_for(problem, minutes, route.vehicle, route, first)
                    if new is None or old is None:
                        continue
                    trial = [*routes[:r], old, *routes[r + 1 :], new]
                    cost = exact_cost(problem, trial, allow_short=True)
                    if cost < math.inf and (best is None or cost < best[0]):
                        best = (cost, trial)
        if best is None:
            break
        routes = best[1]
    return EngineResult(routes, result.objective, result.status, result.seconds)


def _splits(problem: RoutingProblem, route: EngineRoute) -> list[tuple[list[int], list[int]]]:
    """(kept, handed over) action nodes for every cut after a station visit."""
    actions = list(route.nodes[1:-1])
    station = [
        i
        for i, n in enumerate(actions)
        if not problem.node_at_depot[n] and problem.node_role[n] in (LOAD, UNLOAD)
    ]
    order_of = problem.node_order
    out = []
    for cut in range(1, len(station)):
        moved = {int(order_of[actions[i]]) for i in station[cut:]}
        kept = {int(order_of[actions[i]]) for i in station[:cut]}
        if moved & kept:
            continue  # an order would be split between two trucks
        first = [n for n in actions if int(order_of[n]) not in moved]
        second = [n for n in actions if int(order_of[n]) in moved]
        out.append((first, second))
    return out


def _route_for(
    problem: RoutingProblem,
    minutes: np.ndarray,
    vehicle: int,
    template: EngineRoute,
    actions: list[int],
) -> EngineRoute | None:
    v = problem.vehicles[vehicle]
    nodes = [v.start_node, *actions, v.end_node]
    times = schedule(problem, minutes, template.times[0], nodes, v.type.rest_rules)
    return None if times is None else EngineRoute(vehicle, nodes, times)
