"""SWAP* (Vidal 2022): two orders on two routes exchange routes, each put where it costs
least on the other (not into the other's old place), kept when the two routes cost less.

Where both routes are full, neither order can be relocated alone; exchanging them frees
the room each needs. Pairs are screened on route segments first: the saving of taking
each order off its route less the cheapest insertion of each into the other route
without its partner must look like a gain before the exact checks run.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.routing.engines import EngineRoute
from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange

PARTNERS = 3  # nearest orders on other routes tried per drawn order


def swap_star(ex: Exchange, rng: np.random.Generator) -> bool:
    """Draw an order and try SWAP* with its nearest orders on other routes."""
    movable = np.flatnonzero(ex.movable & (ex.where >= 0))
    if len(movable) < 2 or ex.segments is None:
        return False
    a = int(rng.choice(movable))
    r = int(ex.where[a])
    others = movable[ex.where[movable] != r]
    if not len(others):
        return False
    km = ex.p.travel.km[ex.order_site[a], ex.order_site[others]]
    tried: set[int] = set()
    for b in others[np.argsort(km, kind="stable")]:
        q = int(ex.where[b])
        if q in tried:
            continue
        tried.add(q)
        if swap_orders(ex, a, int(b)):
            return True
        if len(tried) >= PARTNERS:
            break
    return False


def swap_orders(ex: Exchange, a: int, b: int) -> bool:
    """SWAP* of orders ``a`` and ``b`` (with the rest of their single-visit stops) on
    different routes; kept only when the two routes then cost less."""
    r, q = int(ex.where[a]), int(ex.where[b])
    if r < 0 or q < 0 or r == q:
        return False
    if not (
        ex.allowed[ex.unit[a], ex.routes[q].vehicle].all()
        and ex.allowed[ex.unit[b], ex.routes[r].vehicle].all()
    ):
        return False
    if not _looks_like_a_gain(ex, a, r, b, q):
        return False
    saved = ex.snapshot()
    before = ex.costs[r] + ex.costs[q]

    def undone() -> bool:
        ex.rollback(saved)
        return False

    for route, k in ((r, a), (q, b)):
        shorter = ex.evaluate(ex.routes[route].vehicle, ex._without(route, k))
        if shorter is None:
            return undone()
        ex._set(route, *shorter)
    everyone = set(range(len(ex.routes)))
    for k, to in ((a, q), (b, r)):
        if not ex.busy[to]:
            return undone()  # an emptied route is elimination's business
        found = ex.place(k, everyone - {to}, math.inf)
        if found is None:
            return undone()
        ex._set(to, found[1], ex.costs[to] + found[2])
    if ex.costs[r] + ex.costs[q] < before - MIN_GAIN_CNY:
        ex.moves += 1
        return True
    return undone()


def _looks_like_a_gain(ex: Exchange, a: int, r: int, b: int, q: int) -> bool:
    """Segment screen: each route priced without its order, then each order's cheapest
    insertion into the other route without its partner (room freed included)."""
    assert ex.segments is not None
    saved = ex.snapshot()
    gain = 0.0
    try:
        for route, k in ((r, a), (q, b)):
            now = ex._segment_cost(route)
            vehicle = ex.routes[route].vehicle
            nodes = ex._without(route, k)
            without = ex.segments.route_cost(vehicle, nodes)
            if not (np.isfinite(now) and np.isfinite(without)):
                return True  # a conservative deadline binds: let the exact check decide
            gain += now - without
            ex._set(route, EngineRoute(vehicle, nodes, []), without)
        everyone = set(range(len(ex.routes)))
        for k, to in ((a, q), (b, r)):
            if not ex.busy[to] or (len(ex.unit[k]) > 1 and not ex.priced_exactly):
                continue  # an emptied route (declined exactly), or a stop left to ``place``
            skip = everyone - {to}
            found = (
                ex._visit_candidates(ex.unit[k], skip, math.inf)  # a whole stop
                if len(ex.unit[k]) > 1
                else ex.candidates(k, skip, math.inf, 1)
            )
            if not found:
                return False
            gain -= found[0][0]
    finally:
        ex.rollback(saved)
    return gain > MIN_GAIN_CNY
