"""Contraction in rounds of independent nodes, the witness searches in parallel threads.

ch.py's sequential build contracts one node at a time in priority order (a lazily
updated heap): one core. Here each round takes every remaining node whose priority is
smaller than all its neighbours' (ties by node id): no two are adjacent, so their
shortcuts are computed independently in threads (one scratch per thread), then merged
in node order. A round's witness searches avoid all of the round's nodes: any path
through them is then covered by their shortcuts or by a witness among the remaining
nodes, so distances stay exact. Afterwards the priorities of the contracted nodes'
neighbours are recomputed, also in threads. Ranks follow the rounds (node order inside
a round); the result does not depend on the number of threads.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from optimizer.network.ch import (
    _grow_f,
    _grow_i,
    _insert,
    _jit,
    _priority,
    _record,
    _remove,
    _scratch,
    _shortcuts,
)

_SERIAL_BELOW = 64  # nodes in a round below which threads do not pay off


@_jit
def _select(remaining, prio, g):
    """(chosen, rest): the remaining nodes that beat all their neighbours on
    (priority, id), and the others."""
    out_nbr, out_start, out_cnt = g[0], g[2], g[3]
    in_nbr, in_start, in_cnt = g[4], g[6], g[7]
    chosen = np.empty(len(remaining), dtype=np.int64)
    rest = np.empty(len(remaining), dtype=np.int64)
    m = 0
    r = 0
    for v in remaining:
        p = prio[v]
        ok = True
        for k in range(out_start[v], out_start[v] + out_cnt[v]):
            x = out_nbr[k]
            if prio[x] < p or (prio[x] == p and x < v):
                ok = False
                break
        if ok:
            for k in range(in_start[v], in_start[v] + in_cnt[v]):
                x = in_nbr[k]
                if prio[x] < p or (prio[x] == p and x < v):
                    ok = False
                    break
        if ok:
            chosen[m] = v
            m += 1
        else:
            rest[r] = v
            r += 1
    return chosen[:m], rest[:r]


@_jit
def _round_shortcuts(g, limit, nodes, lo, hi, sc):
    """Shortcuts of ``nodes[lo:hi]`` as (ptr, u, w, weight), ptr relative to ``lo``."""
    scratch, su, sw, sweight = sc
    ptr = np.zeros(hi - lo + 1, dtype=np.int64)
    ru = np.empty(1024, dtype=np.int64)
    rw = np.empty(1024, dtype=np.int64)
    rweight = np.empty(1024, dtype=np.float64)
    total = 0
    for i in range(lo, hi):
        v = nodes[i]
        ns = _shortcuts(v, g, limit, scratch, su, sw, sweight)
        while ns < 0:  # more than the buffers hold: larger ones for this node
            su = np.empty(2 * len(su), dtype=np.int64)
            sw = np.empty(2 * len(sw), dtype=np.int64)
            sweight = np.empty(2 * len(sweight), dtype=np.float64)
            ns = _shortcuts(v, g, limit, scratch, su, sw, sweight)
        if total + ns > len(ru):
            size = 2 * (total + ns)
            ru, rw, rweight = _grow_i(ru, size), _grow_i(rw, size), _grow_f(rweight, size)
        ru[total : total + ns] = su[:ns]
        rw[total : total + ns] = sw[:ns]
        rweight[total : total + ns] = sweight[:ns]
        total += ns
        ptr[i - lo + 1] = total
    return ptr, ru[:total], rw[:total], rweight[:total]


@_jit
def _accept(nodes, ptr, prio, deleted, g):
    """Which round nodes still beat their neighbours with the priority their shortcuts
    give (the lazy update of ch._contract); the others get that priority and wait."""
    out_nbr, out_start, out_cnt = g[0], g[2], g[3]
    in_nbr, in_start, in_cnt = g[4], g[6], g[7]
    ok = np.ones(len(nodes), dtype=np.bool_)
    for i in range(len(nodes)):
        v = nodes[i]
        p = _priority(v, ptr[i + 1] - ptr[i], in_cnt, out_cnt, deleted)
        for k in range(out_start[v], out_start[v] + out_cnt[v]):
            x = out_nbr[k]
            if prio[x] < p or (prio[x] == p and x < v):
                ok[i] = False
        for k in range(in_start[v], in_start[v] + in_cnt[v]):
            x = in_nbr[k]
            if prio[x] < p or (prio[x] == p and x < v):
                ok[i] = False
        if not ok[i]:
            prio[v] = p
    return ok


@_jit
def _merge(nodes, ok, ptr, su, sw, sweight, out_adj, in_adj, up, state):
    """Contract ``nodes[ok]`` in order: record their arcs as upward arcs, detach them, add
    their shortcuts; a neighbour's priority counts one more contracted neighbour.
    Returns (out_adj, in_adj, up, next_rank)."""
    out_nbr, out_wt, out_start, out_cnt, out_cap, out_end = out_adj
    in_nbr, in_wt, in_start, in_cnt, in_cap, in_end = in_adj
    f_node, f_to, f_w, nf, b_node, b_to, b_w, nb = up
    done, rank, deleted, prio, next_rank = state
    for i in range(len(nodes)):
        if not ok[i]:
            continue
        v = nodes[i]
        f_node, f_to, f_w, nf = _record(
            f_node, f_to, f_w, nf, v, out_nbr, out_wt, out_start, out_cnt
        )
        b_node, b_to, b_w, nb = _record(b_node, b_to, b_w, nb, v, in_nbr, in_wt, in_start, in_cnt)
        for side in range(2):
            if side == 0:
                s0, c0, arr = out_start[v], out_cnt[v], out_nbr
            else:
                s0, c0, arr = in_start[v], in_cnt[v], in_nbr
            for k in range(s0, s0 + c0):
                x = arr[k]
                deleted[x] += 1.0
                prio[x] += 1.0
        for k in range(out_start[v], out_start[v] + out_cnt[v]):
            _remove(in_nbr, in_wt, in_start, in_cnt, out_nbr[k], v)
        for k in range(in_start[v], in_start[v] + in_cnt[v]):
            _remove(out_nbr, out_wt, out_start, out_cnt, in_nbr[k], v)
        out_cnt[v] = 0
        in_cnt[v] = 0
        for t in range(ptr[i], ptr[i + 1]):
            out_nbr, out_wt, out_end = _insert(
                out_nbr, out_wt, out_start, out_cnt, out_cap, out_end, su[t], sw[t], sweight[t]
            )
            in_nbr, in_wt, in_end = _insert(
                in_nbr, in_wt, in_start, in_cnt, in_cap, in_end, sw[t], su[t], sweight[t]
            )
        done[v] = True
        rank[v] = next_rank
        next_rank += 1
    return (
        (out_nbr, out_wt, out_start, out_cnt, out_cap, out_end),
        (in_nbr, in_wt, in_start, in_cnt, in_cap, in_end),
        (f_node, f_to, f_w, nf, b_node, b_to, b_w, nb),
        next_rank,
    )


def _chunks(n: int, parts: int) -> list[tuple[int, int]]:
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]


def contract_in_rounds(
    n: int,
    n_arcs: int,
    out_adj: tuple,
    in_adj: tuple,
    prio: np.ndarray,
    witness_settle: int,
    sim_settle: int,
    threads: int,
) -> tuple[np.ndarray, ...]:
    """Like ch._contract (same inputs, same outputs: rank and the upward arc triplets)."""
    blocked = np.zeros(n, dtype=np.bool_)
    scr = [_scratch(n, blocked) for _ in range(threads)]
    size = 2 * n_arcs + 16
    up = (
        np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size), 0,
        np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size), 0,
    )  # fmt: skip
    done = np.zeros(n, dtype=np.bool_)
    rank = np.full(n, -1, dtype=np.int64)
    deleted = np.zeros(n, dtype=np.float64)
    remaining = np.arange(n, dtype=np.int64)
    next_rank = 0
    with ThreadPoolExecutor(threads) as pool:

        def run(kernel, args, items, tail):
            """``kernel(*args, items, lo, hi, *tail(i))`` over chunks of ``items``."""
            parts = 1 if len(items) < _SERIAL_BELOW else threads
            jobs = [
                pool.submit(kernel, *args, items, lo, hi, *tail(i))
                for i, (lo, hi) in enumerate(_chunks(len(items), parts))
            ]
            return [job.result() for job in jobs]

        while len(remaining):
            g = (*out_adj[:4], *in_adj[:4])
            chosen, remaining = _select(remaining, prio, g)
            blocked[chosen] = True
            parts = run(_round_shortcuts, (g, witness_settle), chosen, lambda i: (scr[i],))
            blocked[chosen] = False
            offsets = np.cumsum([0] + [p[0][-1] for p in parts])
            ptr = np.concatenate(
                [[0]] + [p[0][1:] + o for p, o in zip(parts, offsets[:-1], strict=True)]
            )
            su = np.concatenate([p[1] for p in parts])
            sw = np.concatenate([p[2] for p in parts])
            sweight = np.concatenate([p[3] for p in parts])
            ok = _accept(chosen, ptr, prio, deleted, g)
            remaining = np.concatenate([remaining, chosen[~ok]])
            state = (done, rank, deleted, prio, next_rank)
            out_adj, in_adj, up, next_rank = _merge(
                chosen, ok, ptr, su, sw, sweight, out_adj, in_adj, up, state
            )
    fn, ft, fw, nf, bn, bt, bw, nb = up
    return rank, fn[:nf], ft[:nf], fw[:nf], bn[:nb], bt[:nb], bw[:nb]
