"""One order alone on one vehicle: the earliest direct trip, and why it fails.

The trip runs start site → origin → destination → end site at the earliest times the
windows allow. The pre-solve check reports an order that fails for every vehicle type
allowed to carry it; PyVRP's model asks the same question with the deadlines that
imply the shelf-life limit, to decide whether such an order can be required.
"""

from __future__ import annotations

import math

from optimizer.freshness import used_minutes
from optimizer.model import VehicleType
from optimizer.routing.engines import FRESHNESS_MARGIN_MIN
from optimizer.routing.problem import RoutingProblem, Vehicle


def _earliest(windows: list[tuple[float, float]], t: float, by: float) -> float | None:
    """The earliest service start at or after ``t`` inside a window, no later than ``by``."""
    for a, b in windows:
        if t <= b:
            start = max(t, a)
            return start if start <= by + 1e-9 else None
    return None


def direct_trip(
    problem: RoutingProblem,
    k: int,
    vehicle: Vehicle,
    *,
    load_by: float = math.inf,
    arrive_by: float = math.inf,
) -> str | None:
    """None when ``vehicle`` can serve order k alone (loading by ``load_by`` and
    unloading by ``arrive_by`` when given), else why not."""
    p = problem
    vt: VehicleType = vehicle.type
    order = p.orders[k]
    load, unload = (int(n) for n in p.pairs[k])
    minutes = p.travel.minutes
    start_site, end_site = p.node_site[vehicle.start_node], p.node_site[vehicle.end_node]
    origin, dest = p.node_site[load], p.node_site[unload]
    site_ids = p.travel.site_ids

    if order.kg > vt.capacity_kg + 1e-9:
        return f"weighs {order.kg:g} kg, more than a {vt.id} holds ({vt.capacity_kg:g} kg)"
    if order.m3 > vt.capacity_m3 + 1e-9:
        return f"is {order.m3:g} m³, more than a {vt.id} holds ({vt.capacity_m3:g} m³)"
    if not p.node_windows[load]:
        return f"is ready at {order.ready:g} min, after {site_ids[origin]} closes"
    if not p.node_windows[unload]:
        return f"no time at {site_ids[dest]} is open and before its cut-off"
    reach = vt.shift_start + minutes[start_site, origin]
    t_load = _earliest(p.node_windows[load], reach, load_by)
    if t_load is None:
        return (
            f"a {vt.id} leaving {site_ids[start_site]} at shift start reaches "
            f"{site_ids[origin]} at {reach:.0f} min, after its last window closes"
        )
    departure = t_load + p.node_service[load]
    t_unload = _earliest(p.node_windows[unload], departure + minutes[origin, dest], arrive_by)
    if t_unload is None:
        return (
            f"a {vt.id} cannot reach {site_ids[dest]} before it closes or its cut-off "
            f"(earliest arrival {departure + minutes[origin, dest]:.0f} min)"
        )
    end = t_unload + p.node_service[unload] + minutes[dest, end_site]
    began = max(vt.shift_start, t_load - minutes[start_site, origin])
    if end > vt.shift_end + 1e-9:
        return f"a {vt.id} would be back at {end:.0f} min, after its shift ends ({vt.shift_end:g})"
    if end - began > vt.max_duration_min + 1e-9:
        return (
            f"a direct trip takes {end - began:.0f} min, over the {vt.max_duration_min:g} min limit"
        )
    km = p.travel.km
    trip_km = km[start_site, origin] + km[origin, dest] + km[dest, end_site]
    if vt.max_km is not None and trip_km > vt.max_km * (1 + 1e-9):
        return f"a direct trip drives {trip_km:.1f} km, over the {vt.id} limit of {vt.max_km:g} km"
    rule = p.freshness[k]
    if rule is not None:
        used = used_minutes(order, p.batch, vt, departure, t_unload)
        if used > rule.budget - FRESHNESS_MARGIN_MIN:
            life = rule.budget / (1.0 - order.min_freshness)
            left = 1.0 - used / life
            return (
                f"even a direct trip by {vt.id} arrives with {left:.0%} shelf life left, "
                f"below min_freshness {order.min_freshness:.0%}"
            )
    return None


def servable_alone(
    problem: RoutingProblem, k: int, *, load_by: float = math.inf, arrive_by: float = math.inf
) -> bool:
    """Whether some vehicle type allowed to carry order k serves it alone (by the
    deadlines given)."""
    seen: set[str] = set()
    for i in problem.allowed_vehicles[k]:
        v = problem.vehicles[i]
        if v.type.id in seen:
            continue
        seen.add(v.type.id)
        if direct_trip(problem, k, v, load_by=load_by, arrive_by=arrive_by) is None:
            return True
    return False
