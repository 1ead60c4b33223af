"""True-cost polishing on generated counties with load-dependent fuel.

Each county (``generate_county(villages, seed)`` with ``with_fuel_rates``: domain.md §2.2
fuel rates, diesel at 7.5 CNY/L) is planned with ``plan_batch`` (default engine, one
core, no baseline); the plan reports the validated total cost of the engine's routes and
after polishing (``optimizer/routing/polish.py``, 15 % of the time limit).

    python benchmarks/polish.py [--sizes 60 150 300] [--seeds 1 2] [--time-limit 30]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402
from optimizer.routing.solve import plan_batch  # noqa: E402
from optimizer.validate import validate_plan  # noqa: E402
from scenarios.generate import generate_county, with_fuel_rates  # noqa: E402

COLUMNS = {
    "villages": "villages",
    "seed": "seed",
    "orders": "orders",
    "cost_before": "cost before",
    "cost_after": "cost after",
    "saving_pct": "saving %",
    "moves": "moves",
    "polish_s": "polish s",
    "fuel_cost": "fuel CNY",
    "violations": "violations",
}


def run(villages: int, seed: int, limit: float) -> dict[str, object]:
    batch = with_fuel_rates(generate_county(villages, seed))
    plan = plan_batch(batch, time_limit_s=limit, baseline=False)
    assert plan.polishing is not None
    p = plan.polishing
    return {
        "villages": villages,
        "seed": seed,
        "orders": len(batch.orders),
        "cost_before": round(p.cost_before, 2),
        "cost_after": round(p.cost_after, 2),
        "saving_pct": round(100 * (1 - p.cost_after / p.cost_before), 3),
        "moves": p.moves,
        "polish_s": round(p.seconds, 2),
        "fuel_cost": round(plan.kpis.fuel_cost, 2),
        "violations": len(validate_plan(batch, plan)),
    }


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 150, 300])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--time-limit", type=float, default=30.0)
    args = ap.parse_args(argv)
    run_info = Run("benchmarks/polish.py", argv)
    rows = []
    for villages in args.sizes:
        for seed in args.seeds:
            row = run(villages, seed, args.time_limit)
            print(row, flush=True)
            rows.append(row)
    header = run_info.header(
        "True-cost polishing: generated counties with load-dependent fuel",
        [
            "- Counties: `with_fuel_rates(generate_county(villages, seed))`; `plan_batch(..., "
            f"baseline=False)` with a {args.time_limit:g} s limit, 15 % of it for polishing. "
            "Costs are validated totals (CNY) of the engine's routes and of the polished ones.",
        ],
    )
    return write("polish", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
