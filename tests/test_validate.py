"""Tests for the independent plan validator: a hand-built valid plan, then one broken rule each.

The batch is tiny and the travel matrix hand-picked (minutes = 1.5 × km) so every time in
the valid plan can be checked by hand. Each test breaks one rule on a deep copy of the
valid plan and, where the mutation allows, re-derives the plan's own numbers so that the
broken rule is the only one reported.
"""

from __future__ import annotations

import pytest

from optimizer import freshness
from optimizer.model import Batch, VehicleType, vehicle_ids
from optimizer.plan import KPIs, OrderOutcome, Plan, Route, RouteCost, Stop
from optimizer.validate import KINDS, Violation, format_violations, validate_plan

SITE_IDS = ["H", "C", "S1", "S2", "S3"]
KM = [
    [0, 20, 10, 20, 30],
    [20, 0, 20, 10, 20],
    [10, 20, 0, 10, 20],
    [20, 10, 10, 0, 10],
    [30, 20, 20, 10, 0],
]
MINUTES = [[1.5 * k for k in row] for row in KM]
POS = {s: i for i, s in enumerate(SITE_IDS)}

# One stop in a hand-written route: (site, loads, unloads[, forced service start]).
Visit = tuple


def make_batch(backhaul: str = "mixed") -> Batch:
    """Hub H, centre C (cutoff 12:00), stations S1-S3; strawberries and parcels; two types."""
    return Batch.model_validate(
        {
            "name": "validator-test",
            "sites": [
                {"id": "H", "kind": "hub", "lon": 0, "lat": 0, "service_min": 10},
                {
                    "id": "C",
                    "kind": "collection_centre",
                    "lon": 0,
                    "lat": 0,
                    "service_min": 10,
                    "cutoff": "12:00",
                },
                {
                    "id": "S1",
                    "kind": "station",
                    "lon": 0,
                    "lat": 0,
                    "storage_temp_c": 4,
                    "time_windows": [{"start": "07:00", "end": "10:00"}],
                },
                {
                    "id": "S2",
                    "kind": "station",
                    "lon": 0,
                    "lat": 0,
                    "time_windows": [{"start": 600, "end": 720}, {"start": 480, "end": 540}],
                },
                {
                    "id": "S3",
                    "kind": "station",
                    "lon": 0,
                    "lat": 0,
                    "time_windows": [{"start": 420, "end": 900}],
                },
            ],
            "products": [
                {"id": "berry", "category": "strawberry"},
                {"id": "parcel", "category": "parcels"},
            ],
            "orders": [
                {
                    "id": "d1",
                    "kind": "delivery",
                    "site": "S1",
                    "product": "parcel",
                    "kg": 300,
                    "m3": 3,
                },
                {
                    "id": "d2",
                    "kind": "delivery",
                    "site": "S2",
                    "product": "berry",
                    "kg": 200,
                    "m3": 1,
                    "ready": 400,
                    "min_freshness": 0.9,
                },
                {
                    "id": "d3",
                    "kind": "delivery",
                    "site": "S3",
                    "product": "parcel",
                    "kg": 100,
                    "m3": 1,
                },
                {
                    "id": "p1",
                    "kind": "pickup",
                    "site": "S1",
                    "product": "berry",
                    "kg": 400,
                    "m3": 2,
                    "ready": 400,
                    "min_freshness": 0.8,
                },
                {
                    "id": "p2",
                    "kind": "pickup",
                    "site": "S3",
                    "product": "berry",
                    "kg": 300,
                    "m3": 2,
                    "min_freshness": 0.5,
                },
                {
                    "id": "p3",
                    "kind": "pickup",
                    "site": "S2",
                    "product": "parcel",
                    "kg": 100,
                    "penalty": 50,
                },
            ],
            "fleet": [
                {
                    "id": "reefer",
                    "count": 2,
                    "capacity_kg": 800,
                    "capacity_m3": 10,
                    "refrigerated": True,
                    "compartment_temp_c": 2,
                    "cost_per_km": 3,
                    "cost_per_hour": 36,
                    "fixed_cost": 200,
                    "max_duration_min": 480,
                },
                {
                    "id": "van",
                    "count": 2,
                    "capacity_kg": 500,
                    "capacity_m3": 5,
                    "cost_per_km": 2,
                    "cost_per_hour": 30,
                    "fixed_cost": 100,
                },
            ],
            "travel": {"mode": "matrix", "site_ids": SITE_IDS, "km": KM, "minutes": MINUTES},
            "options": {"backhaul": backhaul},
        }
    )


# -- scaffolding: build routes from a site sequence, and re-derive a plan's own numbers --------


def _vehicle_type(batch: Batch, route: Route) -> VehicleType:
    return dict(vehicle_ids(batch)).get(route.vehicle) or batch.fleet_by_id[route.vehicle_type]


def _earliest_start(batch: Batch, visit: Visit, arrival: float) -> float:
    """Service start: a forced 4th element, else earliest in a window and after ready times."""
    if len(visit) > 3:
        return max(arrival, visit[3])
    site = batch.sites_by_id[visit[0]]
    t = arrival
    if not (visit[1] or visit[2]):
        return t
    t = max([t] + [batch.orders_by_id[o].ready or 0.0 for o in visit[1]])
    for w in site.time_windows:
        if t <= w.end:
            return max(t, w.start)
    return t


def build_route(batch: Batch, vehicle: str, visits: list[Visit], t0: float) -> Route:
    """A route driving ``visits`` from ``t0``, with times computed from the matrix."""
    stops: list[Stop] = []
    for visit in visits:
        site, load, unload = visit[0], list(visit[1]), list(visit[2])
        prev = stops[-1] if stops else None
        arrival = t0 if prev is None else prev.departure + MINUTES[POS[prev.site]][POS[site]]
        start = _earliest_start(batch, visit, arrival)
        service = batch.sites_by_id[site].service_min if load or unload else 0.0
        stops.append(
            Stop(
                site=site,
                arrival=arrival,
                start=start,
                departure=start + service,
                load=load,
                unload=unload,
                kg_on_board=0,
                m3_on_board=0,
            )
        )
    vt_id = vehicle.rsplit("-", 1)[0]
    route = Route(
        vehicle=vehicle,
        vehicle_type=vt_id,
        stops=stops,
        km=0,
        duration_min=0,
        cost=RouteCost(fixed=0, distance=0, time=0, total=0),
    )
    finish_route(batch, route)
    return route


def finish_route(batch: Batch, route: Route) -> None:
    """Fill loads on board, leg km, route km, duration and cost from the stops."""
    vt = _vehicle_type(batch, route)
    kg = m3 = km = 0.0
    for i, stop in enumerate(route.stops):
        stop.km_from_previous = 0.0 if i == 0 else KM[POS[route.stops[i - 1].site]][POS[stop.site]]
        km += stop.km_from_previous
        for oid in stop.unload:
            kg -= batch.orders_by_id[oid].kg
            m3 -= batch.orders_by_id[oid].m3
        for oid in stop.load:
            kg += batch.orders_by_id[oid].kg
            m3 += batch.orders_by_id[oid].m3
        stop.kg_on_board, stop.m3_on_board = kg, m3
    route.km = km
    route.duration_min = route.stops[-1].departure - route.stops[0].start
    fixed = vt.fixed_cost if any(s.load or s.unload for s in route.stops) else 0.0
    distance, time = km * vt.cost_per_km, route.duration_min / 60 * vt.cost_per_hour
    route.cost = RouteCost(fixed=fixed, distance=distance, time=time, total=fixed + distance + time)


def finish_plan(batch: Batch, plan: Plan) -> Plan:
    """Re-derive every route's numbers and every served outcome's vehicle, times and share."""
    for route in plan.routes:
        finish_route(batch, route)
    for outcome in plan.orders:
        if not outcome.served:
            continue
        for route in plan.routes:
            loads = [s for s in route.stops if outcome.order in s.load]
            unloads = [s for s in route.stops if outcome.order in s.unload]
            if loads and unloads:
                order = batch.orders_by_id[outcome.order]
                used = freshness.used_minutes(
                    order, batch, _vehicle_type(batch, route), loads[0].departure, unloads[0].start
                )
                outcome.vehicle = route.vehicle
                outcome.loaded_at, outcome.arrived_at = loads[0].departure, unloads[0].start
                outcome.remaining_share = freshness.remaining_share(order, batch, used)
                break
    return plan


def _kpis() -> KPIs:
    zero = dict.fromkeys(
        [
            "total_cost",
            "fixed_cost",
            "distance_cost",
            "time_cost",
            "penalty_cost",
            "km",
            "empty_km",
            "vehicle_hours",
            "empty_return_share",
            "load_factor",
            "pickups_on_delivery_routes_share",
        ],
        0.0,
    )
    return KPIs(
        **zero,
        vehicles_used=2,
        return_legs=2,
        orders_served=5,
        orders_unassigned=1,
        required_unassigned=0,
    )


REEFER_VISITS: list[Visit] = [
    ("H", ["d1", "d2"], []),
    ("S1", ["p1"], ["d1"]),
    ("S2", [], ["d2"]),
    ("S3", ["p2"], []),
    ("C", [], ["p1", "p2"]),
    ("H", [], []),
]
VAN_VISITS: list[Visit] = [("H", ["d3"], []), ("S3", [], ["d3"]), ("H", [], [])]


def make_plan(batch: Batch) -> Plan:
    """The valid plan: a mixed reefer round and a parcel van; optional p3 left out."""
    outcomes = [
        OrderOutcome(
            order=o.id,
            kind=o.kind,
            served=o.id != "p3",
            reason="penalty is cheaper than the detour" if o.id == "p3" else None,
        )
        for o in batch.orders
    ]
    plan = Plan(
        engine="hand",
        solve_seconds=0.0,
        orders=outcomes,
        kpis=_kpis(),
        routes=[
            build_route(batch, "reefer-1", REEFER_VISITS, 400),
            build_route(batch, "van-1", VAN_VISITS, 420),
        ],
    )
    return finish_plan(batch, plan)


@pytest.fixture(scope="module")
def batch() -> Batch:
    return make_batch()


@pytest.fixture(scope="module")
def valid(batch: Batch) -> Plan:
    return make_plan(batch)


@pytest.fixture
def plan(valid: Plan) -> Plan:
    return valid.model_copy(deep=True)


def kinds(violations: list[Violation]) -> set[str]:
    return {v.kind for v in violations}


def outcome(plan: Plan, oid: str) -> OrderOutcome:
    return next(o for o in plan.orders if o.order == oid)


def stop(plan: Plan, vehicle: str, index: int) -> Stop:
    return next(r for r in plan.routes if r.vehicle == vehicle).stops[index]


def route(plan: Plan, vehicle: str) -> Route:
    return next(r for r in plan.routes if r.vehicle == vehicle)


# -- the valid plan -------------------------------------------------------------------------


def test_scaffolding_matches_hand_computation(valid: Plan) -> None:
    reefer = route(valid, "reefer-1")
    times = [(s.arrival, s.start, s.departure) for s in reefer.stops]
    assert times == [
        (400, 400, 410),
        (425, 425, 430),
        (445, 480, 485),
        (500, 500, 505),
        (535, 535, 545),
        (575, 575, 575),
    ]
    assert [s.kg_on_board for s in reefer.stops] == [500, 600, 400, 700, 0, 0]
    assert reefer.km == 70 and reefer.duration_min == 175
    assert reefer.cost.total == pytest.approx(200 + 70 * 3 + 175 * 0.6)
    # d2 rides 410 → 480 at 2 °C: 70 min × 3 ** 0.2 of its 120 h.
    assert outcome(valid, "d2").remaining_share == pytest.approx(1 - 70 * 3**0.2 / 7200)


def test_valid_plan_has_no_violations(batch: Batch, valid: Plan) -> None:
    assert validate_plan(batch, valid) == []


def test_valid_plan_survives_json_round_trip(batch: Batch, valid: Plan) -> None:
    again = Plan.model_validate_json(valid.model_dump_json(by_alias=True))
    assert validate_plan(batch, again) == []


def test_required_unserved_with_reason_is_not_a_violation(batch: Batch, plan: Plan) -> None:
    plan.routes = [r for r in plan.routes if r.vehicle != "van-1"]
    d3 = outcome(plan, "d3")
    d3.served, d3.reason, d3.vehicle = False, "no vehicle can reach S3 in time", None
    d3.loaded_at = d3.arrived_at = None
    assert validate_plan(batch, plan) == []


def test_second_time_window_is_accepted(batch: Batch, plan: Plan) -> None:
    visits = list(REEFER_VISITS)
    visits[2] = ("S2", [], ["d2"], 600)
    plan.routes[0] = build_route(batch, "reefer-1", visits, 400)
    finish_plan(batch, plan)
    assert stop(plan, "reefer-1", 2).start == 600
    assert validate_plan(batch, plan) == []


# -- coverage -------------------------------------------------------------------------------


def test_order_served_twice(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 0).load.append("d3")
    stop(plan, "reefer-1", 3).unload.append("d3")
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"coverage"}
    assert [v.order for v in found] == ["d3"]
    assert "2 times" in found[0].message


def test_order_missing_from_plan_orders(batch: Batch, plan: Plan) -> None:
    plan.orders = [o for o in plan.orders if o.order != "d1"]
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert any(v.order == "d1" and "missing" in v.message for v in found)


def test_served_order_missing_from_routes(batch: Batch, plan: Plan) -> None:
    stop(plan, "van-1", 0).load.clear()
    stop(plan, "van-1", 1).unload.clear()
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"coverage"}
    assert {v.order for v in found} == {"d3"}


def test_served_flag_disagrees_with_routes(batch: Batch, plan: Plan) -> None:
    d1 = outcome(plan, "d1")
    d1.served, d1.reason = False, "claimed unserved"
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert "served=False" in found[0].message and found[0].order == "d1"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_unassigned_without_reason(batch: Batch, plan: Plan, reason: str | None) -> None:
    outcome(plan, "p3").reason = reason
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert found[0].order == "p3" and "reason" in found[0].message


def test_unknown_order_on_route(batch: Batch, plan: Plan) -> None:
    stop(plan, "van-1", 1).load.append("ghost")
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert found[0].order == "ghost" and found[0].route == "van-1"


def test_order_unloaded_at_wrong_site(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 2).unload.remove("d2")
    stop(plan, "reefer-1", 3).unload.append("d2")
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"coverage"}
    assert found[0].order == "d2" and "S3" in found[0].message and "S2" in found[0].message


def test_order_unloaded_before_loaded(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 1).load.remove("p1")
    stop(plan, "reefer-1", 1).unload.append("p1")
    stop(plan, "reefer-1", 4).unload.remove("p1")
    stop(plan, "reefer-1", 4).load.append("p1")
    found = validate_plan(batch, plan)
    assert any(v.kind == "coverage" and v.order == "p1" and "after" in v.message for v in found)


def test_order_split_across_routes(batch: Batch, plan: Plan) -> None:
    stop(plan, "van-1", 1).unload.remove("d3")
    stop(plan, "reefer-1", 3).unload.append("d3")
    found = validate_plan(batch, plan)
    assert any(
        v.kind == "coverage" and v.order == "d3" and "unloaded on reefer-1" in v.message
        for v in found
    )


def test_outcome_duplicated_or_unknown(batch: Batch, plan: Plan) -> None:
    plan.orders.append(outcome(plan, "d1").model_copy())
    plan.orders.append(OrderOutcome(order="zz", kind="pickup", served=False, reason="?"))
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert {v.order for v in found} == {"d1", "zz"}


def test_outcome_names_wrong_vehicle(batch: Batch, plan: Plan) -> None:
    outcome(plan, "d1").vehicle = "van-1"
    found = validate_plan(batch, plan)
    assert kinds(found) == {"coverage"}
    assert "reefer-1" in found[0].message


# -- vehicle --------------------------------------------------------------------------------


def test_unknown_vehicle_id(batch: Batch, plan: Plan) -> None:
    route(plan, "reefer-1").vehicle = "reefer-3"
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"vehicle"}
    assert found[0].route == "reefer-3" and "reefer-3" in found[0].message


def test_vehicle_type_mismatch(batch: Batch, plan: Plan) -> None:
    route(plan, "reefer-1").vehicle_type = "van"
    found = validate_plan(batch, plan)
    assert kinds(found) == {"vehicle"}
    assert "van" in found[0].message


def test_vehicle_used_twice(batch: Batch, plan: Plan) -> None:
    van = route(plan, "van-1")
    van.vehicle, van.vehicle_type = "reefer-1", "reefer"
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"vehicle"}
    assert "more than one route" in found[0].message and found[0].route == "reefer-1"


def test_route_must_end_at_depot(batch: Batch, plan: Plan) -> None:
    route(plan, "reefer-1").stops.pop()
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"vehicle"}
    assert "ends at C" in found[0].message


def test_route_needs_two_stops(batch: Batch, plan: Plan) -> None:
    van = route(plan, "van-1")
    van.stops = van.stops[:1]
    van.stops[0].load.clear()
    d3 = outcome(plan, "d3")
    d3.served, d3.reason = False, "dropped"
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"vehicle"}
    assert "at least 2" in found[0].message


# -- travel and schedule -----------------------------------------------------------------------


def test_arrival_too_early_for_travel(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 2).arrival = 430  # leaves S1 at 430, S1→S2 takes 15 min
    found = validate_plan(batch, plan)
    assert kinds(found) == {"travel"}
    assert "445" in found[0].message


def test_wrong_leg_km(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 1).km_from_previous = 11
    found = validate_plan(batch, plan)
    assert kinds(found) == {"travel"}
    assert "H→S1" in found[0].message


def test_departure_before_service_done(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 3).departure = 502  # S3 starts 500, 5 min service
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"schedule"}
    assert "S3" in found[0].message


def test_route_km_mismatch(batch: Batch, plan: Plan) -> None:
    route(plan, "reefer-1").km = 71
    found = validate_plan(batch, plan)
    assert kinds(found) == {"schedule"}
    assert "70" in found[0].message


def test_reported_loaded_at_mismatch(batch: Batch, plan: Plan) -> None:
    outcome(plan, "p2").loaded_at = 500
    found = validate_plan(batch, plan)
    assert kinds(found) == {"schedule"}
    assert found[0].order == "p2"


# -- time windows, ready times, cutoff ----------------------------------------------------------


def test_window_missed(batch: Batch, plan: Plan) -> None:
    s2 = stop(plan, "reefer-1", 2)
    s2.start, s2.departure = 470, 475  # S2 opens at 480
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"time_window"}
    assert "S2" in found[0].message


def test_start_between_two_windows(batch: Batch, plan: Plan) -> None:
    visits = list(REEFER_VISITS)
    visits[2] = ("S2", [], ["d2"], 545)  # S2 is closed 540-600
    plan.routes[0] = build_route(batch, "reefer-1", visits, 400)
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"time_window"}


def test_cutoff_missed(batch: Batch, plan: Plan) -> None:
    visits = list(REEFER_VISITS)
    visits[4] = ("C", [], ["p1", "p2"], 730)
    plan.routes[0] = build_route(batch, "reefer-1", visits, 400)
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"time_window"}
    assert {v.order for v in found} == {"p1", "p2"}
    assert "cutoff" in found[0].message


def test_delivery_loaded_before_ready(batch: Batch, plan: Plan) -> None:
    h = stop(plan, "reefer-1", 0)
    h.arrival, h.start, h.departure = 390, 390, 400  # d2 is ready at the hub at 400
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"time_window"}
    assert found[0].order == "d2"


# -- shift ----------------------------------------------------------------------------------


def test_shift_end_overrun(batch: Batch, plan: Plan) -> None:
    end = stop(plan, "van-1", 2)
    end.arrival = end.start = end.departure = 1100  # van shift ends 18:00 = 1080
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"shift"}
    assert "shift end" in found[0].message and found[0].route == "van-1"


def test_shift_start_too_early(batch: Batch, plan: Plan) -> None:
    h = stop(plan, "van-1", 0)
    h.arrival, h.start, h.departure = 350, 350, 360
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"shift"}


def test_max_duration(batch: Batch, plan: Plan) -> None:
    end = stop(plan, "reefer-1", 5)
    end.arrival = end.start = end.departure = 900  # 900 - 400 = 500 > 480
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"shift"}
    assert "500" in found[0].message and "480" in found[0].message


# -- capacity -------------------------------------------------------------------------------


def test_overload_mid_route_with_deliveries_aboard(batch: Batch, plan: Plan) -> None:
    visits: list[Visit] = [
        ("H", ["d1", "d2"], []),
        ("S3", ["p2"], []),
        ("S1", ["p1"], ["d1"]),  # 800 - 300 + 400 = 900 kg > 800
        ("S2", [], ["d2"]),
        ("C", [], ["p1", "p2"]),
        ("H", [], []),
    ]
    plan.routes[0] = build_route(batch, "reefer-1", visits, 400)
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"capacity"}
    assert len(found) == 1 and "S1" in found[0].message and "900" in found[0].message


def test_wrong_reported_load(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 2).kg_on_board += 1
    found = validate_plan(batch, plan)
    assert kinds(found) == {"capacity"}
    assert "401" in found[0].message and "400" in found[0].message


# -- refrigeration and freshness ----------------------------------------------------------------


def test_chilled_on_ambient_vehicle(batch: Batch, plan: Plan) -> None:
    plan.routes = [
        build_route(
            batch,
            "reefer-1",
            [
                ("H", ["d1", "d2"], []),
                ("S1", ["p1"], ["d1"]),
                ("S2", [], ["d2"]),
                ("C", [], ["p1"]),
                ("H", [], []),
            ],
            400,
        ),
        build_route(
            batch,
            "van-1",
            [("H", ["d3"], []), ("S3", ["p2"], ["d3"]), ("C", [], ["p2"]), ("H", [], [])],
            420,
        ),
    ]
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"refrigeration"}
    assert found[0].order == "p2" and found[0].route == "van-1"


def test_freshness_broken_on_long_ambient_ride(batch: Batch, plan: Plan) -> None:
    plan.routes = [
        build_route(
            batch,
            "reefer-1",
            [
                ("H", ["d1"], []),
                ("S1", ["p1"], ["d1"]),
                ("S3", ["p2"], []),
                ("C", [], ["p1", "p2"]),
                ("H", [], []),
            ],
            400,
        ),
        build_route(
            batch,
            "van-1",
            [("H", ["d3", "d2"], []), ("S3", [], ["d3"]), ("S2", [], ["d2"]), ("H", [], [])],
            420,
        ),
    ]
    found = validate_plan(batch, finish_plan(batch, plan))
    assert kinds(found) == {"refrigeration", "freshness"}
    fresh = [v for v in found if v.kind == "freshness"]
    assert [v.order for v in fresh] == ["d2"] and "below" in fresh[0].message


def test_reported_remaining_share_mismatch(batch: Batch, plan: Plan) -> None:
    outcome(plan, "d2").remaining_share -= 0.01
    found = validate_plan(batch, plan)
    assert kinds(found) == {"freshness"}
    assert found[0].order == "d2"


def test_non_perishable_must_not_report_a_share(batch: Batch, plan: Plan) -> None:
    outcome(plan, "d1").remaining_share = 1.0
    found = validate_plan(batch, plan)
    assert kinds(found) == {"freshness"}
    assert found[0].order == "d1"


# -- deliveries first -----------------------------------------------------------------------


def test_deliveries_first_broken() -> None:
    batch = make_batch("deliveries_first")
    found = validate_plan(batch, make_plan(batch))
    assert kinds(found) == {"deliveries_first"}
    # d1 is unloaded at S1 in the same stop where p1 is loaded (allowed: unloads come first);
    # d2 is unloaded after it at S2.
    assert {v.order for v in found} == {"d2"}


def test_deliveries_first_respected() -> None:
    batch = make_batch("deliveries_first")
    plan = make_plan(batch)
    visits: list[Visit] = [
        ("H", ["d1", "d2"], []),
        ("S1", [], ["d1"]),
        ("S2", [], ["d2"]),
        ("S1", ["p1"], []),
        ("S3", ["p2"], []),
        ("C", [], ["p1", "p2"]),
        ("H", [], []),
    ]
    plan.routes[0] = build_route(batch, "reefer-1", visits, 400)
    assert validate_plan(batch, finish_plan(batch, plan)) == []


# -- cost -----------------------------------------------------------------------------------


def test_time_cost_mismatch(batch: Batch, plan: Plan) -> None:
    cost = route(plan, "reefer-1").cost
    cost.time += 1  # the total still matches the recomputation
    found = validate_plan(batch, plan)
    assert kinds(found) == {"cost"}
    assert [v.message.split()[3] for v in found] == ["time"]


def test_missing_fixed_cost(batch: Batch, plan: Plan) -> None:
    cost = route(plan, "van-1").cost
    cost.total -= cost.fixed
    cost.fixed = 0
    found = validate_plan(batch, plan)
    assert kinds(found) == {"cost"}
    assert {v.message.split()[3] for v in found} == {"fixed", "total"}


# -- output ---------------------------------------------------------------------------------


def test_every_reported_kind_is_known(batch: Batch, plan: Plan) -> None:
    stop(plan, "reefer-1", 2).arrival = 0
    route(plan, "reefer-1").vehicle = "truck-9"
    found = validate_plan(batch, plan)
    assert found and kinds(found) <= set(KINDS)


def test_format_violations() -> None:
    text = format_violations(
        [
            Violation("capacity", "reefer-1", None, "too heavy"),
            Violation("coverage", None, "p3", "no reason"),
            Violation("freshness", "van-1", "d2", "too old"),
        ]
    )
    assert text.splitlines() == [
        "[capacity] route reefer-1: too heavy",
        "[coverage] order p3: no reason",
        "[freshness] route van-1 order d2: too old",
    ]


def test_single_trip_vehicle_must_not_reload_between_stations() -> None:
    """A single-trip truck leaves once and comes back once: loading at the hub after a
    station, or unloading at the centre before the last one, is a violation."""
    from optimizer.routing.assemble import build_plan
    from optimizer.routing.engines import EngineRoute
    from optimizer.routing.problem import compile_problem
    from optimizer.routing.timing import schedule
    from scenarios.generate import generate_county

    data = generate_county(6, 2).model_dump(mode="json")
    for vt in data["fleet"]:
        vt["single_trip"] = True
    batch = Batch.model_validate(data)
    problem = compile_problem(batch)
    deliveries = [k for k, o in enumerate(problem.orders) if o.kind == "delivery"][:2]
    v = next(
        i
        for i in range(len(problem.vehicles))
        if all(i in problem.allowed_vehicles[k] for k in deliveries)
    )
    vehicle = problem.vehicles[v]
    (l1, u1), (l2, u2) = (tuple(int(n) for n in problem.pairs[k]) for k in deliveries)
    kinds = {}
    for name, nodes in (
        ("reload", [vehicle.start_node, l1, u1, l2, u2, vehicle.end_node]),
        ("once", [vehicle.start_node, l1, l2, u1, u2, vehicle.end_node]),
    ):
        times = schedule(problem, problem.node_times(), vehicle.type.shift_start, nodes)
        assert times is not None
        route = EngineRoute(v, nodes, times)
        plan = build_plan(problem, [route], engine="t", seconds=0, reasons={})
        kinds[name] = {x.kind for x in validate_plan(batch, plan)}
    assert "single_trip" in kinds["reload"]
    assert "single_trip" not in kinds["once"]
