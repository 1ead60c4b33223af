"""Which limit keeps a required order off the routes the search built.

The order is tried in every position of every route whose vehicle may carry it (its
stops served as early as the windows allow, then the departure delayed as waiting
allows); each try is checked by the validator's route rules. The limit named is the
one broken most often among the tries that break the fewest limits. When a vehicle that
may carry the order is idle, no limit of the routes binds: the search ran out of time.
"""

from __future__ import annotations

import math
import time
from collections import Counter

from optimizer.plan import Plan
from optimizer.reasons import Reason
from optimizer.routing.assemble import assemble_route
from optimizer.routing.engines import EngineRoute
from optimizer.routing.problem import RoutingProblem
from optimizer.routing.timing import schedule, tighten
from optimizer.validate import RouteValidator

# Validator kinds → the limit a dispatcher can act on.
LIMIT_OF = {
    "capacity": "capacity",
    "time_window": "windows",
    "shift": "shift",
    "freshness": "shelf_life",
}
MAX_TRIES = 1500  # per order: a long route has ~n²/2 positions
BUDGET_S = 0.5  # per plan; orders not reached keep the general reason


def binding_limit(
    problem: RoutingProblem,
    routes: list[EngineRoute],
    k: int,
    validator: RouteValidator,
    deadline: float = math.inf,
) -> str | None:
    """``capacity``, ``windows``, ``shift`` or ``shelf_life`` for order k, or None when
    it cannot be told (an idle vehicle could take it, or single-visit stations)."""
    p = problem
    allowed = set(p.allowed_vehicles[k])
    if p.visits or not allowed or allowed - {r.vehicle for r in routes if len(r.nodes) > 2}:
        return None
    load, unload = (int(n) for n in p.pairs[k])
    minutes = p.node_view("minutes")  # service at a node plus travel, entry by entry
    fewest: list[set[str]] = []
    tries = 0
    for r in routes:
        if r.vehicle not in allowed:
            continue
        inner = r.nodes[1:-1]
        start = p.vehicles[r.vehicle].type.shift_start
        rules = p.vehicles[r.vehicle].type.rest_rules
        for i in range(len(inner) + 1):
            for j in range(i, len(inner) + 1):
                tries += 1
                if tries > MAX_TRIES or time.perf_counter() > deadline:
                    break
                nodes = [r.nodes[0], *inner[:i], load, *inner[i:j], unload, *inner[j:], r.nodes[-1]]
                times = schedule(p, minutes, start, nodes, rules)
                if times is None:
                    broken = {"windows"}
                else:
                    route = assemble_route(
                        p,
                        EngineRoute(r.vehicle, nodes, tighten(p, minutes, times, nodes, rules)),
                    )
                    kinds = {LIMIT_OF.get(v.kind) for v in validator.violations([route])}
                    broken = {kind for kind in kinds if kind is not None}
                if not broken:
                    return None  # it fits here: the search missed it
                if not fewest or len(broken) < len(fewest[0]):
                    fewest = [broken]
                elif len(broken) == len(fewest[0]):
                    fewest.append(broken)
    if not fewest:
        return None
    counts = Counter(kind for kinds in fewest for kind in kinds)
    return counts.most_common(1)[0][0]


def explain_not_fitted(problem: RoutingProblem, routes: list[EngineRoute], plan: Plan) -> None:
    """Name the binding limit in the reasons of required orders the search left out
    (``not_fitted``), in place, within ``BUDGET_S``."""
    todo = [o for o in plan.orders if o.reason_code == "not_fitted"]
    if not todo:
        return
    deadline = time.perf_counter() + BUDGET_S
    index = {o.id: k for k, o in enumerate(problem.orders)}
    validator = RouteValidator(problem.batch, problem.travel)
    for outcome in todo:
        if time.perf_counter() > deadline:
            break
        limit = binding_limit(problem, routes, index[outcome.order], validator, deadline)
        if limit is None:
            continue
        why = Reason(code="not_fitted", variant=limit)
        outcome.reasons = [why]
        outcome.reason = why.text("en")
