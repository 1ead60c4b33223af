"""2-opt* between two neighbouring routes: each cut after one of its village stops and
what follows swapped (the orders after the cut re-inserted where they cost least on
the other route), kept when the two routes cost less."""

from __future__ import annotations

import math

import numpy as np

from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange


def exchange_tails(ex: Exchange, rng: np.random.Generator) -> bool:
    """2-opt* between two neighbouring routes: cut each after one of its village
    stops and swap what follows (the orders served after the cut, each re-inserted
    where it costs least on the other route); kept only if the two routes cost less."""
    used = [r for r, busy in enumerate(ex.busy) if busy]
    if len(used) < 2:
        return False
    a = int(rng.choice(used))
    k0 = int(rng.choice(ex._orders_on(a)))
    others = np.flatnonzero((ex.where >= 0) & (ex.where != a))
    if not len(others):
        return False
    km = ex.p.travel.km[ex.order_site[k0], ex.order_site[others]]
    b = int(ex.where[others[np.argmin(km)]])
    tails = {a: _tail(ex, a, rng), b: _tail(ex, b, rng)}
    moving = tails[a] + tails[b]
    if not all(set(ex.unit[k]) <= set(moving) for k in moving):
        return False  # a cut through a single-visit stop
    if not moving or not ex.movable[moving].all():
        return False
    saved = ex.snapshot()
    before = ex.costs[a] + ex.costs[b]
    for r in (a, b):
        drop = {int(n) for k in tails[r] for n in ex.p.pairs[k]}
        nodes = [n for n in ex.routes[r].nodes if n not in drop]
        shorter = ex.evaluate(ex.routes[r].vehicle, nodes)
        if shorter is None:
            ex.rollback(saved)
            return False
        ex._set(r, *shorter)
    everyone = set(range(len(ex.routes)))
    for r, to in ((a, b), (b, a)):
        for k in tails[r]:
            if ex.where[k] >= 0:
                continue
            found = ex.place(k, everyone - {to}, math.inf)
            if found is None:
                ex.rollback(saved)
                return False
            q, longer, added = found
            ex._set(q, longer, ex.costs[q] + added)
    if ex.costs[a] + ex.costs[b] < before - MIN_GAIN_CNY:
        ex.moves += 1
        return True
    ex.rollback(saved)
    return False


def _tail(ex: Exchange, r: int, rng: np.random.Generator) -> list[int]:
    """The orders route r serves at village stops after a random cut."""
    nodes = np.asarray(ex.routes[r].nodes)
    at_station = np.flatnonzero(~ex.p.node_at_depot[nodes] & (ex.p.node_order[nodes] >= 0))
    if not len(at_station):
        return []
    cut = int(rng.integers(0, len(at_station)))
    orders = ex.p.node_order[nodes[at_station[cut:]]]
    return sorted({int(k) for k in orders})
