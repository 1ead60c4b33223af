"""HTTP routes: batches, siting, jobs, plans and the operational endpoints.

Handlers stay thin: parsing and limits are in ``api.inputs`` (and ``api.siting`` for
siting requests), storage in ``api.store``, solving in ``api.worker``. Anything that
touches the database or runs pydantic on a whole batch runs in the threadpool, so the
event loop never waits on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from api.checks import CheckFailed, CheckPool, feasibility, road_network
from api.inputs import (
    Checked,
    Feasibility,
    InputError,
    Limits,
    canonical_sha256,
    checked_json,
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
    Problem,
    Readiness,
    SitingResultOut,
    ValidationReport,
)
from api.security import Tenant, TenantDep, api_key_header, is_loopback, tenant_for
from api.settings import Settings
from api.siting import COMPARE, EVALUATE, OPTIMIZE, check_request
from api.store import BATCH, Job, QueueFull, Store
from api.worker import WorkerPool
from optimizer.geojson import plan_geojson
from optimizer.i18n import lang_from_accept_language
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.report.map import render_map
from optimizer.report.siting_map import render_siting_map
from optimizer.siting.scenario import (
    ScenarioResult,
    comparison_csv,
    comparison_geojson,
    comparison_markdown,
)

log = logging.getLogger("freshroute.api")

BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A batch (`freshroute.batch/v1`, `docs/batch.schema.json`).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}},
    }
}


VALIDATE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "A batch to check (`freshroute.batch/v1`). Any other JSON document is reported on "
            "too: `200` with `valid: false` and its errors, so the body may be any JSON."
        ),
        "content": {
            "application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/Batch"}, {}]}}
        },
    }
}


def _body(schema: str, description: str) -> dict[str, Any]:
    """A JSON request body documented by a component schema (bodies are read raw)."""
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": ref}},
        }
    }


def _msg(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


INVALID = {422: {"model": Problem, "description": "Bad fields, by JSON path."}}
router = APIRouter()
v1 = APIRouter(prefix="/v1", responses=INVALID)


AUTH = {401: _msg("Missing or unknown X-API-Key.")}
NOT_FOUND = {404: _msg("No such id in this county.")}
BODY = {
    413: _msg("Body larger than FRESHROUTE_MAX_BODY_BYTES."),
    415: _msg("Body is not application/json."),
}
QUEUED = {
    **AUTH,
    409: _msg("Idempotency-Key reused with a different body."),
    **BODY,
    429: _msg(
        "The queue is full, or this county has FRESHROUTE_MAX_JOBS_PER_COUNTY jobs queued "
        "or running; see Retry-After."
    ),
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x20-\x7e]+$",  # printable ASCII, as the IETF draft's sf-string
        description="Same key and body again → the same job, no second run.",
    ),
]


def _limits(settings: Settings) -> Limits:
    return Limits(
        max_orders=settings.max_orders,
        max_vehicles=settings.max_vehicles,
        roads_dir=settings.roads_dir,
        max_sites=settings.max_sites,
        max_matrix_cells=settings.max_matrix_cells,
        max_depth=settings.max_body_depth,
    )


def _state(request: Request) -> tuple[Settings, Store, WorkerPool]:
    state = request.app.state
    return state.settings, state.store, state.pool


def _feasibility(data: Any, request: Request) -> Feasibility:
    """The pre-solve check of a schema-valid batch body, run in a check process (it builds
    the travel matrix, which the API process never does). Blocking: call from a thread."""
    settings: Settings = request.app.state.settings
    try:
        found = request.app.state.checks.run(feasibility, data, settings.roads_dir)
    except CheckFailed as e:  # the optimizer choked on valid input: still the input's fault
        raise InputError(422, [problem("", f"the batch could not be checked: {e}")]) from None
    if "road" in found:  # the road file (inside FRESHROUTE_ROADS_DIR) is unusable
        raise InputError(422, found["road"])
    return Feasibility(found["refusals"], found["left_out"])


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
    """Ready when the service can accept and run work: the database answers and at least
    one worker slot serves (its process is up and warm, or is being replaced after a
    cancelled or killed solve: a momentary respawn does not make the service unready)."""
    _, store, pool = _state(request)
    try:
        store.ping()
        database = True
    except Exception:
        database = False
    serving = pool.serving()
    ready = database and serving > 0
    body = Readiness(
        ready=ready,
        database=database,
        workers=pool.size,
        workers_alive=pool.alive(),
        workers_serving=serving,
    )
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


# -- queueing ------------------------------------------------------------------------------
async def _enqueue(
    request: Request,
    tenant: Tenant,
    idempotency_key: str | None,
    kind: str,
    prepare: Callable[[Any, Limits], Checked],
    batch_at: str | None = None,
) -> JSONResponse:
    """Check, store and queue a request as a job of ``kind``; 202 with the job id.

    ``prepare`` validates the parsed body (422 with paths) and sizes the job; the batch
    is the body itself or its member ``batch_at``. Idempotency keys work the same for
    every kind, in one namespace per county.
    """
    settings, store, pool = _state(request)
    raw = await read_body(request, settings.max_body_bytes)
    limits = _limits(settings)

    def check() -> Accepted | Callable[[], Accepted]:
        """CPU work (few threads): a replayed job, or the store step of a valid request."""
        if idempotency_key is None or not store.key_used(tenant.county_id, idempotency_key):
            # Cheap 429s before parsing (rechecked in submit): the county's share, the queue.
            mine = store.county_active(tenant.county_id)
            if mine >= settings.max_jobs_per_county:
                retry = store.retry_after(tenant.county_id)
                raise QueueFull(mine, retry, settings.max_jobs_per_county)
            depth = store.queue_depth()
            if depth >= settings.max_queue:
                raise QueueFull(depth, store.retry_after())
        data = checked_json(raw, limits, batch_at)
        sha = canonical_sha256(data if kind == BATCH else {"kind": kind, "request": data})
        if idempotency_key is not None:
            earlier = store.find_idempotent(tenant.county_id, idempotency_key, sha)
            if earlier is not None:
                return _accepted(earlier, True)
        checked = prepare(data, limits)

        def save() -> Accepted:
            """I/O work (any thread, so that concurrent submissions share one commit)."""
            submitted = store.submit(
                tenant.county_id,
                data,
                body_sha256=sha,
                name=checked.name,
                n_orders=checked.n_orders,
                time_limit_s=checked.time_limit_s,
                max_queue=settings.max_queue,
                idempotency_key=idempotency_key,
                kind=kind,
                max_per_county=settings.max_jobs_per_county,
            )
            if not submitted.replayed:
                pool.wake()
            return _accepted(submitted.job, submitted.replayed)

        return save

    checked = await to_thread.run_sync(check, limiter=request.app.state.batch_limiter)
    accepted = checked if isinstance(checked, Accepted) else await to_thread.run_sync(checked)
    return JSONResponse(
        accepted.model_dump(mode="json"), status_code=202, headers={"Location": accepted.links.self}
    )


def _accepted(job: Job, replayed: bool) -> Accepted:
    return Accepted(
        job_id=job.id,
        batch_id=job.batch_id,
        kind=job.kind,  # type: ignore[arg-type]
        state=job.state,  # type: ignore[arg-type]
        replayed=replayed,
        links=JobLinks(self=f"/v1/jobs/{job.id}"),
    )


# -- batches -------------------------------------------------------------------------------
@v1.post(
    "/batches",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=BATCH_BODY,
    responses={
        **QUEUED,
        422: {"model": Problem, "description": "Bad fields, or a batch that cannot be planned."},
    },
    tags=["batches"],
)
async def submit_batch(
    request: Request, tenant: TenantDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Validate and store a batch, and queue its solve; 202 with the job id. Orders no
    vehicle can serve are left out of the plan with their reasons (``/validate`` lists
    them); a batch that cannot be planned at all (no vehicles, ``min_used``) is a 422."""
    settings = request.app.state.settings

    def prepare(data: Any, limits: Limits) -> Checked:
        batch = to_batch(data, limits)
        refusals = _feasibility(data, request).refusals
        if refusals:
            raise InputError(422, refusals)
        limit = settings.time_limit(batch.options.time_limit_s)
        return Checked(name=batch.name, n_orders=len(batch.orders), time_limit_s=limit)

    return await _enqueue(request, tenant, idempotency_key, BATCH, prepare)


@v1.post(
    "/batches/validate",
    response_model=ValidationReport,
    openapi_extra=VALIDATE_BODY,
    responses={**AUTH, **BODY},
    tags=["batches"],
)
async def validate_batch(request: Request, tenant: TenantDep) -> ValidationReport:
    """Schema and pre-solve feasibility report; nothing is stored or solved. ``valid``:
    the batch would be accepted; ``infeasible``: orders its plan would leave out."""
    settings = request.app.state.settings
    raw = await read_body(request, settings.max_body_bytes)
    if not raw.strip():  # the body is required: no batch is no report
        raise InputError(422, [problem("", "the body is empty; send a batch as JSON")])

    def work() -> ValidationReport:
        try:
            limits = _limits(settings)
            data = checked_json(raw, limits)
            to_batch(data, limits)
            checked = _feasibility(data, request)
        except InputError as e:
            errors = e.detail if isinstance(e.detail, list) else [problem("", e.detail)]
            return ValidationReport(valid=False, errors=errors, infeasible=[])  # type: ignore[arg-type]
        return ValidationReport(
            valid=not checked.refusals,
            errors=checked.refusals,  # type: ignore[arg-type]
            infeasible=checked.left_out,  # type: ignore[arg-type]
        )

    return await to_thread.run_sync(work, limiter=request.app.state.batch_limiter)


# -- siting ----------------------------------------------------------------------------------
SITING_422 = {422: {"model": Problem, "description": "Bad fields, by JSON path."}}


async def _enqueue_siting(
    request: Request, tenant: Tenant, idempotency_key: str | None, kind: str
) -> JSONResponse:
    settings: Settings = request.app.state.settings
    max_limit = settings.max_time_limit_s
    checks: CheckPool = request.app.state.checks

    def roads(body: Any) -> list[dict[str, str]]:
        """The road network of a siting request's batch, built in a check process."""
        try:
            found: list[dict[str, str]] = checks.run(
                road_network, body, settings.roads_dir, "batch.travel"
            )
        except CheckFailed as e:
            return [problem("batch.travel", f"the road network could not be checked: {e}")]
        return found

    def prepare(data: Any, limits: Limits) -> Checked:
        return check_request(kind, data, limits, max_limit, roads)

    return await _enqueue(request, tenant, idempotency_key, kind, prepare, batch_at="batch")


@v1.post(
    "/siting/optimize",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=_body(
        "SitingOptimizeRequest", "A county batch inline, plus the options of `site optimize`."
    ),
    responses={**QUEUED, **SITING_422},
    tags=["siting"],
)
async def siting_optimize(
    request: Request, tenant: TenantDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Choose collection-centre sites among the batch's centres and villages (p-median,
    maximal coverage or capacitated facility location), proven optimal or with its gap;
    202 with the job id. The result has the chosen sites as a scenario and their access."""
    return await _enqueue_siting(request, tenant, idempotency_key, OPTIMIZE)


@v1.post(
    "/siting/evaluate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=_body("SitingEvaluateRequest", "A county batch inline and one scenario."),
    responses={**QUEUED, **SITING_422},
    tags=["siting"],
)
async def siting_evaluate(
    request: Request, tenant: TenantDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Evaluate one scenario: access to the open centres, produce inside its freshness
    radius, and a routing simulation of sampled days; 202 with the job id."""
    return await _enqueue_siting(request, tenant, idempotency_key, EVALUATE)


@v1.post(
    "/siting/compare",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=_body(
        "SitingCompareRequest", "A county batch inline and 2 or more scenarios, base first."
    ),
    responses={**QUEUED, **SITING_422},
    tags=["siting"],
)
async def siting_compare(
    request: Request, tenant: TenantDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Evaluate scenarios side by side (the same sampled days for each seed); 202 with the
    job id. The result is also a table (CSV, Markdown) and GeoJSON of the catchments."""
    return await _enqueue_siting(request, tenant, idempotency_key, COMPARE)


@v1.get(
    "/siting/results/{result_id}",
    response_model=SitingResultOut,
    responses={
        200: {
            "content": {
                "application/geo+json": {"schema": GeoJSON.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
            "description": (
                "The result; ?format=geojson for open centres and catchment lines, "
                "csv or markdown for the comparison table (one row or column per scenario)."
            ),
        },
        **AUTH,
        **NOT_FOUND,
    },
    tags=["siting"],
)
def get_siting_result(
    request: Request,
    result_id: str,
    tenant: TenantDep,
    format: Annotated[Literal["json", "geojson", "csv", "markdown"], Query()] = "json",
) -> Response:
    """A finished siting job's result, as JSON, GeoJSON, CSV or Markdown."""
    found = request.app.state.store.get_siting_result(tenant.county_id, result_id)
    if found is None:
        raise HTTPException(404, "siting result not found")
    body, stored, job_id = found
    if format == "json":
        links = SitingResultOut.links_for(result_id, job_id).model_dump()
        return JSONResponse({"id": result_id, "job_id": job_id, **body, "links": links})
    results = [ScenarioResult.model_validate(r) for r in body["results"]]
    if format == "csv":
        return Response(comparison_csv(results), media_type="text/csv; charset=utf-8")
    if format == "markdown":
        return Response(comparison_markdown(results), media_type="text/markdown; charset=utf-8")
    geo = comparison_geojson(Batch.model_validate(stored["batch"]), results)
    return JSONResponse(geo, media_type="application/geo+json")


@v1.get(
    "/siting/results/{result_id}/map",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **AUTH, **NOT_FOUND},
    tags=["siting"],
)
def get_siting_map(
    request: Request,
    result_id: str,
    tenant: TenantDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The scenarios on one map (a layer each: open centres, catchments, freshness radius,
    KPI panel): a self-contained page, Chinese or English by ``Accept-Language``."""
    found = request.app.state.store.get_siting_result(tenant.county_id, result_id)
    if found is None:
        raise HTTPException(404, "siting result not found")
    body, stored, _ = found
    lang = lang_from_accept_language(accept_language)
    results = [ScenarioResult.model_validate(r) for r in body["results"]]
    page = render_siting_map(Batch.model_validate(stored["batch"]), results, lang)
    return HTMLResponse(page, headers={"Content-Language": lang})


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
