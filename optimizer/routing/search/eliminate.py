"""Route elimination: every order of a route onto the others, kept when the vehicle's
fixed cost and the route's own cost pay for the longer routes."""

from __future__ import annotations

from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange


def empty_route(ex: Exchange, r: int) -> bool:
    """Put every order of route r on other routes, if that saves in total."""
    if not ex._may_empty(r) or not all(ex.movable[k] for k in ex._orders_on(r)):
        return False
    saved = ex.snapshot()
    budget = ex.costs[r]
    heaviest_first = sorted(ex._orders_on(r), key=lambda k: -ex.p.node_kg[ex.p.pairs[k, 0]])
    for k in heaviest_first:
        if ex.where[k] != r:
            continue  # moved with its single-visit stop
        found = ex.place(k, {r}, budget - MIN_GAIN_CNY)
        if found is None:
            ex.rollback(saved)
            return False
        q, longer, added = found
        ex._set(q, longer, ex.costs[q] + added)
        budget -= added
    ex._set(r, *ex._idle(ex.routes[r].vehicle))
    ex.moves += 1
    return True
