"""Reader for VRPLIB / CVRPLIB instances and solutions (the ``vrplib`` package).

Distances follow the file's ``EDGE_WEIGHT_TYPE`` as TSPLIB defines it: ``EUC_2D`` is
rounded to the nearest integer (the CVRPLIB X convention), ``CEIL_2D`` rounded up,
``EXACT_2D`` (and ``FLOOR_2D``) as named, ``EXPLICIT`` as given. Node ids are the file's
1-based ids. Time windows and service times are read when present (VRPTW in VRPLIB form).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import vrplib

from optimizer.io.evaluate import BenchmarkInstance
from optimizer.io.solomon import euclidean

__all__ = ["min_vehicles", "read_vrplib", "read_vrplib_solution"]

_ROUNDING = {
    "EUC_2D": lambda d: np.floor(d + 0.5),
    "CEIL_2D": np.ceil,
    "FLOOR_2D": np.floor,
    "EXACT_2D": lambda d: d,
}


def read_vrplib(path: str | Path) -> BenchmarkInstance:
    """A VRPLIB instance (CVRP, or VRPTW when it has a ``TIME_WINDOW_SECTION``)."""
    raw = vrplib.read_instance(str(path), compute_edge_weights=False)
    n = int(raw["dimension"])
    kind = str(raw.get("edge_weight_type", "EXPLICIT")).upper()
    coords = np.asarray(raw["node_coord"], dtype=float) if "node_coord" in raw else None
    if kind == "EXPLICIT":
        raw = vrplib.read_instance(str(path))
        dist = np.asarray(raw["edge_weight"], dtype=float)
    elif kind in _ROUNDING and coords is not None:
        dist = _ROUNDING[kind](euclidean(coords))
    else:
        raise ValueError(f"{path}: EDGE_WEIGHT_TYPE {kind} is not supported")
    np.fill_diagonal(dist, 0.0)
    depots = np.atleast_1d(raw.get("depot", [0]))
    if len(depots) != 1:
        raise ValueError(f"{path}: {len(depots)} depots; one is supported")
    demand = np.asarray(raw.get("demand", np.zeros(n)), dtype=float)
    has_times = "time_window" in raw
    service = raw.get("service_time", 0.0)
    return BenchmarkInstance(
        name=str(raw.get("name") or Path(path).stem).strip(),
        kind="vrptw" if has_times else "cvrp",
        node_ids=[str(i + 1) for i in range(n)],
        depot=int(depots[0]),
        distance=dist,
        duration=dist.copy() if has_times else None,
        delivery=demand,
        pickup=np.zeros(n),
        capacity=float(raw["capacity"]),
        vehicles=int(raw.get("vehicles", 0)),
        coords=coords,
        service=np.broadcast_to(np.asarray(service, dtype=float), (n,)).copy(),
        windows=np.asarray(raw["time_window"], dtype=float) if has_times else None,
        path=str(path),
        notes=[f"VRPLIB {kind} distances"],
    )


def min_vehicles(inst: BenchmarkInstance) -> int:
    """Fewest routes the demand needs: the name's ``-k<K>`` or ⌈total / capacity⌉."""
    match = re.search(r"-k(\d+)", inst.name)
    by_load = math.ceil(float(inst.delivery.sum()) / inst.capacity - 1e-9)
    return max(int(match[1]) if match else 0, by_load)


def read_vrplib_solution(path: str | Path, inst: BenchmarkInstance) -> list[list[str]]:
    """Routes of a CVRPLIB ``.sol`` file as node ids of ``inst``.

    ``.sol`` files number customers by position with the depot as 0 (Solomon customer
    numbers, or VRPLIB id − 1), so position k is ``inst.node_ids[k]``.
    """
    sol = vrplib.read_solution(str(path))
    return [[inst.node_ids[int(k)] for k in route] for route in sol["routes"]]
