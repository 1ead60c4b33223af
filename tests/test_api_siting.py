"""Siting through the API: optimize, evaluate, compare, results, limits and tenants."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from api.core.config import Settings
from api.testing.helpers import Api, ApiFactory, small_batch
from optimizer.siting.county import CountyOptimize, optimize_county
from optimizer.siting.scenario import Scenario, evaluate_scenario
from scenarios.generate import generate_county

pytest_plugins = ["api.testing.fixtures"]

COUNTY = generate_county(14, 21)
BATCH = COUNTY.model_dump(mode="json", by_alias=True)
CENTRES = [s.id for s in COUNTY.sites if s.kind == "collection_centre"]
OPTIMIZE = {"batch": BATCH, "model": "pmedian", "p": 2, "time_limit_s": 10}


def scenario(name: str, open_ids: list[str], days: int = 1) -> dict[str, Any]:
    return {"name": name, "open": open_ids, "days": days, "time_limit_s": 1}


def body(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(OPTIMIZE)
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One app with a worker; the optimize job was queued before a restart."""
    db = f"sqlite:///{tmp_path_factory.mktemp('siting') / 'api.db'}"
    first = Api(Settings(database_url=db, workers=0)).__enter__()  # queues, never runs
    headers = first.headers("A")
    queued = first.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=headers).json()
    first.__exit__(None, None, None)
    api = Api(Settings(database_url=db, workers=1, progress_interval_s=0.2)).__enter__()
    try:
        yield {"api": api, "headers": headers, "optimize_job": queued["job_id"]}
    finally:
        api.__exit__(None, None, None)


def run(api: Api, path: str, data: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """Submit, wait until done, return the job."""
    r = api.client.post(path, json=data, headers=headers)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/jobs/{r.json()['job_id']}"
    job = api.wait(r.json()["job_id"], headers, timeout=120)
    assert job["state"] == "done", job
    return job


def test_optimize_after_a_restart(solved: dict[str, Any]) -> None:
    api, h = solved["api"], solved["headers"]
    job = api.wait(solved["optimize_job"], h, timeout=120)
    assert (job["state"], job["kind"], job["attempts"]) == ("done", "siting.optimize", 1)
    assert job["plan_id"] is None and job["links"]["plan"] is None
    assert job["links"]["result"] == f"/v1/siting/results/{job['result_id']}"
    result = api.client.get(job["links"]["result"], headers=h).json()
    expected = optimize_county(COUNTY, CountyOptimize(p=2))
    found = result["optimize"]
    assert found["open"] == expected.open and found["status"] == "optimal"
    assert found["objective"] == pytest.approx(expected.objective) and found["gap"] == 0.0
    assert result["scenario"]["open"] == expected.open
    [static] = result["results"]  # the chosen sites' access, no routing
    assert static["days"] == 0 and static["routing_cost"] is None
    assert set(static["catchment"].values()) <= {f"CC-{s}" for s in expected.open} | set(
        expected.open
    )
    assert result["links"]["map"] == f"/v1/siting/results/{job['result_id']}/map"


def test_evaluate_one_scenario(solved: dict[str, Any]) -> None:
    api, h = solved["api"], solved["headers"]
    job = run(
        api, "/v1/siting/evaluate", {"batch": BATCH, "scenario": scenario("base", CENTRES)}, h
    )
    assert job["kind"] == "siting.evaluate" and job["time_limit_s"] == 1.0
    [result] = api.client.get(job["links"]["result"], headers=h).json()["results"]
    static = evaluate_scenario(Scenario(name="base", batch="-", open=CENTRES, days=0), COUNTY)
    assert result["mean_minutes_to_centre"] == pytest.approx(static.mean_minutes_to_centre)
    assert result["days"] == 1 and result["routing_cost"] > 0 and result["routing_km"] > 0


def test_compare_and_its_formats(solved: dict[str, Any]) -> None:
    api, h = solved["api"], solved["headers"]
    moved = optimize_county(COUNTY, CountyOptimize(p=2)).model_dump()
    scenarios = [scenario("base", CENTRES), scenario(moved["name"], moved["open"])]
    job = run(api, "/v1/siting/compare", {"batch": BATCH, "scenarios": scenarios}, h)
    url = job["links"]["result"]
    result = api.client.get(url, headers=h).json()
    assert [r["name"] for r in result["results"]] == ["base", moved["name"]]
    base, other = result["results"]
    assert other["mean_minutes_to_centre"] < base["mean_minutes_to_centre"]  # p-median helps

    table = api.client.get(f"{url}?format=csv", headers=h)
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [r["scenario"] for r in rows] == ["base", moved["name"]]
    assert float(rows[0]["produce_kg"]) == pytest.approx(base["produce_kg"])
    md = api.client.get(f"{url}?format=markdown", headers=h)
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith(f"| measure | base (base) | {moved['name']} |")
    geo = api.client.get(f"{url}?format=geojson", headers=h)
    assert geo.headers["content-type"] == "application/geo+json"
    kinds = {(f["properties"]["kind"], f["properties"]["scenario"]) for f in geo.json()["features"]}
    assert kinds == {(k, s) for k in ("centre", "catchment") for s in ("base", moved["name"])}

    zh = api.client.get(f"{url}/map", headers={**h, "Accept-Language": "zh-CN"})
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/html")
    assert zh.headers["content-language"] == "zh-CN" and "<script src" not in zh.text
    en = api.client.get(f"{url}/map", headers={**h, "Accept-Language": "en"})
    assert en.headers["content-language"] == "en" and en.text != zh.text

    other_county = api.headers("B")  # tenants: every id of county A is 404 for B
    for path in (f"/v1/jobs/{job['id']}", url, f"{url}?format=csv", f"{url}/map"):
        assert api.client.get(path, headers=other_county).status_code == 404, path
    assert api.client.delete(f"/v1/jobs/{job['id']}", headers=other_county).status_code == 404
    assert api.client.get("/v1/siting/results/nope", headers=h).status_code == 404


def test_idempotency_key_replays_siting_requests(api: Api) -> None:
    h = {**api.headers("A"), "Idempotency-Key": "site-1"}
    first = api.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=h)
    reordered = json.dumps(dict(reversed(list(OPTIMIZE.items()))), indent=1)
    second = api.client.post(
        "/v1/siting/optimize", content=reordered, headers={**h, "Content-Type": "application/json"}
    )
    assert first.status_code == second.status_code == 202
    assert second.json()["job_id"] == first.json()["job_id"]
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert first.json()["kind"] == "siting.optimize"
    assert api.client.post("/v1/siting/optimize", json=body(p=3), headers=h).status_code == 409
    # One namespace per county: the key cannot also name a batch or another siting request.
    assert api.client.post("/v1/batches", json=small_batch(), headers=h).status_code == 409
    evaluate = {"batch": BATCH, "scenario": scenario("x", CENTRES)}
    assert api.client.post("/v1/siting/evaluate", json=evaluate, headers=h).status_code == 409
    other = {**api.headers("B"), "Idempotency-Key": "site-1"}
    third = api.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=other)
    assert third.status_code == 202 and third.json()["job_id"] != first.json()["job_id"]
    assert api.store.counts_by_state()["queued"] == 2


def paths(api: Api, route: str, data: Any, headers: dict[str, str]) -> list[str]:
    r = api.client.post(route, json=data, headers=headers)
    assert r.status_code == 422, r.text
    return [p["path"] for p in r.json()["errors"]]


def test_optimize_422_names_each_field(api: Api) -> None:
    h = api.headers()
    route = "/v1/siting/optimize"
    assert paths(api, route, body(must_open=["NOPE"], forbid=["HUB"]), h) == [
        "must_open[0]",
        "forbid[0]",
    ]
    assert paths(api, route, body(p=16), h) == ["p"]
    assert paths(api, route, body(model="kmeans", p=0), h) == ["model", "p"]
    assert paths(api, route, body(batch=None), h) == ["batch"]
    assert paths(api, route, {"p": 2}, h) == ["batch"]
    assert paths(api, route, [OPTIMIZE], h) == [""]
    bad = body()
    bad["batch"]["orders"][3]["kg"] = -5
    bad["batch"]["orders"][1]["site"] = "nowhere"
    assert paths(api, route, bad, h) == ["batch.orders[3].kg"]
    bad["batch"]["orders"][3]["kg"] = 5
    r = api.client.post(route, json=bad, headers=h)
    assert r.json()["errors"] == [
        {"path": "batch.orders[1].site", "reason": "unknown site 'nowhere'"}
    ]
    deliveries = body()
    deliveries["batch"]["orders"] = [o for o in BATCH["orders"] if o["kind"] == "delivery"]
    assert paths(api, route, deliveries, h) == ["batch.orders"]
    roads = body()
    roads["batch"]["travel"] = {"mode": "road_network", "path": "/nowhere/county.roads.geojson"}
    r = api.client.post(route, json=roads, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "batch.travel.path"
    assert "FRESHROUTE_ROADS_DIR" in r.json()["errors"][0]["reason"]  # tests/test_api_roads.py
    r = api.client.post(
        route, content=b'{"batch": {', headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ""
    assert api.store.counts_by_state()["queued"] == 0


def test_evaluate_and_compare_422(make_api: ApiFactory) -> None:
    api = make_api(max_time_limit_s=20)
    h = api.headers()
    ev, cmp = "/v1/siting/evaluate", "/v1/siting/compare"
    unknown = {"batch": BATCH, "scenario": scenario("x", ["CC1", "NOPE"])}
    assert paths(api, ev, unknown, h) == ["scenario.open[1]"]
    as_file = {"batch": BATCH, "scenario": {**scenario("x", CENTRES), "batch": "county.json"}}
    assert paths(api, ev, as_file, h) == ["scenario.batch"]
    one = {"batch": BATCH, "scenarios": [scenario("a", CENTRES)]}
    assert paths(api, cmp, one, h) == ["scenarios"]
    twins = {"batch": BATCH, "scenarios": [scenario("a", CENTRES), scenario("a", ["V001"])]}
    assert paths(api, cmp, twins, h) == ["scenarios[1].name"]
    missing = {"batch": BATCH, "scenarios": [scenario("a", CENTRES), scenario("b", ["V999"])]}
    assert paths(api, cmp, missing, h) == ["scenarios[1].open[0]"]
    long = [{**scenario(str(i), CENTRES, days=10), "time_limit_s": 1} for i in range(3)]
    r = api.client.post(cmp, json={"batch": BATCH, "scenarios": long}, headers=h)
    assert r.status_code == 422
    [issue] = r.json()["errors"]
    assert issue["path"] == "scenarios" and "30 s" in issue["reason"]
    assert "FRESHROUTE_MAX_TIME_LIMIT" in issue["reason"]
    assert api.store.counts_by_state()["queued"] == 0


def test_service_limits_apply_to_the_inline_batch(make_api: ApiFactory) -> None:
    api = make_api(max_orders=3, max_time_limit_s=2)
    h = api.headers()
    r = api.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=h)
    assert r.status_code == 422
    [issue] = r.json()["errors"]
    assert issue["path"] == "batch.orders" and "FRESHROUTE_MAX_ORDERS" in issue["reason"]
    api = make_api(max_time_limit_s=2)
    h = api.headers()
    job_id = api.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=h).json()["job_id"]
    job = api.client.get(f"/v1/jobs/{job_id}", headers=h).json()
    assert job["time_limit_s"] == 2  # the solver's 10 s, capped by the service
    assert job["state"] == "queued" and job["links"]["result"] is None


def test_queue_full_429(make_api: ApiFactory) -> None:
    api = make_api(max_queue=1)
    h = api.headers()
    assert api.client.post("/v1/siting/optimize", json=OPTIMIZE, headers=h).status_code == 202
    full = api.client.post("/v1/siting/optimize", json=body(p=1), headers=h)
    assert full.status_code == 429 and int(full.headers["Retry-After"]) >= 1


def test_siting_routes_need_a_key_and_are_documented(api: Api) -> None:
    for method, path in [
        ("POST", "/v1/siting/optimize"),
        ("POST", "/v1/siting/evaluate"),
        ("POST", "/v1/siting/compare"),
        ("GET", "/v1/siting/results/x"),
        ("GET", "/v1/siting/results/x/map"),
    ]:
        assert api.client.request(method, path).status_code == 401
    spec = api.client.get("/openapi.json").json()
    for name in ("optimize", "evaluate", "compare"):
        operation = spec["paths"][f"/v1/siting/{name}"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/Siting{name.title()}Request"}
        assert {"202", "409", "422", "429"} <= set(operation["responses"])
    components = spec["components"]["schemas"]
    assert {"SitingScenario", "ScenarioResult", "CountySiting", "SitingResultOut"} <= set(
        components
    )
    scenario_fields = set(components["SitingScenario"]["properties"])
    assert scenario_fields == set(Scenario.model_fields) - {"schema_", "batch"} | {"schema"}
    optimize_fields = set(components["SitingOptimizeRequest"]["properties"])
    assert optimize_fields == set(CountyOptimize.model_fields) | {"batch"}
    assert components["SitingOptimizeRequest"]["properties"]["batch"]["$ref"].endswith("/Batch")


def test_a_siting_run_that_fails_says_why() -> None:
    from api.worker import run_job

    sent: list[tuple] = []
    request = {"batch": BATCH, "scenario": scenario("x", ["NOPE"], days=0)}  # not checked here
    outcome = run_job("j1", "siting.evaluate", request, 5.0, sent.append, 0.1)
    assert outcome[:2] == ("failed", "j1") and "NOPE" in outcome[2]
    assert sent == [("progress", "j1", "scenario 1/1: x", float("inf"))]
    done = run_job(
        "j2",
        "siting.evaluate",
        {**request, "scenario": scenario("y", CENTRES, 0)},
        5.0,
        sent.append,
        0.1,
    )
    assert done[0] == "done" and done[2]["results"][0]["open"] == CENTRES and done[3] is None
