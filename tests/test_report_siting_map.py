"""The siting map: every scenario's centres, catchments and freshness radii, drawn.

A small generated county with tight freshness limits (so villages fall inside, partly
inside and outside the radius), two scenarios (the batch's centres; one of them closed for
a new centre at a village). The browser tests need Debian's ``chromium`` as in
``test_report_browser.py`` (``FRESHROUTE_SKIP_BROWSER=1`` skips them on purpose); the
screenshot goes to ``out/siting-map.png``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_report_browser import chromium, png_size, render_status, run
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.network.haversine import haversine_matrices
from optimizer.report.siting_map import (
    convex_hull,
    render_siting_map,
    siting_map_data,
    write_siting_map,
)
from optimizer.siting.scenario import (
    DELTAS,
    MEASURES,
    Scenario,
    ScenarioResult,
    _radius_min,
    county_with_centres,
    evaluate_scenario,
)
from scenarios.generate import generate_county, write_batch

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
runner = CliRunner()


def tight(batch: Batch, min_freshness: float) -> Batch:
    """The batch with every pickup needing ``min_freshness``: radii of 10-90 minutes."""
    data = batch.model_dump(by_alias=True)
    for order in data["orders"]:
        if order["kind"] == "pickup":
            order["min_freshness"] = min_freshness
    return Batch.model_validate(data)


@pytest.fixture(scope="module")
def county() -> Batch:
    return tight(generate_county(20, 4, centres=2), 0.998)


@pytest.fixture(scope="module")
def results(county: Batch) -> list[ScenarioResult]:
    centres = [s.id for s in county.sites if s.kind == "collection_centre"]
    village = [s.id for s in county.sites if s.kind == "station"][-1]
    scenarios = [
        Scenario(name="base", batch="-", open=centres, days=0),
        Scenario(name="swap", batch="-", open=[centres[0], village], days=0),
    ]
    return [evaluate_scenario(s, county) for s in scenarios]


def page_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="siting-data">(.*?)</script>', page)
    assert match, "the page carries no siting data"
    return json.loads(match[1])


def test_page_stands_alone(county: Batch, results: list[ScenarioResult]) -> None:
    page = render_siting_map(county, results, "en")
    assert "<script src" not in page and "<link" not in page
    assert "Leaflet 1.9.4" in page and "sourceMappingURL" not in page
    assert page.count("<script") == 4  # error hook, data, leaflet, common + ours
    assert 'data-scenarios-expected="2"' in page
    assert page_data(render_siting_map(county, results, "en", "https://t/{z}/{x}/{y}.png"))[
        "tiles"
    ] == {"url": "https://t/{z}/{x}/{y}.png", "attribution": ""}


def test_every_scenario_shows_its_centres_and_every_catchment(
    county: Batch, results: list[ScenarioResult]
) -> None:
    data = siting_map_data(county, results, "en")
    assert [s["name"] for s in data["scenarios"]] == ["base", "swap"]
    candidates = {c for r in results for c in r.open}
    for layer, result in zip(data["scenarios"], results, strict=True):
        assert [c["id"] for c in layer["centres"]] == result.open
        assert {c["id"] for c in layer["closed"]} == candidates - set(result.open)
        # Every village with produce is joined to the centre that evaluate_scenario chose.
        sites = county_with_centres(county, result.open).sites_by_id
        links = {v["id"]: v["centre"] for v in layer["villages"]}
        assert set(links) == set(result.catchment) and links
        for village, centre in result.catchment.items():
            assert links[village] == [sites[centre].lat, sites[centre].lon]
        # The villages' colours add up to the scenario's share of produce inside the radius.
        kg = sum(v["kg"] for v in layer["villages"])
        inside = sum(v["kg_inside"] for v in layer["villages"])
        assert inside / kg == pytest.approx(result.fresh_coverage)
    statuses = {v["status"] for layer in data["scenarios"] for v in layer["villages"]}
    assert statuses == {"inside", "partial", "outside"}
    # The new centre takes no produce here, so it has no radius to draw and says so.
    new = data["scenarios"][1]["centres"][1]
    assert new["kg"] == 0 and new["radius"] is None and "no village" in new["popup"]
    hub = next(s for s in county.sites if s.kind == "hub")
    assert hub.id in {f["id"] for f in data["fixed"]}


def test_the_radius_circle_is_the_haversine_travel_time(
    county: Batch, results: list[ScenarioResult]
) -> None:
    data = siting_map_data(county, results, "en")
    travel = county.travel
    drawn = 0
    for layer, result in zip(data["scenarios"], results, strict=True):
        county_s = county_with_centres(county, result.open)
        for centre in layer["centres"]:
            if centre["radius"] is None:
                continue
            served = [o for o in county_s.orders if o.kind == "pickup"
                      and sites_open(result, o.centre) == centre["id"]]
            assert centre["radius_min"] == min(_radius_min(county_s, o) for o in served)
            assert centre["radius"]["kind"] == "circle"
            # A point on the circle, due north, is exactly the radius away in minutes.
            north = centre["lat"] + math.degrees(centre["radius"]["m"] / 1000 / 6371.0088)
            _, minutes = haversine_matrices(
                np.array([centre["lon"], centre["lon"]]), np.array([centre["lat"], north]),
                travel.circuity, travel.speed_kmh, travel.access_min,
            )
            assert minutes[0, 1] == pytest.approx(centre["radius_min"], abs=0.01)
            drawn += 1
    assert drawn == 3
    assert "straight-line travel at 48 km/h" in " ".join(data["legend"]["notes"])
    assert "WGS-84" in data["legend"]["notes"][-1]  # the datum, as on the route map


def sites_open(result: ScenarioResult, centre_id: str | None) -> str:
    """The scenario's open site id for a county centre id (``CC-<village>`` for new ones)."""
    assert centre_id is not None
    return centre_id if centre_id in result.open else centre_id.removeprefix("CC-")


def test_road_or_matrix_travel_gets_the_hull_of_villages_in_reach(county: Batch) -> None:
    """No circle where travel is not straight-line: the villages within the radius."""
    travel = travel_matrices(county)
    rng = np.random.default_rng(3)
    detour = rng.uniform(1.0, 1.8, travel.minutes.shape)  # roads are not circles
    data = county.model_dump(by_alias=True)
    data["travel"] = {"mode": "matrix", "site_ids": travel.site_ids,
                      "km": travel.km.tolist(), "minutes": (travel.minutes * detour).tolist()}
    matrix = Batch.model_validate(data)
    centres = [s.id for s in matrix.sites if s.kind == "collection_centre"]
    result = evaluate_scenario(Scenario(name="m", batch="-", open=centres, days=0), matrix)
    layer = siting_map_data(matrix, [result], "en")
    assert "convex hull" in " ".join(layer["legend"]["notes"])
    index = {s: i for i, s in enumerate(travel.site_ids)}
    minutes = travel.minutes * detour
    hulls = 0
    for centre in layer["scenarios"][0]["centres"]:
        if centre["radius"] is None:
            continue
        assert centre["radius"]["kind"] == "hull"
        ring = [(lon, lat) for lat, lon in centre["radius"]["latlngs"]]
        reach = [(s.lon, s.lat) for s in matrix.sites if s.kind == "station"
                 and minutes[index[s.id], index[centre["id"]]] <= centre["radius_min"]]
        site = matrix.sites_by_id[centre["id"]]
        assert sorted(ring) == sorted(convex_hull([(site.lon, site.lat), *reach]))
        assert set(ring) <= {(site.lon, site.lat), *reach}
        hulls += 1
    assert hulls >= 1


def test_convex_hull() -> None:
    square = [(0, 0), (2, 0), (2, 2), (0, 2), (1, 1), (1, 0)]
    assert convex_hull(square) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert convex_hull([(1, 1)]) == [(1, 1)]


def test_both_languages(county: Batch, results: list[ScenarioResult]) -> None:
    zh, en = render_siting_map(county, results, "zh-CN"), render_siting_map(county, results, "en")
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    zh_data, en_data = page_data(zh), page_data(en)
    assert "方案对比" in zh_data["kpi_html"] and "Scenarios compared" in en_data["kpi_html"]
    assert "保鲜半径内农产品比例" in zh_data["kpi_html"]
    assert "produce inside freshness radius" in en_data["kpi_html"]
    assert "集货中心选址" in zh_data["title_html"]
    assert "Collection-centre siting" in en_data["title_html"]
    zh_village = zh_data["scenarios"][0]["villages"][0]["popup"]
    en_village = en_data["scenarios"][0]["villages"][0]["popup"]
    assert "所属集货中心" in zh_village and "centre:" in en_village
    assert "保鲜半径" in zh_data["legend"]["notes"][1] and "Scenarios compared" not in zh
    assert zh_data["labels"]["legend"] == "图例" and en_data["labels"]["legend"] == "Legend"


def test_kpi_panel_puts_the_comparison_numbers_side_by_side(
    county: Batch, results: list[ScenarioResult]
) -> None:
    kpis = siting_map_data(county, results, "en")["kpi_html"]
    rows = re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", kpis)
    assert len(rows) == len(MEASURES) + len(DELTAS)
    for (_, cells), (field, fmt) in zip(rows, MEASURES, strict=False):
        values = re.findall(r'<td class="fr-s\d">([^<]*)</td>', cells)
        expected = [
            str(len(r.open)) if field == "open"
            else "-" if getattr(r, field) is None else fmt.format(getattr(r, field))
            for r in results
        ]
        assert values == expected, field


def test_names_are_escaped(county: Batch) -> None:
    data = county.model_dump(by_alias=True)
    evil = "<img src=x onerror=alert(1)>"
    for site in data["sites"]:
        site["name"] = f"{site['name']} {evil}"
    batch = Batch.model_validate(data)
    centres = [s.id for s in batch.sites if s.kind == "collection_centre"]
    result = evaluate_scenario(
        Scenario(name="<script>alert(2)</script>", batch="-", open=centres[:1], days=0), batch
    )
    page = render_siting_map(batch, [result], "en")
    assert "<img src=x" not in page and "<script>alert" not in page
    shown = page_data(page)
    html_parts = [shown["kpi_html"], shown["title_html"]]
    for layer in shown["scenarios"]:
        html_parts.append(layer["label"])
        for item in layer["centres"] + layer["closed"] + layer["villages"]:
            html_parts += [item["popup"], item["tooltip"]]
    html_parts += [f["popup"] for f in shown["fixed"]] + [f["tooltip"] for f in shown["fixed"]]
    for part in html_parts:
        assert "<img" not in part and "<script" not in part, part
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown["scenarios"][0]["centres"][0]["popup"]
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in shown["kpi_html"]


def test_results_must_belong_to_the_batch(county: Batch, results: list[ScenarioResult]) -> None:
    with pytest.raises(ValueError, match="at least one scenario"):
        siting_map_data(county, [], "en")
    wrong = results[0].model_copy(update={"catchment": {"V001": "CC2"}})
    with pytest.raises(ValueError, match="catchment does not match"):
        siting_map_data(county, [wrong], "en")


# -- in a real browser ---------------------------------------------------------------------


def dom_counts(dom: str) -> dict[str, int]:
    """What Leaflet put in the page: SVG paths by class, and marker icons by kind."""

    def paths(cls: str) -> int:
        return len(re.findall(rf'<path[^>]*class="{cls}[ "]', dom))

    def icons(kind: str) -> int:
        return len(re.findall(rf'class="leaflet-marker-icon fr-site fr-{kind}[ "]', dom))

    return {
        "radii": paths("fr-radius"),
        "catchments": paths("fr-catchment"),
        "villages": paths("fr-village fr-(?:inside|partial|outside)"),
        "idle": paths("fr-village-idle"),
        "centres": icons("centre"),
        "closed": icons("closed"),
        "hubs": icons("hub"),
    }


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.mark.parametrize(("lang", "shown"), [("en", 0), ("en", 1), ("zh-CN", 0)])
def test_the_browser_draws_every_scenario(
    browser: str,
    county: Batch,
    results: list[ScenarioResult],
    tmp_path: Path,
    lang: str,
    shown: int,
) -> None:
    OUT.mkdir(exist_ok=True)
    page = write_siting_map(county, results, OUT / f"siting-map-{lang}.html", lang)
    data = page_data(page.read_text(encoding="utf-8"))
    result = run(browser, tmp_path / "profile", "--enable-logging=stderr", "--v=0",
                 "--virtual-time-budget=3000", "--dump-dom",
                 f"{page.as_uri()}#scenario={results[shown].name}")
    assert result.returncode == 0, result.stderr[-2000:]
    status = render_status(result.stdout)
    assert status["status"] == "ok" and status["errors"] == "0", status["text"]
    assert status["scenarios-built"] == status["scenarios-expected"] == "2"
    assert status["active"] == str(shown)
    console = [line for line in result.stderr.splitlines()
               if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]
    assert not console, console

    layer = data["scenarios"][shown]
    drawn = dom_counts(result.stdout)
    assert drawn == {
        "radii": sum(c["radius"] is not None for c in layer["centres"]),
        "catchments": len(results[shown].catchment),
        "villages": len(results[shown].catchment),
        "idle": len(data["fixed"]) - 1,
        "centres": len(results[shown].open),
        "closed": len(layer["closed"]),
        "hubs": 1,
    }
    assert drawn["radii"] >= 1 and drawn["closed"] == 1
    # The page's own counts agree with the DOM.
    for key in ("radii", "catchments", "villages", "centres", "closed"):
        assert int(status[key]) == drawn[key], key
    # The shown scenario's KPI column is the highlighted one.
    assert re.search(rf'<th class="fr-s{shown} fr-active">', result.stdout)

    if lang != "zh-CN":
        return
    shot = REPO / "docs" / "screenshots" / "siting-map-zh-CN.png"  # shown in README
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    run(browser, tmp_path / "profile", "--virtual-time-budget=2000", f"--screenshot={shot}",
        "--window-size=1280,900", f"{page.as_uri()}#scenario=1")
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert png_size(shot) == (1280, 900)


def test_a_script_error_is_reported_not_hidden(
    browser: str, county: Batch, results: list[ScenarioResult], tmp_path: Path
) -> None:
    page = write_siting_map(county, results, tmp_path / "broken.html", "en")
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace('"scenarios":[', '"scenarios":7,"unused":[', 1), "utf-8")
    status = render_status(run(browser, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout)
    assert status["status"] == "error" and status["errors"] == "1"
    assert status["scenarios-built"] == "0" and "forEach" in status["text"]


# -- the command line ----------------------------------------------------------------------


def test_site_compare_and_evaluate_write_the_map(tmp_path: Path) -> None:
    county = generate_county(14, 21)
    write_batch(county, tmp_path / "county.json")
    centre = next(s.id for s in county.sites if s.kind == "collection_centre")
    village = next(s.id for s in county.sites if s.kind == "station")
    files = []
    for name, open_ in (("base", [centre]), ("both", [centre, village])):
        files.append(tmp_path / f"{name}.json")
        files[-1].write_text(json.dumps({
            "schema": "freshroute.siting/v1", "name": name, "batch": "county.json",
            "open": open_, "days": 1, "time_limit_s": 1,
        }))
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["site", "compare", *map(str, files), "--out", str(out), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "comparison.html" in "".join(result.output.split())
    page = (out / "comparison.html").read_text(encoding="utf-8")
    data = page_data(page)
    assert [s["name"] for s in data["scenarios"]] == ["base", "both"]
    assert [c["id"] for c in data["scenarios"][1]["centres"]] == [centre, village]
    # The panel shows the same routing cost as comparison.md.
    table = (out / "comparison.md").read_text(encoding="utf-8")
    cost = re.search(r"\| routing cost/day \(CNY\) \| ([\d,]+) \|", table)
    assert cost and f'<td class="fr-s0">{cost[1]}</td>' in data["kpi_html"]

    result = runner.invoke(app, ["site", "evaluate", str(files[0]), "--out", str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    single = page_data((tmp_path / "e" / "scenario.html").read_text(encoding="utf-8"))
    assert single["lang"] == "zh-CN"  # reports default to Chinese
    assert [s["name"] for s in single["scenarios"]] == ["base"] and single["kpi_html"]
