"""OR-Library readers on pmed1 and cap41 (from FRESHROUTE_DATA), plus format edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.io.orlib import cflp_optima, data_dir, pmedian_optima, read_cflp, read_pmedian
from optimizer.siting import solve_cflp, solve_pmedian

DATA = data_dir()
needs_data = pytest.mark.skipif(
    not (DATA / "pmedian_orlib").is_dir() or not (DATA / "cflp_orlib").is_dir(),
    reason=f"OR-Library data not found at {DATA} (set FRESHROUTE_DATA to the shared data folder)",
)


def test_pmedian_reader_last_edge_wins(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt"
    f.write_text(" 4 5 1\n 1 2 10\n 2 3 1\n 3 4 1\n 2 1 3\n 3 2 7\n")
    inst = read_pmedian(f)
    assert inst.n == 4 and inst.p == 1
    assert inst.dist[0, 1] == 3  # the later "2 1 3" replaces "1 2 10"
    assert inst.dist[1, 2] == 7  # the later "3 2 7" replaces "2 3 1"
    assert inst.dist[0, 3] == 3 + 7 + 1
    assert np.allclose(inst.dist, inst.dist.T)


def test_cflp_reader_symbolic_capacity(tmp_path: Path) -> None:
    f = tmp_path / "capx.txt"
    f.write_text("2 3\n capacity 10.\n capacity 20.\n 5 1 2\n 6\n 3 4\n 7 5 6\n")
    with pytest.raises(ValueError, match="capacity"):
        read_cflp(f)
    inst = read_cflp(f, capacity=50)
    assert inst.capacity.tolist() == [50, 50]
    assert inst.demand.tolist() == [5, 6, 7]
    assert inst.cost.tolist() == [[1, 3, 5], [2, 4, 6]]


@needs_data
def test_pmed1_reader_and_optimum() -> None:
    inst = read_pmedian(DATA / "pmedian_orlib" / "instances" / "pmed1.txt")
    assert (inst.n, inst.p) == (100, 5)
    assert inst.edges.shape[0] < 200  # duplicates collapsed
    opt = {r.instance: r.optimum for r in pmedian_optima()}["pmed1"]
    res = solve_pmedian(inst.dist, inst.p, time_limit=30)
    assert res.is_optimal and res.objective == opt == 5819


@needs_data
def test_cap41_reader_and_optimum() -> None:
    inst = read_cflp(DATA / "cflp_orlib" / "instances" / "cap41.txt")
    assert inst.cost.shape == (16, 50)
    assert inst.capacity[0] == 5000 and inst.fixed_cost[0] == 7500
    assert inst.demand[0] == 146 and inst.cost[0, 0] == pytest.approx(6739.725)
    rows = {r.instance: r for r in cflp_optima()}
    assert rows["capa_cap8000"].capacity == 8000 and rows["capa_cap8000"].file == "capa"
    res = solve_cflp(inst.cost, inst.demand, inst.capacity, inst.fixed_cost,
                     cost_per_unit=False, time_limit=30)
    assert res.is_optimal
    assert res.objective == pytest.approx(rows["cap41"].optimum, abs=0.01)


@needs_data
@pytest.mark.parametrize(
    "name", ["cap63", "cap81", "cap94", "cap113", "cap124", "cap134", "capa_cap14000"]
)
def test_cflp_orlib_proven_optima(name: str) -> None:
    """The Lagrangian branch and bound proves the OR-Library optimum (3 decimals)."""
    row = {r.instance: r for r in cflp_optima()}[name]
    inst = read_cflp(DATA / "cflp_orlib" / "instances" / f"{row.file}.txt", row.capacity)
    res = solve_cflp(inst.cost, inst.demand, inst.capacity, inst.fixed_cost,
                     cost_per_unit=False, time_limit=60)
    assert res.is_optimal and res.gap <= 1e-9
    assert res.objective == pytest.approx(row.optimum, abs=0.01)
    assert res.bound <= row.optimum + 0.01
    total = (inst.cost * res.flows).sum() + inst.fixed_cost[res.open_sites].sum()
    assert total == pytest.approx(res.objective, rel=1e-9)
    assert np.all((res.flows * inst.demand).sum(axis=1) <= inst.capacity + 1e-6)


@needs_data
def test_cflp_orlib_time_limit_gap_is_honest() -> None:
    """capb at 6000 needs a tree of ~150 nodes: stopped after 1 s it is not optimal, and
    its bound and objective bracket the proven optimum."""
    row = {r.instance: r for r in cflp_optima()}["capb_cap6000"]
    inst = read_cflp(DATA / "cflp_orlib" / "instances" / f"{row.file}.txt", row.capacity)
    res = solve_cflp(inst.cost, inst.demand, inst.capacity, inst.fixed_cost,
                     cost_per_unit=False, time_limit=1.0)
    assert res.status == "feasible" and res.gap > 1e-9
    assert res.bound <= row.optimum + 1e-6 <= res.objective + 2e-6
