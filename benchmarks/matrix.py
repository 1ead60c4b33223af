"""Benchmark: road travel matrices for many sites on a large generated road network.

    .venv/bin/python benchmarks/matrix.py --sites 2000 --edges 200000 --seed 0
    .venv/bin/python benchmarks/matrix.py --sites 3000 --out matrix_3000

Generates a county-sized jittered grid mesh (optimizer.network.synthetic) with at least
``--edges`` lines, writes it as a GeoPackage, scatters ``--sites`` random sites over it,
then times road_matrices end to end, each method in a fresh subprocess (so its peak RSS
is its own): "ch" (contraction hierarchy: cold = load + snap + hierarchy + query; a
second call that hits the matrix cache; a third with the matrix entry deleted, which
reuses the cached hierarchy: the repeat query) and "dijkstra" (scipy per source, the
method before the hierarchy). Anchors in the same run, on the same graph: networkx
per-source Dijkstra from a sample of sources, scaled linearly; pandana 0.8 (its own CH,
pairwise point-to-point queries, minutes only) and pyroutingkit (RoutingKit's
customizable CH, uint32 minutes only) between the sites' nearest road nodes, where
installed. Values are cross-checked on a sample. Writes benchmarks/results/<out>.md and
<out>.csv. Reads no input files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.memory import peak_rss_mib  # noqa: E402
from optimizer.network.matrix import build_router, road_matrices  # noqa: E402
from optimizer.network.spec import RoadNetworkTravel  # noqa: E402
from optimizer.network.synthetic import synthetic_large_network, write_roads  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _child(args: argparse.Namespace) -> None:
    """One method or anchor in this process; print its timings and peak memory."""
    work = Path(args.child)
    sites = json.loads((work / "sites.json").read_text())
    sites = [(s, x, y) for s, x, y in sites]
    if args.method == "anchor-valhalla":
        from benchmarks import matrix_valhalla as mv

        skip = mv.available()
        out = (
            {"skipped": skip}
            if skip
            else mv.run_anchor(work, sites, args.valhalla_rows, args.valhalla_cm_sites)
        )
        print("\nRESULT " + json.dumps(out))
        return
    if args.method.startswith("anchor-"):
        print("\nRESULT " + json.dumps(_anchor(args.method[7:], work, sites)))
        return
    cache_dir = work / f"cache-{args.method}"
    os.environ["FRESHROUTE_CACHE_DIR"] = str(cache_dir)
    spec = RoadNetworkTravel(mode="road_network", path="roads.gpkg")
    workers = None if args.workers == "auto" else int(args.workers)
    if args.method == "ch":
        road_matrices(sites[:2], spec, work, use_cache=False)  # compile (numba on-disk cache)
    before = _cpu_s()
    cold = road_matrices(sites, spec, work, workers=workers, method=args.method)
    cpu_s = _cpu_s() - before
    hot = road_matrices(sites, spec, work, method=args.method)
    assert hot.from_cache and np.array_equal(hot.km, cold.km)
    out = {"timings": cold.timings, "cache_s": hot.timings["total_s"], "cpu_s": cpu_s}
    if args.method == "ch":  # the repeat query: drop the matrix entry, keep the hierarchy
        for f in cache_dir.glob("*.npz"):
            if not f.name.startswith("ch-"):
                f.unlink()
        before = _cpu_s()
        again = road_matrices(sites, spec, work, method="ch")
        out["repeat_cpu_s"] = _cpu_s() - before
        out["repeat"] = again.timings
        assert again.timings["hierarchy_cached"] == 1.0
        assert np.array_equal(again.minutes, cold.minutes)
        from optimizer.network.chmatrix import network_hierarchy

        h = network_hierarchy(cold.router().network, None)[1]
        out["ch_arcs"] = h.n_arcs
    np.savez(work / f"{args.method}.npz", km=cold.km, minutes=cold.minutes)
    me = peak_rss_mib()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    router = cold.router()
    out.update(
        warnings=cold.warnings,
        rss_mib=me,
        worker_rss_mib=kids,
        nodes=router.graph.n_nodes,
        arcs=len(router.graph.src),
        core_nodes=router.core.n_nodes,
        lines=len(router.network.lines),
        net_nodes=router.network.n_nodes,
    )
    print("\nRESULT " + json.dumps(out))


def _anchor_graph(work: Path, sites: list) -> tuple:
    """Directed road arcs (minutes), node lon/lat and each site's nearest road node."""
    from optimizer.network.chmatrix import network_arcs
    from optimizer.network.matrix import load_network, snap_to

    spec = RoadNetworkTravel(mode="road_network", path="roads.gpkg")
    net = load_network(spec, work)
    snapped = snap_to(net, sites, spec)
    src, dst, line = network_arcs(net)
    node = np.where(snapped.fraction < 0.5, net.u[snapped.line], net.v[snapped.line])
    lon, lat = net.to_wgs84(net.node_xy[:, 0], net.node_xy[:, 1])
    return net, src, dst, net.minutes[line], node, lon, lat


def _anchor(name: str, work: Path, sites: list) -> dict:
    """pandana or pyroutingkit: road minutes between the sites' nearest nodes."""
    net, src, dst, minutes, node, lon, lat = _anchor_graph(work, sites)
    before, t0 = _cpu_s(), time.perf_counter()
    if name == "pandana":
        import pandana
        import pandas as pd

        net_p = pandana.Network(
            pd.Series(net.node_xy[:, 0]),
            pd.Series(net.node_xy[:, 1]),
            pd.Series(src),
            pd.Series(dst),
            pd.DataFrame({"minutes": minutes}),
            twoway=False,
        )
        t1 = time.perf_counter()
        # pairwise queries: all targets from a sample of sources, scaled to all sources
        rows = min(len(node), 200)
        orig = np.repeat(node[:rows], len(node))
        dest = np.tile(node, rows)
        got = np.array(net_p.shortest_path_lengths(orig, dest, imp_name="minutes"))
        got = got.reshape(rows, len(node))
        version = pandana.__version__
    else:
        from importlib.metadata import version as _v

        from pyroutingkit import CCH

        cch = CCH()
        cch.build_topology(
            src.astype(np.uint32),
            dst.astype(np.uint32),
            np.asarray(lat, np.float32),
            np.asarray(lon, np.float32),
            node_count=net.n_nodes,
        )
        cch.customize_weights(np.rint(minutes * 1000).astype(np.uint32))  # 0.001 min
        t1 = time.perf_counter()
        rows = len(node)
        got = cch.distances_many_to_many(node.astype(np.uint32), node.astype(np.uint32)) / 1000
        version = _v("pyroutingkit")
    t2 = time.perf_counter()
    cpu = _cpu_s() - before
    # reference: scipy Dijkstra minutes between the same nodes, on a sample of rows
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    order = np.lexsort((minutes, dst, src))
    s, d, w = src[order], dst[order], minutes[order]
    first = np.r_[True, (s[1:] != s[:-1]) | (d[1:] != d[:-1])]
    graph = csr_array((w[first], (s[first], d[first])), shape=(net.n_nodes,) * 2)
    sample = np.arange(0, rows, max(1, rows // 10))[:10]
    ref = dijkstra(graph, indices=node[sample])[:, node]
    return {
        "build_s": t1 - t0,
        "query_s": t2 - t1,
        "query_rows": rows,
        "cpu_s": cpu,
        "max_minutes_diff": float(np.abs(got[sample] - ref).max()),
        "rss_mib": peak_rss_mib(),
        "version": version,
    }


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished children (the workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _networkx(
    work: Path, sites: list, spec: RoadNetworkTravel, sample: np.ndarray, ours: dict
) -> dict:
    """Per-source networkx Dijkstra (minutes only) from ``sample`` sites; cross-check."""
    import networkx as nx

    router, _ = build_router(sites, spec, work)
    g = router.graph
    t0 = time.perf_counter()
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        zip(g.src.tolist(), g.dst.tolist(), g.minutes.tolist(), strict=True), weight="minutes"
    )
    build_s = time.perf_counter() - t0
    node = g.site_node
    acc_min, acc_km = router.snapped.access_min, router.snapped.access_km
    per_source, per_source_cpu, max_min_diff = [], [], 0.0
    for i in sample:
        t, c = time.perf_counter(), time.process_time()
        dist = nx.single_source_dijkstra_path_length(graph, int(node[i]), weight="minutes")
        per_source.append(time.perf_counter() - t)
        per_source_cpu.append(time.process_time() - c)
        road = np.array([dist[int(n)] for n in node])
        want = np.where(np.arange(len(node)) == i, 0.0, acc_min[i] + road + acc_min)
        max_min_diff = max(max_min_diff, float(np.abs(want - ours["minutes"][i]).max()))
    # km of the time-shortest paths, from networkx's own paths (not timed)
    for u, v, km in zip(g.src.tolist(), g.dst.tolist(), g.km.tolist(), strict=True):
        graph[u][v]["km"] = km
    max_km_diff, km_pairs = 0.0, 0
    for i in sample[:3]:
        _, paths = nx.single_source_dijkstra(graph, int(node[i]), weight="minutes")
        for j in range(len(node)):
            if j == i:
                continue
            p = paths[int(node[j])]
            km = acc_km[i] + acc_km[j] + sum(graph[a][b]["km"] for a, b in pairwise(p))
            max_km_diff = max(max_km_diff, abs(km - float(ours["km"][i, j])))
            km_pairs += 1
    return {
        "nx_graph_build_s": build_s,
        "nx_per_source_s": float(np.mean(per_source)),
        "nx_per_source_cpu_s": float(np.mean(per_source_cpu)),
        "nx_sources": len(sample),
        "max_minutes_diff": max_min_diff,
        "max_km_diff": max_km_diff,
        "km_pairs_checked": km_pairs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--edges", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nx-sources", type=int, default=20)
    ap.add_argument("--workers", default="auto", help="Dijkstra processes, or 'auto'")
    ap.add_argument(
        "--valhalla-rows",
        type=int,
        default=200,
        help="Valhalla timedistancematrix: source rows measured (scaled to all)",
    )
    ap.add_argument(
        "--valhalla-cm-sites",
        type=int,
        default=200,
        help="Valhalla costmatrix: run on the first N sites only",
    )
    ap.add_argument("--out", default="matrix", help="results file stem")
    ap.add_argument("--no-dijkstra", action="store_true", help="skip the scipy method")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="ch", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="freshroute-bench-") as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        roads = synthetic_large_network(args.edges, seed=args.seed)
        write_roads(roads, work / "roads.gpkg")
        gen_s = time.perf_counter() - t
        rng = np.random.default_rng(args.seed)
        minx, miny, maxx, maxy = roads.total_bounds
        pad_x, pad_y = (maxx - minx) * 0.02, (maxy - miny) * 0.02
        sites = [
            (f"s{i}", float(x), float(y))
            for i, (x, y) in enumerate(
                zip(
                    rng.uniform(minx + pad_x, maxx - pad_x, args.sites),
                    rng.uniform(miny + pad_y, maxy - pad_y, args.sites),
                    strict=True,
                )
            )
        ]
        (work / "sites.json").write_text(json.dumps(sites))
        del roads

        runs: dict[str, dict] = {}
        methods = ["ch"] + ([] if args.no_dijkstra else ["dijkstra"])
        anchors = ["anchor-pandana", "anchor-pyroutingkit", "anchor-valhalla"]
        for name in [*methods, *anchors]:
            cmd = [
                sys.executable,
                __file__,
                "--child",
                str(work),
                "--workers",
                args.workers,
                "--valhalla-rows",
                str(args.valhalla_rows),
                "--valhalla-cm-sites",
                str(args.valhalla_cm_sites),
            ]
            wall = time.perf_counter()
            out = subprocess.run([*cmd, "--method", name], capture_output=True, text=True)
            if out.returncode != 0:
                if name in methods:
                    raise SystemExit(out.stderr)
                runs[name] = {"error": out.stderr.strip().splitlines()[-1][:200]}
                continue
            result = out.stdout.rsplit("\nRESULT ", 1)[-1]
            runs[name] = json.loads(result.strip().splitlines()[0])
            runs[name]["child_wall_s"] = time.perf_counter() - wall
        ch = dict(np.load(work / "ch.npz"))
        agree = {}
        if "dijkstra" in runs:
            dj = dict(np.load(work / "dijkstra.npz"))
            d_min, d_km = np.abs(ch["minutes"] - dj["minutes"]), np.abs(ch["km"] - dj["km"])
            agree = {
                "ch_vs_dijkstra_max_minutes": float(d_min.max()),
                "ch_vs_dijkstra_max_km": float(d_km.max()),
                "ch_vs_dijkstra_km_pairs_over_1e-3": int((d_km > 1e-3).sum()),
            }
        sample = np.sort(
            rng.choice(args.sites, size=min(args.nx_sources, args.sites), replace=False)
        )
        spec = RoadNetworkTravel(mode="road_network", path="roads.gpkg")
        base = _networkx(work, sites, spec, sample, ch)
    load_after = os.getloadavg()
    row = _row(args, runs, base, agree, gen_s, load_before, load_after)
    print(json.dumps(row, indent=1))
    if not args.no_write:
        _write(row, runs["ch"]["warnings"], args.out)


def _row(args, runs, base, agree, gen_s, load_before, load_after) -> dict:
    """One flat csv row of everything measured."""
    ch, dj = runs["ch"], runs.get("dijkstra", {})
    tc, rep = ch["timings"], ch["repeat"]
    nx_cpu = base["nx_per_source_cpu_s"] * args.sites
    row = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "sites": args.sites,
        "edges_target": args.edges,
        "seed": args.seed,
        "lines": ch["lines"],
        "network_nodes": ch["net_nodes"],
        "graph_nodes": ch["nodes"],
        "graph_arcs": ch["arcs"],
        "ch_arcs": ch["ch_arcs"],
        "ch_load_s": round(tc["load_s"], 2),
        "ch_snap_s": round(tc["snap_s"], 2),
        "ch_hierarchy_s": round(tc["hierarchy_s"], 2),
        "ch_query_s": round(tc["matrix_s"], 2),
        "ch_total_s": round(tc["total_s"], 2),
        "ch_cpu_s": round(ch["cpu_s"], 1),
        "ch_repeat_hierarchy_load_s": round(rep["hierarchy_s"], 2),
        "ch_repeat_query_s": round(rep["matrix_s"], 2),
        "ch_repeat_total_s": round(rep["total_s"], 2),
        "ch_repeat_cpu_s": round(ch["repeat_cpu_s"], 1),
        "ch_cache_hit_s": round(ch["cache_s"], 3),
        "ch_peak_rss_mib": round(ch["rss_mib"]),
    }
    if dj:
        td = dj["timings"]
        row.update(
            dijkstra_load_s=round(td["load_s"], 2),
            dijkstra_snap_s=round(td["snap_s"], 2),
            dijkstra_matrix_s=round(td["matrix_s"], 2),
            dijkstra_total_s=round(td["total_s"], 2),
            dijkstra_cpu_s=round(dj["cpu_s"], 1),
            dijkstra_peak_rss_mib=round(dj["rss_mib"]),
            dijkstra_worker_peak_rss_mib=round(dj["worker_rss_mib"]),
            speedup_cpu_ch_vs_dijkstra=round(dj["cpu_s"] / ch["cpu_s"], 1),
            speedup_wall_ch_vs_dijkstra=round(td["total_s"] / tc["total_s"], 1),
            **agree,
        )
    for name in ("pandana", "pyroutingkit"):
        a = runs.get(f"anchor-{name}", {})
        if "error" in a or not a:
            row[f"{name}_error"] = a.get("error", "not run")
            continue
        scale = args.sites / a["query_rows"]
        row.update(
            {
                f"{name}_version": a["version"],
                f"{name}_build_s": round(a["build_s"], 2),
                f"{name}_query_s": round(a["query_s"] * scale, 2),
                f"{name}_query_rows_measured": a["query_rows"],
                f"{name}_cpu_s": round(a["cpu_s"], 1),
                f"{name}_peak_rss_mib": round(a["rss_mib"]),
                f"{name}_max_minutes_diff": a["max_minutes_diff"],
            }
        )
    from benchmarks.matrix_valhalla import row_fields

    row.update(row_fields(runs.get("anchor-valhalla", {}), args.sites))
    row.update(
        nx_sources=base["nx_sources"],
        nx_per_source_s=round(base["nx_per_source_s"], 3),
        nx_scaled_total_s=round(base["nx_per_source_s"] * args.sites, 1),
        nx_scaled_cpu_s=round(nx_cpu, 1),
        speedup_cpu_ch_vs_nx=round(nx_cpu / ch["cpu_s"], 1),
        max_minutes_diff=base["max_minutes_diff"],
        max_km_diff=base["max_km_diff"],
        km_pairs_checked=base["km_pairs_checked"],
        nproc=os.cpu_count(),
        python=platform.python_version(),
        scipy=_version("scipy"),
        numpy=_version("numpy"),
        numba=_version("numba"),
        networkx=_version("networkx"),
        workers=args.workers,
        loadavg_before=round(load_before[0], 2),
        loadavg_after=round(load_after[0], 2),
        generate_s=round(gen_s, 1),
    )
    return row


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def _write(row: dict, warnings: list[str], stem: str) -> None:
    """Append the run to <stem>.csv (one row per run) and describe it in <stem>.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stem}.csv"
    new = not path.exists() or path.read_text().splitlines()[:1] != [",".join(row)]
    with path.open("w" if new else "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)
    (RESULTS / f"{stem}.md").write_text(_markdown(row, warnings, stem))


def _fmt(r: dict, key: str, unit: str = " s") -> str:
    return f"{r[key]}{unit}" if key in r else "not run"


def _markdown(r: dict, warnings: list[str], stem: str) -> str:
    n = r["sites"]
    ours = [
        ("load + clean + node the GeoPackage", _fmt(r, "ch_load_s")),
        ("snap the sites", _fmt(r, "ch_snap_s")),
        ("build the contraction hierarchy (cold)", _fmt(r, "ch_hierarchy_s")),
        (f"many-to-many query, {n:,} × {n:,}, time + km", _fmt(r, "ch_query_s")),
        (
            "**total, cold** (hash + load + snap + hierarchy + query + cache write)",
            f"**{r['ch_total_s']} s**",
        ),
        ("CPU seconds, cold (all threads)", _fmt(r, "ch_cpu_s")),
        (
            "repeat (new matrix, cached hierarchy): load the hierarchy",
            _fmt(r, "ch_repeat_hierarchy_load_s"),
        ),
        (
            "**repeat: many-to-many query on the cached hierarchy**",
            f"**{r['ch_repeat_query_s']} s**",
        ),
        ("repeat: total including load + snap", _fmt(r, "ch_repeat_total_s")),
        ("repeat: CPU seconds", _fmt(r, "ch_repeat_cpu_s")),
        ("same sites again (matrix cache hit)", _fmt(r, "ch_cache_hit_s")),
        ("peak RSS", _fmt(r, "ch_peak_rss_mib", " MiB")),
    ]
    base = [
        ("scipy Dijkstra method: total (load + snap + matrices)", _fmt(r, "dijkstra_total_s")),
        ("scipy Dijkstra method: matrices", _fmt(r, "dijkstra_matrix_s")),
        ("scipy Dijkstra method: CPU seconds (main + workers)", _fmt(r, "dijkstra_cpu_s")),
        (
            "scipy Dijkstra method: peak RSS main / largest worker",
            f"{r.get('dijkstra_peak_rss_mib', '-')} / "
            f"{r.get('dijkstra_worker_peak_rss_mib', '-')} MiB",
        ),
        (
            "**CPU-time speed-up, ch vs scipy Dijkstra (cold)**",
            f"**{r.get('speedup_cpu_ch_vs_dijkstra', '-')}×**",
        ),
        (
            "wall-time speed-up, ch vs scipy Dijkstra (cold)",
            f"{r.get('speedup_wall_ch_vs_dijkstra', '-')}×",
        ),
        (
            f"networkx Dijkstra, {r['nx_sources']} sources scaled to {n:,} (wall / CPU)",
            f"{r['nx_scaled_total_s']} s / {r['nx_scaled_cpu_s']} s",
        ),
        ("CPU-time speed-up, ch vs networkx", f"{r['speedup_cpu_ch_vs_nx']}×"),
    ]
    for name, what in (
        ("pandana", "pairwise CH queries; 200 source rows measured, scaled"),
        ("pyroutingkit", "customizable CH, many-to-many"),
    ):
        if f"{name}_error" in r:
            base.append((f"{name}", f"failed: {r[name + '_error']}"))
            continue
        base += [
            (f"{name} {r[name + '_version']}: preprocessing", _fmt(r, f"{name}_build_s")),
            (f"{name}: query {n:,} × {n:,} ({what})", _fmt(r, f"{name}_query_s")),
            (f"{name}: CPU seconds (build + measured query)", _fmt(r, f"{name}_cpu_s")),
            (f"{name}: peak RSS", _fmt(r, f"{name}_peak_rss_mib", " MiB")),
        ]
    from benchmarks.matrix_valhalla import NOTE, markdown_rows

    v_base, v_checks = markdown_rows(r, n)
    base += v_base
    v_note = f"\n{NOTE}\n" if "valhalla_version" in r else ""
    checks = [
        (
            f"ch vs networkx, {r['nx_sources']} sampled rows: max abs minutes",
            f"{r['max_minutes_diff']:.1e} min",
        ),
        (
            f"ch vs networkx paths: max abs km, {r['km_pairs_checked']:,} pairs",
            f"{r['max_km_diff']:.1e} km",
        ),
    ]
    if "ch_vs_dijkstra_max_minutes" in r:
        checks += [
            (
                f"ch vs scipy Dijkstra, all {n * n:,} pairs: max abs minutes",
                f"{r['ch_vs_dijkstra_max_minutes']:.1e} min",
            ),
            ("ch vs scipy Dijkstra: max abs km", f"{r['ch_vs_dijkstra_max_km']:.1e} km"),
            (
                "ch vs scipy Dijkstra: pairs whose km differ by > 1 m (near-tie paths)",
                f"{r['ch_vs_dijkstra_km_pairs_over_1e-3']:,}",
            ),
        ]
    for name in ("pandana", "pyroutingkit"):
        if f"{name}_max_minutes_diff" in r:
            checks.append(
                (
                    f"{name} vs scipy Dijkstra node to node, 10 rows: max abs minutes",
                    f"{r[name + '_max_minutes_diff']:.1e} min",
                )
            )
    checks += v_checks

    def table(rows):
        return "\n".join(f"| {a} | {b} |" for a, b in rows)

    peak = r["ch_peak_rss_mib"]
    repeat_total = r["ch_repeat_query_s"]
    verdict = [
        f"{n:,} × {n:,} cold including preprocessing < {5 if n <= 2000 else 8} s: "
        f"{'met' if r['ch_total_s'] < (5 if n <= 2000 else 8) else 'missed'} ({r['ch_total_s']} s)",
        f"repeat query on the cached hierarchy < 1 s: "
        f"{'met' if repeat_total < 1 else 'missed'} ({repeat_total} s)",
        f"peak < 2 GiB: {'met' if peak < 2048 else 'missed'} ({peak} MiB)",
    ]
    if "speedup_cpu_ch_vs_dijkstra" in r:
        sp = r["speedup_cpu_ch_vs_dijkstra"]
        verdict.append(f"≥ 3× scipy Dijkstra in CPU time: {'met' if sp >= 3 else 'missed'} ({sp}×)")
    notes = "".join(f"\n- {w}" for w in warnings) or " none"
    args = f"--sites {n} --edges {r['edges_target']} --seed {r['seed']}"
    if stem != "matrix":
        args += f" --out {stem}"
    if "dijkstra_total_s" not in r:
        args += " --no-dijkstra"
    return f"""# Road travel matrices: benchmark ({n:,} sites)

Command: `flock /work/bench.lock nice -n 5 .venv/bin/python benchmarks/matrix.py {args}`
(run {r["date"]}).

Machine: {r["nproc"]} cores **shared with other engineers**: 1-minute load average
{r["loadavg_before"]} before the run and {r["loadavg_after"]} after. Python {r["python"]},
numba {r["numba"]}, scipy {r["scipy"]}, numpy {r["numpy"]}, networkx {r["networkx"]}.
Wall times move with the others' load; CPU seconds much less so. Each method and anchor
ran in its own process, one after the other, in this run. Peak RSS is each process's own
high-water mark (VmHWM: a child's `ru_maxrss` starts at its parent's peak); the Dijkstra
workers' figure is `ru_maxrss` of the forked workers.

Network: `synthetic_large_network` (optimizer/network/synthetic.py), a ~1,900 km²
jittered grid mesh with county/township/village classes and 1 % one-way lines, written
as a GeoPackage: {r["lines"]:,} lines, {r["network_nodes"]:,} road nodes (the hierarchy's
graph); the Dijkstra method's site graph has {r["graph_nodes"]:,} nodes and
{r["graph_arcs"]:,} arcs. The contraction hierarchy holds {r["ch_arcs"]:,} upward arcs
(original + shortcuts). Sites: {n:,} uniform random points.

## freshroute, method "ch" (default)

| measure | value |
|---|---|
{table(ours)}

## Baselines and anchors, same run

| measure | value |
|---|---|
{table(base)}

pandana and pyroutingkit compute minutes only (no km of the time-shortest path), between
the sites' nearest road nodes (no snapping onto lines, no access legs), with their own
weights (pandana float, pyroutingkit integer 0.001 min). networkx: minutes only, its
graph build not counted.
{v_note}
## Agreement

| check | value |
|---|---|
{table(checks)}

The two freshroute methods apply the same rule (fastest, then shortest among equally
fast, in packed quanta) but round differently (whole lines vs site-cut pieces, network
vs site bound: optimizer/network/chmatrix.py), so minutes agree within a few quanta and
the km may differ where two paths are that close in time.

Targets: {"; ".join(verdict)}. Warnings from the load:{notes}
"""


if __name__ == "__main__":
    main()
