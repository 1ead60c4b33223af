"""Smoke test of ``benchmarks/vrp.py``: five small instances, every engine, 1.5 s each.

Asserts that every engine's solution is evaluated independently in double precision and
its gap computed; that freshroute's plan passed its own validator; and that it is feasible
under the benchmark's rules where freshroute's model holds them (Solomon, CVRP, VRPSPD,
whose customers are single-visit stations, and Li & Lim, whose requests are transfers;
classic VRPB's "a linehaul on every route" is only priced, not held, so it is left out).
Anchors may miss a solution in 1.5 s on a loaded machine. No timing or quality assertion.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from optimizer.io.instances import data_dir

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = data_dir()
SECONDS = "1.5"
CASES = [
    ("solomon", "C201"),
    ("vrpb", "A1"),
    ("cvrp", "X-n101-k25"),
    ("vrpspd", "CON3-0"),
    ("lilim", "lc101"),
]


@pytest.mark.skipif(
    not DATA.is_dir(), reason=f"benchmark data not found at {DATA} (set FRESHROUTE_DATA)"
)
@pytest.mark.parametrize(("bench_set", "instance"), CASES)
def test_every_engine_feasible_with_gaps(
    bench_set: str, instance: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import vrp

    monkeypatch.setattr(vrp, "RESULTS", tmp_path)
    args = ["--set", bench_set, "--instances", instance, "--time-limit", SECONDS, "--seeds", "2"]
    out = vrp.main(args, progress=lambda _: None)
    with out.with_suffix(".csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["engine"] for r in rows] == ["freshroute", "pyvrp", "ortools"]
    for row in rows:
        assert float(row["reference"]) > 0
        if row["feasible"] == "True":
            assert float(row["gap_pct"]) > -0.01, row  # never below the reference
    ours = rows[0]
    assert ours["status"] == "validated", ours
    assert float(ours["distance"]) > 0
    if bench_set in ("solomon", "cvrp", "vrpspd", "lilim"):
        assert ours["feasible"] == "True", ours
    assert "## Summary" in out.read_text()


@pytest.mark.skipif(
    not DATA.is_dir(), reason=f"benchmark data not found at {DATA} (set FRESHROUTE_DATA)"
)
def test_freshroute_runs_with_the_anchors_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """freshroute gets the seed PyVRP gets: a benchmark of one seed against another
    measures the seeds, not the engines."""
    from benchmarks import vrp

    seen: list[int] = []

    def fake_plan(batch: object, **_kw: object) -> None:  # records the seed, then stops
        seen.append(batch.options.seed)  # type: ignore[attr-defined]
        raise ValueError("recorded")

    monkeypatch.setattr(vrp, "RESULTS", tmp_path)
    monkeypatch.setattr("optimizer.routing.solve.plan_batch", fake_plan)
    args = ["--set", "solomon", "--instances", "C101", "--time-limit", "0.5"]
    vrp.main([*args, "--engines", "freshroute", "--seeds", "3", "5"], progress=lambda _: None)
    assert seen == [3, 5]
