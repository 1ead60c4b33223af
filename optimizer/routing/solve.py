"""Plan a batch end to end: feasibility check, engine, plan, validation, baseline.

A batch with both deliveries and pickups, when the baseline is asked for (the default),
is solved in two steps. First deliveries and pickups are planned as two independent sets
of routes (the *separate-fleets baseline*, what a county runs today). Those routes
together are a feasible paired plan, so they warm-start the paired search, which can
only improve on them: pairing is never worse than the baseline, and the whole solve
stays within one time limit. Without a baseline the whole time goes to the paired search.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from optimizer.i18n import t
from optimizer.kpis import compute_kpis
from optimizer.model import Batch, with_orders
from optimizer.plan import Baseline, Plan, Polishing
from optimizer.routing.assemble import build_plan, engine_routes
from optimizer.routing.decompose import parts_needed, plan_in_parts
from optimizer.routing.diagnose import explain_not_fitted
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.polish import exact_cost, plan_score, polish
from optimizer.routing.portfolio import (
    ORTOOLS_MAX_NODES,
    SIDE_BY_SIDE_SHARE,
    contested,
    polishes,
    priced_approximately,
    run_engine,
)
from optimizer.routing.problem import RoutingProblem, compile_problem
from optimizer.routing.progress import PartsProgress, Progress, shifted
from optimizer.routing.pyvrp_engine import unsupported
from optimizer.routing.rest import plan_rest
from optimizer.routing.search.exchange import Exchange
from optimizer.validate import Violation, format_violations, validate_plan
from optimizer.warm import warm_up

BASELINE_SHARE = 0.4  # of the time limit, split between the deliveries and the pickups
FINISH_S_PER_ORDER = 0.0002  # kept back to build and validate the plan: measured 0.05-0.06
# ms per order (demo county, county-400, a 1,000-stop family day), kept at 4 times that;
# 1 ms left 1.6 s of a 60 s limit unused at 1,679 orders, where PyVRP, alone at that size,
# still improves by the second


class InvalidPlan(RuntimeError):
    """The engine produced a plan the validator rejects: a bug, never a result."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The message and the violations in ``lang``."""
        return t("error.plan_invalid", lang) + "\n" + format_violations(self.violations, lang)


def _plan(problem: RoutingProblem, result: EngineResult, engine: str) -> Plan:
    """The validated plan of an engine result (orders left out: ``search_reason``, with
    the binding limit for required ones where it can be told)."""
    plan = build_plan(problem, result.routes, engine=engine, seconds=result.seconds)
    violations = validate_plan(problem.batch, plan, problem.travel)
    if violations:
        raise InvalidPlan(violations)
    explain_not_fitted(problem, result.routes, plan)
    return plan


def _merge(
    problem: RoutingProblem, parts: list[tuple[RoutingProblem, EngineResult]]
) -> EngineResult | None:
    """Routes of separately solved parts as one solution of ``problem``.

    Parts share the fleet (same vehicle order); a route whose vehicle is taken goes to a
    free vehicle of the same type. None when the fleet cannot host all routes.
    """
    node_of = {
        (problem.orders[problem.node_order[n]].id, int(problem.node_role[n])): n
        for n in range(problem.n_nodes)
        if problem.node_order[n] >= 0
    }
    taken: set[int] = set()
    routes: list[EngineRoute] = []
    objective = 0.0
    for part, result in parts:
        objective += result.objective
        for r in result.routes:
            vehicle = r.vehicle
            if vehicle in taken:
                vt = problem.vehicles[vehicle].type.id
                free = [
                    k for k, v in enumerate(problem.vehicles) if v.type.id == vt and k not in taken
                ]
                if not free:
                    return None
                vehicle = free[0]
            taken.add(vehicle)
            v = problem.vehicles[vehicle]
            inner = [
                node_of[(part.orders[part.node_order[n]].id, int(part.node_role[n]))]
                for n in r.nodes[1:-1]
            ]
            routes.append(EngineRoute(vehicle, [v.start_node, *inner, v.end_node], list(r.times)))
    return EngineResult(routes, objective, "merged", 0.0)


def plan_batch(
    batch: Batch,
    *,
    time_limit_s: float | None = None,
    baseline: bool | None = None,
    progress: Progress | None = None,
    engine: str = "auto",
    workers: int = 1,
    strict: bool = False,
) -> Plan:
    """The validated plan of a batch, with the separate-fleets baseline when asked.

    ``workers``: cores the solve may use. With 2: when PyVRP's model is conservative
    (shelf life), two whole one-core pipelines with consecutive seeds, the cheaper plan
    kept; otherwise the engines' searches side by side (``run_engine``).
    Batches above ``decompose.DECOMPOSE_ABOVE`` orders are planned in parts by location,
    without a baseline.

    Orders no vehicle could serve even alone are left out before solving, with their
    reasons, and the rest is planned (``routing.rest``); with ``strict`` they raise
    ``InfeasibleBatch`` instead. Issues about the whole batch (orders and no vehicles,
    ``min_used``, single visits) always raise it. A batch with neither orders nor
    vehicles plans to an empty plan without running an engine.
    """
    # The compiled kernels (the search's, the road network's for a batch on roads),
    # loaded from numba's disk cache (compiled on the first solve after an install):
    # before the clock starts, so that a compile never eats the engines' time.
    warm_up(batch)
    started = time.perf_counter()
    limit = time_limit_s if time_limit_s is not None else batch.options.time_limit_s
    problem = compile_problem(batch)
    issues = check_feasibility(problem)
    if issues and (strict or not all(i.leaves_out_order for i in issues)):
        raise InfeasibleBatch(issues)
    if issues:
        left = max(0.1, limit - (time.perf_counter() - started))
        # The plan's cost counts the penalties of the optional orders left out.
        left_out = {i.order for i in issues if i.order is not None}
        penalties = sum(o.penalty or 0.0 for o in batch.orders if o.id in left_out)
        plan = plan_rest(
            batch,
            issues,
            partial(
                plan_batch,
                time_limit_s=left,
                baseline=baseline,
                progress=shifted(progress, penalties),
                engine=engine,
                workers=workers,
                strict=True,
            ),
        )
        violations = validate_plan(batch, plan)
        if violations:
            raise InvalidPlan(violations)
        plan.solve_seconds = time.perf_counter() - started
        return plan
    if not problem.vehicles:  # and no orders (check_feasibility): the empty plan
        plan = _plan(problem, EngineResult([], 0.0, "no_vehicles", 0.0), engine)
        plan.solve_seconds = time.perf_counter() - started
        return plan
    # The limit covers compiling (done) and building and validating the plan (to come).
    finish_s = FINISH_S_PER_ORDER * len(batch.orders)
    limit = max(0.1, limit - (time.perf_counter() - started) - finish_s)
    want_baseline = baseline if baseline is not None else batch.options.baseline
    if workers >= 2 and _two_pipelines(problem, engine) and parts_needed(batch) == 1:
        plan = _best_of_two(batch, limit, want_baseline, progress, engine)
        plan.solve_seconds = time.perf_counter() - started
        return plan
    if parts_needed(batch) > 1:
        border_s = limit * BORDER_SHARE if priced_approximately(problem) else 0.0
        n_parts, planned = parts_needed(batch), [0]

        def plan_part(part: Batch, seconds: float) -> Plan:
            # No plan of the whole batch is known until the parts are joined.
            planned[0] += 1
            prefix = f"part {planned[0]}/{n_parts}: "
            return plan_batch(
                part,
                time_limit_s=seconds,
                baseline=True,  # its separate-fleets start makes hard parts feasible
                progress=shifted(progress, math.inf, prefix),
                engine=engine,
                workers=workers,
            )

        plan = plan_in_parts(batch, limit - border_s, plan_part, batch.options.seed)
        violations = validate_plan(batch, plan)
        if violations:
            raise InvalidPlan(violations)
        if progress is not None:
            progress("parts joined", time.perf_counter() - started, plan_score(plan))
        if border_s > 0:
            plan = _across_borders(problem, plan, border_s)
            if progress is not None:
                progress("across parts", time.perf_counter() - started, plan_score(plan))
        plan.solve_seconds = time.perf_counter() - started
        return plan
    end = time.perf_counter() + limit  # when the routes must be final
    polish_s = limit * POLISH_SHARE if polishes(problem) else 0.0
    limit -= polish_s
    kinds = {o.kind for o in batch.orders}
    if kinds != {"delivery", "pickup"} or not want_baseline:
        # No baseline asked for: the whole time goes to the paired search.
        result = run_engine(problem, limit, engine=engine, progress=progress, workers=workers)
        plan = _polished_plan(problem, result, engine, _left(polish_s, end), workers, progress)
        plan.solve_seconds = time.perf_counter() - started
        return plan

    parts = []
    whole = PartsProgress(progress)  # a part's cost is not the plan's: sums once both exist
    for kind in ("delivery", "pickup"):
        part = compile_problem(
            with_orders(batch, [o for o in batch.orders if o.kind == kind]), problem.travel
        )
        share = limit * BASELINE_SHARE / 2
        # The baseline is polished like the paired plan, so that the saving reported is
        # pairing's, not polishing's.
        polish_part = share * POLISH_SHARE if polishes(part) else 0.0
        alone = run_engine(
            part,
            share - polish_part,
            engine=engine,
            progress=whole.part(kind),
            phase=f"{'deliveries' if kind == 'delivery' else 'pickups'} alone",
            workers=workers,
        )
        if polish_part > 0:
            alone = polish(part, alone, polish_part, batch.options.seed).result
            if progress is not None:
                whole.done(kind, exact_cost(part, alone.routes))
        parts.append((part, alone))
    merged = _merge(problem, parts)
    remaining = max(0.1, limit - (time.perf_counter() - started))
    result = run_engine(
        problem,
        remaining,
        engine=engine,
        progress=progress,
        phase="pairing",
        initial=merged,
        workers=workers,
    )
    plan = _polished_plan(problem, result, engine, _left(polish_s, end), workers, progress)
    if want_baseline:
        part_plans = [_plan(part, res, engine) for part, res in parts]
        routes = [r for p in part_plans for r in p.routes]
        outcomes = [o for p in part_plans for o in p.orders]
        base = compute_kpis(batch, routes, outcomes)
        plan.baseline = Baseline(
            kpis=base,
            cost_saving_share=_saving(plan.kpis.total_cost, base.total_cost),
            empty_km_saving_share=_saving(plan.kpis.empty_km, base.empty_km),
        )
    plan.solve_seconds = time.perf_counter() - started
    return plan


def _two_pipelines(problem: RoutingProblem, engine: str) -> bool:
    """Whether two cores are best spent on two whole one-core pipelines: PyVRP's model is
    conservative (shelf life), or PyVRP and the native search contest the time, so the
    later phases matter as much as the search, and a second seed through all of it beats
    splitting one pipeline's phases."""
    return (
        (problem.has_shelf_life or (engine == "auto" and contested(problem)))
        and engine != "ortools"
        and unsupported(problem) is None
        and problem.n_nodes <= ORTOOLS_MAX_NODES
    )


def _best_of_two(
    batch: Batch,
    limit: float,
    baseline: bool,
    progress: Progress | None,
    engine: str,
) -> Plan:
    """The cheaper validated plan of two one-core pipelines, seeds ``seed`` (here, with
    progress reports) and ``seed + 1`` (in a forked child)."""
    seed = batch.options.seed
    other = batch.model_copy(
        update={"options": batch.options.model_copy(update={"seed": seed + 1})}
    )
    limit *= SIDE_BY_SIDE_SHARE
    run = partial(plan_batch, time_limit_s=limit, baseline=baseline, engine=engine)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        child = pool.submit(run, other)
        here = run(batch, progress=progress)
        there = child.result()
    return min(here, there, key=plan_score)


POLISH_SHARE = 0.15  # of the time limit, for true-cost polishing (ends early when done)


def _left(seconds: float, end: float) -> float:
    """Polishing's time: none when ``seconds`` is 0 (no polishing), else all that is
    left before ``end``: an engine that ended early (a repair with nothing to mend, a
    search that converged) gives its time to polishing, one that ran over its share
    (OR-Tools finishing a move on a big model) eats into it."""
    return max(0.0, end - time.perf_counter()) if seconds > 0 else 0.0


BORDER_SHARE = 0.1  # of the time limit of a batch planned in parts, for cross-border moves


def _across_borders(problem: RoutingProblem, plan: Plan, seconds: float) -> Plan:
    """The joined plan of a batch planned in parts, improved by cross-route moves on the
    whole batch (node matrices read on demand): orders a part left out go where another
    part's routes or idle vehicles have room, and orders move across part borders."""
    started = time.perf_counter()
    routes = engine_routes(problem, plan.routes)
    exchanged = Exchange(problem, routes, lazy=True).run(
        started + seconds, problem.batch.options.seed
    )
    if not exchanged.moves:
        return plan
    try:  # the whole plan has the last word
        better = _plan(
            problem, EngineResult(exchanged.routes, math.nan, "success", 0.0), plan.engine
        )
    except InvalidPlan:
        return plan
    if plan_score(better) >= plan_score(plan) - 0.01:
        return plan
    better.polishing = Polishing(
        cost_before=plan.kpis.total_cost,
        cost_after=better.kpis.total_cost,
        moves=exchanged.moves,
        seconds=time.perf_counter() - started,
    )
    return better


def _polished_plan(
    problem: RoutingProblem,
    result: EngineResult,
    engine: str,
    seconds: float,
    workers: int,
    progress: Progress | None = None,
) -> Plan:
    """The validated plan of ``result``, polished under the true cost when asked (on two
    cores: two polishing searches with different seeds, the cheaper kept; above
    OR-Tools' size, where the engines do not run side by side either, one: each search
    holds its own node matrices, 0.65 GiB at 3,724 nodes)."""
    if seconds <= 0:
        return _plan(problem, result, engine)
    if progress is not None:
        progress("polishing", 0.0, math.inf)
    seed = problem.batch.options.seed
    if workers >= 2 and problem.n_nodes <= ORTOOLS_MAX_NODES:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            child = pool.submit(polish, problem, result, seconds, seed + 1)
            here = polish(problem, result, seconds, seed)
            there = child.result()
        polished = min(here, there, key=lambda p: exact_cost(problem, p.result.routes))
    else:
        polished = polish(problem, result, seconds, seed)
    plan = _plan(problem, polished.result, engine)
    if progress is not None:
        progress("polishing", polished.seconds, plan_score(plan))
    plan.polishing = Polishing(
        cost_before=polished.cost_before,
        cost_after=polished.cost_after,
        moves=polished.moves,
        seconds=polished.seconds,
    )
    return plan


def _saving(paired: float, baseline: float) -> float:
    return 1.0 - paired / baseline if baseline > 0 else 0.0
