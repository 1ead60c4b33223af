"""Synthetic county road layers: for scenarios (roads through given sites) and benchmarks.

``synthetic_roads`` joins given points (township seats and villages) with a relative
neighbourhood graph (planar, connected, sparse like rural roads), classes its lines as
county roads (seat to seat), township roads (the trunks from seats out to their
villages) and village roads (the rest), bends every line so that it is 5-12 % longer
than its chord (more for lower classes), and makes a few lines one-way without breaking
strong connectivity. ``synthetic_large_network`` is a jittered grid mesh with a road
hierarchy, for timing. Both return EPSG:4326 GeoDataFrames with ``highway`` (class) and
``oneway`` attributes, noded at line ends, deterministic for a seed.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError, cKDTree

# line length / chord per class (the network's detours add to these: see tests)
BEND_RATIO = {"county": 1.05, "township": 1.08, "village": 1.12}
ONEWAY_SHARE = 0.03


def _utm_for(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").estimate_utm_crs()


def _gabriel_edges(xy: np.ndarray) -> np.ndarray:
    """Gabriel graph edges (pairs of point indices), via Delaunay."""
    n = len(xy)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    try:
        tri = Delaunay(xy)
        e = np.vstack(
            [tri.simplices[:, [0, 1]], tri.simplices[:, [1, 2]], tri.simplices[:, [0, 2]]]
        )
    except (QhullError, ValueError):  # collinear or too few points: all pairs
        e = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64)
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    tree = cKDTree(xy)
    # Gabriel graph: no other point inside the circle on the edge as diameter
    mid = (xy[e[:, 0]] + xy[e[:, 1]]) / 2
    near = tree.query_ball_point(mid, length / 2 * (1 - 1e-9))
    keep = np.ones(len(e), dtype=bool)
    for k, cands in enumerate(near):  # one small candidate list per edge
        c = np.asarray(cands, dtype=np.int64)
        keep[k] = not ((c != e[k, 0]) & (c != e[k, 1])).any()
    e = e[keep]
    # the Gabriel graph contains the Euclidean MST, so it is connected; guard odd inputs
    graph = coo_array((length[keep], (e[:, 0], e[:, 1])), shape=(n, n))
    n_comp, _ = connected_components(graph, directed=False)
    if n_comp > 1:
        full = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
        mst = minimum_spanning_tree(full).tocoo()
        e = np.unique(np.sort(np.vstack([e, np.c_[mst.row, mst.col]]), axis=1), axis=0)
    return e


def _classes(xy: np.ndarray, edges: np.ndarray, seats: np.ndarray) -> np.ndarray:
    """'county' on seat-to-seat paths, 'township' on trunks to villages, else 'village'."""
    n = len(xy)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    graph = coo_array(
        (np.r_[length, length], (np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]])),
        shape=(n, n),
    ).tocsr()
    key = {(int(a), int(b)): k for k, (a, b) in enumerate(edges)}
    cls = np.full(len(edges), "village", dtype=object)

    def mark(a: int, b: int, name: str) -> None:
        k = key[(min(a, b), max(a, b))]
        if cls[k] != "county":
            cls[k] = name

    if len(seats) == 0:
        return cls.astype(str)
    # township trunks: the forest of shortest paths from each node's nearest seat;
    # an edge carries a trunk when the node below it has villages beyond it
    dist, pred, _ = dijkstra(graph, indices=seats, min_only=True, return_predecessors=True)
    below = np.ones(n)
    for x in np.argsort(-dist):  # farthest first: children before parents
        if pred[x] >= 0:
            below[pred[x]] += below[x]
    for x in np.flatnonzero((pred >= 0) & (below >= 2)):
        mark(int(x), int(pred[x]), "township")
    # county roads: shortest paths between neighbouring seats
    if len(seats) >= 2:
        pairs = _gabriel_edges(xy[seats]) if len(seats) > 2 else np.array([[0, 1]])
        _, spred = dijkstra(graph, indices=seats, return_predecessors=True)
        for i, j in pairs:
            cur, src = int(seats[j]), int(seats[i])
            while cur != src and spred[i, cur] >= 0:
                mark(cur, int(spred[i, cur]), "county")
                cur = int(spred[i, cur])
    return cls.astype(str)


def bent_lines(
    a: np.ndarray, b: np.ndarray, ratio: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """LineStrings from a to b with smooth random bends, each ``ratio`` × its chord long."""
    chord = b - a
    length = np.hypot(chord[:, 0], chord[:, 1])
    normal = np.c_[-chord[:, 1], chord[:, 0]] / np.maximum(length, 1e-9)[:, None]
    k = 12
    t = np.linspace(0.0, 1.0, k + 2)
    modes = np.arange(1, 4)
    amp = rng.normal(size=(len(a), 3)) / modes  # smoother shapes dominate
    phase = np.sin(np.pi * t[:, None] * modes[None, :])  # (k+2, 3): 0 at both ends
    shape = amp @ phase.T  # (n, k+2)
    shape /= np.maximum(np.abs(shape).max(axis=1, keepdims=True), 1e-9)

    def ratio_for(scale: np.ndarray) -> np.ndarray:
        off = shape * (scale * length)[:, None]
        dx = np.diff(t)[None, :] * length[:, None]
        return np.hypot(dx, np.diff(off, axis=1)).sum(axis=1) / np.maximum(length, 1e-9)

    lo, hi = np.zeros(len(a)), np.full(len(a), 1.0)
    for _ in range(40):  # bisection on the bend amplitude, all lines at once
        mid = (lo + hi) / 2
        short = ratio_for(mid) < ratio
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    off = shape * (lo * length)[:, None]
    pts = (
        a[:, None, :] + t[None, :, None] * chord[:, None, :] + off[:, :, None] * normal[:, None, :]
    )
    pts[:, 0], pts[:, -1] = a, b  # ends exactly on the nodes
    return shapely.linestrings(pts)


def _oneway(edges: np.ndarray, cls: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """A few non-county lines one-way ('yes' or '-1'), keeping every node reachable."""
    out = np.full(len(edges), "no", dtype=object)
    cand = rng.permutation(np.flatnonzero(cls != "county"))
    want = max(1, round(ONEWAY_SHARE * len(edges))) if len(edges) >= 6 else 0
    for k in cand[: 4 * want]:
        if (out != "no").sum() >= want:
            break
        out[k] = "yes" if rng.random() < 0.7 else "-1"
        fwd = out != "-1"
        bwd = out != "yes"
        src = np.r_[edges[fwd, 0], edges[bwd, 1]]
        dst = np.r_[edges[fwd, 1], edges[bwd, 0]]
        g = coo_array((np.ones(len(src)), (src, dst)), shape=(n, n))
        if connected_components(g, directed=True, connection="strong")[0] > 1:
            out[k] = "no"
    return out.astype(str)


def synthetic_roads(
    points: list[tuple[float, float]], seats: list[int], seed: int
) -> gpd.GeoDataFrame:
    """Roads joining ``points`` (lon, lat); ``seats`` index the township seats / hub."""
    rng = np.random.default_rng(seed)
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    utm = _utm_for(lon, lat)
    fwd = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True)
    x, y = fwd.transform(lon, lat)
    xy_all = np.c_[x, y]
    # points within 1 m are one node
    _, first, inv = np.unique(np.round(xy_all), axis=0, return_index=True, return_inverse=True)
    xy = xy_all[first]
    node_seats = (
        np.unique(inv.ravel()[np.asarray(seats, dtype=np.int64)])
        if seats
        else np.zeros(0, dtype=np.int64)
    )
    edges = _gabriel_edges(xy)
    if len(edges) == 0:
        return gpd.GeoDataFrame({"highway": [], "oneway": []}, geometry=[], crs="EPSG:4326")
    cls = _classes(xy, edges, node_seats)
    ratio = np.array([BEND_RATIO[c] for c in cls]) + rng.uniform(-0.02, 0.02, len(cls))
    lines = bent_lines(xy[edges[:, 0]], xy[edges[:, 1]], ratio, rng)
    oneway = _oneway(edges, cls, len(xy), rng)
    gdf = gpd.GeoDataFrame({"highway": cls, "oneway": oneway}, geometry=lines, crs=utm)
    return gdf.to_crs("EPSG:4326")


def synthetic_large_network(
    n_edges: int = 200_000,
    seed: int = 0,
    center: tuple[float, float] = (117.0, 36.5),
    area_km2: float = 1900.0,
) -> gpd.GeoDataFrame:
    """A jittered grid mesh of at least ``n_edges`` lines over a county-sized square.

    Every 20th grid line is a county road, every 5th a township road, the rest village
    roads; 6 % of village lines are missing (dead ends, irregular blocks), 1 % one-way,
    and every line has one bend vertex.
    """
    rng = np.random.default_rng(seed)
    p_missing = 0.06
    side = np.sqrt(area_km2) * 1000.0
    n = int(np.ceil((1 + np.sqrt(1 + 2 * n_edges / (1 - p_missing * 0.9))) / 2)) + 1
    while True:
        spacing = side / (n - 1)
        ij = np.arange(n * n).reshape(n, n)
        a = np.r_[ij[:, :-1].ravel(), ij[:-1, :].ravel()]
        b = np.r_[ij[:, 1:].ravel(), ij[1:, :].ravel()]
        row = np.r_[np.repeat(np.arange(n), n - 1), np.tile(np.arange(n), n - 1)]
        cls = np.where(row % 20 == 0, "county", np.where(row % 5 == 0, "township", "village"))
        drop = (cls == "village") & (rng.random(len(a)) < p_missing)
        if (~drop).sum() >= n_edges:
            break
        n += 1
    a, b, cls = a[~drop], b[~drop], cls[~drop]
    gx, gy = np.meshgrid(np.arange(n) * spacing - side / 2, np.arange(n) * spacing - side / 2)
    jitter = rng.uniform(-0.3, 0.3, size=(n * n, 2)) * spacing
    xy = np.c_[gx.ravel(), gy.ravel()] + jitter
    chord = xy[b] - xy[a]
    normal = np.c_[-chord[:, 1], chord[:, 0]]
    mid = (xy[a] + xy[b]) / 2 + normal * rng.uniform(-0.15, 0.15, len(a))[:, None]
    pts = np.stack([xy[a], mid, xy[b]], axis=1)
    utm = _utm_for(np.array([center[0]]), np.array([center[1]]))
    cx, cy = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(*center)
    flat = pts.reshape(-1, 2) + np.array([cx, cy])
    lon, lat = pyproj.Transformer.from_crs(utm, "EPSG:4326", always_xy=True).transform(
        flat[:, 0], flat[:, 1]
    )
    lines = shapely.linestrings(np.c_[lon, lat].reshape(-1, 3, 2))
    oneway = np.where((cls == "village") & (rng.random(len(a)) < 0.01), "yes", "no")
    return gpd.GeoDataFrame({"highway": cls, "oneway": oneway}, geometry=lines, crs="EPSG:4326")


def write_roads(gdf: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a road layer; the driver follows the suffix (.geojson, .gpkg, .shp)."""
    path = Path(path)
    driver = {
        ".geojson": "GeoJSON",
        ".json": "GeoJSON",
        ".gpkg": "GPKG",
        ".shp": "ESRI Shapefile",
    }.get(path.suffix.lower())
    if driver is None:
        raise ValueError(f"unknown road file type '{path.suffix}'; use .geojson, .gpkg or .shp")
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf.to_file(path, driver=driver, engine="pyogrio")
    return path
