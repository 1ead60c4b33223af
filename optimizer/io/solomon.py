"""Reader for Solomon's VRPTW instances (C1, C2, R1, R2, RC1, RC2).

Parsed with the ``vrplib`` package (``instance_format="solomon"``). Two distance
conventions exist (``../shared/data/README.md``):

- ``double``: Euclidean distances and travel times in double precision, the convention of
  the hierarchical SINTEF table and of freshroute's own evaluation;
- ``dimacs``: each distance and travel time truncated to one decimal, ``floor(10·d)/10``,
  the convention of the DIMACS 2021 / CVRPLIB proven optima.

Node ids are Solomon's customer numbers, the depot being ``"0"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import vrplib

from optimizer.io.evaluate import BenchmarkInstance

__all__ = ["euclidean", "read_solomon"]

Convention = Literal["double", "dimacs"]


def euclidean(coords: np.ndarray) -> np.ndarray:
    """All-pairs Euclidean distances in double precision."""
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=-1))


def read_solomon(path: str | Path, convention: Convention = "double") -> BenchmarkInstance:
    """A Solomon instance; distances and travel times (speed 1) under ``convention``."""
    raw = vrplib.read_instance(str(path), instance_format="solomon")
    coords = np.asarray(raw["node_coord"], dtype=float)
    dist = euclidean(coords)
    if convention == "dimacs":
        dist = np.floor(10 * dist + 1e-9) / 10
    elif convention != "double":
        raise ValueError(f"unknown convention '{convention}' (double or dimacs)")
    n = len(coords)
    return BenchmarkInstance(
        name=str(raw.get("name") or Path(path).stem),
        kind="vrptw",
        node_ids=[str(i) for i in range(n)],
        depot=0,
        distance=dist,
        duration=dist.copy(),
        delivery=np.asarray(raw["demand"], dtype=float),
        pickup=np.zeros(n),
        capacity=float(raw["capacity"]),
        vehicles=int(raw["vehicles"]),
        coords=coords,
        service=np.asarray(raw["service_time"], dtype=float),
        windows=np.asarray(raw["time_window"], dtype=float),
        path=str(path),
        notes=[f"Solomon, {convention} distances; travel time = distance"],
    )
