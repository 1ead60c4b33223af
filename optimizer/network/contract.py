"""Contract chains of degree-2 nodes of the packed site graph into shortcut arcs.

Road layers are full of nodes where just two lines meet (a way split at a bridge, a
name or a surface change; a GIS layer split at every attribute change): on OpenStreetMap
data they are often most nodes. A node other than a site whose only neighbours are a
and b is replaced by the shortcuts a→b and b→a that went through it (when those arcs
exist), weight = the sum of the two arcs. Weights are packed integers (matrix.py), so
every site-to-site distance is unchanged to the last bit, while Dijkstra runs on fewer
nodes. Each round removes an independent set of such nodes (no two adjacent), so every
removed arc belongs to one contraction; a shortcut remembers its two halves, and
``expand`` unpacks paths back into the site graph's arcs for route geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array


@dataclass(frozen=True)
class Core:
    """The contracted graph: arcs sorted by (src, dst), node ids renumbered."""

    n_nodes: int
    node_of: np.ndarray  # site-graph node id → core node id (-1 when contracted away)
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray  # packed
    arc: np.ndarray  # arc id: < n_base is a site-graph arc, else a shortcut
    n_base: int
    halves: np.ndarray  # (shortcuts, 2): the two arc ids a shortcut stands for

    def csr(self) -> csr_array:
        indptr = np.r_[0, np.cumsum(np.bincount(self.src, minlength=self.n_nodes))]
        return csr_array(
            (self.weight, self.dst.astype(np.int32), indptr.astype(np.int32)),
            shape=(self.n_nodes, self.n_nodes),
        )

    def arc_ids(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Arc ids of the core arcs a→b (core node ids; the arcs must exist)."""
        keys = self.src.astype(np.int64) * self.n_nodes + self.dst
        want = np.asarray(a, dtype=np.int64) * self.n_nodes + np.asarray(b, dtype=np.int64)
        idx = np.searchsorted(keys, want)
        if len(want) and (idx.max() >= len(keys) or not np.array_equal(keys[idx], want)):
            raise AssertionError("path uses an arc that is not in the graph")
        return self.arc[idx]

    def expand(self, arcs: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unpack arc ids (in path order, ``group`` = the leg of each) into site-graph arcs."""
        arcs = np.asarray(arcs, dtype=np.int64)
        group = np.asarray(group, dtype=np.int64)
        while len(arcs) and (arcs >= self.n_base).any():
            short = arcs >= self.n_base
            reps = np.where(short, 2, 1)
            out = np.repeat(arcs, reps)
            grp = np.repeat(group, reps)
            first = np.cumsum(reps) - reps
            halves = self.halves[arcs[short] - self.n_base]
            out[first[short]] = halves[:, 0]
            out[first[short] + 1] = halves[:, 1]
            arcs, group = out, grp
        return arcs, group


def _dedupe(src, dst, weight, arc):
    """One arc per (src, dst): the lightest (lowest id on ties)."""
    order = np.lexsort((arc, weight, dst, src))
    src, dst, weight, arc = src[order], dst[order], weight[order], arc[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    return src[first], dst[first], weight[first], arc[first]


def contract(
    n_nodes: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, keep: np.ndarray
) -> Core:
    """Contract every node not in ``keep`` (sites) that has exactly two neighbours."""
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    weight = weight.astype(float)
    n_base = len(src)
    arc = np.arange(n_base, dtype=np.int64)
    halves: list[np.ndarray] = []
    next_id = n_base
    # a fixed pseudo-random priority per node picks independent sets deterministically
    priority = np.random.default_rng(0).permutation(n_nodes)
    while True:
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        pair = np.unique(lo * n_nodes + hi)
        pa, pb = pair // n_nodes, pair % n_nodes
        degree = np.bincount(pa, minlength=n_nodes) + np.bincount(pb, minlength=n_nodes)
        cand = (degree == 2) & ~keep
        # skip a candidate with a candidate neighbour of lower priority
        both = cand[pa] & cand[pb]
        loser = np.where(priority[pa] > priority[pb], pa, pb)[both]
        chosen = cand.copy()
        chosen[loser] = False
        if not chosen.any():
            break
        inn = np.flatnonzero(chosen[dst])  # x→v
        out = np.flatnonzero(chosen[src])  # v→y
        # pair every in-arc of v with every out-arc of v (at most 2 × 2), by v
        inn = inn[np.argsort(dst[inn], kind="stable")]
        out = out[np.argsort(src[out], kind="stable")]
        v_in, v_out = dst[inn], src[out]
        start = np.searchsorted(v_out, v_in, side="left")
        count = np.searchsorted(v_out, v_in, side="right") - start
        rep_in = np.repeat(inn, count)
        rep_out = out[
            np.repeat(start, count)
            + np.arange(count.sum())
            - np.repeat(np.cumsum(count) - count, count)
        ]
        ok = src[rep_in] != dst[rep_out]  # no U-turns through v
        rep_in, rep_out = rep_in[ok], rep_out[ok]
        new_src, new_dst = src[rep_in], dst[rep_out]
        new_w = weight[rep_in] + weight[rep_out]
        new_arc = next_id + np.arange(len(rep_in), dtype=np.int64)
        halves.append(np.c_[arc[rep_in], arc[rep_out]])
        next_id += len(rep_in)
        gone = chosen[src] | chosen[dst]
        src = np.r_[src[~gone], new_src]
        dst = np.r_[dst[~gone], new_dst]
        weight = np.r_[weight[~gone], new_w]
        arc = np.r_[arc[~gone], new_arc]
        src, dst, weight, arc = _dedupe(src, dst, weight, arc)
        keep_arc = src != dst
        src, dst, weight, arc = src[keep_arc], dst[keep_arc], weight[keep_arc], arc[keep_arc]
    alive = keep.copy()
    alive[src] = True
    alive[dst] = True
    node_of = np.where(alive, np.cumsum(alive) - 1, -1)
    src, dst = node_of[src], node_of[dst]
    order = np.lexsort((dst, src))
    return Core(
        n_nodes=int(alive.sum()),
        node_of=node_of,
        src=src[order],
        dst=dst[order],
        weight=weight[order],
        arc=arc[order],
        n_base=n_base,
        halves=np.vstack(halves) if halves else np.zeros((0, 2), dtype=np.int64),
    )
