"""The cost of drivers' rest rules on the bundled scenarios.

Each bundled scenario (``scenarios/*.json``, which carry the regulation's rules: at most
240 min of continuous driving, then a 20 min rest) is planned three times with the same
time limit and seed: without rest rules, with the regulation's, and with the
regulation's plus a 30 min meal break in 11:30-13:30. Every plan is validated (the
violations column must be 0); the compliance cost is the total cost's increase over the
same seed without rules.

    flock /work/bench.lock python benchmarks/rest_rules.py [--scenarios demo-county]
        [--seeds 1 2 3] [--time-limit 20]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402
from optimizer.model import Batch, RestRules, TimeWindow  # noqa: E402
from optimizer.routing.solve import plan_batch  # noqa: E402
from optimizer.validate import validate_plan  # noqa: E402
from scenarios.generate import BUNDLED, SCENARIO_DIR, bundled_batch  # noqa: E402

VARIANTS: dict[str, RestRules | None] = {
    "none": None,
    "regulation": RestRules(),
    "regulation+meal": RestRules(meal_window=TimeWindow(start=690, end=810), meal_min=30),
}
COLUMNS = {
    "scenario": "scenario",
    "seed": "seed",
    "rules": "rest rules",
    "cost": "total cost",
    "compliance_pct": "vs none %",
    "vehicles": "vehicles",
    "km": "km",
    "hours": "vehicle h",
    "rests": "rests",
    "meals": "meals",
    "unserved": "unserved",
    "violations": "violations",
}


def with_rules(batch: Batch, rules: RestRules | None, seed: int) -> Batch:
    fleet = [vt.model_copy(update={"rest_rules": rules}) for vt in batch.fleet]
    options = batch.options.model_copy(update={"seed": seed})
    data = batch.model_copy(update={"fleet": fleet, "options": options}).model_dump()
    return Batch.model_validate(data)


def run(stem: str, seed: int, limit: float) -> list[dict[str, object]]:
    base = bundled_batch(stem)
    rows: list[dict[str, object]] = []
    for name, rules in VARIANTS.items():
        batch = with_rules(base, rules, seed)
        plan = plan_batch(batch, time_limit_s=limit, baseline=False)
        kinds = Counter(r.kind for route in plan.routes for r in route.rests)
        rows.append(
            {
                "scenario": stem,
                "seed": seed,
                "rules": name,
                "cost": round(plan.kpis.total_cost, 2),
                "compliance_pct": None,
                "vehicles": plan.kpis.vehicles_used,
                "km": round(plan.kpis.km, 1),
                "hours": round(plan.kpis.vehicle_hours, 1),
                "rests": kinds["rest"],
                "meals": kinds["meal"],
                "unserved": plan.kpis.orders_unassigned,
                "violations": len(validate_plan(batch, plan)),
            }
        )
    none = float(rows[0]["cost"])  # type: ignore[arg-type]
    for row in rows:
        row["compliance_pct"] = round(100 * (float(row["cost"]) / none - 1), 2)  # type: ignore[arg-type]
    return rows


def means(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per scenario and rules, the mean over seeds (``seed`` "mean"; counts summed)."""
    out = []
    for stem in dict.fromkeys(r["scenario"] for r in rows):
        for name in VARIANTS:
            some = [r for r in rows if r["scenario"] == stem and r["rules"] == name]
            row: dict[str, object] = {"scenario": stem, "seed": "mean", "rules": name}
            for key in ("cost", "compliance_pct", "vehicles", "km", "hours"):
                row[key] = round(sum(float(r[key]) for r in some) / len(some), 2)  # type: ignore[arg-type]
            for key in ("rests", "meals", "unserved", "violations"):
                row[key] = sum(int(r[key]) for r in some)  # type: ignore[call-overload]
            out.append(row)
    return out


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="+", default=list(BUNDLED))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=20.0)
    args = ap.parse_args(argv)
    run_info = Run("benchmarks/rest_rules.py", argv)
    os.chdir(SCENARIO_DIR)  # a scenario's road network file sits beside it
    rows = []
    for stem in args.scenarios:
        for seed in args.seeds:
            for row in run(stem, seed, args.time_limit):
                print(row, flush=True)
                rows.append(row)
    rows += means(rows)
    header = run_info.header(
        "Drivers' rest rules: the cost of compliance on the bundled scenarios",
        [
            f"- `plan_batch(..., baseline=False)`, {args.time_limit:g} s limit, default "
            "engine; the same scenario and seed with no rest rules, the regulation's "
            "(240 min driving / 20 min rest) and the regulation's plus a 30 min meal in "
            "11:30-13:30. `vs none %`: total cost over the same seed without rules.",
            "- `violations`: the validator's count on each plan (must be 0).",
        ],
    )
    return write("rest_rules", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
