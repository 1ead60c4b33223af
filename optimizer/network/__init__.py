"""Travel between sites: straight-line estimates, explicit matrices and road networks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.network.haversine import haversine_matrices

if TYPE_CHECKING:
    from optimizer.model import Batch


@dataclass(frozen=True)
class TravelMatrices:
    """km and minutes between sites, rows and columns in ``site_ids`` order.

    ``road`` is the road-network result (``network.matrix.RoadMatrices``) when travel
    comes from roads: it draws leg geometry and carries the warnings.
    """

    site_ids: list[str]
    km: np.ndarray
    minutes: np.ndarray
    road: Any = field(default=None, compare=False)

    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.site_ids)}

    @property
    def warnings(self) -> list[str]:
        return list(self.road.warnings) if self.road is not None else []


def travel_matrices(batch: Batch, base_dir: Path | None = None) -> TravelMatrices:
    """The batch's travel matrices over ``batch.sites`` (in that order).

    A relative road-network path is read from ``base_dir`` (default: the working folder).
    """
    from optimizer.model import HaversineTravel, MatrixTravel, RoadNetworkTravel

    ids = [s.id for s in batch.sites]
    travel = batch.travel
    if isinstance(travel, HaversineTravel):
        lon = np.array([s.lon for s in batch.sites])
        lat = np.array([s.lat for s in batch.sites])
        km, minutes = haversine_matrices(
            lon, lat, travel.circuity, travel.speed_kmh, travel.access_min
        )
        return TravelMatrices(ids, km, minutes)
    if isinstance(travel, MatrixTravel):
        pos = {s: i for i, s in enumerate(travel.site_ids)}
        take = np.array([pos[s] for s in ids], dtype=int)
        km = np.asarray(travel.km, dtype=float)[np.ix_(take, take)]
        minutes = np.asarray(travel.minutes, dtype=float)[np.ix_(take, take)]
        return TravelMatrices(ids, km, minutes)
    if isinstance(travel, RoadNetworkTravel):
        from optimizer.network.matrix import road_matrices

        sites = [(s.id, s.lon, s.lat) for s in batch.sites]
        road = road_matrices(sites, travel, base_dir or Path.cwd())
        return TravelMatrices(ids, road.km, road.minutes, road)
    raise TypeError(f"unknown travel mode {type(travel).__name__}")
