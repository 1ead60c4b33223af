"""A km limit per route (``VehicleType.max_km``): schema, engines, search, validator,
and LKH-3 files with a ``DISTANCE`` limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.io.evaluate import evaluate
from optimizer.io.instances import depot_aliases, plan_routes, to_batch
from optimizer.io.lkh import read_lkh
from optimizer.model import Batch
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan


def _line(stations: int, max_km: float | None) -> Batch:
    """Stations 10 km apart on a line through the hub, half on each side; parcels for
    each. With four: one 80 km route serves all, or two 40 km routes."""
    n = stations + 1
    x = [0.0] + [10.0 * (1 + i // 2) * (1 if i % 2 == 0 else -1) for i in range(stations)]
    km = [[abs(a - b) for b in x] for a in x]
    return Batch.model_validate(
        {
            "sites": [
                {"id": "H", "kind": "hub", "lon": 0, "lat": 0},
                *({"id": f"S{i}", "kind": "station", "lon": 0, "lat": 0} for i in range(1, n)),
            ],
            "products": [{"id": "parcels", "category": "parcels"}],
            "orders": [
                {"id": f"D{i}", "kind": "delivery", "site": f"S{i}", "product": "parcels", "kg": 10}
                for i in range(1, n)
            ],
            "fleet": [
                {
                    "id": "ev",
                    "count": stations,
                    "capacity_kg": 1000,
                    "capacity_m3": 10,
                    "fixed_cost": 10,
                    **({} if max_km is None else {"max_km": max_km}),
                }
            ],
            "travel": {
                "mode": "matrix",
                "site_ids": ["H", *(f"S{i}" for i in range(1, n))],
                "km": km,
                "minutes": km,
            },
            "options": {"baseline": False, "seed": 1},
        }
    )


@pytest.mark.parametrize("engine", ["auto", "ortools"])
def test_routes_keep_within_the_km_limit(engine: str) -> None:
    free = plan_batch(_line(4, None), time_limit_s=1.0, engine=engine)
    assert len(free.routes) == 1 and free.routes[0].km == pytest.approx(80.0)
    batch = _line(4, 60.0)
    plan = plan_batch(batch, time_limit_s=1.0, engine=engine)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    assert all(r.km <= 60.0 + 1e-9 for r in plan.routes)
    assert len(plan.routes) == 2  # one side of the hub each


def test_validator_and_pre_solve_check_know_the_limit() -> None:
    plan = plan_batch(_line(4, None), time_limit_s=1.0)
    limited = _line(4, 60.0)
    kinds = {v.kind: v.message for v in validate_plan(limited, plan)}
    assert "shift" in kinds and "over the ev maximum of 60 km" in kinds["shift"]
    issues = check_feasibility(compile_problem(_line(4, 35.0)))
    assert [i.order for i in issues] == ["D3", "D4"]  # 40 km round trips
    assert "over the ev limit of 35 km" in issues[0].reason


SPD_WITH_LIMIT = """NAME : tiny-spd
TYPE : VRPSPD
DIMENSION : 4
CAPACITY : 100
DISTANCE : {limit}
VEHICLES : 3
EDGE_WEIGHT_TYPE : EXACT_2D
NODE_COORD_SECTION
1 0 0
2 10 0
3 0 10
4 -10 0
PICKUP_AND_DELIVERY_SECTION
1 0 0 1000 0 0 0
2 0 0 1000 {service} 5 5
3 0 0 1000 {service} 5 5
4 0 0 1000 {service} 5 5
DEPOT_SECTION
1
-1
EOF
"""


@pytest.mark.parametrize(("limit", "service"), [(45, 0), (55, 5)])
def test_lkh_distance_limit_is_held(tmp_path: Path, limit: float, service: float) -> None:
    """LKH-3's DISTANCE counts travel plus service: without service a km limit, with
    service (and no waiting) a duration limit on a clock of distance units."""
    path = tmp_path / "tiny.vrpspd"
    path.write_text(SPD_WITH_LIMIT.format(limit=limit, service=service))
    inst = read_lkh(path)
    assert inst.max_distance == limit
    batch = to_batch(inst)
    vt = batch.fleet[0]
    if service == 0:
        assert vt.max_km == limit
    else:
        assert vt.max_km is None and vt.max_duration_min == limit
    plan = plan_batch(batch, time_limit_s=1.0)
    assert validate_plan(batch, plan) == []
    ev = evaluate(inst, plan_routes(plan), depot_aliases=depot_aliases(inst))
    assert ev.feasible, ev.violations
    # All three on one route is 10 + 14.1 + 14.1 + 10 = 48.3 km (+15 service): too long.
    assert len(plan.routes) == 2
