"""HTTP behaviour without solving: auth, validation, limits, idempotency, queue, cancel."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from api.core.config import Settings
from api.testing.helpers import Api, ApiFactory, small_batch

pytest_plugins = ["api.testing.fixtures"]

BATCH = small_batch(seed=1)


def batch(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BATCH)
    data.update(changes)
    return data


def post_raw(api: Api, raw: bytes | str, headers: dict[str, str], path="/v1/batches") -> Any:
    return api.client.post(
        path, content=raw, headers={**headers, "Content-Type": "application/json"}
    )


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRESHROUTE_DATABASE_URL", raising=False)
    monkeypatch.setenv("FRESHROUTE_WORKERS", "3")
    monkeypatch.setenv("FRESHROUTE_MAX_QUEUE", "7")
    monkeypatch.setenv("FRESHROUTE_MAX_TIME_LIMIT", "60")
    monkeypatch.setenv("FRESHROUTE_METRICS_OPEN_ON_LOOPBACK", "false")
    s = Settings.from_env()
    assert s.database_url == "sqlite:///./freshroute.db"
    assert (s.workers, s.max_queue, s.max_orders) == (3, 7, 5000)
    assert s.time_limit(300) == 60 and s.time_limit(5) == 5
    assert s.metrics_open_on_loopback is False
    monkeypatch.setenv("FRESHROUTE_MAX_QUEUE", "lots")
    with pytest.raises(ValueError, match="FRESHROUTE_MAX_QUEUE"):
        Settings.from_env()


def test_health_needs_no_key_and_ready_needs_workers(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 503  # workers=0: nothing can solve
    assert ready.json()["database"] is True


def test_every_v1_route_needs_a_known_key(api: Api) -> None:
    for method, path in [
        ("POST", "/v1/batches"),
        ("POST", "/v1/batches/validate"),
        ("GET", "/v1/jobs/x"),
        ("DELETE", "/v1/jobs/x"),
        ("GET", "/v1/plans/x"),
    ]:
        assert api.client.request(method, path).status_code == 401
        bad = api.client.request(method, path, headers={"X-API-Key": "fr_nope"})
        assert bad.status_code == 401


def test_keys_are_stored_hashed(api: Api) -> None:
    from sqlalchemy import select

    from api.models import ApiKey

    key = api.headers("A")["X-API-Key"]
    with api.store.sessions() as s:
        hashes = s.scalars(select(ApiKey.key_hash)).all()
    assert key not in hashes
    assert len(hashes) == 1 and len(hashes[0]) == 64


def test_validate_reports_schema_errors_and_infeasible_orders(api: Api) -> None:
    h = api.headers()
    ok = api.client.post("/v1/batches/validate", json=BATCH, headers=h).json()
    assert ok == {"valid": True, "errors": [], "infeasible": [], "warnings": []}

    bad = batch()
    bad["orders"][3]["kg"] = -5
    report = api.client.post("/v1/batches/validate", json=bad, headers=h).json()
    assert report["valid"] is False
    assert {"path": "orders[3].kg", "reason": "Input should be greater than or equal to 0"} in (
        report["errors"]
    )

    heavy = batch()
    heavy["orders"][2]["kg"] = 50000
    report = api.client.post("/v1/batches/validate", json=heavy, headers=h).json()
    # Not an error: the plan leaves the order out (with this reason) and plans the rest.
    assert report["valid"] is True and report["errors"] == []
    [issue] = report["infeasible"]
    assert issue["path"] == "orders[2]" and issue["order"] == heavy["orders"][2]["id"]
    assert "kg" in issue["reason"] and issue["code"] == "too_heavy"

    broken = post_raw(api, "{nope", h, "/v1/batches/validate")
    assert broken.status_code == 200 and broken.json()["valid"] is False
    assert api.store.counts_by_state()["queued"] == 0  # validate stores nothing


def test_submit_422_names_each_json_path(api: Api) -> None:
    h = api.headers()
    bad = batch()
    bad["orders"][3]["kg"] = -5
    bad["sites"][1]["lat"] = 123
    r = api.client.post("/v1/batches", json=bad, headers=h)
    assert r.status_code == 422
    paths = {p["path"] for p in r.json()["errors"]}
    assert paths == {"orders[3].kg", "sites[1].lat"}

    refs = batch()
    refs["orders"][1]["site"] = "nowhere"
    detail = api.client.post("/v1/batches", json=refs, headers=h).json()["errors"]
    assert detail == [{"path": "orders[1].site", "reason": "unknown site 'nowhere'"}]

    assert api.store.counts_by_state()["queued"] == 0
    # An order no vehicle can serve is not bad input: the plan leaves it out.
    heavy = batch()
    heavy["orders"][0]["kg"] = 50000
    r = api.client.post("/v1/batches", json=heavy, headers=h)
    assert r.status_code == 202, r.text


BAD_BODIES: list[tuple[str, bytes]] = [
    ("malformed", b'{"sites": ['),
    ("empty", b""),
    ("array", b"[]"),
    ("string", b'"batch"'),
    ("null", b"null"),
    ("nan literal", b'{"sites": NaN}'),
    ("invalid utf-8", b'{"name": "\xff\xfe"}'),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
    ("huge integer", b'{"sites": ' + b"9" * 5000 + b"}"),
    ("utf-16", json.dumps(BATCH).encode("utf-16")),
]


@pytest.mark.parametrize("name,raw", BAD_BODIES, ids=[n for n, _ in BAD_BODIES])
def test_malformed_bodies_are_422_not_500(api: Api, name: str, raw: bytes) -> None:
    r = post_raw(api, raw, api.headers())
    assert r.status_code in (202, 422), (name, r.status_code, r.text)
    if r.status_code == 422:
        assert isinstance(r.json()["errors"], list)


def test_numbers_and_unicode_edge_cases(api: Api) -> None:
    h = api.headers()
    inf = batch()
    inf["orders"][0]["kg"] = "INF"
    text = json.dumps(inf).replace('"INF"', "1e999")
    r = post_raw(api, text, h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["reason"] == "number is out of range (not finite)"

    lone = json.dumps(batch(name="x")).replace('"name": "x"', '"name": "\\ud800"')
    r = post_raw(api, lone, h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "name"

    huge_fleet = batch()
    huge_fleet["fleet"][0]["count"] = 10**30  # past the schema's bound
    r = api.client.post("/v1/batches", json=huge_fleet, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "fleet[0].count"
    for vt in huge_fleet["fleet"]:  # within it, past the service's limit in all
        vt["count"] = 600
    r = api.client.post("/v1/batches", json=huge_fleet, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "fleet"

    named = batch(name="县域 🍓 \u0000 test")
    r = api.client.post("/v1/batches", json=named, headers=h)
    assert r.status_code == 202, r.text

    r = api.client.post("/v1/batches", content=b"{}", headers={**h, "Content-Type": "text/plain"})
    assert r.status_code == 415


def test_order_limit_names_the_limit(make_api: ApiFactory) -> None:
    api = make_api(max_orders=5)
    r = api.client.post("/v1/batches", json=BATCH, headers=api.headers())
    assert r.status_code == 422
    [p] = r.json()["errors"]
    assert p["path"] == "orders" and "FRESHROUTE_MAX_ORDERS" in p["reason"]


def test_body_size_limit_413(make_api: ApiFactory) -> None:
    api = make_api(max_body_bytes=2000)
    h = api.headers()
    r = api.client.post("/v1/batches", json=BATCH, headers=h)
    assert r.status_code == 413

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(10):
            yield b" " * 500

    r = api.client.post(
        "/v1/batches", content=chunks(), headers={**h, "Content-Type": "application/json"}
    )
    assert r.status_code == 413


def test_idempotency_key_replays_or_conflicts(api: Api) -> None:
    h = {**api.headers("A"), "Idempotency-Key": "dispatch-42"}
    first = api.client.post("/v1/batches", json=BATCH, headers=h)
    reordered = json.dumps(dict(reversed(list(BATCH.items()))), indent=1)
    second = post_raw(api, reordered, h)  # same document, other key order and whitespace
    assert first.status_code == second.status_code == 202
    assert second.json()["job_id"] == first.json()["job_id"]
    assert (first.json()["replayed"], second.json()["replayed"]) == (False, True)
    assert api.store.counts_by_state()["queued"] == 1

    other = api.client.post("/v1/batches", json=batch(name="other"), headers=h)
    assert other.status_code == 409

    b = {**api.headers("B"), "Idempotency-Key": "dispatch-42"}  # keys are per county
    third = api.client.post("/v1/batches", json=BATCH, headers=b)
    assert third.status_code == 202 and third.json()["job_id"] != first.json()["job_id"]

    long_key = {**h, "Idempotency-Key": "k" * 300}
    r = api.client.post("/v1/batches", json=BATCH, headers=long_key)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "header.Idempotency-Key"


def test_tenant_isolation(api: Api) -> None:
    a, b = api.headers("A"), api.headers("B")
    job_id = api.client.post("/v1/batches", json=BATCH, headers=a).json()["job_id"]
    claim = api.store.claim_next()
    plan_id = api.store.finish(claim.job_id, {"schema": "freshroute.plan/v1"}, 1.0)
    assert api.client.get(f"/v1/jobs/{job_id}", headers=a).status_code == 200
    assert api.client.get(f"/v1/plans/{plan_id}", headers=a).status_code == 200
    assert api.client.get(f"/v1/jobs/{job_id}", headers=b).status_code == 404
    assert api.client.get(f"/v1/plans/{plan_id}", headers=b).status_code == 404
    assert api.client.delete(f"/v1/jobs/{job_id}", headers=b).status_code == 404


def test_queue_full_429_with_retry_after(make_api: ApiFactory) -> None:
    api = make_api(max_queue=2)
    h = api.headers()
    for i in range(2):
        key = {**h, "Idempotency-Key": f"k{i}"}
        assert (
            api.client.post("/v1/batches", json=batch(name=str(i)), headers=key).status_code == 202
        )
    full = api.client.post("/v1/batches", json=batch(name="3"), headers=h)
    assert full.status_code == 429
    assert int(full.headers["Retry-After"]) >= 1
    replay = api.client.post(
        "/v1/batches", json=batch(name="0"), headers={**h, "Idempotency-Key": "k0"}
    )
    assert replay.status_code == 202 and replay.json()["replayed"] is True


def test_cancel_a_queued_job(api: Api) -> None:
    h = api.headers()
    job_id = api.client.post("/v1/batches", json=BATCH, headers=h).json()["job_id"]
    r = api.client.delete(f"/v1/jobs/{job_id}", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert api.client.delete(f"/v1/jobs/{job_id}", headers=h).json()["state"] == "cancelled"
    assert api.client.get(f"/v1/jobs/{job_id}", headers=h).json()["state"] == "cancelled"
    assert api.store.claim_next() is None  # a cancelled job is never solved

    done_id = api.client.post("/v1/batches", json=batch(name="d"), headers=h).json()["job_id"]
    api.store.finish(api.store.claim_next().job_id, {}, 1.0)
    assert api.client.delete(f"/v1/jobs/{done_id}", headers=h).status_code == 409
    assert api.client.delete("/v1/jobs/unknown", headers=h).status_code == 404


def test_plan_format_must_be_known(api: Api) -> None:
    r = api.client.get("/v1/plans/x?format=xml", headers=api.headers())
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "query.format"


def test_metrics_open_on_loopback_else_keyed(make_api: ApiFactory) -> None:
    api = make_api()
    assert api.client.get("/metrics").status_code == 401  # "testclient" is not loopback
    text = api.client.get("/metrics", headers=api.headers()).text
    for name in (
        'freshroute_jobs{state="queued"}',
        "freshroute_queue_depth",
        "freshroute_workers_alive",
        "freshroute_http_requests_total",
        "# TYPE freshroute_solve_seconds histogram",
    ):
        assert name in text
    local = make_api(client={"client": ("127.0.0.1", 40000)})
    assert local.client.get("/metrics").status_code == 200


def test_openapi_documents_the_batch_schema(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/v1/batches"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Batch"}
    assert {"Batch", "Order", "Site", "Plan"} <= set(spec["components"]["schemas"])
    assert api.client.get("/docs").status_code == 200


def test_plan_map_in_the_requested_language(api: Api) -> None:
    from optimizer.model import Batch
    from optimizer.routing.solve import plan_batch

    headers = api.headers("A")
    job = api.client.post("/v1/batches", json=BATCH, headers=headers).json()
    claim = api.store.claim_next()
    plan = plan_batch(Batch.model_validate(BATCH), time_limit_s=1, baseline=False)
    plan_id = api.store.finish(claim.job_id, plan.model_dump(mode="json", by_alias=True), 1.0)
    assert job["job_id"] == claim.job_id
    zh = api.client.get(f"/v1/plans/{plan_id}/map", headers={**headers, "Accept-Language": "zh-CN"})
    assert zh.status_code == 200 and zh.headers["content-type"].startswith("text/html")
    assert zh.headers["content-language"] == "zh-CN"
    assert "<script src" not in zh.text  # self-contained: works offline
    en = api.client.get(f"/v1/plans/{plan_id}/map", headers={**headers, "Accept-Language": "en"})
    assert en.headers["content-language"] == "en" and en.text != zh.text
    other = api.client.get(f"/v1/plans/{plan_id}/map", headers=api.headers("B"))
    assert other.status_code == 404


def test_a_fleet_with_no_vehicles_is_refused_at_fleet_when_there_are_orders(api: Api) -> None:
    h = api.headers()
    idle = batch()
    for vt in idle["fleet"]:
        vt["count"] = vt["min_used"] = 0
    r = api.client.post("/v1/batches", json=idle, headers=h)
    assert r.status_code == 422
    [issue] = r.json()["errors"]
    assert issue["path"] == "fleet" and "no vehicles" in issue["reason"]
    report = api.client.post("/v1/batches/validate", json=idle, headers=h).json()
    assert report["valid"] is False and report["infeasible"] == []
    assert [e["path"] for e in report["errors"]] == ["fleet"]
    # No orders either: nothing to serve, so the batch is accepted (it plans to no routes).
    empty = {**idle, "orders": []}
    assert api.client.post("/v1/batches", json=empty, headers=h).status_code == 202


def test_numbers_no_engine_can_hold_are_422_at_their_path(api: Api) -> None:
    # Were 202, then the job failed in the solver (TypeError in PyVRP's generator,
    # OverflowError in OR-Tools).
    h = api.headers()
    seed = batch()
    seed["options"]["seed"] = 18446744073709551616
    cost = batch()
    cost["fleet"][0]["cost_per_km"] = 1e300
    for body, path in ((seed, "options.seed"), (cost, "fleet[0].cost_per_km")):
        r = api.client.post("/v1/batches", json=body, headers=h)
        assert r.status_code == 422, r.text
        assert [p["path"] for p in r.json()["errors"]] == [path]
    assert api.store.counts_by_state()["queued"] == 0


def test_spec_gaps_found_by_schemathesis(api: Api) -> None:
    """Issue 17, item 7: behaviour that did not match the OpenAPI document."""
    h = api.headers()
    # "travel": {} is allowed by the schema (every mode has a default): haversine.
    r = api.client.post("/v1/batches", json=batch(travel={}), headers=h)
    assert r.status_code == 202, r.text
    # The body of /validate is required: none at all is a 422, not a 200 report.
    r = api.client.post("/v1/batches/validate", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == ""
    # A 405 names every method of the path.
    r = api.client.put("/v1/jobs/x", headers=h)
    assert r.status_code == 405
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "DELETE"}
    # NaN and Infinity are refused at their path.
    raw = json.dumps(batch()).replace('"time_limit_s": 1.0', '"time_limit_s": NaN')
    assert "NaN" in raw
    r = post_raw(api, raw, h)
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"path": "options.time_limit_s", "reason": "NaN is not a JSON number"}
    ]
    raw = json.dumps(batch()).replace('"kg": ', '"kg": -Infinity, "x": ', 1)
    r = post_raw(api, raw, h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "orders[0].kg"
    # A body with no Content-Type is not taken for JSON.
    r = api.client.post("/v1/batches", content=json.dumps(BATCH).encode(), headers=h)
    assert r.status_code == 415
    assert api.store.counts_by_state()["queued"] == 1  # the travel-less batch only


def test_the_api_refuses_what_the_json_schema_refuses(api: Api) -> None:
    # Found by schemathesis --checks all: lenient pydantic took 0 for false and "3" for 3.
    h = api.headers()
    for path, value in [("options.baseline", 0), ("fleet[0].count", "3"), ("sites[0].lat", "1")]:
        bad = batch()
        where, field = path.rsplit(".", 1)
        target: Any = bad
        for part in where.replace("]", "").replace("[", ".").split("."):
            target = target[int(part)] if part.isdigit() else target[part]
        target[field] = value
        r = api.client.post("/v1/batches", json=bad, headers=h)
        assert r.status_code == 422, (path, r.text)
        assert [p["path"] for p in r.json()["errors"]] == [path]
    siting = {"batch": BATCH, "model": "pmedian", "p": "1"}
    r = api.client.post("/v1/siting/optimize", json=siting, headers=h)
    assert r.status_code == 422 and [p["path"] for p in r.json()["errors"]] == ["p"]


def test_validate_documents_that_it_reports_on_any_json(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    body = spec["paths"]["/v1/batches/validate"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["anyOf"][1] == {}
    r = post_raw(api, "[null, null]", api.headers(), "/v1/batches/validate")
    assert r.status_code == 200 and r.json()["valid"] is False
