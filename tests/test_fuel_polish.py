"""Load-dependent fuel in the cost model, and true-cost polishing of the engines' routes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from optimizer.kpis import fuel_cost
from optimizer.model import VehicleType
from optimizer.routing.assemble import engine_routes
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.polish import exact_cost, polish
from optimizer.routing.problem import compile_problem
from optimizer.routing.search.trips import stop_ranges, trip_ranges
from optimizer.routing.solve import plan_batch
from optimizer.routing.timing import schedule
from optimizer.validate import validate_plan
from scenarios.generate import generate_county, with_fuel_rates


def test_fuel_rate_grows_with_the_load() -> None:
    vt = VehicleType(
        id="t",
        count=1,
        capacity_kg=1000,
        capacity_m3=10,
        fuel_l_per_km_empty=0.08,
        fuel_l_per_km_full=0.10,
    )
    # 10 km empty, 10 km half full, 10 km full (and over-full counts as full).
    km, kg = np.array([10.0, 10.0, 10.0, 5.0]), np.array([0.0, 500.0, 1000.0, 2000.0])
    litres = 10 * 0.08 + 10 * 0.09 + 10 * 0.10 + 5 * 0.10
    assert fuel_cost(vt, km, kg, 7.5) == pytest.approx(litres * 7.5)
    plain = vt.model_copy(update={"fuel_l_per_km_empty": None, "fuel_l_per_km_full": None})
    assert fuel_cost(plain, km, kg, 7.5) == 0.0


@pytest.mark.parametrize(
    ("rates", "message"),
    [
        ({"fuel_l_per_km_empty": 0.08}, "give both"),
        ({"fuel_l_per_km_empty": 0.1, "fuel_l_per_km_full": 0.08}, "below"),
    ],
)
def test_bad_fuel_rates_are_rejected(rates: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VehicleType(id="t", count=1, capacity_kg=1000, capacity_m3=10, **rates)


def test_plan_prices_fuel_and_reports_polishing() -> None:
    batch = with_fuel_rates(generate_county(15, 2))
    plan = plan_batch(batch, time_limit_s=3.0, baseline=False)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.fuel_cost > 0
    assert plan.kpis.fuel_cost == pytest.approx(sum(r.cost.fuel for r in plan.routes))
    assert plan.polishing is not None
    assert plan.polishing.cost_after <= plan.polishing.cost_before + 1e-9
    assert plan.polishing.cost_after == pytest.approx(plan.kpis.total_cost)


def test_validator_recomputes_fuel() -> None:
    batch = with_fuel_rates(generate_county(8, 3))
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    route = plan.routes[0]
    route.cost = route.cost.model_copy(update={"fuel": route.cost.fuel + 5.0})
    kinds = {v.kind for v in validate_plan(batch, plan)}
    assert "cost" in kinds


def test_polishing_reorders_a_trip_to_save_fuel_and_km() -> None:
    """A trip spoiled by visiting its stops in reverse is repaired by polishing."""
    batch = with_fuel_rates(generate_county(15, 4))
    plan = plan_batch(batch, time_limit_s=2.0, baseline=False)
    problem = compile_problem(batch)
    routes = engine_routes(problem, plan.routes)
    base = exact_cost(problem, routes)
    assert base == pytest.approx(plan.kpis.total_cost)
    # Spoil one trip: visit its stops in reverse (or swap two of them), keeping a valid
    # (but dearer) plan.
    minutes = problem.node_times()
    spoiled = None
    spoils = [
        (r, lo, hi, order)
        for r, route in enumerate(routes)
        for lo, hi in trip_ranges(problem, route.nodes)
        for m in [len(stop_ranges(problem, route.nodes, lo, hi))]
        for order in [
            list(range(m))[::-1],
            *([*range(i), i + 1, i, *range(i + 2, m)] for i in range(m - 1)),
        ]
    ]
    for r, lo, hi, order in spoils:
        route = routes[r]
        stops = stop_ranges(problem, route.nodes, lo, hi)
        blocks = [route.nodes[a:b] for a, b in (stops[i] for i in order)]
        nodes = route.nodes[:lo] + [n for b in blocks for n in b] + route.nodes[hi:]
        times = schedule(problem, minutes, route.times[0], nodes)
        if times is None:
            continue
        trial = [*routes[:r], EngineRoute(route.vehicle, nodes, times), *routes[r + 1 :]]
        cost = exact_cost(problem, trial)
        if base + 1.0 < cost < float("inf"):
            spoiled = (trial, cost)
            break
    assert spoiled is not None, "no trip could be spoiled validly; pick another county"
    polished = polish(problem, EngineResult(spoiled[0], 0.0, "test", 0.0), 5.0)
    assert polished.cost_before == pytest.approx(spoiled[1])
    assert polished.cost_after < polished.cost_before - 1.0
    assert polished.moves >= 1
    assert exact_cost(problem, polished.result.routes) == pytest.approx(polished.cost_after)
