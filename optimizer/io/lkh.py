"""Reader for LKH-3's TSPLIB-style VRPSPD, VRPB and VRPBTW files, and LKH-3 tours.

Formats (``../shared/data/README.md`` §3-4, LKH-3's ``ReadProblem.c``):

- ``.vrpspd`` (``TYPE : VRPSPD`` or ``MVRPB``): ``PICKUP_AND_DELIVERY_SECTION`` lines
  ``id demand earliest latest service pickup delivery``. Dethloff's files give an
  ``EXPLICIT FULL_MATRIX`` and quantities ×10⁴; they are divided back (``scale``).
  ``DISTANCE`` is a route-length limit (0 = none).
- ``.vrpb`` / ``.vrpbtw``: ``DEMAND_SECTION`` plus ``BACKHAUL_SECTION`` (backhaul ids,
  ended by -1); VRPBTW adds ``TIME_WINDOW_SECTION`` and ``SERVICE_TIME``. Without time
  windows the file is a classic VRPB (exactly ``VEHICLES`` routes, every route with a
  linehaul), whatever its ``TYPE`` says (LKH-3 labels the asymmetric ``ftv`` files VRPBTW).
- Distances: ``EXACT_2D`` double precision, ``EUC_2D`` rounded, ``EXPLICIT FULL_MATRIX``
  as given (asymmetric allowed; the diagonal, 10000 in ``ftv``, is set to 0). The depot is
  ``DEPOT_SECTION``'s id, which need not be the first node (``ftv``: the last).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from optimizer.io.evaluate import BenchmarkInstance
from optimizer.io.solomon import euclidean

__all__ = ["DETHLOFF_SCALE", "read_lkh", "read_lkh_tour"]

DETHLOFF_SCALE = 1e4  # Dethloff's matrices, capacities and quantities are ×10⁴
_KEY = re.compile(r"^\s*([A-Z_0-9]+)\s*(?::\s*(.*?))?\s*$")


def _parse(text: str) -> tuple[dict[str, str], dict[str, list[float]]]:
    """Header keywords and the numbers of every ``*_SECTION``."""
    header: dict[str, str] = {}
    sections: dict[str, list[float]] = {}
    current: list[float] | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[0].isalpha():
            match = _KEY.match(stripped)
            if match is None:
                raise ValueError(f"cannot parse line '{stripped[:60]}'")
            key, value = match[1], match[2]
            if key == "EOF":
                break
            if key.endswith("_SECTION"):
                current = sections.setdefault(key, [])
            else:
                header[key] = value or ""
                current = None
            continue
        if current is None:
            raise ValueError(f"numbers outside a section: '{stripped[:60]}'")
        current.extend(float(tok) for tok in stripped.split())
    return header, sections


def _rows(values: list[float], width: int, n: int, name: str) -> np.ndarray:
    if len(values) != width * n:
        raise ValueError(f"{name}: {len(values)} numbers, expected {n} rows of {width}")
    return np.asarray(values, dtype=float).reshape(n, width)


def _until_minus_one(values: list[float]) -> list[int]:
    out = []
    for v in values:
        if v == -1:
            break
        out.append(int(v))
    return out


def _distances(header: dict[str, str], sections: dict[str, list[float]], n: int) -> np.ndarray:
    kind = header.get("EDGE_WEIGHT_TYPE", "").upper()
    if kind == "EXPLICIT":
        fmt = header.get("EDGE_WEIGHT_FORMAT", "").upper()
        if fmt != "FULL_MATRIX":
            raise ValueError(f"EDGE_WEIGHT_FORMAT {fmt} is not supported (FULL_MATRIX is)")
        dist = _rows(sections["EDGE_WEIGHT_SECTION"], n, n, "EDGE_WEIGHT_SECTION")
    else:
        coords = _rows(sections["NODE_COORD_SECTION"], 3, n, "NODE_COORD_SECTION")
        order = np.argsort(coords[:, 0], kind="stable")
        exact = euclidean(coords[order, 1:])
        if kind == "EXACT_2D":
            dist = exact
        elif kind == "EUC_2D":
            dist = np.floor(exact + 0.5)
        else:
            raise ValueError(f"EDGE_WEIGHT_TYPE {kind} is not supported")
    dist = dist.copy()
    np.fill_diagonal(dist, 0.0)
    return dist


def read_lkh(path: str | Path, scale: float | None = None) -> BenchmarkInstance:
    """A VRPSPD / VRPB / VRPBTW instance. ``scale`` divides distances and quantities
    (default: 10⁴ for explicit-matrix VRPSPD files, i.e. Dethloff's, else 1)."""
    header, sections = _parse(Path(path).read_text())
    n = int(header["DIMENSION"])
    ptype = header.get("TYPE", "").upper()
    explicit = header.get("EDGE_WEIGHT_TYPE", "").upper() == "EXPLICIT"
    spd = ptype in ("VRPSPD", "MVRPB", "VRPMPD", "VRPSPDTW", "VRPMPDTW")
    if scale is None:
        scale = DETHLOFF_SCALE if spd and explicit else 1.0
    dist = _distances(header, sections, n) / scale
    coords = None
    if "NODE_COORD_SECTION" in sections:
        rows = _rows(sections["NODE_COORD_SECTION"], 3, n, "NODE_COORD_SECTION")
        coords = rows[np.argsort(rows[:, 0], kind="stable"), 1:]
    depots = _until_minus_one(sections.get("DEPOT_SECTION", [1.0]))
    if len(depots) != 1:
        raise ValueError(f"{path}: {len(depots)} depots; one is supported")
    depot = depots[0] - 1
    capacity = float(header["CAPACITY"]) / scale
    vehicles = int(header.get("VEHICLES", header.get("SALESMEN", "0")) or 0)
    name = header.get("NAME", Path(path).stem).strip()
    notes = [f"LKH-3 {ptype}, {header.get('EDGE_WEIGHT_TYPE', '')}"]
    if scale != 1:
        notes.append(f"distances and quantities divided by {scale:g}")
    common = dict(
        name=name,
        node_ids=[str(i + 1) for i in range(n)],
        depot=depot,
        distance=dist,
        capacity=capacity,
        vehicles=vehicles,
        coords=coords,
        path=str(path),
        notes=notes,
    )
    if spd:
        return _spd(header, sections, n, scale, common)
    if ptype in ("VRPB", "VRPBTW"):
        return _backhaul(header, sections, n, common)
    raise ValueError(f"{path}: TYPE {ptype} is not a VRPSPD/VRPB/VRPBTW file")


def _spd(
    header: dict[str, str], sections: dict[str, list[float]], n: int, scale: float, common: dict
) -> BenchmarkInstance:
    rows = _rows(sections["PICKUP_AND_DELIVERY_SECTION"], 7, n, "PICKUP_AND_DELIVERY_SECTION")
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    windows, service = rows[:, 2:4], rows[:, 4]
    depot = common["depot"]
    vacuous = bool(np.all(windows == windows[depot]) and np.all(service == 0))
    limit = float(header.get("DISTANCE", "0") or 0) / scale
    return BenchmarkInstance(
        kind="vrpspd",
        delivery=rows[:, 6] / scale,
        pickup=rows[:, 5] / scale,
        duration=None if vacuous else common["distance"].copy(),
        service=None if vacuous else service,
        windows=None if vacuous else windows,
        max_distance=limit if limit > 0 else None,
        **common,
    )


def _backhaul(
    header: dict[str, str], sections: dict[str, list[float]], n: int, common: dict
) -> BenchmarkInstance:
    demand = _rows(sections["DEMAND_SECTION"], 2, n, "DEMAND_SECTION")
    demand = demand[np.argsort(demand[:, 0], kind="stable"), 1]
    back = np.zeros(n, dtype=bool)
    back[[i - 1 for i in _until_minus_one(sections.get("BACKHAUL_SECTION", []))]] = True
    timed = "TIME_WINDOW_SECTION" in sections
    windows = service = duration = None
    if timed:
        tw = _rows(sections["TIME_WINDOW_SECTION"], 3, n, "TIME_WINDOW_SECTION")
        windows = tw[np.argsort(tw[:, 0], kind="stable"), 1:]
        if "SERVICE_TIME_SECTION" in sections:
            st = _rows(sections["SERVICE_TIME_SECTION"], 2, n, "SERVICE_TIME_SECTION")
            service = st[np.argsort(st[:, 0], kind="stable"), 1]
        else:
            service = np.full(n, float(header.get("SERVICE_TIME", "0") or 0))
        service[common["depot"]] = 0.0
        duration = common["distance"].copy()
    return BenchmarkInstance(
        kind="vrpbtw" if timed else "vrpb",
        delivery=np.where(back, 0.0, demand),
        pickup=np.where(back, demand, 0.0),
        duration=duration,
        service=service,
        windows=windows,
        fixed_fleet=not timed,
        backhaul_only_routes=timed,
        **common,
    )


def read_lkh_tour(path: str | Path, inst: BenchmarkInstance) -> list[list[str]]:
    """Routes of an LKH-3 ``.tour`` file as node ids of ``inst``.

    The tour is one cycle over the nodes plus ``vehicles − 1`` depot copies (ids above the
    dimension); it is cut at the depot and its copies.
    """
    _, sections = _parse(Path(path).read_text())
    tour = _until_minus_one(sections["TOUR_SECTION"])
    depot_id = inst.depot + 1

    def is_depot(v: int) -> bool:
        return v == depot_id or v > inst.n

    start = next(i for i, v in enumerate(tour) if is_depot(v))
    tour = tour[start:] + tour[:start]
    routes: list[list[str]] = []
    for v in tour:
        if is_depot(v):
            routes.append([])
        else:
            routes[-1].append(inst.node_ids[v - 1])
    return [r for r in routes if r]
