"""County siting (``optimizer.siting.county``): the chosen sites, the checks, the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.siting.county import (
    CountyOptimize,
    SiteInputError,
    candidate_sites,
    optimize_county,
    scenario_problems,
    station_produce,
)
from optimizer.siting.scenario import Scenario
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


@pytest.fixture(scope="module")
def county() -> Batch:
    return generate_county(14, 21)


def weighted_minutes(batch: Batch, open_ids: list[str]) -> float:
    """Σ kg × minutes to the nearest open site (the p-median objective), by hand."""
    travel = travel_matrices(batch)
    index = travel.index()
    return sum(
        kg * min(travel.minutes[index[c], index[s]] for c in open_ids)
        for s, kg in station_produce(batch).items()
    )


def test_pmedian_picks_the_best_pair(county: Batch) -> None:
    found = optimize_county(county, CountyOptimize(p=2, time_limit_s=10))
    assert found.status == "optimal" and found.gap == 0.0 and len(found.open) == 2
    best = min(
        weighted_minutes(county, list(pair))
        for pair in itertools.combinations(candidate_sites(county), 2)
    )
    assert found.objective == pytest.approx(best)
    assert weighted_minutes(county, found.open) == pytest.approx(best)  # the sites named
    assert found.name == "pmedian-p2"
    assert (found.candidates, found.stations) == (15, len(station_produce(county)))


def test_must_open_and_forbid_are_kept(county: Batch) -> None:
    free = optimize_county(county, CountyOptimize(p=1))
    other = next(s for s in candidate_sites(county) if s not in free.open)
    forced = optimize_county(county, CountyOptimize(p=1, must_open=[other]))
    assert forced.open == [other]
    banned = optimize_county(county, CountyOptimize(p=1, forbid=free.open))
    assert banned.open != free.open and banned.objective >= free.objective  # type: ignore[operator]


def test_mclp_and_cflp_name_real_sites(county: Batch) -> None:
    sites = set(candidate_sites(county))
    mclp = optimize_county(county, CountyOptimize(model="mclp", p=1, radius_min=20))
    assert len(mclp.open) == 1 and set(mclp.open) <= sites
    assert 0 < mclp.objective <= sum(station_produce(county).values())  # type: ignore[operator]
    cflp = optimize_county(county, CountyOptimize(model="cflp", capacity_kg=600))
    assert len(cflp.open) >= 2 and set(cflp.open) <= sites  # 600 kg each: one is not enough


def test_cflp_budget_caps_the_opening_cost(county: Batch) -> None:
    free = optimize_county(county, CountyOptimize(model="cflp", daily_cost_cny=1.0))
    assert len(free.open) >= 2  # opening is nearly free: several centres cut transport
    capped = optimize_county(
        county, CountyOptimize(model="cflp", daily_cost_cny=1.0, budget_cny=1.0)
    )
    assert len(capped.open) == 1 and capped.status == "optimal"
    assert capped.objective >= free.objective  # type: ignore[operator]
    with pytest.raises(SiteInputError, match=r"budget_cny: 0\.5 CNY opens 0 centres"):
        optimize_county(county, CountyOptimize(model="cflp", daily_cost_cny=1.0, budget_cny=0.5))


def test_bad_options_name_each_field(county: Batch) -> None:
    spec = CountyOptimize(p=99, must_open=["X1", "HUB"], forbid=["CC1", "CC1"])
    with pytest.raises(SiteInputError) as e:
        optimize_county(county, spec)
    paths = [path for path, _ in e.value.problems]
    assert paths == ["must_open[0]", "must_open[1]", "p"]
    assert "X1" in str(e.value) and "HUB" in str(e.value) and "99" in str(e.value)
    clash = CountyOptimize(p=2, must_open=["V001"], forbid=["V001"])
    with pytest.raises(SiteInputError, match=r"forbid\[0\]: 'V001' is also in must_open"):
        optimize_county(county, clash)
    few = CountyOptimize(model="cflp", capacity_kg=10)
    with pytest.raises(SiteInputError, match="capacity_kg"):
        optimize_county(county, few)
    deliveries = county.model_copy(
        update={"orders": [o for o in county.orders if o.kind == "delivery"]}
    )
    with pytest.raises(SiteInputError, match=r"batch\.orders: no pickups"):
        optimize_county(deliveries, CountyOptimize())


def test_scenario_problems_name_the_sites(county: Batch) -> None:
    ok = Scenario(name="ok", batch="-", open=["CC1", "V001"], build_cost_cny={"V001": 1e5})
    assert scenario_problems(county, ok) == []
    bad = Scenario(name="bad", batch="-", open=["CC1", "NOPE", "CC1"], daily_cost_cny={"ZZ": 1})
    assert scenario_problems(county, bad) == [
        ("open[1]", "unknown site 'NOPE'"),
        ("open[2]", "'CC1' is listed twice"),
        ("daily_cost_cny.ZZ", "unknown site 'ZZ'"),
    ]


def test_cli_writes_the_sites_it_found(tmp_path: Path, county: Batch) -> None:
    path = write_batch(county, tmp_path / "county.json")
    out = tmp_path / "p2.json"
    result = runner.invoke(app, ["site", "optimize", str(path), "--p", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    assert written["open"] == optimize_county(county, CountyOptimize(p=2)).open
    assert set(written) == {"schema", "name", "batch", "open"}
    assert Scenario.model_validate(written).batch == "county.json"  # beside the scenario
    bad = runner.invoke(app, ["site", "optimize", str(path), "--model", "nope"])
    assert bad.exit_code == 2 and "model" in bad.output
    bad = runner.invoke(app, ["site", "optimize", str(path), "--must-open", "HUB"])
    assert bad.exit_code == 2 and "must_open[0]: 'HUB' is a hub" in bad.output


def test_the_solver_gets_the_time_limit(county: Batch, monkeypatch: pytest.MonkeyPatch) -> None:
    import optimizer.siting.county as module

    seen: dict[str, float] = {}
    real = module.solve_pmedian

    def spy(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        seen["limit"] = kwargs["time_limit"]  # type: ignore[assignment]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "solve_pmedian", spy)
    optimize_county(county, CountyOptimize(p=1, time_limit_s=7.5))
    assert seen == {"limit": 7.5}


def test_no_solution_is_an_error_not_an_empty_answer(
    county: Batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    import optimizer.siting.county as module
    from optimizer.siting.result import SitingError, SitingResult, Status

    def nothing(*args: object, **kwargs: object) -> SitingResult:
        empty = np.zeros(0, np.int64)
        return SitingResult("p-median", Status.NO_SOLUTION, np.inf, 0.0, empty, empty, 2.0, "x")

    monkeypatch.setattr(module, "_solve", nothing)
    with pytest.raises(SitingError, match="no_solution") as e:
        optimize_county(county, CountyOptimize(p=1, time_limit_s=2))
    assert not isinstance(e.value, SiteInputError)
