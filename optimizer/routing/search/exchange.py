r"""The cross-route search state for true-cost polishing: routes, their exact costs,
where each order rides, and how an insertion is priced and checked.

An order is its load node and its unload node; moving it to another route puts both
there, load before unload (a parcel's load joins a hub visit, a pickup's unload a centre
visit, or the move pays for the detour). Moves, in this order:

- *serve*: put an order the engine left out where it costs least (required ones on an
  idle vehicle if no route can take them; optional ones only below their penalty);
- *empty a route*: put every order of a lightly used route on the others, which saves
  the vehicle's fixed cost when the longer routes still keep every rule;
- *relocate*: take one order off its route and put it where it costs least on another;
- *ruin and recreate*: take a few neighbouring orders off their routes and put each back
  where it costs least (swaps and shifts between routes fall out of this), kept only
  when the total falls;
- *2-opt-star*: cut two neighbouring routes after a village stop each and swap what follows
  (one attempt in ten of the large-neighbourhood phase);
- *SWAP\**: two neighbouring orders on two routes exchange routes, each put where it
  costs least on the other (``SWAP_SHARE`` of the attempts).

For one order, the cost of every insertion into every route (load gap × unload gap,
load first, room on board all along) is estimated at once with numpy (km at the
engines' rate plus minutes by the hour); the best few are rebuilt, re-timed and checked
exactly route by route (``RouteValidator``) and priced by the plan's own cost. Orders at
single-visit station move together as one stop (on route segments: the stop as a block,
its parcels' loads as a block before it, its produce's unloads as one after it), and
nothing else is inserted inside such a stop.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from optimizer.kpis import engine_km_rate, fuel_cost
from optimizer.model import VehicleType
from optimizer.routing.assemble import assemble_route
from optimizer.routing.engines import EngineRoute
from optimizer.routing.problem import LOAD, UNLOAD, NodeView, RoutingProblem
from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.segments import SegmentData, insertion_costs, visit_costs
from optimizer.routing.timing import schedule, tighten
from optimizer.validate import RouteValidator

CHECKS_PER_ORDER = 6  # exact checks of the best-estimated insertions of one order
TAIL_SHARE = 0.1  # of the large-neighbourhood attempts that are 2-opt* tail exchanges
SWAP_SHARE = 0.3  # ... that are SWAP* attempts (the rest: ruin and recreate)
RUIN_PATIENCE = 1000  # ruin-and-recreate attempts in a row without a saving before stopping
RESERVE_EVERY = 200  # large-neighbourhood attempts between tries to serve stranded orders
KICK_SHARE = 0.15  # of the orders on routes, taken off together to leave a local optimum
KICK_MIN = 2 * 8  # ... at least (twice ruin and recreate's largest)
KICK_PATIENCE = 300  # attempts without a saving after a kick before the next one
KICK_FRUITLESS = 20  # kicks in a row without a new best before the search stops
SCREEN_SLACK = 0.02  # a route estimated this much over its cost limit is not checked


@dataclass(frozen=True)
class Exchanged:
    routes: list[EngineRoute]
    moves: int


class Exchange:
    """Cross-route local search over ``routes`` under the exact per-route cost."""

    def __init__(
        self,
        problem: RoutingProblem,
        routes: list[EngineRoute],
        *,
        lazy: bool = False,
        surcharge: np.ndarray | None = None,
    ) -> None:
        """``lazy``: read node matrices on demand from the site matrices (for problems too
        big to hold them). ``surcharge``: CNY per (order, vehicle) added to a route's cost
        for each order it carries (a re-plan's price of giving an order to another truck),
        so that a move must save more than that."""
        self.p = problem
        self.surcharge = surcharge
        self.validator = RouteValidator(problem.batch, problem.travel)
        # Insertions are priced on route segments unless the node matrices are too big.
        self.segments = None if lazy else SegmentData.of(problem)
        # Whether the segments price a route's exact cost wherever they call it feasible
        # (not where drivers' rests are placed: they add paid time the segments omit), so
        # that a move that does not pay there need not be checked exactly.
        # Several windows at a node are held as their hull there: not exact either.
        # (Shelf life held as deadlines: measured, every attempt the exact search kept on
        # 4 families × 3 seeds, 1,800 attempts, passed the screen.)
        # Nor where the rests were taken out for the search (``rests_relaxed``): a screen
        # there finds routes cheaper without rests that cost more once rests are placed
        # (generated county, 150 villages with rest rules, 30 s: 9,928-10,080 CNY against
        # 9,740 without it).
        self.priced_exactly = (
            self.segments is not None
            and not problem.rests_relaxed
            and not problem.has_rest_rules
            and all(len(w) <= 1 for w in problem.node_windows)
        )
        if self.segments is None:
            self.minutes: np.ndarray | NodeView = problem.node_view("minutes")
            self.km: np.ndarray | NodeView = problem.node_view("km")
        else:
            self.minutes, self.km = self.segments.minutes, self.segments.km
        self.price = price = problem.batch.options.fuel_price_cny_per_l
        types = list(dict.fromkeys(v.type.id for v in problem.vehicles))
        by_id = problem.batch.fleet_by_id
        self.km_rate = np.array([engine_km_rate(by_id[t], price) for t in types])
        self.minute_rate = np.array([by_id[t].cost_per_hour / 60 for t in types])
        self.vtype = np.array([types.index(v.type.id) for v in problem.vehicles])
        self.cap_kg = np.array([by_id[t].capacity_kg for t in types])
        self.cap_m3 = np.array([by_id[t].capacity_m3 for t in types])
        self.allowed = np.zeros((len(problem.orders), len(problem.vehicles)), dtype=bool)
        for k, vehicles in enumerate(problem.allowed_vehicles):
            self.allowed[k, vehicles] = True
        # A single-visit station's orders move together, as one stop (on segments only).
        self.unit: list[list[int]] = [[k] for k in range(len(problem.orders))]
        self.visit: dict[int, tuple[list[int], list[int], list[int]]] = {}
        in_chain: set[int] = set()
        for chain in problem.visits:
            orders = [int(problem.node_order[n]) for n in chain]
            for k in orders:
                self.unit[k] = orders
            before = [
                int(problem.pairs[k, 0])
                for k, n in zip(orders, chain, strict=True)
                if problem.node_role[n] == UNLOAD
            ]
            after = [
                int(problem.pairs[k, 1])
                for k, n in zip(orders, chain, strict=True)
                if problem.node_role[n] == LOAD
            ]
            self.visit[orders[0]] = (before, [int(n) for n in chain], after)
            in_chain.update(int(n) for n in chain)
        self.movable = np.array(
            [
                self.segments is not None or not ({int(a), int(b)} & in_chain)
                for a, b in problem.pairs
            ],
            dtype=bool,
        )
        # Where each order meets a village (its station end), for neighbourhoods.
        station = [int(b) if problem.node_at_depot[a] else int(a) for a, b in problem.pairs]
        self.order_site = problem.node_site[station]
        self.routes = [EngineRoute(r.vehicle, list(r.nodes), list(r.times)) for r in routes]
        running = {r.vehicle for r in routes}
        self.routes += [self._idle(v)[0] for v in range(len(problem.vehicles)) if v not in running]
        self.costs = [self.cost(r) for r in self.routes]
        self.busy = [self._serves(r.nodes) for r in self.routes]
        self.where = self._locate()
        self.moves = 0
        self._all_gaps: dict[str, np.ndarray] | None = None
        self._gap_parts: dict[int, dict[str, np.ndarray]] = {}
        self._seg_costs: dict[int, float] = {}
        self._retime()

    def _retime(self) -> None:
        """Each route timed as the search times a route it changes (leaving as late as
        waiting allows), kept where that is valid and cheaper. An engine's times may pay
        for waiting the plan need not (an engine's start times are its own model's), and
        a route the search never touched would keep it; the segments price every route
        so timed. Each re-timed route counts as a move."""
        for r, route in enumerate(self.routes):
            if not self.busy[r]:
                continue
            limit = self.costs[r] - MIN_GAIN_CNY
            found = self.evaluate(route.vehicle, route.nodes, limit, start=route.times[0])
            if found is not None:
                self.routes[r], self.costs[r] = found
                self.moves += 1

    # -- exact evaluation ---------------------------------------------------------------

    def cost(self, route: EngineRoute) -> float:
        """Exact cost of a route as it stands (0 when it serves nothing)."""
        if not self._serves(route.nodes):
            return 0.0
        return assemble_route(self.p, route).cost.total + self.extra(route.vehicle, route.nodes)

    def extra(self, vehicle: int, nodes: list[int]) -> float:
        """The surcharge of ``vehicle`` carrying the orders loaded at ``nodes``."""
        if self.surcharge is None:
            return 0.0
        at = np.asarray(nodes)
        loads = self.p.node_order[at[self.p.node_role[at] == LOAD]]
        return float(self.surcharge[loads, vehicle].sum())

    def _serves(self, nodes: list[int]) -> bool:
        roles = self.p.node_role[nodes]
        return bool(((roles == LOAD) | (roles == UNLOAD)).any())

    def evaluate(
        self,
        vehicle: int,
        nodes: list[int],
        limit: float = math.inf,
        start: float | None = None,
    ) -> tuple[EngineRoute, float] | None:
        """The re-timed route over ``nodes`` and its exact cost, or None when it breaks a
        rule or costs ``limit`` or more. Tried: leave as late as waiting allows; then at
        ``start`` (the route's departure before the move: an engine's schedule may hold
        a shelf-life limit that leaving latest breaks); then as early as the shift
        allows. A quick estimate screens out what cannot pay."""
        v = self.p.vehicles[vehicle]
        if not self._serves(nodes):
            return self._idle(vehicle)
        if not self._fits(v.type, nodes):
            return None
        rules = v.type.rest_rules
        early = schedule(self.p, self.minutes, v.type.shift_start, nodes, rules)
        if early is None:
            return None
        tight = tighten(self.p, self.minutes, early, nodes, rules)
        # Leaving early only lengthens the route: if the tight one cannot pay, neither can.
        if self._estimate(v.type, nodes, tight) > limit * (1 + SCREEN_SLACK):
            return None
        tries = [tight]
        if start is not None and early[0] < start < tight[0]:
            kept = schedule(self.p, self.minutes, start, nodes, rules)
            if kept is not None:
                tries.append(kept)
        if early != tight:
            tries.append(early)
        extra = self.extra(vehicle, nodes)
        for times in tries:
            er = EngineRoute(vehicle, nodes, times)
            route = assemble_route(self.p, er)
            if route.cost.total + extra >= limit:
                return None
            if not self.validator.violations([route]):
                return er, route.cost.total + extra
        return None

    def _fits(self, vt: VehicleType, nodes: list[int]) -> bool:
        """kg and m³ on board within capacity all along (the validator's first rule to
        break when a route takes on more)."""
        kg = np.cumsum(self.p.node_kg[nodes])
        m3 = np.cumsum(self.p.node_m3[nodes])
        return bool(kg.max() <= vt.capacity_kg + 1e-6 and m3.max() <= vt.capacity_m3 + 1e-6)

    def _estimate(self, vt: VehicleType, nodes: list[int], times: list[float]) -> float:
        """The route's cost from its nodes and times (the plan's cost, up to how a stop's
        service start is read)."""
        km = self.km[nodes[:-1], nodes[1:]]
        kg = np.cumsum(self.p.node_kg[nodes])[:-1]
        hours = (times[-1] - times[0]) / 60.0
        fuel = fuel_cost(vt, km, kg, self.price)
        return vt.fixed_cost + km.sum() * vt.cost_per_km + hours * vt.cost_per_hour + fuel

    def _idle(self, vehicle: int) -> tuple[EngineRoute, float]:
        """The route of a vehicle that stays at its depot (left out of the plan)."""
        v = self.p.vehicles[vehicle]
        start = v.type.shift_start
        return EngineRoute(vehicle, [v.start_node, v.end_node], [start, start]), 0.0

    # -- insertion estimates ------------------------------------------------------------

    def arc_cost(self, t: np.ndarray | int, a: object, b: object) -> np.ndarray:
        """Estimated cost of arcs a → b for vehicle types t: km at the engines' rate plus
        minutes (service included) by the hour."""
        return self.km[a, b] * self.km_rate[t] + self.minutes[a, b] * self.minute_rate[t]

    def path_cost(self, vehicle: int, nodes: list[int]) -> float:
        """Estimated cost of driving ``nodes`` in order with ``vehicle``."""
        return float(self.arc_cost(self.vtype[vehicle], nodes[:-1], nodes[1:]).sum())

    def _gaps(self, skip: set[int]) -> dict[str, np.ndarray]:
        """Every gap (between consecutive nodes) of every route that serves something,
        except routes in ``skip``; gaps of one route are contiguous."""
        if self._all_gaps is None:
            parts = [self._route_gaps(r) for r in range(len(self.routes)) if self.busy[r]]
            names = ("route", "pos", "prev", "next", "vehicle", "type", "open", "kg", "m3")
            self._all_gaps = {
                name: np.concatenate([part[name] for part in parts]) if parts else np.array([])
                for name in names
            }
        keep = ~np.isin(self._all_gaps["route"], list(skip))
        if not keep.any():
            return {}
        return {name: column[keep] for name, column in self._all_gaps.items()}

    def _route_gaps(self, r: int) -> dict[str, np.ndarray]:
        """The gaps of route r (kept until the route changes)."""
        if r in self._gap_parts:
            return self._gap_parts[r]
        p, route = self.p, self.routes[r]
        nodes = np.asarray(route.nodes)
        prev, nxt = nodes[:-1], nodes[1:]
        n = len(prev)
        part = {
            "route": np.full(n, r),
            "pos": np.arange(1, n + 1),
            "prev": prev,
            "next": nxt,
            "vehicle": np.full(n, route.vehicle),
            "type": np.full(n, self.vtype[route.vehicle]),
            # Inside a single-visit station's stop nothing may be inserted.
            "open": ~(
                (p.node_site[prev] == p.node_site[nxt])
                & p.node_shared[prev]
                & ~p.node_at_depot[prev]
            ),
            "kg": np.cumsum(p.node_kg[prev]),  # on board on the gap's leg
            "m3": np.cumsum(p.node_m3[prev]),
        }
        self._gap_parts[r] = part
        return part

    def serving(self) -> list[EngineRoute]:
        return [route for r, route in enumerate(self.routes) if self.busy[r]]

    def _locate(self) -> np.ndarray:
        """Per order, the route carrying it (-1: none)."""
        where = np.full(len(self.p.orders), -1, dtype=np.int64)
        for r, route in enumerate(self.routes):
            orders = self.p.node_order[route.nodes]
            where[orders[orders >= 0]] = r
        return where

    def _set(self, r: int, route: EngineRoute, cost: float) -> None:
        self.routes[r], self.costs[r] = route, cost
        self.busy[r] = self._serves(route.nodes)
        self.where[self.where == r] = -1
        orders = self.p.node_order[route.nodes]
        self.where[orders[orders >= 0]] = r
        self._all_gaps = None
        self._gap_parts.pop(r, None)
        self._seg_costs.pop(r, None)

    def insertions(
        self, k: int, gaps: dict[str, np.ndarray], limit: float, count: int
    ) -> list[tuple[float, int, int, int]]:
        """Up to ``count`` cheapest estimated insertions of order k cheaper than
        ``limit``: (estimate, route, load position, unload position)."""
        if not gaps:
            return []
        load, unload = (int(n) for n in self.p.pairs[k])
        c, t, a, b = self.arc_cost, gaps["type"], gaps["prev"], gaps["next"]
        base = c(t, a, b)
        to_load, from_load = c(t, a, load), c(t, load, b)
        to_unload, from_unload = c(t, a, unload), c(t, unload, b)
        ins_load = to_load + from_load - base
        ins_unload = to_unload + from_unload - base
        both = to_load + c(t, load, unload) + from_unload - base
        # The order rides every gap from its load's to its unload's: they must all have
        # room, so the unload goes in the run of fitting gaps that holds the load.
        fits = self.allowed[k, gaps["vehicle"]]
        fits &= gaps["kg"] + self.p.node_kg[load] <= self.cap_kg[t] + 1e-6
        fits &= gaps["m3"] + self.p.node_m3[load] <= self.cap_m3[t] + 1e-6
        starts = np.ones(len(fits), dtype=bool)
        starts[1:] = (gaps["route"][1:] != gaps["route"][:-1]) | ~fits[:-1]
        run = np.cumsum(starts)
        usable = fits & gaps["open"]
        ins_unload = np.where(usable, ins_unload, np.inf)
        after = _later_min(ins_unload, run)
        est = np.where(usable, np.minimum(both, ins_load + after), np.inf)
        n = min(count, len(est))
        best = np.argpartition(est, n - 1)[:n]
        out = []
        for g in best[np.argsort(est[best])]:
            if not est[g] < limit:
                break
            r, pos = int(gaps["route"][g]), int(gaps["pos"][g])
            if both[g] <= ins_load[g] + after[g]:
                out.append((float(est[g]), r, pos, pos))
                continue
            same = np.flatnonzero(run == run[g])
            same = same[same > g]
            j = int(same[np.argmin(ins_unload[same])])
            out.append((float(est[g]), r, pos, int(gaps["pos"][j])))
        return out

    def _inserted(self, r: int, k: int, at_load: int, at_unload: int) -> list[int]:
        load, unload = (int(n) for n in self.p.pairs[k])
        nodes = self.routes[r].nodes
        if at_load == at_unload:
            return [*nodes[:at_load], load, unload, *nodes[at_load:]]
        return [
            *nodes[:at_load],
            load,
            *nodes[at_load:at_unload],
            unload,
            *nodes[at_unload:],
        ]

    def candidates(
        self, k: int, skip: set[int], limit: float, count: int
    ) -> list[tuple[float, int, int, int]]:
        """Up to ``count`` cheapest insertions of order k into routes not in ``skip``
        adding less than ``limit``: (added cost, route, load position, unload position).
        Priced on route segments (exact but for shelf life and several windows), else
        estimated from the node matrices."""
        if self.segments is None:
            return self.insertions(k, self._gaps(skip), limit, count)
        load, unload = (int(n) for n in self.p.pairs[k])
        found: list[tuple[float, int, int, int]] = []
        for r, route in enumerate(self.routes):
            if not self.busy[r] or r in skip or not self.allowed[k, route.vehicle]:
                continue
            open_i, open_j = self._masks(r, [load], [unload])
            costs, at_i, at_j = insertion_costs(
                self.segments, route.vehicle, route.nodes, load, unload, open_i, open_j, count
            )
            now = self._priced_now(r) - self._unit_extra([k], route.vehicle)  # it counts
            for cost, i, j in zip(costs, at_i, at_j, strict=True):
                if cost - now < limit:
                    found.append((float(cost - now), r, int(i), int(j)))
        found.sort()
        return found[:count]

    def _masks(self, r: int, first: list[int], second: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The gaps of route r where ``first`` (inserted earlier) and ``second`` (later)
        may go: the open ones, and on a single-trip vehicle a hub load only before the
        route's first station and a centre unload only after its last."""
        p, route = self.p, self.routes[r]
        open_gap = np.concatenate([[False], self._route_gaps(r)["open"]])
        first_ok, second_ok = open_gap, open_gap
        if p.vehicles[route.vehicle].type.single_trip:
            nodes = np.asarray(route.nodes)
            acts = (p.node_role[nodes] == LOAD) | (p.node_role[nodes] == UNLOAD)
            stations = np.flatnonzero(acts & ~p.node_at_depot[nodes])
            if len(stations):
                if any(p.node_at_depot[n] and p.node_role[n] == LOAD for n in first):
                    first_ok = open_gap.copy()
                    first_ok[stations[0] + 1 :] = False
                if any(p.node_at_depot[n] and p.node_role[n] == UNLOAD for n in second):
                    second_ok = open_gap.copy()
                    second_ok[: stations[-1] + 1] = False
        return first_ok, second_ok

    def _place_visit(
        self, unit: list[int], skip: set[int], limit: float
    ) -> tuple[int, EngineRoute, float] | None:
        """``place`` for a single-visit station's orders: their stop as one block, the
        parcels' loads as one block before it and the produce's unloads one after it."""
        out = None
        for priced, r, i, c, j in self._visit_candidates(unit, skip, limit):
            if self.priced_exactly and out is not None and priced >= out[2]:
                break  # priced exactly on segments: neither this nor a later one is cheaper
            best = limit if out is None else out[2]
            nodes = self._visit_inserted(r, unit, i, c, j)
            checked = self.evaluate(self.routes[r].vehicle, nodes, self.costs[r] + best)
            if checked is not None:
                out = (r, checked[0], checked[1] - self.costs[r])
        return out

    def _visit_inserted(self, r: int, unit: list[int], i: int, c: int, j: int) -> list[int]:
        """Route r's nodes with a single-visit station's block inserted: its loads at
        ``i``, its stop at ``c``, its unloads at ``j``."""
        before, visit, after = self.visit[unit[0]]
        seq = self.routes[r].nodes
        return [*seq[:i], *before, *seq[i:c], *visit, *seq[c:j], *after, *seq[j:]]

    def _visit_candidates(
        self, unit: list[int], skip: set[int], limit: float
    ) -> list[tuple[float, int, int, int, int]]:
        """The cheapest insertions of a single-visit station's orders, priced on
        segments: (added cost, route, load, stop and unload positions), cheapest first."""
        assert self.segments is not None
        before, visit, after = self.visit[unit[0]]
        found: list[tuple[float, int, int, int, int]] = []
        for r, route in enumerate(self.routes):
            if not self.busy[r] or r in skip or not self.allowed[unit, route.vehicle].all():
                continue
            open_b, open_a = self._masks(r, before, after)
            open_c = np.concatenate([[False], self._route_gaps(r)["open"]])
            costs, at = visit_costs(
                self.segments,
                route.vehicle,
                route.nodes,
                before,
                visit,
                after,
                (open_b, open_c, open_a),
                CHECKS_PER_ORDER,
            )
            now = self._priced_now(r) - self._unit_extra(unit, route.vehicle)
            for cost, (i, c, j) in zip(costs, at, strict=True):
                if cost - now < limit:
                    found.append((float(cost - now), r, int(i), int(c), int(j)))
        return sorted(found)[:CHECKS_PER_ORDER]

    def _unit_extra(self, orders: list[int], vehicle: int) -> float:
        """The surcharge of ``vehicle`` taking on ``orders``."""
        return 0.0 if self.surcharge is None else float(self.surcharge[orders, vehicle].sum())

    def _priced_now(self, r: int) -> float:
        """Route r's cost as insertions into it are priced, without its surcharge (an
        insertion's price adds the inserted orders' own): on segments, or, where a
        route breaks a conservative deadline there (infinite), its exact cost."""
        now = self._segment_cost(r)
        if np.isfinite(now):
            return now
        route = self.routes[r]
        return self.costs[r] - self.extra(route.vehicle, route.nodes)

    def _segment_cost(self, r: int) -> float:
        """Route r's cost on segments (cached until the route changes)."""
        if r not in self._seg_costs:
            assert self.segments is not None
            route = self.routes[r]
            self._seg_costs[r] = self.segments.route_cost(route.vehicle, route.nodes)
        return self._seg_costs[r]

    def place(self, k: int, skip: set[int], limit: float) -> tuple[int, EngineRoute, float] | None:
        """The cheapest exactly checked insertion of order k into a route not in ``skip``
        that adds less than ``limit``: (route, new route, added cost)."""
        if len(self.unit[k]) > 1:
            return self._place_visit(self.unit[k], skip, limit)
        found = None
        for priced, r, i, j in self.candidates(k, skip, limit, CHECKS_PER_ORDER):
            if self.priced_exactly and found is not None and priced >= found[2]:
                break  # priced on segments, in order: no later candidate is cheaper
            best = limit if found is None else found[2]
            nodes = self._inserted(r, k, i, j)
            checked = self.evaluate(self.routes[r].vehicle, nodes, self.costs[r] + best)
            if checked is not None:
                found = (r, checked[0], checked[1] - self.costs[r])
        return found

    def priced_place(self, k: int) -> tuple[int, list[int], float] | None:
        """``place`` on segments alone, no exact check: the cheapest insertion of order
        k (with its single-visit stop's orders) as (route, its nodes, added cost)."""
        unit = self.unit[k]
        if len(unit) > 1:
            visits = self._visit_candidates(unit, set(), math.inf)
            if not visits:
                return None
            priced, r, i, c, j = visits[0]
            return r, self._visit_inserted(r, unit, i, c, j), priced
        found = self.candidates(k, set(), math.inf, 1)
        if not found:
            return None
        priced, r, i, j = found[0]
        return r, self._inserted(r, k, i, j), priced

    def snapshot(self) -> tuple:
        """The search state, cheaply restorable with its caches (``rollback``)."""
        return (
            self.routes[:],
            self.costs[:],
            self.busy[:],
            self.where.copy(),
            dict(self._gap_parts),
            dict(self._seg_costs),
            self._all_gaps,
        )

    def rollback(self, saved: tuple) -> None:
        routes, costs, busy, where, gap_parts, seg_costs, all_gaps = saved
        self.routes, self.costs, self.busy, self.where = routes[:], costs[:], busy[:], where.copy()
        self._gap_parts, self._seg_costs, self._all_gaps = (
            dict(gap_parts),
            dict(seg_costs),
            all_gaps,
        )

    # -- moves --------------------------------------------------------------------------

    def _orders_on(self, r: int) -> list[int]:
        nodes = self.routes[r].nodes
        return sorted({int(self.p.node_order[n]) for n in nodes if self.p.node_order[n] >= 0})

    def _without(self, r: int, k: int) -> list[int]:
        """Route r's nodes without order k (and the rest of its single-visit stop)."""
        drop = {int(n) for j in self.unit[k] for n in self.p.pairs[j]}
        return [n for n in self.routes[r].nodes if n not in drop]

    def _may_empty(self, r: int) -> bool:
        """Emptying route r keeps at least ``min_used`` vehicles of its type running."""
        vt = self.p.vehicles[self.routes[r].vehicle].type
        if vt.min_used == 0:
            return True
        running = sum(
            1
            for q, route in enumerate(self.routes)
            if self.busy[q] and self.p.vehicles[route.vehicle].type.id == vt.id
        )
        return running > vt.min_used

    def _removal_estimate(self, r: int, nodes: list[int]) -> float:
        """Estimated saving of route r running ``nodes`` instead (matrix cost, plus the
        fixed cost when it would serve nothing)."""
        vehicle = self.routes[r].vehicle
        saving = self.path_cost(vehicle, self.routes[r].nodes) - self.path_cost(vehicle, nodes)
        if not self._serves(nodes):
            saving += self.p.vehicles[vehicle].type.fixed_cost
        return saving

    def run(
        self, deadline: float, seed: int = 0, *, kicks: bool = False, stall_s: float | None = None
    ) -> Exchanged:
        """Serve what the engine left out, empty routes (fewest orders first) and
        relocate orders until neither saves; then ruin and recreate, 2-opt* and SWAP*
        until the clock runs out or a long run of attempts saves nothing.

        ``kicks``: a search that converged before ``deadline`` goes on from the best
        routes so far with a large neighbourhood (``KICK_SHARE`` of the orders) ruined and
        recreated whatever it costs, then descends again (iterated local search); the
        best routes found are kept. Without, the time left is handed back.

        ``stall_s``: the time left is handed back too once ``stall_s`` seconds pass
        without a new best plan (all required orders served), so that a portfolio can
        give it to another engine that is still improving."""
        # The operators change this state; they import it, so they are imported here.
        from optimizer.routing.search.eliminate import empty_route
        from optimizer.routing.search.relocate import relocate
        from optimizer.routing.search.ruin import ruin_recreate
        from optimizer.routing.search.serve import serve_unserved
        from optimizer.routing.search.swap import swap_star
        from optimizer.routing.search.tails import exchange_tails

        serve_unserved(self, deadline, eject=True)
        improved = True
        while improved and time.perf_counter() < deadline:
            improved = False
            used = [r for r, busy in enumerate(self.busy) if busy]
            for r in sorted(used, key=lambda r: len(self.routes[r].nodes)):
                if time.perf_counter() >= deadline:
                    break
                improved |= empty_route(self, r)
            for k in np.flatnonzero(self.movable):
                if time.perf_counter() >= deadline:
                    break
                r = self._route_of(int(k))
                if r is not None:
                    improved |= relocate(self, int(k), r)
        rng = np.random.default_rng(seed)
        idle = 0
        attempts = 0
        patience = RUIN_PATIENCE
        fruitless, kick_s = 0, 0.0
        best = None if self._stranded() else (sum(self.costs), self.snapshot())
        lowest, gained = math.inf if best is None else best[0], time.perf_counter()
        while time.perf_counter() < deadline and (idle < patience or self._stranded() or kicks):
            if stall_s is not None:
                total = sum(self.costs)
                if total < lowest - MIN_GAIN_CNY and not self._stranded():
                    lowest, gained = total, time.perf_counter()
                elif time.perf_counter() - gained >= stall_s:
                    break
            if idle >= patience and not self._stranded():  # converged: a kick
                total = sum(self.costs)
                if best is None or total < best[0] - MIN_GAIN_CNY:
                    best, fruitless = (total, self.snapshot()), 0
                else:
                    fruitless += 1
                    if total > best[0]:
                        self.rollback(best[1])  # kicks start from the best routes
                served = int((self.movable & (self.where >= 0)).sum())
                # Too few orders to ruin a part, kicks that keep finding nothing, or too
                # little time for a kick and a descent: the time is handed back.
                if (
                    served <= KICK_MIN
                    or fruitless >= KICK_FRUITLESS
                    or deadline - time.perf_counter() < 2 * kick_s
                ):
                    break
                kicked = time.perf_counter()
                ruin_recreate(self, rng, size=max(KICK_MIN, int(KICK_SHARE * served)), force=True)
                kick_s = time.perf_counter() - kicked
                idle, patience = 0, KICK_PATIENCE
                continue
            attempts += 1
            if attempts % RESERVE_EVERY == 0 and self._stranded():
                # The routes have changed since the last try: ejections may work now.
                serve_unserved(self, deadline, eject=True)
            draw = rng.random()
            move = (
                exchange_tails
                if draw < TAIL_SHARE
                else swap_star
                if draw < TAIL_SHARE + SWAP_SHARE
                else ruin_recreate
            )
            idle = 0 if move(self, rng) else idle + 1
        if kicks and best is not None and (self._stranded() or sum(self.costs) > best[0]):
            self.rollback(best[1])
        return Exchanged(self.serving(), self.moves)

    def _stranded(self) -> bool:
        """Whether a required order is still on no route."""
        return bool(((self.where < 0) & self.movable & np.isnan(self.p.penalty)).any())

    def _route_of(self, k: int) -> int | None:
        r = int(self.where[k])
        return None if r < 0 else r


def _later_min(values: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Per position, the minimum of ``values`` at later positions of the same segment
    (inf at a segment's last position); segments are contiguous and ascending."""
    _, first, size = np.unique(segment, return_index=True, return_counts=True)
    offset = np.arange(len(values)) - np.repeat(first, size)
    table = np.full((len(size), int(size.max(initial=0)) + 1), np.inf)
    row = np.repeat(np.arange(len(size)), size)
    table[row, offset] = values
    # Minimum from each column to the right, then shifted one left: strictly later.
    suffix = np.minimum.accumulate(table[:, ::-1], axis=1)[:, ::-1]
    return suffix[row, offset + 1]
