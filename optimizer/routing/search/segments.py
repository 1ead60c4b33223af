"""Route segments that concatenate in O(1): the cost of a move without a route walk.

A *segment* summarises a run of nodes of the problem's node model (``problem.py``) for
one vehicle type, after Vidal et al. (2013, 2014) and PyVRP's ``DurationSegment`` and
``LoadSegment``:

- time: duration with waiting, time warp (lateness), and the earliest and latest service
  start at its first node that achieve them; concatenating two segments over the edge
  between them gives the minimal duration of the joined run with the departure shifted
  as late as the windows allow (wages are paid from that departure);
- load: net kg and m³ and the highest and lowest amount on board relative to the start
  (the truck's capacity is checked on the whole route, starting empty);
- distance, and km × kg on board (load-dependent fuel, domain.md §2.2, is linear in it).

A segment is a row of ``N_FIELDS`` floats; ``concat`` joins two rows. A node's windows
are held as their hull (several windows: the exact check decides), the route's first
and last node take the vehicle type's shift. Shelf life is held as the deadlines that
imply it (conservative, as PyVRP holds it). Segments rank moves; the best few are
checked exactly (``validate.RouteValidator``), so hard rules are never broken.

Compiled with numba; every move is evaluated inside compiled loops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from optimizer.kpis import engine_km_rate
from optimizer.routing.engines import FRESHNESS_MARGIN_MIN
from optimizer.routing.problem import END, START, RoutingProblem, freshness_deadlines

DUR, TW, EARLY, LATE, KM, KG, KG_MAX, KG_MIN, M3, M3_MAX, KMKG, FIRST, LAST = range(13)
N_FIELDS = 13
INFEASIBLE = np.inf


@dataclass(frozen=True)
class SegmentData:
    """Per-node arrays and per-vehicle-type rates that segments are built from."""

    minutes: np.ndarray  # node × node: service at i (when its stop ends) plus travel
    km: np.ndarray  # node × node
    early: np.ndarray  # hull of each node's service-start windows
    late: np.ndarray  # vehicle type × node: the hull's end, shelf-life deadlines in
    # that type's compartment
    kg: np.ndarray  # + loaded, - unloaded
    m3: np.ndarray
    role: np.ndarray
    # Per vehicle type (index = type), the columns of ``rates``: capacity kg, capacity m³,
    # shift start, shift end, max duration, fixed cost, CNY per km (with fuel when
    # empty), CNY per minute, CNY per km per kg (the load's extra fuel), max km.
    rates: np.ndarray
    type_of: np.ndarray  # vehicle index → type index

    @classmethod
    def of(cls, problem: RoutingProblem, *, deadlines: bool = True) -> SegmentData:
        """``deadlines``: hold shelf life as the deadlines that imply it
        (``freshness_deadlines``, conservative), so that moves a limit forbids are not
        ranked first. Built once per problem (its node matrices are n²) and shared by
        every search on it."""
        key = ("segments", deadlines)
        if key not in problem.cache:
            problem.cache[key] = cls._build(problem, deadlines)
        return problem.cache[key]

    @classmethod
    def _build(cls, problem: RoutingProblem, deadlines: bool) -> SegmentData:
        p = problem
        early = np.array([min((a for a, _ in w), default=np.inf) for w in p.node_windows])
        hull = np.array([max((b for _, b in w), default=-np.inf) for w in p.node_windows])
        types = list(dict.fromkeys(v.type.id for v in p.vehicles))
        type_of = np.array([types.index(v.type.id) for v in p.vehicles], dtype=np.int64)
        late = np.tile(hull, (max(1, len(types)), 1))
        if deadlines:
            temp_of = {int(type_of[i]): v.temp_c for i, v in enumerate(p.vehicles)}
            for k, rule in enumerate(p.freshness):
                if rule is None:
                    continue
                load, unload = p.pairs[k]
                allowed = {int(type_of[i]) for i in p.allowed_vehicles[k]}
                for t in range(late.shape[0]):
                    # A type's own compartment where it may carry the order; elsewhere
                    # the order cannot ride anyway, and the tightest deadline is kept.
                    temps = {temp_of[t]} if t in allowed else None
                    load_by, arrive_by = freshness_deadlines(p, k, FRESHNESS_MARGIN_MIN, temps)
                    late[t, load] = min(late[t, load], load_by)
                    late[t, unload] = min(late[t, unload], arrive_by)
        price = p.batch.options.fuel_price_cny_per_l
        by_id = p.batch.fleet_by_id
        rates = np.zeros((max(1, len(types)), 10))
        for t, tid in enumerate(types):
            vt = by_id[tid]
            extra = 0.0
            if vt.has_fuel:
                assert vt.fuel_l_per_km_full is not None and vt.fuel_l_per_km_empty is not None
                extra = (vt.fuel_l_per_km_full - vt.fuel_l_per_km_empty) * price / vt.capacity_kg
            rates[t] = (
                vt.capacity_kg,
                vt.capacity_m3,
                vt.shift_start,
                vt.shift_end,
                vt.max_duration_min,
                vt.fixed_cost,
                engine_km_rate(vt, price),
                vt.cost_per_hour / 60.0,
                extra,
                np.inf if vt.max_km is None else vt.max_km,
            )
        return cls(
            minutes=np.ascontiguousarray(p.node_times()),
            km=np.ascontiguousarray(p.node_km()),
            early=early,
            late=late,
            kg=np.ascontiguousarray(p.node_kg, dtype=np.float64),
            m3=np.ascontiguousarray(p.node_m3, dtype=np.float64),
            role=np.ascontiguousarray(p.node_role, dtype=np.int64),
            rates=rates,
            type_of=type_of,
        )

    def route_cost(self, vehicle: int, nodes: list[int] | np.ndarray) -> float:
        """The segment estimate of a route's cost (inf when it breaks a rule segments
        hold): the plan's cost when no shelf-life limit binds and windows are single."""
        t = int(self.type_of[vehicle])
        seq = np.asarray(nodes, dtype=np.int64)
        return float(_route_cost(seq, *self._arrays(t), self.rates[t]))

    def _arrays(self, t: int) -> tuple[np.ndarray, ...]:
        """The node arrays a route of vehicle type ``t`` is evaluated on."""
        return self.minutes, self.km, self.early, self.late[t], self.kg, self.m3, self.role


# -- the compiled core ------------------------------------------------------------------------

_jit = numba.njit(cache=True, fastmath=False, nogil=True)


@_jit
def node_segment(out, n, minutes, km, early, late, kg, m3, role, rate):
    """The one-node segment of node ``n``; depot ends take the vehicle type's shift."""
    out[DUR] = 0.0
    out[TW] = 0.0
    if role[n] == START or role[n] == END:
        out[EARLY] = rate[2]
        out[LATE] = rate[3]
    else:
        out[EARLY] = early[n]
        out[LATE] = late[n]
    out[KM] = 0.0
    out[KG] = kg[n]
    out[KG_MAX] = max(0.0, kg[n])
    out[KG_MIN] = min(0.0, kg[n])
    out[M3] = m3[n]
    out[M3_MAX] = max(0.0, m3[n])
    out[KMKG] = 0.0
    out[FIRST] = n
    out[LAST] = n


@_jit
def concat(out, a, b, minutes, km):
    """``out`` = segment ``a`` followed by segment ``b`` over the edge between them
    (``out`` may alias ``a``)."""
    i, j = int(a[LAST]), int(b[FIRST])
    edge_t, edge_km = minutes[i, j], km[i, j]
    delta = a[DUR] - a[TW] + edge_t
    wait = max(b[EARLY] - delta - a[LATE], 0.0)
    warp = max(a[EARLY] + delta - b[LATE], 0.0)
    early = max(b[EARLY] - delta, a[EARLY]) - wait
    late = min(b[LATE] - delta, a[LATE]) + warp
    a_kg, a_m3, a_km, a_kmkg = a[KG], a[M3], a[KM], a[KMKG]
    out[DUR] = a[DUR] + b[DUR] + edge_t + wait
    out[TW] = a[TW] + b[TW] + warp
    out[EARLY] = early
    out[LATE] = late
    out[KG_MAX] = max(a[KG_MAX], a_kg + b[KG_MAX])
    out[KG_MIN] = min(a[KG_MIN], a_kg + b[KG_MIN])
    out[M3_MAX] = max(a[M3_MAX], a_m3 + b[M3_MAX])
    out[KG] = a_kg + b[KG]
    out[M3] = a_m3 + b[M3]
    out[KM] = a_km + edge_km + b[KM]
    out[KMKG] = a_kmkg + edge_km * a_kg + b[KMKG] + b[KM] * a_kg
    out[FIRST] = a[FIRST]
    out[LAST] = b[LAST]


@_jit
def cost_of(seg, rate):
    """Cost of a whole route (starting empty) summarised by ``seg``; inf when it breaks
    a time window, the shift, the maximum duration or km, or a capacity, or unloads
    more than it has loaded."""
    if seg[TW] > 1e-6 or seg[DUR] > rate[4] + 1e-6 or seg[KM] > rate[9] * (1 + 1e-9):
        return np.inf
    if seg[KG_MAX] > rate[0] + 1e-6 or seg[M3_MAX] > rate[1] + 1e-6 or seg[KG_MIN] < -1e-6:
        return np.inf
    return rate[5] + seg[KM] * rate[6] + seg[DUR] * rate[7] + seg[KMKG] * rate[8]


@_jit
def _route_cost(seq, minutes, km, early, late, kg, m3, role, rate):
    return cost_of(_block(seq, minutes, km, early, late, kg, m3, role, rate), rate)


@_jit
def block_segments(seq, bounds, minutes, km, early, late, kg, m3, role, rate):
    """Per block (``bounds[b]`` to ``bounds[b + 1]`` positions of ``seq``), its segment."""
    n_blocks = len(bounds) - 1
    out = np.empty((n_blocks, N_FIELDS))
    one = np.empty(N_FIELDS)
    for b in range(n_blocks):
        node_segment(out[b], seq[bounds[b]], minutes, km, early, late, kg, m3, role, rate)
        for x in range(bounds[b] + 1, bounds[b + 1]):
            node_segment(one, seq[x], minutes, km, early, late, kg, m3, role, rate)
            concat(out[b], out[b], one, minutes, km)
    return out


@_jit
def trip_moves(seq, bounds, minutes, km, early, late, kg, m3, role, rate):
    """Costs of every or-opt and 2-opt move of the blocks (stops) of one trip of a route.

    ``seq`` is the whole route; block 0 is everything before the trip and the last block
    everything after it; the trip's stops are blocks 1 … m. Candidates come in the order
    of ``trips.move_sequences``: every stop i moved to every other position j among the
    rest, then every reversal of stops i … j-1 (j ≥ i + 2). Each is O(1) from range
    segments built once (O(m²))."""
    blocks = block_segments(seq, bounds, minutes, km, early, late, kg, m3, role, rate)
    m = len(bounds) - 3  # stops of the trip
    head = blocks[0]
    tail = blocks[m + 1]
    # fwd[a, b]: stops a … b-1 in order; rev[a, b]: the same stops in reverse order.
    fwd = np.empty((m + 1, m + 1, N_FIELDS))
    rev = np.empty((m + 1, m + 1, N_FIELDS))
    for a in range(m):
        fwd[a, a + 1] = blocks[a + 1]
        rev[a, a + 1] = blocks[a + 1]
        for b in range(a + 2, m + 1):
            concat(fwd[a, b], fwd[a, b - 1], blocks[b], minutes, km)
            concat(rev[a, b], blocks[b], rev[a, b - 1], minutes, km)
    n_or = m * (m - 1)
    n_two = (m - 1) * m // 2
    costs = np.empty(n_or + n_two)
    acc = np.empty(N_FIELDS)
    c = 0
    for i in range(m):
        # The rest is stops 0 … i-1 and i+1 … m-1; stop i goes before the j-th of them.
        for j in range(m):
            if j == i:
                continue
            acc[:] = head
            if j < i:
                if j > 0:
                    concat(acc, acc, fwd[0, j], minutes, km)
                concat(acc, acc, blocks[i + 1], minutes, km)
                concat(acc, acc, fwd[j, i], minutes, km)
                if i + 1 < m:
                    concat(acc, acc, fwd[i + 1, m], minutes, km)
            else:
                if i > 0:
                    concat(acc, acc, fwd[0, i], minutes, km)
                concat(acc, acc, fwd[i + 1, j + 1], minutes, km)
                concat(acc, acc, blocks[i + 1], minutes, km)
                if j + 1 < m:
                    concat(acc, acc, fwd[j + 1, m], minutes, km)
            concat(acc, acc, tail, minutes, km)
            costs[c] = cost_of(acc, rate)
            c += 1
    for i in range(m - 1):
        for j in range(i + 2, m + 1):
            acc[:] = head
            if i > 0:
                concat(acc, acc, fwd[0, i], minutes, km)
            concat(acc, acc, rev[i, j], minutes, km)
            if j < m:
                concat(acc, acc, fwd[j, m], minutes, km)
            concat(acc, acc, tail, minutes, km)
            costs[c] = cost_of(acc, rate)
            c += 1
    return costs


def trip_move_costs(
    data: SegmentData, vehicle: int, nodes: list[int], stops: list[tuple[int, int]]
) -> np.ndarray:
    """Segment cost of every or-opt and 2-opt candidate of a trip's ``stops`` ([a, b)
    position ranges of ``nodes``), in ``trips.move_sequences`` order."""
    bounds = np.array([0, *(a for a, _ in stops), stops[-1][1], len(nodes)], dtype=np.int64)
    seq = np.asarray(nodes, dtype=np.int64)
    t = int(data.type_of[vehicle])
    return trip_moves(seq, bounds, *data._arrays(t), data.rates[t])


@_jit
def prefixes_suffixes(seq, minutes, km, early, late, kg, m3, role, rate):
    """``pre[x]``: segment of ``seq[: x + 1]``; ``suf[x]``: segment of ``seq[x:]``."""
    n = len(seq)
    pre = np.empty((n, N_FIELDS))
    suf = np.empty((n, N_FIELDS))
    one = np.empty(N_FIELDS)
    node_segment(pre[0], seq[0], minutes, km, early, late, kg, m3, role, rate)
    for x in range(1, n):
        node_segment(one, seq[x], minutes, km, early, late, kg, m3, role, rate)
        concat(pre[x], pre[x - 1], one, minutes, km)
    node_segment(suf[n - 1], seq[n - 1], minutes, km, early, late, kg, m3, role, rate)
    for x in range(n - 2, -1, -1):
        node_segment(one, seq[x], minutes, km, early, late, kg, m3, role, rate)
        concat(suf[x], one, suf[x + 1], minutes, km)
    return pre, suf


@_jit
def _keep(best, cost):
    """Put ``cost`` in place of the dearest of the ``best`` kept so far if it is
    cheaper; its slot, or -1."""
    worst = 0
    for w in range(1, len(best)):
        if best[w] > best[worst]:
            worst = w
    if cost < best[worst]:
        best[worst] = cost
        return worst
    return -1


@_jit
def pair_insertions(
    seq, load, unload, open_i, open_j, count, minutes, km, early, late, kg, m3, role, rate
):
    """The ``count`` cheapest insertions of ``load`` before ``seq[i]`` and ``unload``
    before ``seq[j]`` (1 ≤ i ≤ j < len(seq), ``open_i[i]`` and ``open_j[j]``): (route costs, i, j),
    cheapest first, inf where fewer exist. Each is O(1) from prefix and suffix segments
    and a middle extended one node at a time; a middle already late or over capacity
    ends the scan for its ``i``."""
    n = len(seq)
    pre, suf = prefixes_suffixes(seq, minutes, km, early, late, kg, m3, role, rate)
    ls = np.empty(N_FIELDS)
    us = np.empty(N_FIELDS)
    node_segment(ls, load, minutes, km, early, late, kg, m3, role, rate)
    node_segment(us, unload, minutes, km, early, late, kg, m3, role, rate)
    best = np.full(count, np.inf)
    at_i = np.zeros(count, dtype=np.int64)
    at_j = np.zeros(count, dtype=np.int64)
    mid = np.empty(N_FIELDS)
    cand = np.empty(N_FIELDS)
    one = np.empty(N_FIELDS)
    for i in range(1, n):
        if not open_i[i]:
            continue
        concat(mid, pre[i - 1], ls, minutes, km)
        for j in range(i, n):
            if j > i:
                node_segment(one, seq[j - 1], minutes, km, early, late, kg, m3, role, rate)
                concat(mid, mid, one, minutes, km)
                if mid[TW] > 1e-6 or mid[KG_MAX] > rate[0] + 1e-6 or mid[M3_MAX] > rate[1] + 1e-6:
                    break
            if not open_j[j]:
                continue
            concat(cand, mid, us, minutes, km)
            concat(cand, cand, suf[j], minutes, km)
            w = _keep(best, cost_of(cand, rate))
            if w >= 0:
                at_i[w] = i
                at_j[w] = j
    order = np.argsort(best)
    return best[order], at_i[order], at_j[order]


def insertion_costs(
    data: SegmentData,
    vehicle: int,
    nodes: list[int] | np.ndarray,
    load: int,
    unload: int,
    open_i: np.ndarray,
    open_j: np.ndarray,
    count: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Route costs of the ``count`` cheapest insertions of an order's load and unload
    nodes into a route (``pair_insertions``; the gaps each may use)."""
    t = int(data.type_of[vehicle])
    seq = np.asarray(nodes, dtype=np.int64)
    return pair_insertions(
        seq, load, unload, open_i, open_j, count, *data._arrays(t), data.rates[t]
    )


@_jit
def _block(nodes, minutes, km, early, late, kg, m3, role, rate):
    out = np.empty(N_FIELDS)
    one = np.empty(N_FIELDS)
    node_segment(out, nodes[0], minutes, km, early, late, kg, m3, role, rate)
    for x in range(1, len(nodes)):
        node_segment(one, nodes[x], minutes, km, early, late, kg, m3, role, rate)
        concat(out, out, one, minutes, km)
    return out


@_jit
def _over(seg, rate):
    return seg[TW] > 1e-6 or seg[KG_MAX] > rate[0] + 1e-6 or seg[M3_MAX] > rate[1] + 1e-6


@_jit
def visit_insertions(
    seq,
    before,
    visit,
    after,
    open_b,
    open_c,
    open_a,
    count,
    minutes,
    km,
    early,
    late,
    kg,
    m3,
    role,
    rate,
):
    """The ``count`` cheapest insertions of a single-visit station's stop: the ``before``
    nodes (where its parcels are loaded) as one block before ``seq[i]``, the ``visit``
    block before ``seq[c]`` and the ``after`` nodes (where its produce is unloaded) as
    one block before ``seq[j]``, i ≤ c ≤ j, each in a gap its mask opens (an empty block
    needs no gap).
    Returns (route costs, i, c, j), cheapest first."""
    n = len(seq)
    pre, suf = prefixes_suffixes(seq, minutes, km, early, late, kg, m3, role, rate)
    vs = _block(visit, minutes, km, early, late, kg, m3, role, rate)
    has_b, has_a = len(before) > 0, len(after) > 0
    bs = _block(before, minutes, km, early, late, kg, m3, role, rate) if has_b else vs
    as_ = _block(after, minutes, km, early, late, kg, m3, role, rate) if has_a else vs
    best = np.full(count, np.inf)
    at = np.zeros((count, 3), dtype=np.int64)
    m1 = np.empty(N_FIELDS)
    m2 = np.empty(N_FIELDS)
    cand = np.empty(N_FIELDS)
    one = np.empty(N_FIELDS)
    for i in range(1, n):
        if has_b and not open_b[i]:
            continue
        if has_b:
            concat(m1, pre[i - 1], bs, minutes, km)
        else:
            m1[:] = pre[i - 1]
        for c in range(i, n):
            if c > i:
                if not has_b:
                    break  # without a block before, the stop goes at i itself
                node_segment(one, seq[c - 1], minutes, km, early, late, kg, m3, role, rate)
                concat(m1, m1, one, minutes, km)
                if _over(m1, rate):
                    break
            if not open_c[c]:
                continue
            concat(m2, m1, vs, minutes, km)
            if _over(m2, rate):
                continue
            for j in range(c, n):
                if j > c:
                    if not has_a:
                        break
                    node_segment(one, seq[j - 1], minutes, km, early, late, kg, m3, role, rate)
                    concat(m2, m2, one, minutes, km)
                    if _over(m2, rate):
                        break
                if has_a and not open_a[j]:
                    continue
                if has_a:
                    concat(cand, m2, as_, minutes, km)
                    concat(cand, cand, suf[j], minutes, km)
                else:
                    concat(cand, m2, suf[j], minutes, km)
                w = _keep(best, cost_of(cand, rate))
                if w >= 0:
                    at[w, 0] = i
                    at[w, 1] = c
                    at[w, 2] = j
    order = np.argsort(best)
    return best[order], at[order]


def visit_costs(
    data: SegmentData,
    vehicle: int,
    nodes: list[int] | np.ndarray,
    before: list[int],
    visit: list[int],
    after: list[int],
    masks: tuple[np.ndarray, np.ndarray, np.ndarray],
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Route costs of the ``count`` cheapest insertions of a single-visit stop
    (``visit_insertions``; ``masks``: the gaps the before block, the stop and the after
    block may use)."""
    t = int(data.type_of[vehicle])
    arrays = [np.asarray(x, dtype=np.int64) for x in (nodes, before, visit, after)]
    return visit_insertions(*arrays, *masks, count, *data._arrays(t), data.rates[t])


def warm_up() -> None:
    """Compile every kernel now (or load it from numba's on-disk cache) with the types
    the search uses, so that compiling counts against a solve's time limit up front
    instead of overrunning it in the middle of a search. Microseconds once compiled."""
    if _WARM:
        return
    n = 4
    minutes = np.zeros((n, n))
    km = np.zeros((n, n))
    early, late = np.zeros(n), np.full(n, 100.0)
    kg, m3 = np.array([0.0, 1.0, -1.0, 0.0]), np.zeros(n)
    role = np.array([START, 2, 3, END], dtype=np.int64)
    rate = np.array([[10.0, 10.0, 0.0, 100.0, 100.0, 1.0, 1.0, 1.0, 0.0, np.inf]])[0]
    arrays = (minutes, km, early, late, kg, m3, role)
    seq = np.array([0, 1, 2, 3], dtype=np.int64)
    _route_cost(seq, *arrays, rate)
    trip_moves(seq, np.array([0, 1, 2, 3, 4], dtype=np.int64), *arrays, rate)
    ends = np.array([0, 3], dtype=np.int64)
    mask = np.ones(2, dtype=bool)
    pair_insertions(ends, 1, 2, mask, mask, 2, *arrays, rate)
    block = np.array([1], dtype=np.int64)
    visit_insertions(
        ends, block, np.array([2], dtype=np.int64), block[:0], mask, mask, mask, 2, *arrays, rate
    )
    _WARM.append(True)


_WARM: list[bool] = []
