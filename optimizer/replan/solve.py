"""Re-plan the day: build the residual batch, solve it warm, stitch the day back.

The old plan's remaining routes are the warm start: as they are, and with what they miss
(late orders, a downed truck's stops and goods) put in at the cheapest places; the
engines then start from that (the exact OR-Tools model reads it as its first solution).
Stability: among the candidates, the one with the lowest validated cost plus
``move_cost_cny`` per order given to another truck than the old plan's wins, so a route
stays as it was unless moving a stop pays.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from optimizer.model import Batch, with_orders
from optimizer.plan import Plan
from optimizer.replan.changes import Changes, compute_changes
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.residual import Residual, build_residual
from optimizer.replan.stitch import stitch
from optimizer.routing.assemble import build_plan, unserved_outcome
from optimizer.routing.diagnose import explain_not_fitted
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.polish import exact_cost
from optimizer.routing.portfolio import run_engine
from optimizer.routing.problem import LOAD, UNLOAD, RoutingProblem, compile_problem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.segments import warm_up
from optimizer.routing.search.serve import serve_unserved
from optimizer.routing.solve import InvalidPlan
from optimizer.validate import validate_plan

REPAIR_SHARE = 0.25  # of the time limit at most, to put missing orders into the old routes
# Kept back to judge the candidates, stitch the day and validate it twice: county-400
# re-plans took 4.7-9.2 s at a 5 s limit with only 1 ms per order kept back.
FINISH_SHARE = 0.2


@dataclass
class Replanned:
    """A validated re-plan: the day's batch and plan, and what it took."""

    plan: Plan
    residual: Residual
    changes: Changes
    warm_kept: bool  # the old routes, repaired or not, won over the engines' search

    @property
    def day(self) -> Batch:
        """The day's batch the plan is for (events applied)."""
        return self.residual.day


def _compile(res: Residual, orders_out: set[str]) -> RoutingProblem:
    """The residual problem (without ``orders_out``), on-board goods bound to their truck."""
    batch = res.batch
    if orders_out:
        batch = with_orders(batch, [o for o in batch.orders if o.id not in orders_out])
    stuck = [res.batch.orders_by_id[oid] for oid in orders_out if oid in res.bound]
    if stuck:  # goods that cannot be delivered stay on their truck and take its room
        data = batch.model_dump(by_alias=True)
        for vt in data["fleet"]:
            mine = [o for o in stuck if res.bound[o.id] == f"{vt['id']}-1"]
            vt["capacity_kg"] = max(1e-6, vt["capacity_kg"] - sum(o.kg for o in mine))
            vt["capacity_m3"] = max(1e-6, vt["capacity_m3"] - sum(o.m3 for o in mine))
        batch = Batch.model_validate(data)
    problem = compile_problem(batch, res.travel)
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    for k, order in enumerate(problem.orders):
        if order.id in res.bound:
            problem.allowed_vehicles[k] = [index[res.bound[order.id]]]
    return problem


def _warm(problem: RoutingProblem, res: Residual, old: Plan) -> EngineResult:
    """The old plan's remaining stops as residual routes (orders no longer there skipped)."""
    node_of = {
        (problem.orders[int(problem.node_order[n])].id, int(problem.node_role[n])): n
        for n in range(problem.n_nodes)
        if problem.node_order[n] >= 0
    }
    residual_id = {real: rid for rid, real in res.real_vehicle.items()}
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes = []
    for route in old.routes:
        rid = residual_id.get(route.vehicle)
        if rid is None:  # broke down
            continue
        k = index[rid]
        p = res.positions.get(route.vehicle)
        done = len(p.locked) if p is not None else 0
        start = p.ready if p is not None else route.stops[0].start
        nodes, times = [problem.vehicles[k].start_node], [start]
        for oid in p.on_board if p is not None else []:
            if (oid, LOAD) in node_of:
                nodes.append(node_of[(oid, LOAD)])
                times.append(start)
        for stop in route.stops[done:]:
            for role, ids in ((UNLOAD, stop.unload), (LOAD, stop.load)):
                for oid in ids:
                    if (oid, role) in node_of and (oid, LOAD) in node_of:
                        nodes.append(node_of[(oid, role)])
                        times.append(stop.start)
        if len(nodes) > 1:
            nodes.append(problem.vehicles[k].end_node)
            times.append(route.stops[-1].departure)
            routes.append(EngineRoute(k, nodes, times))
    return EngineResult(routes, math.nan, "warm", 0.0)


def _repaired(problem: RoutingProblem, warm: EngineResult, deadline: float) -> EngineResult:
    """The old routes with what they miss (late orders, a downed truck's stops and goods)
    put in at their cheapest places, nothing else moved: the most stable candidate."""
    ex = Exchange(problem, warm.routes)
    serve_unserved(ex, deadline)
    return EngineResult(ex.serving(), math.nan, "repaired", 0.0)


def _bound_kept(problem: RoutingProblem, res: Residual, result: EngineResult) -> EngineResult:
    """``result`` with goods on board left off any other truck than their own. The engines
    are told (allowed vehicles), but an engine's best may still break it (seen when the
    truck's own day was nearly over), and the residual batch's validator cannot tell."""
    routes = []
    for r in result.routes:
        vehicle = problem.vehicles[r.vehicle].id
        keep = [
            i
            for i, n in enumerate(r.nodes)
            if (k := int(problem.node_order[n])) < 0
            or res.bound.get(problem.orders[k].id, vehicle) == vehicle
        ]
        routes.append(
            EngineRoute(r.vehicle, [r.nodes[i] for i in keep], [r.times[i] for i in keep])
        )
    return EngineResult(routes, result.objective, result.status, result.seconds)


def _moves(problem: RoutingProblem, res: Residual, old: Plan, routes: list[EngineRoute]) -> int:
    """Orders a candidate gives to another truck than the old plan's."""
    before = {o.order: o.vehicle for o in old.orders if o.served}
    moved = 0
    for r in routes:
        truck = res.real_vehicle[problem.vehicles[r.vehicle].id]
        for n in r.nodes:
            if problem.node_role[n] == LOAD:
                oid = problem.orders[int(problem.node_order[n])].id
                moved += before.get(oid, truck) != truck
    return moved


def replan(
    batch: Batch,
    old: Plan,
    events: Events,
    *,
    time_limit_s: float | None = None,
    engine: str = "auto",
    warm_start: bool = True,
) -> Replanned:
    """The validated plan of the day after ``events`` (``ReplanInputError`` on bad events,
    ``InfeasibleBatch`` when what is left cannot be planned at all).

    ``warm_start=False`` solves what is left from scratch, with no preference for the old
    routes (what the benchmark compares with)."""
    warm_up()  # before the clock starts, as in ``plan_batch``
    started = time.perf_counter()
    events = events.with_down(old.down)  # a truck down in the old plan stays down
    limit = time_limit_s if time_limit_s is not None else batch.options.time_limit_s
    res = build_residual(batch, old, events)
    problem = _compile(res, set())
    issues = check_feasibility(problem)
    if issues and not all(i.leaves_out_order for i in issues):
        raise InfeasibleBatch(issues)
    left_out = {i.order: i for i in issues if i.order is not None}
    if left_out:
        problem = _compile(res, set(left_out))
    warm = _warm(problem, res, old) if warm_start else None
    candidates = [warm or EngineResult([], math.nan, "empty", 0.0)]
    start = warm
    if warm is not None and math.isfinite(exact_cost(problem, warm.routes)):
        start = _repaired(problem, warm, started + REPAIR_SHARE * limit)
        candidates.append(start)
    left = max(0.1, (1 - FINISH_SHARE) * limit - (time.perf_counter() - started))
    if problem.vehicles and problem.orders:
        candidates.append(run_engine(problem, left, engine=engine, initial=start))
    move_cost = events.options.move_cost_cny if warm_start else 0.0

    candidates = [_bound_kept(problem, res, c) for c in candidates]

    def score(c: EngineResult) -> float:
        return exact_cost(problem, c.routes) + move_cost * _moves(problem, res, old, c.routes)

    scores = [score(c) for c in candidates]
    best = min(range(len(candidates)), key=lambda i: scores[i])
    if not math.isfinite(scores[best]):
        best = len(candidates) - 1  # nothing valid: the engine's, which fails loudly below
    chosen = candidates[best]
    rplan = build_plan(problem, chosen.routes, engine=engine, seconds=0.0)
    violations = validate_plan(problem.batch, rplan, problem.travel)
    if violations:
        raise InvalidPlan(violations)
    explain_not_fitted(problem, chosen.routes, rplan)
    rplan.orders += [
        unserved_outcome(res.batch.orders_by_id[oid], list(i.reasons))
        for oid, i in left_out.items()
    ]
    plan = stitch(res, rplan, f"replan/{engine}", time.perf_counter() - started)
    violations = validate_replan(batch, old, events, plan, res.day, res.day_travel)
    if violations:
        raise InvalidPlan(violations)
    plan.solve_seconds = time.perf_counter() - started
    return Replanned(
        plan=plan,
        residual=res,
        changes=compute_changes(old, plan, events, res),
        warm_kept=chosen.status in ("warm", "repaired"),
    )
