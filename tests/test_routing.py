"""The routing engine end to end: every plan it returns passes the independent validator."""

from __future__ import annotations

import itertools
import math
import time

import pytest

from optimizer.model import Batch, with_orders
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
from scenarios.generate import generate_county

LIMIT = 2.0


def county(seed: int, villages: int = 12) -> Batch:
    return generate_county(villages, seed)


def solve_valid(batch: Batch, **kw: object):
    plan = plan_batch(batch, time_limit_s=LIMIT, baseline=False, **kw)  # type: ignore[arg-type]
    assert validate_plan(batch, plan) == []
    return plan


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mixed_batches_are_served_and_valid(seed: int) -> None:
    batch = county(seed)
    plan = solve_valid(batch)
    assert plan.kpis.required_unassigned == 0
    served = {o.order for o in plan.orders if o.served}
    required = {o.id for o in batch.orders if o.penalty is None}
    assert required <= served
    # Every perishable served order reports its freshness on arrival.
    perishable = {o.id for o in batch.orders if batch.products_by_id[o.product].shelf_life_h}
    for outcome in plan.orders:
        if outcome.served and outcome.order in perishable:
            assert outcome.remaining_share is not None
            assert outcome.remaining_share >= batch.orders_by_id[outcome.order].min_freshness


def test_only_deliveries() -> None:
    batch = county(4)
    only = with_orders(batch, [o for o in batch.orders if o.kind == "delivery"])
    plan = solve_valid(only)
    assert all(o.kind == "delivery" for o in plan.orders)
    assert plan.kpis.required_unassigned == 0
    assert plan.kpis.pickups_on_delivery_routes_share == 0.0
    assert 0 < plan.kpis.empty_km <= plan.kpis.km


def test_only_pickups() -> None:
    batch = county(5)
    only = with_orders(batch, [o for o in batch.orders if o.kind == "pickup"])
    plan = solve_valid(only)
    assert plan.kpis.required_unassigned == 0
    assert plan.kpis.pickups_on_delivery_routes_share == 0.0


def test_deliveries_first_keeps_backhauls_last() -> None:
    batch = county(6)
    batch.options.backhaul = "deliveries_first"
    plan = solve_valid(batch)
    kinds = {o.id: o.kind for o in batch.orders}
    for route in plan.routes:
        first_pickup = next(
            (i for i, s in enumerate(route.stops) if any(kinds[o] == "pickup" for o in s.load)),
            len(route.stops),
        )
        for stop in route.stops[first_pickup + 1 :]:
            assert not any(kinds[o] == "delivery" for o in stop.unload)


def test_all_optional_orders_with_tiny_penalties_are_left_out() -> None:
    batch = county(7)
    cheap = [o.model_copy(update={"penalty": 0.01}) for o in batch.orders]
    plan = solve_valid(with_orders(batch, cheap))
    assert plan.routes == []
    assert all(not o.served and o.reason and "penalty" in o.reason for o in plan.orders)
    assert plan.kpis.penalty_cost == pytest.approx(0.01 * len(cheap))


def test_all_optional_orders_with_high_penalties_are_served() -> None:
    batch = county(8)
    dear = [o.model_copy(update={"penalty": 100_000.0}) for o in batch.orders]
    plan = solve_valid(with_orders(batch, dear))
    assert plan.kpis.orders_unassigned == 0


def test_chilled_goods_ride_refrigerated() -> None:
    batch = county(9)
    plan = solve_valid(batch)
    chilled = {
        o.id for o in batch.orders if batch.products_by_id[o.product].temperature_class == "chilled"
    }
    assert chilled
    for route in plan.routes:
        carried = {oid for s in route.stops for oid in s.load}
        if carried & chilled:
            assert batch.fleet_by_id[route.vehicle_type].refrigerated


def test_capacity_tight_fleet_still_valid() -> None:
    """One small van and one reefer: mixed loads must respect capacity at every stop."""
    batch = county(10)
    for vt in batch.fleet:
        vt.count = 2
    plan = plan_batch(batch, time_limit_s=LIMIT, baseline=False)
    assert validate_plan(batch, plan) == []


def test_infeasible_order_is_reported_before_solving() -> None:
    batch = county(11)
    heavy = batch.orders[0].model_copy(update={"kg": 99_999.0})
    bad = with_orders(batch, [heavy, *batch.orders[1:]])
    issues = check_feasibility(compile_problem(bad))
    assert [i.order for i in issues] == [heavy.id]
    assert "kg" in issues[0].reason and issues[0].code == "too_heavy"
    with pytest.raises(InfeasibleBatch) as err:
        plan_batch(bad, time_limit_s=LIMIT, strict=True)
    assert heavy.id in str(err.value)
    # Not strict (the default): the order is left out with its reason, the rest planned.
    plan = plan_batch(bad, time_limit_s=LIMIT, baseline=False)
    assert validate_plan(bad, plan) == []
    [left] = [o for o in plan.orders if not o.served]
    assert (left.order, left.reason_code) == (heavy.id, "too_heavy")
    assert "99999 kg" in (left.reason or "")
    assert plan.kpis.required_unassigned == 1


def test_unreachable_window_and_freshness_are_reported() -> None:
    batch = county(12)
    pickup = next(o for o in batch.orders if o.kind == "pickup")
    late = pickup.model_copy(update={"id": "late", "ready": 23 * 60.0})
    fussy = pickup.model_copy(update={"id": "fussy", "min_freshness": 0.99999})
    bad = with_orders(batch, [*batch.orders, late, fussy])
    reasons = {i.order: i.reason for i in check_feasibility(compile_problem(bad))}
    assert set(reasons) == {"late", "fussy"}
    assert "ready at 23:00" in reasons["late"]  # a clock time, not "1380 min"
    assert "shelf life" in reasons["fussy"]
    codes = {i.order: i.code for i in check_feasibility(compile_problem(bad))}
    assert codes == {"late": "window_unreachable", "fussy": "shelf_life_unreachable"}


def test_no_refrigerated_vehicle_for_chilled_goods() -> None:
    batch = county(13)
    batch.fleet = [vt for vt in batch.fleet if not vt.refrigerated]
    issues = check_feasibility(compile_problem(Batch.model_validate(batch.model_dump())))
    assert issues and all("refrigerated" in i.reason for i in issues)
    assert {i.code for i in issues} == {"needs_refrigeration"}


def test_baseline_reports_savings() -> None:
    batch = county(14, villages=10)
    plan = plan_batch(batch, time_limit_s=LIMIT, baseline=True)
    assert plan.baseline is not None
    base = plan.baseline.kpis
    assert base.orders_served == plan.kpis.orders_served
    assert base.pickups_on_delivery_routes_share == 0.0
    assert plan.baseline.cost_saving_share == pytest.approx(
        1 - plan.kpis.total_cost / base.total_cost
    )


def test_road_network_batch_solves_and_validates(tmp_path) -> None:
    batch = generate_county(10, 15, roads=tmp_path / "roads.geojson")
    assert batch.travel.mode == "road_network"
    from optimizer.network import travel_matrices

    travel = travel_matrices(batch, tmp_path)
    assert travel.road is not None
    # Roads are longer than the straight line between any two distinct sites.
    straight = generate_county(10, 15)
    assert (travel.km >= compile_problem(straight).travel.km / 1.30 - 1e-6).all()
    batch.travel.path = str(tmp_path / "roads.geojson")
    plan = plan_batch(batch, time_limit_s=LIMIT, baseline=False)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0


def test_two_workers_run_the_engines_side_by_side() -> None:
    batch = county(7)
    plan = solve_valid(batch, workers=2)
    assert plan.kpis.required_unassigned == 0


def test_progress_reports_the_best_cost_so_far() -> None:
    batch = county(8)
    seen: list[tuple[str, float]] = []
    plan_batch(
        batch,
        time_limit_s=LIMIT,
        baseline=False,
        engine="ortools",
        progress=lambda phase, _elapsed, cost: seen.append((phase, cost)),
    )
    assert seen
    by_phase: dict[str, list[float]] = {}
    for phase, cost in seen:
        by_phase.setdefault(phase, []).append(cost)
    for costs in by_phase.values():
        assert all(b <= a for a, b in itertools.pairwise(costs))


def _fake_plan(batch, *, time_limit_s, baseline, engine, progress=None):
    """Stands in for plan_batch: the plan's cost depends on the seed only."""
    from types import SimpleNamespace

    cost = {1: 120.0, 2: 100.0}[batch.options.seed]
    return SimpleNamespace(
        seed=batch.options.seed, kpis=SimpleNamespace(total_cost=cost, required_unassigned=0)
    )


def test_two_cores_on_a_shelf_life_batch_keep_the_cheaper_seed(monkeypatch) -> None:
    from optimizer.routing import solve

    batch = county(7)
    problem = compile_problem(batch)
    assert problem.has_shelf_life
    assert solve._two_pipelines(problem, "auto")
    assert not solve._two_pipelines(problem, "ortools")
    monkeypatch.setattr(solve, "plan_batch", _fake_plan)
    seeded = batch.model_copy(update={"options": batch.options.model_copy(update={"seed": 1})})
    chosen = solve._best_of_two(seeded, 1.0, False, None, "auto")
    assert chosen.seed == 2  # the second pipeline, in the child, was cheaper


def test_polishing_gets_what_is_left() -> None:
    """All the time left before the end (an engine that ended early gives its time to
    polishing), none when polishing is off or the engines ran over."""
    import time

    from optimizer.routing.solve import _left

    now = time.perf_counter()
    assert _left(10.0, now + 2.0) <= 2.0
    assert 59.0 < _left(1.0, now + 60.0) <= 60.0
    assert _left(5.0, now - 1.0) == 0.0
    assert _left(0.0, now + 60.0) == 0.0


def test_the_baseline_is_polished_like_the_paired_plan(monkeypatch) -> None:
    from optimizer.routing import solve

    polished: list[int] = []
    real = solve.polish

    def counting(problem, result, seconds, seed=0):
        polished.append(len(problem.orders))
        return real(problem, result, seconds, seed)

    monkeypatch.setattr(solve, "polish", counting)
    batch = county(7)
    plan = plan_batch(batch, time_limit_s=LIMIT, baseline=True)
    assert plan.baseline is not None
    kinds = [sum(o.kind == k for o in batch.orders) for k in ("delivery", "pickup")]
    assert polished == [*kinds, len(batch.orders)]  # both baseline parts, then the pairing


@pytest.mark.parametrize("ahead", ["native", "pyvrp"])
def test_the_engine_ahead_after_the_probes_goes_on_until_it_stalls(monkeypatch, ahead: str) -> None:
    """PyVRP and the native search probe; the cheaper goes on (PyVRP resumed from its own
    result, the native search polishing its routes) with a stall limit, and what it hands
    back goes to the other, from its own probe, without one. OR-Tools is not called, and
    every result is returned for the portfolio to score."""
    from optimizer.routing import portfolio as solve
    from optimizer.routing.engines import EngineResult

    batch = county(6)
    problem = compile_problem(batch)
    assert solve.contested(problem) and problem.has_shelf_life
    cost = {"native": 200.0, "pyvrp": 200.0, ahead: 100.0}
    native = EngineResult([], cost["native"], "native", 0.0)
    routed = EngineResult([], 0.0, "pyvrp", 0.0)
    calls: list[tuple[str, float | None]] = []

    def fake_pyvrp(problem, seconds, seed=0, *, resume=None, stall_s=None):
        calls.append(("resume" if resume is routed else "pyvrp", stall_s))
        return routed if resume is None else EngineResult([], 0.0, "resumed", 0.0)

    def no_ortools(*_a, **_k):
        raise AssertionError("OR-Tools is not a contestant")

    def fake_polish(problem, result, seconds, seed=0, *, stall_s=None):
        from types import SimpleNamespace

        calls.append((f"polish {result.status}", stall_s))
        return SimpleNamespace(result=EngineResult([], 0.0, "polished", 0.0))

    monkeypatch.setattr(solve, "solve_native", lambda *a: native)
    monkeypatch.setattr(solve, "solve_pyvrp", fake_pyvrp)
    monkeypatch.setattr(solve, "solve_ortools", no_ortools)
    monkeypatch.setattr(solve, "polish", fake_polish)
    # Each engine's result has its own routes list: its validated cost is looked up by it.
    costs = {id(routed.routes): cost["pyvrp"]}
    monkeypatch.setattr(solve, "exact_cost", lambda p, routes: costs.get(id(routes), 0.0))
    out = solve._contest(problem, 1.0, None, "test")
    assert out[:2] == [native, routed] and len(out) == 4
    stall = 1.0 * solve.STALL_SHARE
    go_on = {"native": "polish native", "pyvrp": "resume"}
    other = "pyvrp" if ahead == "native" else "native"
    assert calls == [("pyvrp", None), (go_on[ahead], stall), (go_on[other], None)]


def test_where_drivers_rest_the_cheapest_plan_with_rests_is_kept(monkeypatch) -> None:
    """The engines search without rests; of their cheapest distinct candidates, each is
    repaired where a rest breaks a rule and polished with its rests for an equal share
    of the time left, and the one cheapest after that is kept: not the cheapest
    rest-free one, nor the cheapest merely repaired (a 60-village county: the best
    rest-free plan, 3,507 CNY, cost 4,089 repaired and 3,689 polished with rests)."""
    from types import SimpleNamespace

    from optimizer.routing import portfolio
    from optimizer.routing.engines import EngineResult, EngineRoute

    problem = compile_problem(county(6))
    free = {"cheap": 100.0, "twin": 100.0, "other": 110.0, "third": 120.0, "fourth": 130.0}
    repaired = {"cheap": 200.0, "other": 115.0, "third": 150.0, "fourth": 10.0}
    polished = {"cheap": 190.0, "other": 112.0, "third": 105.0, "fourth": 5.0}
    nodes = {"cheap": [0, 2, 1], "twin": [0, 2, 1], "other": [0, 3, 1], "third": [0, 4, 1]}
    nodes["fourth"] = [0, 5, 1]
    candidates = {
        name: EngineResult([EngineRoute(0, nodes[name], [0.0] * 3)], cost, name, 0.0)
        for name, cost in free.items()
    }
    costs: dict[int, float] = {}  # exact cost by the result's routes list
    seen: list[str] = []
    shares: list[float] = []

    def fake_repair(problem, result, deadline):
        seen.append(result.status)
        out = EngineResult([], 0.0, result.status, 0.0)
        costs[id(out.routes)] = repaired[result.status]
        return out

    def fake_polish(problem, result, seconds, seed):
        shares.append(seconds)
        out = EngineResult([], 0.0, result.status, 0.0)
        costs[id(out.routes)] = polished[result.status]
        return SimpleNamespace(result=out)

    monkeypatch.setattr(portfolio, "rests_repaired", fake_repair)
    monkeypatch.setattr(portfolio, "polish", fake_polish)
    monkeypatch.setattr(portfolio, "exact_cost", lambda p, routes: costs[id(routes)])
    scored = [(free[n], candidates[n]) for n in ("third", "fourth", "other", "twin", "cheap")]
    chosen = portfolio._rested(problem, candidates["cheap"], scored, time.perf_counter() + 3.0)
    # The three cheapest rest-free, in order; "twin" has cheap's routes: one candidate.
    assert seen == ["cheap", "other", "third"]
    assert chosen.status == "third"  # 150 repaired, 105 polished: below other's 112
    assert len(shares) == 3 and 0.9 < shares[0] <= 1.0  # a third of the 3 s left


def test_a_stalled_search_hands_its_time_back() -> None:
    """With ``stall_s``, PyVRP and the native search stop once their best has not
    improved for that long, well before a limit they would otherwise use whole."""
    from optimizer.routing.native import solve_native
    from optimizer.routing.polish import polish
    from optimizer.routing.pyvrp_engine import solve_pyvrp

    problem = compile_problem(county(6))
    start = solve_native(problem, 1.0, 0)
    routed = solve_pyvrp(problem, 1.0, 0)
    t = time.perf_counter()
    polished = polish(problem, start, 30.0, 1, stall_s=0.5)
    assert time.perf_counter() - t < 15.0
    assert polished.cost_after <= polished.cost_before + 1e-6
    t = time.perf_counter()
    resumed = solve_pyvrp(problem, 30.0, 0, resume=routed, stall_s=0.5)
    assert time.perf_counter() - t < 15.0
    assert resumed.routes


def test_the_native_contestant_polishes_a_given_start_instead_of_building(monkeypatch) -> None:
    """With a valid start (the merged separate-fleets plan, a re-plan's), the native
    search's probe polishes it: built from nothing, every probe ended above the merged
    plan on the demo county, and the pairing search's time bought nothing."""
    from optimizer.routing import portfolio as solve
    from optimizer.routing.polish import exact_cost

    problem = compile_problem(county(6))
    assert solve.contested(problem)
    start = solve.solve_native(problem, 1.0, 0)
    start_cost = exact_cost(problem, start.routes)
    assert start_cost < math.inf

    def no_build(*_a, **_k):
        raise AssertionError("built from nothing despite a valid start")

    monkeypatch.setattr(solve, "solve_native", no_build)
    out = solve._contest(problem, 1.5, None, "test", start)
    assert out[0].status == "success"
    assert out[0].objective == pytest.approx(exact_cost(problem, out[0].routes))
    assert out[0].objective <= start_cost + 1e-6


def test_distance_only_files_keep_the_classic_pipeline() -> None:
    from optimizer.io.instances import data_dir, read_instance
    from optimizer.routing import portfolio as solve

    path = data_dir() / "solomon_vrptw_100" / "instances" / "C101.txt"
    if not path.exists():
        pytest.skip("no benchmark data")
    assert not solve.contested(compile_problem(read_instance(path, "solomon")))


def test_above_ortools_size_the_native_search_contests_only_a_conservative_model(
    monkeypatch,
) -> None:
    """Above OR-Tools' size PyVRP needs much of the limit for a first feasible solution
    (1,000 stops, km + fixed: 33 of 60 s), so it keeps the time where its model is exact;
    where shelf life makes its model conservative it may find none at all (tight shelf
    lives: infeasible at 60 s, 196 orders unserved after the repair), and the native
    search contests the time (every order served)."""
    from optimizer.model import with_orders
    from optimizer.routing import portfolio
    from optimizer.routing.problem import compile_problem

    county = generate_county(8, seed=3)
    perishable = compile_problem(county)
    parcels = compile_problem(
        with_orders(county, [o for o in county.orders if o.kind == "delivery"])
    )
    assert perishable.has_shelf_life and not parcels.has_shelf_life
    assert portfolio.contested(perishable) and portfolio.contested(parcels)  # small: both
    monkeypatch.setattr(portfolio, "ORTOOLS_MAX_NODES", 4)  # as if above OR-Tools' size
    assert portfolio.contested(perishable)
    assert not portfolio.contested(parcels)
    monkeypatch.setattr(portfolio, "SEARCH_NODES_MAX", 4)  # beyond the search's matrices
    assert not portfolio.contested(perishable)


def test_polishing_on_two_cores_forks_only_where_the_engines_would(monkeypatch) -> None:
    """Above OR-Tools' size one polishing search runs even with two workers: each
    search holds its own node matrices (0.65 GiB at 3,724 nodes), and the engines do
    not run side by side there either."""
    import multiprocessing

    from optimizer.routing import solve as solve_mod
    from optimizer.routing.engines import EngineResult
    from optimizer.routing.native import solve_native

    problem = compile_problem(generate_county(8, seed=3))
    start = solve_native(problem, 1.0, 0)
    forks: list[str] = []
    real = multiprocessing.get_context

    def spy(method=None):  # type: ignore[no-untyped-def]
        forks.append(str(method))
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    assert isinstance(start, EngineResult)
    solve_mod._polished_plan(problem, start, "test", 0.5, workers=2)
    assert forks == ["fork"]  # small: two searches
    forks.clear()
    monkeypatch.setattr(solve_mod, "ORTOOLS_MAX_NODES", 4)
    plan = solve_mod._polished_plan(problem, start, "test", 0.5, workers=2)
    assert forks == []
    assert validate_plan(problem.batch, plan) == []


def test_ortools_keeps_its_own_solution_over_a_start_without_objective() -> None:
    """A start given without an objective (NaN: a re-plan's repaired old routes) is not
    kept whatever OR-Tools finds: NaN compares false, and ``min`` returned the start."""
    import math
    import time

    from optimizer.routing.engines import EngineResult
    from optimizer.routing.ortools_engine import solve_ortools
    from optimizer.routing.search.exchange import Exchange
    from optimizer.routing.search.serve import serve_unserved

    problem = compile_problem(generate_county(8, seed=3))
    builder = Exchange(problem, [])
    serve_unserved(builder, time.perf_counter() + 30.0)
    start = EngineResult(builder.serving(), math.nan, "repaired", 0.0)
    result = solve_ortools(problem, 2.0, initial=start)
    assert not math.isnan(result.objective)  # OR-Tools' own best, priced
