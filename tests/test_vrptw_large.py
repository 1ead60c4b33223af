"""The generated VRPTW instances of ``benchmarks/vrptw_large.py``: readable as Solomon
files, reproducible by seed, every window keepable by a truck from the depot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.vrptw_large import instance_text, paired
from optimizer.io.solomon import read_solomon


@pytest.mark.parametrize("kind", ["R", "C", "RC"])
def test_generated_instances_are_keepable_solomon_files(kind: str, tmp_path: Path) -> None:
    text = instance_text(kind, 200, seed=3)
    assert text == instance_text(kind, 200, seed=3)
    assert text != instance_text(kind, 200, seed=4)
    path = tmp_path / f"{kind}.txt"
    path.write_text(text)
    inst = read_solomon(path)
    assert len(inst.node_ids) == 201 and inst.capacity == 200
    ready, due = inst.windows[1:, 0], inst.windows[1:, 1]
    reach = inst.distance[0, 1:]
    horizon = inst.windows[0, 1]
    assert (ready <= due).all()
    assert (due >= reach - 1).all()  # a truck leaving at 0 arrives in time (coords rounded)
    assert (due + inst.service[1:] + inst.distance[1:, 0] <= horizon + 1).all()
    assert 0.6 < (due - ready <= 240).mean() < 0.9  # 75 % with a window, the rest open
    assert (inst.delivery[1:] > 0).all() and np.isclose(inst.delivery[0], 0)


def test_paired_rows_ratio_only_where_both_are_feasible() -> None:
    runs = [
        {
            "instance": "A",
            "seed": 1,
            "engine": "freshroute",
            "distance": 99.0,
            "feasible": True,
            "routes": 3,
            "seconds": 1.0,
        },
        {
            "instance": "A",
            "seed": 1,
            "engine": "pyvrp",
            "distance": 100.0,
            "feasible": True,
            "routes": 3,
            "seconds": 1.0,
        },
        {
            "instance": "B",
            "seed": 1,
            "engine": "freshroute",
            "distance": 90.0,
            "feasible": True,
            "routes": 3,
            "seconds": 1.0,
        },
        {
            "instance": "B",
            "seed": 1,
            "engine": "pyvrp",
            "distance": 80.0,
            "feasible": False,
            "routes": 2,
            "seconds": 1.0,
        },
    ]
    rows = paired(runs)
    assert [r["ratio"] for r in rows] == [0.99, "–"]
    assert rows[1]["pyvrp_km"] == "80.0 (infeasible)"
