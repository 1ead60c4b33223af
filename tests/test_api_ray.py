"""The service with FRESHROUTE_EXECUTOR=ray (``Settings.executor``): solves go to Ray
(embedded here), and a running one is cancelled with ``ray.cancel``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from api.testing.helpers import ApiFactory, small_batch
from api.worker import RaySlot
from optimizer.model import Batch, read_batch
from optimizer.plan import Plan
from optimizer.validate import validate_plan

pytest_plugins = ["api.testing.fixtures"]
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def ray_running():
    """One embedded Ray for the module (the pools use it and leave it running)."""
    pytest.importorskip("ray")
    from optimizer.run.executor import RayExecutor

    executor = RayExecutor(workers=2)
    yield executor
    executor.close()


@pytest.fixture
def ray_api(make_api: ApiFactory, ray_running):
    def make(**settings):
        api = make_api(roads_dir=SCENARIOS, executor="ray", **settings)
        assert all(isinstance(s, RaySlot) for s in api.app.state.pool.slots)
        return api

    return make


def test_the_demo_batch_is_solved_on_ray(ray_api) -> None:
    api = ray_api(workers=1)
    h = api.headers()
    body = json.loads((SCENARIOS / "demo-county.json").read_text(encoding="utf-8"))
    body["options"]["time_limit_s"] = 3
    job_id = api.client.post("/v1/batches", json=body, headers=h).json()["job_id"]
    job = api.wait(job_id, h, timeout=120)
    assert job["state"] == "done", job
    plan = Plan.model_validate(api.client.get(job["links"]["plan"], headers=h).json())
    batch = read_batch(SCENARIOS / "demo-county.json")
    assert validate_plan(batch, plan) == []
    assert plan.kpis.orders_served == len(batch.orders)


def test_cancel_stops_the_ray_task(ray_api) -> None:
    api = ray_api(workers=1)
    h = api.headers()
    long = api.client.post("/v1/batches", json=small_batch(3, time_limit_s=60), headers=h)
    job_id = long.json()["job_id"]
    api.wait(job_id, h, states=("running",), timeout=60)
    slot = api.app.state.pool.slots[0]
    while slot.handle is None:
        time.sleep(0.05)
    handle = slot.handle
    started = time.monotonic()
    r = api.client.delete(f"/v1/jobs/{job_id}", headers=h)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    while slot.busy:
        assert time.monotonic() - started < 30, "the Ray task was not stopped"
        time.sleep(0.05)
    ray = pytest.importorskip("ray")
    with pytest.raises((ray.exceptions.TaskCancelledError, ray.exceptions.WorkerCrashedError)):
        ray.get(handle, timeout=20)  # not a 60 s solve running on: a timeout fails this
    nxt = api.client.post("/v1/batches", json=small_batch(4), headers=h).json()["job_id"]
    job = api.wait(nxt, h, timeout=60)
    assert job["state"] == "done"
    assert (
        validate_plan(
            Batch.model_validate(small_batch(4)),
            Plan.model_validate(api.client.get(job["links"]["plan"], headers=h).json()),
        )
        == []
    )
    assert api.client.get(f"/v1/jobs/{job_id}", headers=h).json()["state"] == "cancelled"
