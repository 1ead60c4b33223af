"""Plan KPIs: what a coordinator reads first (cost, km, empty running, freshness)."""

from __future__ import annotations

import numpy as np

from optimizer.model import Batch, VehicleType
from optimizer.plan import KPIs, OrderOutcome, Route, RouteCost


def route_cost(
    vt: VehicleType, km: float, duration_min: float, fuel: float = 0.0
) -> RouteCost:
    """Fixed cost of a used vehicle plus per-km, per-hour and fuel costs, in CNY
    (unweighted)."""
    distance = km * vt.cost_per_km
    time = duration_min / 60.0 * vt.cost_per_hour
    total = vt.fixed_cost + distance + time + fuel
    return RouteCost(fixed=vt.fixed_cost, distance=distance, time=time, fuel=fuel, total=total)


def fuel_cost(vt: VehicleType, km: np.ndarray, kg: np.ndarray, price: float) -> float:
    """CNY of fuel over legs of ``km`` carrying ``kg``: the rate grows linearly from empty
    to full (domain.md §2.2, ρ(Q) = ρ0 + (ρ* − ρ0)·Q/Qmax); 0 without fuel rates."""
    if not vt.has_fuel:
        return 0.0
    assert vt.fuel_l_per_km_empty is not None and vt.fuel_l_per_km_full is not None
    share = np.clip(np.asarray(kg, dtype=float) / vt.capacity_kg, 0.0, 1.0)
    rate = vt.fuel_l_per_km_empty + (vt.fuel_l_per_km_full - vt.fuel_l_per_km_empty) * share
    return float((np.asarray(km, dtype=float) * rate).sum() * price)


def engine_km_rate(vt: VehicleType, price: float) -> float:
    """CNY per km the engines see: the non-fuel rate plus fuel when empty (the load's
    extra fuel is what polishing prices)."""
    return vt.cost_per_km + (vt.fuel_l_per_km_empty or 0.0) * price


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
    fuel = sum(r.cost.fuel for r in routes)
    return KPIs(
        total_cost=fixed + distance + time + fuel + penalty,
        fixed_cost=fixed,
        distance_cost=distance,
        time_cost=time,
        fuel_cost=fuel,
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
