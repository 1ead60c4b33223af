"""GCJ-02 ⇄ WGS-84 against published reference pairs.

Reference pairs (WGS-84 lat/lng → GCJ-02 lat/lng) are the test vectors of
googollee/eviltransform (python/test.py and go/transform_test.go: Shanghai, Shenzhen,
Beijing); that library's test also requires its exact inverse to land within 0.5 m.
The Beijing pair 116.404, 39.915 → 116.41024449916938, 39.91640428150164 is the
wgs84togcj02 example used across the wandergis/coordtransform ports.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.network.gcj02 import gcj02_to_wgs84, out_of_china, wgs84_to_gcj02
from optimizer.network.haversine import great_circle_km

EVILTRANSFORM = [  # wgs lat, wgs lng, gcj lat, gcj lng
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def _metres(lon1, lat1, lon2, lat2) -> float:
    km = great_circle_km(np.array([lon1, lon2]), np.array([lat1, lat2]))[0, 1]
    return float(km * 1000)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_wgs_to_gcj_reference(wlat, wlng, glat, glng):
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_gcj_to_wgs_reference_within_half_a_metre(wlat, wlng, glat, glng):
    lon, lat = gcj02_to_wgs84(glng, glat)
    assert _metres(float(lon), float(lat), wlng, wlat) < 0.5


def test_coordtransform_example():
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert (float(lon), float(lat)) == pytest.approx((116.41024449916938, 39.91640428150164))


def test_round_trip_vectorised_across_china():
    rng = np.random.default_rng(0)
    lon = rng.uniform(75, 134, 2000)
    lat = rng.uniform(18, 53, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    offset = np.hypot((glon - lon) * 111 * np.cos(np.radians(lat)), (glat - lat) * 111)
    assert np.median(offset) > 0.1 and offset.max() < 1.5  # a shift of some hundred metres
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    err_m = np.hypot((wlon - lon) * 111e3 * np.cos(np.radians(lat)), (wlat - lat) * 111e3)
    assert err_m.max() < 0.01


def test_outside_china_is_unchanged():
    lon = np.array([2.35, -74.0, 139.7])
    lat = np.array([48.85, 40.7, 35.7])
    assert out_of_china(lon, lat).all()
    for f in (wgs84_to_gcj02, gcj02_to_wgs84):
        out = f(lon, lat)
        np.testing.assert_array_equal(out[0], lon)
        np.testing.assert_array_equal(out[1], lat)
