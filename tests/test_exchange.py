"""Cross-route polishing moves, route re-timing and the route-by-route validator."""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace

import numpy as np
import pytest

from optimizer.io.instances import data_dir, read_instance
from optimizer.model import Batch
from optimizer.routing.assemble import engine_routes
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.polish import exact_cost, polish
from optimizer.routing.problem import LOAD, UNLOAD, RoutingProblem, compile_problem
from optimizer.routing.pyvrp_engine import solve_pyvrp
from optimizer.routing.search.exchange import Exchange, _later_min
from optimizer.routing.search.relocate import relocate
from optimizer.routing.search.repair import relaxed
from optimizer.routing.search.ruin import ruin_recreate
from optimizer.routing.search.serve import serve_unserved
from optimizer.routing.search.swap import swap_orders, swap_star
from optimizer.routing.search.tails import exchange_tails
from optimizer.routing.solve import _plan, plan_batch
from optimizer.routing.timing import schedule, tighten
from optimizer.validate import RouteValidator, validate_plan
from scenarios.generate import generate_county

DATA = data_dir()


@pytest.fixture(scope="module")
def county() -> tuple[Batch, RoutingProblem, list[EngineRoute]]:
    batch = generate_county(40, 5)
    problem = compile_problem(batch)
    result = solve_pyvrp(problem, 2.0, seed=1)
    assert exact_cost(problem, result.routes) < math.inf
    return batch, problem, result.routes


def _used(routes: list[EngineRoute], problem: RoutingProblem) -> int:
    return sum(bool(np.isin(problem.node_role[r.nodes], [LOAD, UNLOAD]).any()) for r in routes)


def test_later_min_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    segment = np.sort(rng.integers(0, 6, size=60))
    values = rng.normal(size=60) * 100
    got = _later_min(values, segment)
    for i in range(60):
        later = [values[j] for j in range(i + 1, 60) if segment[j] == segment[i]]
        assert got[i] == (min(later) if later else math.inf)


def test_insertion_estimates_match_brute_force(county) -> None:
    """For each route, the best estimate equals the best of every (load, unload)
    position pair, load first, priced on the route's cost matrix."""
    _, problem, routes = county
    ex = Exchange(problem, routes)
    gaps = ex._gaps(set())
    k = int(np.argmax(problem.node_kg[problem.pairs[:, 0]]))  # the heaviest: room matters
    own = ex._route_of(k)
    checked = 0
    for r, route in enumerate(ex.routes):
        if ex.costs[r] == 0 or r == own or not ex.allowed[k, route.vehicle]:
            continue

        def path(nodes: list[int], vehicle: int = route.vehicle) -> float:
            return ex.path_cost(vehicle, nodes)

        vt = problem.vehicles[route.vehicle].type

        def fits(nodes: list[int], vt=vt) -> bool:
            kg, m3 = np.cumsum(problem.node_kg[nodes]), np.cumsum(problem.node_m3[nodes])
            return kg.max() <= vt.capacity_kg + 1e-6 and m3.max() <= vt.capacity_m3 + 1e-6

        base = path(route.nodes)
        options = [
            path(nodes) - base
            for i in range(1, len(route.nodes))
            for j in range(i, len(route.nodes))
            if fits(nodes := ex._inserted(r, k, i, j))
        ]
        if not options:
            assert not ex.insertions(
                k, {n: c[gaps["route"] == r] for n, c in gaps.items()}, math.inf, 1
            )
            continue
        brute = min(options)
        mask = gaps["route"] == r
        only = {name: col[mask] for name, col in gaps.items()}
        (estimate, rr, i, j), *_ = ex.insertions(k, only, math.inf, 1)
        assert rr == r
        assert estimate == pytest.approx(brute, abs=1e-6)
        assert path(ex._inserted(r, k, i, j)) - base == pytest.approx(brute, abs=1e-6)
        checked += 1
    assert checked


def test_tight_schedule_leaves_later_and_ends_alike(county) -> None:
    _, problem, routes = county
    minutes = problem.node_times()
    checked = 0
    for route in routes:
        if len(route.nodes) <= 2:
            continue
        start = problem.vehicles[route.vehicle].type.shift_start
        early = schedule(problem, minutes, start, route.nodes)
        assert early is not None
        tight = tighten(problem, minutes, early, route.nodes)
        assert tight[0] >= early[0]
        assert tight[-1] == pytest.approx(early[-1])
        for node, t in zip(route.nodes, tight, strict=True):
            assert any(lo - 1e-9 <= t <= hi + 1e-9 for lo, hi in problem.node_windows[node])
        checked += 1
    assert checked


def test_route_validator_agrees_with_the_plan_validator(county) -> None:
    batch, problem, routes = county
    plan = _plan(problem, EngineResult(routes, 0.0, "test", 0.0), "test")
    checker = RouteValidator(batch)
    assert checker.violations(plan.routes) == []
    route = plan.routes[0].model_copy(deep=True)
    route.stops[1].start -= 30.0  # served before the truck can be there
    route.stops[1].kg_on_board += 1.0
    kinds = {v.kind for v in checker.violations([route])}
    assert {"schedule", "capacity"} <= kinds


def _spoiled(problem: RoutingProblem, routes: list[EngineRoute]) -> list[EngineRoute]:
    """``routes`` with one order taken off its route and given a vehicle of its own."""
    ex = Exchange(problem, routes)
    minutes = problem.node_times()
    idle = [
        k
        for k in range(len(problem.vehicles))
        if k not in {r.vehicle for r in routes if len(r.nodes) > 2}
    ]
    for r, route in enumerate(routes):
        orders = ex._orders_on(r)
        if len(orders) < 2:
            continue
        for k in orders:
            v = next((q for q in idle if ex.allowed[k, q]), None)
            if v is None:
                continue
            vehicle = problem.vehicles[v]
            nodes = [vehicle.start_node, *(int(n) for n in problem.pairs[k]), vehicle.end_node]
            times = schedule(problem, minutes, vehicle.type.shift_start, nodes)
            rest = ex._without(r, k)
            rest_times = schedule(problem, minutes, route.times[0], rest)
            if times is None or rest_times is None:
                continue
            trial = [r2 for q, r2 in enumerate(routes) if q != r]
            trial += [EngineRoute(route.vehicle, rest, rest_times), EngineRoute(v, nodes, times)]
            if exact_cost(problem, trial) < math.inf:
                return trial
    raise AssertionError("no order could be given a vehicle of its own; pick another county")


def test_exchange_empties_a_needless_route(county) -> None:
    batch, problem, routes = county
    spoiled = _spoiled(problem, routes)
    before = exact_cost(problem, spoiled)
    assert _used(spoiled, problem) == _used(routes, problem) + 1
    out = Exchange(problem, spoiled).run(deadline=time.perf_counter() + 2.0)
    assert out.moves >= 1
    after = exact_cost(problem, out.routes)
    assert after < before - 1.0
    assert _used(out.routes, problem) <= _used(routes, problem)
    plan = _plan(problem, EngineResult(out.routes, 0.0, "test", 0.0), "test")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.total_cost == pytest.approx(after)


def test_exchange_keeps_min_used(county) -> None:
    batch, _, routes = county
    problem0 = compile_problem(batch)
    spoiled = _spoiled(problem0, routes)
    used = {}
    for r in spoiled:
        if len(r.nodes) > 2:
            vt = problem0.vehicles[r.vehicle].type.id
            used[vt] = used.get(vt, 0) + 1
    fleet = [vt.model_copy(update={"min_used": used.get(vt.id, 0)}) for vt in batch.fleet]
    bound = batch.model_copy(update={"fleet": fleet})
    problem = compile_problem(bound)
    out = Exchange(problem, spoiled).run(deadline=time.perf_counter() + 2.0)
    after = {}
    for r in out.routes:
        if len(r.nodes) > 2:
            vt = problem.vehicles[r.vehicle].type.id
            after[vt] = after.get(vt, 0) + 1
    assert after == used
    assert exact_cost(problem, out.routes) < math.inf


def test_polish_reports_cross_route_savings(county) -> None:
    _, problem, routes = county
    spoiled = _spoiled(problem, routes)
    polished = polish(problem, EngineResult(spoiled, 0.0, "test", 0.0), 3.0)
    assert polished.cost_after < polished.cost_before - 1.0
    assert exact_cost(problem, polished.result.routes) == pytest.approx(polished.cost_after)


def test_exchange_serves_a_required_order_the_engine_left_out(county) -> None:
    batch, problem, routes = county
    ex = Exchange(problem, routes)
    r, k = next(
        (r, k)
        for r in range(len(ex.routes))
        if len(ex._orders_on(r)) >= 2
        for k in ex._orders_on(r)
        if np.isnan(problem.penalty[k])  # required
    )
    minutes = problem.node_times()
    rest = ex._without(r, k)
    times = schedule(problem, minutes, ex.routes[r].times[0], rest)
    assert times is not None
    short = [*ex.routes[:r], EngineRoute(ex.routes[r].vehicle, rest, times), *ex.routes[r + 1 :]]
    short = [route for route in short if len(route.nodes) > 2]
    left_out = _plan(problem, EngineResult(short, 0.0, "test", 0.0), "test")
    assert left_out.kpis.required_unassigned == 1
    out = Exchange(problem, short).run(deadline=time.perf_counter() + 2.0)
    plan = _plan(problem, EngineResult(out.routes, 0.0, "test", 0.0), "test")
    assert plan.kpis.required_unassigned == 0
    assert validate_plan(batch, plan) == []


def test_ruin_and_recreate_only_keeps_savings(county) -> None:
    _, problem, routes = county
    ex = Exchange(problem, routes)
    first = ex.serving()  # re-timed where that is cheaper
    rng = np.random.default_rng(3)
    start = total = sum(ex.costs)
    for _ in range(30):
        kept = ruin_recreate(ex, rng)
        now = sum(ex.costs)
        assert now < total - 0.009 if kept else now == pytest.approx(total)
        total = now
    # The per-route costs add up to the whole plan's (unserved orders did not change).
    gained = exact_cost(problem, first) - exact_cost(problem, ex.serving())
    assert gained == pytest.approx(start - total)


def test_a_forced_kick_is_kept_whatever_it_costs(county) -> None:
    """A kick (``force``) moves the search off a local optimum: kept when every order
    found a place, the per-route costs still adding up to the plan's."""
    _, problem, routes = county
    ex = Exchange(problem, routes)
    first = ex.serving()  # re-timed where that is cheaper
    rng = np.random.default_rng(5)
    before = sum(ex.costs)
    assert ruin_recreate(ex, rng, size=12, force=True)
    after = exact_cost(problem, ex.serving())
    assert after < math.inf
    assert after - exact_cost(problem, first) == pytest.approx(sum(ex.costs) - before)


def test_iterated_search_never_returns_worse_than_its_first_descent(county) -> None:
    """With kicks the search goes on after it converged, from the best routes, and
    returns the best it found: never worse than the descent alone (same seed: the
    same first descent), every rule kept."""
    batch, problem, routes = county
    started = time.perf_counter()
    plain = Exchange(problem, routes).run(started + 60.0, seed=2)  # ends when converged
    took = time.perf_counter() - started
    kicked = Exchange(problem, routes).run(time.perf_counter() + 2 * took + 1.0, seed=2, kicks=True)
    cost_plain = exact_cost(problem, plain.routes)
    cost_kicked = exact_cost(problem, kicked.routes)
    assert cost_kicked <= cost_plain + 1e-6
    plan = _plan(problem, EngineResult(kicked.routes, 0.0, "test", 0.0), "test")
    assert plan.kpis.required_unassigned == 0
    assert validate_plan(batch, plan) == []


def test_insertion_price_counts_the_surcharge_when_segments_cannot_price_a_route(
    county,
) -> None:
    """Where a route's segment cost is infinite (a conservative deadline broken), its
    exact cost stands in, without the surcharge of the orders it already carries (the
    price of an insertion adds only the inserted order's): the prices equal those from
    the segment cost when the exact cost is that plus the surcharge."""
    _, problem, routes = county
    rng = np.random.default_rng(0)
    surcharge = rng.uniform(5.0, 20.0, size=(len(problem.orders), len(problem.vehicles)))
    ex = Exchange(problem, routes, surcharge=surcharge)
    r = next(r for r, busy in enumerate(ex.busy) if busy)
    k = next(k for k in range(len(problem.orders)) if ex.where[k] != r and ex.where[k] >= 0)
    route = ex.routes[r]
    ex.costs[r] = ex._segment_cost(r) + ex.extra(route.vehicle, route.nodes)
    priced = [c for c in ex.candidates(k, set(), math.inf, 10_000) if c[1] == r]
    ex._seg_costs[r] = math.inf  # as for a route that breaks a conservative deadline
    fallback = [c for c in ex.candidates(k, set(), math.inf, 10_000) if c[1] == r]
    assert priced and [c[0] for c in fallback] == pytest.approx([c[0] for c in priced])


def test_lazy_node_matrices_give_the_same_estimates(county) -> None:
    _, problem, routes = county
    full, lazy = Exchange(problem, routes), Exchange(problem, routes, lazy=True)
    for k in range(0, len(problem.orders), 7):
        got = lazy.insertions(k, lazy._gaps(set()), math.inf, 5)
        want = full.insertions(k, full._gaps(set()), math.inf, 5)
        assert got == want


def test_engine_routes_invert_assembly(county) -> None:
    _, problem, routes = county
    plan = _plan(problem, EngineResult(routes, 0.0, "test", 0.0), "test")
    again = engine_routes(problem, plan.routes)
    assert exact_cost(problem, again) == pytest.approx(exact_cost(problem, routes))
    replan = _plan(problem, EngineResult(again, 0.0, "test", 0.0), "test")
    assert [r.model_dump() for r in replan.routes] == [r.model_dump() for r in plan.routes]


@pytest.mark.skipif(not DATA.is_dir(), reason=f"benchmark data not found at {DATA}")
def test_nothing_is_inserted_inside_a_single_visit_stop() -> None:
    """A VRPSPD instance (every customer one stop for its delivery and pickup) with
    drivers paid by the hour, so that it is polished."""
    base = read_instance(DATA / "vrpspd_dethloff/instances/CON3-0.vrpspd", "lkh")
    fleet = [vt.model_copy(update={"cost_per_hour": 30.0}) for vt in base.fleet]
    batch = base.model_copy(update={"fleet": fleet})
    problem = compile_problem(batch)
    assert problem.visits
    # (Polishing within the solve may get no time on a loaded machine; the cross-route
    # search is run directly below.)
    planned = plan_batch(batch, time_limit_s=3.0, baseline=False)
    routes = engine_routes(problem, planned.routes)
    ex = Exchange(problem, routes)
    gaps = ex._gaps(set())
    chain_arcs = {arc for chain in problem.visits for arc in itertools.pairwise(chain)}
    inside = np.array(
        [(int(a), int(b)) in chain_arcs for a, b in zip(gaps["prev"], gaps["next"], strict=True)]
    )
    assert inside.any()
    assert not gaps["open"][inside].any()
    out = Exchange(problem, routes).run(deadline=time.perf_counter() + 2.0)
    plan = _plan(problem, EngineResult(out.routes, 0.0, "test", 0.0), "test")
    assert validate_plan(batch, plan) == []


def test_tight_schedule_is_the_schedule_of_its_departure(county) -> None:
    _, problem, routes = county
    minutes = problem.node_times()
    for route in routes:
        start = problem.vehicles[route.vehicle].type.shift_start
        early = schedule(problem, minutes, start, route.nodes)
        assert early is not None
        tight = tighten(problem, minutes, early, route.nodes)
        again = schedule(problem, minutes, tight[0], route.nodes)
        assert again == pytest.approx(tight)


def test_tail_exchange_only_keeps_savings(county) -> None:
    _, problem, routes = county
    ex = Exchange(problem, routes)
    first = ex.serving()  # re-timed where that is cheaper
    rng = np.random.default_rng(5)
    start = total = sum(ex.costs)
    served = int((ex.where >= 0).sum())
    kept_any = False
    for _ in range(40):
        kept = exchange_tails(ex, rng)
        kept_any |= kept
        now = sum(ex.costs)
        assert now < total - 0.009 if kept else now == pytest.approx(total)
        assert int((ex.where >= 0).sum()) == served
        total = now
    gained = exact_cost(problem, first) - exact_cost(problem, ex.serving())
    assert gained == pytest.approx(start - total)


def test_swap_star_only_keeps_savings(county) -> None:
    """Every kept SWAP* lowers the total by its own amount, serves the same orders, and
    the routes stay valid."""
    batch, problem, routes = county
    ex = Exchange(problem, routes)
    first = ex.serving()  # re-timed where that is cheaper
    rng = np.random.default_rng(3)
    start = total = sum(ex.costs)
    served = int((ex.where >= 0).sum())
    for _ in range(150):
        kept = swap_star(ex, rng)
        now = sum(ex.costs)
        assert now < total - 0.009 if kept else now == pytest.approx(total)
        assert int((ex.where >= 0).sum()) == served
        total = now
    gained = exact_cost(problem, first) - exact_cost(problem, ex.serving())
    assert gained == pytest.approx(start - total)
    assert validate_plan(batch, _plan(problem, EngineResult(ex.serving(), 0, "ok", 0), "t")) == []


def test_swap_star_exchanges_orders_of_two_full_trucks() -> None:
    """Two trucks each full (100 of 100 kg), each serving one near and one far village on
    the wrong side: no order fits on the other truck alone (relocate is stuck), SWAP*
    exchanges the two far ones and both routes shorten."""
    hub = {"id": "H", "kind": "hub", "lat": 30.0, "lon": 110.0}
    west = [
        {"id": f"W{i}", "kind": "station", "lat": 30.0, "lon": 109.80 - 0.01 * i} for i in range(2)
    ]
    east = [
        {"id": f"E{i}", "kind": "station", "lat": 30.0, "lon": 110.20 + 0.01 * i} for i in range(2)
    ]
    orders = [
        {
            "id": f"o-{s['id']}",
            "kind": "delivery",
            "site": s["id"],
            "kg": kg,
            "m3": 0.1,
            "product": "parcels",
        }
        for s, kg in zip([*west, *east], [60, 40, 60, 40], strict=True)
    ]
    batch = Batch.model_validate(
        {
            "sites": [hub, *west, *east],
            "products": [{"id": "parcels", "category": "parcels"}],
            "fleet": [
                {
                    "id": "t",
                    "count": 2,
                    "capacity_kg": 100,
                    "capacity_m3": 5,
                    "cost_per_km": 2.0,
                    "fixed_cost": 0,
                }
            ],
            "orders": orders,
        }
    )
    problem = compile_problem(batch)

    def route(vehicle: int, ids: list[str]) -> EngineRoute:
        ks = [next(k for k, o in enumerate(problem.orders) if o.id == i) for i in ids]
        loads = [int(problem.pairs[k, 0]) for k in ks]
        unloads = [int(problem.pairs[k, 1]) for k in ks]
        v = problem.vehicles[vehicle]
        nodes = [v.start_node, *loads, *unloads, v.end_node]
        times = schedule(problem, problem.node_times(), v.type.shift_start, nodes)
        assert times is not None
        return EngineRoute(vehicle, nodes, times)

    # Truck 0: west 60 kg + east 40 kg; truck 1: east 60 kg + west 40 kg.
    ex = Exchange(problem, [route(0, ["o-W0", "o-E1"]), route(1, ["o-E0", "o-W1"])])
    a = next(k for k, o in enumerate(problem.orders) if o.id == "o-E1")
    b = next(k for k, o in enumerate(problem.orders) if o.id == "o-W1")
    before = sum(ex.costs)
    assert not relocate(ex, a, int(ex.where[a])) and not relocate(ex, b, int(ex.where[b]))
    assert swap_orders(ex, a, b)
    assert sum(ex.costs) < 0.7 * before
    assert int(ex.where[a]) == int(
        ex.where[next(k for k, o in enumerate(problem.orders) if o.id == "o-E0")]
    )
    assert validate_plan(batch, _plan(problem, EngineResult(ex.serving(), 0, "ok", 0), "t")) == []


def test_ruin_screen_on_segments_agrees_with_the_exact_attempt() -> None:
    """Where segments price the exact cost (no shelf life, one window per site), an
    attempt the exact search would keep is one the segment screen lets through, and the
    screen leaves the search state as it found it."""
    from optimizer.model import with_orders
    from optimizer.routing.search import ruin

    county = generate_county(30, 4)
    parcels = with_orders(county, [o for o in county.orders if o.kind == "delivery"])
    with_rests = compile_problem(parcels)
    assert not Exchange(with_rests, []).priced_exactly  # rests add paid time segments omit
    # Nor on the problem the engines search with the rests taken out: the plan has them.
    assert not Exchange(relaxed(with_rests), []).priced_exactly
    problem = replace(relaxed(with_rests), rests_relaxed=False)  # as a batch without rests
    builder = Exchange(problem, [])  # greedy insertion: deterministic, room to improve
    serve_unserved(builder, time.perf_counter() + 30.0)
    ex = Exchange(problem, builder.serving())
    assert ex.priced_exactly
    rng = np.random.default_rng(7)
    kept = 0
    for _ in range(60):
        movable = np.flatnonzero(ex.movable & (ex.where >= 0))
        seed = int(rng.choice(movable))
        km = problem.travel.km[ex.order_site[seed], ex.order_site[movable]]
        near = movable[np.argsort(km, kind="stable")][: int(rng.integers(2, 6))]
        taken = sorted({j for k in near for j in ex.unit[int(k)]})
        drop = {int(n) for k in taken for n in problem.pairs[k]}
        hit = sorted({int(ex.where[k]) for k in taken})
        order = sorted(taken, key=lambda k: -problem.node_kg[problem.pairs[k, 0]])
        state = ([r.nodes for r in ex.routes], list(ex.costs), ex.where.copy())
        pays = ruin._pays_on_segments(ex, hit, order, drop)
        assert ([r.nodes for r in ex.routes], list(ex.costs)) == state[:2]
        assert (ex.where == state[2]).all()
        before = sum(ex.costs)
        saved = ex.snapshot()
        # The exact attempt, screen bypassed (forced, then judged like a move).
        placed = ruin._attempt(ex, hit, order, drop, force=True)
        if placed and sum(ex.costs) < before - 0.01:
            kept += 1
            assert pays
        ex.rollback(saved)
    assert kept  # the check above was exercised


def test_routes_are_retimed_when_an_engine_pays_needless_waiting(county) -> None:
    """Routes timed to leave as early as the shift allows pay waiting at the windows;
    the search re-times every route it is given (leaving as late as waiting allows)
    where that is valid and cheaper, not only those it changes."""
    batch, problem, routes = county
    minutes = problem.node_view("minutes")
    early = []
    for r in routes:
        vt = problem.vehicles[r.vehicle].type
        times = schedule(problem, minutes, vt.shift_start, r.nodes, vt.rest_rules)
        assert times is not None
        early.append(EngineRoute(r.vehicle, list(r.nodes), times))
    ex = Exchange(problem, early)
    assert ex.moves > 0
    assert exact_cost(problem, ex.serving()) < exact_cost(problem, early) - 1.0
    assert [r.nodes for r in ex.serving()] == [r.nodes for r in early if len(r.nodes) > 2]
    plan = _plan(problem, EngineResult(ex.serving(), 0.0, "test", 0.0), "test")
    assert validate_plan(batch, plan) == []
