"""Storage on SQLite and, with FRESHROUTE_TEST_POSTGRES_URL set, on PostgreSQL.

Run the PostgreSQL half with ``api/testing/postgres.sh .venv/bin/python -m pytest
tests/test_api_store.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from api.core.config import Settings
from api.db import MIGRATIONS, make_engine, upgrade
from api.models import ApiKey, BatchRow
from api.store import INTERRUPTED, IdempotencyConflict, QueueFull, Store
from api.testing.helpers import Api, small_batch

pytest_plugins = ["api.testing.fixtures"]

BODY = small_batch(seed=1)
NOW = "2026-11-22 00:00:00+00:00"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    yield Store(engine)
    engine.dispose()


def submit(store: Store, county_id: int, body: Any = BODY, key: str | None = None, **kw: Any):
    return store.submit(
        county_id,
        body,
        body_sha256=str(hash(str(body))),
        name=str(body.get("name", "")),
        n_orders=len(body.get("orders", [])),
        time_limit_s=kw.pop("time_limit_s", 1.0),
        max_queue=kw.pop("max_queue", 20),
        idempotency_key=key,
        kind=kw.pop("kind", "batch"),
    )


def county(store: Store, name: str) -> int:
    key = store.create_api_key(name)
    found = store.county_for_key(key)
    assert found is not None and found[1] == name
    return found[0]


def test_migration_creates_the_tables(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"counties", "api_keys", "batches", "jobs", "plans", "alembic_version"} <= tables
    assert "siting_results" in tables


def test_a_database_of_the_first_release_upgrades(db_url: str) -> None:
    """0001 → head: existing jobs become batch jobs, and siting results get a table."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(db_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO counties (id, name, created_at) VALUES (1, 'A', :t)"), {"t": NOW}
            )
            conn.execute(
                text(
                    "INSERT INTO batches (id, county_id, body_sha256, body, name, n_orders,"
                    " created_at) VALUES ('b1', 1, 'x', '{}', 'old', 0, :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO jobs (id, batch_id, county_id, state, time_limit_s, attempts,"
                    " created_at, updated_at) VALUES ('j1', 'b1', 1, 'queued', 1, 0, :t, :t)"
                ),
                {"t": NOW},
            )
        assert "siting_results" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "siting_results" in inspect(engine).get_table_names()
        columns = {c["name"] for c in inspect(engine).get_columns("plans")}
        assert {"replanned_from", "batch", "changes"} <= columns  # 0004: re-plans
        store = Store(engine)
        job = store.get_job(1, "j1")
        assert job is not None and (job.kind, job.state, job.result_id) == ("batch", "queued", None)
        claim = store.claim_next()
        assert claim is not None and (claim.job_id, claim.kind) == ("j1", "batch")
    finally:
        engine.dispose()


def test_keys_are_hashed_and_bound_to_a_county(store: Store) -> None:
    key_a = store.create_api_key("A")
    key_a2 = store.create_api_key("A")
    assert store.county_for_key(key_a) == store.county_for_key(key_a2)
    assert store.county_for_key("fr_unknown") is None
    with store.sessions() as s:
        stored = s.scalars(select(ApiKey.key_hash)).all()
    assert key_a not in stored and len(stored) == 2
    with pytest.raises(ValueError):
        store.create_api_key("  ")


def test_batches_round_trip_unicode_and_nul(store: Store) -> None:
    a = county(store, "县 A")
    body = {**BODY, "name": "草莓 🍓 \u0000 end"}
    job = submit(store, a, body).job
    with store.sessions() as s:
        stored = s.scalar(select(BatchRow.body).where(BatchRow.id == job.batch_id))
    assert stored == body


def test_idempotency_and_queue_bound(store: Store) -> None:
    a = county(store, "A")
    first = submit(store, a, key="k1")
    again = submit(store, a, key="k1")
    assert again.replayed and again.job.id == first.job.id
    with pytest.raises(IdempotencyConflict):
        submit(store, a, {**BODY, "name": "other"}, key="k1")
    submit(store, a, {**BODY, "name": "2"})
    with pytest.raises(QueueFull) as full:
        submit(store, a, {**BODY, "name": "3"}, max_queue=2)
    assert full.value.retry_after >= 1
    assert store.counts_by_state()["queued"] == 2


def test_concurrent_submissions_keep_the_bound_and_the_keys(store: Store) -> None:
    a = county(store, "A")
    results: list[Any] = []
    lock = threading.Lock()

    def run(body: dict[str, Any], key: str | None) -> None:
        try:
            out: Any = submit(store, a, body, key=key, max_queue=10)
        except Exception as e:
            out = e
        with lock:
            results.append(out)

    calls = [({**BODY, "name": f"n{i}"}, None) for i in range(12)]
    calls += [({**BODY, "name": "same"}, "same-key")] * 6
    threads = [threading.Thread(target=run, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, QueueFull) for r in results if isinstance(r, Exception))
    assert store.counts_by_state()["queued"] == 10 == len({r.job.id for r in ok})
    keyed = {r.job.id for r in ok if r.job.id and r.replayed}
    assert len(keyed) <= 1  # every replay points at the one job stored for the key


def test_claims_are_fifo_and_never_doubled(store: Store) -> None:
    a = county(store, "A")
    ids = [submit(store, a, {**BODY, "name": str(i)}).job.id for i in range(12)]
    claimed: list[str] = []
    lock = threading.Lock()

    def claim_all() -> None:
        while (c := store.claim_next()) is not None:
            with lock:
                claimed.append(c.job_id)

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids) and len(set(claimed)) == len(ids)
    assert store.counts_by_state()["running"] == 12


def test_job_lifecycle_and_tenant_scoping(store: Store) -> None:
    a, b = county(store, "A"), county(store, "B")
    job_id = submit(store, a).job.id
    claim = store.claim_next()
    assert claim is not None and claim.job_id == job_id and claim.body == BODY
    assert claim.attempts == 1
    assert store.set_progress(job_id, "pairing", 123.5)
    job = store.get_job(a, job_id)
    assert (job.state, job.phase, job.best_cost) == ("running", "pairing", 123.5)
    plan_id = store.finish(job_id, {"schema": "freshroute.plan/v1"}, 120.0)
    assert plan_id is not None
    assert store.get_job(a, job_id).plan_id == plan_id
    assert store.get_plan(a, plan_id) == ({"schema": "freshroute.plan/v1", "replans": []}, BODY)
    assert store.get_job(b, job_id) is None and store.get_plan(b, plan_id) is None
    assert not store.set_progress(job_id, "late", 1.0)  # only running jobs take progress


def test_siting_jobs_store_their_results_apart(store: Store) -> None:
    a, b = county(store, "A"), county(store, "B")
    request = {"batch": BODY, "p": 2}
    job = submit(store, a, request, kind="siting.optimize").job
    assert (job.kind, job.batch_id is not None) == ("siting.optimize", True)
    claim = store.claim_next()
    assert claim is not None and (claim.kind, claim.body) == ("siting.optimize", request)
    assert store.set_progress(job.id, "optimize", float("inf"))  # a phase, no cost
    assert store.get_job(a, job.id).best_cost is None
    result_id = store.finish(job.id, {"kind": "siting.optimize", "results": []}, None)
    assert result_id is not None
    done = store.get_job(a, job.id)
    assert (done.state, done.result_id, done.plan_id) == ("done", result_id, None)
    assert store.get_plan(a, result_id) is None  # not a plan
    found = store.get_siting_result(a, result_id)
    assert found == ({"kind": "siting.optimize", "results": []}, request, job.id)
    assert store.get_siting_result(b, result_id) is None


def test_a_cancelled_job_keeps_its_state(store: Store) -> None:
    a = county(store, "A")
    job_id = submit(store, a).job.id
    store.claim_next()
    job, before = store.cancel(a, job_id)
    assert (job.state, before) == ("cancelled", "running")
    assert store.finish(job_id, {}, 1.0) is None
    assert not store.fail(job_id, "late")
    assert store.get_job(a, job_id).state == "cancelled"


def test_recovery_reruns_once_then_fails(store: Store) -> None:
    a = county(store, "A")
    job_id = submit(store, a).job.id
    store.claim_next()
    assert store.recover() == (1, 0)  # first interruption: back in the queue
    assert store.get_job(a, job_id).state == "queued"
    assert store.claim_next().attempts == 2
    assert store.recover() == (0, 1)  # second: failed
    job = store.get_job(a, job_id)
    assert (job.state, job.error) == ("failed", INTERRUPTED)


def test_the_api_solves_on_this_backend(db_url: str) -> None:
    with Api(Settings(database_url=db_url, workers=1)) as api:
        a, b = api.headers("A"), api.headers("B")
        body = {**BODY, "name": "县 🍓 \u0000"}  # NUL: PostgreSQL text columns refuse it
        r = api.client.post("/v1/batches", json=body, headers={**a, "Idempotency-Key": "x"})
        again = api.client.post("/v1/batches", json=body, headers={**a, "Idempotency-Key": "x"})
        assert again.json()["job_id"] == r.json()["job_id"]
        job = api.wait(r.json()["job_id"], a)
        assert job["state"] == "done", job
        plan = api.client.get(job["links"]["plan"], headers=a).json()
        assert plan["batch"] == body["name"]
        assert api.client.get(job["links"]["plan"], headers=b).status_code == 404
        assert api.client.get("/readyz").json()["ready"] is True


NUL_PATHS = [
    ("GET", "/v1/jobs/ab%00cd"),
    ("DELETE", "/v1/jobs/ab%00cd"),
    ("GET", "/v1/plans/ab%00cd"),
    ("GET", "/v1/plans/ab%00cd?format=geojson"),
    ("GET", "/v1/plans/ab%00cd/map"),
    ("GET", "/v1/siting/results/ab%00cd"),
    ("GET", "/v1/siting/results/ab%00cd/map"),
]


def test_an_id_with_a_nul_byte_is_not_found(db_url: str) -> None:
    # PostgreSQL text cannot hold NUL: these were 500s (psycopg.DataError) or a dropped
    # connection there, and 404 on SQLite.
    with Api(Settings(database_url=db_url, workers=0)) as api:
        h = api.headers("A")
        for method, path in NUL_PATHS:
            r = api.client.request(method, path, headers=h)
            assert r.status_code == 404, (method, path, r.status_code, r.text)
        body = {**BODY, "name": "nul"}
        key = {**h, "Idempotency-Key": "a\u0000b"}
        r = api.client.post("/v1/batches", json=body, headers=key)
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["path"] == "header.Idempotency-Key"


def test_a_failed_job_releases_its_idempotency_key(store: Store) -> None:
    # Was: the key kept answering with the failed job, so a client could never retry.
    a = county(store, "A")
    first = submit(store, a, key="k").job
    store.claim_next()
    store.recover()
    store.claim_next()
    store.recover()  # interrupted twice: failed
    assert store.get_job(a, first.id).state == "failed"
    assert store.find_idempotent(a, "k", str(hash(str(BODY)))) is None
    assert not store.key_used(a, "k")
    retry = submit(store, a, key="k")
    assert not retry.replayed and retry.job.id != first.id and retry.job.state == "queued"
    again = submit(store, a, key="k")  # the key now names the new job
    assert again.replayed and again.job.id == retry.job.id
    assert store.get_job(a, first.id).state == "failed"  # the old job is still there
    # Released means released: another body may take the key after a failure too.
    store.claim_next()
    store.fail(retry.job.id, "solver error")
    other = submit(store, a, {**BODY, "name": "other"}, key="k")
    assert not other.replayed and other.job.id not in (first.id, retry.job.id)
    # A cancelled job keeps its key: the client chose to stop it.
    store.cancel(a, other.job.id)
    assert submit(store, a, {**BODY, "name": "other"}, key="k").job.id == other.job.id


def test_a_replan_links_to_its_plan(store: Store) -> None:
    """A replan job's plan keeps the plan it re-plans, the day's batch and its changes;
    the old plan lists its re-plans (on both databases: 0004's foreign key)."""
    a = county(store, "A")
    submit(store, a)
    first = store.claim_next()
    assert first is not None
    old_id = store.finish(first.job_id, {"schema": "freshroute.plan/v1"}, 1.0)
    assert old_id is not None
    submit(store, a, {"plan_id": old_id, "events": {"now": 600}}, kind="replan")
    second = store.claim_next()
    assert second is not None and second.kind == "replan"
    day = {**BODY, "name": "the day"}
    plan = {"schema": "freshroute.plan/v1", "replanned_from": old_id}
    new_id = store.finish(second.job_id, {"plan": plan, "batch": day, "changes": {"n": 1}}, 2.0)
    assert new_id is not None and store.get_job(a, second.job_id).plan_id == new_id
    old = {"schema": "freshroute.plan/v1", "replans": [new_id]}
    assert store.get_plan(a, old_id) == (old, BODY)
    assert store.get_plan(a, new_id) == ({**plan, "replans": []}, day)
    assert store.get_changes(a, new_id) == ({"n": 1}, plan)
    assert store.get_changes(a, old_id) == (None, {"schema": "freshroute.plan/v1"})
    b = county(store, "B")
    assert store.get_plan(b, new_id) is None and store.get_changes(b, new_id) is None
