"""Engine routes repaired by the exact search once the drivers' rests are placed.

Neither PyVRP nor the OR-Tools model holds rests (``breaks.py``), so the engines search
the problem without them (``relaxed``: the same problem, no vehicle resting) and their
best routes are repaired here: once ``assemble_route`` places the rests, a route may
reach a window, a cutoff, the shift's end or a shelf-life limit too late. Such a route
is re-timed by ``Exchange.evaluate`` (which places the rests as it times the route);
when no timing keeps every rule, its orders are taken off, the last one served first,
until the rest does; the orders taken off then go where they cost least (``serve``:
another route, or an idle truck for required ones). Routes that keep every rule are
left as they are.
"""

from __future__ import annotations

import math
from dataclasses import replace

from optimizer.model import with_fleet
from optimizer.routing.assemble import assemble_route
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.problem import LOAD, SEARCH_NODES_MAX, UNLOAD, RoutingProblem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.serve import serve_unserved
from optimizer.validate import RouteValidator


def relaxed(problem: RoutingProblem) -> RoutingProblem:
    """``problem`` with no driver resting (what the engines search: measured on
    county-400, searching with rests and re-checking every move cost more than searching
    without them and repairing the few routes that then break a rule)."""
    batch = with_fleet(
        problem.batch, [vt.model_copy(update={"rest_rules": None}) for vt in problem.batch.fleet]
    )
    vehicles = [replace(v, type=batch.fleet_by_id[v.type.id]) for v in problem.vehicles]
    return replace(problem, batch=batch, vehicles=vehicles, cache=problem.cache, rests_relaxed=True)


def rests_repaired(
    problem: RoutingProblem, result: EngineResult, deadline: float = math.inf
) -> EngineResult:
    """``result`` with every route keeping every rule once rests are placed (as it is
    when all do, or when no vehicle has rest rules)."""
    if not problem.has_rest_rules:
        return result
    return routes_repaired(problem, result, deadline)


def routes_repaired(
    problem: RoutingProblem, result: EngineResult, deadline: float = math.inf
) -> EngineResult:
    """``result`` with every route keeping every rule: routes that break one are
    trimmed until they keep them all, and the orders taken off are served elsewhere
    where they fit until ``deadline`` (left unserved otherwise, with their reasons).
    Also what an engine that found no feasible solution within its time (PyVRP's
    penalised best at a thousand villages with tight shelf lives) is turned into."""
    if not result.routes:
        return result
    validator = RouteValidator(problem.batch, problem.travel)
    broken = [
        k
        for k, er in enumerate(result.routes)
        if validator.violations([assemble_route(problem, er)])
    ]
    if not broken:
        return result
    lazy = problem.n_nodes > SEARCH_NODES_MAX  # as the contest and polishing: on demand above
    search = Exchange(problem, list(result.routes), lazy=lazy)  # route k is search's k
    for k in broken:
        search._set(k, *_trimmed(search, search.routes[k]))
    serve_unserved(search, deadline, eject=True)
    return EngineResult(search.serving(), result.objective, result.status, result.seconds)


def _trimmed(ex: Exchange, route: EngineRoute) -> tuple[EngineRoute, float]:
    """``route`` re-timed, with its last-served orders taken off until it keeps every
    rule (a single-visit station's orders leave together), and its exact cost."""
    p, nodes = ex.p, list(route.nodes)
    while ex._serves(nodes):
        checked = ex.evaluate(route.vehicle, nodes)
        if checked is not None:
            return checked
        last = next(
            int(p.node_order[n]) for n in reversed(nodes) if p.node_role[n] in (LOAD, UNLOAD)
        )
        drop = {int(n) for k in ex.unit[last] for n in p.pairs[k]}
        nodes = [n for n in nodes if n not in drop]
    return ex._idle(route.vehicle)
