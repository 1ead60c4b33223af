"""Synthetic road layers: structure, circuity, determinism, and the large benchmark mesh."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from optimizer.network.haversine import great_circle_km
from optimizer.network.matrix import road_matrices
from optimizer.network.roads import load_roads
from optimizer.network.spec import RoadNetworkTravel
from optimizer.network.synthetic import synthetic_large_network, synthetic_roads, write_roads


def _county(seed: int = 0) -> tuple[list[tuple[float, float]], list[int]]:
    """12 seats 8-22 km around a hub, 12 villages within 6 km of each."""
    rng = np.random.default_rng(seed)
    seats = [(117.0, 36.5)]
    for _ in range(11):
        ang, r = rng.uniform(0, 2 * np.pi), rng.uniform(8, 22)
        seats.append((117.0 + r * np.cos(ang) / 89.6, 36.5 + r * np.sin(ang) / 111.0))
    pts = list(seats)
    for lon, lat in seats:
        for _ in range(12):
            ang, r = rng.uniform(0, 2 * np.pi), rng.uniform(1, 6)
            pts.append((lon + r * np.cos(ang) / 89.6, lat + r * np.sin(ang) / 111.0))
    return pts, list(range(len(seats)))


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    pts, seats = _county()
    gdf = synthetic_roads(pts, seats, seed=5)
    path = write_roads(gdf, tmp_path_factory.mktemp("roads") / "county.geojson")
    return pts, gdf, path


def test_classes_oneway_and_connectivity(county):
    pts, gdf, path = county
    assert set(gdf.highway) == {"county", "township", "village"}
    assert set(gdf.oneway) <= {"no", "yes", "-1"} and (gdf.oneway != "no").sum() >= 2
    assert gdf.crs.to_epsg() == 4326
    net = load_roads(RoadNetworkTravel(mode="road_network", path=str(path)), path.parent)
    assert net.report.messages() == []  # nothing dropped: strongly connected as made
    assert net.n_nodes == len(pts)


def test_circuity_is_rural_like(county):
    pts, _, path = county
    spec = RoadNetworkTravel(mode="road_network", path=str(path))
    sites = [(f"p{i}", lon, lat) for i, (lon, lat) in enumerate(pts)]
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    straight = great_circle_km(lon, lat)
    far = straight > 1.0
    same_speed = spec.model_copy(
        update={"speeds_kmh": {"county": 30, "township": 30, "village": 30}}
    )
    shortest = road_matrices(sites, same_speed, path.parent, use_cache=False).km[far]
    quickest = road_matrices(sites, spec, path.parent, use_cache=False).km[far]
    # domain.md §1.5: shortest routes 1.2-1.3 × straight, quickest 1.35-1.43
    assert 1.18 < np.median(shortest / straight[far]) < 1.32
    assert 1.3 < np.median(quickest / straight[far]) < 1.45


def test_lines_are_bent_between_their_ends(county):
    _, gdf, _ = county
    utm = gdf.to_crs(gdf.estimate_utm_crs())
    geoms = utm.geometry.values
    chord = shapely.distance(shapely.get_point(geoms, 0), shapely.get_point(geoms, -1))
    ratio = utm.length.to_numpy() / chord
    assert ratio.min() > 1.02 and ratio.max() < 1.2


def test_deterministic_by_seed():
    pts, seats = _county(1)
    a = synthetic_roads(pts[:40], seats[:3], seed=2)
    b = synthetic_roads(pts[:40], seats[:3], seed=2)
    c = synthetic_roads(pts[:40], seats[:3], seed=3)
    assert a.geometry.geom_equals_exact(b.geometry, 0).all()
    assert a.oneway.tolist() == b.oneway.tolist()
    assert not a.geometry.geom_equals_exact(c.geometry, 1e-9).all()


def test_tiny_inputs():
    assert len(synthetic_roads([(117.0, 36.0)], [0], seed=0)) == 0
    two = synthetic_roads([(117.0, 36.0), (117.01, 36.0)], [0], seed=0)
    assert len(two) == 1
    line = synthetic_roads([(117.0, 36.0), (117.01, 36.0), (117.02, 36.0)], [0], seed=0)
    assert len(line) == 2  # collinear points: a chain


def test_large_network_has_the_edges_asked_for(tmp_path):
    gdf = synthetic_large_network(5000, seed=1, area_km2=50)
    assert len(gdf) >= 5000
    assert set(gdf.highway) == {"county", "township", "village"}
    path = write_roads(gdf, tmp_path / "big.gpkg")
    net = load_roads(RoadNetworkTravel(mode="road_network", path=str(path)), tmp_path)
    assert len(net.lines) > 0.95 * len(gdf)  # a few cut-off corners at most
