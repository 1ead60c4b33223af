"""Siting benchmark: OR-Library p-median (pmed1–40) and capacitated warehouse location
(cap41–134, capa/b/c at their capopt.txt capacities) against the proven optima, side by side
with the anchor: PySAL spopt ``PMedian`` (PuLP + CBC) and, because spopt 0.7 has no
opening-cost CFLP, a plain PuLP + CBC strong CFLP model.

Each anchor solve runs in a child process killed at the same wall-clock limit as ours, so a
timeout is recorded as such. Times include model building, not file reading.

    python benchmarks/siting.py --set all --time-limit 300
    python benchmarks/siting.py --set pmed --limit 5 --no-anchor
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import multiprocessing as mp
import os
import platform
import signal
import sys
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.io.orlib import (  # noqa: E402
    OptimumRow,
    cflp_optima,
    data_dir,
    pmedian_optima,
    read_cflp,
    read_pmedian,
)
from optimizer.siting import solve_cflp, solve_pmedian  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Row:
    """One benchmark line: our solve and the anchor's on the same instance."""

    set: str
    instance: str
    size: str
    optimum: float
    ours: float
    ours_bound: float
    gap_to_opt: float
    status: str
    match: bool
    ours_time_s: float
    anchor: str
    anchor_objective: float | None
    anchor_status: str
    anchor_time_s: float
    anchor_match: bool


def _matches(value: float | None, opt: float) -> bool:
    """OR-Library optima are printed to 3 decimals; allow that rounding."""
    return value is not None and abs(value - opt) <= 0.01 + 1e-9 * abs(opt)


def _load(kind: str, row: OptimumRow) -> dict:
    root = data_dir()
    if kind == "pmed":
        inst = read_pmedian(root / "pmedian_orlib" / "instances" / f"{row.file}.txt")
        return {"dist": inst.dist, "p": inst.p, "size": f"n={inst.n} p={inst.p}"}
    inst = read_cflp(root / "cflp_orlib" / "instances" / f"{row.file}.txt", row.capacity)
    m, n = inst.cost.shape
    return {
        "cost": inst.cost,
        "demand": inst.demand,
        "capacity": inst.capacity,
        "fixed": inst.fixed_cost,
        "size": f"m={m} n={n} s={int(inst.capacity[0])}",
    }


def _ours(kind: str, data: dict, time_limit: float) -> tuple[float, float, str, float]:
    t0 = time.perf_counter()
    if kind == "pmed":
        res = solve_pmedian(data["dist"], data["p"], time_limit=time_limit)
    else:
        res = solve_cflp(
            data["cost"],
            data["demand"],
            data["capacity"],
            data["fixed"],
            cost_per_unit=False,
            time_limit=time_limit,
        )
    return res.objective, res.bound, res.status, time.perf_counter() - t0


def _anchor_pmedian(data: dict, time_limit: float) -> tuple[float | None, str]:
    import pulp
    from spopt.locate import PMedian

    n = data["dist"].shape[0]
    model = PMedian.from_cost_matrix(data["dist"], np.ones(n), p_facilities=data["p"])
    try:
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1), results=False)
    except RuntimeError as exc:  # spopt raises when PuLP status is not "Optimal"
        return None, f"error: {exc}"[:60]
    return _pulp_outcome(model.problem)


def _pulp_outcome(prob) -> tuple[float | None, str]:
    import pulp

    obj = pulp.value(prob.objective)
    sol = {1: "optimal", 2: "feasible"}.get(prob.sol_status, pulp.LpStatus[prob.status])
    return (float(obj) if obj is not None else None), sol


def _anchor_cflp(data: dict, time_limit: float) -> tuple[float | None, str]:
    """Plain PuLP + CBC strong CFLP (split demand, x_ij ≤ y_i, aggregate capacity)."""
    import pulp

    cost, dem, cap, fix = data["cost"], data["demand"], data["capacity"], data["fixed"]
    m, n = cost.shape
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(m)]
    x = [[pulp.LpVariable(f"x{i}_{j}", 0, 1) for j in range(n)] for i in range(m)]
    prob += pulp.lpSum(fix[i] * y[i] for i in range(m)) + pulp.lpSum(
        cost[i, j] * x[i][j] for i in range(m) for j in range(n)
    )
    for j in range(n):
        prob += pulp.lpSum(x[i][j] for i in range(m)) == 1
    for i in range(m):
        prob += pulp.lpSum(dem[j] * x[i][j] for j in range(n)) <= cap[i] * y[i]
        for j in range(n):
            prob += x[i][j] <= y[i]
    prob += pulp.lpSum(cap[i] * y[i] for i in range(m)) >= float(dem.sum())
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, gapRel=1e-9))
    return _pulp_outcome(prob)


def _anchor_child(kind: str, row: OptimumRow, time_limit: float, conn) -> None:
    os.setpgrp()  # own process group, so CBC (a grandchild) dies with it on timeout
    data = _load(kind, row)
    t0 = time.perf_counter()
    fn = _anchor_pmedian if kind == "pmed" else _anchor_cflp
    obj, status = fn(data, time_limit)
    conn.send((obj, status, time.perf_counter() - t0))


def _anchor(kind: str, row: OptimumRow, time_limit: float) -> tuple[float | None, str, float]:
    """Run the anchor in a child process; kill it at the wall-clock limit (plus 2 s grace)."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_anchor_child, args=(kind, row, time_limit, send))
    t0 = time.perf_counter()
    proc.start()
    ok = recv.poll(time_limit + 2.0 + 5.0)  # + 5 s for the child to import and read the file
    if ok:
        obj, status, took = recv.recv()
        proc.join()
        return obj, status, took
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the child's own group: child + its CBC
    proc.join()
    return None, "timeout", min(time.perf_counter() - t0, time_limit)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("ortools", "numpy", "scipy", "spopt", "pulp"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()} {model}, {os.cpu_count()} logical cores, {platform.system()}"


def run(args: argparse.Namespace) -> None:
    """Solve each selected set; write ``siting.<set>.csv`` and ``.json`` as rows come in."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    for kind in ["pmed", "cap"] if args.set == "all" else [args.set]:
        t0 = time.perf_counter()
        table = pmedian_optima() if kind == "pmed" else cflp_optima()
        if args.only:
            table = [r for r in table if r.instance in args.only.split(",")]
        if args.limit:
            table = table[: args.limit]
        # --only re-runs selected instances and merges them into the existing results
        rows: list[Row] = _read_rows(kind) if args.only else []
        runs = _read_meta(kind) if args.only else []
        runs.append(
            {
                "command": "python benchmarks/siting.py " + " ".join(sys.argv[1:]),
                "time_limit": args.time_limit,
                "instances": len(table),
            }
        )
        for row in table:
            data = _load(kind, row)
            ours, bound, status, took = _ours(kind, data, args.time_limit)
            if args.no_anchor:
                a_obj, a_status, a_time = None, "not run", float("nan")
            else:
                a_obj, a_status, a_time = _anchor(kind, row, args.time_limit)
            r = Row(
                kind,
                row.instance,
                data["size"],
                row.optimum,
                ours,
                bound,
                (ours - row.optimum) / abs(row.optimum),
                status,
                _matches(ours, row.optimum),
                took,
                "spopt PMedian" if kind == "pmed" else "PuLP CFLP",
                a_obj,
                a_status,
                a_time,
                _matches(a_obj, row.optimum),
            )
            rows = [x for x in rows if x.instance != r.instance] + [r]
            order = {
                o.instance: k
                for k, o in enumerate(pmedian_optima() if kind == "pmed" else cflp_optima())
            }
            rows.sort(key=lambda x: order[x.instance])
            print(json.dumps(asdict(r)), flush=True)
            _write_csv(rows, RESULTS / f"siting.{kind}.csv")
            runs[-1].update(
                finished=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                wall_min=round((time.perf_counter() - t0) / 60, 1),
                load_avg=[round(x, 2) for x in os.getloadavg()],
            )
            (RESULTS / f"siting.{kind}.json").write_text(json.dumps(runs, indent=1))


def _read_meta(kind: str) -> list[dict]:
    path = RESULTS / f"siting.{kind}.json"
    if not path.exists():
        return []
    meta = json.loads(path.read_text())
    return meta if isinstance(meta, list) else [meta]


def _read_rows(kind: str) -> list[Row]:
    path = RESULTS / f"siting.{kind}.csv"
    if not path.exists():
        return []
    out = []
    with path.open(newline="") as fh:
        for d in csv.DictReader(fh):
            ao = d["anchor_objective"]
            out.append(
                Row(
                    d["set"],
                    d["instance"],
                    d["size"],
                    float(d["optimum"]),
                    float(d["ours"]),
                    float(d["ours_bound"]),
                    float(d["gap_to_opt"]),
                    d["status"],
                    d["match"] == "True",
                    float(d["ours_time_s"]),
                    d["anchor"],
                    float(ao) if ao else None,
                    d["anchor_status"],
                    float(d["anchor_time_s"]),
                    d["anchor_match"] == "True",
                )
            )
    return out


def _write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(asdict(rows[0]).keys()))
        w.writeheader()
        for r in rows:
            w.writerow(asdict(r))


def _write_md() -> None:
    """Combine the per-set results into ``siting.csv`` and ``siting.md``."""
    v = _versions()
    lines = [
        "# Siting benchmark: OR-Library p-median and capacitated warehouse location",
        "",
        f"Machine: {_machine()} (shared with other jobs; all solvers single-threaded).  ",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".  ",
        "Each set's command, per-instance wall-clock limit (the same for ours and the anchor; "
        "the anchor is killed at the limit and a timeout counts as the limit in the totals) "
        "and run date are given under the set. Times include model building, not file reading.",
        "",
        "Ours: `optimizer.siting.solve_pmedian` (Lagrangian bound + reduction, then SCIP via "
        "OR-Tools) and `solve_cflp` (Lagrangian branch and bound over the sites; allocation "
        "LPs in OR-Tools GLOP). Anchor: spopt 0.7 `PMedian.from_cost_matrix` + PuLP CBC for "
        "p-median; spopt has no opening-cost CFLP, so a plain PuLP + CBC strong CFLP model "
        "(x_ij ≤ y_i, aggregate capacity, split demand) stands in for cap*.",
        "",
        "Reading the totals: an anchor timeout is counted at the limit, so the anchor total "
        "and the ratio are lower bounds on the anchor's real time. 'At the optimum' means "
        "within 0.01 of the OR-Library value (printed to 3 decimals) *and* proven optimal by "
        "our solver's own bound.",
        "",
    ]
    rows = _read_rows("pmed") + _read_rows("cap")
    if rows:
        _write_csv(rows, RESULTS / "siting.csv")
    for kind in ("pmed", "cap"):
        sub = [r for r in rows if r.set == kind]
        if not sub:
            continue
        ours_t = sum(r.ours_time_s for r in sub)
        anc_t = sum(r.anchor_time_s for r in sub if np.isfinite(r.anchor_time_s))
        n_ok = sum(r.match and r.status == "optimal" for r in sub)
        n_anc = sum(r.anchor_match for r in sub)
        n_to = sum(r.anchor_status == "timeout" for r in sub)
        lines += [f"## {kind}: {len(sub)} instances", ""]
        for meta in _read_meta(kind):
            lines.append(
                f"* `{meta.get('command', '?')}` — {meta.get('instances', '?')} instances, limit "
                f"{meta.get('time_limit', '?')} s per instance, finished "
                f"{meta.get('finished', '?')}, wall {meta.get('wall_min', '?')} min, load "
                f"average at the end {meta.get('load_avg', '?')}."
            )
        lines += [
            "",
            f"* Ours at the proven optimum (and proven optimal): **{n_ok}/{len(sub)}**; "
            f"total time **{ours_t:.1f} s**.",
            f"* Anchor at the optimum: {n_anc}/{len(sub)}, timeouts {n_to}; total time "
            f"**{anc_t:.1f} s** (timeouts counted at the limit).",
            f"* Time ratio anchor / ours: **{anc_t / max(ours_t, 1e-9):.1f}×**.",
            "",
            "| instance | size | optimum | ours | gap | status | ours s | anchor obj | "
            "anchor status | anchor s |",
            "|---|---|---:|---:|---:|---|---:|---:|---|---:|",
        ]
        for r in sub:
            a_obj = f"{r.anchor_objective:.3f}" if r.anchor_objective is not None else "–"
            lines.append(
                f"| {r.instance} | {r.size} | {r.optimum:.3f} | {r.ours:.3f} | "
                f"{r.gap_to_opt:.2e} | {r.status} | {r.ours_time_s:.2f} | {a_obj} | "
                f"{r.anchor_status} | {r.anchor_time_s:.2f} |"
            )
        lines.append("")
    if rows:
        ours_t = sum(r.ours_time_s for r in rows)
        anc_t = sum(r.anchor_time_s for r in rows if np.isfinite(r.anchor_time_s))
        n_ok = sum(r.match and r.status == "optimal" for r in rows)
        lines += [
            "## All sets",
            "",
            f"{len(rows)} instances; ours at the proven optimum {n_ok}/{len(rows)}; ours "
            f"{ours_t:.1f} s, anchor {anc_t:.1f} s, ratio **{anc_t / max(ours_t, 1e-9):.1f}×**.",
            "",
        ]
    (RESULTS / "siting.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=["pmed", "cap", "all"], default="all")
    ap.add_argument("--limit", type=int, default=0, help="first N instances of each set")
    ap.add_argument("--only", default="", help="comma-separated instance ids")
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per instance")
    ap.add_argument("--no-anchor", action="store_true", help="skip spopt / PuLP")
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="only rebuild siting.md / siting.csv from siting.<set>.csv",
    )
    args = ap.parse_args()
    if not data_dir().exists():
        sys.exit(f"benchmark data not found at {data_dir()} (set FRESHROUTE_DATA)")
    if not args.report_only:
        run(args)
    _write_md()
    print(f"wrote {RESULTS / 'siting.md'} and siting.csv", flush=True)


if __name__ == "__main__":
    main()
