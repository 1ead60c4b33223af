"""The independent benchmark evaluator on hand-made instances."""

from __future__ import annotations

import numpy as np

from optimizer.io.evaluate import BenchmarkInstance, ProblemKind, evaluate

# Depot "0" at the origin, customers on a line: 1 at x=3, 2 at x=4 (3-4-5 triangle
# with the depot when 2 sits at (0, 4)), 3 at x=-5.
COORDS = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [-5.0, 0.0]])
DIST = np.sqrt(((COORDS[:, None] - COORDS[None]) ** 2).sum(-1))


def _inst(kind: ProblemKind = "cvrp", **kw: object) -> BenchmarkInstance:
    base: dict = dict(
        name="t",
        kind=kind,
        node_ids=["0", "1", "2", "3"],
        depot=0,
        distance=DIST,
        delivery=np.array([0.0, 4.0, 4.0, 4.0]),
        pickup=np.zeros(4),
        capacity=8.0,
        vehicles=2,
    )
    base.update(kw)
    return BenchmarkInstance(**base)


def test_distance_coverage_and_capacity() -> None:
    inst = _inst()
    ev = evaluate(inst, [["1", "2"], ["3"]])
    assert ev.feasible and ev.routes == 2
    assert ev.distance == DIST[0, 1] + DIST[1, 2] + DIST[2, 0] + 2 * 5
    ev = evaluate(inst, [["1", "2", "3"]])
    assert any("capacity" in v for v in ev.violations)
    ev = evaluate(inst, [["1", "2"], ["1"]])
    assert any("visited 2×" in v for v in ev.violations)
    assert any("not visited: 3" in v for v in ev.violations)
    assert any("unknown node" in v for v in evaluate(inst, [["9"]]).violations)


def test_reloads_become_trips_that_must_fit_the_fleet() -> None:
    inst = _inst(vehicles=2)
    ev = evaluate(inst, [["0", "1", "2", "0", "3", "0"]])
    assert ev.feasible and ev.routes == 2 and ev.reloads == 1
    ev = evaluate(inst, [["0", "1", "0", "2", "cc", "3", "0"]], depot_aliases=["cc"])
    assert ev.routes == 3 and ev.reloads == 2
    assert any("fleet has 2" in v for v in ev.violations)
    # consecutive stops at one node (unload, then load) are one visit
    assert evaluate(inst, [["0", "1", "1", "2", "cc", "0"], ["3"]], depot_aliases=["cc"]).feasible


def test_time_windows_in_double_precision() -> None:
    windows = np.array([[0.0, 100.0], [0.0, 3.0], [0.0, 100.0], [0.0, 100.0]])
    inst = _inst("vrptw", duration=DIST, service=np.array([0, 1, 1, 1.0]), windows=windows)
    assert evaluate(inst, [["1", "2"], ["3"]]).feasible
    ev = evaluate(inst, [["2", "1"], ["3"]])  # reaches 1 at 4 + 1 + 5 = 10 > 3
    assert ev.violations == ["route 0: node 1 served at 10.000000 > latest 3"]
    windows[1] = [6.0, 10.0]  # arrives at 3, waits until 6, leaves at 7, back at 10
    windows[0, 1] = 20.0  # route 1: 4 + 1 + √41 + 1 + 5 ≈ 17.4
    assert evaluate(inst, [["1"], ["2", "3"]], time_tol=0).feasible
    windows[0, 1] = 10.0 - 1e-3
    ev = evaluate(inst, [["1"], ["2", "3"]])
    assert "route 0: node 0 served at 10.000000 > latest 9.999" in ev.violations


def test_simultaneous_pickup_and_delivery_load_profile() -> None:
    # leaves with 4 + 4, unloads 4 and loads 6 at 1 (10 on board), then 4 and 0 at 2
    inst = _inst(
        "vrpspd",
        delivery=np.array([0.0, 4.0, 4.0, 0.0]),
        pickup=np.array([0.0, 6.0, 0.0, 1.0]),
        capacity=9.0,
    )
    ev = evaluate(inst, [["1", "2"], ["3"]])
    assert ev.violations == ["route 0: load 10 > capacity 9 after 1"]
    assert evaluate(inst, [["2", "1"], ["3"]]).feasible  # 8 → 4 → 6


def test_backhauls() -> None:
    inst = _inst(
        "vrpb",
        delivery=np.array([0.0, 4.0, 0.0, 4.0]),
        pickup=np.array([0.0, 0.0, 4.0, 0.0]),
        fixed_fleet=True,
        backhaul_only_routes=False,
    )
    assert evaluate(inst, [["1", "2"], ["3"]]).feasible
    assert any("linehaul after" in v for v in evaluate(inst, [["2", "1"], ["3"]]).violations)
    ev = evaluate(inst, [["1", "3"], ["2"]])
    assert any("backhauls only" in v for v in ev.violations)
    assert any("exactly 2" in v for v in evaluate(inst, [["1", "3", "2"]]).violations)


def test_pickup_and_delivery_pairs() -> None:
    inst = _inst(
        "pdptw",
        delivery=np.zeros(4),
        pickup=np.array([0.0, 5.0, 0.0, 0.0]),
        pairs=np.array([[1, 2]]),
        duration=DIST,
        windows=np.array([[0.0, 100.0]] * 4),
        service=np.zeros(4),
        capacity=5.0,
    )
    assert evaluate(inst, [["1", "2"], ["3"]]).feasible
    assert any(
        "delivery before pickup" in v for v in evaluate(inst, [["2", "1"], ["3"]]).violations
    )
    assert any("split" in v for v in evaluate(inst, [["1", "3"], ["2"]]).violations)
    inst.capacity = 4.0
    assert any("capacity" in v for v in evaluate(inst, [["1", "2"], ["3"]]).violations)
