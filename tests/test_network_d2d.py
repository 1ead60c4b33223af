"""The compiled door-to-door assembly against the numpy formula it replaced."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.network.d2d import assemble
from optimizer.network.matrix import SHIFT


def _numpy_door_to_door(packed, q_min, q_km, acc_min, acc_km, xy):
    t = np.floor(packed / SHIFT)
    road_min, road_km = t * q_min, (packed - t * SHIFT) * q_km
    minutes = acc_min[:, None] + road_min + acc_min[None, :]
    km = acc_km[:, None] + road_km + acc_km[None, :]
    same = (xy[:, None, :] == xy[None, :, :]).all(axis=2)
    minutes[same] = 0.0
    km[same] = 0.0
    return km, minutes


@pytest.mark.parametrize("threads", [1, 3])
def test_assembly_is_bit_identical_to_numpy_with_shared_points(threads):
    rng = np.random.default_rng(7)
    n = 150
    packed = rng.integers(0, 2**20, (n, n)) * SHIFT + rng.integers(0, 2**25, (n, n))
    acc_min, acc_km = rng.random(n) * 3, rng.random(n)
    xy = rng.random((n, 2)) * 1e4
    xy[[4, 9, 120]] = xy[60]  # four sites at one point: zero among them
    q_min, q_km = 1.2345e-4, 6.789e-6
    km, minutes = assemble(packed, q_min, q_km, acc_min, acc_km, xy, threads=threads)
    want_km, want_min = _numpy_door_to_door(packed, q_min, q_km, acc_min, acc_km, xy)
    assert np.array_equal(km, want_km) and np.array_equal(minutes, want_min)
    assert minutes[4, 120] == 0.0 and minutes[60, 9] == 0.0 and minutes[4, 5] > 0.0
