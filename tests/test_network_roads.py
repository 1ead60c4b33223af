"""Loading road layers: formats, CRS, cleaning, classes, one-way, strong connectivity."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from optimizer.network.errors import RoadNetworkError
from optimizer.network.roads import _split_at_junctions, load_roads
from optimizer.network.spec import DEFAULT_SPEEDS_KMH, FALLBACK_SPEED_KMH, RoadNetworkTravel

# a 3-node triangle around lon 117, lat 36 plus a spur: enough to be strongly connected
A, B, C, D = (117.0, 36.0), (117.01, 36.0), (117.005, 36.008), (117.02, 36.0)


def _spec(path: str | Path, **kw) -> RoadNetworkTravel:
    return RoadNetworkTravel(mode="road_network", path=str(path), **kw)


def _feature(coords, props=None, kind="LineString"):
    geom = None if coords is None else {"type": kind, "coordinates": coords}
    return {"type": "Feature", "properties": props or {"highway": "county"}, "geometry": geom}


def _geojson(tmp_path: Path, features: list[dict], name: str = "roads.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _triangle() -> list[dict]:
    return [_feature([A, B]), _feature([B, C]), _feature([C, A])]


def test_loads_geojson_and_projects_to_utm(tmp_path):
    net = load_roads(_spec(_geojson(tmp_path, _triangle())), tmp_path)
    assert net.crs.to_epsg() == 32650
    assert net.n_nodes == 3 and len(net.lines) == 3
    assert net.km[0] == pytest.approx(0.9, rel=0.01)  # 0.01° of lon at 36° N ≈ 0.90 km
    assert net.minutes[0] == pytest.approx(net.km[0] / 45 * 60)
    assert net.report.messages() == []


def test_missing_file(tmp_path):
    with pytest.raises(RoadNetworkError, match=r"not found: .*nowhere\.gpkg"):
        load_roads(_spec("nowhere.gpkg"), tmp_path)


def test_unreadable_file(tmp_path):
    bad = tmp_path / "roads.geojson"
    bad.write_text("this is not json")
    with pytest.raises(RoadNetworkError, match="cannot read road network"):
        load_roads(_spec(bad), tmp_path)


def test_no_line_geometries(tmp_path):
    path = _geojson(tmp_path, [_feature(A, kind="Point"), _feature(B, kind="Point")])
    with pytest.raises(RoadNetworkError, match=r"no line geometries \(2 features: 2 Point"):
        load_roads(_spec(path), tmp_path)


def test_empty_and_invalid_geometries_are_dropped_and_counted(tmp_path):
    features = [
        *_triangle(),
        _feature(None),  # no geometry
        _feature([A, A]),  # zero length: invalid
        _feature(C, kind="Point"),
    ]
    net = load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    assert len(net.lines) == 3
    (msg,) = net.report.messages()
    assert "1 empty or missing geometries" in msg
    assert "1 invalid lines" in msg
    assert "features that are not lines (1 Point)" in msg


def test_only_invalid_geometries_are_fatal(tmp_path):
    path = _geojson(tmp_path, [_feature([A, A]), _feature([B, B]), _feature(None)])
    with pytest.raises(RoadNetworkError, match="no usable road line: 3 features, 1 empty, 2 inv"):
        load_roads(_spec(path), tmp_path)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"highway": ["county"] * 3},
        geometry=[
            shapely.LineString([A, B]),
            shapely.LineString([B, C]),
            shapely.LineString([C, A]),
        ],
        crs=None,
    )
    path = tmp_path / "roads.shp"
    gdf.to_file(path, engine="pyogrio")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(RoadNetworkError, match="no coordinate reference system"):
        load_roads(_spec(path), tmp_path)


def test_metres_labelled_as_degrees(tmp_path):
    lines = [
        shapely.LineString([(500000, 4e6), (501000, 4e6)]),
        shapely.LineString([(501000, 4e6), (500000, 4e6 + 900)]),
    ]
    gdf = gpd.GeoDataFrame({"highway": ["county"] * 2}, geometry=lines, crs="EPSG:4326")
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path, engine="pyogrio")
    with pytest.raises(RoadNetworkError, match="CRS is wrong or missing"):
        load_roads(_spec(path), tmp_path)


def test_projected_input_keeps_its_lengths(tmp_path):
    pts = [(500000, 4e6), (501000, 4e6), (500500, 4e6 + 866.0254)]
    lines = [
        shapely.LineString([pts[0], pts[1]]),
        shapely.LineString([pts[1], pts[2]]),
        shapely.LineString([pts[2], pts[0]]),
    ]
    gdf = gpd.GeoDataFrame({"highway": ["village"] * 3}, geometry=lines, crs="EPSG:32650")
    path = tmp_path / "roads.gpkg"
    gdf.to_file(path, engine="pyogrio")
    net = load_roads(_spec(path), tmp_path)
    np.testing.assert_allclose(net.km, 1.0, rtol=1e-7)


def test_unknown_and_overridden_classes(tmp_path):
    features = [
        _feature([A, B], {"highway": "footway"}),
        _feature([B, C], {"highway": "Track"}),
        _feature([C, A], {"highway": "primary_link"}),
        _feature([B, D], {"highway": None}),
    ]
    net = load_roads(_spec(_geojson(tmp_path, features), speeds_kmh={"TRACK": 9}), tmp_path)
    speed = net.km / net.minutes * 60
    np.testing.assert_allclose(
        speed, [FALLBACK_SPEED_KMH, 9, DEFAULT_SPEEDS_KMH["primary"], FALLBACK_SPEED_KMH]
    )
    (msg,) = net.report.messages()
    assert "'footway' (1)" in msg and "'(none)' (1)" in msg and "speeds_kmh" in msg


def test_missing_class_field(tmp_path):
    features = [_feature([A, B], {"grade": "county"})]
    with pytest.raises(RoadNetworkError, match=r"no 'highway' attribute.*one of: grade"):
        load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    net = load_roads(
        _spec(
            _geojson(
                tmp_path,
                [_feature([A, B], {"grade": "county"}), _feature([B, A], {"grade": "village"})],
            ),
            class_field="grade",
        ),
        tmp_path,
    )
    assert len(net.lines) == 2


def test_oneway_values_and_scc_report(tmp_path):
    features = [
        _feature([A, B], {"highway": "county", "oneway": "yes"}),
        _feature([B, C], {"highway": "county", "oneway": "1"}),
        _feature([A, C], {"highway": "county", "oneway": "-1"}),  # C→A, closes the cycle
        _feature([B, D], {"highway": "county", "oneway": "true"}),  # one-way dead end
    ]
    net = load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    assert net.oneway.tolist() == [1, 1, -1]
    (msg,) = net.report.messages()
    assert "dropped 1 nodes and 1 lines outside the largest strongly connected part" in msg
    # a one-way attribute named but absent is an error; none at all means two-way
    with pytest.raises(RoadNetworkError, match="no 'dir' attribute for one-way roads"):
        load_roads(_spec(_geojson(tmp_path, features), oneway_field="dir"), tmp_path)
    net2 = load_roads(_spec(_geojson(tmp_path, features), oneway_field=None), tmp_path)
    assert len(net2.lines) == 4 and (net2.oneway == 0).all()
    net3 = load_roads(_spec(_geojson(tmp_path, _triangle())), tmp_path)  # no 'oneway' field
    assert (net3.oneway == 0).all() and net3.report.messages() == []


def test_multilines_are_exploded(tmp_path):
    features = [_feature([[A, B], [B, C]], kind="MultiLineString"), _feature([C, A])]
    net = load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    assert len(net.lines) == 3 and net.n_nodes == 3


def test_lines_meet_only_at_shared_endpoints(tmp_path):
    # two lines crossing in an X without a shared vertex do not connect (an overpass)
    ne, nw = (117.01, 36.008), (117.0, 36.008)
    features = [_feature([A, ne]), _feature([ne, A]), _feature([nw, B]), _feature([B, nw])]
    assert shapely.LineString([A, ne]).crosses(shapely.LineString([nw, B]))
    net = load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    assert net.n_nodes == 2 and net.report.scc_nodes_dropped == 2


def test_geopackage_layers(tmp_path):
    path = tmp_path / "county.gpkg"
    roads = gpd.GeoDataFrame(
        {"highway": ["county"] * 3},
        geometry=[
            shapely.LineString([A, B]),
            shapely.LineString([B, C]),
            shapely.LineString([C, A]),
        ],
        crs="EPSG:4326",
    )
    roads.to_file(path, layer="roads", engine="pyogrio")
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.Point(A)], crs="EPSG:4326").to_file(
        path, layer="villages", engine="pyogrio"
    )
    assert len(load_roads(_spec(path), tmp_path).lines) == 3  # the one line layer
    assert len(load_roads(_spec(path, layer="roads"), tmp_path).lines) == 3
    with pytest.raises(RoadNetworkError, match="no layer 'rivers'; its layers are: roads"):
        load_roads(_spec(path, layer="rivers"), tmp_path)
    roads.to_file(path, layer="roads_2020", engine="pyogrio")
    with pytest.raises(RoadNetworkError, match=r"has 3 layers .* set travel\.layer"):
        load_roads(_spec(path), tmp_path)


def test_osm_pbf_via_pyrosm(tmp_path):
    pyrosm = pytest.importorskip("pyrosm")
    net = load_roads(_spec(pyrosm.get_data("test_pbf")), tmp_path)
    assert net.n_nodes > 100 and (net.oneway != 0).any()
    assert set(net.road_class) <= set(DEFAULT_SPEEDS_KMH) | {
        c for c in net.road_class if c.endswith("_link")
    }
    # nodes are junctions and way ends, not every bend
    assert net.n_nodes < 0.6 * len(shapely.get_coordinates(net.lines))


def test_pbf_without_pyrosm_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrosm", None)
    path = tmp_path / "county.osm.pbf"
    path.write_bytes(b"\x00")
    with pytest.raises(RoadNetworkError, match="needs pyrosm"):
        load_roads(_spec(path), tmp_path)


def test_osm_ways_split_at_shared_vertices():
    ways = gpd.GeoDataFrame(
        {"highway": ["primary", "residential"]},
        geometry=[
            shapely.LineString([(0, 0), (1, 0), (2, 0), (3, 0)]),
            shapely.LineString([(2, 0), (2, 1)]),
        ],
        crs="EPSG:4326",
    )
    out = _split_at_junctions(ways)
    assert [list(g.coords) for g in out.geometry] == [
        [(0, 0), (1, 0), (2, 0)],
        [(2, 0), (3, 0)],
        [(2, 0), (2, 1)],
    ]
    assert out.highway.tolist() == ["primary", "primary", "residential"]


def test_tags_are_normalised_and_z_and_bends_are_handled(tmp_path):
    # padded/upper-case tags, a missing one-way tag, a roundabout, 3-D lines with a bend
    mid = (117.005, 36.001, 7.0)
    features = [
        _feature([(*A, 5.0), mid, (*B, 9.0)], {"highway": " County ", "oneway": " YES "}),
        _feature([B, C], {"highway": "COUNTY", "oneway": None, "junction": "Roundabout"}),
        _feature([C, A], {"highway": "county", "oneway": "Reverse", "junction": None}),
        _feature([A, C], {"highway": None, "oneway": "no", "junction": None}),
    ]
    net = load_roads(_spec(_geojson(tmp_path, features)), tmp_path)
    assert net.road_class.tolist() == ["county", "county", "county", ""]
    assert net.oneway.tolist() == [1, 1, -1, 0]
    assert not shapely.has_z(net.lines).any() and net.n_nodes == 3
    assert shapely.get_num_coordinates(net.lines).tolist() == [3, 2, 2, 2]
    # the bent line's ends are its first and last vertices: A and B are nodes
    xy = net.node_xy[[net.u[0], net.v[0]]]
    lon, lat = net.to_wgs84(xy[:, 0], xy[:, 1])
    assert np.allclose(np.c_[lon, lat], [A, B], atol=1e-9)
