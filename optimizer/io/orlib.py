"""Readers for the OR-Library facility-location benchmarks (p-median and capacitated).

The files are J.E. Beasley's OR-Library formats, as stored under ``$FRESHROUTE_DATA``
(``pmedian_orlib/`` and ``cflp_orlib/``). Readers return small dataclasses holding numpy
arrays, so the siting models can be fed directly and tested against the proven optima.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

__all__ = [
    "CFLPInstance",
    "PMedianInstance",
    "cflp_optima",
    "data_dir",
    "pmedian_optima",
    "read_cflp",
    "read_pmedian",
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """Benchmark data folder: ``$FRESHROUTE_DATA`` or ``../shared/data`` beside the repo."""
    env = os.environ.get("FRESHROUTE_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data").resolve()


@dataclass(frozen=True)
class PMedianInstance:
    """OR-Library p-median instance: every vertex is both a client and a candidate site."""

    name: str
    n: int
    p: int
    edges: np.ndarray  # (m, 3) int: i, j (0-based), cost; after last-wins de-duplication
    dist: np.ndarray  # (n, n) all-pairs shortest path lengths


@dataclass(frozen=True)
class CFLPInstance:
    """OR-Library capacitated warehouse location instance (Beasley 1988), split demand.

    ``cost[i, j]`` is the cost of serving the *whole* demand of customer ``j`` from
    facility ``i``; serving a fraction ``x`` of it costs ``x * cost[i, j]``.
    """

    name: str
    capacity: np.ndarray  # (m,)
    fixed_cost: np.ndarray  # (m,)
    demand: np.ndarray  # (n,)
    cost: np.ndarray  # (m, n)


def _tokens(path: Path) -> list[str]:
    return path.read_text().split()


def read_pmedian(path: str | Path) -> PMedianInstance:
    """Read ``pmedN.txt`` (``n m p`` then ``i j cost`` lines) and compute shortest paths.

    The graph is undirected; when an edge is listed more than once the last line counts
    (the OR-Library rule), whichever direction it is written in.
    """
    path = Path(path)
    tok = _tokens(path)
    n, m, p = (int(t) for t in tok[:3])
    raw = np.asarray(tok[3 : 3 + 3 * m], dtype=float).reshape(m, 3)
    if raw.shape[0] != m:
        raise ValueError(f"{path.name}: expected {m} edges, found {raw.shape[0]}")
    i = raw[:, 0].astype(np.int64) - 1
    j = raw[:, 1].astype(np.int64) - 1
    w = raw[:, 2]
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
    lo, hi, w = lo[keep], hi[keep], w[keep]
    key = lo * n + hi
    # np.unique on the reversed keys finds each key's last occurrence in file order.
    _, first_rev = np.unique(key[::-1], return_index=True)
    last = np.sort(len(key) - 1 - first_rev)
    lo, hi, w = lo[last], hi[last], w[last]
    # Zero-cost edges would vanish from a sparse graph; a tiny weight keeps them, then round.
    graph = csr_matrix((np.where(w == 0, 1e-12, w), (lo, hi)), shape=(n, n))
    dist = shortest_path(graph, method="D", directed=False)
    if np.all(w == np.round(w)):
        dist = np.round(dist)
    edges = np.column_stack([lo, hi, w]).astype(np.int64 if np.all(w == np.round(w)) else float)
    return PMedianInstance(name=path.stem, n=n, p=p, edges=edges, dist=dist)


def read_cflp(path: str | Path, capacity: float | None = None) -> CFLPInstance:
    """Read ``capNNN.txt`` / ``capa.txt``: ``m n``, m ``capacity fixed`` lines, then per
    customer its demand followed by m allocation costs (lines may wrap).

    In capa/capb/capc the capacity field is the word ``capacity``: pass ``capacity`` (the
    value from ``capopt.txt``); it also overrides numeric capacities when given.
    """
    path = Path(path)
    tok = _tokens(path)
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    cap = np.empty(m)
    fixed = np.empty(m)
    for i in range(m):
        c, f = tok[pos], tok[pos + 1]
        pos += 2
        if c.lower() == "capacity":
            if capacity is None:
                raise ValueError(f"{path.name}: capacity is symbolic; pass capacity=")
            cap[i] = capacity
        else:
            cap[i] = float(c)
        fixed[i] = float(f)
    body = np.asarray(tok[pos : pos + n * (m + 1)], dtype=float)
    if body.size != n * (m + 1):
        raise ValueError(f"{path.name}: expected {n * (m + 1)} customer numbers, got {body.size}")
    body = body.reshape(n, m + 1)
    if capacity is not None:
        cap[:] = capacity
    return CFLPInstance(
        name=path.stem,
        capacity=cap,
        fixed_cost=fixed,
        demand=body[:, 0].copy(),
        cost=np.ascontiguousarray(body[:, 1:].T),
    )


@dataclass(frozen=True)
class OptimumRow:
    """One row of an ``optimal.csv``: instance id, file stem, optimum, capacity override."""

    instance: str
    file: str
    optimum: float
    p: int | None = None
    capacity: float | None = None


def pmedian_optima(root: str | Path | None = None) -> list[OptimumRow]:
    """Rows of ``pmedian_orlib/optimal.csv`` (instance, p, proven optimum)."""
    path = Path(root or data_dir()) / "pmedian_orlib" / "optimal.csv"
    with path.open(newline="") as fh:
        return [
            OptimumRow(r["instance"], r["instance"], float(r["optimal_value"]), p=int(r["p"]))
            for r in csv.DictReader(fh)
        ]


def cflp_optima(root: str | Path | None = None) -> list[OptimumRow]:
    """Rows of ``cflp_orlib/optimal.csv``; capa/b/c appear once per capacity from capopt."""
    path = Path(root or data_dir()) / "cflp_orlib" / "optimal.csv"
    with path.open(newline="") as fh:
        return [
            OptimumRow(
                r["instance"],
                r["file"],
                float(r["optimal_value"]),
                capacity=float(r["capacity_override"]) if r["capacity_override"] else None,
            )
            for r in csv.DictReader(fh)
        ]
