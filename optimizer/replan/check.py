"""Check a re-plan against the old plan and the events, recomputing what was done.

Independent of how the re-plan was made: the stops done at ``now`` are re-derived from
the old plan by the rule in ``replan.state`` (a truck that has left its first stop keeps
every stop it has left and the one it is at or driving to; a downed truck keeps the stops
it reached). Violation kinds, besides ``validate_plan``'s on the day's batch:
``locked`` (a done stop changed, lost or served again) and ``on_board`` (goods on a truck
at ``now`` not carried on: to their destination on the same truck, or, from a downed
truck, picked up at its breakdown site by one other truck, or listed unserved with a
reason). Legs driven after a road closed must not use it (``travel``).
"""

from __future__ import annotations

import math
from collections import defaultdict

from optimizer.freshness import decay_rate, shelf_life_min, storage_temp, vehicle_temp
from optimizer.model import Batch
from optimizer.network import TravelMatrices
from optimizer.plan import Plan, Route, Stop
from optimizer.replan.events import Events
from optimizer.validate import EPS, FRESHNESS_EPS, Violation, validate_plan

_EXEMPT = ("coverage", "freshness", "schedule")  # rechecked here for goods changing trucks


def _done(route: Route, now: float, down_at: float | None) -> int:
    """Stops of ``route`` done at ``now`` (see the module docstring)."""
    if down_at is not None:
        return len([s for s in route.stops if s.arrival <= down_at])
    departed = [i for i, s in enumerate(route.stops) if s.departure <= now]
    return min(len(route.stops), departed[-1] + 2) if departed else 0


def _same(a: Stop, b: Stop) -> bool:
    exact = ("site", "arrival", "start", "departure", "load", "unload", "km_from_previous")
    return all(getattr(a, f) == getattr(b, f) for f in exact) and all(
        math.isclose(getattr(a, f), getattr(b, f), abs_tol=EPS)
        for f in ("kg_on_board", "m3_on_board")
    )


def _visits(plan: Plan) -> dict[str, list[tuple[int, int, str]]]:
    """Per order: (route index, stop index, 'load'|'unload') of every visit."""
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for r, route in enumerate(plan.routes):
        for s, stop in enumerate(route.stops):
            for oid in stop.load:
                out[oid].append((r, s, "load"))
            for oid in stop.unload:
                out[oid].append((r, s, "unload"))
    return out


def _destination(day: Batch, oid: str) -> str | None:
    order = day.orders_by_id.get(oid)
    return None if order is None else order.ends()[1]


def validate_replan(
    batch: Batch,
    old: Plan,
    events: Events,
    new: Plan,
    day: Batch,
    day_travel: TravelMatrices | None = None,
) -> list[Violation]:
    """Every violation of ``new`` as the re-plan of ``old`` after ``events``; ``day`` is
    the day's batch it plans (its orders are checked against the batch and events)."""
    out: list[Violation] = []
    down = events.down_at()
    by_vehicle: dict[str, list[int]] = defaultdict(list)
    for r, route in enumerate(new.routes):
        by_vehicle[route.vehicle].append(r)
    for v, rs in by_vehicle.items():
        if len(rs) > 1:
            out.append(Violation("vehicle", v, None, f"{v} drives {len(rs)} routes"))
    visits = _visits(new)
    outcome = {o.order: o for o in new.orders}
    done: dict[str, str] = {}
    aboard: dict[str, tuple[str, int, Stop]] = {}  # order -> truck, locked stops, load stop
    where: dict[str, str] = {}  # a downed truck -> the site it stopped at
    for route in old.routes:
        v = route.vehicle
        n = _done(route, events.now, down.get(v))
        if n == 0:
            continue
        prefix = route.stops[:n]
        where[v] = prefix[-1].site
        rs = by_vehicle.get(v, [])
        if not rs:
            out.append(Violation("locked", v, None, f"{v}: its {n} done stops are missing"))
        else:
            stops = new.routes[rs[0]].stops
            for i, stop in enumerate(prefix):
                if i >= len(stops) or not _same(stop, stops[i]):
                    msg = f"{v} stop {i} at {stop.site} is done and must stay as it was"
                    out.append(Violation("locked", v, None, msg))
            if v in down and len(stops) > n:
                msg = f"{v} broke down after stop {n - 1}; its route goes on to {stops[n].site}"
                out.append(Violation("locked", v, None, msg))
        unloaded = {oid for s in prefix for oid in s.unload}
        for s in prefix:
            for oid in s.load:
                if oid in unloaded:
                    done[oid] = v
                else:
                    aboard[oid] = (v, n, s)
    for oid, v in done.items():
        if len(visits.get(oid, [])) != 2:
            msg = f"order {oid} was served by {v} before now and is served again"
            out.append(Violation("locked", v, oid, msg))
    exempt: set[str] = set()
    for oid, (v, n, at) in aboard.items():
        found = _carried_on(day, new, oid, v, n, at, down, where, visits, by_vehicle, outcome)
        out.extend(found)
        if v in down or not outcome.get(oid) or not outcome[oid].served:
            exempt.add(oid)
    out.extend(_day_orders(batch, events, day, set(done) | set(aboard)))
    out.extend(_closures(new, events, where, {v: _n(old, v, events, down) for v in by_vehicle}))
    for violation in validate_plan(day, new, day_travel):
        if violation.order in exempt and violation.kind in _EXEMPT:
            continue
        if violation.route in down and violation.kind == "vehicle":
            continue  # a downed truck's route ends where it stopped
        out.append(violation)
    return out


def _n(old: Plan, v: str, events: Events, down: dict[str, float]) -> int:
    route = next((r for r in old.routes if r.vehicle == v), None)
    return 0 if route is None else _done(route, events.now, down.get(v))


def _carried_on(
    day: Batch,
    new: Plan,
    oid: str,
    v: str,
    n: int,
    at: Stop,
    down: dict[str, float],
    where: dict[str, str],
    visits: dict[str, list[tuple[int, int, str]]],
    by_vehicle: dict[str, list[int]],
    outcome: dict,
) -> list[Violation]:
    """Goods on ``v`` at ``now`` are carried on (see the module docstring)."""
    mine = set(by_vehicle.get(v, []))
    later = [(r, s, a) for r, s, a in visits.get(oid, []) if r not in mine or s >= n]
    served = outcome.get(oid) is not None and outcome[oid].served
    if not served:
        if any(r not in mine for r, _, _ in later) or later:
            return [Violation("on_board", v, oid, f"order {oid} is unserved but moves on")]
        reason = outcome.get(oid)
        if reason is None or not (reason.reason or "").strip():
            return [Violation("on_board", v, oid, f"order {oid} is left on {v} with no reason")]
        return []
    dest = _destination(day, oid)
    if v not in down:
        ok = (
            len(later) == 1
            and later[0][0] in mine
            and later[0][2] == "unload"
            and new.routes[later[0][0]].stops[later[0][1]].site == dest
        )
        if not ok:
            msg = f"order {oid} is on {v} at now and must be unloaded at {dest} by {v}"
            return [Violation("on_board", v, oid, msg)]
        return []
    loads = [(r, s) for r, s, a in later if a == "load"]
    unloads = [(r, s) for r, s, a in later if a == "unload"]
    site = f"down:{v}"
    if len(loads) != 1 or len(unloads) != 1 or loads[0][0] != unloads[0][0]:
        msg = f"order {oid} waits at {v}'s breakdown: one other truck must load and unload it"
        return [Violation("on_board", v, oid, msg)]
    (r, s), (_, s2) = loads[0], unloads[0]
    route = new.routes[r]
    load, unload = route.stops[s], route.stops[s2]
    out = []
    if load.site != site or load.start < down[v] - EPS or s2 <= s or unload.site != dest:
        msg = (
            f"order {oid} must be loaded at {site} after {v} broke down and unloaded at "
            f"{dest}; {route.vehicle} loads it at {load.site}, unloads it at {unload.site}"
        )
        out.append(Violation("on_board", route.vehicle, oid, msg))
    order = day.orders_by_id[oid]
    product = day.products_by_id[order.product]
    life = shelf_life_min(product)
    if life is not None:
        first = day.fleet_by_id[next(r for r in new.routes if r.vehicle == v).vehicle_type]
        second = day.fleet_by_id[route.vehicle_type]
        ambient = storage_temp(day.sites_by_id[site], day) if site in day.sites_by_id else 25.0
        used = decay_rate(product, vehicle_temp(first, day)) * (down[v] - at.departure)
        if order.waits_at() is not None and order.ready is not None:
            station = storage_temp(day.sites_by_id[order.waits_at() or ""], day)
            used += decay_rate(product, station) * max(0.0, at.departure - order.ready)
        used += decay_rate(product, ambient) * max(0.0, load.departure - down[v])
        used += decay_rate(product, vehicle_temp(second, day)) * (unload.start - load.departure)
        if 1.0 - used / life < order.min_freshness - FRESHNESS_EPS:
            msg = f"order {oid} arrives with {1 - used / life:.3f} of its shelf life left"
            out.append(Violation("freshness", route.vehicle, oid, msg))
    return out


def _day_orders(batch: Batch, events: Events, day: Batch, started: set[str]) -> list[Violation]:
    """The day's orders are the batch's, less cancelled ones not yet loaded, plus late ones."""
    cancelled = set(events.cancel_orders) - started
    want = {o.id for o in batch.orders if o.id not in cancelled} | {o.id for o in events.add_orders}
    have = set(day.orders_by_id)
    out = []
    for oid in sorted(want - have):
        out.append(Violation("coverage", None, oid, f"order {oid} is missing from the day"))
    for oid in sorted(have - want):
        out.append(Violation("coverage", None, oid, f"order {oid} is not an order of the day"))
    return out


def _closures(
    new: Plan, events: Events, where: dict[str, str], done: dict[str, int]
) -> list[Violation]:
    """No leg driven after its road closed."""
    closed = events.closed_pairs()
    if not closed:
        return []
    stands = {f"down:{v}": site for v, site in where.items()}
    out = []
    for route in new.routes:
        stops = route.stops
        for i in range(max(1, done.get(route.vehicle, 0)), len(stops)):
            a, b = stands.get(stops[i - 1].site, stops[i - 1].site), stops[i].site
            b = stands.get(b, b)
            since = closed.get((a, b))
            if since is not None and stops[i - 1].departure >= since - EPS:
                msg = f"{route.vehicle} drives {a}→{b} at {stops[i - 1].departure:g}, closed"
                out.append(Violation("travel", route.vehicle, None, msg))
    return out
