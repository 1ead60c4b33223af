"""Odd but schema-valid batches: each one solves or is refused before solving with an
error naming the field (CLI exit 2), never a crash.

CLI runs happen in a subprocess, so that a solver that kills its process (a segfault in
an engine) fails the test instead of the test run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from optimizer.errors import input_errors
from optimizer.model import Batch
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from scenarios.generate import generate_county

REPO = Path(__file__).resolve().parents[1]

NO_VEHICLES = {
    "fleet": [{"capacity_kg": 1000, "capacity_m3": 5, "count": 0, "id": "0"}],
    "sites": [{"id": "0", "kind": "hub", "lat": 0, "lon": 0}],
}


def freshroute(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``freshroute ARGS`` (``python -m api.cli``) with this checkout first on the path."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
        check=False,
    )


def orders_without_vehicles() -> dict[str, Any]:
    data = generate_county(6, 1).model_dump(mode="json", by_alias=True)
    for vt in data["fleet"]:
        vt["count"] = vt["min_used"] = 0
    return data


def test_no_vehicles_and_no_orders_plans_to_an_empty_plan(tmp_path: Path) -> None:
    batch = tmp_path / "empty.json"
    batch.write_text(json.dumps(NO_VEHICLES))
    out = tmp_path / "out"
    done = freshroute("solve", str(batch), "--time-limit", "1", "--out", str(out), "--quiet")
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    plan = json.loads((out / "plan.json").read_text())
    assert plan["routes"] == [] and plan["orders"] == []
    assert plan["kpis"]["total_cost"] == 0


def test_orders_without_vehicles_are_refused_at_fleet(tmp_path: Path) -> None:
    data = orders_without_vehicles()
    issues = check_feasibility(compile_problem(Batch.model_validate(data)))
    assert [(i.path, i.order) for i in issues] == [("fleet", None)]
    assert "no vehicles" in issues[0].reason
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(data))
    done = freshroute("solve", str(batch), "--time-limit", "1", "--out", str(tmp_path / "o"))
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert "fleet: the fleet has no vehicles" in done.stderr
    assert "Traceback" not in done.stderr


def small() -> dict[str, Any]:
    data = generate_county(6, 1).model_dump(mode="json", by_alias=True)
    data["options"].update(time_limit_s=0.5, baseline=False)
    return data


def put(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


# Numbers the schema used to accept and an engine could not hold (issue 17): each is now
# refused at its path. The seed and the per-km cost were 202s that failed in the solver.
HOSTILE_NUMBERS: list[tuple[tuple[str | int, ...], Any, str]] = [
    (("options", "seed"), 18446744073709551616, "options.seed"),
    (("fleet", 0, "cost_per_km"), 1e300, "fleet[0].cost_per_km"),
    (("fleet", 0, "cost_per_hour"), 1e300, "fleet[0].cost_per_hour"),
    (("fleet", 0, "fixed_cost"), 1e300, "fleet[0].fixed_cost"),
    (("fleet", 0, "count"), 10**12, "fleet[0].count"),
    (("fleet", 0, "capacity_kg"), 1e300, "fleet[0].capacity_kg"),
    (("fleet", 0, "max_duration_min"), 1e300, "fleet[0].max_duration_min"),
    (("fleet", 0, "compartment_temp_c"), 1e6, "fleet[0].compartment_temp_c"),
    (("orders", 0, "kg"), 1e300, "orders[0].kg"),
    (("orders", 0, "ready"), -1e300, "orders[0].ready"),
    (("orders", 0, "penalty"), 1e300, "orders[0].penalty"),
    (("sites", 1, "service_min"), 1e300, "sites[1].service_min"),
    (("sites", 1, "storage_temp_c"), -1e6, "sites[1].storage_temp_c"),
    (("options", "ambient_temp_c"), 1e6, "options.ambient_temp_c"),
    (("options", "fuel_price_cny_per_l"), 1e300, "options.fuel_price_cny_per_l"),
    (("options", "weights", "distance"), 1e300, "options.weights.distance"),
    (("travel",), {"mode": "haversine", "speed_kmh": 1e-300}, "travel.speed_kmh"),
]


@pytest.mark.parametrize(("where", "value", "path"), HOSTILE_NUMBERS, ids=lambda x: str(x))
def test_numbers_an_engine_cannot_hold_are_refused_at_their_path(
    where: tuple[str | int, ...], value: Any, path: str
) -> None:
    data = put(small(), where, value)
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate(data)
    assert [line.split(": ")[0] for line in input_errors(caught.value)] == [path]


def test_a_matrix_entry_out_of_range_is_named(tmp_path: Path) -> None:
    data = small()
    ids = [s["id"] for s in data["sites"]]
    n = len(ids)
    km = [[0.0 if i == j else 10.0 for j in range(n)] for i in range(n)]
    km[1][2] = 1e300
    data["travel"] = {"mode": "matrix", "site_ids": ids, "km": km, "minutes": km}
    data["travel"]["minutes"] = [[0.0 if i == j else 10.0 for j in range(n)] for i in range(n)]
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate(data)
    assert [line.split(": ")[0] for line in input_errors(caught.value)] == ["travel.km[1][2]"]


def test_the_cli_refuses_a_seed_out_of_range_with_exit_2(tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(put(small(), ("options", "seed"), 2**64)))
    done = freshroute("solve", str(batch), "--out", str(tmp_path / "o"), "--quiet")
    assert done.returncode == 2 and "options.seed" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    batch.write_text(json.dumps(small()))
    done = freshroute("solve", str(batch), "--seed", str(2**64), "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "--seed" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    done = freshroute("solve", str(batch), "--time-limit", "1e300", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "--time-limit" in done.stderr, done.stderr[-2000:]


def test_more_vehicles_that_must_run_than_orders_is_refused_at_min_used(tmp_path: Path) -> None:
    # Was an InvalidPlan traceback: no plan can run a vehicle that has nothing to serve.
    data = {
        "sites": [{"id": "0", "kind": "hub", "lon": 0, "lat": 0}],
        "fleet": [{"id": "t", "count": 1, "capacity_kg": 1, "capacity_m3": 1, "min_used": 1}],
    }
    issues = check_feasibility(compile_problem(Batch.model_validate(data)))
    assert [(i.path, i.order) for i in issues] == [("fleet[0].min_used", None)]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(data))
    done = freshroute("solve", str(batch), "--time-limit", "1", "--out", str(tmp_path / "o"))
    assert done.returncode == 2 and "fleet[0].min_used" in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr


def test_a_matrix_with_a_non_zero_diagonal_is_refused() -> None:
    # Was a ValueError inside PyVRP ("Distance matrix diagonals must be all zero"), found by
    # the property test.
    data = small()
    ids = [s["id"] for s in data["sites"]]
    n = len(ids)
    km = [[0.0 if i == j else 10.0 for j in range(n)] for i in range(n)]
    minutes = [row[:] for row in km]
    km[2][2] = 1.0
    data["travel"] = {"mode": "matrix", "site_ids": ids, "km": km, "minutes": minutes}
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate(data)
    [line] = input_errors(caught.value)
    assert line == "travel: km[2][2]: a site's km to itself must be 0, not 1", line


def test_travel_without_a_mode_is_haversine_as_the_schema_says() -> None:
    # The schema gives every mode a default, so {} was valid there but a 422 from the
    # discriminator. Now haversine is the default mode, and the others must name theirs.
    for travel in ({}, {"circuity": 1.5}):
        batch = Batch.model_validate({**small(), "travel": travel})
        assert batch.travel.mode == "haversine"
    assert Batch.model_json_schema()["$defs"]["MatrixTravel"]["required"][0] == "mode"
    with pytest.raises(ValidationError):
        Batch.model_validate({**small(), "travel": {"site_ids": ["a"], "km": [[0]]}})


def test_lone_surrogates_are_input_errors_at_their_paths(tmp_path: Path) -> None:
    # Were a UnicodeEncodeError from pydantic (an error message quoting the string), or,
    # where no message quoted it, a traceback when the CLI wrote the plan; found by the
    # property test. JSON text can carry them ("\ud800"); UTF-8 cannot.
    data = small()
    data["products"][0]["category"] = "\ud800"
    with pytest.raises(ValidationError) as caught:
        Batch.model_validate(data)
    assert input_errors(caught.value) == [
        "products[0].category: string is not valid Unicode (lone surrogate)"
    ]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({**small(), "name": "x\ud800"}))  # ensure_ascii: "\ud800"
    done = freshroute("solve", str(batch), "--time-limit", "1", "--out", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "name: string is not valid Unicode (lone surrogate)" in done.stderr
    assert "Traceback" not in done.stderr
