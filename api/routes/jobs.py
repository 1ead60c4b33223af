"""``GET /v1/jobs/{id}`` (state and progress) and ``DELETE /v1/jobs/{id}`` (cancel)."""

from __future__ import annotations

from fastapi import HTTPException
from fastapi.responses import JSONResponse

from api.deps import PoolDep, StoreDep, TenantDep
from api.routes.common import AUTH, NOT_FOUND, problem_doc, v1_router
from api.schemas import JobOut
from optimizer.errors import Said

router = v1_router("jobs")


@router.get("/jobs/{job_id}", response_model=JobOut, responses={**AUTH, **NOT_FOUND})
def get_job(job_id: str, tenant: TenantDep, store: StoreDep) -> JSONResponse:
    """State of a job: queued, running (with the best cost so far), done, failed, cancelled."""
    job = store.get_job(tenant.county_id, job_id)
    if job is None:
        raise HTTPException(404, Said("api.job_not_found"))
    return JSONResponse(JobOut.of(job).model_dump(mode="json"))


@router.delete(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**AUTH, **NOT_FOUND, 409: problem_doc("The job has already finished.")},
)
def cancel_job(job_id: str, tenant: TenantDep, store: StoreDep, pool: PoolDep) -> JobOut:
    """Cancel a queued or running job; a running solve's worker process is killed."""
    found = store.cancel(tenant.county_id, job_id)
    if found is None:
        raise HTTPException(404, Said("api.job_not_found"))
    job, before = found
    if before in ("done", "failed"):
        raise HTTPException(409, Said("api.nothing_to_cancel", state=Said(f"api.state.{before}")))
    if before == "running":
        pool.cancel(job_id)
    return JobOut.of(job)
