"""freshroute's portfolio against each engine run alone, on generated county days.

For each size (villages) a county is generated (``scenarios.generate``, fixed seed) with
deliveries from the hub and shelf-life pickups due at the collection centre. At the
same time limit, in the same run, one after the other:

- ``pyvrp alone``: PyVRP on freshroute's node model (deliveries as clients, pickups as
  shipments with deadline windows that imply shelf life), its routes validated as they are;
- ``ortools alone``: the exact OR-Tools pickup-and-delivery model from scratch;
- ``freshroute``: ``plan_batch`` (default engine, one core);
- ``freshroute 2 cores``: ``plan_batch(..., workers=2)``.

Cost is the validated plan's total cost in CNY (fixed + km + hours); a required order
left unserved is reported, and such a plan does not count as a solution. The ratio is
freshroute's cost over the cheaper of the two engines alone (target ≤ 0.97).

    python benchmarks/portfolio.py [--sizes 60 150 300] [--time-limit 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402
from optimizer.plan import Plan  # noqa: E402
from optimizer.routing.ortools_engine import EngineResult, solve_ortools  # noqa: E402
from optimizer.routing.problem import RoutingProblem, compile_problem  # noqa: E402
from optimizer.routing.pyvrp_engine import solve_pyvrp  # noqa: E402
from optimizer.routing.solve import InvalidPlan, _plan, plan_batch  # noqa: E402
from scenarios.generate import generate_county  # noqa: E402

RUNS = ("pyvrp alone", "ortools alone", "freshroute", "freshroute 2 cores")
COLUMNS = {
    "villages": "villages",
    "orders": "orders",
    "run": "run",
    "total_cost": "cost CNY",
    "km": "km",
    "vehicles_used": "vehicles",
    "required_unassigned": "unserved required",
    "ratio_to_best_alone": "ratio",
    "status": "status",
    "seconds": "s",
}


def _engine_plan(problem: RoutingProblem, result: EngineResult, engine: str) -> Plan | str:
    try:
        return _plan(problem, result, engine)
    except InvalidPlan as e:
        return f"invalid: {len(e.violations)} violations"


def run_one(run: str, villages: int, seed: int, limit: float) -> dict[str, object]:
    batch = generate_county(villages, seed)
    started = time.perf_counter()
    if run in ("pyvrp alone", "ortools alone"):
        problem = compile_problem(batch)
        if run == "pyvrp alone":
            result = solve_pyvrp(problem, limit, batch.options.seed)
        else:
            result = solve_ortools(problem, limit)
        plan: Plan | str = _engine_plan(problem, result, run)
    else:
        plan = plan_batch(
            batch, time_limit_s=limit, baseline=False, workers=2 if "2 cores" in run else 1
        )
    row: dict[str, object] = {
        "villages": villages,
        "orders": len(batch.orders),
        "run": run,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if isinstance(plan, str):
        return {**row, "status": plan}
    k = plan.kpis
    status = "validated" if not k.required_unassigned else "required orders unserved"
    return {
        **row,
        "status": status,
        "total_cost": round(k.total_cost, 2),
        "km": round(k.km, 1),
        "vehicles_used": k.vehicles_used,
        "required_unassigned": k.required_unassigned,
    }


def _ratios(rows: list[dict[str, object]]) -> None:
    """freshroute's cost over the cheaper engine alone (validated, all required served)."""
    alone = [
        float(r["total_cost"])  # type: ignore[arg-type]
        for r in rows
        if r["run"] in ("pyvrp alone", "ortools alone") and r.get("status") == "validated"
    ]
    best = min(alone, default=None)
    for r in rows:
        if best and r.get("status") == "validated":
            r["ratio_to_best_alone"] = round(float(r["total_cost"]) / best, 4)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 150, 300])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    run_info = Run("benchmarks/portfolio.py", argv)
    rows: list[dict[str, object]] = []
    for villages in args.sizes:
        size_rows = []
        for run in RUNS:
            row = run_one(run, villages, args.seed, args.time_limit)
            print(row, flush=True)
            size_rows.append(row)
        _ratios(size_rows)
        rows += size_rows
    header = run_info.header(
        "Portfolio vs each engine alone: generated county days",
        [
            f"- Counties: `generate_county(villages, seed={args.seed})` (domain.md defaults: "
            "parcels from the hub, shelf-life pickups to the collection centre); time limit "
            f"{args.time_limit:g} s per run, runs one after the other in one process.",
            "- pyvrp alone / ortools alone: each engine on freshroute's node model, plan "
            "validated as it is; freshroute: `plan_batch(batch, baseline=False[, workers=2])`.",
            "- Ratio: total cost over the cheaper engine alone (validated, every required "
            "order served). Target ≤ 0.97.",
        ],
    )
    return write("portfolio", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
