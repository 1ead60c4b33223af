"""Single-visit stations: parcels dropped and produce loaded in one stop by one truck."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.routing.feasibility import InfeasibleBatch
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan

VILLAGES = 6


def make_batch(*, single_trip: bool = True, optional: bool = False) -> Batch:
    """A hub, a centre and six villages that each get parcels and send potatoes."""
    sites = [
        {"id": "H", "kind": "hub", "lon": 110.0, "lat": 30.0},
        {"id": "C", "kind": "collection_centre", "lon": 110.02, "lat": 30.01},
    ]
    orders = []
    for i in range(VILLAGES):
        sid = f"V{i}"
        sites.append(
            {
                "id": sid,
                "kind": "station",
                "lon": 110.0 + 0.03 * (i % 3),
                "lat": 30.05 + 0.03 * (i // 3),
                "single_visit": True,
            }
        )
        extra = {"penalty": 500.0} if optional else {}
        orders += [
            {"id": f"D-{sid}", "kind": "delivery", "site": sid, "product": "parcels", "kg": 150}
            | extra,
            {"id": f"P-{sid}", "kind": "pickup", "site": sid, "product": "spuds", "kg": 250}
            | extra,
        ]
    return Batch.model_validate(
        {
            "schema": "freshroute.batch/v1",
            "name": "single-visit",
            "sites": sites,
            "products": [
                {"id": "parcels", "category": "parcels"},
                {"id": "spuds", "category": "potato", "perishable": False},
            ],
            "orders": orders,
            "fleet": [
                {
                    "id": "truck",
                    "count": 3,
                    "capacity_kg": 1000,
                    "capacity_m3": 10,
                    "single_trip": single_trip,
                    "end": "C",
                }
            ],
        }
    )


def station_stops(plan: Plan) -> dict[str, list[tuple[str, int]]]:
    """Per station, the (vehicle, stop index) pairs where it is served."""
    out: dict[str, list[tuple[str, int]]] = {}
    for route in plan.routes:
        for i, stop in enumerate(route.stops):
            if stop.site.startswith("V") and (stop.load or stop.unload):
                out.setdefault(stop.site, []).append((route.vehicle, i))
    return out


@pytest.mark.parametrize("engine", ["auto", "pyvrp"])
def test_each_station_is_served_in_one_stop(engine: str) -> None:
    batch = make_batch()
    plan = plan_batch(batch, time_limit_s=2.0, baseline=False, engine=engine)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    stops = station_stops(plan)
    assert set(stops) == {f"V{i}" for i in range(VILLAGES)}
    for site, where in stops.items():
        assert len(where) == 1, (site, where)
        vehicle, index = where[0]
        stop = next(r for r in plan.routes if r.vehicle == vehicle).stops[index]
        assert stop.unload == [f"D-{site}"] and stop.load == [f"P-{site}"]
        # One service for the combined stop (the default 5 minutes).
        assert stop.departure - stop.start == pytest.approx(5.0)


def test_validator_rejects_a_split_visit() -> None:
    batch = make_batch()
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    route = next(r for r in plan.routes if any(s.site.startswith("V") for s in r.stops))
    i, stop = next((i, s) for i, s in enumerate(route.stops) if s.site.startswith("V"))
    # Split the stop in two: unload first, then load in a stop of its own.
    second = stop.model_copy(update={"unload": [], "km_from_previous": 0.0})
    route.stops[i] = stop.model_copy(update={"load": []})
    route.stops.insert(i + 1, second)
    assert "single_visit" in {v.kind for v in validate_plan(batch, plan)}


def test_optional_orders_are_served_together_or_not_at_all() -> None:
    batch = make_batch(optional=True)
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    assert validate_plan(batch, plan) == []
    served = {o.order for o in plan.orders if o.served}
    for i in range(VILLAGES):
        assert (f"D-V{i}" in served) == (f"P-V{i}" in served)


def test_mixed_required_and_optional_orders_are_rejected() -> None:
    data = make_batch().model_dump(mode="json")
    data["orders"][0]["penalty"] = 100.0
    with pytest.raises(ValidationError, match="single_visit"):
        Batch.model_validate(data)


def test_single_visit_only_for_stations() -> None:
    data = make_batch().model_dump(mode="json")
    data["sites"][0]["single_visit"] = True
    with pytest.raises(ValidationError, match="single_visit is only for stations"):
        Batch.model_validate(data)


def test_fleet_that_cannot_keep_a_single_visit_is_reported_before_solving() -> None:
    batch = make_batch(single_trip=False)
    with pytest.raises(InfeasibleBatch, match=r"sites\[2\]\.single_visit"):
        plan_batch(batch, time_limit_s=1.0, baseline=False)


def test_cross_route_polishing_moves_a_whole_single_visit_stop() -> None:
    """A stop the engine left out is put back whole by cross-route polishing: the
    station's parcels and produce in one stop, its parcels loaded before it."""
    import time

    from optimizer.routing.assemble import engine_routes, validated_plan
    from optimizer.routing.engines import EngineRoute
    from optimizer.routing.problem import compile_problem
    from optimizer.routing.search.exchange import Exchange

    batch = make_batch()
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    problem = compile_problem(batch)
    routes = engine_routes(problem, plan.routes)
    out = {int(n) for k, o in enumerate(problem.orders) if o.site == "V5" for n in problem.pairs[k]}
    dropped = []
    for r in routes:
        kept = [(n, t) for n, t in zip(r.nodes, r.times, strict=True) if n not in out]
        dropped.append(EngineRoute(r.vehicle, [n for n, _ in kept], [t for _, t in kept]))
    exchanged = Exchange(problem, dropped).run(time.perf_counter() + 2.0, seed=1)
    again = validated_plan(problem, exchanged.routes)
    assert again is not None
    assert again.kpis.required_unassigned == 0
    assert len(station_stops(again)["V5"]) == 1
