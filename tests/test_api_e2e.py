"""The real service: uvicorn in a subprocess, keys from the CLI, a crash mid-solve."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from api.testing.helpers import Server, children, create_key, pid_alive, small_batch, wait_for_job
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.validate import validate_plan


def test_submit_poll_and_fetch_a_valid_plan(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'e2e.db'}"
    key = create_key("Longkou", db)
    assert key.startswith("fr_")
    headers = {"X-API-Key": key}
    body = small_batch(seed=11)
    with Server(db, workers=1, log=tmp_path / "server.log") as server:
        client = httpx.Client(base_url=server.url, timeout=10)
        r = client.post("/v1/batches", json=body, headers=headers)
        assert r.status_code == 202, r.text
        assert r.headers["Location"] == f"/v1/jobs/{r.json()['job_id']}"
        job = wait_for_job(client.get, r.json()["job_id"], headers, timeout=60)
        assert job["state"] == "done", job
        plan = client.get(f"/v1/plans/{job['plan_id']}", headers=headers).json()
        assert validate_plan(Batch.model_validate(body), Plan.model_validate(plan)) == []
        assert client.get("/metrics").status_code == 200  # open on loopback
        assert "freshroute_jobs" in client.get("/metrics").text


def test_a_job_survives_a_crash_of_the_service(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'restart.db'}"
    headers = {"X-API-Key": create_key("A", db)}
    log = tmp_path / "server.log"
    server = Server(db, workers=1, log=log).start()
    try:
        client = httpx.Client(base_url=server.url, timeout=10)
        r = client.post("/v1/batches", json=small_batch(seed=12, time_limit_s=6), headers=headers)
        job_id = r.json()["job_id"]
        wait_for_job(client.get, job_id, headers, states=("running",), timeout=30)
        time.sleep(1.0)  # mid-solve
        assert server.process is not None
        workers = children(server.process.pid)
        assert workers, "no worker process"
        server.kill()  # kill -9: no shutdown hooks run
        deadline = time.monotonic() + 5
        while any(pid_alive(p) for p in workers):  # workers die with the server
            assert time.monotonic() < deadline, "orphaned worker processes"
            time.sleep(0.1)
    finally:
        server.stop()

    with Server(db, workers=1, log=log) as again:
        client = httpx.Client(base_url=again.url, timeout=10)
        job = wait_for_job(client.get, job_id, headers, timeout=60)
        assert job["state"] == "done", job
        assert job["attempts"] == 2  # interrupted once, run again
