"""Route segments: O(1) concatenation gives the plan's own route cost, and every trip
move's cost equals the cost of walking the moved route."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from optimizer.model import with_fleet
from optimizer.routing.assemble import assemble_route
from optimizer.routing.engines import FRESHNESS_MARGIN_MIN, EngineRoute
from optimizer.routing.problem import compile_problem, freshness_deadlines
from optimizer.routing.pyvrp_engine import solve_pyvrp
from optimizer.routing.search.segments import SegmentData, trip_move_costs
from optimizer.routing.search.trips import move_sequences, stop_ranges, trip_ranges
from optimizer.routing.timing import schedule, tighten
from scenarios.generate import generate_county, with_fuel_rates


@pytest.fixture(scope="module")
def solved():
    """A generated county without drivers' rests: the segments price routes as if none
    were taken (where they are, an optimistic screen that the exact check follows)."""
    county = with_fuel_rates(generate_county(30, 3))
    batch = with_fleet(county, [vt.model_copy(update={"rest_rules": None}) for vt in county.fleet])
    problem = compile_problem(batch)
    result = solve_pyvrp(problem, 1.0, seed=1)
    return problem, result.routes


def _exact(problem, vehicle: int, nodes: list[int]) -> float:
    """The plan's route cost of ``nodes``, re-timed to leave as late as waiting allows
    (inf when no schedule meets the windows or the shift)."""
    minutes = problem.node_times()
    vt = problem.vehicles[vehicle].type
    times = schedule(problem, minutes, vt.shift_start, nodes)
    if times is None:
        return math.inf
    times = tighten(problem, minutes, times, nodes)
    route = assemble_route(problem, EngineRoute(vehicle, nodes, times))
    late = route.stops[-1].departure > vt.shift_end + 1e-6
    long = route.duration_min > vt.max_duration_min + 1e-6
    kg = np.cumsum(problem.node_kg[nodes])
    m3 = np.cumsum(problem.node_m3[nodes])
    room = kg.max() <= vt.capacity_kg + 1e-6 and m3.max() <= vt.capacity_m3 + 1e-6
    room &= kg.min() >= -1e-6
    return math.inf if late or long or not room else route.cost.total


def test_segment_cost_is_the_plans_route_cost(solved) -> None:
    problem, routes = solved
    data = SegmentData.of(problem, deadlines=False)
    checked = 0
    for r in routes:
        assert data.route_cost(r.vehicle, r.nodes) == pytest.approx(
            _exact(problem, r.vehicle, r.nodes), rel=1e-9
        )
        checked += 1
    assert checked >= 2


def test_every_trip_move_costs_what_the_moved_route_costs(solved) -> None:
    problem, routes = solved
    data = SegmentData.of(problem, deadlines=False)
    compared = 0
    for r in routes:
        for lo, hi in trip_ranges(problem, r.nodes):
            stops = stop_ranges(problem, r.nodes, lo, hi)
            candidates = move_sequences(r.nodes, stops)
            if not candidates:
                continue
            got = trip_move_costs(data, r.vehicle, r.nodes, stops)
            want = np.array([data.route_cost(r.vehicle, c) for c in candidates])
            np.testing.assert_allclose(got, want, rtol=1e-9)
            # And the segment walk agrees with re-timing and assembling the route.
            for c, cost in list(zip(candidates, got, strict=True))[:10]:
                assert cost == pytest.approx(_exact(problem, r.vehicle, c), rel=1e-9)
            compared += len(candidates)
    assert compared >= 50


def test_a_candidate_is_built_alone_as_in_the_full_list(solved) -> None:
    from optimizer.routing.search.trips import move_sequence

    problem, routes = solved
    seen = 0
    for r in routes:
        for lo, hi in trip_ranges(problem, r.nodes):
            stops = stop_ranges(problem, r.nodes, lo, hi)
            for c, nodes in enumerate(move_sequences(r.nodes, stops)):
                assert move_sequence(r.nodes, stops, c) == nodes
                seen += 1
    assert seen >= 50


def test_pair_insertions_are_the_cheapest_of_every_position_pair(solved) -> None:
    from optimizer.routing.search.segments import insertion_costs

    problem, routes = solved
    data = SegmentData.of(problem, deadlines=False)
    heavy = np.argsort(-problem.node_kg[problem.pairs[:, 0]])[:3]
    checked = 0
    for k, r in itertools.product(heavy, routes):
        load, unload = (int(n) for n in problem.pairs[k])
        if load in r.nodes:
            continue
        n = len(r.nodes)
        open_gap = np.ones(n, dtype=bool)
        open_gap[0] = False
        open_gap[n // 2] = False  # a closed gap is never used
        brute = sorted(
            (data.route_cost(r.vehicle, _with(r.nodes, load, unload, i, j)), i, j)
            for i in range(1, n)
            for j in range(i, n)
            if open_gap[i] and open_gap[j]
        )
        costs, at_i, at_j = insertion_costs(
            data, r.vehicle, r.nodes, load, unload, open_gap, open_gap, 3
        )
        want = [c for c, _, _ in brute[:3]]
        np.testing.assert_allclose(costs, want, rtol=1e-9)
        for cost, i, j in zip(costs, at_i, at_j, strict=True):
            if np.isfinite(cost):
                assert open_gap[i] and open_gap[j]
                nodes = _with(r.nodes, load, unload, i, j)
                assert data.route_cost(r.vehicle, nodes) == pytest.approx(cost, rel=1e-9)
        checked += 1
    assert checked >= 2


def _with(nodes: list[int], load: int, unload: int, i: int, j: int) -> list[int]:
    return [*nodes[:i], load, *nodes[i:j], unload, *nodes[j:]]


def test_shelf_life_deadlines_are_held_per_compartment() -> None:
    """A reefer holds an order that may also ride a van to the reefer's own (later)
    deadline, not the van's: segments of each vehicle type imply the limit in that
    type's compartment, and the tightest over the types is the order's global one."""
    problem = compile_problem(generate_county(30, 3))
    data = SegmentData.of(problem)
    temps = {int(data.type_of[i]): v.temp_c for i, v in enumerate(problem.vehicles)}
    assert len(set(temps.values())) >= 2, "the county needs reefers and vans"
    looser = 0
    for k, rule in enumerate(problem.freshness):
        if rule is None:
            continue
        unload = int(problem.pairs[k, 1])
        allowed = {int(data.type_of[i]) for i in problem.allowed_vehicles[k]}
        for t in allowed:
            _, own = freshness_deadlines(problem, k, FRESHNESS_MARGIN_MIN, {temps[t]})
            assert data.late[t, unload] == min(own, max(b for _, b in problem.node_windows[unload]))
        _, tightest = freshness_deadlines(problem, k, FRESHNESS_MARGIN_MIN)
        assert min(data.late[t, unload] for t in allowed) == pytest.approx(
            min(tightest, max(b for _, b in problem.node_windows[unload]))
        )
        looser += len({data.late[t, unload] for t in allowed}) > 1
    assert looser > 0, "some order's deadline differs between compartments"
