"""Plan KPIs: what a coordinator reads first (cost, km, empty running, freshness)."""

from __future__ import annotations

import numpy as np

from optimizer.model import Batch, VehicleType
from optimizer.plan import KPIs, OrderOutcome, Route, RouteCost


def route_cost(vt: VehicleType, km: float, duration_min: float) -> RouteCost:
    """Fixed cost of a used vehicle plus per-km and per-hour costs, in CNY (unweighted)."""
    distance = km * vt.cost_per_km
    time = duration_min / 60.0 * vt.cost_per_hour
    return RouteCost(
        fixed=vt.fixed_cost, distance=distance, time=time, total=vt.fixed_cost + distance + time
    )


def compute_kpis(batch: Batch, routes: list[Route], orders: list[OrderOutcome]) -> KPIs:
    """KPIs of a set of routes and order outcomes.

    A *return leg* is any leg from a village station back to a depot (hub or collection
    centre): a truck coming back from the villages. It runs empty when nothing is on
    board. Load factor is the km-weighted mean of kg on board over capacity.
    """
    station = {s.id for s in batch.sites if s.kind == "station"}
    km = empty_km = loaded_km_share = 0.0
    returns = empty_returns = 0
    for route in routes:
        cap = batch.fleet_by_id[route.vehicle_type].capacity_kg
        legs = np.array([s.km_from_previous for s in route.stops[1:]])
        on_board = np.array([s.kg_on_board + s.m3_on_board for s in route.stops[:-1]])
        kg_on_board = np.array([s.kg_on_board for s in route.stops[:-1]])
        km += legs.sum()
        empty_km += legs[on_board <= 1e-9].sum()
        loaded_km_share += float((legs * kg_on_board / cap).sum())
        for prev, stop in zip(route.stops[:-1], route.stops[1:], strict=True):
            if prev.site in station and stop.site not in station:
                returns += 1
                empty_returns += int(prev.kg_on_board + prev.m3_on_board <= 1e-9)

    order_by_id = batch.orders_by_id
    served = [o for o in orders if o.served]
    unserved = [o for o in orders if not o.served]
    penalty = sum(order_by_id[o.order].penalty or 0.0 for o in unserved)
    delivers = [
        any(order_by_id[oid].kind == "delivery" for s in r.stops for oid in s.unload)
        for r in routes
    ]
    pickup_route = {
        oid: k
        for k, r in enumerate(routes)
        for s in r.stops
        for oid in s.load
        if order_by_id[oid].kind == "pickup"
    }
    pickups = [o for o in served if o.kind == "pickup"]
    paired = sum(delivers[pickup_route[o.order]] for o in pickups)
    fresh = [o.remaining_share for o in served if o.remaining_share is not None]
    fixed = sum(r.cost.fixed for r in routes)
    distance = sum(r.cost.distance for r in routes)
    time = sum(r.cost.time for r in routes)
    return KPIs(
        total_cost=fixed + distance + time + penalty,
        fixed_cost=fixed,
        distance_cost=distance,
        time_cost=time,
        penalty_cost=penalty,
        km=km,
        empty_km=empty_km,
        vehicle_hours=sum(r.duration_min for r in routes) / 60.0,
        vehicles_used=len(routes),
        return_legs=returns,
        empty_return_share=empty_returns / returns if returns else 0.0,
        load_factor=loaded_km_share / km if km > 0 else 0.0,
        pickups_on_delivery_routes_share=paired / len(pickups) if pickups else 0.0,
        freshness_min=min(fresh) if fresh else None,
        freshness_mean=float(np.mean(fresh)) if fresh else None,
        orders_served=len(served),
        orders_unassigned=len(unserved),
        required_unassigned=sum(order_by_id[o.order].penalty is None for o in unserved),
    )
