"""Put the day back together: each truck's locked stops, then its residual route.

A truck on the road continues from its last locked stop: the residual route's stops at
its stand-in sites (``@<vehicle>``, ``@<vehicle>.s``) are that same place and moment,
so they are dropped. A truck with no residual route drives home from where it is. Loads
on board are re-simulated over the whole route, and routes are priced whole (fixed
cost once), so the stitched plan is a plan of the day's batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from optimizer.freshness import used_minutes
from optimizer.kpis import compute_kpis, fuel_cost, route_cost
from optimizer.model import VehicleType, vehicle_ids
from optimizer.plan import OrderOutcome, Plan, Rest, Route, Stop
from optimizer.replan.handover import handover_minutes, handovers
from optimizer.replan.residual import Residual, start_site
from optimizer.routing.assemble import search_reason, served_outcome, unserved_outcome
from optimizer.routing.breaks import Driver


def _home(res: Residual, vehicle: str, vt: VehicleType) -> tuple[Stop, list[Rest]] | None:
    """The drive home of a truck with no residual route and the breaks it needs on the
    way (the driving it has done since its last rest counted), or None when it is home."""
    p = res.positions[vehicle]
    assert vt.end is not None
    if p.site == vt.end:
        return None
    index = res.day_travel.index()
    i, j = index[p.site], index[vt.end]
    travel = float(res.day_travel.minutes[i, j])
    arrival, rests = p.ready + travel, []
    on_road = res.batch.fleet_by_id.get(start_site(vehicle))
    rules = on_road.rest_rules if on_road is not None else None
    if rules is not None and p.locked:
        # The truck stands at its last locked stop, its service done: what the driver
        # takes before leaving is on the leg home, as a residual route's would be.
        last = len(p.locked) - 1
        driver = Driver.of(rules, p.ready)
        _, _, arrival = driver.leave(last, p.ready, p.ready, 0.0, math.inf, travel)
        rests = [r.model_copy(update={"stop": last, "place": "road"}) for r in driver.rests]
    home = Stop(
        site=vt.end,
        arrival=arrival,
        start=arrival,
        departure=arrival,
        kg_on_board=0.0,
        m3_on_board=0.0,
        km_from_previous=float(res.day_travel.km[i, j]),
    )
    return home, rests


def _priced(
    res: Residual, vehicle: str, vt: VehicleType, stops: list[Stop], rests: list[Rest]
) -> Route:
    """A route of the day's batch: loads re-simulated, km, duration and cost recomputed."""
    orders = res.day.orders_by_id
    kg = m3 = 0.0
    for stop in stops:
        for oid, sign in [(o, -1.0) for o in stop.unload] + [(o, 1.0) for o in stop.load]:
            kg += sign * orders[oid].kg
            m3 += sign * orders[oid].m3
        stop.kg_on_board = kg if abs(kg) > 1e-9 else 0.0
        stop.m3_on_board = m3 if abs(m3) > 1e-9 else 0.0
    km = sum(s.km_from_previous for s in stops)
    duration = stops[-1].departure - stops[0].start
    fuel = fuel_cost(
        vt,
        np.array([s.km_from_previous for s in stops[1:]]),
        np.array([s.kg_on_board for s in stops[:-1]]),
        res.day.options.fuel_price_cny_per_l,
    )
    return Route(
        vehicle=vehicle,
        vehicle_type=vt.id,
        stops=stops,
        km=km,
        duration_min=duration,
        cost=route_cost(vt, km, duration, fuel),
        rests=sorted(rests, key=lambda r: r.start),
    )


def _moved_rests(route: Route, locked: int, day_sites: Mapping[str, object]) -> list[Rest]:
    """A residual route's rests on the day's route, after ``locked`` locked stops: a rest
    at a stand-in stop (where the truck stands at its last locked stop) is on the leg
    from that stop."""
    index: dict[int, int] = {}
    for j, stop in enumerate(route.stops):
        if stop.site in day_sites:
            index[j] = locked + len(index)
    return [
        r.model_copy(update={"stop": index[r.stop]})
        if r.stop in index
        else r.model_copy(update={"stop": locked - 1, "place": "road"})
        for r in route.rests
    ]


def stitch_routes(res: Residual, residual_plan: Plan) -> list[Route]:
    """The day's routes: locked stops plus residual routes, per truck in fleet order."""
    cont = {res.real_vehicle[r.vehicle]: r for r in residual_plan.routes}
    day_sites = res.day.sites_by_id
    routes = []
    for vid, vt in vehicle_ids(res.day):
        p = res.positions.get(vid)
        stops: list[Stop] = [s.model_copy(deep=True) for s in p.locked] if p else []
        rests = list(p.rests) if p else []
        if vid in cont:
            rests += _moved_rests(cont[vid], len(stops), day_sites)
            stops += [s.model_copy(deep=True) for s in cont[vid].stops if s.site in day_sites]
        elif p is not None and not p.down and (home := _home(res, vid, vt)) is not None:
            stops.append(home[0])
            rests += home[1]
        if any(s.load or s.unload for s in stops):
            routes.append(_priced(res, vid, vt, stops, rests))
    return routes


def stitch_outcomes(res: Residual, residual_plan: Plan, routes: list[Route]) -> list[OrderOutcome]:
    """Per order of the day: who carries it, when, how fresh; or why it is not served."""
    day = res.day
    planned = {o.order: o for o in residual_plan.orders}
    where: dict[str, tuple[Route, Stop, Stop]] = {}
    for route in routes:
        loaded: dict[str, Stop] = {}
        for stop in route.stops:
            for oid in stop.load:
                loaded[oid] = stop
            for oid in stop.unload:
                where[oid] = (route, loaded.get(oid, stop), stop)  # else the check says so
    handed = handovers(routes, res.down)
    out = []
    for order in day.orders:
        if order.id not in where:
            known = planned.get(order.id)
            out.append(
                known.model_copy(update={"kind": order.kind})
                if known is not None and not known.served
                else unserved_outcome(order, [search_reason(order)])
            )
            continue
        route, at, to = where[order.id]
        if order.id in handed:  # its life used on the downed truck, waiting, then here
            used = handover_minutes(handed[order.id], order.id, day, to.start)
        else:
            vt = day.fleet_by_id[route.vehicle_type]
            used = used_minutes(order, day, vt, at.departure, to.start)
        out.append(served_outcome(order, day, route, at, to, used))
    return out


def stitch(res: Residual, residual_plan: Plan, engine: str, seconds: float) -> Plan:
    """The full day's plan of a re-plan."""
    routes = stitch_routes(res, residual_plan)
    outcomes = stitch_outcomes(res, residual_plan, routes)
    return Plan(
        batch=res.day.name,
        engine=engine,
        solve_seconds=seconds,
        routes=routes,
        orders=outcomes,
        kpis=compute_kpis(res.day, routes, outcomes),
        down=dict(res.down),
    )
