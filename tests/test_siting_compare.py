"""Siting scenarios end to end: optimise, evaluate, compare on a generated county."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.siting import SitingError
from optimizer.siting.scenario import (
    Scenario,
    county_with_centres,
    evaluate_scenario,
    sample_day,
)
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


@pytest.fixture(scope="module")
def county() -> object:
    return generate_county(14, 21)


def test_centres_move_and_pickups_follow(county) -> None:
    village = next(s.id for s in county.sites if s.kind == "station")
    moved = county_with_centres(county, [village])
    centres = [s.id for s in moved.sites if s.kind == "collection_centre"]
    assert centres == [f"CC-{village}"]
    assert all(o.centre == centres[0] for o in moved.orders if o.kind == "pickup")
    assert len(moved.orders) == len(county.orders)


def test_unknown_open_site_is_named(county) -> None:
    with pytest.raises(SitingError, match="NOWHERE"):
        county_with_centres(county, ["NOWHERE"])


def test_sampled_days_are_the_same_for_every_scenario(county) -> None:
    a, b = sample_day(county, 2, seed=5), sample_day(county, 2, seed=5)
    assert a == b
    assert sample_day(county, 0, seed=5) == county
    assert a != county


def test_a_far_centre_is_worse_for_access(county) -> None:
    existing = [s.id for s in county.sites if s.kind == "collection_centre"]
    near = evaluate_scenario(
        Scenario(name="near", batch="-", open=existing, days=1, time_limit_s=1), county
    )
    # The station farthest from every existing centre as the only centre.
    far_site = max(
        (s for s in county.sites if s.kind == "station"),
        key=lambda s: min(
            abs(s.lon - c.lon) + abs(s.lat - c.lat)
            for c in county.sites
            if c.kind == "collection_centre"
        ),
    )
    far = evaluate_scenario(
        Scenario(name="far", batch="-", open=[far_site.id], days=1, time_limit_s=1), county
    )
    assert far.produce_kg == pytest.approx(near.produce_kg)
    assert near.routing_cost is not None and far.routing_cost is not None
    assert 0.0 <= far.fresh_coverage <= 1.0
    assert set(near.catchment) == set(far.catchment)
    assert far.mean_minutes_to_centre != near.mean_minutes_to_centre


def test_site_cli_optimize_and_compare(tmp_path: Path, county) -> None:
    batch = write_batch(county, tmp_path / "county.json")
    result = runner.invoke(
        app, ["site", "optimize", str(batch), "--p", "2", "--out", str(tmp_path / "p2.json")]
    )
    assert result.exit_code == 0, result.output
    assert "gap 0.00%" in result.output
    chosen = json.loads((tmp_path / "p2.json").read_text())
    assert len(chosen["open"]) == 2
    base = tmp_path / "base.json"
    existing = [s.id for s in county.sites if s.kind == "collection_centre"]
    base.write_text(
        json.dumps(
            {
                "schema": "freshroute.siting/v1",
                "name": "base",
                "batch": "county.json",
                "open": existing,
                "days": 1,
                "time_limit_s": 1,
            }
        )
    )
    p2 = json.loads((tmp_path / "p2.json").read_text())
    p2.update({"days": 1, "time_limit_s": 1})
    (tmp_path / "p2.json").write_text(json.dumps(p2))
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["site", "compare", str(base), str(tmp_path / "p2.json"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = (out / "comparison.md").read_text()
    assert "| 指标 | base (基准) | pmedian-p2 |" in table  # reports default to zh-CN
    geo = json.loads((out / "comparison.geojson").read_text())
    assert {f["properties"]["kind"] for f in geo["features"]} == {"centre", "catchment"}


def test_site_cli_bad_inputs(tmp_path: Path, county) -> None:
    batch = write_batch(county, tmp_path / "county.json")
    result = runner.invoke(app, ["site", "optimize", str(batch), "--p", "999"])
    assert result.exit_code == 2
    assert "999" in result.output
    result = runner.invoke(app, ["site", "optimize", str(batch), "--forbid", "X1"])
    assert result.exit_code == 2
    assert "X1" in result.output
    result = runner.invoke(app, ["site", "evaluate", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {"schema": "freshroute.siting/v1", "name": "x", "batch": "county.json", "open": []}
        )
    )
    result = runner.invoke(app, ["site", "evaluate", str(bad)])
    assert result.exit_code == 2
    assert "open" in result.output
