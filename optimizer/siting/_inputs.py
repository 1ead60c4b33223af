"""Validation of siting inputs: matrices, demand vectors and site masks.

Every check raises :class:`SitingError` with the offending site / demand indices, so a
planner sees *which* village or candidate is the problem, not just "infeasible".
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .result import SitingError

MAX_LISTED = 10


def name_list(idx: Iterable[int], labels: list[str] | None = None) -> str:
    """Human-readable list of indices (or their labels), truncated after a few."""
    idx = [int(i) for i in idx]
    shown = [labels[i] if labels else str(i) for i in idx[:MAX_LISTED]]
    more = f" … (+{len(idx) - MAX_LISTED} more)" if len(idx) > MAX_LISTED else ""
    return ", ".join(shown) + more


def as_matrix(cost: np.ndarray, what: str = "cost") -> np.ndarray:
    """Candidates × demand-points float matrix, finite or +inf (unreachable), no NaN/negative."""
    a = np.asarray(cost, dtype=float)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise SitingError(f"{what} must be a non-empty 2-D (candidates × demand) matrix")
    if np.isnan(a).any():
        rows, cols = np.nonzero(np.isnan(a))
        raise SitingError(f"{what} has NaN entries, e.g. candidate {rows[0]} → demand {cols[0]}")
    if (a < 0).any():
        rows, cols = np.nonzero(a < 0)
        raise SitingError(f"{what} has negative entries, e.g. candidate {rows[0]} → {cols[0]}")
    return a


def as_vector(v: np.ndarray | None, n: int, what: str, default: float = 1.0) -> np.ndarray:
    """Length-n non-negative finite float vector (``default`` everywhere when None)."""
    if v is None:
        return np.full(n, default)
    a = np.asarray(v, dtype=float).reshape(-1)
    if a.shape[0] != n:
        raise SitingError(f"{what} has length {a.shape[0]}, expected {n}")
    bad = np.flatnonzero(~np.isfinite(a) | (a < 0))
    if bad.size:
        raise SitingError(f"{what} must be finite and ≥ 0; bad at {name_list(bad)}")
    return a


def site_masks(
    m: int, must_open: Iterable[int] | None, forbidden: Iterable[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (must, allowed) masks over m candidates; rejects overlap and bad indices."""
    must = np.zeros(m, bool)
    forb = np.zeros(m, bool)
    for mask, ids, what in ((must, must_open, "must_open"), (forb, forbidden, "forbidden")):
        ids = np.asarray(list(ids or []), dtype=int)
        bad = ids[(ids < 0) | (ids >= m)]
        if bad.size:
            raise SitingError(f"{what} has unknown candidate sites {name_list(bad)} (m={m})")
        mask[ids] = True
    both = np.flatnonzero(must & forb)
    if both.size:
        raise SitingError(f"sites {name_list(both)} are both must_open and forbidden")
    return must, ~forb


def check_p(p: int, must: np.ndarray, allowed: np.ndarray) -> int:
    """p must lie between the must-open count and the number of allowed candidates."""
    p = int(p)
    n_allowed = int(allowed.sum())
    if p < 1:
        raise SitingError(f"p must be ≥ 1, got {p}")
    if p > n_allowed:
        raise SitingError(
            f"p={p} is larger than the {n_allowed} allowed candidate sites "
            f"({int((~allowed).sum())} forbidden)"
        )
    if int(must.sum()) > p:
        raise SitingError(
            f"{int(must.sum())} must_open sites ({name_list(np.flatnonzero(must))}) exceed p={p}"
        )
    return p


def check_reachable(reach: np.ndarray, allowed: np.ndarray, limit_txt: str) -> None:
    """Every demand point must be reachable (``reach[i, j]``) from some allowed candidate."""
    orphan = np.flatnonzero(~(reach & allowed[:, None]).any(axis=0))
    if orphan.size:
        raise SitingError(
            f"demand points {name_list(orphan)} cannot be served by any allowed candidate "
            f"{limit_txt}"
        )
