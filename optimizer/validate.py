"""Independent plan validator: recompute a plan from its batch and list every hard violation.

The validator trusts nothing the plan derives (times are checked against the travel
matrices, loads are re-simulated, costs and freshness recomputed) so that it catches
bugs in any engine. An empty list means the plan is valid. Violation kinds:
``coverage``, ``vehicle``, ``travel``, ``schedule``, ``time_window``, ``shift``,
``capacity``, ``refrigeration``, ``freshness``, ``deliveries_first``, ``single_trip``,
``single_visit``,
``min_used``, ``cost``, ``rest``.

Drivers' rests (``rest``, vehicle types with ``rest_rules``) are rechecked from the
stops' times alone: continuous driving adds up the legs' matrix minutes and starts again
after a stay idle (waiting, or after service, with a leg's spare time spent at its
start) or a listed rest on the road of at least ``min_rest_min``; each listed rest must
lie in its stop's idle time or within its leg's time; a route out for the whole meal
window needs an idle ``meal_min`` in it.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from optimizer import freshness
from optimizer.errors import Said, in_lang
from optimizer.i18n import t
from optimizer.kpis import fuel_cost
from optimizer.model import Batch, Order, Site, VehicleType, format_clock, vehicle_ids
from optimizer.network import TravelMatrices, travel_matrices
from optimizer.plan import OrderOutcome, Plan, Route, Stop

EPS = 1e-6  # absolute tolerance: minutes, kg, m³, shares
REL = 1e-6  # relative tolerance: km and cost
FRESHNESS_EPS = 1e-9  # slack on min_freshness

KINDS = (
    "coverage",
    "vehicle",
    "travel",
    "schedule",
    "time_window",
    "shift",
    "capacity",
    "refrigeration",
    "freshness",
    "deliveries_first",
    "single_trip",
    "single_visit",
    "min_used",
    "cost",
    "rest",
)


@dataclass(frozen=True)
class Violation:
    """One broken hard rule; ``route`` is a vehicle id, ``order`` an order id.

    ``message`` is English; when it is a ``Said`` it also says itself in Chinese."""

    kind: str
    route: str | None
    order: str | None
    message: str


Found = Iterator[Violation]


@dataclass(frozen=True)
class _Visit:
    route: int
    stop: int
    action: Literal["load", "unload"]


@dataclass(frozen=True)
class _Placement:
    """Where a served order rides: route index, loading and unloading stop indices."""

    route: int
    load: int
    unload: int


@dataclass(frozen=True)
class Changed:
    """Travel that changed during the day (roads closed): legs into a route's stop
    ``first[vehicle]`` and later (every leg of a vehicle not listed) take ``travel``."""

    travel: TravelMatrices
    first: dict[str, int]

    @cached_property
    def _index(self) -> dict[str, int]:
        return self.travel.index()

    def covers(self, vehicle: str, stop: int) -> bool:
        """Whether the leg into ``stop`` (1, 2, …) of ``vehicle``'s route takes ``travel``."""
        return stop >= self.first.get(vehicle, 1)

    def leg(self, a: str, b: str) -> tuple[float, float] | None:
        i, j = self._index.get(a), self._index.get(b)
        if i is None or j is None:
            return None
        return float(self.travel.km[i, j]), float(self.travel.minutes[i, j])


@dataclass(frozen=True)
class _Context:
    """The batch plus lookups every check needs."""

    batch: Batch
    index: dict[str, int]
    km: np.ndarray
    minutes: np.ndarray
    vehicles: dict[str, VehicleType]
    after: Changed | None = None

    @classmethod
    def of(
        cls, batch: Batch, travel: TravelMatrices | None = None, after: Changed | None = None
    ) -> _Context:
        tm = travel if travel is not None else travel_matrices(batch)
        return cls(batch, tm.index(), tm.km, tm.minutes, dict(vehicle_ids(batch)), after)

    def route_legs(self, route: Route) -> list[tuple[float, float] | None]:
        """km and minutes of each leg of ``route`` (into stop 1, 2, …): the batch's, or
        ``after``'s from the stop it names for the route's vehicle on."""
        out = []
        after = self.after
        for i, (a, b) in enumerate(itertools.pairwise(route.stops), start=1):
            if after is not None and after.covers(route.vehicle, i):
                out.append(after.leg(a.site, b.site))
            else:
                out.append(self.leg(a.site, b.site))
        return out

    def site(self, site_id: str) -> Site | None:
        return self.batch.sites_by_id.get(site_id)

    def order(self, order_id: str) -> Order | None:
        return self.batch.orders_by_id.get(order_id)

    def leg(self, a: str, b: str) -> tuple[float, float] | None:
        """km and minutes from site a to site b, or None if either is unknown."""
        i, j = self.index.get(a), self.index.get(b)
        if i is None or j is None:
            return None
        return float(self.km[i, j]), float(self.minutes[i, j])

    def vehicle_type(self, route: Route) -> VehicleType | None:
        """The physical vehicle's type, else the declared type, else None."""
        return self.vehicles.get(route.vehicle) or self.batch.fleet_by_id.get(route.vehicle_type)


def _n(x: float | None) -> str:
    return "none" if x is None else f"{x:.10g}"


def _t(x: float) -> str:
    """A clock time for messages: minutes and HH:MM."""
    return f"{_n(x)} ({format_clock(x)})" if math.isfinite(x) and x >= 0 else _n(x)


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=EPS)


def _has_actions(stop: Stop) -> bool:
    return bool(stop.load or stop.unload)


def _expected_sites(order: Order) -> tuple[str | None, str | None]:
    """Where an order must be loaded and unloaded."""
    if order.kind == "delivery":
        return order.hub, order.site
    if order.kind == "transfer":
        return order.origin, order.site
    return order.site, order.centre


# -- coverage ---------------------------------------------------------------------------------


def _collect_visits(routes: Sequence[Route]) -> dict[str, list[_Visit]]:
    visits: dict[str, list[_Visit]] = defaultdict(list)
    for r, route in enumerate(routes):
        for s, stop in enumerate(route.stops):
            for oid in stop.load:
                visits[oid].append(_Visit(r, s, "load"))
            for oid in stop.unload:
                visits[oid].append(_Visit(r, s, "unload"))
    return visits


def _place(visits: list[_Visit]) -> _Placement | None:
    """Where a served order rides, or None when its loads and unloads do not pair up."""
    loads = [v for v in visits if v.action == "load"]
    unloads = [v for v in visits if v.action == "unload"]
    if len(loads) != 1 or len(unloads) != 1:
        return None
    load, unload = loads[0], unloads[0]
    if load.route != unload.route or unload.stop <= load.stop:
        return None
    return _Placement(load.route, load.stop, unload.stop)


def _check_visits(routes: Sequence[Route], order: Order, visits: list[_Visit]) -> Found:
    """A served order is loaded once and unloaded once, on one route, in order, at its sites."""
    loads = [v for v in visits if v.action == "load"]
    unloads = [v for v in visits if v.action == "unload"]
    vehicle = routes[visits[0].route].vehicle
    if len(loads) != 1 or len(unloads) != 1:
        msg = Said("validate.visit_count", order=order.id, loads=len(loads), unloads=len(unloads))
        yield Violation("coverage", vehicle, order.id, msg)
        return
    load, unload = loads[0], unloads[0]
    if load.route != unload.route:
        on, off = routes[load.route].vehicle, routes[unload.route].vehicle
        msg = Said("validate.split_route", order=order.id, on=on, off=off)
        yield Violation("coverage", vehicle, order.id, msg)
        return
    if unload.stop <= load.stop:
        msg = Said("validate.unload_first", order=order.id, unload=unload.stop, load=load.stop)
        yield Violation("coverage", vehicle, order.id, msg)
        return
    stops = routes[load.route].stops
    want_load, want_unload = _expected_sites(order)
    kind = Said(f"order.{order.kind}")
    if stops[load.stop].site != want_load:
        site = stops[load.stop].site
        msg = Said("validate.load_site", order=order.id, kind=kind, site=site, want=want_load)
        yield Violation("coverage", vehicle, order.id, msg)
    if stops[unload.stop].site != want_unload:
        site = stops[unload.stop].site
        msg = Said("validate.unload_site", order=order.id, kind=kind, site=site, want=want_unload)
        yield Violation("coverage", vehicle, order.id, msg)


def _check_outcome(
    plan: Plan, order: Order, outcome: OrderOutcome, on_routes: bool, p: _Placement | None
) -> Found:
    """The order's outcome agrees with the routes; an unserved order gives a reason."""
    oid = order.id
    if outcome.kind != order.kind:
        msg = Said(
            "validate.outcome_kind", order=oid, kind=Said(f"order.{order.kind}"), said=outcome.kind
        )
        yield Violation("coverage", None, order.id, msg)
    if outcome.served != on_routes:
        where = Said("validate.appears" if on_routes else "validate.absent")
        msg = Said("validate.served_flag", order=oid, served=outcome.served, where=where)
        yield Violation("coverage", None, order.id, msg)
    if not on_routes and not (outcome.reason or "").strip():
        need = Said("validate.required" if order.penalty is None else "validate.optional")
        yield Violation("coverage", None, oid, Said("validate.no_reason", order=oid, need=need))
    if p is None:
        return
    route = plan.routes[p.route]
    v = route.vehicle
    if outcome.vehicle is not None and outcome.vehicle != v:
        msg = Said("validate.outcome_vehicle", order=oid, named=outcome.vehicle, v=v)
        yield Violation("coverage", v, order.id, msg)
    loaded, arrived = route.stops[p.load].departure, route.stops[p.unload].start
    if outcome.loaded_at is not None and not _close(outcome.loaded_at, loaded):
        msg = Said("validate.loaded_at", order=oid, got=_n(outcome.loaded_at), want=_n(loaded))
        yield Violation("schedule", v, order.id, msg)
    if outcome.arrived_at is not None and not _close(outcome.arrived_at, arrived):
        got, want = _n(outcome.arrived_at), _n(arrived)
        msg = Said("validate.arrived_at", order=oid, got=got, want=want)
        yield Violation("schedule", v, order.id, msg)


def _check_coverage(
    ctx: _Context, plan: Plan, visits: dict[str, list[_Visit]], placements: dict[str, _Placement]
) -> Found:
    """Every order once in plan.orders and, if served, soundly on exactly one route."""
    for oid, vs in visits.items():
        if ctx.order(oid) is None:
            v = plan.routes[vs[0].route].vehicle
            msg = Said("validate.unknown_order_stop", order=oid, v=v, stop=vs[0].stop)
            yield Violation("coverage", v, oid, msg)
    outcomes: dict[str, list[OrderOutcome]] = defaultdict(list)
    for oc in plan.orders:
        outcomes[oc.order].append(oc)
    for oid in outcomes:
        if ctx.order(oid) is None:
            yield Violation("coverage", None, oid, Said("validate.unknown_order_plan", order=oid))
    for order in ctx.batch.orders:
        ocs = outcomes.get(order.id, [])
        if len(ocs) != 1:
            msg = (
                Said("validate.order_missing", order=order.id)
                if not ocs
                else Said("validate.order_repeated", order=order.id, n=len(ocs))
            )
            yield Violation("coverage", None, order.id, msg)
        vs = visits.get(order.id, [])
        if vs:
            yield from _check_visits(plan.routes, order, vs)
        if ocs:
            yield from _check_outcome(plan, order, ocs[0], bool(vs), placements.get(order.id))


# -- per route --------------------------------------------------------------------------------


def _check_min_used(ctx: _Context, plan: Plan) -> Found:
    """At least ``min_used`` vehicles of each type run a route that serves something."""
    running: dict[str, int] = defaultdict(int)
    for route in plan.routes:
        if any(_has_actions(s) for s in route.stops):
            running[route.vehicle_type] += 1
    for vt in ctx.batch.fleet:
        if running[vt.id] < vt.min_used:
            msg = Said("validate.min_used", n=running[vt.id], type=vt.id, min=vt.min_used)
            yield Violation("min_used", None, None, msg)


def _check_vehicle(ctx: _Context, route: Route, used: set[str]) -> Found:
    """A real, unused vehicle of the declared type, starting and ending at its depots."""
    v = route.vehicle
    real = ctx.vehicles.get(v)
    if real is None:
        known = ", ".join(list(ctx.vehicles)[:20])
        yield Violation("vehicle", v, None, Said("validate.no_vehicle", v=v, known=known))
    elif real.id != route.vehicle_type:
        msg = Said("validate.wrong_type", v=v, real=real.id, said=route.vehicle_type)
        yield Violation("vehicle", v, None, msg)
    if real is None and route.vehicle_type not in ctx.batch.fleet_by_id:
        msg = Said("validate.unknown_type", v=v, type=route.vehicle_type)
        yield Violation("vehicle", v, None, msg)
    if v in used:
        yield Violation("vehicle", v, None, Said("validate.vehicle_twice", v=v))
    used.add(v)
    if len(route.stops) < 2:
        msg = Said("validate.few_stops", v=v, n=len(route.stops))
        yield Violation("vehicle", v, None, msg)
    vt = ctx.vehicle_type(route)
    if vt is None or not route.stops:
        return
    first, last = route.stops[0].site, route.stops[-1].site
    if first != vt.start:
        msg = Said("validate.start_depot", v=v, site=first, type=vt.id, want=vt.start)
        yield Violation("vehicle", v, None, msg)
    if last != vt.end:
        msg = Said("validate.end_depot", v=v, site=last, type=vt.id, want=vt.end)
        yield Violation("vehicle", v, None, msg)


def _check_travel(ctx: _Context, route: Route) -> Found:
    """Legs take at least their matrix minutes and report their matrix km."""
    v, stops = route.vehicle, route.stops
    for i, stop in enumerate(stops):
        if ctx.site(stop.site) is None:
            msg = Said("validate.unknown_site", v=v, i=i, site=stop.site)
            yield Violation("travel", v, None, msg)
    if stops and stops[0].km_from_previous != 0:
        msg = Said("validate.first_km", v=v, km=_n(stops[0].km_from_previous))
        yield Violation("travel", v, None, msg)
    for i, leg in enumerate(ctx.route_legs(route), start=1):
        a, b = stops[i - 1], stops[i]
        if leg is None:
            continue
        km, minutes = leg
        earliest = a.departure + minutes
        if b.arrival < earliest - EPS:
            msg = Said(
                "validate.too_fast",
                v=v,
                i=i,
                site=b.site,
                arrival=_t(b.arrival),
                prev=a.site,
                departure=_t(a.departure),
                minutes=_n(minutes),
                earliest=_t(earliest),
            )
            yield Violation("travel", v, None, msg)
        if not _close(b.km_from_previous, km, rel=REL):
            got = _n(b.km_from_previous)
            msg = Said("validate.leg_km", v=v, i=i, a=a.site, b=b.site, km=got, want=_n(km))
            yield Violation("travel", v, None, msg)


def _service_min(ctx: _Context, stop: Stop) -> float:
    """Service is charged once per stop that loads or unloads anything."""
    site = ctx.site(stop.site)
    return site.service_min if site is not None and _has_actions(stop) else 0.0


def _route_km(ctx: _Context, route: Route) -> float:
    return sum(leg[0] for leg in ctx.route_legs(route) if leg is not None)


def _duration(route: Route) -> float:
    return route.stops[-1].departure - route.stops[0].start


def _check_schedule(ctx: _Context, route: Route) -> Found:
    """Service starts after arrival and lasts its service time; route km and duration add up."""
    v = route.vehicle
    for i, stop in enumerate(route.stops):
        where = Said("validate.at_stop", v=v, i=i, site=stop.site)
        if stop.start < stop.arrival - EPS:
            start, arrival = _t(stop.start), _t(stop.arrival)
            msg = Said("validate.start_before_arrival", where=where, start=start, arrival=arrival)
            yield Violation("schedule", v, None, msg)
        service = _service_min(ctx, stop)
        if stop.departure < stop.start + service - EPS:
            msg = Said(
                "validate.short_service",
                where=where,
                departure=_t(stop.departure),
                start=_t(stop.start),
                service=_n(service),
            )
            yield Violation("schedule", v, None, msg)
    km = _route_km(ctx, route)
    if not _close(route.km, km, rel=REL):
        msg = Said("validate.route_km", v=v, km=_n(route.km), want=_n(km))
        yield Violation("schedule", v, None, msg)
    duration = _duration(route)
    if not _close(route.duration_min, duration):
        msg = Said("validate.duration", v=v, got=_n(route.duration_min), want=_n(duration))
        yield Violation("schedule", v, None, msg)


def _in_windows(site: Site, t: float) -> bool:
    if not site.time_windows:
        return True
    return any(w.start - EPS <= t <= w.end + EPS for w in site.time_windows)


def _check_time_windows(ctx: _Context, route: Route) -> Found:
    """Action stops start inside a window, after ready times and, at centres, by the cutoff."""
    v = route.vehicle
    for i, stop in enumerate(route.stops):
        site = ctx.site(stop.site)
        if site is None or not _has_actions(stop):
            continue
        where = Said("validate.at_stop", v=v, i=i, site=stop.site)
        start = _t(stop.start)
        if not _in_windows(site, stop.start):
            windows = ", ".join(f"{_t(w.start)}-{_t(w.end)}" for w in site.time_windows)
            msg = Said("validate.outside_windows", where=where, start=start, windows=windows)
            yield Violation("time_window", v, None, msg)
        for oid in stop.load:
            order = ctx.order(oid)
            if order is not None and order.ready is not None and stop.start < order.ready - EPS:
                ready = _t(order.ready)
                msg = Said(
                    "validate.before_ready", where=where, order=oid, start=start, ready=ready
                )
                yield Violation("time_window", v, oid, msg)
        if site.cutoff is not None and stop.start > site.cutoff + EPS:
            for oid in stop.unload:
                cutoff = _t(site.cutoff)
                msg = Said(
                    "validate.after_cutoff", where=where, order=oid, start=start, cutoff=cutoff
                )
                yield Violation("time_window", v, oid, msg)


def _check_shift(route: Route, vt: VehicleType) -> Found:
    """The route fits its vehicle type's shift and maximum duration."""
    v = route.vehicle
    first, last = route.stops[0], route.stops[-1]
    if first.start < vt.shift_start - EPS:
        start, want = _t(first.start), _t(vt.shift_start)
        msg = Said("validate.shift_start", v=v, start=start, type=vt.id, want=want)
        yield Violation("shift", v, None, msg)
    if last.departure > vt.shift_end + EPS:
        end, want = _t(last.departure), _t(vt.shift_end)
        msg = Said("validate.shift_end", v=v, end=end, type=vt.id, want=want)
        yield Violation("shift", v, None, msg)
    duration = _duration(route)
    if duration > vt.max_duration_min + EPS:
        got, most = _n(duration), _n(vt.max_duration_min)
        msg = Said("validate.max_duration", v=v, got=got, type=vt.id, max=most)
        yield Violation("shift", v, None, msg)
    if vt.max_km is not None and route.km > vt.max_km * (1 + REL):
        msg = Said("validate.max_km", v=v, got=_n(route.km), type=vt.id, max=_n(vt.max_km))
        yield Violation("shift", v, None, msg)


def _check_rests(ctx: _Context, route: Route, vt: VehicleType) -> Found:
    """Drivers' rests: listed where the times leave room, continuous driving within the
    limit, the meal break in its window."""
    rules, v, stops = vt.rest_rules, route.vehicle, route.stops
    if rules is None:
        return
    idle: list[tuple[float, float]] = []  # every idle interval: stays and road rests
    for stop in stops:
        service = _service_min(ctx, stop)
        idle += [(stop.arrival, stop.start), (stop.start + service, stop.departure)]
    road: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for k, rest in enumerate(route.rests):
        if not 0 <= rest.stop < len(stops) - (rest.place == "road"):
            yield Violation("rest", v, None, Said("validate.rest_stop", v=v, k=k, i=rest.stop))
            continue
        stop = stops[rest.stop]
        if rest.place == "road":
            lo, hi = stop.departure, stops[rest.stop + 1].arrival
            road[rest.stop].append((rest.start, rest.end))
            idle.append((rest.start, rest.end))
        elif rest.place == "waiting":
            lo, hi = stop.arrival, stop.start
        else:
            lo, hi = stop.start + _service_min(ctx, stop), stop.departure
        if rest.start < lo - EPS or rest.end > hi + EPS or rest.end < rest.start:
            msg = Said(
                "validate.rest_outside",
                v=v,
                kind=Said("rest.kind." + rest.kind),
                start=_t(rest.start),
                end=_t(rest.end),
                i=rest.stop,
                site=stop.site,
                lo=_t(lo),
                hi=_t(hi),
            )
            yield Violation("rest", v, None, msg)
    driven, most = rules.driven_min or 0.0, rules.max_driving_min
    legs = ctx.route_legs(route)  # a re-plan's legs after now on its changed roads
    for i in range(1, len(stops)):
        a, b = stops[i - 1], stops[i]
        leg = legs[i - 1]
        if leg is None:
            continue
        rests = sorted(road[i - 1])
        spent = sum(end - start for start, end in rests)
        # A leg's spare time (arriving later than driving and rests take) is spent at
        # its start, standing at stop a (as the run sheets print it: leave later).
        spare = max(0.0, b.arrival - a.departure - leg[1] - spent)
        service = _service_min(ctx, a)
        after = a.departure - a.start - service + spare
        if max(a.start - a.arrival, after) >= rules.min_rest_min - EPS:
            driven = 0.0
        if spare > EPS:
            idle.append((a.start + service, a.departure + spare))
        left, at, peak = leg[1], a.departure + spare, 0.0
        for start, end in rests:
            d = min(left, max(0.0, start - at))  # driven before this rest, at most
            driven, left, at = driven + d, left - d, end
            peak = max(peak, driven)
            if end - start >= rules.min_rest_min - EPS:
                driven = 0.0
        driven += left
        peak = max(peak, driven)
        if b.arrival - a.departure < leg[1] + spent - EPS:
            msg = Said(
                "validate.rest_leg",
                v=v,
                i=i,
                a=a.site,
                b=b.site,
                got=_n(b.arrival - a.departure),
                minutes=_n(leg[1]),
                rest=_n(spent),
            )
            yield Violation("rest", v, None, msg)
        if peak > most + EPS:
            msg = Said(
                "validate.driving",
                v=v,
                i=i,
                site=b.site,
                got=_n(peak),
                rest=_n(rules.min_rest_min),
                type=vt.id,
                max=_n(most),
            )
            yield Violation("rest", v, None, msg)
            driven = 0.0  # one violation per stretch
    w = rules.meal_window
    if w is None or not stops:
        return
    due = stops[0].start < w.start - EPS if rules.meal_due is None else rules.meal_due
    longest = max((min(hi, w.end) - max(lo, w.start) for lo, hi in idle), default=0.0)
    if due and stops[-1].arrival > w.end + EPS and longest < rules.meal_min - EPS:
        window = f"{format_clock(w.start)}-{format_clock(w.end)}"
        msg = Said("validate.no_meal", v=v, window=window, type=vt.id, meal=_n(rules.meal_min))
        yield Violation("rest", v, None, msg)


def _check_load(where: str, v: str, unit: str, amount: float, cap: float, reported: float) -> Found:
    n = _n(amount)
    if amount > cap + EPS:
        msg = Said("validate.over_capacity", where=where, amount=n, unit=unit, cap=_n(cap))
        yield Violation("capacity", v, None, msg)
    if amount < -EPS:
        msg = Said("validate.negative_load", where=where, amount=n, unit=unit)
        yield Violation("capacity", v, None, msg)
    if not _close(reported, amount):
        msg = Said("validate.load_reported", where=where, got=_n(reported), unit=unit, amount=n)
        yield Violation("capacity", v, None, msg)


def _on_board(ctx: _Context, route: Route) -> list[tuple[float, float]]:
    """kg and m³ on board after each stop, simulated from the orders (unloads, then
    loads), not taken from the plan."""
    kg = m3 = 0.0
    out = []
    for stop in route.stops:
        for oid, sign in [(o, -1.0) for o in stop.unload] + [(o, 1.0) for o in stop.load]:
            order = ctx.order(oid)
            if order is not None:
                kg += sign * order.kg
                m3 += sign * order.m3
        out.append((kg, m3))
    return out


def _check_capacity(ctx: _Context, route: Route, vt: VehicleType) -> Found:
    """kg and m³ on board within capacity and as reported, stop by stop."""
    v = route.vehicle
    for i, (stop, (kg, m3)) in enumerate(zip(route.stops, _on_board(ctx, route), strict=True)):
        where = Said("validate.at_stop", v=v, i=i, site=stop.site)
        yield from _check_load(where, v, "kg", kg, vt.capacity_kg, stop.kg_on_board)
        yield from _check_load(where, v, "m³", m3, vt.capacity_m3, stop.m3_on_board)


def _check_refrigeration(ctx: _Context, route: Route, vt: VehicleType) -> Found:
    """Every order loaded rides in a compartment its product tolerates."""
    v = route.vehicle
    room = f"{_n(vt.compartment_temp_c)} °C" if vt.refrigerated else Said("validate.ambient")
    for i, stop in enumerate(route.stops):
        for oid in stop.load:
            order = ctx.order(oid)
            if order is None:
                continue
            product = ctx.batch.products_by_id[order.product]
            if not freshness.can_carry(vt, product):
                msg = Said(
                    "validate.refrigeration",
                    v=v,
                    i=i,
                    order=oid,
                    product=product.id,
                    temp=Said(f"temp.class.{product.temperature_class}"),
                    type=vt.id,
                    room=room,
                )
                yield Violation("refrigeration", v, oid, msg)


def _is_kind(ctx: _Context, oid: str, kind: str) -> bool:
    order = ctx.order(oid)
    return order is not None and order.kind == kind


def _check_deliveries_first(ctx: _Context, route: Route) -> Found:
    """deliveries_first: no delivery is unloaded after the stop of the first pickup load.

    Within one stop unloads come before loads, so a station may take its delivery and
    hand over its produce in the same visit.
    """
    stops = route.stops
    first_pickup = next(
        (i for i, s in enumerate(stops) if any(_is_kind(ctx, o, "pickup") for o in s.load)), None
    )
    if first_pickup is None:
        return
    v = route.vehicle
    for i in range(first_pickup + 1, len(stops)):
        for oid in stops[i].unload:
            if _is_kind(ctx, oid, "delivery"):
                msg = Said("validate.deliveries_first", v=v, order=oid, i=i, first=first_pickup)
                yield Violation("deliveries_first", v, oid, msg)


def _fuel(ctx: _Context, route: Route, vt: VehicleType) -> float:
    """Fuel from the matrix's leg km and the kg recomputed on board (not the plan's)."""
    km = np.array([leg[0] if leg is not None else 0.0 for leg in ctx.route_legs(route)])
    kg = np.array([kg for kg, _ in _on_board(ctx, route)[:-1]])
    return fuel_cost(vt, km, kg, ctx.batch.options.fuel_price_cny_per_l)


def _check_cost(ctx: _Context, route: Route, vt: VehicleType) -> Found:
    """Fixed, distance and time cost parts (unweighted CNY) and their total."""
    fixed = vt.fixed_cost if any(_has_actions(s) for s in route.stops) else 0.0
    distance = _route_km(ctx, route) * vt.cost_per_km
    time = _duration(route) / 60.0 * vt.cost_per_hour
    fuel = _fuel(ctx, route, vt)
    expected = {
        "fixed": fixed,
        "distance": distance,
        "time": time,
        "fuel": fuel,
        "total": fixed + distance + time + fuel,
    }
    v = route.vehicle
    for name, want in expected.items():
        got = getattr(route.cost, name)
        if not _close(got, want, rel=REL):
            part = Said(f"validate.cost.{name}")
            msg = Said("validate.cost", v=v, name=part, got=_n(got), want=_n(want))
            yield Violation("cost", v, None, msg)


def _check_single_trip(ctx: _Context, route: Route) -> Found:
    """A single-trip vehicle loads at hubs and centres only before its first station stop
    and unloads there only after its last one: it leaves once and comes back once."""
    kinds = [getattr(ctx.site(stop.site), "kind", None) for stop in route.stops]
    at_station = [
        i
        for i, (stop, kind) in enumerate(zip(route.stops, kinds, strict=True))
        if kind == "station" and _has_actions(stop)
    ]
    if not at_station:
        return
    first, last = at_station[0], at_station[-1]
    for i, (stop, kind) in enumerate(zip(route.stops, kinds, strict=True)):
        if kind in (None, "station"):
            continue
        if stop.load and i > first:
            msg = Said("validate.single_trip_load", v=route.vehicle, site=stop.site, i=i)
            yield Violation("single_trip", route.vehicle, None, msg)
        if stop.unload and i < last:
            msg = Said("validate.single_trip_unload", v=route.vehicle, site=stop.site, i=i)
            yield Violation("single_trip", route.vehicle, None, msg)


def _check_route(ctx: _Context, route: Route, used: set[str]) -> Found:
    yield from _check_vehicle(ctx, route, used)
    if not route.stops:
        return
    yield from _check_travel(ctx, route)
    yield from _check_schedule(ctx, route)
    yield from _check_time_windows(ctx, route)
    vt = ctx.vehicle_type(route)
    if vt is not None:
        yield from _check_shift(route, vt)
        yield from _check_rests(ctx, route, vt)
        yield from _check_capacity(ctx, route, vt)
        yield from _check_refrigeration(ctx, route, vt)
        yield from _check_cost(ctx, route, vt)
        if vt.single_trip:
            yield from _check_single_trip(ctx, route)
    if ctx.batch.options.backhaul == "deliveries_first":
        yield from _check_deliveries_first(ctx, route)


# -- freshness --------------------------------------------------------------------------------


def _check_order_freshness(
    ctx: _Context, route: Route, p: _Placement, order: Order, reported: OrderOutcome | None
) -> Found:
    """A perishable arrives with at least min_freshness left; reported figures match."""
    vt = ctx.vehicle_type(route)
    if vt is None:
        return
    v, oid = route.vehicle, order.id
    load_departure, arrival = route.stops[p.load].departure, route.stops[p.unload].start
    used = freshness.used_minutes(order, ctx.batch, vt, load_departure, arrival)
    share = freshness.remaining_share(order, ctx.batch, used)
    claimed = None if reported is None else reported.remaining_share
    if share is None:
        if claimed is not None:
            msg = Said("validate.not_perishable", order=oid, got=_n(claimed))
            yield Violation("freshness", v, oid, msg)
        return
    if share < order.min_freshness - FRESHNESS_EPS:
        msg = Said(
            "validate.too_stale",
            order=oid,
            v=v,
            share=f"{share:.4%}",
            min=f"{order.min_freshness:.4%}",
        )
        yield Violation("freshness", v, oid, msg)
    if reported is not None and (claimed is None or not _close(claimed, share)):
        msg = Said("validate.share_reported", order=oid, got=_n(claimed), want=_n(share))
        yield Violation("freshness", v, oid, msg)
    life = freshness.shelf_life_min(ctx.batch.products_by_id[order.product])
    if reported is not None and reported.remaining_h is not None and life is not None:
        hours = (life - used) / 60.0
        if not _close(reported.remaining_h, hours, rel=REL):
            got = _n(reported.remaining_h)
            msg = Said("validate.hours_reported", order=oid, got=got, want=_n(hours))
            yield Violation("freshness", v, oid, msg)


def _check_freshness(ctx: _Context, plan: Plan, placements: dict[str, _Placement]) -> Found:
    outcomes: dict[str, OrderOutcome] = {}
    for oc in plan.orders:
        outcomes.setdefault(oc.order, oc)
    for oid, p in placements.items():
        order = ctx.batch.orders_by_id[oid]
        yield from _check_order_freshness(ctx, plan.routes[p.route], p, order, outcomes.get(oid))


def _check_single_visits(ctx: _Context, plan: Plan, visits: dict[str, list[_Visit]]) -> Found:
    """A single-visit station's orders are all served in one stop, or none of them."""
    at_station: dict[str, list[tuple[str, tuple[int, int] | None]]] = defaultdict(list)
    for order in ctx.batch.orders:
        origin, destination = _expected_sites(order)
        for sid, action in ((origin, "load"), (destination, "unload")):
            site = ctx.site(sid or "")
            if site is None or not site.single_visit:
                continue
            stops = {(v.route, v.stop) for v in visits.get(order.id, []) if v.action == action}
            at_station[site.id].append((order.id, min(stops) if stops else None))
    for sid, served in at_station.items():
        stops = {where for _, where in served if where is not None}
        missing = [oid for oid, where in served if where is None]
        if not stops or (len(stops) == 1 and not missing):
            continue
        detail = (
            Said("validate.single_visit_missing", orders=", ".join(missing))
            if missing and len(stops) == 1
            else Said("validate.single_visit_stops", n=len(stops))
        )
        yield Violation(
            "single_visit",
            plan.routes[min(stops)[0]].vehicle,
            None,
            Said("validate.single_visit", site=sid, detail=detail),
        )


# -- entry points -----------------------------------------------------------------------------


def validate_plan(
    batch: Batch,
    plan: Plan,
    travel: TravelMatrices | None = None,
    after: Changed | None = None,
) -> list[Violation]:
    """Every hard violation of ``plan`` against ``batch``, recomputed from the batch alone
    (``travel``: the batch's matrices when already built, so that a search judging many
    candidates does not rebuild them per call; ``after``: travel that changed during the
    day, for the legs it names)."""
    ctx = _Context.of(batch, travel, after)
    visits = _collect_visits(plan.routes)
    placements = {
        order.id: p
        for order in batch.orders
        if order.id in visits and (p := _place(visits[order.id])) is not None
    }
    out = list(_check_coverage(ctx, plan, visits, placements))
    used: set[str] = set()
    for route in plan.routes:
        out.extend(_check_route(ctx, route, used))
    out.extend(_check_min_used(ctx, plan))
    out.extend(_check_freshness(ctx, plan, placements))
    out.extend(_check_single_visits(ctx, plan, visits))
    return out


class RouteValidator:
    """The route-by-route rules of the validator, for a few routes of a plan.

    A move that changes two routes is judged by these alone: each order on them is
    loaded and unloaded once, on one route, in order, at its sites; every per-route
    rule (vehicle, travel, schedule, windows, shift, capacity, refrigeration, backhaul
    order, cost) and the freshness of the orders they carry. Plan-wide rules (every
    order covered once, ``min_used``, single visits) are ``validate_plan``'s, which
    still has the last word on the whole plan.
    """

    def __init__(self, batch: Batch, travel: TravelMatrices | None = None) -> None:
        self._ctx = _Context.of(batch, travel)

    def violations(self, routes: Sequence[Route]) -> list[Violation]:
        ctx = self._ctx
        visits = _collect_visits(routes)
        out: list[Violation] = []
        placements: dict[str, _Placement] = {}
        for oid, vs in visits.items():
            order = ctx.order(oid)
            if order is None:
                v = routes[vs[0].route].vehicle
                msg = Said("validate.unknown_order_route", order=oid, v=v)
                out.append(Violation("coverage", v, oid, msg))
                continue
            out.extend(_check_visits(routes, order, vs))
            if (p := _place(vs)) is not None:
                placements[oid] = p
        used: set[str] = set()
        for route in routes:
            out.extend(_check_route(ctx, route, used))
        for oid, p in placements.items():
            order = ctx.batch.orders_by_id[oid]
            out.extend(_check_order_freshness(ctx, routes[p.route], p, order, None))
        return out


def format_violations(violations: Iterable[Violation], lang: str = "en") -> str:
    """One line per violation: ``[kind] route X order Y: message`` (absent parts left out),
    in ``lang`` (the kind stays as in the code in English, so it can be searched for)."""
    lines = []
    for v in violations:
        parts = [f"[{t('validate.kind.' + v.kind, lang)}]"]
        if v.route is not None:
            parts.append(t("validate.line_route", lang, route=v.route))
        if v.order is not None:
            parts.append(t("validate.line_order", lang, order=v.order))
        lines.append(" ".join(parts) + ": " + in_lang(v.message, lang))
    return "\n".join(lines)
