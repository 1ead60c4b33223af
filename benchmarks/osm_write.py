"""Write a road network as an OSM file (.osm.pbf or .osm), for routing engines that only read OSM.

benchmarks/matrix.py feeds Valhalla this way: the same lines, end nodes, one-way
directions and per-line speeds as freshroute's graph, so the engines differ only in
their own models (turn costs, snapping), not in the roads. One way per line, one OSM node
per road node (shared between the lines that meet there) and one per bend vertex.
Tags: ``highway`` (the line's OSM class), ``maxspeed`` (km/h, whole numbers: OSM's
usual form; engines read tagged speeds instead of their class defaults) and ``oneway``
(``yes`` or ``-1``; omitted on two-way lines). Needs pyosmium (``osmium``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def write_osm(
    path: str | Path,
    node_lonlat: np.ndarray,
    lines_lonlat: Sequence[np.ndarray],
    u: np.ndarray,
    v: np.ndarray,
    oneway: np.ndarray,
    highway: Sequence[str],
    maxspeed_kmh: np.ndarray,
) -> Path:
    """Write ``lines_lonlat[k]`` (lon/lat vertices, from node ``u[k]`` to ``v[k]``) as ways.

    ``node_lonlat`` (n, 2) are the road nodes; each line's first and last vertex are
    replaced by its end nodes (ids ``u + 1`` and ``v + 1``), its inner vertices get ids
    from ``n + 1`` on. ``oneway`` is 0 (both ways), 1 (``u`` to ``v`` only) or -1 (``v``
    to ``u`` only), as in freshroute's RoadNetwork. The file type follows the suffix.
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    path = Path(path)
    n, m = len(node_lonlat), len(lines_lonlat)
    for name, arr in (("u", u), ("v", v), ("oneway", oneway), ("highway", highway)):
        if len(arr) != m:
            raise ValueError(f"{name}: {len(arr)} values for {m} lines")
    if len(maxspeed_kmh) != m:
        raise ValueError(f"maxspeed_kmh: {len(maxspeed_kmh)} values for {m} lines")
    if m and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n):
        raise ValueError(f"u, v: node ids must lie in [0, {n})")
    if path.exists():
        path.unlink()
    one = {1: "yes", -1: "-1"}
    speed = np.rint(np.asarray(maxspeed_kmh, dtype=float)).astype(int)
    writer = osmium.SimpleWriter(str(path))
    try:
        for i, (lon, lat) in enumerate(np.asarray(node_lonlat, dtype=float)):
            writer.add_node(Node(id=i + 1, location=(lon, lat), version=1))
        next_id = n + 1
        refs: list[list[int]] = []
        for k, pts in enumerate(lines_lonlat):  # inner vertices: after the road nodes
            inner = np.asarray(pts, dtype=float)[1:-1]
            ids = list(range(next_id, next_id + len(inner)))
            for nid, (lon, lat) in zip(ids, inner, strict=True):
                writer.add_node(Node(id=nid, location=(lon, lat), version=1))
            next_id += len(inner)
            refs.append([int(u[k]) + 1, *ids, int(v[k]) + 1])
        for k in range(m):
            tags = {"highway": str(highway[k]), "maxspeed": str(speed[k])}
            if int(oneway[k]) in one:
                tags["oneway"] = one[int(oneway[k])]
            writer.add_way(Way(id=k + 1, nodes=refs[k], tags=tags, version=1))
    finally:
        writer.close()
    return path
