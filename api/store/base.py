"""What every part of the store shares: job states, the records callers see, errors,
and the write transaction (serialised in-process on SQLite, fsynced when durable).

SQLite allows one writer at a time, so writes in this process are serialised by a lock
(readers never wait in WAL mode). One service process per database is assumed: at
startup, jobs left ``running`` belong to a process that is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.db import is_sqlite
from api.models import JobRow, PlanRow, SitingResultRow
from optimizer.errors import Said

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ACTIVE = (QUEUED, RUNNING)
MAX_ATTEMPTS = 2  # a job interrupted by a restart is run once more, then failed
INTERRUPTED = Said("job.interrupted")
BATCH = "batch"  # the job kind of a batch solve; siting kinds start with "siting."
REPLAN = "replan"  # a re-plan of a stored plan: its result is a plan too


def _text(value: str) -> str:
    """Text for a column: PostgreSQL text cannot hold NUL (JSON columns escape it)."""
    return value.replace("\x00", "")


def error_text(reason: str) -> Any:
    """A job's error for the ``error`` column, in the language the job was submitted in
    (``jobs.lang``): a ``Said`` reason in each language, chosen by the database."""
    if not isinstance(reason, Said):
        return _text(reason)
    zh = _text(reason.in_lang("zh-CN"))
    return case((JobRow.lang == "zh-CN", zh), else_=_text(reason.in_lang("en")))


def _storable(value: str) -> bool:
    """Whether a client's id or key could be in a column at all: PostgreSQL refuses NUL in
    a query parameter (``psycopg.DataError``), and nothing stored holds one, so a value
    with NUL is simply not found, on every backend alike."""
    return "\x00" not in value


class QueueFull(Exception):
    """The bounded queue is full (for every county, or for the submitting county when
    ``county_limit`` is set); try again after ``retry_after`` seconds."""

    def __init__(self, depth: int, retry_after: int, county_limit: int | None = None) -> None:
        self.depth = depth
        self.retry_after = retry_after
        self.county_limit = county_limit
        if county_limit is None:
            message = f"the queue is full ({depth} jobs waiting)"
        else:
            message = (
                f"this county has {depth} jobs queued or running, its limit "
                f"(FRESHROUTE_MAX_JOBS_PER_COUNTY is {county_limit})"
            )
        super().__init__(message)


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different body."""


@dataclass(frozen=True)
class Job:
    """A job as the API shows it (detached from any session)."""

    id: str
    batch_id: str
    kind: str
    state: str
    time_limit_s: float
    phase: str | None
    best_cost: float | None
    error: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime
    plan_id: str | None
    result_id: str | None = None

    @classmethod
    def of(cls, row: JobRow, plan_id: str | None, result_id: str | None = None) -> Job:
        return cls(
            id=row.id,
            batch_id=row.batch_id,
            kind=row.kind or BATCH,
            state=row.state,
            time_limit_s=row.time_limit_s,
            phase=row.phase,
            best_cost=row.best_cost,
            error=row.error,
            attempts=row.attempts,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            updated_at=row.updated_at,
            plan_id=plan_id,
            result_id=result_id,
        )


@dataclass(frozen=True)
class Submitted:
    job: Job
    replayed: bool  # True: an earlier submission with the same idempotency key


@dataclass(frozen=True)
class Claim:
    """A job a worker slot took from the queue."""

    job_id: str
    body: Any
    time_limit_s: float
    attempts: int
    kind: str = BATCH


class StoreBase:
    """The engine, sessions and write lock the parts of ``Store`` share."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite = is_sqlite(str(engine.url))
        self._lock = threading.Lock()  # SQLite writes; also orders submissions (queue bound)

    @contextmanager
    def _transaction(self, durable: bool = False) -> Iterator[Session]:
        """A write transaction (the caller serialises it on SQLite).

        On SQLite a ``durable`` commit is fsynced (``synchronous=FULL``): batches, keys,
        cancels and final states survive a power cut. Claims and progress only survive a
        crash of the process (``NORMAL``): losing them costs a re-run at most.
        """
        with self.sessions.begin() as session:
            if self._sqlite:  # before the first write, so outside SQLite's transaction
                level = "FULL" if durable else "NORMAL"
                session.connection().exec_driver_sql(f"PRAGMA synchronous={level}")
            yield session

    @contextmanager
    def _write(self, durable: bool = False) -> Iterator[Session]:
        """A write transaction, serialised in-process on SQLite (one writer at a time)."""
        with (
            self._lock if self._sqlite else nullcontext(),
            self._transaction(durable) as session,
        ):
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def _job(self, s: Session, row: JobRow) -> Job:
        plan_id = s.scalar(select(PlanRow.id).where(PlanRow.job_id == row.id))
        result_id = s.scalar(select(SitingResultRow.id).where(SitingResultRow.job_id == row.id))
        return Job.of(row, plan_id, result_id)
