"""Contraction hierarchy (CH) of a directed road graph and many-to-many queries on it.

Build: by default in rounds of independent nodes, their witness searches in threads
(chrounds.py); or (``rounds=False``) nodes are contracted one by one in the order of a
lazily updated priority (2 × edge difference + contracted neighbours, weights tuned on
benchmarks/matrix.py's grid): a popped node's priority is recomputed and it is
contracted only if it is still the smallest. Contracting v adds the shortcut u→w for an
in-arc u→v and an out-arc v→w unless a witness search (Dijkstra from u avoiding v,
stopped after a bounded amount of work or when every w is settled) finds a path no longer
than u→v→w. A missed witness only adds a needless shortcut, never a wrong distance. A
node's arcs at its contraction go to higher-ranked nodes: they are its upward out-arcs
and upward in-arcs.

Query (RPHAST, Delling et al. 2011): the targets' upward in-arc closure R is sorted by
rank, high first; per batch of sources, an upward search from each source (a pass over
its upward cone in rank order: the upward graph is acyclic) seeds a (|R| × batch) table,
then one downward sweep over R relaxes every downward arc for the whole batch at once.
Ranges of sources run in parallel threads (the kernel releases the GIL).

Weights are float64 holding integers below 2**53 (matrix.py's packed minutes + km), so
every sum is exact and the CH distance equals Dijkstra's to the last bit, whatever the
order of additions. Sources and targets may have several entry/exit nodes with offsets
(a site joins its line at both ends).
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)
_INF = np.inf
WITNESS_SETTLE = 1000  # work (nodes settled + arcs scanned) per witness search
SIM_SETTLE = 1000  # ... when estimating a node's priority (equal: the estimate is reused)
BATCH = 32  # sources per downward sweep


@dataclass(frozen=True)
class Hierarchy:
    """Upward arcs in CSR by node: ``up_*_ptr[v]:up_*_ptr[v+1]`` index ``*_to``/``*_w``.

    ``fwd``: arcs v→x with rank[x] > rank[v]; ``bwd``: arcs x→v with rank[x] > rank[v]
    stored at v (followed backwards from a target).
    """

    n_nodes: int
    rank: np.ndarray
    fwd_ptr: np.ndarray
    fwd_to: np.ndarray
    fwd_w: np.ndarray
    bwd_ptr: np.ndarray
    bwd_to: np.ndarray
    bwd_w: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        """For the disk cache."""
        return {
            "rank": self.rank,
            "fwd_ptr": self.fwd_ptr,
            "fwd_to": self.fwd_to,
            "fwd_w": self.fwd_w,
            "bwd_ptr": self.bwd_ptr,
            "bwd_to": self.bwd_to,
            "bwd_w": self.bwd_w,
        }

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Hierarchy:
        fields = [k for k in cls.__dataclass_fields__ if k != "n_nodes"]
        return cls(n_nodes=len(a["rank"]), **{k: a[k] for k in fields})

    @property
    def n_arcs(self) -> int:
        return len(self.fwd_to) + len(self.bwd_to)


# -- binary heap on (key, item) arrays; size kept by the caller ------------------------------
@_jit
def _push(hk, hv, size, key, item):
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hv[i] = hv[p]
        i = p
    hk[i] = key
    hv[i] = item
    return size + 1


@_jit
def _pop(hk, hv, size):
    """Remove the root (read hk[0], hv[0] before calling); returns the new size."""
    size -= 1
    key = hk[size]
    item = hv[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[c] >= key:
            break
        hk[i] = hk[c]
        hv[i] = hv[c]
        i = c
    if size > 0:
        hk[i] = key
        hv[i] = item
    return size


# -- dynamic adjacency: per node a block in a pool, moved to the end when full -------------
@_jit
def _find(nbr, start, cnt, x, target):
    s = start[x]
    for k in range(s, s + cnt[x]):
        if nbr[k] == target:
            return k
    return -1


@_jit
def _remove(nbr, wt, start, cnt, x, target):
    k = _find(nbr, start, cnt, x, target)
    if k >= 0:
        last = start[x] + cnt[x] - 1
        nbr[k] = nbr[last]
        wt[k] = wt[last]
        cnt[x] -= 1


@_jit
def _witness(g, scratch, src, skip, bound, limit, n_targets):
    """Dijkstra from ``src`` avoiding ``skip`` and the ``blocked`` nodes up to ``bound`` or
    ``limit`` settled nodes; leaves distances in ``dist`` (caller resets ``touched[:return]``)."""
    out_nbr, out_wt, out_start, out_cnt = g[0], g[1], g[2], g[3]
    dist, touched, hk, hv, is_target, blocked = scratch
    n_touched = 0
    dist[src] = 0.0
    touched[n_touched] = src
    n_touched += 1
    size = _push(hk, hv, 0, 0.0, src)
    settled = 0
    cap = len(hk)
    while size > 0:
        d = hk[0]
        x = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[x]:
            continue
        if d > bound:
            break
        if is_target[x]:
            n_targets -= 1
            if n_targets == 0:
                break
        s = out_start[x]
        settled += 1 + out_cnt[x]  # work: nodes settled + arcs scanned
        if settled > limit:
            break
        for k in range(s, s + out_cnt[x]):
            y = out_nbr[k]
            if y == skip or blocked[y]:
                continue
            nd = d + out_wt[k]
            if nd < dist[y] and nd <= bound:
                if dist[y] == _INF:
                    if n_touched >= len(touched):
                        continue
                    touched[n_touched] = y
                    n_touched += 1
                dist[y] = nd
                if size < cap:
                    size = _push(hk, hv, size, nd, y)
    return n_touched


@_jit
def _shortcuts(v, g, limit, scratch, su, sw, sweight):
    """Shortcuts needed to contract v, written to su/sw/sweight; returns their count
    (−1 when the buffers are too small: treat as a very bad priority). ``limit`` 0:
    no witness search, just count the in × out pairs (an upper bound). ``g`` is the
    adjacency (out_nbr, out_wt, out_start, out_cnt, in_nbr, in_wt, in_start, in_cnt),
    ``scratch`` the witness search's (dist, touched, hk, hv, is_target, blocked)."""
    out_nbr, out_wt, out_start, out_cnt, in_nbr, in_wt, in_start, in_cnt = g
    dist, touched, is_target = scratch[0], scratch[1], scratch[4]
    n_sc = 0
    if limit == 0:
        for a in range(in_start[v], in_start[v] + in_cnt[v]):
            for b in range(out_start[v], out_start[v] + out_cnt[v]):
                if in_nbr[a] != out_nbr[b]:
                    n_sc += 1
        return n_sc
    os_, oc = out_start[v], out_cnt[v]
    for a in range(in_start[v], in_start[v] + in_cnt[v]):
        u = in_nbr[a]
        wu = in_wt[a]
        bound = 0.0
        any_target = False
        for b in range(os_, os_ + oc):
            w = out_nbr[b]
            if w != u:
                any_target = True
                if wu + out_wt[b] > bound:
                    bound = wu + out_wt[b]
        if not any_target:
            continue
        n_targets = 0
        for b in range(os_, os_ + oc):
            w = out_nbr[b]
            if w != u and not is_target[w]:
                is_target[w] = True
                n_targets += 1
        nt = _witness(g, scratch, u, v, bound, limit, n_targets)
        for b in range(os_, os_ + oc):
            is_target[out_nbr[b]] = False
        for b in range(os_, os_ + oc):
            w = out_nbr[b]
            if w == u:
                continue
            via = wu + out_wt[b]
            if dist[w] > via:
                if n_sc >= len(su):
                    for t in range(nt):
                        dist[touched[t]] = _INF
                    return -1
                su[n_sc] = u
                sw[n_sc] = w
                sweight[n_sc] = via
                n_sc += 1
        for t in range(nt):
            dist[touched[t]] = _INF
    return n_sc


@_jit
def _priority(v, n_sc, in_cnt, out_cnt, deleted):
    if n_sc < 0:
        return 1e18
    return 4.0 * n_sc - 2.0 * (in_cnt[v] + out_cnt[v]) + deleted[v]


@_jit
def _insert(nbr, wt, start, cnt, cap, pool_end, x, y, w):
    """Add arc (x, y, w) or lower an existing one; returns (nbr, wt, pool_end)."""
    k = _find(nbr, start, cnt, x, y)
    if k >= 0:
        if w < wt[k]:
            wt[k] = w
        return nbr, wt, pool_end
    if cnt[x] == cap[x]:
        new_cap = 2 * cap[x] + 4
        if pool_end + new_cap > len(nbr):
            size = max(2 * len(nbr), pool_end + new_cap)
            nn = np.empty(size, dtype=nbr.dtype)
            nw = np.empty(size, dtype=wt.dtype)
            nn[:pool_end] = nbr[:pool_end]
            nw[:pool_end] = wt[:pool_end]
            nbr, wt = nn, nw
        s = start[x]
        for k in range(cnt[x]):
            nbr[pool_end + k] = nbr[s + k]
            wt[pool_end + k] = wt[s + k]
        start[x] = pool_end
        cap[x] = new_cap
        pool_end += new_cap
    nbr[start[x] + cnt[x]] = y
    wt[start[x] + cnt[x]] = w
    cnt[x] += 1
    return nbr, wt, pool_end


@_jit
def _adjacency(n, a, b, w):
    """Pool layout of the arcs a→b grouped by a (a block per node with room to grow)."""
    cnt = np.zeros(n, dtype=np.int64)
    for k in range(len(a)):
        cnt[a[k]] += 1
    cap = cnt * 2 + 2
    start = np.zeros(n, dtype=np.int64)
    total = 0
    for x in range(n):
        start[x] = total
        total += cap[x]
    nbr = np.empty(total * 2, dtype=np.int32)
    wt = np.empty(total * 2, dtype=np.float64)
    fill = np.zeros(n, dtype=np.int64)
    for k in range(len(a)):
        x = a[k]
        nbr[start[x] + fill[x]] = b[k]
        wt[start[x] + fill[x]] = w[k]
        fill[x] += 1
    return nbr, wt, start, cnt, cap, total


@_jit
def _scratch(n, blocked):
    """A witness search's working arrays (dist, touched, hk, hv, is_target, blocked:
    shared, read only) and shortcut buffers (su, sw, sweight)."""
    dist = np.full(n, _INF)
    is_target = np.zeros(n, dtype=np.bool_)
    touched = np.empty(4096, dtype=np.int64)
    hk = np.empty(1 << 15, dtype=np.float64)
    hv = np.empty(1 << 15, dtype=np.int64)
    su = np.empty(1 << 14, dtype=np.int64)
    sw = np.empty(1 << 14, dtype=np.int64)
    sweight = np.empty(1 << 14, dtype=np.float64)
    return (dist, touched, hk, hv, is_target, blocked), su, sw, sweight


@_jit
def _initial_priorities(g, sim_settle, lo, hi, prio):
    """``prio[lo:hi]`` before any contraction; reads ``g`` only, so ranges of nodes
    run in parallel threads, each with its own scratch."""
    n = len(prio)
    scratch, su, sw, sweight = _scratch(n, np.zeros(n, dtype=np.bool_))
    deleted = np.zeros(n, dtype=np.float64)
    for v in range(lo, hi):
        ns = _shortcuts(v, g, sim_settle, scratch, su, sw, sweight)
        prio[v] = _priority(v, ns, g[7], g[3], deleted)


@_jit
def _contract(n, len_src, out_adj, in_adj, prio, witness_settle, sim_settle, update_neighbours):
    out_nbr, out_wt, out_start, out_cnt, out_cap, out_end = out_adj
    in_nbr, in_wt, in_start, in_cnt, in_cap, in_end = in_adj
    scratch, su, sw, sweight = _scratch(n, np.zeros(n, dtype=np.bool_))
    deleted = np.zeros(n, dtype=np.float64)
    done = np.zeros(n, dtype=np.bool_)
    rank = np.full(n, -1, dtype=np.int64)
    qk = np.empty(4 * n + 16, dtype=np.float64)
    qv = np.empty(4 * n + 16, dtype=np.int64)
    qsize = 0
    g = (out_nbr, out_wt, out_start, out_cnt, in_nbr, in_wt, in_start, in_cnt)
    for v in range(n):
        qsize = _push(qk, qv, qsize, prio[v], v)
    # upward arcs recorded at contraction: (node, neighbour, weight)
    f_node = np.empty(len_src * 2 + 16, dtype=np.int64)
    f_to = np.empty(len_src * 2 + 16, dtype=np.int64)
    f_w = np.empty(len_src * 2 + 16, dtype=np.float64)
    b_node = np.empty(len_src * 2 + 16, dtype=np.int64)
    b_to = np.empty(len_src * 2 + 16, dtype=np.int64)
    b_w = np.empty(len_src * 2 + 16, dtype=np.float64)
    nf = 0
    nb = 0
    next_rank = 0
    while qsize > 0:
        p = qk[0]
        v = qv[0]
        qsize = _pop(qk, qv, qsize)
        if done[v] or p != prio[v]:
            continue
        # lazy update: re-evaluate, contract only if still the smallest
        ns = _shortcuts(v, g, sim_settle, scratch, su, sw, sweight)
        newp = _priority(v, ns, in_cnt, out_cnt, deleted)
        if qsize > 0 and newp > qk[0]:
            prio[v] = newp
            qsize = _push(qk, qv, qsize, newp, v)
            continue
        if witness_settle != sim_settle or ns < 0:
            ns = _shortcuts(v, g, witness_settle, scratch, su, sw, sweight)
        while ns < 0:  # more shortcuts than the buffers hold: grow them and redo
            su = np.empty(2 * len(su), dtype=np.int64)
            sw = np.empty(2 * len(sw), dtype=np.int64)
            sweight = np.empty(2 * len(sweight), dtype=np.float64)
            ns = _shortcuts(v, g, witness_settle, scratch, su, sw, sweight)
        # record v's arcs (all to uncontracted, i.e. higher, nodes) as upward arcs
        f_node, f_to, f_w, nf = _record(
            f_node, f_to, f_w, nf, v, out_nbr, out_wt, out_start, out_cnt
        )
        b_node, b_to, b_w, nb = _record(b_node, b_to, b_w, nb, v, in_nbr, in_wt, in_start, in_cnt)
        # detach v
        for k in range(out_start[v], out_start[v] + out_cnt[v]):
            _remove(in_nbr, in_wt, in_start, in_cnt, out_nbr[k], v)
        for k in range(in_start[v], in_start[v] + in_cnt[v]):
            _remove(out_nbr, out_wt, out_start, out_cnt, in_nbr[k], v)
        for t in range(ns):
            out_nbr, out_wt, out_end = _insert(
                out_nbr, out_wt, out_start, out_cnt, out_cap, out_end, su[t], sw[t], sweight[t]
            )
            in_nbr, in_wt, in_end = _insert(
                in_nbr, in_wt, in_start, in_cnt, in_cap, in_end, sw[t], su[t], sweight[t]
            )
        g = (
            out_nbr,
            out_wt,
            out_start,
            out_cnt,
            in_nbr,
            in_wt,
            in_start,
            in_cnt,
        )  # the pools may have moved
        done[v] = True
        rank[v] = next_rank
        next_rank += 1
        # neighbours: one more contracted neighbour, fresh priority
        for side in range(2):
            if side == 0:
                s0, c0, arr = out_start[v], out_cnt[v], out_nbr
            else:
                s0, c0, arr = in_start[v], in_cnt[v], in_nbr
            for k in range(s0, s0 + c0):
                x = arr[k]
                if done[x]:
                    continue
                deleted[x] += 1.0
                if update_neighbours:
                    nsx = _shortcuts(x, g, sim_settle, scratch, su, sw, sweight)
                    px = _priority(x, nsx, in_cnt, out_cnt, deleted)
                else:
                    px = prio[x] + 1.0
                if px != prio[x]:
                    prio[x] = px
                    if qsize >= len(qk):
                        qk = _grow_f(qk, 2 * len(qk))
                        qv = _grow_i(qv, 2 * len(qv))
                    qsize = _push(qk, qv, qsize, px, x)
        out_cnt[v] = 0
        in_cnt[v] = 0
    return rank, f_node[:nf], f_to[:nf], f_w[:nf], b_node[:nb], b_to[:nb], b_w[:nb]


@_jit
def _record(node, to, w, count, v, nbr, wt, start, cnt):
    """Append v's current arcs (v, neighbour, weight) to the growing triplet arrays."""
    need = count + cnt[v]
    if need > len(node):
        node = _grow_i(node, 2 * need)
        to = _grow_i(to, 2 * need)
        w = _grow_f(w, 2 * need)
    for k in range(start[v], start[v] + cnt[v]):
        node[count] = v
        to[count] = nbr[k]
        w[count] = wt[k]
        count += 1
    return node, to, w, count


@_jit
def _grow_i(a, size):
    out = np.empty(size, dtype=a.dtype)
    out[: len(a)] = a
    return out


@_jit
def _grow_f(a, size):
    out = np.empty(size, dtype=a.dtype)
    out[: len(a)] = a
    return out


def _csr(n: int, node: np.ndarray, to: np.ndarray, w: np.ndarray):
    order = np.argsort(node, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=n), out=ptr[1:])
    return ptr, to[order].astype(np.int32), w[order]


def build_hierarchy(
    n_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    witness_settle: int = WITNESS_SETTLE,
    sim_settle: int = SIM_SETTLE,
    update_neighbours: bool = False,
    threads: int | None = None,
    rounds: bool = True,
) -> Hierarchy:
    """Contract the directed graph (arcs src→dst, float64 weights ≥ 0, no NaN).

    ``update_neighbours`` recomputes the priority of a contracted node's neighbours
    (fewer shortcuts, several times slower here); otherwise they only count one more
    contracted neighbour and the lazy update corrects them when they are popped.
    ``rounds`` (default) contracts in rounds of independent nodes (chrounds.py), the
    witness searches in ``threads`` threads (default_threads()): on the 200k-line
    benchmark network 2.6 s CPU against 3.4 s one node at a time, same query speed.
    The initial priorities are computed in threads too; the result does not depend on
    their number.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=np.float64)
    # one arc per (src, dst), the lightest; no self-loops
    keep = src != dst
    src, dst, weight = src[keep], dst[keep], weight[keep]
    order = np.lexsort((weight, dst, src))
    src, dst, weight = src[order], dst[order], weight[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])][: len(src)]
    src, dst, weight = src[first], dst[first], weight[first]
    out_adj = _adjacency(n_nodes, src, dst, weight)
    in_adj = _adjacency(n_nodes, dst, src, weight)
    g = (*out_adj[:4], *in_adj[:4])
    prio = np.empty(n_nodes, dtype=np.float64)
    n_threads = threads or default_threads()
    in_ranges(_initial_priorities, (g, sim_settle), n_nodes, n_threads, prio)
    if rounds:
        from optimizer.network.chrounds import contract_in_rounds  # it imports this module

        rank, fn, ft, fw, bn, bt, bw = contract_in_rounds(
            n_nodes, len(src), out_adj, in_adj, prio, witness_settle, sim_settle, n_threads
        )
    else:
        rank, fn, ft, fw, bn, bt, bw = _contract(
            n_nodes, len(src), out_adj, in_adj, prio, witness_settle, sim_settle, update_neighbours
        )
    fwd_ptr, fwd_to, fwd_w = _csr(n_nodes, fn, ft, fw)
    bwd_ptr, bwd_to, bwd_w = _csr(n_nodes, bn, bt, bw)
    return Hierarchy(n_nodes, rank, fwd_ptr, fwd_to, fwd_w, bwd_ptr, bwd_to, bwd_w)


# -- RPHAST many-to-many -------------------------------------------------------------------
@_jit
def _restrict(n, rank, bwd_ptr, bwd_to, seeds):
    """Nodes reachable from ``seeds`` along upward in-arcs, sorted by rank (high first),
    and each node's position in that list (−1 outside)."""
    loc = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    members = np.empty(n, dtype=np.int64)
    m = 0
    top = 0
    for s in seeds:
        if loc[s] < 0:
            loc[s] = 0
            members[m] = s
            m += 1
            stack[top] = s
            top += 1
    while top > 0:
        top -= 1
        x = stack[top]
        for k in range(bwd_ptr[x], bwd_ptr[x + 1]):
            y = bwd_to[k]
            if loc[y] < 0:
                loc[y] = 0
                members[m] = y
                m += 1
                stack[top] = y
                top += 1
    members = members[:m]
    order = np.argsort(-rank[members])
    members = members[order]
    for i in range(m):
        loc[members[i]] = i
    return members, loc


@_jit
def _down_arcs(members, loc, bwd_ptr, bwd_to, bwd_w):
    """Downward arcs of the restricted graph as (position of x, position of y, w) grouped
    by x in sweep order: dist[x] = min(dist[x], dist[y] + w)."""
    m = len(members)
    ptr = np.zeros(m + 1, dtype=np.int64)
    for i in range(m):
        x = members[i]
        ptr[i + 1] = ptr[i] + bwd_ptr[x + 1] - bwd_ptr[x]
    frm = np.empty(ptr[m], dtype=np.int64)
    w = np.empty(ptr[m], dtype=np.float64)
    for i in range(m):
        x = members[i]
        j = ptr[i]
        for k in range(bwd_ptr[x], bwd_ptr[x + 1]):
            frm[j] = loc[bwd_to[k]]
            w[j] = bwd_w[k]
            j += 1
    return ptr, frm, w


@_jit
def _up_cone(rank, fwd_ptr, fwd_to, fwd_w, seeds, offs, dist, mark, buf):
    """Exact upward distances from the seeds (with offsets) over their upward cone;
    returns the cone size (nodes in ``buf``); caller resets ``dist``/``mark``."""
    m = 0
    for i in range(len(seeds)):
        s = seeds[i]
        if not mark[s]:
            mark[s] = True
            buf[m] = s
            m += 1
        if offs[i] < dist[s]:
            dist[s] = offs[i]
    j = 0
    while j < m:
        x = buf[j]
        j += 1
        for k in range(fwd_ptr[x], fwd_ptr[x + 1]):
            y = fwd_to[k]
            if not mark[y]:
                mark[y] = True
                buf[m] = y
                m += 1
    keys = np.empty(m, dtype=np.int64)
    for i in range(m):
        keys[i] = rank[buf[i]]
    order = np.argsort(keys)
    cone = buf[:m][order].copy()
    for i in range(m):
        x = cone[i]
        d = dist[x]
        if d == _INF:
            continue
        for k in range(fwd_ptr[x], fwd_ptr[x + 1]):
            y = fwd_to[k]
            nd = d + fwd_w[k]
            if nd < dist[y]:
                dist[y] = nd
    buf[:m] = cone
    return m


@_jit
def _rphast(
    n,
    rank,
    fwd_ptr,
    fwd_to,
    fwd_w,
    src_ptr,
    src_node,
    src_off,
    members,
    loc,
    dptr,
    dfrm,
    dw,
    tgt_ptr,
    tgt_pos,
    tgt_off,
    batch,
    lo_src,
    hi_src,
    out,
):
    """Rows ``lo_src:hi_src`` of ``out`` (sources × targets), batch by batch."""
    n_tgt = len(tgt_ptr) - 1
    m = len(members)
    table = np.empty((m, batch))
    dist = np.full(n, _INF)
    mark = np.zeros(n, dtype=np.bool_)
    buf = np.empty(n, dtype=np.int64)
    for lo in range(lo_src, hi_src, batch):
        hi = min(lo + batch, hi_src)
        kb = hi - lo
        table[:] = _INF
        for s in range(lo, hi):
            seeds = src_node[src_ptr[s] : src_ptr[s + 1]]
            offs = src_off[src_ptr[s] : src_ptr[s + 1]]
            c = _up_cone(rank, fwd_ptr, fwd_to, fwd_w, seeds, offs, dist, mark, buf)
            for i in range(c):
                x = buf[i]
                if loc[x] >= 0:
                    table[loc[x], s - lo] = dist[x]
                dist[x] = _INF
                mark[x] = False
        for i in range(m):
            row = table[i]
            for k in range(dptr[i], dptr[i + 1]):
                y = table[dfrm[k]]
                w = dw[k]
                for j in range(kb):
                    v = y[j] + w
                    if v < row[j]:
                        row[j] = v
        for t in range(n_tgt):
            for k in range(tgt_ptr[t], tgt_ptr[t + 1]):
                pos = tgt_pos[k]
                off = tgt_off[k]
                for j in range(kb):
                    v = table[pos, j] + off
                    if v < out[lo + j, t]:
                        out[lo + j, t] = v


def default_threads() -> int:
    """``FRESHROUTE_WORKERS`` or the usable cores (at most 4)."""
    env = os.environ.get("FRESHROUTE_WORKERS")
    return max(1, int(env)) if env else max(1, min(len(os.sched_getaffinity(0)), 4))


def in_ranges(kernel, args: tuple, n: int, threads: int, out: np.ndarray) -> None:
    """``kernel(*args, lo, hi, out)`` over ``threads`` equal ranges of ``0:n`` at once.

    Threads, not numba's parallel=True: the kernels release the GIL, and no OpenMP
    runtime is started (GNU OpenMP breaks a later fork, which the Dijkstra method uses).
    """
    threads = max(1, min(threads, n))
    bounds = np.linspace(0, n, threads + 1).astype(np.int64)
    if threads == 1:
        kernel(*args, 0, n, out)
        return
    with ThreadPoolExecutor(threads) as pool:
        jobs = [
            pool.submit(kernel, *args, int(lo), int(hi), out)
            for lo, hi in itertools.pairwise(bounds)
        ]
        for job in jobs:
            job.result()


def many_to_many(
    h: Hierarchy,
    src_ptr: np.ndarray,
    src_node: np.ndarray,
    src_off: np.ndarray,
    tgt_ptr: np.ndarray,
    tgt_node: np.ndarray,
    tgt_off: np.ndarray,
    batch: int = BATCH,
    threads: int | None = None,
) -> np.ndarray:
    """Shortest distances (sources × targets), inf where unreachable.

    Source i leaves from ``src_node[src_ptr[i]:src_ptr[i+1]]`` after the matching
    ``src_off``; target j is reached at ``tgt_node[tgt_ptr[j]:...]`` plus ``tgt_off``.
    """
    members, loc = _restrict(h.n_nodes, h.rank, h.bwd_ptr, h.bwd_to, np.asarray(tgt_node, np.int64))
    dptr, dfrm, dw = _down_arcs(members, loc, h.bwd_ptr, h.bwd_to, h.bwd_w)
    tgt_pos = loc[np.asarray(tgt_node, np.int64)]
    src_ptr = np.asarray(src_ptr, np.int64)
    n_src, n_tgt = len(src_ptr) - 1, len(tgt_ptr) - 1
    out = np.full((n_src, n_tgt), _INF)
    args = (
        h.n_nodes, h.rank, h.fwd_ptr, h.fwd_to, h.fwd_w, src_ptr,
        np.asarray(src_node, np.int64), np.asarray(src_off, np.float64), members, loc,
        dptr, dfrm, dw, np.asarray(tgt_ptr, np.int64), tgt_pos,
        np.asarray(tgt_off, np.float64), batch,
    )  # fmt: skip
    in_ranges(_rphast, args, n_src, min(threads or default_threads(), max(1, n_src // batch)), out)
    return out


def warm_up() -> None:
    """Compile the kernels now (or load them from numba's on-disk cache) on a 3-node
    graph, so that the first road matrix does not pay for compiling."""
    h = build_hierarchy(3, np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1.0, 2.0, 3.0]))
    one = np.array([0, 1], dtype=np.int64)
    many_to_many(h, one, one[:1], np.zeros(1), one, one[1:], np.zeros(1))
