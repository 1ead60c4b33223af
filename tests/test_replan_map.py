"""A re-plan after a road closed is drawn on the roads left open: the leg re-routed
around the closed road follows the detour on the map, never the closed road.

Four roads: hub H to villages A and B, and the short road A-B through a bend at
``BEND``. A truck serving A then B drives A-B; with A-B closed it must go back past H.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimizer.geojson import plan_geojson
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.plan import Plan
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.files import write_replan
from optimizer.replan.solve import replan
from optimizer.routing.solve import plan_batch

H, A, B = (120.0, 30.0), (120.02, 30.01), (120.02, 29.99)
BEND = (120.021, 30.0)  # on the road A-B only


def _road(*points: tuple[float, float]) -> dict:
    return {
        "type": "Feature",
        "properties": {"highway": "secondary"},
        "geometry": {"type": "LineString", "coordinates": [list(p) for p in points]},
    }


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Batch, Plan]:
    folder = tmp_path_factory.mktemp("roads")
    roads = {"type": "FeatureCollection", "features": [_road(H, A), _road(H, B), _road(A, BEND, B)]}
    path = folder / "roads.geojson"
    path.write_text(json.dumps(roads), encoding="utf-8")
    sites = [
        {"id": sid, "kind": kind, "lon": p[0], "lat": p[1], "service_min": 10}
        for sid, kind, p in (("H", "hub", H), ("A", "station", A), ("B", "station", B))
    ]
    batch = Batch.model_validate(
        {
            "name": "closed-road-map",
            "travel": {"mode": "road_network", "path": str(path), "oneway_field": None},
            "sites": sites,
            "products": [{"id": "parcel", "category": "parcels"}],
            "orders": [
                {"id": f"d{s}", "kind": "delivery", "site": s, "product": "parcel", "kg": 10}
                for s in ("A", "B")
            ],
            "fleet": [
                {"id": "van", "count": 2, "capacity_kg": 1000, "capacity_m3": 10},
            ],
        }
    )
    return batch, plan_batch(batch, time_limit_s=1, baseline=False)


def _near_bend(geojson: dict) -> bool:
    """Whether any route line passes the bend of the road A-B."""
    for feature in geojson["features"]:
        if feature["properties"]["kind"] != "route":
            continue
        for lon, lat in feature["geometry"]["coordinates"]:
            if abs(lon - BEND[0]) < 1e-5 and abs(lat - BEND[1]) < 1e-5:
                return True
    return False


def test_a_leg_rerouted_around_a_closed_road_is_drawn_around_it(
    day: tuple[Batch, Plan], tmp_path: Path
) -> None:
    batch, plan = day
    (route,) = plan.routes
    assert [s.site for s in route.stops][1:3] in (["A", "B"], ["B", "A"])
    assert _near_bend(plan_geojson(batch, plan, travel_matrices(batch)))  # drives A-B
    now = route.stops[0].departure + 1  # on the way to its first village
    events = Events.model_validate({"now": now, "road_closed": [{"road": ["A", "B"]}]})
    result = replan(batch, plan, events, time_limit_s=0.5)
    assert validate_replan(batch, plan, events, result.plan, result.day) == []
    stops = [s.site for s in result.plan.routes[0].stops]
    assert stops[1:3] == [s.site for s in route.stops][1:3]  # still A then B (or B then A)
    write_replan(tmp_path, result, "en", report=False)
    drawn = json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8"))
    assert not _near_bend(drawn)
    (line,) = [f for f in drawn["features"] if f["properties"]["kind"] == "route"]
    coords = [tuple(c) for c in line["geometry"]["coordinates"]]
    # The detour passes the hub between the two villages.
    first, second = (A, B) if stops[1] == "A" else (B, A)
    at = [min(range(len(coords)), key=lambda k, p=p: _dist(coords[k], p)) for p in (first, second)]
    assert any(_dist(c, H) < 1e-5 for c in coords[at[0] : at[1]])


def test_a_rescue_after_a_breakdown_is_drawn_on_the_roads(
    day: tuple[Batch, Plan], tmp_path: Path
) -> None:
    """The goods of a truck down at its first village wait at a copy of that site; the
    truck fetching them drives on to the other village along the roads (past the bend),
    not in a straight line."""
    batch, plan = day
    (route,) = plan.routes
    now = route.stops[1].departure + 1
    events = Events.model_validate({"now": now, "vehicle_down": [{"vehicle": route.vehicle}]})
    result = replan(batch, plan, events, time_limit_s=0.5)
    assert validate_replan(batch, plan, events, result.plan, result.day) == []
    assert any(s.id.startswith("down:") for s in result.day.sites)
    assert result.residual.day_travel.road is not None
    assert len(result.plan.routes) == 2 and all(o.served for o in result.plan.orders)
    write_replan(tmp_path, result, "en", report=False)
    drawn = json.loads((tmp_path / "plan.geojson").read_text(encoding="utf-8"))
    assert _near_bend(drawn)


def _dist(p: tuple[float, float], q: tuple[float, float]) -> float:
    return max(abs(p[0] - q[0]), abs(p[1] - q[1]))
