"""The engine portfolio: which engines search a routing problem, for how long, and
which of their results is kept.

``run_engine`` returns routes whose times meet every constraint exactly. Its candidates
come from PyVRP, OR-Tools and freshroute's own search (``native.py``), and the one with
the lowest validated cost wins. How the time is shared depends on the batch: where trucks
cost a fixed amount or the cost has approximately priced parts, PyVRP and the native
search contest it by measured progress (``_contest``: the one ahead after a probe each
goes on while it improves, then hands the rest back); on distance-only files PyVRP then
OR-Tools' exact model; on two cores, searches side by side.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from optimizer.routing.engines import EngineResult
from optimizer.routing.fleet_use import ensure_min_used
from optimizer.routing.native import solve_native
from optimizer.routing.ortools_engine import solve_ortools
from optimizer.routing.polish import exact_cost, polish
from optimizer.routing.problem import MATRIX_NODES_MAX, SEARCH_NODES_MAX, RoutingProblem
from optimizer.routing.progress import Progress
from optimizer.routing.pyvrp_engine import solve_pyvrp, unsupported
from optimizer.routing.search.repair import (
    relaxed,
    rests_repaired,
    routes_repaired,
)

PYVRP_SHARE = 0.5  # of an engine run's time, for PyVRP, when its model is conservative
PYVRP_SHARE_LARGE = 0.85  # ... above SMALL_NODES, where OR-Tools' search gains little
PYVRP_SHARE_EXACT = 0.85  # when PyVRP's model is exact (no shelf-life limits to imply)
SMALL_NODES = 300  # measured (portfolio.py, 30 s): OR-Tools alone 1 % behind PyVRP at 180
# nodes, 17 % and 47 % behind at 430 and 850
ORTOOLS_MAX_NODES = MATRIX_NODES_MAX  # above this, OR-Tools' node matrices cost too much
ENGINES = ("auto", "ortools", "pyvrp", "native")


def _callback(
    progress: Progress | None, phase: str, problem: RoutingProblem
) -> Callable[[float, float], None] | None:
    """OR-Tools' per-solution callback as progress reports of the best cost so far
    (guided local search also visits worse solutions). Where its model prices the cost
    only approximately (``priced_approximately``), its costs are not a plan's: the
    phase is reported without one, and the validated cost comes when it ends."""
    if progress is None:
        return None
    best = [math.inf]
    exact = not priced_approximately(problem)

    def report(elapsed: float, cost: float) -> None:
        best[0] = min(best[0], cost)
        progress(phase, elapsed, best[0] if exact else math.inf)

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
    scored: list[tuple[float, EngineResult]] | None = None,
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

    ``scored``: a list that receives every valid candidate of the engines' search with
    its validated cost (where drivers rest, of the rest-free search, for ``_rested``).

    Where drivers rest, the engines search without rests and the cheapest
    ``REST_CANDIDATES`` of their candidates are checked with rests placed, each
    repaired where a rest breaks a rule (``_rested``): the cheapest rest-free plan is
    not always the cheapest once drivers rest (a generated county of 60 villages:
    4,291 CNY rest-free, 4,929 repaired, against PyVRP's 4,322 rest-free plan, which
    kept every rule with its rests placed).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    if problem.has_rest_rules:
        # The engines search without drivers' rests; the routes that then break a rule
        # once rests are placed are repaired by the exact search.
        # The repair's time is kept inside the limit (what it does not use, polishing
        # gets): a repair after the whole limit made a plan late by up to a tenth.
        end = time.perf_counter() + time_limit_s
        repair_s = min(max(REPAIR_MIN_S, time_limit_s * REPAIR_SHARE), time_limit_s / 2)
        free_scored: list[tuple[float, EngineResult]] = []
        free = run_engine(
            relaxed(problem),
            time_limit_s - repair_s,
            engine=engine,
            progress=progress,
            phase=phase,
            initial=initial,
            workers=workers,
            scored=free_scored,
        )
        repaired = _rested(problem, free, free_scored, max(end, time.perf_counter()))
        repaired = ensure_min_used(problem, repaired)
        return EngineResult(repaired.routes, repaired.objective, repaired.status, free.seconds)
    started = time.perf_counter()
    scored = [] if scored is None else scored  # validated cost, candidate

    def consider(candidate: EngineResult) -> None:
        candidate = ensure_min_used(problem, candidate)
        # Candidates from different engines are compared on the validated plan's cost,
        # not on the engines' own (scaled, rounded) objectives.
        cost = exact_cost(problem, candidate.routes)
        if cost < math.inf:
            scored.append((cost, candidate))
            if progress is not None:  # a validated plan's cost
                progress(phase, time.perf_counter() - started, cost)

    def best() -> EngineResult | None:
        return min(scored, key=lambda sc: sc[0])[1] if scored else None

    if progress is not None:  # the phase starts; its costs come with its plans
        progress(phase, 0.0, math.inf)
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
    alone = False  # PyVRP alone: OR-Tools would only build its model in the time left
    last: EngineResult | None = initial
    use_pyvrp = engine != "ortools" and unsupported(problem) is None and bool(problem.vehicles)
    side_by_side = workers >= 2 and use_pyvrp and problem.n_nodes <= ORTOOLS_MAX_NODES
    if side_by_side:
        for candidate in _side_by_side(problem, time_limit_s, progress, phase, consider, best):
            consider(candidate)
            last = candidate
    elif use_pyvrp and engine == "auto" and contested(problem):
        for candidate in _contest(problem, time_limit_s, progress, phase, initial):
            consider(candidate)
            last = candidate
        contest = True
    elif use_pyvrp:
        share = _pyvrp_share(problem) if problem.has_shelf_life else PYVRP_SHARE_EXACT
        too_big = problem.n_nodes > ORTOOLS_MAX_NODES
        alone = too_big or time_limit_s * (1 - share) <= 2 * _ortools_build_s(problem)
        if alone:
            share = 1.0  # OR-Tools would spend its time building: PyVRP gets it all
        if progress is not None:  # PyVRP's own costs are its model's: validated below
            progress(f"{phase} (pyvrp)", 0.0, math.inf)
        warm = last = solve_pyvrp(
            problem,
            time_limit_s * share,
            problem.batch.options.seed,
            # Alone on a conservative model, PyVRP hands back the time it cannot use:
            # the repair below has it.
            feasible_by_s=(
                time_limit_s * FEASIBLE_BY_SHARE if alone and problem.has_shelf_life else None
            ),
        )
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
    if not side_by_side and not contest and not alone and (not use_pyvrp or ortools_fits):
        exact_start = best()
        last = solve_ortools(
            problem,
            remaining,
            on_solution=_callback(progress, phase, problem),
            initial=exact_start,
            warm=warm,
        )
        consider(last)
    if not scored and last is not None and last.routes:
        # No valid candidate (an engine out of time before it found a feasible
        # solution): its routes are trimmed until each keeps every rule and the orders
        # taken off served elsewhere; what fits nowhere is left out with its reasons.
        # It has what is left of the limit (PyVRP alone stops early when it finds no
        # feasible solution), at least a tenth of it.
        repair_s = max(REPAIR_MIN_S, time_limit_s * REPAIR_SHARE)
        end = max(started + time_limit_s, time.perf_counter() + repair_s)
        consider(routes_repaired(problem, last, end))
    chosen = best() or last
    if chosen is None:
        return EngineResult([], math.inf, "not_solved", time.perf_counter() - started)
    return EngineResult(
        chosen.routes, chosen.objective, chosen.status, time.perf_counter() - started
    )


REST_CANDIDATES = 3  # rest-free candidates checked with rests placed, cheapest first
REST_POLISH_MIN_S = 0.2  # a candidate is polished with rests only with this much time


def _rested(
    problem: RoutingProblem,
    free: EngineResult,
    scored: list[tuple[float, EngineResult]],
    deadline: float,
) -> EngineResult:
    """The cheapest, once drivers rest, of ``free`` (the rest-free search's choice) and
    the next cheapest distinct rest-free candidates in ``scored``: each with rests
    placed, repaired where a rest breaks a rule (``rests_repaired``), then improved
    under the true cost, rests included (``polish``), for an equal share of the time
    left before ``deadline``.

    A rest-free ranking does not carry over: on a generated county of 60 villages the
    search's best rest-free plan (3,507 CNY) broke rules once its drivers rested and,
    repaired, cost 4,089; polished for 3 s with its rests it fell to 3,689. On another
    day the second candidate (3,899 repaired) polished to 3,697, below the first's
    3,763. Compared before polishing, the wrong one was kept."""
    ranked = [free]
    seen = {_content(free)}
    for _, c in sorted(scored, key=lambda sc: sc[0]):
        if len(ranked) == REST_CANDIDATES:
            break
        if (content := _content(c)) not in seen:
            seen.add(content)
            ranked.append(c)
    seed = problem.batch.options.seed
    best: tuple[float, EngineResult] | None = None
    for n, candidate in enumerate(ranked):
        if n > 0 and time.perf_counter() >= deadline:
            break
        repaired = rests_repaired(problem, candidate, deadline)
        share = (deadline - time.perf_counter()) / (len(ranked) - n)
        if polishes(problem) and share >= REST_POLISH_MIN_S:
            repaired = polish(problem, repaired, share, seed).result
        cost = exact_cost(problem, repaired.routes)
        if best is None or cost < best[0]:
            best = (cost, repaired)
    return best[1] if best is not None else free


def _content(result: EngineResult) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The routes of ``result`` that serve something, as (vehicle, nodes): two engine
    results with the same content are one candidate."""
    return tuple((r.vehicle, tuple(r.nodes)) for r in result.routes if len(r.nodes) > 2)


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


REPAIR_SHARE = 0.1  # of the limit, to repair an engine's routes: for drivers' rests
# within the limit (the engines search without them: a repair is expected); for an
# infeasible best beyond it (known only when the engines are done). Serving the orders
# taken off, ejections included, is bounded
REPAIR_MIN_S = 1.0
FEASIBLE_BY_SHARE = 0.75  # of the limit: PyVRP alone on a conservative model with no
# feasible solution by then stops, and repairing its best has the rest (1,000 stops, tight
# shelf lives: its best after 60 s still broke 481 rules; with km + fixed costs its first
# feasible solution came at 33 s)
PROBE_SHARE = 0.3  # of a contested engine run, for each of PyVRP and the native search
STALL_SHARE = 0.2  # of a contested run: an engine going on with no new best for this
# long hands what is left to the other one. Measured (whole-limit trajectories of each
# engine on eight 60-stop families x 2 seeds and generated counties of 60 and 150
# villages): the native search's best stops moving by about half the limit, PyVRP's
# moves in steps to the end; after the leader stalls the runner-up still gains where
# the two are close at the probe (km + fixed, one type: 1.029 -> 1.008 of the better
# engine alone, replayed)


def contested(problem: RoutingProblem) -> bool:
    """Whether PyVRP and the native search contest the time: where the cost has fixed
    costs per truck or approximately priced parts (fuel, paid hours, shelf life).
    Measured on independent county families (``benchmarks/families.py``), either engine
    may lead there by far; on classic distance-only files (Solomon, VRPSPD, ...) PyVRP
    leads, and the classic pipeline (PyVRP, then OR-Tools' exact model) stays."""
    fleet = problem.batch.fleet
    costed = priced_approximately(problem) or any(vt.fixed_cost > 0 for vt in fleet)
    if problem.n_nodes <= ORTOOLS_MAX_NODES:
        return costed
    # Larger, PyVRP needs much of the limit for a first feasible solution (1,000 stops,
    # km + fixed costs: 33 of 60 s), so a probe's share would leave it none; it contests
    # the time only where its model is conservative (shelf life as deadlines), which can
    # leave it with none at all (tight shelf lives: still infeasible at 60 s, when the
    # native search, which holds shelf life exactly, served every order).
    return costed and problem.has_shelf_life and problem.n_nodes <= SEARCH_NODES_MAX


def _contest(
    problem: RoutingProblem,
    time_limit_s: float,
    progress: Progress | None,
    phase: str,
    initial: EngineResult | None = None,
) -> list[EngineResult]:
    """PyVRP and the native search each probe for ``PROBE_SHARE`` of the time; the one
    whose validated plan is cheaper goes on with the rest (PyVRP resumed from its best
    solution, the native search polishing its routes) for as long as it keeps finding
    better plans. When it stops improving (no new best for ``STALL_SHARE`` of the
    time), it hands what is left to the other, which goes on from its own probe. Time
    follows measured progress on this batch, not a share tuned on one generator.

    OR-Tools' exact model is no longer a contestant where shelf life binds. Replayed on
    whole-limit trajectories (eight 60-stop families x 2 seeds, generated counties of 60
    and 150 villages), it was the best of the three engines on none: where it led at
    its probe (60 villages: 3,901 CNY against the native search's 3,959 and PyVRP's
    4,026) it then stalled, while PyVRP went on to 3,676. Its probe took a quarter of
    the time from the engine that would win.

    ``initial`` (a valid solution: the separate-fleets plan merged, a re-plan's start), up
    to ``SMALL_NODES``: the native search polishes it instead of building from nothing.
    From scratch, every probe ended above the merged separate-fleets plan on the demo
    county (174 nodes: 4,719-4,806 against 4,153-4,370 CNY), so the pairing search's time
    bought nothing; polishing the start, its paired plan fell 2.6 % (3 seeds, 10 s and
    60 s). On county-400 (1,126 nodes, 41-52 trucks in the merged plan) building from
    nothing did better (10 s: 36,264 / 35,178 / 36,207 against 36,835 / 40,336 / 38,930);
    on generated counties of 110-282 nodes either was as good, within noise."""
    started = time.perf_counter()
    seed = problem.batch.options.seed
    probe = time_limit_s * PROBE_SHARE
    stall = time_limit_s * STALL_SHARE

    def report(name: str, cost: float) -> None:
        if progress is not None:
            progress(f"{phase} ({name})", time.perf_counter() - started, cost)

    polish_start = initial is not None and problem.n_nodes <= SMALL_NODES
    if polish_start and exact_cost(problem, initial.routes) < math.inf:
        native = polish(problem, initial, probe, seed).result
        native = EngineResult(
            native.routes, exact_cost(problem, native.routes), "success", native.seconds
        )
    else:
        native = solve_native(problem, probe, seed)
    report("native", native.objective)
    # What the native probe hands back (a converged search) is PyVRP's.
    routed = solve_pyvrp(problem, max(probe / 2, 2 * probe - (time.perf_counter() - started)), seed)
    costs = [native.objective, exact_cost(problem, routed.routes)]
    report("pyvrp", costs[1])
    out = [native, routed]
    ranked = [k for k in sorted(range(2), key=costs.__getitem__) if costs[k] < math.inf]
    for n, k in enumerate(ranked):
        left = time_limit_s - (time.perf_counter() - started)
        if left <= 0.05:
            break
        last = n == len(ranked) - 1  # the last to go on has all that is left
        if k == 0:
            ahead = polish(problem, native, left, seed + 1, stall_s=None if last else stall)
            ahead = ahead.result
        else:
            ahead = solve_pyvrp(problem, left, seed, resume=routed, stall_s=None if last else stall)
        if progress is not None:  # the portfolio validates it again: only for a report
            report("ahead" if n == 0 else "other", exact_cost(problem, ahead.routes))
        out.append(ahead)
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
                problem, half, on_solution=_callback(progress, phase, problem), initial=best()
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
                    on_solution=_callback(progress, phase, problem),
                    initial=best(),
                    warm=warm,
                )
            )
            results.append(child.result())
    return results  # ``consider`` reports their validated costs


def polishes(problem: RoutingProblem) -> bool:
    """Whether plans are polished under the exact cost: where the engines price it
    approximately and the node matrices are affordable."""
    return priced_approximately(problem) and problem.n_nodes <= SEARCH_NODES_MAX


def priced_approximately(problem: RoutingProblem) -> bool:
    """Whether the exact cost has parts the engines price only approximately: fuel that
    grows with the load, paid hours with waiting and per-stop service, shelf life held
    as conservative deadlines. Pure distance benchmarks are left to the engines."""
    batch = problem.batch
    return problem.has_shelf_life or any(vt.has_fuel or vt.cost_per_hour > 0 for vt in batch.fleet)
