"""Very large batches are planned in parts by location and joined into one valid plan."""

from __future__ import annotations

import pytest

from optimizer.model import Batch
from optimizer.routing import decompose
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
from scenarios.generate import generate_county


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decompose from 20 orders, about 15 orders a part."""
    monkeypatch.setattr(decompose, "DECOMPOSE_ABOVE", 20)
    monkeypatch.setattr(decompose, "ORDERS_PER_PART", 15)


def test_clusters_cover_every_station_once() -> None:
    batch = generate_county(30, 3)
    clusters = decompose.station_clusters(batch, 4, seed=1)
    stations = [s for c in clusters for s in c]
    assert sorted(stations) == sorted({o.site for o in batch.orders})
    assert 2 <= len(clusters) <= 4


@pytest.mark.usefixtures("small_parts")
def test_parts_join_into_one_valid_plan() -> None:
    batch = generate_county(24, 5)
    assert decompose.parts_needed(batch) >= 2
    plan = plan_batch(batch, time_limit_s=4.0)
    assert "parts by location" in plan.engine
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    assert plan.baseline is None  # no separate-fleets baseline for a batch in parts
    vehicles = [r.vehicle for r in plan.routes]
    assert len(vehicles) == len(set(vehicles))
    assert [o.order for o in plan.orders] == [o.id for o in batch.orders]


def test_small_batches_are_planned_whole() -> None:
    assert decompose.parts_needed(generate_county(12, 1)) == 1


@pytest.mark.usefixtures("small_parts")
def test_a_fleet_with_min_used_is_planned_whole() -> None:
    data = generate_county(24, 5).model_dump(by_alias=True)
    assert decompose.parts_needed(Batch.model_validate(data)) >= 2
    data["fleet"][-1]["min_used"] = 1  # binds the whole fleet, not one part
    assert decompose.parts_needed(Batch.model_validate(data)) == 1


@pytest.mark.usefixtures("small_parts")
def test_parts_are_improved_across_borders() -> None:
    """The joined plan goes through cross-route moves on the whole batch: the report
    says so, the cost never rises, and the plan stays valid."""
    batch = generate_county(24, 5)
    plan = plan_batch(batch, time_limit_s=4.0)
    assert "parts by location" in plan.engine
    if plan.polishing is not None:  # reported only when a move saved
        assert plan.polishing.cost_after < plan.polishing.cost_before
        assert plan.polishing.cost_after == pytest.approx(plan.kpis.total_cost)
    assert validate_plan(batch, plan) == []


@pytest.mark.usefixtures("small_parts")
def test_across_borders_serves_an_order_a_part_left_out() -> None:
    from optimizer.routing.assemble import engine_routes
    from optimizer.routing.engines import EngineResult
    from optimizer.routing.problem import compile_problem
    from optimizer.routing.solve import _across_borders, _plan
    from optimizer.routing.timing import schedule

    batch = generate_county(24, 5)
    plan = plan_batch(batch, time_limit_s=4.0)
    problem = compile_problem(batch)
    routes = engine_routes(problem, plan.routes)
    # Leave one served order out of the joined plan, as a part short of vehicles would.
    route = next(r for r in routes if len(r.nodes) > 4)
    dropped = {int(n) for n in route.nodes[1:3] if problem.node_order[n] >= 0}
    k = int(problem.node_order[next(iter(dropped))])
    pair = {int(n) for n in problem.pairs[k]}
    route.nodes = [n for n in route.nodes if n not in pair]
    times = schedule(problem, problem.node_times(), route.times[0], route.nodes)
    assert times is not None
    route.times = times
    short = _plan(problem, EngineResult(routes, 0.0, "test", 0.0), "test")
    assert short.kpis.orders_served == len(batch.orders) - 1
    better = _across_borders(problem, short, 2.0)
    assert better.kpis.orders_served == len(batch.orders)
    assert validate_plan(batch, better) == []
