"""Travel between sites: straight-line estimates, explicit matrices and road networks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.model import Batch, HaversineTravel, MatrixTravel
from optimizer.network.haversine import haversine_matrices


@dataclass(frozen=True)
class TravelMatrices:
    """km and minutes between sites, rows and columns in ``site_ids`` order."""

    site_ids: list[str]
    km: np.ndarray
    minutes: np.ndarray

    def index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.site_ids)}


def travel_matrices(batch: Batch) -> TravelMatrices:
    """The batch's travel matrices over ``batch.sites`` (in that order)."""
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
    raise TypeError(f"unknown travel mode {type(travel).__name__}")
