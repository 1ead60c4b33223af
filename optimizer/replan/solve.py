"""Re-plan the day: build the residual batch, solve it warm, stitch the day back.

The old plan's remaining routes are the warm start: first as they are, then with what
they miss (late orders, a downed truck's stops and goods) put in at the cheapest places,
then improved by the native search (``polish``) from there until the time is up.
Stability: among the candidates, the one with the lowest validated cost plus
``move_cost_cny`` per order given to another truck than the old plan's wins, so a route
stays as it was unless moving a stop pays.

The time limit covers the whole re-plan: building the residual batch and the warm start
is measured, and so is one exact check of the warm routes; the search gets what is left
once ``FINISH_CHECKS`` such checks are kept back for judging, stitching and validating.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np

from optimizer.model import Batch, with_orders
from optimizer.plan import Plan
from optimizer.replan.changes import Changes, compute_changes
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.residual import Residual, build_residual
from optimizer.replan.stitch import stitch
from optimizer.routing.assemble import build_plan, plan_score, unserved_outcome, validated_plan
from optimizer.routing.diagnose import explain_not_fitted
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.polish import polish
from optimizer.routing.portfolio import run_engine
from optimizer.routing.problem import LOAD, UNLOAD, RoutingProblem, compile_problem
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.repair import routes_repaired
from optimizer.routing.search.serve import serve_unserved
from optimizer.routing.solve import InvalidPlan
from optimizer.validate import validate_plan
from optimizer.warm import warm_up

# Kept back after the search, in units of one exact check of a candidate (building and
# validating its residual plan, measured each re-plan): the search's overrun (its last
# moves and validations), judging its candidate, stitching, the re-plan check on the
# day and the changes. Measured at 1,000 villages (re-plans at 09:00, loaded machine):
# 5 checks' time, 3 of them the search's overrun.
FINISH_CHECKS = 7.0
# The search gets at least this share of the limit, whatever the setup took: without it,
# late orders go unserved when a loaded machine makes the setup slow. The limit then
# holds only while the setup and the reserve take at most the rest.
MIN_SEARCH_SHARE = 0.2


@dataclass(frozen=True)
class Budget:
    """How a re-plan's time limit is spent: the setup measured (the residual batch, its
    problem, the warm start and its check), a reserve for what follows the search, the
    search the rest."""

    limit_s: float
    setup_s: float  # from the start to the search's start
    check_s: float  # one exact check of a candidate, measured

    @property
    def reserve_s(self) -> float:
        return FINISH_CHECKS * self.check_s

    @property
    def search_s(self) -> float:
        return max(MIN_SEARCH_SHARE * self.limit_s, self.limit_s - self.setup_s - self.reserve_s)


@dataclass
class Replanned:
    """A validated re-plan: the day's batch and plan, and what it took."""

    plan: Plan
    residual: Residual
    changes: Changes
    chosen: str  # the candidate kept: warm, repaired, polished (both from the old routes) or
    # the engines' (scratch)
    budget: Budget

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


FORCED_REPAIR_SHARE = 0.2  # of the search's time, to repair the old routes before a
# forced engine (``--engine pyvrp|ortools``) searches from the better of them


def _repaired(
    problem: RoutingProblem, warm: EngineResult, valid: bool, deadline: float, surcharge: np.ndarray
) -> tuple[EngineResult, Exchange]:
    """The old routes with what they miss (late orders, a downed truck's stops and goods)
    put in at their cheapest places, nothing else moved: the most stable candidate; and
    the search over it, each move priced with ``surcharge`` (the move cost per order and
    vehicle); until ``deadline`` (serving comes first: an order left out costs most).
    Old routes that break a rule now (a delay) are first trimmed until they keep every
    rule (``routes_repaired``)."""
    if not valid:
        warm = routes_repaired(problem, warm, deadline)
    ex = Exchange(problem, warm.routes, surcharge=surcharge)
    serve_unserved(ex, deadline)
    return EngineResult(ex.serving(), math.nan, "repaired", 0.0), ex


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


def _moved(problem: RoutingProblem, res: Residual, old: Plan) -> np.ndarray:
    """Per (order, vehicle) of ``problem``: whether that vehicle carrying the order gives
    it to another truck than the old plan's (late and unserved orders: never)."""
    before = {o.order: o.vehicle for o in old.orders if o.served}
    trucks = np.array([res.real_vehicle[v.id] for v in problem.vehicles], dtype=object)
    out = np.zeros((len(problem.orders), len(problem.vehicles)), dtype=bool)
    for k, order in enumerate(problem.orders):
        was = before.get(order.id)
        if was is not None:
            out[k] = trucks != was
    return out


def _moves(problem: RoutingProblem, moved: np.ndarray, routes: list[EngineRoute]) -> int:
    """Orders a candidate gives to another truck than the old plan's."""
    count = 0
    for r in routes:
        nodes = np.asarray(r.nodes)
        loads = problem.node_order[nodes[problem.node_role[nodes] == LOAD]]
        count += int(moved[loads, r.vehicle].sum())
    return count


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
    warm_up(batch)  # before the clock starts, as in ``plan_batch``
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
    move_cost = events.options.move_cost_cny if warm_start else 0.0
    moved = _moved(problem, res, old)

    def judged(c: EngineResult) -> tuple[float, Plan | None]:
        """A candidate's validated plan and its score (cost plus the moves' cost)."""
        routes = _bound_kept(problem, res, c).routes
        plan = validated_plan(problem, routes)
        if plan is None:
            return math.inf, None
        return plan_score(plan) + move_cost * _moves(problem, moved, routes), plan

    warm = _warm(problem, res, old)
    checked = time.perf_counter()
    judgements = [judged(warm)]  # also measures what one check of the day's size takes
    now = time.perf_counter()
    budget = Budget(limit, now - started, now - checked)
    deadline = started + budget.setup_s + budget.search_s
    candidates = [warm]
    if not warm_start:  # from scratch: the old routes are no candidate
        candidates = [EngineResult([], math.nan, "empty", 0.0)]
        judgements = [judged(candidates[0])]
    native = engine in ("auto", "native") and bool(problem.vehicles and problem.orders)
    if warm_start and native:
        # The search starts from the old routes: first what they miss is put in (the
        # stable candidate), then the native search improves that until the deadline.
        valid = judgements[0][1] is not None
        repaired, search = _repaired(problem, warm, valid, deadline, move_cost * moved)
        candidates.append(repaired)
        checked = time.perf_counter()
        judgements.append(judged(repaired))
        # The first check of a process pays for caches: the second one, if quicker,
        # tells the reserve better.
        again = time.perf_counter() - checked
        if again < budget.check_s:
            budget = replace(budget, check_s=again)
            deadline = started + budget.setup_s + budget.search_s
        seconds = deadline - time.perf_counter()
        if seconds > 0:
            seed = problem.batch.options.seed
            polished = polish(problem, repaired, seconds, seed, search=search).result
            candidates.append(EngineResult(polished.routes, math.nan, "polished", 0.0))
            judgements.append(judged(candidates[-1]))
    elif problem.vehicles and problem.orders:
        if warm_start:
            # The most stable candidate whatever the engine: the old routes with what
            # they miss put in (a share of the search's time at most).
            valid = judgements[0][1] is not None
            until = min(deadline, time.perf_counter() + budget.search_s * FORCED_REPAIR_SHARE)
            candidates.append(_repaired(problem, warm, valid, until, move_cost * moved)[0])
            judgements.append(judged(candidates[-1]))
        # The engine starts from the best valid candidate (none from scratch).
        fine = [i for i, (_, p) in enumerate(judgements) if p is not None] if warm_start else []
        start = candidates[min(fine, key=lambda i: judgements[i][0])] if fine else None
        # From scratch the engines have the search's whole time (what the benchmark
        # compares with); after the repair, what is left of it.
        seconds = max(0.1, deadline - time.perf_counter()) if warm_start else budget.search_s
        result = run_engine(problem, seconds, engine=engine, initial=start)
        candidates.append(EngineResult(result.routes, math.nan, "engine", 0.0))
        judgements.append(judged(candidates[-1]))

    best = min(range(len(candidates)), key=lambda i: judgements[i][0])
    chosen, rplan = candidates[best], judgements[best][1]
    if rplan is None:  # nothing valid: the last candidate's plan, which fails loudly
        chosen = _bound_kept(problem, res, candidates[-1])
        rplan = build_plan(problem, chosen.routes, engine=engine, seconds=0.0)
        violations = validate_plan(problem.batch, rplan, problem.travel)
        raise InvalidPlan(violations)
    chosen = _bound_kept(problem, res, chosen)
    explain_not_fitted(problem, chosen.routes, rplan)
    rplan.orders += [
        unserved_outcome(res.batch.orders_by_id[oid], list(i.reasons))
        for oid, i in left_out.items()
    ]
    plan = stitch(res, rplan, f"replan/{engine}", time.perf_counter() - started)
    violations = validate_replan(batch, old, events, plan, res.day, res.day_travel)
    if violations:
        raise InvalidPlan(violations)
    changes = compute_changes(old, plan, events, res)
    plan.solve_seconds = time.perf_counter() - started
    return Replanned(
        plan=plan,
        residual=res,
        changes=changes,
        chosen=candidates[best].status,
        budget=budget,
    )
