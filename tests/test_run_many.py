"""solve-many on local processes and on Ray: same plans, bad batches reported, dead
workers retried once, each plan written once; matrices shared with the tasks; a sweep's
scenario × day tasks on Ray."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.model import with_orders
from optimizer.network import TravelMatrices, given_travel, travel_matrices
from optimizer.run import many
from optimizer.run.executor import LocalExecutor, RayExecutor
from optimizer.run.many import CRASH_HOOK_ENV, Options, solve_many
from optimizer.run.sweep import sweep
from optimizer.siting.scenario import Scenario
from scenarios.generate import generate_county, write_batch

NAMES = ("c1", "c2", "c3")
runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small counties, small enough that every search reaches the same plan."""
    path = tmp_path_factory.mktemp("batches")
    for seed, name in enumerate(NAMES, start=1):
        write_batch(generate_county(6, seed), path / f"{name}.json")
    return path


@pytest.fixture(scope="module")
def ray_executor():
    """One embedded Ray (2 CPUs) for the module: Ray takes seconds to start."""
    pytest.importorskip("ray")
    executor = RayExecutor(workers=2)
    yield executor
    executor.close()


def _routes(out: Path, name: str) -> tuple:
    """The plan's cost, and each vehicle's stations in order with the orders it handles.

    The order of the work at one station (unload, then load, or the other way) is left
    out: the solver breaks such ties by Python's per-process hash order."""
    plan = json.loads((out / name / "plan.json").read_text(encoding="utf-8"))
    routes = [
        (
            r["vehicle"],
            [site for site, _ in itertools.groupby(s["site"] for s in r["stops"])],
            sorted(o for s in r["stops"] for o in s["load"] + s["unload"]),
        )
        for r in plan["routes"]
    ]
    return round(plan["kpis"]["total_cost"], 6), routes


def _files(folder: Path) -> list[Path]:
    return [folder / f"{n}.json" for n in NAMES]


def test_local_and_ray_give_the_same_plans(folder: Path, tmp_path: Path, ray_executor) -> None:
    """PyVRP alone: at this size (6 villages, 3 s) its search with a given seed ends in
    the same plan however fast the machine, so a difference could only come from the
    executor (the auto portfolio's phases race the clock, and may not; at 1 s a loaded
    machine left a search short of it once)."""
    local, ray = tmp_path / "local", tmp_path / "ray"
    opts = {"seed": 3, "engine": "pyvrp", "report": False}
    with LocalExecutor(2) as executor:
        rows = solve_many(_files(folder), executor, Options(local, 3.0, **opts))
    assert [r.status for r in rows] == ["ok"] * 3
    rows = solve_many(_files(folder), ray_executor, Options(ray, 3.0, **opts))
    assert [r.status for r in rows] == ["ok"] * 3
    for name in NAMES:
        assert _routes(local, name) == _routes(ray, name)
        assert json.loads((ray / name / "plan.json").read_text())["routes"]


def test_a_bad_batch_is_reported_and_the_rest_planned(folder: Path, tmp_path: Path) -> None:
    bad = tmp_path / "in" / "bad.json"
    bad.parent.mkdir()
    data = json.loads((folder / "c1.json").read_text(encoding="utf-8"))
    data["orders"][0]["kg"] = -5
    bad.write_text(json.dumps(data), encoding="utf-8")
    for name in NAMES[:2]:
        (tmp_path / "in" / f"{name}.json").write_text((folder / f"{name}.json").read_text())
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "solve-many",
            str(tmp_path / "in"),
            "--time-limit",
            "1",
            "--workers",
            "2",
            "--out",
            str(out),
            "--no-report",
            "--quiet",
        ],
    )
    assert result.exit_code == 2, result.output
    summary = (out / "summary.csv").read_text(encoding="utf-8").splitlines()
    assert summary[0].startswith("county,status,cost,km,empty_km,vehicles,unserved,wall_s")
    rows = {line.split(",")[0]: line for line in summary[1:]}
    assert set(rows) == {"bad", "c1", "c2"}
    assert ",bad input," in rows["bad"] and "orders[0].kg" in rows["bad"]
    assert ",ok," in rows["c1"] and ",ok," in rows["c2"]
    assert not (out / "bad").exists()
    assert _routes(out, "c1") and _routes(out, "c2")
    assert "| bad | bad input |" in (out / "summary.md").read_text(encoding="utf-8")


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> Counter:
    writes: Counter = Counter()
    real = many.write_plan_files

    def counted(batch, plan, out_dir, **kw):
        writes[out_dir.name] += 1
        return real(batch, plan, out_dir, **kw)

    monkeypatch.setattr(many, "write_plan_files", counted)
    return writes


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_killed_task_is_retried_once_and_written_once(
    executor: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:
    ex = LocalExecutor(2) if executor == "local" else request.getfixturevalue("ray_executor")
    writes = _count_writes(monkeypatch)
    (tmp_path / "attempts").mkdir()
    monkeypatch.setenv(CRASH_HOOK_ENV, f"c2:1:{tmp_path / 'attempts'}")
    try:
        rows = solve_many(_files(folder), ex, Options(tmp_path / "out", 1.0, report=False))
    finally:
        if executor == "local":
            ex.close()
    assert [r.status for r in rows] == ["ok"] * 3
    assert sorted(p.name for p in (tmp_path / "attempts").iterdir()) == [
        "c2.attempt1",  # os._exit in the worker
        "c2.attempt2",  # the retry, which planned
    ]
    assert writes == Counter({"c1": 1, "c2": 1, "c3": 1})
    assert _routes(tmp_path / "out", "c2")
    if executor == "local":
        assert [r.attempts for r in rows] == [1, 2, 1]


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_task_killed_twice_fails_and_the_rest_go_on(
    executor: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request
) -> None:
    ex = LocalExecutor(1) if executor == "local" else request.getfixturevalue("ray_executor")
    (tmp_path / "attempts").mkdir()
    monkeypatch.setenv(CRASH_HOOK_ENV, f"c1:2:{tmp_path / 'attempts'}")
    try:
        rows = solve_many(_files(folder), ex, Options(tmp_path / "out", 1.0, report=False))
    finally:
        if executor == "local":
            ex.close()
    assert [r.status for r in rows] == ["failed", "ok", "ok"]
    assert "died" in rows[0].error
    assert len(list((tmp_path / "attempts").iterdir())) == 2  # one retry, no more
    assert not (tmp_path / "out" / "c1").exists()


def test_given_travel_is_used_and_sliced() -> None:
    batch = generate_county(6, 1)
    built = travel_matrices(batch)
    given = TravelMatrices(built.site_ids, built.km * 2, built.minutes * 2)
    fewer = batch.model_copy(update={"sites": batch.sites[:-1]})
    moved = batch.model_copy(
        update={"sites": [*batch.sites[:-1], batch.sites[-1].model_copy(update={"lon": 116.0})]}
    )
    with given_travel(batch, given):
        assert travel_matrices(with_orders(batch, batch.orders)) is given
        sliced = travel_matrices(fewer)
        assert sliced.site_ids == built.site_ids[:-1]
        assert np.array_equal(sliced.km, built.km[:-1, :-1] * 2)
        assert np.array_equal(travel_matrices(moved).km[:-1, :-1], built.km[:-1, :-1])
    assert np.array_equal(travel_matrices(batch).km, built.km)


def test_a_sweep_runs_its_days_on_ray(ray_executor) -> None:
    county = generate_county(8, 2)
    village = next(s.id for s in county.sites if s.kind == "station")
    scenario = Scenario(name="moved", batch="-", open=[village], days=1, time_limit_s=1)
    results, spreads = sweep([(scenario, county)], ray_executor, days=2)
    assert results[0].days == spreads[0].days == 2
    assert results[0].routing_cost == pytest.approx(spreads[0].cost_mean)
    assert results[0].catchment and set(results[0].catchment.values()) == {f"CC-{village}"}
