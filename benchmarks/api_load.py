"""Load test of the HTTP API on loopback: concurrent clients submit and poll while solves run.

Starts ``freshroute serve`` (``python -m api.cli serve``) on a free loopback port with a
fresh SQLite database and two solver workers, then runs CLIENTS asyncio clients (httpx).
Each client submits a small county (8 villages, 1 s time limit, no baseline) with a
unique Idempotency-Key, retries it after ``Retry-After`` while the queue is full (429),
polls the job every POLL_S until it is final, and starts over, until SUBMISSIONS batches
were accepted or MAX_SECONDS passed. Reported: p50/p95 latency of submit and poll,
solves per minute, errors (anything but 2xx, and 429 counted apart), and a database audit:
every accepted job exists once, none is lost or duplicated, and all finished.

    .venv/bin/python benchmarks/api_load.py [--clients 50] [--submissions 200]

Writes benchmarks/results/api_load.md (the latest run) and appends a row to api_load.csv.

With ``--rate R`` it is an open-loop test instead: two long solves are started (both
workers busy for the whole run), then requests go out at R per second for ``--duration``
seconds, whatever the answers take, over ``--connections`` keep-alive connections: a share
``--submit-share`` are submissions (a new county batch with a unique Idempotency-Key), the
rest polls of accepted jobs. Latency is timed from the moment a request was due, so a
request waiting for a free connection counts against the service, not in its favour.
The queue limits are raised for the run (it measures the API, not the queue policy).
``--database postgres`` runs on a fresh database of ``FRESHROUTE_TEST_POSTGRES_URL``
(``api/testing/postgres.sh``). Rows are appended to api_load_rate.csv and all of them
written to api_load_rate.md:

    api/testing/postgres.sh .venv/bin/python benchmarks/api_load.py --rate 100 --database postgres

All traffic goes to 127.0.0.1; request loops are bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.models import BatchRow, JobRow, PlanRow  # noqa: E402
from api.testing.fixtures import POSTGRES_ENV  # noqa: E402
from api.testing.helpers import (  # noqa: E402
    Server,
    children,
    create_key,
    postgres_database,
    small_batch,
)

RESULTS = ROOT / "benchmarks" / "results"
FINAL = ("done", "failed", "cancelled")


@dataclass
class Stats:
    submit_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    rejected_ms: list[float] = field(default_factory=list)  # 429 answers
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key → job id
    final: dict[str, str] = field(default_factory=dict)  # job id → final state
    busy_samples: list[int] = field(default_factory=list)
    server: dict[str, float] = field(default_factory=dict)  # /metrics histogram lines


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def client_loop(
    n: int,
    http: httpx.AsyncClient,
    bodies: list[dict[str, Any]],
    stats: Stats,
    budget: dict[str, Any],
    poll_s: float,
    delay: float,
) -> None:
    """One coordinator: submit, poll to the end, repeat while the budget lasts."""
    await asyncio.sleep(delay)
    async with http:
        i = 0
        while budget["left"] > 0 and time.monotonic() < budget["deadline"]:
            budget["left"] -= 1
            key = f"c{n}-{i}-{uuid.uuid4().hex[:8]}"
            body = bodies[(n + i) % len(bodies)]
            i += 1
            job_id = None
            while job_id is None and time.monotonic() < budget["deadline"]:
                t = time.perf_counter()
                try:
                    r = await http.post("/v1/batches", json=body, headers={"Idempotency-Key": key})
                except httpx.HTTPError as e:
                    stats.errors.append(f"submit: {type(e).__name__}: {e}")
                    await asyncio.sleep(0.5)
                    continue
                ms = (time.perf_counter() - t) * 1000
                stats.statuses[f"POST {r.status_code}"] += 1
                if r.status_code == 202:
                    stats.submit_ms.append(ms)
                    job_id = r.json()["job_id"]
                    stats.accepted[key] = job_id
                elif r.status_code == 429:
                    stats.rejected_ms.append(ms)
                    await asyncio.sleep(min(float(r.headers.get("Retry-After", 1)), 2.0))
                else:
                    stats.errors.append(f"submit {r.status_code}: {r.text[:200]}")
                    break
            while job_id is not None and time.monotonic() < budget["deadline"] + 60:
                await asyncio.sleep(poll_s)
                t = time.perf_counter()
                try:
                    r = await http.get(f"/v1/jobs/{job_id}")
                except httpx.HTTPError as e:
                    stats.errors.append(f"poll: {type(e).__name__}: {e}")
                    continue
                stats.poll_ms.append((time.perf_counter() - t) * 1000)
                stats.statuses[f"GET {r.status_code}"] += 1
                if r.status_code != 200:
                    stats.errors.append(f"poll {r.status_code}: {r.text[:200]}")
                    break
                state = r.json()["state"]
                if state in FINAL:
                    stats.final[job_id] = state
                    break


async def watch_workers(url: str, stats: Stats, stop: asyncio.Event) -> None:
    """Sample how many workers are solving (from /metrics, open on loopback)."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        while True:
            try:
                text = (await http.get("/metrics")).text
                for line in text.splitlines():
                    if line.startswith("freshroute_workers_busy "):
                        stats.busy_samples.append(int(float(line.split()[1])))
                    if line.startswith("freshroute_http_request_seconds_"):
                        name, value = line.rsplit(" ", 1)
                        stats.server[name] = float(value)
            except httpx.HTTPError:
                pass
            if stop.is_set():
                break
            await asyncio.sleep(1.0)


def server_mean_ms(stats: Stats, method: str, route: str) -> float:
    """Mean server-side time of a route (from the service's own histogram)."""
    labels = f'{{method="{method}",route="{route}"}}'
    count = stats.server.get(f"freshroute_http_request_seconds_count{labels}", 0)
    total = stats.server.get(f"freshroute_http_request_seconds_sum{labels}", 0)
    return round(total / count * 1000, 1) if count else float("nan")


async def warm_up(url: str, key: str, body: dict[str, Any], stats: Stats) -> None:
    """One validate and one solved job before the clock starts (not measured)."""
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60) as http:
        (await http.post("/v1/batches/validate", json=body)).raise_for_status()
        r = await http.post("/v1/batches", json=body, headers={"Idempotency-Key": "warm-up"})
        job_id = r.json()["job_id"]
        stats.accepted["warm-up"] = job_id
        for _ in range(600):
            if (await http.get(f"/v1/jobs/{job_id}")).json()["state"] in FINAL:
                break
            await asyncio.sleep(0.1)


async def run_clients(args: argparse.Namespace, url: str, key: str) -> tuple[Stats, float]:
    bodies = [small_batch(seed=s, time_limit_s=args.time_limit) for s in range(1, 11)]
    stats = Stats()
    await warm_up(url, key, bodies[0], stats)
    budget = {"left": args.submissions, "deadline": time.monotonic() + args.max_seconds}
    # Clients are made first: building one loads CA certificates (~30 ms of CPU), which
    # would otherwise stall the event loop while other clients' requests are timed.
    clients = [
        httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=30)
        for _ in range(args.clients)
    ]
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_workers(url, stats, stop))
    started = time.perf_counter()
    budget["deadline"] = time.monotonic() + args.max_seconds
    await asyncio.gather(
        *(
            client_loop(n, http, bodies, stats, budget, args.poll, n * args.ramp_up / args.clients)
            for n, http in enumerate(clients)
        )
    )
    elapsed = time.perf_counter() - started
    stop.set()
    await watcher
    return stats, elapsed


def audit(db_url: str, stats: Stats) -> dict[str, int]:
    """Lost, duplicated and unfinished jobs, checked in the database."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        jobs = dict(conn.execute(select(JobRow.id, JobRow.state)).all())
        per_key = conn.execute(
            select(BatchRow.idempotency_key, func.count()).group_by(BatchRow.idempotency_key)
        ).all()
        plans = conn.scalar(select(func.count()).select_from(PlanRow)) or 0
    engine.dispose()
    lost = sum(1 for job_id in stats.accepted.values() if job_id not in jobs)
    duplicated = sum(n - 1 for _, n in per_key if n > 1)
    return {
        "jobs_in_db": len(jobs),
        "lost": lost,
        "duplicated": duplicated,
        "not_accepted_but_stored": len(set(jobs) - set(stats.accepted.values())),
        "unfinished": sum(1 for s in jobs.values() if s not in FINAL),
        "done": sum(1 for s in jobs.values() if s == "done"),
        "failed": sum(1 for s in jobs.values() if s == "failed"),
        "plans": plans,
    }


def busy_jiffies() -> int:
    """CPU time all processes of the machine used so far (jiffies, /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return user + nice + system + irq + softirq + steal


def tree_jiffies(pids: list[int]) -> int:
    """CPU time (user + system) of the given processes so far."""
    total = 0
    for pid in pids:
        try:
            parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(parts[11]) + int(parts[12])
    return total


class CpuMeter:
    """How much CPU this benchmark (client, server, workers) and everything else used."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.start = (time.monotonic(), busy_jiffies(), tree_jiffies(self.pids()))
        self.result: dict[str, float] = {}

    def pids(self) -> list[int]:
        assert self.server.process is not None
        return [os.getpid(), self.server.process.pid, *children(self.server.process.pid)]

    def stop(self) -> None:
        t0, busy0, ours0 = self.start
        seconds = time.monotonic() - t0
        hz = os.sysconf("SC_CLK_TCK")
        busy = (busy_jiffies() - busy0) / hz / seconds
        ours = (tree_jiffies(self.pids()) - ours0) / hz / seconds
        self.result = {"cores_busy": round(busy, 2), "cores_ours": round(ours, 2)}


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def report(args: argparse.Namespace, stats: Stats, elapsed: float, db: dict[str, int]) -> dict:
    done = db["done"] - 1  # the warm-up job
    busy = stats.busy_samples
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "clients": args.clients,
        "workers": args.workers,
        "max_queue": args.max_queue,
        "ramp_up_s": args.ramp_up,
        "time_limit_s": args.time_limit,
        "accepted": len(stats.submit_ms),
        "duration_s": round(elapsed, 1),
        "submit_p50_ms": round(pct(stats.submit_ms, 50), 1),
        "submit_p95_ms": round(pct(stats.submit_ms, 95), 1),
        "poll_p50_ms": round(pct(stats.poll_ms, 50), 1),
        "poll_p95_ms": round(pct(stats.poll_ms, 95), 1),
        "server_submit_mean_ms": server_mean_ms(stats, "POST", "/v1/batches"),
        "server_poll_mean_ms": server_mean_ms(stats, "GET", "/v1/jobs/{job_id}"),
        "rejected_429": len(stats.rejected_ms),
        "rejected_p95_ms": round(pct(stats.rejected_ms, 95), 1),
        "polls": len(stats.poll_ms),
        "solves_per_min": round(done / elapsed * 60, 1),
        "errors": len(stats.errors),
        "lost": db["lost"],
        "duplicated": db["duplicated"],
        "unfinished": db["unfinished"],
        "failed_jobs": db["failed"],
        "both_workers_busy_share": round(sum(b >= 2 for b in busy) / len(busy), 2) if busy else 0,
    }


def append_csv(csv_path: Path, row: dict[str, Any]) -> None:
    """Add a run to a results CSV (the header when the file is new)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    new = not csv_path.exists()
    with csv_path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def write(row: dict, stats: Stats, command: str) -> None:
    csv_path = RESULTS / "api_load.csv"
    append_csv(csv_path, row)
    target = 100.0
    ok = row["submit_p95_ms"] < target and row["poll_p95_ms"] < target
    lines = [
        "# API load benchmark",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}  ",
        f"Date: {row['date']}",
        "",
        f"{row['clients']} asyncio clients (httpx), started evenly over {row['ramp_up_s']:g} s, "
        "on loopback against `freshroute serve` "
        f"(uvicorn, SQLite WAL, {row['workers']} solver workers at nice 10). Each client "
        f"submits an 8-village county ({row['time_limit_s']:g} s time limit, no baseline) "
        "with a unique Idempotency-Key, waits out 429s (Retry-After), polls its job every "
        "0.5 s until it is final, then submits the next. One warm-up job is solved before "
        "the clock starts (the first requests of a fresh process compile SQL and fill the "
        "key cache).",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| batches accepted | {row['accepted']} in {row['duration_s']} s |",
        f"| submit latency p50 / p95 (202) | {row['submit_p50_ms']} / {row['submit_p95_ms']} ms |",
        f"| poll latency p50 / p95 | {row['poll_p50_ms']} / {row['poll_p95_ms']} ms "
        f"({row['polls']} polls) |",
        f"| 429 (queue full, retried) | {row['rejected_429']}, p95 {row['rejected_p95_ms']} ms |",
        f"| solves per minute | {row['solves_per_min']} |",
        f"| share of samples with both workers solving | {row['both_workers_busy_share']:.0%} |",
        f"| errors | {row['errors']} |",
        f"| lost / duplicated / unfinished jobs (DB audit) | {row['lost']} / "
        f"{row['duplicated']} / {row['unfinished']} |",
        f"| failed jobs | {row['failed_jobs']} |",
        f"| CPU: cores busy on the machine / used by other processes | {row['cores_busy']} / "
        f"{row['cores_used_by_others']} of {os.cpu_count()} (load average before: "
        f"{row['load_avg_before']}) |",
        "",
        f"Target p95 submit and poll < {target:g} ms with two solves running: "
        f"**{'met' if ok else 'not met'}**.",
        "",
        "Status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items())),
        "",
    ]
    if stats.errors:
        lines += ["First errors:", "", *[f"- {e}" for e in stats.errors[:10]], ""]
    lines += history(csv_path)
    (RESULTS / "api_load.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def history(csv_path: Path) -> list[str]:
    """All runs in api_load.csv as a table (the latest last)."""
    with csv_path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    cols = [
        ("date", "date"),
        ("clients", "clients"),
        ("ramp_up_s", "ramp-up s"),
        ("accepted", "accepted"),
        ("submit_p50_ms", "submit p50"),
        ("submit_p95_ms", "submit p95"),
        ("poll_p50_ms", "poll p50"),
        ("poll_p95_ms", "poll p95"),
        ("solves_per_min", "solves/min"),
        ("errors", "errors"),
        ("lost", "lost"),
        ("duplicated", "dup."),
        ("cores_used_by_others", "other CPU (cores)"),
    ]
    out = [
        'All runs (`api_load.csv`; latencies in ms; "other CPU" is what processes outside '
        "the benchmark used on this shared machine during the run):",
        "",
        "| " + " | ".join(label for _, label in cols) + " |",
        "|" + " --- |" * len(cols),
    ]
    out += ["| " + " | ".join(row.get(key, "") for key, _ in cols) + " |" for row in rows]
    return out


# -- open loop: a fixed request rate with both workers solving --------------------------
@dataclass
class RateStats:
    submit_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key → job id
    lag_ms: list[float] = field(default_factory=list)  # how late each request went out


async def start_solves(http: httpx.AsyncClient, seconds: float) -> list[str]:
    """Two long solves (a county of their own), returned once both are running."""
    jobs = []
    for seed in (101, 102):
        body = small_batch(seed=seed, time_limit_s=seconds, villages=40)
        r = await http.post("/v1/batches", json=body)
        r.raise_for_status()
        jobs.append(r.json()["job_id"])
    for _ in range(1200):
        states = [(await http.get(f"/v1/jobs/{j}")).json()["state"] for j in jobs]
        if states == ["running", "running"]:
            return jobs
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the two long solves did not both start: {states}")


async def one_request(
    http: httpx.AsyncClient,
    due: float,
    submit: bool,
    bodies: list[dict[str, Any]],
    stats: RateStats,
    n: int,
) -> None:
    stats.lag_ms.append((time.perf_counter() - due) * 1000)
    try:
        if submit or not stats.accepted:
            key = f"r{n}-{uuid.uuid4().hex[:8]}"
            r = await http.post(
                "/v1/batches", json=bodies[n % len(bodies)], headers={"Idempotency-Key": key}
            )
            ms = (time.perf_counter() - due) * 1000
            stats.statuses[f"POST {r.status_code}"] += 1
            if r.status_code == 202:
                stats.submit_ms.append(ms)
                stats.accepted[key] = r.json()["job_id"]
            else:
                stats.errors.append(f"submit {r.status_code}: {r.text[:200]}")
        else:
            job_id = random.choice(list(stats.accepted.values()))
            r = await http.get(f"/v1/jobs/{job_id}")
            ms = (time.perf_counter() - due) * 1000
            stats.statuses[f"GET {r.status_code}"] += 1
            if r.status_code == 200:
                stats.poll_ms.append(ms)
            else:
                stats.errors.append(f"poll {r.status_code}: {r.text[:200]}")
    except httpx.HTTPError as e:
        stats.errors.append(f"{'submit' if submit else 'poll'}: {type(e).__name__}: {e}")


async def sender(
    url: str, key: str, due: asyncio.Queue, bodies: list[dict[str, Any]], stats: RateStats
) -> None:
    """One keep-alive connection: sends the requests that fall due, one at a time, until
    it takes ``None``. A fixed set of connections (as wrk2 has) keeps the client cheap."""
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60) as http:
        while (item := await due.get()) is not None:
            n, when, submit = item
            await one_request(http, when, submit, bodies, stats, n)


async def run_rate(args: argparse.Namespace, url: str, key: str, solver_key: str) -> dict:
    """Requests at ``args.rate`` per second for ``args.duration`` s while two solves run.

    A scheduler puts each request in a queue when it falls due; ``args.connections``
    senders take them. A request that waits for a free connection waits on the clock:
    its latency counts from when it was due (no coordinated omission)."""
    bodies = [small_batch(seed=s, time_limit_s=args.time_limit) for s in range(1, 11)]
    stats = Stats()
    await warm_up(url, key, bodies[0], stats)
    async with httpx.AsyncClient(
        base_url=url, headers={"X-API-Key": solver_key}, timeout=60
    ) as solver:
        long_jobs = await start_solves(solver, args.duration + 60)
        rate = RateStats()
        rng = random.Random(1)
        total = int(args.rate * args.duration)
        due: asyncio.Queue = asyncio.Queue()
        senders = [
            asyncio.create_task(sender(url, key, due, bodies, rate))
            for _ in range(args.connections)
        ]
        await asyncio.sleep(0.5)  # the senders' clients are built before the clock starts
        start = time.perf_counter()
        for n in range(total):
            when = start + n / args.rate
            delay = when - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((n, when, rng.random() < args.submit_share))
        for _ in senders:
            due.put_nowait(None)
        await asyncio.gather(*senders)
        elapsed = time.perf_counter() - start
        states = [(await solver.get(f"/v1/jobs/{j}")).json()["state"] for j in long_jobs]
        for job in long_jobs:
            await solver.delete(f"/v1/jobs/{job}")
    return {
        "stats": rate,
        "elapsed": elapsed,
        "sent": total,
        "both_solving_at_end": states == ["running", "running"],
    }


def audit_rate(db_url: str, accepted: dict[str, str]) -> dict[str, int]:
    """Accepted jobs missing from the database, and keys stored more than once."""
    engine = create_engine(db_url)
    with engine.connect() as conn:
        jobs = set(conn.scalars(select(JobRow.id)).all())
        per_key = conn.execute(
            select(BatchRow.idempotency_key, func.count()).group_by(BatchRow.idempotency_key)
        ).all()
    engine.dispose()
    return {
        "lost": sum(1 for job_id in accepted.values() if job_id not in jobs),
        "duplicated": sum(n - 1 for key, n in per_key if key is not None and n > 1),
    }


RATE_COLUMNS = [
    ("date", "date"),
    ("database", "database"),
    ("rate", "rate/s"),
    ("achieved", "achieved/s"),
    ("duration_s", "s"),
    ("submits", "submits"),
    ("submit_p50_ms", "submit p50"),
    ("submit_p95_ms", "submit p95"),
    ("submit_p99_ms", "submit p99"),
    ("polls", "polls"),
    ("poll_p50_ms", "poll p50"),
    ("poll_p95_ms", "poll p95"),
    ("poll_p99_ms", "poll p99"),
    ("errors", "errors"),
    ("lost", "lost"),
    ("duplicated", "dup."),
    ("lag_p99_ms", "client lag p99"),
    ("both_solving", "2 solves running"),
    ("cores_used_by_others", "other CPU (cores)"),
]


def rate_row(args: argparse.Namespace, found: dict, db: dict[str, int]) -> dict[str, Any]:
    stats: RateStats = found["stats"]
    done = len(stats.submit_ms) + len(stats.poll_ms) + len(stats.errors)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database": args.database,
        "rate": args.rate,
        "achieved": round(done / found["elapsed"], 1),
        "duration_s": args.duration,
        "submit_share": args.submit_share,
        "connections": args.connections,
        "submits": len(stats.submit_ms),
        "submit_p50_ms": round(pct(stats.submit_ms, 50), 1),
        "submit_p95_ms": round(pct(stats.submit_ms, 95), 1),
        "submit_p99_ms": round(pct(stats.submit_ms, 99), 1),
        "polls": len(stats.poll_ms),
        "poll_p50_ms": round(pct(stats.poll_ms, 50), 1),
        "poll_p95_ms": round(pct(stats.poll_ms, 95), 1),
        "poll_p99_ms": round(pct(stats.poll_ms, 99), 1),
        "errors": len(stats.errors),
        "lost": db["lost"],
        "duplicated": db["duplicated"],
        "lag_p99_ms": round(pct(stats.lag_ms, 99), 1),
        "both_solving": "yes" if found["both_solving_at_end"] else "no",
    }


def write_rate(row: dict[str, Any]) -> None:
    csv_path = RESULTS / "api_load_rate.csv"
    append_csv(csv_path, row)
    with csv_path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    lines = [
        "# API load at a fixed request rate, two solves running",
        "",
        "Command: `[api/testing/postgres.sh] python benchmarks/api_load.py --rate R "
        "--database sqlite|postgres`  ",
        f"Machine: {machine()}",
        "",
        "Open loop on loopback against `freshroute serve` (uvicorn, 2 solver workers at "
        'nice 10): two 40-village solves keep both workers busy for the whole run ("2 solves '
        'running": both still running at its end), and requests go out at the given rate '
        "whatever the answers take. A share of them (`submit_share`, in the CSV) submit an "
        "8-village county with a unique Idempotency-Key (`202`), the rest poll an accepted "
        "job (`GET /v1/jobs/{id}`), over a fixed set of keep-alive connections (`connections` "
        "in the CSV). Latencies in ms from the moment each request was due, waiting for a "
        "free connection included (client lag p99: how late requests went out); lost / "
        "duplicated: accepted "
        'jobs missing from the database, keys stored twice. "Other CPU" is what processes '
        "outside the benchmark used on this shared machine during the run.",
        "",
        "| " + " | ".join(label for _, label in RATE_COLUMNS) + " |",
        "|" + " --- |" * len(RATE_COLUMNS),
    ]
    lines += ["| " + " | ".join(r.get(k, "") for k, _ in RATE_COLUMNS) + " |" for r in rows]
    (RESULTS / "api_load_rate.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main_rate(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="freshroute-load-") as tmp:
        if args.database == "postgres":
            admin = os.environ.get(POSTGRES_ENV)
            if not admin:
                raise SystemExit(
                    f"--database postgres needs {POSTGRES_ENV} (api/testing/postgres.sh)"
                )
            database = postgres_database(admin)
        else:
            database = contextlib.nullcontext(f"sqlite:///{Path(tmp) / 'load.db'}")
        with database as db_url:
            key = create_key("load-test", db_url)
            solver_key = create_key("long-solves", db_url)
            server = Server(
                db_url,
                workers=2,
                log=Path(tmp) / "server.log",
                env={
                    "FRESHROUTE_MAX_QUEUE": "1000000",
                    "FRESHROUTE_MAX_JOBS_PER_COUNTY": "1000000",
                },
            )
            with server:
                meter = CpuMeter(server)
                found = asyncio.run(run_rate(args, server.url, key, solver_key))
                meter.stop()
            db = audit_rate(db_url, found["stats"].accepted)
    row = rate_row(args, found, db)
    row["cores_used_by_others"] = round(
        max(0.0, meter.result["cores_busy"] - meter.result["cores_ours"]), 2
    )
    for k, v in row.items():
        print(f"{k:>22}: {v}")
    for e in found["stats"].errors[:10]:
        print("error:", e)
    if not args.no_write:
        write_rate(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between polls")
    parser.add_argument("--max-seconds", type=float, default=180.0)
    parser.add_argument("--max-queue", type=int, default=20, help="FRESHROUTE_MAX_QUEUE")
    parser.add_argument(
        "--max-jobs-per-county",
        type=int,
        default=20,
        help="FRESHROUTE_MAX_JOBS_PER_COUNTY (every client uses one county's key)",
    )
    parser.add_argument(
        "--ramp-up", type=float, default=2.0, help="seconds over which clients start (0: at once)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--rate", type=float, help="open loop: requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="open loop: seconds")
    parser.add_argument(
        "--submit-share", type=float, default=0.2, help="open loop: share of submissions"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--connections", type=int, default=64, help="open loop: connections")
    args = parser.parse_args()
    if args.rate:
        main_rate(args)
        return

    with tempfile.TemporaryDirectory(prefix="freshroute-load-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'load.db'}"
        key = create_key("load-test", db_url)
        server = Server(
            db_url,
            workers=args.workers,
            log=Path(tmp) / "server.log",
            env={
                "FRESHROUTE_MAX_QUEUE": str(args.max_queue),
                "FRESHROUTE_MAX_JOBS_PER_COUNTY": str(args.max_jobs_per_county),
            },
        )
        load_before = os.getloadavg()[0]
        with server:
            meter = CpuMeter(server)
            stats, elapsed = asyncio.run(run_clients(args, server.url, key))
            meter.stop()
        db = audit(db_url, stats)
    row = report(args, stats, elapsed, db)
    row["load_avg_before"] = round(load_before, 2)
    row["cores_busy"] = meter.result["cores_busy"]
    row["cores_used_by_others"] = round(
        max(0.0, meter.result["cores_busy"] - meter.result["cores_ours"]), 2
    )
    for k, v in row.items():
        print(f"{k:>26}: {v}")
    for e in stats.errors[:10]:
        print("error:", e)
    if not args.no_write:
        command = "python benchmarks/api_load.py " + " ".join(sys.argv[1:])
        write(row, stats, command.strip())


if __name__ == "__main__":
    main()
