"""Road matrices against networkx on random small networks, snapping, cache, geometry."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely
from scipy.spatial import Delaunay

from optimizer.network.errors import RoadNetworkError
from optimizer.network.gcj02 import wgs84_to_gcj02
from optimizer.network.matrix import Router, build_router, road_matrices, router_matrices
from optimizer.network.roads import LoadReport, RoadNetwork
from optimizer.network.snap import snap_sites
from optimizer.network.spec import DEFAULT_SPEEDS_KMH, RoadNetworkTravel

UTM = "EPSG:32650"  # lon 114-120 E: what estimate_utm_crs picks for these networks
TO_LL = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
ORIGIN = np.array([500_000.0, 4_000_000.0])


def _at(dx: float, dy: float) -> np.ndarray:
    """A point dx, dy metres from ORIGIN."""
    return ORIGIN + np.array([dx, dy])


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FRESHROUTE_CACHE_DIR", str(tmp_path / "cache"))


def _write(
    tmp_path: Path,
    lines_xy: list[np.ndarray],
    cls: list[str],
    oneway: list[str],
    name: str = "roads.geojson",
) -> Path:
    """Lines given in UTM metres, written as WGS-84 GeoJSON."""
    geoms = [
        shapely.LineString(np.column_stack(TO_LL.transform(p[:, 0], p[:, 1]))) for p in lines_xy
    ]
    gdf = gpd.GeoDataFrame({"highway": cls, "oneway": oneway}, geometry=geoms, crs="EPSG:4326")
    path = tmp_path / name
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def _site(xy: np.ndarray) -> tuple[float, float]:
    lon, lat = TO_LL.transform(xy[0], xy[1])
    return float(lon), float(lat)


def _random_case(seed: int):
    """Random planar network (Delaunay, some bent lines, some one-way) and sites on it."""
    rng = np.random.default_rng(seed)
    n = 25
    pts = ORIGIN + rng.uniform(0, 4000, size=(n, 2))
    tri = Delaunay(pts)
    e = np.unique(
        np.sort(
            np.vstack(
                [tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]]
            ),
            axis=1,
        ),
        axis=0,
    )
    e = e[rng.random(len(e)) < 0.8]  # thin it out
    lines, cls, oneway, ends = [], [], [], []
    for a, b in e:
        p = np.vstack([pts[a], pts[b]])
        c = str(rng.choice(["county", "township", "village", "track"]))
        w = str(rng.choice(["no", "no", "no", "yes", "-1"]))
        if rng.random() < 0.4:  # a bend vertex in the middle
            mid = p.mean(axis=0) + rng.normal(0, 60, 2)
            if rng.random() < 0.5:  # ... where the line is split: a degree-2 node
                m = len(pts)
                pts = np.vstack([pts, mid])
                for q, uv in ((np.vstack([p[0], mid]), (a, m)), (np.vstack([mid, p[1]]), (m, b))):
                    lines.append(q)
                    ends.append(uv)
                    cls.append(c)
                    oneway.append(w)
                continue
            p = np.vstack([p[0], mid, p[1]])
        lines.append(p)
        ends.append((a, b))
        cls.append(c)
        oneway.append(w)
    e = np.array(ends)
    return pts, e, lines, cls, oneway, rng


def _oracle(e, lines, cls, oneway, sites):
    """networkx door-to-door minutes/km; sites = (line, fraction, access_km)."""
    speed = {c: DEFAULT_SPEEDS_KMH[c] for c in set(cls)}
    line_km = [shapely.LineString(p).length / 1000 for p in lines]
    base = nx.DiGraph()
    for k, (a, b) in enumerate(e):
        if oneway[k] != "-1":
            base.add_edge(a, b)
        if oneway[k] != "yes":
            base.add_edge(b, a)
    scc = max(nx.strongly_connected_components(base), key=len)
    kept = [k for k, (a, b) in enumerate(e) if a in scc and b in scc]
    g = nx.DiGraph()
    for k in kept:
        a, b = e[k]
        on = sorted((f, ("s", i)) for i, (ln, f, _) in enumerate(sites) if ln == k)
        chain = [(0.0, int(a)), *on, (1.0, int(b))]
        for (fa, na), (fb, nb) in itertools.pairwise(chain):
            km = (fb - fa) * line_km[k]
            minutes = km / speed[cls[k]] * 60
            both = fb == fa  # a site at a node is that node, whatever the line's direction
            for x, y, ok in (
                (na, nb, both or oneway[k] != "-1"),
                (nb, na, both or oneway[k] != "yes"),
            ):
                if ok and (not g.has_edge(x, y) or g[x][y]["minutes"] > minutes):
                    g.add_edge(x, y, minutes=minutes, km=km)
    n = len(sites)
    km_m, min_m = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        dist, paths = nx.single_source_dijkstra(g, ("s", i), weight="minutes")
        for j in range(n):
            if i == j:
                continue
            path = paths[("s", j)]
            road_km = sum(g[x][y]["km"] for x, y in itertools.pairwise(path))
            acc_km = sites[i][2] + sites[j][2]
            km_m[i, j] = road_km + acc_km
            min_m[i, j] = dist[("s", j)] + acc_km / 15 * 60
    return km_m, min_m, kept


@pytest.mark.parametrize("method", ["ch", "dijkstra"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matrix_matches_networkx(tmp_path, seed, method):
    _, e, lines, cls, oneway, rng = _random_case(seed)
    path = _write(tmp_path, lines, cls, oneway)
    _, _, kept = _oracle(e, lines, cls, oneway, [])
    others = [shapely.LineString(p) for p in lines]
    sites, coords = [], []
    # sites on nodes, and off the middle part of lines (clearly nearest to that line)
    while len(sites) < 14:
        k = int(rng.choice(kept))
        ln = shapely.LineString(lines[k])
        f = float(rng.choice([0.0, 1.0])) if len(sites) < 4 else float(rng.uniform(0.15, 0.35))
        on = np.array(shapely.line_interpolate_point(ln, f, normalized=True).coords[0])
        ahead = np.array(
            shapely.line_interpolate_point(ln, min(f + 0.01, 1), normalized=True).coords[0]
        )
        behind = np.array(
            shapely.line_interpolate_point(ln, max(f - 0.01, 0), normalized=True).coords[0]
        )
        d = ahead - behind
        off = 0.0 if f in (0.0, 1.0) else float(rng.uniform(5, 40))
        xy = on + off * np.array([-d[1], d[0]]) / np.hypot(*d)
        p = shapely.Point(xy)
        dist_other = min(o.distance(p) for i, o in enumerate(others) if i != k)
        if off and dist_other < 3 * off + 5:
            continue
        if not off and any(abs(s[1] - f) < 1e-9 and s[0] == k for s in sites):
            continue
        sites.append((k, f, off / 1000))
        coords.append(_site(xy))
    ids = [f"s{i}" for i in range(len(sites))]
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    rm = road_matrices(
        [(i, *c) for i, c in zip(ids, coords, strict=True)], spec, tmp_path, method=method
    )
    assert rm.warnings == [] or all("strongly connected" in w for w in rm.warnings)
    exp_km, exp_min, _ = _oracle(e, lines, cls, oneway, sites)
    router = rm.router()
    assert router.network.crs.to_epsg() == 32650
    assert len(router.network.lines) == len(kept)
    np.testing.assert_allclose(rm.minutes, exp_min, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(rm.km, exp_km, rtol=1e-6, atol=1e-4)
    assert not np.allclose(rm.minutes, rm.minutes.T)  # the one-way lines matter


def test_site_off_the_middle_of_an_edge(tmp_path):
    line = np.array([ORIGIN, _at(1000.0, 0.0)])
    back = np.array([_at(1000.0, 0.0), _at(500.0, 800.0), ORIGIN])
    path = _write(tmp_path, [line, back], ["village", "village"], ["no", "no"])
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    router, _ = build_router([("a", *_site(_at(300.0, -50.0)))], spec, tmp_path)
    s = router.snapped
    assert s.line.tolist() == [0]
    assert s.fraction[0] == pytest.approx(0.3, abs=1e-6)
    assert s.offset_km[0] == pytest.approx(0.3, abs=1e-6)
    assert s.road_xy[0] == pytest.approx(_at(300.0, 0.0), abs=1e-3)
    assert s.access_km[0] == pytest.approx(0.05, abs=1e-6)
    assert s.access_min[0] == pytest.approx(0.05 / 15 * 60, abs=1e-6)


@pytest.mark.parametrize("method", ["ch", "dijkstra"])
@pytest.mark.parametrize("oneway", ["no", "yes", "-1"])
def test_two_sites_on_the_same_edge(tmp_path, oneway, method):
    # 1 km county road u→v (45 km/h); a 2 km village road back v→u (20 km/h)
    u, v = ORIGIN, _at(1000.0, 0.0)
    road = np.array([u, v])
    loop = np.array([v, _at(500.0, 866.0254), u])
    path = _write(tmp_path, [road, loop], ["county", "village"], [oneway, "no"])
    sites = [("a", *_site(_at(200.0, 0.0))), ("b", *_site(_at(700.0, 0.0)))]
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    rm = road_matrices(sites, spec, tmp_path, method=method)
    direct = 0.5 / 45 * 60
    around = (0.2 + 0.3) / 45 * 60 + 2.0 / 20 * 60
    ab = direct if oneway != "-1" else around
    ba = direct if oneway != "yes" else around
    assert rm.minutes[0, 1] == pytest.approx(ab, abs=1e-4)
    assert rm.minutes[1, 0] == pytest.approx(ba, abs=1e-4)
    assert rm.km[0, 1] == pytest.approx(0.5 if oneway != "-1" else 2.5, abs=1e-4)
    assert rm.km[1, 0] == pytest.approx(0.5 if oneway != "yes" else 2.5, abs=1e-4)
    assert np.diag(rm.minutes).tolist() == [0.0, 0.0]


def _two_islands() -> RoadNetwork:
    a = [ORIGIN, _at(1000.0, 0.0)]
    b = [_at(0.0, 5000.0), _at(1000.0, 5000.0)]
    lines = np.array([shapely.LineString(a), shapely.LineString(b)])
    return RoadNetwork(
        crs=pyproj.CRS(UTM),
        lines=lines,
        u=np.array([0, 2]),
        v=np.array([1, 3]),
        km=np.array([1.0, 1.0]),
        minutes=np.array([2.0, 2.0]),
        oneway=np.zeros(2, np.int8),
        road_class=np.array(["village", "village"]),
        node_xy=np.array([*a, *b]),
        report=LoadReport(path="islands"),
    )


def test_unreachable_sites_name_them(tmp_path):
    net = _two_islands()
    sites = [
        ("farm-1", *_site(_at(500.0, 10.0))),
        ("farm-2", *_site(_at(600.0, 10.0))),
        ("island-9", *_site(_at(500.0, 5010.0))),
    ]
    spec = RoadNetworkTravel(mode="road_network", path="unused.geojson")
    router, _ = build_router(sites, spec, tmp_path, network=net)
    with pytest.raises(RoadNetworkError, match="no road path") as err:
        router_matrices(router, [s[0] for s in sites])
    assert "island-9" in str(err.value) and "farm-1 → island-9" in str(err.value)


def test_cache_hit_returns_same_arrays(tmp_path):
    path = _write(
        tmp_path,
        [
            np.array([ORIGIN, _at(3000.0, 0.0)]),
            np.array([_at(3000.0, 0.0), _at(0.0, 2000.0), ORIGIN]),
        ],
        ["county", "township"],
        ["no", "no"],
    )
    sites = [
        ("a", *_site(_at(100.0, 30.0))),
        ("b", *_site(_at(2500.0, -20.0))),
        ("c", *_site(_at(1500.0, 1000.0))),
    ]
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    first = road_matrices(sites, spec, tmp_path)
    second = road_matrices(sites, spec, tmp_path)
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.km, second.km)
    np.testing.assert_array_equal(first.minutes, second.minutes)
    assert list((tmp_path / "cache").glob("*.npz"))
    # a different speed is a different entry
    other = road_matrices(sites, spec.model_copy(update={"speeds_kmh": {"county": 60}}), tmp_path)
    assert not other.from_cache
    # geometry after a cache hit rebuilds the graph from the file
    legs = second.route_lonlat([("a", "b")])
    assert legs[0].shape[1] == 2


def test_gcj02_sites_match_wgs84_sites(tmp_path):
    path = _write(
        tmp_path,
        [
            np.array([ORIGIN, _at(3000.0, 0.0)]),
            np.array([_at(3000.0, 0.0), _at(0.0, 2000.0), ORIGIN]),
        ],
        ["county", "village"],
        ["no", "no"],
    )
    wgs = [("a", *_site(_at(100.0, 30.0))), ("b", *_site(_at(2500.0, -20.0)))]
    lon, lat = wgs84_to_gcj02(np.array([s[1] for s in wgs]), np.array([s[2] for s in wgs]))
    gcj = [(s[0], float(x), float(y)) for s, x, y in zip(wgs, lon, lat, strict=True)]
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    a = road_matrices(wgs, spec, tmp_path, use_cache=False)
    b = road_matrices(gcj, spec.model_copy(update={"coords": "gcj02"}), tmp_path, use_cache=False)
    np.testing.assert_allclose(a.km, b.km, atol=1e-5)
    np.testing.assert_allclose(a.access_km, [0.03, 0.02], atol=1e-6)
    # read as WGS-84, the GCJ-02 points land some hundreds of metres away
    c = road_matrices(gcj, spec, tmp_path, use_cache=False)
    moved = c.router().snapped.site_xy - a.router().snapped.site_xy
    assert np.hypot(moved[:, 0], moved[:, 1]).min() > 100


def test_far_sites_warn(tmp_path):
    path = _write(
        tmp_path,
        [
            np.array([ORIGIN, _at(3000.0, 0.0)]),
            np.array([_at(3000.0, 0.0), _at(0.0, 2000.0), ORIGIN]),
        ],
        ["county", "village"],
        ["no", "no"],
    )
    sites = [("near", *_site(_at(100.0, -30.0))), ("far", *_site(_at(1500.0, -3000.0)))]
    rm = road_matrices(
        sites, RoadNetworkTravel(mode="road_network", path=str(path)), tmp_path, use_cache=False
    )
    assert rm.far_sites == [("far", 3.0)]
    assert any("far (3.00 km)" in w for w in rm.warnings)
    # the access leg is in the matrix: 3 km at 15 km/h = 12 min
    assert rm.minutes[1, 0] > 12.0


def test_route_geometry_follows_the_measured_path(tmp_path):
    _, _, lines, cls, oneway, rng = _random_case(7)
    path = _write(tmp_path, lines, cls, oneway)
    xy = ORIGIN + rng.uniform(0, 4000, size=(8, 2))
    sites = [(f"s{i}", *_site(p)) for i, p in enumerate(xy)]
    rm = road_matrices(
        sites, RoadNetworkTravel(mode="road_network", path=str(path)), tmp_path, use_cache=False
    )
    pairs = [(a, b) for a in rm.site_ids for b in rm.site_ids]
    legs = rm.route_lonlat(pairs)
    fwd = pyproj.Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    for (a, b), leg in zip(pairs, legs, strict=True):
        i, j = rm.site_ids.index(a), rm.site_ids.index(b)
        x, y = fwd.transform(leg[:, 0], leg[:, 1])
        length = np.hypot(np.diff(x), np.diff(y)).sum() / 1000
        assert length == pytest.approx(rm.km[i, j], abs=2e-3), (a, b)
        assert leg[0] == pytest.approx(sites[i][1:], abs=1e-9)
        assert leg[-1] == pytest.approx(sites[j][1:], abs=1e-9)
    gcj = rm.route_lonlat(pairs[:3], coords="gcj02")
    assert np.abs(gcj[1] - legs[1]).max() > 1e-3


def test_worker_processes_match_in_process(tmp_path, monkeypatch):
    _, _, lines, cls, oneway, rng = _random_case(4)
    path = _write(tmp_path, lines, cls, oneway)
    xy = ORIGIN + rng.uniform(0, 4000, size=(130, 2))  # > 2 chunks of 64 sources
    sites = [(f"s{i}", *_site(p)) for i, p in enumerate(xy)]
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    one = road_matrices(sites, spec, tmp_path, use_cache=False, workers=1, method="dijkstra")
    two = road_matrices(sites, spec, tmp_path, use_cache=False, workers=2, method="dijkstra")
    np.testing.assert_array_equal(one.km, two.km)
    np.testing.assert_array_equal(one.minutes, two.minutes)
    assert isinstance(two.router(), Router)
    assert two.route_lonlat([("s0", "s5")])[0].shape[0] >= 2


def test_snap_uses_strtree_nearest(tmp_path):
    net = _two_islands()
    s = snap_sites(
        net,
        np.array([ORIGIN[0] + 10, ORIGIN[0] + 10]),
        np.array([ORIGIN[1] + 4000, ORIGIN[1] + 100]),
        15.0,
    )
    assert s.line.tolist() == [1, 0]
    assert s.access_km == pytest.approx([1.0, 0.1])


def test_missing_road_file_is_clear(tmp_path):
    spec = RoadNetworkTravel(mode="road_network", path="nope/roads.gpkg")
    with pytest.raises(RoadNetworkError, match="road network file not found"):
        road_matrices([("a", 117.0, 36.0)], spec, tmp_path)


def test_worker_processes_spawn_in_a_threaded_host(tmp_path):
    import threading

    _, _, lines, cls, oneway, rng = _random_case(5)
    path = _write(tmp_path, lines, cls, oneway)
    xy = ORIGIN + rng.uniform(0, 4000, size=(70, 2))
    sites = [(f"s{i}", *_site(p)) for i, p in enumerate(xy)]
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    one = road_matrices(sites, spec, tmp_path, use_cache=False, workers=1, method="dijkstra")
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)  # a second thread: fork is unsafe, so spawn
    busy.start()
    try:
        two = road_matrices(sites, spec, tmp_path, use_cache=False, workers=2, method="dijkstra")
    finally:
        stop.set()
        busy.join()
    np.testing.assert_array_equal(one.minutes, two.minutes)


def test_contracting_chains_changes_nothing(tmp_path):
    _, _, lines, cls, oneway, rng = _random_case(11)
    path = _write(tmp_path, lines, cls, oneway)
    xy = ORIGIN + rng.uniform(0, 4000, size=(12, 2))
    sites = [(f"s{i}", *_site(p)) for i, p in enumerate(xy)]
    ids = [s[0] for s in sites]
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    flat, _ = build_router(sites, spec, tmp_path, contract_chains=False)
    core, _ = build_router(sites, spec, tmp_path)
    assert core.core.n_nodes < flat.core.n_nodes  # split lines left degree-2 nodes
    assert len(core.core.halves) > 0
    km_a, min_a = router_matrices(flat, ids)
    km_b, min_b = router_matrices(core, ids)
    np.testing.assert_array_equal(km_a, km_b)  # packed integer weights: bit for bit
    np.testing.assert_array_equal(min_a, min_b)
    from optimizer.network.geometry import leg_polylines

    pairs = np.array([(i, j) for i in range(12) for j in range(12)])
    for a, b in zip(leg_polylines(flat, pairs), leg_polylines(core, pairs), strict=True):
        np.testing.assert_array_equal(a, b)
