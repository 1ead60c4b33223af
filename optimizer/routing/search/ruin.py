"""Ruin and recreate: a few neighbouring orders off their routes and each put back where
it costs least (swaps and shifts between routes fall out of this), kept when the total
falls."""

from __future__ import annotations

import math

import numpy as np

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
    saved = ex.routes[:], ex.costs[:]
    before = sum(ex.costs)
    taken = sorted({j for k in near for j in ex.unit[int(k)]})
    drop = {int(n) for k in taken for n in ex.p.pairs[k]}
    for r in {ex._route_of(k) for k in taken}:
        assert r is not None
        nodes = [n for n in ex.routes[r].nodes if n not in drop]
        shorter = (
            None
            if not ex._serves(nodes) and not ex._may_empty(r)
            else (ex.evaluate(ex.routes[r].vehicle, nodes))
        )
        if shorter is None:
            return ex._restore(saved)
        ex._set(r, *shorter)
    for k in sorted(taken, key=lambda k: -ex.p.node_kg[ex.p.pairs[k, 0]]):
        if ex.where[k] >= 0:
            continue  # put back with its single-visit stop
        found = ex.place(k, set(), math.inf)
        if found is None:
            return ex._restore(saved)
        q, longer, added = found
        ex._set(q, longer, ex.costs[q] + added)
    if sum(ex.costs) < before - MIN_GAIN_CNY:
        ex.moves += 1
        return True
    return True if force else ex._restore(saved)
