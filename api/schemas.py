"""Response models. Request bodies are ``optimizer.model.Batch``, the one batch schema,
and the siting requests of ``api.siting`` (built from ``optimizer.siting``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.siting import SitingResultBody
from api.store import Job
from optimizer.reasons import ReasonCode

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
JobKind = Literal["batch", "replan", "siting.optimize", "siting.evaluate", "siting.compare"]


class PathError(BaseModel):
    path: str = Field(description="JSON path of the bad field, e.g. 'orders[3].kg'.")
    reason: str


class Refusal(PathError):
    """The batch cannot be planned as given, whichever orders are left out."""

    code: ReasonCode = Field(description="no_vehicles, min_used_unmet or single_visit_unsupported.")


class InfeasibleOrder(BaseModel):
    path: str = Field(description="JSON path of the order, e.g. 'orders[3]'.")
    order: str = Field(description="The order id.")
    reason: str
    code: ReasonCode | None = Field(
        default=None,
        description="Reason code, the plan's reason_code for the order (e.g. too_heavy).",
    )


class FieldProblem(BaseModel):
    """One bad field of a request, by its JSON path."""

    path: str = Field(description="JSON path of the bad field, e.g. 'orders[3].kg'; '' the body.")
    reason: str
    code: ReasonCode | None = Field(
        default=None, description="For a batch that cannot be planned: the reason code."
    )
    order: str | None = Field(default=None, description="The order id, when about one order.")


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type: str = Field(
        default="about:blank",
        description="about:blank, or urn:freshroute:problem:<name> (see api/README.md).",
    )
    title: str = Field(description="Short summary of the type (the HTTP status phrase).")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Input errors (422): each bad field with its JSON path."
    )


class JobLinks(BaseModel):
    self: str
    plan: str | None = Field(default=None, description="A done batch or replan job's plan.")
    result: str | None = Field(default=None, description="A done siting job's result.")


class JobOut(BaseModel):
    id: str
    batch_id: str = Field(description="The stored request: a batch, or a siting request.")
    kind: JobKind = Field(
        description="batch: a solve; replan: a re-plan of a plan; siting.*: a siting run."
    )
    state: JobState
    phase: str | None = Field(
        default=None,
        description="Phase while running, e.g. 'pairing' or 'scenario 2/3: east'.",
    )
    best_cost: float | None = Field(
        default=None,
        description=(
            "Batch jobs: running, the best cost (CNY) found so far in the phase; done, the "
            "plan's total cost. Siting jobs: none."
        ),
    )
    error: str | None = Field(
        default=None,
        description="Why the job failed, in the language it was submitted in (the "
        "Accept-Language of its POST: Chinese for zh, else English).",
    )
    attempts: int = Field(description="Solves started (a job cut off by a restart runs again).")
    time_limit_s: float = Field(
        description="The request's limit, capped by the service (siting simulations: the sum "
        "of days × time_limit_s)."
    )
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime
    plan_id: str | None = None
    result_id: str | None = Field(default=None, description="A done siting job's result.")
    links: JobLinks

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            batch_id=job.batch_id,
            kind=job.kind,  # type: ignore[arg-type]
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
            result_id=job.result_id,
            links=JobLinks(
                self=f"/v1/jobs/{job.id}",
                plan=f"/v1/plans/{job.plan_id}" if job.plan_id else None,
                result=f"/v1/siting/results/{job.result_id}" if job.result_id else None,
            ),
        )


class Accepted(BaseModel):
    """A request stored and its job queued."""

    job_id: str
    batch_id: str
    kind: JobKind
    state: JobState
    replayed: bool = Field(
        description="True when an earlier request with the same Idempotency-Key made the job."
    )
    links: JobLinks


class ValidationReport(BaseModel):
    valid: bool
    errors: list[Refusal | PathError] = Field(
        description="Schema errors, service limits, and what makes the batch unplannable."
    )
    infeasible: list[InfeasibleOrder] = Field(
        description="Orders no vehicle could serve even on a trip of their own: the plan "
        "leaves them out, with these reasons, and plans the rest."
    )
    warnings: list[PathError] = Field(
        default_factory=list,
        description="What the road network dropped or guessed (lines left out, road classes "
        "with no speed, sites far from a road): the batch is valid, its travel times may "
        "not be what was meant.",
    )


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    ready: bool
    database: bool
    workers: int
    workers_alive: int = Field(description="Worker processes up and warm now.")
    workers_serving: int = Field(
        description="Worker slots that can take work: warm, or replacing a process that was."
    )


class GeoJSON(BaseModel):
    """A FeatureCollection: sites as points, routes as lines (``optimizer.geojson``)."""

    type: Literal["FeatureCollection"]
    features: list[dict]


class SitingLinks(BaseModel):
    self: str
    job: str
    geojson: str
    csv: str
    markdown: str
    map: str = Field(description="The scenarios on an offline map (HTML).")


class SitingResultOut(SitingResultBody):
    """A siting job's result; ``?format=geojson|csv|markdown`` for the other forms."""

    id: str
    job_id: str
    links: SitingLinks

    @staticmethod
    def links_for(result_id: str, job_id: str) -> SitingLinks:
        base = f"/v1/siting/results/{result_id}"
        return SitingLinks(
            self=base,
            job=f"/v1/jobs/{job_id}",
            geojson=f"{base}?format=geojson",
            csv=f"{base}?format=csv",
            markdown=f"{base}?format=markdown",
            map=f"{base}/map",
        )
