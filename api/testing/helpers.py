"""Helpers shared by the API tests and the load benchmark (no pytest imports here)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.core.config import Settings
from api.main import create_app
from scenarios.generate import generate_county

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette suggests httpx2; httpx is what we have
    from starlette.testclient import TestClient

FINAL = ("done", "failed", "cancelled")


def small_batch(seed: int = 1, time_limit_s: float = 1.0, villages: int = 8) -> dict[str, Any]:
    """A small generated county as JSON: quick to solve, no baseline."""
    batch = generate_county(villages, seed)
    batch.options.time_limit_s = time_limit_s
    batch.options.baseline = False
    return batch.model_dump(mode="json", by_alias=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run ``python -m api.cli ARGS`` and return its stdout (raises on failure)."""
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"api.cli {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def create_key(county: str, database_url: str) -> str:
    """A new API key from the CLI (its last line of output)."""
    out = cli("apikey", "create", "--county", county, env={"FRESHROUTE_DATABASE_URL": database_url})
    return out.strip().splitlines()[-1]


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


def pid_alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


class Server:
    """``python -m api.cli serve`` in a subprocess on a free loopback port."""

    def __init__(
        self,
        database_url: str,
        *,
        workers: int = 1,
        log: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Server:
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "api.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-access-log",
            ],
            env={**os.environ, "FRESHROUTE_DATABASE_URL": self.database_url, **self.env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        probe = f"{self.url}/readyz" if self.workers else f"{self.url}/healthz"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(probe, timeout=2).status_code == 200:
                    return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError("server did not become ready")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_job(
    get: Any, job_id: str, headers: dict[str, str], states: tuple[str, ...] = FINAL, timeout=60.0
) -> dict[str, Any]:
    """Poll ``GET /v1/jobs/{id}`` with ``get`` (a client's get) until the job is in ``states``."""
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = get(f"/v1/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job = response.json()
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} still {job.get('state')} after {timeout} s")


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh, empty database on the server of ``admin_url``, dropped afterwards."""
    name = f"fr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Api:
    """An app with its lifespan running, a TestClient and shortcuts."""

    def __init__(self, settings: Settings, **client: Any) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.client = TestClient(self.app, **client)

    def __enter__(self) -> Api:
        self.client.__enter__()
        self.open = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if getattr(self, "open", False):
            self.open = False
            self.client.__exit__(*exc)

    @property
    def store(self) -> Any:
        return self.app.state.store

    def headers(self, county: str = "A") -> dict[str, str]:
        return {"X-API-Key": self.store.create_api_key(county)}

    def wait(
        self, job_id: str, headers: dict[str, str], states: tuple[str, ...] = FINAL, timeout=60.0
    ) -> dict[str, Any]:
        return wait_for_job(self.client.get, job_id, headers, states, timeout)


ApiFactory = Callable[..., Api]
