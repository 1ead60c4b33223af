"""A re-plan's time budget and its warm search: the limit covers the setup, the search
and what follows it; late orders are served from the old routes even when the setup
was slow; the move cost is priced inside the search."""

from __future__ import annotations

import time

import numpy as np
import pytest

import optimizer.replan.solve as solve_mod
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.replan.events import Events
from optimizer.replan.solve import FINISH_CHECKS, MIN_SEARCH_SHARE, Budget, replan
from optimizer.routing.assemble import engine_routes
from optimizer.routing.problem import LOAD, compile_problem
from optimizer.routing.search.exchange import Exchange

LIMIT = 1.0


def _mid(plan: Plan) -> float:
    """A time when the longest route has stops done and stops to do."""
    return max(plan.routes, key=lambda r: len(r.stops)).stops[1].departure


def _late(batch: Batch, now: float) -> dict[str, object]:
    """A small late pickup that any truck with room can take."""
    product = batch.orders[7].product
    return {
        "id": "LATE",
        "kind": "pickup",
        "site": "V4",
        "product": product,
        "kg": 20,
        "ready": now + 30,
    }


def test_budget_gives_the_search_what_the_setup_and_reserve_leave() -> None:
    b = Budget(limit_s=5.0, setup_s=1.0, check_s=0.1)
    assert b.reserve_s == pytest.approx(FINISH_CHECKS * 0.1)
    assert b.search_s == pytest.approx(5.0 - 1.0 - FINISH_CHECKS * 0.1)
    slow = Budget(limit_s=5.0, setup_s=4.9, check_s=0.1)  # the search still gets its share
    assert slow.search_s == pytest.approx(MIN_SEARCH_SHARE * 5.0)


def test_the_warm_search_ends_where_the_reserve_begins(
    solved: tuple[Batch, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch, plan = solved
    calls: list[tuple[float, float]] = []
    real = solve_mod.polish

    def spy(problem, result, seconds, seed=0, **kw):  # type: ignore[no-untyped-def]
        calls.append((time.perf_counter(), seconds))
        return real(problem, result, seconds, seed, **kw)

    monkeypatch.setattr(solve_mod, "polish", spy)
    now = _mid(plan)
    before = time.perf_counter()
    result = replan(
        batch,
        plan,
        Events.model_validate({"now": now, "add_orders": [_late(batch, now)]}),
        time_limit_s=LIMIT,
    )
    ((at, seconds),) = calls
    b = result.budget
    assert b.limit_s == LIMIT and b.check_s > 0
    # The search's deadline is the re-plan's start plus the setup and the search's share:
    # the limit less the setup and the reserve kept for judging, stitching, validating.
    start = at + seconds - b.setup_s - b.search_s
    assert before <= start <= at
    assert b.search_s == pytest.approx(
        max(MIN_SEARCH_SHARE * LIMIT, LIMIT - b.setup_s - b.reserve_s)
    )


def test_from_scratch_the_engines_get_the_same_budget(
    solved: tuple[Batch, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch, plan = solved
    limits: list[float] = []
    real = solve_mod.run_engine

    def spy(problem, time_limit_s, **kw):  # type: ignore[no-untyped-def]
        limits.append(time_limit_s)
        return real(problem, time_limit_s, **kw)

    monkeypatch.setattr(solve_mod, "run_engine", spy)
    events = Events.model_validate({"now": _mid(plan)})
    result = replan(batch, plan, events, time_limit_s=LIMIT, warm_start=False)
    assert limits == [result.budget.search_s]
    assert result.budget.search_s < LIMIT - result.budget.setup_s


def test_a_late_order_is_served_when_the_setup_was_slow(
    solved: tuple[Batch, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Serving what the old routes miss used to end a quarter of the limit after the
    re-plan started: at 1,000 villages the setup took longer, nothing was served, and
    71 late orders were left out. It now has until the search's deadline."""
    batch, plan = solved
    real_build, real_serve = solve_mod.build_residual, solve_mod.serve_unserved
    serving: list[tuple[float, float]] = []

    def slow(*args, **kw):  # type: ignore[no-untyped-def]
        time.sleep(0.5 * LIMIT)  # a setup that takes half the limit
        return real_build(*args, **kw)

    def serve(ex, deadline=float("inf"), **kw):  # type: ignore[no-untyped-def]
        serving.append((time.perf_counter(), deadline))
        return real_serve(ex, deadline, **kw)

    monkeypatch.setattr(solve_mod, "build_residual", slow)
    monkeypatch.setattr(solve_mod, "serve_unserved", serve)
    now = _mid(plan)
    events = Events.model_validate({"now": now, "add_orders": [_late(batch, now)]})
    result = replan(batch, plan, events, time_limit_s=LIMIT)
    ((called, deadline),) = serving
    assert deadline > called  # serving had time
    assert "LATE" in {o.order for o in result.plan.orders if o.served}
    assert result.chosen in ("repaired", "polished")


def test_surcharge_is_priced_per_order_on_its_route(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    problem = compile_problem(batch)
    routes = engine_routes(problem, plan.routes)
    surcharge = np.zeros((len(problem.orders), len(problem.vehicles)))
    surcharge[:, routes[0].vehicle] = 7.0
    plain, priced = Exchange(problem, routes), Exchange(problem, routes, surcharge=surcharge)
    for r, route in enumerate(plain.routes):
        carried = int((problem.node_role[route.nodes] == LOAD).sum())
        extra = 7.0 * carried if route.vehicle == routes[0].vehicle else 0.0
        assert priced.costs[r] == pytest.approx(plain.costs[r] + extra)
    assert any(c > 0 for c in priced.costs)


def test_a_high_move_cost_moves_only_the_downed_trucks_orders(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    route = max(plan.routes, key=lambda r: len(r.stops))
    now = route.stops[1].departure
    events = Events.model_validate(
        {
            "now": now,
            "vehicle_down": [{"vehicle": route.vehicle}],
            "options": {"move_cost_cny": 1e5},
        }
    )
    result = replan(batch, plan, events, time_limit_s=LIMIT)
    before = {o.order: o.vehicle for o in plan.orders if o.served}
    after = {o.order: o.vehicle for o in result.plan.orders if o.served}
    moved = {o for o, v in after.items() if before.get(o) not in (None, v)}
    assert all(before[o] == route.vehicle for o in moved)
    assert result.changes.moved == len(moved)
