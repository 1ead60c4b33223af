"""Fair share across counties: a cap per county on jobs queued or running (429 with
Retry-After for that county only) and round-robin dispatch across counties."""

from __future__ import annotations

import copy
from typing import Any

from api.store import QueueFull
from api.testing.helpers import Api, ApiFactory, small_batch

pytest_plugins = ["api.testing.fixtures"]

BATCH = small_batch(seed=1)


def submit(api: Api, headers: dict[str, str], name: str) -> Any:
    body = copy.deepcopy(BATCH)
    body["name"] = name
    return api.client.post("/v1/batches", json=body, headers=headers)


def test_a_full_county_gets_429_the_others_do_not(make_api: ApiFactory, db_url: str) -> None:
    api = make_api(max_jobs_per_county=3, max_queue=20, database_url=db_url)
    a, b = api.headers("A"), api.headers("B")
    for i in range(3):
        assert submit(api, a, f"a{i}").status_code == 202
    full = submit(api, a, "a3")
    assert full.status_code == 429, full.text
    assert int(full.headers["Retry-After"]) >= 1
    assert "FRESHROUTE_MAX_JOBS_PER_COUNTY" in full.text
    assert submit(api, b, "b0").status_code == 202  # B is not held up by A

    claim = api.store.claim_next()  # running jobs count too: A stays full while one runs
    assert claim is not None
    assert submit(api, a, "a4").status_code == 429
    api.store.finish(claim.job_id, {"schema": "freshroute.plan/v1"}, 1.0)
    assert submit(api, a, "a5").status_code == 202


def test_the_store_refuses_past_the_county_cap_in_one_group(make_api: ApiFactory) -> None:
    api = make_api(max_jobs_per_county=2, max_queue=20)
    county = api.store.county_for_key(api.headers("A")["X-API-Key"])
    assert county is not None
    outcomes = []
    for i in range(3):
        try:
            api.store.submit(
                county[0],
                BATCH,
                body_sha256=str(i),
                name=str(i),
                n_orders=1,
                time_limit_s=1,
                max_queue=20,
                max_per_county=2,
            )
            outcomes.append("stored")
        except QueueFull as e:
            assert e.county_limit == 2
            outcomes.append("QueueFull")
    assert outcomes == ["stored", "stored", "QueueFull"]


def test_dispatch_takes_counties_in_turn(make_api: ApiFactory, db_url: str) -> None:
    api = make_api(max_jobs_per_county=10, max_queue=20, database_url=db_url)
    a, b, c = api.headers("A"), api.headers("B"), api.headers("C")
    names = {}
    for i in range(4):
        names[submit(api, a, f"a{i}").json()["job_id"]] = f"a{i}"
    for i in range(2):
        names[submit(api, b, f"b{i}").json()["job_id"]] = f"b{i}"
    names[submit(api, c, "c0").json()["job_id"]] = "c0"
    order = []
    while (claim := api.store.claim_next()) is not None:
        order.append(names[claim.job_id])
        api.store.finish(claim.job_id, {"schema": "freshroute.plan/v1"}, 1.0)
    assert order == ["a0", "b0", "c0", "a1", "b1", "a2", "a3"]


def test_a_county_with_running_jobs_waits_behind_one_without(make_api: ApiFactory) -> None:
    api = make_api(max_jobs_per_county=10, max_queue=20)
    a, b = api.headers("A"), api.headers("B")
    for i in range(3):
        submit(api, a, f"a{i}")
    first = api.store.claim_next()  # A's first job runs (two slots, say)
    assert first is not None
    b0 = submit(api, b, "b0").json()["job_id"]
    second = api.store.claim_next()
    assert second is not None and second.job_id == b0
