"""Independent double-precision evaluator of routing-benchmark solutions.

A ``BenchmarkInstance`` is a benchmark file as the file states it (nodes, the distance
convention's matrix, amounts, windows, fleet and the problem's rules), independent of
freshroute's batch schema. ``evaluate`` recomputes a solution from it alone: coverage,
distance, time windows, capacity (load profile), pairing and precedence (PDPTW),
deliveries first and no backhaul-only routes (VRPB), fleet size and route length. It
shares no code with the engines or with ``optimizer/validate.py``, so it catches errors
in the readers, the batch compilation and the solvers alike.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["BenchmarkInstance", "Evaluation", "ProblemKind", "evaluate"]

ProblemKind = Literal["cvrp", "vrptw", "vrpspd", "vrpb", "vrpbtw", "pdptw"]

TIME_TOL = 1e-6  # minutes; windows are checked in double precision up to this
LOAD_TOL = 1e-9


@dataclass
class BenchmarkInstance:
    """One benchmark instance in its own terms (indices are positions in ``node_ids``).

    ``delivery`` is loaded at the depot (linehaul, VRPSPD delivery); ``pickup`` goes back
    to the depot (backhaul, VRPSPD pickup). PDPTW instead has ``pairs`` (pickup node,
    delivery node) whose amount ``pickup[p]`` rides from p to d; there ``delivery`` is 0.
    ``duration``/``windows`` are None when the format has no times.
    """

    name: str
    kind: ProblemKind
    node_ids: list[str]
    depot: int
    distance: np.ndarray  # (n, n) in the benchmark's distance convention, double
    delivery: np.ndarray  # (n,)
    pickup: np.ndarray  # (n,)
    capacity: float
    vehicles: int  # fleet size; 0 = not limited by the file
    coords: np.ndarray | None = None  # (n, 2) x, y as in the file
    duration: np.ndarray | None = None  # (n, n) travel times
    service: np.ndarray | None = None  # (n,)
    windows: np.ndarray | None = None  # (n, 2) earliest and latest service start
    pairs: np.ndarray | None = None  # PDPTW: (m, 2) pickup node, delivery node
    fixed_fleet: bool = False  # exactly ``vehicles`` routes (classic VRPB)
    backhaul_only_routes: bool = True  # False: every route with backhauls has a linehaul
    max_distance: float | None = None  # route length limit
    path: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.node_ids)

    @property
    def customers(self) -> list[int]:
        return [i for i in range(self.n) if i != self.depot]

    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.node_ids)}


@dataclass
class Evaluation:
    """What a solution costs and which benchmark rules it breaks (empty: feasible)."""

    distance: float
    routes: int  # trips from the depot back to it
    violations: list[str]
    reloads: int = 0  # mid-route depot visits in the input (each starts another trip)

    @property
    def feasible(self) -> bool:
        return not self.violations


def evaluate(
    inst: BenchmarkInstance,
    routes: Iterable[Sequence[str]],
    *,
    depot_aliases: Iterable[str] = (),
    time_tol: float = TIME_TOL,
) -> Evaluation:
    """Distance and violations of ``routes``, each a list of node ids (file ids).

    A route may start and end with the depot (or an alias, e.g. a collection centre
    co-located with it). A depot visit inside a route (a freshroute reload) splits it into
    trips, each judged as a route of its own: the same arcs, and a separate vehicle could
    leave the depot when the trip did, so the trips are a benchmark solution exactly when
    their number fits the fleet. Consecutive visits to one node count as one visit (a
    freshroute plan stops twice at a VRPSPD customer: unload, then load); other repeat
    visits break coverage, and the loads of their routes are not checked (which visit
    moved which amount is not known).
    """
    index = inst.index()
    depot_ids = {inst.node_ids[inst.depot], *depot_aliases}
    violations: list[str] = []
    parsed: list[list[int]] = []
    reloads = 0
    for r, route in enumerate(routes):
        nodes: list[int] = []
        for site in route:
            if site in depot_ids:
                node = inst.depot
            elif site in index:
                node = index[site]
            else:
                violations.append(f"route {r}: unknown node '{site}'")
                continue
            if not nodes or nodes[-1] != node:
                nodes.append(node)
        trip: list[int] = []
        for node in [*nodes, inst.depot]:
            if node != inst.depot:
                trip.append(node)
            elif trip:
                parsed.append(trip)
                trip = []
        reloads += sum(1 for v in nodes[1:-1] if v == inst.depot)

    violations += _coverage(inst, parsed)
    counts = np.bincount([v for nodes in parsed for v in nodes], minlength=inst.n)
    total = 0.0
    for r, nodes in enumerate(parsed):
        path = [inst.depot, *nodes, inst.depot]
        length = float(sum(inst.distance[a, b] for a, b in itertools.pairwise(path)))
        total += length
        if inst.max_distance is not None:
            # LKH-3's DISTANCE counts travel plus customer service (its Penalty_VRPPD.c).
            served = float(inst.service[nodes].sum()) if inst.service is not None else 0.0
            if length + served > inst.max_distance * (1 + 1e-12):
                msg = f"route {r}: length {length:.4f} + service {served:g} > limit "
                violations.append(msg + f"{inst.max_distance:g}")
        violations += [f"route {r}: {v}" for v in _times(inst, path, time_tol)]
        if all(counts[v] == 1 for v in nodes):  # split visits: amounts per visit unknown
            violations += [f"route {r}: {v}" for v in _loads(inst, path)]
        violations += [f"route {r}: {v}" for v in _rules(inst, nodes)]
    if inst.vehicles and len(parsed) > inst.vehicles:
        violations.append(f"{len(parsed)} routes, fleet has {inst.vehicles}")
    if inst.fixed_fleet and len(parsed) != inst.vehicles:
        violations.append(f"{len(parsed)} routes, the instance fixes exactly {inst.vehicles}")
    return Evaluation(total, len(parsed), violations, reloads)


def _coverage(inst: BenchmarkInstance, routes: list[list[int]]) -> list[str]:
    seen: dict[int, int] = {}
    for nodes in routes:
        for v in nodes:
            if v != inst.depot:
                seen[v] = seen.get(v, 0) + 1
    out = [f"node {inst.node_ids[v]} visited {k}×" for v, k in seen.items() if k > 1]
    missing = [inst.node_ids[v] for v in inst.customers if v not in seen]
    if missing:
        out.append(f"{len(missing)} nodes not visited: {', '.join(missing[:10])}")
    return out


def _times(inst: BenchmarkInstance, path: list[int], tol: float) -> list[str]:
    """Earliest-start schedule along ``path``; lateness beyond ``tol`` is a violation."""
    if inst.duration is None or inst.windows is None:
        return []
    service = inst.service if inst.service is not None else np.zeros(inst.n)
    out = []
    t = float(inst.windows[inst.depot, 0])
    for a, b in itertools.pairwise(path):
        t = t + float(service[a]) + float(inst.duration[a, b])
        early, late = (float(x) for x in inst.windows[b])
        if t > late + tol:
            out.append(f"node {inst.node_ids[b]} served at {t:.6f} > latest {late:g}")
        t = max(t, early)
    return out


def _loads(inst: BenchmarkInstance, path: list[int]) -> list[str]:
    """Load on board leaving the depot (all deliveries) and after every stop."""
    out = []
    cap = inst.capacity + LOAD_TOL
    trip = path[1:-1]
    load = float(sum(inst.delivery[v] for v in trip))
    if load > cap:
        out.append(f"starts with {load:g} > capacity {inst.capacity:g}")
    for v in trip:
        load += float(inst.pickup[v]) - float(inst.delivery[v])
        if inst.pairs is not None:
            load -= _paired_amount(inst, v)
        if load > cap:
            out.append(f"load {load:g} > capacity {inst.capacity:g} after {inst.node_ids[v]}")
    return out


def _paired_amount(inst: BenchmarkInstance, v: int) -> float:
    """PDPTW: the amount unloaded at a delivery node (its pickup's amount)."""
    assert inst.pairs is not None
    hit = np.flatnonzero(inst.pairs[:, 1] == v)
    return float(inst.pickup[inst.pairs[hit[0], 0]]) if len(hit) else 0.0


def _rules(inst: BenchmarkInstance, nodes: list[int]) -> list[str]:
    out = []
    if inst.kind in ("vrpb", "vrpbtw"):
        back = [inst.pickup[v] > 0 for v in nodes if v != inst.depot]
        if any(a and not b for a, b in itertools.pairwise(back)):
            out.append("a linehaul after a backhaul")
        if back and all(back) and not inst.backhaul_only_routes:
            out.append("backhauls only (the instance requires a linehaul on every route)")
    if inst.pairs is not None:
        pos = {v: i for i, v in enumerate(nodes)}
        for p, d in inst.pairs:
            if (p in pos) != (d in pos):
                out.append(f"pair {inst.node_ids[p]}→{inst.node_ids[d]} split across routes")
            elif p in pos and pos[p] > pos[d]:
                out.append(f"pair {inst.node_ids[p]}→{inst.node_ids[d]}: delivery before pickup")
    return out
