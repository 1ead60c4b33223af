"""Solving through the API: worker processes, progress, plans, cancel, hard kill, shutdown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from api.testing.helpers import ApiFactory, small_batch
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.validate import validate_plan

pytest_plugins = ["api.testing.fixtures"]


def test_solve_progress_plan_and_geojson(make_api: ApiFactory) -> None:
    api = make_api(workers=1)
    h = api.headers()
    body = small_batch(seed=2)
    job_id = api.client.post("/v1/batches", json=body, headers=h).json()["job_id"]
    job = api.wait(job_id, h)
    assert job["state"] == "done", job
    assert job["attempts"] == 1 and job["best_cost"] > 0 and job["phase"]
    plan = api.client.get(job["links"]["plan"], headers=h).json()
    assert validate_plan(Batch.model_validate(body), Plan.model_validate(plan)) == []
    assert abs(plan["kpis"]["total_cost"] - job["best_cost"]) < 1e-6
    geo = api.client.get(f"{job['links']['plan']}?format=geojson", headers=h)
    assert geo.headers["content-type"] == "application/geo+json"
    assert {f["properties"]["kind"] for f in geo.json()["features"]} == {"site", "route"}
    metrics = api.client.get("/metrics", headers=h).text
    assert 'freshroute_solve_seconds_count{outcome="done"} 1.0' in metrics


def test_cancel_kills_a_running_solve_and_the_worker_comes_back(make_api: ApiFactory) -> None:
    api = make_api(workers=1)
    h = api.headers()
    long = api.client.post("/v1/batches", json=small_batch(3, time_limit_s=60), headers=h)
    job_id = long.json()["job_id"]
    api.wait(job_id, h, states=("running",), timeout=30)
    pid = api.app.state.pool.slots[0].process.pid
    started = time.monotonic()
    r = api.client.delete(f"/v1/jobs/{job_id}", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    while api.app.state.pool.slots[0].busy:
        # Far below the solve's 60 s; the new worker's imports take seconds on a busy machine.
        assert time.monotonic() - started < 30, "the solve was not stopped"
        time.sleep(0.05)
    assert api.app.state.pool.slots[0].process.pid != pid  # killed and replaced
    nxt = api.client.post("/v1/batches", json=small_batch(4), headers=h).json()["job_id"]
    assert api.wait(nxt, h)["state"] == "done"
    assert api.client.get(f"/v1/jobs/{job_id}", headers=h).json()["state"] == "cancelled"


def test_hard_timeout_kills_a_solve(make_api: ApiFactory) -> None:
    # Killed at 0 × limit + 1.5 s, long before its 30 s limit.
    api = make_api(workers=1, hard_timeout_factor=0.0, kill_grace_s=1.5)
    h = api.headers()
    job_id = api.client.post("/v1/batches", json=small_batch(5, 30), headers=h).json()["job_id"]
    job = api.wait(job_id, h, timeout=30)
    assert job["state"] == "failed" and job["error"].startswith("killed"), job


def test_time_limit_is_capped_by_the_service(make_api: ApiFactory) -> None:
    api = make_api(max_time_limit_s=0.5)
    r = api.client.post("/v1/batches", json=small_batch(1, 30), headers=api.headers())
    assert api.store.get_job(1, r.json()["job_id"]).time_limit_s == 0.5


@pytest.mark.parametrize("claimed_late", [False, True])
def test_shutdown_puts_running_jobs_back_in_the_queue(
    make_api: ApiFactory, claimed_late: bool
) -> None:
    """``claimed_late``: the claim is handed to its slot only as the pool stops. Was
    ('running', 1) under load: the slot's thread had taken its stop signal, nobody ran or
    released the job, and a restart's recovery would count the attempt."""
    api = make_api(workers=1)
    pool = api.app.state.pool
    if claimed_late:
        claim_next = pool.store.claim_next

        def claimed_as_the_pool_stops():
            claim = claim_next()
            if claim is not None:
                deadline = time.monotonic() + 20
                while not pool.stopping and time.monotonic() < deadline:
                    time.sleep(0.01)
            return claim

        pool.store.claim_next = claimed_as_the_pool_stops
    h = api.headers()
    job_id = api.client.post("/v1/batches", json=small_batch(6, 60), headers=h).json()["job_id"]
    api.wait(job_id, h, states=("running",), timeout=30)
    store = api.store
    api.__exit__(None, None, None)
    job = store.get_job(1, job_id)
    assert (job.state, job.attempts) == ("queued", 0)


def test_queued_jobs_are_solved_after_a_restart(make_api: ApiFactory, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'restart.db'}"
    first = make_api(database_url=db)  # no workers: the job waits in the queue
    h = first.headers()
    job_id = first.client.post("/v1/batches", json=small_batch(7), headers=h).json()["job_id"]
    first.__exit__(None, None, None)
    second = make_api(database_url=db, workers=1)
    job = second.wait(job_id, h)
    assert (job["state"], job["attempts"]) == ("done", 1)


def test_a_batch_with_no_vehicles_and_no_orders_solves_to_an_empty_plan(
    make_api: ApiFactory,
) -> None:
    # Was: the worker process died with SIGSEGV (OR-Tools' model with zero vehicles).
    api = make_api(workers=1)
    h = api.headers()
    body = {
        "fleet": [{"capacity_kg": 1000, "capacity_m3": 5, "count": 0, "id": "0"}],
        "sites": [{"id": "0", "kind": "hub", "lat": 0, "lon": 0}],
    }
    r = api.client.post("/v1/batches", json=body, headers=h)
    assert r.status_code == 202, r.text
    job = api.wait(r.json()["job_id"], h)
    assert job["state"] == "done", job
    plan = api.client.get(job["links"]["plan"], headers=h).json()
    assert plan["routes"] == [] and plan["kpis"]["total_cost"] == 0


def test_readiness_holds_while_a_cancelled_solve_s_worker_respawns(make_api: ApiFactory) -> None:
    # Was: /readyz answered 503 from the kill until the new worker had imported the
    # optimizer (about 0.5 s), though the service could accept and run work throughout.
    api = make_api(workers=1)
    h = api.headers()
    slot = api.app.state.pool.slots[0]
    deadline = time.monotonic() + 60
    while api.client.get("/readyz").status_code != 200:  # the first worker warms up
        assert time.monotonic() < deadline, "the worker never became ready"
        time.sleep(0.05)
    job_id = api.client.post("/v1/batches", json=small_batch(3, 60), headers=h).json()["job_id"]
    api.wait(job_id, h, states=("running",), timeout=30)
    pid = slot.process.pid
    assert api.client.delete(f"/v1/jobs/{job_id}", headers=h).status_code == 200
    codes, respawning_seen = [], False
    deadline = time.monotonic() + 60
    while not (slot.process is not None and slot.process.pid != pid and slot.alive()):
        assert time.monotonic() < deadline, "the worker did not come back"
        respawning_seen |= not slot.alive()
        r = api.client.get("/readyz")
        codes.append(r.status_code)
        time.sleep(0.02)
    assert respawning_seen  # the readiness probes above ran while no process was warm
    assert set(codes) == {200}, codes
    assert api.client.get("/readyz").json()["workers_alive"] == 1
