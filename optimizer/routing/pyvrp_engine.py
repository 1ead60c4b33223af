"""PyVRP engine: fast route construction with PyVRP's iterated local search.

Every order is a PyVRP *shipment* (load step, unload step), so the node model of
``problem.py`` maps one to one. What PyVRP cannot hold exactly is expressed
conservatively or left to the exact OR-Tools model, which re-times PyVRP's routes:

- service: at hubs and centres once per stop, charged on the edges leaving the site, so
  consecutive steps there cost nothing extra (leaving a depot also pays it: a slight
  overestimate); at stations on each step;
- shelf life: deadline windows that imply the limit (``freshness_deadlines``);
- refrigeration: one extra load dimension per set of allowed vehicles, with capacity
  only on the vehicles allowed.

Batches with several time windows at a site or deliveries-first are not expressed:
``unsupported`` says why, and the portfolio skips this engine for them.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pyvrp

from optimizer.kpis import engine_km_rate
from optimizer.routing.alone import servable_alone
from optimizer.routing.engines import (
    COST_SCALE,
    FRESHNESS_MARGIN_MIN,
    KG_SCALE,
    M3_SCALE,
    REQUIRED_PENALTY_CNY,
    TIME_SCALE,
    EngineResult,
    EngineRoute,
)
from optimizer.routing.problem import (
    LOAD,
    UNLOAD,
    RoutingProblem,
    Vehicle,
    freshness_deadlines,
)

DIST_SCALE = 100  # distance units per km (10 m)
BIG = 2**40
INFEASIBLE_COST = 2**62  # PyVRP prices an infeasible solution at the largest int64
FORBIDDEN_TICKS = 7 * 1440 * TIME_SCALE + 1  # beyond the 7-day clock


def unsupported(problem: RoutingProblem) -> str | None:
    """Why PyVRP cannot express this problem, or None when it can."""
    if problem.batch.options.backhaul == "deliveries_first" and not all(
        v.type.single_trip for v in problem.vehicles
    ):
        return "deliveries_first with trucks that may reload"
    action = (problem.node_role == LOAD) | (problem.node_role == UNLOAD)
    if any(len(problem.node_windows[n]) > 1 for n in np.flatnonzero(action)):
        return "a site with several time windows"
    roles = _client_roles(problem)
    for chain in problem.visits:
        if any(roles[int(problem.node_order[n])] is None for n in chain):
            site = problem.travel.site_ids[int(problem.node_site[chain[0]])]
            return (
                f"single-visit station {site} with an order PyVRP can only hold as a "
                "shipment (its parcels not loaded where every truck starts, or its produce "
                "not unloaded where every single-trip truck ends, without deadlines)"
            )
    return None


def _client_roles(p: RoutingProblem) -> list[str | None]:
    """Per order, how PyVRP holds it as a plain client: 'delivery' (loaded where every
    vehicle starts and reloads), 'pickup' (unloaded where every vehicle ends, all trucks
    single-trip, no arrival deadline or binding centre window), or None (a shipment)."""
    starts = {int(p.node_site[v.start_node]) for v in p.vehicles}
    ends = {int(p.node_site[v.end_node]) for v in p.vehicles}
    single_trip = all(v.type.single_trip for v in p.vehicles)
    shift = (
        min((v.type.shift_start for v in p.vehicles), default=0.0),
        max((v.type.shift_end for v in p.vehicles), default=0.0),
    )
    roles: list[str | None] = []
    for k, order in enumerate(p.orders):
        load, unload = (int(n) for n in p.pairs[k])
        role = None
        if order.kind == "delivery" and len(starts) == 1 and int(p.node_site[load]) in starts:
            role = "delivery"
        elif order.kind == "pickup" and single_trip and ends == {int(p.node_site[unload])}:
            windows = p.node_windows[unload]
            _, arrive_by = freshness_deadlines(p, k, FRESHNESS_MARGIN_MIN)
            open_all_shift = (
                bool(windows) and windows[0][0] <= shift[0] <= shift[1] <= windows[0][1]
            )
            if arrive_by == math.inf and open_all_shift:
                role = "pickup"
        roles.append(role)
    return roles


def solve_pyvrp(
    problem: RoutingProblem,
    time_limit_s: float,
    seed: int = 0,
    *,
    resume: EngineResult | None = None,
    feasible_by_s: float | None = None,
    stall_s: float | None = None,
) -> EngineResult:
    """Routes from PyVRP; times are PyVRP's (approximate: the exact model re-times them).
    ``resume``: a result of this engine on the same problem to go on from (its best
    solution). ``feasible_by_s``: stop early, handing back the time, when no feasible
    solution is found by then (its penalised best is returned, status "infeasible").
    ``stall_s``: stop early too once its best has not improved for that many seconds."""
    started = time.perf_counter()
    deadline = started + time_limit_s
    give_up = started + feasible_by_s if feasible_by_s is not None else math.inf
    lowest = [math.inf, started]  # PyVRP's best cost so far, and when it was reached

    def stop(best_cost: float) -> bool:
        # PyVRP's cost of an infeasible best is a very large number.
        now = time.perf_counter()
        if best_cost < lowest[0]:
            lowest[:] = [best_cost, now]
        stalled = stall_s is not None and now - lowest[1] >= stall_s
        return now >= deadline or stalled or (now >= give_up and best_cost >= INFEASIBLE_COST)

    p = problem
    if resume is not None and isinstance(resume.state, _State):
        data, index, initial = resume.state.data, resume.state.index, resume.state.best
    else:
        data, index = _problem_data(p)
        initial = None
    with warnings.catch_warnings():
        # PyVRP warns while its penalties search for feasibility; the plan's validator and
        # the unassigned-order reasons are what the user needs, not these.
        warnings.simplefilter("ignore")
        # The limit covers building the data, PyVRP's neighbour lists and its first local
        # search too (seconds at a few thousand nodes), not only the search loop.
        result = pyvrp.solve(
            data,
            stop=stop,
            seed=seed,
            display=False,
            params=_params(data),
            initial_solution=initial,
        )
    best = result.best
    routes = _routes(p, best, index)
    objective = best.distance_cost() + best.duration_cost() + best.fixed_vehicle_cost()
    objective += best.uncollected_prizes()
    if index.bonus:
        objective = math.nan  # the bonus is in it: no cost of ours (the plan's is exact)
    status = "success" if best.is_feasible() else "infeasible"
    seconds = time.perf_counter() - started
    return EngineResult(
        routes, objective / COST_SCALE, status, seconds, state=_State(data, index, best)
    )


class _State:
    """What resuming a PyVRP search needs: its data, index and best solution."""

    def __init__(self, data: pyvrp.ProblemData, index: _Index, best: pyvrp.Solution) -> None:
        self.data, self.index, self.best = data, index, best


def _params(data: pyvrp.ProblemData) -> pyvrp.SolveParams:
    """PyVRP's defaults with penalty bounds scaled to our cost units.

    PyVRP caps a penalty per unit of violation at 1e5, tuned for about one cost unit per
    distance unit; ours cost ``unit_distance_cost`` each (CNY scaled to integers), so with
    the default cap an overload can stay cheaper than a truck and PyVRP ends infeasible
    (GJB D2: 7 overloaded routes; scaled: the best-known 11). Both bounds scale alike.
    """
    unit = max((vt.unit_distance_cost for vt in data.vehicle_types()), default=1)
    factor = max(1.0, float(unit))
    default = pyvrp.PenaltyParams()
    penalty = pyvrp.PenaltyParams(
        min_penalty=default.min_penalty * factor, max_penalty=default.max_penalty * factor
    )
    return pyvrp.SolveParams(penalty=penalty)


def _problem_data(p: RoutingProblem) -> tuple[pyvrp.ProblemData, _Index]:
    """PyVRP data and, per PyVRP vehicle type, the indices of our vehicles of that type."""
    travel = p.travel
    n_sites = len(travel.site_ids)

    # Hubs and centres: service is paid when leaving the site, so a stop pays it once.
    # Stations: every order pays its own service (the step's service duration).
    # Client pickups are unloaded at the end depot when the truck arrives: that service is
    # paid on the edges into it.
    roles = _client_roles(p)
    service = np.zeros(n_sites)
    for node in np.flatnonzero((p.node_role == LOAD) | (p.node_role == UNLOAD)):
        if p.node_at_depot[node]:
            service[p.node_site[node]] = p.node_service[node]
    on_arrival = _unload_on_arrival(p, roles)
    minutes = travel.minutes + service[:, None] + on_arrival[None, :]
    np.fill_diagonal(minutes, 0.0)
    duration = np.ceil(minutes * TIME_SCALE - 1e-9).astype(np.int64)
    # Rounded to the nearest 10 m; up where some type has a km limit, so that a route
    # within it in integers is within it in kilometres.
    limited = any(v.type.max_km is not None for v in p.vehicles)
    scaled = travel.km * DIST_SCALE
    distance = (np.ceil(scaled - 1e-9) if limited else np.rint(scaled)).astype(np.int64)
    groups: list[list[int]] = [[int(p.node_order[n]) for n in chain] for chain in p.visits]
    grouped = {k for g in groups for k in g}
    groups += [[k] for k, role in enumerate(roles) if role is not None and k not in grouped]
    phases = _Phases(p, groups)
    loc_site = np.asarray(phases.loc_site)
    duration = duration[np.ix_(loc_site, loc_site)]
    distance = distance[np.ix_(loc_site, loc_site)]
    for a, b in phases.forbidden():
        # Longer than any shift, so driving it is infeasible; a modest cost on top keeps
        # PyVRP's penalty scaling (set from the matrices) sane.
        duration[np.ix_(a, b)] = FORBIDDEN_TICKS
        distance[np.ix_(a, b)] += int(distance.max())
    locations = [pyvrp.Location(0, 0, name=travel.site_ids[s]) for s in loc_site]

    depot_sites = sorted(
        {int(p.node_site[v.start_node]) for v in p.vehicles}
        | {int(p.node_site[v.end_node]) for v in p.vehicles}
    )
    depot_index = {site: i for i, site in enumerate(depot_sites)}
    depots = [pyvrp.Depot(site) for site in depot_sites]
    bonus = _route_bonus(p, distance, depot_sites)
    if bonus:
        between = np.ones(len(distance), dtype=bool)
        between[depot_sites] = False
        block = np.ix_(between, between)
        distance[block] += bonus
        np.fill_diagonal(distance, 0)

    # Extra load dimensions: one per set of allowed vehicles that is not the whole fleet.
    everyone = set(range(len(p.vehicles)))
    restricted = sorted({tuple(a) for a in p.allowed_vehicles if set(a) != everyone})
    dim_of = {a: 2 + i for i, a in enumerate(restricted)}
    n_dims = 2 + len(restricted)

    starts = {int(p.node_site[v.start_node]) for v in p.vehicles}
    clients: list[pyvrp.Client] = []
    client_orders: list[list[int]] = []
    shipments, shipment_orders = [], []
    for group in groups:
        client = _client(p, group, roles, dim_of, n_dims, phases.of_group(group))
        if client is not None:
            clients.append(client)
            client_orders.append(group)
    for k, order in enumerate(p.orders):
        if roles[k] is not None:
            continue
        load, unload = (int(n) for n in p.pairs[k])
        if not p.node_windows[load] or not p.node_windows[unload]:
            raise ValueError("PyVRP engine needs every order servable (run check_feasibility)")
        load_by, arrive_by = freshness_deadlines(p, k, FRESHNESS_MARGIN_MIN)
        (a_lo, a_hi), (b_lo, b_hi) = p.node_windows[load][0], p.node_windows[unload][0]
        required, prize = _prize(p, k)
        load_late, unload_late = _late(min(a_hi, load_by)), _late(min(b_hi, arrive_by))
        if load_late < _ceil(a_lo) or unload_late < _ceil(b_lo):
            continue  # its implied deadlines cannot be met: left to the exact model
        shipments.append(
            pyvrp.Shipment(
                phases.of_node(load),
                phases.of_node(unload),
                pickup_tw_early=_ceil(a_lo),
                pickup_tw_late=load_late,
                pickup_service_duration=_step_service(p, load),
                delivery_tw_early=_ceil(b_lo),
                delivery_tw_late=unload_late,
                delivery_service_duration=_step_service(p, unload),
                amount=_amount(p, k, dim_of, n_dims),
                prize=prize,
                required=required,
                name=order.id,
            )
        )
        shipment_orders.append(k)

    types: list[list[int]] = []
    vehicle_types = []
    seen: dict[str, int] = {}
    for idx, v in enumerate(p.vehicles):
        if v.type.id in seen:
            types[seen[v.type.id]].append(idx)
            continue
        vt = v.type
        capacity = [
            math.floor(vt.capacity_kg * KG_SCALE + 1e-9),
            math.floor(vt.capacity_m3 * M3_SCALE + 1e-9),
        ]
        capacity += [capacity[0] if idx in a else 0 for a in restricted]
        weights = p.batch.options.weights
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=vt.count,
                capacity=capacity,
                start_depot=depot_index[int(p.node_site[v.start_node])],
                end_depot=depot_index[int(p.node_site[v.end_node])],
                fixed_cost=round(vt.fixed_cost * weights.fixed * COST_SCALE),
                tw_early=_ceil(vt.shift_start),
                # A shift shorter than one time unit rounds to an empty window: keep it
                # a point (the exact model and the validator price it in minutes).
                tw_late=max(_ceil(vt.shift_start), math.floor(vt.shift_end * TIME_SCALE + 1e-9)),
                start_late=_start_late(p, v),
                shift_duration=math.floor(vt.max_duration_min * TIME_SCALE + 1e-9),
                **(
                    {}
                    if vt.max_km is None
                    else {"max_distance": math.floor(vt.max_km * DIST_SCALE + 1e-9)}
                ),
                unit_distance_cost=round(
                    engine_km_rate(vt, p.batch.options.fuel_price_cny_per_l)
                    * weights.distance
                    * COST_SCALE
                    / DIST_SCALE
                ),
                unit_duration_cost=round(
                    vt.cost_per_hour * weights.time / 60.0 / TIME_SCALE * COST_SCALE
                ),
                reload_depots=(
                    [] if vt.single_trip else [depot_index[s] for s in starts if s in depot_index]
                ),
                name=vt.id,
            )
        )
        seen[vt.id] = len(types)
        types.append([idx])
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[distance],
        duration_matrices=[duration],
        shipments=shipments,
    )
    return data, _Index(types, client_orders, shipment_orders, bonus, on_arrival)


def _unload_on_arrival(p: RoutingProblem, roles: list[str | None]) -> np.ndarray:
    """Minutes per site of unloading the client pickups (``roles``) a truck carries
    there, which PyVRP is charged on the edges into the site: its arrival there is after
    them."""
    on_arrival = np.zeros(len(p.travel.site_ids))
    for node in np.flatnonzero(p.node_at_depot & (p.node_role == UNLOAD)):
        if roles[int(p.node_order[node])] == "pickup":
            on_arrival[p.node_site[node]] = p.node_service[node]
    return on_arrival


def _route_bonus(p: RoutingProblem, distance: np.ndarray, depot_sites: list[int]) -> int:
    """Distance units added to every arc between two client locations where every
    vehicle must run (``min_used`` = ``count`` for every type: classic VRPB's exactly K
    routes), else 0. PyVRP cannot hold a lower bound on the vehicles used; a route of c
    clients has c − 1 such arcs, so the bonus makes each extra route M cheaper, and M
    above twice the longest depot leg makes splitting a route always pay: PyVRP's
    routes then run every vehicle, as the rule asks, instead of being split
    afterwards (``fleet_use.ensure_min_used``). Not with reloads (a depot visit mid-route
    breaks the count) or km limits (the bonus would count against them)."""
    fleet = p.batch.fleet
    if not fleet or any(
        vt.min_used < vt.count or vt.min_used == 0 or not vt.single_trip or vt.max_km
        for vt in fleet
    ):
        return 0
    return 2 * int(distance[depot_sites].max(initial=0)) + 1


def _start_late(p: RoutingProblem, v: Vehicle) -> int | None:
    """Latest start of ``v``'s routes: when parcels are loaded where it starts, the end of
    that site's last window (a truck loads before it leaves). Without it PyVRP would
    start late to skip waiting that the plan then pays (conservative for a route that
    loads nothing there; the exact search re-times every route)."""
    site = p.node_site[v.start_node]
    at_start = np.flatnonzero((p.node_role == LOAD) & (p.node_site == site))
    ends = [hi for n in at_start for _, hi in p.node_windows[n]]
    if not ends:
        return None
    late = math.floor(min(max(ends), v.type.shift_end) * TIME_SCALE + 1e-9)
    return max(_ceil(v.type.shift_start), late)


def _amount(p: RoutingProblem, k: int, dim_of: dict, n_dims: int) -> list[int]:
    """Order k's load vector: kg, m³, and kg again in its restricted-vehicles dimension
    (measured like kg so that PyVRP prices an excess at the kg dimension's scale)."""
    order = p.orders[k]
    amount = [0] * n_dims
    amount[0] = math.ceil(order.kg * KG_SCALE - 1e-9)
    amount[1] = math.ceil(order.m3 * M3_SCALE - 1e-9)
    allowed = tuple(p.allowed_vehicles[k])
    if allowed in dim_of:
        amount[dim_of[allowed]] = max(1, amount[0])
    return amount


def _prize(p: RoutingProblem, k: int) -> tuple[bool, int]:
    """(required in PyVRP, prize). A required order stays required when PyVRP's model can
    serve it alone; a perishable one whose implied deadlines (conservative, see
    ``freshness_deadlines``) no direct trip meets is optional to PyVRP with the
    required-order penalty as its prize, so PyVRP keeps its other routes feasible and the
    exact search inserts it. Modelling every perishable order as optional cost PyVRP
    trucks: it then weighs a prize against a route instead of having to serve it."""
    required = bool(np.isnan(p.penalty[k]))
    prize = round((REQUIRED_PENALTY_CNY if required else float(p.penalty[k])) * COST_SCALE)
    if required and p.freshness[k] is not None:
        load_by, arrive_by = freshness_deadlines(p, k, FRESHNESS_MARGIN_MIN)
        required = servable_alone(p, k, load_by=load_by, arrive_by=arrive_by)
    return required, prize


def _client(
    p: RoutingProblem,
    group: list[int],
    roles: list[str | None],
    dim_of: dict,
    n_dims: int,
    location: int,
) -> pyvrp.Client | None:
    """One PyVRP client for orders served in one stop at one station: deliveries loaded
    where the trucks start, pickups unloaded where they end (``_client_roles``). None
    when its implied deadlines cannot be met (left to the exact model)."""
    delivery, pickup = [0] * n_dims, [0] * n_dims
    early, late, release = 0.0, math.inf, 0.0
    prize, required = 0, True
    service = 0
    for k in group:
        load, unload = (int(n) for n in p.pairs[k])
        if not p.node_windows[load] or not p.node_windows[unload]:
            raise ValueError("PyVRP engine needs every order servable (run check_feasibility)")
        load_by, arrive_by = freshness_deadlines(p, k, FRESHNESS_MARGIN_MIN)
        (a_lo, a_hi), (b_lo, b_hi) = p.node_windows[load][0], p.node_windows[unload][0]
        amount = _amount(p, k, dim_of, n_dims)
        if roles[k] == "delivery":
            delivery = [a + b for a, b in zip(delivery, amount, strict=True)]
            early, late = max(early, b_lo), min(late, b_hi, arrive_by)
            release = max(release, a_lo)  # loading may not start before ready
            node = unload
        else:
            pickup = [a + b for a, b in zip(pickup, amount, strict=True)]
            early, late = max(early, a_lo), min(late, a_hi, load_by)
            node = load
        service = max(service, _step_service(p, node))
        order_required, order_prize = _prize(p, k)
        required &= order_required
        prize += order_prize
    if _late(late) < max(_ceil(early), _ceil(release)):
        return None
    first = p.orders[group[0]]
    return pyvrp.Client(
        location,
        delivery=delivery,
        pickup=pickup,
        service_duration=service,
        tw_early=_ceil(early),
        tw_late=_late(late),
        release_time=_ceil(release),
        prize=prize,
        required=required,
        name=first.id if len(group) == 1 else first.site,
    )


class _Phases:
    """PyVRP locations that hold deliveries-first: a station's pickup steps get a copy of
    its location, and arcs that would unload parcels after produce was loaded (from a
    pickup copy, a single visit that loaded produce, or a centre) are forbidden. Without
    deliveries-first the locations are the sites."""

    def __init__(self, p: RoutingProblem, groups: list[list[int]]) -> None:
        self.p = p
        self.loc_site: list[int] = list(range(len(p.travel.site_ids)))
        self.on = p.batch.options.backhaul == "deliveries_first"
        self.pickup_copy: dict[int, int] = {}
        self.turn_copy: dict[int, int] = {}  # single visits that unload, then load
        self.delivery_side: set[int] = set()
        if not self.on:
            return
        for group in groups:
            kinds = {p.orders[k].kind for k in group}
            site = self._station(group[0])
            if kinds == {"delivery", "pickup"}:
                self._copy(self.turn_copy, site)
            elif kinds == {"pickup"}:
                self._copy(self.pickup_copy, site)
            else:
                self.delivery_side.add(site)
        for k, order in enumerate(p.orders):
            if order.kind == "transfer":
                continue  # rides across; deliveries-first does not rank it
            site = self._station(k)
            if order.kind == "pickup":
                self._copy(self.pickup_copy, site)
            else:
                self.delivery_side.add(site)

    def _station(self, k: int) -> int:
        order = self.p.orders[k]
        node = self.p.pairs[k, 1 if order.kind == "delivery" else 0]
        return int(self.p.node_site[node])

    def _copy(self, copies: dict[int, int], site: int) -> None:
        if site not in copies:
            copies[site] = len(self.loc_site)
            self.loc_site.append(site)

    def of_node(self, node: int) -> int:
        """Location of a shipment step."""
        p, site = self.p, int(self.p.node_site[node])
        is_pickup = p.orders[int(p.node_order[node])].kind == "pickup"
        if self.on and is_pickup and p.node_role[node] == LOAD and not p.node_at_depot[node]:
            return self.pickup_copy[site]
        return site

    def of_group(self, group: list[int]) -> int:
        """Location of a client (one order, or a single-visit station's orders)."""
        site = self._station(group[0])
        if not self.on:
            return site
        kinds = {self.p.orders[k].kind for k in group}
        if kinds == {"delivery", "pickup"}:
            return self.turn_copy[site]
        return self.pickup_copy[site] if kinds == {"pickup"} else site

    def forbidden(self) -> list[tuple[list[int], list[int]]]:
        """(from, to) location sets whose arcs are forbidden."""
        if not self.on:
            return []
        p = self.p
        starts = {int(p.node_site[v.start_node]) for v in p.vehicles}
        centres = {
            int(p.node_site[n])
            for n in np.flatnonzero(p.node_at_depot & (p.node_role == UNLOAD))
            if p.orders[int(p.node_order[n])].kind == "pickup"
        } - starts
        after = [*self.pickup_copy.values(), *self.turn_copy.values(), *sorted(centres)]
        before = [*sorted(self.delivery_side), *self.turn_copy.values()]
        return [(after, before)] if after and before else []


class _Index:
    """How PyVRP's vehicle types, clients and shipments map back to the problem."""

    def __init__(
        self,
        types: list[list[int]],
        clients: list[list[int]],
        shipments: list[int],
        bonus: int,
        on_arrival: np.ndarray,
    ) -> None:
        self.types, self.clients, self.shipments = types, clients, shipments
        self.bonus = bonus  # ``_route_bonus``: PyVRP's distances are not the cost's
        # ``_unload_on_arrival``: minutes PyVRP's arrival at a site comes after the truck's
        self.on_arrival = on_arrival


def _routes(p: RoutingProblem, solution: pyvrp.Solution, index: _Index) -> list[EngineRoute]:
    """PyVRP routes as node sequences of ``p`` (depots first and last).

    A delivery's load node goes at the start of its trip (the depot visit that opens the
    trip), its unload node where PyVRP serves the client; a client pickup's load node goes
    there too, and its unload node at the next depot visit (the end of a single trip).
    """
    free = [list(t) for t in index.types]
    on_arrival = index.on_arrival
    out = []
    for route in solution.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        v = p.vehicles[vehicle]
        nodes, times = [v.start_node], [route.start_time() / TIME_SCALE]
        trip: list[tuple[int, float]] = []  # (node, time) of the current trip
        trips: list[list[tuple[int, float]]] = []
        carried: list[int] = []  # unload nodes of client pickups on board
        for act in route.schedule():
            t = act.start_time / TIME_SCALE
            if act.is_depot():
                if trip:
                    trips.append(trip)
                # PyVRP arrives after unloading the client pickups carried (it is charged
                # that service on the way in): they start to unload when the truck comes.
                early = float(on_arrival[p.node_site[carried[0]]]) if carried else 0.0
                unloaded = t - early
                trip = [(-1, t), *((node, unloaded) for node in carried)]  # -1: the loads
                carried = []
                continue
            if act.is_client():
                for k in index.clients[act.idx]:
                    load, unload = int(p.pairs[k, 0]), int(p.pairs[k, 1])
                    if p.orders[k].kind == "delivery":
                        trip.append((unload, t))
                        trip[0:1] = [trip[0], (load, trip[0][1])]
                    else:
                        trip.append((load, t))
                        carried.append(unload)
            else:
                k = index.shipments[act.idx]
                trip.append((int(p.pairs[k, 0 if act.is_pickup() else 1]), t))
        if trip:
            trips.append(trip)
        for tr in trips:
            for node, t in tr:
                if node >= 0:
                    nodes.append(node)
                    times.append(t)
        nodes.append(v.end_node)
        times.append(route.end_time() / TIME_SCALE)
        out.append(EngineRoute(vehicle, nodes, times))
    return out


def _step_service(p: RoutingProblem, node: int) -> int:
    """Service on the step itself: stations only (hubs and centres pay it on leaving)."""
    return 0 if p.node_at_depot[node] else _ceil(float(p.node_service[node]))


def _ceil(minutes: float) -> int:
    return math.ceil(minutes * TIME_SCALE - 1e-9)


def _late(minutes: float) -> int:
    return BIG if minutes == math.inf else math.floor(minutes * TIME_SCALE + 1e-9)
