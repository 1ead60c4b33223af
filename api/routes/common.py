"""What the submitting routes share: documented error responses, the Idempotency-Key
header, and ``enqueue`` (check, store and queue a request as a job; ``202``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from api.core.config import Settings
from api.inputs import Checked, Limits, canonical_sha256, checked_json, read_body
from api.problems import request_lang
from api.schemas import Accepted, JobLinks, Problem
from api.security import Tenant
from api.store import BATCH, Job, QueueFull, Store
from api.worker import WorkerPool


def problem_doc(description: str) -> dict[str, Any]:
    """An error response in OpenAPI: problem details (``api.problems``)."""
    return {"model": Problem, "description": description}


INVALID = {422: problem_doc("Bad fields, by JSON path.")}
AUTH = {401: problem_doc("Missing or unknown X-API-Key.")}
NOT_FOUND = {404: problem_doc("No such id in this county.")}
BODY = {
    413: problem_doc("Body larger than FRESHROUTE_MAX_BODY_BYTES."),
    415: problem_doc("Body is not application/json."),
}
QUEUED = {
    **AUTH,
    409: problem_doc("Idempotency-Key reused with a different body."),
    **BODY,
    429: problem_doc(
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


def v1_router(tag: str) -> APIRouter:
    """A router under ``/v1`` whose operations document the 422 of bad input."""
    return APIRouter(prefix="/v1", responses=INVALID, tags=[tag])


def json_body(schema: str, description: str) -> dict[str, Any]:
    """A required JSON request body documented by a component schema (bodies are read
    raw, so FastAPI cannot infer them)."""
    return json_body_schema({"$ref": f"#/components/schemas/{schema}"}, description)


def json_body_schema(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def limits(settings: Settings) -> Limits:
    """The limits on one request, from the settings."""
    return Limits(
        max_orders=settings.max_orders,
        max_vehicles=settings.max_vehicles,
        roads_dir=settings.roads_dir,
        max_sites=settings.max_sites,
        max_matrix_cells=settings.max_matrix_cells,
        max_depth=settings.max_body_depth,
    )


async def enqueue(
    request: Request,
    tenant: Tenant,
    idempotency_key: str | None,
    kind: str,
    prepare: Callable[[Any, Limits], Checked],
    batch_at: str | None = None,
    wrap: Callable[[Any], Any] | None = None,
) -> JSONResponse:
    """Check, store and queue a request as a job of ``kind``; 202 with the job id.

    ``prepare`` validates the parsed body (422 with paths) and sizes the job; the batch
    is the body itself or its member ``batch_at``; ``wrap`` makes the stored request of
    the parsed body (a re-plan's: with the old plan and its batch). Idempotency keys work
    the same for every kind, in one namespace per county.
    """
    state = request.app.state
    settings: Settings = state.settings
    store: Store = state.store
    pool: WorkerPool = state.pool
    raw = await read_body(request, settings.max_body_bytes)
    request_limits = limits(settings)
    lang = request_lang(request.headers.get("accept-language"))  # of the job's errors

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
        data = checked_json(raw, request_limits, batch_at)
        if wrap is not None:
            data = wrap(data)
        sha = canonical_sha256(data if kind == BATCH else {"kind": kind, "request": data})
        if idempotency_key is not None:
            earlier = store.find_idempotent(tenant.county_id, idempotency_key, sha)
            if earlier is not None:
                return accepted(earlier, True)
        checked = prepare(data, request_limits)

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
                lang=lang,
            )
            if not submitted.replayed:
                pool.wake()
            return accepted(submitted.job, submitted.replayed)

        return save

    checked = await to_thread.run_sync(check, limiter=state.batch_limiter)
    done = checked if isinstance(checked, Accepted) else await to_thread.run_sync(checked)
    return JSONResponse(
        done.model_dump(mode="json"), status_code=202, headers={"Location": done.links.self}
    )


def accepted(job: Job, replayed: bool) -> Accepted:
    """The ``202`` body of a stored (or replayed) job."""
    return Accepted(
        job_id=job.id,
        batch_id=job.batch_id,
        kind=job.kind,  # type: ignore[arg-type]
        state=job.state,  # type: ignore[arg-type]
        replayed=replayed,
        links=JobLinks(self=f"/v1/jobs/{job.id}"),
    )
