"""One datum on the route map: sites, route lines and roads agree for a GCJ-02 batch on
WGS-84 roads; roads as a base layer, villages labelled; `report` draws road routes on
roads as `solve` does."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.geojson import plan_geojson
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.network.gcj02 import wgs84_to_gcj02
from optimizer.report.map import map_data, route_lines_from_geojson
from optimizer.routing.solve import plan_batch
from scenarios.generate import generate_county, write_batch

runner = CliRunner()
AMAP = (
    "https://webrd01.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points, equirectangular (fine over a county)."""
    k = 111_320.0
    dy = (a[0] - b[0]) * k
    dx = (a[1] - b[1]) * k * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def gcj02_county(folder: Path) -> Path:
    """A county on WGS-84 roads whose sites are given in GCJ-02, as from Amap."""
    batch = generate_county(8, 5, roads=folder / "c.roads.geojson")
    data = batch.model_dump(by_alias=True)
    for site in data["sites"]:
        lon, lat = wgs84_to_gcj02(site["lon"], site["lat"])
        site["lon"], site["lat"] = float(lon), float(lat)
    data["travel"]["coords"] = "gcj02"
    return write_batch(Batch.model_validate(data), folder / "c.json")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("gcj")
    from optimizer.model import read_batch

    batch = read_batch(gcj02_county(folder))
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    travel = travel_matrices(batch)
    geojson = plan_geojson(batch, plan, travel)
    data = map_data(
        batch,
        plan,
        "en",
        tiles_url=AMAP,
        route_lines=lambda b, p: route_lines_from_geojson(b, p, geojson),
        travel=travel,
    )
    return {"batch": batch, "plan": plan, "data": data, "folder": folder}


def test_route_lines_start_and_end_at_their_sites(drawn: dict) -> None:
    data, plan = drawn["data"], drawn["plan"]
    sites = {s["id"]: (s["lat"], s["lon"]) for s in data["sites"]}
    lines = {r["vehicle"]: r["lines"] for r in data["routes"]}
    assert plan.routes
    for route in plan.routes:
        parts = lines[route.vehicle]
        assert len(parts[0]) > len(route.stops)  # on the roads, not stop to stop
        first, last = parts[0][0], parts[-1][-1]
        assert metres(first, sites[route.stops[0].site]) < 3.0
        assert metres(last, sites[route.stops[-1].site]) < 3.0
    assert data["datum"] == "gcj02" and "GCJ-02" in data["labels"]["datum"]


def test_routes_lie_on_the_roads_drawn(drawn: dict) -> None:
    data = drawn["data"]
    assert data["label_villages"] and data["roads"]
    roads = shapely.MultiLineString(
        [[(lon, lat) for lat, lon in line] for group in data["roads"] for line in group["lines"]]
    )
    # Vertices of the route lines, away from the sites (whose access legs leave the road).
    sites = np.array([(s["lat"], s["lon"]) for s in data["sites"]])
    far = []
    for route in data["routes"]:
        for lat, lon in route["lines"][0]:
            if min(metres((lat, lon), tuple(s)) for s in sites) > 300:
                far.append((lat, lon))
    assert far
    # Within the simplification tolerance of the drawn roads (degrees → metres).
    worst = max(roads.distance(shapely.Point(lon, lat)) * 111_320 for lat, lon in far)
    assert worst < 10.0, worst


def test_tiles_template_is_passed_through(drawn: dict) -> None:
    assert drawn["data"]["tiles"]["url"] == AMAP


def test_report_draws_road_routes_as_solve_does(tmp_path: Path) -> None:
    batch = gcj02_county(tmp_path)
    solved = tmp_path / "solved"
    run = runner.invoke(
        app,
        [
            "solve",
            str(batch),
            "--time-limit",
            "1",
            "--out",
            str(solved),
            "--quiet",
            "--no-baseline",
            "--lang",
            "zh-CN",
        ],
    )
    assert run.exit_code in (0, 3), run.output
    again = tmp_path / "again"
    run = runner.invoke(
        app,
        [
            "report",
            str(batch),
            str(solved / "plan.json"),
            "--out",
            str(again),
            "--lang",
            "zh-CN",
            "--tiles",
            AMAP,
        ],
    )
    assert run.exit_code == 0, run.output

    def page(path: Path) -> dict:
        text = path.read_text(encoding="utf-8")
        match = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', text)
        assert match
        return json.loads(match[1])

    a, b = page(solved / "map.html"), page(again / "map.html")
    assert [r["lines"] for r in a["routes"]] == [r["lines"] for r in b["routes"]]
    assert b["roads"] == a["roads"] and b["tiles"]["url"] == AMAP
    assert "坐标系：GCJ-02" in b["labels"]["datum"]


def test_the_roads_are_drawn_in_a_browser(drawn: dict, tmp_path: Path) -> None:
    """Headless Chromium draws the roads, labels and routes with no script error; the
    zh-CN page's screenshot goes to docs/screenshots/ for the README."""
    from optimizer.report.map import render_map
    from tests.test_report_browser import REPO, chromium, png_size, render_status, run

    browser = chromium()
    batch, plan = drawn["batch"], drawn["plan"]
    travel = travel_matrices(batch)
    geojson = plan_geojson(batch, plan, travel)
    page = tmp_path / "map.html"
    page.write_text(
        render_map(
            batch,
            plan,
            "zh-CN",
            route_lines=lambda b, p: route_lines_from_geojson(b, p, geojson),
            travel=travel,
        ),
        encoding="utf-8",
    )
    result = run(
        browser, tmp_path / "profile", "--virtual-time-budget=3000", "--dump-dom", page.as_uri()
    )
    status = render_status(result.stdout)
    assert status["status"] == "ok" and status["errors"] == "0", status["text"]
    lines = sum(len(group["lines"]) for group in drawn["data"]["roads"])
    assert int(status["roads-drawn"]) == lines > 0
    assert int(status["routes-drawn"]) == len(plan.routes)
    assert result.stdout.count('class="leaflet-tooltip fr-label') == sum(
        s.kind == "station" for s in batch.sites
    )
    shots = REPO / "docs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "route-map-roads-zh-CN.png"
    run(
        browser,
        tmp_path / "profile",
        "--virtual-time-budget=2000",
        f"--screenshot={shot}",
        "--window-size=1280,900",
        page.as_uri(),
    )
    assert shot.is_file() and png_size(shot) == (1280, 900)
