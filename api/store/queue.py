"""The job queue: submitting (group commit, queue bound, fair share), claiming (round
robin across counties), releasing, and recovery after a restart.

The database is the queue: a job is ``queued`` until a worker slot claims it with a
conditional ``UPDATE ... WHERE state = 'queued'``, so a job runs once even if claims race.
Submissions are group-committed under the write lock, which also makes the queue bound
exact within a process.
"""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import BatchRow, JobRow, utcnow
from api.store.base import (
    BATCH,
    FAILED,
    INTERRUPTED,
    MAX_ATTEMPTS,
    QUEUED,
    RUNNING,
    Claim,
    IdempotencyConflict,
    Job,
    QueueFull,
    Submitted,
    _text,
    error_text,
)
from api.store.keys import IdempotencyKeys


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
    lang: str = "en"
    outcome: Submitted | Exception | None = None


class Queue(IdempotencyKeys):
    """Submitting and dispatching jobs (idempotency keys are checked as jobs are stored)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._pending_lock = threading.Lock()
        self._pending: list[_Pending] = []  # submissions waiting for the group commit

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
        lang: str = "en",
    ) -> Submitted:
        """Store a request and its queued job of ``kind`` durably (or replay a keyed one);
        ``lang``: the language its errors will be written in.

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
            lang,
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
                lang=item.lang,
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
                .values(
                    state=FAILED, error=error_text(INTERRUPTED), finished_at=now, updated_at=now
                )
            ).rowcount
            requeued = s.execute(
                update(JobRow)
                .where(JobRow.state == RUNNING)
                .values(state=QUEUED, started_at=None, phase=None, updated_at=now)
            ).rowcount
        return requeued, failed
