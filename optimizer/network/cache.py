"""Disk cache of road matrices (keyed by the road file's bytes, the travel spec, the method
and the sites) and of contraction hierarchies (keyed by the road file and the graph's spec).

Entries are ``.npz`` files (no pickles) under ``$FRESHROUTE_CACHE_DIR`` or, when that is
unset, ``.freshroute-cache/`` in the working directory. Writes are atomic (temp file +
rename), so concurrent runs never read half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import cast

import numpy as np

from optimizer.errors import Said, said_data, said_from_data
from optimizer.network.spec import RoadNetworkTravel

CACHE_VERSION = "road-matrix-v3"  # v3: warnings stored as i18n keys and parameters
HIERARCHY_VERSION = "road-ch-v1"
# spec fields that shape the road graph (the others only touch sites and access legs)
_GRAPH_FIELDS = {"layer", "speeds_kmh", "class_field", "oneway_field"}
_SIDECARS = (".shx", ".dbf", ".prj", ".cpg")


def cache_dir() -> Path:
    """Where entries live: ``$FRESHROUTE_CACHE_DIR`` or ``./.freshroute-cache``."""
    env = os.environ.get("FRESHROUTE_CACHE_DIR")
    return Path(env) if env else Path.cwd() / ".freshroute-cache"


def _file_digest(path: Path, h: hashlib._Hash) -> None:
    files = [path]
    if path.suffix.lower() == ".shp":
        files += [path.with_suffix(s) for s in _SIDECARS if path.with_suffix(s).exists()]
    for f in files:
        h.update(f.suffix.lower().encode())
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                h.update(block)


def cache_key(
    road_file: Path,
    spec: RoadNetworkTravel,
    sites: list[tuple[str, float, float]],
    method: str = "ch",
) -> str:
    """sha256 of the code version, the matrix method, the road file(s), the spec (not its
    path) and the sites."""
    h = hashlib.sha256(f"{CACHE_VERSION}/{method}".encode())
    _file_digest(road_file, h)
    params = spec.model_dump(mode="json", exclude={"path"})
    h.update(json.dumps(params, sort_keys=True).encode())
    h.update(json.dumps([[s, repr(float(x)), repr(float(y))] for s, x, y in sites]).encode())
    return h.hexdigest()[:32]


def hierarchy_key(road_file: Path, spec: RoadNetworkTravel) -> str:
    """sha256 of the hierarchy code version, the road file(s) and the spec fields that
    shape the graph: one contraction hierarchy per network, whatever the sites."""
    h = hashlib.sha256(HIERARCHY_VERSION.encode())
    _file_digest(road_file, h)
    params = spec.model_dump(mode="json", include=_GRAPH_FIELDS)
    h.update(json.dumps(params, sort_keys=True).encode())
    return "ch-" + h.hexdigest()[:32]


def load_entry(key: str, directory: Path | None = None) -> dict[str, np.ndarray] | None:
    """The cached arrays for ``key``, or None when absent or unreadable."""
    path = (directory or cache_dir()) / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError):
        return None


def save_entry(key: str, arrays: dict[str, np.ndarray], directory: Path | None = None) -> None:
    """Store arrays under ``key``; a cache that cannot be written is silently skipped."""
    folder = directory or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:
        return


def warnings_array(warnings: list[Said]) -> np.ndarray:
    """Warnings as an entry stores them: one JSON text each, its i18n key and parameters,
    so that a cache hit can still say them in any language."""
    return np.array([json.dumps(said_data(w), ensure_ascii=False) for w in warnings], dtype=str)


def warnings_from(stored: np.ndarray) -> list[Said]:
    """The warnings ``warnings_array`` stored."""
    return [cast(Said, said_from_data(json.loads(text))) for text in stored.tolist()]
