"""Ruin and recreate: a few neighbouring orders off their routes and each put back where
it costs least (swaps and shifts between routes fall out of this), kept when the total
falls."""

from __future__ import annotations

import math

import numpy as np

from optimizer.routing.engines import EngineRoute
from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange

RUIN_MAX = 8  # orders taken off at once


def ruin_recreate(
    ex: Exchange, rng: np.random.Generator, *, size: int | None = None, force: bool = False
) -> bool:
    """Take a few neighbouring orders off their routes and put each back where it
    costs least (a route left empty is not reused); kept only if the total falls.
    ``size``: how many (default: 2 to ``RUIN_MAX`` at random); ``force``: kept when
    every order found a place, whatever the total (a kick out of a local optimum)."""
    movable = np.flatnonzero(ex.movable & (ex.where >= 0))
    if len(movable) < 2:
        return False
    seed = int(rng.choice(movable))
    if size is None:
        size = int(rng.integers(2, min(RUIN_MAX, len(movable)) + 1))
    km = ex.p.travel.km[ex.order_site[seed], ex.order_site[movable]]
    near = movable[np.argsort(km, kind="stable")][:size]
    taken = sorted({j for k in near for j in ex.unit[int(k)]})
    drop = {int(n) for k in taken for n in ex.p.pairs[k]}
    hit = sorted({r for k in taken if (r := ex._route_of(k)) is not None})
    heavy_first = sorted(taken, key=lambda k: -ex.p.node_kg[ex.p.pairs[k, 0]])
    if not force and ex.priced_exactly and not _pays_on_segments(ex, hit, heavy_first, drop):
        return False  # most attempts end here, without an exact check
    return _attempt(ex, hit, heavy_first, drop, force)


def _attempt(ex: Exchange, hit: list[int], order: list[int], drop: set[int], force: bool) -> bool:
    """The routes in ``hit`` without the nodes in ``drop``, then each order of ``order``
    at its cheapest exactly checked place; kept when the total falls (``force``: when
    every order found a place)."""
    saved = ex.snapshot()
    before = sum(ex.costs)
    for r in hit:
        nodes = [n for n in ex.routes[r].nodes if n not in drop]
        shorter = (
            None
            if not ex._serves(nodes) and not ex._may_empty(r)
            else (ex.evaluate(ex.routes[r].vehicle, nodes))
        )
        if shorter is None:
            ex.rollback(saved)
            return False
        ex._set(r, *shorter)
    for k in order:
        if ex.where[k] >= 0:
            continue  # put back with its single-visit stop
        found = ex.place(k, set(), math.inf)
        if found is None:
            ex.rollback(saved)
            return False
        q, longer, added = found
        ex._set(q, longer, ex.costs[q] + added)
    if sum(ex.costs) < before - MIN_GAIN_CNY or force:
        ex.moves += not force
        return True
    ex.rollback(saved)
    return False


def _pays_on_segments(ex: Exchange, hit: list[int], order: list[int], drop: set[int]) -> bool:
    """Whether the attempt saves on route segments (O(1) per priced move, no exact
    check): the routes in ``hit`` without the nodes in ``drop``, then each order of
    ``order`` at its cheapest priced place. Segments price the exact cost but for shelf
    life and several windows, so an attempt that saves there is then made and checked
    exactly; one that does not is dropped. True where segments cannot price a route."""
    saved = ex.snapshot()
    try:
        change = 0.0
        for r in hit:
            route = ex.routes[r]
            now = ex._segment_cost(r)
            if not np.isfinite(now):
                return True  # cannot tell: the exact attempt decides
            now += ex.extra(route.vehicle, route.nodes)
            nodes = [n for n in route.nodes if n not in drop]
            if not ex._serves(nodes):
                if not ex._may_empty(r):
                    return False
                ex._set(r, *ex._idle(route.vehicle))
                change -= now
                continue
            after = ex.segments.route_cost(route.vehicle, nodes)
            if not np.isfinite(after):
                return True
            after += ex.extra(route.vehicle, nodes)
            ex._set(r, EngineRoute(route.vehicle, nodes, []), after)
            change += after - now
        for k in order:
            if ex.where[k] >= 0:
                continue  # put back with its single-visit stop
            placed = ex.priced_place(k)
            if placed is None:
                return False
            q, nodes, added = placed
            ex._set(q, EngineRoute(ex.routes[q].vehicle, nodes, []), ex.costs[q] + added)
            change += added
        return change < -MIN_GAIN_CNY
    finally:
        ex.rollback(saved)
