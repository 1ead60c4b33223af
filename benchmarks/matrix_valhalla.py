"""Valhalla as an anchor for benchmarks/matrix.py: tiles from the same roads, its matrix API.

``run_anchor`` writes freshroute's road network (the benchmark's GeoPackage as loaded:
same lines, nodes, one-way directions and speeds) as an .osm.pbf (benchmarks/osm_write.py),
builds Valhalla tiles from it with the wheel's ``valhalla_build_tiles`` (a child process:
its time, CPU and peak memory are its own), then answers ``sources_to_targets`` in fresh
processes (``python benchmarks/matrix_valhalla.py --query``) so each query's peak RSS is
Valhalla's alone. Locations are the points where freshroute joins each site to the road,
so both engines route between the same road points; freshroute's access legs are taken
off its minutes and km before comparing.

Two of Valhalla's matrix algorithms are measured (``thor.source_to_target_algorithm``):
``timedistancematrix`` (one Dijkstra per source, cost linear in the sources: ``rows``
source rows × all targets measured, scaled to all rows) and ``costmatrix`` (bidirectional,
Valhalla's choice for "auto"; its time grows faster than linearly with the locations, so
it runs on the first ``cm_sites`` sites only). Service limits are raised so the requests
are accepted (Valhalla's default allows 2,500 pairs per matrix).

Costing is "auto" with its defaults. The ways carry ``maxspeed`` = freshroute's class
speed, so edge speeds are ours; Valhalla still adds turn and intersection seconds to its
time, and minimises its cost (time plus penalties), not time: its minutes are expected
to be a few per cent above freshroute's (below only where it snaps a location onto a
nearby intersection, see NOTE).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HIGHWAY = {"county": "secondary", "township": "tertiary", "village": "unclassified"}


def available() -> str | None:
    """None when pyvalhalla (with its tile builder) and pyosmium import, else why not."""
    try:
        import osmium  # noqa: F401
        import valhalla
    except ImportError as exc:
        return f"{exc.name or exc} not installed (pip install -e '.[bench]')"
    if not (Path(valhalla.__file__).parent / "bin" / "valhalla_build_tiles").exists():
        return f"valhalla {valhalla.__version__} ships no valhalla_build_tiles"
    return None


def _config(work: Path) -> Path:
    """A Valhalla config for tiles under ``work``, with the matrix limits raised."""
    import valhalla

    tiles = work / "valhalla_tiles"
    tiles.mkdir(exist_ok=True)
    cfg = valhalla.get_config(tile_extract="", tile_dir=tiles, verbose=False)
    cfg["mjolnir"].update(admin="", timezone="", concurrency=2)
    cfg["mjolnir"]["data_processing"]["use_admin_db"] = False
    cfg["service_limits"]["auto"].update(
        max_matrix_distance=1e7, max_matrix_location_pairs=10**8, max_locations=10**5
    )
    path = work / "valhalla.json"
    path.write_text(json.dumps(cfg))
    return path


def _write_network(work: Path, sites: list) -> tuple[dict, np.ndarray, np.ndarray]:
    """roads.osm.pbf and locations.json; the sites' access minutes and km."""
    import shapely

    from benchmarks.osm_write import write_osm
    from optimizer.network.matrix import load_network, snap_to
    from optimizer.network.spec import RoadNetworkTravel

    spec = RoadNetworkTravel(mode="road_network", path="roads.gpkg")
    net = load_network(spec, work)
    snapped = snap_to(net, sites, spec)
    t0 = time.perf_counter()
    lon, lat = net.to_wgs84(net.node_xy[:, 0], net.node_xy[:, 1])
    xy = shapely.get_coordinates(net.lines)
    vlon, vlat = net.to_wgs84(xy[:, 0], xy[:, 1])
    lines = np.split(np.c_[vlon, vlat], np.cumsum(shapely.get_num_coordinates(net.lines))[:-1])
    write_osm(
        work / "roads.osm.pbf",
        np.c_[lon, lat],
        lines,
        net.u,
        net.v,
        net.oneway,
        [HIGHWAY.get(str(c), "unclassified") for c in net.road_class],
        net.km / net.minutes * 60.0,
    )
    rlon, rlat = net.to_wgs84(snapped.road_xy[:, 0], snapped.road_xy[:, 1])
    locs = [{"lon": float(a), "lat": float(b)} for a, b in zip(rlon, rlat, strict=True)]
    (work / "locations.json").write_text(json.dumps(locs))
    info = {"write_osm_s": time.perf_counter() - t0, "osm_ways": len(net.lines)}
    return info, snapped.access_min, snapped.access_km


def _build_tiles(work: Path, config: Path) -> dict:
    """Run valhalla_build_tiles; its wall time, CPU seconds and peak RSS."""
    import valhalla

    from benchmarks.memory import run_with_peak

    exe = Path(valhalla.__file__).parent / "bin" / "valhalla_build_tiles"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # cwd: the builder leaves duplicateways.txt in its working folder
    out, peak = run_with_peak([str(exe), "-c", str(config), str(work / "roads.osm.pbf")], cwd=work)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"valhalla_build_tiles failed: {out.stderr.strip()[-300:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    n_tiles = sum(1 for _ in (work / "valhalla_tiles").rglob("*.gph"))
    return {
        "tiles_s": wall,
        "tiles_cpu_s": cpu,
        "tiles_rss_mib": peak,
        "tiles": n_tiles,
    }


def _query(work: Path, algorithm: str, rows: int, cols: int, tag: str) -> dict:
    """Run one matrix request in a fresh process; its timings, RSS and the matrix file."""
    cmd = [
        sys.executable,
        __file__,
        "--query",
        str(work),
        "--algorithm",
        algorithm,
        "--rows",
        str(rows),
        "--cols",
        str(cols),
        "--tag",
        tag,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"valhalla {algorithm}: {out.stderr.strip()[-300:]}")
    return json.loads(out.stdout.rsplit("\nRESULT ", 1)[-1].strip().splitlines()[0])


def _query_child(work: Path, algorithm: str, rows: int, cols: int, tag: str) -> None:
    """In this process: one sources_to_targets request; print its measures."""
    import valhalla

    from benchmarks.memory import peak_rss_mib

    cfg = json.loads((work / "valhalla.json").read_text())
    cfg["thor"]["source_to_target_algorithm"] = algorithm
    locs = json.loads((work / "locations.json").read_text())
    c0 = time.process_time()
    t0 = time.perf_counter()
    actor = valhalla.Actor(cfg)
    t1 = time.perf_counter()
    res = actor.matrix(
        {
            "sources": locs[:rows],
            "targets": locs[:cols],
            "costing": "auto",
            "units": "kilometers",
            "verbose": False,
        }
    )
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    st = res["sources_to_targets"]
    sec = np.array([[np.nan if x is None else x for x in r] for r in st["durations"]], float)
    km = np.array([[np.nan if x is None else x for x in r] for r in st["distances"]], float)
    np.savez(work / f"valhalla-{tag}.npz", minutes=sec / 60.0, km=km)
    print(
        "\nRESULT "
        + json.dumps(
            {
                "actor_s": t1 - t0,
                "query_s": t2 - t1,
                "cpu_s": cpu,
                "rss_mib": peak_rss_mib(),
                "algorithm": res.get("algorithm", algorithm),
                "rows": rows,
                "cols": cols,
            }
        )
    )


def _agreement(v: dict, ours: dict, acc_min: np.ndarray, acc_km: np.ndarray) -> dict:
    """Valhalla vs freshroute road minutes and km on the pairs Valhalla answered."""
    from scipy.stats import spearmanr

    r, c = v["minutes"].shape
    road_min = ours["minutes"][:r, :c] - acc_min[:r, None] - acc_min[None, :c]
    road_km = ours["km"][:r, :c] - acc_km[:r, None] - acc_km[None, :c]
    pair = np.arange(r)[:, None] != np.arange(c)[None, :]
    ok = pair & np.isfinite(v["minutes"]) & (road_min > 0)
    rel = v["minutes"][ok] / road_min[ok] - 1.0
    rel_km = v["km"][ok] / road_km[ok] - 1.0
    return {
        "pairs": int(pair.sum()),
        "unanswered": int((pair & ~np.isfinite(v["minutes"])).sum()),
        "rel_minutes_median": float(np.median(rel)),
        "rel_minutes_p5": float(np.percentile(rel, 5)),
        "rel_minutes_p95": float(np.percentile(rel, 95)),
        "abs_minutes_median": float(np.median(v["minutes"][ok] - road_min[ok])),
        # Valhalla reports whole seconds: faster than ours by more than that is a mismatch
        "faster_pairs": int((v["minutes"][ok] < road_min[ok] - 1 / 60).sum()),
        "rel_km_median": float(np.median(rel_km)),
        "spearman_minutes": float(spearmanr(v["minutes"][ok], road_min[ok]).statistic),
    }


def run_anchor(work: Path, sites: list, rows: int, cm_sites: int) -> dict:
    """Write, build, query (both algorithms) and compare; one dict of measures."""
    import valhalla

    info, acc_min, acc_km = _write_network(work, sites)
    info.update(_build_tiles(work, _config(work)))
    ours = dict(np.load(work / "ch.npz"))
    n = len(sites)
    out = {"version": valhalla.__version__, "sites": n, **info}
    for tag, algorithm, r, c in (
        ("tdm", "timedistancematrix", min(rows, n), n),
        ("cm", "costmatrix", min(cm_sites, n), min(cm_sites, n)),
    ):
        q = _query(work, algorithm, r, c, tag)
        q.update(_agreement(dict(np.load(work / f"valhalla-{tag}.npz")), ours, acc_min, acc_km))
        out[tag] = q
    return out


def row_fields(result: dict, n: int) -> dict:
    """The anchor's measures as flat csv fields (``valhalla_*``)."""
    if not result:
        return {"valhalla_error": "not run"}
    if "skipped" in result or "error" in result:
        key = "skipped" if "skipped" in result else "error"
        return {f"valhalla_{key}": result[key]}
    row = {
        "valhalla_version": result["version"],
        "valhalla_write_osm_s": round(result["write_osm_s"], 2),
        "valhalla_tiles_s": round(result["tiles_s"], 2),
        "valhalla_tiles_cpu_s": round(result["tiles_cpu_s"], 1),
        "valhalla_tiles_peak_rss_mib": round(result["tiles_rss_mib"]),
    }
    for tag in ("tdm", "cm"):
        q = result[tag]
        row.update(
            {
                f"valhalla_{tag}_rows": q["rows"],
                f"valhalla_{tag}_cols": q["cols"],
                f"valhalla_{tag}_actor_s": round(q["actor_s"], 2),
                f"valhalla_{tag}_query_measured_s": round(q["query_s"], 2),
                f"valhalla_{tag}_cpu_s": round(q["cpu_s"], 1),
                f"valhalla_{tag}_peak_rss_mib": round(q["rss_mib"]),
            }
        )
        for k in (
            "rel_minutes_median",
            "rel_minutes_p5",
            "rel_minutes_p95",
            "abs_minutes_median",
            "rel_km_median",
            "spearman_minutes",
        ):
            row[f"valhalla_{tag}_{k}"] = round(q[k], 4)
        for k in ("pairs", "unanswered", "faster_pairs"):
            row[f"valhalla_{tag}_{k}"] = q[k]
    # one Dijkstra per source: the full matrix costs rows scaled to all sources
    row["valhalla_tdm_query_s"] = round(result["tdm"]["query_s"] * n / result["tdm"]["rows"], 1)
    return row


def _pct(x: float) -> str:
    return f"{x * 100:+.1f} %"


def markdown_rows(r: dict, n: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(rows for the anchors table, rows for the agreement table) of the csv row ``r``."""
    for key in ("valhalla_skipped", "valhalla_error"):
        if key in r:
            word = "skipped" if key.endswith("skipped") else "failed"
            return [("Valhalla", f"{word}: {r[key]}")], []
    t, c = r["valhalla_tdm_rows"], r["valhalla_cm_rows"]
    base = [
        (
            f"Valhalla {r['valhalla_version']}: write the network as .osm.pbf (freshroute side)",
            f"{r['valhalla_write_osm_s']} s",
        ),
        (
            "Valhalla: build tiles (valhalla_build_tiles, 2 threads): wall / CPU / peak RSS",
            f"{r['valhalla_tiles_s']} s / {r['valhalla_tiles_cpu_s']} s / "
            f"{r['valhalla_tiles_peak_rss_mib']} MiB",
        ),
        (
            f"Valhalla timedistancematrix: query {n:,} × {n:,} "
            f"({t} source rows × {n:,} measured, {r['valhalla_tdm_query_measured_s']} s, scaled)",
            f"{r['valhalla_tdm_query_s']} s",
        ),
        (
            "Valhalla timedistancematrix: CPU seconds (measured rows) / peak RSS",
            f"{r['valhalla_tdm_cpu_s']} s / {r['valhalla_tdm_peak_rss_mib']} MiB",
        ),
        (
            f"Valhalla costmatrix (its default for auto): query {c} × {c} only",
            f"{r['valhalla_cm_query_measured_s']} s",
        ),
        (
            "Valhalla costmatrix: CPU seconds / peak RSS",
            f"{r['valhalla_cm_cpu_s']} s / {r['valhalla_cm_peak_rss_mib']} MiB",
        ),
    ]
    checks = []
    for tag, name in (("tdm", "timedistancematrix"), ("cm", "costmatrix")):
        q = {
            k[len(f"valhalla_{tag}_") :]: v
            for k, v in r.items()
            if k.startswith(f"valhalla_{tag}_")
        }
        checks += [
            (
                f"Valhalla {name} vs ch road minutes, {q['pairs']:,} pairs: relative difference "
                "median (5th / 95th percentile)",
                f"{_pct(q['rel_minutes_median'])} ({_pct(q['rel_minutes_p5'])} / "
                f"{_pct(q['rel_minutes_p95'])}), median {q['abs_minutes_median']:+.2f} min",
            ),
            (
                f"Valhalla {name}: rank correlation of minutes (Spearman); median km difference",
                f"{q['spearman_minutes']:.4f}; {_pct(q['rel_km_median'])}",
            ),
            (
                f"Valhalla {name}: pairs faster than ch by > 1 s; pairs without an answer",
                f"{q['faster_pairs']:,}; {q['unanswered']:,}",
            ),
        ]
    return base, checks


NOTE = """Valhalla routes on tiles built from the same network written as OSM (one way per line,
`maxspeed` = freshroute's class speed, `oneway` kept; county/township/village as
secondary/tertiary/unclassified), between the points where freshroute joins the sites to
the roads; freshroute's access legs are taken off its values before comparing. Its
"auto" costing minimises its own cost (time plus turn and intersection penalties) and
adds turn seconds to the time, in whole seconds, so its minutes are expected above
freshroute's. Faster pairs can end at a point within 5 m of an intersection: Valhalla
moves such a location onto the intersection (`loki.service_defaults.node_snap_tolerance`)
and may arrive there by another road, where freshroute drives along the line to the
point (a side check found all the faster pairs of the 3,000-site run end at one site near
the end of a one-way line). timedistancematrix runs one Dijkstra per source (its cost
is linear in the rows, so the measured rows are scaled); costmatrix, Valhalla's choice
for "auto", prunes the road hierarchy and grows faster than linearly with the
locations, so it runs on a small corner of the matrix only (its service limit allows
2,500 pairs by default; the benchmark raises it). costmatrix lies closer to freshroute
than timedistancematrix because its pruning keeps long trips on county and township
roads, freshroute's fastest too; with pruning switched off (`disable_hierarchy_pruning`,
a side check on 100 sites) it spread like timedistancematrix: the full search finds
paths of lower Valhalla cost that take longer."""


def main() -> None:
    ap = argparse.ArgumentParser(description="one Valhalla matrix request (benchmark child)")
    ap.add_argument("--query", required=True, help="work folder")
    ap.add_argument("--algorithm", required=True)
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--cols", type=int, required=True)
    ap.add_argument("--tag", required=True)
    a = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
    _query_child(Path(a.query), a.algorithm, a.rows, a.cols, a.tag)


if __name__ == "__main__":
    main()
