"""Serve: orders no route carries put where they cost least, required ones on an idle
truck when no route can take them, optional ones only below their penalty."""

from __future__ import annotations

import math
import time

import numpy as np

from optimizer.routing.engines import EngineRoute
from optimizer.routing.search.exchange import Exchange


def serve_unserved(ex: Exchange, deadline: float = math.inf) -> None:
    """Put orders the engine left out on a route (a vehicle of their own if need be):
    required ones always, optional ones when that costs less than their penalty;
    until ``deadline``."""
    waiting = np.flatnonzero((ex.where < 0) & ex.movable)
    for k in sorted(waiting, key=lambda k: not np.isnan(ex.p.penalty[k])):
        if time.perf_counter() >= deadline:
            break
        k = int(k)
        if ex.where[k] >= 0:
            continue  # served with its single-visit stop
        required = bool(np.isnan(ex.p.penalty[k]))
        limit = math.inf if required else float(ex.p.penalty[k])
        found = ex.place(k, set(), limit)
        if found is None and required:
            found = open_vehicle(ex, k)
        if found is None:
            continue
        q, route, added = found
        ex._set(q, route, ex.costs[q] + added)
        ex.moves += 1


def open_vehicle(ex: Exchange, k: int) -> tuple[int, EngineRoute, float] | None:
    """Order k (with the rest of its single-visit stop) alone on an idle vehicle (the
    cheapest type that can run it)."""
    out = None
    tried: set[str] = set()
    unit = ex.unit[k]
    inner = [int(n) for n in ex.p.pairs[k]]
    if len(unit) > 1:
        before, visit, after = ex.visit[unit[0]]
        inner = [*before, *visit, *after]
    for r, route in enumerate(ex.routes):
        vehicle = ex.p.vehicles[route.vehicle]
        if ex.busy[r] or not ex.allowed[unit, route.vehicle].all():
            continue
        if vehicle.type.id in tried:
            continue
        tried.add(vehicle.type.id)
        nodes = [vehicle.start_node, *inner, vehicle.end_node]
        checked = ex.evaluate(route.vehicle, nodes)
        if checked is not None and (out is None or checked[1] < out[2]):
            out = (r, checked[0], checked[1])
    return out
