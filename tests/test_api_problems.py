"""Errors are RFC 9457 problem details (application/problem+json), documented so."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.testing.helpers import Api, ApiFactory, small_batch

pytest_plugins = ["api.testing.fixtures"]

BATCH = small_batch(seed=1)
PROBLEM = "application/problem+json"


def assert_problem(r: Any, status: int, type_: str = "about:blank") -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0] == PROBLEM
    body = r.json()
    assert body["type"] == type_ and body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_input_errors_name_each_field(api: Api) -> None:
    bad = copy.deepcopy(BATCH)
    bad["orders"][3]["kg"] = -5
    r = api.client.post("/v1/batches", json=bad, headers=api.headers())
    body = assert_problem(r, 422, "urn:freshroute:problem:invalid-input")
    assert body["title"] == "Invalid input"
    assert body["errors"][0]["path"] == "orders[3].kg"
    assert body["detail"].startswith("orders[3].kg: ")

    r = api.client.post(
        "/v1/batches",
        content=b"{nope",
        headers={**api.headers(), "Content-Type": "application/json"},
    )
    assert assert_problem(r, 422, "urn:freshroute:problem:invalid-input")["errors"][0]["path"] == ""

    r = api.client.get("/v1/plans/x?format=pdf", headers=api.headers())
    assert assert_problem(r, 422, "urn:freshroute:problem:invalid-input")["errors"][0]["path"] == (
        "query.format"
    )


def test_http_errors_are_problems(make_api: ApiFactory) -> None:
    api = make_api(max_body_bytes=5000, max_jobs_per_county=1)
    h = api.headers()
    assert assert_problem(api.client.get("/v1/jobs/nope"), 401)["title"] == "Unauthorized"
    assert assert_problem(api.client.get("/v1/jobs/nope", headers=h), 404)["title"] == "Not Found"
    r = api.client.put("/v1/jobs/nope", headers=h)
    assert_problem(r, 405)
    assert r.headers["Allow"] == "DELETE, GET"
    big = api.client.post("/v1/batches", content=b" " * 6000, headers=h)
    assert_problem(big, 413, "urn:freshroute:problem:body-too-large")
    text = api.client.post(
        "/v1/batches", content=b"{}", headers={**h, "Content-Type": "text/plain"}
    )
    assert_problem(text, 415, "urn:freshroute:problem:unsupported-media-type")

    small = copy.deepcopy(BATCH)
    small["orders"] = small["orders"][:1]
    keyed = {**h, "Idempotency-Key": "k"}
    assert api.client.post("/v1/batches", json=small, headers=keyed).status_code == 202
    other = {**small, "name": "other"}
    conflict = api.client.post("/v1/batches", json=other, headers=keyed)
    assert_problem(conflict, 409, "urn:freshroute:problem:idempotency-conflict")
    full = api.client.post("/v1/batches", json=other, headers=h)
    assert_problem(full, 429, "urn:freshroute:problem:county-full")
    assert int(full.headers["Retry-After"]) >= 1


def test_an_unexpected_error_is_a_500_problem(
    make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = make_api(client={"raise_server_exceptions": False})
    h = api.headers()

    def broken(*_: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(api.store, "get_job", broken)
    body = assert_problem(api.client.get("/v1/jobs/x", headers=h), 500)
    assert "disk on fire" not in body["detail"]  # no internals to clients


def test_openapi_documents_every_error_as_problem_json(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    seen = 0
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for code, response in op["responses"].items():
                if code[0] in "45":
                    content = response["content"]
                    assert list(content) == [PROBLEM], (method, path, code)
                    assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
                    seen += 1
    assert seen > 20
    plan_map = spec["paths"]["/v1/plans/{plan_id}/map"]["get"]["responses"]
    assert list(plan_map["200"]["content"]) == ["text/html"]
    assert list(plan_map["404"]["content"]) == [PROBLEM]
