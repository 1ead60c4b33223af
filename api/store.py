"""Storage of counties, keys, requests, jobs and results: every query the service makes.

A job is a batch solve (its result is a plan) or a siting run (its result is a siting
result); both share the queue, the limits and the idempotency keys of their county.

The database is the job queue: a job is ``queued`` until a worker slot claims it with a
conditional ``UPDATE ... WHERE state = 'queued'``, so a job runs once even if claims race.
Every read takes the county, and a row of another county is simply not found.

SQLite allows one writer at a time, so writes in this process are serialised by a lock
(readers never wait in WAL mode); submissions are group-committed under the same lock,
which also makes the queue bound exact within a process. One service process per
database is assumed: at startup, jobs left ``running`` belong to a process that is gone.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.db import ApiKey, BatchRow, County, JobRow, PlanRow, SitingResultRow, is_sqlite, utcnow
from api.security import hash_key, new_key

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ACTIVE = (QUEUED, RUNNING)
MAX_ATTEMPTS = 2  # a job interrupted by a restart is run once more, then failed
INTERRUPTED = "interrupted by a restart"
BATCH = "batch"  # the job kind of a batch solve; siting kinds start with "siting."


def _text(value: str) -> str:
    """Text for a column: PostgreSQL text cannot hold NUL (JSON columns escape it)."""
    return value.replace("\x00", "")


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


@dataclass
class _Pending:
    """A submission waiting for the group commit; ``outcome`` is set once it is decided."""

    county_id: int
    body: Any
    body_sha256: str
    name: str
    n_orders: int
    time_limit_s: float
    max_queue: int
    idempotency_key: str | None
    kind: str = BATCH
    max_per_county: int | None = None
    outcome: Submitted | Exception | None = None


@dataclass(frozen=True)
class Claim:
    """A job a worker slot took from the queue."""

    job_id: str
    body: Any
    time_limit_s: float
    attempts: int
    kind: str = BATCH


class Store:
    """All database access of the service, safe to call from many threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._sqlite = is_sqlite(str(engine.url))
        self._lock = threading.Lock()  # SQLite writes; also orders submissions (queue bound)
        self._pending_lock = threading.Lock()
        self._pending: list[_Pending] = []

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

    # -- counties and keys -------------------------------------------------------------
    def create_api_key(self, county: str) -> str:
        """A new key for ``county`` (created if new); only its hash is stored."""
        name = county.strip()
        if not name or len(name) > 200 or "\x00" in name:
            raise ValueError("a county name has 1 to 200 characters (no NUL)")
        key = new_key()
        with self._write(durable=True) as s:
            county_id = s.scalar(select(County.id).where(County.name == name))
            if county_id is None:
                row = County(name=name)
                s.add(row)
                s.flush()
                county_id = row.id
            s.add(ApiKey(county_id=county_id, key_hash=hash_key(key), prefix=key[:8]))
        return key

    def county_for_key(self, key: str) -> tuple[int, str] | None:
        """(county id, name) of a valid, unrevoked key."""
        return self.county_for_hash(hash_key(key))

    def county_for_hash(self, key_hash: str) -> tuple[int, str] | None:
        with self.sessions() as s:
            row = s.execute(
                select(County.id, County.name)
                .join(ApiKey, ApiKey.county_id == County.id)
                .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            ).first()
        return (row[0], row[1]) if row else None

    # -- submitting ----------------------------------------------------------------------
    def find_idempotent(self, county_id: int, key: str, body_sha256: str) -> Job | None:
        """The job of an earlier submission with this key; conflict if its body differs.

        A key whose job failed is free again: a failed job made nothing to fetch, so the
        next submission with the key (whatever its body) starts a new job, and the key
        names that one from then on. A cancelled job keeps its key (the client stopped it).
        """
        with self.sessions() as s:
            return self._find_idempotent(s, county_id, key, body_sha256)

    def key_used(self, county_id: int, key: str) -> bool:
        """Whether this county holds this idempotency key (for a job that did not fail)."""
        with self.sessions() as s:
            found = s.scalar(
                select(JobRow.state)
                .join(BatchRow, JobRow.batch_id == BatchRow.id)
                .where(BatchRow.county_id == county_id, BatchRow.idempotency_key == key)
            )
        return found is not None and found != FAILED

    def _find_idempotent(
        self, s: Session, county_id: int, key: str, body_sha256: str
    ) -> Job | None:
        row = s.execute(
            select(BatchRow.body_sha256, JobRow)
            .join(JobRow, JobRow.batch_id == BatchRow.id)
            .where(BatchRow.county_id == county_id, BatchRow.idempotency_key == key)
        ).first()
        if row is None or row[1].state == FAILED:
            return None
        if row[0] != body_sha256:
            raise IdempotencyConflict(key)
        return self._job(s, row[1])

    def submit(
        self,
        county_id: int,
        body: Any,
        *,
        body_sha256: str,
        name: str,
        n_orders: int,
        time_limit_s: float,
        max_queue: int,
        idempotency_key: str | None = None,
        kind: str = BATCH,
        max_per_county: int | None = None,
    ) -> Submitted:
        """Store a request and its queued job of ``kind`` durably (or replay a keyed one).

        ``QueueFull`` when ``max_queue`` jobs wait, or when the county has
        ``max_per_county`` jobs queued or running.

        Group commit: submissions that arrive while another commit holds the write lock
        wait, and the next holder stores all of them in one transaction and one fsync.
        A burst of submissions thus costs a few fsyncs instead of one each.
        """
        item = _Pending(
            county_id,
            body,
            body_sha256,
            _text(name),
            n_orders,
            time_limit_s,
            max_queue,
            idempotency_key,
            kind,
            max_per_county,
        )
        with self._pending_lock:
            self._pending.append(item)
        with self._lock:
            if item.outcome is None:  # nobody stored it yet: store everything waiting
                with self._pending_lock:
                    group, self._pending = self._pending, []
                self._commit_group(group)
        if isinstance(item.outcome, Exception):
            raise item.outcome
        assert item.outcome is not None
        return item.outcome

    def _commit_group(self, group: list[_Pending]) -> None:
        """Store a group in one transaction; on a key race, one at a time (caller locks)."""
        try:
            with self._transaction(durable=True) as s:
                outcomes = self._apply(s, group)
        except IntegrityError:
            if len(group) > 1:
                for item in group:
                    self._commit_group([item])
                return
            item = group[0]
            earlier = None
            if item.idempotency_key is not None:  # another process stored the same key
                try:
                    earlier = self.find_idempotent(
                        item.county_id, item.idempotency_key, item.body_sha256
                    )
                except IdempotencyConflict as e:
                    item.outcome = e
                    return
            item.outcome = (
                Submitted(earlier, replayed=True)
                if earlier
                else RuntimeError("could not store the batch")
            )
            return
        except Exception as e:
            for item in group:
                item.outcome = e
            raise
        for item, outcome in zip(group, outcomes, strict=True):
            item.outcome = outcome

    def _apply(self, s: Session, group: list[_Pending]) -> list[Submitted | Exception]:
        """Insert each submission in order: idempotency, then the queue bound."""
        depth = self._count(s, QUEUED)
        active: dict[int, int] = {}  # jobs queued or running per county, as counted here
        keyed: dict[tuple[int, str], tuple[str, Job]] = {}
        outcomes: list[Submitted | Exception] = []
        for item in group:
            key = item.idempotency_key
            if key is not None:
                prior = keyed.get((item.county_id, key))
                if prior is not None:  # the same key twice in this group
                    same = prior[0] == item.body_sha256
                    outcomes.append(Submitted(prior[1], True) if same else IdempotencyConflict(key))
                    continue
                try:
                    earlier = self._find_idempotent(s, item.county_id, key, item.body_sha256)
                except IdempotencyConflict as e:
                    outcomes.append(e)
                    continue
                if earlier is not None:
                    outcomes.append(Submitted(earlier, replayed=True))
                    continue
            if item.max_per_county is not None:
                if item.county_id not in active:
                    active[item.county_id] = self._active(s, item.county_id)
                mine = active[item.county_id]
                if mine >= item.max_per_county:
                    retry = self._retry_after(s, item.county_id)
                    outcomes.append(QueueFull(mine, retry, item.max_per_county))
                    continue
            if depth >= item.max_queue:
                outcomes.append(QueueFull(depth, self._retry_after(s)))
                continue
            if key is not None:  # a failed job's batch gives its key up to this one
                s.execute(
                    update(BatchRow)
                    .where(BatchRow.county_id == item.county_id, BatchRow.idempotency_key == key)
                    .values(idempotency_key=None)
                )
            now = utcnow()
            batch = BatchRow(
                id=str(uuid.uuid4()),
                county_id=item.county_id,
                idempotency_key=key,
                body_sha256=item.body_sha256,
                body=item.body,
                name=item.name,
                n_orders=item.n_orders,
                created_at=now,
            )
            job = JobRow(
                id=str(uuid.uuid4()),
                batch_id=batch.id,
                county_id=item.county_id,
                kind=item.kind,
                state=QUEUED,
                time_limit_s=item.time_limit_s,
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            s.add(batch)
            s.flush()
            s.add(job)
            s.flush()
            depth += 1
            if item.county_id in active:
                active[item.county_id] += 1
            submitted = Submitted(Job.of(job, None), replayed=False)
            if key is not None:
                keyed[(item.county_id, key)] = (item.body_sha256, submitted.job)
            outcomes.append(submitted)
        return outcomes

    def queue_depth(self) -> int:
        """Jobs waiting for a worker (no lock: for a cheap early 429)."""
        with self.sessions() as s:
            return self._count(s, QUEUED)

    def county_active(self, county_id: int) -> int:
        """The county's jobs queued or running (no lock: for a cheap early 429)."""
        with self.sessions() as s:
            return self._active(s, county_id)

    @staticmethod
    def _count(s: Session, state: str) -> int:
        return s.scalar(select(func.count()).select_from(JobRow).where(JobRow.state == state)) or 0

    @staticmethod
    def _active(s: Session, county_id: int) -> int:
        query = select(func.count()).select_from(JobRow)
        where = (JobRow.county_id == county_id, JobRow.state.in_((QUEUED, RUNNING)))
        return s.scalar(query.where(*where)) or 0

    def retry_after(self, county_id: int | None = None) -> int:
        with self.sessions() as s:
            return self._retry_after(s, county_id)

    @staticmethod
    def _retry_after(s: Session, county_id: int | None = None) -> int:
        """Seconds until the earliest running job (of the county, if given) should end,
        1 to 300; 5 when none runs."""
        query = select(JobRow.started_at, JobRow.time_limit_s).where(JobRow.state == RUNNING)
        if county_id is not None:
            query = query.where(JobRow.county_id == county_id)
        rows = s.execute(query).all()
        now = utcnow()
        ends = [(started - now).total_seconds() + limit for started, limit in rows if started]
        return int(min(300, max(1, math.ceil(min(ends, default=5)))))

    # -- reading -------------------------------------------------------------------------
    def _job(self, s: Session, row: JobRow) -> Job:
        plan_id = s.scalar(select(PlanRow.id).where(PlanRow.job_id == row.id))
        result_id = s.scalar(select(SitingResultRow.id).where(SitingResultRow.job_id == row.id))
        return Job.of(row, plan_id, result_id)

    def get_job(self, county_id: int, job_id: str) -> Job | None:
        if not _storable(job_id):
            return None
        with self.sessions() as s:
            row = s.execute(
                select(JobRow, PlanRow.id, SitingResultRow.id)
                .outerjoin(PlanRow, PlanRow.job_id == JobRow.id)
                .outerjoin(SitingResultRow, SitingResultRow.job_id == JobRow.id)
                .where(JobRow.id == job_id, JobRow.county_id == county_id)
            ).first()
            return Job.of(row[0], row[1], row[2]) if row else None

    def get_plan(self, county_id: int, plan_id: str) -> tuple[Any, Any] | None:
        """(plan JSON, batch JSON) of a plan of this county."""
        if not _storable(plan_id):
            return None
        with self.sessions() as s:
            row = s.execute(
                select(PlanRow.body, BatchRow.body)
                .join(JobRow, JobRow.id == PlanRow.job_id)
                .join(BatchRow, BatchRow.id == JobRow.batch_id)
                .where(PlanRow.id == plan_id, PlanRow.county_id == county_id)
            ).first()
        return (row[0], row[1]) if row else None

    def get_siting_result(self, county_id: int, result_id: str) -> tuple[Any, Any, str] | None:
        """(result JSON, request JSON, job id) of a siting result of this county."""
        if not _storable(result_id):
            return None
        with self.sessions() as s:
            row = s.execute(
                select(SitingResultRow.body, BatchRow.body, SitingResultRow.job_id)
                .join(JobRow, JobRow.id == SitingResultRow.job_id)
                .join(BatchRow, BatchRow.id == JobRow.batch_id)
                .where(SitingResultRow.id == result_id, SitingResultRow.county_id == county_id)
            ).first()
        return (row[0], row[1], row[2]) if row else None

    def job_state(self, job_id: str) -> str | None:
        with self.sessions() as s:
            return s.scalar(select(JobRow.state).where(JobRow.id == job_id))

    def counts_by_state(self) -> dict[str, int]:
        with self.sessions() as s:
            rows = s.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
        counts = dict.fromkeys(STATES, 0)
        counts.update({state: n for state, n in rows})
        return counts

    # -- cancelling ----------------------------------------------------------------------
    def cancel(self, county_id: int, job_id: str) -> tuple[Job, str] | None:
        """Cancel a queued or running job; returns (job, state it was in) or None.

        The update is conditional on the state just read, and retried if a worker
        claimed or finished the job in between (possible across processes).
        """
        if not _storable(job_id):
            return None
        query = select(JobRow).where(JobRow.id == job_id, JobRow.county_id == county_id)
        with self._write(durable=True) as s:
            for _ in range(5):
                row = s.scalar(query.execution_options(populate_existing=True))
                if row is None:
                    return None
                before = row.state
                if before not in ACTIVE:
                    break
                now = utcnow()
                changed = s.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state == before)
                    .values(state=CANCELLED, finished_at=now, updated_at=now)
                ).rowcount
                if changed == 1:
                    break
            row = s.scalar(query.execution_options(populate_existing=True))
            assert row is not None
            return self._job(s, row), before

    # -- workers -------------------------------------------------------------------------
    @staticmethod
    def _county_turns(s: Session) -> list[int]:
        """Counties with queued jobs, whose turn first: round robin. The county with the
        fewest running jobs goes first, then the one whose last job started longest ago
        (never: first), then the one waiting longest."""
        waiting = dict(
            s.execute(
                select(JobRow.county_id, func.min(JobRow.created_at))
                .where(JobRow.state == QUEUED)
                .group_by(JobRow.county_id)
            ).all()
        )
        if len(waiting) <= 1:
            return list(waiting)
        running = dict(
            s.execute(
                select(JobRow.county_id, func.count())
                .where(JobRow.state == RUNNING, JobRow.county_id.in_(waiting))
                .group_by(JobRow.county_id)
            ).all()
        )
        started = dict(
            s.execute(
                select(JobRow.county_id, func.max(JobRow.started_at))
                .where(JobRow.started_at.is_not(None), JobRow.county_id.in_(waiting))
                .group_by(JobRow.county_id)
            ).all()
        )

        def aware(moment: datetime | None) -> datetime:
            moment = moment or datetime.min
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

        def turn(county: int) -> tuple[int, datetime, datetime, int]:
            last = aware(started.get(county))
            return (running.get(county, 0), last, aware(waiting[county]), county)

        return sorted(waiting, key=turn)

    def claim_next(self) -> Claim | None:
        """Take the next queued job and mark it running: the oldest of the county whose
        turn it is (round robin across counties, ``_county_turns``)."""
        with self._write() as s:
            ids: list[str] = []
            for county in self._county_turns(s):
                ids += s.scalars(
                    select(JobRow.id)
                    .where(JobRow.state == QUEUED, JobRow.county_id == county)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(8)
                ).all()
                if len(ids) >= 8:
                    break
            now = utcnow()
            for job_id in ids:
                taken = s.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state == QUEUED)
                    .values(
                        state=RUNNING,
                        attempts=JobRow.attempts + 1,
                        started_at=now,
                        updated_at=now,
                        phase=None,
                        best_cost=None,
                        error=None,
                    )
                )
                if taken.rowcount == 1:
                    row = s.execute(
                        select(BatchRow.body, JobRow.time_limit_s, JobRow.attempts, JobRow.kind)
                        .join(JobRow, JobRow.batch_id == BatchRow.id)
                        .where(JobRow.id == job_id)
                    ).one()
                    return Claim(job_id, row[0], row[1], row[2], row[3] or BATCH)
        return None

    def _update_running(self, job_id: str, durable: bool = False, **values: Any) -> bool:
        values["updated_at"] = utcnow()
        with self._write(durable=durable) as s:
            result = s.execute(
                update(JobRow).where(JobRow.id == job_id, JobRow.state == RUNNING).values(**values)
            )
            return result.rowcount == 1

    def set_progress(self, job_id: str, phase: str, best_cost: float) -> bool:
        """Record the best cost so far; False when the job is no longer running."""
        cost = best_cost if math.isfinite(best_cost) else None
        return self._update_running(job_id, phase=_text(phase)[:64], best_cost=cost)

    def finish(self, job_id: str, result: Any, best_cost: float | None) -> str | None:
        """Store the result and mark the job done; the result's id (a plan's for a batch
        job, a siting result's for a siting job), or None if the job was cancelled."""
        now = utcnow()
        result_id = str(uuid.uuid4())
        with self._write(durable=True) as s:
            found = s.execute(
                select(JobRow.county_id, JobRow.kind).where(
                    JobRow.id == job_id, JobRow.state == RUNNING
                )
            ).first()
            if found is None:
                return None
            county_id, kind = found
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.state == RUNNING)
                .values(state=DONE, finished_at=now, updated_at=now, best_cost=best_cost)
            )
            if done.rowcount != 1:
                return None
            table = PlanRow if (kind or BATCH) == BATCH else SitingResultRow
            s.add(table(id=result_id, job_id=job_id, county_id=county_id, body=result))
        return result_id

    def fail(self, job_id: str, reason: str) -> bool:
        return self._update_running(job_id, state=FAILED, error=_text(reason), finished_at=utcnow())

    def release(self, job_id: str) -> bool:
        """Put a running job back in the queue without counting the attempt (shutdown)."""
        return self._update_running(
            job_id, state=QUEUED, attempts=JobRow.attempts - 1, started_at=None, phase=None
        )

    def recover(self) -> tuple[int, int]:
        """At startup: re-queue jobs left running (attempts < 2), fail the others."""
        now = utcnow()
        with self._write() as s:
            failed = s.execute(
                update(JobRow)
                .where(JobRow.state == RUNNING, JobRow.attempts >= MAX_ATTEMPTS)
                .values(state=FAILED, error=INTERRUPTED, finished_at=now, updated_at=now)
            ).rowcount
            requeued = s.execute(
                update(JobRow)
                .where(JobRow.state == RUNNING)
                .values(state=QUEUED, started_at=None, phase=None, updated_at=now)
            ).rowcount
        return requeued, failed
