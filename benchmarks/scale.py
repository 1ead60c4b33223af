"""How far one machine goes: generated counties of 1,000 and 3,000 villages.

Each run is a fresh process (``/usr/bin/time``-free: peak memory from ``resource``) that
generates the county, plans it with ``plan_batch`` (default engine, one core, no
baseline) under the time limit and validates the plan. Reports wall time to the
validated plan, peak resident memory, cost, vehicles and unserved required orders.
Batches above 2,000 orders are planned in parts by location (``routing/decompose.py``).

    python benchmarks/scale.py [--villages 1000 3000] [--limits 60 300]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402

CHILD = """
import json, resource, sys, time
from scenarios.generate import generate_county
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
villages, limit = int(sys.argv[1]), float(sys.argv[2])
batch = generate_county(villages, 1)
started = time.perf_counter()
plan = plan_batch(batch, time_limit_s=limit, baseline=False)
wall = time.perf_counter() - started
violations = validate_plan(batch, plan)
print(json.dumps({
    "villages": villages, "orders": len(batch.orders), "limit_s": limit,
    "wall_s": round(wall, 1), "engine": plan.engine,
    "total_cost": round(plan.kpis.total_cost, 1), "vehicles_used": plan.kpis.vehicles_used,
    "required_unassigned": plan.kpis.required_unassigned, "violations": len(violations),
    "peak_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
}))
"""
COLUMNS = {
    "villages": "villages",
    "orders": "orders",
    "limit_s": "limit s",
    "wall_s": "wall s",
    "peak_gib": "peak GiB",
    "total_cost": "cost CNY",
    "vehicles_used": "vehicles",
    "required_unassigned": "unserved required",
    "violations": "violations",
    "engine": "engine",
}


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--villages", type=int, nargs="+", default=[1000, 3000])
    ap.add_argument("--limits", type=float, nargs="+", default=[60.0, 300.0])
    args = ap.parse_args(argv)
    run = Run("benchmarks/scale.py", argv)
    rows = []
    for villages in args.villages:
        for limit in args.limits:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(villages), str(limit)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            row = json.loads(out.stdout.strip().splitlines()[-1])
            print(row, flush=True)
            rows.append(row)
    header = run.header(
        "Scale: generated counties of 1,000 and 3,000 villages",
        [
            "- Each run: `generate_county(villages, 1)`, `plan_batch(..., baseline=False)` "
            "on one core in a fresh process, then the validator. Wall = plan_batch's time to "
            "the validated plan; peak = the process's peak resident memory (generation "
            "included).",
        ],
    )
    return write("scale", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
