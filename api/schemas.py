"""Response models. Request bodies are ``optimizer.model.Batch``, the one batch schema."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.store import Job

JobState = Literal["queued", "running", "done", "failed", "cancelled"]


class PathError(BaseModel):
    path: str = Field(description="JSON path of the bad field, e.g. 'orders[3].kg'.")
    reason: str


class InfeasibleOrder(BaseModel):
    path: str = Field(description="JSON path of the order, e.g. 'orders[3]'.")
    order: str = Field(description="The order id.")
    reason: str


class Problems(BaseModel):
    """A 422: each problem with the JSON path it is about."""

    detail: list[InfeasibleOrder | PathError]


class Message(BaseModel):
    detail: str


class JobLinks(BaseModel):
    self: str
    plan: str | None = None


class JobOut(BaseModel):
    id: str
    batch_id: str
    state: JobState
    phase: str | None = Field(
        default=None, description="Solver phase while running, e.g. 'pairing'."
    )
    best_cost: float | None = Field(
        default=None,
        description="Running: best cost (CNY) found so far in the phase; done: plan total cost.",
    )
    error: str | None = Field(default=None, description="Why the job failed.")
    attempts: int = Field(description="Solves started (a job cut off by a restart runs again).")
    time_limit_s: float = Field(description="The batch's limit, capped by the service.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime
    plan_id: str | None = None
    links: JobLinks

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            batch_id=job.batch_id,
            state=job.state,  # type: ignore[arg-type]
            phase=job.phase,
            best_cost=job.best_cost,
            error=job.error,
            attempts=job.attempts,
            time_limit_s=job.time_limit_s,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            updated_at=job.updated_at,
            plan_id=job.plan_id,
            links=JobLinks(
                self=f"/v1/jobs/{job.id}",
                plan=f"/v1/plans/{job.plan_id}" if job.plan_id else None,
            ),
        )


class Accepted(BaseModel):
    """A batch stored and queued for solving."""

    job_id: str
    batch_id: str
    state: JobState
    replayed: bool = Field(
        description="True when an earlier request with the same Idempotency-Key made the job."
    )
    links: JobLinks


class ValidationReport(BaseModel):
    valid: bool
    errors: list[PathError] = Field(description="Schema errors and service limits.")
    infeasible: list[InfeasibleOrder] = Field(
        description="Orders no vehicle could serve even on a trip of their own."
    )


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    database: bool
    workers: int
    workers_alive: int


class GeoJSON(BaseModel):
    """A FeatureCollection: sites as points, routes as lines (``optimizer.geojson``)."""

    type: Literal["FeatureCollection"]
    features: list[dict]
