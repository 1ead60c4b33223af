"""A plan as GeoJSON: sites as points, routes as lines (stop to stop)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from optimizer.model import Batch, format_clock
from optimizer.network import TravelMatrices
from optimizer.plan import Plan, Route
from optimizer.validate import Changed


def batch_datum(batch: Batch) -> str:
    """The datum of the batch's lon/lat: ``gcj02`` (Chinese web maps) when its road
    network travel says so, else ``wgs84``."""
    return getattr(batch.travel, "coords", "wgs84")


def plan_geojson(
    batch: Batch,
    plan: Plan,
    travel: TravelMatrices | None = None,
    after: Changed | None = None,
) -> dict[str, Any]:
    """FeatureCollection of sites (with the orders served there) and one line per route.

    With road travel (``travel.road``) each route follows the roads of its legs;
    otherwise it joins its stops with straight segments. ``after``: travel that changed
    during the day (a re-plan's closed roads): the legs it covers follow its roads, so a
    leg re-routed around a closed road is drawn around it. Everything is in the batch's
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
    road_legs = _road_legs(plan, travel, after, batch_datum(batch))
    for route in plan.routes:
        coords = [[sites[s.site].lon, sites[s.site].lat] for s in route.stops]
        if road_legs:
            coords = _along_roads(route, road_legs, after) or coords
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


Leg = tuple[str, str, bool]  # from site, to site, whether ``after`` covers it


def _legs(route: Route, after: Changed | None) -> list[Leg]:
    """The route's legs between two different sites."""
    return [
        (a.site, b.site, after is not None and after.covers(route.vehicle, i))
        for i, (a, b) in enumerate(pairwise(route.stops), start=1)
        if a.site != b.site
    ]


def _road_legs(
    plan: Plan, travel: TravelMatrices | None, after: Changed | None, datum: str
) -> dict[Leg, list]:
    """Road polyline of every distinct leg of the plan, in ``datum``: on ``after``'s roads
    for the legs it covers, else on ``travel``'s; one batch per road network."""
    legs = sorted({leg for r in plan.routes for leg in _legs(r, after)})
    out: dict[Leg, list] = {}
    for changed, tm in ((False, travel), (True, after.travel if after else None)):
        mine = [leg for leg in legs if leg[2] == changed]
        if tm is None or tm.road is None or not mine:
            continue
        lines = tm.road.route_lonlat([leg[:2] for leg in mine], coords=datum)
        out |= {leg: line.tolist() for leg, line in zip(mine, lines, strict=True)}
    return out


def _along_roads(route: Route, legs: dict[Leg, list], after: Changed | None) -> list:
    coords: list = []
    for leg in _legs(route, after):
        line = legs.get(leg, [])
        coords.extend(line[1:] if coords and line else line)
    return coords
