"""Check a re-plan against the old plan and the events, recomputing what was done.

Independent of how the re-plan was made: the stops done at ``now`` are re-derived from
the old plan by the rule in ``replan.state`` (a truck that has left its first stop keeps
every stop it has left and the one it is at or driving to; a downed truck keeps the stops
it reached). Violation kinds, besides ``validate_plan``'s on the day's batch:
``locked`` (a done stop changed, lost or served again) and ``on_board`` (goods on a truck
at ``now`` not carried on: to their destination on the same truck, or, from a downed
truck, picked up at its breakdown site by one other truck, or listed unserved with a
reason). Legs driven after a road closed must not use it (``travel``): a closed pair
of sites is not driven directly, and on a road network with roads closed every leg after
``now`` is measured on the network without them.
"""

from __future__ import annotations

import math
from collections import defaultdict

from optimizer.freshness import shelf_life_min
from optimizer.model import Batch
from optimizer.network import TravelMatrices
from optimizer.plan import Plan, Route, Stop
from optimizer.replan.events import Events
from optimizer.replan.handover import Handover, down_site, handover_minutes, handovers
from optimizer.replan.roads import closed_travel
from optimizer.validate import EPS, FRESHNESS_EPS, Changed, Violation, validate_plan

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
    events = events.with_down(old.down)  # trucks down in the old plan stay down
    down = events.down_at()
    handed = handovers(old.routes, down)  # goods left by a downed truck, picked up before
    by_vehicle: dict[str, list[int]] = defaultdict(list)
    for r, route in enumerate(new.routes):
        by_vehicle[route.vehicle].append(r)
    for v, rs in by_vehicle.items():
        if len(rs) > 1:
            out.append(Violation("vehicle", v, None, f"{v} drives {len(rs)} routes"))
    visits = _visits(new)
    outcome = {o.order: o for o in new.orders}
    done: dict[str, str] = {}
    aboard: dict[str, tuple[str, Stop]] = {}  # order -> truck, load stop
    where: dict[str, str] = {}  # a downed truck -> the site it stopped at
    prefixes = {
        route.vehicle: (route, n)
        for route in old.routes
        if (n := _done(route, events.now, down.get(route.vehicle)))
    }
    locked = {  # (new route, stop) of every done stop
        (rs[0], i) for v, (_, n) in prefixes.items() if (rs := by_vehicle.get(v)) for i in range(n)
    }
    held = _held(handed, prefixes)
    for v, (route, n) in prefixes.items():
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
                if oid in held and held[oid].holder.vehicle != v:
                    continue  # handed over to another truck before now
                if oid in unloaded:
                    done[oid] = v
                else:
                    aboard[oid] = (v, s)
    for oid, v in done.items():
        if len(visits.get(oid, [])) != 1 + (len(held[oid].routes) if oid in held else 1):
            msg = f"order {oid} was served by {v} before now and is served again"
            out.append(Violation("locked", v, oid, msg))
    exempt: set[str] = set(held)  # loaded more than once: checked here
    for oid, (v, at) in aboard.items():
        later = [x for x in visits.get(oid, []) if x[:2] not in locked]
        before = held.get(oid) or Handover((prefixes[v][0],), (at,), ())
        found = _carried_on(day, new, oid, v, before, down, later, by_vehicle, outcome)
        if oid in held and v not in down and not found and outcome[oid].served:
            found = _fresh(day, new, oid, held[oid], later[0][:2])
        out.extend(found)
        if v in down or not outcome.get(oid) or not outcome[oid].served:
            exempt.add(oid)
    out.extend(_day_orders(batch, events, day, set(done) | set(aboard)))
    out.extend(_closures(new, events, where, {v: _n(old, v, events, down) for v in by_vehicle}))
    closed = closed_travel(batch, day.sites, events)  # legs after now avoid closed roads
    first = {v: n for v, (_, n) in prefixes.items()}
    after = Changed(closed, first) if closed is not None else None
    for violation in validate_plan(day, new, day_travel, after):
        if violation.order in exempt and violation.kind in _EXEMPT:
            continue
        if violation.route in down and violation.kind == "vehicle":
            continue  # a downed truck's route ends where it stopped
        out.append(violation)
    return out


def _held(
    handed: dict[str, Handover], prefixes: dict[str, tuple[Route, int]]
) -> dict[str, Handover]:
    """Goods handed over after a breakdown before now: the handovers done by now (the
    last truck to have loaded it holds it), per order."""
    out = {}
    for oid, h in handed.items():
        done = [
            k
            for k, (route, load) in enumerate(zip(h.routes, h.loads, strict=True))
            if route.vehicle in prefixes
            and any(s is load for s in route.stops[: prefixes[route.vehicle][1]])
        ]
        if done and done[-1] > 0 and (upto := h.upto(h.routes[done[-1]].vehicle)):
            out[oid] = upto
    return out


def _n(old: Plan, v: str, events: Events, down: dict[str, float]) -> int:
    route = next((r for r in old.routes if r.vehicle == v), None)
    return 0 if route is None else _done(route, events.now, down.get(v))


def _carried_on(
    day: Batch,
    new: Plan,
    oid: str,
    v: str,
    before: Handover,
    down: dict[str, float],
    later: list[tuple[int, int, str]],
    by_vehicle: dict[str, list[int]],
    outcome: dict,
) -> list[Violation]:
    """Goods on ``v`` at ``now`` are carried on (see the module docstring); ``before``:
    how ``v`` came to hold them, ``later``: the order's visits after the done stops."""
    mine = set(by_vehicle.get(v, []))
    served = outcome.get(oid) is not None and outcome[oid].served
    if not served:
        if later:
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
    site = down_site(v)
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
    return out + _fresh(day, new, oid, before.then(route, load, down[v]), (r, s2))


def _fresh(
    day: Batch, new: Plan, oid: str, h: Handover, unload: tuple[int, int]
) -> list[Violation]:
    """Goods handed over after a breakdown arrive fresh enough, counting both trucks and
    the wait between (``handover``)."""
    order = day.orders_by_id[oid]
    life = shelf_life_min(day.products_by_id[order.product])
    if life is None:
        return []
    route = new.routes[unload[0]]
    used = handover_minutes(h, oid, day, route.stops[unload[1]].start)
    if 1.0 - used / life < order.min_freshness - FRESHNESS_EPS:
        msg = f"order {oid} arrives with {1 - used / life:.3f} of its shelf life left"
        return [Violation("freshness", route.vehicle, oid, msg)]
    return []


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
    stands = {down_site(v): site for v, site in where.items()}
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
