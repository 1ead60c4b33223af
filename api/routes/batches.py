"""``POST /v1/batches`` (store and queue a solve) and ``POST /v1/batches/validate``."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import Request, status
from fastapi.responses import JSONResponse

from api.checks import CheckFailed, feasibility
from api.deps import SettingsDep, TenantDep
from api.inputs import (
    Checked,
    Feasibility,
    InputError,
    Limits,
    checked_json,
    problem,
    read_body,
    to_batch,
)
from api.problems import localized, request_lang
from api.routes.common import (
    AUTH,
    BODY,
    QUEUED,
    IdempotencyKey,
    enqueue,
    json_body,
    json_body_schema,
    limits,
    problem_doc,
    v1_router,
)
from api.schemas import Accepted, ValidationReport
from api.store import BATCH
from optimizer.errors import Rendered, Said, exception_text

router = v1_router("batches")

BATCH_BODY = json_body("Batch", "A batch (`freshroute.batch/v1`, `docs/batch.schema.json`).")
VALIDATE_BODY = json_body_schema(
    {"anyOf": [{"$ref": "#/components/schemas/Batch"}, {}]},
    "A batch to check (`freshroute.batch/v1`). Any other JSON document is reported on "
    "too: `200` with `valid: false` and its errors, so the body may be any JSON.",
)


def _feasibility(data: Any, request: Request) -> Feasibility:
    """The pre-solve check of a schema-valid batch body, run in a check process (it builds
    the travel matrix, which the API process never does). Blocking: call from a thread."""
    settings = request.app.state.settings
    try:
        found = request.app.state.checks.run(feasibility, data, settings.roads_dir)
    except CheckFailed as e:  # the optimizer choked on valid input: still the input's fault
        error = Rendered(partial(exception_text, e))
        raise InputError(422, [problem("", Said("api.not_checked", error=error))]) from None
    if "road" in found:  # the road file (inside FRESHROUTE_ROADS_DIR) is unusable
        raise InputError(422, found["road"])
    return Feasibility(found["refusals"], found["left_out"], found["warnings"])


@router.post(
    "/batches",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=BATCH_BODY,
    responses={**QUEUED, 422: problem_doc("Bad fields, or a batch that cannot be planned.")},
)
async def submit_batch(
    request: Request,
    tenant: TenantDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Validate and store a batch, and queue its solve; 202 with the job id. Orders no
    vehicle can serve are left out of the plan with their reasons (``/validate`` lists
    them); a batch that cannot be planned at all (no vehicles, ``min_used``) is a 422."""

    def prepare(data: Any, request_limits: Limits) -> Checked:
        batch = to_batch(data, request_limits)
        refusals = _feasibility(data, request).refusals
        if refusals:
            raise InputError(422, refusals)
        limit = settings.time_limit(batch.options.time_limit_s)
        return Checked(name=batch.name, n_orders=len(batch.orders), time_limit_s=limit)

    return await enqueue(request, tenant, idempotency_key, BATCH, prepare)


@router.post(
    "/batches/validate",
    response_model=ValidationReport,
    openapi_extra=VALIDATE_BODY,
    responses={**AUTH, **BODY},
)
async def validate_batch(
    request: Request, tenant: TenantDep, settings: SettingsDep
) -> ValidationReport:
    """Schema and pre-solve feasibility report; nothing is stored or solved. ``valid``:
    the batch would be accepted; ``infeasible``: orders its plan would leave out;
    ``warnings``: what its road network dropped or guessed. Reasons in Chinese under
    ``Accept-Language: zh``."""
    lang = request_lang(request.headers.get("accept-language"))
    raw = await read_body(request, settings.max_body_bytes)
    if not raw.strip():  # the body is required: no batch is no report
        raise InputError(422, [problem("", Said("api.empty_body"))])

    def work() -> ValidationReport:
        try:
            request_limits = limits(settings)
            data = checked_json(raw, request_limits)
            to_batch(data, request_limits)
            checked = _feasibility(data, request)
        except InputError as e:
            errors = e.detail if isinstance(e.detail, list) else [problem("", e.detail)]
            return ValidationReport(valid=False, errors=localized(errors, lang), infeasible=[])  # type: ignore[arg-type]
        return ValidationReport(
            valid=not checked.refusals,
            errors=localized(checked.refusals, lang),  # type: ignore[arg-type]
            infeasible=localized(checked.left_out, lang),  # type: ignore[arg-type]
            warnings=localized(checked.warnings, lang),  # type: ignore[arg-type]
        )

    return await to_thread.run_sync(work, limiter=request.app.state.batch_limiter)
