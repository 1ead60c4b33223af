"""The road network as a faint base layer of the route map, in the map's datum.

A county's road file can hold far more lines than a page should carry, so only the roads
near the batch's sites are drawn (its bounding box plus ``MARGIN_M``), simplified until
they fit in ``MAX_POINTS`` vertices. Roads are drawn in the batch's datum
(``optimizer.geojson.batch_datum``): a GCJ-02 batch gets its WGS-84 roads converted, as
its route lines are, so routes lie on the roads they follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from optimizer.geojson import batch_datum
from optimizer.model import Batch
from optimizer.network import TravelMatrices
from optimizer.network.gcj02 import wgs84_to_gcj02
from optimizer.network.matrix import site_xy

MARGIN_M = 2000.0  # around the sites' bounding box
MAX_POINTS = 60_000  # vertices on the page, all roads together
TOLERANCES_M = (2.0, 5.0, 10.0, 25.0, 50.0, 100.0)  # simplification tried in turn
MAJOR_KMH = 40.0  # roads driven this fast or faster are drawn wider


def road_layer(batch: Batch, travel: TravelMatrices | None) -> list[dict[str, Any]]:
    """Road polylines near the sites as ``[{"major": bool, "lines": [[[lat, lon], ...]]}]``
    (empty without a road network)."""
    if travel is None or travel.road is None:
        return []
    network = travel.road.router().network
    x, y = site_xy(network, [(s.id, s.lon, s.lat) for s in batch.sites], batch_datum(batch))
    box = shapely.box(
        x.min() - MARGIN_M, y.min() - MARGIN_M, x.max() + MARGIN_M, y.max() + MARGIN_M
    )
    near = shapely.intersects(network.lines, box)
    lines = network.lines[near]
    with np.errstate(divide="ignore", invalid="ignore"):
        major = (network.km[near] / network.minutes[near] * 60.0) >= MAJOR_KMH
    for tolerance in TOLERANCES_M:
        simple = shapely.simplify(lines, tolerance)
        if shapely.get_num_coordinates(simple).sum() <= MAX_POINTS:
            break
    coords, owner = shapely.get_coordinates(simple, return_index=True)
    lon, lat = network.to_wgs84(coords[:, 0], coords[:, 1])
    if batch_datum(batch) == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    latlon = np.round(np.column_stack([lat, lon]), 6)
    parts = np.split(latlon, np.cumsum(np.bincount(owner, minlength=len(simple)))[:-1])
    out = []
    for flag in (False, True):
        chosen = [p.tolist() for p, m in zip(parts, major, strict=True) if m == flag and len(p) > 1]
        if chosen:
            out.append({"major": flag, "lines": chosen})
    return out
