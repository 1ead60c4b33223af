"""Reader for Li & Lim's PDPTW instances and SINTEF's detailed solutions.

Instance: line 1 is ``K Q speed``; then one row per node, ``id x y demand earliest latest
service pickup_sibling delivery_sibling``. Node 0 is the depot. A pickup has demand > 0
and its delivery sibling set; a delivery has demand < 0 and its pickup sibling set.
Distances are Euclidean in double precision; travel time is distance / speed (the speed
field is 0 in 10 of the 56 files; every published evaluation, and the BKS, use speed 1).
Solution (``bks_solutions_sintef/*.txt``): ``Route k : id id ...`` lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optimizer.io.evaluate import BenchmarkInstance
from optimizer.io.solomon import euclidean

__all__ = ["read_lilim", "read_sintef_solution"]

_ROUTE = re.compile(r"^\s*Route\s+\d+\s*:(.*)$")


def read_lilim(path: str | Path) -> BenchmarkInstance:
    """A Li & Lim instance with its (pickup, delivery) pairs."""
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    vehicles, capacity, speed = int(lines[0][0]), float(lines[0][1]), float(lines[0][2])
    speed = speed if speed > 0 else 1.0
    rows = np.array([[float(t) for t in ln[:9]] for ln in lines[1:]])
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    n = len(rows)
    ids = [str(int(v)) for v in rows[:, 0]]
    pos = {int(v): i for i, v in enumerate(rows[:, 0])}
    coords = rows[:, 1:3]
    dist = euclidean(coords)
    demand = rows[:, 3]
    pairs = []
    for i in range(n):
        if demand[i] > 0:
            d = pos[int(rows[i, 8])]
            if int(rows[d, 7]) != int(rows[i, 0]) or demand[d] != -demand[i]:
                raise ValueError(f"{path}: node {ids[i]} and {ids[d]} are not a matching pair")
            pairs.append((i, d))
    return BenchmarkInstance(
        name=Path(path).stem,
        kind="pdptw",
        node_ids=ids,
        depot=pos[0],
        distance=dist,
        duration=dist / speed,
        delivery=np.zeros(n),
        pickup=np.maximum(demand, 0.0),
        capacity=capacity,
        vehicles=vehicles,
        coords=coords,
        service=rows[:, 6].copy(),
        windows=rows[:, 4:6].copy(),
        pairs=np.array(pairs, dtype=np.int64).reshape(-1, 2),
        path=str(path),
        notes=["Li & Lim PDPTW, double distances; travel time = distance / speed"],
    )


def read_sintef_solution(path: str | Path) -> list[list[str]]:
    """Routes of a SINTEF detailed solution file, as node ids."""
    routes = []
    for line in Path(path).read_text().splitlines():
        match = _ROUTE.match(line)
        if match:
            routes.append(match[1].split())
    return routes
