"""Attach sites to their nearest road line (shapely STRtree, metres).

A site joins the network at the point of its nearest line closest to it; that point
splits the line at ``fraction`` of its length. The straight access leg from the site to
that point is driven at ``access_speed_kmh``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from optimizer.network.roads import RoadNetwork


@dataclass(frozen=True)
class Snapped:
    """Per site: the line it joins, where along it, and its access leg."""

    site_xy: np.ndarray  # (n, 2) metres, the site itself
    road_xy: np.ndarray  # (n, 2) metres, where it joins the road
    line: np.ndarray  # index into RoadNetwork.lines
    fraction: np.ndarray  # 0 at the line's u end, 1 at its v end
    offset_km: np.ndarray  # distance along the line from its u end
    access_km: np.ndarray
    access_min: np.ndarray

    def far(self, site_ids: list[str], max_km: float) -> list[tuple[str, float]]:
        """(site id, access km) of the sites farther than ``max_km`` from any road."""
        idx = np.flatnonzero(self.access_km > max_km)
        return [(site_ids[i], round(float(self.access_km[i]), 3)) for i in idx]


def snap_sites(
    network: RoadNetwork, x: np.ndarray, y: np.ndarray, access_speed_kmh: float
) -> Snapped:
    """Snap metric points to the nearest line of ``network``."""
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    tree = shapely.STRtree(network.lines)
    # all_matches=False: one line per site even when several are equally near
    (site, line), dist = tree.query_nearest(points, all_matches=False, return_distance=True)
    order = np.argsort(site, kind="stable")
    line, dist = line[order], dist[order]
    geoms = network.lines[line]
    fraction = np.clip(shapely.line_locate_point(geoms, points, normalized=True), 0.0, 1.0)
    road = shapely.line_interpolate_point(geoms, fraction, normalized=True)
    access_km = dist / 1000.0
    return Snapped(
        site_xy=shapely.get_coordinates(points),
        road_xy=shapely.get_coordinates(road),
        line=line.astype(np.int64),
        fraction=fraction,
        offset_km=fraction * network.km[line],
        access_km=access_km,
        access_min=access_km / access_speed_kmh * 60.0,
    )
