"""Q10 temperature-equivalent time and vehicle compatibility."""

from __future__ import annotations

import pytest

from optimizer.freshness import can_carry, decay_rate, remaining_share, used_minutes
from optimizer.model import Batch, Product, VehicleType


def batch() -> Batch:
    return Batch.model_validate(
        {
            "sites": [
                {"id": "H", "kind": "hub", "lon": 115, "lat": 30},
                {"id": "C", "kind": "collection_centre", "lon": 115.1, "lat": 30},
                {"id": "S", "kind": "station", "lon": 115.05, "lat": 30.05},
                {"id": "K", "kind": "station", "lon": 115.02, "lat": 30.01, "storage_temp_c": 0},
            ],
            "products": [
                {"id": "straw", "category": "strawberry"},
                {"id": "p", "category": "parcels"},
            ],
            "orders": [
                {
                    "id": "a",
                    "kind": "pickup",
                    "site": "S",
                    "product": "straw",
                    "kg": 10,
                    "ready": 300,
                },
                {
                    "id": "b",
                    "kind": "pickup",
                    "site": "K",
                    "product": "straw",
                    "kg": 10,
                    "ready": 300,
                },
                {"id": "d", "kind": "delivery", "site": "S", "product": "straw", "kg": 10},
            ],
            "fleet": [
                {
                    "id": "r",
                    "count": 1,
                    "capacity_kg": 1000,
                    "capacity_m3": 10,
                    "refrigerated": True,
                    "compartment_temp_c": 0,
                },
                {"id": "v", "count": 1, "capacity_kg": 1000, "capacity_m3": 10},
            ],
            "options": {"ambient_temp_c": 20},
        }
    )


def test_q10_rate() -> None:
    p = Product(id="x", category="strawberry")  # Q10 3 at 0 °C
    assert decay_rate(p, 0) == pytest.approx(1.0)
    assert decay_rate(p, 10) == pytest.approx(3.0)
    assert decay_rate(p, 20) == pytest.approx(9.0)
    assert decay_rate(p, -10) == pytest.approx(1 / 3)


def test_pickup_waits_at_ambient_then_rides_cold() -> None:
    b = batch()
    reefer = b.fleet_by_id["r"]
    # 60 min waiting at 20 °C (×9) then 30 min riding at 0 °C (×1).
    used = used_minutes(b.orders_by_id["a"], b, reefer, load_departure=360, arrival=390)
    assert used == pytest.approx(60 * 9 + 30)
    assert remaining_share(b.orders_by_id["a"], b, used) == pytest.approx(1 - 570 / (120 * 60))


def test_cold_room_station_and_ambient_vehicle() -> None:
    b = batch()
    van = b.fleet_by_id["v"]
    used = used_minutes(b.orders_by_id["b"], b, van, load_departure=360, arrival=390)
    assert used == pytest.approx(60 * 1 + 30 * 9)


def test_delivery_clock_starts_at_hub_departure() -> None:
    b = batch()
    used = used_minutes(b.orders_by_id["d"], b, b.fleet_by_id["v"], load_departure=400, arrival=460)
    assert used == pytest.approx(60 * 9)


def test_chilled_needs_refrigeration_frozen_needs_freezer() -> None:
    chilled = Product(id="c", category="strawberry")
    frozen = Product(id="f", category="frozen_food")
    ambient = Product(id="a", category="parcels")
    reefer = VehicleType(id="r", count=1, capacity_kg=1, capacity_m3=1, refrigerated=True)
    freezer = VehicleType(
        id="z", count=1, capacity_kg=1, capacity_m3=1, refrigerated=True, compartment_temp_c=-18
    )
    van = VehicleType(id="v", count=1, capacity_kg=1, capacity_m3=1)
    assert can_carry(reefer, chilled) and not can_carry(van, chilled)
    assert can_carry(freezer, frozen) and not can_carry(reefer, frozen)
    assert not can_carry(freezer, chilled)
    assert all(can_carry(v, ambient) for v in (reefer, freezer, van))


def test_non_perishable_has_no_share() -> None:
    b = Batch.model_validate({**batch().model_dump(by_alias=True)})
    order = b.orders_by_id["d"].model_copy(update={"product": "p"})
    assert remaining_share(order, b, 1000.0) is None


def test_custom_category_needs_shelf_life() -> None:
    with pytest.raises(ValueError, match="shelf_life_h"):
        Product(id="x", category="durian", temperature_class="cool", ref_temp_c=10, q10=2)
    assert (
        Product(
            id="x",
            category="durian",
            temperature_class="cool",
            ref_temp_c=10,
            q10=2,
            perishable=False,
        ).shelf_life_h
        is None
    )


def test_pickup_deadlines_imply_the_limit_with_room_for_a_few_direct_trips() -> None:
    """Where the station ages produce faster than the truck, the engines' deadlines (latest
    load, latest arrival) split the budget so that a ride of ``RIDE_TRIPS`` direct trips
    fits after the latest load, and the corner of that box uses exactly the budget: the
    limit is implied, and no tighter than it must be for such a ride (half the budget for
    waiting, before, left a reefer hours of ride and the station too little wait)."""
    from benchmarks.families import FAMILIES, family_batch
    from optimizer.routing.engines import FRESHNESS_MARGIN_MIN
    from optimizer.routing.problem import RIDE_TRIPS, compile_problem, freshness_deadlines

    problem = compile_problem(family_batch(list(FAMILIES)[1], 60, 1))  # tight, mixed fleet
    split = clamped = 0
    for k, rule in enumerate(problem.freshness):
        if rule is None or rule.ready is None:
            continue
        load, unload = (int(n) for n in problem.pairs[k])
        service = float(problem.node_service[load])
        trip = float(problem.travel.minutes[problem.node_site[load], problem.node_site[unload]])
        budget = rule.budget - FRESHNESS_MARGIN_MIN
        for temp in {problem.vehicles[i].temp_c for i in problem.allowed_vehicles[k]}:
            r_s, r_v = rule.station_rate, rule.rate_by_temp[temp]
            if r_s <= r_v:
                continue
            load_by, arrive_by = freshness_deadlines(problem, k, FRESHNESS_MARGIN_MIN, {temp})
            leave = load_by + service  # the latest departure
            used = r_s * (leave - rule.ready) + r_v * (arrive_by - leave)
            assert used == pytest.approx(budget)  # the box's worst corner: exactly the budget
            if 1e-9 < leave - rule.ready < budget / r_s - 1e-9:
                assert arrive_by - leave == pytest.approx(RIDE_TRIPS * (trip + service))
                split += 1
            else:
                clamped += 1
    assert split > 0, (split, clamped)
