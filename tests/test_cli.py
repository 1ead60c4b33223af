"""The command line: exit codes and messages for good and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from optimizer.cli import app
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


def small_batch(tmp_path: Path) -> tuple[Path, dict]:
    path = write_batch(generate_county(8, 3), tmp_path / "batch.json")
    return path, json.loads(path.read_text())


def write(tmp_path: Path, data: object, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_solve_then_validate(tmp_path: Path) -> None:
    batch, _ = small_batch(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["solve", str(batch), "--time-limit", "2", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "total cost" in result.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["schema"] == "freshroute.plan/v1"
    geo = json.loads((out / "plan.geojson").read_text())
    assert {f["properties"]["kind"] for f in geo["features"]} == {"site", "route"}
    result = runner.invoke(app, ["validate", str(batch), str(out / "plan.json")])
    assert result.exit_code == 0, result.output


def test_summary_names_a_station_visit_once(tmp_path: Path) -> None:
    """Parcels unloaded and produce loaded at one station are two stops in a row in the
    plan; the route summary names the station once."""
    from optimizer.cli import out, print_summary
    from optimizer.plan import Plan

    batch, _ = small_batch(tmp_path)
    done = runner.invoke(app, ["solve", str(batch), "--time-limit", "1", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    data = json.loads((tmp_path / "plan.json").read_text())
    stops = data["routes"][0]["stops"]
    stops.insert(2, dict(stops[1]))  # the same station twice in a row
    plan = Plan.model_validate(data)
    with out.capture() as captured:
        print_summary(plan, verbose=True)
    text = " ".join(captured.get().split())
    sites = [s["site"] for s in stops]
    once = [a for a, b in zip(sites, [None, *sites[:-1]], strict=True) if a != b]
    assert f"km: {' → '.join(once)}" in text


def test_validate_flags_a_tampered_plan(tmp_path: Path) -> None:
    batch, _ = small_batch(tmp_path)
    out = tmp_path / "out"
    runner.invoke(
        app,
        ["solve", str(batch), "--time-limit", "1", "--out", str(out), "--quiet", "--no-baseline"],
    )
    plan = json.loads((out / "plan.json").read_text())
    plan["routes"][0]["stops"][1]["arrival"] -= 500
    tampered = write(tmp_path, plan, "plan.json")
    result = runner.invoke(app, ["validate", str(batch), str(tampered)])
    assert result.exit_code == 1
    assert "[travel]" in result.output


def test_schema_error_names_the_json_path(tmp_path: Path) -> None:
    _, data = small_batch(tmp_path)
    data["orders"][2]["kg"] = -5
    result = runner.invoke(app, ["solve", str(write(tmp_path, data))])
    assert result.exit_code == 2
    assert "orders[2].kg" in result.output
    assert "Traceback" not in result.output


def test_unknown_references_are_named(tmp_path: Path) -> None:
    _, data = small_batch(tmp_path)
    data["orders"][0]["site"] = "NOWHERE"
    data["orders"][1]["product"] = "caviar"
    result = runner.invoke(app, ["solve", str(write(tmp_path, data))])
    assert result.exit_code == 2
    assert "orders[0].site: unknown site 'NOWHERE'" in result.output
    assert "orders[1].product: unknown product 'caviar'" in result.output


def test_order_heavier_than_every_vehicle(tmp_path: Path) -> None:
    _, data = small_batch(tmp_path)
    data["orders"][0]["kg"] = 50_000
    path = write(tmp_path, data)
    result = runner.invoke(app, ["solve", str(path), "--quiet", "--strict"])
    assert result.exit_code == 2
    assert data["orders"][0]["id"] in result.output
    assert "50000 kg" in result.output
    # Without --strict the rest is planned, and the required order left out is exit 3.
    out = tmp_path / "out"
    argv = ["solve", str(path), "--quiet", "--time-limit", "1", "--out", str(out), "--no-report"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 3, result.output
    assert f"{data['orders'][0]['id']} [too_heavy]" in result.output
    assert "50000 kg" in result.output and (out / "plan.json").exists()


def test_unreachable_window(tmp_path: Path) -> None:
    _, data = small_batch(tmp_path)
    station = data["orders"][0]["site"]
    for site in data["sites"]:
        if site["id"] == station:
            site["time_windows"] = [{"start": "02:00", "end": "02:30"}]
    result = runner.invoke(app, ["solve", str(write(tmp_path, data)), "--quiet", "--strict"])
    assert result.exit_code == 2
    assert data["orders"][0]["id"] in result.output


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(write(tmp_path, "{not json"))])
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
    result = runner.invoke(app, ["solve", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_bad_time_limit(tmp_path: Path) -> None:
    batch, _ = small_batch(tmp_path)
    result = runner.invoke(app, ["solve", str(batch), "--time-limit", "-1"])
    assert result.exit_code == 2
    assert "--time-limit" in result.output


def test_generate(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    result = runner.invoke(app, ["generate", "--villages", "20", "--seed", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["schema"] == "freshroute.batch/v1"


def test_road_network_paths_are_relative_to_the_batch(tmp_path: Path) -> None:
    batch = generate_county(8, 5, roads=tmp_path / "b.roads.geojson")
    path = write_batch(batch, tmp_path / "b.json")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "solve",
            str(path),
            "--time-limit",
            "1",
            "--out",
            str(out),
            "--quiet",
            "--no-baseline",
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    geo = json.loads((out / "plan.geojson").read_text())
    routes = [f for f in geo["features"] if f["properties"]["kind"] == "route"]
    stops = {len(f["properties"]["stops"]) for f in routes}
    # Road geometry has far more vertices than the stops it joins.
    assert all(len(f["geometry"]["coordinates"]) > max(stops) for f in routes)


def test_missing_road_file_is_a_clear_error(tmp_path: Path) -> None:
    _, data = small_batch(tmp_path)
    data["travel"] = {"mode": "road_network", "path": "nowhere.geojson"}
    result = runner.invoke(app, ["solve", str(write(tmp_path, data)), "--quiet"])
    assert result.exit_code == 2
    assert "nowhere.geojson" in result.output
    assert "Traceback" not in result.output


def test_solve_a_benchmark_file(tmp_path: Path) -> None:
    from optimizer.io.instances import data_dir

    path = data_dir() / "solomon_vrptw_100" / "instances" / "C101.txt"
    if not path.exists():
        import pytest

        pytest.skip(f"benchmark data not found at {path} (set FRESHROUTE_DATA)")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "solve",
            str(path),
            "--format",
            "solomon",
            "--time-limit",
            "2",
            "--out",
            str(out),
            "--quiet",
            "--no-report",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    stops = {s["site"] for r in plan["routes"] for s in r["stops"]}
    assert {"1", "50", "100"} <= stops  # stop ids are the file's node ids
    result = runner.invoke(app, ["solve", str(path), "--format", "excel"])
    assert result.exit_code == 2
    assert "--format" in result.output
