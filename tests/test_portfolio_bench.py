"""The portfolio benchmark's county mode: solver seeds and their spread."""

from __future__ import annotations

from benchmarks import portfolio


def test_a_county_is_solved_with_the_solver_seed_asked_for() -> None:
    row = portfolio.run_one("pyvrp alone", 8, 1, 0.5, solver_seed=7)
    assert row["solver_seed"] == 7
    assert row["villages"] == 8 and row["run"] == "pyvrp alone" and "status" in row
    own = portfolio.run_one("pyvrp alone", 8, 1, 0.5)
    assert own["solver_seed"] == 1  # the county's own seed


def test_the_spread_over_solver_seeds_sums_up_each_run() -> None:
    rows = [
        {"villages": 60, "solver_seed": s, "run": run, "status": "validated", "total_cost": c}
        for s, run, c in [
            (1, "pyvrp alone", 100.0),
            (2, "pyvrp alone", 110.0),
            (1, "freshroute", 99.0),
            (2, "freshroute", 115.5),
        ]
    ]
    for s in (1, 2):
        portfolio._ratios([r for r in rows if r["solver_seed"] == s])
    lines = portfolio._spread(60, rows)
    assert (
        lines[0]
        == "- 60 villages, pyvrp alone: valid on 2 of 2 solver seeds; cost mean 105 (100-110) CNY"
    )
    assert lines[1].endswith("ratio mean 1.020 (0.990-1.050)")
    assert portfolio._spread(60, rows[:1]) == []  # one solver seed: nothing to sum up
