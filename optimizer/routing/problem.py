"""Compile a batch into one engine-neutral routing problem (floating point, core units).

Every order becomes a *load* node and an *unload* node: a delivery is loaded at its
hub and unloaded at its station, a pickup is loaded at its station and unloaded at its
collection centre. Vehicles start and end at depot nodes (one per distinct site). This
uniform pickup-and-delivery view covers mixed routes, reloads at the hub, trucks that
end at a collection centre, and Li & Lim style shipments with one code path.

At a hub or collection centre, service is charged once per *stop*: a run of consecutive
nodes at the same site (loading a truck's parcels, unloading its produce). A
*single-visit* station is the same, and its nodes must form one stop (``visits``). At
any other village station every order is its own stop (unload the parcels, then load the
produce), so a truck may wait there between two orders, e.g. for a later harvest. The
time from node i to node j is ``service(i) + travel(i, j)``, except between two nodes of
one stop, which is 0 unless j ends the route. Engines scale these floats to integers at
their own boundary (rounding travel up) and the validator rechecks the
resulting plan in floating point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from optimizer.freshness import (
    can_carry,
    decay_rate,
    freshness_budget_min,
    storage_temp,
    vehicle_temp,
)
from optimizer.model import Batch, Order, VehicleType, vehicle_ids
from optimizer.network import TravelMatrices, travel_matrices

START, END, LOAD, UNLOAD = 0, 1, 2, 3


MATRIX_NODES_MAX = 3000  # above this, node-by-node matrices cost too much memory
SEARCH_NODES_MAX = 4500  # the native search's node matrices (route segments) up to this:
# measured 0.65 GiB peak at 3,724 nodes (1,861 orders); above 2,000 orders a batch is
# planned in parts anyway


@dataclass(frozen=True)
class Vehicle:
    id: str
    type: VehicleType
    start_node: int
    end_node: int
    temp_c: float


@dataclass
class RoutingProblem:
    """Nodes, vehicles and per-order rules of one batch, in minutes, km, kg, m³, CNY."""

    batch: Batch
    travel: TravelMatrices
    node_site: np.ndarray  # site index (into travel.site_ids) per node
    node_role: np.ndarray  # START, END, LOAD or UNLOAD
    node_order: np.ndarray  # order index per node, -1 for depots
    node_kg: np.ndarray  # + when loaded, - when unloaded
    node_m3: np.ndarray
    node_service: np.ndarray  # site service minutes for action nodes, 0 for depots
    node_shared: np.ndarray  # True where consecutive nodes share one stop (hubs, centres)
    node_at_depot: np.ndarray  # True at hubs and centres (not village stations)
    node_windows: list[list[tuple[float, float]]]  # allowed service starts
    vehicles: list[Vehicle]
    orders: list[Order]
    pairs: np.ndarray  # (n_orders, 2): load node, unload node
    allowed_vehicles: list[list[int]]  # per order; every vehicle when it equals all
    penalty: np.ndarray  # CNY per order; NaN for required orders
    freshness: list[FreshnessRule | None] = field(default_factory=list)
    visits: list[list[int]] = field(default_factory=list)  # single-visit chains, in order
    # What searches derive from the problem once and share (e.g. route segments).
    cache: dict[object, object] = field(default_factory=dict, repr=False, compare=False)
    # Drivers' rests taken out for the engines (``search.repair.relaxed``): the plan's
    # cost has them, this problem's does not.
    rests_relaxed: bool = False

    @property
    def n_nodes(self) -> int:
        return len(self.node_site)

    @property
    def has_shelf_life(self) -> bool:
        """Whether some order has a shelf-life limit: PyVRP then holds it only as
        conservative deadlines, and OR-Tools needs its two-phase model."""
        return any(rule is not None for rule in self.freshness)

    @property
    def has_rest_rules(self) -> bool:
        """Whether some vehicle's drivers must rest (placed where routes are timed)."""
        return any(v.type.rest_rules is not None for v in self.vehicles)

    def node_times(self) -> np.ndarray:
        """Minutes from node i to node j: service at i (when the stop ends) plus travel."""
        site = self.node_site
        travel = self.travel.minutes[np.ix_(site, site)]
        same = (site[:, None] == site[None, :]) & self.node_shared[:, None]
        ends_route = (self.node_role == END)[None, :]
        times = self.node_service[:, None] + travel
        return np.where(same & ~ends_route, 0.0, times)

    def node_km(self) -> np.ndarray:
        site = self.node_site
        return self.travel.km[np.ix_(site, site)]

    def node_view(self, kind: str) -> NodeView:
        """``node_times()`` (kind ``minutes``) or ``node_km()`` (``km``) computed entry by
        entry on demand: for problems too big to hold n² floats per matrix."""
        return NodeView(self, kind)


class NodeView:
    """A node × node matrix of a problem, indexed like the full array (``m[a, b]`` with
    ints or index arrays) but computed from the site matrices when read."""

    def __init__(self, problem: RoutingProblem, kind: str) -> None:
        if kind not in ("minutes", "km"):
            raise ValueError(f"unknown node matrix '{kind}'")
        self.kind = kind
        self.p = problem

    def __getitem__(self, key: tuple[object, object]) -> np.ndarray:
        a, b = (np.asarray(x) for x in key)
        p = self.p
        sa, sb = p.node_site[a], p.node_site[b]
        if self.kind == "km":
            return p.travel.km[sa, sb]
        same = (sa == sb) & p.node_shared[a] & (p.node_role[b] != END)
        return np.where(same, 0.0, p.node_service[a] + p.travel.minutes[sa, sb])


@dataclass(frozen=True)
class FreshnessRule:
    """Shelf-life limit of one perishable order: used minutes ≤ budget.

    Used = ``station_rate × (load departure − ready)`` (pickups only) plus
    ``rate[temp] × (arrival − load departure)`` for the vehicle's compartment temperature.
    """

    budget: float  # reference minutes the order may use
    ready: float | None  # clock start while waiting at a station (pickups)
    station_rate: float  # 0 for deliveries
    rate_by_temp: dict[float, float]  # riding rate per compartment temperature


def compile_problem(batch: Batch, travel: TravelMatrices | None = None) -> RoutingProblem:
    """Build the node model of ``batch`` (its travel matrices unless given)."""
    travel = travel or travel_matrices(batch)
    site_index = travel.index()
    sites = batch.sites_by_id

    node_site: list[int] = []
    node_role: list[int] = []
    node_order: list[int] = []
    depot_node: dict[tuple[str, int], int] = {}

    def depot(site_id: str, role: int) -> int:
        key = (site_id, role)
        if key not in depot_node:
            depot_node[key] = len(node_site)
            node_site.append(site_index[site_id])
            node_role.append(role)
            node_order.append(-1)
        return depot_node[key]

    vehicles = []
    for vid, vt in vehicle_ids(batch):
        assert vt.start is not None and vt.end is not None
        vehicles.append(
            Vehicle(vid, vt, depot(vt.start, START), depot(vt.end, END), vehicle_temp(vt, batch))
        )

    orders = list(batch.orders)
    pairs = np.zeros((len(orders), 2), dtype=np.int64)
    for k, order in enumerate(orders):
        origin, destination = order.ends()
        for role, site_id in ((LOAD, origin), (UNLOAD, destination)):
            pairs[k, 0 if role == LOAD else 1] = len(node_site)
            node_site.append(site_index[site_id])
            node_role.append(role)
            node_order.append(k)

    role = np.array(node_role, dtype=np.int64)
    order_of = np.array(node_order, dtype=np.int64)
    kg = np.array([o.kg for o in orders] + [0.0])[order_of]
    m3 = np.array([o.m3 for o in orders] + [0.0])[order_of]
    sign = np.where(role == LOAD, 1.0, np.where(role == UNLOAD, -1.0, 0.0))
    site_ids = travel.site_ids
    service = np.array(
        [
            sites[site_ids[s]].service_min if r in (LOAD, UNLOAD) else 0.0
            for s, r in zip(node_site, node_role, strict=True)
        ]
    )
    at_depot = np.array([sites[site_ids[s]].kind != "station" for s in node_site], dtype=bool)
    single = np.array([sites[site_ids[s]].single_visit for s in node_site], dtype=bool)
    shared = at_depot | single
    windows = [
        _node_windows(batch, site_ids[s], r, orders[o] if o >= 0 else None)
        for s, r, o in zip(node_site, node_role, node_order, strict=True)
    ]
    for v in vehicles:
        windows[v.start_node] = [(0.0, 7 * 1440.0)]
        windows[v.end_node] = [(0.0, 7 * 1440.0)]

    allowed = [_allowed(batch, o, vehicles) for o in orders]
    penalty = np.array([np.nan if o.penalty is None else o.penalty for o in orders])
    temps = sorted({v.temp_c for v in vehicles})
    rules = [_freshness_rule(batch, o, temps) for o in orders]
    return RoutingProblem(
        batch=batch,
        travel=travel,
        node_site=np.array(node_site, dtype=np.int64),
        node_role=role,
        node_order=order_of,
        node_kg=kg * sign,
        node_m3=m3 * sign,
        node_service=service,
        node_shared=shared,
        node_at_depot=at_depot,
        node_windows=windows,
        vehicles=vehicles,
        orders=orders,
        pairs=pairs,
        allowed_vehicles=allowed,
        penalty=penalty,
        freshness=rules,
        visits=_single_visits(batch, orders, pairs),
    )


def _single_visits(batch: Batch, orders: list[Order], pairs: np.ndarray) -> list[list[int]]:
    """Per single-visit station with several orders, its action nodes in stop order:
    parcels unloaded first, then produce loaded (room is freed before it is used)."""
    unloads: dict[str, list[int]] = {}
    loads: dict[str, list[int]] = {}
    for k, order in enumerate(orders):
        origin, destination = order.ends()
        if batch.sites_by_id[origin].single_visit:  # only stations can be single-visit
            loads.setdefault(origin, []).append(int(pairs[k, 0]))
        if batch.sites_by_id[destination].single_visit:
            unloads.setdefault(destination, []).append(int(pairs[k, 1]))
    chains = [unloads.get(s, []) + loads.get(s, []) for s in dict.fromkeys([*unloads, *loads])]
    return [c for c in chains if len(c) > 1]


def _intersect(
    windows: list[tuple[float, float]], lo: float, hi: float
) -> list[tuple[float, float]]:
    out = [(max(a, lo), min(b, hi)) for a, b in windows]
    return [(a, b) for a, b in out if a <= b]


def _node_windows(
    batch: Batch, site_id: str, role: int, order: Order | None
) -> list[tuple[float, float]]:
    """Service-start windows of an action node: its site's hours cut by ready and cut-off."""
    site = batch.sites_by_id[site_id]
    base = [(w.start, w.end) for w in site.time_windows] or [(0.0, 7 * 1440.0)]
    if order is None:
        return base
    lo, hi = 0.0, 7 * 1440.0
    if role == LOAD and order.ready is not None:
        lo = order.ready
    if role == UNLOAD and site.cutoff is not None:
        hi = site.cutoff
    return _intersect(base, lo, hi)


def _allowed(batch: Batch, order: Order, vehicles: list[Vehicle]) -> list[int]:
    product = batch.products_by_id[order.product]
    ok = {vt.id: can_carry(vt, product) for vt in batch.fleet}  # per type, not per truck
    return [k for k, v in enumerate(vehicles) if ok[v.type.id]]


def _freshness_rule(batch: Batch, order: Order, temps: list[float]) -> FreshnessRule | None:
    budget = freshness_budget_min(order, batch)
    if budget is None:
        return None
    product = batch.products_by_id[order.product]
    station_rate = 0.0
    ready = None
    waits_at = order.waits_at()
    if waits_at is not None:
        station_rate = decay_rate(product, storage_temp(batch.sites_by_id[waits_at], batch))
        ready = order.ready
    return FreshnessRule(
        budget=budget,
        ready=ready,
        station_rate=station_rate,
        rate_by_temp={t: decay_rate(product, t) for t in temps},
    )


RIDE_TRIPS = 3.0  # the ride after a pickup's latest load that its deadlines leave room
# for, in direct trips from the station to where it is unloaded (load service included).
# Measured against half the budget for waiting (the rule before), plan_batch 10 s at 60
# stops, 30 s at 150, seeds 1-3: tight shelf life with a mixed fleet 2,519 -> 2,350 CNY
# mean (60) and 7,862 -> 7,467 (150); fuel-wage tight 3,342 -> 3,089 (60) and 9,112 ->
# 8,401 (150); loose shelf life 3,544 -> 3,491 (time-dominated) and 2,707 -> 2,511
# (fuel-wage mixed). 1.5 trips: 2,423 on the first; 5: 2,351; 10: 2,423.


def freshness_deadlines(
    problem: RoutingProblem, k: int, margin: float, temps: set[float] | None = None
) -> tuple[float, float]:
    """Latest service starts (load node, unload node) that together imply order k's limit.

    used = r_s·(D − ready) + r_v·(A − D) for departure D and arrival A. When the station
    ages produce faster than the truck (r_s > r_v), any split of the budget into a latest
    departure (ready + x) and the matching arrival deadline keeps used ≤ budget; the
    split chosen leaves a ride of ``RIDE_TRIPS`` direct trips between them (all the
    budget for waiting at most; none when even that ride breaks the limit), so that the
    deadlines hold the limit exactly for a route that rides that long after its latest
    load, not for one ride of half the budget (hours in a reefer, which pushed every
    pickup to be loaded early). Otherwise the arrival deadline at D = ready suffices.
    Deliveries leave the hub no earlier than its first opening (or ready). For every
    compartment temperature allowed, the tightest deadline is kept (or for the
    temperatures ``temps`` only: a vehicle type's own compartment); ``margin`` reference
    minutes are held back. No limit: (inf, inf).
    """
    rule = problem.freshness[k]
    if rule is None:
        return math.inf, math.inf
    budget = rule.budget - margin
    load = int(problem.pairs[k, 0])
    service = float(problem.node_service[load])
    if temps is None:
        temps = {problem.vehicles[i].temp_c for i in problem.allowed_vehicles[k]}
    if rule.ready is None:
        earliest = min((a for a, _ in problem.node_windows[load]), default=0.0) + service
        ride = min(budget / rule.rate_by_temp[t] for t in temps)
        return math.inf, earliest + ride
    r_s = rule.station_rate
    unload = int(problem.pairs[k, 1])
    trip = float(problem.travel.minutes[problem.node_site[load], problem.node_site[unload]])
    ride = RIDE_TRIPS * (trip + service)
    load_by = arrive_by = math.inf
    for t in temps:
        r_v = rule.rate_by_temp[t]
        if r_s > r_v:
            x = min(max((budget - r_v * ride) / r_s, 0.0), budget / r_s)
            load_by = min(load_by, rule.ready + x - service)
            arrive_by = min(arrive_by, rule.ready + (budget - (r_s - r_v) * x) / r_v)
        else:
            arrive_by = min(arrive_by, rule.ready + budget / r_v)
    return load_by, arrive_by
