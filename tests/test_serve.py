"""Serving orders no route carries: scarce trucks first, and ejection when a required
order fits nowhere."""

from __future__ import annotations

import numpy as np

from optimizer.model import Batch
from optimizer.routing.assemble import assemble_route
from optimizer.routing.problem import compile_problem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.serve import open_vehicle, serve_unserved


def _one_reefer() -> Batch:
    """A reefer and a van, each with time for one trip: a parcel for B (either truck)
    and chilled strawberries at A (the reefer only), A and B on opposite sides of the
    hub. The van costs more, so a parcel placed first takes the reefer."""
    ids = ["H", "C", "A", "B"]
    where = {"H": 0.0, "C": 0.0, "A": -25.0, "B": 25.0}
    minutes = [[abs(where[a] - where[b]) for b in ids] for a in ids]
    truck = {"capacity_kg": 1000, "capacity_m3": 10, "shift_start": 360, "shift_end": 440}
    return Batch.model_validate(
        {
            "sites": [
                {"id": "H", "kind": "hub", "lon": 0, "lat": 0},
                {"id": "C", "kind": "collection_centre", "lon": 0, "lat": 0},
                {"id": "A", "kind": "station", "lon": 0, "lat": 0},
                {"id": "B", "kind": "station", "lon": 0, "lat": 0},
            ],
            "products": [
                {"id": "parcels", "category": "parcels"},
                {"id": "berries", "category": "strawberry"},
            ],
            "orders": [
                {"id": "D1", "kind": "delivery", "site": "B", "product": "parcels", "kg": 100},
                {"id": "P1", "kind": "pickup", "site": "A", "product": "berries", "kg": 100},
            ],
            "fleet": [
                {"id": "reefer", "count": 1, "refrigerated": True, "fixed_cost": 100, **truck},
                {"id": "van", "count": 1, "fixed_cost": 300, **truck},
            ],
            "travel": {"mode": "matrix", "site_ids": ids, "km": minutes, "minutes": minutes},
            "options": {"baseline": False, "seed": 1},
        }
    )


def _vehicle_type(ex: Exchange, order_id: str) -> str:
    k = next(i for i, o in enumerate(ex.p.orders) if o.id == order_id)
    r = int(ex.where[k])
    assert r >= 0, f"{order_id} unserved"
    return ex.p.vehicles[ex.routes[r].vehicle].type.id


def test_the_trucks_only_some_orders_may_ride_go_to_those_first() -> None:
    ex = Exchange(compile_problem(_one_reefer()), [])
    serve_unserved(ex)
    assert (ex.where >= 0).all()
    assert _vehicle_type(ex, "P1") == "reefer" and _vehicle_type(ex, "D1") == "van"


def test_a_required_order_that_fits_nowhere_takes_a_seat_another_truck_can_give() -> None:
    ex = Exchange(compile_problem(_one_reefer()), [])
    d1 = next(i for i, o in enumerate(ex.p.orders) if o.id == "D1")
    q, route, cost = open_vehicle(ex, d1)  # the cheaper truck: the reefer
    ex._set(q, route, cost)
    assert _vehicle_type(ex, "D1") == "reefer"
    serve_unserved(ex)  # no ejection: the strawberries have no truck
    assert np.count_nonzero(ex.where < 0) == 1
    serve_unserved(ex, eject=True)
    assert _vehicle_type(ex, "P1") == "reefer" and _vehicle_type(ex, "D1") == "van"
    assert not ex.validator.violations([assemble_route(ex.p, r) for r in ex.serving()])
