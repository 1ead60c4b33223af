"""Turn an engine's routes (node sequences with service-start times) into a plan.

Consecutive nodes at one hub or centre form one stop; at a village station every node
is a stop of its own (see ``problem.py``). Times come from the engine, whose integer
schedule rounds travel up, so the floating-point arrival at every stop is no later than
the engine's service start: the schedule it promised can be kept. Under a vehicle
type's rest rules the driver's rests are placed here too (``breaks.Driver``), pushing
later stops back where they need to (which the validator then judges).
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.freshness import remaining_share, shelf_life_min, used_minutes
from optimizer.kpis import compute_kpis, fuel_cost, route_cost
from optimizer.model import Batch, Order
from optimizer.plan import OrderOutcome, Plan, Route, Stop
from optimizer.reasons import Reason
from optimizer.routing.breaks import Driver
from optimizer.routing.engines import REQUIRED_PENALTY_CNY, EngineRoute
from optimizer.routing.problem import END, LOAD, START, UNLOAD, RoutingProblem
from optimizer.routing.timing import window_end
from optimizer.validate import validate_plan


def assemble_routes(problem: RoutingProblem, engine_routes: list[EngineRoute]) -> list[Route]:
    """Plan routes from engine routes; routes that serve nothing are left out."""
    routes = []
    for er in engine_routes:
        route = assemble_route(problem, er)
        if any(s.load or s.unload for s in route.stops):
            routes.append(route)
    return routes


def assemble_route(problem: RoutingProblem, er: EngineRoute) -> Route:
    """The plan route of one engine route (its stops, loads, km, duration and cost)."""
    p = problem
    vehicle = p.vehicles[er.vehicle]
    groups: list[list[int]] = []
    for pos, node in enumerate(er.nodes):
        prev = er.nodes[groups[-1][-1]] if groups else -1
        if prev >= 0 and p.node_site[prev] == p.node_site[node] and p.node_shared[node]:
            groups[-1].append(pos)
        else:
            groups.append([pos])

    rules = vehicle.type.rest_rules
    begins = min(er.times[i] for i in groups[0])
    driver = None if rules is None else Driver.of(rules, begins, meal=False)
    stops = _stops(p, er, groups, driver)
    if rules is not None and driver is not None and driver.meal_missing(stops[-1].arrival):
        driver = Driver.of(rules, begins)  # out when the meal window closes: time it again
        stops = _stops(p, er, groups, driver)
    assert p.node_role[er.nodes[0]] == START and p.node_role[er.nodes[-1]] == END
    km_total = sum(s.km_from_previous for s in stops)
    duration = stops[-1].departure - stops[0].start
    fuel = fuel_cost(
        vehicle.type,
        np.array([s.km_from_previous for s in stops[1:]]),
        np.array([s.kg_on_board for s in stops[:-1]]),
        p.batch.options.fuel_price_cny_per_l,
    )
    return Route(
        vehicle=vehicle.id,
        vehicle_type=vehicle.type.id,
        stops=stops,
        km=km_total,
        duration_min=duration,
        cost=route_cost(vehicle.type, km_total, duration, fuel),
        rests=[] if driver is None else driver.rests,
    )


def _stops(
    p: RoutingProblem, er: EngineRoute, groups: list[list[int]], driver: Driver | None
) -> list[Stop]:
    """The stops of ``er`` (its nodes grouped into ``groups``), timed from the engine's
    service starts, with ``driver``'s rests placed."""
    site_ids = p.travel.site_ids
    stops: list[Stop] = []
    kg = m3 = 0.0
    arrival, prev_site = 0.0, -1  # at the current stop, from the previous stop's departure
    for at, g in enumerate(groups):
        nodes = [er.nodes[i] for i in g]
        site = int(p.node_site[nodes[0]])
        actions = [i for i, n in zip(g, nodes, strict=True) if p.node_role[n] in (LOAD, UNLOAD)]
        load = [
            p.orders[p.node_order[er.nodes[i]]].id
            for i in actions
            if p.node_role[er.nodes[i]] == LOAD
        ]
        unload = [
            p.orders[p.node_order[er.nodes[i]]].id
            for i in actions
            if p.node_role[er.nodes[i]] == UNLOAD
        ]
        for i in actions:
            n = er.nodes[i]
            kg += p.node_kg[n]
            m3 += p.node_m3[n]
        if stops:
            km = float(p.travel.km[prev_site, site])
        else:
            arrival = min(er.times[i] for i in g)
            km = 0.0
        service = float(p.node_service[er.nodes[actions[0]]]) if actions else 0.0
        if actions:
            start = max(arrival, max(er.times[i] for i in actions))
        else:
            start = arrival if stops else max(er.times[i] for i in g)
            if not stops:
                arrival = start
        departure = start + service
        if at + 1 < len(groups):
            travel = float(p.travel.minutes[site, p.node_site[er.nodes[groups[at + 1][0]]]])
            if driver is None:
                next_arrival = departure + travel
            else:
                latest = min((window_end(p, er.nodes[i], start) for i in actions), default=math.inf)
                start, departure, next_arrival = driver.leave(
                    at, arrival, start, service, latest, travel
                )
        stops.append(
            Stop(
                site=site_ids[site],
                arrival=arrival,
                start=start,
                departure=departure,
                load=load,
                unload=unload,
                kg_on_board=max(0.0, kg) if abs(kg) > 1e-9 else 0.0,
                m3_on_board=max(0.0, m3) if abs(m3) > 1e-9 else 0.0,
                km_from_previous=km,
            )
        )
        prev_site = site
        if at + 1 < len(groups):
            arrival = next_arrival
    return stops


def engine_routes(problem: RoutingProblem, routes: list[Route]) -> list[EngineRoute]:
    """The node sequences of plan routes (the inverse of ``assemble_routes``): at each
    stop its unloads, then its loads, at the stop's service start."""
    node_of = {
        (problem.orders[int(problem.node_order[n])].id, int(problem.node_role[n])): n
        for n in range(problem.n_nodes)
        if problem.node_order[n] >= 0
    }
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    out = []
    for route in routes:
        k = index[route.vehicle]
        vehicle = problem.vehicles[k]
        nodes, times = [vehicle.start_node], [route.stops[0].start]
        for stop in route.stops:
            for role, orders in ((UNLOAD, stop.unload), (LOAD, stop.load)):
                for oid in orders:
                    nodes.append(node_of[(oid, role)])
                    times.append(stop.start)
        nodes.append(vehicle.end_node)
        times.append(route.stops[-1].departure)
        out.append(EngineRoute(k, nodes, times))
    return out


def search_reason(order: Order) -> Reason:
    """Why the search left an order out: an optional order's penalty is cheaper than
    serving it; a required one did not fit."""
    if order.penalty is not None:
        return Reason(code="penalty_cheaper", params={"penalty": order.penalty})
    return Reason(code="not_fitted")


def unserved_outcome(order: Order, reasons: list[Reason]) -> OrderOutcome:
    """The outcome of an order left out, with its code and its English text."""
    return OrderOutcome(
        order=order.id,
        kind=order.kind,
        served=False,
        reason="; ".join(r.text("en") for r in reasons),
        reason_code=reasons[0].code,
        reasons=reasons,
    )


def order_outcomes(
    problem: RoutingProblem, routes: list[Route], reasons: dict[str, Reason] | None = None
) -> list[OrderOutcome]:
    """Per order: who carries it, when, and how fresh it arrives; or why it is not served
    (from ``reasons``, else ``search_reason``)."""
    reasons = reasons or {}
    batch = problem.batch
    where: dict[str, tuple[Route, Stop, Stop]] = {}
    for route in routes:
        loaded: dict[str, Stop] = {}
        for stop in route.stops:
            for oid in stop.load:
                loaded[oid] = stop
            for oid in stop.unload:
                where[oid] = (route, loaded[oid], stop)
    out = []
    for order in problem.orders:
        if order.id not in where:
            out.append(unserved_outcome(order, [reasons.get(order.id) or search_reason(order)]))
            continue
        route, at, to = where[order.id]
        vt = batch.fleet_by_id[route.vehicle_type]
        used = used_minutes(order, batch, vt, at.departure, to.start)
        out.append(served_outcome(order, batch, route, at, to, used))
    return out


def served_outcome(
    order: Order, batch: Batch, route: Route, at: Stop, to: Stop, used: float
) -> OrderOutcome:
    """The outcome of ``order`` loaded at ``at`` and delivered at ``to`` on ``route``,
    ``used`` minutes of its shelf life gone on arrival."""
    life = shelf_life_min(batch.products_by_id[order.product])
    return OrderOutcome(
        order=order.id,
        kind=order.kind,
        served=True,
        vehicle=route.vehicle,
        loaded_at=at.departure,
        arrived_at=to.start,
        remaining_share=remaining_share(order, batch, used),
        remaining_h=None if life is None else (life - used) / 60.0,
    )


def validated_plan(
    problem: RoutingProblem, routes: list[EngineRoute], *, allow: tuple[str, ...] = ()
) -> Plan | None:
    """The plan of ``routes`` when the validator accepts it (violations of the kinds in
    ``allow`` aside), else None: how candidates are judged on the true cost."""
    plan = build_plan(problem, routes, engine="check", seconds=0.0)
    if any(v.kind not in allow for v in validate_plan(problem.batch, plan, problem.travel)):
        return None
    return plan


def plan_score(plan: Plan) -> float:
    """A valid plan's cost for comparing candidates (required orders unserved at their
    penalty)."""
    return plan.kpis.total_cost + REQUIRED_PENALTY_CNY * plan.kpis.required_unassigned


def build_plan(
    problem: RoutingProblem,
    engine_routes: list[EngineRoute],
    *,
    engine: str,
    seconds: float,
    reasons: dict[str, Reason] | None = None,
) -> Plan:
    routes = assemble_routes(problem, engine_routes)
    orders = order_outcomes(problem, routes, reasons)
    return Plan(
        batch=problem.batch.name,
        engine=engine,
        solve_seconds=seconds,
        routes=routes,
        orders=orders,
        kpis=compute_kpis(problem.batch, routes, orders),
    )
