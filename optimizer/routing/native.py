"""freshroute's own search as an engine: cheapest insertion on route segments, then
polishing's moves under the exact cost until the time is up.

Orders are inserted one at a time where they cost least (``search.serve``:
required first, then optional ones cheaper than their penalty; a truck is opened when no
route can take an order), then routes are emptied, orders relocated and neighbourhoods
ruined and recreated (``Exchange.run``), and each trip reordered (``polish``). Every
candidate is priced on segments and checked exactly, so the routes it returns keep
every rule. It holds what PyVRP cannot express (several windows per site,
deliveries-first with reloads) and is the third engine of ``--engine``.
"""

from __future__ import annotations

import time

from optimizer.routing.engines import EngineResult
from optimizer.routing.polish import exact_cost, polish
from optimizer.routing.problem import RoutingProblem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.serve import serve_unserved


def solve_native(problem: RoutingProblem, time_limit_s: float, seed: int = 0) -> EngineResult:
    """Routes built and improved by the native search within ``time_limit_s``."""
    started = time.perf_counter()
    builder = Exchange(problem, [])
    serve_unserved(builder, started + time_limit_s)
    first = EngineResult(builder.serving(), float("nan"), "success", 0.0)
    left = max(0.0, time_limit_s - (time.perf_counter() - started))
    improved = polish(problem, first, left, seed).result
    seconds = time.perf_counter() - started
    cost = exact_cost(problem, improved.routes)
    return EngineResult(improved.routes, cost, "success", seconds)
