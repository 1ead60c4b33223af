"""One order alone on one vehicle: the earliest direct trip, and why it fails.

The trip runs start site → origin → destination → end site at the earliest times the
windows allow. The pre-solve check reports an order that fails for every vehicle type
allowed to carry it; PyVRP's model asks the same question with the deadlines that
imply the shelf-life limit, to decide whether such an order can be required.

With the vehicle type's rest rules the trip is timed again with the driver's rests
placed as every route's are (``timing.schedule``, ``breaks.Driver``): rests only delay,
so a trip that fails without them fails with them for the same reason, and one that
fails only with them says so (the ``*_rests`` variants, naming the rules).
"""

from __future__ import annotations

import math

from optimizer.freshness import used_minutes
from optimizer.model import RestRules, VehicleType, format_clock
from optimizer.reasons import Reason
from optimizer.routing.engines import FRESHNESS_MARGIN_MIN
from optimizer.routing.problem import RoutingProblem, Vehicle
from optimizer.routing.timing import schedule, tighten

EPS = 1e-9


def _earliest(windows: list[tuple[float, float]], t: float, by: float) -> float | None:
    """The earliest service start at or after ``t`` inside a window, no later than ``by``."""
    for a, b in windows:
        if t <= b:
            start = max(t, a)
            return start if start <= by + 1e-9 else None
    return None


def _window(variant: str, **params: str | float) -> Reason:
    return Reason(code="window_unreachable", variant=variant, params=params)


def direct_trip(
    problem: RoutingProblem,
    k: int,
    vehicle: Vehicle,
    *,
    load_by: float = math.inf,
    arrive_by: float = math.inf,
) -> Reason | None:
    """None when ``vehicle`` can serve order k alone (loading by ``load_by`` and
    unloading by ``arrive_by`` when given), its driver's rests included, else why not
    (clock times as HH:MM)."""
    reason = _unrested(problem, k, vehicle, load_by, arrive_by)
    if reason is not None or vehicle.type.rest_rules is None:
        return reason
    return _rested(problem, k, vehicle, load_by, arrive_by)


def _unrested(
    problem: RoutingProblem, k: int, vehicle: Vehicle, load_by: float, arrive_by: float
) -> Reason | None:
    """``direct_trip`` without the driver's rests."""
    p = problem
    vt: VehicleType = vehicle.type
    order = p.orders[k]
    load, unload = (int(n) for n in p.pairs[k])
    minutes = p.travel.minutes
    start_site, end_site = p.node_site[vehicle.start_node], p.node_site[vehicle.end_node]
    origin, dest = p.node_site[load], p.node_site[unload]
    site_ids = p.travel.site_ids

    if order.kg > vt.capacity_kg + 1e-9:
        return Reason(
            code="too_heavy", params={"kg": order.kg, "vehicle": vt.id, "capacity": vt.capacity_kg}
        )
    if order.m3 > vt.capacity_m3 + 1e-9:
        return Reason(
            code="too_bulky", params={"m3": order.m3, "vehicle": vt.id, "capacity": vt.capacity_m3}
        )
    if not p.node_windows[load]:
        return _window(
            "ready_after_close", ready=format_clock(order.ready or 0.0), site=site_ids[origin]
        )
    if not p.node_windows[unload]:
        return _window("no_open_time", site=site_ids[dest])
    reach = vt.shift_start + minutes[start_site, origin]
    t_load = _earliest(p.node_windows[load], reach, load_by)
    if t_load is None:
        return _window(
            "origin",
            vehicle=vt.id,
            start=site_ids[start_site],
            shift_start=format_clock(vt.shift_start),
            site=site_ids[origin],
            time=format_clock(reach),
            closes=format_clock(min(p.node_windows[load][-1][1], load_by)),
        )
    departure = t_load + p.node_service[load]
    t_unload = _earliest(p.node_windows[unload], departure + minutes[origin, dest], arrive_by)
    if t_unload is None:
        return _window(
            "destination",
            vehicle=vt.id,
            site=site_ids[dest],
            time=format_clock(departure + minutes[origin, dest]),
            closes=format_clock(min(p.node_windows[unload][-1][1], arrive_by)),
        )
    end = t_unload + p.node_service[unload] + minutes[dest, end_site]
    began = max(vt.shift_start, t_load - minutes[start_site, origin])
    if end > vt.shift_end + 1e-9:
        return Reason(
            code="no_time_in_fleet",
            variant="shift",
            params={
                "vehicle": vt.id,
                "time": format_clock(end),
                "shift_end": format_clock(vt.shift_end),
            },
        )
    if end - began > vt.max_duration_min + 1e-9:
        return Reason(
            code="no_time_in_fleet",
            variant="duration",
            params={"vehicle": vt.id, "minutes": end - began, "limit": vt.max_duration_min},
        )
    km = p.travel.km
    trip_km = km[start_site, origin] + km[origin, dest] + km[dest, end_site]
    if vt.max_km is not None and trip_km > vt.max_km * (1 + 1e-9):
        return Reason(
            code="too_far", params={"vehicle": vt.id, "km": float(trip_km), "limit": vt.max_km}
        )
    rule = p.freshness[k]
    if rule is not None:
        used = used_minutes(order, p.batch, vt, departure, t_unload)
        if used > rule.budget - FRESHNESS_MARGIN_MIN:
            life = rule.budget / (1.0 - order.min_freshness)
            return Reason(
                code="shelf_life_unreachable",
                params={
                    "vehicle": vt.id,
                    "left": 1.0 - used / life,
                    "min": order.min_freshness,
                },
            )
    return None


def _rested(
    problem: RoutingProblem, k: int, vehicle: Vehicle, load_by: float, arrive_by: float
) -> Reason | None:
    """``direct_trip`` timed with the driver's rests, for a trip that is fine without:
    the windows (and deadlines), the shift, the working day and the shelf life."""
    p = problem
    vt = vehicle.type
    rules = vt.rest_rules
    assert rules is not None
    load, unload = (int(n) for n in p.pairs[k])
    nodes = [vehicle.start_node, load, unload, vehicle.end_node]
    minutes = p.node_view("minutes")
    site_ids = p.travel.site_ids
    origin, dest = p.node_site[load], p.node_site[unload]
    rests = _rules_params(rules)
    times = schedule(p, minutes, vt.shift_start, nodes, rules)
    if times is None or times[1] > load_by + EPS or times[2] > arrive_by + EPS:
        head = schedule(p, minutes, vt.shift_start, nodes[:2], rules)
        if head is None or head[1] > load_by + EPS:
            return _window(
                "origin_rests",
                vehicle=vt.id,
                start=site_ids[p.node_site[vehicle.start_node]],
                shift_start=format_clock(vt.shift_start),
                site=site_ids[origin],
                closes=format_clock(min(p.node_windows[load][-1][1], load_by)),
                **rests,
            )
        return _window(
            "destination_rests",
            vehicle=vt.id,
            site=site_ids[dest],
            closes=format_clock(min(p.node_windows[unload][-1][1], arrive_by)),
            **rests,
        )
    times = tighten(p, minutes, times, nodes, rules)
    end, began = times[-1], times[0]
    if end > vt.shift_end + EPS:
        params = {"vehicle": vt.id, "time": format_clock(end)}
        params["shift_end"] = format_clock(vt.shift_end)
        return Reason(code="no_time_in_fleet", variant="shift_rests", params=params | rests)
    if end - began > vt.max_duration_min + EPS:
        params = {"vehicle": vt.id, "minutes": end - began, "limit": vt.max_duration_min}
        return Reason(code="no_time_in_fleet", variant="duration_rests", params=params | rests)
    rule = p.freshness[k]
    if rule is not None:
        order = p.orders[k]
        loaded = times[1] + float(p.node_service[load])  # rests after loading count
        used = used_minutes(order, p.batch, vt, loaded, times[2])
        if used > rule.budget - FRESHNESS_MARGIN_MIN:
            life = rule.budget / (1.0 - order.min_freshness)
            params = {"vehicle": vt.id, "left": 1.0 - used / life, "min": order.min_freshness}
            return Reason(code="shelf_life_unreachable", variant="rests", params=params | rests)
    return None


def _rules_params(rules: RestRules) -> dict[str, str | float]:
    """What the ``*_rests`` texts say of the rules: the longest driving, the rest."""
    return {"drive": rules.max_driving_min, "rest": rules.min_rest_min}


def why_not_alone(
    problem: RoutingProblem, k: int, *, load_by: float = math.inf, arrive_by: float = math.inf
) -> list[Reason] | None:
    """None when some vehicle type allowed to carry order k serves it alone (by the
    deadlines given), else why not, one reason per type tried."""
    reasons: list[Reason] = []
    seen: set[str] = set()
    for i in problem.allowed_vehicles[k]:
        v = problem.vehicles[i]
        if v.type.id in seen:
            continue
        seen.add(v.type.id)
        reason = direct_trip(problem, k, v, load_by=load_by, arrive_by=arrive_by)
        if reason is None:
            return None
        reasons.append(reason)
    return reasons


def servable_alone(
    problem: RoutingProblem, k: int, *, load_by: float = math.inf, arrive_by: float = math.inf
) -> bool:
    """Whether some vehicle type allowed to carry order k serves it alone."""
    return why_not_alone(problem, k, load_by=load_by, arrive_by=arrive_by) is None
