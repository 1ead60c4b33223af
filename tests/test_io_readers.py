"""Benchmark readers checked against the published solutions in the shared data folder.

Each reader's instance, evaluated independently (``optimizer/io/evaluate.py``) on the
published routes, must reproduce the published values; the compiled batch must accept
the same routes under freshroute's own validator.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from optimizer.io.evaluate import evaluate
from optimizer.io.instances import (
    data_dir,
    depot_aliases,
    plan_routes,
    read_benchmark,
    read_instance,
    routes_to_plan,
    to_batch,
)
from optimizer.io.lilim import read_lilim, read_sintef_solution
from optimizer.io.lkh import read_lkh, read_lkh_tour
from optimizer.io.solomon import read_solomon
from optimizer.io.vrplib_reader import read_vrplib, read_vrplib_solution
from optimizer.validate import validate_plan

DATA = data_dir()
needs_data = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"benchmark data not found at {DATA} (set FRESHROUTE_DATA)"
)
SOLOMON = DATA / "solomon_vrptw_100"
DOUBLE_INFEASIBLE = {"R102", "R105", "R107", "R108", "R112", "R211", "RC101", "RC105"}


def _column(path: Path, column: str = "distance") -> dict[str, str]:
    with path.open() as fh:
        return {r["instance"]: r[column] for r in csv.DictReader(fh)}


@needs_data
def test_solomon_dimacs_optima_and_double_precision() -> None:
    """All 56 DIMACS optima at one-decimal truncation; 8 break a window in double."""
    dimacs = _column(SOLOMON / "bks_distance_dimacs.csv")
    broken = set()
    for path in sorted((SOLOMON / "instances").glob("*.txt")):
        inst = read_solomon(path, "dimacs")
        routes = read_vrplib_solution(
            SOLOMON / "solutions_cvrplib_dimacs" / f"{inst.name}.sol", inst
        )
        ev = evaluate(inst, routes)
        assert ev.feasible, (inst.name, ev.violations)
        assert round(ev.distance, 1) == pytest.approx(float(dimacs[inst.name])), inst.name
        if not evaluate(read_solomon(path), routes).feasible:
            broken.add(inst.name)
    assert len(dimacs) == 56
    assert broken == DOUBLE_INFEASIBLE


@needs_data
@pytest.mark.parametrize("name", ["C101", "R211", "RC208"])
def test_solomon_batch_agrees_with_validator(name: str) -> None:
    inst = read_solomon(SOLOMON / "instances" / f"{name}.txt")
    batch = to_batch(inst)
    routes = read_vrplib_solution(SOLOMON / "solutions_cvrplib_dimacs" / f"{name}.sol", inst)
    plan = routes_to_plan(batch, routes)
    violations = validate_plan(batch, plan)
    ours = evaluate(inst, plan_routes(plan), depot_aliases=depot_aliases(inst))
    assert ours.feasible == (not violations) == (name not in DOUBLE_INFEASIBLE)
    assert plan.kpis.km == pytest.approx(ours.distance, abs=1e-9)
    if violations:
        assert {v.kind for v in violations} == {"time_window"}
    assert len(batch.orders) == 100 and batch.fleet[0].count == 25
    assert batch.fleet[0].shift_end == inst.windows[0, 1]  # type: ignore[index]


@needs_data
def test_cvrplib_x_solutions() -> None:
    root = DATA / "cvrp_x_subset"
    bks = _column(root / "bks.csv")
    for path in sorted((root / "instances").glob("*.vrp")):
        inst = read_vrplib(path)
        ev = evaluate(inst, read_vrplib_solution(root / "solutions" / f"{inst.name}.sol", inst))
        assert ev.feasible and ev.distance == float(bks[inst.name]), inst.name
    assert len(bks) == 44
    inst = read_vrplib(root / "instances" / "X-n101-k25.vrp")
    batch = to_batch(inst)
    routes = read_vrplib_solution(root / "solutions" / "X-n101-k25.sol", inst)
    assert not validate_plan(batch, routes_to_plan(batch, routes))
    assert batch.fleet[0].count >= 26  # ample: the BKS uses 26 routes


@needs_data
def test_li_lim_sintef_solutions() -> None:
    root = DATA / "pdptw_li_lim_100"
    vehicles, distance = (
        _column(root / "bks_hierarchical.csv", "vehicles"),
        _column(root / "bks_hierarchical.csv"),
    )
    files = sorted((root / "bks_solutions_sintef").glob("*.txt"))
    assert len(files) == 56
    for sol in files:
        inst = read_lilim(root / "instances" / f"{sol.name.split('.')[0]}.txt")
        ev = evaluate(inst, read_sintef_solution(sol))
        assert ev.feasible, (inst.name, ev.violations[:3])
        assert ev.routes == int(vehicles[inst.name])
        assert round(ev.distance, 2) == pytest.approx(float(distance[inst.name])), inst.name


@needs_data
def test_li_lim_requests_become_transfers() -> None:
    path = DATA / "pdptw_li_lim_100" / "instances" / "lc101.txt"
    inst = read_lilim(path)
    batch = read_instance(path, "lilim")
    assert inst.pairs is not None and len(batch.orders) == len(inst.pairs)
    for order, (p, d) in zip(batch.orders, inst.pairs, strict=True):
        assert order.kind == "transfer"
        assert (order.origin, order.site) == (inst.node_ids[p], inst.node_ids[d])
        assert order.kg == pytest.approx(float(inst.pickup[p]))


# LKH-3 best tours (c4v4/LKH3@66443c2, VRPB/TOURS/G/A1.229885643.tour and
# VRPSPD/TOURS/D/CON3-0.6165176.tour): one cycle, ids above the dimension are depot copies.
A1_TOUR = (
    "1 14 26 13 11 4 30 24 20 7 31 16 9 3 29 12 32 17 15 5 27 10 21 18 6 33 22 8 19 28 25 23 2"
)
CON3_0_TOUR = (
    "1 42 31 25 15 46 37 6 45 21 26 54 34 10 23 33 51 2 22 49 24 19 16 36 53 29 14 11 50 27 "
    "28 4 12 20 8 44 47 43 35 39 18 52 38 17 48 7 30 41 40 9 3 32 5 13"
)


def _tour(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "best.tour"
    path.write_text(f"NAME : t\nTYPE : TOUR\nTOUR_SECTION\n{text}\n-1\nEOF\n")
    return path


@needs_data
@pytest.mark.parametrize(
    ("rel", "tour", "value"),
    [
        ("vrpb_goetschalckx_jacobs_blecha/instances/A1.vrpb", A1_TOUR, 229885.65),
        ("vrpspd_dethloff/instances/CON3-0.vrpspd", CON3_0_TOUR, 616.5176),
    ],
)
def test_lkh_best_tours(tmp_path: Path, rel: str, tour: str, value: float) -> None:
    inst = read_lkh(DATA / rel)
    routes = read_lkh_tour(_tour(tmp_path, tour), inst)
    ev = evaluate(inst, routes)
    assert ev.feasible, ev.violations
    assert ev.distance == pytest.approx(value, abs=0.006)
    batch = to_batch(inst)
    assert not validate_plan(batch, routes_to_plan(batch, routes))
    if inst.kind == "vrpspd":  # the columns are pickup, then delivery (LKH-3 ReadProblem.c)
        assert inst.capacity == pytest.approx(808.0987)
        inst.delivery, inst.pickup = inst.pickup, inst.delivery
        assert not evaluate(inst, routes).feasible


@needs_data
def test_every_lkh_file_compiles() -> None:
    files = sorted((DATA / "vrpspd_dethloff" / "instances").glob("*.vrpspd"))
    files += sorted((DATA / "vrpb_goetschalckx_jacobs_blecha" / "instances").glob("*.vrpb"))
    assert len(files) == 102
    for path in files:
        batch = read_instance(path, "lkh")
        centre = [s for s in batch.sites if s.kind == "collection_centre"]
        assert len(centre) == 1 and centre[0].id == "1-cc"
        assert batch.options.backhaul == ("deliveries_first" if path.suffix == ".vrpb" else "mixed")


# A 4-node asymmetric VRPB with the depot last (as in Toth & Vigo's ftv files) and the
# diagonal at 10000; node 2 is a backhaul.
FTV_LIKE = """NAME : tiny-ftv
TYPE : VRPBTW
DIMENSION : 4
EDGE_WEIGHT_TYPE : EXPLICIT
EDGE_WEIGHT_FORMAT : FULL_MATRIX
CAPACITY : 10
VEHICLES : 1
EDGE_WEIGHT_SECTION
 10000 3 50 7
 4 10000 50 9
 50 50 10000 50
 2 5 50 10000
DEMAND_SECTION
1 4
2 6
3 5
4 0
BACKHAUL_SECTION
2 -1
DEPOT_SECTION
4
EOF
"""


def test_explicit_matrix_with_the_depot_last(tmp_path: Path) -> None:
    path = tmp_path / "tiny.vrpb"
    path.write_text(FTV_LIKE)
    inst = read_lkh(path)
    assert inst.kind == "vrpb" and inst.depot == 3 and inst.fixed_fleet
    assert inst.distance[0, 0] == 0 and inst.distance[0, 1] == 3 and inst.distance[1, 0] == 4
    assert list(inst.pickup) == [0, 6, 0, 0] and list(inst.delivery) == [4, 0, 5, 0]
    # depot 4 → 1 → 2 → 3 → 4: 2 + 3 + 50 + 50, with linehaul 3 after backhaul 2
    ev = evaluate(inst, [["4", "1", "2", "3", "4"]])
    assert ev.distance == 105 and any("linehaul after a backhaul" in v for v in ev.violations)
    ev = evaluate(inst, [["3", "1", "2"]])
    assert ev.feasible and ev.distance == 50 + 50 + 3 + 9
    tour = _tour(tmp_path, "3 1 2 4")
    assert read_lkh_tour(tour, inst) == [["3", "1", "2"]]
    batch = to_batch(inst)
    assert batch.sites[0].id == "4" and batch.sites[1].id == "4-cc"
    travel = batch.travel
    assert travel.site_ids == ["1", "2", "3", "4", "4-cc"]  # type: ignore[union-attr]
    km = np.array(travel.km)  # type: ignore[union-attr]
    assert km[3, 4] == km[4, 3] == 0 and km[4, 0] == km[3, 0] == 2 and km[0, 4] == 7


VRPBTW = """NAME : tiny-bhr
TYPE : VRPBTW
DIMENSION : 3
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 10
EDGE_WEIGHT_TYPE : EXACT_2D
NODE_COORD_SECTION
1 0 0
2 3 4
3 0 8
DEMAND_SECTION
1 0
2 5
3 7
TIME_WINDOW_SECTION
1 0 100
2 0 10
3 20 30
BACKHAUL_SECTION
3 -1
DEPOT_SECTION
1
-1
EOF
"""


def test_vrpbtw_windows_and_service(tmp_path: Path) -> None:
    path = tmp_path / "tiny.vrpbtw"
    path.write_text(VRPBTW)
    inst = read_lkh(path)
    assert inst.kind == "vrpbtw" and inst.backhaul_only_routes and not inst.fixed_fleet
    assert list(inst.service) == [0, 10, 10]  # type: ignore[arg-type]
    ev = evaluate(inst, [["2", "3"]])  # 5 → serve 5..15 → 20 at node 3 → back at 38
    assert ev.feasible and ev.distance == pytest.approx(18.0)
    assert not evaluate(inst, [["3", "2"]]).feasible  # backhaul first, and late at 2
    assert evaluate(inst, [["2"], ["3"]]).feasible  # a backhaul-only route is allowed
    batch = to_batch(inst)
    assert batch.fleet[0].shift_end == 100
    station = batch.sites_by_id["3"]
    assert station.service_min == 10 and station.time_windows[0].start == 20


@needs_data
def test_dispatcher_formats() -> None:
    assert read_benchmark(SOLOMON / "instances" / "C101.txt", "solomon").kind == "vrptw"
    with pytest.raises(ValueError, match="unknown format"):
        read_benchmark(SOLOMON / "instances" / "C101.txt", "csv")  # type: ignore[arg-type]


def test_data_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRESHROUTE_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("FRESHROUTE_DATA")
    assert data_dir().name == "data" and data_dir().parent.name == "shared"
