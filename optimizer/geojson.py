"""A plan as GeoJSON: sites as points, routes as lines (stop to stop)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from optimizer.model import Batch, format_clock
from optimizer.network import TravelMatrices
from optimizer.plan import Plan, Stop


def batch_datum(batch: Batch) -> str:
    """The datum of the batch's lon/lat: ``gcj02`` (Chinese web maps) when its road
    network travel says so, else ``wgs84``."""
    return getattr(batch.travel, "coords", "wgs84")


def plan_geojson(batch: Batch, plan: Plan, travel: TravelMatrices | None = None) -> dict[str, Any]:
    """FeatureCollection of sites (with the orders served there) and one line per route.

    With road travel (``travel.road``) each route follows the roads of its legs;
    otherwise it joins its stops with straight segments. Everything is in the batch's
    datum (``batch_datum``): road legs of a GCJ-02 batch are converted from the roads'
    WGS-84, so a line starts and ends where its sites are.
    """
    sites = batch.sites_by_id
    features: list[dict[str, Any]] = []
    orders_at: dict[str, list[str]] = {}
    for order in batch.orders:
        orders_at.setdefault(order.site, []).append(order.id)
    for site in batch.sites:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
                "properties": {
                    "kind": "site",
                    "id": site.id,
                    "name": site.name,
                    "site_kind": site.kind,
                    "orders": orders_at.get(site.id, []),
                },
            }
        )
    road_legs = _road_legs(plan, travel, batch_datum(batch))
    for route in plan.routes:
        coords = [[sites[s.site].lon, sites[s.site].lat] for s in route.stops]
        if road_legs:
            coords = _along_roads(route.stops, road_legs) or coords
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {
                    "kind": "route",
                    "vehicle": route.vehicle,
                    "vehicle_type": route.vehicle_type,
                    "km": round(route.km, 3),
                    "cost": round(route.cost.total, 2),
                    "stops": [s.site for s in route.stops],
                    "start": format_clock(route.stops[0].start),
                    "end": format_clock(route.stops[-1].departure),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _road_legs(
    plan: Plan, travel: TravelMatrices | None, datum: str
) -> dict[tuple[str, str], list]:
    """Road polyline of every distinct leg of the plan, drawn in one batch, in ``datum``."""
    if travel is None or travel.road is None:
        return {}
    pairs = sorted(
        {
            (a.site, b.site)
            for r in plan.routes
            for a, b in zip(r.stops, r.stops[1:], strict=False)
            if a.site != b.site
        }
    )
    lines = travel.road.route_lonlat(pairs, coords=datum) if pairs else []
    return {pair: line.tolist() for pair, line in zip(pairs, lines, strict=True)}


def _along_roads(stops: list[Stop], legs: dict[tuple[str, str], list]) -> list:
    coords: list = []
    for a, b in pairwise(stops):
        line = legs.get((a.site, b.site), [])
        coords.extend(line[1:] if coords and line else line)
    return coords
