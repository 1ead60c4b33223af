"""freshroute vs PyVRP (direct) vs plain OR-Tools on standard routing benchmarks.

For each instance, one engine at a time (sequential, so each gets a core): freshroute
(``plan_batch`` on ``read_instance``, default engine, its validator included), PyVRP on
the instance itself, and a plain OR-Tools model, all with the same time limit. Every
solution is re-evaluated independently in double precision (``optimizer/io/evaluate.py``):
feasibility under the benchmark's rules and distance, then the gap to the reference.
Writes ``benchmarks/results/vrp_<set>.md`` and ``.csv``.

    python benchmarks/vrp.py --set solomon --time-limit 5 --limit 6
        [--engines freshroute,pyvrp,ortools] [--instances C101,R101] [--seed 1]
        [--freshroute-time-scale 10] [--ortools-first-solution PATH_CHEAPEST_ARC]
        [--tag NAME] [--precision] [--rerender]

``--limit N`` takes N instances spread evenly over the sorted set (not the first N).
``--freshroute-time-scale`` is an experiment: it overrides freshroute's ``TIME_SCALE``
(ticks per minute in its OR-Tools and PyVRP boundaries) for this process only.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks.anchors import solve_ortools_plain, solve_pyvrp_direct  # noqa: E402
from optimizer.io.evaluate import BenchmarkInstance, Evaluation, evaluate  # noqa: E402
from optimizer.io.instances import (  # noqa: E402
    data_dir,
    depot_aliases,
    plan_routes,
    read_benchmark,
    to_batch,
)
from optimizer.io.lilim import read_sintef_solution  # noqa: E402
from optimizer.io.vrplib_reader import read_vrplib_solution  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ENGINES = ("freshroute", "pyvrp", "ortools")


@dataclass(frozen=True)
class BenchSet:
    folder: str
    pattern: str
    fmt: str
    reference: str  # how the reference distance is obtained


SETS: dict[str, BenchSet] = {
    "solomon": BenchSet(
        "solomon_vrptw_100",
        "instances/*.txt",
        "solomon",
        "CVRPLIB/DIMACS optimal routes (solutions_cvrplib_dimacs) re-evaluated in double "
        "precision; 8 of 56 break a window by < 0.1 in double precision (flagged)",
    ),
    "vrpspd": BenchSet("vrpspd_dethloff", "instances/*.vrpspd", "lkh", "bks.csv (LKH-3 table BKS)"),
    "vrpb": BenchSet(
        "vrpb_goetschalckx_jacobs_blecha",
        "instances/*.vrpb",
        "lkh",
        "bks.csv (LKH-3 table BKS, exactly K routes)",
    ),
    "lilim": BenchSet(
        "pdptw_li_lim_100",
        "instances/*.txt",
        "lilim",
        "SINTEF hierarchical BKS (vehicles first, then distance), detailed solutions "
        "re-evaluated in double precision",
    ),
    "cvrp": BenchSet(
        "cvrp_x_subset", "instances/*.vrp", "vrplib", "bks.csv (CVRPLIB BKS, rounded EUC_2D)"
    ),
}


def _csv_column(path: Path, column: str = "distance") -> dict[str, float]:
    with path.open() as fh:
        return {r["instance"]: float(r[column]) for r in csv.DictReader(fh)}


def reference(name: str, inst: BenchmarkInstance, root: Path) -> tuple[float, str]:
    """Reference distance and a note (e.g. that the reference breaks a window)."""
    if name == "solomon":
        sol = root / "solutions_cvrplib_dimacs" / f"{inst.name}.sol"
        ev = evaluate(inst, read_vrplib_solution(sol, inst))
        return ev.distance, "" if ev.feasible else "reference infeasible in double"
    if name == "lilim":
        files = sorted((root / "bks_solutions_sintef").glob(f"{inst.name}.*"))
        ev = evaluate(inst, read_sintef_solution(files[0]))
        return ev.distance, f"BKS {ev.routes} vehicles"
    return _csv_column(root / "bks.csv")[inst.name], ""


def spread(items: list[Path], limit: int | None) -> list[Path]:
    """``limit`` items evenly spread over the sorted list (all when None)."""
    if limit is None or limit >= len(items):
        return items
    picks = np.linspace(0, len(items) - 1, limit).round().astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]


def run_freshroute(
    inst: BenchmarkInstance, seconds: float, workers: int = 1, seed: int = 1
) -> tuple[list[list[str]], str]:
    from optimizer.routing.solve import plan_batch

    batch = to_batch(inst)
    # The anchors' seed: comparing a seed-0 run with a seed-1 run measures the seeds.
    batch = batch.model_copy(update={"options": batch.options.model_copy(update={"seed": seed})})
    plan = plan_batch(batch, time_limit_s=seconds, baseline=False, workers=workers)
    status = "validated"
    if plan.kpis.required_unassigned:
        status = f"validated, {plan.kpis.required_unassigned} orders unassigned"
    return plan_routes(plan), status


def solve(
    engine: str,
    inst: BenchmarkInstance,
    seconds: float,
    seed: int,
    ortools_first: str = "PATH_CHEAPEST_ARC",
    workers: int = 1,
) -> dict[str, object]:
    """One engine on one instance: routes evaluated, or the error it raised."""
    started = time.perf_counter()
    try:
        if engine == "freshroute":
            routes, status = run_freshroute(inst, seconds, workers, seed)
        elif engine == "pyvrp":
            res = solve_pyvrp_direct(inst, seconds, seed)
            routes, status = res.routes, res.status
        else:
            res = solve_ortools_plain(inst, seconds, ortools_first)
            routes, status = res.routes, res.status
    except (NotImplementedError, ValueError, RuntimeError) as exc:
        first = str(exc).split(";")[0].split("\n")[0]
        return {"seconds": time.perf_counter() - started, "status": f"error: {first[:140]}"}
    elapsed = time.perf_counter() - started
    ev: Evaluation = evaluate(inst, routes, depot_aliases=depot_aliases(inst))
    return {
        "seconds": elapsed,
        "status": status,
        "distance": ev.distance if routes else None,
        "routes": ev.routes,
        "reloads": ev.reloads,
        "feasible": ev.feasible and bool(routes),
        "violations": "; ".join(ev.violations[:3]) + (" …" if len(ev.violations) > 3 else ""),
    }


def gap(distance: object, ref: float) -> float | None:
    if not isinstance(distance, float):
        return None
    return 100.0 * (distance - ref) / ref


def set_time_scale(scale: int) -> None:
    """Experiment: freshroute's engines with ``scale`` time ticks per minute."""
    from optimizer.routing import ortools_engine, pyvrp_engine

    ortools_engine.TIME_SCALE = scale
    pyvrp_engine.TIME_SCALE = scale


def versions() -> str:
    from importlib.metadata import version

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "?"
    return (
        f"Python {platform.python_version()}, ortools {version('ortools')}, "
        f"pyvrp {version('pyvrp')}, vrplib {version('vrplib')}, numpy {version('numpy')}; "
        f"freshroute commit {commit} (+ uncommitted work)"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, load average {load} (1/5/15 min)"


def _run_key(r: dict[str, object]) -> str:
    """An instance and seed: the unit the engines are compared on."""
    seed = r.get("seed")
    return (
        f"{r['instance']} (seed {seed})" if seed not in (None, "", 1, "1") else str(r["instance"])
    )


def _by_run(rows: list[dict[str, object]]) -> dict[str, dict[str, dict[str, object]]]:
    by_run: dict[str, dict[str, dict[str, object]]] = {}
    for r in rows:
        by_run.setdefault(_run_key(r), {})[str(r["engine"])] = r
    return by_run


def summarise(rows: list[dict[str, object]], engines: list[str]) -> list[str]:
    """Gap statistics per engine and distance ratios measured side by side (each
    instance and seed one pair)."""
    out = ["| engine | feasible | mean gap % | median gap % | max gap % |", "|---|---|---|---|---|"]
    by_inst = _by_run(rows)
    for e in engines:
        gaps = [
            float(r[e]["gap_pct"])  # type: ignore[arg-type]
            for r in by_inst.values()
            if e in r and r[e].get("feasible") and r[e].get("gap_pct") is not None
        ]
        n_total = sum(1 for r in by_inst.values() if e in r)
        if gaps:
            out.append(
                f"| {e} | {len(gaps)}/{n_total} | {statistics.mean(gaps):.2f} | "
                f"{statistics.median(gaps):.2f} | {max(gaps):.2f} |"
            )
        else:
            out.append(f"| {e} | 0/{n_total} | – | – | – |")
    out.append("")
    for other in ("pyvrp", "ortools"):
        if "freshroute" not in engines or other not in engines:
            continue
        ratios = [
            float(r["freshroute"]["distance"]) / float(r[other]["distance"])  # type: ignore[arg-type]
            for r in by_inst.values()
            if "freshroute" in r
            and other in r
            and r["freshroute"].get("feasible")
            and r[other].get("feasible")
        ]
        if ratios:
            out.append(
                f"- freshroute / {other} distance (both feasible, {len(ratios)} instance × "
                f"seed runs): mean {statistics.mean(ratios):.4f}, median "
                f"{statistics.median(ratios):.4f}, min {min(ratios):.4f}, max {max(ratios):.4f}"
            )
    return out


def write(
    name: str, rows: list[dict[str, object]], engines: list[str], header: list[str], tag: str
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"vrp_{name}{'_' + tag if tag else ''}"
    fields = [
        "instance",
        "seed",
        "engine",
        "reference",
        "distance",
        "gap_pct",
        "feasible",
        "routes",
        "reloads",
        "seconds",
        "status",
        "violations",
        "note",
    ]
    with (RESULTS / f"{stem}.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    lines = [*header, "", "## Per instance", ""]
    cols = " | ".join(f"{e} km (gap %)" for e in engines)
    lines += [f"| instance | reference | {cols} | note |", "|---" * (len(engines) + 3) + "|"]
    for inst, per in _by_run(rows).items():
        first = next(iter(per.values()))
        cells = [_cell(per.get(e)) for e in engines]
        lines.append(
            f"| {inst} | {float(first['reference']):.2f} | {' | '.join(cells)} | "  # type: ignore[arg-type]
            f"{first.get('note') or ''} |"
        )
    lines += ["", "✗ = infeasible under the benchmark's rules; why:", ""]
    lines += [
        f"- {r['instance']} {r['engine']}: {r['violations']}"
        for r in rows
        if r.get("distance") is not None and not r.get("feasible")
    ] or ["- (none)"]
    lines += ["", "## Summary (feasible solutions only)", "", *summarise(rows, engines), ""]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines))
    return RESULTS / f"{stem}.md"


def rerender(stem: str) -> Path:
    """Rewrite ``<stem>.md`` from its CSV, keeping the run's header (machine, command)."""
    md = RESULTS / f"{stem}.md"
    header = md.read_text().split("\n## Per instance")[0].rstrip("\n").splitlines()
    rows: list[dict[str, object]] = []
    with (RESULTS / f"{stem}.csv").open() as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, object] = dict(raw)
            for key in ("reference", "distance", "gap_pct", "seconds"):
                row[key] = float(raw[key]) if raw[key] else None
            row["feasible"] = raw["feasible"] == "True"
            rows.append(row)
    engines = list(dict.fromkeys(str(r["engine"]) for r in rows))
    name, _, tag = stem.removeprefix("vrp_").partition("_")
    return write(name, rows, engines, header, tag)


def _cell(r: dict[str, object] | None) -> str:
    if r is None:
        return "–"
    if r.get("distance") is None:
        return f"({r['status']})"
    mark = "" if r.get("feasible") else " ✗"
    return f"{float(r['distance']):.2f} ({float(r['gap_pct']):+.2f}){mark}"  # type: ignore[arg-type]


def precision_report(root: Path, scales: tuple[int, ...] = (1, 10, 100, 1000)) -> Path:
    """Can freshroute's integer time model even hold the reference Solomon solutions?

    freshroute's engines round each node-to-node time (service + travel) up to 1/S minute
    (S = ``TIME_SCALE``, 10 today) and windows inwards. A reference solution that breaks a
    window under that rounding is out of the engines' reach, whatever the time limit.
    Also reports the distance error of the PyVRP boundary (km rounded to 1/``DIST_SCALE``).
    """
    from dataclasses import replace

    from optimizer.routing.pyvrp_engine import DIST_SCALE

    lines = [
        "# Solomon: time precision of freshroute's engine boundary",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; command: "
        "`python benchmarks/vrp.py --set solomon --precision`; no solving, deterministic.",
        "- For each scale S (ticks per minute), every node-to-node time (service + travel) is "
        "rounded up to 1/S and each reference route (CVRPLIB/DIMACS optimum, evaluated in "
        "double precision) is re-checked against the windows. freshroute uses S = 10.",
        "",
        "| S (ticks/min) | still feasible | of the double-feasible references | broken |",
        "|---|---|---|---|",
    ]
    insts = []
    for path in sorted(root.glob("instances/*.txt")):
        inst = read_benchmark(path, "solomon")
        routes = read_vrplib_solution(root / "solutions_cvrplib_dimacs" / f"{inst.name}.sol", inst)
        insts.append((inst, routes, evaluate(inst, routes)))
    double_ok = [(i, r) for i, r, e in insts if e.feasible]
    for scale in scales:
        broken = []
        for inst, routes in double_ok:
            assert inst.duration is not None and inst.service is not None
            service = inst.service[:, None]
            ticks = np.ceil((service + inst.duration) * scale - 1e-9) / scale - service
            windows = inst.windows.copy() if inst.windows is not None else None
            if windows is not None:
                windows[:, 0] = np.ceil(windows[:, 0] * scale - 1e-9) / scale
                windows[:, 1] = np.floor(windows[:, 1] * scale + 1e-9) / scale
            rounded = replace(inst, duration=ticks, windows=windows)
            if not evaluate(rounded, routes, time_tol=1e-9).feasible:
                broken.append(inst.name)
        lines.append(
            f"| {scale} | {len(double_ok) - len(broken)} | {len(double_ok)} | "
            f"{', '.join(broken) or '–'} |"
        )
    errors = []
    for inst, routes, ev in insts:
        km = np.rint(inst.distance * DIST_SCALE) / DIST_SCALE
        errors.append(abs(evaluate(replace(inst, distance=km), routes).distance - ev.distance))
    lines += [
        "",
        f"PyVRP boundary distance rounding (1/{DIST_SCALE} km): |error| of the reference "
        f"totals: mean {statistics.mean(errors):.4f}, max {max(errors):.4f} "
        f"(totals ≈ 590–1650).",
        "",
    ]
    out = RESULTS / "vrp_solomon_precision.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    return out


def main(argv: list[str] | None = None, progress: Callable[[str], None] = print) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", required=True, choices=sorted(SETS))
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--instances", default="", help="comma-separated names (overrides --limit)")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument(
        "--seeds", type=int, nargs="+", default=[1], help="seeds (freshroute and PyVRP alike)"
    )
    ap.add_argument("--freshroute-time-scale", type=int, default=None)
    ap.add_argument("--ortools-first-solution", default="PATH_CHEAPEST_ARC")
    ap.add_argument("--tag", default="", help="suffix for the result files")
    ap.add_argument(
        "--workers", type=int, default=1, help="freshroute's cores (2: engines side by side)"
    )
    ap.add_argument("--precision", action="store_true", help="Solomon time-rounding check only")
    ap.add_argument("--rerender", action="store_true", help="rewrite the .md from the .csv")
    args = ap.parse_args(argv)
    if args.rerender:
        out = rerender(f"vrp_{args.set}{'_' + args.tag if args.tag else ''}")
        progress(f"wrote {out}")
        return out
    if args.precision:
        out = precision_report(data_dir() / SETS["solomon"].folder)
        progress(out.read_text())
        return out
    engines = [e for e in args.engines.split(",") if e]
    if unknown := set(engines) - set(ENGINES):
        ap.error(f"unknown engines {sorted(unknown)}")
    if args.freshroute_time_scale:
        set_time_scale(args.freshroute_time_scale)
    spec = SETS[args.set]
    root = data_dir() / spec.folder
    files = sorted(root.glob(spec.pattern))
    if not files:
        ap.error(f"no instances under {root} (set FRESHROUTE_DATA)")
    if args.instances:
        wanted = set(args.instances.split(","))
        files = [f for f in files if f.stem in wanted]
    else:
        files = spread(files, args.limit)
    started = dt.datetime.now(dt.UTC)
    version = versions()  # the code as it is when the run starts
    load_start = machine()
    rows: list[dict[str, object]] = []
    for path in files:
        inst = read_benchmark(path, spec.fmt)  # type: ignore[arg-type]
        ref, note = reference(args.set, inst, root)
        for seed, engine in itertools.product(args.seeds, engines):
            if engine == "ortools" and seed != args.seeds[0]:
                continue  # plain OR-Tools has no seed: one run per instance
            res = solve(
                engine, inst, args.time_limit, seed, args.ortools_first_solution, args.workers
            )
            row = {"instance": inst.name, "seed": seed, "engine": engine, "reference": ref}
            row |= {"note": note, **res}
            row["gap_pct"] = gap(res.get("distance"), ref)
            rows.append(row)
            d = res.get("distance")
            progress(
                f"{inst.name:12s} s{seed} {engine:10s} "
                + (f"{d:10.2f} gap {row['gap_pct']:+6.2f}% " if isinstance(d, float) else "")
                + f"feasible={res.get('feasible')} {res['seconds']:.1f}s {res['status']}"
            )
    command = "python benchmarks/vrp.py " + " ".join(argv if argv is not None else sys.argv[1:])
    header = [
        f"# Routing benchmark: {args.set}",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; command: `{command}`",
        f"- Machine: {load_start} at the start; {machine().split(', load average ')[1]} "
        "at the end. Shared and loaded by other work: absolute gaps are pessimistic, the "
        "side-by-side ratios are the measure.",
        f"- Versions: {version}",
        f"- Time limit {args.time_limit:g} s per engine per instance, engines run one at a "
        f"time; seeds {' '.join(map(str, args.seeds))} (freshroute and PyVRP alike; plain "
        f"OR-Tools has none: run once, with the first); instances: {len(files)} of "
        f"{len(sorted(root.glob(spec.pattern)))} ({'named' if args.instances else 'spread'})",
        f"- Reference: {spec.reference}",
        "- Engines: freshroute = `plan_batch(read_instance(...), time_limit_s=S, "
        f"baseline=False, workers={args.workers})`, default engine"
        + (
            " (PyVRP and OR-Tools side by side on two cores; the anchors use one)"
            if args.workers > 1
            else " (one core)"
        )
        + (
            f", TIME_SCALE overridden to {args.freshroute_time_scale}"
            if args.freshroute_time_scale
            else ""
        )
        + "; pyvrp = `pyvrp.solve` on the instance (`pyvrp.read` for CVRPLIB, else "
        "×1000 scaling); ortools = plain routing model ("
        + args.ortools_first_solution
        + " + guided local search, ×1000 scaling). "
        "Distances and feasibility from `optimizer/io/evaluate.py` (double precision).",
    ]
    out = write(args.set, rows, engines, header, args.tag)
    progress(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
