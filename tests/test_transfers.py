"""Transfer orders: goods moved from one village station to another on the same truck."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from optimizer.model import Batch
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan


def batch_data() -> dict[str, Any]:
    """A hub, four stations, two transfers (seedlings V0→V2, eggs V1→V3) and a delivery."""
    sites: list[dict[str, Any]] = [{"id": "H", "kind": "hub", "lon": 110.0, "lat": 30.0}]
    sites += [
        {"id": f"V{i}", "kind": "station", "lon": 110.0 + 0.02 * i, "lat": 30.04 - 0.01 * i}
        for i in range(4)
    ]
    return {
        "schema": "freshroute.batch/v1",
        "name": "transfers",
        "sites": sites,
        "products": [
            {
                "id": "seedlings",
                "category": "seedlings",
                "shelf_life_h": 48,
                "ref_temp_c": 15,
                "q10": 2,
                "temperature_class": "ambient",
            },
            {"id": "parcels", "category": "parcels"},
        ],
        "orders": [
            {
                "id": "T1",
                "kind": "transfer",
                "origin": "V0",
                "site": "V2",
                "product": "seedlings",
                "kg": 200,
                "ready": "08:00",
            },
            {
                "id": "T2",
                "kind": "transfer",
                "origin": "V1",
                "site": "V3",
                "product": "parcels",
                "kg": 100,
            },
            {"id": "D1", "kind": "delivery", "site": "V2", "product": "parcels", "kg": 50},
        ],
        "fleet": [{"id": "van", "count": 2, "capacity_kg": 500, "capacity_m3": 5}],
    }


@pytest.mark.parametrize("engine", ["auto", "ortools"])
def test_transfers_are_carried_origin_to_site(engine: str) -> None:
    batch = Batch.model_validate(batch_data())
    plan = plan_batch(batch, time_limit_s=1.5, baseline=False, engine=engine)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    where: dict[str, tuple[str, str]] = {}
    for route in plan.routes:
        loaded = {}
        for stop in route.stops:
            for oid in stop.load:
                loaded[oid] = stop.site
            for oid in stop.unload:
                where[oid] = (loaded[oid], stop.site)
    assert where["T1"] == ("V0", "V2") and where["T2"] == ("V1", "V3")
    t1 = next(o for o in plan.orders if o.order == "T1")
    assert t1.kind == "transfer" and t1.remaining_share is not None
    assert t1.loaded_at is not None and t1.loaded_at >= 8 * 60  # not before it is ready


def test_validator_rejects_a_transfer_unloaded_at_its_origin() -> None:
    batch = Batch.model_validate(batch_data())
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    for route in plan.routes:
        for stop in route.stops:
            if "T2" in stop.unload:
                stop.unload.remove("T2")
            if stop.site == "V1" and "T2" in stop.load:
                stop.unload.append("T2")
    assert "coverage" in {v.kind for v in validate_plan(batch, plan)}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"origin": None}, r"orders\[0\]\.origin: a transfer needs the station"),
        ({"origin": "V9"}, r"orders\[0\]\.origin: unknown site 'V9'"),
        ({"origin": "H"}, r"orders\[0\]\.origin: 'H' is a hub, not a station"),
        ({"origin": "V2"}, r"orders\[0\]\.origin: the same station as site"),
        ({"hub": "H"}, r"orders\[0\]: a transfer goes station to station"),
    ],
)
def test_bad_transfers_name_the_field(change: dict[str, Any], message: str) -> None:
    data = batch_data()
    data["orders"][0].update(change)
    with pytest.raises(ValidationError, match=message):
        Batch.model_validate(data)


def test_origin_only_for_transfers() -> None:
    data = batch_data()
    data["orders"][2]["origin"] = "V0"
    with pytest.raises(ValidationError, match=r"orders\[2\]\.origin: only transfers"):
        Batch.model_validate(data)


def test_route_map_marks_transfer_stations_by_what_trucks_do() -> None:
    from optimizer.report.map import _site_icon

    batch = Batch.model_validate(batch_data())
    icons = {s.id: _site_icon(s, batch) for s in batch.sites if s.kind == "station"}
    # V0, V1 load transfers; V3 unloads one; V2 unloads a transfer and a delivery.
    assert icons == {"V0": "pickup", "V1": "pickup", "V2": "delivery", "V3": "delivery"}
