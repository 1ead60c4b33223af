"""Work per request is bounded: sites, matrix cells and body nesting have limits, and the
travel matrix of a request is built in a check process, never in the API process."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import optimizer.network
import optimizer.routing.problem
from api.core.config import Settings
from api.testing.helpers import ApiFactory, small_batch

pytest_plugins = ["api.testing.fixtures"]

BATCH = small_batch(seed=1)


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHROUTE_MAX_SITES", "300")
    monkeypatch.setenv("FRESHROUTE_MAX_MATRIX_CELLS", "50000")
    monkeypatch.setenv("FRESHROUTE_MAX_BODY_DEPTH", "12")
    s = Settings.from_env()
    assert (s.max_sites, s.max_matrix_cells, s.max_body_depth) == (300, 50000, 12)
    monkeypatch.setenv("FRESHROUTE_MAX_BODY_DEPTH", "2")
    with pytest.raises(ValueError, match="FRESHROUTE_MAX_BODY_DEPTH"):
        Settings.from_env()


def test_too_many_sites_is_422_naming_the_limit(make_api: ApiFactory) -> None:
    n = len(BATCH["sites"])
    api = make_api(max_sites=n - 1)
    for path in ("/v1/batches", "/v1/batches/validate"):
        r = api.client.post(path, json=BATCH, headers=api.headers())
        problems = r.json()["errors"]  # a 422 problem, or the /validate report
        assert r.status_code in (422, 200) and problems, r.text
        [p] = problems
        assert p["path"] == "sites" and "FRESHROUTE_MAX_SITES" in p["reason"]
        assert f"{n} sites" in p["reason"]
    siting = {"batch": BATCH, "model": "pmedian", "p": 1}
    r = api.client.post("/v1/siting/optimize", json=siting, headers=api.headers())
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "batch.sites"
    assert api.store.counts_by_state()["queued"] == 0


def test_matrix_cells_over_the_limit_is_422(make_api: ApiFactory) -> None:
    n = len(BATCH["sites"])
    api = make_api(max_matrix_cells=n * n - 1)
    r = api.client.post("/v1/batches", json=BATCH, headers=api.headers())
    assert r.status_code == 422
    [p] = r.json()["errors"]
    assert p["path"] == "sites" and "FRESHROUTE_MAX_MATRIX_CELLS" in p["reason"]

    matrix = copy.deepcopy(BATCH)
    ids = [s["id"] for s in matrix["sites"]] + ["spare"]
    matrix["travel"] = {"mode": "matrix", "site_ids": ids, "km": [], "minutes": []}
    r = api.client.post("/v1/batches", json=matrix, headers=api.headers())
    paths = {p["path"] for p in r.json()["errors"]}
    assert r.status_code == 422 and paths == {"sites", "travel.site_ids"}


def test_body_nesting_over_the_limit_is_422_at_its_path(make_api: ApiFactory) -> None:
    api = make_api(max_body_depth=8)
    deep: Any = 1
    for _ in range(10):
        deep = [deep]
    body = {**BATCH, "name": deep}
    r = api.client.post("/v1/batches", json=body, headers=api.headers())
    assert r.status_code == 422
    [p] = r.json()["errors"]
    assert p["path"] == "name" + "[0]" * 7
    assert "FRESHROUTE_MAX_BODY_DEPTH" in p["reason"]
    assert api.client.post("/v1/batches", json=BATCH, headers=api.headers()).status_code == 202


def test_the_matrix_is_never_built_in_the_api_process(
    make_api: ApiFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("travel matrix built in the API process")

    monkeypatch.setattr(optimizer.routing.problem, "travel_matrices", refuse)
    monkeypatch.setattr(optimizer.network, "travel_matrices", refuse)
    monkeypatch.setattr("api.siting.travel_matrices", refuse)
    api = make_api()
    h = api.headers()
    heavy = copy.deepcopy(BATCH)
    heavy["orders"][2]["kg"] = 50000
    report = api.client.post("/v1/batches/validate", json=heavy, headers=h).json()
    assert report["valid"] is True, report
    [issue] = report["infeasible"]  # found by the feasibility check, in the check process
    assert issue["code"] == "too_heavy"
    assert api.client.post("/v1/batches", json=heavy, headers=h).status_code == 202

    none = copy.deepcopy(BATCH)
    for vt in none["fleet"]:
        vt["count"] = vt["min_used"] = 0
    r = api.client.post("/v1/batches", json=none, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "fleet"
