"""The hostile and odd cases of issue 17, sent to a real service, their answers recorded.

Starts ``freshroute serve`` (uvicorn, ``api.testing.helpers.Server``) on loopback with a
fresh SQLite database, and again on a fresh PostgreSQL database when
``FRESHROUTE_TEST_POSTGRES_URL`` is set (run it under ``api/testing/postgres.sh``). Each case
is sent as the issue describes it and the service's answer is recorded: status codes, the
job's end state, headers, the API process's time and peak memory. The "before" column is
quoted from issue 17 (measured on the code of that time); the "after" column is this run.

    api/testing/postgres.sh .venv/bin/python benchmarks/api_hostile.py

Writes benchmarks/results/api_hostile.md. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.testing.fixtures import POSTGRES_ENV  # noqa: E402
from api.testing.helpers import Server, create_key, postgres_database, small_batch  # noqa: E402
from benchmarks.memory import peak_rss_mib  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FINAL = ("done", "failed", "cancelled")
JSON = {"Content-Type": "application/json"}
NO_VEHICLES = {  # issue 17, case 1, verbatim
    "fleet": [{"capacity_kg": 1000, "capacity_m3": 5, "count": 0, "id": "0"}],
    "sites": [{"id": "0", "kind": "hub", "lat": 0, "lon": 0}],
}


@dataclass
class Case:
    """One row of the table: what was sent, the issue's answer, and this run's."""

    number: str
    case: str
    before: str
    after: str = ""


class Client:
    """One county's client of the service under test."""

    def __init__(self, server: Server, key: str) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=120)

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response | str:
        """The response, or what went wrong on the connection (a dropped connection)."""
        try:
            return self.http.request(method, path, **kw)
        except httpx.HTTPError as e:
            return f"connection error ({type(e).__name__})"

    def wait(self, job_id: str, states: tuple[str, ...] = FINAL, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self.http.get(f"/v1/jobs/{job_id}").json()
            if job["state"] in states:
                return job
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} still {job.get('state')}")


def status(r: httpx.Response | str) -> str:
    return r if isinstance(r, str) else str(r.status_code)


def first_path(r: httpx.Response | str) -> str:
    """``422 at `path``` for an input problem, else the status."""
    if isinstance(r, str) or r.status_code != 422:
        return status(r)
    errors = r.json().get("errors") or [{}]
    path = errors[0].get("path", "?")
    return f"422 at `{path}`" if path else "422 (the body)"


def batch(**changes: Any) -> dict[str, Any]:
    body = small_batch(seed=3, time_limit_s=1)
    body.update(changes)
    return body


# -- the cases -----------------------------------------------------------------------------
def zero_vehicles(c: Client) -> str:
    r = c.request("POST", "/v1/batches", json=NO_VEHICLES)
    answer = status(r)
    if not isinstance(r, str) and r.status_code == 202:
        job = c.wait(r.json()["job_id"])
        answer += f", job {job['state']}" + (f" ({job['error']})" if job.get("error") else "")
        if job["state"] == "done":
            plan = c.http.get(f"/v1/plans/{job['plan_id']}").json()
            answer += f", {len(plan['routes'])} routes"
    with_orders = batch()
    for vt in with_orders["fleet"]:
        vt["count"] = vt["min_used"] = 0
    return (
        f"{answer}; with orders: {first_path(c.request('POST', '/v1/batches', json=with_orders))}"
    )


NUL = [
    ("GET", "/v1/jobs/ab%00cd"),
    ("GET", "/v1/plans/ab%00cd"),
    ("GET", "/v1/siting/results/ab%00cd"),
    ("DELETE", "/v1/jobs/ab%00cd"),
    ("GET", "/v1/plans/ab%00cd/map"),
]


def nul_ids(c: Client) -> str:
    answers = [
        f"{m} {p.split('/')[2]}{'/map' if p.endswith('map') else ''}: {status(c.request(m, p))}"
        for m, p in NUL
    ]
    return "; ".join(answers)


def bad_numbers(c: Client) -> str:
    seed = batch()
    seed["options"]["seed"] = 18446744073709551616
    cost = batch()
    cost["fleet"][0]["cost_per_km"] = 1e300
    return (
        f"seed 2^64: {first_path(c.request('POST', '/v1/batches', json=seed))}; "
        f"cost_per_km 1e300: {first_path(c.request('POST', '/v1/batches', json=cost))}"
    )


def with_sites(n: int) -> bytes:
    """A body of ``n`` sites (the hub and stations 100 m apart), no orders."""
    body = batch()
    body["sites"] = [body["sites"][0]] + [
        {"id": f"S{i}", "kind": "station", "lat": 30 + i % 100 * 1e-3, "lon": 104 + i // 100 * 1e-3}
        for i in range(n - 1)
    ]
    body["orders"] = []
    return json.dumps(body).encode()


def validate_sites(c: Client, n: int) -> str:
    """``/validate`` of ``n`` sites: its answer, time, and how much the API process's peak
    memory grew (the matrix belongs in a check process, never in the API process)."""
    raw = with_sites(n)
    assert c.server.process is not None
    pid = c.server.process.pid
    peak = peak_rss_mib(pid)
    t = time.perf_counter()
    r = c.request("POST", "/v1/batches/validate", content=raw, headers=JSON)
    seconds = time.perf_counter() - t
    grown = peak_rss_mib(pid) - peak
    answer = status(r)
    if not isinstance(r, str) and r.status_code == 200:
        report = r.json()
        answer += f" (`valid: {str(report['valid']).lower()}`"
        answer += f", at `{report['errors'][0]['path']}`)" if report["errors"] else ")"
    return (
        f"/validate, {n:,} sites ({len(raw) / 1000:.0f} kB): {answer} in {seconds:.2f} s, "
        f"API process peak memory +{grown:.0f} MB"
    )


def many_sites(c: Client) -> str:
    submit = c.request("POST", "/v1/batches", content=with_sites(6000), headers=JSON)
    return (
        f"{validate_sites(c, 6000)}; /batches: {first_path(submit)}; at the limit: "
        f"{validate_sites(c, 2000)}"
    )


def one_county_fills_the_queue(server: Server, db_url: str) -> str:
    busy = Client(server, create_key("busy", db_url))
    other = Client(server, create_key("other", db_url))
    seen: Counter[str] = Counter()
    for i in range(20):
        r = busy.request("POST", "/v1/batches", json=batch(name=f"busy {i}"))
        seen[status(r)] += 1
    retry = ""
    r = busy.request("POST", "/v1/batches", json=batch(name="busy 20"))
    if not isinstance(r, str) and r.status_code == 429:
        retry = f" (Retry-After {r.headers.get('Retry-After')})"
    theirs = status(other.request("POST", "/v1/batches", json=batch(name="other")))
    mine = ", ".join(f"{n}× {s}" for s, n in sorted(seen.items()))
    return f"20 from one county: {mine}{retry}; the other county's next: {theirs}"


def readiness_on_cancel(c: Client) -> str:
    jobs = []
    for i in range(2):
        r = c.request("POST", "/v1/batches", json=small_batch(seed=10 + i, time_limit_s=30))
        assert not isinstance(r, str) and r.status_code == 202, status(r)
        jobs.append(r.json()["job_id"])
    for job in jobs:
        c.wait(job, ("running",), timeout=60)
    for job in jobs:
        c.request("DELETE", f"/v1/jobs/{job}")
    seen: Counter[int] = Counter()
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        seen[c.http.get("/readyz").status_code] += 1
        time.sleep(0.02)
    polls = sum(seen.values())
    return "after cancelling 2 running solves, /readyz over 2 s: " + ", ".join(
        f"{code} in {n}/{polls} polls" for code, n in sorted(seen.items())
    )


def spec_gaps(c: Client) -> str:
    spec = c.http.get("/openapi.json").json()
    root = {"$ref": "#/components/schemas/Batch", "components": spec["components"]}
    allows = Draft202012Validator(root).is_valid(batch(travel={}))
    travel = c.request("POST", "/v1/batches", json=batch(travel={}))
    empty = c.request("POST", "/v1/batches/validate", content=b"", headers=JSON)
    map_404 = c.request("GET", "/v1/plans/nope/map")
    documented = spec["paths"]["/v1/plans/{plan_id}/map"]["get"]["responses"]["404"]["content"]
    put = c.request("PUT", "/v1/jobs/x")
    with_nan = batch()
    with_nan["orders"][0]["kg"] = "NAN"
    nan = json.dumps(with_nan).replace('"NAN"', "NaN")
    nan_r = c.request("POST", "/v1/batches", content=nan.encode(), headers=JSON)
    untyped = c.request(
        "POST", "/v1/batches", content=json.dumps(batch()).encode(), headers={"Content-Type": ""}
    )
    ctype = "" if isinstance(map_404, str) else map_404.headers.get("content-type", "")
    allow = "" if isinstance(put, str) else put.headers.get("allow", "")
    nan_path = "" if isinstance(nan_r, str) else nan_r.json()["errors"][0]["path"]
    return (
        f"`travel: {{}}`: OpenAPI {'allows' if allows else 'refuses'} it, server "
        f"{status(travel)}; /validate without body: {first_path(empty)}; "
        f"map 404: {status(map_404)} `{ctype}` (documented: {', '.join(documented)}); "
        f"PUT /v1/jobs/x: {status(put)}, `Allow: {allow}`; NaN in `orders[0].kg`: "
        f"{status(nan_r)} at `{nan_path}`; no Content-Type: {status(untyped)}"
    )


def failed_key_is_free(tmp: Path, db_url: str) -> str:
    """A job interrupted twice by a crash of the service (SIGKILL while it runs) fails;
    the same Idempotency-Key and body then start a new job."""
    key = create_key("crash", db_url)
    body = small_batch(seed=21, time_limit_s=30)
    headers = {"Idempotency-Key": "crash-1"}
    job_id = ""
    for _ in range(2):
        server = Server(db_url, workers=1, log=tmp / "crash.log").start()
        c = Client(server, key)
        if not job_id:
            job_id = c.http.post("/v1/batches", json=body, headers=headers).json()["job_id"]
        c.wait(job_id, ("running",), timeout=60)
        server.kill()
    with Server(db_url, workers=0, log=tmp / "crash.log") as server:
        c = Client(server, key)
        job = c.http.get(f"/v1/jobs/{job_id}").json()
        r = c.request("POST", "/v1/batches", json=body, headers=headers)
        assert not isinstance(r, str)
        again = r.json()
    new = again.get("job_id") != job_id
    return (
        f"job after 2 crashes: {job['state']} ({job.get('error')}); same key and body: "
        f"{r.status_code}, {'a new job' if new else 'the failed job'} "
        f"(`replayed: {str(again.get('replayed')).lower()}`, {again.get('state')})"
    )


CASES: list[tuple[str, str, str]] = [
    (
        "1",
        "Zero-vehicle batch (issue's body: `count: 0`, no orders)",
        "202, then job failed: worker process died (exit code -11); CLI segfault (139)",
    ),
    (
        "2",
        "NUL byte in an id (`ab%00cd`), PostgreSQL",
        "GET jobs, plans, siting results: 500 (`psycopg.DataError`); DELETE job and GET plan "
        "map: connection dropped (SQLite: 404)",
    ),
    (
        "3",
        "`options.seed = 2^64`, `cost_per_km = 1e300`",
        "202, then the job failed (TypeError in the RNG; OverflowError)",
    ),
    (
        "4",
        "6,000 sites in one body (393 kB); 2,000 (the limit, `FRESHROUTE_MAX_SITES`)",
        "3.7 s and 1.9 GB in the API process (no limit on sites then)",
    ),
    ("5", "One county queues 20 jobs", "every other county's next submission: 429"),
    ("6", "Cancel two running solves, poll `/readyz`", "503 for about 0.5 s"),
    (
        "7",
        "Spec gaps (schemathesis)",
        "`travel: {}` allowed by OpenAPI, 422 from the server; `/validate` without body 200; map "
        "routes document only text/html but answer JSON errors; 405 sends `Allow: GET`; NaN "
        'errors at path `""`; a body without Content-Type accepted',
    ),
    (
        "8",
        "Idempotency-Key of a job failed by two interruptions",
        "the key kept returning the failed job",
    ),
]


@contextmanager
def fresh_database(name: str, tmp: Path, label: str) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a database on the test PostgreSQL."""
    if name == "SQLite":
        yield f"sqlite:///{tmp / f'{label}.db'}"
        return
    with postgres_database(os.environ[POSTGRES_ENV]) as url:
        yield url


def run_on(name: str, tmp: Path) -> dict[str, str]:
    """Every case against one backend, on fresh databases: case number → answer."""
    with fresh_database(name, tmp, "hostile") as db_url:
        out = _cases(name, db_url, tmp)
    with fresh_database(name, tmp, "crash") as db_url:
        out["8"] = failed_key_is_free(tmp, db_url)
    print(f"[{name}] case 8: {out['8']}", flush=True)
    return out


def _cases(name: str, db_url: str, tmp: Path) -> dict[str, str]:
    """Every case against one database: case number → answer."""
    key = create_key("hostile", db_url)
    out: dict[str, str] = {}
    with Server(db_url, workers=2, log=tmp / f"{name}.log") as server:
        c = Client(server, key)
        steps: list[tuple[str, Callable[[], str]]] = [
            ("2", lambda: nul_ids(c)),
            ("7", lambda: spec_gaps(c)),
            ("3", lambda: bad_numbers(c)),
            ("4", lambda: many_sites(c)),
            ("1", lambda: zero_vehicles(c)),
            ("6", lambda: readiness_on_cancel(c)),
            ("5", lambda: one_county_fills_the_queue(server, db_url)),
        ]
        for number, step in steps:
            print(f"[{name}] case {number} …", flush=True)
            out[number] = step()
            print(f"[{name}] case {number}: {out[number]}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    results: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="freshroute-hostile-") as name:
        tmp = Path(name)
        results["SQLite"] = run_on("SQLite", tmp)
        if os.environ.get(POSTGRES_ENV):
            results["PostgreSQL"] = run_on("PostgreSQL", tmp)
    if not args.no_write:
        write(results)


def write(results: dict[str, dict[str, str]]) -> None:
    backends = list(results)
    lines = [
        "# Hostile and odd input: before and after (issue 17)",
        "",
        "Command: `api/testing/postgres.sh .venv/bin/python benchmarks/api_hostile.py`  ",
        f"Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        "Each case of issue 17 sent to `freshroute serve` (uvicorn on loopback, 2 solver "
        "workers) on a fresh database. **Before** is quoted from the issue (the service "
        "then); **after** is this run's answer, recorded by `benchmarks/api_hostile.py`.",
        "",
        "| # | case | before (issue 17) | " + " | ".join(f"after, {b}" for b in backends) + " |",
        "|" + " --- |" * (3 + len(backends)),
    ]
    for number, case, before in CASES:
        after = " | ".join(results[b].get(number, "not run") for b in backends)
        lines.append(f"| {number} | {case} | {before} | {after} |")
    if "PostgreSQL" not in results:
        lines += ["", f"PostgreSQL not run: {POSTGRES_ENV} was not set."]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api_hostile.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
