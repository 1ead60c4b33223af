"""Load a road layer into a directed road graph in metres (UTM of the data's centroid).

Nodes are the lines' endpoints: endpoints within 1 cm of each other are one node. The
layer must be noded, as GIS road layers are (OpenStreetMap ways are split here at every
vertex two ways share, i.e. at OSM junctions): lines that cross without sharing an
endpoint do not connect, which is right for bridges and overpasses and wrong for an
un-noded layer. Only the largest
strongly connected part is kept, so every kept node can reach every other; what was
dropped is counted in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from optimizer.errors import Joined, Said
from optimizer.network.errors import RoadNetworkError
from optimizer.network.spec import FALLBACK_SPEED_KMH, RoadNetworkTravel

_ONEWAY_FORWARD = {"yes", "true", "1", "t", "y", "1.0"}
_ONEWAY_BACKWARD = {"-1", "reverse", "-1.0"}
_NODE_GRID_M = 0.01  # endpoints closer than this are the same node
NO_CLASS = "(none)"  # the class of a road whose class attribute is empty


@dataclass
class LoadReport:
    """What a road layer held and what was left out of the graph, with why."""

    path: str
    features: int = 0
    not_lines: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    invalid: int = 0
    lines: int = 0
    scc_nodes_dropped: int = 0
    scc_lines_dropped: int = 0
    nodes: int = 0
    unknown_classes: dict[str, int] = field(default_factory=dict)

    def messages(self) -> list[Said]:
        """Warnings, in English and Chinese; empty when nothing was dropped or guessed."""
        out: list[Said] = []
        parts: list[Said] = []
        if self.empty:
            parts.append(Said("roads.warn.empty", n=self.empty))
        if self.invalid:
            parts.append(Said("roads.warn.invalid", n=self.invalid))
        if self.not_lines:
            parts.append(Said("roads.warn.not_lines", kinds=_counted(self.not_lines)))
        if parts:
            out.append(Said("roads.warn.dropped", path=self.path, parts=Joined(parts)))
        if self.scc_nodes_dropped or self.scc_lines_dropped:
            out.append(
                Said(
                    "roads.warn.outside_scc",
                    path=self.path,
                    nodes=self.scc_nodes_dropped,
                    lines=self.scc_lines_dropped,
                    kept_nodes=self.nodes,
                    kept_lines=self.lines,
                )
            )
        if self.unknown_classes:
            classes = Joined(
                [
                    Said("roads.warn.class_count", name=_class_name(k), n=n)
                    for k, n in sorted(self.unknown_classes.items())[:10]
                ],
                "join.comma",
            )
            out.append(
                Said(
                    "roads.warn.unknown_classes",
                    path=self.path,
                    speed=FALLBACK_SPEED_KMH,
                    classes=classes,
                )
            )
        return out


def _counted(counts: dict[str, int]) -> Joined:
    """``{"Point": 2}`` → "2 Point" (geometry type names stay as GIS tools write them)."""
    return Joined([f"{n} {k}" for k, n in sorted(counts.items())], "join.comma")


def _class_name(name: str) -> str:
    """A road class as a warning names it; the missing class in the reader's language."""
    return Said("roads.no_class_value") if name == NO_CLASS else name


@dataclass
class RoadNetwork:
    """Road lines in a metric CRS with their end nodes, km, minutes and direction.

    ``oneway`` is 0 (both ways), 1 (from ``u`` to ``v`` only) or -1 (``v`` to ``u`` only).
    Node ids are in Morton (Z-curve) order of their position, which keeps Dijkstra's
    memory accesses local.
    """

    crs: pyproj.CRS
    lines: np.ndarray  # shapely LineStrings, metres
    u: np.ndarray
    v: np.ndarray
    km: np.ndarray
    minutes: np.ndarray
    oneway: np.ndarray
    road_class: np.ndarray
    node_xy: np.ndarray
    report: LoadReport

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    def to_wgs84(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metric x/y → lon/lat degrees."""
        t = pyproj.Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
        return t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def from_wgs84(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat degrees → metric x/y."""
        t = pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        return t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def resolve_path(path: str, base_dir: Path) -> Path:
    """``path`` as given when absolute, else relative to ``base_dir`` (the batch's folder)."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (Path(base_dir) / p)


def read_layer(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON/GeoPackage/Shapefile layer (pyogrio) or an .osm.pbf (pyrosm)."""
    if not path.exists():
        raise RoadNetworkError(Said("roads.file_not_found", path=path))
    if path.name.lower().endswith(".pbf"):
        return _read_pbf(path)
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise RoadNetworkError(Said("roads.cannot_read", path=path, exc=exc)) from exc
    names = [str(name) for name, _ in layers]
    if layer is not None and layer not in names:
        shown = ", ".join(names) or Said("roads.none")
        raise RoadNetworkError(Said("roads.no_layer", path=path, layer=layer, names=shown))
    if layer is None and len(names) > 1:
        liney = [str(n) for n, g in layers if g and "line" in str(g).lower()]
        if len(liney) != 1:
            shown = ", ".join(names)
            raise RoadNetworkError(Said("roads.many_layers", path=path, n=len(names), names=shown))
        layer = liney[0]
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:
        raise RoadNetworkError(Said("roads.cannot_read", path=path, exc=exc)) from exc


def _read_pbf(path: Path) -> gpd.GeoDataFrame:
    """Drivable OSM ways split at junctions, via pyrosm."""
    try:
        from pyrosm import OSM
    except Exception as exc:  # ImportError, or a broken compiled extension
        raise RoadNetworkError(Said("roads.needs_pyrosm", name=path.name, exc=exc)) from exc
    try:
        edges = OSM(str(path)).get_network(network_type="driving")
    except Exception as exc:
        raise RoadNetworkError(Said("roads.cannot_read_osm", path=path, exc=exc)) from exc
    if edges is None or len(edges) == 0:
        raise RoadNetworkError(Said("roads.no_drivable", path=path))
    return _split_at_junctions(edges)


def _split_at_junctions(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Node OSM ways: split each at every interior vertex another way also uses.

    OSM ways share node coordinates exactly at junctions; pyrosm's own splitting cuts
    at every vertex, which would make every bend a graph node.
    """
    ways = ways.explode(index_parts=False, ignore_index=True)
    ways = ways[~(ways.geometry.isna() | ways.geometry.is_empty)].reset_index(drop=True)
    coords, owner = shapely.get_coordinates(ways.geometry.values, return_index=True)
    _, inverse, counts = np.unique(
        _grid_key(coords[:, 0], coords[:, 1], 1e-7), return_inverse=True, return_counts=True
    )
    first = np.r_[True, owner[1:] != owner[:-1]]
    last = np.r_[owner[1:] != owner[:-1], True]
    cut = (counts[inverse] > 1) & ~first & ~last
    starts = first | cut
    pid = np.cumsum(starts) - 1
    dup = np.flatnonzero(cut)  # a cut vertex ends one piece and starts the next
    rows = np.r_[np.arange(len(coords)), dup]
    pids = np.r_[pid, pid[dup] - 1]
    order = np.lexsort((rows, pids))
    lines = shapely.linestrings(coords[rows[order]], indices=pids[order])
    out = ways.drop(columns=ways.geometry.name).iloc[owner[starts]].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry=lines, crs=ways.crs)


def _grid_key(x: np.ndarray, y: np.ndarray, grid: float) -> np.ndarray:
    """One int64 per point, equal for points in the same ``grid``-sized cell."""
    xq = np.round(np.asarray(x) / grid).astype(np.int64)
    yq = np.round(np.asarray(y) / grid).astype(np.int64)
    xq -= xq.min(initial=0)
    yq -= yq.min(initial=0)
    span = int(yq.max(initial=0)) + 1
    if (int(xq.max(initial=0)) + 1) * span >= 2**62:
        raise RoadNetworkError(Said("roads.too_large_area"))
    return xq * span + yq


def _morton_rank(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rank of each point along a Z-order curve over the points' bounding box."""

    def spread(v: np.ndarray) -> np.ndarray:
        v = v.astype(np.uint64) & np.uint64(0xFFFF)
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    def scale(a: np.ndarray) -> np.ndarray:
        lo, hi = float(a.min(initial=0.0)), float(a.max(initial=0.0))
        return np.floor((a - lo) / max(hi - lo, 1e-9) * 65535.0)

    code = spread(scale(x)) | (spread(scale(y)) << np.uint64(1))
    rank = np.empty(len(x), dtype=np.int64)
    rank[np.argsort(code, kind="stable")] = np.arange(len(x))
    return rank


def _tags(values: pd.Series) -> np.ndarray:
    """Attribute values as stripped lower-case text ("" where missing).

    The text work runs once per distinct value (a road layer has a handful of classes
    and tags in 200,000 rows), not once per row.
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    text = pd.Series(uniq, dtype=object).astype("string").str.strip().str.lower().fillna("")
    return np.append(text.to_numpy().astype(str), "")[codes]  # code -1 (missing) → ""


def _oneway_codes(values: pd.Series) -> np.ndarray:
    """OSM-style one-way tags → 1 (along the line), -1 (against) or 0 (both ways)."""
    text = _tags(values)
    out = np.zeros(len(values), dtype=np.int8)
    out[np.isin(text, list(_ONEWAY_FORWARD))] = 1
    out[np.isin(text, list(_ONEWAY_BACKWARD))] = -1
    return out


def _line_ends(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last vertex (x, y) of each line, from one pass over the coordinates."""
    coords = shapely.get_coordinates(lines)
    last = np.cumsum(shapely.get_num_coordinates(lines)) - 1
    first = np.r_[0, last[:-1] + 1]
    return coords[first], coords[last]


def _speeds(classes: np.ndarray, table: dict[str, float]) -> tuple[np.ndarray, dict[str, int]]:
    """km/h per line from its class; ``*_link`` falls back to its base class."""
    uniq, inverse = np.unique(classes, return_inverse=True)
    speed = np.empty(len(uniq))
    unknown: dict[str, int] = {}
    counts = np.bincount(inverse, minlength=len(uniq))
    for i, name in enumerate(uniq):  # one lookup per distinct class, not per line
        base = name.removesuffix("_link")
        if name in table:
            speed[i] = table[name]
        elif base in table:
            speed[i] = table[base]
        else:
            speed[i] = FALLBACK_SPEED_KMH
            unknown[name or NO_CLASS] = int(counts[i])
    return speed[inverse], unknown


def build_network(gdf: gpd.GeoDataFrame, spec: RoadNetworkTravel, name: str) -> RoadNetwork:
    """Clean, project and node a road layer; keep its largest strongly connected part."""
    report = LoadReport(path=name, features=len(gdf))
    if gdf.crs is None:
        raise RoadNetworkError(Said("roads.no_crs", name=name))
    if spec.class_field not in gdf.columns:
        fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        shown = fields or Said("roads.no_attributes")
        raise RoadNetworkError(
            Said("roads.no_class_field", name=name, field=spec.class_field, fields=shown)
        )
    geoms = gdf.geometry.values
    missing = np.asarray(geoms.isna()) | np.asarray(shapely.is_empty(geoms))
    report.empty = int(missing.sum())
    kinds = np.asarray(shapely.get_type_id(geoms))
    is_line = (kinds == 1) | (kinds == 5) | (kinds == 2)  # LineString, MultiLineString, Ring
    other = ~missing & ~is_line
    if other.any():
        names = pd.Series(np.asarray(geoms.geom_type)[other]).value_counts()
        report.not_lines = {str(k): int(n) for k, n in names.items()}
    if not (is_line & ~missing).any():
        found = _counted(report.not_lines) if report.not_lines else Said("roads.nothing")
        empty = Said("roads.n_empty", n=report.empty) if report.empty else ""
        raise RoadNetworkError(
            Said("roads.no_lines", name=name, features=report.features, found=found, empty=empty)
        )
    cols = [spec.class_field]
    if spec.oneway_field and spec.oneway_field in gdf.columns:
        cols.append(spec.oneway_field)
    elif spec.oneway_field and spec.oneway_field != "oneway":  # a name given on purpose
        fields = ", ".join(c for c in gdf.columns if c != gdf.geometry.name)
        raise RoadNetworkError(
            Said("roads.no_oneway_field", name=name, field=spec.oneway_field, fields=fields)
        )
    if "junction" in gdf.columns and "junction" not in cols:
        cols.append("junction")
    kept = gdf.loc[is_line & ~missing, [*cols, gdf.geometry.name]]
    if (kinds == 5).any():  # MultiLineStrings: one row per part
        kept = kept.explode(index_parts=False, ignore_index=True)
    lines = np.asarray(kept.geometry.values, dtype=object)
    if shapely.has_z(lines).any():
        lines = shapely.force_2d(lines)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    finite = np.bincount(owner, weights=~np.isfinite(coords).all(axis=1), minlength=len(lines))
    ok = (
        ~shapely.is_empty(lines)
        & (finite == 0)
        & shapely.is_valid(lines)
        & (shapely.length(lines) > 0)
    )
    report.invalid = int((~ok).sum())
    if not ok.any():
        n_other = sum(report.not_lines.values())
        raise RoadNetworkError(
            Said(
                "roads.no_usable_line",
                name=name,
                features=report.features,
                empty=report.empty,
                invalid=report.invalid,
                not_lines=Said("roads.n_not_lines", n=n_other) if n_other else "",
            )
        )
    kept = kept.loc[ok].reset_index(drop=True)
    kept = kept.set_geometry(gpd.GeoSeries(lines[ok], crs=gdf.crs))
    kept = _to_utm(kept, name)
    lines = np.asarray(kept.geometry.values, dtype=object)

    classes = _tags(kept[spec.class_field])
    speed, report.unknown_classes = _speeds(classes, spec.speed_table())
    km = shapely.length(lines) / 1000.0
    minutes = km / speed * 60.0
    if spec.oneway_field and spec.oneway_field in kept.columns:
        oneway = _oneway_codes(kept[spec.oneway_field])
    else:
        oneway = np.zeros(len(kept), dtype=np.int8)
    if "junction" in kept.columns:
        roundabout = _tags(kept["junction"]) == "roundabout"
        oneway[roundabout & (oneway == 0)] = 1

    start, end = _line_ends(lines)
    ends = np.vstack([start, end])
    key = _grid_key(ends[:, 0], ends[:, 1], _NODE_GRID_M)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    node_xy = ends[first]
    rank = _morton_rank(node_xy[:, 0], node_xy[:, 1])
    inverse = rank[inverse]
    node_xy_sorted = np.empty_like(node_xy)
    node_xy_sorted[rank] = node_xy
    n = len(lines)
    u, v = inverse[:n], inverse[n:]

    keep_line, keep_node = _largest_scc(u, v, oneway, len(node_xy_sorted))
    report.scc_nodes_dropped = int((~keep_node).sum())
    report.scc_lines_dropped = int((~keep_line).sum())
    new_id = np.cumsum(keep_node) - 1
    report.lines = int(keep_line.sum())
    report.nodes = int(keep_node.sum())
    return RoadNetwork(
        crs=kept.crs,
        lines=lines[keep_line],
        u=new_id[u[keep_line]],
        v=new_id[v[keep_line]],
        km=km[keep_line],
        minutes=minutes[keep_line],
        oneway=oneway[keep_line],
        road_class=classes[keep_line],
        node_xy=node_xy_sorted[keep_node],
        report=report,
    )


def _to_utm(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Reproject to the UTM zone of the data's centroid (metres)."""
    crs = gdf.crs
    if crs.is_geographic:
        minx, miny, maxx, maxy = gdf.total_bounds
        if minx < -180 or maxx > 360 or miny < -90 or maxy > 90:
            raise RoadNetworkError(
                Said("roads.crs_degrees", name=name, crs=crs.name, x=maxx, y=maxy)
            )
    try:
        utm = gdf.estimate_utm_crs()
        out = gdf.to_crs(utm)
    except Exception as exc:
        raise RoadNetworkError(Said("roads.crs_to_utm", name=name, crs=crs.name, exc=exc)) from exc
    bounds = out.total_bounds
    if not np.isfinite(bounds).all():
        raise RoadNetworkError(Said("roads.crs_not_finite", name=name, crs=crs.name))
    return out


def _largest_scc(
    u: np.ndarray, v: np.ndarray, oneway: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Masks of lines and nodes in the largest strongly connected component."""
    fwd = oneway >= 0
    bwd = oneway <= 0
    src = np.r_[u[fwd], v[bwd]]
    dst = np.r_[v[fwd], u[bwd]]
    graph = coo_array(
        (np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)
    ).tocsr()
    _, labels = connected_components(graph, directed=True, connection="strong")
    biggest = np.argmax(np.bincount(labels))
    keep_node = labels == biggest
    return keep_node[u] & keep_node[v], keep_node


def load_roads(spec: RoadNetworkTravel, base_dir: Path) -> RoadNetwork:
    """Read, clean and node the road layer named by ``spec``."""
    path = resolve_path(spec.path, base_dir)
    gdf = read_layer(path, spec.layer)
    return build_network(gdf, spec, path.name)
