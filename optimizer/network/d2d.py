"""Door-to-door assembly of a packed road matrix, compiled and split over threads.

The numpy version (decode, two broadcast sums, an (n × n × 2) comparison of site points)
made a dozen n × n temporaries: on 2,000 sites it took as long as the many-to-many query
itself. This kernel does the same float operations in the same order per cell, so its
minutes and km are bit-identical to it, in one pass over the matrix.
"""

from __future__ import annotations

import numba
import numpy as np

from optimizer.network.ch import default_threads, in_ranges
from optimizer.network.matrix import SHIFT


@numba.njit(cache=True, nogil=True)
def _rows(packed, q_min, q_km, acc_min, acc_km, group, minutes, lo, hi, km):
    """Rows ``lo:hi``: access + decoded road part + access; 0 within a group of sites
    at the same point (the diagonal included)."""
    n = packed.shape[1]
    for i in range(lo, hi):
        for j in range(n):
            if group[i] == group[j]:
                minutes[i, j] = 0.0
                km[i, j] = 0.0
                continue
            d = packed[i, j]
            t = np.floor(d / SHIFT)
            k = d - t * SHIFT
            minutes[i, j] = acc_min[i] + t * q_min + acc_min[j]
            km[i, j] = acc_km[i] + k * q_km + acc_km[j]


def assemble(
    packed: np.ndarray,
    q_min: float,
    q_km: float,
    access_min: np.ndarray,
    access_km: np.ndarray,
    site_xy: np.ndarray,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(km, minutes) from packed road lengths (n × n) and each site's access leg."""
    n = len(packed)
    group = np.unique(np.asarray(site_xy, np.float64), axis=0, return_inverse=True)[1]
    minutes = np.empty((n, n))
    km = np.empty((n, n))
    args = (
        np.ascontiguousarray(packed, np.float64), float(q_min), float(q_km),
        np.asarray(access_min, np.float64), np.asarray(access_km, np.float64),
        group.reshape(-1).astype(np.int64), minutes,
    )  # fmt: skip
    in_ranges(_rows, args, n, min(threads or default_threads(), max(1, n // 64)), km)
    return km, minutes


def warm_up() -> None:
    """Compile the kernel now (or load it from numba's on-disk cache) on two sites, so
    that the first road matrix does not pay for compiling."""
    xy = np.array([[0.0, 0.0], [1.0, 0.0]])
    assemble(np.zeros((2, 2)), 1.0, 1.0, np.zeros(2), np.zeros(2), xy, threads=1)
