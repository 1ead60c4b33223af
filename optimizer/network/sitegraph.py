"""The road graph with every snapped site inserted as a node of its own.

Each line that has sites on it is cut at them (sorted along the line), so a site is an
ordinary node: two sites on the same line, one-way lines and sites at a line's end all
come out right without special cases, and a path between sites is a plain node path
(which route geometry walks). Every arc remembers its line and the fractions along it
where it starts and ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array

from optimizer.network.roads import RoadNetwork
from optimizer.network.snap import Snapped


@dataclass(frozen=True)
class SiteGraph:
    """Directed arcs sorted by (src, dst), one per node pair (the fastest one kept)."""

    n_nodes: int
    site_node: np.ndarray  # node id of each site
    src: np.ndarray
    dst: np.ndarray
    minutes: np.ndarray
    km: np.ndarray
    line: np.ndarray  # RoadNetwork line the arc runs along
    f0: np.ndarray  # fraction along that line where the arc starts
    f1: np.ndarray  # ... and where it ends (f1 < f0 when driven against the line)

    def indptr(self) -> np.ndarray:
        return np.r_[0, np.cumsum(np.bincount(self.src, minlength=self.n_nodes))]

    def csr(self, data: np.ndarray) -> csr_array:
        """The graph as CSR with ``data`` as arc weights (arcs are already in CSR order)."""
        return csr_array(
            (data, self.dst.astype(np.int32), self.indptr().astype(np.int32)),
            shape=(self.n_nodes, self.n_nodes),
        )


def build_site_graph(network: RoadNetwork, snapped: Snapped) -> SiteGraph:
    """Cut the snapped lines at their sites and return every directed arc."""
    n_net = network.n_nodes
    n_sites = len(snapped.line)
    site_node = n_net + np.arange(n_sites)
    sited = np.zeros(len(network.lines), dtype=bool)
    sited[snapped.line] = True
    cut_lines = np.flatnonzero(sited)

    # points along the cut lines: u end (kind 0), sites (kind 1), v end (kind 2)
    p_line = np.r_[cut_lines, snapped.line, cut_lines]
    p_frac = np.r_[np.zeros(len(cut_lines)), snapped.fraction, np.ones(len(cut_lines))]
    p_kind = np.r_[np.zeros(len(cut_lines)), np.ones(n_sites), np.full(len(cut_lines), 2)]
    p_node = np.r_[network.u[cut_lines], site_node, network.v[cut_lines]]
    order = np.lexsort((p_kind, p_frac, p_line))
    p_line, p_frac, p_node = p_line[order], p_frac[order], p_node[order]
    same = p_line[1:] == p_line[:-1]

    plain = np.flatnonzero(~sited)
    line = np.r_[plain, p_line[:-1][same]]
    a = np.r_[network.u[plain], p_node[:-1][same]]
    b = np.r_[network.v[plain], p_node[1:][same]]
    f0 = np.r_[np.zeros(len(plain)), p_frac[:-1][same]]
    f1 = np.r_[np.ones(len(plain)), p_frac[1:][same]]

    share = f1 - f0
    # a zero-length piece joins a site to a node (or a site) at the same point: both ways
    fwd = (network.oneway[line] >= 0) | (share == 0)
    bwd = (network.oneway[line] <= 0) | (share == 0)
    src = np.r_[a[fwd], b[bwd]]
    dst = np.r_[b[fwd], a[bwd]]
    arc_line = np.r_[line[fwd], line[bwd]]
    arc_f0 = np.r_[f0[fwd], f1[bwd]]
    arc_f1 = np.r_[f1[fwd], f0[bwd]]
    arc_share = np.r_[share[fwd], share[bwd]]
    minutes = arc_share * network.minutes[arc_line]
    km = arc_share * network.km[arc_line]

    # drop self-loops; of parallel arcs keep the fastest (then shortest)
    keep = src != dst
    order = np.lexsort((km[keep], minutes[keep], dst[keep], src[keep]))
    idx = np.flatnonzero(keep)[order]
    first = np.r_[True, (src[idx][1:] != src[idx][:-1]) | (dst[idx][1:] != dst[idx][:-1])]
    idx = idx[first]
    return SiteGraph(
        n_nodes=n_net + n_sites,
        site_node=site_node,
        src=src[idx],
        dst=dst[idx],
        minutes=minutes[idx],
        km=km[idx],
        line=arc_line[idx],
        f0=arc_f0[idx],
        f1=arc_f1[idx],
    )
