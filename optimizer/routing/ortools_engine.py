"""OR-Tools engine: the routing problem as an integer pickup-and-delivery model.

Scaling at this boundary only: time in thousandths of a minute (travel rounded up,
windows rounded inwards), cost in 1e-5 CNY (so that a per-tick time cost stays exact to
under 1 %), kg in tenths, m³ in thousandths.
Everything the engine cannot hold exactly is rounded so that an integer-feasible
solution is feasible in floating point; the validator rechecks the plan anyway.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.kpis import engine_km_rate
from optimizer.routing.engines import (
    COST_SCALE,
    FRESHNESS_MARGIN_MIN,
    FRESHNESS_RATE_SCALE,
    KG_SCALE,
    KM_SCALE,
    M3_SCALE,
    REQUIRED_PENALTY_CNY,
    TIME_SCALE,
    EngineResult,
    EngineRoute,
)
from optimizer.routing.problem import (
    END,
    LOAD,
    START,
    UNLOAD,
    RoutingProblem,
    freshness_deadlines,
)

ProgressCallback = Callable[[float, float], None]  # (elapsed s, best objective CNY)


def solve_ortools(
    problem: RoutingProblem,
    time_limit_s: float,
    *,
    on_solution: ProgressCallback | None = None,
    initial: EngineResult | None = None,
    warm: EngineResult | None = None,
) -> EngineResult:
    """Solve under ``time_limit_s``; routes with the solver's service-start times.

    Shelf-life limits tie two time variables together through the vehicle's compartment
    temperature, which OR-Tools' search filters cannot see, so its insertion heuristics
    crawl on them. Phase 1 (half the time) therefore replaces each limit by deadline
    windows that imply it (conservative, but understood by the filters) and finds routes
    fast; phase 2 solves the exact model warm-started from those routes, and phase 1's
    routes are kept when they are cheaper (they satisfy the exact limits too). A batch
    with no perishable orders needs only the exact phase.

    ``initial`` is an exactly feasible solution to start from (e.g. separate delivery and
    pickup routes); it is also returned when the search finds nothing cheaper. ``warm``
    only seeds the search (e.g. PyVRP's routes, whose times are approximate).
    """
    started = time.perf_counter()
    if not problem.vehicles:
        # OR-Tools' routing model with no vehicles crashes the process (SIGSEGV in
        # AddDimension, 9.15): nothing can be served, so there is nothing to search.
        unserved = float(
            np.where(np.isnan(problem.penalty), REQUIRED_PENALTY_CNY, problem.penalty).sum()
        )
        return EngineResult([], unserved, "no_vehicles", time.perf_counter() - started)
    deadline = started + time_limit_s

    def remaining() -> float:
        return max(0.1, deadline - time.perf_counter())

    def callback(routing: pywrapcp.RoutingModel) -> Callable[[], None] | None:
        if on_solution is None:
            return None
        return lambda: on_solution(
            time.perf_counter() - started, routing.CostVar().Value() / COST_SCALE
        )

    best: list[EngineResult] = [initial] if initial is not None else []
    seed_routes = initial
    if warm is not None and (initial is None or _known(warm) < _known(initial)):
        seed_routes = warm
    given = _by_vehicle(problem, seed_routes) if seed_routes is not None else None
    exact = _Model(problem, exact=True)
    warm = given
    status = "not_solved"
    if exact.has_cp_constraints:
        # Phase 1; when the given routes break a deadline window it finds nothing and
        # phase 2 starts from the given routes instead.
        relaxed = _Model(problem, exact=False)
        solution, status = relaxed.solve(
            remaining() * PHASE1_SHARE, callback(relaxed.routing), given
        )
        if solution is not None:
            routes = relaxed.routes(solution, keep_empty=True)
            warm = _without_waits_inside_stops(problem, routes)
            if sum(map(len, warm)) == sum(len(r.nodes) - 2 for r in routes):
                # Deadline windows imply the shelf-life limits: these routes are exact too.
                used = [r for r in routes if len(r.nodes) > 2]
                best.append(EngineResult(used, solution.ObjectiveValue() / COST_SCALE, status, 0.0))
    solution, status = exact.solve(remaining(), callback(exact.routing), warm)
    if solution is None and warm is not None and not best:
        # The warm routes may break a constraint only the exact model has: start over.
        solution, status = exact.solve(remaining(), callback(exact.routing), None)
    if solution is not None:
        objective = solution.ObjectiveValue() / COST_SCALE
        best.append(EngineResult(exact.routes(solution), objective, status, 0.0))
    seconds = time.perf_counter() - started
    if not best:
        return EngineResult([], math.inf, status, seconds)
    result = min(best, key=_known)
    return EngineResult(result.routes, result.objective, result.status, seconds)


def _known(result: EngineResult) -> float:
    """A result's objective, an unknown one (NaN: a start given without one, such as a
    re-plan's repaired old routes) as infinite: NaN compares false with everything, and
    ``min`` would keep the start whatever OR-Tools found."""
    return math.inf if math.isnan(result.objective) else result.objective


def _by_vehicle(problem: RoutingProblem, result: EngineResult) -> list[list[int]]:
    """Per vehicle (all of them, in order), the action nodes it visits."""
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    for r in result.routes:
        routes[r.vehicle] = list(r.nodes[1:-1])
    return routes


PHASE1_SHARE = 0.5  # of the time limit, for the fast conservative model
LARGE_PROBLEM_NODES = 400  # above this, a cheaper first-solution heuristic


def _without_waits_inside_stops(
    problem: RoutingProblem, routes: list[EngineRoute]
) -> list[list[int]]:
    """Phase-1 routes minus orders served after a wait inside a stop.

    The exact model serves a stop's orders together, so an order that made the truck wait
    at a site after it had served another order there would make the routes infeasible.
    Such orders are left out of the warm start; the search inserts them again.
    """
    p = problem
    action = ((p.node_role == LOAD) | (p.node_role == UNLOAD)) & p.node_shared
    drop: set[int] = set()
    for r in routes:
        for a, b, ta, tb in zip(r.nodes, r.nodes[1:], r.times, r.times[1:], strict=False):
            same_stop = p.node_site[a] == p.node_site[b] and action[a] and action[b]
            if same_stop and tb > ta + 1e-9:
                drop.add(int(p.node_order[b]))
    return [[n for n in r.nodes[1:-1] if int(p.node_order[n]) not in drop] for r in routes]


_STATUS = {
    0: "not_solved",
    1: "success",
    2: "partial",
    3: "fail",
    4: "timeout",
    5: "invalid",
    6: "infeasible",
    7: "optimal",
}


class _Model:
    """The OR-Tools model of one routing problem."""

    def __init__(self, problem: RoutingProblem, *, exact: bool = True) -> None:
        self.problem = p = problem
        self.exact = exact
        self.has_cp_constraints = False
        self._callback_set = False
        vehicles = p.vehicles
        self.manager = manager = pywrapcp.RoutingIndexManager(
            p.n_nodes,
            len(vehicles),
            [v.start_node for v in vehicles],
            [v.end_node for v in vehicles],
        )
        self.routing = routing = pywrapcp.RoutingModel(manager)
        weights = p.batch.options.weights
        # A single-visit station's chain is one node of the model: its first node stands
        # for the stop (amounts summed, windows intersected); the others stay out.
        self.rep = np.arange(p.n_nodes)
        self.chains = {chain[0]: chain for chain in p.visits}
        for chain in p.visits:
            self.rep[chain] = chain[0]
        folded = self.rep != np.arange(p.n_nodes)

        # Arc costs per vehicle type (distance part), fixed costs.
        km = p.node_km()
        cost_cb: dict[str, int] = {}
        for k, v in enumerate(vehicles):
            vt = v.type
            if vt.id not in cost_cb:
                rate = engine_km_rate(vt, p.batch.options.fuel_price_cny_per_l)
                matrix = np.rint(km * rate * weights.distance * COST_SCALE)
                cost_cb[vt.id] = routing.RegisterTransitMatrix(matrix.astype(np.int64).tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[vt.id], k)
            routing.SetFixedCostOfVehicle(round(vt.fixed_cost * weights.fixed * COST_SCALE), k)

        # Time: travel rounded up; service charged once per stop (see problem.node_times).
        ticks = np.ceil(p.node_times() * TIME_SCALE - 1e-9).astype(np.int64)
        horizon = 7 * 1440 * TIME_SCALE
        time_cb = routing.RegisterTransitMatrix(ticks.tolist())
        routing.AddDimension(time_cb, horizon, horizon, False, "time")
        self.time = time_dim = routing.GetDimensionOrDie("time")
        for k, v in enumerate(vehicles):
            vt = v.type
            start, end = routing.Start(k), routing.End(k)
            time_dim.CumulVar(start).SetRange(_ceil(vt.shift_start), _floor(vt.shift_end))
            time_dim.CumulVar(end).SetRange(_ceil(vt.shift_start), _floor(vt.shift_end))
            time_dim.SetSpanUpperBoundForVehicle(_floor(vt.max_duration_min), k)
            per_tick = vt.cost_per_hour * weights.time / 60.0 / TIME_SCALE * COST_SCALE
            time_dim.SetSpanCostCoefficientForVehicle(round(per_tick), k)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
            routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))

        windows = self._windows()
        for node in range(p.n_nodes):
            if p.node_role[node] in (START, END) or folded[node]:
                continue
            _set_windows(time_dim.CumulVar(manager.NodeToIndex(node)), windows[node])

        # Km limits: a distance dimension in metres (rounded up), where some type has one.
        if any(v.type.max_km is not None for v in vehicles):
            metres = np.ceil(km * KM_SCALE - 1e-9).astype(np.int64)
            km_cb = routing.RegisterTransitMatrix(metres.tolist())
            unlimited = int(metres.sum(axis=1).max()) + 1
            routing.AddDimensionWithVehicleCapacity(
                km_cb,
                0,
                [
                    unlimited
                    if v.type.max_km is None
                    else math.floor(v.type.max_km * KM_SCALE + 1e-9)
                    for v in vehicles
                ],
                True,
                "km",
            )

        # Capacities: kg and m³, checked after every node.
        for name, amounts, scale, caps in (
            ("kg", p.node_kg, KG_SCALE, [v.type.capacity_kg for v in vehicles]),
            ("m3", p.node_m3, M3_SCALE, [v.type.capacity_m3 for v in vehicles]),
        ):
            demand = (np.sign(amounts) * np.ceil(np.abs(amounts) * scale - 1e-9)).astype(np.int64)
            cb = routing.RegisterUnaryTransitVector(self._fold(demand).tolist())
            routing.AddDimensionWithVehicleCapacity(
                cb, 0, [math.floor(c * scale + 1e-9) for c in caps], True, name
            )

        # Orders: pairs, allowed vehicles, optional or required.
        solver = routing.solver()
        everyone = len(vehicles)
        chain_penalty: dict[int, float] = {}
        for k, (load, unload) in enumerate(p.pairs):
            load, unload = int(self.rep[load]), int(self.rep[unload])
            li, ui = manager.NodeToIndex(load), manager.NodeToIndex(unload)
            stop = load if load in self.chains else unload if unload in self.chains else None
            if stop is None:
                # A chain's stop stays out of the pairs: OR-Tools' pair bookkeeping breaks
                # on a node in several pairs; the constraints below still hold it.
                routing.AddPickupAndDelivery(li, ui)
            solver.Add(routing.VehicleVar(li) == routing.VehicleVar(ui))
            solver.Add(time_dim.CumulVar(li) <= time_dim.CumulVar(ui))
            allowed = p.allowed_vehicles[k]
            if len(allowed) < everyone:
                # SetAllowedVehiclesForIndex's binding rejects lists in 9.15; -1 = unperformed.
                routing.VehicleVar(li).SetValues([-1, *allowed])
                routing.VehicleVar(ui).SetValues([-1, *allowed])
            penalty = REQUIRED_PENALTY_CNY if np.isnan(p.penalty[k]) else p.penalty[k]
            if stop is None:
                routing.AddDisjunction([li], round(penalty * COST_SCALE))
                routing.AddDisjunction([ui], 0)
            else:  # the order's other end follows its station's stop (same vehicle or none)
                chain_penalty[stop] = chain_penalty.get(stop, 0.0) + penalty
                routing.AddDisjunction([ui if stop == load else li], 0)
            if not windows[load] or not windows[unload]:
                routing.ActiveVar(li).SetValue(0)
                routing.ActiveVar(ui).SetValue(0)
            self._freshness(k, li, ui)
        for stop, penalty in chain_penalty.items():
            routing.AddDisjunction([manager.NodeToIndex(stop)], round(penalty * COST_SCALE))
        for node in np.flatnonzero(folded):
            index = manager.NodeToIndex(int(node))
            routing.AddDisjunction([index], 0)
            routing.ActiveVar(index).SetValue(0)

        if exact:
            self._stops_start_together()
        if p.batch.options.backhaul == "deliveries_first":
            self._deliveries_first()
        if any(v.type.single_trip for v in p.vehicles):
            self._single_trips()

    def _single_trips(self) -> None:
        """Single-trip vehicles load at depots only before their first station and unload
        at depots only after their last one (two counters that only they advance)."""
        p, routing = self.problem, self.routing
        station = ~p.node_at_depot & ((p.node_role == LOAD) | (p.node_role == UNLOAD))
        depot_load = p.node_at_depot & (p.node_role == LOAD)
        depot_unload = p.node_at_depot & (p.node_role == UNLOAD)
        zero = routing.RegisterUnaryTransitVector([0] * p.n_nodes)
        for name, trigger, guarded in (
            ("left_depot", station, depot_load),
            ("back_at_depot", depot_unload, station),
        ):
            cb = routing.RegisterUnaryTransitVector(self._fold(trigger.astype(np.int64)).tolist())
            per_vehicle = [cb if v.type.single_trip else zero for v in p.vehicles]
            routing.AddDimensionWithVehicleTransits(per_vehicle, 0, p.n_nodes, True, name)
            dim = routing.GetDimensionOrDie(name)
            for node in np.unique(self.rep[guarded]):
                dim.CumulVar(self.manager.NodeToIndex(int(node))).SetMax(0)

    def _fold(self, per_node: np.ndarray) -> np.ndarray:
        """A per-node transit vector with each single-visit chain summed into its stop."""
        out = np.where(self.rep == np.arange(len(per_node)), per_node, 0)
        for stop, chain in self.chains.items():
            out[stop] = per_node[chain].sum()
        return out

    def _windows(self) -> list[list[tuple[float, float]]]:
        """Service-start windows per node; a chain's stop gets the intersection of its
        nodes' windows."""
        windows = list(self.problem.node_windows)
        for stop, chain in self.chains.items():
            common = windows[chain[0]]
            for node in chain[1:]:
                common = [
                    (max(a, c), min(b, d))
                    for a, b in common
                    for c, d in windows[node]
                    if max(a, c) <= min(b, d)
                ]
            windows[stop] = common
        return windows

    def _stops_start_together(self) -> None:
        """No waiting between two nodes of one hub or centre stop where perishables are.

        The plan serves a stop's orders together, so a stop departs when its last node is
        served. Waiting between its nodes would let a pickup's freshness be judged on an
        earlier departure than the real one; forcing any wait to happen before the stop
        keeps the solver's times and the plan's the same.
        """
        p, routing, manager = self.problem, self.routing, self.manager
        solver = routing.solver()
        in_model = self.rep == np.arange(p.n_nodes)
        action = np.flatnonzero(
            ((p.node_role == LOAD) | (p.node_role == UNLOAD)) & p.node_shared & in_model
        )
        perishable = np.array([rule is not None for rule in p.freshness] + [False])
        fresh_sites = set(p.node_site[action[perishable[p.node_order[action]]]].tolist())
        by_site: dict[int, list[int]] = {}
        for node in action:
            by_site.setdefault(int(p.node_site[node]), []).append(int(node))
        big = 7 * 1440 * TIME_SCALE
        for site, nodes in by_site.items():
            if site not in fresh_sites or len(nodes) < 2:
                continue
            indices = [manager.NodeToIndex(n) for n in nodes]
            for i in indices:
                peers = [j for j in indices if j != i]
                same = solver.IsMemberVar(routing.NextVar(i), peers)
                solver.Add(self.time.SlackVar(i) <= big * (1 - same))

    def solve(
        self,
        time_limit_s: float,
        on_solution: Callable[[], None] | None,
        warm: list[list[int]] | None,
    ) -> tuple[pywrapcp.Assignment | None, str]:
        routing = self.routing
        params = pywrapcp.DefaultRoutingSearchParameters()
        strategy = routing_enums_pb2.FirstSolutionStrategy
        params.first_solution_strategy = (
            strategy.PARALLEL_CHEAPEST_INSERTION
            if self.problem.n_nodes <= LARGE_PROBLEM_NODES
            else strategy.LOCAL_CHEAPEST_INSERTION
        )
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(max(100, int(time_limit_s * 1000)))
        if on_solution is not None and not self._callback_set:
            routing.AddAtSolutionCallback(on_solution)
            self._callback_set = True
        solution = None
        if warm is not None:
            routing.CloseModelWithParameters(params)
            folded = [list(dict.fromkeys(int(self.rep[n]) for n in r)) for r in warm]
            start = routing.ReadAssignmentFromRoutes(
                [[self.manager.NodeToIndex(n) for n in r] for r in folded], True
            )
            if start is None:
                return None, "warm start rejected"
            solution = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            solution = routing.SolveWithParameters(params)
        return solution, _STATUS.get(routing.status(), str(routing.status()))

    def _freshness(self, k: int, li: int, ui: int) -> None:
        """used ≤ budget, per compartment temperature of the vehicle that carries order k."""
        rule = self.problem.freshness[k]
        if rule is None:
            return
        if not self.exact:
            self._freshness_windows(k, li, ui)
            return
        self.has_cp_constraints = True
        p, routing, solver, t = self.problem, self.routing, self.routing.solver(), self.time
        service = _ceil(p.node_service[p.pairs[k, 0]])
        budget = math.floor(
            (rule.budget - FRESHNESS_MARGIN_MIN) * FRESHNESS_RATE_SCALE * TIME_SCALE
        )
        ready = _floor(rule.ready) if rule.ready is not None else None
        station = math.ceil(rule.station_rate * FRESHNESS_RATE_SCALE)
        allowed = set(p.allowed_vehicles[k])
        by_temp: dict[float, list[int]] = {}
        for idx, v in enumerate(p.vehicles):
            if idx in allowed:
                by_temp.setdefault(v.temp_c, []).append(idx)
        departure = t.CumulVar(li) + service
        riding = t.CumulVar(ui) - departure
        waiting = departure - ready if ready is not None else None
        big = 7 * 1440 * TIME_SCALE * FRESHNESS_RATE_SCALE * 100
        for temp, members in by_temp.items():
            rate = math.ceil(rule.rate_by_temp[temp] * FRESHNESS_RATE_SCALE)
            used = rate * riding if waiting is None else rate * riding + station * waiting
            carried_here = solver.IsMemberVar(routing.VehicleVar(li), members)
            solver.Add(used <= budget + big * (1 - carried_here))
            # A plain deadline the search filters understand: implied by the constraint above.
            slowest = min(min(rule.rate_by_temp.values()), rule.station_rate or math.inf)
            if ready is not None:
                self._deadline(li, ui, ui, (ready + _floor(rule.budget / slowest)) / TIME_SCALE)

    def _freshness_windows(self, k: int, li: int, ui: int) -> None:
        """Phase 1: deadlines that imply the shelf-life limit (``freshness_deadlines``)."""
        load_by, arrive_by = freshness_deadlines(self.problem, k, FRESHNESS_MARGIN_MIN)
        self._deadline(li, ui, li, load_by)
        self._deadline(li, ui, ui, arrive_by)

    def _deadline(self, li: int, ui: int, index: int, minutes: float) -> None:
        """Cap a node's service start; an order that cannot make it sits phase 1 out."""
        if minutes == math.inf:
            return
        var = self.time.CumulVar(index)
        if _floor(minutes) < var.Min():
            self.routing.ActiveVar(li).SetValue(0)
            self.routing.ActiveVar(ui).SetValue(0)
        else:
            var.SetMax(min(var.Max(), _floor(minutes)))

    def _deliveries_first(self) -> None:
        """A route unloads no delivery after it has loaded a pickup (classic VRPB)."""
        p, routing = self.problem, self.routing
        kinds = np.array([o.kind == "pickup" for o in p.orders] + [False])[p.node_order]
        after_pickup = ((p.node_role == LOAD) & kinds).astype(np.int64)
        cb = routing.RegisterUnaryTransitVector(self._fold(after_pickup).tolist())
        routing.AddDimension(cb, 0, p.n_nodes, True, "phase")
        phase = routing.GetDimensionOrDie("phase")
        for node in np.unique(self.rep[(p.node_role == UNLOAD) & ~kinds]):
            phase.CumulVar(self.manager.NodeToIndex(int(node))).SetMax(0)

    def routes(
        self, solution: pywrapcp.Assignment, *, keep_empty: bool = False
    ) -> list[EngineRoute]:
        """Routes per vehicle in vehicle order; empty ones only when ``keep_empty``."""
        routing, manager, t = self.routing, self.manager, self.time
        out = []
        for k in range(len(self.problem.vehicles)):
            index = routing.Start(k)
            if not keep_empty and routing.IsEnd(solution.Value(routing.NextVar(index))):
                continue
            nodes, times = [], []
            while True:
                node = manager.IndexToNode(index)
                for member in self.chains.get(node, [node]):
                    nodes.append(member)
                    times.append(solution.Value(t.CumulVar(index)) / TIME_SCALE)
                if routing.IsEnd(index):
                    break
                index = solution.Value(routing.NextVar(index))
            out.append(EngineRoute(k, nodes, times))
        return out


def _ceil(minutes: float) -> int:
    return math.ceil(minutes * TIME_SCALE - 1e-9)


def _floor(minutes: float) -> int:
    return math.floor(minutes * TIME_SCALE + 1e-9)


def _set_windows(var: pywrapcp.IntVar, windows: list[tuple[float, float]]) -> None:
    """Restrict a cumul to the union of windows (rounded inwards)."""
    ticks = [(_ceil(a), _floor(b)) for a, b in windows]
    ticks = [(a, b) for a, b in ticks if a <= b]
    if not ticks:
        return
    var.SetRange(ticks[0][0], ticks[-1][1])
    for (_, b), (a, _) in itertools.pairwise(ticks):
        if a > b + 1:
            var.RemoveInterval(b + 1, a - 1)
