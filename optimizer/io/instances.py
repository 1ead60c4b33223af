"""Routing benchmarks as freshroute batches: one dispatcher, one compilation.

``read_benchmark`` parses a file into a ``BenchmarkInstance`` (the file's own terms, which
``evaluate.py`` checks solutions against); ``to_batch`` compiles it into the ordinary batch
schema, so the solver sees a benchmark exactly as it sees a county:

- travel is a ``matrix`` over the file's node ids (double precision, the benchmark's
  convention); minutes are the file's travel times, or, for formats without times, km
  scaled so that any route fits the 7-day clock (no windows depend on them);
- the depot is the hub; when there are pickups or backhauls, a collection centre
  ``<depot>-cc`` sits on the depot (same lon/lat, 0 km and 0 minutes to it);
- every customer is a single-visit station: a delivery order (hub→station) for its
  delivery/linehaul amount and a pickup order (station→centre) for its pickup/backhaul
  amount, both served in one stop; vehicles end at the centre. A Li & Lim request is a
  transfer order from its pickup station to its delivery station;
- one product (``parcels``, not perishable) and one vehicle type: the file's fleet, 1 CNY
  per km and nothing else, shift = the depot's window;
- classic VRPB's rules: all K vehicles run (``min_used``), and a leg from the depot
  straight to a backhaul costs 10× the longest arc (every route starts with a linehaul).
"""

from __future__ import annotations

import math
import os
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from optimizer.io.evaluate import BenchmarkInstance
from optimizer.io.lilim import read_lilim
from optimizer.io.lkh import read_lkh
from optimizer.io.solomon import read_solomon
from optimizer.io.vrplib_reader import min_vehicles, read_vrplib
from optimizer.model import Batch
from optimizer.plan import Plan

__all__ = [
    "FORMATS",
    "centre_id",
    "data_dir",
    "depot_aliases",
    "fleet_size",
    "plan_routes",
    "read_benchmark",
    "read_instance",
    "routes_to_plan",
    "to_batch",
]

Format = Literal["solomon", "vrplib", "lkh", "lilim"]
FORMATS: tuple[str, ...] = typing.get_args(Format)
REPO_ROOT = Path(__file__).resolve().parents[2]
CLOCK_MAX = 7 * 1440.0  # the batch schema's clock range, minutes
PRODUCT = "parcels"
VEHICLE_TYPE = "veh"
LARGE_M3 = 1e6


def data_dir() -> Path:
    """Benchmark data folder: ``$FRESHROUTE_DATA`` or ``../shared/data`` beside the repo."""
    env = os.environ.get("FRESHROUTE_DATA")
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "data").resolve()


def read_benchmark(path: str | Path, fmt: Format) -> BenchmarkInstance:
    """Parse a benchmark file (``fmt``: solomon, vrplib, lkh or lilim)."""
    readers = {"solomon": read_solomon, "vrplib": read_vrplib, "lkh": read_lkh, "lilim": read_lilim}
    if fmt not in readers:
        raise ValueError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    return readers[fmt](path)


def read_instance(path: str | Path, fmt: Format) -> Batch:
    """A benchmark file as a freshroute batch."""
    return to_batch(read_benchmark(path, fmt))


def centre_id(inst: BenchmarkInstance) -> str:
    """Id of the collection centre co-located with the depot."""
    return f"{inst.node_ids[inst.depot]}-cc"


def fleet_size(inst: BenchmarkInstance) -> int:
    """The file's fleet; for files without one (CVRPLIB), ample: ⌈1.25·k⌉ + 2."""
    if inst.vehicles > 0:
        return inst.vehicles
    return math.ceil(1.25 * min_vehicles(inst)) + 2


def to_batch(inst: BenchmarkInstance) -> Batch:
    """Compile a benchmark instance into the batch schema (see the module docstring)."""
    timed = inst.duration is not None and inst.windows is not None
    limits = _route_limits(inst)
    with_centre = inst.kind != "pdptw" and bool(np.any(inst.pickup > 0))
    ids = list(inst.node_ids) + ([centre_id(inst)] if with_centre else [])
    km = _with_centre(inst.distance, inst.depot, with_centre)
    if inst.fixed_fleet:
        # Classic VRPB: every route starts with a linehaul. A leg from the depot straight
        # to a backhaul costs 10× the longest arc, so no plan drives one where it can
        # avoid it (the benchmark's own distances judge the routes).
        back = np.flatnonzero((inst.pickup > 0) & (inst.delivery <= 0))
        km[inst.depot, back] += 10 * float(inst.distance.max())
    if timed:
        assert inst.duration is not None
        minutes = _with_centre(inst.duration, inst.depot, with_centre)
    else:
        minutes = km * _time_factor(inst.distance)
    lon, lat = _display_coords(inst)
    service = inst.service if inst.service is not None else np.zeros(inst.n)
    windows = inst.windows if timed else None
    if windows is not None and float(windows.max()) > CLOCK_MAX:
        raise ValueError(f"{inst.name}: windows run past the schema's 7-day clock")

    def site(i: int, kind: str) -> dict:
        out: dict = {
            "id": inst.node_ids[i],
            "kind": kind,
            "lon": lon[i],
            "lat": lat[i],
            "service_min": float(service[i]) if kind == "station" else 0.0,
        }
        if windows is not None:
            out["time_windows"] = [{"start": float(windows[i, 0]), "end": float(windows[i, 1])}]
        if kind == "station":
            out["single_visit"] = True  # the benchmarks visit each customer once
        return out

    sites = [site(inst.depot, "hub")]
    if with_centre:
        sites.append({**site(inst.depot, "collection_centre"), "id": centre_id(inst)})
        sites[-1].pop("time_windows", None)
    sites += [site(i, "station") for i in inst.customers]
    shift = (0.0, CLOCK_MAX) if windows is None else tuple(float(x) for x in windows[inst.depot])
    data = {
        "schema": "freshroute.batch/v1",
        "name": inst.name,
        "sites": sites,
        "products": [{"id": PRODUCT, "category": "parcels"}],
        "orders": _transfer_orders(inst) if inst.kind == "pdptw" else _orders(inst),
        "fleet": [
            {
                "id": VEHICLE_TYPE,
                "count": fleet_size(inst),
                "capacity_kg": inst.capacity,
                "capacity_m3": LARGE_M3,
                "cost_per_km": 1.0,
                "cost_per_hour": 0.0,
                "fixed_cost": 0.0,
                "shift_start": shift[0],
                "shift_end": shift[1],
                "max_duration_min": CLOCK_MAX,
                **limits,
                "single_trip": True,  # classic sets: one tour per vehicle, no reloads
                # Classic VRPB (no windows) fixes exactly K routes: all K trucks run.
                **({"min_used": fleet_size(inst)} if inst.fixed_fleet else {}),
                **({"end": centre_id(inst)} if with_centre else {}),  # pickups ride home
            }
        ],
        "travel": {
            "mode": "matrix",
            "site_ids": ids,
            "km": km.tolist(),
            "minutes": minutes.tolist(),
        },
        "options": {
            "backhaul": "deliveries_first" if inst.kind in ("vrpb", "vrpbtw") else "mixed",
            "baseline": False,
        },
    }
    return Batch.model_validate(data)


def _route_limits(inst: BenchmarkInstance) -> dict[str, float]:
    """A file's route-length limit as a vehicle type's: LKH-3's ``DISTANCE`` counts
    travel plus customer service. Without service it is ``max_km``; with service but no
    binding windows (every window the depot's: no waiting) it is ``max_duration_min`` on
    a clock where a minute is a unit of distance. With waiting possible it cannot be
    expressed (a duration counts waiting, LKH-3's rule does not)."""
    if inst.max_distance is None:
        return {}
    if inst.service is None or not np.any(inst.service > 0):
        return {"max_km": inst.max_distance}
    assert inst.windows is not None and inst.duration is not None
    if np.all(inst.windows == inst.windows[inst.depot]) and np.array_equal(
        inst.duration, inst.distance
    ):
        return {"max_duration_min": inst.max_distance}
    raise NotImplementedError(
        f"{inst.name}: route-length limit {inst.max_distance:g} counts service but not "
        "waiting, and this file's windows make trucks wait: not expressible as max_km or "
        "max_duration_min"
    )


def _orders(inst: BenchmarkInstance) -> list[dict]:
    """Delivery (hub→station) and pickup (station→centre) orders per customer."""
    orders = []
    for i in inst.customers:
        sid = inst.node_ids[i]
        d, p = float(inst.delivery[i]), float(inst.pickup[i])
        if d > 0 or p <= 0:  # a customer with nothing to move still gets its visit
            orders.append(
                {"id": f"D{sid}", "kind": "delivery", "site": sid, "product": PRODUCT, "kg": d}
            )
        if p > 0:
            orders.append(
                {"id": f"P{sid}", "kind": "pickup", "site": sid, "product": PRODUCT, "kg": p}
            )
    return orders


def _transfer_orders(inst: BenchmarkInstance) -> list[dict]:
    """Li & Lim pairs as transfer orders (origin station → site station)."""
    assert inst.pairs is not None
    return [
        {
            "id": f"T{inst.node_ids[p]}-{inst.node_ids[d]}",
            "kind": "transfer",
            "origin": inst.node_ids[p],
            "site": inst.node_ids[d],
            "product": PRODUCT,
            "kg": float(inst.pickup[p]),
        }
        for p, d in inst.pairs
    ]


def _with_centre(matrix: np.ndarray, depot: int, add: bool) -> np.ndarray:
    """The matrix with a last row/column copying the depot's (0 between the two)."""
    if not add:
        return np.asarray(matrix, dtype=float)
    n = len(matrix)
    out = np.zeros((n + 1, n + 1))
    out[:n, :n] = matrix
    out[n, :n] = matrix[depot]
    out[:n, n] = matrix[:, depot]
    out[n, depot] = out[depot, n] = 0.0
    return out


def _time_factor(distance: np.ndarray) -> float:
    """Minutes per km for formats without times: 1, or less so any route fits the clock.

    A route uses each node's outgoing arc at most once, so the sum of row maxima bounds
    every route's length.
    """
    bound = float(distance.max(axis=1).sum())
    return 1.0 if bound <= CLOCK_MAX else 0.5 * CLOCK_MAX / bound


def _display_coords(inst: BenchmarkInstance) -> tuple[list[float], list[float]]:
    """lon/lat for display only: 100 + x/s, 30 + y/s (s keeps them in range)."""
    if inst.coords is None:
        xy = np.stack([np.arange(inst.n) % 10, np.arange(inst.n) // 10], axis=1).astype(float)
    else:
        xy = np.asarray(inst.coords, dtype=float)
    scale = max(1000.0, float(np.abs(xy).max()) / 50.0)
    return (100 + xy[:, 0] / scale).tolist(), (30 + xy[:, 1] / scale).tolist()


def plan_routes(plan: Plan) -> list[list[str]]:
    """The site ids each plan route visits, for ``evaluate`` (hub and centre included)."""
    return [[stop.site for stop in route.stops] for route in plan.routes]


def depot_aliases(inst: BenchmarkInstance) -> list[str]:
    """Ids that stand for the depot in a plan: the co-located collection centre."""
    return [centre_id(inst)]


def routes_to_plan(batch: Batch, routes: Sequence[Sequence[str]]) -> Plan:
    """A freshroute plan serving each route's stations in order (earliest-start times).

    Used to check a compiled batch against published solutions with freshroute's own
    validator: deliveries are loaded at the hub, pickups unloaded at the centre.
    """
    from optimizer.routing.assemble import build_plan
    from optimizer.routing.engines import EngineRoute
    from optimizer.routing.problem import LOAD, UNLOAD, compile_problem

    problem = compile_problem(batch)
    by_site: dict[str, list[int]] = {}
    for k, order in enumerate(problem.orders):
        by_site.setdefault(order.site, []).append(k)
    out = []
    for v, route in enumerate(routes):
        ks = [k for s in route for k in by_site.get(s, [])]
        loads = [int(problem.pairs[k, 0]) for k in ks if problem.orders[k].kind == "delivery"]
        unloads = [int(problem.pairs[k, 1]) for k in ks if problem.orders[k].kind == "pickup"]
        middle = []
        for s in route:
            for k in by_site.get(s, []):
                role = UNLOAD if problem.orders[k].kind == "delivery" else LOAD
                middle.append(int(problem.pairs[k, 0 if role == LOAD else 1]))
        vehicle = problem.vehicles[v]
        nodes = [vehicle.start_node, *loads, *middle, *unloads, vehicle.end_node]
        times = [min((a for a, _ in problem.node_windows[n]), default=0.0) for n in nodes]
        times[0] = vehicle.type.shift_start
        out.append(EngineRoute(v, nodes, times))
    return build_plan(problem, out, engine="published", seconds=0.0)
