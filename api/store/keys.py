"""Idempotency keys: one namespace per county, shared by every kind of job.

A key names the job of its first submission; the same key with another body is a
conflict; a key whose job failed is free again (a failed job made nothing to fetch).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import BatchRow, JobRow
from api.store.base import FAILED, IdempotencyConflict, Job, StoreBase


class IdempotencyKeys(StoreBase):
    """Lookups of a county's idempotency keys."""

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
