"""Capacitated facility location (split demand): opening cost + transport cost, proven optimal.

Model: min Σ f_i y_i + Σ a_ij x_ij  s.t.  Σ_i x_ij = 1,  Σ_j d_j x_ij ≤ s_i y_i,  x_ij ≤ y_i,
Σ s_i y_i ≥ D,  x ≥ 0,  y binary. ``a_ij`` is the cost of serving *all* of j's demand from i.

Exact method: Lagrangian branch and bound over the sites (Beasley 1993). Relaxing the demand
constraints with multipliers λ leaves one continuous knapsack per site plus a covering
knapsack on capacity. Its best value is at least the LP bound of the strong formulation, and
one evaluation takes about a millisecond on 100 × 1000, where SCIP needs seconds for each LP
of the strong model (100k link rows): that LP cost made the big OR-Library instances take
minutes. Every node runs a warm-started subgradient, fixes the sites whose forced opening or
closing lifts the bound over the incumbent, and branches on the site whose weaker child bound
is highest. Every bound is valid for any λ, so stopping the subgradient early only costs
nodes. Allocation LPs (incumbents, fully fixed leaves) are solved with OR-Tools GLOP. With a
``budget``, or ``reduce=False``, the strong MIP goes to SCIP (OR-Tools) instead.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from ortools.linear_solver.python import model_builder_helper as mbh
from scipy.sparse import coo_matrix, csr_matrix

from ._inputs import as_matrix, as_vector, check_reachable, name_list, site_masks
from .mip import solve_mip
from .result import SitingError, SitingResult, Status

__all__ = ["cflp_heuristic", "solve_cflp", "transport"]

# A node is pruned when its bound is within this of the incumbent (the MIP path's gaps).
REL_GAP = 1e-9
ABS_GAP = 1e-6
# Subgradient budgets: (max iterations, halve the step after this many non-improving
# iterations, stop below this step factor). The root runs twice (before and after the local
# search); nodes warm-start from their parent's multipliers. Tuned on OR-Library cap*.
ROOT_SUBGRADIENT = (300, 10, 1e-2)
NODE_SUBGRADIENT = (30, 5, 5e-3)
HEURISTIC_EVERY = 50  # evaluate the Lagrangian solution every this many root iterations
NODE_HEURISTIC_EVERY = 50  # and the solution of every this-many-th node


@dataclass
class _Problem:
    a: np.ndarray  # (m, n) cost of serving all of j from i (inf = not allowed)
    d: np.ndarray
    s: np.ndarray
    f: np.ndarray
    must: np.ndarray
    allowed: np.ndarray


def _prepare(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    cost_per_unit: bool,
    must_open: list[int] | None,
    forbidden: list[int] | None,
    max_cost: float | None,
) -> _Problem:
    """Validate and normalise CFLP input; raises :class:`SitingError` naming the sites."""
    c = as_matrix(cost)
    m, n = c.shape
    d = as_vector(demand, n, "demand")
    s = as_vector(capacity, m, "capacity")
    f = as_vector(opening_cost, m, "opening_cost", default=0.0)
    must, allowed = site_masks(m, must_open, forbidden)
    if max_cost is not None:
        c = np.where(c <= max_cost, c, np.inf)
    check_reachable(np.isfinite(c), allowed, f"within {max_cost}" if max_cost else "")
    total_cap, total_dem = float(s[allowed].sum()), float(d.sum())
    if total_cap < total_dem - 1e-9:
        raise SitingError(
            f"total capacity {total_cap:g} of the allowed sites is below total demand "
            f"{total_dem:g} (short by {total_dem - total_cap:g})"
        )
    reach_cap = (np.isfinite(c) & allowed[:, None]) * s[:, None]
    short = np.flatnonzero(reach_cap.sum(axis=0) < d - 1e-9)
    if short.size:
        raise SitingError(
            f"demand points {name_list(short)} exceed the total capacity of the sites "
            "that can reach them"
        )
    a = c * d[None, :] if cost_per_unit else c.copy()
    a[:, d == 0] = np.where(np.isfinite(c[:, d == 0]), 0.0, np.inf)
    a[~allowed] = np.inf
    return _Problem(a, d, s, f, must, allowed)


class _Alloc(NamedTuple):
    """Allocation LP outcome: transport cost (inf if infeasible), flows, demand-row duals;
    ``solved`` is False when GLOP stopped without an answer (time limit, numerics)."""

    cost: float
    flows: np.ndarray | None
    duals: np.ndarray | None
    solved: bool


def _allocate(
    a: np.ndarray, d: np.ndarray, s: np.ndarray, open_idx: np.ndarray, time_limit: float
) -> _Alloc:
    """Optimal split-demand allocation to an open set: a transportation LP, solved by GLOP."""
    m, n = a.shape
    open_idx = np.asarray(open_idx, dtype=np.int64)
    sub = a[open_idx]
    ok = np.isfinite(sub)
    if not ok.any(axis=0).all() or s[open_idx].sum() < d.sum() - 1e-9:
        return _Alloc(np.inf, None, None, True)
    ii, jj = np.nonzero(ok)
    k = ii.size
    col = np.arange(k)
    mat = csr_matrix(
        (np.concatenate([np.ones(k), d[jj]]), (np.concatenate([jj, n + ii]), np.r_[col, col])),
        shape=(n + open_idx.size, k),
    )
    helper = mbh.ModelBuilderHelper()
    helper.fill_model_from_sparse_data(
        np.zeros(k),
        np.ones(k),
        sub[ii, jj],
        np.r_[np.ones(n), np.full(open_idx.size, -np.inf)],
        np.r_[np.ones(n), s[open_idx]],
        mat,
    )
    lp = mbh.ModelSolverHelper("glop")
    lp.set_time_limit_in_seconds(max(0.05, float(time_limit)))
    lp.solve(helper)
    status = lp.status()
    if status == mbh.SolveStatus.INFEASIBLE:
        return _Alloc(np.inf, None, None, True)
    if status != mbh.SolveStatus.OPTIMAL:
        return _Alloc(np.inf, None, None, False)
    x = np.clip(np.asarray(lp.variable_values(), dtype=float), 0.0, 1.0)
    flows = np.zeros((m, n))
    flows[open_idx[ii], jj] = x
    duals = np.asarray(lp.dual_values(), dtype=float)[:n]
    return _Alloc(float(sub[ii, jj] @ x), flows, duals, True)


def transport(
    a: np.ndarray, d: np.ndarray, s: np.ndarray, open_idx: np.ndarray
) -> tuple[float, np.ndarray | None]:
    """Optimal split-demand allocation to an open set (LP); ``(inf, None)`` if infeasible.

    Returns the transport cost and ``flows`` of shape (m, n): fraction of j served by i.
    Solved by OR-Tools GLOP; raises RuntimeError if it gives no answer within 60 s.
    """
    res = _allocate(
        np.asarray(a, float), np.asarray(d, float), np.asarray(s, float), open_idx, 60.0
    )
    if not res.solved:
        raise RuntimeError("GLOP did not solve the allocation LP within 60 s")
    return res.cost, res.flows


def _site_values(
    a_s: np.ndarray, d: np.ndarray, s_s: np.ndarray, f_s: np.ndarray, lam: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-site Lagrangian value v_i = f_i + min Σ_j (a_ij − λ_j) x_ij s.t. Σ_j d_j x_ij ≤ s_i,
    0 ≤ x ≤ 1 (a continuous knapsack), and the fractions taken as sparse (site, j, x).

    Only arcs with negative reduced cost matter, and only sites whose negative arcs overfill
    the capacity need the ratio sort, so this stays sparse (~1 ms for 100 × 1000).
    """
    nsite = a_s.shape[0]
    r = a_s - lam[None, :]
    ii, jj = np.nonzero(r < 0)
    rv = r[ii, jj]
    dd = d[jj]
    v = f_s + np.bincount(ii, rv, minlength=nsite)
    frac = np.ones(ii.size)
    over = np.bincount(ii, dd, minlength=nsite) > s_s
    if over.any():
        sel = np.flatnonzero(over[ii])
        i2, r2, d2 = ii[sel], rv[sel], dd[sel]
        ratio = np.divide(r2, d2, out=np.full(sel.size, -np.inf), where=d2 > 0)
        order = np.argsort(ratio, kind="stable")
        order = order[np.argsort(i2[order], kind="stable")]  # by site, then best ratio
        i2, r2, d2, sel = i2[order], r2[order], d2[order], sel[order]
        cum = np.cumsum(d2)
        start = np.r_[0.0, cum][np.searchsorted(i2, np.arange(nsite))]
        room = s_s[i2] - (cum - d2 - start[i2])
        part = np.divide(room, d2, out=(room >= 0).astype(float), where=d2 > 0)
        part = np.clip(part, 0.0, 1.0)
        frac[sel] = part
        v -= np.bincount(i2, r2 * (1.0 - part), minlength=nsite)
    keep = frac > 0
    return v, ii[keep], jj[keep], frac[keep]


def _cover(v: np.ndarray, s: np.ndarray, need: float, lo: np.ndarray) -> tuple[float, np.ndarray]:
    """min Σ v_i y_i s.t. Σ s_i y_i ≥ need, y ⊇ lo: exact when the free capacities are equal,
    else the LP value (a valid lower bound) with the last fractional site rounded up in ``y``."""
    y = lo | (v < 0)
    val = float(v[y].sum())
    rest = need - float(s[y].sum())
    if rest <= 1e-9:
        return val, y
    idx = np.flatnonzero(~y & (s > 0))
    if idx.size == 0:
        return np.inf, y
    cap = s[idx]
    if np.all(cap == cap[0]):
        k = int(np.ceil(rest / cap[0] - 1e-9))
        if k > idx.size:
            return np.inf, y
        pick = idx[np.argsort(v[idx], kind="stable")[:k]]
        y[pick] = True
        return val + float(v[pick].sum()), y
    order = idx[np.argsort(v[idx] / s[idx], kind="stable")]
    cum = np.cumsum(s[order])
    last = int(np.searchsorted(cum, rest - 1e-9))
    if last >= order.size:
        return np.inf, y
    before = cum[last - 1] if last > 0 else 0.0
    frac = (rest - before) / s[order[last]]
    y[order[: last + 1]] = True
    return val + float(v[order[:last]].sum()) + frac * float(v[order[last]]), y


def _probe(
    v: np.ndarray, s: np.ndarray, need: float, lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cover values with each site forced open (``up``) and forced closed (``down``).

    Vectorised over sorted values when the free capacities are equal (the OR-Library and
    county case); a loop over :func:`_cover` otherwise. Forced-open sites get (val, inf).
    """
    up = np.full(v.size, np.inf)
    down = np.full(v.size, np.inf)
    fidx = np.flatnonzero(~lo)
    up[lo] = _cover(v, s, need, lo)[0]
    if fidx.size == 0:
        return up, down
    cap = s[fidx]
    if not (np.all(cap == cap[0]) and cap[0] > 0):
        for i in fidx:
            lo_i = lo.copy()
            lo_i[i] = True
            up[i] = _cover(v, s, need, lo_i)[0]
            drop = np.ones(v.size, bool)
            drop[i] = False
            down[i] = _cover(v[drop], s[drop], need, lo[drop])[0]
        return up, down
    c = float(cap[0])
    lov = float(v[lo].sum())
    rest = need - float(s[lo].sum())
    k_dn = max(0, int(np.ceil(rest / c - 1e-9))) if rest > 1e-9 else 0
    k_up = max(0, int(np.ceil((rest - c) / c - 1e-9))) if rest - c > 1e-9 else 0
    vf = v[fidx]
    order = np.argsort(vf, kind="stable")
    pos = np.empty(fidx.size, np.int64)
    pos[order] = np.arange(fidx.size)
    prefix = np.r_[0.0, np.cumsum(vf[order])]
    nfree = fidx.size
    nneg = int((vf < 0).sum())
    other_neg = nneg - (vf < 0)  # negative sites among the others (all taken)

    def smallest_without(t: np.ndarray) -> np.ndarray:
        """Sum of the t smallest free values, the probed site left out (inf if too few)."""
        tt = np.minimum(t, nfree - 1)
        sums = np.where(pos >= tt, prefix[tt], prefix[np.minimum(tt + 1, nfree)] - vf)
        return np.where(t <= nfree - 1, sums, np.inf)

    up[fidx] = lov + vf + smallest_without(np.maximum(k_up, other_neg))
    down[fidx] = lov + smallest_without(np.maximum(k_dn, other_neg))
    return up, down


class _Bound(NamedTuple):
    """Best Lagrangian bound found at a node, with its multipliers and cover solution."""

    value: float
    lam: np.ndarray
    v: np.ndarray | None
    y: np.ndarray | None


class _Tree:
    """Lagrangian branch and bound state: incumbent, counters and the search itself."""

    def __init__(self, pb: _Problem, deadline: float) -> None:
        self.pb = pb
        self.deadline = deadline
        self.need = float(pb.d.sum())
        self.ub = np.inf
        self.flows: np.ndarray | None = None
        self.duals: np.ndarray | None = None
        self.seen: set[bytes] = set()
        self.iters = self.lps = self.nodes = 0
        self.root_bound = -np.inf
        self.root_ub = np.inf

    def cutoff(self) -> float:
        """Bounds at or above this cannot improve the incumbent by more than the gap."""
        if not np.isfinite(self.ub):
            return np.inf
        return self.ub - max(ABS_GAP, REL_GAP * abs(self.ub))

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def evaluate(self, open_idx: np.ndarray) -> float | None:
        """Exact cost of opening exactly ``open_idx`` (inf if infeasible, None if the LP
        failed); updates the incumbent, also with the unused sites dropped."""
        pb = self.pb
        open_idx = np.asarray(open_idx, dtype=np.int64)
        key = open_idx.tobytes()
        if key in self.seen:
            return self.ub  # evaluated before: its cost is at least the incumbent's
        self.lps += 1
        res = _allocate(pb.a, pb.d, pb.s, open_idx, self.left())
        if not res.solved:
            return None
        self.seen.add(key)
        if res.flows is None:
            return res.cost
        cost = res.cost + float(pb.f[open_idx].sum())
        self._offer(cost, res)
        used = np.union1d(_open_of(res.flows), np.flatnonzero(pb.must))
        if used.size < open_idx.size:
            self.evaluate(used)
        return cost

    def _offer(self, cost: float, res: _Alloc) -> None:
        if cost < self.ub:
            self.ub, self.flows, self.duals = cost, res.flows, res.duals

    def local_search(self, rounds: int = 8, width: int = 2) -> None:
        """Drop / add / swap moves around the incumbent, ranked by the Lagrangian site values
        at its allocation duals (the sites worth opening at these customer prices)."""
        pb = self.pb
        allowed = np.flatnonzero(pb.allowed)
        for _ in range(rounds):
            if self.flows is None or self.duals is None or self.left() <= 0:
                return
            before = self.ub
            cur = np.union1d(_open_of(self.flows), np.flatnonzero(pb.must))
            val = np.full(pb.a.shape[0], np.inf)
            val[allowed] = _site_values(
                pb.a[allowed], pb.d, pb.s[allowed], pb.f[allowed], self.duals
            )[0]
            is_open = np.zeros(pb.a.shape[0], bool)
            is_open[cur] = True
            adds = np.flatnonzero(pb.allowed & ~is_open)
            adds = adds[np.argsort(val[adds], kind="stable")[:width]]
            drops = np.flatnonzero(is_open & ~pb.must)
            drops = drops[np.argsort(-val[drops], kind="stable")[:width]]
            moves = [np.setdiff1d(cur, [i]) for i in drops]
            moves += [np.union1d(cur, [k]) for k in adds]
            moves += [np.union1d(np.setdiff1d(cur, [i]), [k]) for i in drops for k in adds]
            for trial in moves:
                if pb.s[trial].sum() >= self.need - 1e-9 and self.left() > 0:
                    self.evaluate(trial)
            if self.ub >= before - REL_GAP * abs(before):
                return

    def subgradient(
        self,
        lo: np.ndarray,
        hi: np.ndarray,
        lam: np.ndarray,
        budget: tuple[int, int, float],
        heuristic_every: int = 0,
    ) -> tuple[_Bound, np.ndarray]:
        """Maximise the node's Lagrangian bound from ``lam`` (Polyak steps towards the
        incumbent); returns the best bound and the node's candidate sites."""
        pb = self.pb
        max_iter, stall_max, min_step = budget
        sites = np.flatnonzero(hi)
        lo_s = lo[sites]
        a_s, s_s, f_s = pb.a[sites], pb.s[sites], pb.f[sites]
        n = pb.a.shape[1]
        best = _Bound(-np.inf, lam, None, None)
        step, stall = 2.0, 0
        for it in range(max_iter):
            v, ii, jj, frac = _site_values(a_s, pb.d, s_s, f_s, lam)
            val, y = _cover(v, s_s, self.need, lo_s)
            lb = float(lam.sum()) + val
            self.iters += 1
            if best.v is None or lb > best.value + 1e-12 * max(1.0, abs(best.value)):
                best, stall = _Bound(lb, lam, v, y), 0
            else:
                stall += 1
                if stall >= stall_max:
                    step, stall = step / 2, 0
            if heuristic_every and it % heuristic_every == heuristic_every - 1:
                self.evaluate(sites[y])
            if not np.isfinite(lb) or lb >= self.cutoff() or step < min_step:
                break
            if self.left() <= 0:
                break
            take = y[ii]
            g = 1.0 - np.bincount(jj[take], frac[take], minlength=n)
            gg = float(g @ g)
            if gg < 1e-12:
                break
            target = self.ub if np.isfinite(self.ub) else lb + 0.01 * max(1.0, abs(lb))
            lam = lam + step * max(target - lb, 1e-9 * max(1.0, abs(lb))) / gg * g
        return best, sites

    def root(self, lo: np.ndarray, hi: np.ndarray) -> tuple[_Bound, np.ndarray]:
        """Root bound with Lagrangian-heuristic incumbents, local search, then a second pass
        aimed at the improved incumbent."""
        pb = self.pb
        share = pb.f[:, None] * pb.d[None, :] / np.maximum(pb.s, 1e-12)[:, None]
        lam = np.min(np.where(np.isfinite(pb.a), pb.a + share, np.inf), axis=0)
        bd, sites = self.subgradient(lo, hi, lam, ROOT_SUBGRADIENT, HEURISTIC_EVERY)
        if bd.y is not None:
            self.evaluate(sites[bd.y])
        self.local_search()
        self.root_ub = self.ub
        if bd.value < self.cutoff():
            bd2, sites = self.subgradient(lo, hi, bd.lam, ROOT_SUBGRADIENT)
            if bd2.value > bd.value:
                bd = bd2
        self.root_bound = bd.value
        return bd, sites

    def search(self) -> tuple[float, bool]:
        """Best-first branch and bound; returns the proven lower bound and whether every node
        was closed by a proof (then the incumbent is optimal, or the problem infeasible)."""
        pb = self.pb
        heap: list[tuple[float, int, np.ndarray, np.ndarray, np.ndarray | None]] = [
            (-np.inf, 0, pb.must.copy(), pb.allowed.copy(), None)
        ]
        closed = np.inf  # least bound among the nodes closed so far (pruned or unresolved)
        resolved = True  # False once a node is closed without a proof (an LP failed)
        count = 1
        while heap:
            key, _, lo, hi, lam = heapq.heappop(heap)
            if key >= self.cutoff():
                closed = min(closed, key)
                continue
            if self.left() <= 0:
                heapq.heappush(heap, (key, 0, lo, hi, lam))
                break
            self.nodes += 1
            if lam is None:
                bd, sites = self.root(lo, hi)
            else:
                bd, sites = self.subgradient(lo, hi, lam, NODE_SUBGRADIENT)
            bound = max(bd.value, key)
            if (
                bd.y is not None
                and bound < self.cutoff()
                and self.nodes % NODE_HEURISTIC_EVERY == 0
            ):
                self.evaluate(sites[bd.y])
            cut = self.cutoff()
            if bound >= cut or bd.v is None:
                resolved &= bound >= cut
                closed = min(closed, bound)
                continue
            base = float(bd.lam.sum())
            up, down = _probe(bd.v, pb.s[sites], self.need, lo[sites])
            up, down = up + base, down + base
            free = ~lo[sites]
            dead = free & (up >= cut) & (down >= cut)
            if dead.any():  # every completion of the node misses the cutoff
                closed = min(closed, max(bound, float(np.minimum(up, down)[dead].max())))
                continue
            lo2, hi2 = lo.copy(), hi.copy()
            hi2[sites[free & (up >= cut)]] = False
            lo2[sites[free & (down >= cut)]] = True
            cand = np.flatnonzero(free & (up < cut) & (down < cut))
            if cand.size == 0:  # every site decided: a leaf, priced exactly
                value = self.evaluate(np.flatnonzero(lo2))
                if value is None:  # GLOP failed: keep the node's bound, prove nothing
                    resolved = False
                    closed = min(closed, bound)
                continue
            lo_b, hi_b = np.minimum(up, down)[cand], np.maximum(up, down)[cand]
            k = cand[np.lexsort((-hi_b, -lo_b))[0]]
            i = sites[k]
            child_lo, child_hi = lo2.copy(), hi2.copy()
            child_hi[i] = False
            heapq.heappush(heap, (max(bound, down[k]), count, lo2, child_hi, bd.lam))
            child_lo[i] = True
            heapq.heappush(heap, (max(bound, up[k]), count + 1, child_lo, hi2, bd.lam))
            count += 2
        lower = min([closed, self.ub] + [h[0] for h in heap])
        return lower, resolved and not heap


def _open_of(flows: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, np.int64) if flows is None else np.flatnonzero(flows.sum(axis=1) > 1e-9)


def cflp_heuristic(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    *,
    cost_per_unit: bool = True,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    max_cost: float | None = None,
    time_limit: float = 10.0,
) -> SitingResult:
    """Lagrangian heuristic + drop/add/swap local search; returns the Lagrangian bound too."""
    t0 = time.perf_counter()
    pb = _prepare(
        cost, demand, capacity, opening_cost, cost_per_unit, must_open, forbidden, max_cost
    )
    tree = _Tree(pb, t0 + time_limit)
    tree.root(pb.must.copy(), pb.allowed.copy())
    status = Status.FEASIBLE if tree.flows is not None else Status.NO_SOLUTION
    bound = min(tree.root_bound, tree.ub)
    stats = {"lagrangian_iters": tree.iters, "lp_solves": tree.lps}
    return _result(pb, tree.ub, bound, tree.flows, status, t0, "lagrangian-heuristic", stats)


def solve_cflp(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    opening_cost: np.ndarray,
    *,
    cost_per_unit: bool = True,
    must_open: list[int] | None = None,
    forbidden: list[int] | None = None,
    budget: float | None = None,
    max_cost: float | None = None,
    time_limit: float = 60.0,
    solver: str = "scip",
    reduce: bool | None = None,
) -> SitingResult:
    """Capacitated facility location with split demand, solved to proven optimality.

    ``cost`` is candidates × demand points: per unit of demand when ``cost_per_unit``
    (e.g. yuan per kg), else for the whole demand of the point (OR-Library convention).
    ``budget`` caps total opening cost. ``flows[i, j]`` in the result is the fraction of
    demand j served by site i. By default (``reduce`` None or True) the Lagrangian branch
    and bound solves it; ``reduce=False``, or a ``budget``, sends the strong MIP to
    ``solver`` (SCIP) instead. Either way the result carries the proven bound, and the
    status is optimal only when the gap is within 1e-9 (relative).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    pb = _prepare(
        cost, demand, capacity, opening_cost, cost_per_unit, must_open, forbidden, max_cost
    )
    if budget is not None and pb.f[pb.must].sum() > budget + 1e-9:
        raise SitingError(
            f"opening cost {pb.f[pb.must].sum():g} of the must_open sites "
            f"({name_list(np.flatnonzero(pb.must))}) exceeds the budget {budget:g}"
        )
    if budget is None and reduce is not False:
        return _solve_tree(pb, t0, deadline)
    stats: dict[str, float | int] = {"sites_free": int((pb.allowed & ~pb.must).sum())}
    sol, cols = _solve_mip(pb, pb.must, pb.allowed, budget, None, deadline, solver)
    stats["mip_time_s"] = round(sol.time_s, 3)
    if sol.values is None:
        status = Status.INFEASIBLE if sol.status == Status.INFEASIBLE else Status.NO_SOLUTION
        return _result(pb, np.inf, sol.bound, None, status, t0, solver, stats)
    ub, flows = sol.objective, _flows(pb, sol.values, cols)
    closed = sol.status == Status.OPTIMAL
    bound = ub if closed else min(ub, sol.bound)
    ok = ub - bound <= REL_GAP * max(1.0, abs(ub))
    status = Status.OPTIMAL if ok else Status.FEASIBLE
    opened = np.flatnonzero(sol.values[: pb.a.shape[0]] > 0.5)
    return _result(pb, ub, ub if ok else bound, flows, status, t0, solver, stats, opened)


def _solve_tree(pb: _Problem, t0: float, deadline: float) -> SitingResult:
    """Run the Lagrangian branch and bound and report its incumbent with the proven bound."""
    tree = _Tree(pb, deadline)
    lower, proven = tree.search()
    stats = {
        "nodes": tree.nodes,
        "lagrangian_iters": tree.iters,
        "lp_solves": tree.lps,
        "root_bound": tree.root_bound,
        "root_ub": tree.root_ub,
    }
    label = "lagrangian-bb"
    if tree.flows is None:
        status = Status.INFEASIBLE if proven else Status.NO_SOLUTION
        return _result(pb, np.inf, lower, None, status, t0, label, stats)
    ub = tree.ub
    ok = ub - lower <= max(ABS_GAP, REL_GAP * abs(ub))
    status = Status.OPTIMAL if ok else Status.FEASIBLE
    return _result(pb, ub, min(lower, ub), tree.flows, status, t0, label, stats)


def _flows(pb: _Problem, values: np.ndarray, cols: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    m = pb.a.shape[0]
    flows = np.zeros_like(pb.a)
    flows[cols[0], cols[1]] = values[m:]
    return flows


def _solve_mip(
    pb: _Problem,
    y_lo: np.ndarray,
    y_hi: np.ndarray,
    budget: float | None,
    ub_flows: np.ndarray | None,
    deadline: float,
    solver: str,
):
    """Strong formulation over the sites not fixed closed; links only for undecided sites."""
    m, n = pb.a.shape
    ii, jj = np.nonzero(np.isfinite(pb.a) & y_hi[:, None])
    k = ii.size
    xs = m + np.arange(k)
    free_pair = np.flatnonzero(~y_lo[ii])
    nl = free_pair.size
    rows, cols, vals = [jj], [xs], [np.ones(k)]  # demand rows 0..n-1
    cap_r = n + np.arange(m)  # capacity rows: Σ d_j x_ij - s_i y_i ≤ 0
    rows += [n + ii, cap_r]
    cols += [xs, np.arange(m)]
    vals += [pb.d[jj], -pb.s]
    agg = n + m  # aggregate capacity row
    rows.append(np.full(m, agg)), cols.append(np.arange(m)), vals.append(pb.s.astype(float))
    link = agg + 1 + np.arange(nl)
    rows += [link, link]
    cols += [xs[free_pair], ii[free_pair]]
    vals += [np.ones(nl), -np.ones(nl)]
    lo = np.concatenate([np.ones(n), np.full(m, -np.inf), [pb.d.sum()], np.full(nl, -np.inf)])
    hi = np.concatenate([np.ones(n), np.zeros(m), [np.inf], np.zeros(nl)])
    if budget is not None:
        rows.append(np.full(m, lo.size)), cols.append(np.arange(m)), vals.append(pb.f)
        lo, hi = np.append(lo, -np.inf), np.append(hi, budget)
    a = csr_matrix(
        coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(lo.size, m + k),
        )
    )
    obj = np.concatenate([pb.f, pb.a[ii, jj]])
    hint = None
    if ub_flows is not None:
        hint = np.concatenate([(ub_flows.sum(axis=1) > 1e-9).astype(float), ub_flows[ii, jj]])
    integer = np.concatenate([np.ones(m, bool), np.zeros(k, bool)])
    sol = solve_mip(
        obj,
        a,
        lo,
        hi,
        np.concatenate([y_lo.astype(float), np.zeros(k)]),
        np.concatenate([y_hi.astype(float), np.ones(k)]),
        integer,
        time_limit=max(0.1, deadline - time.perf_counter()),
        hint=hint,
        solver=solver,
    )
    return sol, (ii, jj)


def _result(
    pb: _Problem,
    obj: float,
    bound: float,
    flows: np.ndarray | None,
    status: str,
    t0: float,
    solver: str,
    stats: dict,
    open_idx: np.ndarray | None = None,
) -> SitingResult:
    """Package a solve; open sites are those serving demand plus the must-open ones (which
    pay their opening cost even when idle) unless the MIP's ``open_idx`` is given."""
    n = pb.a.shape[1]
    if flows is None:
        open_idx, assign = np.zeros(0, np.int64), np.full(n, -1)
    else:
        if open_idx is None:
            open_idx = np.union1d(_open_of(flows), np.flatnonzero(pb.must))
        assign = np.argmax(flows, axis=0)
    return SitingResult(
        "cflp",
        status,
        obj,
        bound,
        open_idx,
        assign,
        time.perf_counter() - t0,
        solver,
        flows=flows,
        stats=stats,
    )
