"""Storage of counties, keys, requests, jobs and results: every query the service makes.

A job is a batch solve (its result is a plan) or a siting run (its result is a siting
result); both share the queue, the limits and the idempotency keys of their county.
Every read takes the county, and a row of another county is simply not found.

``Store`` is a thin facade over one class per concern, all on one engine and write lock
(``base``): ``tenants`` (counties, API keys), ``keys`` (idempotency keys), ``queue``
(submit, claim, release, recover) and ``jobs`` (read, cancel, progress, finish, fail).
"""

from __future__ import annotations

from api.store.base import (
    ACTIVE,
    BATCH,
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    MAX_ATTEMPTS,
    QUEUED,
    REPLAN,
    RUNNING,
    STATES,
    Claim,
    IdempotencyConflict,
    Job,
    QueueFull,
    Submitted,
)
from api.store.jobs import Jobs
from api.store.queue import Queue
from api.store.tenants import Tenants

__all__ = [
    "ACTIVE",
    "BATCH",
    "CANCELLED",
    "DONE",
    "FAILED",
    "INTERRUPTED",
    "MAX_ATTEMPTS",
    "QUEUED",
    "REPLAN",
    "RUNNING",
    "STATES",
    "Claim",
    "IdempotencyConflict",
    "Job",
    "QueueFull",
    "Store",
    "Submitted",
]


class Store(Tenants, Queue, Jobs):
    """All database access of the service, safe to call from many threads."""
