"""Roads closed during the day: the road network without some lines, and its matrices.

A closure names a road by two points (lon, lat in the batch's coordinates): the
junctions (line ends) nearest them, and the line or lines that join those two junctions
directly. Closed both ways, the lines are dropped; closed one way, they become one-way
the other way (or are dropped when that was their only way). The matrices are then
recomputed on what is left, as for any road network (contraction hierarchy, "ch"), and
cached on disk per road file, spec, sites and closed lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from optimizer.errors import Said
from optimizer.network import cache
from optimizer.network.errors import RoadNetworkError
from optimizer.network.matrix import RoadMatrices, ch_matrices, load_network, site_xy
from optimizer.network.roads import RoadNetwork, resolve_path
from optimizer.network.spec import RoadNetworkTravel


@dataclass(frozen=True)
class Closure:
    """The road between the junctions nearest two points, closed both ways or from
    ``a`` to ``b`` only."""

    a: tuple[float, float]  # lon, lat
    b: tuple[float, float]
    both_ways: bool = True


def _nearest_node(network: RoadNetwork, lon: float, lat: float, coords: str) -> tuple[int, float]:
    """The network node nearest a point, and its distance in km."""
    x, y = site_xy(network, [("p", lon, lat)], coords)
    d = np.hypot(network.node_xy[:, 0] - x[0], network.node_xy[:, 1] - y[0])
    k = int(np.argmin(d))
    return k, float(d[k]) / 1000.0


def closed_network(
    network: RoadNetwork, closures: list[Closure], spec: RoadNetworkTravel
) -> tuple[RoadNetwork, list[tuple[int, int, bool]]]:
    """``network`` with the closed roads taken out, and each closure as (node, node,
    both ways). ``RoadNetworkError`` (with ``index``: which closure) when a point is
    farther than ``spec.max_snap_km`` from any junction or no line joins the two."""
    keep = np.ones(len(network.u), dtype=bool)
    oneway = network.oneway.copy()
    found = []
    for index, c in enumerate(closures):
        ends = []
        for lon, lat in (c.a, c.b):
            node, km = _nearest_node(network, lon, lat, spec.coords)
            if km > spec.max_snap_km:
                error = RoadNetworkError(
                    Said("roads.closed_far", lon=lon, lat=lat, km=round(km, 2))
                )
                error.index = index  # type: ignore[attr-defined]
                raise error
            ends.append(node)
        a, b = ends
        along = (network.u == a) & (network.v == b)  # lines drawn from a to b
        against = (network.u == b) & (network.v == a)
        if a == b or not (along | against).any():
            error = RoadNetworkError(Said("roads.closed_no_road", a=list(c.a), b=list(c.b)))
            error.index = index  # type: ignore[attr-defined]
            raise error
        if c.both_ways:
            keep &= ~(along | against)
        else:  # no more driving a→b: along lines only v→u, against lines only u→v
            keep &= ~(along & (oneway == 1)) & ~(against & (oneway == -1))
            oneway[along & (oneway == 0)] = -1
            oneway[against & (oneway == 0)] = 1
        found.append((a, b, c.both_ways))
    net = replace(
        network,
        lines=network.lines[keep],
        u=network.u[keep],
        v=network.v[keep],
        km=network.km[keep],
        minutes=network.minutes[keep],
        oneway=oneway[keep],
        road_class=network.road_class[keep],
    )
    return net, found


def closed_road_matrices(
    sites: list[tuple[str, float, float]],
    spec: RoadNetworkTravel,
    closures: list[Closure],
    base_dir: Path | None = None,
) -> RoadMatrices:
    """Door-to-door km and minutes between ``sites`` on the network without the closed
    roads (``RoadNetworkError`` as ``closed_network``, or when a site is cut off). Its
    ``route_lonlat`` draws legs on that network too, so a leg re-routed around a closed
    road is drawn around it."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    network = load_network(spec, base)
    net, found = closed_network(network, closures, spec)
    path = resolve_path(spec.path, base)
    key = cache.cache_key(path, spec, sites, f"ch-closed:{sorted(found)}")
    hit = cache.load_entry(key)
    common = {"spec": spec, "base_dir": base, "sites": list(sites), "_network": net}
    ids = [s[0] for s in sites]
    cached = hit is not None and "access_km" in hit
    if hit is not None and cached:
        km, minutes, access_km = hit["km"], hit["minutes"], hit["access_km"]
    else:
        km, minutes, snapped, *_ = ch_matrices(sites, spec, base, None, {}, network=net)
        access_km = snapped.access_km
        cache.save_entry(key, {"km": km, "minutes": minutes, "access_km": access_km})
    return RoadMatrices(
        site_ids=ids,
        km=km,
        minutes=minutes,
        warnings=[],  # the day's matrices say them already
        far_sites=[],
        access_km=access_km,
        from_cache=cached,
        **common,
    )
