"""Travel between sites: straight-line estimates, explicit matrices and road networks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
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

    def with_copies(self, copies: dict[str, str]) -> TravelMatrices:
        """These matrices with more sites, each (key) a copy of an existing one (value):
        same place, 0 between. A road network's copies are placed on the roads too, so
        legs to them are drawn (their router is built anew when first used)."""
        if not copies:
            return self
        index = self.index()
        take = np.array([*range(len(self.site_ids)), *(index[s] for s in copies.values())])
        ids = [*self.site_ids, *copies]
        km, minutes = self.km[np.ix_(take, take)], self.minutes[np.ix_(take, take)]
        road = self.road
        if road is not None and [s[0] for s in road.sites] == self.site_ids:
            sites = [*road.sites, *((c, *road.sites[index[o]][1:]) for c, o in copies.items())]
            road = replace(
                road,
                site_ids=ids,
                km=km,
                minutes=minutes,
                access_km=road.access_km[take],
                sites=sites,
                _router=None,
            )
        else:
            road = None
        return TravelMatrices(ids, km, minutes, road)


_GIVEN: ContextVar[tuple[Batch, TravelMatrices] | None] = ContextVar("given_travel", default=None)


@contextmanager
def given_travel(batch: Batch, travel: TravelMatrices) -> Iterator[None]:
    """Within the block, ``travel_matrices`` of ``batch`` (or of a batch with the same
    travel settings and a subset of its sites at the same places) is ``travel``, sliced:
    matrices built once by a driver are shared with its tasks, which never rebuild them
    (a worker on another machine may not even have the road file)."""
    token = _GIVEN.set((batch, travel))
    try:
        yield
    finally:
        _GIVEN.reset(token)


def _given_for(batch: Batch) -> TravelMatrices | None:
    """The given matrices over ``batch.sites``, when they are the batch's (see above)."""
    given = _GIVEN.get()
    if given is None or given[0].travel != batch.travel:
        return None
    known, travel = given[0].sites_by_id, given[1]
    if any(
        s.id not in known or (known[s.id].lon, known[s.id].lat) != (s.lon, s.lat)
        for s in batch.sites
    ):
        return None
    ids = [s.id for s in batch.sites]
    if ids == travel.site_ids:
        return travel
    index = travel.index()
    take = np.array([index[s] for s in ids], dtype=int)
    km, minutes = travel.km[np.ix_(take, take)], travel.minutes[np.ix_(take, take)]
    return TravelMatrices(ids, km, minutes)  # leg geometry (road) is by the full ids


def travel_matrices(batch: Batch, base_dir: Path | None = None) -> TravelMatrices:
    """The batch's travel matrices over ``batch.sites`` (in that order).

    A relative road-network path is read from ``base_dir`` (default: the working folder).
    Inside ``given_travel`` the given matrices are used when they fit.
    """
    from optimizer.model import HaversineTravel, MatrixTravel, RoadNetworkTravel

    given = _given_for(batch)
    if given is not None:
        return given
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
