"""Serve: orders no route carries put where they cost least, required ones on an idle
truck when no route can take them, optional ones only below their penalty. A required
order that fits nowhere, not even alone on an idle truck (every truck that may carry it
is out), takes the place of an order that another truck can carry (ejection): a chilled
pickup takes a reefer's seat from a parcel that a van then carries."""

from __future__ import annotations

import math
import time

import numpy as np

from optimizer.routing.engines import EngineRoute
from optimizer.routing.search.exchange import Exchange


def serve_unserved(ex: Exchange, deadline: float = math.inf, *, eject: bool = False) -> None:
    """Put orders the engine left out on a route (a vehicle of their own if need be):
    required ones always, optional ones when that costs less than their penalty;
    until ``deadline``. ``eject``: then serve the required ones that fit nowhere by
    ejection (``eject_for``; for an engine's finished routes, not while building)."""
    waiting = np.flatnonzero((ex.where < 0) & ex.movable)
    stuck: list[int] = []
    # Required first; among them, the fewest trucks that may carry them first (chilled
    # produce before parcels that any van takes), so scarce trucks go where only they can.
    riders = ex.allowed.sum(axis=1)
    for k in sorted(waiting, key=lambda k: (not np.isnan(ex.p.penalty[k]), riders[k])):
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
            if required:
                stuck.append(k)
            continue
        q, route, added = found
        ex._set(q, route, ex.costs[q] + added)
        ex.moves += 1
    for k in stuck if eject else []:  # once every other order has had its place
        if time.perf_counter() >= deadline:
            break
        eject_for(ex, k, deadline)


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


EJECT_TRIES = 30  # orders tried, nearest first, for one required order that fits nowhere
EJECT_KEEP = 2  # workable tries compared before the cheapest is kept


def eject_for(ex: Exchange, k: int, deadline: float = math.inf) -> bool:
    """Serve required order k by moving one order off a route k may ride (to another
    route or an idle truck) so that k fits there; the cheapest of the first few
    workable tries. Orders that can ride a truck k cannot (a parcel for a van, where k
    needs a reefer) are tried first, then nearest to k first. Whether it served k."""
    if len(ex.unit[k]) > 1:
        return False  # a single-visit stop moves whole: left to the engines
    others = ~ex.allowed[k]
    candidates = [
        int(j)
        for j in np.flatnonzero(ex.movable & (ex.where >= 0))
        if ex.allowed[k, ex.routes[ex.where[j]].vehicle] and len(ex.unit[j]) == 1
    ]
    if not candidates:
        return False
    site = ex.order_site
    near = ex.p.travel.minutes[site[k], site[candidates]]
    elsewhere = (
        ex.allowed[candidates][:, others].any(axis=1)
        if others.any()
        else np.zeros(len(candidates), dtype=bool)
    )
    # Every route's best candidates before any route's second best: the routes nearest
    # to k may all be full in time.
    route = ex.where[candidates]
    first = np.lexsort((near, ~elsewhere, route))
    rank = np.empty(len(candidates), dtype=np.int64)
    starts = np.r_[True, route[first][1:] != route[first][:-1]]
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(first)), 0))
    rank[first] = np.arange(len(first)) - run_start
    order = np.lexsort((near, ~elsewhere, rank))
    best: tuple[float, list[tuple[int, EngineRoute, float]]] | None = None
    saved = ex.snapshot()
    workable = 0
    for j in (candidates[i] for i in order[:EJECT_TRIES]):
        if time.perf_counter() >= deadline or workable >= EJECT_KEEP:
            break
        done = _swap_in(ex, k, j)
        ex.rollback(saved)
        if done is not None:
            workable += 1
            if best is None or done[0] < best[0]:
                best = done
    if best is None:
        return False
    for r, route, cost in best[1]:
        ex._set(r, route, cost)
    ex.moves += 1
    return True


def _swap_in(
    ex: Exchange, k: int, j: int
) -> tuple[float, list[tuple[int, EngineRoute, float]]] | None:
    """Take order j off its route r, put k where it fits best (r included), then j
    anywhere but where k went, or on an idle truck: the added cost and the routes set,
    or None when either does not fit. Leaves ``ex`` changed (the caller restores)."""
    r = int(ex.where[j])
    before = sum(ex.costs)
    without = ex._without(r, j)
    checked = ex.evaluate(ex.routes[r].vehicle, without)
    if checked is None:
        return None
    changes = [(r, checked[0], checked[1])]
    ex._set(r, checked[0], checked[1])
    found = ex.place(k, set(), math.inf) or open_vehicle(ex, k)  # r may now be idle
    if found is None:
        return None
    q, route, added = found
    changes.append((q, route, ex.costs[q] + added))
    ex._set(q, route, ex.costs[q] + added)
    again = ex.place(j, set(), math.inf) or open_vehicle(ex, j)
    if again is None:
        return None
    q, route, added = again
    changes.append((q, route, ex.costs[q] + added))
    ex._set(q, route, ex.costs[q] + added)
    return sum(ex.costs) - before, changes
