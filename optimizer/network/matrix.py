"""Many-to-many road travel matrices (minutes and km) between all sites.

Two methods. "ch" (the default; chmatrix.py, ch.py): a contraction hierarchy of the road
network, cached per network file, answers all site pairs in one many-to-many query.
"dijkstra" (the reference, and the graph that route geometry walks): sites are snapped
to their nearest line and inserted as graph nodes (sitegraph), chains of degree-2 nodes
are contracted (contract.py), then ``scipy.sparse.csgraph.dijkstra`` runs once from
every site node. What follows describes the packing both use.

Time and distance in one pass: each arc weight packs its minutes and its km into one
float64 integer, ``round(minutes / q_min) · 2**26 + round(km / q_km)``. Sums of integers
below 2**53 are exact in float64, so Dijkstra minimises time first and km among equally
fast paths, and the total splits back into the minutes *and the km of that same path*
(no second pass, no predecessor walk). ``q_min`` and ``q_km`` come from an upper bound
on any site-to-site time (two cheap Dijkstra runs through site 0) so that neither part
can overflow; on a county they are about 0.1 ms and 1 mm per arc, and whole paths stay
within 0.01 s and 0.1 m of float sums (benchmarks/results/matrix.md cross-checks them).

Door-to-door: minutes = access(i) + road(i→j) + access(j), the access legs being the
straight lines from the sites to their roads. The diagonal and sites at the same point
are 0. Large problems run Dijkstra in worker processes (the GIL is held inside scipy).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from optimizer.errors import Joined, Said
from optimizer.network import cache
from optimizer.network.contract import Core, contract
from optimizer.network.errors import RoadNetworkError
from optimizer.network.gcj02 import gcj02_to_wgs84
from optimizer.network.roads import RoadNetwork, build_network, read_layer, resolve_path
from optimizer.network.sitegraph import SiteGraph, build_site_graph
from optimizer.network.snap import Snapped, snap_sites
from optimizer.network.spec import RoadNetworkTravel

SHIFT = float(2**26)  # km part lives below this, minutes part above
_CHUNK = 64  # Dijkstra sources per call: bounds the (chunk × nodes) distance block
_PARALLEL_WORK = 3e7  # sources × nodes above which worker processes pay off
_PRED_BUDGET = 256 * 2**20  # bytes of predecessor rows kept for route geometry


@dataclass(frozen=True)
class LexEncoding:
    """Quanta of the packed (minutes, km) arc weights."""

    q_min: float
    q_km: float

    def encode(self, minutes: np.ndarray, km: np.ndarray) -> np.ndarray:
        w = np.rint(minutes / self.q_min) * SHIFT + np.rint(km / self.q_km)
        return np.maximum(w, 1.0)  # no zero weights: a zero-length arc costs one quantum

    def decode(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Finite packed path lengths → (minutes, km)."""
        t = np.floor(d / SHIFT)
        k = d - t * SHIFT
        return t * self.q_min, k * self.q_km


def make_encoding(graph: SiteGraph, time_csr: csr_array) -> LexEncoding:
    """Quanta so that no site-to-site path can overflow either part of the packing."""
    s0 = int(graph.site_node[0])
    targets = graph.site_node
    out = dijkstra(time_csr, indices=s0)[targets]
    back = dijkstra(time_csr.T.tocsr(), indices=s0)[targets]
    if np.isfinite(out).all() and np.isfinite(back).all():
        t_bound = float(out.max() + back.max())  # T(i,j) <= T(i,0) + T(0,j)
    else:
        t_bound = float(graph.minutes.sum())  # unreachable pairs are reported later
    moving = graph.minutes > 0
    km_per_min = float((graph.km[moving] / graph.minutes[moving]).max(initial=1.0))
    t_bound = t_bound * 1.1 + 1.0
    k_bound = t_bound * km_per_min * 1.1 + 1.0
    units = SHIFT - graph.n_nodes - 2  # room left after per-arc rounding on any path
    if units < 2**20:
        raise RoadNetworkError(Said("roads.too_large", n=graph.n_nodes))
    return LexEncoding(q_min=t_bound / units, q_km=k_bound / units)


# -- Dijkstra, in process or in worker processes -----------------------------------------
_WORKER: dict[str, object] = {}


def _init_worker(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n: int, targets: np.ndarray
) -> None:
    _WORKER["csr"] = csr_array((data, indices, indptr), shape=(n, n))
    _WORKER["targets"] = targets


def _worker_rows(sources: np.ndarray) -> np.ndarray:
    d = dijkstra(_WORKER["csr"], indices=sources)
    return d[:, _WORKER["targets"]]


def default_workers(n_sources: int, n_nodes: int) -> int:
    """1 for small problems, else the usable cores (``FRESHROUTE_WORKERS`` overrides)."""
    env = os.environ.get("FRESHROUTE_WORKERS")
    if env:
        return max(1, int(env))
    if n_sources * n_nodes < _PARALLEL_WORK:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 4, n_sources // _CHUNK))


def _mp_context():
    """fork when this process runs a single thread (fast, no re-import of __main__);
    spawn otherwise, since forking a threaded host (an API server) can deadlock."""
    if threading.active_count() == 1 and os.name == "posix":
        return get_context("fork")
    return get_context("spawn")


def site_rows(
    csr: csr_array,
    sources: np.ndarray,
    targets: np.ndarray,
    workers: int = 1,
    keep_pred: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Packed path lengths sources × targets, and predecessor rows when asked (in process)."""
    chunks = [sources[i : i + _CHUNK] for i in range(0, len(sources), _CHUNK)]
    if workers > 1 and not keep_pred and len(chunks) > 1:
        ctx = _mp_context()
        init = (csr.data, csr.indices, csr.indptr, csr.shape[0], targets)
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=init
        ) as pool:
            return np.vstack(list(pool.map(_worker_rows, chunks))), None
    rows, preds = [], []
    for chunk in chunks:
        if keep_pred:
            d, p = dijkstra(csr, indices=chunk, return_predecessors=True)
            preds.append(p.astype(np.int32))
        else:
            d = dijkstra(csr, indices=chunk)
        rows.append(d[:, targets])
    return np.vstack(rows), (np.vstack(preds) if keep_pred else None)


# -- the result --------------------------------------------------------------------------
@dataclass
class Router:
    """Everything route geometry needs: the site graph, its contracted core (packed
    weights) and predecessor rows over the core's nodes."""

    network: RoadNetwork
    snapped: Snapped
    graph: SiteGraph
    encoding: LexEncoding
    core: Core
    csr: csr_array  # the core as CSR
    pred: dict[int, np.ndarray] = field(default_factory=dict)  # site index → row
    vertices: object = None  # geometry's flat vertex table, built on first use

    @property
    def site_core(self) -> np.ndarray:
        """Core node id of each site."""
        return self.core.node_of[self.graph.site_node]

    def pred_rows(self, origins: np.ndarray, limits: np.ndarray | None = None) -> np.ndarray:
        """Predecessor rows (over all nodes) of Dijkstra from the given site indices.

        With ``limits`` (packed path lengths, one per origin) a missing row comes from a
        Dijkstra that stops beyond its limit: a partial tree, enough for targets within
        the limit and much cheaper for the short legs of a route; it is not kept.
        """
        origins = np.asarray(origins, dtype=np.int64)
        todo = [i for i, o in enumerate(origins) if int(o) not in self.pred]
        fresh: dict[int, np.ndarray] = {}
        if todo and limits is not None:
            for i in todo:
                _, p = dijkstra(
                    self.csr,
                    indices=int(self.site_core[origins[i]]),
                    return_predecessors=True,
                    limit=float(limits[i]),
                )
                fresh[int(origins[i])] = p.astype(np.int32)
        elif todo:
            missing = np.unique(origins[todo])
            _, p = site_rows(self.csr, self.site_core[missing], self.site_core[:1], keep_pred=True)
            fresh = {int(o): p[i] for i, o in enumerate(missing)}
            room = _PRED_BUDGET // (4 * self.core.n_nodes) - len(self.pred)
            for o in list(fresh)[: max(room, 0)]:
                self.pred[o] = fresh[o]
        return np.vstack([self.pred.get(int(o), fresh.get(int(o))) for o in origins])

    def leg_limits(self, pairs: np.ndarray, minutes: np.ndarray) -> np.ndarray:
        """Packed upper bounds on the road part of each (i, j) leg, from door-to-door
        ``minutes`` (a matrix measured on these roads): the road time plus a margin of two
        quanta and 0.01 min + 0.1 %, for matrices measured by the "ch" method, whose
        rounding differs by a few quanta (chmatrix.py)."""
        acc = self.snapped.access_min
        i, j = pairs[:, 0], pairs[:, 1]
        road = np.maximum(minutes[i, j] - acc[i] - acc[j], 0.0)
        road = road * 1.001 + 0.01
        return (np.rint(road / self.encoding.q_min) + 2.0) * SHIFT


@dataclass
class RoadMatrices:
    """Door-to-door km and minutes between sites in ``site_ids`` order, with warnings.

    ``far_sites`` lists (site id, km) of sites farther than ``max_snap_km`` from a road;
    ``warnings`` says in words what was dropped, guessed or far (each a ``Said``: English
    as a ``str``, any language by ``in_lang``). ``route_lonlat`` gives
    the road polyline of any leg (see geometry.py).
    """

    site_ids: list[str]
    km: np.ndarray
    minutes: np.ndarray
    warnings: list[Said]
    far_sites: list[tuple[str, float]]
    access_km: np.ndarray
    from_cache: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    spec: RoadNetworkTravel | None = None
    base_dir: Path | None = None
    sites: list[tuple[str, float, float]] = field(default_factory=list)
    _router: Router | None = None
    _network: RoadNetwork | None = None

    def router(self) -> Router:
        """The site graph (built on first use; after a cache hit from the road file)."""
        if self._router is None:
            if self.spec is None or self.base_dir is None:
                raise RoadNetworkError(Said("roads.no_router"))
            self._router = build_router(
                self.sites, self.spec, self.base_dir, network=self._network
            )[0]
        return self._router

    def route_lonlat(self, pairs: list[tuple[str, str]], coords: str = "wgs84") -> list[np.ndarray]:
        """Road polyline (lon, lat rows) of each (from id, to id), access legs included."""
        from optimizer.network.geometry import leg_polylines

        index = {s: i for i, s in enumerate(self.site_ids)}
        unknown = sorted({s for p in pairs for s in p if s not in index})
        if unknown:
            raise RoadNetworkError(Said("roads.no_such_sites", sites=", ".join(unknown[:10])))
        ij = np.array([(index[a], index[b]) for a, b in pairs], dtype=np.int64).reshape(-1, 2)
        router = self.router()
        return leg_polylines(router, ij, coords=coords, limits=router.leg_limits(ij, self.minutes))


def site_xy(
    network: RoadNetwork, sites: list[tuple[str, float, float]], coords: str
) -> tuple[np.ndarray, np.ndarray]:
    """Sites' metric x/y in the network's CRS (GCJ-02 input converted first)."""
    lon = np.array([s[1] for s in sites], dtype=float)
    lat = np.array([s[2] for s in sites], dtype=float)
    if coords == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    return network.from_wgs84(lon, lat)


def snap_to(
    network: RoadNetwork, sites: list[tuple[str, float, float]], spec: RoadNetworkTravel
) -> Snapped:
    """Snap the sites (id, lon, lat in ``spec.coords``) to the network's nearest lines."""
    x, y = site_xy(network, sites, spec.coords)
    return snap_sites(network, x, y, spec.access_speed_kmh)


def build_router(
    sites: list[tuple[str, float, float]],
    spec: RoadNetworkTravel,
    base_dir: Path,
    network: RoadNetwork | None = None,
    timings: dict[str, float] | None = None,
    contract_chains: bool = True,
) -> tuple[Router, list[str]]:
    """Load (unless given), snap and build the packed site graph; also the warnings."""
    t0 = time.perf_counter()
    network = network or load_network(spec, base_dir)
    t1 = time.perf_counter()
    snapped = snap_to(network, sites, spec)
    graph = build_site_graph(network, snapped)
    encoding = make_encoding(graph, graph.csr(graph.minutes))
    packed = encoding.encode(graph.minutes, graph.km)
    keep = np.ones(graph.n_nodes, dtype=bool)
    if contract_chains:
        keep[:] = False
        keep[graph.site_node] = True
    core = contract(graph.n_nodes, graph.src, graph.dst, packed, keep)
    if timings is not None:
        timings.update(load_s=t1 - t0, snap_s=time.perf_counter() - t1)
    warnings = site_warnings(network, snapped, sites, spec)
    return Router(network, snapped, graph, encoding, core, core.csr()), warnings


def site_warnings(
    network: RoadNetwork,
    snapped: Snapped,
    sites: list[tuple[str, float, float]],
    spec: RoadNetworkTravel,
) -> list[Said]:
    """The load report's warnings and the sites far from any road (English and Chinese)."""
    warnings = list(network.report.messages())
    far = snapped.far([s[0] for s in sites], spec.max_snap_km)
    if far:
        listed = Joined([f"{s} ({km:.2f} km)" for s, km in far[:20]], "join.comma")
        more = Said("roads.warn.more", n=len(far) - 20) if len(far) > 20 else ""
        warnings.append(
            Said(
                "roads.warn.far_sites",
                n=len(far),
                km=spec.max_snap_km,
                speed=spec.access_speed_kmh,
                sites=listed,
                more=more,
            )
        )
    return warnings


def load_network(spec: RoadNetworkTravel, base_dir: Path) -> RoadNetwork:
    """Read and build the road network named by ``spec``."""
    path = resolve_path(spec.path, base_dir)
    return build_network(read_layer(path, spec.layer), spec, path.name)


def _unreachable_error(ids: list[str], bad: np.ndarray) -> RoadNetworkError:
    rows, cols = np.nonzero(bad)
    pairs = ", ".join(f"{ids[i]} → {ids[j]}" for i, j in zip(rows[:10], cols[:10], strict=True))
    involved = sorted({ids[i] for i in rows} | {ids[j] for j in cols})
    return RoadNetworkError(
        Said(
            "roads.unreachable",
            n=len(rows),
            pairs=pairs,
            more_pairs=" …" if len(rows) > 10 else "",
            sites=", ".join(involved[:20]),
            more_sites=" …" if len(involved) > 20 else "",
        )
    )


def router_matrices(
    router: Router, site_ids: list[str], workers: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Door-to-door (km, minutes) between all sites of a built router."""
    snapped, nodes = router.snapped, router.site_core
    n = len(site_ids)
    n_core = router.core.n_nodes
    if workers is None:
        workers = default_workers(n, n_core)
    keep_pred = workers == 1 and 4 * n * n_core <= _PRED_BUDGET
    packed, pred = site_rows(router.csr, nodes, nodes, workers, keep_pred)
    if pred is not None:
        router.pred = {i: pred[i] for i in range(n)}
    off_diag = ~np.eye(n, dtype=bool)
    bad = ~np.isfinite(packed) & off_diag
    if bad.any():
        raise _unreachable_error(site_ids, bad)
    return door_to_door(snapped, router.encoding, np.where(off_diag, packed, 0.0))


def door_to_door(
    snapped: Snapped, encoding: LexEncoding, packed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(km, minutes): access leg + decoded road part + access leg; 0 between sites at
    the same point (the diagonal included)."""
    from optimizer.network.d2d import assemble  # d2d reads SHIFT from here

    return assemble(
        packed,
        encoding.q_min,
        encoding.q_km,
        snapped.access_min,
        snapped.access_km,
        snapped.site_xy,
    )


METHODS = ("ch", "dijkstra")


def default_method() -> str:
    """``$FRESHROUTE_MATRIX_METHOD`` or "ch" (contraction hierarchy, chmatrix.py)."""
    return os.environ.get("FRESHROUTE_MATRIX_METHOD", "ch").strip().lower()


def road_matrices(
    sites: list[tuple[str, float, float]],
    spec: RoadNetworkTravel,
    base_dir: Path,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    method: str | None = None,
) -> RoadMatrices:
    """Door-to-door road km and minutes between ``sites`` (id, lon, lat), cached on disk.

    ``method``: "ch" (default: contraction hierarchy of the road network, itself cached
    per network) or "dijkstra" (one scipy Dijkstra per site on the site graph: the
    reference). ``workers`` applies to "dijkstra" only.
    """
    start = time.perf_counter()
    method = method or default_method()
    if method not in METHODS:
        methods = ", ".join(METHODS)
        raise RoadNetworkError(Said("roads.unknown_method", method=method, methods=methods))
    ids = [s[0] for s in sites]
    if not sites:
        raise RoadNetworkError(Said("roads.no_sites"))
    if len(set(ids)) != len(ids):
        raise RoadNetworkError(Said("roads.ids_unique"))
    path = resolve_path(spec.path, base_dir)
    if not path.exists():
        raise RoadNetworkError(Said("roads.file_not_found", path=path))
    key = cache.cache_key(path, spec, sites, method) if use_cache else None
    hit = cache.load_entry(key) if key else None
    common = {"spec": spec, "base_dir": Path(base_dir), "sites": list(sites)}
    if hit is not None:
        return RoadMatrices(
            site_ids=ids,
            km=hit["km"],
            minutes=hit["minutes"],
            warnings=cache.warnings_from(hit["warnings"]),
            far_sites=[(ids[int(i)], float(k)) for i, k in hit["far"]],
            access_km=hit["access_km"],
            from_cache=True,
            timings={"total_s": time.perf_counter() - start},
            **common,
        )
    timings: dict[str, float] = {}
    if method == "dijkstra":
        router, warnings = build_router(sites, spec, base_dir, timings=timings)
        t_matrix = time.perf_counter()
        km, minutes = router_matrices(router, ids, workers)
        timings["matrix_s"] = time.perf_counter() - t_matrix
        snapped, network = router.snapped, router.network
    else:
        router = None
        h_key = cache.hierarchy_key(path, spec) if use_cache else None
        km, minutes, snapped, network, warnings = ch_matrices(sites, spec, base_dir, h_key, timings)
    far = snapped.far(ids, spec.max_snap_km)
    result = RoadMatrices(
        site_ids=ids,
        km=km,
        minutes=minutes,
        warnings=warnings,
        far_sites=far,
        access_km=snapped.access_km,
        timings=timings,
        _router=router,
        _network=network,
        **common,
    )
    if key:
        pos = {s: i for i, s in enumerate(ids)}
        far_arr = np.array([(pos[s], k) for s, k in far], dtype=float).reshape(-1, 2)
        cache.save_entry(
            key,
            {
                "km": km,
                "minutes": minutes,
                "warnings": cache.warnings_array(warnings),
                "far": far_arr,
                "access_km": snapped.access_km,
            },
        )
    timings["total_s"] = time.perf_counter() - start
    return result


def ch_matrices(
    sites: list[tuple[str, float, float]],
    spec: RoadNetworkTravel,
    base_dir: Path,
    h_key: str | None,
    timings: dict[str, float],
    network: RoadNetwork | None = None,
) -> tuple[np.ndarray, np.ndarray, Snapped, RoadNetwork, list[str]]:
    """The "ch" method: load (unless given), snap, hierarchy (cached per network under
    ``h_key``), many-to-many; (km, minutes, snapped, network, warnings)."""
    from optimizer.network.chmatrix import network_hierarchy, road_packed

    t0 = time.perf_counter()
    network = network or load_network(spec, base_dir)
    t1 = time.perf_counter()
    snapped = snap_to(network, sites, spec)
    t2 = time.perf_counter()
    encoding, hierarchy, cached = network_hierarchy(network, h_key)
    t3 = time.perf_counter()
    packed = road_packed(network, snapped, encoding, hierarchy)
    ids = [s[0] for s in sites]
    bad = ~np.isfinite(packed)
    if bad.any():
        raise _unreachable_error(ids, bad)
    km, minutes = door_to_door(snapped, encoding, packed)
    timings.update(
        load_s=t1 - t0,
        snap_s=t2 - t1,
        hierarchy_s=t3 - t2,
        hierarchy_cached=float(cached),
        matrix_s=time.perf_counter() - t3,
    )
    return km, minutes, snapped, network, site_warnings(network, snapped, sites, spec)
