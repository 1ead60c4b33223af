"""Relocate: one order (with the rest of its single-visit stop) off its route and where
it costs least on another, kept when that saves."""

from __future__ import annotations

from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange

REMOVAL_SLACK, REMOVAL_SLACK_CNY = 0.1, 5.0  # waiting can make a removal save more


def relocate(ex: Exchange, k: int, r: int) -> bool:
    """Move order k off route r to wherever it costs least, if that saves."""
    nodes = ex._without(r, k)
    if not ex._serves(nodes) and not ex._may_empty(r):
        return False
    # Screen on estimates first: an exact route check costs a hundred of them.
    hope = ex._removal_estimate(r, nodes) * (1 + REMOVAL_SLACK) + REMOVAL_SLACK_CNY
    if not ex.candidates(k, {r}, hope, 1):
        return False
    shorter = ex.evaluate(ex.routes[r].vehicle, nodes, ex.costs[r] - MIN_GAIN_CNY)
    if shorter is None:
        return False
    saving = ex.costs[r] - shorter[1]
    found = ex.place(k, {r}, saving - MIN_GAIN_CNY)
    if found is None:
        return False
    q, longer, added = found
    ex._set(r, *shorter)
    ex._set(q, longer, ex.costs[q] + added)
    ex.moves += 1
    return True
