"""freshroute's own search as an engine: valid plans from scratch, including what PyVRP
cannot express."""

from __future__ import annotations

import pytest

from optimizer.routing.problem import compile_problem
from optimizer.routing.pyvrp_engine import unsupported
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
from scenarios.generate import generate_county, with_fuel_rates


@pytest.mark.parametrize("seed", [1, 2])
def test_native_engine_plans_a_county_from_scratch(seed: int) -> None:
    batch = with_fuel_rates(generate_county(25, seed))
    plan = plan_batch(batch, time_limit_s=3.0, baseline=False, engine="native")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    assert plan.routes


def test_native_engine_holds_several_windows_a_site() -> None:
    """A station open in the morning and the afternoon: PyVRP cannot express it, the
    native search plans it."""
    batch = generate_county(12, 3)
    data = batch.model_dump(mode="json")
    station = next(s for s in data["sites"] if s["kind"] == "station")
    station["time_windows"] = [{"start": 0, "end": 600}, {"start": 780, "end": 1440}]
    batch = type(batch).model_validate(data)
    assert unsupported(compile_problem(batch)) is not None
    plan = plan_batch(batch, time_limit_s=3.0, baseline=False, engine="native")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0


def test_native_engine_keeps_single_trip_trucks_to_one_trip() -> None:
    data = generate_county(20, 4).model_dump(mode="json")
    for vt in data["fleet"]:
        vt["single_trip"] = True
    batch = type(generate_county(1, 1)).model_validate(data)
    plan = plan_batch(batch, time_limit_s=3.0, baseline=False, engine="native")
    assert validate_plan(batch, plan) == []  # the validator checks single trips
