"""Serving orders no route carries: scarce trucks first, ejection when a required order
fits nowhere, and an engine's infeasible best repaired."""

from __future__ import annotations

import time

import numpy as np
import pytest

from optimizer.model import Batch
from optimizer.routing import portfolio
from optimizer.routing.assemble import assemble_route
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.problem import RoutingProblem, compile_problem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.repair import routes_repaired
from optimizer.routing.search.serve import open_vehicle, serve_unserved
from optimizer.routing.solve import InvalidPlan, _plan, plan_batch
from optimizer.routing.timing import schedule
from optimizer.validate import validate_plan


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


def _broken(problem: RoutingProblem) -> EngineResult:
    """The strawberries on the van and the parcel on the reefer: every window kept,
    refrigeration broken (an engine's infeasible best)."""
    by_type = {v.type.id: i for i, v in enumerate(problem.vehicles)}
    k = {o.id: i for i, o in enumerate(problem.orders)}
    routes = []
    for vtype, order in (("van", "P1"), ("reefer", "D1")):
        v = by_type[vtype]
        vehicle = problem.vehicles[v]
        nodes = [vehicle.start_node, *(int(n) for n in problem.pairs[k[order]]), vehicle.end_node]
        minutes = problem.node_view("minutes")
        times = schedule(problem, minutes, vehicle.type.shift_start, nodes)
        assert times is not None
        routes.append(EngineRoute(v, nodes, times))
    return EngineResult(routes, 0.0, "success", 0.0)


def test_an_engines_infeasible_best_is_repaired_into_a_valid_plan() -> None:
    batch = _one_reefer()
    problem = compile_problem(batch)
    broken = _broken(problem)
    with pytest.raises(InvalidPlan, match="refrigeration"):
        _plan(problem, broken, "auto")
    repaired = routes_repaired(problem, broken)
    plan = _plan(problem, repaired, "auto")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0


def test_no_valid_candidate_from_the_engines_still_ends_in_a_valid_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both engines out of time with an infeasible best: the plan is repaired, not
    refused (it was an InvalidPlan error at 1,000 villages with tight shelf lives)."""
    batch = _one_reefer()

    def infeasible(problem: RoutingProblem, *_a: object, **_kw: object) -> EngineResult:
        return _broken(problem)

    monkeypatch.setattr(portfolio, "solve_pyvrp", infeasible)
    monkeypatch.setattr(portfolio, "solve_ortools", infeasible)
    plan = plan_batch(batch, time_limit_s=1.0, engine="pyvrp")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0


def test_the_search_keeps_trying_to_serve_a_stranded_required_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a required order is on no route, the large-neighbourhood phase does not stop
    on patience, and it tries to serve the order again as the routes change."""
    from optimizer.routing.search import exchange, serve

    calls = []
    real = serve.serve_unserved

    def counted(ex: Exchange, *args: object, **kw: object) -> None:
        calls.append(1)
        real(ex, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(serve, "serve_unserved", counted)
    monkeypatch.setattr(exchange, "RUIN_PATIENCE", 1)
    monkeypatch.setattr(exchange, "RESERVE_EVERY", 1)
    data = _one_reefer().model_dump(by_alias=True)
    more = {"id": "P2", "kind": "pickup", "site": "A", "product": "berries", "kg": 100}
    data["orders"].append(more)  # rides with P1
    data["orders"].append({**more, "id": "P3", "site": "B"})  # fits on no truck's day
    ex = Exchange(compile_problem(Batch.model_validate(data)), [])
    ex.run(time.perf_counter() + 0.3)
    assert ex._stranded()
    assert len(calls) > 1
