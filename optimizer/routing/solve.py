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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from optimizer.kpis import compute_kpis
from optimizer.model import Batch, with_orders
from optimizer.plan import Baseline, Plan, Polishing
from optimizer.routing.assemble import build_plan, engine_routes
from optimizer.routing.decompose import parts_needed, plan_in_parts
from optimizer.routing.diagnose import explain_not_fitted
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.exchange import Exchange
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.fleet_use import ensure_min_used
from optimizer.routing.native import solve_native
from optimizer.routing.ortools_engine import solve_ortools
from optimizer.routing.polish import exact_cost, plan_score, polish
from optimizer.routing.problem import RoutingProblem, compile_problem
from optimizer.routing.pyvrp_engine import solve_pyvrp, unsupported
from optimizer.routing.rest import plan_rest
from optimizer.validate import Violation, format_violations, validate_plan

Progress = Callable[[str, float, float], None]  # (phase, elapsed s, best cost CNY)

BASELINE_SHARE = 0.4  # of the time limit, split between the deliveries and the pickups
PYVRP_SHARE = 0.5  # of an engine run's time, for PyVRP, when its model is conservative
PYVRP_SHARE_LARGE = 0.85  # ... above SMALL_NODES, where OR-Tools' search gains little
PYVRP_SHARE_EXACT = 0.85  # when PyVRP's model is exact (no shelf-life limits to imply)
SMALL_NODES = 300  # measured (portfolio.py, 30 s): OR-Tools alone 1 % behind PyVRP at 180
# nodes, 17 % and 47 % behind at 430 and 850
FINISH_S_PER_ORDER = 0.001  # kept back to build and validate the plan (measured ~1 ms)
ORTOOLS_MAX_NODES = 3000  # above this, OR-Tools' node matrices cost too much memory
ENGINES = ("auto", "ortools", "pyvrp", "native")


class InvalidPlan(RuntimeError):
    """The engine produced a plan the validator rejects: a bug, never a result."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("plan failed validation:\n" + format_violations(violations))


def _plan(problem: RoutingProblem, result: EngineResult, engine: str) -> Plan:
    """The validated plan of an engine result (orders left out: ``search_reason``, with
    the binding limit for required ones where it can be told)."""
    plan = build_plan(problem, result.routes, engine=engine, seconds=result.seconds)
    violations = validate_plan(problem.batch, plan, problem.travel)
    if violations:
        raise InvalidPlan(violations)
    explain_not_fitted(problem, result.routes, plan)
    return plan


def _callback(progress: Progress | None, phase: str) -> Callable[[float, float], None] | None:
    """The engine's per-solution callback as progress reports of the best cost so far
    (guided local search also visits worse solutions)."""
    if progress is None:
        return None
    best = [math.inf]

    def report(elapsed: float, cost: float) -> None:
        best[0] = min(best[0], cost)
        progress(phase, elapsed, best[0])

    return report


def run_engine(
    problem: RoutingProblem,
    time_limit_s: float,
    *,
    engine: str = "auto",
    progress: Progress | None = None,
    phase: str = "solving",
    initial: EngineResult | None = None,
    workers: int = 1,
) -> EngineResult:
    """Routes for ``problem`` whose times meet every constraint exactly.

    ``auto``/``pyvrp``: PyVRP builds routes (on a conservative model where shelf life must
    be implied by deadlines). Its routes are a candidate plan when the validator accepts
    them; the exact OR-Tools model then starts from them with the remaining time, on
    problems small enough for its node matrices. Where PyVRP cannot express the batch
    (``pyvrp_engine.unsupported``), OR-Tools works alone; ``ortools`` forces that.
    ``initial`` is an exact solution kept when nothing beats it. The candidate with the
    lowest validated cost wins.

    ``workers=2`` runs the two engines side by side on two cores instead, each for the
    whole time limit: PyVRP in a child process, OR-Tools (from ``initial``) here.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    started = time.perf_counter()
    scored: list[tuple[float, EngineResult]] = []  # validated cost, candidate

    def consider(candidate: EngineResult) -> None:
        candidate = ensure_min_used(problem, candidate)
        # Candidates from different engines are compared on the validated plan's cost,
        # not on the engines' own (scaled, rounded) objectives.
        cost = exact_cost(problem, candidate.routes)
        if cost < math.inf:
            scored.append((cost, candidate))

    def best() -> EngineResult | None:
        return min(scored, key=lambda sc: sc[0])[1] if scored else None

    if initial is not None:
        consider(initial)
    if engine == "native":
        consider(solve_native(problem, time_limit_s, problem.batch.options.seed))
        chosen = best() or initial
        if chosen is None:
            return EngineResult([], math.inf, "not_solved", time.perf_counter() - started)
        return EngineResult(
            chosen.routes, chosen.objective, chosen.status, time.perf_counter() - started
        )
    warm = None
    contest = False
    last: EngineResult | None = initial
    use_pyvrp = engine != "ortools" and unsupported(problem) is None and bool(problem.vehicles)
    side_by_side = workers >= 2 and use_pyvrp and problem.n_nodes <= ORTOOLS_MAX_NODES
    if side_by_side:
        for candidate in _side_by_side(problem, time_limit_s, progress, phase, consider, best):
            consider(candidate)
            last = candidate
    elif use_pyvrp and engine == "auto" and _contested(problem):
        for candidate in _contest(problem, time_limit_s, progress, phase):
            consider(candidate)
            last = candidate
        contest = True
    elif use_pyvrp:
        share = _pyvrp_share(problem) if problem.has_shelf_life else PYVRP_SHARE_EXACT
        too_big = problem.n_nodes > ORTOOLS_MAX_NODES
        if too_big or time_limit_s * (1 - share) <= 2 * _ortools_build_s(problem):
            share = 1.0  # OR-Tools would spend its time building: PyVRP gets it all
        warm = last = solve_pyvrp(problem, time_limit_s * share, problem.batch.options.seed)
        if progress is not None:
            progress(f"{phase} (pyvrp)", warm.seconds, warm.objective)
        if warm.status == "success":
            consider(warm)
    elif engine == "auto" and problem.vehicles:
        # PyVRP cannot express the batch: the native search builds routes that OR-Tools'
        # exact model then starts from.
        consider(solve_native(problem, time_limit_s * PROBE_SHARE, problem.batch.options.seed))
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    ortools_fits = problem.n_nodes <= ORTOOLS_MAX_NODES and (
        not use_pyvrp or remaining > 2 * _ortools_build_s(problem)
    )
    if not side_by_side and not contest and (not use_pyvrp or ortools_fits):
        exact_start = best()
        last = solve_ortools(
            problem,
            remaining,
            on_solution=_callback(progress, phase),
            initial=exact_start,
            warm=warm,
        )
        consider(last)
    # No valid candidate: return the last one, whose plan then fails validation loudly.
    chosen = best() or last
    if chosen is None:
        return EngineResult([], math.inf, "not_solved", time.perf_counter() - started)
    return EngineResult(
        chosen.routes, chosen.objective, chosen.status, time.perf_counter() - started
    )


ORTOOLS_BUILD_S_PER_NODE2 = 6e-7  # measured: ~5 s per model at 2,900 nodes, loaded machine


def _pyvrp_share(problem: RoutingProblem) -> float:
    """PyVRP's share of the time when its model is conservative, by problem size."""
    return PYVRP_SHARE if problem.n_nodes <= SMALL_NODES else PYVRP_SHARE_LARGE


def _ortools_build_s(problem: RoutingProblem) -> float:
    """Rough seconds to build the OR-Tools model(s): its node matrices are n², and
    shelf life needs a second (relaxed) model. After PyVRP, OR-Tools runs only when it
    has at least twice this left, so the time limit holds at a few thousand nodes."""
    models = 2 if problem.has_shelf_life else 1
    return models * ORTOOLS_BUILD_S_PER_NODE2 * problem.n_nodes**2


PROBE_SHARE = 0.3  # of a contested engine run, for each of PyVRP and the native search
# Where shelf life binds: 25 % for each probe and 25 % for OR-Tools' exact model at the
# end (measured on 4 shelf-life families x 3 seeds at 60 stops: 0.8 % below no exact
# stage overall, 3 % below on the tight-shelf families; 0.2 / 0.4 was worse than both).
PROBE_SHARE_EXACT = 0.25
EXACT_SHARE = 0.25


def _contested(problem: RoutingProblem) -> bool:
    """Whether PyVRP and the native search contest the time: where the cost has fixed
    costs per truck or approximately priced parts (fuel, paid hours, shelf life).
    Measured on independent county families (``benchmarks/families.py``), either engine
    may lead there by far; on classic distance-only files (Solomon, VRPSPD, ...) PyVRP
    leads, and the classic pipeline (PyVRP, then OR-Tools' exact model) stays."""
    fleet = problem.batch.fleet
    costed = _priced_approximately(problem) or any(vt.fixed_cost > 0 for vt in fleet)
    return costed and problem.n_nodes <= ORTOOLS_MAX_NODES  # segments hold node matrices


def _contest(
    problem: RoutingProblem, time_limit_s: float, progress: Progress | None, phase: str
) -> list[EngineResult]:
    """PyVRP and the native search each probe for ``PROBE_SHARE`` of the time; the one
    whose validated plan is cheaper goes on (PyVRP resumed from its best solution, the
    native search polishing its routes). Where shelf life binds and OR-Tools' model fits,
    its exact model (which holds the limit per compartment temperature, not as
    conservative deadlines) then starts from the best plan so far for ``EXACT_SHARE``.
    Time goes to the engine that is ahead on this batch, measured, not to a share tuned
    on one generator."""
    started = time.perf_counter()
    seed = problem.batch.options.seed
    exact_s = time_limit_s * EXACT_SHARE if problem.has_shelf_life else 0.0
    if exact_s <= 2 * _ortools_build_s(problem):
        exact_s = 0.0
    probe = time_limit_s * (PROBE_SHARE_EXACT if exact_s else PROBE_SHARE)

    def report(name: str, cost: float) -> None:
        if progress is not None:
            progress(f"{phase} ({name})", time.perf_counter() - started, cost)

    native = solve_native(problem, probe, seed)
    report("native", native.objective)
    routed = solve_pyvrp(problem, probe, seed)
    cost_pyvrp = exact_cost(problem, routed.routes)
    report("pyvrp", cost_pyvrp)
    out = [native, routed]
    left = time_limit_s - exact_s - (time.perf_counter() - started)
    if left > 0.05 and min(cost_pyvrp, native.objective) < math.inf:
        if cost_pyvrp < native.objective:
            lead = solve_pyvrp(problem, left, seed, resume=routed)
        else:
            lead = polish(problem, native, left, seed + 1).result
        report("ahead", exact_cost(problem, lead.routes))
        out.append(lead)
    if exact_s > 0:
        scored = [(exact_cost(problem, r.routes), i) for i, r in enumerate(out)]
        cost, i = min(scored)
        left = time_limit_s - (time.perf_counter() - started)
        checked = solve_ortools(
            problem,
            max(0.1, left),
            initial=out[i] if cost < math.inf else None,
            warm=routed if routed.status == "success" else None,
        )
        report("ortools", exact_cost(problem, checked.routes))
        out.append(checked)
    return out


SIDE_BY_SIDE_SHARE = 0.95  # of the time limit per engine; the rest covers the process hop


def _side_by_side(
    problem: RoutingProblem,
    time_limit_s: float,
    progress: Progress | None,
    phase: str,
    consider: Callable[[EngineResult], None],
    best: Callable[[], EngineResult | None],
) -> list[EngineResult]:
    """Two searches at a time, one in a forked child and one here; the results not yet
    handed to ``consider`` (which scores candidates; ``best`` is the cheapest so far).

    When PyVRP's model is exact, two PyVRP searches with different seeds for the whole
    limit: OR-Tools from scratch seldom beats PyVRP there (Solomon: 4 % behind), a second
    sample often does. When it is conservative (shelf life as deadlines), the one-core
    pipeline with a second core beside it: first PyVRP (child) and OR-Tools from the best
    start given (here); then OR-Tools' exact model from the better validated start and
    PyVRP's routes (here), while PyVRP searches again with the next seed (child).
    """
    limit = time_limit_s * SIDE_BY_SIDE_SHARE
    seed = problem.batch.options.seed
    exact = not problem.has_shelf_life
    context = multiprocessing.get_context("fork")
    results: list[EngineResult] = []
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        if exact:
            child = pool.submit(solve_pyvrp, problem, limit, seed)
            results.append(solve_pyvrp(problem, limit, seed + 1))
            results.append(child.result())
        else:
            half = limit * _pyvrp_share(problem)
            started = time.perf_counter()
            child = pool.submit(solve_pyvrp, problem, half, seed)
            scratch = solve_ortools(
                problem, half, on_solution=_callback(progress, phase), initial=best()
            )
            first = child.result()
            rest = max(0.1, limit - (time.perf_counter() - started))
            child = pool.submit(solve_pyvrp, problem, rest, seed + 1)
            for result in (first, scratch):
                consider(result)
            warm = first if first.status == "success" else None
            results.append(
                solve_ortools(
                    problem,
                    rest,
                    on_solution=_callback(progress, phase),
                    initial=best(),
                    warm=warm,
                )
            )
            results.append(child.result())
    if progress is not None:
        for result in results:
            progress(phase, result.seconds, result.objective)
    return results


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
    started = time.perf_counter()
    limit = time_limit_s if time_limit_s is not None else batch.options.time_limit_s
    problem = compile_problem(batch)
    issues = check_feasibility(problem)
    if issues and (strict or not all(i.leaves_out_order for i in issues)):
        raise InfeasibleBatch(issues)
    if issues:
        left = max(0.1, limit - (time.perf_counter() - started))
        plan = plan_rest(
            batch,
            issues,
            partial(
                plan_batch,
                time_limit_s=left,
                baseline=baseline,
                progress=progress,
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
        border_s = limit * BORDER_SHARE if _priced_approximately(problem) else 0.0
        plan = plan_in_parts(
            batch,
            limit - border_s,
            lambda part, seconds: plan_batch(
                part,
                time_limit_s=seconds,
                baseline=True,  # its separate-fleets start makes hard parts feasible
                progress=progress,
                engine=engine,
                workers=workers,
            ),
            batch.options.seed,
        )
        violations = validate_plan(batch, plan)
        if violations:
            raise InvalidPlan(violations)
        if border_s > 0:
            plan = _across_borders(problem, plan, border_s)
        plan.solve_seconds = time.perf_counter() - started
        return plan
    end = time.perf_counter() + limit  # when the routes must be final
    polish_s = limit * POLISH_SHARE if _polishes(problem) else 0.0
    limit -= polish_s
    kinds = {o.kind for o in batch.orders}
    if kinds != {"delivery", "pickup"} or not want_baseline:
        # No baseline asked for: the whole time goes to the paired search.
        result = run_engine(problem, limit, engine=engine, progress=progress, workers=workers)
        plan = _polished_plan(problem, result, engine, _left(polish_s, end), workers)
        plan.solve_seconds = time.perf_counter() - started
        return plan

    parts = []
    for kind in ("delivery", "pickup"):
        part = compile_problem(
            with_orders(batch, [o for o in batch.orders if o.kind == kind]), problem.travel
        )
        share = limit * BASELINE_SHARE / 2
        # The baseline is polished like the paired plan, so that the saving reported is
        # pairing's, not polishing's.
        polish_part = share * POLISH_SHARE if _polishes(part) else 0.0
        alone = run_engine(
            part,
            share - polish_part,
            engine=engine,
            progress=progress,
            phase=f"{'deliveries' if kind == 'delivery' else 'pickups'} alone",
            workers=workers,
        )
        if polish_part > 0:
            alone = polish(part, alone, polish_part, batch.options.seed).result
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
    plan = _polished_plan(problem, result, engine, _left(polish_s, end), workers)
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
        (problem.has_shelf_life or (engine == "auto" and _contested(problem)))
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
    """``seconds`` of polishing, cut to what is left before ``end`` (an engine that ran
    over its share, e.g. OR-Tools finishing a move on a big model, eats into it)."""
    return max(0.0, min(seconds, end - time.perf_counter()))


def _priced_approximately(problem: RoutingProblem) -> bool:
    """Whether the exact cost has parts the engines price only approximately: fuel that
    grows with the load, paid hours with waiting and per-stop service, shelf life held
    as conservative deadlines. Pure distance benchmarks are left to the engines."""
    batch = problem.batch
    return problem.has_shelf_life or any(vt.has_fuel or vt.cost_per_hour > 0 for vt in batch.fleet)


def _polishes(problem: RoutingProblem) -> bool:
    """Polish when the engines price the cost approximately and the node matrices are
    affordable."""
    return _priced_approximately(problem) and problem.n_nodes <= ORTOOLS_MAX_NODES


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
    problem: RoutingProblem, result: EngineResult, engine: str, seconds: float, workers: int
) -> Plan:
    """The validated plan of ``result``, polished under the true cost when asked (on two
    cores: two polishing searches with different seeds, the cheaper kept)."""
    if seconds <= 0:
        return _plan(problem, result, engine)
    seed = problem.batch.options.seed
    if workers >= 2:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            child = pool.submit(polish, problem, result, seconds, seed + 1)
            here = polish(problem, result, seconds, seed)
            there = child.result()
        polished = min(here, there, key=lambda p: exact_cost(problem, p.result.routes))
    else:
        polished = polish(problem, result, seconds, seed)
    plan = _plan(problem, polished.result, engine)
    plan.polishing = Polishing(
        cost_before=polished.cost_before,
        cost_after=polished.cost_after,
        moves=polished.moves,
        seconds=polished.seconds,
    )
    return plan


def _saving(paired: float, baseline: float) -> float:
    return 1.0 - paired / baseline if baseline > 0 else 0.0
