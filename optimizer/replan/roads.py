"""Roads of a road network closed during the day (``road_closed`` with ``road``): the
day's matrices recomputed without them, for the re-plan (``residual``) and its checks
(``check``): every leg driven after ``now`` is measured on what is left."""

from __future__ import annotations

from optimizer.errors import Said
from optimizer.model import Batch, RoadNetworkTravel, Site
from optimizer.network import TravelMatrices
from optimizer.network.closures import Closure, closed_road_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.replan.events import Events


def road_problems(batch: Batch, events: Events) -> list[tuple[str, str]]:
    """(path, reason) per road closure that cannot be: not a road network, unknown site."""
    out: list[tuple[str, str]] = []
    for i, r in enumerate(events.road_closed):
        if r.road is None:
            continue
        if not isinstance(batch.travel, RoadNetworkTravel):
            out.append((f"road_closed[{i}].road", Said("replan.err.not_roads")))
            continue
        for k, end in enumerate(r.road):
            if isinstance(end, str) and end not in batch.sites_by_id:
                out.append((f"road_closed[{i}].road[{k}]", Said("replan.err.site", id=end)))
    return out


def _closures(batch: Batch, events: Events) -> tuple[list[int], list[Closure]]:
    """The road closures as network closures, with the index of each in the events."""
    index, out = [], []
    for i, r in enumerate(events.road_closed):
        if r.road is None:
            continue
        ends = []
        for end in r.road:
            site = batch.sites_by_id[end] if isinstance(end, str) else None
            ends.append((site.lon, site.lat) if site is not None else tuple(end))
        index.append(i)
        out.append(Closure(ends[0], ends[1], r.both_ways))  # type: ignore[arg-type]
    return index, out


def closed_travel(batch: Batch, sites: list[Site], events: Events) -> TravelMatrices | None:
    """Matrices over ``sites`` on ``batch``'s road network without the closed roads (its
    ``road`` draws legs on that network); None when no road is closed.
    ``RoadNetworkError`` naming the closure as ``path`` when a road cannot be found or a
    site is cut off."""
    index, closures = _closures(batch, events)
    if not closures:
        return None
    assert isinstance(batch.travel, RoadNetworkTravel)
    points = [(s.id, s.lon, s.lat) for s in sites]
    try:
        road = closed_road_matrices(points, batch.travel, closures)
    except RoadNetworkError as e:
        which = index[getattr(e, "index", 0)]
        e.path = f"road_closed[{which}].road"  # type: ignore[attr-defined]
        raise
    return TravelMatrices(road.site_ids, road.km, road.minutes, road)
