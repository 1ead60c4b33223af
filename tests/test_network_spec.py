"""The road_network travel spec."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from optimizer.network.spec import DEFAULT_SPEEDS_KMH, RoadNetworkTravel


def test_defaults_follow_domain_speeds():
    spec = RoadNetworkTravel.model_validate({"mode": "road_network", "path": "roads.gpkg"})
    assert spec.class_field == "highway" and spec.oneway_field == "oneway"
    assert spec.access_speed_kmh == 15 and spec.max_snap_km == 2 and spec.coords == "wgs84"
    table = spec.speed_table()
    assert (table["county"], table["township"], table["village"]) == (45, 35, 20)
    assert (table["motorway"], table["trunk"], table["primary"], table["secondary"]) == (
        80,
        60,
        55,
        45,
    )
    assert (table["tertiary"], table["unclassified"], table["residential"]) == (35, 30, 20)
    assert (table["service"], table["track"]) == (15, 12)
    assert table["县道"] == table["county"]


def test_overrides_are_case_insensitive_and_do_not_touch_the_defaults():
    spec = RoadNetworkTravel(
        mode="road_network", path="r.geojson", speeds_kmh={" Village ": 25, "farm_road": 10}
    )
    assert spec.speed_table()["village"] == 25 and spec.speed_table()["farm_road"] == 10
    assert DEFAULT_SPEEDS_KMH["village"] == 20


@pytest.mark.parametrize(
    "bad",
    [
        {"path": "r.gpkg", "speed_kmh": 30},  # extra field
        {"path": "r.gpkg", "speeds_kmh": {"county": 0}},
        {"path": "r.gpkg", "coords": "bd09"},
        {"path": ""},
        {"path": "r.gpkg", "access_speed_kmh": 0},
    ],
)
def test_rejects(bad):
    with pytest.raises(ValidationError):
        RoadNetworkTravel.model_validate({"mode": "road_network", **bad})
