"""min_used: at least so many vehicles of a type run; routes are split to get there."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from optimizer.model import Batch, VehicleType
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
from scenarios.generate import generate_county


def with_min_used(batch: Batch, vt_id: str, n: int) -> Batch:
    data = batch.model_dump(by_alias=True)
    for vt in data["fleet"]:
        if vt["id"] == vt_id:
            vt["min_used"] = n
    return Batch.model_validate(data)


def running(plan, vt_id: str) -> int:
    return sum(
        1
        for r in plan.routes
        if r.vehicle_type == vt_id and any(s.load or s.unload for s in r.stops)
    )


def test_routes_are_split_until_enough_vehicles_run() -> None:
    batch = generate_county(12, 1)
    plain = plan_batch(batch, time_limit_s=2.0, baseline=False)
    vt = max(batch.fleet, key=lambda v: running(plain, v.id))
    want = min(vt.count, running(plain, vt.id) + 2)
    forced = with_min_used(batch, vt.id, want)
    plan = plan_batch(forced, time_limit_s=2.0, baseline=False)
    assert validate_plan(forced, plan) == []
    assert running(plan, vt.id) >= want
    assert plan.kpis.required_unassigned == 0


def test_validator_counts_running_vehicles() -> None:
    batch = generate_county(12, 1)
    plan = plan_batch(batch, time_limit_s=1.0, baseline=False)
    vt = batch.fleet[0]
    forced = with_min_used(batch, vt.id, min(vt.count, running(plan, vt.id) + 1))
    assert "min_used" in {v.kind for v in validate_plan(forced, plan)}


def test_min_used_above_count_is_rejected() -> None:
    with pytest.raises(ValidationError, match="min_used 3 is more than count 2"):
        VehicleType(id="t", count=2, capacity_kg=1, capacity_m3=1, min_used=3)


def test_pyvrp_runs_every_vehicle_where_every_vehicle_must_run() -> None:
    """Classic VRPB fixes exactly K routes (``min_used`` = ``count``). PyVRP cannot hold
    a lower bound on the vehicles used; with a bonus on client-to-client arcs, its own
    routes run all K (GJB I4: 5 routes without it, against K = 6)."""
    from optimizer.io.instances import data_dir, read_instance
    from optimizer.routing.problem import compile_problem
    from optimizer.routing.pyvrp_engine import solve_pyvrp

    path = data_dir() / "vrpb_goetschalckx_jacobs_blecha" / "instances" / "I4.vrpb"
    if not path.exists():
        pytest.skip("no benchmark data")
    problem = compile_problem(read_instance(path, "lkh"))
    (vt,) = problem.batch.fleet
    assert vt.min_used == vt.count == 6
    result = solve_pyvrp(problem, 2.0, 1)
    assert result.status == "success"
    assert sum(len(r.nodes) > 2 for r in result.routes) == vt.count
    assert math.isnan(result.objective)  # PyVRP's distances hold the bonus: not a cost


def test_no_route_bonus_where_a_vehicle_may_stay_idle() -> None:
    from optimizer.routing.problem import compile_problem
    from optimizer.routing.pyvrp_engine import _problem_data, _route_bonus

    batch = generate_county(12, 1)
    problem = compile_problem(batch)
    data, _ = _problem_data(problem)
    distance = data.distance_matrix(0)
    assert _route_bonus(problem, distance, [0]) == 0
    forced = compile_problem(with_min_used(batch, batch.fleet[0].id, batch.fleet[0].count))
    assert len(batch.fleet) > 1 or not batch.fleet[0].single_trip  # others may stay idle
    assert _route_bonus(forced, distance, [0]) == 0
