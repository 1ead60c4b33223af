"""Road polylines of legs: the time-shortest path between two sites, as lon/lat points.

The path is the one the matrices measured (same packed weights, same predecessors).
Each leg is: the site, its access leg to the road, every arc's piece of road line (its
interior vertices in driving order), the access leg off the road, the other site. All
legs are built together: one predecessor walk step per hop for every leg at once on the
contracted core, shortcuts unpacked into site-graph arcs, and the line pieces cut out
of one flat vertex table with searchsorted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from optimizer.errors import Said
from optimizer.network.errors import RoadNetworkError
from optimizer.network.gcj02 import wgs84_to_gcj02
from optimizer.network.matrix import Router

_ORIGINS_PER_BATCH = 64  # unique origins whose predecessor rows are held at once


@dataclass(frozen=True)
class _Vertices:
    """Every vertex of every line, with its fraction along the line; sorted by key."""

    xy: np.ndarray
    key: np.ndarray  # 2·line + fraction: increasing, so a line piece is one searchsorted


def vertex_table(router: Router) -> _Vertices:
    """Flat vertex table of the router's network (built once, kept on the router)."""
    table = router.vertices
    if not isinstance(table, _Vertices):
        lines = router.network.lines
        xy, owner = shapely.get_coordinates(lines, return_index=True)
        seg = np.hypot(*np.diff(xy, axis=0).T)
        seg[owner[1:] != owner[:-1]] = 0.0  # no length between two lines
        cum = np.r_[0.0, np.cumsum(seg)]
        starts = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
        cum -= np.repeat(cum[starts], np.diff(np.r_[starts, len(owner)]))
        frac = cum / shapely.length(lines)[owner]
        table = _Vertices(xy=xy, key=owner * 2.0 + np.clip(frac, 0.0, 1.0))
        router.vertices = table
    return table


def _ranges(start: np.ndarray, count: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Concatenation of start + step·arange(count) over all entries (ragged arange)."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    group = np.repeat(np.arange(len(count)), count)
    within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    return start[group] + step[group] * within


def _node_paths(
    router: Router, pairs: np.ndarray, limits: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Arc indices of every leg's path (flat, in driving order) and the leg of each."""
    site_node = router.site_core
    arcs_out, legs_out = [], []
    origins = np.unique(pairs[:, 0])
    for b in range(0, len(origins), _ORIGINS_PER_BATCH):
        batch = origins[b : b + _ORIGINS_PER_BATCH]
        legs = np.flatnonzero(np.isin(pairs[:, 0], batch))
        if limits is None:
            pred = router.pred_rows(batch)
        else:  # one origin's limit: the longest of its legs
            order = np.searchsorted(batch, pairs[legs, 0])
            lim = np.zeros(len(batch))
            np.maximum.at(lim, order, limits[legs])
            pred = router.pred_rows(batch, lim)
        row = np.searchsorted(batch, pairs[legs, 0])
        src = site_node[pairs[legs, 0]]
        cur = site_node[pairs[legs, 1]].copy()
        hops_b, hops_a, hops_leg = [], [], []
        active = cur != src
        while active.any():
            idx = np.flatnonzero(active)
            prev = pred[row[idx], cur[idx]]
            if (prev < 0).any():
                raise RoadNetworkError(Said("roads.no_leg_path"))
            hops_a.append(prev)
            hops_b.append(cur[idx])
            hops_leg.append(legs[idx])
            cur[idx] = prev
            active[idx] = prev != src[idx]
        if hops_leg:
            a, bb, leg = np.concatenate(hops_a), np.concatenate(hops_b), np.concatenate(hops_leg)
            depth = np.concatenate([np.full(len(h), k) for k, h in enumerate(hops_leg)])
            order = np.lexsort((-depth, leg))  # per leg, from the origin outwards
            arcs_out.append(router.core.arc_ids(a[order], bb[order]))
            legs_out.append(leg[order])
    if not arcs_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    arcs, legs = np.concatenate(arcs_out), np.concatenate(legs_out)
    order = np.argsort(legs, kind="stable")
    return router.core.expand(arcs[order], legs[order])


def leg_polylines(
    router: Router, pairs: np.ndarray, coords: str = "wgs84", limits: np.ndarray | None = None
) -> list[np.ndarray]:
    """(lon, lat) polyline of each (from site index, to site index) leg.

    ``limits`` (Router.leg_limits) lets Dijkstra stop once a leg's end is settled, which
    makes the short legs of a route cheap on a large network.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    n_legs = len(pairs)
    if n_legs == 0:
        return []
    g, net, snapped = router.graph, router.network, router.snapped
    arcs, arc_leg = _node_paths(router, pairs, limits)
    vt = vertex_table(router)

    line, f0, f1 = g.line[arcs], g.f0[arcs], g.f1[arcs]
    lo, hi = np.minimum(f0, f1), np.maximum(f0, f1)
    i0 = np.searchsorted(vt.key, line * 2.0 + lo, side="right")
    i1 = np.searchsorted(vt.key, line * 2.0 + hi, side="left")
    n_inner = np.maximum(i1 - i0, 0)
    forward = f1 >= f0
    inner = _ranges(np.where(forward, i0, i1 - 1), n_inner, np.where(forward, 1, -1))
    arc_start = shapely.get_coordinates(
        shapely.line_interpolate_point(net.lines[line], f0, normalized=True)
    )

    # each arc contributes its start point then its inner vertices
    block = 1 + n_inner
    arc_pts = np.empty((int(block.sum()), 2))
    first = np.cumsum(block) - block
    arc_pts[first] = arc_start
    inner_pos = np.ones(len(arc_pts), dtype=bool)
    inner_pos[first] = False
    arc_pts[inner_pos] = vt.xy[inner]
    pts_leg = np.repeat(arc_leg, block)

    n_arcs = np.bincount(arc_leg, minlength=n_legs)
    body = np.bincount(pts_leg, minlength=n_legs)
    last_arc = np.cumsum(n_arcs) - 1
    has_arcs = n_arcs > 0
    end_pt = np.zeros((n_legs, 2))
    if has_arcs.any():
        la = last_arc[has_arcs]
        end_pt[has_arcs] = shapely.get_coordinates(
            shapely.line_interpolate_point(net.lines[line[la]], f1[la], normalized=True)
        )
    # leg layout: site, [body..., road end], site
    total = 2 + body + has_arcs
    offset = np.cumsum(total) - total
    out = np.empty((int(total.sum()), 2))
    out[offset] = snapped.site_xy[pairs[:, 0]]
    rank = np.arange(len(arc_pts)) - np.repeat(np.cumsum(body) - body, body)
    out[offset[pts_leg] + 1 + rank] = arc_pts
    out[(offset + 1 + body)[has_arcs]] = end_pt[has_arcs]
    out[offset + total - 1] = snapped.site_xy[pairs[:, 1]]

    # drop repeated points (a site on its road, an arc ending at a vertex)
    leg_of = np.repeat(np.arange(n_legs), total)
    keep = np.r_[
        True, (np.abs(np.diff(out, axis=0)).max(axis=1) > 1e-6) | (leg_of[1:] != leg_of[:-1])
    ]
    out, leg_of = out[keep], leg_of[keep]
    lon, lat = net.to_wgs84(out[:, 0], out[:, 1])
    if coords == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif coords != "wgs84":
        raise ValueError(f"coords must be 'wgs84' or 'gcj02', not {coords!r}")
    lonlat = np.column_stack([lon, lat])
    return np.split(lonlat, np.cumsum(np.bincount(leg_of, minlength=n_legs))[:-1])
