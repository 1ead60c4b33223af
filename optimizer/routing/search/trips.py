"""Or-opt and 2-opt within each trip (between two depot visits) of each route, where the
load on each leg changes with the order (drop heavy parcels earlier, pick heavy produce
later) and waiting can be removed: *or-opt* moves one stop (a station's consecutive
actions) elsewhere in the trip, *2-opt* reverses a run of stops. Every candidate of a
trip is priced at once on route segments; the cheapest few are re-timed and checked
exactly route by route, and the whole plan is validated at the end."""

from __future__ import annotations

import time

import numpy as np

from optimizer.plan import Plan
from optimizer.routing.assemble import plan_score, validated_plan
from optimizer.routing.engines import EngineRoute
from optimizer.routing.problem import END, START, RoutingProblem
from optimizer.routing.search import MIN_GAIN_CNY
from optimizer.routing.search.exchange import Exchange
from optimizer.routing.search.segments import SegmentData, trip_move_costs

CHECKS_PER_ROUND = 4  # exact checks of the best-priced candidates of a trip


def within_trips(
    checker: Exchange,
    routes: list[EngineRoute],
    best: Plan,
    moves: int,
    deadline: float,
) -> tuple[list[EngineRoute], Plan, int]:
    """Or-opt and 2-opt within each trip until none saves or ``deadline``; ``best`` is
    the validated plan of ``routes``; ``checker`` re-times and checks a changed route.

    Every candidate of a trip is priced at once on route segments (``segments.py``:
    km, load-dependent fuel and paid time with the departure as late as the windows
    allow, so a reordering that removes waiting counts); the cheapest few are re-timed
    and checked exactly route by route, and the whole plan is validated at the end."""
    problem = checker.p
    data = checker.segments or SegmentData.of(problem)
    given, routes = routes, list(routes)
    before = moves
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for r in range(len(routes)):
            for lo, hi in trip_ranges(problem, routes[r].nodes):
                if time.perf_counter() >= deadline:
                    break
                route = routes[r]
                stops = stop_ranges(problem, route.nodes, lo, hi)
                if len(stops) < 2:
                    continue
                costs = trip_move_costs(data, route.vehicle, route.nodes, stops)
                exact = checker.cost(route)
                now = data.route_cost(route.vehicle, route.nodes)
                now = now if np.isfinite(now) else exact
                for c in np.argsort(costs, kind="stable")[:CHECKS_PER_ROUND]:
                    if not costs[c] < now - MIN_GAIN_CNY:
                        break
                    nodes = move_sequence(route.nodes, stops, int(c))
                    checked = checker.evaluate(
                        route.vehicle, nodes, exact - MIN_GAIN_CNY, route.times[0]
                    )
                    if checked is not None:
                        routes[r] = checked[0]
                        moves, improved = moves + 1, True
                        break
    if moves == before:
        return routes, best, moves
    plan = validated_plan(problem, routes)  # the whole plan has the last word
    if plan is None or plan_score(plan) >= plan_score(best) - MIN_GAIN_CNY:
        return given, best, before
    return routes, plan, moves


def trip_ranges(problem: RoutingProblem, nodes: list[int]) -> list[tuple[int, int]]:
    """[lo, hi) position ranges of station nodes between two depot visits."""
    at_depot = problem.node_at_depot[nodes] | np.isin(problem.node_role[nodes], [START, END])
    out, lo = [], None
    for i, depot in enumerate(at_depot):
        if not depot and lo is None:
            lo = i
        elif depot and lo is not None:
            out.append((lo, i))
            lo = None
    return [(a, b) for a, b in out if b - a >= 2]


def stop_ranges(
    problem: RoutingProblem, nodes: list[int], lo: int, hi: int
) -> list[tuple[int, int]]:
    """[a, b) position ranges of the trip's stops: a single-visit station's nodes stay
    together, any other station node is a stop of its own."""
    out, a = [], lo
    for i in range(lo + 1, hi + 1):
        same = (
            i < hi
            and problem.node_site[nodes[i]] == problem.node_site[nodes[i - 1]]
            and problem.node_shared[nodes[i]]
        )
        if not same:
            out.append((a, i))
            a = i
    return out


def move_sequences(nodes: list[int], stops: list[tuple[int, int]]) -> list[list[int]]:
    """Node sequences for every or-opt and 2-opt move of the trip's stops."""
    m = len(stops)
    if m < 2:
        return []
    lo, hi = stops[0][0], stops[-1][1]
    blocks = [nodes[a:b] for a, b in stops]
    head, tail = nodes[:lo], nodes[hi:]
    out: list[list[int]] = []
    for i in range(m):
        rest = blocks[:i] + blocks[i + 1 :]
        for j in range(m):
            if j == i:
                continue  # the trip as it is
            order = [*rest[:j], blocks[i], *rest[j:]]
            out.append(head + [n for b in order for n in b] + tail)
    for i in range(m - 1):
        for j in range(i + 2, m + 1):
            order = blocks[:i] + blocks[i:j][::-1] + blocks[j:]
            out.append(head + [n for b in order for n in b] + tail)
    return out


def move_sequence(nodes: list[int], stops: list[tuple[int, int]], c: int) -> list[int]:
    """The ``c``-th sequence of ``move_sequences(nodes, stops)``, built alone."""
    m = len(stops)
    lo, hi = stops[0][0], stops[-1][1]
    blocks = [nodes[a:b] for a, b in stops]
    if c < m * (m - 1):
        i, j = divmod(c, m - 1)
        j += j >= i
        rest = blocks[:i] + blocks[i + 1 :]
        order = [*rest[:j], blocks[i], *rest[j:]]
    else:
        c -= m * (m - 1)
        for i in range(m - 1):
            if c < m - 1 - i:
                j = i + 2 + c
                break
            c -= m - 1 - i
        order = blocks[:i] + blocks[i:j][::-1] + blocks[j:]
    return nodes[:lo] + [n for b in order for n in b] + nodes[hi:]
