"""Very large batches by parts: cluster the stations, split the fleet, plan each part.

A county day of several thousand stops is more than one search can make feasible within
a minute (PyVRP alone did not at 3,000 villages in 120 s). Stations are clustered by
location (k-means on lon/lat, seeded) and each cluster becomes a batch of its own with
the hubs and centres. The parts are planned one after the other, biggest first, each
with the time share of its orders and the vehicles the parts before it left unused. The
plans are joined (vehicle ids renumbered into the whole fleet) and the joined plan is
validated against the whole batch. Routes never cross a cluster border; improving across
borders is not done.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from optimizer.kpis import compute_kpis
from optimizer.model import Batch
from optimizer.plan import Plan

DECOMPOSE_ABOVE = 2000  # orders; up to here one search does (1,000 villages: 1,403 orders)
ORDERS_PER_PART = 700  # a size PyVRP makes feasible in seconds (county-400: 562 orders)

PlanPart = Callable[[Batch, float], Plan]  # (part batch, seconds) -> validated plan


def parts_needed(batch: Batch) -> int:
    """How many parts a batch is planned in (1: as a whole). A fleet with ``min_used`` is
    planned whole: that rule binds the whole fleet, and a part may have no orders its
    vehicle type can carry."""
    if len(batch.orders) <= DECOMPOSE_ABOVE or any(vt.min_used for vt in batch.fleet):
        return 1
    return math.ceil(len(batch.orders) / ORDERS_PER_PART)


def station_clusters(batch: Batch, k: int, seed: int) -> list[list[str]]:
    """Station ids in ``k`` clusters by location (only stations with orders)."""
    stations = sorted({o.site for o in batch.orders} | {o.origin for o in batch.orders if o.origin})
    sites = batch.sites_by_id
    xy = np.array([[sites[s].lon, sites[s].lat] for s in stations], dtype=float)
    xy[:, 0] *= math.cos(math.radians(float(xy[:, 1].mean())))  # east-west km shrink
    k = min(k, len(stations))
    from scipy.cluster.vq import kmeans2  # here: half a second to import, rarely needed

    _, label = kmeans2(xy, k, seed=seed, minit="++")
    clusters = [[s for s, lab in zip(stations, label, strict=True) if lab == c] for c in range(k)]
    return [c for c in clusters if c]


def split_batch(batch: Batch, clusters: list[list[str]]) -> list[Batch]:
    """One batch per cluster: its stations' orders, every hub and centre, the whole fleet
    (``plan_in_parts`` hands each part only the vehicles earlier parts left)."""
    data = batch.model_dump(by_alias=True)
    depots = [s for s in data["sites"] if s["kind"] != "station"]
    part_of = {s: c for c, stations in enumerate(clusters) for s in stations}
    orders: list[list[dict]] = [[] for _ in clusters]
    for o in data["orders"]:
        orders[part_of[o["site"]]].append(o)
    parts = []
    for c, stations in enumerate(clusters):
        keep = set(stations) | {o["origin"] for o in orders[c] if o.get("origin")}
        part = dict(data)
        part["name"] = f"{batch.name} (part {c + 1} of {len(clusters)})"
        part["sites"] = depots + [s for s in data["sites"] if s["id"] in keep]
        part["orders"] = orders[c]
        parts.append(Batch.model_validate(part))
    return parts


def _with_fleet(part: Batch, counts: dict[str, int]) -> Batch:
    data = part.model_dump(by_alias=True)
    data["fleet"] = [{**vt, "count": counts[vt["id"]]} for vt in data["fleet"]]
    data["fleet"] = [vt for vt in data["fleet"] if vt["count"] > 0]
    return Batch.model_validate(data)


def plan_in_parts(batch: Batch, time_limit_s: float, plan_part: PlanPart, seed: int) -> Plan:
    """The joined plan of the batch's parts (not yet validated against the whole)."""
    clusters = station_clusters(batch, parts_needed(batch), seed)
    parts = split_batch(batch, clusters)
    parts.sort(key=lambda p: -sum(o.kg for o in p.orders))  # the biggest choose first
    started = time.perf_counter()
    left = sum(len(p.orders) for p in parts)
    free = {vt.id: vt.count for vt in batch.fleet}
    used = {vt.id: 0 for vt in batch.fleet}
    routes, outcomes, seconds, engine = [], [], 0.0, ""
    for part in parts:
        # Up to 1.5 times its share of what is still free (a smaller model, and room left
        # for the parts after it); the last part gets all that is left.
        share = len(part.orders) / left
        cap = {k: min(n, math.ceil(1.5 * share * n)) for k, n in free.items()}
        part = _with_fleet(part, cap)
        remaining = max(1.0, time_limit_s - (time.perf_counter() - started))
        plan = plan_part(part, remaining * len(part.orders) / left)
        left -= len(part.orders)
        seconds += plan.solve_seconds
        engine = engine or plan.engine
        rename = {}
        for route in plan.routes:  # the vehicles this part used leave the pool
            vt = route.vehicle_type
            used[vt] += 1
            free[vt] -= 1
            rename[route.vehicle] = f"{vt}-{used[vt]}"
            route.vehicle = rename[route.vehicle]
            routes.append(route)
        for outcome in plan.orders:
            if outcome.vehicle is not None:
                outcome.vehicle = rename[outcome.vehicle]
            outcomes.append(outcome)
    by_id = {o.order: o for o in outcomes}
    ordered = [by_id[o.id] for o in batch.orders]
    return Plan(
        batch=batch.name,
        engine=f"{engine} ({len(parts)} parts by location)",
        solve_seconds=seconds,
        routes=routes,
        orders=ordered,
        kpis=compute_kpis(batch, routes, ordered),
    )
