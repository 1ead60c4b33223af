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
