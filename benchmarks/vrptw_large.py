"""freshroute vs PyVRP (direct) on 1,000-customer VRPTW instances, at equal time.

``../shared/data`` holds no 1,000-customer VRPTW files (Gehring & Homberger's are not
there), so this script writes its own in Solomon's text format with a generator in the
manner of Solomon (1987) and Gehring & Homberger (1999): type 1 (short horizon, capacity
200), customers uniform (R), in clusters (C) or half and half (RC) on a 500 × 500 grid,
the depot in the middle, 75 % of the customers with a window placed where a truck from
the depot can keep it. They are *not* the published files: there is no best-known value,
the anchor is PyVRP called directly in the same run (``benchmarks/anchors.py``).

Each engine runs alone, one after the other, on one core; solutions are re-evaluated in
double precision by ``optimizer/io/evaluate.py``. Writes
``benchmarks/results/vrptw_1000.md`` and ``.csv``.

    python benchmarks/vrptw_large.py --kinds R C RC --seeds 1 2 --time-limit 60
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402
from benchmarks.vrp import solve  # noqa: E402
from optimizer.io.solomon import read_solomon  # noqa: E402

GRID = 500.0
CAPACITY = 200
VEHICLES = 250
HORIZON = {"R": 1400.0, "C": 2400.0, "RC": 1600.0}  # depot closes (speed 1: km = min)
SERVICE = {"R": 10.0, "C": 90.0, "RC": 10.0}
WINDOWED = 0.75  # share of customers with a window (the rest: the whole horizon)
WIDTH = {"R": (20.0, 120.0), "C": (60.0, 240.0), "RC": (30.0, 150.0)}
CLUSTERS = 50


def instance_text(kind: str, customers: int, seed: int) -> str:
    """A Solomon-format VRPTW instance of ``kind`` (R, C or RC), reproducible by seed."""
    rng = np.random.default_rng([seed, customers, ["R", "C", "RC"].index(kind)])
    depot = np.array([GRID / 2, GRID / 2])
    clustered = {"R": 0, "C": customers, "RC": customers // 2}[kind]
    centres = rng.uniform(0.1 * GRID, 0.9 * GRID, size=(CLUSTERS, 2))
    near = centres[rng.integers(0, CLUSTERS, clustered)] + rng.normal(0, 12, (clustered, 2))
    spread = rng.uniform(0, GRID, size=(customers - clustered, 2))
    xy = np.clip(np.rint(np.vstack([near, spread])), 0, GRID)
    rng.shuffle(xy)
    demand = 10 * rng.integers(1, 5, customers) if kind == "C" else rng.integers(5, 41, customers)
    horizon, service = HORIZON[kind], SERVICE[kind]
    reach = np.hypot(*(xy - depot).T)
    earliest = np.ceil(reach)
    latest = np.floor(horizon - reach - service)
    centre = rng.uniform(earliest, np.maximum(earliest, latest))
    half = rng.uniform(*WIDTH[kind], customers) / 2
    timed = rng.random(customers) < WINDOWED
    ready = np.where(timed, np.maximum(0, np.floor(centre - half)), 0)
    due = np.where(timed, np.minimum(latest, np.ceil(centre + half)), latest)
    due = np.maximum(due, ready)
    lines = [f"{kind}_{customers // 100}_{seed}", "", "VEHICLE", "NUMBER     CAPACITY"]
    lines += [f"{VEHICLES:>5}{CAPACITY:>12}", "", "CUSTOMER"]
    lines += ["CUST NO.   XCOORD.    YCOORD.    DEMAND   READY TIME   DUE DATE   SERVICE TIME", ""]
    lines.append(f"{0:>5}{depot[0]:>11.0f}{depot[1]:>11.0f}{0:>11}{0:>11}{horizon:>11.0f}{0:>11}")
    for i in range(customers):
        lines.append(
            f"{i + 1:>5}{xy[i, 0]:>11.0f}{xy[i, 1]:>11.0f}{demand[i]:>11}"
            f"{ready[i]:>11.0f}{due[i]:>11.0f}{service:>11.0f}"
        )
    return "\n".join(lines) + "\n"


COLUMNS = {
    "instance": "instance",
    "seed": "seed",
    "freshroute_km": "freshroute km",
    "freshroute_routes": "routes",
    "pyvrp_km": "PyVRP km",
    "pyvrp_routes": "routes",
    "ratio": "ratio",
    "seconds": "s (fr / pyvrp)",
}


def paired(runs: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per instance and seed from the engines' runs (``vrp.solve`` results):
    both distances and route counts, and freshroute's over PyVRP's where both are
    feasible."""
    by = {(r["instance"], r["seed"], r["engine"]): r for r in runs}
    rows = []
    for (name, seed, engine), fr in by.items():
        if engine != "freshroute":
            continue
        py = by[(name, seed, "pyvrp")]
        both = fr.get("feasible") and py.get("feasible")
        rows.append(
            {
                "instance": name,
                "seed": seed,
                "freshroute_km": _km(fr),
                "freshroute_routes": fr.get("routes", "–"),
                "pyvrp_km": _km(py),
                "pyvrp_routes": py.get("routes", "–"),
                "ratio": round(float(fr["distance"]) / float(py["distance"]), 4) if both else "–",
                "seconds": f"{float(fr['seconds']):.1f} / {float(py['seconds']):.1f}",
            }
        )
    return rows


def spread(rows: list[dict[str, object]]) -> str:
    """Mean, min and max of the ratios, or why there are none."""
    ratios = [float(r["ratio"]) for r in rows if r["ratio"] != "–"]
    if not ratios:
        return "no run with both feasible"
    return (
        f"mean {statistics.mean(ratios):.4f}, min {min(ratios):.4f}, max {max(ratios):.4f} "
        f"over {len(ratios)} runs"
    )


def notes(customers: int, time_limit: float, rows: list[dict[str, object]]) -> list[str]:
    return [
        f"- Instances: `instance_text(kind, {customers}, seed)` (this script's generator, "
        "Solomon/Gehring–Homberger style, type 1; not the published files). Time limit "
        f"{time_limit:g} s per engine, one core each, run one after the other.",
        "- freshroute = `plan_batch(..., baseline=False, workers=1)`; pyvrp = `pyvrp.solve` on "
        "the instance (×1000 scaling, `benchmarks/anchors.py`). Distances re-evaluated in "
        "double precision (`optimizer/io/evaluate.py`).",
        f"- **freshroute / PyVRP distance: {spread(rows)}.**",
    ]


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kinds", nargs="+", default=["R", "C", "RC"], choices=["R", "C", "RC"])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--stem", default="vrptw_1000")
    args = ap.parse_args(argv)
    run = Run("benchmarks/vrptw_large.py", argv)
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds:
            for seed in args.seeds:
                path = Path(tmp) / f"{kind}_{args.customers}_{seed}.txt"
                path.write_text(instance_text(kind, args.customers, seed))
                inst = read_solomon(path)
                for engine in ("freshroute", "pyvrp"):
                    res = solve(engine, inst, args.time_limit, seed)
                    runs.append({"instance": inst.name, "seed": seed, "engine": engine, **res})
                    print(f"{inst.name} s{seed} {engine:10s} {res}", flush=True)
    rows = paired(runs)
    title = f"freshroute vs PyVRP alone: {args.customers}-customer VRPTW (generated)"
    header = run.header(title, notes(args.customers, args.time_limit, rows))
    return write(args.stem, rows, COLUMNS, header)


def _km(r: dict[str, object]) -> str:
    d = r.get("distance")
    if not isinstance(d, float):
        return str(r.get("status", "–"))
    return f"{d:.1f}" + ("" if r.get("feasible") else " (infeasible)")


if __name__ == "__main__":
    main()
