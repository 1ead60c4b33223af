"""benchmarks/osm_write.py: a road network written as OSM reads back with its nodes,
shared end nodes, bend vertices, one-way directions and speeds."""

from __future__ import annotations

import numpy as np
import pytest

osmium = pytest.importorskip("osmium")

from benchmarks.osm_write import write_osm  # noqa: E402

NODES = np.array([[117.0, 36.5], [117.01, 36.5], [117.01, 36.51], [117.0, 36.51]])
# a square: 0-1 two-way with a bend, 1-2 one-way forward, 2-3 one-way backward, 3-0 two-way
LINES = [
    np.array([NODES[0], [117.005, 36.499], NODES[1]]),
    np.array([NODES[1], NODES[2]]),
    np.array([NODES[2], NODES[3]]),
    np.array([NODES[3], NODES[0]]),
]
U, V = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
ONEWAY = np.array([0, 1, -1, 0])
HIGHWAY = ["secondary", "tertiary", "unclassified", "unclassified"]
SPEED = np.array([45.0, 35.0, 20.0, 19.6])


def _read(path) -> tuple[dict, dict]:
    nodes, ways = {}, {}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            nodes[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            ways[obj.id] = ([n.ref for n in obj.nodes], dict(obj.tags))
    return nodes, ways


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_round_trip(tmp_path, suffix):
    path = write_osm(tmp_path / f"roads{suffix}", NODES, LINES, U, V, ONEWAY, HIGHWAY, SPEED)
    nodes, ways = _read(path)
    assert len(nodes) == 5  # four road nodes, one bend vertex
    for i, (lon, lat) in enumerate(NODES):
        assert nodes[i + 1] == pytest.approx((lon, lat), abs=1e-7)
    assert nodes[5] == pytest.approx((117.005, 36.499), abs=1e-7)
    assert ways[1][0] == [1, 5, 2]  # the bend sits between the shared end nodes
    assert [ways[k][0] for k in (2, 3, 4)] == [[2, 3], [3, 4], [4, 1]]
    assert ways[1][1] == {"highway": "secondary", "maxspeed": "45"}
    assert ways[2][1] == {"highway": "tertiary", "maxspeed": "35", "oneway": "yes"}
    assert ways[3][1] == {"highway": "unclassified", "maxspeed": "20", "oneway": "-1"}
    assert ways[4][1] == {"highway": "unclassified", "maxspeed": "20"}  # 19.6 rounds


def test_rewrites_an_existing_file(tmp_path):
    path = tmp_path / "roads.osm.pbf"
    write_osm(path, NODES, LINES, U, V, ONEWAY, HIGHWAY, SPEED)
    write_osm(path, NODES, LINES[:1], U[:1], V[:1], ONEWAY[:1], HIGHWAY[:1], SPEED[:1])
    assert list(_read(path)[1]) == [1]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("oneway", {"oneway": ONEWAY[:3]}),
        ("maxspeed_kmh", {"maxspeed_kmh": SPEED[:2]}),
        ("u, v", {"v": np.array([1, 2, 3, 4])}),
    ],
)
def test_bad_input_names_the_field(tmp_path, field, kwargs):
    args = {
        "u": U,
        "v": V,
        "oneway": ONEWAY,
        "highway": HIGHWAY,
        "maxspeed_kmh": SPEED,
        **kwargs,
    }
    with pytest.raises(ValueError, match=f"^{field}"):
        write_osm(tmp_path / "x.osm.pbf", NODES, LINES, **args)
