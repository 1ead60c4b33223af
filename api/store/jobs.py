"""Jobs and their results: reading (always within a county), cancelling, and what a
worker records while and after it runs a job (progress, done with its result, failed).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlalchemy import func, select, update

from api.models import BatchRow, JobRow, PlanRow, SitingResultRow, utcnow
from api.store.base import (
    ACTIVE,
    BATCH,
    CANCELLED,
    DONE,
    FAILED,
    REPLAN,
    RUNNING,
    STATES,
    Job,
    StoreBase,
    _storable,
    _text,
    error_text,
)


class Jobs(StoreBase):
    """Reading, cancelling and finishing jobs."""

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
        """(plan JSON, batch JSON) of a plan of this county: the plan lists its re-plans
        (``replans``), oldest first; the batch is the one it plans (None if gone)."""
        if not _storable(plan_id):
            return None
        with self.sessions() as s:
            row = s.execute(
                select(PlanRow.body, func.coalesce(PlanRow.batch, BatchRow.body))
                .join(JobRow, JobRow.id == PlanRow.job_id)
                .outerjoin(BatchRow, BatchRow.id == JobRow.batch_id)
                .where(PlanRow.id == plan_id, PlanRow.county_id == county_id)
            ).first()
            if row is None:
                return None
            replans = s.scalars(
                select(PlanRow.id)
                .where(PlanRow.replanned_from == plan_id, PlanRow.county_id == county_id)
                .order_by(PlanRow.created_at, PlanRow.id)
            ).all()
        return {**row[0], "replans": list(replans)}, row[1]

    def get_changes(self, county_id: int, plan_id: str) -> tuple[Any, Any] | None:
        """(changes JSON or None for a solve, plan JSON) of a plan of this county."""
        if not _storable(plan_id):
            return None
        with self.sessions() as s:
            row = s.execute(
                select(PlanRow.changes, PlanRow.body).where(
                    PlanRow.id == plan_id, PlanRow.county_id == county_id
                )
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
            kind = kind or BATCH
            if kind == REPLAN:  # the plan, the day's batch and what changed
                plan = result["plan"]
                s.add(
                    PlanRow(
                        id=result_id,
                        job_id=job_id,
                        county_id=county_id,
                        body=plan,
                        replanned_from=plan.get("replanned_from"),
                        batch=result["batch"],
                        changes=result["changes"],
                    )
                )
            else:
                table = PlanRow if kind == BATCH else SitingResultRow
                s.add(table(id=result_id, job_id=job_id, county_id=county_id, body=result))
        return result_id

    def fail(self, job_id: str, reason: str) -> bool:
        """Mark a running job failed; a ``Said`` reason is written in the job's language."""
        return self._update_running(
            job_id, state=FAILED, error=error_text(reason), finished_at=utcnow()
        )
