"""Straight-line travel estimates for when no road data is at hand (domain.md §1.4, §1.5)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """All-pairs great-circle distances (km) between points given in degrees."""
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_matrices(
    lon: np.ndarray,
    lat: np.ndarray,
    circuity: float,
    speed_kmh: float,
    access_min: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Road km = great circle × circuity; minutes = access + km / speed (0 on the diagonal).

    Points at the same coordinates are 0 km and 0 minutes apart: no access time is
    charged for staying put.
    """
    km = great_circle_km(lon, lat) * circuity
    minutes = np.where(km > 0, access_min + km / speed_kmh * 60.0, 0.0)
    return km, minutes
