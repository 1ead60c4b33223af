"""A plan as GeoJSON: sites as points, routes as lines (stop to stop)."""

from __future__ import annotations

from typing import Any

from optimizer.model import Batch, format_clock
from optimizer.plan import Plan


def plan_geojson(batch: Batch, plan: Plan) -> dict[str, Any]:
    """FeatureCollection of sites (with the orders served there) and one line per route."""
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
    for route in plan.routes:
        coords = [[sites[s.site].lon, sites[s.site].lat] for s in route.stops]
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
