"""Re-planning through the API: ``POST /v1/plans/{id}/replan`` queues a job whose plan
links to the old one; bad events are 422s naming the field, in English and Chinese."""

from __future__ import annotations

from typing import Any

from api.testing.helpers import Api, ApiFactory
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events

pytest_plugins = ["api.testing.fixtures"]


def _stored_plan(api: Api, headers: dict[str, str], batch: Batch, plan: Plan) -> str:
    """A done batch job with ``plan`` as its result, without running a solve."""
    store = api.store
    found = store.county_for_key(headers["X-API-Key"])
    assert found is not None
    body = batch.model_dump(mode="json", by_alias=True)
    store.submit(
        found[0],
        body,
        body_sha256="x",
        name=batch.name,
        n_orders=len(batch.orders),
        time_limit_s=1.0,
        max_queue=10,
    )
    claim = store.claim_next()
    assert claim is not None
    plan_id = store.finish(claim.job_id, plan.model_dump(mode="json", by_alias=True), 1.0)
    assert plan_id is not None
    return plan_id


def _mid(plan: Plan) -> tuple[str, float]:
    """The longest route's truck and a time when it is out with stops done and to do."""
    route = max(plan.routes, key=lambda r: len(r.stops))
    return route.vehicle, route.stops[1].departure


def _problems(r: Any) -> dict[str, str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["path"]: e["reason"] for e in r.json()["errors"]}


def test_replan_makes_a_new_plan_linked_to_the_old(
    make_api: ApiFactory, solved: tuple[Batch, Plan]
) -> None:
    batch, plan = solved
    api = make_api(workers=1)
    h = api.headers()
    old_id = _stored_plan(api, h, batch, plan)
    vehicle, now = _mid(plan)
    events = {"now": now, "vehicle_down": [{"vehicle": vehicle}]}
    r = api.client.post(f"/v1/plans/{old_id}/replan?time_limit_s=1", json=events, headers=h)
    assert r.status_code == 202, r.text
    assert r.json()["kind"] == "replan"
    job = api.wait(r.json()["job_id"], h)
    assert job["state"] == "done", job
    new = api.client.get(job["links"]["plan"], headers=h).json()
    assert new["replanned_from"] == old_id
    assert api.client.get(f"/v1/plans/{old_id}", headers=h).json()["replans"] == [job["plan_id"]]
    new_plan = Plan.model_validate(new)
    assert new_plan.down == {vehicle: now}
    # The plan is a valid re-plan of the old one, on the day's batch the API keeps for it.
    geo = api.client.get(f"{job['links']['plan']}?format=geojson", headers=h)
    assert geo.status_code == 200
    sites = {f["properties"].get("id") for f in geo.json()["features"]}
    day = api.store.get_plan(api.store.county_for_key(h["X-API-Key"])[0], job["plan_id"])[1]
    day_batch = Batch.model_validate(day)
    assert set(day_batch.sites_by_id) >= sites - {None}
    violations = validate_replan(batch, plan, Events.model_validate(events), new_plan, day_batch)
    assert violations == []
    changes = api.client.get(f"/v1/plans/{job['plan_id']}/changes", headers=h).json()
    assert any(d["vehicle"] == vehicle and d["down_at"] for d in changes["drivers"])
    zh = api.client.get(
        f"/v1/plans/{job['plan_id']}/changes?format=markdown",
        headers={**h, "Accept-Language": "zh-CN"},
    )
    assert zh.headers["content-language"] == "zh-CN" and "抛锚" in zh.text
    en = api.client.get(f"/v1/plans/{job['plan_id']}/changes?format=markdown", headers=h)
    assert "broke down" in en.text
    # The re-plan is re-planned later in the day, on the day's batch kept for it.
    later = {"now": now + 60}
    r = api.client.post(f"/v1/plans/{job['plan_id']}/replan", json=later, headers=h)
    assert r.status_code == 202, r.text
    again = api.wait(r.json()["job_id"], h)
    assert again["state"] == "done", again
    second = api.client.get(again["links"]["plan"], headers=h).json()
    assert second["replanned_from"] == job["plan_id"] and second["down"] == {vehicle: now}
    first = api.client.get(job["links"]["plan"], headers=h).json()
    assert first["replans"] == [again["plan_id"]]
    checked = validate_replan(
        day_batch,
        new_plan,
        Events.model_validate(later),
        Plan.model_validate(second),
        Batch.model_validate(
            api.store.get_plan(api.store.county_for_key(h["X-API-Key"])[0], again["plan_id"])[1]
        ),
    )
    assert checked == []


def test_replan_errors(api: Api, solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    h = api.headers()
    old_id = _stored_plan(api, h, batch, plan)
    url = f"/v1/plans/{old_id}/replan"
    assert api.client.post("/v1/plans/nope/replan", json={"now": 600}, headers=h).status_code == 404
    other = api.headers("B")  # another county's plan is not found either
    assert api.client.post(url, json={"now": 600}, headers=other).status_code == 404
    assert "now" in _problems(api.client.post(url, json={"now": "25:99"}, headers=h))
    assert "cancel_orderz" in _problems(
        api.client.post(url, json={"now": 600, "cancel_orderz": []}, headers=h)
    )
    down = {"now": 600, "vehicle_down": [{"vehicle": "bus-9"}]}
    en = _problems(api.client.post(url, json=down, headers=h))
    assert en["vehicle_down[0].vehicle"] == "unknown vehicle 'bus-9'"
    zh = _problems(api.client.post(url, json=down, headers={**h, "Accept-Language": "zh-CN"}))
    assert "未知车辆" in zh["vehicle_down[0].vehicle"]
    late = {"id": "X", "kind": "pickup", "site": "V4", "product": "nope", "kg": 1}
    found = _problems(api.client.post(url, json={"now": 600, "add_orders": [late]}, headers=h))
    assert "unknown product" in found["add_orders[0].product"]
    twice = {"now": 600, "cancel_orders": [batch.orders[0].id, "nope"]}
    assert "cancel_orders[1]" in _problems(api.client.post(url, json=twice, headers=h))
    r = api.client.post(f"{url}?time_limit_s=0", json={"now": 600}, headers=h)
    assert r.status_code == 422
    assert api.store.queue_depth() == 0  # nothing refused was queued
    ok = api.client.post(url, json={"now": 600}, headers=h)
    assert ok.status_code == 202 and api.store.queue_depth() == 1
    assert api.client.get(f"/v1/plans/{old_id}/changes", headers=h).status_code == 404


def test_openapi_documents_the_replan(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    op = spec["paths"]["/v1/plans/{plan_id}/replan"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Events"
    }
    assert {"202", "404", "422"} <= set(op["responses"])
    assert "now" in spec["components"]["schemas"]["Events"]["properties"]
    assert "/v1/plans/{plan_id}/changes" in spec["paths"]
