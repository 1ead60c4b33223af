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

    python benchmarks/portfolio.py [--sizes 60 150 300] [--time-limit 30] [--seed 1] \
        [--solver-seeds 1 2 3] [--runs "pyvrp alone" freshroute]

``--solver-seeds`` solves the same county with several solver seeds (``options.seed``),
each run with each seed, and sums up the spread of each run's cost and of freshroute's
ratio over them: how far one solver seed's ratio is from the mean.

With ``--families``, the instances come instead from ``benchmarks/families.py``, a second
generator that freshroute was not tuned on (matrix travel, eight families over cost
structure, fleet, shelf life, single visits and centre placement). Each family × size ×
seed runs pyvrp alone, ortools alone and freshroute (one core) at the same limit; the
table gives every run and a summary per family × size (mean, min and max of the ratio over
the seeds, and on how many seeds each engine alone was cheaper):

    python benchmarks/portfolio.py --families all --stops 60 --seeds 1 2 3 \
        [--time-limit S] [--skip-ortools-above N] [--stem portfolio_families]

Without ``--time-limit`` the limit is 10 s at 60 stops, 30 s at 150 and 60 s above.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.families import FAMILIES, family_batch, resolve  # noqa: E402
from benchmarks.tables import RESULTS, Run, write  # noqa: E402
from optimizer.model import Batch  # noqa: E402
from optimizer.plan import Plan  # noqa: E402
from optimizer.routing.ortools_engine import solve_ortools  # noqa: E402
from optimizer.routing.problem import RoutingProblem, compile_problem  # noqa: E402
from optimizer.routing.pyvrp_engine import solve_pyvrp  # noqa: E402
from optimizer.routing.solve import InvalidPlan, _plan, plan_batch  # noqa: E402
from scenarios.generate import generate_county  # noqa: E402

if TYPE_CHECKING:
    from optimizer.routing.ortools_engine import EngineResult

RUNS = ("pyvrp alone", "ortools alone", "freshroute", "freshroute 2 cores")
COLUMNS = {
    "villages": "villages",
    "solver_seed": "solver seed",
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
        kinds = sorted({v.kind for v in e.violations})
        return f"invalid: {len(e.violations)} violations ({', '.join(kinds)})"


def run_one(
    run: str, villages: int, seed: int, limit: float, solver_seed: int | None = None
) -> dict[str, object]:
    """One run on the county of ``villages`` and ``seed``, solved with ``solver_seed``
    (``options.seed``; none: the county's own)."""
    batch = generate_county(villages, seed)
    if solver_seed is not None:
        options = batch.options.model_copy(update={"seed": solver_seed})
        batch = batch.model_copy(update={"options": options})
    row = solve_row(run, batch, limit)
    return {"villages": villages, "solver_seed": batch.options.seed, **row}


def solve_row(run: str, batch: Batch, limit: float) -> dict[str, object]:
    """One run on ``batch``: its plan's cost, km, vehicles and status (one core)."""
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
        "hours": round(k.vehicle_hours, 1),
        "by_type": " + ".join(
            f"{t} {n}" for t, n in sorted(Counter(r.vehicle_type for r in plan.routes).items())
        ),
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


FAMILY_RUNS = ("pyvrp alone", "ortools alone", "freshroute")
FAMILY_COLUMNS = {
    "family": "family",
    "stops": "stops",
    "seed": "seed",
    "orders": "orders",
    "run": "run",
    "total_cost": "cost CNY",
    "km": "km",
    "hours": "route h",
    "vehicles_used": "vehicles",
    "by_type": "by type",
    "required_unassigned": "unserved required",
    "ratio_to_best_alone": "ratio",
    "status": "status",
    "limit_s": "limit s",
    "seconds": "s",
}
SUMMARY_COLUMNS = {
    "family": "family",
    "stops": "stops",
    "seeds": "seeds",
    "ratio_mean": "mean ratio",
    "ratio_min": "min",
    "ratio_max": "max",
    "pyvrp_better": "pyvrp alone better",
    "ortools_better": "ortools alone better",
    "freshroute_failed": "freshroute not valid",
    "alone_valid": "seeds with a valid engine alone",
    "vehicles": "vehicles fr / best alone (mean)",
}


def default_limit(stops: int) -> float:
    """10 s up to 60 stops, 30 s up to 150, 60 s above."""
    return 10.0 if stops <= 60 else 30.0 if stops <= 150 else 60.0


def run_family(
    family: str, stops: int, seed: int, limit: float, skip_ortools_above: int | None
) -> list[dict[str, object]]:
    """The three runs on one family day, one after the other, with their ratios."""
    batch = family_batch(family, stops, seed)
    rows = []
    for run in FAMILY_RUNS:
        base: dict[str, object] = {
            "family": family,
            "stops": stops,
            "seed": seed,
            "run": run,
            "limit_s": limit,
            "orders": len(batch.orders),
        }
        if (
            run == "ortools alone"
            and skip_ortools_above is not None
            and (stops > skip_ortools_above)
        ):
            row = {**base, "status": f"skipped (> {skip_ortools_above} stops)"}
        else:
            try:
                row = {**base, **solve_row(run, batch, limit)}
            except Exception as e:  # a crash is a result too, not the end of the run
                traceback.print_exc()
                row = {**base, "status": f"error: {type(e).__name__}: {str(e)[:80]}"}
        print(row, flush=True)
        rows.append(row)
    _ratios(rows)
    return rows


def summarize(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per family × size: the ratio's mean, min and max over seeds, and on how many seeds
    each engine alone was cheaper than freshroute (or valid where freshroute was not)."""
    groups: dict[tuple[str, int], dict[int, dict[str, dict[str, object]]]] = {}
    for r in rows:
        key = (str(r["family"]), int(r["stops"]))  # type: ignore[call-overload]
        groups.setdefault(key, {}).setdefault(int(r["seed"]), {})[str(r["run"])] = r  # type: ignore[call-overload]
    out = []
    for (family, stops), seeds in groups.items():
        ratios, pyvrp_better, ortools_better, failed, alone_valid = [], 0, 0, 0, 0
        v_fr, v_best = [], []
        for runs in seeds.values():
            fr = runs.get("freshroute", {})
            fr_ok = fr.get("status") == "validated"
            failed += not fr_ok
            if "ratio_to_best_alone" in fr:
                ratios.append(float(fr["ratio_to_best_alone"]))  # type: ignore[arg-type]
            alone = [
                runs[n]
                for n in ("pyvrp alone", "ortools alone")
                if runs.get(n, {}).get("status") == "validated"
            ]
            alone_valid += bool(alone)
            for a in alone:
                better = not fr_ok or float(a["total_cost"]) < float(fr["total_cost"]) - 1e-6  # type: ignore[arg-type]
                if better and a["run"] == "pyvrp alone":
                    pyvrp_better += 1
                elif better:
                    ortools_better += 1
            if fr_ok and alone:
                best = min(alone, key=lambda a: float(a["total_cost"]))  # type: ignore[arg-type]
                v_fr.append(int(fr["vehicles_used"]))  # type: ignore[call-overload]
                v_best.append(int(best["vehicles_used"]))  # type: ignore[call-overload]
        row: dict[str, object] = {
            "family": family,
            "stops": stops,
            "seeds": len(seeds),
            "pyvrp_better": pyvrp_better,
            "ortools_better": ortools_better,
            "freshroute_failed": failed,
            "alone_valid": alone_valid,
        }
        if ratios:
            row |= {
                "ratio_mean": round(statistics.fmean(ratios), 4),
                "ratio_min": round(min(ratios), 4),
                "ratio_max": round(max(ratios), 4),
            }
        if v_fr:
            row["vehicles"] = f"{statistics.fmean(v_fr):.1f} / {statistics.fmean(v_best):.1f}"
        out.append(row)
    return out


def _markdown(rows: list[dict[str, object]], columns: dict[str, str]) -> list[str]:
    return [
        "| " + " | ".join(columns.values()) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(str(r.get(k, "–")) for k in columns) + " |" for r in rows),
    ]


def main_families(args: argparse.Namespace, argv: list[str] | None) -> Path:
    run_info = Run("benchmarks/portfolio.py", argv)
    families = resolve(args.families)
    rows: list[dict[str, object]] = []
    for stops in args.stops:
        limit = args.time_limit if args.time_limit is not None else default_limit(stops)
        for family in families:
            for seed in args.seeds:
                rows += run_family(family, stops, seed, limit, args.skip_ortools_above)
    summary = summarize(rows)
    for r in summary:
        print(r, flush=True)
    limits = ", ".join(
        f"{s} stops {args.time_limit if args.time_limit is not None else default_limit(s):g} s"
        for s in args.stops
    )
    header = run_info.header(
        "Portfolio vs each engine alone: independent instance families",
        [
            "- Instances: `benchmarks/families.py` `family_batch(family, stops, seed)`, a "
            "generator independent of `scenarios/generate.py` (clustered townships, matrix "
            "travel, each family one cost / fleet / shelf-life / single-visit / centre "
            f"combination). Time limit per run: {limits}; runs one after the other in one "
            "process, one core each.",
            "- pyvrp alone / ortools alone: each engine on freshroute's node model, plan "
            "validated as it is; freshroute: `plan_batch(batch, baseline=False, workers=1)`.",
            "- Ratio: freshroute's total cost over the cheaper engine alone (validated, every "
            "required order served). 'better' counts the seeds where that engine alone was "
            "cheaper than freshroute (or valid where freshroute was not).",
            "",
            "## Summary per family × size",
            "",
            *_markdown(summary, SUMMARY_COLUMNS),
            "",
            "## Runs",
            "",
        ],
    )
    out = write(args.stem, rows, FAMILY_COLUMNS, header)
    with (RESULTS / f"{args.stem}.summary.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(SUMMARY_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(summary)
    return out


def main(argv: list[str] | None = None) -> Path:
    # Compile the search's numba kernels before any timed run: a fresh checkout without
    # ``make`` would otherwise compile inside the first run's time limit.
    from optimizer.routing.search.segments import warm_up

    warm_up()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 150, 300])
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per run (county mode: 30; families: by size, see --stops)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--solver-seeds",
        type=int,
        nargs="+",
        default=None,
        help="county mode: solve each county with these solver seeds (default: its own)",
    )
    ap.add_argument(
        "--runs", nargs="+", choices=RUNS, default=list(RUNS), help="county mode: runs to make"
    )
    ap.add_argument(
        "--families",
        nargs="+",
        metavar="NAME",
        help=f"'all' or family names (or 1-based indexes): {', '.join(FAMILIES)}",
    )
    ap.add_argument("--stops", type=int, nargs="+", default=[60], help="families: stations")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="families: seeds")
    ap.add_argument(
        "--skip-ortools-above", type=int, default=None, help="families: no ortools alone above N"
    )
    ap.add_argument("--stem", default=None, help="result file stem")
    args = ap.parse_args(argv)
    if args.families:
        args.stem = args.stem or "portfolio_families"
        return main_families(args, argv)
    args.time_limit = args.time_limit if args.time_limit is not None else 30.0
    run_info = Run("benchmarks/portfolio.py", argv)
    rows: list[dict[str, object]] = []
    summary = []
    for villages in args.sizes:
        for solver_seed in args.solver_seeds or [None]:
            size_rows = []
            for run in args.runs:
                row = run_one(run, villages, args.seed, args.time_limit, solver_seed)
                print(row, flush=True)
                size_rows.append(row)
            _ratios(size_rows)
            rows += size_rows
        summary += _spread(villages, [r for r in rows if r["villages"] == villages])
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
            *summary,
        ],
    )
    return write(args.stem or "portfolio", rows, COLUMNS, header)


def _spread(villages: int, rows: list[dict[str, object]]) -> list[str]:
    """Summary lines of one county solved with several solver seeds: each run's cost
    over the seeds (mean, min-max) and freshroute's ratio (mean, min-max)."""
    if len({r["solver_seed"] for r in rows}) < 2:
        return []
    lines = []
    for run in dict.fromkeys(str(r["run"]) for r in rows):
        costs = [
            float(r["total_cost"])  # type: ignore[arg-type]
            for r in rows
            if r["run"] == run and r.get("status") == "validated"
        ]
        ratios = [
            float(r["ratio_to_best_alone"])  # type: ignore[arg-type]
            for r in rows
            if r["run"] == run and "ratio_to_best_alone" in r
        ]
        n = sum(r["run"] == run for r in rows)
        text = f"- {villages} villages, {run}: valid on {len(costs)} of {n} solver seeds"
        if costs:
            text += (
                f"; cost mean {statistics.mean(costs):,.0f} "
                f"({min(costs):,.0f}-{max(costs):,.0f}) CNY"
            )
        if ratios and run.startswith("freshroute"):
            text += (
                f"; ratio mean {statistics.mean(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"
            )
        lines.append(text)
    return lines


if __name__ == "__main__":
    main()
