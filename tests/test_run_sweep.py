"""Planners' sweeps: every scenario × day a task, each county's matrices shared once,
the comparison aggregated over days (mean in comparison.md, spread in days.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.run.executor import LocalExecutor
from optimizer.run.sweep import sweep
from optimizer.siting.scenario import Scenario
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


class Counting(LocalExecutor):
    """The local executor, counting what is shared and which tasks run."""

    def __init__(self) -> None:
        super().__init__(2)
        self.shared: list[type] = []
        self.keys: list[str] = []

    def share(self, value):
        self.shared.append(type(value))
        return super().share(value)

    def run(self, tasks):
        self.keys += [t.key for t in tasks]
        return super().run(tasks)


@pytest.fixture(scope="module")
def county():
    return generate_county(10, 4)


def test_each_scenario_day_is_a_task_and_the_days_aggregate(county) -> None:
    centres = [s.id for s in county.sites if s.kind == "collection_centre"]
    village = next(s.id for s in county.sites if s.kind == "station")
    scenarios = [
        Scenario(name="today", batch="-", open=centres, days=1, time_limit_s=1),
        Scenario(name="moved", batch="-", open=[village], days=1, time_limit_s=1),
    ]
    with Counting() as executor:
        results, spreads = sweep([(s, county) for s in scenarios], executor, days=3)
    assert sorted(executor.keys) == sorted(f"{i}/{d}" for i in range(2) for d in range(3))
    assert len(executor.shared) == 4  # a county and its matrices per scenario, not per day
    for result, spread in zip(results, spreads, strict=True):
        assert result.days == spread.days == 3
        assert spread.cost_mean == pytest.approx(result.routing_cost)
        assert spread.km_mean == pytest.approx(result.routing_km)
        assert spread.cost_min <= spread.cost_mean <= spread.cost_max
        assert spread.cost_sd is not None and spread.cost_sd >= 0
    # Days 1 and 2 resample the produce: the days differ, so they have a spread.
    assert spreads[0].cost_max > spreads[0].cost_min


def test_site_compare_days_option_writes_the_spread(tmp_path: Path, county) -> None:
    write_batch(county, tmp_path / "county.json")
    centres = [s.id for s in county.sites if s.kind == "collection_centre"]
    for name, days in (("base", 1), ("again", 5)):
        (tmp_path / f"{name}.json").write_text(
            json.dumps(
                {
                    "schema": "freshroute.siting/v1",
                    "name": name,
                    "batch": "county.json",
                    "open": centres,
                    "days": days,
                    "time_limit_s": 1,
                }
            )
        )
    out = tmp_path / "cmp"
    result = runner.invoke(
        app,
        [
            "site",
            "compare",
            str(tmp_path / "base.json"),
            str(tmp_path / "again.json"),
            "--days",
            "2",
            "--workers",
            "2",
            "--out",
            str(out),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "days.csv").open(encoding="utf-8")))
    assert [(r["scenario"], r["days"]) for r in rows] == [("base", "2"), ("again", "2")]
    assert "| scenario | days | routing cost/day, mean (CNY) |" in (out / "days.md").read_text()
    result = runner.invoke(
        app,
        [
            "site",
            "compare",
            str(tmp_path / "base.json"),
            str(tmp_path / "again.json"),
            "--executor",
            "dask",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "dask" in result.output


def test_a_scenario_that_cannot_be_placed_is_named(tmp_path: Path, county) -> None:
    write_batch(county, tmp_path / "county.json")
    centres = [s.id for s in county.sites if s.kind == "collection_centre"]
    for name, open_ in (("base", centres), ("nowhere", ["NOWHERE"])):
        (tmp_path / f"{name}.json").write_text(
            json.dumps(
                {
                    "schema": "freshroute.siting/v1",
                    "name": name,
                    "batch": "county.json",
                    "open": open_,
                    "days": 1,
                    "time_limit_s": 1,
                }
            )
        )
    result = runner.invoke(
        app,
        [
            "site",
            "compare",
            str(tmp_path / "base.json"),
            str(tmp_path / "nowhere.json"),
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert result.exit_code == 2
    assert "scenario 'nowhere'" in result.output and "NOWHERE" in result.output
