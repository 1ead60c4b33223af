"""Plan a batch end to end: feasibility check, engine, plan, validation, baseline."""

from __future__ import annotations

import time
from collections.abc import Callable

from optimizer.kpis import compute_kpis
from optimizer.model import Batch, with_orders
from optimizer.plan import Baseline, KPIs, Plan
from optimizer.routing.assemble import build_plan
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.ortools_engine import solve_ortools
from optimizer.routing.problem import RoutingProblem, compile_problem
from optimizer.validate import Violation, format_violations, validate_plan

Progress = Callable[[str, float, float], None]  # (phase, elapsed s, best cost CNY)


class InvalidPlan(RuntimeError):
    """The engine produced a plan the validator rejects: a bug, never a result."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("plan failed validation:\n" + format_violations(violations))


def _reasons(problem: RoutingProblem, served: set[str]) -> dict[str, str]:
    out = {}
    for order in problem.orders:
        if order.id in served:
            continue
        if order.penalty is not None:
            out[order.id] = (
                f"optional: serving it would cost more than its penalty ({order.penalty:g} CNY)"
            )
        else:
            out[order.id] = (
                "required, but no route found that fits it within the time limit "
                "(fleet capacity, windows or shifts are too tight together)"
            )
    return out


def solve_problem(
    problem: RoutingProblem,
    time_limit_s: float,
    *,
    engine: str = "ortools",
    phase: str = "paired",
    progress: Progress | None = None,
) -> Plan:
    """Solve a compiled problem and return its validated plan."""
    if engine != "ortools":
        raise ValueError(f"unknown engine '{engine}' (available: ortools)")
    callback = None
    if progress is not None:

        def callback(elapsed: float, cost: float) -> None:
            progress(phase, elapsed, cost)

    result = solve_ortools(problem, time_limit_s, on_solution=callback)
    served = {
        problem.orders[problem.node_order[n]].id
        for r in result.routes
        for n in r.nodes
        if problem.node_order[n] >= 0
    }
    plan = build_plan(
        problem,
        result.routes,
        engine=engine,
        seconds=result.seconds,
        reasons=_reasons(problem, served),
    )
    violations = validate_plan(problem.batch, plan)
    if violations:
        raise InvalidPlan(violations)
    return plan


def plan_batch(
    batch: Batch,
    *,
    time_limit_s: float | None = None,
    baseline: bool | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The validated plan of a batch, with the separate-fleets baseline when asked.

    Raises ``InfeasibleBatch`` (before solving) when some order cannot be served by any
    vehicle even alone. The baseline plans deliveries and pickups as two independent sets
    of routes, each with the whole fleet and half the time limit.
    """
    started = time.perf_counter()
    limit = time_limit_s if time_limit_s is not None else batch.options.time_limit_s
    problem = compile_problem(batch)
    issues = check_feasibility(problem)
    if issues:
        raise InfeasibleBatch(issues)
    plan = solve_problem(problem, limit, progress=progress)
    if baseline if baseline is not None else batch.options.baseline:
        base = separate_fleets_baseline(problem, limit / 2, progress=progress)
        if base is not None:
            plan.baseline = Baseline(
                kpis=base,
                cost_saving_share=_saving(plan.kpis.total_cost, base.total_cost),
                empty_km_saving_share=_saving(plan.kpis.empty_km, base.empty_km),
            )
    plan.solve_seconds = time.perf_counter() - started
    return plan


def separate_fleets_baseline(
    problem: RoutingProblem, time_limit_s: float, *, progress: Progress | None = None
) -> KPIs | None:
    """KPIs of deliveries and pickups planned separately; None unless the batch has both."""
    batch = problem.batch
    kinds = {o.kind for o in batch.orders}
    if kinds != {"delivery", "pickup"}:
        return None
    routes, outcomes = [], []
    for kind in ("delivery", "pickup"):
        part = with_orders(batch, [o for o in batch.orders if o.kind == kind])
        plan = solve_problem(
            compile_problem(part, problem.travel),
            time_limit_s,
            phase=f"baseline {kind}s",
            progress=progress,
        )
        routes += plan.routes
        outcomes += plan.orders
    return compute_kpis(batch, routes, outcomes)


def _saving(paired: float, baseline: float) -> float:
    return 1.0 - paired / baseline if baseline > 0 else 0.0
