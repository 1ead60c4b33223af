"""From (batch, old plan, events) to the day's batch and the residual batch.

The *day* batch is the batch with the events applied: cancelled orders out, late orders
in, and a breakdown site ``down:<vehicle>`` (a station at the downed truck's position,
no cold room, no hours, the default service time) where its goods wait. The *residual*
batch is what is left to plan from ``now``: a truck on the road becomes a vehicle of its
own type starting at ``@<vehicle>`` (a hub at its position) when it can go on, with its
remaining shift, km and no fixed cost (it is already out); what it has on board becomes
orders loaded at ``@<vehicle>.s`` (a station at the same place, open only at that
moment) that only it may carry, their shelf life used so far taken off. Goods of a
downed truck become orders loaded at its breakdown site, for any truck. Trucks that
have not left form the pool of their type, starting no earlier than ``now``. Closed
roads are legs no truck can drive in the residual matrices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from pydantic import ValidationError

from optimizer.errors import Said, Text, field_errors, in_lang
from optimizer.freshness import shelf_life_min, used_minutes
from optimizer.i18n import normalize_lang
from optimizer.model import (
    Batch,
    MatrixTravel,
    Order,
    VehicleType,
    vehicle_ids,
)
from optimizer.network import TravelMatrices, travel_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.plan import Plan, Stop
from optimizer.replan.events import Events
from optimizer.replan.handover import down_site, handover_minutes, handovers
from optimizer.replan.roads import closed_travel, road_problems
from optimizer.replan.state import Position, positions
from optimizer.routing.breaks import carried_over
from optimizer.validate import Changed

CLOSED_LEG_MIN = 1e5  # a closed leg: longer than any shift, so no route can drive it
MAX_SHARE_USED = 0.999999  # min_freshness must stay below 1: spoiled goods stay unservable
WINDOW_MIN = 0.01  # on-board goods are "loaded" within this many minutes of the restart


class ReplanInputError(ValueError):
    """Events that do not fit the batch and plan: ``items`` are (JSON path, reason in a
    language); ``errors`` are the English lines."""

    def __init__(self, items: list[tuple[str, Text]]) -> None:
        self.items = items
        super().__init__("; ".join(self.errors))

    @classmethod
    def of(cls, problems: list[tuple[str, str]]) -> ReplanInputError:
        """From (path, reason) pairs, a ``Said`` reason saying itself in each language."""
        return cls([(p, lambda lang, r=r: in_lang(r, lang)) for p, r in problems])

    @classmethod
    def invalid(
        cls, error: ValidationError, prefix: tuple[int | str, ...] = ()
    ) -> ReplanInputError:
        """From a pydantic error, paths under ``prefix``."""
        en, zh = field_errors(error, "en", prefix), field_errors(error, "zh-CN", prefix)
        return cls(
            [
                (p, lambda lang, a=a, b=b: b if normalize_lang(lang) == "zh-CN" else a)
                for (p, a), (_, b) in zip(en, zh, strict=True)
            ]
        )

    @property
    def errors(self) -> list[str]:
        return self.lines("en")

    def lines(self, lang: str) -> list[str]:
        """``path: reason`` per problem, in ``lang``."""
        return [f"{p}: {r(lang)}" if p else r(lang) for p, r in self.items]


def start_site(vehicle: str) -> str:
    return f"@{vehicle}"


def board_site(vehicle: str) -> str:
    return f"@{vehicle}.s"


@dataclass
class Residual:
    """The day batch, the residual batch and how the residual maps back to the day."""

    day: Batch
    day_travel: TravelMatrices
    batch: Batch
    travel: TravelMatrices
    positions: dict[str, Position]
    real_vehicle: dict[str, str]  # residual vehicle id -> the truck's id
    stands_at: dict[str, str]  # residual site -> the day site it is at (itself if real)
    bound: dict[str, str] = field(default_factory=dict)  # on-board order -> residual vehicle
    transshipped: dict[str, str] = field(default_factory=dict)  # order -> downed vehicle
    down: dict[str, float] = field(default_factory=dict)  # downed vehicle -> when
    done: set[str] = field(default_factory=set)
    refused_cancel: dict[str, str] = field(default_factory=dict)  # order -> done|on_board
    closed: TravelMatrices | None = None  # the day's matrices without the closed roads

    def after_now(self) -> Changed | None:
        """The travel of the legs driven after now, where roads closed: every leg after a
        truck's locked stops (for drawing them on the roads left open)."""
        if self.closed is None:
            return None
        return Changed(self.closed, {v: len(p.locked) for v, p in self.positions.items()})


def event_problems(batch: Batch, plan: Plan, events: Events) -> list[tuple[str, str]]:
    """(path, reason) per event that does not fit the batch and its plan; cheap (no
    travel matrix), so the API checks a re-plan request with it before queueing it."""
    errors: list[tuple[str, str]] = []
    known = dict(vehicle_ids(batch))
    for name, items in (("vehicle_down", events.vehicle_down), ("delay", events.delay)):
        for i, item in enumerate(items):
            if item.vehicle not in known:
                errors.append((f"{name}[{i}].vehicle", Said("replan.err.vehicle", id=item.vehicle)))
    for i, oid in enumerate(events.cancel_orders):
        if oid not in batch.orders_by_id:
            errors.append((f"cancel_orders[{i}]", Said("replan.err.order", id=oid)))
    for i, o in enumerate(events.add_orders):
        if o.id in batch.orders_by_id:
            errors.append((f"add_orders[{i}].id", Said("replan.err.order_twice", id=o.id)))
    for i, r in enumerate(events.road_closed):
        for name, sid in (("from", r.from_site), ("to", r.to_site)):
            if sid is not None and sid not in batch.sites_by_id:
                errors.append((f"road_closed[{i}].{name}", Said("replan.err.site", id=sid)))
    errors += road_problems(batch, events)
    if plan.batch and batch.name and plan.batch != batch.name:
        errors.append(("plan", Said("replan.err.batch", plan=plan.batch, batch=batch.name)))
    for i, route in enumerate(plan.routes):
        if route.vehicle not in known:
            errors.append((f"plan.routes[{i}].vehicle", Said("replan.err.route", id=route.vehicle)))
    return errors


def with_closures(
    tm: TravelMatrices, closed: list[tuple[str, str]], stands_at: dict[str, str]
) -> TravelMatrices:
    """``tm`` with closed legs (between real sites, and every copy of them) undrivable."""
    if not closed:
        return tm
    minutes = tm.minutes.copy()
    at: dict[str, list[int]] = {}
    for i, sid in enumerate(tm.site_ids):
        at.setdefault(stands_at.get(sid, sid), []).append(i)
    for a, b in closed:
        minutes[np.ix_(at.get(a, []), at.get(b, []))] = CLOSED_LEG_MIN
    return TravelMatrices(tm.site_ids, tm.km, minutes)


def _matrix(tm: TravelMatrices) -> dict[str, object]:
    return {
        "mode": "matrix",
        "site_ids": list(tm.site_ids),
        "km": tm.km.tolist(),
        "minutes": tm.minutes.tolist(),
    }


def _day(
    batch: Batch, base: TravelMatrices, events: Events, pos: dict[str, Position]
) -> tuple[Batch, TravelMatrices, dict[str, str]]:
    """The day's batch and matrices; refused cancellations (done or on board)."""
    done = {oid for p in pos.values() for s in p.locked for oid in s.unload}
    loaded = {oid for p in pos.values() for oid in p.on_board}
    refused = {oid: "done" for oid in events.cancel_orders if oid in done}
    refused |= {oid: "on_board" for oid in events.cancel_orders if oid in loaded}
    cancel = set(events.cancel_orders) - set(refused)
    data = batch.model_dump(by_alias=True)
    data["orders"] = [o.model_dump() for o in batch.orders if o.id not in cancel]
    data["orders"] += [o.model_dump() for o in events.add_orders]
    copies = {}
    for p in pos.values():
        if p.down and p.on_board and down_site(p.vehicle) not in batch.sites_by_id:
            at = batch.sites_by_id[p.site]
            copies[down_site(p.vehicle)] = p.site
            data["sites"].append(
                {
                    "id": down_site(p.vehicle),
                    "name": f"{p.vehicle} breakdown at {at.name or at.id}",
                    "kind": "station",
                    "lon": at.lon,
                    "lat": at.lat,
                }
            )
    day_travel = base.with_copies(copies)
    if copies and isinstance(batch.travel, MatrixTravel):  # the others place sites themselves
        data["travel"] = _matrix(day_travel)
    return _validated(data, len(events.add_orders)), day_travel, refused


def _validated(data: dict[str, object], late: int) -> Batch:
    """The day's batch; errors about its last ``late`` orders named at ``add_orders[i]``."""
    try:
        return Batch.model_validate(data)
    except ValidationError as e:
        kept = len(data["orders"]) - late  # type: ignore[arg-type]
        items = ReplanInputError.invalid(e).items
        raise ReplanInputError([(_late_path(p, kept), r) for p, r in items]) from None


def check_events(batch: Batch, plan: Plan, events: Events) -> None:
    """``ReplanInputError`` when the events do not fit the batch and its plan, late orders
    included (checked against the batch); needs no travel matrix."""
    errors = event_problems(batch, plan, events)
    if errors:
        raise ReplanInputError.of(errors)
    data = batch.model_dump(by_alias=True)
    data["orders"] = [o.model_dump() for o in batch.orders if o.id not in events.cancel_orders]
    data["orders"] += [o.model_dump() for o in events.add_orders]
    _validated(data, len(events.add_orders))


def _late_path(path: str, kept: int) -> str:
    """An error about the day's ``orders[k]`` named at the late order's ``add_orders[i]``."""

    def name(match: re.Match[str]) -> str:
        k = int(match[1])
        return f"add_orders[{k - kept}]" if k >= kept else match[0]

    return re.sub(r"orders\[(\d+)\]", name, path)


def _share_used(order: Order, day: Batch, vt: VehicleType, loaded: float, until: float) -> float:
    """Share of the order's shelf life used from its clock start to ``until`` on ``vt``."""
    return _life_share(order, day, used_minutes(order, day, vt, loaded, until))


def _life_share(order: Order, day: Batch, minutes: float) -> float:
    """``minutes`` of reference shelf life as a share of the order's (0: not perishable)."""
    life = shelf_life_min(day.products_by_id[order.product])
    return 0.0 if life is None else minutes / life


def _carried(
    order: Order, origin: str, ready: float, used: float, aboard: bool
) -> dict[str, object]:
    """An order on board as a residual order loaded at ``origin`` (a station) at ``ready``;
    ``aboard`` (its truck goes on): required, since it rides along served or not."""
    data = order.model_dump()
    share = min(order.min_freshness + used, MAX_SHARE_USED)
    data.update(ready=ready, hub=None, min_freshness=share)
    if aboard:
        data.update(penalty=None)
    if order.kind == "pickup":
        data.update(site=origin, origin=None)
    else:
        data.update(kind="transfer", origin=origin, centre=None)
    return data


def _rests_so_far(
    p: Position, vt: VehicleType, day: Batch, travel: TravelMatrices
) -> dict[str, object] | None:
    """A truck on the road's rest rules for what is left: the driving it has done since
    its last rest, and whether its meal is still due."""
    if vt.rest_rules is None:
        return None
    index, sites = travel.index(), day.sites_by_id

    def leg(a: str, b: str) -> float:
        return float(travel.minutes[index[a], index[b]])

    def service(stop: Stop) -> float:
        return sites[stop.site].service_min if stop.load or stop.unload else 0.0

    rules = carried_over(vt.rest_rules, p.locked, p.rests, leg, service, p.ready)
    return rules.model_dump()


def _closed(batch: Batch, day: Batch, events: Events) -> TravelMatrices | None:
    """The day's matrices without the roads closed (None: none closed); a closure that
    cannot be applied is a ``ReplanInputError`` naming it."""
    try:
        return closed_travel(batch, day.sites, events)
    except RoadNetworkError as e:
        path = getattr(e, "path", "road_closed")
        raise ReplanInputError([(path, e.text)]) from None


def build_residual(batch: Batch, plan: Plan, events: Events) -> Residual:
    """The day and residual batches of a re-plan (``ReplanInputError`` on bad events)."""
    errors = event_problems(batch, plan, events)
    if errors:
        raise ReplanInputError.of(errors)
    events = events.with_down(plan.down)
    pos = positions(plan, events)
    base = travel_matrices(batch)
    day, day_travel, refused = _day(batch, base, events, pos)
    closed = _closed(batch, day, events)
    types = dict(vehicle_ids(day))
    down = events.down_at()
    delays = events.delays()
    load_stop = {
        oid: s for p in pos.values() for s in p.locked for oid in s.load if oid in p.on_board
    }
    handed = handovers(plan.routes, down)

    data = day.model_dump(by_alias=True)
    copies: dict[str, str] = {}
    fleet: list[dict[str, object]] = []
    real: dict[str, str] = {}
    bound: dict[str, str] = {}
    transshipped: dict[str, str] = {}
    carried: list[dict[str, object]] = []
    for p in pos.values():
        vt = types[p.vehicle]
        for oid in p.on_board:
            order = day.orders_by_id[oid]
            until = down[p.vehicle] if p.down else p.ready
            h = handed[oid].upto(p.vehicle) if oid in handed else None
            if h is not None:  # left by a downed truck, loaded by this one before now
                used = _life_share(order, day, handover_minutes(h, oid, day, until))
            else:
                used = _share_used(order, day, vt, load_stop[oid].departure, until)
            if p.down:
                carried.append(_carried(order, down_site(p.vehicle), until, used, False))
                transshipped[oid] = p.vehicle
            else:
                carried.append(_carried(order, board_site(p.vehicle), until, used, True))
                bound[oid] = f"{start_site(p.vehicle)}-1"
        if p.down:
            continue
        here = day.sites_by_id[p.site]
        copies[start_site(p.vehicle)] = p.site
        data["sites"].append(
            {"id": start_site(p.vehicle), "kind": "hub", "lon": here.lon, "lat": here.lat}
        )
        if p.on_board:
            copies[board_site(p.vehicle)] = p.site
            window = {"start": p.ready, "end": p.ready + WINDOW_MIN}
            data["sites"].append(
                {
                    "id": board_site(p.vehicle),
                    "kind": "station",
                    "lon": here.lon,
                    "lat": here.lat,
                    "service_min": 0.0,
                    "time_windows": [window],
                }
            )
        # The whole route's duration counts from its first start, however late the
        # residual route leaves: its end is due by then (and by the shift's end).
        shift_end = min(vt.shift_end, p.started + vt.max_duration_min)
        shift_start = min(p.ready, shift_end)
        fleet.append(
            vt.model_dump()
            | {
                "id": start_site(p.vehicle),
                "count": 1,
                "min_used": 0,
                "fixed_cost": 0.0,
                "start": start_site(p.vehicle),
                "shift_start": shift_start,
                "shift_end": shift_end,
                "max_duration_min": max(1e-3, shift_end - shift_start),
                "max_km": None if vt.max_km is None else max(1e-3, vt.max_km - p.km),
                "rest_rules": _rests_so_far(p, vt, day, day_travel),
            }
        )
        real[f"{start_site(p.vehicle)}-1"] = p.vehicle
    for vt in day.fleet:
        pool = [
            vid for vid, t in types.items() if t.id == vt.id and vid not in pos and vid not in down
        ]
        late = [vid for vid in pool if vid in delays]
        pool = [vid for vid in pool if vid not in delays]
        started = sum(1 for p in pos.values() if p.vehicle_type == vt.id)
        for vid in late:
            fleet.append(
                vt.model_dump()
                | {
                    "id": start_site(vid),
                    "count": 1,
                    "min_used": 0,
                    "shift_start": min(max(vt.shift_start, events.now) + delays[vid], vt.shift_end),
                }
            )
            real[f"{start_site(vid)}-1"] = vid
        fleet.append(
            vt.model_dump()
            | {
                "count": len(pool),
                "min_used": min(len(pool), max(0, vt.min_used - started)),
                "shift_start": min(max(vt.shift_start, events.now), vt.shift_end),
            }
        )
        real |= {f"{vt.id}-{k + 1}": vid for k, vid in enumerate(pool)}
    done = {oid for p in pos.values() for s in p.locked for oid in s.unload}
    gone = done | set(bound) | set(transshipped)
    data["fleet"] = fleet
    data["orders"] = [o.model_dump() for o in day.orders if o.id not in gone] + carried
    stands_at = {s.id: s.id for s in day.sites} | copies
    stands_at |= {down_site(v): pos[v].site for v in transshipped.values()}
    ahead = closed if closed is not None else day_travel  # every residual leg is after now
    travel = with_closures(ahead.with_copies(copies), list(events.closed_pairs()), stands_at)
    data["travel"] = _matrix(travel)
    return Residual(
        day=day,
        day_travel=day_travel,
        batch=Batch.model_validate(data),
        travel=travel,
        positions=pos,
        real_vehicle=real,
        stands_at=stands_at,
        bound=bound,
        transshipped=transshipped,
        down=down,
        done=done,
        refused_cancel=refused,
        closed=closed,
    )
