"""Service settings, read once from ``FRESHROUTE_*`` environment variables.

Every limit the service enforces lives here so that tests can build an app with tighter
ones (``create_app(Settings(...))``) without touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///./freshroute.db"


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ValueError(f"{name}={value} is below the minimum {minimum}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (1/0, true/false)")


def _directory(name: str) -> Path | None:
    """An existing folder, resolved once (so a relative value means the starting folder)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"{name}={raw!r} is not a directory")
    return path


def _float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not value >= minimum:
        raise ValueError(f"{name}={value} is below the minimum {minimum}")
    return value


@dataclass(frozen=True)
class Settings:
    """Limits and wiring of one service instance (see README of ``api/``)."""

    database_url: str = DEFAULT_DATABASE_URL
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_queue: int = 100
    # Fair share: jobs one county may have queued or running at once.
    max_jobs_per_county: int = 10
    max_time_limit_s: float = 300.0
    # A solve is killed at hard_timeout_factor × its limit + kill_grace_s: a margin over
    # the limit (the README allows up to twice it with the baseline), then validation.
    hard_timeout_factor: float = 2.0
    kill_grace_s: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_orders: int = 5000
    max_vehicles: int = 1000
    # Work per request: the travel matrix has a row and a column per site.
    max_sites: int = 2000
    max_matrix_cells: int = 4_000_000
    max_body_depth: int = 32
    # Processes for pre-solve checks that build the matrix (never the API process).
    check_workers: int = 1
    progress_interval_s: float = 0.5
    # Threads for blocking work (database, batch checks). Few on purpose: the work holds
    # the GIL, and many threads make every request, the event loop's too, wait longer.
    threads: int = 8
    batch_threads: int = 2
    worker_nice: int = 10
    metrics_open_on_loopback: bool = True
    # The only folder road_network batches may read roads from; None: they are refused.
    roads_dir: Path | None = None

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``FRESHROUTE_*`` variables; keyword overrides win."""
        settings = cls(
            database_url=os.environ.get("FRESHROUTE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            workers=_int("FRESHROUTE_WORKERS", os.cpu_count() or 1),
            max_queue=_int("FRESHROUTE_MAX_QUEUE", 100, minimum=1),
            max_jobs_per_county=_int("FRESHROUTE_MAX_JOBS_PER_COUNTY", 10, minimum=1),
            max_time_limit_s=_float("FRESHROUTE_MAX_TIME_LIMIT", 300.0, minimum=0.1),
            kill_grace_s=_float("FRESHROUTE_KILL_GRACE_S", 30.0),
            max_body_bytes=_int("FRESHROUTE_MAX_BODY_BYTES", 10 * 1024 * 1024, minimum=1),
            max_orders=_int("FRESHROUTE_MAX_ORDERS", 5000, minimum=1),
            max_vehicles=_int("FRESHROUTE_MAX_VEHICLES", 1000, minimum=1),
            max_sites=_int("FRESHROUTE_MAX_SITES", 2000, minimum=1),
            max_matrix_cells=_int("FRESHROUTE_MAX_MATRIX_CELLS", 4_000_000, minimum=1),
            max_body_depth=_int("FRESHROUTE_MAX_BODY_DEPTH", 32, minimum=4),
            check_workers=_int("FRESHROUTE_CHECK_WORKERS", 1, minimum=1),
            progress_interval_s=_float("FRESHROUTE_PROGRESS_INTERVAL_S", 0.5),
            threads=_int("FRESHROUTE_THREADS", 8, minimum=2),
            batch_threads=_int("FRESHROUTE_BATCH_THREADS", 2, minimum=1),
            worker_nice=_int("FRESHROUTE_WORKER_NICE", 10),
            metrics_open_on_loopback=_bool("FRESHROUTE_METRICS_OPEN_ON_LOOPBACK", True),
            roads_dir=_directory("FRESHROUTE_ROADS_DIR"),
        )
        return replace(settings, **overrides) if overrides else settings  # type: ignore[arg-type]

    def time_limit(self, requested: float) -> float:
        """The seconds a job may solve: the batch's limit capped by the service's."""
        return min(requested, self.max_time_limit_s)

    def hard_timeout(self, limit: float) -> float:
        """Seconds after which a solve is killed whatever it is doing."""
        return self.hard_timeout_factor * limit + self.kill_grace_s
