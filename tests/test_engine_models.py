"""What the engines are told: the hub's last loading time, which perishable orders are
required, and one shelf-life margin shared with the pre-solve check."""

from __future__ import annotations

import math

import pytest

from optimizer.model import Batch
from optimizer.routing.engines import FRESHNESS_MARGIN_MIN
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.polish import exact_cost
from optimizer.routing.problem import compile_problem, freshness_deadlines
from optimizer.routing.pyvrp_engine import _problem_data, solve_pyvrp
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan


def _two_sites(
    hub_windows: list[dict], station: dict, orders: list[dict], products: list[dict] | None = None
) -> Batch:
    """A hub H with its collection centre C beside it and a station S 10 min (8 km)
    away; one truck type, paid by the hour."""
    return Batch.model_validate(
        {
            "sites": [
                {"id": "H", "kind": "hub", "lon": 0, "lat": 0, "time_windows": hub_windows},
                {"id": "C", "kind": "collection_centre", "lon": 0, "lat": 0},
                {"id": "S", "kind": "station", "lon": 0, "lat": 0, **station},
            ],
            "products": [{"id": "parcels", "category": "parcels"}, *(products or [])],
            "orders": orders,
            "fleet": [
                {
                    "id": "van",
                    "count": 2,
                    "capacity_kg": 1000,
                    "capacity_m3": 10,
                    "cost_per_km": 1.0,
                    "cost_per_hour": 60.0,
                    "fixed_cost": 100.0,
                    "shift_start": 360,
                    "shift_end": 1080,
                }
            ],
            "travel": {
                "mode": "matrix",
                "site_ids": ["H", "C", "S"],
                "km": [[0, 0, 8], [0, 0, 8], [8, 8, 0]],
                "minutes": [[0, 0, 10], [0, 0, 10], [10, 10, 0]],
            },
            "options": {"baseline": False, "seed": 1},
        }
    )


def test_pyvrp_hears_when_the_hub_stops_loading() -> None:
    """The hub loads only at 06:00 and the station opens at 07:00: PyVRP must start at
    06:00 and price the wait the plan pays, not start at 06:50."""
    batch = _two_sites(
        [{"start": 360, "end": 360}],
        {"time_windows": [{"start": 420, "end": 1000}], "service_min": 5},
        [{"id": "D1", "kind": "delivery", "site": "S", "product": "parcels", "kg": 50}],
    )
    problem = compile_problem(batch)
    result = solve_pyvrp(problem, 0.3, seed=1)
    assert len(result.routes) == 1
    assert result.routes[0].times[0] == pytest.approx(360.0)
    # PyVRP's objective now includes the waiting the validated plan pays for.
    assert result.objective == pytest.approx(exact_cost(problem, result.routes), abs=0.05)


def _strawberries(ready: float, shelf_life_h: float) -> Batch:
    return _two_sites(
        [],
        {"service_min": 5},
        [
            {
                "id": "P1",
                "kind": "pickup",
                "site": "S",
                "product": "berries",
                "kg": 50,
                "ready": ready,
            }
        ],
        [
            {
                "id": "berries",
                "category": "strawberry",
                "temperature_class": "ambient",
                "shelf_life_h": shelf_life_h,
                "q10": 1.0,
                "ref_temp_c": 20,
            }
        ],
    )


def test_required_perishable_orders_stay_required_in_pyvrp() -> None:
    """A required pickup with shelf life that a truck can serve alone reaches PyVRP as
    required, so that PyVRP cannot trade it for a truck's fixed cost."""
    batch = _strawberries(ready=400, shelf_life_h=4)
    problem = compile_problem(batch)
    assert check_feasibility(problem) == []
    data, _ = _problem_data(problem)
    steps = [*data.clients(), *data.shipments()] if hasattr(data, "shipments") else []
    steps = steps or list(data.clients())
    assert steps and all(step.required for step in steps)


def test_one_shelf_life_margin_from_check_to_plan() -> None:
    """An order with a fraction of a minute to spare passes the pre-solve check and is
    served; the engines hold back no more than the check does."""
    # The produce rides 15 min (5 service + 10 travel) from ready at 420, q10 = 1: a
    # shelf life of 15.3 min (min_freshness 0) leaves 0.3 min of slack.
    batch = _strawberries(ready=420, shelf_life_h=15.3 / 60)
    problem = compile_problem(batch)
    assert check_feasibility(problem) == []
    _, arrive_by = freshness_deadlines(problem, 0, FRESHNESS_MARGIN_MIN)
    assert arrive_by > 420 + 15  # the engines' deadline keeps the order servable
    plan = plan_batch(batch, time_limit_s=1.0)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    # And with less slack than the margin, the check refuses it up front.
    tight = _strawberries(ready=420, shelf_life_h=(15 + FRESHNESS_MARGIN_MIN / 2) / 60)
    assert check_feasibility(compile_problem(tight))
    assert math.isfinite(FRESHNESS_MARGIN_MIN)


def test_a_shift_shorter_than_pyvrps_time_unit_does_not_crash_it() -> None:
    """Found by the property test: a shift from 360.0005 to 360.0005 min rounds (start
    up, end down) to an empty PyVRP window, which PyVRP refused with a ValueError."""
    from optimizer.routing.pyvrp_engine import _problem_data

    batch = _two_sites(
        [{"start": 300, "end": 1000}],
        {"time_windows": [{"start": 420, "end": 1000}], "service_min": 5},
        [{"id": "D1", "kind": "delivery", "site": "S", "product": "parcels", "kg": 50}],
    )
    data = batch.model_dump(mode="json")
    data["fleet"][0]["shift_start"] = data["fleet"][0]["shift_end"] = 360.0005
    data["orders"] = [{"id": "P1", "kind": "pickup", "site": "S", "product": "parcels", "kg": 5}]
    _problem_data(compile_problem(Batch.model_validate(data)))  # no ValueError


def test_pyvrp_unloads_client_pickups_when_the_truck_reaches_the_centre() -> None:
    """Single-trip trucks from the hub end at the centre, whose unloading takes 15 min:
    PyVRP is charged that service on its way in, so its arrival there comes after it.
    The plan's unloading must start when the truck arrives, not 15 min later (which paid
    a quarter hour of waiting per route: 2 % of a fuel-and-wage family's cost)."""
    batch = _two_sites(
        [],
        {"service_min": 5},
        [
            {"id": "D1", "kind": "delivery", "site": "S", "product": "parcels", "kg": 50},
            {"id": "P1", "kind": "pickup", "site": "S", "product": "parcels", "kg": 80},
        ],
    )
    data = batch.model_dump()
    data["sites"][1]["service_min"] = 15
    data["fleet"][0] |= {"single_trip": True, "end": "C"}
    batch = Batch.model_validate(data)
    problem = compile_problem(batch)
    result = solve_pyvrp(problem, 0.3, seed=1)
    assert result.status == "success"
    plan = plan_batch(batch, time_limit_s=0.5, engine="pyvrp")
    assert validate_plan(batch, plan) == []
    centre = plan.routes[0].stops[-1]
    assert centre.site == "C"
    assert centre.start == pytest.approx(centre.arrival)
    assert centre.departure == pytest.approx(centre.arrival + 15)
    # What PyVRP priced is what the plan pays (its duration cost: no waiting at C).
    assert result.objective == pytest.approx(exact_cost(problem, result.routes), abs=0.05)
