"""Road matrices on a contraction hierarchy of the road network, cached per network file.

The hierarchy (ch.py) is built on the road network itself, not on the sites: the same
road file and speeds give the same hierarchy for any set of sites, so it is cached on
disk per network (``cache.hierarchy_key``) and a new batch on known roads only snaps
its sites and queries. Arc weights are packed (minutes, km) integers as in matrix.py,
with quanta from a bound that depends on the network only: two Dijkstra runs from one
node (the network is strongly connected) bound any node-to-node time, plus two whole
lines for the pieces from a site to its line's ends.

A site joins its line at fraction f: it leaves towards the line's end nodes it may
drive to (u against the line, v along it; both at a line end) and is reached from the
end nodes that may drive to it; each piece costs the packed share of the line. Two
sites on the same line also get the direct piece between them when driving allows it.

What differs from the Dijkstra method (matrix.py): the lexicographic rule is the same
(fastest in quanta, then shortest in quanta among equally fast), but a line is rounded
to quanta as a whole, where the site graph rounds every piece a site cuts it into, and
the quanta come from the network's bound instead of the sites'. So minutes agree within
a few quanta (~1e-4 min on a county), and the two methods can pick different paths only
among paths whose times are that close; the km then are those of either path.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from optimizer.errors import Said
from optimizer.network import cache
from optimizer.network.ch import Hierarchy, build_hierarchy, many_to_many
from optimizer.network.errors import RoadNetworkError
from optimizer.network.matrix import SHIFT, LexEncoding
from optimizer.network.roads import RoadNetwork
from optimizer.network.snap import Snapped


def network_arcs(network: RoadNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed arcs (src, dst, line) of the road network, both ways unless one-way."""
    lines = np.arange(len(network.u))
    fwd, bwd = network.oneway >= 0, network.oneway <= 0
    src = np.r_[network.u[fwd], network.v[bwd]].astype(np.int64)
    dst = np.r_[network.v[fwd], network.u[bwd]].astype(np.int64)
    return src, dst, np.r_[lines[fwd], lines[bwd]]


def network_encoding(network: RoadNetwork) -> LexEncoding:
    """Quanta so that no site-to-site path on this network overflows either part."""
    src, dst, line = network_arcs(network)
    n = network.n_nodes
    minutes = network.minutes[line]
    graph = csr_array((np.maximum(minutes, 1e-9), (src, dst)), shape=(n, n))
    out = dijkstra(graph, indices=0)
    back = dijkstra(graph.T.tocsr(), indices=0)
    if np.isfinite(out).all() and np.isfinite(back).all():
        t_bound = float(out.max() + back.max())  # T(i,j) <= T(i,0) + T(0,j)
    else:  # not strongly connected (build_network keeps the largest part: not expected)
        t_bound = float(minutes.sum())
    t_bound += 2.0 * float(network.minutes.max(initial=0.0))  # the pieces to a site
    moving = network.minutes > 0
    km_per_min = float((network.km[moving] / network.minutes[moving]).max(initial=1.0))
    t_bound = t_bound * 1.1 + 1.0
    k_bound = t_bound * km_per_min * 1.1 + 1.0
    units = SHIFT - n - 4  # room left after per-arc rounding on any path
    if units < 2**20:
        raise RoadNetworkError(Said("roads.too_large", n=n))
    return LexEncoding(q_min=t_bound / units, q_km=k_bound / units)


def _packed(enc: LexEncoding, minutes: np.ndarray, km: np.ndarray) -> np.ndarray:
    """Packed weights without matrix.py's one-quantum floor (zero pieces cost zero)."""
    return np.rint(minutes / enc.q_min) * SHIFT + np.rint(km / enc.q_km)


def build_network_hierarchy(network: RoadNetwork) -> tuple[LexEncoding, Hierarchy]:
    """The network's packed encoding and its contraction hierarchy."""
    enc = network_encoding(network)
    src, dst, line = network_arcs(network)
    weight = _packed(enc, network.minutes[line], network.km[line])
    return enc, build_hierarchy(network.n_nodes, src, dst, weight)


def network_hierarchy(
    network: RoadNetwork, key: str | None, timings: dict[str, float] | None = None
) -> tuple[LexEncoding, Hierarchy, bool]:
    """The hierarchy from the disk cache under ``key``, else built (and stored);
    the flag says whether it came from the cache."""
    if key:
        hit = cache.load_entry(key)
        if hit is not None and int(hit["n_nodes"]) == network.n_nodes:
            enc = LexEncoding(q_min=float(hit["q"][0]), q_km=float(hit["q"][1]))
            return enc, Hierarchy.from_arrays(hit), True
    enc, h = build_network_hierarchy(network)
    if key:
        arrays = {
            **h.arrays(),
            "q": np.array([enc.q_min, enc.q_km]),
            "n_nodes": np.array(h.n_nodes),
        }
        cache.save_entry(key, arrays)
    return enc, h, False


def site_legs(
    network: RoadNetwork, snapped: Snapped, enc: LexEncoding
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ptr, node, packed offset) of the ways out of each site and of the ways in."""
    line, f = snapped.line, snapped.fraction
    u, v = network.u[line], network.v[line]
    ow = network.oneway[line]
    m, k = network.minutes[line], network.km[line]
    to_u = _packed(enc, f * m, f * k)  # the piece between the site and u
    to_v = _packed(enc, (1.0 - f) * m, (1.0 - f) * k)
    at_u, at_v = f == 0.0, f == 1.0  # a zero piece joins both ways (as in sitegraph.py)
    out_u, out_v = (ow <= 0) | at_u, (ow >= 0) | at_v  # site → u against, → v along
    in_u, in_v = (ow >= 0) | at_u, (ow <= 0) | at_v  # u → site along, v → site against
    return (
        _ragged(u, to_u, out_u, v, to_v, out_v),
        _ragged(u, to_u, in_u, v, to_v, in_v),
    )


def _ragged(a, wa, ok_a, b, wb, ok_b):
    """Per site up to two (node, weight) entries, as (ptr, node, weight)."""
    count = ok_a.astype(np.int64) + ok_b
    ptr = np.r_[0, np.cumsum(count)]
    node = np.empty(ptr[-1], dtype=np.int64)
    off = np.empty(ptr[-1])
    first_a = ptr[:-1][ok_a]
    node[first_a], off[first_a] = a[ok_a], wa[ok_a]
    slot_b = ptr[:-1][ok_b] + ok_a[ok_b]
    node[slot_b], off[slot_b] = b[ok_b], wb[ok_b]
    return ptr, node, off


def same_line_pieces(
    network: RoadNetwork, snapped: Snapped, enc: LexEncoding
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, packed) for sites i ≠ j on the same line where j is driven to from i directly."""
    line = snapped.line
    order = np.argsort(line, kind="stable")
    starts = np.flatnonzero(np.r_[True, line[order][1:] != line[order][:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    rows_i, rows_j = [], []
    for s, c in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        members = order[s : s + c]
        ii, jj = np.meshgrid(members, members, indexing="ij")
        off = ii != jj
        rows_i.append(ii[off])
        rows_j.append(jj[off])
    if not rows_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    i, j = np.concatenate(rows_i), np.concatenate(rows_j)
    fi, fj = snapped.fraction[i], snapped.fraction[j]
    ow = network.oneway[line[i]]
    ok = (fi == fj) | ((ow >= 0) & (fj > fi)) | ((ow <= 0) & (fj < fi))
    i, j = i[ok], j[ok]
    share = np.abs(snapped.fraction[j] - snapped.fraction[i])
    packed = _packed(enc, share * network.minutes[line[i]], share * network.km[line[i]])
    return i, j, packed


def road_packed(
    network: RoadNetwork, snapped: Snapped, enc: LexEncoding, h: Hierarchy
) -> np.ndarray:
    """Packed road-part lengths between all sites (inf where no path; diagonal 0)."""
    out_legs, in_legs = site_legs(network, snapped, enc)
    packed = many_to_many(h, *out_legs, *in_legs)
    i, j, direct = same_line_pieces(network, snapped, enc)
    if len(i):
        packed[i, j] = np.minimum(packed[i, j], direct)
    np.fill_diagonal(packed, 0.0)
    return packed
