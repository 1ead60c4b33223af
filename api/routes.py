"""HTTP routes: batches, jobs, plans and the operational endpoints.

Handlers stay thin: parsing and limits are in ``api.inputs``, storage in ``api.store``,
solving in ``api.worker``. Anything that touches the database or runs pydantic on a
whole batch runs in the threadpool, so the event loop never waits on it.

Siting what-ifs (``/v1/siting/...``) come once ``optimizer/siting`` has its public entry
point; they are deliberately not stubbed here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from api.inputs import (
    InputError,
    Limits,
    canonical_sha256,
    checked_json,
    infeasible,
    problem,
    read_body,
    to_batch,
)
from api.schemas import (
    Accepted,
    GeoJSON,
    Health,
    JobLinks,
    JobOut,
    Message,
    Problems,
    Readiness,
    ValidationReport,
)
from api.security import TenantDep, api_key_header, is_loopback, tenant_for
from api.settings import Settings
from api.store import QueueFull, Store
from api.worker import WorkerPool
from optimizer.geojson import plan_geojson
from optimizer.i18n import lang_from_accept_language
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.report.map import render_map

log = logging.getLogger("freshroute.api")

BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A batch (`freshroute.batch/v1`, `docs/batch.schema.json`).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}},
    }
}


def _msg(description: str) -> dict[str, Any]:
    return {"model": Message, "description": description}


INVALID = {422: {"model": Problems, "description": "Bad fields, by JSON path."}}
router = APIRouter()
v1 = APIRouter(prefix="/v1", responses=INVALID)


AUTH = {401: _msg("Missing or unknown X-API-Key.")}
NOT_FOUND = {404: _msg("No such id in this county.")}
BODY = {
    413: _msg("Body larger than FRESHROUTE_MAX_BODY_BYTES."),
    415: _msg("Body is not application/json."),
}


def _limits(settings: Settings) -> Limits:
    return Limits(max_orders=settings.max_orders, max_vehicles=settings.max_vehicles)


def _state(request: Request) -> tuple[Settings, Store, WorkerPool]:
    state = request.app.state
    return state.settings, state.store, state.pool


def _feasibility(batch: Batch) -> list[dict[str, str]]:
    try:
        return infeasible(batch)
    except Exception as e:  # the optimizer choked on valid input: still the input's fault
        log.exception("feasibility check failed")
        raise InputError(422, [problem("", f"the batch could not be checked: {e}")]) from None


# -- operations ----------------------------------------------------------------------------
@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz() -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready."}},
    tags=["operations"],
)
def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and at least one worker process is up and warm."""
    _, store, pool = _state(request)
    try:
        store.ping()
        database = True
    except Exception:
        database = False
    alive = pool.alive()
    ready = database and alive > 0
    body = Readiness(ready=ready, database=database, workers=pool.size, workers_alive=alive)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **AUTH},
    tags=["operations"],
)
def metrics(request: Request, key: Annotated[str | None, Depends(api_key_header)]) -> Response:
    """Prometheus text format; open from loopback, otherwise an API key is needed."""
    settings = request.app.state.settings
    if not (settings.metrics_open_on_loopback and is_loopback(request)):
        tenant_for(request, key)
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


# -- batches -------------------------------------------------------------------------------
@v1.post(
    "/batches",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=BATCH_BODY,
    responses={
        **AUTH,
        409: _msg("Idempotency-Key reused with a different body."),
        **BODY,
        422: {"model": Problems, "description": "Bad fields or infeasible orders, by path."},
        429: _msg("The queue is full; see Retry-After."),
    },
    tags=["batches"],
)
async def submit_batch(
    request: Request,
    tenant: TenantDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Same key and body again → the same job, no second solve.",
        ),
    ] = None,
) -> JSONResponse:
    """Validate and store a batch, and queue its solve; 202 with the job id."""
    settings, store, pool = _state(request)
    raw = await read_body(request, settings.max_body_bytes)

    def check() -> Accepted | Callable[[], Accepted]:
        """CPU work (few threads): a replayed job, or the store step of a valid batch."""
        if idempotency_key is None or not store.key_used(tenant.county_id, idempotency_key):
            depth = store.queue_depth()  # a cheap 429 before parsing (rechecked in submit)
            if depth >= settings.max_queue:
                raise QueueFull(depth, store.retry_after())
        data = checked_json(raw, _limits(settings))
        sha = canonical_sha256(data)
        if idempotency_key is not None:
            earlier = store.find_idempotent(tenant.county_id, idempotency_key, sha)
            if earlier is not None:
                return _accepted(earlier.id, earlier.batch_id, earlier.state, True)
        batch = to_batch(data, _limits(settings))
        issues = _feasibility(batch)
        if issues:
            raise InputError(422, issues)

        def save() -> Accepted:
            """I/O work (any thread, so that concurrent submissions share one commit)."""
            submitted = store.submit(
                tenant.county_id,
                data,
                body_sha256=sha,
                name=batch.name,
                n_orders=len(batch.orders),
                time_limit_s=settings.time_limit(batch.options.time_limit_s),
                max_queue=settings.max_queue,
                idempotency_key=idempotency_key,
            )
            job = submitted.job
            if not submitted.replayed:
                pool.wake()
            return _accepted(job.id, job.batch_id, job.state, submitted.replayed)

        return save

    checked = await to_thread.run_sync(check, limiter=request.app.state.batch_limiter)
    accepted = checked if isinstance(checked, Accepted) else await to_thread.run_sync(checked)
    return JSONResponse(
        accepted.model_dump(mode="json"), status_code=202, headers={"Location": accepted.links.self}
    )


def _accepted(job_id: str, batch_id: str, state: str, replayed: bool) -> Accepted:
    return Accepted(
        job_id=job_id,
        batch_id=batch_id,
        state=state,  # type: ignore[arg-type]
        replayed=replayed,
        links=JobLinks(self=f"/v1/jobs/{job_id}"),
    )


@v1.post(
    "/batches/validate",
    response_model=ValidationReport,
    openapi_extra=BATCH_BODY,
    responses={**AUTH, **BODY},
    tags=["batches"],
)
async def validate_batch(request: Request, tenant: TenantDep) -> ValidationReport:
    """Schema and pre-solve feasibility report; nothing is stored or solved."""
    settings = request.app.state.settings
    raw = await read_body(request, settings.max_body_bytes)

    def work() -> ValidationReport:
        try:
            limits = _limits(settings)
            batch = to_batch(checked_json(raw, limits), limits)
            issues = _feasibility(batch)
        except InputError as e:
            errors = e.detail if isinstance(e.detail, list) else [problem("", e.detail)]
            return ValidationReport(valid=False, errors=errors, infeasible=[])  # type: ignore[arg-type]
        return ValidationReport(valid=not issues, errors=[], infeasible=issues)  # type: ignore[arg-type]

    return await to_thread.run_sync(work, limiter=request.app.state.batch_limiter)


# -- jobs ----------------------------------------------------------------------------------
@v1.get("/jobs/{job_id}", response_model=JobOut, responses={**AUTH, **NOT_FOUND}, tags=["jobs"])
def get_job(request: Request, job_id: str, tenant: TenantDep) -> JSONResponse:
    """State of a job: queued, running (with the best cost so far), done, failed, cancelled."""
    job = request.app.state.store.get_job(tenant.county_id, job_id)
    if job is None:
        raise HTTPException(404, "job not found")
    return JSONResponse(JobOut.of(job).model_dump(mode="json"))


@v1.delete(
    "/jobs/{job_id}",
    response_model=JobOut,
    responses={**AUTH, **NOT_FOUND, 409: _msg("The job has already finished.")},
    tags=["jobs"],
)
def cancel_job(request: Request, job_id: str, tenant: TenantDep) -> JobOut:
    """Cancel a queued or running job; a running solve's worker process is killed."""
    _, store, pool = _state(request)
    found = store.cancel(tenant.county_id, job_id)
    if found is None:
        raise HTTPException(404, "job not found")
    job, before = found
    if before in ("done", "failed"):
        raise HTTPException(409, f"job is {before}; there is nothing to cancel")
    if before == "running":
        pool.cancel(job_id)
    return JobOut.of(job)


# -- plans ---------------------------------------------------------------------------------
@v1.get(
    "/plans/{plan_id}",
    response_model=Plan,
    responses={
        200: {
            "content": {"application/geo+json": {"schema": GeoJSON.model_json_schema()}},
            "description": "The plan (`freshroute.plan/v1`), or GeoJSON with ?format=geojson.",
        },
        **AUTH,
        **NOT_FOUND,
    },
    tags=["plans"],
)
def get_plan(
    request: Request,
    plan_id: str,
    tenant: TenantDep,
    format: Annotated[Literal["json", "geojson"], Query()] = "json",
) -> Response:
    """A finished plan as JSON, or as GeoJSON (sites as points, routes as lines)."""
    found = request.app.state.store.get_plan(tenant.county_id, plan_id)
    if found is None:
        raise HTTPException(404, "plan not found")
    plan, batch = found
    if format == "json":
        return JSONResponse(plan)
    geo = plan_geojson(Batch.model_validate(batch), Plan.model_validate(plan))
    return JSONResponse(geo, media_type="application/geo+json")


@v1.get(
    "/plans/{plan_id}/map",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **AUTH, **NOT_FOUND},
    tags=["plans"],
)
def get_plan_map(
    request: Request,
    plan_id: str,
    tenant: TenantDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The plan's route map: a self-contained page (Leaflet inlined), Chinese or English
    by ``Accept-Language``."""
    found = request.app.state.store.get_plan(tenant.county_id, plan_id)
    if found is None:
        raise HTTPException(404, "plan not found")
    plan, batch = found
    lang = lang_from_accept_language(accept_language)
    page = render_map(Batch.model_validate(batch), Plan.model_validate(plan), lang)
    return HTMLResponse(page, headers={"Content-Language": lang})


router.include_router(v1)
