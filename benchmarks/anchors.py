"""Anchor solvers for the routing benchmarks: PyVRP called directly, plain OR-Tools.

Both read a ``BenchmarkInstance`` (the file's own terms), not a freshroute batch, so they
measure what the libraries do without freshroute's node model in between. Scaling is
finer than freshroute's engines: distances ×1000 rounded, times ×1000 with travel and
service rounded up and windows rounded inwards (so a solution feasible in integers is
feasible in double precision), amounts ×10⁴ (demands up, capacities down). Every
solution is re-evaluated in double precision by ``optimizer/io/evaluate.py`` anyway.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp.constants import MAX_VALUE
from pyvrp.stop import MaxRuntime

from optimizer.io.evaluate import BenchmarkInstance
from optimizer.io.instances import fleet_size

SCALE = 1000  # distance and time units per unit of the instance
AMOUNT_SCALE = 10_000
BIG_TIME = 7 * 1440 * SCALE * 100


@dataclass
class AnchorResult:
    routes: list[list[str]]  # node ids per route, depot left out
    seconds: float
    status: str


def _amount(x: float) -> int:
    return math.ceil(x * AMOUNT_SCALE - 1e-6)


def _capacity(x: float) -> int:
    return math.floor(x * AMOUNT_SCALE + 1e-6)


def _times(inst: BenchmarkInstance) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Integer travel times, service times and windows, or None without times."""
    if inst.duration is None or inst.windows is None:
        return None
    duration = np.ceil(inst.duration * SCALE - 1e-6).astype(np.int64)
    np.fill_diagonal(duration, 0)
    service = inst.service if inst.service is not None else np.zeros(inst.n)
    service_i = np.ceil(service * SCALE - 1e-6).astype(np.int64)
    early = np.ceil(inst.windows[:, 0] * SCALE - 1e-6).astype(np.int64)
    late = np.floor(inst.windows[:, 1] * SCALE + 1e-6).astype(np.int64)
    return duration, service_i, np.stack([early, late], axis=1)


def _distances(inst: BenchmarkInstance) -> np.ndarray:
    dist = np.rint(inst.distance * SCALE).astype(np.int64)
    np.fill_diagonal(dist, 0)
    return dist


# -- PyVRP ---------------------------------------------------------------------------


def pyvrp_data(inst: BenchmarkInstance) -> pyvrp.ProblemData:
    """PyVRP data of ``inst``, one location per node (the location index is the node's).

    VRPB as ``pyvrp.read`` models it: backhaul→linehaul arcs (and, where every route
    needs a linehaul, depot→backhaul arcs) cost ``MAX_VALUE``.
    """
    n, depot = inst.n, inst.depot
    dist = _distances(inst)
    timed = _times(inst)
    duration = timed[0] if timed else np.zeros((n, n), dtype=np.int64)
    service = timed[1] if timed else np.zeros(n, dtype=np.int64)
    windows = timed[2] if timed else None
    if inst.kind in ("vrpb", "vrpbtw"):
        back = inst.pickup > 0
        dist[np.ix_(back, ~back)] = MAX_VALUE
        dist[back, depot] = _distances(inst)[back, depot]
        if not inst.backhaul_only_routes:
            dist[depot, back] = MAX_VALUE
    tw = {"tw_early": int(windows[depot, 0]), "tw_late": int(windows[depot, 1])} if timed else {}
    clients, shipments = [], []
    if inst.pairs is not None:
        for p, d in inst.pairs:
            assert windows is not None
            shipments.append(
                pyvrp.Shipment(
                    int(p),
                    int(d),
                    pickup_tw_early=int(windows[p, 0]),
                    pickup_tw_late=int(windows[p, 1]),
                    pickup_service_duration=int(service[p]),
                    delivery_tw_early=int(windows[d, 0]),
                    delivery_tw_late=int(windows[d, 1]),
                    delivery_service_duration=int(service[d]),
                    amount=[_amount(float(inst.pickup[p]))],
                )
            )
    else:
        for i in inst.customers:
            extra = {"tw_early": int(windows[i, 0]), "tw_late": int(windows[i, 1])} if timed else {}
            clients.append(
                pyvrp.Client(
                    i,
                    delivery=[_amount(float(inst.delivery[i]))],
                    pickup=[_amount(float(inst.pickup[i]))],
                    service_duration=int(service[i]),
                    **extra,
                )
            )
    limit = {}
    if inst.max_distance is not None:
        limit["max_distance"] = math.floor(inst.max_distance * SCALE)
    vehicle = pyvrp.VehicleType(
        num_available=fleet_size(inst),
        capacity=[_capacity(inst.capacity)],
        start_depot=0,
        end_depot=0,
        **tw,
        **limit,
    )
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0) for _ in range(n)],
        clients=clients,
        depots=[pyvrp.Depot(depot)],
        vehicle_types=[vehicle],
        distance_matrices=[dist],
        duration_matrices=[duration],
        shipments=shipments,
    )
    return data


def solve_pyvrp_direct(inst: BenchmarkInstance, seconds: float, seed: int = 1) -> AnchorResult:
    """PyVRP's ``solve`` (iterated local search) on the instance itself.

    CVRPLIB files go through ``pyvrp.read(path, round_func="round")`` (TSPLIB EUC_2D, a
    vehicle per client); the formats ``pyvrp.read`` does not parse (Solomon, LKH-3, Li &
    Lim) through ``pyvrp_data``.
    """
    started = time.perf_counter()
    if inst.kind == "cvrp" and inst.path.endswith(".vrp"):
        data = pyvrp.read(inst.path, round_func="round")
    else:
        data = pyvrp_data(inst)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, display=False)
    clients, shipments = data.clients(), data.shipments()
    routes = []
    for route in result.best.routes():
        nodes = []
        for act in route.schedule():
            if act.is_client():
                nodes.append(clients[act.idx].location)
            elif act.is_pickup():
                nodes.append(shipments[act.idx].pickup.location)
            elif act.is_delivery():
                nodes.append(shipments[act.idx].delivery.location)
        routes.append([inst.node_ids[v] for v in nodes])
    status = "feasible" if result.best.is_feasible() else "infeasible"
    return AnchorResult(routes, time.perf_counter() - started, status)


# -- OR-Tools ------------------------------------------------------------------------


def solve_ortools_plain(
    inst: BenchmarkInstance, seconds: float, first_solution: str = "PATH_CHEAPEST_ARC"
) -> AnchorResult:
    """A plain OR-Tools routing model: distance arc cost, time windows, capacity;
    ``first_solution`` (an OR-Tools FirstSolutionStrategy name) then guided local search.

    VRPSPD: a load dimension whose start equals the route's total delivery (another
    dimension counts it). VRPB: linehaul and backhaul loads, and a count of backhauls
    that must be 0 at every linehaul. PDPTW: pickup-and-delivery pairs.
    """
    started = time.perf_counter()
    n, k_max = inst.n, fleet_size(inst)
    manager = pywrapcp.RoutingIndexManager(n, k_max, inst.depot)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    dist_cb = routing.RegisterTransitMatrix(_distances(inst).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    vehicles = range(k_max)
    nodes = [manager.NodeToIndex(i) for i in inst.customers]

    timed = _times(inst)
    time_dim = None
    if timed is not None:
        duration, service, windows = timed
        time_cb = routing.RegisterTransitMatrix((duration + service[:, None]).tolist())
        routing.AddDimension(time_cb, BIG_TIME, BIG_TIME, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        for i, index in zip(inst.customers, nodes, strict=True):
            time_dim.CumulVar(index).SetRange(int(windows[i, 0]), int(windows[i, 1]))
        lo, hi = int(windows[inst.depot, 0]), int(windows[inst.depot, 1])
        for k in vehicles:
            time_dim.CumulVar(routing.Start(k)).SetRange(lo, hi)
            time_dim.CumulVar(routing.End(k)).SetRange(lo, hi)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))

    cap = _capacity(inst.capacity)
    delivery = [_amount(float(x)) for x in inst.delivery]
    pickup = [_amount(float(x)) for x in inst.pickup]

    def dimension(
        values: list[int], name: str, start_free: bool = False
    ) -> pywrapcp.RoutingDimension:
        cb = routing.RegisterUnaryTransitVector(values)
        routing.AddDimension(cb, 0, cap, not start_free, name)
        return routing.GetDimensionOrDie(name)

    if inst.pairs is not None:
        assert time_dim is not None
        signed = [0] * n
        for p, d in inst.pairs:
            signed[p], signed[d] = pickup[p], -pickup[p]
            pi, di = manager.NodeToIndex(int(p)), manager.NodeToIndex(int(d))
            routing.AddPickupAndDelivery(pi, di)
            solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
            solver.Add(time_dim.CumulVar(pi) <= time_dim.CumulVar(di))
        dimension(signed, "load")
    elif inst.kind == "vrpspd":
        delivered = dimension(delivery, "delivered")
        load = dimension([p - d for p, d in zip(pickup, delivery, strict=True)], "load", True)
        for k in vehicles:
            solver.Add(load.CumulVar(routing.Start(k)) == delivered.CumulVar(routing.End(k)))
    elif inst.kind in ("vrpb", "vrpbtw"):
        dimension(delivery, "linehaul")
        dimension(pickup, "backhaul")
        back = [1 if x > 0 else 0 for x in pickup]
        cb = routing.RegisterUnaryTransitVector(back)
        routing.AddDimension(cb, 0, n, True, "phase")
        phase = routing.GetDimensionOrDie("phase")
        backhauls = [manager.NodeToIndex(i) for i in inst.customers if back[i]]
        for i in inst.customers:
            if not back[i]:
                phase.CumulVar(manager.NodeToIndex(i)).SetMax(0)
        if not inst.backhaul_only_routes:
            for k in vehicles:
                routing.NextVar(routing.Start(k)).RemoveValues(backhauls)
    else:
        dimension(delivery, "load")
    if inst.max_distance is not None:
        routing.AddDimension(dist_cb, 0, math.floor(inst.max_distance * SCALE), True, "length")

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(100, int(seconds * 1000)))
    solution = routing.SolveWithParameters(params)
    routes: list[list[str]] = []
    if solution is not None:
        for k in vehicles:
            index = solution.Value(routing.NextVar(routing.Start(k)))
            route = []
            while not routing.IsEnd(index):
                route.append(inst.node_ids[manager.IndexToNode(index)])
                index = solution.Value(routing.NextVar(index))
            if route:
                routes.append(route)
    status = "solution" if solution is not None else f"no solution (status {routing.status()})"
    return AnchorResult(routes, time.perf_counter() - started, status)
